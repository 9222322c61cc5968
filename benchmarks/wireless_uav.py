"""Parameter-shared PPO against the UAV baselines on ``fieldgym/UAVOffloading-v1``.

Run from the repository root::

    .venv/bin/python benchmarks/wireless_uav.py [--steps 150000] [--episodes 5] [--seeds 0 1]

Trains ``shared_ppo`` (one policy for every UAV, every UAV of every copy one row of the
vector env) once per training seed, then evaluates it and the baselines (``kmeans_hover``,
``pso_placement``, ``random_walk``) with :func:`fieldgym.agents.evaluation.evaluate`
on the same evaluation seeds. It wrote ``reports/wireless_uav/`` (now the scenario's report;
this script writes ``reports/wireless_uav_script/``) before the scenario
runner took multi-agent ids; ``fieldgym compare scenarios/wireless_uav.yaml`` now runs
the same comparison (with ``mappo`` too).

Writes ``results.md``, ``results.csv`` (one row per episode), ``curve.csv`` and one map
per agent (``map_<agent>.png``, the last step of the first evaluation episode) into
``--out`` (default ``reports/wireless_uav_script``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import platform
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from fieldgym.agents import make_agent
from fieldgym.agents.base import ParallelPolicy
from fieldgym.agents.evaluation import evaluate
from fieldgym.agents.target import ParallelTarget

ENV_ID = "fieldgym/UAVOffloading-v1"
BASELINES = ("kmeans_hover", "pso_placement", "random_walk")
METRICS = (
    "association_share",
    "served_share",
    "avg_rate_mbps",
    "jain_fairness",
    "avg_energy_j",
    "collisions",
    "episode_return",
)


def final_map(policy: ParallelPolicy, seed: int, path: Path) -> None:
    """Save the map at the last step of one episode of ``policy``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    env = policy.target.make(render_mode="rgb_array")
    observations, _ = env.reset(seed=seed)
    policy.reset(seed)
    image = env.render()
    while env.agents:
        image = env.render()
        observations, *_ = env.step(policy.act(observations, env.state()))
    plt.imsave(path, image)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=150_000, help="agent-steps per training")
    parser.add_argument("--episodes", type=int, default=5, help="evaluation episodes")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0], help="training seeds")
    parser.add_argument("--shared-reward", action="store_true", help="team reward")
    parser.add_argument("--out", type=Path, default=Path("reports/wireless_uav_script"))
    args = parser.parse_args()
    torch.set_num_threads(1)
    target = ParallelTarget(ENV_ID, {"shared_reward": True} if args.shared_reward else {})
    eval_seeds = list(range(30_000, 30_000 + args.episodes))
    args.out.mkdir(parents=True, exist_ok=True)
    tables, curves, timing = [], [], {}
    for name in BASELINES:
        start = time.perf_counter()
        policy = make_agent(name, target)
        tables.append(evaluate(policy, eval_seeds).assign(train_seed=-1))
        final_map(policy, eval_seeds[0], args.out / f"map_{name}.png")
        timing[name] = time.perf_counter() - start
    for seed in args.seeds:
        start = time.perf_counter()
        learner = make_agent("shared_ppo", target, n_copies=4)
        learner.fit(args.steps, seed=seed)
        timing[f"shared_ppo seed {seed}"] = time.perf_counter() - start
        tables.append(evaluate(learner, eval_seeds).assign(train_seed=seed))
        curves.append(pd.DataFrame(learner.learning_curve).assign(train_seed=seed))
        if seed == args.seeds[0]:
            final_map(learner, eval_seeds[0], args.out / "map_shared_ppo.png")
    table = pd.concat(tables, ignore_index=True)
    table.to_csv(args.out / "results.csv", index=False)
    if curves:
        pd.concat(curves, ignore_index=True).to_csv(args.out / "curve.csv", index=False)
    summary = table.groupby("agent")[list(METRICS)].agg(["mean", "std"])
    lines = [
        "# UAV offloading: parameter-shared PPO against the baselines",
        "",
        f"Made by `.venv/bin/python benchmarks/wireless_uav.py --steps {args.steps} "
        f"--episodes {args.episodes} --seeds {' '.join(map(str, args.seeds))}"
        f"{' --shared-reward' if args.shared_reward else ''}` on "
        f"{dt.datetime.now(dt.UTC).isoformat(timespec='minutes')} ({platform.platform()}).",
        "",
        f"`{ENV_ID}` with its default config ({target.config.num_uavs} UAVs, "
        f"{target.config.num_users} random-waypoint users around hotspots, one base "
        f"station, minimum rate {target.config.min_rate_mbps} Mbit/s, capacity "
        f"{target.config.uav_capacity} users per UAV). Shared PPO trained for {args.steps} "
        "agent-steps per seed; every agent evaluated on the same "
        f"{args.episodes} episodes (seeds {eval_seeds[0]}..{eval_seeds[-1]}). Mean ± standard "
        "deviation over episodes (and training seeds).",
        "",
        "| agent | " + " | ".join(METRICS) + " |",
        "|---|" + "---|" * len(METRICS),
    ]
    order = summary[("association_share", "mean")].sort_values(ascending=False).index
    for agent in order:
        mean, std = summary.loc[agent].xs("mean", level=1), summary.loc[agent].xs("std", level=1)
        cells = [f"{mean[m]:.3f} ± {np.nan_to_num(std[m]):.3f}" for m in METRICS]
        lines.append(f"| {agent} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "Wall time (s): " + ", ".join(f"{k} {v:.0f}" for k, v in timing.items()),
        "",
        "Maps at the last step of the first evaluation episode (green: served by a UAV, "
        "blue: by the base station, red: unserved; orange: UAVs):",
        "",
        *(f"![{name}](map_{name}.png)" for name in (*BASELINES, "shared_ppo")),
        "",
    ]
    (args.out / "results.md").write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines[: 20 + len(order)]))


if __name__ == "__main__":
    main()
