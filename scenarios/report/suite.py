"""The cross-domain comparison of a suite scenario (``report: {suite: true}``).

A suite runs the same agents on one task (environment) per domain. Each run (agent,
task, training seed) gets one raw score: the mean of the task's headline metric over the
run's evaluation episodes. A baseline acts the same whatever the training seed, so it has
one run per task (its ``seed`` is :data:`BASELINE_RUN`). Raw scores are normalized per
task with :func:`~fieldgym.scenarios.stats.aggregates.normalize`: the task's agent named
``random`` maps to 0 and its ``report.reference`` agent to 1, the anchors being the mean
of their run scores; for a cost (``lower_is_better``) the same linear map reverses the
sign, so higher is better on every normalized scale.

The aggregates pool the agents that run on every task (the learners and ``random``) and
:data:`REFERENCE`, the tasks' reference agents taken together (1 on every task by
construction, so ``P(agent > reference)`` reads as "how often does it beat the classical
reference"). Domain baselines, which run on one task each, appear only in the heat map
and the per-task table. A task whose anchors cannot be computed, or an agent whose runs
are incomplete, is left out of the aggregates with a note rather than failing the report.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from fieldgym.envs.core.errors import DataError
from fieldgym.scenarios.plan.spec import EnvPlan, Plan
from fieldgym.scenarios.report import suite_plots
from fieldgym.scenarios.report.render import md_table
from fieldgym.scenarios.report.tables import Section, Table, env_text, fmt
from fieldgym.scenarios.stats import aggregates as agg

BASELINE_RUN = -1
"""The ``seed`` of a baseline's single run in a score table."""
REFERENCE = "reference"
"""The pooled agent made of each task's reference agent."""
RANDOM = "random"
"""The registered name of the agent that anchors 0."""
SMOOTH = 10
"""Training episodes in the rolling mean of the per-task learning curves."""
FIGURES = {
    "intervals": "suite_intervals.png",
    "profiles": "suite_profiles.png",
    "heatmap": "suite_heatmap.png",
    "curves": "suite_task_curves.png",
}
"""The comparison's PNG files in the report folder."""
SCORE_COLUMNS = ("agent", "task", "seed", "score", "episodes")
LEADERBOARD = "leaderboard.md"
"""The suite's Markdown leaderboard in the report folder."""
SCORES_INTRO = (
    "Each run's score (one agent, task and training seed; baselines run once per task) is "
    "the mean of the task's headline metric over the evaluation episodes, normalized per "
    "task so that the random agent scores 0 and the task's reference agent 1 (costs are "
    "mapped the same way with the sign reversed: higher is better everywhere). Aggregates "
    "pool the agents that run on every task; 'reference' is the tasks' reference agents "
    "taken together."
)


@dataclasses.dataclass
class Comparison:
    """The cross-domain comparison of a run, ready for the report.

    Attributes:
        tasks: The tasks pooled, in plan order (those with valid anchors).
        anchors: Each pooled task's normalization.
        scores: One row per run of every agent on the pooled tasks: ``agent``, ``task``,
            ``seed``, ``score`` (normalized), ``raw_score``, ``episodes``.
        pooled: The agents of the aggregates, in plan order, :data:`REFERENCE` last.
        estimates: :func:`~fieldgym.scenarios.stats.aggregates.interval_estimates` output.
        improvement: :func:`~fieldgym.scenarios.stats.aggregates.improvement_estimates` output.
        profiles: :func:`~fieldgym.scenarios.stats.aggregates.profile_estimates` output.
        figures: ``(caption, file name)`` of each PNG written.
        notes: What was left out and why, for the reader.
    """

    tasks: list[str]
    anchors: dict[str, agg.Anchors]
    scores: pd.DataFrame
    pooled: list[str]
    estimates: pd.DataFrame
    improvement: pd.DataFrame
    profiles: pd.DataFrame
    figures: list[tuple[str, str]]
    notes: list[str]


def random_agent(plan: Plan, env: EnvPlan) -> str | None:
    """The label of the first agent named ``random`` that runs on ``env`` (``None`` if none)."""
    return next((a for a in env.agents if plan.agent(a).name == RANDOM), None)


