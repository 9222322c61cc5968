"""Declared metrics: what each domain's ``episode_metrics`` returns, in one table.

A domain's metrics module computes its metrics (``episode_metrics(kpis, config)``) and
declares them in ``METRICS``, a :class:`MetricTable`: each metric's name, unit, direction
and meaning, and the headline a comparison ranks by. The scenario planner, the tuner and
the reports read directions, units and the headline from there; a test checks that every
registered id returns exactly declared metrics.
"""

from __future__ import annotations

import dataclasses

INDEX = "{i}"
"""Stands for a number in a family's name: ``bullwhip_{i}`` declares ``bullwhip_0``, ..."""


@dataclasses.dataclass(frozen=True)
class Metric:
    """One metric of an episode.

    Attributes:
        name: The column name, or a family's name with ``{i}`` where the number goes
            (one column per stage, lane, ...).
        unit: Its unit (``"$/period"``, ``"s"``, ``"share"``, ``"count"``, ...).
        higher_is_better: Whether more is better (``False``: a cost); ``None`` for a
            quantity with no better direction (a share of tasks offloaded), which is
            ranked as a cost if a scenario makes it its headline.
        description: What it measures, in one sentence.
    """

    name: str
    unit: str
    higher_is_better: bool | None
    description: str

    def matches(self, column: str) -> bool:
        """Whether ``column`` is this metric, or a member of this family."""
        if INDEX not in self.name:
            return column == self.name
        prefix, suffix = self.name.split(INDEX)
        number = column[len(prefix) : len(column) - len(suffix)]
        return (
            column.startswith(prefix)
            and column.endswith(suffix)
            and len(column) > len(prefix) + len(suffix)
            and number.isdigit()
        )


EPISODE_RETURN = Metric("episode_return", "reward", True, "Sum of the rewards of the episode.")
LENGTH = Metric("length", "steps", None, "Steps the episode lasted.")
COMMON = (EPISODE_RETURN, LENGTH)
"""The columns every evaluation reports besides a domain's own metrics."""


@dataclasses.dataclass(frozen=True)
class MetricTable:
    """A domain's declared metrics.

    Attributes:
        headline: The metric a comparison ranks by (one of ``metrics``).
        metrics: The metrics ``episode_metrics`` returns, in table order. The common
            columns (``episode_return``, ``length``) are declared here too; a domain
            declaring its own ``length`` (driving: longer is better) replaces the common
            one.
    """

    headline: str
    metrics: tuple[Metric, ...]

    def __post_init__(self) -> None:
        names = [metric.name for metric in self.metrics]
        if len(set(names)) != len(names):
            raise ValueError(
                f"metrics declared twice: {sorted(n for n in names if names.count(n) > 1)}"
            )
        own = set(names)
        object.__setattr__(
            self, "metrics", (*(m for m in COMMON if m.name not in own), *self.metrics)
        )
        if self.get(self.headline) is None:
            raise ValueError(
                f"headline {self.headline!r} is not among the declared metrics {names}"
            )

    def get(self, column: str) -> Metric | None:
        """The declaration of ``column``, or ``None`` if it is not declared."""
        return next((metric for metric in self.metrics if metric.matches(column)), None)

    def __getitem__(self, column: str) -> Metric:
        metric = self.get(column)
        if metric is None:
            declared = ", ".join(metric.name for metric in self.metrics)
            raise KeyError(f"metric {column!r} is not declared; declared: {declared}")
        return metric

    def lower_is_better(self, column: str) -> bool:
        """Whether a smaller value of ``column`` is better (undeclared columns: costs)."""
        metric = self.get(column)
        return metric is None or not metric.higher_is_better

    @property
    def headline_lower_is_better(self) -> bool:
        """Whether the headline is a cost."""
        return self.lower_is_better(self.headline)


GENERIC = MetricTable(headline="episode_return", metrics=())
"""The metrics of an id whose domain declares none: return and length."""
