"""Steps per second of every registered fieldgym environment, and of OR-Gym's as a peer.

Run from the repository root (``make bench`` does)::

    .venv/bin/python benchmarks/throughput.py [--seconds 3] [--repeats 3] [--no-peer]

For every id of :data:`fieldgym.envs.ENVS` (and every variant listed in :data:`VARIANTS`)
it times

* the single env made by ``gymnasium.make(id)``, with random actions sampled before the
  clock starts and a reset whenever an episode ends;
* the natively vectorized env, ``gymnasium.make_vec(id, num_envs=n)``, for each ``n`` of
  ``--copies`` (1, 64, 1024); env-steps per second = ``n`` x vector steps per second.

Each measurement is warmed up first (numba compiles on the first call), then run for a
fixed wall time ``--seconds``, ``--repeats`` times; the report gives the median and the
min-max of the repeats. The peer, OR-Gym's ``InvManagement-v1``, needs the old ``gym``
package, so it runs in a venv of its own (created once, cached under
``~/.cache/fieldgym-bench/orgym-venv``, pins in ``benchmarks/peers/requirements-orgym.txt``)
by this same file in ``--peer-worker`` mode, with the same timing loop. If the peer cannot
be installed the report says why and the rest of the benchmark still runs.

Writes ``reports/benchmarks/throughput.md`` and ``reports/benchmarks/throughput.json``.

Only the standard library and numpy are imported at module level, so that the peer's venv
(which has neither gymnasium nor fieldgym) can run the worker mode of this file.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import platform
import shlex
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
"""The repository root."""

PEER_REQUIREMENTS = ROOT / "benchmarks" / "peers" / "requirements-orgym.txt"
"""Pins of the peer's venv; lines marked ``# bootstrap`` are installed first, on their own."""

DEFAULT_PEER_VENV = (
    Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    / "fieldgym-bench"
    / "orgym-venv"
)
"""Where the peer's venv is kept between runs (outside the repository)."""

VARIANTS: dict[str, dict[str, dict[str, Any]]] = {
    "fieldgym/MultiEchelonInventory-v1": {
        "serial (default)": {},
        "distribution": {"preset": "distribution"},
    },
}
"""Id -> variant name -> keyword arguments of ``make``; ids not listed run their defaults."""

DEFAULT_VARIANT = "default"
"""The variant name of an id that :data:`VARIANTS` does not list."""


@dataclass(frozen=True)
class Peer:
    """Another library's environment timed beside one of ours, in its own venv."""

    name: str
    """What the report calls it."""
    package: str
    """The PyPI package, for the report."""
    env_id: str
    """Its id in the peer library."""
    compare_to: str
    """The fieldgym id it is compared with."""
    compare_variant: str
    """The variant of :attr:`compare_to` it is compared with."""
    reference_steps_per_second: float
    """The issue's figure for the peer on this kind of machine (a reference, not a target)."""


PEERS: dict[str, Peer] = {
    "orgym": Peer(
        name="OR-Gym InvManagement-v1",
        package="or-gym",
        env_id="InvManagement-v1",
        compare_to="fieldgym/MultiEchelonInventory-v1",
        compare_variant="serial (default)",
        reference_steps_per_second=1_100.0,
    ),
}
"""Worker name -> peer; the worker name selects the code of :func:`peer_worker`."""


@dataclass(frozen=True)
class Target:
    """A throughput the issue asks of one measurement (env-steps per second, median)."""

    env_id: str
    variant: str
    api: str
    """``"single"`` (``gymnasium.make``) or ``"vector"`` (``gymnasium.make_vec``)."""
    copies: int
    minimum: float


TARGETS: tuple[Target, ...] = (
    Target("fieldgym/MultiEchelonInventory-v1", "serial (default)", "single", 1, 20_000.0),
    Target("fieldgym/MultiEchelonInventory-v1", "serial (default)", "vector", 1024, 10_000_000.0),
)
"""The issue's throughput targets; met or not is computed from the measurement."""


@dataclass
class Measurement:
    """Env-steps per second of one env, API and number of copies, over several repeats."""

    env_id: str
    variant: str
    api: str
    copies: int
    runs: list[float]
    source: str = "fieldgym"
    median: float = field(init=False)
    min: float = field(init=False)
    max: float = field(init=False)

    def __post_init__(self) -> None:
        self.median = statistics.median(self.runs)
        self.min = min(self.runs)
        self.max = max(self.runs)


# --- timing (shared by the fieldgym measurements and the peer worker) -----------------------


