"""What runs keep and reports show of each domain, as data.

A new domain adds one :class:`DomainView` entry to :data:`DOMAINS`: which per-step KPIs
to keep from one evaluation episode, which of them to plot as levels, which metric
columns stack into a breakdown bar, and which metrics the tables show by default. The
headline metric and its direction come from the domain's metrics module
(``HEADLINE``, ``LOWER_IS_BETTER``), see :func:`fieldgym.scenarios.spec.headline_of`.
"""

from __future__ import annotations

import dataclasses


@dataclasses.dataclass(frozen=True)
class DomainView:
    """The report's view of one domain.

    Attributes:
        metrics: Metric columns the tables show when a scenario does not choose them.
        trace_kpis: ``info["kpi"]`` names kept, per step, from the first evaluation
            episode of each trial (for the levels plot); absent names are skipped.
        levels_kpi: The trace plotted over the episode, one line per column (e.g. per
            stage), one panel per agent; ``None`` for no levels plot.
        levels_label: The y-axis label of the levels plot.
        levels_series: Legend name of column ``i`` of ``levels_kpi`` (``{i}`` is replaced).
        time_label: The x-axis label of per-step plots (what one step is).
        stack: Metric columns whose means stack into one bar per agent.
        stack_label: The y-axis label of the stacked bars.
        higher_is_better: Metrics where more is better; every other metric is a cost.
    """

    metrics: tuple[str, ...] = ("episode_return", "length")
    trace_kpis: tuple[str, ...] = ()
    levels_kpi: str | None = None
    levels_label: str = ""
    levels_series: str = "{i}"
    time_label: str = "step"
    stack: tuple[str, ...] = ()
    stack_label: str = ""
    higher_is_better: tuple[str, ...] = ("episode_return",)

    def lower_is_better(self, metric: str) -> bool:
        """Whether a smaller value of ``metric`` is better."""
        return metric not in self.higher_is_better


DOMAINS: dict[str, DomainView] = {
    "inventory": DomainView(
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
        higher_is_better=("episode_return", "fill_rate", "cycle_service_level"),
    ),
}
"""Per-domain views, by the domain name of :class:`fieldgym.envs.core.registration.EnvEntry`."""

GENERIC = DomainView()
"""The view of a domain without an entry: returns and lengths only."""


def domain_view(domain: str) -> DomainView:
    """The view of ``domain`` (:data:`GENERIC` if it has none)."""
    return DOMAINS.get(domain, GENERIC)
