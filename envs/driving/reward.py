"""Named reward functions of the driving environments (the parts are in :mod:`.control`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fieldgym.envs.core.rewards import RewardFn, weighted_sum


def weighted_reward(parts: Mapping[str, Any], weights: Mapping[str, float], config: Any) -> Any:
    """The sum of the signed parts times their weights (``reward_weights``)."""
    return weighted_sum(parts, weights)


REWARDS: dict[str, RewardFn] = {"weighted": weighted_reward}
