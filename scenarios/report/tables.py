"""The report's tables: cells formatted once, rendered to HTML and Markdown alike.

A :class:`Table` is a title, a header and rows of already formatted strings; a
:class:`Section` groups tables and figures under a heading (the suite's cross-domain
comparison, a domain's own section such as the wireless Pareto fronts). The builders here
turn a run's summaries into the tables every report has: the headline ranking, the
metrics, the time each learner took to reach the reference and the budgets.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np
import pandas as pd

from fieldgym.agents.evaluation import declared_metrics
from fieldgym.scenarios.plan.spec import EnvPlan, Plan


@dataclasses.dataclass
class Table:
    """A table of formatted cells, rendered to HTML and Markdown alike."""

    title: str
    header: list[str]
    rows: list[list[str]]
    note: str = ""


@dataclasses.dataclass
class EnvSection:
    """What the report shows of one environment."""

    env: EnvPlan
    tables: list[Table]
    figures: list[tuple[str, str]]
    """``(caption, file name)`` of each PNG."""


@dataclasses.dataclass
class Section:
    """A report section beyond the per-environment ones: a heading, text, tables, figures.

    Rendered in this order: ``title``, ``intro``, each note (highlighted), the ``links``,
    the first table, the figures, then the other tables.
    """

    title: str
    tables: list[Table]
    figures: list[tuple[str, str]]
    """``(caption, file name)`` of each PNG in the report folder."""
    intro: str = ""
    notes: list[str] = dataclasses.field(default_factory=list)
    links: list[tuple[str, str]] = dataclasses.field(default_factory=list)
    """``(text, file name)`` of files in the report folder the section points to."""


def fmt(value: Any) -> str:
    """A number with a precision that suits its size; ``–`` for missing values."""
    if value is None or pd.isna(value):
        return "–"
    x = float(value)
    size = abs(x)
    if size >= 1000:
        return f"{x:,.0f}"
    if size >= 10:
        return f"{x:.1f}"
    if size >= 1:
        return f"{x:.2f}"
    return f"{x:.3f}"


def interval(mean: float, low: float, high: float) -> str:
    """``mean [low, high]``, or the mean alone without an interval."""
    if pd.isna(low):
        return fmt(mean)
    return f"{fmt(mean)} [{fmt(low)}, {fmt(high)}]"


def plus_minus(mean: float, low: float, high: float) -> str:
    """``mean ± half-width``, or the mean alone without an interval."""
    if pd.isna(low):
        return fmt(mean)
    return f"{fmt(mean)} ± {fmt((high - low) / 2)}"


def env_text(env: EnvPlan) -> str:
    """The environment as ``ID (field=value, ...)``."""
    config = ", ".join(f"{k}={v!r}" for k, v in env.kwargs.items()) or "default config"
    return f"{env.id} ({config})"


def headline_table(
    plan: Plan, env: EnvPlan, summary: pd.DataFrame, gap: pd.DataFrame, agents: list[str]
) -> Table:
    """Agents ranked by the headline metric, with the paired gap to the reference agent."""
    head = summary[summary["metric"] == env.headline].set_index("agent")
    ranked = sorted(agents, key=lambda a: head.loc[a, "mean"] * (1 if env.lower_is_better else -1))
    header = [
        "#",
        "agent",
        "kind",
        "budget",
        f"{env.headline} (95% CI)",
        "seed sd",
        "episodes",
    ]
    if env.reference:
        header.insert(5, f"vs {env.reference} (95% CI)")
    gaps = gap.set_index("agent") if not gap.empty else None
    rows = []
    for rank, agent in enumerate(ranked, start=1):
        a = plan.agent(agent)
        row = head.loc[agent]
        cells = [
            str(rank),
            agent if a.name == agent else f"{agent} ({a.name})",
            "learner" if a.learns else "baseline",
            a.budget_text,
            interval(row["mean"], row["ci_low"], row["ci_high"]),
            fmt(row["seed_sd"]),
            str(int(row["n"])),
        ]
        if env.reference:
            if agent == env.reference:
                cells.insert(5, "reference")
            elif gaps is not None and agent in gaps.index:
                g = gaps.loc[agent]
                cells.insert(5, f"{g['pct']:+.1f}% [{g['pct_low']:+.1f}, {g['pct_high']:+.1f}]")
            else:
                cells.insert(5, "–")
        rows.append(cells)
    direction = "lower is better" if env.lower_is_better else "higher is better"
    return Table(f"Ranking by {env.headline} ({direction})", header, rows)


def metric_table(env: EnvPlan, summary: pd.DataFrame, agents: list[str]) -> Table:
    """Each agent's mean and interval of every metric the environment shows."""
    means = summary.set_index(["agent", "metric"])
    rows = []
    for agent in agents:
        cells = [agent]
        for metric in env.metrics:
            if (agent, metric) in means.index:
                r = means.loc[(agent, metric)]
                cells.append(plus_minus(r["mean"], r["ci_low"], r["ci_high"]))
            else:
                cells.append("–")
        rows.append(cells)
    return Table("Metrics (mean ± 95% CI half-width)", ["agent", *env.metrics], rows)


