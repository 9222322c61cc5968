"""The report of a run: ``index.html`` with tables and PNG plots, plus Markdown and CSV.

Everything is computed from the run folder (its ``plan.json`` and trial files), so
``fieldgym report RUN_DIR`` rebuilds the same report without rerunning anything. The
folder holds::

    index.html      tables, plots, protocol, budgets, machine and the regenerating command
    results.md      the same tables in Markdown
    results.csv     one row per environment, agent and metric: mean, 95% CI, n, seed sd
    episodes.csv    every evaluated episode (the store's rows, see ``load_results``)
    <env>_*.png     learning curves (training returns and checkpoint evaluations against
                    steps and training wall time), levels over one episode, cost
                    breakdown, headline boxes
    tensorboard/    the learners' training logs, copied from the run folder

A suite scenario (``report: {suite: true}``) adds the cross-domain comparison of
:mod:`fieldgym.scenarios.report.suite` at the top of ``index.html`` and ``results.md``, its four
``suite_*.png`` figures, and ``leaderboard.md``: the command, date, machine, budgets,
reference per task, aggregate scores with intervals and the probability-of-improvement
matrix, linking the figures. A domain whose view has a ``section`` (see
:class:`~fieldgym.scenarios.report.domains.DomainView`; the wireless Pareto fronts) adds that
section after the environments' own. Tables are built in :mod:`.tables` and pages
rendered in :mod:`.render`.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import platform
import shlex
import shutil
from pathlib import Path
from typing import Any

import pandas as pd

from fieldgym.scenarios.plan.spec import EnvPlan, Plan
from fieldgym.scenarios.plan.trials import expand
from fieldgym.scenarios.report import plots, suite
from fieldgym.scenarios.report.domains import SectionInput, domain_view
from fieldgym.scenarios.report.render import html_page, markdown_page
from fieldgym.scenarios.report.tables import (
    EnvSection,
    Section,
    budget_table,
    definitions_table,
    headline_table,
    metric_table,
    time_to_reference,
    time_to_reference_table,
)
from fieldgym.scenarios.run import store
from fieldgym.scenarios.stats import intervals as stats


def default_out(plan: Plan) -> Path:
    """The report folder when none is given: ``reports/<scenario name>/`` (checked to be inside)."""
    return store.inside("reports", plan.name)


def write_report(
    run_dir: str | Path,
    out_dir: str | Path | None = None,
    command: str | None = None,
    tensorboard: bool = True,
) -> Path:
    """Write the report of the run in ``run_dir`` and return its ``index.html``.

    Args:
        run_dir: A run folder written by :func:`fieldgym.scenarios.run.runner.run_plan`.
        out_dir: The report folder (default :func:`default_out`).
        command: The command that regenerates the report, as the report states it;
            default: ``fieldgym report RUN_DIR --out OUT_DIR`` with the paths as given.
        tensorboard: Copy the learners' TensorBoard logs into ``OUT_DIR/tensorboard/``
            (small: about 30 kB per 30,000 training steps), so the report folder holds them.

    Raises:
        DataError: If ``run_dir`` is not a run folder or holds an unreadable trial file.
    """
    run_dir = Path(run_dir)
    plan = store.read_plan(run_dir)
    out = Path(out_dir) if out_dir is not None else default_out(plan)
    out.mkdir(parents=True, exist_ok=True)
    store.remove_stale_temporaries(out)  # left by a report write that was killed
    command = (
        command or f"fieldgym report {shlex.quote(str(run_dir))} --out {shlex.quote(str(out))}"
    )

    records = store.load_trials(run_dir)
    results = store.results_table(records)
    curves = store.curves_table(records)
    checkpoints = store.curves_table(records, "eval")
    expected = [t.trial_id for t in expand(plan)]
    present = {r["trial_id"] for r in records}
    missing = [t for t in expected if t not in present]
    failed = sorted(p.stem for p in (run_dir / store.ERRORS).glob("*.txt") if p.stem in missing)
    colors = plots.agent_colors([a.label for a in plan.agents])

    summaries, sections = [], []
    for env in plan.envs:
        env_results = results[results["env"] == env.label]
        if env_results.empty:
            continue
        section, summary = _env_section(
            plan, env, env_results, (curves, checkpoints), records, colors, out
        )
        sections.append(section)
        summaries.append(summary)
    summary = pd.concat(summaries, ignore_index=True) if summaries else pd.DataFrame()
    cross: Section | None = None
    if plan.suite:
        cross = suite.section(plan, suite.compare(plan, results, curves, out, colors))
    before = [cross] if cross is not None else []
    after = _domain_sections(plan, results, records, out, colors)

    logs = _copy_training_logs(run_dir, records, out / store.TENSORBOARD) if tensorboard else None
    meta = _meta(plan, records, run_dir, command, missing, failed, logs)
    budget = budget_table(plan, records)
    for name, table in (("results.csv", summary), ("episodes.csv", results)):
        with store.atomic_path(out / name) as tmp:
            table.to_csv(tmp, index=False)
    pages = (plan, meta, sections, budget, before, after)
    store.write_text_atomic(out / "results.md", markdown_page(*pages))
    if cross is not None:
        meta["compare"] = (
            f"fieldgym compare {shlex.quote(plan.source)} "
            f"--runs {shlex.quote(str(run_dir))} --out {shlex.quote(str(out))}"
        )
        leaderboard = suite.leaderboard(plan, meta, budget, cross)
        store.write_text_atomic(out / suite.LEADERBOARD, leaderboard)
    index = out / "index.html"
    store.write_text_atomic(index, html_page(*pages))
    return index


def _copy_training_logs(run_dir: Path, records: list[dict[str, Any]], dest: Path) -> Path | None:
    """Copy the current trials' TensorBoard logs to ``dest``; ``None`` if there are none.

    Each trial's folder in ``dest`` is replaced; nothing else in ``dest`` is touched, since a
    report may be written into a folder of the user's (``--out``).
    """
    if dest.resolve() == (run_dir / store.TENSORBOARD).resolve():
        return dest  # the report is written into the run folder itself
    sources = [store.inside(run_dir, r["log_dir"]) for r in records if r.get("log_dir")]
    sources = [s for s in sources if s.is_dir()]
    if not sources:
        return None
    for source in sources:
        copy = store.inside(dest, source.name)
        shutil.rmtree(copy, ignore_errors=True)
        shutil.copytree(source, copy)
    return dest


def _env_section(
    plan: Plan,
    env: EnvPlan,
    results: pd.DataFrame,
    curves: tuple[pd.DataFrame, pd.DataFrame],
    records: list[dict[str, Any]],
    colors: dict[str, Any],
    out: Path,
) -> tuple[EnvSection, pd.DataFrame]:
    """The environment's tables and figures, and its summary rows for ``results.csv``.

    ``curves`` are the run's training-episode and checkpoint curve tables.
    """
    view = domain_view(env.domain)
    agents = [a for a in env.agents if a in set(results["agent"])]
    summary = stats.summarize(
        results, list(dict.fromkeys([*env.metrics, *view.stack, "episode_return"]))
    )
    gap = (
        stats.reference_gap(results, env.reference, env.headline)
        if env.reference in agents
        else pd.DataFrame()
    )
    if not gap.empty:
        rows = gap.rename(columns={"pct": "mean", "pct_low": "ci_low", "pct_high": "ci_high"})
        rows = rows.assign(
            env=env.label,
            metric=f"{env.headline} vs {env.reference} (%)",
            n_seeds=pd.NA,
            seed_sd=math.nan,
        )
        summary = pd.concat([summary, rows[summary.columns]], ignore_index=True)
    summary.insert(0, "env", summary.pop("env"))

    stem = plots.file_stem(env.label)
    figures = []
    env_records = [r for r in records if r["key"]["env"] == env.label]
    if path := plots.learning_curves(
        _curve_rows(plan, env, results, curves, env_records, agents),
        colors,
        store.inside(out, f"{stem}_learning_curves.png"),
    ):
        figures.append(
            (
                "Learning curves against environment steps (left) and training wall time "
                "(right): training episode returns (rolling mean over 10 episodes), then the "
                "checkpoint evaluations where there are any (dashed: the baselines' "
                "evaluation means)",
                path.name,
            )
        )
    traces = store.first_traces(records, env.label, agents)
    if path := plots.levels(traces, view, colors, store.inside(out, f"{stem}_levels.png")):
        figures.append(
            (
                f"{view.levels_label.capitalize()} per stage over the first evaluation episode",
                path.name,
            )
        )
    env_summary = summary[summary["agent"].isin(agents)]
    costs = store.inside(out, f"{stem}_costs.png")
    if path := plots.stacked_costs(env_summary, view, agents, colors, costs):
        figures.append(("Cost breakdown per agent", path.name))
    if path := plots.headline_boxes(
        results, env.headline, agents, colors, store.inside(out, f"{stem}_{env.headline}.png")
    ):
        figures.append((f"{env.headline} per evaluation episode (triangle: mean)", path.name))

    tables = [
        headline_table(plan, env, summary, gap, agents),
        metric_table(env, summary, agents),
        definitions_table(env),
    ]
    if reach := time_to_reference_table(env, time_to_reference(env_records, env)):
        tables.append(reach)
    return EnvSection(env, tables, figures), summary


def _curve_rows(
    plan: Plan,
    env: EnvPlan,
    results: pd.DataFrame,
    curves: tuple[pd.DataFrame, pd.DataFrame],
    records: list[dict[str, Any]],
    agents: list[str],
) -> list[plots.Curves]:
    """The learning-curve figure's rows: training returns, then checkpoint evaluations.

    Baselines are drawn at their evaluation means: of the return (unless evaluation
    episodes are cut to another length than training ones), and of the checkpoint
    metric on the checkpoint seeds.
    """
    episodes, checkpoints = (c[(c["env"] == env.label) & c["agent"].isin(agents)] for c in curves)
    baselines = [a for a in agents if not plan.agent(a).learns]
    returns = {
        a: float(results.loc[results["agent"] == a, "episode_return"].mean()) for a in baselines
    }
    rows = [
        plots.Curves(
            episodes,
            "episode_return",
            "training episode return",
            returns if plan.max_steps is None else {},
            smooth=10,
        )
    ]
    metric = next((r["checkpoint_metric"] for r in records if r.get("checkpoint_metric")), None)
    if metric is not None:
        seeds = results["eval_seed"].isin(plan.checkpoint_seeds)
        levels = {
            a: float(results.loc[seeds & (results["agent"] == a), metric["name"]].mean())
            for a in baselines
        }
        label = f"{metric['name']} at checkpoints ({len(plan.checkpoint_seeds)} episodes)"
        rows.append(plots.Curves(checkpoints, "eval", label, levels))
    return rows


def _domain_sections(
    plan: Plan,
    results: pd.DataFrame,
    records: list[dict[str, Any]],
    out: Path,
    colors: dict[str, Any],
) -> list[Section]:
    """The sections of the plan's domains whose view defines one, in plan order."""
    sections = []
    present = set(results["env"]) if not results.empty else set()
    for domain in dict.fromkeys(e.domain for e in plan.envs):
        view = domain_view(domain)
        envs = [e for e in plan.envs if e.domain == domain and e.label in present]
        if view.sections is None or not envs:
            continue
        labels = {e.label for e in envs}
        run = SectionInput(
            plan,
            envs,
            results[results["env"].isin(labels)],
            [r for r in records if r["key"]["env"] in labels],
            out,
            colors,
        )
        sections += view.sections(run)
    return sections


