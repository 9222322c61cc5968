"""The inventory metrics reported by the field, from one episode of per-step KPIs."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from fieldgym.envs.core.metrics import Metric, MetricTable
from fieldgym.envs.inventory.config import InventoryConfig

METRICS = MetricTable(
    headline="avg_cost",
    metrics=(
        Metric(
            "avg_cost",
            "$/period",
            False,
            "Total cost per period: holding, pipeline, shortage and ordering.",
        ),
        Metric("avg_holding_cost", "$/period", False, "Cost of stock on hand per period."),
        Metric("avg_pipeline_cost", "$/period", False, "Cost of stock in transit per period."),
        Metric(
            "avg_shortage_cost", "$/period", False, "Cost of backorders or lost sales per period."
        ),
        Metric("avg_ordering_cost", "$/period", False, "Fixed ordering costs per period."),
        Metric(
            "fill_rate", "share", True, "Share of demand met from stock in the period it arrived."
        ),
        Metric(
            "cycle_service_level", "share", True, "Share of periods with all demand met from stock."
        ),
        Metric("avg_on_hand_{i}", "units", False, "Mean stock on hand at stage i."),
        Metric(
            "bullwhip_{i}",
            "ratio",
            False,
            "Variance of stage i's orders over that of the demand it serves.",
        ),
    ),
)
"""The metrics :func:`episode_metrics` returns, and the headline a comparison ranks by."""


def subtree_demand(kpis: Mapping[str, np.ndarray], config: InventoryConfig) -> np.ndarray:
    """Per step and stage, the customer demand of the stages it supplies (itself included)."""
    customer_demand = np.asarray(kpis["customer_demand"], dtype=np.float64)
    out = np.zeros((customer_demand.shape[0], config.num_stages))
    suppliers = config.suppliers
    for column, stage in enumerate(config.customer_stages):
        while stage >= 0:
            out[:, stage] += customer_demand[:, column]
            stage = suppliers[stage]
    return out


def episode_metrics(kpis: Mapping[str, np.ndarray], config: InventoryConfig) -> dict[str, float]:
    """Average cost and its parts, fill rate, cycle service level, stock and bullwhip.

    Args:
        kpis: Per-step KPI arrays of one episode, one row per period (as
            :class:`~fieldgym.envs.core.wrappers.RecordKPIs` gives them).
        config: The environment's config (for the network's shape).

    Returns:
        ``avg_cost`` and ``avg_<part>_cost`` per period; ``fill_rate``, the share of demand
        met from stock in the period it arrived; ``cycle_service_level``, the share of
        periods with all demand met from stock; ``avg_on_hand_<i>`` per stage; and
        ``bullwhip_<i>``, the variance of stage ``i``'s orders over the variance of the
        customer demand it serves (NaN when that demand does not vary).
    """
    demand = float(np.sum(kpis["demand"]))
    out = {
        "avg_cost": float(np.mean(kpis["total_cost"])),
        "avg_holding_cost": float(np.mean(kpis["holding_cost"])),
        "avg_pipeline_cost": float(np.mean(kpis["pipeline_cost"])),
        "avg_shortage_cost": float(np.mean(kpis["shortage_cost"])),
        "avg_ordering_cost": float(np.mean(kpis["ordering_cost"])),
        "fill_rate": float(np.sum(kpis["met_from_stock"]) / demand) if demand > 0 else 1.0,
        "cycle_service_level": float(np.mean(np.asarray(kpis["unmet"]) <= 1e-9)),
    }
    on_hand = np.asarray(kpis["on_hand"])
    orders = np.asarray(kpis["orders"])
    served = subtree_demand(kpis, config)
    for i in range(config.num_stages):
        out[f"avg_on_hand_{i}"] = float(np.mean(on_hand[:, i]))
        variance = float(np.var(served[:, i]))
        out[f"bullwhip_{i}"] = (
            float(np.var(orders[:, i]) / variance) if variance > 0 else float("nan")
        )
    return out
