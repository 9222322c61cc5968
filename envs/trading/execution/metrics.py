"""Execution metrics of one episode: implementation shortfall against the arrival price."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from fieldgym.envs.core.metrics import Metric, MetricTable

METRICS = MetricTable(
    headline="cost_bps",
    metrics=(
        Metric(
            "cost_bps",
            "bps",
            False,
            "Almgren and Chriss's objective: shortfall plus the risk penalty.",
        ),
        Metric("shortfall", "$", False, "Implementation shortfall against the arrival price."),
        Metric("shortfall_bps", "bps", False, "Implementation shortfall, in bps of X * S0."),
        Metric("risk_bps", "bps", False, "Risk penalty, in bps of X * S0."),
        Metric("completion", "share", True, "Share of the order sold."),
        Metric("periods_used", "periods", None, "Periods the execution lasted."),
    ),
)
"""The metrics :func:`episode_metrics` returns, and the headline a comparison ranks by."""


def episode_metrics(kpis: Mapping[str, np.ndarray], config: Any) -> dict[str, float]:
    """Shortfall ($ and bps of ``X * S0``), risk penalty and their sum (bps), completion.

    The mean and standard deviation of the shortfall over episodes are the report's mean
    and spread of the ``shortfall`` column.
    """
    shortfall_bps = float(np.sum(kpis["shortfall_bps"]))
    risk_bps = float(np.sum(kpis["risk_bps"]))
    return {
        "cost_bps": shortfall_bps + risk_bps,
        "shortfall": float(np.sum(kpis["shortfall"])),
        "shortfall_bps": shortfall_bps,
        "risk_bps": risk_bps,
        "completion": float(np.sum(kpis["sold"]) / config.initial_shares),
        "periods_used": float(len(kpis["sold"])),
    }
