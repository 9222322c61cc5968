"""Named reward functions of the inventory environment and its per-step KPIs."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from fieldgym.envs.core.rewards import RewardFn, weighted_sum
from fieldgym.envs.inventory.config import InventoryConfig
from fieldgym.envs.inventory.state import COST_PARTS


def cost_reward(parts: Mapping[str, Any], weights: Mapping[str, float], config: Any) -> Any:
    """Minus the period's weighted total cost (the parts are already negative costs)."""
    return weighted_sum(parts, weights)


def scaled_cost_reward(parts: Mapping[str, Any], weights: Mapping[str, float], config: Any) -> Any:
    """:func:`cost_reward` divided by :func:`cost_scale`, so that rewards are of order one."""
    return weighted_sum(parts, weights) / cost_scale(config)


def cost_scale(config: InventoryConfig) -> float:
    """Mean customer demand per period times the largest unit cost of the system."""
    demand = config.demand_mean * len(config.customer_stages)
    unit = max(*config.local_holding_costs, config.backorder_cost)
    return max(demand * unit, 1e-9)


REWARDS: dict[str, RewardFn] = {"cost": cost_reward, "scaled_cost": scaled_cost_reward}


def reward_parts(record: np.ndarray, columns: Mapping[str, int | slice]) -> dict[str, np.ndarray]:
    """The signed reward parts (minus each cost), one value per copy, from a step's record."""
    first = columns[f"{COST_PARTS[0]}_cost"]
    negated = -record[:, first : first + len(COST_PARTS)]
    return {name: negated[:, k] for k, name in enumerate(COST_PARTS)}


def step_kpis(record: np.ndarray, columns: Mapping[str, int | slice]) -> dict[str, np.ndarray]:
    """The raw per-step quantities of every copy (first axis), as views of the step's record.

    ``on_hand``, ``backorders`` and ``orders`` are per stage; ``customer_demand`` is per
    customer-facing stage; ``demand`` is their sum; the rest are per copy.
    """
    kpis = {name: record[:, column] for name, column in columns.items()}
    kpis["demand"] = kpis["customer_demand"].sum(axis=1)
    return kpis
