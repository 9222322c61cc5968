"""Native vector envs against gymnasium's SyncVectorEnv, in a CleanRL-style loop.

With one copy, a native vector env and ``SyncVectorEnv`` over the single env must give
the same observations, rewards, terminations, truncations, final observations and
``final_info`` at every step, auto-resets included. Before, native envs returned no
``final_info`` and the execution and market-making ones ignored ``max_episode_steps``.
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.vector import AutoresetMode

from fieldgym.envs import ENVS

IDS = sorted(ENVS)
LIMIT = 7
"""A step limit short enough that every id auto-resets several times in the loop."""


def leaves(infos: dict[str, Any], prefix: str = "") -> dict[str, np.ndarray]:
    """Every numeric leaf of batched infos by its path, masks (``_key``) included."""
    out: dict[str, np.ndarray] = {}
    for key, value in infos.items():
        if isinstance(value, dict):
            out.update(leaves(value, f"{prefix}{key}/"))
        elif np.asarray(value).dtype.kind in "biuf":
            out[f"{prefix}{key}"] = np.asarray(value)
    return out


def loop(env: gym.vector.VectorEnv, seed: int, steps: int) -> list[tuple]:
    """CleanRL's loop: reset once with a seed, then step on sampled actions."""
    observations, _ = env.reset(seed=seed)
    env.single_action_space.seed(seed)
    trace = []
    for _ in range(steps):
        action = env.single_action_space.sample()
        step = env.step(np.asarray(action)[None])
        observations, rewards, terminated, truncated, infos = step
        final = infos.get("final_info", {})
        trace.append((observations, rewards, terminated, truncated, final, infos))
    return trace


@pytest.mark.parametrize("env_id", IDS)
def test_one_native_copy_steps_as_sync_vector_env_does(env_id):
    kwargs = {"num_envs": 1, "max_episode_steps": LIMIT}
    native = gym.make_vec(env_id, vectorization_mode="vector_entry_point", **kwargs)
    same_step = {"autoreset_mode": AutoresetMode.SAME_STEP}
    sync = gym.make_vec(env_id, vectorization_mode="sync", vector_kwargs=same_step, **kwargs)
    finished = 0
    for got, want in zip(loop(native, 11, 3 * LIMIT), loop(sync, 11, 3 * LIMIT), strict=True):
        np.testing.assert_array_equal(got[0], want[0])
        np.testing.assert_array_equal(got[1], want[1])
        np.testing.assert_array_equal(got[2], want[2])
        np.testing.assert_array_equal(got[3], want[3])
        if want[2][0] or want[3][0]:
            finished += 1
            np.testing.assert_array_equal(got[5]["final_obs"][0], want[5]["final_obs"][0])
            np.testing.assert_array_equal(got[5]["_final_info"], want[5]["_final_info"])
            mine, theirs = leaves(got[4]), leaves(want[4])
            for path in ("kpi", "reward_parts"):
                assert (path in got[4]) == (path in want[4]), path
            shared = [p for p in theirs if p in mine]
            assert shared, "final_info has no key in common with SyncVectorEnv's"
            for p in shared:
                np.testing.assert_allclose(mine[p], theirs[p], rtol=1e-6, err_msg=p)
        else:
            assert "final_info" not in got[5]
    assert finished >= 2, "the loop never auto-reset; shorten LIMIT"


def test_a_list_of_seeds_seeds_as_sync_vector_env_derives_it_or_is_refused():
    """A list of seeds used to seed the batch with its first element and drop the rest."""
    env_id = "fieldgym/MultiEchelonInventory-v1"
    vec = gym.make_vec(env_id, num_envs=3, vectorization_mode="vector_entry_point")
    vec.reset(seed=5)
    as_int = vec.step(np.ones((3, 4)))[0]
    vec.reset(seed=[5, 6, 7])
    np.testing.assert_array_equal(as_int, vec.step(np.ones((3, 4)))[0])
    vec.reset(seed=[5, 9, 7])  # was read as seed=5
    assert not np.array_equal(as_int, vec.step(np.ones((3, 4)))[0])
    for bad in ([5, 6], [5, 6, -1], [5, 6, 7.5]):
        with pytest.raises(ValueError, match="one non-negative integer per copy"):
            vec.reset(seed=bad)


@pytest.mark.parametrize("env_id", IDS)
def test_a_bad_number_of_copies_is_refused_before_the_simulator_is_sized(env_id):
    """num_envs='two' reached the simulators, which raised TypeErrors of their own."""
    for bad in ("two", 0, -3, 2.0):
        with pytest.raises(ValueError, match="num_envs must be a positive integer"):
            gym.make_vec(env_id, num_envs=bad, vectorization_mode="vector_entry_point")
