"""Wall time of the whole cross-domain suite at a small budget: local pool against Ray.

Run from the repository root::

    .venv/bin/python benchmarks/suite_backends.py [--steps 2000] [--episodes 3] [--workers 2]

Loads ``scenarios/suite.yaml``, caps every learner's budget at ``--steps`` and the
evaluation at ``--episodes`` episodes, and runs all its trials twice on this machine:
with the local process pool (``workers`` processes) and with the Ray backend (a local Ray
instance started for the run, one CPU per trial, ``workers`` trials in flight). Each run
starts from an empty run folder; the Ray time includes starting Ray. Writes
``reports/benchmarks/suite_backends.md`` and ``.json``.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import os
import platform
import shlex
import sys
import tempfile
import time
from pathlib import Path

from fieldgym.scenarios.plan.planner import load_scenario
from fieldgym.scenarios.plan.spec import Plan
from fieldgym.scenarios.run.runner import run_plan

ROOT = Path(__file__).resolve().parent.parent


def small(plan: Plan, steps: int, episodes: int) -> Plan:
    """``plan`` with every learner's budget capped at ``steps`` and ``episodes`` evaluations."""
    agents = tuple(
        dataclasses.replace(a, train_steps=min(a.train_steps, steps)) if a.learns else a
        for a in plan.agents
    )
    return dataclasses.replace(plan, agents=agents, eval_seeds=plan.eval_seeds[:episodes])


def timed_run(plan: Plan, backend: str, workers: int) -> dict[str, float | int | str]:
    """Run every trial of ``plan`` from scratch on ``backend``; its wall time and trials."""
    with tempfile.TemporaryDirectory(prefix=f"suite-{backend}-") as folder:
        start = time.perf_counter()
        summary = run_plan(plan, Path(folder) / "run", workers=workers, backend=backend)
        seconds = time.perf_counter() - start
    return {"backend": backend, "trials": len(summary.ran), "seconds": seconds}


def markdown(report: dict) -> str:
    """The report's text."""
    local = next(r for r in report["runs"] if r["backend"] == "local")
    lines = [
        "# The suite at a small budget: local pool against Ray",
        "",
        f"Written {report['date']} by `{report['command']}`.",
        "",
        f"`scenarios/suite.yaml` with every learner capped at {report['steps']:,} training "
        f"steps and {report['episodes']} evaluation episodes per trial: "
        f"{local['trials']} trials, {report['workers']} at a time, each run from an empty run "
        "folder. Ray's time includes starting a local Ray instance.",
        "",
        "| backend | trials | wall time (s) | relative to local |",
        "|---|---:|---:|---:|",
    ]
    for run in report["runs"]:
        lines.append(
            f"| {run['backend']} | {run['trials']} | {run['seconds']:.1f} | "
            f"{run['seconds'] / local['seconds']:.2f}× |"
        )
    lines += [
        "",
        f"Machine: {report['machine']}, {report['cpus']} CPUs; load average before "
        f"{report['load_before']}, after {report['load_after']}.",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run both backends and write the report."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--steps", type=int, default=2000, help="training steps per learner")
    parser.add_argument("--episodes", type=int, default=3, help="evaluation episodes per trial")
    parser.add_argument("--workers", type=int, default=2, help="trials at a time")
    parser.add_argument("--scenario", type=Path, default=ROOT / "scenarios" / "suite.yaml")
    parser.add_argument("--out-dir", type=Path, default=ROOT / "reports" / "benchmarks")
    args = parser.parse_args(argv)
    plan = small(load_scenario(args.scenario), args.steps, args.episodes)
    load_before = " ".join(f"{x:.1f}" for x in os.getloadavg())
    runs = [timed_run(plan, backend, args.workers) for backend in ("local", "ray")]
    report = {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="minutes"),
        "command": shlex.join([".venv/bin/python", "benchmarks/suite_backends.py", *sys.argv[1:]]),
        "steps": args.steps,
        "episodes": args.episodes,
        "workers": args.workers,
        "runs": runs,
        "machine": platform.platform(),
        "cpus": os.cpu_count(),
        "load_before": load_before,
        "load_after": " ".join(f"{x:.1f}" for x in os.getloadavg()),
    }
    args.out_dir.mkdir(parents=True, exist_ok=True)
    (args.out_dir / "suite_backends.json").write_text(json.dumps(report, indent=2))
    (args.out_dir / "suite_backends.md").write_text(markdown(report), encoding="utf-8")
    print(markdown(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
