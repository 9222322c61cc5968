"""The contract every registered id keeps, checked with Gymnasium's and SB3's own checkers."""

from __future__ import annotations

import pickle

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env as gym_check_env
from stable_baselines3.common.env_checker import check_env as sb3_check_env

import fieldgym
from fieldgym.envs import ENVS

IDS = sorted(ENVS)


def test_import_registers_every_id():
    assert IDS, "the catalogue is empty"
    for env_id in IDS:
        assert env_id in gym.registry
    assert fieldgym.__version__


@pytest.mark.parametrize("env_id", IDS)
def test_gymnasium_check_env(env_id):
    env = gym.make(env_id, disable_env_checker=True)
    gym_check_env(env.unwrapped, skip_render_check=False)


@pytest.mark.parametrize("env_id", IDS)
def test_sb3_check_env(env_id):
    env = gym.make(env_id, disable_env_checker=True)
    sb3_check_env(env.unwrapped, warn=False)


def rollout(env: gym.Env, seed: int, steps: int) -> tuple[list[np.ndarray], list[float]]:
    observation, _ = env.reset(seed=seed)
    env.action_space.seed(seed)
    observations, rewards = [observation], []
    for _ in range(steps):
        observation, reward, terminated, truncated, _ = env.step(env.action_space.sample())
        observations.append(observation)
        rewards.append(reward)
        if terminated or truncated:
            observation, _ = env.reset()
    return observations, rewards


@pytest.mark.parametrize("env_id", IDS)
def test_same_seed_same_trajectory(env_id):
    first = rollout(gym.make(env_id), seed=3, steps=150)
    second = rollout(gym.make(env_id), seed=3, steps=150)
    other = rollout(gym.make(env_id), seed=4, steps=150)
    np.testing.assert_array_equal(np.stack(first[0]), np.stack(second[0]))
    assert first[1] == second[1]
    assert first[1] != other[1]


@pytest.mark.parametrize("env_id", IDS)
def test_env_pickles_mid_episode(env_id):
    env = gym.make(env_id)
    env.reset(seed=1)
    env.action_space.seed(1)
    for _ in range(5):
        env.step(env.action_space.sample())
    clone = pickle.loads(pickle.dumps(env))
    action = env.action_space.sample()
    a = env.step(action)
    b = clone.step(action)
    np.testing.assert_array_equal(a[0], b[0])
    assert a[1] == b[1]


@pytest.mark.parametrize("env_id", IDS)
def test_ten_thousand_random_steps_stay_finite_and_in_space(env_id):
    env = gym.make(env_id)
    observation, _ = env.reset(seed=0)
    env.action_space.seed(0)
    space = env.observation_space
    for _ in range(10_000):
        observation, reward, terminated, truncated, info = env.step(env.action_space.sample())
        assert np.all(np.isfinite(observation)), observation
        assert np.isfinite(reward)
        assert space.contains(observation), observation
        assert all(np.all(np.isfinite(v)) for v in info["kpi"].values())
        if terminated or truncated:
            observation, _ = env.reset()


@pytest.mark.parametrize("env_id", [i for i in IDS if ENVS[i].vector_entry_point])
def test_native_vector_env_matches_single_env(env_id):
    """One copy of the vector env, seeded alike, retraces the single env exactly."""
    single = gym.make(env_id)
    vector = gym.make_vec(env_id, num_envs=1)
    obs, _ = single.reset(seed=7)
    vobs, _ = vector.reset(seed=7)
    np.testing.assert_array_equal(vobs[0], obs)
    single.action_space.seed(7)
    steps = ENVS[env_id].max_episode_steps + 5
    for _ in range(steps):
        action = single.action_space.sample()
        obs, reward, terminated, truncated, _info = single.step(action)
        vobs, vreward, vterm, vtrunc, vinfo = vector.step(action[None])
        if terminated or truncated:
            np.testing.assert_array_equal(vinfo["final_obs"][0], obs)
            obs, _ = single.reset()
        np.testing.assert_array_equal(vobs[0], obs)
        assert vreward[0] == pytest.approx(reward)
        assert (vterm[0], vtrunc[0]) == (terminated, truncated)


@pytest.mark.parametrize("env_id", [i for i in IDS if ENVS[i].vector_entry_point])
def test_native_vector_env_is_a_gymnasium_vector_env(env_id):
    vector = gym.make_vec(env_id, num_envs=16)
    observations, _ = vector.reset(seed=0)
    assert vector.observation_space.contains(observations)
    vector.action_space.seed(0)
    observations, rewards, terminated, truncated, infos = vector.step(vector.action_space.sample())
    assert observations.shape == (16, *vector.single_observation_space.shape)
    assert rewards.shape == terminated.shape == truncated.shape == (16,)
    assert set(infos) >= {"kpi", "reward_parts"}
