"""What inventory reports show: stock levels per stage and the cost breakdown."""

from __future__ import annotations

from fieldgym.scenarios.report.domains import DomainView

VIEW = DomainView(
    metrics=(
        "avg_cost",
        "avg_holding_cost",
        "avg_pipeline_cost",
        "avg_shortage_cost",
        "avg_ordering_cost",
        "fill_rate",
        "cycle_service_level",
        "bullwhip_0",
    ),
    trace_kpis=("on_hand", "backorders", "orders", "demand", "total_cost"),
    levels_kpi="on_hand",
    levels_label="units on hand",
    levels_series="stage {i}",
    time_label="period",
    stack=("avg_holding_cost", "avg_pipeline_cost", "avg_shortage_cost", "avg_ordering_cost"),
    stack_label="average cost per period",
)
