"""The report of a run: ``index.html`` with tables and PNG plots, plus Markdown and CSV.

Everything is computed from the run folder (its ``plan.json`` and trial files), so
``fieldgym report RUN_DIR`` rebuilds the same report without rerunning anything. The
folder holds::

    index.html      tables, plots, protocol, budgets, machine and the regenerating command
    results.md      the same tables in Markdown
    results.csv     one row per environment, agent and metric: mean, 95% CI, n, seed sd
    episodes.csv    every evaluated episode (the store's rows, see ``load_results``)
    <env>_*.png     learning curves, levels over one episode, cost breakdown, headline boxes
    tensorboard/    the learners' training logs, copied from the run folder

A suite scenario (``report: {suite: true}``) adds the cross-domain comparison of
:mod:`fieldgym.scenarios.suite` at the top of ``index.html`` and ``results.md``, its four
``suite_*.png`` figures, and ``leaderboard.md``: the command, date, machine, budgets,
reference per task, aggregate scores with intervals and the probability-of-improvement
matrix, linking the figures.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import html
import math
import os
import platform
import shlex
import shutil
from pathlib import Path
from typing import Any

import pandas as pd

from fieldgym.scenarios import aggregates as agg
from fieldgym.scenarios import plots, stats, store, walk_forward
from fieldgym.scenarios.domains import domain_view
from fieldgym.scenarios.spec import EnvPlan, Plan
from fieldgym.scenarios.trials import expand


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
class CrossSection:
    """What the report shows of a suite's cross-domain comparison."""

    tables: list[Table]
    figures: list[tuple[str, str]]
    notes: list[str]


LEADERBOARD = "leaderboard.md"
"""The suite's Markdown leaderboard in the report folder."""


def default_out(plan: Plan) -> Path:
    """The report folder when none is given: ``reports/<scenario name>/``."""
    return Path("reports") / plan.name


def write_report(
    run_dir: str | Path,
    out_dir: str | Path | None = None,
    command: str | None = None,
    tensorboard: bool = True,
) -> Path:
    """Write the report of the run in ``run_dir`` and return its ``index.html``.

    Args:
        run_dir: A run folder written by :func:`fieldgym.scenarios.runner.run_plan`.
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
    command = (
        command or f"fieldgym report {shlex.quote(str(run_dir))} --out {shlex.quote(str(out))}"
    )

    records = store.load_trials(run_dir)
    results = store.results_table(records)
    curves = store.curves_table(records)
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
        section, summary = _env_section(plan, env, env_results, curves, records, colors, out)
        sections.append(section)
        summaries.append(summary)
    summary = pd.concat(summaries, ignore_index=True) if summaries else pd.DataFrame()
    cross: CrossSection | None = None
    if plan.suite:
        from fieldgym.scenarios import suite  # imports this module

        comparison = suite.compare(plan, results, curves, out, colors)
        cross = CrossSection(suite.tables(plan, comparison), comparison.figures, comparison.notes)

    walk = _walk_forward_tables(plan, records)
    logs = _copy_training_logs(run_dir, records, out / store.TENSORBOARD) if tensorboard else None
    meta = _meta(plan, records, run_dir, command, missing, failed, logs)
    budget = _budget_table(plan, records)
    summary.to_csv(out / "results.csv", index=False)
    results.to_csv(out / "episodes.csv", index=False)
    (out / "results.md").write_text(
        _markdown(plan, meta, sections, budget, cross, walk), encoding="utf-8"
    )
    if cross is not None:
        meta["compare"] = (
            f"fieldgym compare {shlex.quote(plan.source)} "
            f"--runs {shlex.quote(str(run_dir))} --out {shlex.quote(str(out))}"
        )
        (out / LEADERBOARD).write_text(_leaderboard(plan, meta, budget, cross), encoding="utf-8")
    index = out / "index.html"
    index.write_text(_html(plan, meta, sections, budget, cross, walk), encoding="utf-8")
    return index


def _copy_training_logs(run_dir: Path, records: list[dict[str, Any]], dest: Path) -> Path | None:
    """Copy the current trials' TensorBoard logs to ``dest`` (replacing it); ``None`` if none."""
    if dest.resolve() == (run_dir / store.TENSORBOARD).resolve():
        return dest  # the report is written into the run folder itself
    sources = [run_dir / r["log_dir"] for r in records if r.get("log_dir")]
    sources = [s for s in sources if s.is_dir()]
    shutil.rmtree(dest, ignore_errors=True)
    if not sources:
        return None
    for source in sources:
        shutil.copytree(source, dest / source.name)
    return dest


