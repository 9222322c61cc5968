"""What wireless reports show: server backlogs over an episode and the delay breakdown.

The domain's two environments share this view; each table keeps only the metrics its
environment reports (offloading: delay, energy, drops; UAVs: association and rates).
"""

from __future__ import annotations

from fieldgym.scenarios.domains import DomainView

VIEW = DomainView(
    metrics=(
        "avg_weighted_cost",
        "avg_delay",
        "avg_energy",
        "avg_delay_objective",
        "drop_rate",
        "deadline_met_rate",
        "offload_share",
        "cloud_share",
        "association_share",
        "avg_rate_mbps",
        "jain_fairness",
        "avg_energy_j",
        "collisions",
    ),
    trace_kpis=("server_backlog", "delay", "energy", "action"),
    levels_kpi="server_backlog",
    levels_label="seconds until the server is free",
    levels_series="server {i}",
    time_label="task",
    stack=("avg_tx_time", "avg_queue_time", "avg_compute_time"),
    stack_label="average delay per task (s)",
    higher_is_better=(
        "episode_return",
        "deadline_met_rate",
        "association_share",
        "avg_rate_mbps",
        "jain_fairness",
    ),
)
