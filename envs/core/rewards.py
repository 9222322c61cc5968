"""Rewards as weighted sums of named parts, chosen by name or given as a callable.

A domain computes its reward parts each step (signed: a cost enters as a negative
part) and passes them, with the config's weights, to the reward function the user
chose. ``info["reward_parts"]`` carries the unweighted parts.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from fieldgym.envs.core.errors import ConfigError

RewardFn = Callable[[Mapping[str, np.ndarray], Mapping[str, float], Any], np.ndarray]
"""``reward(parts, weights, config) -> reward``; arrays are per copy (vector envs) or scalars."""


def weighted_sum(parts: Mapping[str, np.ndarray], weights: Mapping[str, float]) -> np.ndarray:
    """The sum of each part times its weight (weight 1 for parts without one)."""
    total = 0.0
    for name, value in parts.items():
        total = total + weights.get(name, 1.0) * value
    return total


def resolve_reward(reward: str | RewardFn, registry: Mapping[str, RewardFn]) -> RewardFn:
    """Return the reward function named ``reward``, or ``reward`` itself if callable.

    Raises:
        ConfigError: If ``reward`` is a name not in ``registry``; lists the valid names.
    """
    if callable(reward):
        return reward
    if reward not in registry:
        raise ConfigError(
            f"reward={reward!r} is not a known reward; choose one of: "
            f"{', '.join(sorted(registry))}, or pass a callable reward(parts, weights, config)."
        )
    return registry[reward]
