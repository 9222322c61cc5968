"""Steps per second of the wireless envs, measured next to mobile-env in one run.

Run from the repository root::

    .venv/bin/python benchmarks/wireless_throughput.py [--seconds 3] [--repeats 3] [--no-peer]

Times ``fieldgym/EdgeOffloading-v1`` (single env, and the native vector env with 1, 64
and 1024 copies), ``fieldgym/UAVOffloading-v1`` (PettingZoo parallel steps, all UAVs
acting), and the peer, mobile-env's ``mobile-small-central-v0`` (a central agent
controlling the connections of every user, on Gymnasium). The peer needs its own
dependencies (pygame, shapely, ...), so it runs in a venv of its own, created once under
``~/.cache/fieldgym-bench/mobile-env-venv`` from ``benchmarks/wireless_peer_requirements.txt``,
by this same file in ``--peer-worker`` mode. The timing loop, warm-up and venv handling
are those of ``benchmarks/throughput.py`` (imported, not copied), so the numbers compare
with its report.

Writes ``reports/benchmarks/wireless_throughput.md`` and ``.json``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shlex
import subprocess
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import throughput as tp  # benchmarks/throughput.py: stdlib and numpy only at import

ROOT = Path(__file__).resolve().parents[1]
REQUIREMENTS = ROOT / "benchmarks" / "wireless_peer_requirements.txt"
PEER_VENV = (
    Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    / "fieldgym-bench"
    / "mobile-env-venv"
)
PEER_ID = "mobile-small-central-v0"
PEER_REFERENCE = 134.0
"""The issue's figure for the peer on this kind of machine (a reference, not a target)."""
OFFLOADING = "fieldgym/EdgeOffloading-v1"
UAV = "fieldgym/UAVOffloading-v1"
TARGETS = ((OFFLOADING, "single", 1, 7_000.0), (OFFLOADING, "vector", 1024, 1_000_000.0))
"""(id, API, copies, minimum env-steps per second) the issue asks for."""


def peer_worker(seconds: float, repeats: int, warmup: float) -> dict[str, Any]:
    """Time mobile-env's single env inside its venv (printed as JSON by ``main``)."""
    import warnings

    warnings.filterwarnings("ignore")
    from importlib.metadata import version

    import gymnasium
    import mobile_env  # noqa: F401  (registers its ids)

    env = gymnasium.make(PEER_ID)
    env.reset(seed=0)
    env.action_space.seed(0)
    actions = [env.action_space.sample() for _ in range(1000)]
    runs = tp.time_steps(tp.single_env_chunk(env, actions), seconds, repeats, warmup)
    return {
        "runs": runs,
        "versions": {
            "python": platform.python_version(),
            "mobile-env": version("mobile-env"),
            "gymnasium": gymnasium.__version__,
            "numpy": np.__version__,
        },
    }


def measure_uav(seconds: float, repeats: int, warmup: float) -> list[float]:
    """Parallel steps per second of the UAV env (all agents act; reset when done)."""
    import fieldgym

    env = fieldgym.make_parallel(UAV)
    env.reset(seed=0)
    rng = np.random.default_rng(0)
    actions = [{a: int(rng.integers(5)) for a in env.possible_agents} for _ in range(200)]

    def chunk() -> int:
        for action in actions:
            env.step(action)
            if not env.agents:
                env.reset()
        return len(actions)

    return tp.time_steps(chunk, seconds, repeats, warmup)


def measure_peer(seconds: float, repeats: int, warmup: float) -> dict[str, Any]:
    """Install (once) and time the peer in a subprocess; never raises on its failure."""
    report: dict[str, Any] = {"package": "mobile-env", "env_id": PEER_ID, "venv": str(PEER_VENV)}
    python, reason = tp.ensure_peer_venv(PEER_VENV, REQUIREMENTS)
    if python is None:
        tp.log(f"peer mobile-env not installed: {reason}")
        return {**report, "status": "not installed", "error": reason}
    tp.log(f"{PEER_ID} (peer) single env")
    command = [str(python), str(Path(__file__).resolve()), "--peer-worker"]
    command += ["--seconds", str(seconds), "--repeats", str(repeats), "--warmup", str(warmup)]
    try:
        done = tp.run(command, timeout=300 + 2 * (warmup + seconds * repeats))
    except subprocess.TimeoutExpired as exc:
        return {**report, "status": "failed", "error": f"timed out: {exc}"}
    if done.returncode != 0:
        return {**report, "status": "failed", "error": tp.last_error_line(done.stderr)}
    result = json.loads(done.stdout.strip().splitlines()[-1])
    measured = tp.Measurement(PEER_ID, "default", "single", 1, result["runs"], "mobile-env")
    tp.log(f"  {tp.fmt(measured.median)} steps/s")
    return {**report, "status": "ok", **result, "measurement": asdict(measured)}


