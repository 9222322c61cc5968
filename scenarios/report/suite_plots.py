"""Figures of the cross-domain comparison, drawn with matplotlib's Agg backend into PNGs.

Each function takes the tables :mod:`fieldgym.scenarios.stats.aggregates` produces (or a score
or curve table), draws one figure into ``path`` and returns ``path``. Input that cannot be
drawn (a missing column, no rows) raises :class:`~fieldgym.envs.core.errors.DataError`
naming what is wrong. Agents keep the colours of :func:`.plots.agent_colors`
unless ``colors`` is given. On normalized scales 0 is the random agent and 1 the task's
reference baseline; both are marked.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.colors import TwoSlopeNorm
from scipy import stats

from fieldgym.envs.core.errors import DataError
from fieldgym.scenarios.report.plots import agent_colors, save_figure

METRIC_LABELS = {
    "median": "Median",
    "iqm": "IQM",
    "mean": "Mean",
    "optimality_gap": "Optimality gap",
}
HEAT_RANGE = (-1.0, 3.0)
"""Heat-map colours saturate outside this range of normalized scores (labels do not)."""
GRID_POINTS = 200
"""Most points of a learning curve's common step grid."""


def _check(table: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    if not isinstance(table, pd.DataFrame):
        raise DataError(f"{what} must be a pandas DataFrame, got {type(table).__name__}")
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise DataError(f"{what} lacks column(s) {missing}; it has {list(table.columns)}")
    if table.empty:
        raise DataError(f"{what} has no rows: nothing to draw")


def _order(values: pd.Series, given: Sequence[str] | None) -> list:
    present = list(pd.unique(values))
    return present if given is None else [v for v in given if v in set(present)]


def _colors(agents: list, colors: Mapping[str, Any] | None) -> Mapping[str, Any]:
    return colors if colors is not None else agent_colors([str(a) for a in agents])


def intervals(
    estimates: pd.DataFrame,
    path: Path | str,
    agents: Sequence[str] | None = None,
    colors: Mapping[str, Any] | None = None,
) -> Path:
    """One panel per aggregate metric, one row per agent: point estimate and interval.

    Args:
        estimates: :func:`~fieldgym.scenarios.stats.aggregates.interval_estimates` output
            (``agent``, ``metric``, ``point``, ``low``, ``high``).
        path: The PNG to write.
        agents: Row order, top to bottom (default: order of appearance).
        colors: Agent -> colour.
    """
    _check(estimates, ("agent", "metric", "point", "low", "high"), "interval estimates")
    agents = _order(estimates["agent"], agents)
    metrics = _order(estimates["metric"], None)
    colors = _colors(agents, colors)
    fig, axes = plt.subplots(
        1, len(metrics), figsize=(3.2 * len(metrics) + 1, 0.45 * len(agents) + 1.4), sharey=True
    )
    axes = np.atleast_1d(axes)
    rows = {agent: len(agents) - 1 - k for k, agent in enumerate(agents)}
    for ax, metric in zip(axes, metrics, strict=True):
        part = estimates[estimates["metric"] == metric].set_index("agent")
        for agent in agents:
            if agent not in part.index:
                continue
            r = part.loc[agent]
            y, color = rows[agent], colors[agent]
            ax.barh(y, r["high"] - r["low"], left=r["low"], height=0.6, color=color, alpha=0.6)
            ax.vlines(r["point"], y - 0.3, y + 0.3, color="black", linewidth=1.5)
        marks = (0.0,) if metric == "optimality_gap" else (0.0, 1.0)
        for x in marks:
            ax.axvline(x, color="grey", linestyle=":", linewidth=1)
        ax.set_title(METRIC_LABELS.get(metric, metric), fontsize=10)
        ax.set_xlabel("normalized score")
        ax.grid(axis="x", alpha=0.3)
    axes[0].set_yticks(list(rows.values()), [str(a) for a in rows])
    for tick, agent in zip(axes[0].get_yticklabels(), rows, strict=True):
        tick.set_color(colors[agent])
    return save_figure(fig, path)


def profiles(
    curves: pd.DataFrame,
    path: Path | str,
    agents: Sequence[str] | None = None,
    colors: Mapping[str, Any] | None = None,
) -> Path:
    """Performance profiles: fraction of runs above each threshold, with bootstrap bands.

    Args:
        curves: :func:`~fieldgym.scenarios.stats.aggregates.profile_estimates` output
            (``agent``, ``tau``, ``fraction``, ``low``, ``high``).
        path: The PNG to write.
        agents: Legend order (default: order of appearance).
        colors: Agent -> colour.
    """
    _check(curves, ("agent", "tau", "fraction", "low", "high"), "performance profiles")
    agents = _order(curves["agent"], agents)
    colors = _colors(agents, colors)
    fig, ax = plt.subplots(figsize=(7, 4.2))
    for agent in agents:
        part = curves[curves["agent"] == agent].sort_values("tau")
        ax.plot(part["tau"], part["fraction"], color=colors[agent], linewidth=2, label=agent)
        ax.fill_between(part["tau"], part["low"], part["high"], color=colors[agent], alpha=0.2)
    for x, name in ((0.0, "random"), (1.0, "reference")):
        ax.axvline(x, color="grey", linestyle=":", linewidth=1)
        ax.annotate(name, (x, 1.02), ha="center", fontsize=8, color="grey")
    ax.set_ylim(-0.02, 1.08)
    ax.set_xlabel("normalized score τ")
    ax.set_ylabel("fraction of runs with score > τ")
    ax.set_title("Performance profiles (95% stratified bootstrap bands)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return save_figure(fig, path)


def score_heatmap(
    table: pd.DataFrame,
    path: Path | str,
    agents: Sequence[str] | None = None,
    tasks: Sequence[str] | None = None,
) -> Path:
    """Mean normalized score per agent (rows) and task (columns), annotated.

    Colours diverge around 1 (the reference) and saturate outside :data:`HEAT_RANGE`;
    cells without runs are left blank and marked "–".

    Args:
        table: A score table (``agent``, ``task``, ``score``; one row per run).
        path: The PNG to write.
        agents: Row order (default: order of appearance).
        tasks: Column order (default: order of appearance).
    """
    _check(table, ("agent", "task", "score"), "score table")
    means = table.pivot_table(index="agent", columns="task", values="score", aggfunc="mean")
    agents, tasks = _order(table["agent"], agents), _order(table["task"], tasks)
    means = means.reindex(index=agents, columns=tasks)
    values = means.to_numpy(dtype=float)
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        raise DataError("score table has no finite score to draw")
    low = min(0.0, max(float(finite.min()), HEAT_RANGE[0]))
    high = max(2.0, min(float(finite.max()), HEAT_RANGE[1]))
    fig, ax = plt.subplots(figsize=(0.9 * len(tasks) + 3, 0.45 * len(agents) + 2))
    image = ax.imshow(
        np.ma.masked_invalid(values),
        cmap="RdYlGn",
        norm=TwoSlopeNorm(vmin=low, vcenter=1.0, vmax=high),
        aspect="auto",
    )
    for (i, j), v in np.ndenumerate(values):
        ax.text(j, i, f"{v:.2f}" if math.isfinite(v) else "–", ha="center", va="center", fontsize=7)
    ax.set_xticks(range(len(tasks)), [str(t) for t in tasks], rotation=45, ha="right", fontsize=8)
    ax.set_yticks(range(len(agents)), [str(a) for a in agents], fontsize=8)
    fig.colorbar(image, ax=ax, label="normalized score")
    ax.set_title("Mean normalized score (random = 0, reference = 1)")
    return save_figure(fig, path)


def _band(stack: np.ndarray, band: str) -> tuple[np.ndarray, np.ndarray]:
    """Mean and band half-width over seeds (rows) per grid point, ignoring NaNs."""
    n = np.sum(np.isfinite(stack), axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.nansum(stack, axis=0) / np.where(n > 0, n, np.nan)
        dev = np.sqrt(np.nansum((stack - mean) ** 2, axis=0) / np.where(n > 1, n - 1, np.nan))
        if band == "sd":
            half = dev
        elif band == "se":
            half = dev / np.sqrt(n)
        else:
            half = stats.t.ppf(0.975, np.maximum(n - 1, 1)) * dev / np.sqrt(n)
    return mean, half


def _agent_curve(rows: pd.DataFrame, band: str) -> tuple[np.ndarray, ...]:
    """Grid, mean and band half-width of one agent's curves on one task."""
    spans = rows.groupby("seed")["step"].agg(["min", "max"]).astype(float)
    steps = np.unique(rows["step"].to_numpy(dtype=float))
    low, high = spans["min"].max(), spans["max"].min()
    if low <= high:  # the steps every seed covers
        steps = steps[(steps >= low) & (steps <= high)]
    grid = steps if len(steps) <= GRID_POINTS else np.linspace(steps[0], steps[-1], GRID_POINTS)
    stack = []
    for _, run in rows.groupby("seed", sort=True):
        run = run.groupby("step")["value"].mean()
        x, y = run.index.to_numpy(dtype=float), run.to_numpy(dtype=float)
        inside = (grid >= x[0]) & (grid <= x[-1])
        stack.append(np.where(inside, np.interp(grid, x, y), np.nan))
    return (grid, *_band(np.vstack(stack), band))


def task_learning_curves(
    curves: pd.DataFrame,
    path: Path | str,
    band: str = "ci",
    ylabel: str = "value",
    agents: Sequence[str] | None = None,
    colors: Mapping[str, Any] | None = None,
) -> Path:
    """One panel per task: each agent's mean curve over seeds with a band.

    Seeds are interpolated on a common grid: the steps inside the range every seed covers
    (``GRID_POINTS`` even steps when there are more); if the seeds' ranges do not overlap,
    all their steps, each seed counting only inside its own range.

    Args:
        curves: Columns ``agent``, ``task``, ``seed``, ``step``, ``value``.
        path: The PNG to write.
        band: ``"ci"`` (95% Student-t interval of the mean over seeds), ``"sd"`` (± one
            standard deviation) or ``"se"`` (± one standard error).
        ylabel: The value's axis label (e.g. "normalized return").
        agents: Legend order (default: order of appearance).
        colors: Agent -> colour.
    """
    if band not in ("ci", "sd", "se"):
        raise ValueError(f"band must be 'ci', 'sd' or 'se', got {band!r}")
    _check(curves, ("agent", "task", "seed", "step", "value"), "learning curves")
    curves = curves[np.isfinite(curves["value"].to_numpy(dtype=float))]
    if curves.empty:
        raise DataError("learning curves have no finite value to draw")
    agents = _order(curves["agent"], agents)
    colors = _colors(agents, colors)
    tasks = list(pd.unique(curves["task"]))
    cols = min(3, len(tasks))
    nrows = math.ceil(len(tasks) / cols)
    fig, axes = plt.subplots(nrows, cols, figsize=(4.6 * cols, 3.2 * nrows), squeeze=False)
    label = {"ci": "95% CI", "sd": "± sd", "se": "± se"}[band]
    for ax, task in zip(axes.flat, tasks, strict=False):
        for agent in agents:
            rows = curves[(curves["task"] == task) & (curves["agent"] == agent)]
            if rows.empty:
                continue
            grid, mean, half = _agent_curve(rows, band)
            seeds = rows["seed"].nunique()
            color = colors[agent]
            ax.plot(grid, mean, color=color, linewidth=1.8, label=f"{agent} ({seeds} seeds)")
            ax.fill_between(grid, mean - half, mean + half, color=color, alpha=0.2)
        ax.set_title(str(task), fontsize=10)
        ax.set_xlabel("environment steps")
        ax.set_ylabel(ylabel)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    for ax in axes.flat[len(tasks) :]:
        ax.set_visible(False)
    fig.suptitle(f"Learning curves per task (mean over seeds, band {label})", fontsize=11)
    return save_figure(fig, path)
