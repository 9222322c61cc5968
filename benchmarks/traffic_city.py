"""A CityFlow city on both traffic backends: controllers, a learner, agreement and speed.

Run from the repository root::

    .venv/bin/python benchmarks/traffic_city.py [--city grid2x2] [--train-steps 100000]

Loads a CityFlow road network and flow file (default: the shipped synthetic 2 × 2 grid,
``data/traffic/grid2x2``) into ``fieldgym/TrafficGrid-v1`` on the built-in simulator and
on SUMO (the same files, converted), and runs on both, over the same episode:

* fixed time with the file's own light plan, fixed time with Webster's plan,
  max-pressure and SOTL;
* ``shared_ppo`` trained on the built-in simulator (``--seeds`` training seeds, each
  ``--train-steps`` agent-steps), evaluated on both backends with the same weights (the
  two backends present the same observation layout).

It writes ``reports/traffic_city/results.md``, ``results.csv`` and ``travel_time.png``:
CityFlow's average travel time and the other metrics per controller and backend, the
relative difference of the two backends' travel times (the issue's check: within 15% for
fixed time and max-pressure), and the CPU seconds per episode on each backend (the
built-in simulator's speed-up over SUMO; the target is at least 50×). Trips are replayed
from the file, so the built-in episodes are deterministic and one episode per controller
suffices; SUMO's seeds change only its insertion details.
"""

from __future__ import annotations

import argparse
import datetime as dt
import shlex
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from fieldgym.agents import make_agent
from fieldgym.agents.evaluation import evaluate
from fieldgym.agents.target import ParallelTarget
from fieldgym.envs.traffic.config import TrafficConfig
from fieldgym.envs.traffic.system import make_system
from fieldgym.scenarios.report.plots import save_figure
from fieldgym.scenarios.stats.intervals import t_interval

ROOT = Path(__file__).resolve().parents[1]
GRID = "fieldgym/TrafficGrid-v1"
BACKENDS = ("builtin", "sumo")
CONTROLLERS = {
    "fixed_time_file": ("fixed_time", {"plan": "file"}),
    "fixed_time_webster": ("fixed_time", {}),
    "max_pressure": ("max_pressure", {}),
    "sotl": ("sotl", {}),
}
CHECKED = ("fixed_time_file", "fixed_time_webster", "max_pressure")
METRICS = ("avg_travel_time", "avg_waiting_time", "throughput", "waiting_to_enter", "teleports")
EVAL_SEED = 10_000


def target_for(city: Path, backend: str, steps: int) -> ParallelTarget:
    """The city's multi-agent env on one backend."""
    return ParallelTarget(
        GRID,
        {
            "roadnet_file": str(city / "roadnet.json"),
            "flow_file": str(city / "flow.json"),
            "backend": backend,
            "max_episode_steps": steps,
            "reward": "wait",
            "reward_weights": {"wait": 0.01},
        },
    )