def time_steps(
    chunk: Callable[[], int], seconds: float, repeats: int, warmup: float
) -> list[float]:
    """Steps per second of ``chunk`` (which runs some steps and returns how many), per repeat.

    ``chunk`` runs for ``warmup`` seconds (at least once) untimed, then ``repeats`` times for
    ``seconds`` of wall time each; the clock is read between chunks only.
    """
    deadline = time.perf_counter() + warmup
    chunk()
    while time.perf_counter() < deadline:
        chunk()
    rates = []
    for _ in range(repeats):
        steps = 0
        start = time.perf_counter()
        deadline = start + seconds
        while True:
            steps += chunk()
            now = time.perf_counter()
            if now >= deadline:
                break
        rates.append(steps / (now - start))
    return rates


def single_env_chunk(env: Any, actions: Sequence[Any], new_api: bool = True) -> Callable[[], int]:
    """A chunk that steps ``env`` once per pre-sampled action, resetting when an episode ends.

    Args:
        env: A reset Gymnasium env (``new_api``) or an old-``gym`` env (4-tuple ``step``).
        actions: The actions, sampled before timing.
        new_api: ``step`` returns ``(obs, reward, terminated, truncated, info)``.
    """
    count = len(actions)

    if new_api:

        def chunk() -> int:
            for action in actions:
                _, _, terminated, truncated, _ = env.step(action)
                if terminated or truncated:
                    env.reset()
            return count

    else:

        def chunk() -> int:
            for action in actions:
                _, _, done, _ = env.step(action)
                if done:
                    env.reset()
            return count

    return chunk


# --- fieldgym measurements ----------------------------------------------------------------


def measure_single(
    env_id: str, kwargs: dict[str, Any], seconds: float, repeats: int, warmup: float
) -> list[float]:
    """Steps per second of ``gymnasium.make(env_id, **kwargs)`` with random actions."""
    import gymnasium as gym

    env = gym.make(env_id, **kwargs)
    env.reset(seed=0)
    env.action_space.seed(0)
    actions = [env.action_space.sample() for _ in range(1000)]
    try:
        return time_steps(single_env_chunk(env, actions), seconds, repeats, warmup)
    finally:
        env.close()


def measure_vector(
    env_id: str, kwargs: dict[str, Any], copies: int, seconds: float, repeats: int, warmup: float
) -> list[float]:
    """Env-steps per second of ``gymnasium.make_vec(env_id, num_envs=copies, **kwargs)``."""
    import gymnasium as gym

    env = gym.make_vec(env_id, num_envs=copies, **kwargs)
    env.reset(seed=0)
    env.action_space.seed(0)
    batches = max(4, min(256, 65_536 // copies))
    actions = [env.action_space.sample() for _ in range(batches)]
    per_chunk = batches * copies

    def chunk() -> int:
        for action in actions:
            env.step(action)
        return per_chunk

    try:
        return time_steps(chunk, seconds, repeats, warmup)
    finally:
        env.close()


def measure_fieldgym(
    copies: Sequence[int], seconds: float, repeats: int, warmup: float
) -> list[Measurement]:
    """Every registered id and variant: the single env, then the vector env per copy count."""
    import fieldgym  # noqa: F401  (registers the ids)
    from fieldgym.envs import ENVS

    results = []
    for env_id, entry in ENVS.items():
        for variant, kwargs in VARIANTS.get(env_id, {DEFAULT_VARIANT: {}}).items():
            log(f"{env_id} [{variant}] single env")
            runs = measure_single(env_id, kwargs, seconds, repeats, warmup)
            results.append(Measurement(env_id, variant, "single", 1, runs))
            log(f"  {fmt(results[-1].median)} steps/s")
            if entry.vector_entry_point is None:
                continue
            for n in copies:
                log(f"{env_id} [{variant}] vector env, {n} {'copy' if n == 1 else 'copies'}")
                runs = measure_vector(env_id, kwargs, n, seconds, repeats, warmup)
                results.append(Measurement(env_id, variant, "vector", n, runs))
                log(f"  {fmt(results[-1].median)} env-steps/s")
    return results


# --- the peer -------------------------------------------------------------------------------


def peer_worker(name: str, seconds: float, repeats: int, warmup: float) -> dict[str, Any]:
    """Time a peer's single env inside its venv; the result is printed as JSON by ``main``."""
    if name != "orgym":
        raise ValueError(f"unknown peer worker {name!r}; known: {', '.join(PEERS)}")
    import warnings

    warnings.filterwarnings("ignore")
    import gym
    import or_gym

    env = or_gym.make(PEERS[name].env_id)
    env.seed(0)
    env.reset()
    env.action_space.seed(0)
    actions = [env.action_space.sample() for _ in range(1000)]
    runs = time_steps(single_env_chunk(env, actions, new_api=False), seconds, repeats, warmup)
    return {
        "runs": runs,
        "env": repr(env),
        "versions": {
            "python": platform.python_version(),
            "or-gym": getattr(or_gym, "__version__", "?"),
            "gym": gym.__version__,
            "numpy": np.__version__,
        },
    }


def bootstrap_pins(requirements: Path) -> list[str]:
    """The requirement lines marked ``# bootstrap``: build tools installed before the rest."""
    pins = []
    for line in requirements.read_text().splitlines():
        spec, _, comment = line.partition("#")
        if spec.strip() and comment.strip() == "bootstrap":
            pins.append(spec.strip())
    return pins


def last_error_line(output: str) -> str:
    """The last meaningful line of a tool's output (pip's ``ERROR:`` line when there is one)."""
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("ERROR")]
    if errors:
        return errors[-1]
    lines = [line for line in lines if not line.startswith("WARNING")]
    return lines[-1] if lines else "(no output)"


def run(command: list[str], timeout: float) -> subprocess.CompletedProcess[str]:
    """Run ``command``, capturing stdout and stderr as text."""
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)