def run_scores(plan: Plan, results: pd.DataFrame) -> pd.DataFrame:
    """One raw score per run: the mean headline metric of its evaluation episodes.

    Args:
        plan: The run's plan (each environment's label and headline).
        results: Episode rows as :func:`fieldgym.scenarios.run.store.load_results` gives them.

    Returns:
        Columns :data:`SCORE_COLUMNS`: ``seed`` is the training seed (:data:`BASELINE_RUN`
        for a baseline), ``score`` the mean of the finite headline values and
        ``episodes`` their number (a run without any has a NaN score).
    """
    frames = []
    for env in plan.envs:
        rows = results[results["env"] == env.label]
        if rows.empty or env.headline not in rows:
            continue
        seeds = rows["train_seed"].astype("Int64").fillna(BASELINE_RUN).astype(int)
        values = pd.to_numeric(rows[env.headline], errors="coerce").astype(float)
        values = values.where(np.isfinite(values))
        grouped = pd.DataFrame({"agent": rows["agent"], "seed": seeds, "value": values}).groupby(
            ["agent", "seed"], sort=False
        )["value"]
        frame = grouped.agg(score="mean", episodes="count").reset_index()
        frame.insert(1, "task", env.label)
        frames.append(frame)
    if not frames:
        return pd.DataFrame(columns=list(SCORE_COLUMNS))
    return pd.concat(frames, ignore_index=True)[list(SCORE_COLUMNS)]


def task_anchors(plan: Plan, env: EnvPlan, raw: pd.DataFrame) -> agg.Anchors:
    """The normalization of ``env``: its random agent's and reference's mean run scores.

    Raises:
        DataError: The task has no random or no reference agent, or one of them has no
            finite result; the message names the task.
    """
    where = f"task {env.label!r} ({env.id})"
    rnd = random_agent(plan, env)
    if rnd is None:
        raise DataError(f"{where}: no agent named {RANDOM!r} runs on it, so it has no 0 anchor")
    if env.reference is None:
        raise DataError(f"{where}: no report.reference agent, so it has no 1 anchor")
    here = raw[raw["task"] == env.label]
    values = {}
    for role, agent in (("random", rnd), ("reference", env.reference)):
        scores = here.loc[here["agent"] == agent, "score"].to_numpy(dtype=float)
        scores = scores[np.isfinite(scores)]
        if scores.size == 0:
            raise DataError(
                f"{where}: the {role} agent {agent!r} has no finite {env.headline} result "
                "(its trial has not finished or failed)"
            )
        values[role] = float(scores.mean())
    return agg.Anchors(values["random"], values["reference"], env.lower_is_better, env.reference)


def score_table(plan: Plan, results: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, agg.Anchors]]:
    """Normalized run scores of every agent on every task, and each task's anchors.

    Raises:
        DataError: A task lacks its random or reference agent or result, or its reference
            is no better than random (see :func:`~fieldgym.scenarios.stats.aggregates.normalize`).
    """
    raw = run_scores(plan, results)
    anchors = {env.label: task_anchors(plan, env, raw) for env in plan.envs}
    return agg.normalize_table(raw, anchors), anchors


def compare(
    plan: Plan,
    results: pd.DataFrame,
    curves: pd.DataFrame,
    out: Path,
    colors: Mapping[str, Any],
    reps: int = agg.REPS,
    seed: int = 0,
) -> Comparison:
    """Normalize, aggregate and draw the comparison's four figures into ``out``.

    Unlike :func:`score_table` it does not raise on one bad task or agent: the task or
    agent is left out of the aggregates and a note says why.
    """
    notes: list[str] = []
    raw = run_scores(plan, results)
    anchors: dict[str, agg.Anchors] = {}
    parts = []
    for env in plan.envs:
        try:
            anchors[env.label] = task_anchors(plan, env, raw)
            parts.append(agg.normalize_table(raw[raw["task"] == env.label], anchors))
        except DataError as exc:
            anchors.pop(env.label, None)
            notes.append(f"Task {env.label!r} is left out of the comparison: {exc}.")
    tasks = [e.label for e in plan.envs if e.label in anchors]
    scores = (
        pd.concat(parts, ignore_index=True)
        if parts
        else pd.DataFrame(columns=[*SCORE_COLUMNS, "raw_score"])
    )
    score_dict = _pooled_scores(plan, scores, tasks, notes)
    comparison = Comparison(
        tasks, anchors, scores, list(score_dict), *_estimates(score_dict, reps, seed), [], notes
    )
    colors = {**colors, REFERENCE: "black"}
    _draw(plan, comparison, curves, out, colors)
    return comparison


def _pooled_scores(
    plan: Plan, scores: pd.DataFrame, tasks: list[str], notes: list[str]
) -> dict[str, np.ndarray]:
    """``{agent: (runs, tasks)}`` for the agents with runs on every task, then the reference."""
    out: dict[str, np.ndarray] = {}
    if not tasks:
        return out
    for agent in plan.agents:
        if not all(agent.label in plan.env(t).agents for t in tasks):
            continue  # a domain baseline: not on every task
        try:
            out.update(agg.to_score_dict(scores[scores["agent"] == agent.label], tasks))
        except DataError as exc:
            notes.append(f"Agent {agent.label!r} is left out of the aggregates: {exc}.")
    references = []
    for task in tasks:
        ref = plan.env(task).reference
        rows = scores[(scores["task"] == task) & (scores["agent"] == ref)].sort_values("seed")
        references.append(rows.assign(agent=REFERENCE, seed=range(len(rows))))
    counts = {len(r) for r in references}
    if REFERENCE in {a.label for a in plan.agents}:
        notes.append(f"An agent is labelled {REFERENCE!r}; the pooled reference is left out.")
    elif len(counts) == 1:
        try:
            out.update(agg.to_score_dict(pd.concat(references), tasks))
        except DataError as exc:
            notes.append(f"The pooled reference is left out: {exc}.")
    else:
        notes.append(
            "The pooled reference is left out: the reference agents have different numbers "
            "of runs on different tasks."
        )
    return out