def _meta(
    plan: Plan,
    records: list[dict[str, Any]],
    run_dir: Path,
    command: str,
    missing: list[str],
    failed: list[str],
    logs: Path | None,
) -> dict[str, Any]:
    machines = sorted(
        {
            f"{m['platform']}, {m['cpu_count']} CPUs ({m['processor']}), Python {m['python']}"
            for m in (r.get("machine") for r in records)
            if m
        }
    )
    finished = sorted(r["finished_at"] for r in records if r.get("finished_at"))
    cpu_seconds = sum(r["wall_time"]["total"] for r in records)
    return {
        "command": command,
        "rerun": (
            f"fieldgym compare {shlex.quote(plan.source)} "
            f"--runs {shlex.quote(str(run_dir))} --fresh"
        ),
        "generated": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "run_span": f"{finished[0]} to {finished[-1]}" if finished else "–",
        "machines": machines,
        "report_machine": f"{platform.platform()}, {os.cpu_count()} CPUs",
        "workers": plan.workers,
        "trial_seconds": cpu_seconds,
        "protocol": (
            f"training seeds {list(plan.seeds)} (learners train once per seed; baselines "
            "run once); "
            f"{len(plan.eval_seeds)} evaluation episodes per trial on seeds "
            f"{plan.eval_seeds[0]}–{plan.eval_seeds[-1]}, the same for every agent; "
            "episode length: "
            + (
                f"{plan.max_steps} steps"
                if plan.max_steps
                else "the environment's registered limit"
            )
            + (
                f"; learners evaluated at {plan.checkpoints} evenly spaced checkpoints on the "
                f"first {len(plan.checkpoint_seeds)} evaluation seeds"
                if plan.checkpoints
                else ""
            )
        ),
        "stats": stats.METHOD,
        "tensorboard": (
            f"tensorboard --logdir {shlex.quote(str(logs or run_dir / store.TENSORBOARD))}"
        ),
        "missing": missing,
        "failed": failed,
        "trials": len(records),
    }
