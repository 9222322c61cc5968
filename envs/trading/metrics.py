"""The finance metrics of the portfolio and trading environments, computed with empyrical.

Every return-based metric comes from `empyrical-reloaded` (Quantopian's library, kept by
Stefan Jansen), not re-derived here, on the episode's daily *net* simple returns
(``info["kpi"]["return"]``, after costs), annualized with 252 trading days.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import empyrical
import numpy as np

from fieldgym.envs.core.metrics import Metric, MetricTable

METRICS = MetricTable(
    headline="sharpe",
    metrics=(
        Metric("cumulative_return", "fraction", True, "Total net return over the episode."),
        Metric("annual_return", "fraction/yr", True, "Compound annual growth rate."),
        Metric(
            "annual_volatility",
            "fraction/yr",
            False,
            "Annualized standard deviation of daily returns.",
        ),
        Metric("sharpe", "ratio", True, "Annualized Sharpe ratio (risk-free rate 0)."),
        Metric("sortino", "ratio", True, "Annualized Sortino ratio (required return 0)."),
        Metric("calmar", "ratio", True, "Annual return over the maximum drawdown."),
        Metric(
            "max_drawdown",
            "fraction",
            True,
            "Largest peak-to-trough loss, a negative fraction (closer to 0 is better).",
        ),
        Metric("turnover", "1/yr", False, "Mean daily turnover times 252."),
        Metric("hit_rate", "share", True, "Share of days with a positive return."),
        Metric("final_value", "wealth", True, "Growth of one unit of wealth."),
    ),
)
"""The metrics :func:`episode_metrics` returns, and the headline a comparison ranks by."""


def _finite(value: Any) -> float:
    """A float, with infinities (e.g. Sortino without a losing day) reported as NaN."""
    value = float(value)
    return value if math.isfinite(value) else float("nan")


def sortino(returns: np.ndarray) -> float:
    """The annualized Sortino ratio of empyrical (required return 0).

    empyrical-reloaded 0.5.9's ``downside_risk`` uses ``np.NINF``, which NumPy 2 removed, so
    it raises ``AttributeError`` there (0.7.1 fixes it). Then the downside risk is passed to
    ``empyrical.sortino_ratio`` as its ``_downside_risk`` argument, computed as empyrical
    defines it: ``sqrt(mean(min(r, 0)^2) * 252)``. A test checks the result against
    skfolio's annualized Sortino ratio.
    """
    try:
        return empyrical.sortino_ratio(returns, period=empyrical.DAILY)
    except AttributeError as exc:
        if "NINF" not in str(exc):
            raise
    downside = np.sqrt(np.nanmean(np.minimum(returns, 0.0) ** 2) * 252)
    return empyrical.sortino_ratio(returns, period=empyrical.DAILY, _downside_risk=downside)


def sharpe(returns: np.ndarray) -> float:
    """The annualized Sharpe ratio of empyrical (risk-free rate 0), and 0 for a flat series.

    A strategy that never trades earns exactly 0 every day; its Sharpe ratio is 0/0, which
    empyrical returns as NaN. It took no risk and earned no excess return, so it scores
    0 here: a comparison (or a tuner) then ranks it as the cash position it is, instead
    of dropping it as failed.
    """
    if len(returns) and not np.any(returns):
        return 0.0
    return _finite(empyrical.sharpe_ratio(returns, period=empyrical.DAILY))


def returns_metrics(returns: np.ndarray, turnover: np.ndarray | None = None) -> dict[str, float]:
    """The field's metrics of a series of daily simple returns.

    Args:
        returns: Daily net simple returns.
        turnover: Daily turnover (sum of |weight changes|), if the strategy trades.

    Returns:
        ``cumulative_return``, ``annual_return`` (CAGR), ``annual_volatility``, ``sharpe``,
        ``sortino``, ``calmar`` and ``max_drawdown`` (empyrical's, a negative fraction:
        higher is better) from empyrical; ``turnover``, the mean daily turnover times 252
        (annual turnover); ``hit_rate``, the share of days with a positive return;
        ``final_value``, the growth of one unit of wealth.
    """
    r = np.asarray(returns, dtype=np.float64)
    out = {
        "cumulative_return": _finite(empyrical.cum_returns_final(r)),
        "annual_return": _finite(empyrical.annual_return(r, period=empyrical.DAILY)),
        "annual_volatility": _finite(empyrical.annual_volatility(r, period=empyrical.DAILY)),
        "sharpe": sharpe(r),
        "sortino": _finite(sortino(r)),
        "calmar": _finite(empyrical.calmar_ratio(r, period=empyrical.DAILY)),
        "max_drawdown": _finite(empyrical.max_drawdown(r)),
    }
    out["turnover"] = float(np.mean(turnover) * 252) if turnover is not None and len(r) else 0.0
    out["hit_rate"] = float(np.mean(r > 0)) if len(r) else float("nan")
    out["final_value"] = float(np.prod(1.0 + r))
    return out


def episode_metrics(kpis: Mapping[str, np.ndarray], config: Any) -> dict[str, float]:
    """:func:`returns_metrics` of one episode's per-step KPIs (``return``, ``turnover``)."""
    turnover = kpis.get("turnover")
    return returns_metrics(
        np.asarray(kpis["return"]), None if turnover is None else np.asarray(turnover)
    )
