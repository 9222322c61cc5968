"""Action adapters that let every standard agent run on every environment.

- :class:`DiscretizeAction` turns a ``Box`` or ``MultiDiscrete`` action space into one
  ``Discrete`` space (for DQN): a ``Box`` becomes a grid of ``levels`` points per
  dimension, a ``MultiDiscrete`` the product of its choices.
- :class:`RelaxAction` turns a ``Discrete`` or ``MultiDiscrete`` space into a ``Box``
  of scores in [-1, 1] (for SAC and TD3), decoded by argmax (per sub-space).
- :class:`NormalizeAction` maps a bounded ``Box`` onto [-1, 1] (for PPO, A2C, SAC and
  TD3, whose Gaussian or squashed policies start centred on 0 with unit scale).

The mapping lives in :class:`ActionCodec`, used by both the single-env wrappers here
and the vector-env wrappers, so the two cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Sequence

import gymnasium as gym
import numpy as np
from gymnasium import spaces
from gymnasium.vector import VectorActionWrapper, VectorEnv

from fieldgym.envs.core.errors import ConfigError

MAX_DISCRETE_ACTIONS = 100_000
"""Largest product of choices :class:`DiscretizeAction` accepts (DQN's output layer size)."""


class ActionCodec:
    """Maps between an agent's action space and an environment's action space.

    Args:
        env_space: The environment's action space.
        kind: ``"discretize"`` (to ``Discrete``), ``"relax"`` (to ``Box``) or
            ``"normalize"`` (bounded ``Box`` to ``Box(-1, 1)``).
        levels: Grid points per dimension when discretizing a ``Box``: one int for all
            dimensions or one per dimension.
    """

    def __init__(self, env_space: spaces.Space, kind: str, levels: int | Sequence[int] = 5) -> None:
        self.env_space = env_space
        self.kind = kind
        if kind == "discretize":
            self.agent_space, self._grid = _discretize(env_space, levels)
        elif kind == "relax":
            self.agent_space, self._splits = _relax(env_space)
        elif kind == "normalize":
            if not isinstance(env_space, spaces.Box) or not env_space.is_bounded("both"):
                raise ConfigError(
                    f"NormalizeAction needs a Box with finite bounds, got {env_space}."
                )
            self.agent_space = spaces.Box(-1.0, 1.0, shape=env_space.shape, dtype=np.float32)
        else:
            raise ConfigError(
                f"adapter kind={kind!r} is not allowed; use 'discretize', 'relax' or 'normalize'."
            )

    def decode(self, action: np.ndarray) -> np.ndarray:
        """Map a batch of agent actions (first axis: copies) to environment actions."""
        action = np.asarray(action)
        if self.kind == "normalize":
            low, high = self.env_space.low, self.env_space.high
            unit = (np.clip(action, -1.0, 1.0) + 1.0) / 2.0
            return (low + unit * (high - low)).astype(self.env_space.dtype)
        if self.kind == "discretize":
            index = np.unravel_index(action.astype(np.int64), [len(g) for g in self._grid])
            if isinstance(self.env_space, spaces.MultiDiscrete):
                return np.stack(index, axis=-1).astype(self.env_space.dtype)
            columns = [grid[i] for grid, i in zip(self._grid, index, strict=True)]
            return np.stack(columns, axis=-1).astype(self.env_space.dtype)
        pieces = np.split(action, self._splits, axis=-1)
        if isinstance(self.env_space, spaces.Discrete):
            return (np.argmax(pieces[0], axis=-1) + self.env_space.start).astype(np.int64)
        chosen = [np.argmax(piece, axis=-1) for piece in pieces]
        return (np.stack(chosen, axis=-1) + self.env_space.start).astype(self.env_space.dtype)

    def decode_one(self, action: np.ndarray | int) -> np.ndarray | int:
        """Map a single agent action to an environment action."""
        decoded = self.decode(np.asarray(action)[None, ...])[0]
        return int(decoded) if isinstance(self.env_space, spaces.Discrete) else decoded


def _discretize(
    space: spaces.Space, levels: int | Sequence[int]
) -> tuple[spaces.Discrete, list[np.ndarray]]:
    if isinstance(space, spaces.MultiDiscrete):
        if space.nvec.ndim != 1:
            raise ConfigError("DiscretizeAction supports one-dimensional MultiDiscrete spaces.")
        grid = [np.arange(n) for n in space.nvec]
    elif isinstance(space, spaces.Box):
        if len(space.shape) != 1 or not (space.is_bounded("both")):
            raise ConfigError(
                f"DiscretizeAction needs a one-dimensional Box with finite bounds, got {space}."
            )
        n = space.shape[0]
        per_dim = [levels] * n if isinstance(levels, int) else list(levels)
        if len(per_dim) != n or any(int(k) < 2 for k in per_dim):
            raise ConfigError(
                f"levels={levels!r} is not allowed for a Box of {n} dimensions; give an int "
                f">= 2 or a list of {n} ints >= 2."
            )
        grid = [
            np.linspace(lo, hi, int(k))
            for lo, hi, k in zip(space.low, space.high, per_dim, strict=True)
        ]
    else:
        raise ConfigError(f"DiscretizeAction supports Box and MultiDiscrete spaces, got {space}.")
    total = int(np.prod([len(g) for g in grid], dtype=np.float64))
    if total > MAX_DISCRETE_ACTIONS:
        raise ConfigError(
            f"Discretizing {space} gives {total} actions, more than {MAX_DISCRETE_ACTIONS}; "
            "use fewer levels per dimension (the discretizer's 'levels')."
        )
    return spaces.Discrete(total), grid


def _relax(space: spaces.Space) -> tuple[spaces.Box, list[int]]:
    if isinstance(space, spaces.Discrete):
        sizes = [int(space.n)]
    elif isinstance(space, spaces.MultiDiscrete) and space.nvec.ndim == 1:
        sizes = [int(n) for n in space.nvec]
    else:
        raise ConfigError(f"RelaxAction supports Discrete and MultiDiscrete spaces, got {space}.")
    splits = list(np.cumsum(sizes)[:-1])
    return spaces.Box(-1.0, 1.0, shape=(sum(sizes),), dtype=np.float32), splits


class _CodecWrapper(gym.ActionWrapper):
    kind = ""

    def __init__(self, env: gym.Env, levels: int | Sequence[int] = 5) -> None:
        super().__init__(env)
        self.codec = ActionCodec(env.action_space, self.kind, levels)
        self.action_space = self.codec.agent_space

    def action(self, action: np.ndarray | int) -> np.ndarray | int:
        return self.codec.decode_one(action)


class DiscretizeAction(_CodecWrapper):
    """Box or MultiDiscrete action space to one Discrete space (grid of ``levels`` per Box dim)."""

    kind = "discretize"


class RelaxAction(_CodecWrapper):
    """Discrete or MultiDiscrete action space to a Box of scores, decoded by argmax."""

    kind = "relax"


class NormalizeAction(_CodecWrapper):
    """A bounded Box action space mapped linearly onto [-1, 1]."""

    kind = "normalize"


class _VectorCodecWrapper(VectorActionWrapper):
    kind = ""

    def __init__(self, env: VectorEnv, levels: int | Sequence[int] = 5) -> None:
        super().__init__(env)
        self.codec = ActionCodec(env.single_action_space, self.kind, levels)
        self.single_action_space = self.codec.agent_space
        self.action_space = gym.vector.utils.batch_space(self.codec.agent_space, env.num_envs)

    def actions(self, actions: np.ndarray) -> np.ndarray:
        return self.codec.decode(actions)


class VectorDiscretizeAction(_VectorCodecWrapper):
    """:class:`DiscretizeAction` for a natively vectorized environment."""

    kind = "discretize"


class VectorRelaxAction(_VectorCodecWrapper):
    """:class:`RelaxAction` for a natively vectorized environment."""

    kind = "relax"


class VectorNormalizeAction(_VectorCodecWrapper):
    """:class:`NormalizeAction` for a natively vectorized environment."""

    kind = "normalize"


VECTOR_WRAPPERS: dict[str, type[_VectorCodecWrapper]] = {
    "discretize": VectorDiscretizeAction,
    "relax": VectorRelaxAction,
    "normalize": VectorNormalizeAction,
}
"""The vector-env wrapper of each adapter kind."""
