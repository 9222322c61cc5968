"""Steps per second of the trading environments beside gym-anytrading and FinRL, in one run.

Run from the repository root::

    .venv/bin/python benchmarks/trading_throughput.py [--seconds 3] [--repeats 3] [--no-peers]

Measures, with the timing loop of ``benchmarks/throughput.py`` (imported from that file,
so both benchmarks time alike: untimed warm-up, then ``--repeats`` runs of ``--seconds``
wall time; random actions sampled before the clock starts):

* ``fieldgym/StockTrading-v1`` and ``fieldgym/PortfolioAllocation-v1`` (20 assets), the
  single env through ``gymnasium.make`` and unwrapped (``env.unwrapped.step``), and the
  native vector env at 1, 64 and 1024 copies;
* the peers, each in a venv of its own under ``~/.cache/fieldgym-bench/`` (pins in
  ``benchmarks/trading_peers_<name>.txt``), by this same file in ``--peer-worker`` mode:
  gym-anytrading's ``stocks-v0`` (its bundled GOOGL data) and FinRL's ``StockTradingEnv``
  on the same 20 S&P 500 stocks the portfolio env uses (skfolio's daily closes, written by
  this process to a CSV the worker reads, with FinRL's ``close_30_sma`` and ``close_60_sma``
  indicators computed by pandas). FinRL's env module is loaded by its file path: importing
  the ``finrl`` package would run its ``__init__``, which pulls in its training and
  paper-trading stack. A peer that does not install is reported with pip's error line.

Writes ``reports/benchmarks/trading_throughput.md`` and ``.json``. Only the standard library
and numpy are imported at module level, so the peers' venvs can run the worker mode.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import importlib.util
import json
import os
import platform
import shutil
import statistics
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("fieldgym_bench", ROOT / "benchmarks/throughput.py")
bench = importlib.util.module_from_spec(_spec)
sys.modules["fieldgym_bench"] = bench  # dataclasses look their module up there
_spec.loader.exec_module(bench)

CACHE = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "fieldgym-bench"
PEERS = {
    "anytrading": {
        "name": "gym-anytrading stocks-v0",
        "requirements": ROOT / "benchmarks" / "trading_peers_anytrading.txt",
        "reference": 97_000.0,
        "compare_to": "fieldgym/StockTrading-v1",
    },
    "finrl": {
        "name": "FinRL StockTradingEnv (20 assets)",
        "requirements": ROOT / "benchmarks" / "trading_peers_finrl.txt",
        "reference": 84.0,
        "compare_to": "fieldgym/PortfolioAllocation-v1",
    },
}
TARGETS = (
    ("fieldgym/PortfolioAllocation-v1", "single", 1, 50_000.0),
    ("fieldgym/PortfolioAllocation-v1", "vector", 1024, 5_000_000.0),
)
"""The issue's absolute targets; StockTrading's target is relative (>= gym-anytrading)."""


# --- fieldgym --------------------------------------------------------------------------------


def measure_fieldgym(copies: Sequence[int], seconds: float, repeats: int, warmup: float) -> list:
    """Single (wrapped and unwrapped) and vector throughput of the two market envs."""
    import gymnasium as gym

    import fieldgym  # noqa: F401

    rows = []
    for env_id in ("fieldgym/StockTrading-v1", "fieldgym/PortfolioAllocation-v1"):
        bench.log(f"{env_id} single")
        rows.append(
            (
                "fieldgym",
                env_id,
                "make",
                1,
                bench.measure_single(env_id, {}, seconds, repeats, warmup),
            )
        )
        env = gym.make(env_id).unwrapped
        env.reset(seed=0)
        env.action_space.seed(0)
        actions = [env.action_space.sample() for _ in range(1000)]
        bench.log(f"{env_id} unwrapped")
        runs = bench.time_steps(bench.single_env_chunk(env, actions), seconds, repeats, warmup)
        rows.append(("fieldgym", env_id, "unwrapped", 1, runs))
        for n in copies:
            bench.log(f"{env_id} vector x{n}")
            runs = bench.measure_vector(env_id, {}, n, seconds, repeats, warmup)
            rows.append(("fieldgym", env_id, "vector", n, runs))
    return rows


# --- peers -----------------------------------------------------------------------------------


def peer_versions(package: str) -> dict[str, str]:
    """Versions of a peer ``package`` and of the libraries it steps on, in its venv."""
    from importlib.metadata import version

    return {p: version(p) for p in (package, "gymnasium", "numpy", "pandas")}


def anytrading_worker(seconds: float, repeats: int, warmup: float) -> dict[str, Any]:
    """gym-anytrading's stocks-v0 on its bundled GOOGL data, made and unwrapped."""
    import gym_anytrading  # noqa: F401  (registers stocks-v0)
    import gymnasium as gym

    out = {}
    for api in ("make", "unwrapped"):
        env = gym.make("stocks-v0")
        env = env.unwrapped if api == "unwrapped" else env
        env.reset(seed=0)
        env.action_space.seed(0)
        actions = [env.action_space.sample() for _ in range(1000)]
        out[api] = bench.time_steps(bench.single_env_chunk(env, actions), seconds, repeats, warmup)
    out["versions"] = peer_versions("gym-anytrading")
    return out