def _env_section(
    plan: Plan,
    env: EnvPlan,
    results: pd.DataFrame,
    curves: pd.DataFrame,
    records: list[dict[str, Any]],
    colors: dict[str, Any],
    out: Path,
) -> tuple[EnvSection, pd.DataFrame]:
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

    stem = _file_stem(env.label)
    figures = []
    learner_curves = curves[(curves["env"] == env.label) & curves["agent"].isin(agents)]
    baselines = {
        a: float(results.loc[results["agent"] == a, "episode_return"].mean())
        for a in agents
        if not plan.agent(a).learns
    }
    if plan.max_steps is not None:
        baselines = {}  # evaluation episodes have another length than training ones
    if path := plots.learning_curves(
        learner_curves, baselines, colors, out / f"{stem}_learning_curves.png"
    ):
        figures.append(
            (
                "Learning curves: training episode returns (dashed: baselines' evaluation mean)",
                path.name,
            )
        )
    traces = _first_traces(records, env.label, agents)
    if path := plots.levels(traces, view, colors, out / f"{stem}_levels.png"):
        figures.append(
            (
                f"{view.levels_label.capitalize()} per stage over the first evaluation episode",
                path.name,
            )
        )
    env_summary = summary[summary["agent"].isin(agents)]
    if path := plots.stacked_costs(env_summary, view, agents, colors, out / f"{stem}_costs.png"):
        figures.append(("Cost breakdown per agent", path.name))
    if path := plots.headline_boxes(
        results, env.headline, agents, colors, out / f"{stem}_{env.headline}.png"
    ):
        figures.append((f"{env.headline} per evaluation episode (triangle: mean)", path.name))

    tables = [_headline_table(plan, env, summary, gap, agents), _metric_table(env, summary, agents)]
    return EnvSection(env, tables, figures), summary


def _first_traces(records: list[dict[str, Any]], env: str, agents: list[str]) -> dict[str, Any]:
    """Each agent's trace from its trial with the lowest training seed."""
    traces: dict[str, Any] = {}
    ordered = sorted(
        (r for r in records if r["key"]["env"] == env),
        key=lambda r: (r["key"]["seed"] is not None, r["key"]["seed"] or 0),
    )
    for record in ordered:
        traces.setdefault(record["key"]["agent"], record.get("trace"))
    return {a: traces[a] for a in agents if traces.get(a)}


