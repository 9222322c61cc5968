"""The classical controllers on both backends of the single intersection, side by side.

Run from the repository root::

    .venv/bin/python benchmarks/traffic_backends.py [--episodes 3]

Evaluates ``fixed_time``, ``max_pressure``, ``actuated``, ``sotl`` and ``random`` on
``fieldgym/TrafficSignal-v1`` with ``backend="builtin"`` and ``backend="sumo"`` (the same
intersection, demand and signal rules; SUMO's network from netgenerate), on the same
evaluation seeds, and writes ``reports/traffic_backends/results.md`` and ``results.csv``:
the metrics side by side and whether both backends rank the controllers alike.
"""

from __future__ import annotations

import argparse
import datetime as dt
import shlex
import sys
from pathlib import Path

import pandas as pd

from fieldgym.agents import EnvTarget, evaluate, make_agent

ROOT = Path(__file__).resolve().parents[1]
AGENTS = ("fixed_time", "max_pressure", "actuated", "sotl", "random")
METRICS = ("avg_waiting_time", "avg_delay", "avg_travel_time", "avg_queue", "throughput")


def main(argv: list[str] | None = None) -> int:
    """Evaluate on both backends and write the report."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--episodes", type=int, default=3)
    parser.add_argument("--out", type=Path, default=ROOT / "reports" / "traffic_backends")
    args = parser.parse_args(argv)
    seeds = range(10_000, 10_000 + args.episodes)
    tables = []
    for backend in ("builtin", "sumo"):
        target = EnvTarget("fieldgym/TrafficSignal-v1", {"backend": backend})
        for name in AGENTS:
            table = evaluate(make_agent(name, target), seeds)
            table["backend"] = backend
            tables.append(table)
            print(backend, name, round(table["avg_waiting_time"].mean(), 2), file=sys.stderr)
    results = pd.concat(tables, ignore_index=True)
    args.out.mkdir(parents=True, exist_ok=True)
    results.to_csv(args.out / "results.csv", index=False)
    means = results.groupby(["agent", "backend"])[list(METRICS)].mean().unstack("backend")
    ranks = {
        b: list(means[("avg_waiting_time", b)].sort_values().index) for b in ("builtin", "sumo")
    }
    lines = [
        "# The single intersection on both backends",
        "",
        f"Written {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M UTC} by",
        "",
        "```",
        shlex.join([".venv/bin/python", "benchmarks/traffic_backends.py", *(argv or sys.argv[1:])]),
        "```",
        "",
        f"`fieldgym/TrafficSignal-v1`, default config, {args.episodes} one-hour episodes on "
        f"seeds {seeds[0]}–{seeds[-1]} per controller and backend (means). The built-in "
        "simulator counts a vehicle as delayed only while halted (moving vehicles move at "
        "free speed), so its delay equals its waiting time; SUMO's delay is its time loss "
        "(slower than the speed limit), which also counts acceleration and deceleration.",
        "",
        "| agent | " + " | ".join(f"{m} builtin | {m} SUMO" for m in METRICS) + " |",
        "|---|" + "---:|" * (2 * len(METRICS)),
    ]
    for agent in ranks["builtin"]:
        cells = [f"{means.loc[agent, (m, b)]:.2f}" for m in METRICS for b in ("builtin", "sumo")]
        lines.append(f"| {agent} | " + " | ".join(cells) + " |")
    checked = ("fixed_time", "max_pressure", "random")
    middle = means.loc[["actuated", "sotl", "fixed_time"], ("avg_waiting_time", "builtin")]
    spread = float(middle.max() - middle.min())
    order = {b: [a for a in ranks[b] if a in checked] for b in ranks}
    same = order["builtin"] == order["sumo"]
    lines += [
        "",
        f"Ranking by average waiting time, built-in: {', '.join(ranks['builtin'])}; "
        f"SUMO: {', '.join(ranks['sumo'])}.",
        "",
        f"The issue's check, fixed time, max-pressure and random in the same order on both "
        f"backends: {'yes' if same else '**no**'} ({' < '.join(order['builtin'])} built-in, "
        f"{' < '.join(order['sumo'])} SUMO). On the built-in simulator actuated, SOTL and "
        f"fixed time lie within {spread:.2f} s of each other, so their mutual order there "
        "says little.",
    ]
    (args.out / "results.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
