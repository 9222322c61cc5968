"""Steps per second of the quantum circuit-search env, beside qiskit re-simulation and qiskit-gym.

Run from the repository root::

    .venv/bin/python benchmarks/quantum_throughput.py [--seconds 3] [--repeats 3] [--no-peer]

It times, with the timing loop of ``benchmarks/throughput.py`` (imported, not copied):

* ``fieldgym/QuantumArchitectureSearch-v1`` on 2-5 qubits (ideal, and noisy on 2-3),
  single (``gymnasium.make``) and natively vectorized (``gymnasium.make_vec``, 1, 64 and
  1024 copies), random actions, reset when an episode ends;
* the same task re-simulated with qiskit at every step: append the gate to a
  ``QuantumCircuit``, build ``Statevector(circuit)`` and take the fidelity with the
  target (no observation at all, so this favours qiskit), 20-gate episodes;
* the peer, qiskit-gym (IBM's circuit-synthesis environments with a Rust core):
  ``CliffordGym`` on a line of 3 and 5 qubits, random actions, in a venv of its own
  (``~/.cache/fieldgym-bench/qiskitgym-venv``, pins in
  ``benchmarks/quantum_peer_requirements.txt``) that reuses the project's qiskit,
  gymnasium, numpy and torch through a ``.pth`` file; it runs this file in
  ``--peer-worker`` mode.

Writes ``reports/benchmarks/quantum_throughput.md`` and ``.json``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import shlex
import shutil
import subprocess
import sys
import sysconfig
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import throughput as shared  # the shared timing loop and report helpers

ROOT = Path(__file__).resolve().parents[1]
ENV_ID = "fieldgym/QuantumArchitectureSearch-v1"
PEER_REQUIREMENTS = ROOT / "benchmarks" / "quantum_peer_requirements.txt"
PEER_VENV = shared.DEFAULT_PEER_VENV.parent / "qiskitgym-venv"
VARIANTS: dict[str, dict[str, Any]] = {
    "bell, 2 qubits": {"preset": "bell"},
    "ghz, 3 qubits": {"preset": "ghz3"},
    "ghz, 4 qubits": {"preset": "ghz4"},
    "ghz, 5 qubits": {"num_qubits": 5, "target": "ghz"},
    "ghz, 5 qubits, amplitudes": {"num_qubits": 5, "target": "ghz", "observation": "amplitudes"},
    "bell, 2 qubits, noisy": {"preset": "bell_noisy"},
    "ghz, 3 qubits, noisy": {"preset": "ghz3_noisy"},
}
"""Variant name -> keyword arguments of ``make``."""
SINGLE_TARGET = 50_000.0
VECTOR_TARGET = 22_000.0
"""The issue's targets: >= 50,000 steps/s single on 2-5 qubits; vectorized at least
qiskit-gym's 15,000-22,000 random steps/s (the top of that range is used)."""


def measure_env(
    copies: Sequence[int], seconds: float, repeats: int, warmup: float
) -> list[shared.Measurement]:
    """Every variant: the single env, then the vector env per number of copies."""
    import fieldgym  # noqa: F401  (registers the ids)

    results = []
    for variant, kwargs in VARIANTS.items():
        shared.log(f"{variant}: single env")
        runs = shared.measure_single(ENV_ID, kwargs, seconds, repeats, warmup)
        results.append(shared.Measurement(ENV_ID, variant, "single", 1, runs))
        for n in copies:
            shared.log(f"{variant}: vector env, {n} copies")
            runs = shared.measure_vector(ENV_ID, kwargs, n, seconds, repeats, warmup)
            results.append(shared.Measurement(ENV_ID, variant, "vector", n, runs))
    return results


def append_gate(circuit: Any, action: Any) -> None:
    """Append one env action to a qiskit circuit."""
    angle = () if action.angle is None else (action.angle,)
    getattr(circuit, action.gate)(*angle, *action.qubits)


