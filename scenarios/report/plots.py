"""The report's figures, drawn with matplotlib's Agg backend into PNG files.

Every function takes tidy data (pandas tables, trace dicts) and a path, draws one figure
and returns the path, or ``None`` when there is nothing to draw. Agents keep one colour
across every figure of a report (:func:`agent_colors`).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from fieldgym.scenarios.report.domains import DomainView
from fieldgym.scenarios.run.store import atomic_path

DPI = 110
CLIP_FACTOR = 3.0
"""A bar or box more than this many times the median value is clipped and labelled."""


def agent_colors(agents: list[str]) -> dict[str, Any]:
    """One colour per agent label, in order (tab10, then tab20)."""
    palette = list(plt.get_cmap("tab10").colors) + list(plt.get_cmap("tab20").colors)
    return {agent: palette[k % len(palette)] for k, agent in enumerate(agents)}


def file_stem(label: str) -> str:
    """``label`` as a file-name stem: characters other than letters, digits, - and _ become _."""
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in label)


def save_figure(fig: Any, path: Path | str) -> Path:
    """Lay out ``fig``, write it to ``path`` atomically at the reports' DPI, and close it."""
    path = Path(path)
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=DPI)
    plt.close(fig)
    return path


@dataclasses.dataclass
class Curves:
    """One row of the learning-curves figure: a curve table and how to draw it.

    Attributes:
        table: Rows with ``agent``, ``trial_id``, ``step``, ``seconds`` and ``value``
            (see :func:`fieldgym.scenarios.run.store.curves_table`).
        value: The column drawn.
        label: The y-axis label.
        baselines: Agent label -> a level drawn dashed (a baseline's evaluation mean).
        smooth: Rows in each run's rolling mean.
    """

    table: pd.DataFrame
    value: str
    label: str
    baselines: Mapping[str, float] = dataclasses.field(default_factory=dict)
    smooth: int = 1


X_AXES = (("step", "environment steps"), ("seconds", "training wall time (s)"))
"""The learning curves' x axes, one column each (runs stored without seconds show steps)."""


def learning_curves(rows: list[Curves], colors: Mapping[str, Any], path: Path) -> Path | None:
    """Learning curves against environment steps (left) and training wall time (right).

    One figure row per non-empty :class:`Curves` (the training episode returns, the
    checkpoint evaluations). Thin lines are single training seeds (a rolling mean over
    ``smooth`` rows); the bold line is their mean on a common grid. ``baselines`` are
    drawn as dashed lines; those far outside the learners' range are named in the
    legend with their value instead of squashing the axis.
    """
    rows = [r for r in rows if not r.table.empty]
    if not rows:
        return None
    axes_x = [
        (x, label) for x, label in X_AXES if x in rows[0].table and rows[0].table[x].notna().all()
    ]
    fig, axes = plt.subplots(
        len(rows), len(axes_x), figsize=(6 * len(axes_x), 4 * len(rows)), squeeze=False
    )
    for ax_row, curves in zip(axes, rows, strict=True):
        for k, (ax, (x, xlabel)) in enumerate(zip(ax_row, axes_x, strict=True)):
            _curve_panel(ax, curves, x, colors, legend=k == 0)
            ax.set_xlabel(xlabel)
    return save_figure(fig, path)


def _curve_panel(ax: Any, curves: Curves, x: str, colors: Mapping[str, Any], legend: bool) -> None:
    lows, highs = [], []
    for agent, group in curves.table.groupby("agent", sort=False):
        spans = group.groupby("trial_id")[x].agg(["min", "max"])
        grid = np.linspace(spans["min"].max(), spans["max"].min(), 200)
        interpolated = []
        for _, run in group.groupby("trial_id"):
            run = run.sort_values(x)
            y = run[curves.value].rolling(curves.smooth, min_periods=1).mean().to_numpy()
            ax.plot(run[x].to_numpy(), y, color=colors[agent], alpha=0.25, linewidth=0.8)
            interpolated.append(np.interp(grid, run[x].to_numpy(), y))
        mean = np.mean(np.vstack(interpolated), axis=0)
        label = f"{agent} ({len(interpolated)} seeds)"
        ax.plot(grid, mean, color=colors[agent], linewidth=2, label=label)
        finite = mean[np.isfinite(mean)]
        if finite.size:
            lows.append(np.percentile(finite, 2))
            highs.append(finite.max())
    shown = dict(curves.baselines)
    if lows:
        span = (max(highs) - min(lows)) or abs(max(highs)) or 1.0
        shown = {
            a: v
            for a, v in curves.baselines.items()
            if min(lows) - 2 * span <= v <= max(highs) + 2 * span
        }
        low = min([min(lows), *shown.values()])
        top = max([max(highs), *shown.values()])
        pad = 0.05 * ((top - low) or 1.0)
        ax.set_ylim(low - pad, top + pad)
    for agent, value in curves.baselines.items():
        if agent in shown:
            ax.axhline(value, color=colors[agent], linestyle="--", linewidth=1.2, label=agent)
        else:
            ax.plot(
                [],
                [],
                color=colors[agent],
                linestyle="--",
                label=f"{agent}: {value:,.4g} (off scale)",
            )
    ax.set_ylabel(curves.label)
    ax.grid(alpha=0.3)
    if legend:
        ax.legend(fontsize=8)