def simulator_speed(city: Path, backend: str, copies: int, steps: int) -> float:
    """Decision steps per CPU second of the bare simulator, all copies counted.

    ``steps`` decisions per copy in episodes of 180 (resets included), after one warm-up
    step (numba's cache load, SUMO's start), with phases switching every 30 s.
    """
    config = TrafficConfig(
        roadnet_file=str(city / "roadnet.json"), flow_file=str(city / "flow.json"), backend=backend
    )
    system = make_system(config, copies)
    rng = np.random.default_rng(0)
    actions = np.zeros((copies, system.num_intersections), dtype=np.int64)
    system.reset(rng)
    system.step(actions, rng)
    start = time.process_time()
    for k in range(steps):
        if k % 180 == 0:
            system.reset(rng)
        actions[:] = (k // 6) % 2
        system.step(actions, rng)
    seconds = time.process_time() - start
    system.close()
    return copies * steps / seconds


def timed_evaluation(policy, label: str, backend: str) -> dict:
    """One evaluation episode, with its CPU and wall seconds."""
    cpu, wall = time.process_time(), time.perf_counter()
    row = evaluate(policy, [EVAL_SEED]).iloc[0].to_dict()
    row.update(
        controller=label,
        backend=backend,
        cpu_seconds=time.process_time() - cpu,
        wall_seconds=time.perf_counter() - wall,
    )
    print(f"{backend:8s} {label:22s} travel {row['avg_travel_time']:8.1f} s", file=sys.stderr)
    return row


def main(argv: list[str] | None = None) -> int:
    """Run the controllers and the learner on both backends and write the report."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--city", default="grid2x2", help="a folder under data/traffic/")
    parser.add_argument("--steps", type=int, default=180, help="decisions per episode")
    parser.add_argument("--train-steps", type=int, default=100_000)
    parser.add_argument("--seeds", type=int, default=3, help="training seeds of the learner")
    parser.add_argument("--out", type=Path, default=ROOT / "reports" / "traffic_city")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    city = ROOT / "data" / "traffic" / args.city
    targets = {b: target_for(city, b, args.steps) for b in BACKENDS}
    rows = []
    for backend, target in targets.items():
        evaluate(make_agent("random", target), [EVAL_SEED])  # warm-up: numba, SUMO
        for label, (name, params) in CONTROLLERS.items():
            rows.append(timed_evaluation(make_agent(name, target, **params), label, backend))
    for seed in range(args.seeds):
        learner = make_agent("shared_ppo", targets["builtin"])
        cpu, wall = time.process_time(), time.perf_counter()
        learner.fit(args.train_steps, seed=seed)
        train_cpu, train_wall = time.process_time() - cpu, time.perf_counter() - wall
        for backend, target in targets.items():
            twin = make_agent("shared_ppo", target)
            twin.model = learner.model  # the same weights on the other backend
            row = timed_evaluation(twin, "shared_ppo", backend)
            row.update(training_seed=seed, train_cpu_seconds=train_cpu, train_wall=train_wall)
            rows.append(row)
    speeds = {
        (backend, copies): simulator_speed(city, backend, copies, 1800)
        for backend, copies in (("builtin", 1), ("builtin", 64), ("sumo", 1))
    }
    results = pd.DataFrame(rows)
    args.out.mkdir(parents=True, exist_ok=True)
    results.to_csv(args.out / "results.csv", index=False)
    lines = report_lines(results, speeds, args, argv)
    plot(results, args.out / "travel_time.png")
    (args.out / "results.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


def report_lines(results: pd.DataFrame, speeds: dict, args, argv) -> list[str]:
    """The Markdown report."""
    command = shlex.join([".venv/bin/python", "benchmarks/traffic_city.py", *(argv or [])])
    timing = ["cpu_seconds", "wall_seconds"]
    means = results.groupby(["controller", "backend"])[[*METRICS, *timing]].mean()
    lines = [
        f"# A CityFlow city on both backends: `data/traffic/{args.city}`",
        "",
        f"Written {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M UTC} by `{command}`.",
        "",
        f"`{GRID}` with `roadnet_file` and `flow_file` from `data/traffic/{args.city}`, one "
        f"episode of {args.steps} decisions ({args.steps * 5 / 60:.0f} min) per controller "
        f"and backend, evaluation seed {EVAL_SEED}. `shared_ppo` is trained on the built-in "
        f"simulator, {args.train_steps} agent-steps per training seed, {args.seeds} seeds "
        "(mean and 95% CI over seeds), and evaluated with the same weights on both backends. "
        "Travel time is CityFlow's (every vehicle due to depart counts from its departure; "
        "see `fieldgym.envs.traffic.metrics`).",
        "",
        "| controller | " + " | ".join(f"{m} builtin | {m} SUMO" for m in METRICS) + " |",
        "|---|" + "---:|" * (2 * len(METRICS)),
    ]
    order = means.xs("builtin", level="backend")["avg_travel_time"].sort_values().index
    for controller in order:
        cells = []
        for metric in METRICS:
            for backend in BACKENDS:
                values = results.loc[
                    (results.controller == controller) & (results.backend == backend), metric
                ].to_numpy()
                if len(values) > 1:
                    mean, low, high, _ = t_interval(values)
                    cells.append(f"{mean:.1f} [{low:.1f}, {high:.1f}]")
                else:
                    cells.append(f"{values[0]:.1f}")
        lines.append(f"| {controller} | " + " | ".join(cells) + " |")
    lines += ["", "## The two backends agree?", ""]
    lines += ["| controller | travel builtin (s) | travel SUMO (s) | difference | within 15% |"]
    lines += ["|---|---:|---:|---:|---|"]
    for controller in [*CHECKED, "shared_ppo"]:
        built = means.loc[(controller, "builtin"), "avg_travel_time"]
        sumo = means.loc[(controller, "sumo"), "avg_travel_time"]
        gap = (built - sumo) / sumo
        ok = "yes" if abs(gap) <= 0.15 else "**no**"
        lines.append(f"| {controller} | {built:.1f} | {sumo:.1f} | {gap:+.1%} | {ok} |")
    cpu = means["cpu_seconds"].unstack("backend")
    wall = means["wall_seconds"].unstack("backend")
    ratio = cpu["sumo"] / cpu["builtin"]
    sumo = speeds[("sumo", 1)]
    lines += [
        "",
        "## Speed",
        "",
        "The simulators alone (`make_system(...).step`, decision steps per CPU second, "
        "1,800 decisions per copy in 180-decision episodes, resets included):",
        "",
        "| backend | copies | copy-steps/s | over SUMO |",
        "|---|---:|---:|---:|",
        *(
            f"| {backend} | {copies} | {speed:,.0f} | {speed / sumo:.0f}× |"
            for (backend, copies), speed in speeds.items()
        ),
        "",
        "Through the multi-agent env and a policy, CPU seconds per evaluation episode (the "
        "env's and the policy's Python included, which the two backends share), and SUMO's "
        "over the built-in simulator's:",
        "",
        "| controller | builtin CPU (s) | SUMO CPU (s) | SUMO / builtin | builtin wall (s) "
        "| SUMO wall (s) |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for controller in cpu.index:
        lines.append(
            f"| {controller} | {cpu.loc[controller, 'builtin']:.3f} | "
            f"{cpu.loc[controller, 'sumo']:.3f} | {ratio[controller]:.0f}× | "
            f"{wall.loc[controller, 'builtin']:.3f} | {wall.loc[controller, 'sumo']:.3f} |"
        )
    train = results.dropna(subset=["train_cpu_seconds"]).drop_duplicates("training_seed")
    lines += [
        "",
        f"The issue's target, the built-in simulator at least 50× faster than SUMO: "
        f"{speeds[('builtin', 1)] / sumo:.0f}× with one copy, "
        f"{speeds[('builtin', 64)] / sumo:.0f}× with 64 copies in one call; through the env "
        f"and a policy the slowest ratio is {ratio.min():.0f}×. Training `shared_ppo` on the "
        f"built-in simulator took {train['train_cpu_seconds'].mean():.0f} CPU s per seed "
        f"({args.train_steps / train['train_cpu_seconds'].mean():.0f} agent-steps/s).",
    ]
    return lines


def plot(results: pd.DataFrame, path: Path) -> None:
    """Bars of the travel time per controller, built-in beside SUMO."""
    import matplotlib.pyplot as plt  # after fieldgym.scenarios.report.plots chose the backend

    means = results.groupby(["controller", "backend"])["avg_travel_time"].mean().unstack()
    fig, ax = plt.subplots(figsize=(7, 3.5))
    x = np.arange(len(means))
    for k, backend in enumerate(BACKENDS):
        ax.bar(x + (k - 0.5) * 0.4, means[backend], width=0.4, label=backend)
    ax.set_xticks(x, means.index, rotation=20, ha="right")
    ax.set_ylabel("average travel time (s)")
    ax.legend()
    save_figure(fig, path)


if __name__ == "__main__":
    sys.exit(main())
