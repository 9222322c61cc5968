"""What quantum circuit-search reports show: fidelity over the gates of one episode."""

from __future__ import annotations

from fieldgym.scenarios.report.domains import DomainView

VIEW = DomainView(
    metrics=(
        "final_fidelity",
        "success",
        "gates",
        "cnots",
        "depth",
        "steps_to_solution",
        "max_fidelity",
    ),
    trace_kpis=("fidelity", "gates", "cnots", "depth"),
    levels_kpi="fidelity",
    levels_label="fidelity with the target",
    levels_series="fidelity",
    time_label="gate",
)