def ensure_peer_venv(venv: Path, requirements: Path) -> tuple[Path | None, str]:
    """The peer venv's python, creating the venv if missing or made from other pins.

    Returns:
        ``(python, "")`` on success, ``(None, reason)`` if the venv could not be made; the
        reason is the failing command's last error line.
    """
    python = venv / "bin" / "python"
    stamp = venv / ".fieldgym-bench-stamp"
    key = hashlib.sha256(requirements.read_bytes() + platform.python_version().encode()).hexdigest()
    if python.exists() and stamp.exists() and stamp.read_text().strip() == key:
        return python, ""
    shutil.rmtree(venv, ignore_errors=True)
    venv.parent.mkdir(parents=True, exist_ok=True)
    log(f"creating the peer venv {venv} (once; pins: {requirements.name})")
    pip = [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    steps = [
        [sys.executable, "-m", "venv", str(venv)],
        [*pip, *bootstrap_pins(requirements)],
        [*pip, "--no-build-isolation", "-r", str(requirements)],
    ]
    for command in steps:
        try:
            done = run(command, timeout=1800)
        except (OSError, subprocess.TimeoutExpired) as exc:
            shutil.rmtree(venv, ignore_errors=True)
            return None, f"{command[2:5]}: {exc}"
        if done.returncode != 0:
            shutil.rmtree(venv, ignore_errors=True)
            return None, last_error_line(done.stdout + "\n" + done.stderr)
    stamp.write_text(key + "\n")
    return python, ""


def measure_peer(
    name: str, venv: Path, seconds: float, repeats: int, warmup: float
) -> dict[str, Any]:
    """Install (once) and time one peer in a subprocess; never raises on the peer's failure."""
    peer = PEERS[name]
    report: dict[str, Any] = {"worker": name, **asdict(peer), "venv": str(venv)}
    python, reason = ensure_peer_venv(venv, PEER_REQUIREMENTS)
    if python is None:
        log(f"peer {peer.name} not installed: {reason}")
        return {**report, "status": "not installed", "error": reason}
    log(f"{peer.name} (peer) single env")
    command = [str(python), str(Path(__file__).resolve()), "--peer-worker", name]
    command += ["--seconds", str(seconds), "--repeats", str(repeats), "--warmup", str(warmup)]
    try:
        done = run(command, timeout=120 + 2 * (warmup + seconds * repeats))
    except subprocess.TimeoutExpired as exc:
        return {**report, "status": "failed", "error": f"timed out: {exc}"}
    if done.returncode != 0:
        error = last_error_line(done.stderr or done.stdout)
        log(f"peer {peer.name} failed: {error}")
        return {**report, "status": "failed", "error": error}
    result = json.loads(done.stdout.strip().splitlines()[-1])
    measured = Measurement(peer.env_id, "default", "single", 1, result["runs"], source=peer.package)
    log(f"  {fmt(measured.median)} steps/s")
    return {**report, "status": "ok", **result, "measurement": asdict(measured)}


# --- the report -----------------------------------------------------------------------------


def log(message: str) -> None:
    """Progress on stderr."""
    print(message, file=sys.stderr, flush=True)


def fmt(value: float) -> str:
    """A rate with thousands separators and no decimals."""
    return f"{value:,.0f}"


def cpu_model() -> str:
    """The CPU's model name from /proc/cpuinfo, or the platform's processor string."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def machine() -> dict[str, Any]:
    """What the numbers were measured on."""
    from importlib.metadata import version

    versions = {}
    for package in ("numpy", "numba", "gymnasium", "fieldgym"):
        try:
            versions[package] = version(package)
        except Exception:
            versions[package] = "not installed"
    affinity = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    return {
        "platform": platform.platform(),
        "python": platform.python_version(),
        **versions,
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "cores_usable": affinity,
    }


def find(results: list[Measurement], env_id: str, variant: str, api: str, copies: int) -> Any:
    """The measurement with these keys, or ``None``."""
    for m in results:
        if (m.env_id, m.variant, m.api, m.copies) == (env_id, variant, api, copies):
            return m
    return None


def summarize(
    results: list[Measurement], peers: list[dict[str, Any]], copies: Sequence[int]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The targets with met / not met, and the fieldgym / peer ratios."""
    targets = []
    for target in TARGETS:
        m = find(results, target.env_id, target.variant, target.api, target.copies)
        targets.append(
            {
                **asdict(target),
                "measured": None if m is None else m.median,
                "met": None if m is None else m.median >= target.minimum,
            }
        )
    ratios = []
    largest = max(copies) if copies else None
    for peer in peers:
        ok = peer.get("status") == "ok"
        peer_median = peer["measurement"]["median"] if ok else None
        targets.append(
            {
                "env_id": peer["env_id"],
                "variant": "peer reference",
                "api": "peer",
                "copies": 1,
                "minimum": peer["reference_steps_per_second"],
                "measured": peer_median,
                "met": None,
            }
        )
        if not ok:
            continue
        for api, n in (("single", 1), ("vector", largest)):
            m = find(results, peer["compare_to"], peer["compare_variant"], api, n)
            if m is not None:
                ratios.append(
                    {
                        "fieldgym": f"`{m.env_id}` {m.variant}, {API_NAMES[api]}, {n} "
                        + ("copy" if n == 1 else "copies"),
                        "peer": peer["name"],
                        "fieldgym_steps_per_second": m.median,
                        "peer_steps_per_second": peer_median,
                        "ratio": m.median / peer_median,
                    }
                )
    return targets, ratios


API_NAMES = {
    "single": "`gymnasium.make`",
    "vector": "`gymnasium.make_vec`",
    "peer": "`or_gym.make`",
}


def markdown(report: dict[str, Any]) -> str:
    """The Markdown report."""
    s = report["settings"]
    lines = [
        "# Environment throughput",
        "",
        f"Measured {report['date']} by `benchmarks/throughput.py`. Regenerate from the "
        "repository root with (`make bench` runs the same with the defaults):",
        "",
        "```",
        report["command"],
        "```",
        "",
        f"Each row: {s['warmup']:g} s of untimed warm-up (numba compiles on the first call), "
        f"then {s['repeats']} runs of {s['seconds']:g} s wall time each; median and min–max "
        "over the runs. Random actions are sampled before the clock starts. Single envs reset "
        "when an episode ends; vector envs reset finished copies themselves. Vector rows "
        "count env-steps: copies × vector steps per second.",
        "",
        "## Steps per second",
        "",
        "| id | variant | API | copies | steps/s (median) | min–max |",
        "|---|---|---|---:|---:|---:|",
    ]
    for m in report["results"]:
        lines.append(
            f"| `{m['env_id']}` | {m['variant']} | {API_NAMES[m['api']]} | {m['copies']} | "
            f"{fmt(m['median'])} | {fmt(m['min'])}–{fmt(m['max'])} |"
        )
    for peer in report["peers"]:
        if peer["status"] == "ok":
            m = peer["measurement"]
            lines.append(
                f"| `{peer['env_id']}` ({peer['package']} {peer['versions']['or-gym']}, peer) | "
                f"default | `or_gym.make` | 1 | {fmt(m['median'])} | "
                f"{fmt(m['min'])}–{fmt(m['max'])} |"
            )
    lines += ["", "## Peer", ""]
    for peer in report["peers"]:
        if peer["status"] == "ok":
            v = peer["versions"]
            lines.append(
                f"{peer['name']} ({peer['package']} {v['or-gym']}, gym {v['gym']}, numpy "
                f"{v['numpy']}, Python {v['python']}) ran in its own venv `{peer['venv']}`, "
                "pinned by `benchmarks/peers/requirements-orgym.txt`, timed by the same loop "
                "in a subprocess (reset when `done`). It has no vectorized env, so the "
                "vector ratio compares fieldgym's vector env with the peer's single env."
            )
        else:
            lines.append(
                f"{peer['name']} ({peer['package']}) was **{peer['status']}**: "
                f"`{peer['error']}`. Its rows and ratios are missing from this report."
            )
        lines.append("")
    if report["ratios"]:
        lines += [
            "| fieldgym | peer | fieldgym steps/s | peer steps/s | fieldgym / peer |",
            "|---|---|---:|---:|---:|",
        ]
        for r in report["ratios"]:
            lines.append(
                f"| {r['fieldgym']} | {r['peer']} | {fmt(r['fieldgym_steps_per_second'])} | "
                f"{fmt(r['peer_steps_per_second'])} | {r['ratio']:,.1f}× |"
            )
        lines.append("")
    lines += [
        "## Targets",
        "",
        "Targets of the issue, checked against the medians above. The peer's figure is the "
        "issue's estimate for it on this kind of machine, shown beside its measurement.",
        "",
        "| id | variant | API | copies | target steps/s | measured (median) | met |",
        "|---|---|---|---:|---:|---:|---|",
    ]
    for t in report["targets"]:
        measured = "not measured" if t["measured"] is None else fmt(t["measured"])
        if t["met"] is None:
            met = "reference" if t["variant"] == "peer reference" else "not measured"
            goal = f"≈ {fmt(t['minimum'])}"
        else:
            met = "met" if t["met"] else "**not met**"
            goal = f"≥ {fmt(t['minimum'])}"
        lines.append(
            f"| `{t['env_id']}` | {t['variant']} | {API_NAMES[t['api']]} | {t['copies']} | "
            f"{goal} | {measured} | {met} |"
        )
    lines += machine_section(report["machine"])
    return "\n".join(lines) + "\n"


def machine_section(mach: dict[str, Any]) -> list[str]:
    """The report's "Machine" section (lines), from :func:`machine`."""
    return [
        "",
        "## Machine",
        "",
        f"- Platform: {mach['platform']}",
        f"- CPU: {mach['cpu']}, {mach['cores']} cores ({mach['cores_usable']} usable)",
        f"- Python {mach['python']}, numpy {mach['numpy']}, numba {mach['numba']}, "
        f"gymnasium {mach['gymnasium']}, fieldgym {mach['fieldgym']}",
    ]


def add_timing_arguments(parser: argparse.ArgumentParser) -> None:
    """The options every throughput benchmark takes: run length, repeats, warm-up."""
    parser.add_argument("--seconds", type=float, default=3.0, help="wall time of one run (3)")
    parser.add_argument("--repeats", type=int, default=3, help="runs per measurement (3)")
    parser.add_argument("--warmup", type=float, default=1.0, help="untimed warm-up, s (1)")


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    add_timing_arguments(parser)
    parser.add_argument(
        "--copies", type=int, nargs="+", default=[1, 64, 1024], help="vector env sizes"
    )
    parser.add_argument("--no-peer", action="store_true", help="skip the peer (OR-Gym)")
    parser.add_argument(
        "--peer-venv", type=Path, default=DEFAULT_PEER_VENV, help="the peer's cached venv"
    )
    parser.add_argument(
        "--out-dir", type=Path, default=ROOT / "reports" / "benchmarks", help="report folder"
    )
    parser.add_argument("--peer-worker", choices=sorted(PEERS), help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Measure, then write the Markdown and JSON reports."""
    args = parse_args(argv)
    if args.peer_worker:
        result = peer_worker(args.peer_worker, args.seconds, args.repeats, args.warmup)
        print(json.dumps(result))
        return 0
    results = measure_fieldgym(args.copies, args.seconds, args.repeats, args.warmup)
    peers = []
    if not args.no_peer:
        for name in PEERS:
            peers.append(
                measure_peer(name, args.peer_venv, args.seconds, args.repeats, args.warmup)
            )
    targets, ratios = summarize(results, peers, args.copies)
    given = sys.argv[1:] if argv is None else list(argv)
    report = {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "command": shlex.join([".venv/bin/python", "benchmarks/throughput.py", *given]),
        "settings": {
            "seconds": args.seconds,
            "repeats": args.repeats,
            "warmup": args.warmup,
            "copies": args.copies,
        },
        "machine": machine(),
        "results": [asdict(m) for m in results],
        "peers": peers,
        "ratios": ratios,
        "targets": targets,
    }
    args.out_dir.mkdir(parents=True, exist_ok=True)
    (args.out_dir / "throughput.json").write_text(json.dumps(report, indent=2) + "\n")
    (args.out_dir / "throughput.md").write_text(markdown(report))
    log(f"wrote {args.out_dir / 'throughput.md'} and throughput.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