FINRL_INDICATORS = ("close_30_sma", "close_60_sma")
FINRL_DATA = CACHE / "finrl_sp500_20.csv"


def write_finrl_data(path: Path) -> None:
    """skfolio's 20 stocks in FinRL's long format: a day index, ``date, tic, close`` and the
    indicators; rows with an indicator still undefined (the first 59 days) are dropped."""
    from fieldgym.envs.trading.data import load_prices

    prices = load_prices(source="skfolio_sp500")
    frames = []
    for tic in prices.columns:
        close = prices[tic]
        frames.append(
            {
                "date": prices.index,
                "tic": tic,
                "close": close.to_numpy(),
                "close_30_sma": close.rolling(30).mean().to_numpy(),
                "close_60_sma": close.rolling(60).mean().to_numpy(),
            }
        )
    import pandas as pd

    long = pd.concat([pd.DataFrame(f) for f in frames]).dropna()
    long = long.sort_values(["date", "tic"])
    path.parent.mkdir(parents=True, exist_ok=True)
    long.to_csv(path, index=False)


def finrl_worker(seconds: float, repeats: int, warmup: float, data: str) -> dict[str, Any]:
    """FinRL's ``StockTradingEnv`` over the 20 stocks, made as its tutorials do (unwrapped)."""
    import sysconfig

    import pandas as pd

    module_path = Path(sysconfig.get_paths()["purelib"]) / (
        "finrl/meta/env_stock_trading/env_stocktrading.py"
    )
    spec = importlib.util.spec_from_file_location("finrl_env_stocktrading", module_path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    df = pd.read_csv(data)
    df.index = df["date"].factorize()[0]
    stocks = df["tic"].nunique()
    indicators = list(FINRL_INDICATORS)
    env = module.StockTradingEnv(
        df=df,
        stock_dim=stocks,
        hmax=100,
        initial_amount=1_000_000,
        num_stock_shares=[0] * stocks,
        buy_cost_pct=[0.001] * stocks,
        sell_cost_pct=[0.001] * stocks,
        reward_scaling=1e-4,
        state_space=1 + 2 * stocks + len(indicators) * stocks,
        action_space=stocks,
        tech_indicator_list=indicators,
        print_verbosity=10**9,
    )
    env.reset(seed=0)
    env.action_space.seed(0)
    actions = [env.action_space.sample() for _ in range(1000)]
    out = {
        "unwrapped": bench.time_steps(
            bench.single_env_chunk(env, actions), seconds, repeats, warmup
        )
    }
    out["versions"] = peer_versions("FinRL")
    out["assets"] = stocks
    return out


def peer_venv(name: str) -> tuple[Path | None, str]:
    """The peer's venv python (created once from its pins), or ``None`` and pip's error."""
    requirements = PEERS[name]["requirements"]
    venv = CACHE / f"trading-{name}-venv"
    python = venv / "bin" / "python"
    stamp = venv / ".fieldgym-bench-stamp"
    key = hashlib.sha256(requirements.read_bytes() + platform.python_version().encode()).hexdigest()
    if python.exists() and stamp.exists() and stamp.read_text().strip() == key:
        return python, ""
    shutil.rmtree(venv, ignore_errors=True)
    venv.parent.mkdir(parents=True, exist_ok=True)
    bench.log(f"creating {venv} from {requirements.name}")
    for command in (
        [sys.executable, "-m", "venv", str(venv)],
        [
            str(python),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "-r",
            str(requirements),
        ],
    ):
        done = bench.run(command, timeout=1800)
        if done.returncode != 0:
            shutil.rmtree(venv, ignore_errors=True)
            return None, bench.last_error_line(done.stdout + "\n" + done.stderr)
    stamp.write_text(key + "\n")
    return python, ""


def measure_peer(name: str, seconds: float, repeats: int, warmup: float) -> dict[str, Any]:
    """Install (once) and time one peer in its venv; never raises on the peer's failure."""
    report = {"worker": name, "name": PEERS[name]["name"], "reference": PEERS[name]["reference"]}
    python, reason = peer_venv(name)
    if python is None:
        bench.log(f"{name}: not installed: {reason}")
        return {**report, "status": "not installed", "error": reason}
    command = [str(python), str(Path(__file__).resolve()), "--peer-worker", name]
    command += ["--seconds", str(seconds), "--repeats", str(repeats), "--warmup", str(warmup)]
    if name == "finrl":
        write_finrl_data(FINRL_DATA)
        command += ["--data", str(FINRL_DATA)]
    done = bench.run(command, timeout=600)
    if done.returncode != 0:
        error = bench.last_error_line(done.stderr or done.stdout)
        bench.log(f"{name}: failed: {error}")
        return {**report, "status": "failed", "error": error}
    return {**report, "status": "ok", **json.loads(done.stdout.strip().splitlines()[-1])}


# --- report ----------------------------------------------------------------------------------


def markdown(rows: list, peers: list[dict[str, Any]], args: argparse.Namespace) -> str:
    """The report in Markdown."""
    median = {(r[1], r[2], r[3]): statistics.median(r[4]) for r in rows}
    lines = [
        "# Trading environments: throughput beside gym-anytrading and FinRL",
        "",
        f"Measured {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC on {bench.cpu_model()} "
        f"({os.cpu_count()} cores, shared with other work: read the min-max). Regenerate:",
        "",
        "```",
        ".venv/bin/python benchmarks/trading_throughput.py",
        "```",
        "",
        f"{args.warmup:g} s untimed warm-up, then {args.repeats} runs of {args.seconds:g} s; "
        "random actions sampled before the clock starts; single envs reset when an episode "
        "ends. `make`: through `gymnasium.make`'s wrappers; `unwrapped`: `env.unwrapped.step`; "
        "vector rows count env-steps (copies x vector steps per second).",
        "",
        "| library | env | API | copies | steps/s (median) | min-max |",
        "|---|---|---|---:|---:|---:|",
    ]
    for source, env_id, api, copies, runs in rows:
        lines.append(
            f"| {source} | `{env_id}` | {api} | {copies} | {bench.fmt(statistics.median(runs))} "
            f"| {bench.fmt(min(runs))}-{bench.fmt(max(runs))} |"
        )
    for peer in peers:
        if peer["status"] != "ok":
            continue
        for api in ("make", "unwrapped"):
            if api in peer:
                runs = peer[api]
                lines.append(
                    f"| {peer['name']} | peer | {api} | 1 | {bench.fmt(statistics.median(runs))} "
                    f"| {bench.fmt(min(runs))}-{bench.fmt(max(runs))} |"
                )
    lines += ["", "## Peers", ""]
    for peer in peers:
        ref = bench.fmt(peer["reference"])
        if peer["status"] == "ok":
            lines.append(
                f"- {peer['name']}: ran in its own venv ({json.dumps(peer.get('versions', {}))}); "
                f"the issue's estimate for it: {ref} steps/s."
            )
        else:
            lines.append(
                f"- {peer['name']}: {peer['status']}: `{peer['error']}` (issue's estimate {ref})."
            )
    lines += ["", "## Targets", "", "| target | measured (median) | met |", "|---|---:|---|"]
    for env_id, api, copies, minimum in TARGETS:
        value = median.get((env_id, "make" if api == "single" else api, copies))
        if value is not None:
            lines.append(
                f"| `{env_id}` {api} x{copies} >= {bench.fmt(minimum)} | {bench.fmt(value)} | "
                f"{'met' if value >= minimum else 'missed'} |"
            )
    anytrading = next(
        (p for p in peers if p["worker"] == "anytrading" and p["status"] == "ok"), None
    )
    for api in ("unwrapped", "make"):
        ours = median.get(("fieldgym/StockTrading-v1", api, 1))
        theirs = statistics.median(anytrading[api]) if anytrading and api in anytrading else None
        if ours and theirs:
            lines.append(
                f"| `fieldgym/StockTrading-v1` {api} >= gym-anytrading {api} ({bench.fmt(theirs)}) "
                f"| {bench.fmt(ours)} | {'met' if ours >= theirs else 'missed'} |"
            )
    lines += ["", "## Ratios (fieldgym over peer, unwrapped single env)", ""]
    for peer in peers:
        env_id = PEERS[peer["worker"]]["compare_to"]
        ours = median.get((env_id, "unwrapped", 1))
        if peer["status"] == "ok" and ours and "unwrapped" in peer:
            theirs = statistics.median(peer["unwrapped"])
            lines.append(
                f"- `{env_id}` over {peer['name']}: "
                f"{ours / theirs:,.1f}x ({bench.fmt(ours)} vs {bench.fmt(theirs)} steps/s)"
            )
    return "\n".join(lines) + "\n"


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--warmup", type=float, default=1.0)
    parser.add_argument("--copies", type=int, nargs="+", default=[1, 64, 1024])
    parser.add_argument("--no-peers", action="store_true")
    parser.add_argument("--peer-worker", choices=sorted(PEERS), help=argparse.SUPPRESS)
    parser.add_argument("--data", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.peer_worker == "anytrading":
        print(json.dumps(anytrading_worker(args.seconds, args.repeats, args.warmup)))
        return 0
    if args.peer_worker == "finrl":
        print(json.dumps(finrl_worker(args.seconds, args.repeats, args.warmup, args.data)))
        return 0
    rows = measure_fieldgym(args.copies, args.seconds, args.repeats, args.warmup)
    peers = (
        []
        if args.no_peers
        else [measure_peer(n, args.seconds, args.repeats, args.warmup) for n in PEERS]
    )
    out = ROOT / "reports" / "benchmarks"
    out.mkdir(parents=True, exist_ok=True)
    (out / "trading_throughput.md").write_text(markdown(rows, peers, args))
    (out / "trading_throughput.json").write_text(
        json.dumps({"fieldgym": rows, "peers": peers}, indent=1)
    )
    bench.log(f"wrote {out / 'trading_throughput.md'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
