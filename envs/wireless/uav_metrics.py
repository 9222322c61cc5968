"""The UAV metrics the field reports, from one episode of per-step KPIs."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from fieldgym.envs.core.metrics import Metric, MetricTable
from fieldgym.envs.wireless.uav_config import UAVConfig

METRICS = MetricTable(
    headline="association_share",
    metrics=(
        Metric("association_share", "share", True, "Mean share of users served by UAVs."),
        Metric(
            "served_share", "share", True, "Mean share of users served by UAVs or base stations."
        ),
        Metric(
            "avg_rate_mbps", "Mbit/s", True, "Mean rate over users and steps (0 when unserved)."
        ),
        Metric("jain_fairness", "index", True, "Jain's index of the users' episode-mean rates."),
        Metric("avg_energy_j", "J", False, "Propulsion energy per UAV and step."),
        Metric(
            "collisions", "count", False, "Collisions or cancelled moves per episode, all UAVs."
        ),
    ),
)
"""The metrics :func:`episode_metrics` returns, and the headline a comparison ranks by."""


def jain_fairness(values: np.ndarray) -> float:
    """Jain's index ``(sum x)^2 / (n sum x^2)``: 1 when all equal, ``1/n`` when one has all."""
    values = np.asarray(values, dtype=np.float64)
    total = float(np.sum(values**2))
    return float(np.sum(values) ** 2 / (values.size * total)) if total > 0 else 1.0


def episode_metrics(kpis: Mapping[str, np.ndarray], config: UAVConfig) -> dict[str, float]:
    """Association, service, rates, fairness, energy and collisions over one episode.

    Args:
        kpis: Per-step KPI arrays (one row per step): ``association_share``,
            ``served_share``, ``user_rate`` ``(T, U)``, ``energy`` ``(T, N)`` and
            ``collisions`` ``(T, N)``.
        config: The environment's config.

    Returns:
        ``association_share`` (mean share of users served by UAVs), ``served_share``
        (by UAVs or base stations), ``avg_rate_mbps`` (mean rate over users and steps,
        0 when unserved), ``jain_fairness`` (Jain's index of the users' episode-mean
        rates), ``avg_energy_j`` (propulsion energy per UAV and step) and ``collisions``
        (collisions or cancelled moves per episode, all UAVs).
    """
    rates = np.asarray(kpis["user_rate"], dtype=np.float64)
    return {
        "association_share": float(np.mean(kpis["association_share"])),
        "served_share": float(np.mean(kpis["served_share"])),
        "avg_rate_mbps": float(np.mean(rates)),
        "jain_fairness": jain_fairness(rates.mean(axis=0)),
        "avg_energy_j": float(np.mean(kpis["energy"])),
        "collisions": float(np.sum(kpis["collisions"])),
    }