def _headline_table(
    plan: Plan, env: EnvPlan, summary: pd.DataFrame, gap: pd.DataFrame, agents: list[str]
) -> Table:
    head = summary[summary["metric"] == env.headline].set_index("agent")
    ranked = sorted(agents, key=lambda a: head.loc[a, "mean"] * (1 if env.lower_is_better else -1))
    header = [
        "#",
        "agent",
        "kind",
        "train steps",
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
            f"{a.train_steps:,}" if a.learns else "–",
            _interval(row["mean"], row["ci_low"], row["ci_high"]),
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


def _metric_table(env: EnvPlan, summary: pd.DataFrame, agents: list[str]) -> Table:
    means = summary.set_index(["agent", "metric"])
    rows = []
    for agent in agents:
        cells = [agent]
        for metric in env.metrics:
            if (agent, metric) in means.index:
                r = means.loc[(agent, metric)]
                cells.append(_pm(r["mean"], r["ci_low"], r["ci_high"]))
            else:
                cells.append("–")
        rows.append(cells)
    return Table("Metrics (mean ± 95% CI half-width)", ["agent", *env.metrics], rows)


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


def _interval(mean: float, low: float, high: float) -> str:
    if pd.isna(low):
        return fmt(mean)
    return f"{fmt(mean)} [{fmt(low)}, {fmt(high)}]"


def _pm(mean: float, low: float, high: float) -> str:
    if pd.isna(low):
        return fmt(mean)
    return f"{fmt(mean)} ± {fmt((high - low) / 2)}"


def _file_stem(label: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in label)


def _budget_table(plan: Plan, records: list[dict[str, Any]]) -> Table:
    times: dict[str, list[dict[str, float]]] = {}
    for record in records:
        times.setdefault(record["key"]["agent"], []).append(record["wall_time"])
    rows = []
    for agent in plan.agents:
        spent = times.get(agent.label, [])
        trials = sum(agent.label in e.agents for e in plan.envs) * (
            len(plan.seeds) if agent.learns else 1
        )
        mean_fit = sum(t["fit"] for t in spent) / len(spent) if spent else math.nan
        mean_eval = sum(t["evaluate"] for t in spent) / len(spent) if spent else math.nan
        rows.append(
            [
                agent.label,
                agent.name,
                "learner" if agent.learns else "baseline",
                f"{agent.train_steps:,}" if agent.learns else "–",
                ", ".join(f"{k}={v}" for k, v in agent.params.items()) or "defaults",
                f"{len(spent)}/{trials}",
                fmt(mean_fit) if agent.learns else "–",
                fmt(mean_eval),
            ]
        )
    header = [
        "agent",
        "name",
        "kind",
        "train steps",
        "params",
        "trials",
        "fit s/trial",
        "eval s/trial",
    ]
    return Table("Budgets", header, rows)


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
        ),
        "stats": stats.METHOD,
        "tensorboard": (
            f"tensorboard --logdir {shlex.quote(str(logs or run_dir / store.TENSORBOARD))}"
        ),
        "missing": missing,
        "failed": failed,
        "trials": len(records),
    }


def env_text(env: EnvPlan) -> str:
    """The environment as ``ID (field=value, ...)``."""
    config = ", ".join(f"{k}={v!r}" for k, v in env.kwargs.items()) or "default config"
    return f"{env.id} ({config})"