def definitions_table(env: EnvPlan) -> Table:
    """What each metric the environment shows measures: unit, better direction, meaning.

    Read from the domain's declaration (its metrics module's ``METRICS``).
    """
    declared = declared_metrics(env.id)
    rows = []
    for name in env.metrics:
        metric = declared.get(name)
        if metric is None:
            rows.append([name, "–", "–", "not declared by the domain"])
            continue
        better = {True: "higher", False: "lower", None: "–"}[metric.higher_is_better]
        rows.append([name, metric.unit, better, metric.description])
    return Table("Metric definitions", ["metric", "unit", "better", "meaning"], rows)


TOLERANCE = 0.05
"""How close to the reference's headline a checkpoint must come (a share of its size)."""


def time_to_reference(records: list[dict[str, Any]], env: EnvPlan) -> pd.DataFrame:
    """Each learner trial's first checkpoint within :data:`TOLERANCE` of the reference.

    The reference's value is its mean headline over the trial's checkpoint seeds (from
    its evaluated episodes, pooled over its trials if it learns); a checkpoint comes
    within reach at ``value <= ref + 5% |ref|`` for a cost, ``value >= ref - 5% |ref|``
    otherwise. Columns: ``agent``, ``train_seed``, ``metric``, ``reference`` (its
    value), ``seconds`` (training wall time) and ``step`` of that checkpoint, NaN if
    none came within reach. Empty without a reference or checkpoints.
    """
    columns = ["agent", "train_seed", "metric", "reference", "seconds", "step"]
    mine = [r for r in records if r["key"]["env"] == env.label]
    references = [r for r in mine if r["key"]["agent"] == env.reference]
    rows = []
    for record in mine:
        metric, key = record.get("checkpoint_metric"), record["key"]
        if not metric or not references or key["agent"] == env.reference:
            continue
        seeds = set(key["checkpoint_seeds"])
        values = [
            e[metric["name"]] for r in references for e in r["episodes"] if e["eval_seed"] in seeds
        ]
        if not values:
            continue
        reference = float(np.mean(values))
        sign = 1.0 if metric["lower_is_better"] else -1.0
        first = next(
            (
                point
                for point in record.get("curve") or []
                if "eval" in point
                and sign * (point["eval"] - reference) <= TOLERANCE * abs(reference)
            ),
            None,
        )
        rows.append(
            [
                key["agent"],
                key["seed"],
                metric["name"],
                reference,
                first["seconds"] if first else math.nan,
                first["step"] if first else math.nan,
            ]
        )
    return pd.DataFrame(rows, columns=columns)


