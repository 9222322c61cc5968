"""stable-baselines3 learners on fieldgym envs: tiny budgets, every algorithm, both action types."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.vector import AutoresetMode

from fieldgym.agents import EnvTarget, evaluate, make_agent
from fieldgym.agents.sb3 import SB3Agent, adapter_kind
from fieldgym.agents.vec import GymnasiumVecEnv
from fieldgym.envs.core.errors import ConfigError

ENV_ID = "fieldgym/MultiEchelonInventory-v1"
TINY = {
    "dqn": {"learning_starts": 50, "buffer_size": 1_000},
    "sac": {"learning_starts": 50, "buffer_size": 1_000},
    "td3": {"learning_starts": 50, "buffer_size": 1_000},
    "ppo": {"n_steps": 16, "batch_size": 32},
    "a2c": {"n_steps": 5},
}


@pytest.mark.parametrize("action_type", ["box", "discrete"])
@pytest.mark.parametrize("algo", sorted(TINY))
def test_every_algorithm_trains_acts_saves_and_loads(algo, action_type, tmp_path):
    target = EnvTarget(ENV_ID, {"action_type": action_type})
    agent = make_agent(algo, target, n_envs=2, hyperparams=TINY[algo])
    agent.fit(200, seed=0)
    env = target.make()
    observation, _ = env.reset(seed=0)
    action = agent.act(observation)
    assert env.action_space.contains(np.asarray(action, dtype=env.action_space.dtype))
    agent.save(tmp_path / algo)
    loaded = SB3Agent.load(tmp_path / algo)
    for _ in range(5):
        np.testing.assert_array_equal(loaded.act(observation), agent.act(observation))
        observation, *_ = env.step(agent.act(observation))


def test_adapter_choice_follows_the_algorithms_action_spaces():
    box = gym.spaces.Box(0.0, 10.0, (3,))
    unit = gym.spaces.Box(-1.0, 1.0, (3,))
    discrete = gym.spaces.Discrete(4)
    assert adapter_kind("dqn", box) == "discretize"
    assert adapter_kind("dqn", discrete) is None
    assert adapter_kind("sac", discrete) == "relax"
    assert adapter_kind("sac", box) == "normalize"
    assert adapter_kind("sac", unit) is None
    assert adapter_kind("ppo", discrete) is None
    with pytest.raises(ConfigError, match="no fieldgym adapter"):
        adapter_kind("dqn", gym.spaces.MultiBinary(3))


def test_learning_curve_and_evaluation_table():
    target = EnvTarget(ENV_ID)
    agent = make_agent("ppo", target, n_envs=4, hyperparams={"n_steps": 64, "batch_size": 64})
    agent.fit(1_024, seed=1)
    assert agent.learning_curve, "four copies of 100-period episodes must finish within 1024 steps"
    assert all(np.isfinite(row["episode_return"]) for row in agent.learning_curve)
    table = evaluate(agent, seeds=[0, 1])
    assert list(table["seed"]) == [0, 1]
    assert (table["agent"] == "ppo").all()
    assert table["avg_cost"].gt(0).all()


def test_unfitted_agent_says_so():
    agent = make_agent("dqn", EnvTarget(ENV_ID))
    with pytest.raises(RuntimeError, match="call fit"):
        agent.act(np.zeros(24, dtype=np.float32))
    with pytest.raises(ConfigError, match=r"Unknown agent 'dqm'.*Did you mean 'dqn'"):
        make_agent("dqm", EnvTarget(ENV_ID))


def test_vec_adapter_reports_terminal_observation_on_truncation():
    vector = gym.make_vec(ENV_ID, num_envs=3, max_episode_steps=4)
    sb3_env = GymnasiumVecEnv(vector)
    sb3_env.seed(0)
    first = sb3_env.reset()
    actions = np.full((3, 4), 10.0, dtype=np.float32)
    for _step in range(4):
        observations, rewards, dones, infos = sb3_env.step(actions)
        assert rewards.dtype == np.float32
    assert dones.all()
    for i in range(3):
        assert infos[i]["TimeLimit.truncated"] is True
        assert not np.array_equal(infos[i]["terminal_observation"], observations[i])
        np.testing.assert_array_equal(observations[i], first[i])  # the new episode's start


def test_vec_adapter_refuses_next_step_autoreset():
    sync = gym.make_vec(
        ENV_ID,
        num_envs=2,
        vectorization_mode="sync",
        vector_kwargs={"autoreset_mode": AutoresetMode.NEXT_STEP},
    )
    with pytest.raises(ConfigError, match="SAME_STEP"):
        GymnasiumVecEnv(sync)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"n_envs": 0}, r"n_envs=0 is not allowed; give a whole number >= 1"),
        ({"n_envs": "four"}, r"n_envs='four' is not allowed"),
        ({"levels": 1}, r"levels=1 is not allowed; give a whole number >= 2"),
        ({"policy": "MlpPolicyy"}, r"policy='MlpPolicyy' .* Did you mean 'MlpPolicy'"),
        ({"hyperparams": "fast"}, r"hyperparams='fast' is not a mapping"),
        (
            {"hyperparams": {"learning_rate": "lin_fast"}},
            r"learning_rate='lin_fast' is not a linear schedule; write 'lin_<start>'",
        ),
        (
            {"hyperparams": {"gamma": "lin_0.9"}},
            r"only learning_rate, clip_range, clip_range_vf take a linear schedule",
        ),
    ],
)
def test_bad_learner_parameters_are_refused_when_the_agent_is_made(params, message):
    with pytest.raises(ConfigError, match=message):
        make_agent("ppo", EnvTarget(ENV_ID), **params)


def test_make_agent_refuses_a_name_or_target_of_the_wrong_type():
    with pytest.raises(ConfigError, match=r"agent name 123 is not a string"):
        make_agent(123, EnvTarget(ENV_ID))
    with pytest.raises(ConfigError, match=r"the target must be an EnvTarget, such as EnvTarget\("):
        make_agent("random", ENV_ID)


@pytest.mark.parametrize(
    ("seeds", "max_steps", "message"),
    [
        (5, None, r"seeds=5 is not a collection of seeds"),
        ("10000:10010", None, r"is not a collection of seeds"),
        (None, None, r"seeds=None is not a collection"),
        (["a"], None, r"seeds: 'a' is not a seed"),
        ([1.5], None, r"seeds: 1.5 is not a seed"),
        ([-1], None, r"seeds: -1 is not a seed"),
        ([], None, r"seeds is empty"),
        ([0], 0, r"max_steps=0 is not allowed"),
        ([0], "ten", r"max_steps='ten' is not allowed"),
    ],
)
def test_evaluate_refuses_bad_seeds_and_lengths(seeds, max_steps, message):
    with pytest.raises(ConfigError, match=message):
        evaluate(make_agent("random", EnvTarget(ENV_ID)), seeds, max_steps=max_steps)


def test_evaluate_takes_any_collection_of_whole_seeds():
    policy = make_agent("random", EnvTarget(ENV_ID))
    table = evaluate(policy, np.arange(2), max_steps=np.int64(2))
    assert list(table["seed"]) == [0, 1] and list(table["length"]) == [2, 2]
    assert list(evaluate(policy, (s for s in [3.0]), max_steps=2)["seed"]) == [3]