# Rendering.

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;max-width:1100px;margin:2em auto;
padding:0 1em;color:#222;line-height:1.45}
table{border-collapse:collapse;margin:.6em 0 1.4em;font-size:.9em}
th,td{border:1px solid #ccc;padding:.25em .6em;text-align:right}
th{background:#f3f3f3}td:nth-child(-n+2),th:nth-child(-n+2){text-align:left}
code{background:#f3f3f3;padding:.1em .3em;border-radius:3px}
figure{margin:1em 0}figcaption{font-size:.9em;color:#555}img{max-width:100%}
.warn{background:#fff4e0;border-left:4px solid #e8a33d;padding:.5em 1em}
"""


def _html_table(table: Table) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in table.header)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in table.rows
    )
    note = f"<p>{html.escape(table.note)}</p>" if table.note else ""
    return f"<h3>{html.escape(table.title)}</h3><table><tr>{head}</tr>{body}</table>{note}"


def _figure(caption: str, name: str) -> str:
    e = html.escape
    return (
        f"<figure><img src='{e(name)}' alt='{e(caption)}'>"
        f"<figcaption>{e(caption)}</figcaption></figure>"
    )


def _html(
    plan: Plan,
    meta: dict[str, Any],
    sections: list[EnvSection],
    budget: Table,
    cross: CrossSection | None = None,
    walk: list[Table] | None = None,
) -> str:
    e = html.escape
    parts = [
        f"<!doctype html><html><head><meta charset='utf-8'><title>{e(plan.name)}</title>",
        f"<style>{_CSS}</style></head><body><h1>Scenario: {e(plan.name)}</h1>",
    ]
    if plan.description:
        parts.append(f"<p>{e(plan.description)}</p>")
    parts.append(
        f"<p>Regenerate this report with <code>{e(meta['command'])}</code>; rerun every trial "
        f"with <code>{e(meta['rerun'])}</code>. Generated {e(meta['generated'])}.</p>"
    )
    if meta["missing"]:
        failed = (
            f" Failed: {', '.join(meta['failed'])} (tracebacks in the run's errors/ folder)."
            if meta["failed"]
            else ""
        )
        parts.append(
            f"<p class='warn'>{len(meta['missing'])} trial(s) have no result yet and are left out: "
            f"{e(', '.join(meta['missing']))}.{e(failed)}</p>"
        )
    if cross is not None:
        parts.append("<h2>Cross-domain comparison</h2>")
        parts.append(f"<p>{e(_CROSS_INTRO)} Method: {e(agg.METHOD)}.</p>")
        parts.extend(f"<p class='warn'>{e(note)}</p>" for note in cross.notes)
        parts.append(f"<p>Leaderboard: <a href='{LEADERBOARD}'>{LEADERBOARD}</a>.</p>")
        parts.extend(_html_table(t) for t in cross.tables[:1])
        parts.extend(_figure(caption, name) for caption, name in cross.figures)
        parts.extend(_html_table(t) for t in cross.tables[1:])
    for section in sections:
        parts.append(
            f"<h2>{e(section.env.label)}</h2><p><code>{e(env_text(section.env))}</code></p>"
        )
        parts.append(_html_table(section.tables[0]))
        parts.extend(_figure(caption, name) for caption, name in section.figures)
        parts.extend(_html_table(t) for t in section.tables[1:])
    if walk:
        parts.append(f"<h2>Walk-forward</h2><p>{e(_WALK_INTRO)}</p>")
        parts.extend(_html_table(t) for t in walk)
    parts.append("<h2>Protocol and budgets</h2>")
    parts.append(f"<p>{e(meta['protocol'])}.</p><p>Statistics: {e(meta['stats'])}.</p>")
    parts.append(_html_table(budget))
    parts.append(
        "<h2>Reproducibility</h2><ul>"
        f"<li>Command: <code>{e(meta['command'])}</code> (from the results store); "
        f"<code>{e(meta['rerun'])}</code> (everything)</li>"
        f"<li>Generated: {e(meta['generated'])}; trials finished {e(meta['run_span'])}</li>"
        f"<li>Trials ran on: {e('; '.join(meta['machines']) or '–')}, "
        f"{meta['workers']} worker process(es), "
        f"{fmt(meta['trial_seconds'])} s of trial time in total</li>"
        f"<li>Report built on: {e(meta['report_machine'])}</li>"
        f"<li>Training logs: <code>{e(meta['tensorboard'])}</code></li>"
        "<li>Tables as <a href='results.md'>results.md</a> and "
        "<a href='results.csv'>results.csv</a>; "
        "every episode in <a href='episodes.csv'>episodes.csv</a></li></ul></body></html>"
    )
    return "\n".join(parts) + "\n"


def _md_table(table: Table) -> str:
    def row(cells: list[str]) -> str:
        return "| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |"

    lines = [f"### {table.title}", "", row(table.header), row(["---"] * len(table.header))]
    lines += [row(r) for r in table.rows]
    if table.note:
        lines += ["", table.note]
    return "\n".join(lines) + "\n"


def _markdown(
    plan: Plan,
    meta: dict[str, Any],
    sections: list[EnvSection],
    budget: Table,
    cross: CrossSection | None = None,
    walk: list[Table] | None = None,
) -> str:
    out = [f"# Scenario: {plan.name}", ""]
    if plan.description:
        out += [plan.description, ""]
    out += [
        f"Regenerate: `{meta['command']}`; rerun everything: `{meta['rerun']}`.",
        f"Generated {meta['generated']}; trials ran on {'; '.join(meta['machines']) or '–'} "
        f"with {meta['workers']} worker process(es).",
        "",
    ]
    if meta["missing"]:
        out += [f"**Missing trials ({len(meta['missing'])}):** {', '.join(meta['missing'])}", ""]
    if cross is not None:
        out += ["## Cross-domain comparison", "", _CROSS_INTRO, ""]
        out += [f"**Note:** {note}\n" for note in cross.notes]
        out += [f"Leaderboard: [{LEADERBOARD}]({LEADERBOARD}).", ""]
        out += [_md_table(t) for t in cross.tables]
        out += [f"![{caption}]({name})\n" for caption, name in cross.figures]
    for section in sections:
        out += [f"## {section.env.label}", "", f"`{env_text(section.env)}`", ""]
        out += [_md_table(t) for t in section.tables]
    if walk:
        out += ["## Walk-forward", "", _WALK_INTRO, ""]
        out += [_md_table(t) for t in walk]
    out += [
        "## Protocol and budgets",
        "",
        meta["protocol"] + ".",
        "",
        f"Statistics: {meta['stats']}.",
        "",
    ]
    out.append(_md_table(budget))
    return "\n".join(out)


# Walk-forward scenarios.

_WALK_INTRO = (
    "Each window trains learners on its training range only, then evaluates every agent on "
    "its validation range and its test range. Per agent and window, the training seed with "
    "the best validation score is selected and its test score reported (selection never "
    "sees the test range); the last columns average the selected seeds' test scores over "
    "the windows, and every seed's."
)


def _walk_forward_tables(plan: Plan, records: list[dict[str, Any]]) -> list[Table]:
    """One table per walk-forward environment: the selected seeds' test scores per window."""
    table = walk_forward.scores(records, plan)
    out = []
    for group, runs in table.groupby("group", sort=False):
        windows = [e for e in plan.envs if e.group == group and e.window]
        env = windows[0]  # the windows share the id, config and report settings
        chosen = walk_forward.selected(runs, env.lower_is_better)
        header = ["agent"]
        header += [f"{e.window['test_start']} – {e.window['test_end']}" for e in windows]
        header += ["mean (selected)", "mean (all seeds)"]
        rows = []
        for agent in dict.fromkeys(chosen["agent"]):
            mine = chosen[chosen["agent"] == agent].set_index("window")
            cells = [agent]
            for e in windows:
                if e.label in mine.index:
                    row = mine.loc[e.label]
                    seed = "" if pd.isna(row["seed"]) else f" (seed {int(row['seed'])})"
                    cells.append(f"{fmt(row['test'])}{seed}")
                else:
                    cells.append("–")
            cells += [fmt(mine["test"].mean()), fmt(mine["test_all_seeds"].mean())]
            rows.append(cells)
        direction = "lower" if env.lower_is_better else "higher"
        first = windows[0].window
        out.append(
            Table(
                f"{group}: test {env.headline} per window ({direction} is better)",
                header,
                rows,
                f"Windows: training from {first['train_start']}, "
                f"{len(windows)} windows rolled by the test length; seeds selected on "
                f"validation {env.headline}.",
            )
        )
    return out


# The cross-domain comparison of a suite.

_CROSS_INTRO = (
    "Each run's score (one agent, task and training seed; baselines run once per task) is "
    "the mean of the task's headline metric over the evaluation episodes, normalized per "
    "task so that the random agent scores 0 and the task's reference agent 1 (costs are "
    "mapped the same way with the sign reversed: higher is better everywhere). Aggregates "
    "pool the agents that run on every task; 'reference' is the tasks' reference agents "
    "taken together."
)


def _leaderboard(plan: Plan, meta: dict[str, Any], budget: Table, cross: CrossSection) -> str:
    """``leaderboard.md``: how it was made, then the comparison's tables and figures."""
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
        f"- Scores: {_CROSS_INTRO}",
        f"- Statistics: {agg.METHOD}",
        "",
    ]
    if meta["missing"]:
        out += [f"**Missing trials ({len(meta['missing'])}):** {', '.join(meta['missing'])}", ""]
    out += [f"**Note:** {note}\n" for note in cross.notes]
    out += [_md_table(t) for t in cross.tables]
    out.append(_md_table(dataclasses.replace(budget, title="Budget per agent")))
    out += ["### Plots", ""]
    out += [f"- [{caption}]({name})" for caption, name in cross.figures]
    out += [
        "- Every task's own tables and figures: [index.html](index.html), [results.md](results.md)",
        "",
    ]
    return "\n".join(out)
