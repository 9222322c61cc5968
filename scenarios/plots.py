"""The report's figures, drawn with matplotlib's Agg backend into PNG files.

Every function takes tidy data (pandas tables, trace dicts) and a path, draws one figure
and returns the path, or ``None`` when there is nothing to draw. Agents keep one colour
across every figure of a report (:func:`agent_colors`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from fieldgym.scenarios.domains import DomainView

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


def _save(fig: Any, path: Path) -> Path:
    fig.tight_layout()
    fig.savefig(path, dpi=DPI)
    plt.close(fig)
    return path


def learning_curves(
    curves: pd.DataFrame,
    baselines: Mapping[str, float],
    colors: Mapping[str, Any],
    path: Path,
    smooth: int = 10,
) -> Path | None:
    """Training episode returns of each learner against environment steps.

    Thin lines are single training seeds (a rolling mean over ``smooth`` episodes); the
    bold line is their mean on a common step grid. ``baselines`` (agent label -> mean
    evaluation return) are drawn as dashed lines; those far below the learners' range
    are named in the legend with their value instead of squashing the axis.
    """
    if curves.empty:
        return None
    fig, ax = plt.subplots(figsize=(8, 4.5))
    lows, highs = [], []
    for agent, group in curves.groupby("agent", sort=False):
        spans = group.groupby("trial_id")["step"].agg(["min", "max"])
        grid = np.linspace(spans["min"].max(), spans["max"].min(), 200)
        interpolated = []
        for _, run in group.groupby("trial_id"):
            run = run.sort_values("step")
            y = run["episode_return"].rolling(smooth, min_periods=1).mean().to_numpy()
            x = run["step"].to_numpy()
            ax.plot(x, y, color=colors[agent], alpha=0.25, linewidth=0.8)
            interpolated.append(np.interp(grid, x, y))
        mean = np.mean(np.vstack(interpolated), axis=0)
        ax.plot(
            grid,
            mean,
            color=colors[agent],
            linewidth=2,
            label=f"{agent} ({len(interpolated)} seeds)",
        )
        finite = mean[np.isfinite(mean)]
        if finite.size:
            lows.append(np.percentile(finite, 2))
            highs.append(finite.max())
    shown = dict(baselines)
    if lows:
        span = (max(highs) - min(lows)) or abs(max(highs)) or 1.0
        shown = {a: v for a, v in baselines.items() if v >= min(lows) - 2 * span}
        low = min([min(lows), *shown.values()])
        top = max([max(highs), *shown.values()])
        pad = 0.05 * ((top - low) or 1.0)
        ax.set_ylim(low - pad, top + pad)
    for agent, value in baselines.items():
        if agent in shown:
            ax.axhline(
                value,
                color=colors[agent],
                linestyle="--",
                linewidth=1.2,
                label=f"{agent} (evaluation)",
            )
        else:
            ax.plot(
                [],
                [],
                color=colors[agent],
                linestyle="--",
                label=f"{agent}: {value:,.0f} (off scale)",
            )
    ax.set_xlabel("environment steps")
    ax.set_ylabel("episode return")
    ax.set_title("Learning curves")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="lower right")
    return _save(fig, path)


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
    return _save(fig, path)


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
    return _save(fig, path)


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
    return _save(fig, path)
