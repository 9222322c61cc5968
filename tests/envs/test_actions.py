"""Every env checks its actions: shape, dtype, finiteness and bounds, with ``action_policy``.

Before these checks, out-of-space actions were remapped silently (driving 7 -> idle, 2.5 ->
a lane change; stock 5 -> long; execution 13 -> sell all; a traffic phase of -1 kept the
current phase), NaN actions poisoned inventory episodes and execution KPIs, TrafficGrid
accepted unknown and missing agents, and UAVOffloading raised a raw IndexError.
"""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
from gymnasium import spaces

import fieldgym
from fieldgym.envs import ENVS
from fieldgym.envs.core.actions import check_action, check_agent_actions
from fieldgym.envs.core.errors import ActionError, ConfigError

IDS = sorted(ENVS)


def outside(space: spaces.Space) -> np.ndarray | int:
    """A finite action just outside ``space``, in its last element."""
    if isinstance(space, spaces.Discrete):
        return int(space.start + space.n)
    if isinstance(space, spaces.MultiDiscrete):
        action = np.zeros(space.shape, dtype=np.int64)
        action.flat[-1] = space.nvec.flat[-1]
        return action
    action = ((space.low + space.high) / 2).astype(space.dtype)
    action.flat[-1] = space.high.flat[-1] + 1
    return action


def clipped(space: spaces.Space, action: np.ndarray | int) -> np.ndarray | int:
    if isinstance(space, spaces.Discrete):
        return int(space.start + space.n - 1)
    if isinstance(space, spaces.MultiDiscrete):
        return np.minimum(action, space.nvec - 1)
    return np.clip(action, space.low, space.high)


def not_finite(space: spaces.Space) -> np.ndarray | float:
    if isinstance(space, spaces.Discrete):
        return float("nan")
    action = np.zeros(space.shape, dtype=np.float64)
    action.flat[0] = np.nan
    return action


def wrong_shape(space: spaces.Space) -> np.ndarray:
    if isinstance(space, spaces.Discrete):
        return np.zeros(2, dtype=np.int64)
    return np.zeros((*space.shape, 2), dtype=space.dtype)


def first_step(env_id: str, action, **kwargs):
    env = gym.make(env_id, **kwargs)
    env.reset(seed=5)
    return env.step(action)


@pytest.mark.parametrize("env_id", IDS)
def test_every_env_refuses_out_of_space_nan_and_misshapen_actions(env_id):
    env = gym.make(env_id)
    env.reset(seed=5)
    space = env.action_space
    with pytest.raises(ActionError, match="action_policy='clip'"):
        env.step(outside(space))
    with pytest.raises(ActionError, match=r"finite|dtype"):
        env.step(not_finite(space))
    with pytest.raises(ActionError, match="shape"):
        env.step(wrong_shape(space))
    env.step(space.sample())  # a valid action still steps after the refusals


@pytest.mark.parametrize("env_id", IDS)
def test_clip_policy_steps_as_the_clipped_action_would(env_id):
    space = gym.make(env_id).action_space
    action = outside(space)
    got = first_step(env_id, action, action_policy="clip")
    want = first_step(env_id, clipped(space, action))
    np.testing.assert_array_equal(got[0], want[0])
    assert got[1] == want[1]
    with pytest.raises(ActionError, match=r"finite|dtype"):
        first_step(env_id, not_finite(space), action_policy="clip")


@pytest.mark.parametrize("env_id", IDS)
def test_vector_envs_name_the_copy_with_the_bad_action(env_id):
    vec = gym.make_vec(env_id, num_envs=3, vectorization_mode="vector_entry_point")
    vec.reset(seed=5)
    actions = vec.action_space.sample()
    single = vec.single_action_space
    bad = np.array(actions, copy=True)
    if isinstance(single, spaces.Discrete):
        bad[1] = outside(single)
        where = r"actions\[1\]"
    else:
        bad[1] = outside(single)
        where = r"actions\[1, "
    with pytest.raises(ActionError, match=where):
        vec.step(bad)
    with pytest.raises(ActionError, match="shape"):
        vec.step(np.asarray(actions)[:2])
    vec.step(actions)


@pytest.mark.parametrize("env_id", sorted(fieldgym.envs.PARALLEL_ENVS))
def test_multi_agent_envs_refuse_unknown_missing_and_invalid_agents_actions(env_id):
    env = fieldgym.make_parallel(env_id)
    env.reset(seed=0)
    actions = {agent: env.action_space(agent).sample() for agent in env.agents}
    first = env.agents[0]
    with pytest.raises(ActionError, match=r"not live agents"):
        env.step({**actions, "intruder": actions[first]})
    with pytest.raises(ActionError, match=rf"leave out \['{first}'\]"):
        env.step({agent: a for agent, a in actions.items() if agent != first})
    with pytest.raises(ActionError, match=rf"actions\['{first}'\]"):
        env.step({**actions, first: outside(env.action_space(first))})
    with pytest.raises(ActionError, match="dict from agent name"):
        env.step([actions[agent] for agent in env.agents])
    env.step(actions)


def test_a_valid_action_is_returned_unchanged():
    box = spaces.Box(0.0, 1.0, (3,), np.float32)
    action = np.array([0.0, 0.5, 1.0], dtype=np.float32)
    assert check_action(box, action) is action
    assert check_action(spaces.Discrete(4), np.int64(3)) == 3
    assert check_action(spaces.Discrete(4), np.array(2)) == 2
    # a float64 value that rounds to the float32 bound is inside the float32 space
    assert check_action(box, np.array([0.0, 0.5, 1.0 + 1e-12])) is not None


def test_discrete_actions_must_be_integers_and_clip_to_the_ends():
    space = spaces.Discrete(5)
    for action in (2.5, True, "1", np.array([1, 2])):
        with pytest.raises(ActionError):
            check_action(space, action)
    assert check_action(space, 7, "clip") == 4
    assert check_action(space, -1, "clip") == 0
    with pytest.raises(ActionError, match=r"action=7 is outside Discrete\(5\) \(allowed 0 to 4\)"):
        check_action(space, 7)


def test_multi_discrete_and_box_errors_name_the_element_and_the_bound():
    md = spaces.MultiDiscrete([3, 3])
    with pytest.raises(ActionError, match=r"action\[1\] = 3 is above the upper bound 2"):
        check_action(md, np.array([0, 3]))
    np.testing.assert_array_equal(check_action(md, np.array([0, 3]), "clip"), [0, 2])
    box = spaces.Box(-1.0, 1.0, (2, 2), np.float32)
    with pytest.raises(ActionError, match=r"action\[1, 0\] = -2.0 is below the lower bound -1.0"):
        check_action(box, np.array([[0.0, 0.0], [-2.0, 0.0]]))
    with pytest.raises(ActionError, match=r"action\[0, 1\] is inf"):
        check_action(box, np.array([[0.0, np.inf], [0.0, 0.0]]), "clip")


def test_agent_actions_are_checked_against_each_agents_space():
    space_of = {"a": spaces.Discrete(2), "b": spaces.Discrete(3)}.__getitem__
    assert check_agent_actions({"a": 1, "b": 2}, ["a", "b"], space_of) == {"a": 1, "b": 2}
    with pytest.raises(ActionError, match=r"actions\['a'\]=2 is outside"):
        check_agent_actions({"a": 2, "b": 2}, ["a", "b"], space_of)


def test_action_policy_is_validated_like_any_config_field():
    with pytest.raises(ConfigError, match="action_policy='wrap' is not allowed"):
        gym.make("fieldgym/MultiEchelonInventory-v1", action_policy="wrap")
