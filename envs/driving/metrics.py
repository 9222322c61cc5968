"""The driving metrics reported by the field, from one episode of per-step KPIs."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from fieldgym.envs.core.metrics import Metric, MetricTable
from fieldgym.envs.driving.config import DrivingConfig

METRICS = MetricTable(
    headline="driving_score",
    metrics=(
        Metric("length", "steps", True, "Steps the episode lasted (it ends early on a collision)."),
        Metric(
            "success", "share", True, "1 if the episode reached its horizon without a collision."
        ),
        Metric("collision", "share", False, "1 if the ego hit a vehicle or the road edge."),
        Metric("avg_speed", "m/s", True, "Mean speed of the ego vehicle."),
        Metric("distance", "m", True, "Distance driven along the road."),
        Metric("lane_changes", "count", False, "Lane changes of the ego vehicle."),
        Metric("red_lights", "count", False, "Red lights run."),
        Metric(
            "headway_violations",
            "share",
            False,
            "Share of steps with a time headway below min_headway.",
        ),
        Metric("mean_abs_jerk", "m/s³", False, "Mean absolute jerk (comfort)."),
        Metric("route_completion", "share", True, "Distance over the route length, at most 1."),
        Metric(
            "driving_score",
            "score",
            True,
            "Route completion times the CARLA leaderboard's infraction penalty.",
        ),
    ),
)
"""The metrics :func:`episode_metrics` returns, and the headline a comparison ranks by."""

PENALTY_VEHICLE = 0.60
"""CARLA leaderboard infraction coefficient of a collision with a vehicle."""
PENALTY_STATIC = 0.65
"""CARLA leaderboard infraction coefficient of a collision with the static layout (road edge)."""
PENALTY_RED_LIGHT = 0.70
"""CARLA leaderboard infraction coefficient of running a red light (applied per light run)."""


def episode_metrics(kpis: Mapping[str, np.ndarray], config: DrivingConfig) -> dict[str, float]:
    """Success, collisions, speed, distance, lane changes, headway, comfort, driving score.

    Args:
        kpis: Per-step KPI arrays of one episode (``info["kpi"]``, one row per step).
        config: The environment's config (``min_headway``, ``route_length``).

    Returns:
        ``success`` (1 if the episode reached its horizon without a collision, else 0; its
        mean over episodes is the success rate), ``collision`` (1 if the ego hit a vehicle
        or the road edge), ``avg_speed`` (m/s), ``distance`` (m along the road),
        ``lane_changes`` (count), ``red_lights`` (red lights run, count),
        ``headway_violations`` (share of steps with a time
        headway below ``min_headway``), ``mean_abs_jerk`` (m/s³, the comfort measure),
        ``route_completion`` (distance over ``route_length``, at most 1) and
        ``driving_score``: route completion times the infraction penalty, as CARLA's
        leaderboard defines it (0.60 for a collision with a vehicle, 0.65 with the road
        edge, 0.70 for each red light run).
    """
    collided = np.asarray(kpis["collided"], dtype=float)
    offroad = np.asarray(kpis["offroad"], dtype=float)
    hit = bool(collided.any())
    hit_edge = bool(offroad.any())
    distance = float(np.sum(kpis["distance"]))
    completion = min(max(distance / config.route_length, 0.0), 1.0)
    red = float(np.sum(kpis["red_light"])) if "red_light" in kpis else 0.0
    penalty = PENALTY_RED_LIGHT**red
    if hit and not hit_edge:
        penalty *= PENALTY_VEHICLE
    if hit_edge:
        penalty *= PENALTY_STATIC
    return {
        "success": 0.0 if hit else 1.0,
        "collision": 1.0 if hit else 0.0,
        "avg_speed": float(np.mean(kpis["speed"])),
        "distance": distance,
        "lane_changes": float(np.sum(kpis["lane_change"])),
        "red_lights": red,
        "headway_violations": float(np.mean(np.asarray(kpis["headway"]) < config.min_headway)),
        "mean_abs_jerk": float(np.mean(kpis["jerk"])),
        "route_completion": completion,
        "driving_score": completion * penalty,
    }
