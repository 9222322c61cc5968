"""The offloading metrics the field reports, from one episode of per-task KPIs."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from fieldgym.envs.core.metrics import Metric, MetricTable
from fieldgym.envs.wireless.offloading_config import OffloadingConfig

METRICS = MetricTable(
    headline="avg_weighted_cost",
    metrics=(
        Metric(
            "avg_weighted_cost",
            "scaled",
            False,
            "Preference-weighted sum of the scaled delay and energy objectives.",
        ),
        Metric("avg_delay", "s", False, "Mean time from arrival to completion or drop per task."),
        Metric("avg_energy", "J", False, "Mean energy per task."),
        Metric(
            "avg_delay_objective", "s", False, "Mean delay plus late_penalty_s per missed deadline."
        ),
        Metric("drop_rate", "share", False, "Share of tasks dropped."),
        Metric(
            "deadline_met_rate", "share", True, "Share of tasks finished before their deadline."
        ),
        Metric(
            "offload_share", "share", None, "Share of tasks sent to an edge server or the cloud."
        ),
        Metric("cloud_share", "share", None, "Share of tasks sent to the cloud."),
        Metric("avg_tx_time", "s", False, "Mean transmission time per task."),
        Metric("avg_queue_time", "s", False, "Mean queueing time per task."),
        Metric("avg_compute_time", "s", False, "Mean computing time per task."),
    ),
)
"""The metrics :func:`episode_metrics` returns, and the headline a comparison ranks by."""
OBJECTIVES = ("avg_delay_objective", "avg_energy")
"""The two objectives (both minimized) of the Pareto front, in reward-vector order."""


def episode_metrics(kpis: Mapping[str, np.ndarray], config: OffloadingConfig) -> dict[str, float]:
    """Delay, energy, drops, deadlines and where tasks ran, per task of one episode.

    Args:
        kpis: Per-step KPI arrays of one episode (one row per task).
        config: The environment's config (for the reward scales).

    Returns:
        ``avg_delay`` (s, arrival to completion or drop), ``avg_energy`` (J per task),
        ``avg_delay_objective`` (s, the delay plus ``late_penalty_s`` per missed deadline:
        minus the first reward component), ``drop_rate`` and ``deadline_met_rate`` (shares
        of tasks), ``offload_share`` and ``cloud_share`` (shares of tasks sent away),
        ``avg_tx_time``, ``avg_queue_time``, ``avg_compute_time`` (s), and
        ``avg_weighted_cost``: the preference-weighted sum of the scaled objectives.
    """
    delay_objective = np.asarray(kpis["delay_objective"], dtype=np.float64)
    energy = np.asarray(kpis["energy"], dtype=np.float64)
    cost = (
        np.asarray(kpis["w_delay"]) * delay_objective / config.delay_scale_s
        + np.asarray(kpis["w_energy"]) * energy / config.energy_scale_j
    )
    return {
        "avg_weighted_cost": float(np.mean(cost)),
        "avg_delay": float(np.mean(kpis["delay"])),
        "avg_energy": float(np.mean(energy)),
        "avg_delay_objective": float(np.mean(delay_objective)),
        "drop_rate": float(np.mean(kpis["dropped"])),
        "deadline_met_rate": float(1.0 - np.mean(kpis["missed"])),
        "offload_share": float(np.mean(kpis["offloaded"])),
        "cloud_share": float(np.mean(kpis["to_cloud"])),
        "avg_tx_time": float(np.mean(kpis["tx_time"])),
        "avg_queue_time": float(np.mean(kpis["queue_time"])),
        "avg_compute_time": float(np.mean(kpis["compute_time"])),
    }
