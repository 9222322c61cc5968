"""Discrete SAC: tiny budgets on fieldgym envs, save/load, and learning a trivial task."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
from gymnasium import spaces

from fieldgym.agents import EnvTarget, evaluate, make_agent
from fieldgym.agents.discrete_sac import DiscreteSAC
from fieldgym.envs.core.errors import ConfigError

TINY = {"learning_starts": 50, "batch_size": 32, "hidden": 32, "buffer_size": 1_000}
BANDIT_ID = "fieldgym_test/SignBandit-v0"


class SignBandit(gym.Env):
    """A contextual two-armed bandit: reward 1 for the action matching the sign shown."""

    def __init__(self) -> None:
        self.observation_space = spaces.Box(-1.0, 1.0, (2,), np.float32)
        self.action_space = spaces.Discrete(2)

    def _observe(self) -> np.ndarray:
        self.sign = int(self.np_random.integers(2))
        return np.array([1.0, -1.0] if self.sign else [-1.0, 1.0], dtype=np.float32)

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        return self._observe(), {}

    def step(self, action):
        reward = float(int(action) == self.sign)
        return self._observe(), reward, False, False, {}


if BANDIT_ID not in gym.registry:
    gym.register(BANDIT_ID, entry_point=SignBandit, max_episode_steps=16)


def test_trains_acts_saves_and_loads_on_the_offloading_env(tmp_path):
    target = EnvTarget("fieldgym/EdgeOffloading-v1", {"preference_sampling": "uniform"})
    agent = make_agent("discrete_sac", target, n_envs=2, hyperparams=TINY)
    agent.fit(200, seed=0)
    env = target.make()
    observation, _ = env.reset(seed=0)
    agent.save(tmp_path / "sac")
    loaded = DiscreteSAC.load(tmp_path / "sac")
    for _ in range(20):
        action = agent.act(observation)
        assert env.action_space.contains(action)
        assert loaded.act(observation) == action
        np.testing.assert_allclose(
            loaded.probabilities(observation), agent.probabilities(observation)
        )
        observation, *_ = env.step(action)
    assert agent.learning_curve == [] or agent.learning_curve[0]["step"] <= 200


def test_box_actions_are_discretized():
    target = EnvTarget(
        "fieldgym/MultiEchelonInventory-v1",
        {
            "num_stages": 1,
            "lead_times": [1],
            "order_limits": [20],
            "holding_costs": [1],
            "fixed_order_costs": [0],
        },
    )
    agent = DiscreteSAC(target, n_envs=2, levels=5, hyperparams=TINY).fit(120, seed=0)
    assert agent.num_actions == 5
    observation, _ = target.make().reset(seed=0)
    action = agent.act(observation)
    assert target.make().action_space.contains(np.asarray(action, dtype=np.float32))


def test_unknown_hyperparameter_is_an_error():
    with pytest.raises(ConfigError, match="learning_rat"):
        DiscreteSAC(EnvTarget(BANDIT_ID), hyperparams={"learning_rat": 1e-3})


@pytest.mark.slow
def test_learns_a_contextual_bandit_clearly_better_than_random():
    target = EnvTarget(BANDIT_ID)
    agent = DiscreteSAC(
        target,
        n_envs=4,
        hyperparams={
            "learning_starts": 200,
            "batch_size": 64,
            "hidden": 32,
            "gamma": 0.0,
            "learning_rate": 1e-3,
        },
    ).fit(1_600, seed=0)
    learned = evaluate(agent, range(100, 110))["episode_return"].mean()
    # any policy that ignores the observation (random included) earns 8 of 16 on average
    assert learned >= 15
    # automatic entropy tuning holds the policy's entropy near 0.89 * log(2) nats
    for observation, right in (([1.0, -1.0], 1), ([-1.0, 1.0], 0)):
        probs = agent.probabilities(np.array(observation, dtype=np.float32))
        entropy = -float(np.sum(probs * np.log(probs)))
        assert entropy == pytest.approx(0.89 * np.log(2), abs=0.1)
        assert np.argmax(probs) == right
