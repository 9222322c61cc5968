"""The trading domain's report sections: backtest detail, and walk-forward windows.

**Backtest detail**, from the traces the runner keeps of each agent's first evaluation
episode (lowest training seed), per trading environment of a run:

* ``<env>_drawdowns.png``: each agent's drawdown (see :func:`drawdowns`);
* ``<env>_weights.png``: each agent's portfolio weights over the backtest (stacked, cash
  on top), when the environment reports weights (``PortfolioAllocation-v1``);
* ``tearsheets/<env>__<agent>.html``: quantstats' HTML tear sheet of the agent's daily
  returns, for dated backtests (the stock and portfolio envs). Walk-forward windows are
  left out (their per-window tables say it all).

The equity curve itself is the report's levels plot (the view's ``levels_kpi``).

**Walk-forward**, for environments split into windows by the walk-forward hook
(:mod:`fieldgym.scenarios.plan.walk_forward`): per group, each agent's test score per
window from the training seed selected on validation, and the means.
"""

from __future__ import annotations

import contextlib
import logging
import math
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from fieldgym.scenarios.plan import walk_forward
from fieldgym.scenarios.report import plots
from fieldgym.scenarios.report.domains import SectionInput
from fieldgym.scenarios.report.tables import Section, Table, fmt
from fieldgym.scenarios.run import store

TEAR_SHEETS = "tearsheets"
"""The report subfolder of the quantstats tear sheets."""


WALK_FORWARD_INTRO = (
    "Each window trains learners on its training range only, then evaluates every agent on "
    "its validation range and its test range. Per agent and window, the training seed with "
    "the best validation score is selected and its test score reported (selection never "
    "sees the test range); the last columns average the selected seeds' test scores over "
    "the windows, and every seed's."
)


def sections(run: SectionInput) -> list[Section]:
    """The backtest detail and the walk-forward windows, each when the run has any."""
    found = [backtest_detail(run), walk_forward_section(run)]
    return [section for section in found if section is not None]


def backtest_detail(run: SectionInput) -> Section | None:
    """Drawdowns, weights and tear sheets of every trading environment with traces."""
    figures: list[tuple[str, str]] = []
    links: list[tuple[str, str]] = []
    for env in run.envs:
        agents = [a for a in env.agents if a in set(run.results["agent"])]
        traces = {
            a: t
            for a, t in store.first_traces(run.records, env.label, agents).items()
            if "value" in t["kpis"]
        }
        if not traces:
            continue
        stem = plots.file_stem(env.label)
        drawdowns(traces, run.colors, run.out / f"{stem}_drawdowns.png")
        figures.append(
            (f"{env.label}: drawdown of wealth over the episode", f"{stem}_drawdowns.png")
        )
        if weights(traces, run.out / f"{stem}_weights.png"):
            figures.append(
                (f"{env.label}: portfolio weights (stacked, cash on top)", f"{stem}_weights.png")
            )
        if env.window is None:
            for agent, path in tear_sheets(traces, run.out / TEAR_SHEETS, stem).items():
                links.append((f"{env.label}: {agent}'s quantstats tear sheet", path))
    if not figures:
        return None
    return Section(
        "Backtest detail",
        [],
        figures,
        intro=(
            "From each agent's first evaluation episode (lowest training seed): drawdowns, "
            "portfolio weights, and quantstats tear sheets of the dated backtests' daily "
            "returns (after costs)."
        ),
        links=links,
    )


def walk_forward_section(run: SectionInput) -> Section | None:
    """One table per walk-forward group: the selected seeds' test scores per window."""
    plan = run.plan
    table = walk_forward.scores(run.records, plan)
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
    if not out:
        return None
    return Section("Walk-forward", out, [], intro=WALK_FORWARD_INTRO)


