"""What traffic reports show: queue lengths per approach over time, and the delay metrics.

The levels plot draws ``approach_queue``: halted vehicles per approach, 0 to 3 being the
vehicles from the north, east, south and west on grids (the sum over a user SUMO or a
CityFlow network, one series).
"""

from __future__ import annotations

from fieldgym.scenarios.report.domains import DomainView

VIEW = DomainView(
    metrics=(
        "avg_waiting_time",
        "avg_travel_time",
        "avg_delay",
        "avg_queue",
        "throughput",
        "waiting_to_enter",
        "teleports",
    ),
    trace_kpis=("approach_queue", "queue_total", "in_network", "exited", "halted_seconds"),
    levels_kpi="approach_queue",
    levels_label="halted vehicles",
    levels_series="approach {i} (NESW)",
    time_label="decision step",
    stack=(),
    stack_label="",
)
