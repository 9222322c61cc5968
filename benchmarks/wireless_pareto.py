"""Pareto fronts and hypervolumes of offloading policies over a preference sweep.

Run from the repository root::

    .venv/bin/python benchmarks/wireless_pareto.py [--steps 60000] [--seeds 5] [--out DIR]

Trains one preference-conditioned learner per algorithm (``discrete_sac``, and ``dqn`` /
``ppo`` from stable-baselines3 with the scalarized reward) on
``fieldgym/EdgeOffloading-v1`` with the preference drawn per episode (it is part of the
observation), then evaluates each learner and every offloading baseline at the delay
weights 0, 0.1, ..., 1 on the same evaluation seeds. Each (agent, weight) gives one
point (mean delay objective, mean energy per task, divided by the reward scales); each
agent's non-dominated points are its front, scored by pymoo's hypervolume against one
reference point shared by all agents (the worst point seen, plus 10%).

Writes ``pareto.md``, ``pareto.csv`` (points), ``hypervolume.csv`` and ``pareto.png`` into
``--out`` (default ``reports/wireless_offloading``), and the trained models under
``--models`` (default ``runs/wireless_pareto/models``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from fieldgym.agents import EnvTarget, make_agent
from fieldgym.agents.wireless.pareto import (
    DEFAULT_WEIGHTS,
    hypervolume_table,
    objective_points,
    plot_fronts,
    retarget,
    sweep,
)

ENV_ID = "fieldgym/EdgeOffloading-v1"
BASELINES = ("all_local", "offload_nearest", "offload_least_loaded", "greedy_delay", "greedy_cost")
LEARNERS: dict[str, dict] = {
    "discrete_sac": {
        "n_envs": 8,
        "hyperparams": {"gamma": 0.9, "learning_starts": 2_000},
    },
    "dqn": {"n_envs": 8, "hyperparams": {"gamma": 0.9}},
    "ppo": {"n_envs": 8, "hyperparams": {"gamma": 0.9}},
}
"""Learners and their parameters; ``gamma`` 0.9 as each task's cost is mostly its own."""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=60_000, help="training steps per learner")
    parser.add_argument("--seeds", type=int, default=5, help="evaluation episodes per weight")
    parser.add_argument("--seed", type=int, default=0, help="training seed")
    parser.add_argument("--learners", nargs="*", default=list(LEARNERS))
    parser.add_argument("--out", type=Path, default=Path("reports/wireless_offloading"))
    parser.add_argument("--models", type=Path, default=Path("runs/wireless_pareto/models"))
    args = parser.parse_args()
    torch.set_num_threads(1)

    target = EnvTarget(ENV_ID)
    conditioned = EnvTarget(ENV_ID, {"preference_sampling": "uniform"})
    seeds = range(20_000, 20_000 + args.seeds)
    tables, timings = [], {}
    for name in BASELINES:
        start = time.perf_counter()
        tables.append(sweep(lambda t, n=name: make_agent(n, t), target, seeds))
        timings[name] = {"evaluate_s": time.perf_counter() - start}
        print(f"{name}: swept in {timings[name]['evaluate_s']:.0f} s", flush=True)
    for name in args.learners:
        start = time.perf_counter()
        learner = make_agent(name, conditioned, **LEARNERS[name])
        learner.fit(args.steps, seed=args.seed)
        fit = time.perf_counter() - start
        learner.save(args.models / name)
        tables.append(sweep(lambda t, learner=learner: retarget(learner, t), target, seeds))
        timings[name] = {"fit_s": fit, "evaluate_s": time.perf_counter() - start - fit}
        print(f"{name}: trained {args.steps} steps in {fit:.0f} s", flush=True)

    table = pd.concat(tables, ignore_index=True)
    config = target.config
    points = objective_points(table, config.delay_scale_s, config.energy_scale_j)
    hv = hypervolume_table(points)
    args.out.mkdir(parents=True, exist_ok=True)
    points.to_csv(args.out / "pareto.csv", index=False)
    hv.to_csv(args.out / "hypervolume.csv", index=False)
    plot_fronts(points, args.out / "pareto.png")
    write_markdown(args, points, hv, timings)
    print(hv.to_string(index=False))


