"""Market making metrics of one episode: profit and loss, inventory risk, fills."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from fieldgym.envs.core.metrics import Metric, MetricTable

METRICS = MetricTable(
    headline="pnl",
    metrics=(
        Metric("pnl", "$", True, "Final wealth after liquidating the inventory at the horizon."),
        Metric(
            "inventory_std",
            "shares",
            False,
            "Standard deviation of the inventory before liquidation.",
        ),
        Metric("final_inventory", "shares", None, "Inventory liquidated at the horizon."),
        Metric("fills", "count", True, "Quotes filled."),
        Metric("mean_spread", "$", None, "Mean quoted spread."),
        Metric("penalty", "$", False, "Inventory penalty plus the liquidation cost."),
    ),
)
"""The metrics :func:`episode_metrics` returns, and the headline a comparison ranks by."""


def episode_metrics(kpis: Mapping[str, np.ndarray], config: Any) -> dict[str, float]:
    """Profit and loss, inventory risk and fills of one episode.

    ``pnl`` (final wealth), ``inventory_std`` (std of the inventory over the episode,
    before the final liquidation), ``final_inventory`` (liquidated at the horizon),
    ``fills`` (count), ``mean_spread`` (quoted) and ``penalty`` (sum of the inventory
    penalty and liquidation parts).
    """
    inventory = np.asarray(kpis["inventory"], dtype=np.float64)
    return {
        "pnl": float(np.asarray(kpis["value"])[-1]),
        "inventory_std": float(np.std(inventory)),
        "final_inventory": float(inventory[-1]),
        "fills": float(np.sum(kpis["fills"])),
        "mean_spread": float(np.mean(kpis["spread"])),
        "penalty": float(np.sum(kpis["inventory_penalty"]) + np.sum(kpis["liquidation"])),
    }
