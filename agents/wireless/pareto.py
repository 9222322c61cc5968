"""Pareto fronts over a preference sweep, and their hypervolume (pymoo's ``HV``).

An offloading policy evaluated at preference ``(w, 1 - w)`` gives one point: its average
delay objective and average energy per task (both minimized). Sweeping ``w`` gives a set
of points; its non-dominated subset is the policy's Pareto front, and the hypervolume
that front dominates (up to a reference point shared by every policy compared) scores
the whole front in one number, larger being better. Objectives are divided by the
environment's reward scales (``delay_scale_s``, ``energy_scale_j``) first, so that both
count alike.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from pymoo.indicators.hv import HV
from pymoo.util.nds.non_dominated_sorting import NonDominatedSorting

from fieldgym.agents.base import Policy
from fieldgym.agents.evaluation import evaluate
from fieldgym.agents.target import EnvTarget
from fieldgym.envs.wireless.offloading_metrics import OBJECTIVES

DEFAULT_WEIGHTS: tuple[float, ...] = tuple(np.round(np.linspace(0.0, 1.0, 11), 2))
"""Delay weights ``w`` of the default sweep; the energy weight is ``1 - w``."""


def at_preference(target: EnvTarget, w_delay: float) -> EnvTarget:
    """``target`` with the fixed preference ``(w_delay, 1 - w_delay)``."""
    kwargs = {
        **target.kwargs,
        "preference": (float(w_delay), 1.0 - float(w_delay)),
        "preference_sampling": "fixed",
    }
    return EnvTarget(target.id, kwargs)


def retarget(policy: Policy, target: EnvTarget) -> Policy:
    """A shallow copy of ``policy`` acting in ``target`` (a conditioned learner's sweep)."""
    moved = copy.copy(policy)
    moved.target = target
    return moved


def sweep(
    make: Callable[[EnvTarget], Policy],
    target: EnvTarget,
    seeds: Iterable[int],
    weights: Sequence[float] = DEFAULT_WEIGHTS,
    max_steps: int | None = None,
) -> pd.DataFrame:
    """Evaluate the policy ``make(target_at_w)`` at each preference, one row per episode.

    Args:
        make: Builds the policy for a target with a fixed preference (a baseline's
            constructor, or ``lambda t: retarget(learner, t)``).
        target: The offloading environment; its preference fields are replaced.
        seeds: Evaluation seeds, the same at every preference (common random numbers).
        weights: Delay weights of the sweep.
        max_steps: Episode length; ``None`` keeps the registered ``TimeLimit``.

    Returns:
        :func:`fieldgym.agents.evaluate`'s table with a ``w_delay`` column.
    """
    seeds = list(seeds)
    tables = []
    for w in weights:
        table = evaluate(make(at_preference(target, w)), seeds, max_steps=max_steps)
        tables.append(table.assign(w_delay=float(w)))
    return pd.concat(tables, ignore_index=True)


def objective_points(
    table: pd.DataFrame, delay_scale: float = 1.0, energy_scale: float = 1.0
) -> pd.DataFrame:
    """Mean scaled objectives per ``agent`` and ``w_delay``: columns ``delay``, ``energy``."""
    means = table.groupby(["agent", "w_delay"], as_index=False)[list(OBJECTIVES)].mean()
    return means.assign(
        delay=means[OBJECTIVES[0]] / delay_scale, energy=means[OBJECTIVES[1]] / energy_scale
    )


def pareto_front(points: np.ndarray) -> np.ndarray:
    """The non-dominated rows of ``points`` ``(n, 2)`` (minimization), sorted by the first."""
    points = np.asarray(points, dtype=np.float64)
    front = points[NonDominatedSorting().do(points, only_non_dominated_front=True)]
    return front[np.argsort(front[:, 0])]


def reference_point(points: np.ndarray, margin: float = 0.1) -> np.ndarray:
    """The worst value of each objective over ``points``, times ``1 + margin``."""
    return np.asarray(points, dtype=np.float64).max(axis=0) * (1.0 + margin)


def hypervolume(points: np.ndarray, ref_point: np.ndarray) -> float:
    """The area ``points`` dominate up to ``ref_point`` (pymoo's ``HV``; minimization)."""
    return float(HV(ref_point=np.asarray(ref_point, dtype=np.float64))(np.asarray(points)))


def hypervolume_table(points: pd.DataFrame, ref_point: np.ndarray | None = None) -> pd.DataFrame:
    """Per agent: its front's hypervolume, front size and extreme objectives.

    Args:
        points: :func:`objective_points`' table (possibly of several agents).
        ref_point: Shared reference point; default: :func:`reference_point` over all rows.
    """
    xy = points[["delay", "energy"]].to_numpy()
    ref = reference_point(xy) if ref_point is None else np.asarray(ref_point)
    rows = []
    for agent, group in points.groupby("agent", sort=False):
        front = pareto_front(group[["delay", "energy"]].to_numpy())
        rows.append(
            {
                "agent": agent,
                "hypervolume": hypervolume(front, ref),
                "front_size": len(front),
                "min_delay": float(front[:, 0].min()),
                "min_energy": float(front[:, 1].min()),
                "ref_delay": float(ref[0]),
                "ref_energy": float(ref[1]),
            }
        )
    return pd.DataFrame(rows).sort_values("hypervolume", ascending=False, ignore_index=True)


def plot_fronts(
    points: pd.DataFrame, path: str | Path, title: str = "", colors: dict | None = None
) -> Path:
    """Save a plot of each agent's points and Pareto front (scaled objectives) to ``path``.

    ``colors`` maps agents to matplotlib colours (default: the colour cycle).
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 4.8))
    for agent, group in points.groupby("agent", sort=False):
        xy = group[["delay", "energy"]].to_numpy()
        color = (colors or {}).get(agent)
        (line,) = ax.plot(*pareto_front(xy).T, marker="o", label=str(agent), color=color)
        ax.scatter(*xy.T, s=12, color=line.get_color(), alpha=0.4)
    ax.set_xlabel("delay objective / delay_scale_s")
    ax.set_ylabel("energy / energy_scale_j")
    ax.set_title(title or "Pareto fronts over the preference sweep (lower-left is better)")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120, bbox_inches="tight")
    plt.close(fig)
    return path
