"""shared_ppo, shared_dqn and mappo on every multi-agent id, and on a task they must learn."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from gymnasium import spaces
from pettingzoo import ParallelEnv

from fieldgym.agents import make_agent
from fieldgym.agents.evaluation import evaluate
from fieldgym.agents.mappo import MAPPO
from fieldgym.agents.multiagent import SharedAgentsVecEnv, SharedDQN, SharedPPO
from fieldgym.agents.target import ParallelTarget
from fieldgym.envs import PARALLEL_ENVS

SMALL = {
    "fieldgym/UAVOffloading-v1": {"num_users": 12, "max_cycles": 12},
    "fieldgym/TrafficGrid-v1": {"rows": 2, "cols": 2, "max_episode_steps": 40},
}
"""Small settings of known ids; a new id runs with its defaults."""

HYPER = {
    "shared_ppo": {"n_steps": 16, "batch_size": 32, "n_epochs": 2},
    "mappo": {"n_steps": 16, "n_epochs": 2, "hidden": 16},
    "shared_dqn": {"learning_starts": 50, "buffer_size": 1000, "target_update_interval": 50},
}


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("learner", ["shared_ppo", "mappo", "shared_dqn"])
@pytest.mark.parametrize("env_id", sorted(PARALLEL_ENVS))
def test_learner_trains_and_evaluates_on_every_multi_agent_id(learner, env_id):
    target = ParallelTarget(env_id, SMALL.get(env_id, {}))
    agent = make_agent(learner, target, n_copies=2, hyperparams=HYPER[learner])
    agent.fit(300, seed=0)
    table = evaluate(agent, seeds=[1, 2])
    env = target.make()
    env.reset(seed=1)
    assert table["seed"].tolist() == [1, 2]
    assert np.isfinite(table["episode_return"]).all() and (table["length"] > 0).all()
    again = evaluate(agent, seeds=[1, 2])  # greedy actions: same episodes
    np.testing.assert_allclose(table["episode_return"], again["episode_return"])


def test_the_bridge_records_the_final_global_state_of_an_ending_copy():
    target = ParallelTarget("fieldgym/UAVOffloading-v1", SMALL["fieldgym/UAVOffloading-v1"])
    venv = SharedAgentsVecEnv(target.make, 2, with_state=True)
    venv.seed(3)
    venv.reset()
    twin = target.make()
    twin.reset(seed=3)
    np.testing.assert_allclose(venv.states()[:3], np.repeat(twin.state()[None], 3, 0))
    for _ in range(12):
        _, _, dones, infos = venv.step(np.zeros(6, dtype=np.int64))
        twin.step({a: 0 for a in twin.agents})
    assert dones.all()
    for row in range(3):
        np.testing.assert_allclose(infos[row]["terminal_state"], twin.state())
    assert not np.allclose(venv.states()[0], twin.state())  # the copy was reset


class _Echo(ParallelEnv):
    """Each agent is shown a cue (one of 3) and earns 1 for naming it; 8-step episodes."""

    metadata = {"name": "echo"}
    possible_agents = ["a", "b"]

    def __init__(self):
        self.rng = np.random.default_rng()

    def observation_space(self, agent):
        return spaces.Box(0, 1, (3,))

    def action_space(self, agent):
        return spaces.Discrete(3)

    def _observe(self):
        self.cues = self.rng.integers(3, size=2)
        return {
            a: np.eye(3, dtype=np.float32)[c] for a, c in zip(self.agents, self.cues, strict=True)
        }

    def reset(self, seed=None, options=None):
        if seed is not None:
            self.rng = np.random.default_rng(seed)
        self.agents, self.t = list(self.possible_agents), 0
        return self._observe(), {a: {} for a in self.agents}

    def state(self):
        return np.eye(3, dtype=np.float32)[self.cues].ravel()

    def step(self, actions):
        rewards = {a: float(actions[a] == c) for a, c in zip(self.agents, self.cues, strict=True)}
        self.t += 1
        done = self.t >= 8
        observations = self._observe()
        flags = {a: done for a in self.possible_agents}
        infos = {a: {} for a in self.possible_agents}
        if done:
            self.agents = []
        return observations, rewards, {a: False for a in flags}, flags, infos


@dataclasses.dataclass(frozen=True)
class _EchoTarget(ParallelTarget):
    def make(self, **extra):
        return _Echo()


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("learner", [SharedPPO, MAPPO, SharedDQN])
def test_the_learners_learn_a_task_random_actions_fail(learner):
    target = _EchoTarget("tests:echo")
    if learner is MAPPO:
        hyper = {"n_steps": 32, "n_epochs": 4, "lr": 3e-3, "critic_lr": 3e-3}
    elif learner is SharedDQN:
        hyper = {
            "learning_starts": 200,
            "learning_rate": 1e-3,
            "train_freq": 1,
            "target_update_interval": 100,
            "exploration_fraction": 0.2,
        }
    else:
        hyper = {"n_steps": 32, "batch_size": 64, "learning_rate": 3e-3, "n_epochs": 4}
    agent = learner(target, n_copies=2, hyperparams=hyper).fit(3000, seed=0)
    returns = evaluate(agent, seeds=range(5))["episode_return"]
    assert returns.mean() > 7.5  # random play earns 8 / 3 per episode