def markdown(report: dict[str, Any]) -> str:
    """The Markdown report."""
    s, fmt = report["settings"], tp.fmt
    lines = [
        "# Wireless environment throughput, next to mobile-env",
        "",
        f"Measured {report['date']}. Regenerate from the repository root with:",
        "",
        "```",
        report["command"],
        "```",
        "",
        f"Each row: {s['warmup']:g} s untimed warm-up, then {s['repeats']} runs of "
        f"{s['seconds']:g} s; median and min–max. Random actions are sampled before the "
        "clock starts; single envs reset when an episode ends, vector envs reset finished "
        "copies themselves (vector rows count env-steps: copies × vector steps/s). The UAV "
        "row counts parallel steps (every UAV acts once). The machine is shared: read the "
        "min–max columns, and compare rows of the same run.",
        "",
        "| env | API | copies | steps/s (median) | min–max |",
        "|---|---|---:|---:|---:|",
    ]
    for m in report["results"]:
        lines.append(
            f"| `{m['env_id']}` | {m['api']} | {m['copies']} | {fmt(m['median'])} | "
            f"{fmt(m['min'])}–{fmt(m['max'])} |"
        )
    peer = report["peer"]
    if peer and peer["status"] == "ok":
        m, v = peer["measurement"], peer["versions"]
        lines.append(
            f"| `{PEER_ID}` (mobile-env {v['mobile-env']}, peer) | gymnasium.make | 1 | "
            f"{fmt(m['median'])} | {fmt(m['min'])}–{fmt(m['max'])} |"
        )
        lines += [
            "",
            f"The peer ran in its own venv `{peer['venv']}` (gymnasium {v['gymnasium']}, "
            f"numpy {v['numpy']}, Python {v['python']}), pinned by "
            "`benchmarks/wireless_peer_requirements.txt`, timed by the same loop. Its "
            f"reference on this kind of machine is about {fmt(PEER_REFERENCE)} steps/s.",
        ]
        single = next(r for r in report["results"] if r["api"] == "single")
        lines.append(f"Offloading single env / peer: {single['median'] / m['median']:,.1f}×.")
    elif peer:
        lines += ["", f"The peer was **{peer['status']}**: `{peer['error']}`."]
    lines += [
        "",
        "## Targets",
        "",
        "| env | API | copies | target | measured (median) | met |",
        "|---|---|---:|---:|---:|---|",
    ]
    for t in report["targets"]:
        met = "met" if t["met"] else "**not met**"
        lines.append(
            f"| `{t['env_id']}` | {t['api']} | {t['copies']} | ≥ {fmt(t['minimum'])} | "
            f"{fmt(t['measured'])} | {met} |"
        )
    mach, load = report["machine"], report["load_average"]
    lines += [
        "",
        f"Machine: {mach['platform']}; {mach['cpu']}, {mach['cores']} cores; Python "
        f"{mach['python']}, numpy {mach['numpy']}, numba {mach['numba']}. Load average "
        f"(1, 5, 15 min) at the start {', '.join(f'{x:.1f}' for x in load['start'])}, at the "
        f"end {', '.join(f'{x:.1f}' for x in load['end'])}: other work shared the cores.",
        "",
    ]
    return "\n".join(lines)


def main() -> int:
    """Measure, then write the Markdown and JSON reports."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--warmup", type=float, default=1.0)
    parser.add_argument("--copies", type=int, nargs="+", default=[1, 64, 1024])
    parser.add_argument("--no-peer", action="store_true")
    parser.add_argument("--out-dir", type=Path, default=ROOT / "reports" / "benchmarks")
    parser.add_argument("--peer-worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    timing = (args.seconds, args.repeats, args.warmup)
    if args.peer_worker:
        print(json.dumps(peer_worker(*timing)))
        return 0
    import fieldgym  # noqa: F401  (registers the ids)

    load_start = list(os.getloadavg())
    results = []
    tp.log(f"{OFFLOADING} single env")
    results.append(
        tp.Measurement(
            OFFLOADING, "default", "single", 1, tp.measure_single(OFFLOADING, {}, *timing)
        )
    )
    for n in args.copies:
        tp.log(f"{OFFLOADING} vector env, {n} copies")
        runs = tp.measure_vector(OFFLOADING, {}, n, *timing)
        results.append(tp.Measurement(OFFLOADING, "default", "vector", n, runs))
    tp.log(f"{UAV} parallel env")
    results.append(tp.Measurement(UAV, "default", "parallel", 1, measure_uav(*timing)))
    peer = None if args.no_peer else measure_peer(*timing)
    targets = []
    for env_id, api, copies, minimum in TARGETS:
        m = tp.find(results, env_id, "default", api, copies)
        measured = None if m is None else m.median
        targets.append(
            {
                "env_id": env_id,
                "api": api,
                "copies": copies,
                "minimum": minimum,
                "measured": measured,
                "met": measured is not None and measured >= minimum,
            }
        )
    report = {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "command": shlex.join(
            [".venv/bin/python", "benchmarks/wireless_throughput.py", *sys.argv[1:]]
        ),
        "settings": {"seconds": args.seconds, "repeats": args.repeats, "warmup": args.warmup},
        "machine": tp.machine(),
        "load_average": {"start": load_start, "end": list(os.getloadavg())},
        "results": [asdict(m) for m in results],
        "peer": peer,
        "targets": targets,
    }
    args.out_dir.mkdir(parents=True, exist_ok=True)
    (args.out_dir / "wireless_throughput.json").write_text(json.dumps(report, indent=2) + "\n")
    (args.out_dir / "wireless_throughput.md").write_text(markdown(report))
    tp.log(f"wrote {args.out_dir / 'wireless_throughput.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