def time_to_reference_table(env: EnvPlan, times: pd.DataFrame) -> Table | None:
    """Per learner: the time to reach the reference on each training seed, and the median."""
    if times.empty:
        return None
    seeds = sorted(times["train_seed"].unique())
    rows = []
    for agent, group in times.groupby("agent", sort=False):
        by_seed = group.set_index("train_seed")
        cells = [agent]
        for seed in seeds:
            if seed not in by_seed.index:
                cells.append("–")
            elif pd.isna(by_seed.loc[seed, "seconds"]):
                cells.append("not reached")
            else:
                point = by_seed.loc[seed]
                cells.append(f"{fmt(point['seconds'])} s ({int(point['step']):,} steps)")
        median = float(np.median(group["seconds"].fillna(math.inf)))
        reached = int(group["seconds"].notna().sum())
        cells += [f"{fmt(median)} s" if math.isfinite(median) else "not reached"]
        cells += [f"{reached}/{len(group)}"]
        rows.append(cells)
    first = times.iloc[0]
    return Table(
        f"Time to reference: within {TOLERANCE:.0%} of {env.reference}",
        ["agent", *[f"seed {s}" for s in seeds], "median", "reached"],
        rows,
        f"Training wall time (checkpoint evaluations excluded) at the first checkpoint whose "
        f"mean {first['metric']} on the checkpoint seeds came within {TOLERANCE:.0%} of "
        f"{env.reference}'s on the same seeds ({fmt(first['reference'])}). Checkpoints are "
        "evenly spaced over each budget, so times are as coarse as their spacing; the median "
        "counts a seed that never reached it as infinitely slow.",
    )


def budget_table(plan: Plan, records: list[dict[str, Any]]) -> Table:
    """Each agent's training budget, parameters, finished trials, steps and mean wall times.

    A learner's budget is in steps or seconds; the steps it reached (last point of its
    learning curve) are given as the mean and range over its trials, so a seconds budget
    reads in steps too. Its parameters are the scenario's over its tuned entry for each
    environment (``hyperparams/``), else its defaults.
    """
    times: dict[str, list[dict[str, float]]] = {}
    steps: dict[str, list[float]] = {}
    for record in records:
        times.setdefault(record["key"]["agent"], []).append(record["wall_time"])
        curve = [point["step"] for point in record.get("curve") or [] if "step" in point]
        if curve:
            steps.setdefault(record["key"]["agent"], []).append(max(curve))
    rows = []
    for agent in plan.agents:
        spent = times.get(agent.label, [])
        trials = sum(agent.label in e.agents for e in plan.envs) * (
            len(plan.seeds) if agent.learns else 1
        )
        mean_fit = sum(t["fit"] for t in spent) / len(spent) if spent else math.nan
        mean_eval = sum(t["evaluate"] for t in spent) / len(spent) if spent else math.nan
        reached = steps.get(agent.label, [])
        given = ", ".join(f"{k}={v}" for k, v in agent.params.items())
        if agent.learns:
            given = f"{given} over " if given else ""
            given += "tuned entries, else defaults"
        rows.append(
            [
                agent.label,
                agent.name,
                "learner" if agent.learns else "baseline",
                agent.budget_text,
                _steps_text(reached) if agent.learns else "–",
                given or "defaults",
                f"{len(spent)}/{trials}",
                fmt(mean_fit) if agent.learns else "–",
                fmt(mean_eval),
            ]
        )
    header = [
        "agent",
        "name",
        "kind",
        "budget",
        "steps/trial (range)",
        "params",
        "trials",
        "fit s/trial",
        "eval s/trial",
    ]
    return Table("Budgets", header, rows)


def _steps_text(steps: list[float]) -> str:
    """``"1.2M (0.3M–4.1M)"``: the mean and range of the steps trials trained for."""
    if not steps:
        return "–"
    mean = sum(steps) / len(steps)
    low, high = min(steps), max(steps)
    if low == high:
        return _count_text(mean)
    return f"{_count_text(mean)} ({_count_text(low)}–{_count_text(high)})"


def _count_text(value: float) -> str:
    for size, suffix in ((1e6, "M"), (1e3, "k")):
        if value >= size:
            return f"{value / size:.3g}{suffix}"
    return f"{value:.0f}"
