"""What the market environments share: date-range checks and the differential Sharpe ratio."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd
from numba import njit

from fieldgym.envs.core.config import check_choice
from fieldgym.envs.core.errors import ConfigError

MODES = ("train", "backtest")
"""``train``: episodes start at random dates of the range; ``backtest``: at its start."""


def check_date(name: str, value: Any) -> None:
    """Require ``None`` or an ISO date string (``YYYY-MM-DD``)."""
    if value is None:
        return
    if not isinstance(value, str):
        raise ConfigError(
            f"{name}={value!r} is not allowed; give an ISO date such as '2019-01-02'."
        )
    try:
        pd.Timestamp(value)
    except ValueError as exc:
        raise ConfigError(f"{name}={value!r} is not a date ({exc}).") from exc


def check_range(config: Any) -> None:
    """Check ``start``, ``end`` and ``mode`` of a market environment's config."""
    check_date("start", config.start)
    check_date("end", config.end)
    if config.start and config.end and pd.Timestamp(config.start) > pd.Timestamp(config.end):
        raise ConfigError(f"start={config.start!r} is after end={config.end!r}.")
    check_choice("mode", config.mode, MODES)


@njit(cache=True, inline="always")
def differential_sharpe(
    r: float, a: float, b: float, eta: float, var_floor: float
) -> tuple[float, float, float]:
    """Moody and Saffell's differential Sharpe ratio of return ``r``, and the updated moments.

    ``D = (B dA - A dB / 2) / (B - A^2)^(3/2)`` with ``dA = r - A``, ``dB = r^2 - B``, where
    ``A`` and ``B`` are exponential moving averages (rate ``eta``) of the return and its
    square before this step; the variance ``B - A^2`` is floored at ``var_floor``.

    Returns:
        ``(D, A', B')``: the ratio and the moments after the step.
    """
    da = r - a
    db = r * r - b
    variance = max(b - a * a, var_floor)
    d = (b * da - 0.5 * a * db) / (variance * math.sqrt(variance))
    return d, a + eta * da, b + eta * db
