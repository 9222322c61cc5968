"""What runs keep and reports show of each domain, as data.

A new domain adds a module ``scenarios/report/views/<domain>.py`` defining ``VIEW``, a
:class:`DomainView`, which :data:`DOMAINS` collects: which per-step KPIs to keep from one
evaluation episode, which of them to plot as levels, which metric columns stack into a
breakdown bar, and which metrics the tables show by default. Views are presentation
only: which metrics exist, their units, which direction is better and the headline are
declared by the domain's metrics module (``METRICS``, see
:mod:`fieldgym.envs.core.metrics`).
"""

from __future__ import annotations

import dataclasses
import importlib
import pkgutil
from collections.abc import Callable
from typing import Any


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
        sections: Builds the domain's own report sections from a whole run:
            ``sections(run)`` gets a :class:`SectionInput` and returns a list of
            :class:`~fieldgym.scenarios.report.tables.Section`, empty when the run has
            nothing for them (the wireless Pareto fronts over a run's preferences; the
            trading drawdowns, weights and tear sheets, and the walk-forward windows).
    """

    metrics: tuple[str, ...] = ("episode_return", "length")
    trace_kpis: tuple[str, ...] = ()
    levels_kpi: str | None = None
    levels_label: str = ""
    levels_series: str = "{i}"
    time_label: str = "step"
    stack: tuple[str, ...] = ()
    stack_label: str = ""
    sections: Callable[..., list[Any]] | None = None


@dataclasses.dataclass(frozen=True)
class SectionInput:
    """What a domain's report section is built from: one run, restricted to the domain.

    Attributes:
        plan: The run's :class:`~fieldgym.scenarios.plan.spec.Plan`.
        envs: The plan's environments of the domain that have results.
        results: Their evaluated episodes (:func:`~fieldgym.scenarios.run.store.results_table`).
        records: Their trial records, traces included.
        out: The report folder, where figures and linked files go.
        colors: Each agent label's plot colour.
    """

    plan: Any
    envs: list[Any]
    results: Any
    records: list[dict[str, Any]]
    out: Any
    colors: dict[str, Any]


def _load_views() -> dict[str, DomainView]:
    from fieldgym.scenarios.report import views as views_package  # its modules import DomainView

    views = {}
    for module in pkgutil.iter_modules(views_package.__path__):
        views[module.name] = importlib.import_module(f"{views_package.__name__}.{module.name}").VIEW
    return views


DOMAINS: dict[str, DomainView] = _load_views()
"""Per-domain views: ``scenarios/report/views/<domain>`` defines ``VIEW``; keyed by domain."""

GENERIC = DomainView()
"""The view of a domain without an entry: returns and lengths only."""


def domain_view(domain: str) -> DomainView:
    """The view of ``domain`` (:data:`GENERIC` if it has none)."""
    return DOMAINS.get(domain, GENERIC)