def drawdowns(traces: Mapping[str, Any], colors: Mapping[str, Any], path: Path) -> Path:
    """One line per agent: its drawdown over the episode.

    Relative (``value / running max - 1``) when every traced value is positive (wealth of
    the stock and portfolio envs), otherwise in the value's own unit (``value - running
    max``: the market maker's profit and loss, which starts at 0).
    """
    values = {a: np.asarray(t["kpis"]["value"], dtype=float) for a, t in traces.items()}
    relative = all(np.all(v > 0) for v in values.values())
    plt = plots.plt
    fig, ax = plt.subplots(figsize=(8, 3.6))
    for agent, value in values.items():
        peak = np.maximum.accumulate(value)
        drawdown = value / peak - 1.0 if relative else value - peak
        ax.plot(
            _time_axis(traces[agent]), drawdown, linewidth=1.0, label=agent, color=colors.get(agent)
        )
    _label_time_axis(fig, ax.set_xlabel, traces)
    ax.set_ylabel("drawdown (fraction of the peak)" if relative else "drawdown (value units)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, ncol=4)
    fig.tight_layout()
    with store.atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=plots.DPI)
    plt.close(fig)
    return path


def weights(traces: Mapping[str, Any], path: Path) -> Path | None:
    """One panel per agent: its weights over time, stacked; ``None`` if none has weights."""
    traces = {a: t for a, t in traces.items() if "weights" in t["kpis"]}
    if not traces:
        return None
    plt = plots.plt
    cols = 2
    rows = math.ceil(len(traces) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(10, 2.6 * rows), squeeze=False, sharex=True)
    for ax, (agent, trace) in zip(axes.flat, traces.items(), strict=False):
        w = np.asarray(trace["kpis"]["weights"], dtype=float)
        ax.stackplot(_time_axis(trace), w.T, linewidth=0)
        ax.set_ylim(0, 1)
        ax.set_title(agent, fontsize=9)
    for ax in axes.flat[len(traces) :]:
        ax.set_visible(False)
    _label_time_axis(fig, fig.supxlabel, traces)
    fig.supylabel("weight (cash on top)")
    fig.tight_layout()
    with store.atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=plots.DPI)
    plt.close(fig)
    return path


def _label_time_axis(fig: Any, set_label: Any, traces: Mapping[str, Any]) -> None:
    """Label the x axis "date" (ticks slanted) when every trace is dated, else "step"."""
    dated = all("date" in t["kpis"] for t in traces.values())
    set_label("date" if dated else "step")
    if dated:
        fig.autofmt_xdate()


def _time_axis(trace: Mapping[str, Any]) -> Any:
    """The trace's dates (for dated backtests) or its step numbers."""
    if "date" in trace["kpis"]:
        return pd.to_datetime(trace["kpis"]["date"])
    return np.arange(len(trace["kpis"]["value"]))


def daily_returns(trace: Mapping[str, Any]) -> pd.Series | None:
    """The trace's per-step returns indexed by its dates, or ``None`` without dates."""
    kpis = trace["kpis"]
    if "date" not in kpis or "return" not in kpis:
        return None
    index = pd.DatetimeIndex(pd.to_datetime(kpis["date"]), name="date")
    return pd.Series(np.asarray(kpis["return"], dtype=float), index=index, name="returns")


def tear_sheets(traces: Mapping[str, Any], folder: Path, stem: str) -> dict[str, str]:
    """Write quantstats' HTML tear sheet per dated agent; ``{agent: path in the report}``."""
    import quantstats as qs  # imported here: it loads seaborn and its styles

    written = {}
    for agent, trace in traces.items():
        returns = daily_returns(trace)
        if returns is None or len(returns) < 2:
            continue
        name = f"{stem}__{plots.file_stem(agent)}.html"
        with _quiet(), store.atomic_path(store.inside(folder, name)) as tmp:
            qs.reports.html(returns, output=str(tmp), title=f"{agent} ({stem})")
        written[agent] = f"{folder.name}/{name}"
    return written


@contextlib.contextmanager
def _quiet():
    """Silence what quantstats' drawing prints that says nothing about the run.

    That is matplotlib's missing-font lines and seaborn's deprecation warnings.
    """
    logger = logging.getLogger("matplotlib.font_manager")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        logger.setLevel(level)
