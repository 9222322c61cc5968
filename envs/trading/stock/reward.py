"""Named rewards of the single-stock environment, its reward parts and per-step KPIs."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fieldgym.envs.core.rewards import RewardFn
from fieldgym.envs.trading.common import (
    StepRecord,
    differential_sharpe_reward,
    log_return_reward,
)
from fieldgym.envs.trading.stock.dynamics import RECORD

STEP_RECORD = StepRecord(RECORD, parts=("log_return", "pnl", "differential_sharpe"))
"""The step record's names; the reward parts are columns of it, costs and slippage inside
all three."""


def pnl_reward(parts: Mapping[str, Any], weights: Mapping[str, float], config: Any) -> Any:
    """Change of wealth over the bar in currency units, after commission and slippage."""
    return weights.get("pnl", 1.0) * parts["pnl"]


REWARDS: dict[str, RewardFn] = {
    "log_return": log_return_reward,
    "pnl": pnl_reward,
    "differential_sharpe": differential_sharpe_reward,
}
