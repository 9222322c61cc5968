"""Execution metrics of one episode: implementation shortfall against the arrival price."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

HEADLINE = "cost_bps"
"""Almgren and Chriss's objective, shortfall plus the risk penalty, in bps (lower is better)."""
LOWER_IS_BETTER = True


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
