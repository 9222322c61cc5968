"""What driving reports show: the ego's speed over an episode, and the safety metrics.

The levels plot draws ``speed`` (m/s) over decision steps, one panel per agent.
"""

from __future__ import annotations

from fieldgym.scenarios.report.domains import DomainView

VIEW = DomainView(
    metrics=(
        "driving_score",
        "success",
        "collision",
        "red_lights",
        "avg_speed",
        "distance",
        "lane_changes",
        "headway_violations",
        "mean_abs_jerk",
        "route_completion",
    ),
    trace_kpis=("speed", "lane", "headway", "acceleration", "collided"),
    levels_kpi="speed",
    levels_label="ego speed (m/s)",
    levels_series="ego",
    time_label="decision step",
    stack=(),
    stack_label="",
)
