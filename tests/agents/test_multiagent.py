"""The ParallelEnv -> VecEnv bridge with parameter sharing, shared PPO, evaluate."""

from __future__ import annotations

import numpy as np
import pytest
from gymnasium import spaces
from pettingzoo import ParallelEnv

import fieldgym
from fieldgym.agents import make_agent
from fieldgym.agents.base import RandomParallelPolicy
from fieldgym.agents.evaluation import evaluate
from fieldgym.agents.multiagent import SharedAgentsVecEnv, SharedPPO
from fieldgym.agents.target import ParallelTarget
from fieldgym.envs.core.errors import ConfigError

ENV_ID = "fieldgym/UAVOffloading-v1"
SMALL = {"num_users": 12, "max_cycles": 12}


def make_small():
    return fieldgym.make_parallel(ENV_ID, **SMALL)


def test_bridge_rows_are_agents_of_copies_and_match_the_envs():
    venv = SharedAgentsVecEnv(make_small, n_copies=2)
    assert venv.num_envs == 2 * 3
    venv.seed(5)
    observations = venv.reset()
    twins = [make_small(), make_small()]
    expected = [twin.reset(seed=5 + c)[0] for c, twin in enumerate(twins)]
    agents = twins[0].possible_agents
    np.testing.assert_array_equal(observations, np.stack([e[a] for e in expected for a in agents]))
    rng = np.random.default_rng(0)
    for step in range(SMALL["max_cycles"]):
        actions = rng.integers(5, size=venv.num_envs)
        observations, rewards, dones, infos = venv.step(actions)
        for c, twin in enumerate(twins):
            obs, rew, _, _, _ = twin.step({a: actions[c * 3 + i] for i, a in enumerate(agents)})
            for i, a in enumerate(agents):
                assert rewards[c * 3 + i] == pytest.approx(rew[a])
                if dones[c * 3 + i]:
                    np.testing.assert_array_equal(infos[c * 3 + i]["terminal_observation"], obs[a])
                    assert infos[c * 3 + i]["TimeLimit.truncated"]
                else:
                    np.testing.assert_array_equal(observations[c * 3 + i], obs[a])
        last = step == SMALL["max_cycles"] - 1
        assert dones.all() == last and dones.any() == last
    assert "terminal_observation" not in infos[0] or dones[0]


class _Mixed(ParallelEnv):
    metadata = {"name": "mixed"}
    possible_agents = ["a", "b"]

    def observation_space(self, agent):
        return spaces.Box(0, 1, (2 if agent == "a" else 3,))

    def action_space(self, agent):
        return spaces.Discrete(2)


def test_bridge_refuses_agents_with_different_spaces():
    with pytest.raises(ConfigError, match="parameter sharing"):
        SharedAgentsVecEnv(_Mixed, n_copies=1)


def test_shared_ppo_trains_acts_saves_and_loads(tmp_path):
    target = ParallelTarget(ENV_ID, SMALL)
    agent = make_agent(
        "shared_ppo", target, n_copies=2, hyperparams={"n_steps": 16, "batch_size": 32}
    )
    agent.fit(200, seed=0)
    assert agent.learning_curve  # 12-step episodes finish within 200 agent-steps
    env = target.make()
    observations, _ = env.reset(seed=0)
    actions = agent.act(observations)
    assert set(actions) == set(env.agents)
    assert all(env.action_space(a).contains(int(v)) for a, v in actions.items())
    agent.save(tmp_path / "ppo")
    loaded = SharedPPO.load(tmp_path / "ppo")
    while env.agents:
        actions = agent.act(observations)
        assert {a: int(v) for a, v in loaded.act(observations).items()} == {
            a: int(v) for a, v in actions.items()
        }
        observations, *_ = env.step(actions)


def test_evaluate_gives_a_multiagent_policy_one_row_per_seed_with_the_domains_metrics():
    target = ParallelTarget(ENV_ID, SMALL)
    table = evaluate(RandomParallelPolicy(target), [1, 2, 3])
    assert table["seed"].tolist() == [1, 2, 3]
    assert (table["length"] == SMALL["max_cycles"]).all()
    assert {"association_share", "avg_rate_mbps", "jain_fairness", "collisions"} <= set(table)
    again = evaluate(RandomParallelPolicy(target), [1, 2, 3])
    np.testing.assert_allclose(table["episode_return"], again["episode_return"])


def test_shared_ppo_refuses_single_agent_ids():
    from fieldgym.agents import EnvTarget

    with pytest.raises(ConfigError, match=r"single-agent|multi-agent"):
        make_agent("shared_ppo", EnvTarget("fieldgym/EdgeOffloading-v1"))
    with pytest.raises(ConfigError, match="multi-agent"):
        SharedPPO(EnvTarget("fieldgym/EdgeOffloading-v1"))
