"""Native vector envs against gymnasium's SyncVectorEnv, in a CleanRL-style loop.

With any number of copies, a native vector env and ``SyncVectorEnv`` over single envs
must give the same observations, rewards, terminations, truncations, final observations
and infos at every step, auto-resets included, in same-step and next-step autoreset
mode. Before, native envs returned no ``final_info``, the execution and market-making
ones ignored ``max_episode_steps``, copies shared one random stream (so only one copy
agreed) and next-step autoreset did not exist.
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
    """CleanRL's loop: reset once with a seed, then step on sampled actions.

    The actions are drawn from the single action space seeded with ``seed``, one per copy
    in copy order, so that two vector envs with as many copies get the same actions.
    """
    observations, _ = env.reset(seed=seed)
    env.single_action_space.seed(seed)
    trace = []
    for _ in range(steps):
        actions = [env.single_action_space.sample() for _ in range(env.num_envs)]
        step = env.step(np.stack([np.asarray(a) for a in actions]))
        observations, rewards, terminated, truncated, infos = step
        final = infos.get("final_info", {})
        trace.append((observations, rewards, terminated, truncated, final, infos))
    return trace


def make_pair(env_id: str, num_envs: int, mode: AutoresetMode) -> tuple[Any, Any]:
    """The native vector env and SyncVectorEnv over single envs, both in ``mode``."""
    kwargs = {"num_envs": num_envs, "max_episode_steps": LIMIT}
    native = gym.make_vec(
        env_id, vectorization_mode="vector_entry_point", autoreset_mode=mode, **kwargs
    )
    sync = gym.make_vec(
        env_id, vectorization_mode="sync", vector_kwargs={"autoreset_mode": mode}, **kwargs
    )
    return native, sync


def assert_infos_agree(mine: dict[str, Any], theirs: dict[str, Any]) -> None:
    """Every value SyncVectorEnv reports (its ``_key`` mask true) is in ours, equal."""
    mine, theirs = leaves(mine), leaves(theirs)
    for path, value in theirs.items():
        head, _, key = path.rpartition("/")
        if key.startswith("_"):
            continue
        mask = theirs.get(f"{head}/_{key}" if head else f"_{key}")
        assert path in mine, path
        rows = np.ones(len(value), dtype=bool) if mask is None else mask
        np.testing.assert_allclose(mine[path][rows], value[rows], rtol=1e-6, err_msg=path)


@pytest.mark.parametrize("num_envs", [1, 4, 64])
@pytest.mark.parametrize("env_id", IDS)
def test_native_copies_step_as_sync_vector_env_seeds_and_steps_them(env_id, num_envs):
    """Copy i retraces a single env seeded s + i, for any number of copies.

    Before, the copies shared one random stream: only with one copy did the native env
    agree with SyncVectorEnv.
    """
    native, sync = make_pair(env_id, num_envs, AutoresetMode.SAME_STEP)
    finished = 0
    for got, want in zip(loop(native, 11, 3 * LIMIT), loop(sync, 11, 3 * LIMIT), strict=True):
        for k in range(4):
            np.testing.assert_array_equal(got[k], want[k])
        if (want[2] | want[3]).any():
            finished += 1
            ended = want[2] | want[3]
            np.testing.assert_array_equal(got[5]["_final_obs"], want[5]["_final_obs"])
            for i in np.flatnonzero(ended):  # SyncVectorEnv's final_obs holds objects
                np.testing.assert_array_equal(got[5]["final_obs"][i], want[5]["final_obs"][i])
            np.testing.assert_array_equal(got[5]["_final_info"], want[5]["_final_info"])
            for path in ("kpi", "reward_parts"):
                assert (path in got[4]) == (path in want[4]), path
            assert_infos_agree(got[4], want[4])
        else:
            assert "final_info" not in got[5]
    assert finished >= 2, "the loop never auto-reset; shorten LIMIT"


@pytest.mark.parametrize("num_envs", [1, 4])
@pytest.mark.parametrize("env_id", IDS)
def test_next_step_autoreset_steps_as_sync_vector_env_does(env_id, num_envs):
    """make_vec(..., autoreset_mode=NEXT_STEP) used to be refused by every native env.

    The step after an episode ends returns the new episode's first observation and its
    reset info, reward 0 and neither flag, whatever the action; SyncVectorEnv is the oracle.
    """
    native, sync = make_pair(env_id, num_envs, AutoresetMode.NEXT_STEP)
    assert native.metadata["autoreset_mode"] == AutoresetMode.NEXT_STEP
    restarts = 0
    previous = np.zeros(num_envs, dtype=bool)
    for got, want in zip(loop(native, 3, 3 * LIMIT), loop(sync, 3, 3 * LIMIT), strict=True):
        for k in range(4):
            np.testing.assert_array_equal(got[k], want[k])
        assert "final_obs" not in got[5]
        assert_infos_agree(got[5], want[5])
        restarts += int(previous.sum())
        assert not got[1][previous].any()
        previous = want[2] | want[3]
    assert restarts >= 2, "the loop never auto-reset; shorten LIMIT"


def test_a_list_of_seeds_seeds_each_copy_as_sync_vector_env_does_or_is_refused():
    """A list of seeds used to seed the batch with its first element and drop the rest."""
    env_id = "fieldgym/MultiEchelonInventory-v1"
    vec = gym.make_vec(env_id, num_envs=3, vectorization_mode="vector_entry_point")
    vec.reset(seed=5)
    as_int = vec.step(np.ones((3, 4)))[0]
    vec.reset(seed=[5, 6, 7])
    np.testing.assert_array_equal(as_int, vec.step(np.ones((3, 4)))[0])
    vec.reset(seed=[5, 9, 7])
    swapped = vec.step(np.ones((3, 4)))[0]
    np.testing.assert_array_equal(swapped[[0, 2]], as_int[[0, 2]])
    single = gym.make(env_id)
    single.reset(seed=9)
    np.testing.assert_array_equal(swapped[1], single.step(np.ones(4))[0])
    for bad in ([5, 6], [5, 6, -1], [5, 6, 7.5]):
        with pytest.raises(ValueError, match=r"one non-negative integer .* per copy"):
            vec.reset(seed=bad)


def test_an_unsupported_autoreset_mode_is_refused_with_the_supported_ones_named():
    with pytest.raises(ValueError, match=r"SAME_STEP.*NEXT_STEP"):
        gym.make_vec(
            "fieldgym/StockTrading-v1",
            vectorization_mode="vector_entry_point",
            autoreset_mode=AutoresetMode.DISABLED,
        )


@pytest.mark.parametrize("env_id", IDS)
def test_a_bad_number_of_copies_is_refused_before_the_simulator_is_sized(env_id):
    """num_envs='two' reached the simulators, which raised TypeErrors of their own."""
    for bad in ("two", 0, -3, 2.0):
        with pytest.raises(ValueError, match="num_envs must be a positive integer"):
            gym.make_vec(env_id, num_envs=bad, vectorization_mode="vector_entry_point")
