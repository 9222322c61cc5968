"""The check every fieldgym env applies to the actions it is given, before stepping.

An action must have the space's shape, a numeric dtype (integers for ``Discrete`` and
``MultiDiscrete``), finite values and lie inside the space. What happens to a finite
action outside the space is the env's ``action_policy`` (a field of every config):

* ``"raise"`` (the default): :class:`ActionError` naming the offending element, its value
  and the bounds;
* ``"clip"``: the action is clipped into the space (``Box`` to ``[low, high]``,
  ``Discrete`` and ``MultiDiscrete`` to their first and last values).

Wrong shapes, wrong dtypes and NaN or infinite values raise under both policies: there is
no element of the space they could stand for. A valid action is returned unchanged (same
values, same object), so checking never alters what an env does with it.

Vector envs check the whole batch against their batched space, so the error names the
copy (the first index); multi-agent envs check each agent's action against its space.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from gymnasium import spaces

from fieldgym.envs.core.errors import ActionError

ACTION_POLICIES = ("raise", "clip")
"""What an env does with a finite action outside its space: raise an error, or clip it."""


def check_action(space: spaces.Space, action: Any, policy: str = "raise", name: str = "action"):
    """``action`` checked against ``space``: returned as is, or clipped under ``"clip"``.

    Args:
        space: A ``Discrete``, ``MultiDiscrete`` or ``Box`` space (a vector env's batched
            space too).
        action: What the caller gave ``step``.
        policy: ``"raise"`` or ``"clip"`` (see the module docstring).
        name: How the error names the action (``"action"``, ``"actions"``, an agent).

    Raises:
        ActionError: On a wrong shape or dtype, a NaN or infinite value, or (under
            ``"raise"``) a value outside the space.
    """
    if isinstance(space, spaces.Discrete):
        return _check_discrete(space, action, policy, name)
    if isinstance(space, spaces.MultiDiscrete):
        return _check_integers(action, space.start, space.start + space.nvec - 1, policy, name)
    if isinstance(space, spaces.Box):
        return _check_box(space, action, policy, name)
    raise TypeError(f"check_action does not handle {type(space).__name__} spaces.")


def _check_discrete(space: spaces.Discrete, action: Any, policy: str, name: str) -> int | Any:
    if isinstance(action, int | np.integer) and not isinstance(action, bool | np.bool_):
        value = int(action)
    else:
        array = _numeric_array(action, name, integer=True)
        if array.shape != ():
            raise ActionError(
                f"{name} has shape {array.shape}, but the space is {space}: give one integer."
            )
        value = int(array)
    first, last = int(space.start), int(space.start + space.n - 1)
    if first <= value <= last:
        return action
    if policy == "clip":
        return min(max(value, first), last)
    raise ActionError(
        f"{name}={value} is outside {space} (allowed {first} to {last}); "
        "pass action_policy='clip' to clip actions into the space instead."
    )


def _check_integers(
    action: Any, low: np.ndarray, high: np.ndarray, policy: str, name: str
) -> np.ndarray:
    array = _numeric_array(action, name, integer=True)
    _check_shape(array, low.shape, name)
    if within(array, low, high):
        return action
    return _check_bounds(array, action, low, high, policy, name)


def _check_box(space: spaces.Box, action: Any, policy: str, name: str) -> Any:
    array = _numeric_array(action, name, integer=False)
    _check_shape(array, space.shape, name)
    if within(array, space.low, space.high):
        return action  # the common case; NaN is never within, so it goes on to the errors
    if array.dtype.kind == "f" and not np.isfinite(array).all():
        where = _first(~np.isfinite(array))
        raise ActionError(
            f"{name}{_index(where)} is {array[where]}: actions must be finite numbers "
            f"(check the policy's output for NaN or overflow)."
        )
    return _check_bounds(array, action, space.low, space.high, policy, name)


def _check_bounds(
    array: np.ndarray, action: Any, low: np.ndarray, high: np.ndarray, policy: str, name: str
) -> Any:
    """``action`` if every element is in ``[low, high]``, else clipped or an error.

    Bounds are compared in float64 after rounding the action to the space's precision
    for ``float32`` boxes, so an action a float32 space holds is never refused.
    """
    values = array.astype(low.dtype) if low.dtype.kind == "f" else array
    below, above = values < low, values > high
    if not (below.any() or above.any()):
        return action
    if policy == "clip":
        return np.clip(array, low, high)
    where = _first(below | above)
    side = "below the lower bound" if below[where] else "above the upper bound"
    bound = low[where] if below[where] else high[where]
    raise ActionError(
        f"{name}{_index(where)} = {array[where]} is {side} {bound} of the action space; "
        "pass action_policy='clip' to clip actions into the space instead."
    )


def _within(array: np.ndarray, low: np.ndarray, high: np.ndarray) -> bool:
    """Whether every element lies in its ``[low, high]`` (false for NaN).

    One compiled pass: numpy's comparisons cost several microseconds per step on the small
    actions of a single env, a tenth of a fast env's step.
    """
    for i in range(array.size):
        value = array.flat[i]
        if not (value >= low.flat[i] and value <= high.flat[i]):
            return False
    return True


_compiled_within: Any = None


def within(array: np.ndarray, low: np.ndarray, high: np.ndarray) -> bool:
    """:func:`_within`, compiled at the first call (importing fieldgym needs no numba)."""
    global _compiled_within
    if _compiled_within is None:
        from numba import njit

        _compiled_within = njit(cache=True)(_within)
    return _compiled_within(array, low, high)


def _numeric_array(action: Any, name: str, integer: bool) -> np.ndarray:
    """``action`` as an array of integers (``integer``) or of real numbers, else an error."""
    try:
        array = np.asarray(action)
    except (TypeError, ValueError) as error:  # ragged lists, say
        raise ActionError(f"{name} {action!r} is not an array of numbers: {error}") from None
    allowed = "iu" if integer else "iuf"
    if array.dtype.kind not in allowed:
        wanted = "integers" if integer else "real numbers"
        raise ActionError(
            f"{name} has dtype {array.dtype} ({action!r:.60}), but this action space takes "
            f"{wanted}."
        )
    return array


def _check_shape(array: np.ndarray, shape: tuple[int, ...], name: str) -> None:
    if array.shape != tuple(shape):
        raise ActionError(f"{name} has shape {array.shape}, but the action space's is {shape}.")


def _first(mask: np.ndarray) -> tuple[int, ...]:
    """The index of the first true element of ``mask``."""
    return tuple(int(i) for i in np.argwhere(mask)[0])


def _index(where: tuple[int, ...]) -> str:
    return f"[{', '.join(map(str, where))}]" if where else ""


def check_agent_actions(
    actions: Any, agents: list[str], space_of: Any, policy: str = "raise"
) -> dict[str, Any]:
    """A multi-agent env's ``actions``: one valid action for each live agent, no other key.

    Args:
        actions: What the caller gave ``step``: a mapping from agent name to action.
        agents: The live agents (``env.agents``), each of which must act.
        space_of: ``env.action_space``, the function from agent name to its space.
        policy: ``"raise"`` or ``"clip"``, applied to each agent's action.

    Raises:
        ActionError: If ``actions`` is not a mapping, names an agent that is not live,
            leaves one out, or holds an invalid action (see :func:`check_action`).
    """
    if not hasattr(actions, "keys"):
        raise ActionError(
            f"actions must be a dict from agent name to action, got {type(actions).__name__}."
        )
    unknown = [agent for agent in actions if agent not in agents]
    if unknown:
        raise ActionError(
            f"actions name {unknown}, which are not live agents; the agents are {agents}."
        )
    missing = [agent for agent in agents if agent not in actions]
    if missing:
        raise ActionError(f"actions leave out {missing}: every live agent must act each step.")
    return {
        agent: check_action(space_of(agent), actions[agent], policy, f"actions[{agent!r}]")
        for agent in agents
    }