def write_markdown(args: argparse.Namespace, points: pd.DataFrame, hv: pd.DataFrame, timings):
    """The report page: how it was made, the hypervolumes, the points."""
    best_baseline = hv[hv["agent"].isin(BASELINES)]["hypervolume"].max()
    lines = [
        "# Offloading: Pareto fronts over a preference sweep",
        "",
        f"Made by `.venv/bin/python benchmarks/wireless_pareto.py --steps {args.steps} "
        f"--seeds {args.seeds} --seed {args.seed}` on "
        f"{dt.datetime.now(dt.UTC).isoformat(timespec='minutes')} ({platform.platform()}).",
        "",
        f"Environment `{ENV_ID}` with its default config; learners trained once, for "
        f"{args.steps} steps, with the preference drawn per episode and observed, then "
        f"evaluated at delay weights {[float(w) for w in DEFAULT_WEIGHTS]} on {args.seeds} "
        "episodes each (the same seeds for every agent and weight). Objectives are per "
        "task and scaled (delay objective / 0.2 s, energy / 0.5 J); hypervolume by "
        "`pymoo.indicators.hv.HV` against the shared reference point below (larger is better).",
        "",
        "![Pareto fronts](pareto.png)",
        "",
        "| agent | hypervolume | vs best baseline | front size | min delay | min energy |",
        "|---|---|---|---|---|---|",
    ]
    for row in hv.itertuples():
        lines.append(
            f"| {row.agent} | {row.hypervolume:.4f} | {row.hypervolume / best_baseline:.3f} | "
            f"{row.front_size} | {row.min_delay:.3f} | {row.min_energy:.4f} |"
        )
    ref = hv.iloc[0]
    lines += [
        "",
        f"Reference point (scaled delay, energy): ({ref.ref_delay:.3f}, {ref.ref_energy:.3f}).",
        "",
        "Load average at the end (1, 5, 15 min): "
        + ", ".join(f"{x:.1f}" for x in os.getloadavg())
        + " on 2 cores (other jobs share the machine, which lengthens wall times).",
        "",
        "Wall time (s): "
        + json.dumps({k: {m: round(v) for m, v in t.items()} for k, t in timings.items()}),
        "",
        *knee_section(points),
        "## Points (mean scaled objectives per agent and delay weight)",
        "",
        *markdown_table(points.round(4)),
        "",
    ]
    (args.out / "pareto.md").write_text("\n".join(lines), encoding="utf-8")


KNEE_REF = (1.5, 0.4)
"""A tighter reference point (scaled delay, energy): 0.3 s and 0.2 J per task."""


def knee_section(points: pd.DataFrame, ref: tuple[float, float] = KNEE_REF) -> list[str]:
    """Markdown lines: the hypervolumes against :data:`KNEE_REF`, which ignores the far tails.

    The shared reference point above is set by the worst policy (all-local), so most of
    every front's area lies far from the knee where policies differ; this table measures
    only the region below 0.3 s and 0.2 J per task.
    """
    hv = hypervolume_table(points, ref_point=np.asarray(ref))
    lines = [
        "",
        f"## Hypervolume near the knee (reference point {ref})",
        "",
        "The reference point above is set by the worst policy (all-local), so most of each "
        "front's area lies far from the knee where the good policies differ. Against "
        f"{ref} (0.3 s and 0.2 J per task), points beyond it count nothing:",
        "",
        "| agent | hypervolume |",
        "|---|---|",
    ]
    lines += [f"| {r.agent} | {r.hypervolume:.4f} |" for r in hv.itertuples()]
    return [*lines, ""]


def markdown_table(frame: pd.DataFrame) -> list[str]:
    """``frame`` as Markdown table lines (pandas' own needs the optional ``tabulate``)."""
    lines = ["| " + " | ".join(map(str, frame.columns)) + " |"]
    lines.append("|" + "---|" * len(frame.columns))
    for row in frame.itertuples(index=False):
        lines.append("| " + " | ".join(map(str, row)) + " |")
    return lines


if __name__ == "__main__":
    main()
