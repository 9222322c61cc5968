"""Parameter-shared PPO against max-pressure and the other baselines on the 4 × 4 grid.

Run from the repository root::

    .venv/bin/python benchmarks/traffic_grid.py [--steps 200000] [--seeds 1] [--episodes 3]

It wrote ``reports/traffic_grid/`` before the scenario runner took multi-agent ids (that
folder is now the scenario's report; this script writes ``reports/traffic_grid_script/``);
``fieldgym compare scenarios/traffic_grid.yaml`` now runs the same comparison (with
``shared_dqn`` and ``mappo`` too). For ``fieldgym/TrafficGrid-v1`` it trains
``shared_ppo`` (the agent layer's PettingZoo-to-VecEnv bridge, one policy for all sixteen
intersections) for
``--steps`` agent-steps per seed, evaluates it and the baselines with
``fieldgym.agents.evaluation.evaluate`` on the same evaluation seeds, and writes
``results.md`` and ``results.json`` into ``--out``.

PPO's reward is the ``wait`` part scaled by 0.01 (the bridge does not normalize rewards);
the baselines do not use the reward.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import shlex
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from fieldgym.agents import make_agent
from fieldgym.agents.base import RandomParallelPolicy
from fieldgym.agents.evaluation import evaluate
from fieldgym.agents.target import ParallelTarget

ROOT = Path(__file__).resolve().parents[1]
GRID = "fieldgym/TrafficGrid-v1"
ENV = {"preset": "grid4x4", "reward": "wait", "reward_weights": {"wait": 0.01}}
METRICS = ["avg_waiting_time", "avg_travel_time", "avg_queue", "throughput", "waiting_to_enter"]


def main(argv: list[str] | None = None) -> int:
    """Train, evaluate and write the report."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--steps", type=int, default=200_000, help="agent-steps per seed")
    parser.add_argument("--seeds", type=int, default=1, help="training seeds")
    parser.add_argument("--episodes", type=int, default=3, help="evaluation episodes")
    parser.add_argument("--out", type=Path, default=ROOT / "reports" / "traffic_grid_script")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    target = ParallelTarget(GRID, ENV)
    seeds = list(range(10_000, 10_000 + args.episodes))
    tables, timings = [], {}
    for name in ("max_pressure", "fixed_time", "actuated", "sotl"):
        start = time.perf_counter()
        tables.append(evaluate(make_agent(name, target), seeds))
        timings[name] = time.perf_counter() - start
    tables.append(evaluate(RandomParallelPolicy(target), seeds))
    for seed in range(args.seeds):
        start = time.perf_counter()
        agent = make_agent("shared_ppo", target, n_copies=2).fit(args.steps, seed=seed)
        table = evaluate(agent, seeds)
        table["train_seed"] = seed
        tables.append(table)
        timings[f"shared_ppo seed {seed}"] = time.perf_counter() - start
        print(f"shared_ppo seed {seed}: {time.perf_counter() - start:.0f} s", file=sys.stderr)
    results = pd.concat(tables, ignore_index=True)
    summary = results.groupby("agent")[METRICS].agg(["mean", "std"])
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.json").write_text(
        json.dumps(
            {"episodes": results.to_dict("records"), "timings": timings}, indent=2, default=float
        )
        + "\n"
    )
    reference = summary.loc["max_pressure", ("avg_waiting_time", "mean")]
    lines = [
        "# Shared PPO against max-pressure on the 4 × 4 grid",
        "",
        f"Written {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M UTC} by",
        "",
        "```",
        shlex.join([".venv/bin/python", "benchmarks/traffic_grid.py", *(argv or sys.argv[1:])]),
        "```",
        "",
        f"`{GRID}` with {ENV}: sixteen intersections, cell transmission links. "
        f"`shared_ppo`: {args.steps:,} agent-steps per training seed "
        f"({args.steps // 16:,} decisions of the grid), {args.seeds} seed(s). "
        f"Evaluation: {args.episodes} one-hour episodes on seeds {seeds[0]}–{seeds[-1]}, "
        "the same for every agent.",
        "",
        "| agent | " + " | ".join(METRICS) + " | waiting vs max-pressure |",
        "|---|" + "---:|" * (len(METRICS) + 1),
    ]
    for agent, row in summary.iterrows():
        cells = [f"{row[(m, 'mean')]:.2f} ± {np.nan_to_num(row[(m, 'std')]):.2f}" for m in METRICS]
        change = row[("avg_waiting_time", "mean")] / reference - 1
        lines.append(f"| {agent} | " + " | ".join(cells) + f" | {change:+.0%} |")
    lines += ["", "Mean ± standard deviation over evaluation episodes (and training seeds)."]
    (args.out / "results.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