def resimulation_chunk(config: Any, episode: int = 20) -> tuple[Any, Any]:
    """A timing chunk that re-simulates with qiskit at every step, and a 20-gate circuit."""
    from qiskit import QuantumCircuit
    from qiskit.quantum_info import Statevector

    from fieldgym.envs.quantum.gates import action_table, target_state

    actions = action_table(config)
    target = target_state(config).conj()
    chosen = np.random.default_rng(0).integers(len(actions), size=1000)
    n = config.num_qubits
    circuit = QuantumCircuit(n)

    def chunk() -> int:
        nonlocal circuit
        for k, a in enumerate(chosen):
            if k % episode == 0:
                circuit = QuantumCircuit(n)
            append_gate(circuit, actions[a])
            psi = Statevector(circuit).data
            _ = abs(target @ psi) ** 2
        return len(chosen)

    full = QuantumCircuit(n)
    for a in chosen[:episode]:
        append_gate(full, actions[a])
    return chunk, full


def measure_qiskit(seconds: float, repeats: int, warmup: float) -> list[dict[str, Any]]:
    """Steps/s of re-simulating the whole circuit with qiskit's Statevector at every step."""
    from qiskit.quantum_info import Statevector

    from fieldgym.envs.quantum import QuantumConfig

    out = []
    for variant in ("bell, 2 qubits", "ghz, 3 qubits", "ghz, 4 qubits", "ghz, 5 qubits"):
        kwargs = dict(VARIANTS[variant])
        preset = kwargs.pop("preset", None)
        config = QuantumConfig.preset(preset) if preset else QuantumConfig.build(kwargs)
        chunk, full = resimulation_chunk(config)
        runs = shared.time_steps(chunk, seconds, repeats, warmup)
        per_circuit = shared.time_steps(lambda c=full: (Statevector(c), 1)[1], 1.0, 3, 0.2)
        m = shared.Measurement("qiskit Statevector re-simulation", variant, "single", 1, runs)
        out.append({**asdict(m), "ms_per_20_gate_circuit": 1e3 / float(np.median(per_circuit))})
        shared.log(f"qiskit re-simulation {variant}: {shared.fmt(m.median)} steps/s")
    return out


# --- the peer -------------------------------------------------------------------------------


def peer_worker(seconds: float, repeats: int, warmup: float) -> dict[str, Any]:
    """Time qiskit-gym's CliffordGym (random actions) inside the peer venv."""
    import warnings

    warnings.filterwarnings("ignore")
    from importlib.metadata import version

    from qiskit_gym.envs import CliffordGym

    rows = []
    for n in (3, 5):
        env = CliffordGym.from_coupling_map([(i, i + 1) for i in range(n - 1)])
        env.reset(seed=0)
        actions = np.random.default_rng(0).integers(env.action_space.n, size=1000).tolist()
        runs = shared.time_steps(shared.single_env_chunk(env, actions), seconds, repeats, warmup)
        rows.append({"variant": f"CliffordGym, line of {n}", "runs": runs})
    versions = {p: version(p) for p in ("qiskit-gym", "qiskit", "gymnasium", "numpy")}
    return {"rows": rows, "versions": versions}