def levels(
    traces: Mapping[str, Mapping[str, Any]],
    view: DomainView,
    colors: Mapping[str, Any],
    path: Path,
) -> Path | None:
    """One panel per agent: the domain's levels KPI over its first evaluation episode.

    Args:
        traces: Agent label -> a trial's ``trace`` record (``{"seed", "kpis"}``).
        view: The domain's view (which KPI, axis label, series names).
        colors: Agent colours (used for the panel titles).
        path: The PNG to write.
    """
    kpi = view.levels_kpi
    traces = {a: t for a, t in traces.items() if t and kpi and kpi in t["kpis"]}
    if not traces:
        return None
    n = len(traces)
    cols = 2 if n > 2 else 1
    rows = math.ceil(n / cols)
    fig, axes = plt.subplots(
        rows, cols, figsize=(5.2 * cols, 2.4 * rows), sharex=True, squeeze=False
    )
    for ax, (agent, trace) in zip(axes.flat, traces.items(), strict=False):
        values = np.asarray(trace["kpis"][kpi], dtype=float)
        values = values[:, None] if values.ndim == 1 else values
        for i in range(values.shape[1]):
            ax.plot(values[:, i], linewidth=1.1, label=view.levels_series.format(i=i))
        ax.set_title(f"{agent} (evaluation seed {trace['seed']})", color=colors[agent], fontsize=10)
        ax.grid(alpha=0.3)
    for ax in axes.flat[n:]:
        ax.set_visible(False)
    for k, ax in enumerate(axes.flat[:n]):
        if k + cols >= n:  # the lowest panel of its column
            ax.set_xlabel(view.time_label)
            ax.tick_params(labelbottom=True)
    for ax in axes[:, 0]:
        ax.set_ylabel(view.levels_label)
    axes.flat[0].legend(fontsize=7, ncol=2)
    return save_figure(fig, path)


def _clip_top(values: list[float]) -> float | None:
    """An axis top that keeps one outlier from flattening the rest, or ``None``."""
    finite = [v for v in values if math.isfinite(v)]
    if len(finite) < 3:
        return None
    median = float(np.median(np.abs(finite)))
    return CLIP_FACTOR * median * 1.1 if median > 0 and max(finite) > CLIP_FACTOR * median else None


def stacked_costs(
    summary: pd.DataFrame,
    view: DomainView,
    agents: list[str],
    colors: Mapping[str, Any],
    path: Path,
) -> Path | None:
    """One bar per agent (in ``agents`` order) stacking the means of ``view.stack`` metrics."""
    parts = [m for m in view.stack if m in set(summary["metric"])]
    if not parts:
        return None
    means = summary.pivot_table(index="agent", columns="metric", values="mean")[parts]
    agents = [a for a in agents if a in means.index]
    means = means.loc[agents]
    fig, ax = plt.subplots(figsize=(max(5, 1.2 * len(agents) + 2), 4.2))
    bottom = np.zeros(len(agents))
    cmap = plt.get_cmap("Set2")
    for k, part in enumerate(parts):
        values = means[part].fillna(0).to_numpy()
        ax.bar(agents, values, bottom=bottom, label=part, color=cmap(k % 8), edgecolor="white")
        bottom += values
    top = _clip_top(list(bottom))
    if top is not None:
        ax.set_ylim(0, top)
    else:
        ax.set_ylim(0, 1.1 * max(float(bottom.max()), 1e-9))
    for x, total in enumerate(bottom):
        clipped = top is not None and total > top
        ax.annotate(
            f"{total:,.1f} ↑" if clipped else f"{total:,.1f}",
            (x, top if clipped else total),
            ha="center",
            va="top" if clipped else "bottom",
            fontsize=8,
            xytext=(0, -4 if clipped else 2),
            textcoords="offset points",
        )
    for tick, agent in zip(ax.get_xticklabels(), agents, strict=True):
        tick.set_color(colors.get(agent, "black"))
    ax.set_ylabel(view.stack_label)
    ax.set_title("Cost breakdown (means over episodes)")
    ax.legend(fontsize=8)
    ax.grid(axis="y", alpha=0.3)
    return save_figure(fig, path)


def headline_boxes(
    results: pd.DataFrame, metric: str, agents: list[str], colors: Mapping[str, Any], path: Path
) -> Path | None:
    """Box plots of the headline metric per agent over every evaluation episode."""
    data = [results.loc[results["agent"] == a, metric].dropna().to_numpy(float) for a in agents]
    if not any(len(d) for d in data):
        return None
    fig, ax = plt.subplots(figsize=(max(5, 1.2 * len(agents) + 2), 4.2))
    boxes = ax.boxplot(data, tick_labels=agents, patch_artist=True, showmeans=True)
    for patch, agent in zip(boxes["boxes"], agents, strict=True):
        patch.set_facecolor(colors[agent])
        patch.set_alpha(0.5)
    top = _clip_top([float(np.median(d)) if len(d) else math.nan for d in data])
    if top is not None:
        low = min(float(np.min(d)) for d in data if len(d))
        ax.set_ylim(min(0.0, low), top)
        for x, d in enumerate(data, start=1):
            if len(d) and np.median(d) > top:
                ax.annotate(
                    f"median {np.median(d):,.1f} ↑", (x, top), ha="center", va="top", fontsize=8
                )
    ax.set_ylabel(metric)
    ax.set_title(f"{metric} per evaluation episode")
    ax.grid(axis="y", alpha=0.3)
    return save_figure(fig, path)