def _estimates(
    score_dict: dict[str, np.ndarray], reps: int, seed: int
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    if not score_dict:
        return pd.DataFrame(), pd.DataFrame(), pd.DataFrame()
    return (
        agg.interval_estimates(score_dict, reps=reps, seed=seed),
        agg.improvement_estimates(score_dict, reps=reps, seed=seed),
        agg.profile_estimates(score_dict, reps=reps, seed=seed),
    )


def _draw(
    plan: Plan, comparison: Comparison, curves: pd.DataFrame, out: Path, colors: Mapping[str, Any]
) -> None:
    """Write the four figures; one that cannot be drawn gets a note instead."""
    c = comparison
    ranked = _ranked(c.estimates)
    agents = [a.label for a in plan.agents]
    learning = _learning_curves(curves, c.tasks)
    jobs = [
        (
            "intervals",
            "Aggregate normalized scores with 95% stratified bootstrap intervals "
            "(0 = random, 1 = each task's reference)",
            lambda path: suite_plots.intervals(c.estimates, path, ranked, colors),
        ),
        (
            "profiles",
            "Performance profiles: fraction of runs × tasks with a normalized score above τ",
            lambda path: suite_plots.profiles(c.profiles, path, ranked, colors),
        ),
        (
            "heatmap",
            "Mean normalized score per agent and task (blank: the agent does not run there)",
            lambda path: suite_plots.score_heatmap(c.scores, path, agents, c.tasks),
        ),
        (
            "curves",
            f"Training episode returns per task (rolling mean of {SMOOTH} episodes; "
            "environment reward units, not normalized)",
            lambda path: suite_plots.task_learning_curves(
                learning, path, ylabel="training episode return", agents=agents, colors=colors
            ),
        ),
    ]
    for name in FIGURES.values():
        (out / name).unlink(missing_ok=True)  # no stale figure from an earlier report
    if c.estimates.empty:
        c.notes.append("No aggregate figures: no agent has a full set of runs on the tasks.")
        jobs = jobs[2:]
    for key, caption, draw in jobs:
        path = out / FIGURES[key]
        try:
            draw(path)
        except DataError as exc:
            c.notes.append(f"No {key} figure: {exc}.")
            continue
        c.figures.append((caption, path.name))


def _ranked(estimates: pd.DataFrame) -> list[str] | None:
    """Agents by IQM, best first."""
    if estimates.empty:
        return None
    iqm = estimates[estimates["metric"] == "iqm"].sort_values("point", ascending=False)
    return list(iqm["agent"])


def _learning_curves(curves: pd.DataFrame, tasks: list[str]) -> pd.DataFrame:
    """Training returns of the learners, smoothed per run, as ``task_learning_curves`` wants."""
    columns = ["agent", "task", "seed", "step", "value"]
    if curves.empty:
        return pd.DataFrame(columns=columns)
    order = {t: k for k, t in enumerate(tasks)}
    rows = curves[curves["env"].isin(order)].copy()
    rows["value"] = rows.groupby("trial_id")["episode_return"].transform(
        lambda x: x.rolling(SMOOTH, min_periods=1).mean()
    )
    rows = rows.rename(columns={"env": "task", "train_seed": "seed"})
    rows = rows.sort_values("task", key=lambda s: s.map(order), kind="stable")
    return rows[columns].reset_index(drop=True)


# The report's section and the leaderboard.


def section(plan: Plan, c: Comparison) -> Section:
    """The comparison as the report's first section, linking :data:`LEADERBOARD`."""
    return Section(
        "Cross-domain comparison",
        tables(plan, c),
        c.figures,
        intro=f"{SCORES_INTRO} Method: {agg.METHOD}.",
        notes=c.notes,
        links=[("Leaderboard", LEADERBOARD)],
    )


def leaderboard(plan: Plan, meta: dict[str, Any], budget: Table, cross: Section) -> str:
    """``leaderboard.md``: how it was made, then the comparison's tables and figures.

    ``meta`` is the report's run metadata plus ``compare``, the command that reruns it.
    """
    out = [f"# Leaderboard: {plan.name}", ""]
    if plan.description:
        out += [plan.description, ""]
    out += [
        f"- Regenerate (reuses finished trials, reruns missing ones): `{meta['compare']}`; "
        "add `--fresh` to rerun every trial",
        f"- Report only, from the stored results: `{meta['command']}`",
        f"- Date: generated {meta['generated']}; trials finished {meta['run_span']}",
        f"- Machine: {'; '.join(meta['machines']) or '–'}; {meta['workers']} worker "
        f"process(es), {fmt(meta['trial_seconds'])} s of trial time in total "
        f"(report built on {meta['report_machine']})",
        f"- Protocol: {meta['protocol']}",
        f"- Scores: {SCORES_INTRO}",
        f"- Statistics: {agg.METHOD}",
        "",
    ]
    if meta["missing"]:
        out += [f"**Missing trials ({len(meta['missing'])}):** {', '.join(meta['missing'])}", ""]
    out += [f"**Note:** {note}\n" for note in cross.notes]
    out += [md_table(t) for t in cross.tables]
    out.append(md_table(dataclasses.replace(budget, title="Budget per agent")))
    out += ["### Plots", ""]
    out += [f"- [{caption}]({name})" for caption, name in cross.figures]
    out += [
        "- Every task's own tables and figures: [index.html](index.html), [results.md](results.md)",
        "",
    ]
    return "\n".join(out)


def _normalized(point: float, low: float, high: float) -> str:
    return f"{point:.2f} [{low:.2f}, {high:.2f}]"


def tables(plan: Plan, c: Comparison) -> list[Table]:
    """The comparison's tables with rows: aggregates, improvement, scores per task, references."""
    direction = {True: "lower is better", False: "higher is better"}
    references = Table(
        "Normalization per task (random = 0, reference = 1)",
        ["task", "environment", "headline", "random = 0", "reference", "reference = 1"],
        [
            [
                task,
                env_text(plan.env(task)),
                f"{plan.env(task).headline} ({direction[a.lower_is_better]})",
                fmt(a.random),
                a.reference_agent,
                fmt(a.reference),
            ]
            for task, a in c.anchors.items()
        ],
    )
    tables = [_aggregate_table(c), _improvement_table(c), _task_table(plan, c), references]
    return [t for t in tables if t.rows]


def _aggregate_table(c: Comparison) -> Table:
    header = ["#", "agent", "runs × tasks", *(_label(m) for m in agg.METRICS)]
    if c.estimates.empty:
        return Table("Aggregate normalized scores", header, [])
    est = c.estimates.set_index(["agent", "metric"])
    iqm = c.estimates[c.estimates["metric"] == "iqm"].sort_values("point", ascending=False)
    rows = []
    for rank, agent in enumerate(iqm["agent"], start=1):
        first = est.loc[(agent, "iqm")]
        cells = [str(rank), agent, f"{int(first['runs'])} × {int(first['tasks'])}"]
        for metric in agg.METRICS:
            r = est.loc[(agent, metric)]
            cells.append(_normalized(r["point"], r["low"], r["high"]))
        rows.append(cells)
    return Table(
        "Aggregate normalized scores (95% stratified bootstrap CI), ranked by IQM",
        header,
        rows,
        "Optimality gap: how far the scores fall short of the reference (1), lower is better.",
    )


def _label(metric: str) -> str:
    return {"iqm": "IQM", "optimality_gap": "optimality gap"}.get(metric, metric)


def _improvement_table(c: Comparison) -> Table:
    agents = [a for a in (_ranked(c.estimates) or []) if a in set(c.improvement.get("x", []))]
    if len(agents) < 2:
        return Table("Probability of improvement", ["P(row > column)"], [])
    cells = c.improvement.set_index(["x", "y"])
    rows = [
        [
            x,
            *(
                "–" if x == y else _normalized(*cells.loc[(x, y), ["point", "low", "high"]])
                for y in agents
            ),
        ]
        for x in agents
    ]
    return Table(
        "Probability of improvement P(row > column) (95% stratified bootstrap CI)",
        ["P(row > column)", *agents],
        rows,
        "Per task, the probability that a random run of the row agent scores higher than a "
        "random run of the column agent (ties count half), averaged over tasks.",
    )


def _task_table(plan: Plan, c: Comparison) -> Table:
    if c.scores.empty:
        return Table("Mean normalized score per task", ["agent"], [])
    means = c.scores.groupby(["agent", "task"])["score"].agg(["mean", "count"])
    rows = []
    for agent in (a.label for a in plan.agents):
        if agent not in means.index.get_level_values(0):
            continue
        row = [agent]
        for task in c.tasks:
            if (agent, task) in means.index:
                m = means.loc[(agent, task)]
                row.append(f"{m['mean']:.2f} ({int(m['count'])})")
            else:
                row.append("–")
        rows.append(row)
    return Table(
        "Mean normalized score per task (runs)",
        ["agent", *c.tasks],
        rows,
        "Domain baselines run on their own task only.",
    )
