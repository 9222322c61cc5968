"""Named rewards of the single-stock environment, its reward parts and per-step KPIs."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from fieldgym.envs.core.rewards import RewardFn
from fieldgym.envs.trading.stock.dynamics import RECORD

PARTS = ("log_return", "pnl", "differential_sharpe")
"""Reward parts, each a column of the step record; costs and slippage are inside all three."""


def log_return_reward(parts: Mapping[str, Any], weights: Mapping[str, float], config: Any) -> Any:
    """Log growth of wealth over the bar, after commission and slippage."""
    return weights.get("log_return", 1.0) * parts["log_return"]


def pnl_reward(parts: Mapping[str, Any], weights: Mapping[str, float], config: Any) -> Any:
    """Change of wealth over the bar in currency units, after commission and slippage."""
    return weights.get("pnl", 1.0) * parts["pnl"]


def differential_sharpe_reward(
    parts: Mapping[str, Any], weights: Mapping[str, float], config: Any
) -> Any:
    """Moody and Saffell's differential Sharpe ratio of the bar's net return."""
    return weights.get("differential_sharpe", 1.0) * parts["differential_sharpe"]


REWARDS: dict[str, RewardFn] = {
    "log_return": log_return_reward,
    "pnl": pnl_reward,
    "differential_sharpe": differential_sharpe_reward,
}


def reward_parts(record: np.ndarray) -> dict[str, np.ndarray]:
    """Every reward part, one value per copy (views of the record's columns)."""
    return {part: record[:, RECORD.index(part)] for part in PARTS}


def step_kpis(record: np.ndarray) -> dict[str, np.ndarray]:
    """Per copy, views of the step's record (``value``: wealth over initial wealth)."""
    return {name: record[:, k] for k, name in enumerate(RECORD)}
