"""Named rewards of the portfolio environment, its reward parts and per-step KPIs."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from fieldgym.envs.core.rewards import RewardFn
from fieldgym.envs.trading.portfolio.dynamics import RECORD

PART_COLUMNS = {
    "log_return": RECORD.index("log_return"),
    "differential_sharpe": RECORD.index("differential_sharpe"),
    "return": RECORD.index("return"),
    "risk": RECORD.index("risk"),
}
"""Reward part -> column of the step record (each part is signed: a penalty is negative)."""


def log_return_reward(parts: Mapping[str, Any], weights: Mapping[str, float], config: Any) -> Any:
    """Log growth of wealth over the day, net of costs (sums to the episode's log wealth)."""
    return weights.get("log_return", 1.0) * parts["log_return"]


def differential_sharpe_reward(
    parts: Mapping[str, Any], weights: Mapping[str, float], config: Any
) -> Any:
    """Moody and Saffell's differential Sharpe ratio of the day's net return."""
    return weights.get("differential_sharpe", 1.0) * parts["differential_sharpe"]


def mean_variance_reward(
    parts: Mapping[str, Any], weights: Mapping[str, float], config: Any
) -> Any:
    """Net return minus ``risk_aversion / 2`` times its squared deviation from the running mean."""
    return (
        weights.get("return", 1.0) * parts["return"]
        + config.risk_aversion * weights.get("risk", 1.0) * parts["risk"]
    )


REWARDS: dict[str, RewardFn] = {
    "log_return": log_return_reward,
    "differential_sharpe": differential_sharpe_reward,
    "mean_variance": mean_variance_reward,
}


def reward_parts(record: np.ndarray) -> dict[str, np.ndarray]:
    """Every reward part, one value per copy (views of the record's columns)."""
    return {name: record[:, column] for name, column in PART_COLUMNS.items()}


def step_kpis(record: np.ndarray) -> dict[str, np.ndarray]:
    """Per-copy KPIs of a step, as views of its record.

    Every :data:`RECORD` column (``value`` is wealth, starting at 1) and ``weights``, the
    held weights (assets, then cash) after the day.
    """
    kpis = {name: record[:, k] for k, name in enumerate(RECORD)}
    kpis["weights"] = record[:, len(RECORD) :]
    return kpis
