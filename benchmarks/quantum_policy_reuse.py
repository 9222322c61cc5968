"""Probabilistic policy reuse across noise patterns: steps to first solution, reuse vs scratch.

Run from the repository root::

    .venv/bin/python benchmarks/quantum_policy_reuse.py [--preset bell_noisy] [--seeds 3]

The task is a noisy preparation (``--preset bell_noisy`` or ``ghz3_noisy``; success at
fidelity 0.95) under four noise patterns that differ per qubit (see :data:`PATTERNS`).
A DQN is trained on pattern 0 and saved; then on each other pattern a DQN starts from
scratch, and one reuses the pattern-0 policy (``dqn_reuse``: follows it with probability
``psi = 0.999^t``). Both have the same hyperparameters and seeds; every ``check_every``
steps one greedy episode checks whether the task is solved, and training stops at the
first solution. The report gives the steps to the first solution per pattern, arm and
seed (the budget when never solved). Writes
``reports/quantum_policy_reuse/<preset>.md``.
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import datetime as dt
import multiprocessing
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
ENV_ID = "fieldgym/QuantumArchitectureSearch-v1"
PATTERNS: dict[str, list[dict[str, Any]]] = {
    "bell_noisy": [
        {"p1": 0.001, "p2": 0.01, "readout": 0.01},
        {"p1": [0.12, 0.001], "p2": 0.01, "readout": 0.01},
        {"p1": 0.001, "p2": 0.01, "readout": [0.1, 0.1]},
        {"p1": 0.01, "p2": 0.03, "readout": 0.03},
    ],
    "ghz3_noisy": [
        {"p1": 0.001, "p2": 0.01, "readout": 0.01},
        {"p1": [0.12, 0.001, 0.001], "p2": 0.01, "readout": 0.01},
        {"p1": 0.001, "p2": 0.01, "readout": 0.1},
        {"p1": 0.005, "p2": 0.02, "readout": 0.03},
    ],
}
"""Per task: pattern 0 (the source task), then qubit 0 much noisier (the source's circuit,
which starts with H on qubit 0, no longer reaches 0.95: it must start on qubit 1), a strong
readout error (the observations shrink by 0.8; the source's circuit still works), and
noisier gates (still solvable, with less margin)."""
HYPERPARAMS = {
    "learning_rate": 0.001,
    "exploration_fraction": 0.4,
    "target_update_interval": 250,
    "learning_starts": 500,
    "train_freq": 1,
    "gradient_steps": 2,
    "batch_size": 64,
    "gamma": 0.95,
}


def task(preset: str, pattern: int) -> dict[str, Any]:
    """The environment keyword arguments of one pattern."""
    return {"preset": preset, "noise_patterns": PATTERNS[preset], "noise_pattern": pattern}


def run_arm(args: tuple[str, int, str | None, int, int, int]) -> dict[str, Any]:
    """Train one arm (scratch if ``source`` is None) until the first solution."""
    preset, pattern, source, seed, budget, check_every = args
    import fieldgym  # noqa: F401
    from fieldgym.agents import EnvTarget
    from fieldgym.agents.quantum.reuse import PolicyReuseDQN

    start = time.perf_counter()
    agent = PolicyReuseDQN(
        EnvTarget(ENV_ID, task(preset, pattern)),
        source=source,
        reuse_decay=0.999,
        check_every=check_every,
        hyperparams=HYPERPARAMS,
    ).fit(budget, seed=seed)
    return {
        "pattern": pattern,
        "arm": "reuse" if source else "scratch",
        "seed": seed,
        "solved_at": agent.solved_at,
        "reused_steps": agent.reused_steps,
        "seconds": time.perf_counter() - start,
    }


def main(argv: list[str] | None = None) -> int:
    """Train the source, run both arms on every other pattern, write the report."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--preset", choices=sorted(PATTERNS), default="bell_noisy")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--budget", type=int, default=8000, help="steps per arm at most")
    parser.add_argument("--source-steps", type=int, default=8000)
    parser.add_argument("--check-every", type=int, default=200)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)

    import fieldgym  # noqa: F401
    from fieldgym.agents import EnvTarget, evaluate
    from fieldgym.agents.quantum.reuse import PolicyReuseDQN

    folder = Path(tempfile.mkdtemp(prefix="fieldgym-ppr-")) / "source"
    print("training the source DQN on pattern 0", file=sys.stderr, flush=True)
    source = PolicyReuseDQN(EnvTarget(ENV_ID, task(args.preset, 0)), hyperparams=HYPERPARAMS)
    source.fit(args.source_steps, seed=0)
    source.save(folder)
    source_table = evaluate(source, seeds=[0])
    jobs = [
        (args.preset, k, src, seed, args.budget, args.check_every)
        for k in range(1, len(PATTERNS[args.preset]))
        for seed in range(args.seeds)
        for src in (None, str(folder))
    ]
    context = multiprocessing.get_context("spawn")
    with cf.ProcessPoolExecutor(args.workers, mp_context=context) as pool:
        rows = []
        for row in pool.map(run_arm, jobs):
            print(row, file=sys.stderr, flush=True)
            rows.append(row)
    lines = [
        "# Probabilistic policy reuse across noise patterns",
        "",
        f"Measured {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M UTC} by "
        "`benchmarks/quantum_policy_reuse.py` (regenerate: `.venv/bin/python "
        f"benchmarks/quantum_policy_reuse.py --seeds {args.seeds} --budget {args.budget}`).",
        "",
        f"Task: preset `{args.preset}` (density matrix, depolarizing noise after each gate, "
        "readout error on the observation; success at fidelity 0.95). Noise patterns:",
        "",
    ]
    lines += [f"- pattern {k}: `{p}`" for k, p in enumerate(PATTERNS[args.preset])]
    solved0 = bool(source_table.loc[0, "success"])
    lines += [
        "",
        f"Source: DQN trained {args.source_steps} steps on pattern 0 (greedy episode "
        f"{'solves' if solved0 else 'does not solve'} it: fidelity "
        f"{source_table.loc[0, 'final_fidelity']:.4f}). Each arm then trains on pattern k at "
        f"most {args.budget} steps, checking one greedy episode every {args.check_every} "
        "steps; `reuse` follows the source with probability 0.999^t. Same hyperparameters "
        f"and seeds for both arms: `{HYPERPARAMS}`, 4 copies of the env.",
        "",
        "## Steps to the first solution",
        "",
        "| pattern | arm | per seed (– = not solved) | median (unsolved = budget) | "
        "source steps taken | minutes |",
        "|---|---|---|---:|---:|---:|",
    ]
    for k in range(1, len(PATTERNS[args.preset])):
        for arm in ("scratch", "reuse"):
            mine = [r for r in rows if r["pattern"] == k and r["arm"] == arm]
            steps = [r["solved_at"] for r in mine]
            shown = ", ".join("–" if s is None else str(s) for s in steps)
            median = statistics.median(args.budget if s is None else s for s in steps)
            reused = sum(r["reused_steps"] for r in mine)
            minutes = sum(r["seconds"] for r in mine) / 60
            lines.append(f"| {k} | {arm} | {shown} | {median:,.0f} | {reused:,} | {minutes:.1f} |")
    out = ROOT / "reports" / "quantum_policy_reuse" / f"{args.preset}.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(lines) + "\n")
    print(f"wrote {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