def ensure_peer_venv(venv: Path) -> tuple[Path | None, str]:
    """The peer venv's python (created once, reusing the project's packages via ``.pth``)."""
    python = venv / "bin" / "python"
    stamp = venv / ".fieldgym-bench-stamp"
    key = PEER_REQUIREMENTS.read_text() + sys.version
    if python.exists() and stamp.exists() and stamp.read_text() == key:
        return python, ""
    shutil.rmtree(venv, ignore_errors=True)
    venv.parent.mkdir(parents=True, exist_ok=True)
    shared.log(f"creating the peer venv {venv} (once)")
    done = shared.run([sys.executable, "-m", "venv", str(venv)], timeout=300)
    if done.returncode != 0:
        return None, shared.last_error_line(done.stderr)
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    (Path(site) / "fieldgym_project.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    pins = [line.split("#")[0].strip() for line in PEER_REQUIREMENTS.read_text().splitlines()]
    no_deps = [
        line.split("#")[0].strip()
        for line in PEER_REQUIREMENTS.read_text().splitlines()
        if line.split("#")[-1].strip() == "no-deps"
    ]
    rest = [p for p in pins if p and p not in no_deps]
    pip = [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    for command in ([*pip, "--no-deps", *no_deps], [*pip, *rest]):
        done = shared.run(command, timeout=1800)
        if done.returncode != 0:
            shutil.rmtree(venv, ignore_errors=True)
            return None, shared.last_error_line(done.stdout + "\n" + done.stderr)
    stamp.write_text(key)
    return python, ""


def measure_peer(venv: Path, seconds: float, repeats: int, warmup: float) -> dict[str, Any]:
    """Install (once) and time the peer in a subprocess; never raises on the peer's failure."""
    python, reason = ensure_peer_venv(venv)
    if python is None:
        return {"status": "not installed", "error": reason, "venv": str(venv)}
    command = [str(python), str(Path(__file__).resolve()), "--peer-worker"]
    command += ["--seconds", str(seconds), "--repeats", str(repeats), "--warmup", str(warmup)]
    done = shared.run(command, timeout=300 + 4 * (warmup + seconds * repeats))
    if done.returncode != 0:
        return {"status": "failed", "error": shared.last_error_line(done.stderr), "venv": str(venv)}
    result = json.loads(done.stdout.strip().splitlines()[-1])
    rows = [
        asdict(shared.Measurement("qiskit-gym", r["variant"], "single", 1, r["runs"], "qiskit-gym"))
        for r in result["rows"]
    ]
    for row in rows:
        shared.log(f"qiskit-gym {row['variant']}: {shared.fmt(row['median'])} steps/s")
    return {"status": "ok", "venv": str(venv), "versions": result["versions"], "rows": rows}


# --- the report -----------------------------------------------------------------------------


def targets(results: list[dict[str, Any]], peer: dict[str, Any]) -> list[dict[str, Any]]:
    """The issue's targets against the medians: single on 2-5 qubits, vector vs qiskit-gym."""
    best_peer = max((r["median"] for r in peer.get("rows", [])), default=None)
    out = []
    for r in results:
        if r["api"] == "single" and "noisy" not in r["variant"]:
            out.append({**r, "goal": SINGLE_TARGET, "met": r["median"] >= SINGLE_TARGET})
        elif r["api"] == "vector" and r["copies"] == max(x["copies"] for x in results):
            goal = max(VECTOR_TARGET, best_peer or 0.0)
            out.append({**r, "goal": goal, "met": r["median"] >= goal})
    return out


def markdown(report: dict[str, Any]) -> str:
    """The Markdown report."""
    s, fmt = report["settings"], shared.fmt
    lines = [
        "# Quantum circuit-search throughput",
        "",
        f"Measured {report['date']} by `benchmarks/quantum_throughput.py`; regenerate with:",
        "",
        "```",
        report["command"],
        "```",
        "",
        f"Each row: {s['warmup']:g} s untimed warm-up, then {s['repeats']} runs of "
        f"{s['seconds']:g} s; median and min–max of the runs. Random actions, sampled before "
        "the clock starts; episodes end on success or after the gate budget and are reset. "
        "Vector rows count env-steps (copies × vector steps per second).",
        "",
        f"**Machine load:** the 2-core machine was shared with other jobs (load average "
        f"{report['load'][0]:.1f} at the start, {report['load'][1]:.1f} at the end), so every "
        "row is lower than on an idle machine; rows measured in the same run are comparable.",
        "",
        "## fieldgym/QuantumArchitectureSearch-v1",
        "",
        "| variant | API | copies | steps/s (median) | min–max |",
        "|---|---|---:|---:|---:|",
    ]
    for m in report["results"]:
        api = "`gymnasium.make`" if m["api"] == "single" else "`gymnasium.make_vec`"
        lines.append(
            f"| {m['variant']} | {api} | {m['copies']} | {fmt(m['median'])} | "
            f"{fmt(m['min'])}–{fmt(m['max'])} |"
        )
    lines += [
        "",
        "## Re-simulating with qiskit at every step",
        "",
        "Each step appends the gate to a `QuantumCircuit` and computes `Statevector(circuit)` "
        "and the fidelity (20-gate episodes; no observation is built, which favours qiskit).",
        "",
        "| task | steps/s (median) | min–max | ms per `Statevector` of a 20-gate circuit | "
        "fieldgym single / qiskit |",
        "|---|---:|---:|---:|---:|",
    ]
    single = {m["variant"]: m["median"] for m in report["results"] if m["api"] == "single"}
    for q in report["qiskit"]:
        ratio = single.get(q["variant"], float("nan")) / q["median"]
        lines.append(
            f"| {q['variant']} | {fmt(q['median'])} | {fmt(q['min'])}–{fmt(q['max'])} | "
            f"{q['ms_per_20_gate_circuit']:.3f} | {ratio:,.0f}× |"
        )
    peer = report["peer"]
    lines += ["", "## Peer: qiskit-gym", ""]
    if peer["status"] == "ok":
        v = peer["versions"]
        lines += [
            f"qiskit-gym {v['qiskit-gym']} (qiskit {v['qiskit']}, gymnasium {v['gymnasium']}, "
            f"numpy {v['numpy']}) in its own venv `{peer['venv']}`, timed by the same loop in a "
            "subprocess. Its environments synthesize Clifford, permutation and linear-function "
            "circuits (no state preparation); `CliffordGym` is the closest: one 1- or 2-qubit "
            "gate per step on a coupling map. It has no vectorized env.",
            "",
            "| env | steps/s (median) | min–max |",
            "|---|---:|---:|",
        ]
        for r in peer["rows"]:
            lines.append(
                f"| {r['variant']} | {fmt(r['median'])} | {fmt(r['min'])}–{fmt(r['max'])} |"
            )
    else:
        lines.append(f"qiskit-gym was **{peer['status']}**: `{peer.get('error', '')}`.")
    lines += [
        "",
        "## Targets",
        "",
        f"Single env: ≥ {fmt(SINGLE_TARGET)} steps/s on 2–5 qubits (ideal). Vector env "
        f"(largest batch): at least qiskit-gym's random steps/s, taken as the larger of "
        f"{fmt(VECTOR_TARGET)} (the issue's figure) and the measured peer.",
        "",
        "| variant | API | copies | target | measured (median) | met |",
        "|---|---|---:|---:|---:|---|",
    ]
    for t in report["targets"]:
        api = "`gymnasium.make`" if t["api"] == "single" else "`gymnasium.make_vec`"
        met = "met" if t["met"] else "**not met**"
        lines.append(
            f"| {t['variant']} | {api} | {t['copies']} | ≥ {fmt(t['goal'])} | "
            f"{fmt(t['median'])} | {met} |"
        )
    lines += shared.machine_section(report["machine"])
    return "\n".join(lines) + "\n"


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    shared.add_timing_arguments(parser)
    parser.add_argument("--copies", type=int, nargs="+", default=[1, 64, 1024])
    parser.add_argument("--no-peer", action="store_true", help="skip qiskit-gym")
    parser.add_argument("--peer-venv", type=Path, default=PEER_VENV, help="the peer's venv")
    parser.add_argument("--out-dir", type=Path, default=ROOT / "reports" / "benchmarks")
    parser.add_argument("--peer-worker", action="store_true", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Measure, then write the Markdown and JSON reports."""
    import os

    args = parse_args(argv)
    if args.peer_worker:
        print(json.dumps(peer_worker(args.seconds, args.repeats, args.warmup)))
        return 0
    load_start = os.getloadavg()[0]
    results = [asdict(m) for m in measure_env(args.copies, args.seconds, args.repeats, args.warmup)]
    qiskit = measure_qiskit(args.seconds, args.repeats, args.warmup)
    peer = (
        {"status": "skipped", "error": "--no-peer"}
        if args.no_peer
        else measure_peer(args.peer_venv, args.seconds, args.repeats, args.warmup)
    )
    given = sys.argv[1:] if argv is None else list(argv)
    report = {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "command": shlex.join([".venv/bin/python", "benchmarks/quantum_throughput.py", *given]),
        "settings": {"seconds": args.seconds, "repeats": args.repeats, "warmup": args.warmup},
        "load": [load_start, os.getloadavg()[0]],
        "machine": shared.machine(),
        "results": results,
        "qiskit": qiskit,
        "peer": peer,
        "targets": targets(results, peer),
    }
    args.out_dir.mkdir(parents=True, exist_ok=True)
    (args.out_dir / "quantum_throughput.json").write_text(json.dumps(report, indent=2) + "\n")
    (args.out_dir / "quantum_throughput.md").write_text(markdown(report))
    shared.log(f"wrote {args.out_dir / 'quantum_throughput.md'} and quantum_throughput.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
