"""Named rewards of the portfolio environment, its reward parts and per-step KPIs."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fieldgym.envs.core.rewards import RewardFn
from fieldgym.envs.trading.common import (
    StepRecord,
    differential_sharpe_reward,
    log_return_reward,
)
from fieldgym.envs.trading.portfolio.dynamics import RECORD

STEP_RECORD = StepRecord(
    RECORD, parts=("log_return", "differential_sharpe", "return", "risk"), block="weights"
)
"""The step record's names (``value`` is wealth, starting at 1; ``weights`` the held
weights after the day, assets then cash); the reward parts are columns of it, each signed
(a penalty is negative)."""


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
