"""Steps per second of ``fieldgym/Driving-v1`` beside highway-env's ``highway-fast-v0``.

Run from the repository root::

    .venv/bin/python benchmarks/driving_throughput.py [--seconds 3] [--repeats 3]

Measures, in one run and with the timing loop of ``benchmarks/throughput.py`` (warm-up,
then repeats of a fixed wall time; random actions sampled before the clock starts; a reset
whenever an episode ends, resets counted in the time):

* highway-env 1.12.1's ``highway-fast-v0`` (installed in ``.venv``): 3 lanes, 20 vehicles,
  a 5 Hz simulation, one decision per second, discrete meta-actions, kinematics
  observation; ``gymnasium.make``;
* ``fieldgym/Driving-v1`` with its defaults, which match that setting (3 lanes, 20
  vehicles, 5 Hz simulation, one decision per second, meta-actions, kinematics), as a
  single env and as the native vector env with 1, 64 and 1024 copies;
* the ``continuous`` preset (5 decisions per second) and the other observation types,
  single env; the two intersection presets, single, and the signalized one vectorized
  (1024 copies).

Writes ``reports/benchmarks/driving_throughput.md`` and ``.json``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import throughput as shared  # the suite's timing loop and machine description

ROOT = shared.ROOT
ID = "fieldgym/Driving-v1"
PEER = "highway-fast-v0"
TARGETS = {"single": 2_600.0, "vector 1024": 100_000.0}
"""The issue's targets, env-steps per second."""
PEER_REFERENCE = 26.0
"""The issue's figure for highway-fast-v0 on this kind of machine (steps/s)."""
SINGLE_VARIANTS: dict[str, dict[str, Any]] = {
    "single": {},
    "single, continuous preset (5 decisions/s)": {"preset": "continuous"},
    "single, occupancy_grid": {"observation_type": "occupancy_grid"},
    "single, ttc": {"observation_type": "ttc"},
    "single, intersection preset (signalized)": {"preset": "intersection"},
    "single, intersection_yield preset": {"preset": "intersection_yield"},
}
VECTOR_VARIANTS: dict[str, dict[str, Any]] = {
    "vector 1024, intersection preset": {"preset": "intersection"},
}
"""Further scenarios, measured beside the default highway (the targets are the highway's)."""


def measure_peer(seconds: float, repeats: int, warmup: float) -> list[float]:
    """Steps per second of highway-env's ``highway-fast-v0`` with random actions."""
    import gymnasium as gym
    import highway_env

    gym.register_envs(highway_env)
    env = gym.make(PEER)
    env.reset(seed=0)
    env.action_space.seed(0)
    actions = [env.action_space.sample() for _ in range(20)]  # small chunks: it is slow
    try:
        return shared.time_steps(shared.single_env_chunk(env, actions), seconds, repeats, warmup)
    finally:
        env.close()


def cpu_seconds() -> float:
    """CPU time of this process so far (to show how much of the wall time it got)."""
    return time.process_time()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--warmup", type=float, default=1.0)
    parser.add_argument("--out", default=str(ROOT / "reports" / "benchmarks"))
    args = parser.parse_args(argv)
    import fieldgym  # noqa: F401  (registers the ids)

    load_before = os.getloadavg()
    rows: list[dict[str, Any]] = []

    def record(name: str, runs: list[float], cpu: float, wall: float) -> None:
        rows.append(
            {
                "env": name,
                "runs": runs,
                "median": sorted(runs)[len(runs) // 2],
                "cpu_share": cpu / wall if wall > 0 else float("nan"),
            }
        )
        shared.log(f"{name}: {shared.fmt(rows[-1]['median'])} steps/s")

    def timed(name: str, fn: Any) -> None:
        cpu0, wall0 = cpu_seconds(), time.perf_counter()
        runs = fn()
        record(name, runs, cpu_seconds() - cpu0, time.perf_counter() - wall0)

    s, r, w = args.seconds, args.repeats, args.warmup
    timed(f"highway-env {PEER}", lambda: measure_peer(s, r, w))
    for name, kwargs in SINGLE_VARIANTS.items():
        timed(name, lambda kwargs=kwargs: shared.measure_single(ID, kwargs, s, r, w))
    for n in (1, 64, 1024):
        timed(f"vector {n}", lambda n=n: shared.measure_vector(ID, {}, n, s, r, w))
    for name, kwargs in VECTOR_VARIANTS.items():
        timed(name, lambda kwargs=kwargs: shared.measure_vector(ID, kwargs, 1024, s, r, w))
    report = {
        "measured": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "seconds": s,
        "repeats": r,
        "warmup": w,
        "rows": rows,
        "machine": {**shared.machine(), "load_before": load_before, "load_after": os.getloadavg()},
    }
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "driving_throughput.json").write_text(json.dumps(report, indent=2))
    (out / "driving_throughput.md").write_text(markdown(report))
    return 0


def markdown(report: dict[str, Any]) -> str:
    """The report as Markdown."""
    rows = {row["env"]: row for row in report["rows"]}
    peer = rows[f"highway-env {PEER}"]["median"]
    lines = [
        "# Driving environments: throughput",
        "",
        f"Measured {report['measured']} by `benchmarks/driving_throughput.py`; regenerate with",
        "",
        "```",
        f".venv/bin/python benchmarks/driving_throughput.py --seconds {report['seconds']:g} "
        f"--repeats {report['repeats']}",
        "```",
        "",
        f"Each row: {report['warmup']:g} s warm-up, then {report['repeats']} runs of "
        f"{report['seconds']:g} s; median and min–max. Random actions sampled before the "
        "clock starts; a reset whenever an episode ends (counted in the time). Both "
        "highway-fast-v0 and fieldgym's default Driving-v1 simulate 3 lanes and 20 vehicles "
        "at 5 Hz with one decision per second (meta-actions, kinematics observation). "
        "'CPU share' is the CPU time the process got over the wall time: below 1 the machine "
        "was busy with other work and every figure is lower than on an idle machine.",
        "",
        "| env | steps/s (median) | min–max | × highway-fast-v0 | CPU share |",
        "|---|---:|---:|---:|---:|",
    ]
    for row in report["rows"]:
        lo, hi = min(row["runs"]), max(row["runs"])
        ratio = row["median"] / peer if peer > 0 else float("nan")
        lines.append(
            f"| {row['env']} | {shared.fmt(row['median'])} | {shared.fmt(lo)}–{shared.fmt(hi)} "
            f"| {ratio:,.0f}× | {row['cpu_share']:.2f} |"
        )
    lines += ["", "## Targets", "", "| target | measured | met |", "|---|---:|---|"]
    for key, target in TARGETS.items():
        value = rows[key]["median"]
        met = "met" if value >= target else "**not met**"
        lines.append(f"| Driving-v1 {key} ≥ {target:,.0f} steps/s | {shared.fmt(value)} | {met} |")
    lines.append(
        f"| highway-fast-v0: the issue's figure, about {PEER_REFERENCE:g} steps/s (reference) "
        f"| {shared.fmt(peer)} | — |"
    )
    m = report["machine"]
    lines += [
        "",
        "## Machine",
        "",
        f"- {m['platform']}; {m['cpu']}, {m['cores']} cores ({m['cores_usable']} usable), "
        "shared with other jobs while measuring: load average "
        f"{' '.join(f'{x:.1f}' for x in m['load_before'])} before, "
        f"{' '.join(f'{x:.1f}' for x in m['load_after'])} after",
        f"- Python {m['python']}, numpy {m['numpy']}, numba {m['numba']}, "
        f"gymnasium {m['gymnasium']}",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
