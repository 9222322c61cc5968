"""What per-copy random streams cost the native vector envs, against two peers in one run.

Run from the repository root::

    .venv/bin/python benchmarks/vector_streams.py [--seconds 1.0] [--repeats 3]

Since copy ``i`` of a native vector env retraces a single env seeded ``s + i``, each copy
draws from its own generator (:class:`fieldgym.envs.core.streams.CopyStreams`). For the
draws the domains make each step, at 1, 64 and 1024 copies, this times (CPU time, median
of ``--repeats``)

* ``shared``: one numpy generator drawing the whole batch (what the vector envs did before,
  when the copies shared one stream and only one copy agreed with ``SyncVectorEnv``);
* ``CopyStreams``: one generator per copy, rows filled in one numba loop;
* ``python loop``: one generator per copy, one numpy call per copy (the obvious way).

Writes ``reports/benchmarks/vector_streams.md`` and ``.json``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from fieldgym.envs.core.streams import CopyStreams

REPORT = Path(__file__).resolve().parent.parent / "reports" / "benchmarks"

DRAWS: dict[str, tuple[str, Callable, Callable]] = {
    # name: (who draws it each step, batched draw, one copy's draw)
    "random (copies, 5)": (
        "EdgeOffloading, TrafficSignal",
        lambda rng, n: rng.random((n, 5)),
        lambda g: g.random(5),
    ),
    "standard_normal (copies, 2)": (
        "OptimalExecution",
        lambda rng, n: rng.standard_normal((n, 2)),
        lambda g: g.standard_normal(2),
    ),
    "poisson (copies, 4), mean 10": (
        "MultiEchelonInventory (Poisson demand)",
        lambda rng, n: rng.poisson(np.full(4, 10.0), size=(n, 4)),
        lambda g: g.poisson(np.full(4, 10.0)),
    ),
    "normal (copies, 1)": (
        "MultiEchelonInventory (default demand)",
        lambda rng, n: rng.normal(10.0, 2.5, (n, 1)),
        lambda g: g.normal(10.0, 2.5, 1),
    ),
}


def per_copy_microseconds(call: Callable[[], object], copies: int, seconds: float) -> float:
    """CPU microseconds per copy of one call, over ``seconds`` of CPU time."""
    call()
    calls, start = 0, time.process_time()
    while time.process_time() - start < seconds:
        call()
        calls += 1
    return (time.process_time() - start) / calls / copies * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=1.0)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    rows = []
    for name, (who, batched, single) in DRAWS.items():
        for copies in (1, 64, 1024):
            shared = np.random.default_rng(0)
            streams = CopyStreams.seeded(0, copies)
            generators = streams.generators
            ways = {
                "shared": lambda b=batched, g=shared, n=copies: b(g, n),
                "CopyStreams": lambda b=batched, s=streams, n=copies: b(s, n),
                "python loop": lambda f=single, gs=generators: [f(g) for g in gs],
            }
            row = {"draw": name, "used by": who, "copies": copies}
            for way, call in ways.items():
                runs = [
                    per_copy_microseconds(call, copies, args.seconds) for _ in range(args.repeats)
                ]
                row[way] = statistics.median(runs)
            rows.append(row)
            print(row, flush=True)
    write(rows, args)


def write(rows: list[dict], args: argparse.Namespace) -> None:
    REPORT.mkdir(parents=True, exist_ok=True)
    (REPORT / "vector_streams.json").write_text(json.dumps(rows, indent=1) + "\n")
    when = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "# Per-copy random streams: what they cost",
        "",
        f"Measured {when} by `benchmarks/vector_streams.py` (`--seconds {args.seconds} "
        f"--repeats {args.repeats}`): CPU microseconds per copy of one batched draw, median "
        "of the repeats. `shared` is one generator for the whole batch (the vector envs' "
        "old way, under which copies did not retrace single envs); `CopyStreams` is one "
        "generator per copy filled in one numba loop (today's); `python loop` is one numpy "
        "call per copy. Ratios are against `shared` in the same run.",
        "",
        "| draw | used by | copies | shared µs | CopyStreams µs | × shared | python loop µs "
        "| × shared |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['draw']} | {r['used by']} | {r['copies']} | {r['shared']:.3f} "
            f"| {r['CopyStreams']:.3f} | {r['CopyStreams'] / r['shared']:.2f} "
            f"| {r['python loop']:.3f} | {r['python loop'] / r['shared']:.2f} |"
        )
    (REPORT / "vector_streams.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
