"""The bad-input survey: what fieldgym answers to inputs a new or adversarial user would try.

Run from the repository root::

    .venv/bin/python benchmarks/bad_input_survey.py [--groups api scenario cli] [--jobs 2]

A catalogue of bad inputs in three groups, each of which is an error:

* **api**: ``gymnasium.make`` of every id (:data:`fieldgym.envs.ENVS`) and
  ``fieldgym.make_parallel`` of the multi-agent ids with unknown fields, wrong types,
  out-of-range values, bad presets and render modes, bad ids; bad actions at ``step``,
  ``step`` before ``reset``, bad seeds; bad vector envs; bad price files for the trading
  envs (written to a temporary folder); ``make_agent`` with unknown agents, agents for
  another domain and bad parameters; ``evaluate`` with bad seeds and lengths.
* **scenario**: scenario files (in a temporary folder) read by
  :func:`fieldgym.scenarios.plan.planner.load_scenario`, which validates and plans without training.
* **cli**: ``fieldgym`` subcommands run as subprocesses (a temporary working folder, a
  timeout, never a real training budget).

Each case's outcome is ``clear`` (a fieldgym error type, a ``ValueError``/``TypeError``
raised by a ``raise`` statement in fieldgym's code, one of gymnasium's own errors such as
``UnregisteredEnv``, ``VersionNotFound`` or ``ResetNeeded``; for the CLI exit status 2 with
one line on stderr and no traceback), ``traceback`` (any other exception, or a CLI
traceback or other status) or ``accepted`` (no error where one is due; a CLI case that
runs past its timeout counts here too). A few valid inputs (``controls``, such as an
out-of-space action under ``action_policy="clip"``) are run as well and must succeed;
they are not counted in the catalogue.

Writes ``reports/benchmarks/bad_input_survey.md``: the counts by group and outcome, then
every case that is not ``clear`` with its message. Takes 2-4 minutes on the project's
2-core machine (the CLI cases, one Python start-up each, are most of it).
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import datetime as dt
import io
import linecache
import logging
import os
import shlex
import stat
import subprocess
import sys
import tempfile
import time
import traceback
import warnings
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
import pandas as pd
import yaml
from tqdm import tqdm

import fieldgym
from fieldgym.agents import EnvTarget, evaluate, make_agent
from fieldgym.envs import ENVS, PARALLEL_ENVS
from fieldgym.envs.core.errors import FieldgymError
from fieldgym.scenarios.plan.planner import load_scenario

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = Path(fieldgym.__file__).resolve().parent
VENV_BIN = Path(sys.executable).parent
REPORT = ROOT / "reports" / "benchmarks" / "bad_input_survey.md"
CLI_TIMEOUT = 60.0
"""Seconds a CLI case may take; a case still running then started real work."""
OUTCOMES = ("clear", "traceback", "accepted")
GROUPS = ("api", "scenario", "cli")

INVENTORY = "fieldgym/MultiEchelonInventory-v1"
STOCK = "fieldgym/StockTrading-v1"
PORTFOLIO = "fieldgym/PortfolioAllocation-v1"
GRID = "fieldgym/TrafficGrid-v1"
UAV = "fieldgym/UAVOffloading-v1"


@dataclasses.dataclass
class Case:
    """One bad input: ``run`` (in-process) or ``argv`` (a ``fieldgym`` command line)."""

    group: str
    description: str
    run: Callable[[], Any] | None = None
    argv: list[str] | None = None
    control: bool = False
    """A valid input that must succeed (not counted among the bad inputs)."""


@dataclasses.dataclass
class Result:
    """A case's outcome and the first line of its message."""

    case: Case
    outcome: str
    message: str
    seconds: float


# Per-env bad config values: (field, wrong type, out of range). Every id has an entry,
# a new id gets the generic cases only until one is added here.
BAD_FIELDS: dict[str, list[tuple[str, Any, Any]]] = {
    "fieldgym/Driving-v1": [("lanes", "three", 0), ("level", "hard", 7), ("dt", "fast", -0.2)],
    INVENTORY: [
        ("num_stages", "four", 0),
        ("demand_mean", "ten", -5.0),
        ("lead_times", "two", [1, 2]),
        ("demand", 3, "gaussian"),
    ],
    "fieldgym/QuantumArchitectureSearch-v1": [
        ("num_qubits", "two", 50),
        ("gates", "h", ["h", "foo"]),
        ("success_threshold", "high", 1.5),
    ],
    PORTFOLIO: [
        ("cost_rate", "cheap", -0.1),
        ("start", 2020, "not-a-date"),
        ("window", "thirty", -1),
    ],
    STOCK: [
        ("window", "thirty", -1),
        ("fill", 1, "midday"),
        ("positions", "long", []),
        ("initial_value", "rich", -100.0),
    ],
    "fieldgym/OptimalExecution-v1": [
        ("periods", "twenty", 0),
        ("initial_shares", "many", -1.0),
        ("fractions", "half", [0.5, 2.0]),
    ],
    "fieldgym/MarketMaking-v1": [
        ("steps", "many", 0),
        ("volatility", "high", -1.0),
        ("levels", "nine", 1),
    ],
    "fieldgym/TrafficSignal-v1": [
        ("rows", "two", 0),
        ("delta_time", "five", -5.0),
        ("phases", "NS", [["XX"]]),
        ("entry_flows", "busy", [700.0, 400.0]),
    ],
    "fieldgym/EdgeOffloading-v1": [
        ("num_users", "ten", 0),
        ("preference", "delay", [0.3, 0.3]),
        ("server_cpu_ghz", 3, []),
    ],
    GRID: [("rows", "two", 0), ("min_green", "short", -1.0)],
    UAV: [("num_uavs", "three", 0), ("area_m", "big", -10.0), ("density_grid", "five", 0)],
}
BAD_RANGES: dict[str, list[tuple[str, Any]]] = {
    PORTFOLIO: [("start", "2030-01-01"), ("end", "1990-01-01"), ("source", "nowhere")],
    STOCK: [("ticker", "ZZZZ"), ("source", "nowhere")],
}


# In-process outcome.


def classify_exception(exc: BaseException) -> str:
    """``clear`` if fieldgym or gymnasium raises ``exc`` on purpose, else ``traceback``."""
    if isinstance(exc, FieldgymError | gym.error.Error):
        return "clear"
    if isinstance(exc, ValueError | TypeError):
        frames = traceback.extract_tb(exc.__traceback__)
        if frames:
            last = frames[-1]
            in_package = Path(last.filename).resolve().is_relative_to(PACKAGE) and (
                ".venv" not in Path(last.filename).parts
            )
            line = (last.line or linecache.getline(last.filename, last.lineno or 0)).strip()
            if in_package and line.startswith("raise"):
                return "clear"
    return "traceback"


def first_line(text: str) -> str:
    """The first non-empty line of ``text``, shortened."""
    for line in str(text).splitlines():
        if line.strip():
            line = line.strip()
            return line if len(line) <= 240 else line[:237] + "..."
    return ""


def run_in_process(case: Case) -> Result:
    start = time.perf_counter()
    sink = io.StringIO()
    try:
        with warnings.catch_warnings(), contextlib.redirect_stdout(sink):
            warnings.simplefilter("ignore")
            case.run()
    except Exception as exc:  # the survey classifies every exception
        outcome = classify_exception(exc)
        message = f"{type(exc).__name__}: {first_line(str(exc))}"
        if outcome == "traceback":
            frame = traceback.extract_tb(exc.__traceback__)[-1]
            where = Path(frame.filename)
            with contextlib.suppress(ValueError):
                where = where.resolve().relative_to(ROOT)
            message += f" [at {where}:{frame.lineno}]"
        return Result(case, outcome, message, time.perf_counter() - start)
    return Result(case, "accepted", "no error", time.perf_counter() - start)


def run_cli(case: Case, workdir: Path) -> Result:
    start = time.perf_counter()
    argv = [str(VENV_BIN / "fieldgym"), *case.argv]
    env = {**os.environ, "PYTHONWARNINGS": "ignore", "NO_COLOR": "1"}
    try:
        done = subprocess.run(
            argv,
            cwd=workdir,
            capture_output=True,
            text=True,
            timeout=CLI_TIMEOUT,
            env=env,
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired:
        seconds = time.perf_counter() - start
        return Result(case, "accepted", f"still running after {CLI_TIMEOUT:g} s", seconds)
    seconds = time.perf_counter() - start
    stderr = [line for line in done.stderr.splitlines() if line.strip()]
    if "Traceback (most recent call last)" in done.stderr:
        last = next((line for line in reversed(stderr) if line.strip()), "")
        return Result(case, "traceback", f"exit {done.returncode}: {first_line(last)}", seconds)
    if done.returncode == 0:
        return Result(case, "accepted", f"exit 0: {first_line(done.stdout)}", seconds)
    if done.returncode == 2 and len(stderr) == 1:
        return Result(case, "clear", first_line(stderr[0]), seconds)
    text = " | ".join(stderr[-3:]) or first_line(done.stdout)
    return Result(case, "traceback", f"exit {done.returncode}: {first_line(text)}", seconds)


# The API catalogue.


def made(env_id: str, **kwargs: Any) -> gym.Env:
    env = gym.make(env_id, **kwargs)
    env.reset(seed=0)
    return env


def step_with(env_id: str, action: Any, **kwargs: Any) -> Callable[[], Any]:
    def run() -> Any:
        env = gym.make(env_id, **kwargs)
        try:
            env.reset(seed=0)
            return env.step(action)
        finally:
            env.close()

    return run


def parallel_step_with(env_id: str, actions: Callable[[Any], Any]) -> Callable[[], Any]:
    def run() -> Any:
        env = fieldgym.make_parallel(env_id)
        try:
            env.reset(seed=0)
            return env.step(actions(env))
        finally:
            env.close()

    return run


def bad_actions(space: gym.Space) -> list[tuple[str, Any]]:
    """Actions no space of this kind accepts, each with a description."""
    common = [
        ("None", None),
        ("a string", "left"),
        ("a dict", {"action": 0}),
    ]
    if isinstance(space, gym.spaces.Discrete):
        n = int(space.n)
        return [
            *common,
            (f"{n} (one past the last)", n),
            ("-1", -1),
            ("1.5 (a float)", 1.5),
            ("NaN", float("nan")),
            ("an array of two", np.array([0, 1])),
            ("a list of strings", ["0"]),
        ]
    assert isinstance(space, gym.spaces.Box)
    shape = space.shape
    high = np.where(np.isfinite(space.high), space.high, 0).astype(np.float64)
    return [
        *common,
        ("one element too many", np.zeros((shape[0] + 1,), dtype=np.float32)),
        ("NaN", np.full(shape, np.nan, dtype=np.float32)),
        ("inf", np.full(shape, np.inf, dtype=np.float32)),
        ("above the high bound", (high + 1).astype(np.float32)),
        ("a list of strings", ["a"] * shape[0]),
        ("a 2-D array", np.zeros((1, *shape), dtype=np.float32)),
    ]


def api_cases(tmp: Path) -> list[Case]:
    cases: list[Case] = []

    def add(description: str, run: Callable[[], Any], control: bool = False) -> None:
        cases.append(Case("api", description, run=run, control=control))

    # Ids.
    add("gym.make of an unknown id", lambda: gym.make("fieldgym/Inventory-v1"))
    add("gym.make of an old version (-v0)", lambda: gym.make("fieldgym/MultiEchelonInventory-v0"))
    add("gym.make of a future version (-v9)", lambda: gym.make("fieldgym/Driving-v9"))
    add("gym.make without the namespace", lambda: gym.make("MultiEchelonInventory-v1"))
    add("gym.make of a lower-case id", lambda: gym.make("fieldgym/driving-v1"))
    add("gym.make of a multi-agent id", lambda: gym.make(GRID))
    add("make_parallel of a single-agent id", lambda: fieldgym.make_parallel(INVENTORY))
    add("make_parallel of an unknown id", lambda: fieldgym.make_parallel("fieldgym/Grid-v1"))

    # Every single-agent id.
    for env_id in ENVS:
        name = env_id.split("/")[1]
        probe = gym.make(env_id)
        config_cls = type(probe.unwrapped.config)
        space = probe.action_space
        probe.close()
        first = next(f for f in config_cls.field_names() if f != "action_policy")
        add(f"{name}: unknown field", lambda i=env_id: gym.make(i, bogus_field=1))
        add(
            f"{name}: misspelt field {first}s",
            lambda i=env_id, f=first: gym.make(i, **{f + "s": 1}),
        )
        add(f"{name}: config=123", lambda i=env_id: gym.make(i, config=123))
        add(f"{name}: config with an unknown key", lambda i=env_id: gym.make(i, config={"nope": 1}))
        add(f"{name}: action_policy='ignore'", lambda i=env_id: gym.make(i, action_policy="ignore"))
        if config_cls.presets:
            preset = next(iter(config_cls.presets))
            add(f"{name}: unknown preset", lambda i=env_id: gym.make(i, preset="nope"))
            add(
                f"{name}: config= and preset= together",
                lambda i=env_id, p=preset: gym.make(i, preset=p, config={}),
            )
        else:
            add(f"{name}: preset on an env without presets", lambda i=env_id: made(i, preset="x"))
        add(f"{name}: render_mode='bogus'", lambda i=env_id: made(i, render_mode="bogus"))
        for field, wrong, out in BAD_FIELDS.get(env_id, []):
            add(
                f"{name}: {field}={wrong!r} (wrong type)",
                lambda i=env_id, f=field, v=wrong: made(i, **{f: v}),
            )
            add(
                f"{name}: {field}={out!r} (out of range)",
                lambda i=env_id, f=field, v=out: made(i, **{f: v}),
            )
        for field, value in BAD_RANGES.get(env_id, []):
            add(f"{name}: {field}={value!r}", lambda i=env_id, f=field, v=value: made(i, **{f: v}))

        # Episodes.
        def before_reset(i: str = env_id) -> Any:
            env = gym.make(i)
            return env.step(env.action_space.sample())

        add(f"{name}: step before reset", before_reset)
        for seed in (-1, "abc", 1.5):
            add(f"{name}: reset(seed={seed!r})", lambda i=env_id, s=seed: gym.make(i).reset(seed=s))
        for description, action in bad_actions(space):
            add(f"{name}: step({description})", step_with(env_id, action))
        outside = space.n if isinstance(space, gym.spaces.Discrete) else space.high + 1
        add(
            f"{name}: step(outside the space) under action_policy='clip'",
            step_with(env_id, outside, action_policy="clip"),
            control=True,
        )

        # Vector envs.
        add(f"{name}: make_vec(num_envs=0)", lambda i=env_id: gym.make_vec(i, num_envs=0))
        add(f"{name}: make_vec(num_envs='two')", lambda i=env_id: gym.make_vec(i, num_envs="two"))

        def vector_wrong_batch(i: str = env_id) -> Any:
            envs = gym.make_vec(i, num_envs=2)
            try:
                envs.reset(seed=0)
                one = envs.single_action_space.sample()
                return envs.step(np.stack([one, one, one]))
            finally:
                envs.close()

        add(f"{name}: vector step with 3 actions for 2 copies", vector_wrong_batch)
        add(
            f"{name}: make_vec(autoreset_mode=DISABLED)",
            lambda i=env_id: gym.make_vec(
                i, num_envs=2, autoreset_mode=gym.vector.AutoresetMode.DISABLED
            ),
        )
        for seeds in ([0], [0, -1]):
            add(
                f"{name}: vector reset(seed={seeds!r}) for 2 copies",
                lambda i=env_id, s=seeds: gym.make_vec(i, num_envs=2).reset(seed=s),
            )

    # Multi-agent ids.
    for env_id in PARALLEL_ENVS:
        name = env_id.split("/")[1]
        add(
            f"{name}: make_parallel with an unknown field",
            lambda i=env_id: fieldgym.make_parallel(i, bogus=1),
        )
        add(
            f"{name}: make_parallel with preset='nope'",
            lambda i=env_id: fieldgym.make_parallel(i, preset="nope"),
        )
        add(
            f"{name}: make_parallel with render_mode='bogus'",
            lambda i=env_id: fieldgym.make_parallel(i, render_mode="bogus").reset(seed=0),
        )
        for field, wrong, out in BAD_FIELDS.get(env_id, []):
            add(
                f"{name}: {field}={wrong!r} (wrong type)",
                lambda i=env_id, f=field, v=wrong: fieldgym.make_parallel(i, **{f: v}),
            )
            add(
                f"{name}: {field}={out!r} (out of range)",
                lambda i=env_id, f=field, v=out: fieldgym.make_parallel(i, **{f: v}),
            )

        def parallel_before_reset(i: str = env_id) -> Any:
            env = fieldgym.make_parallel(i)
            return env.step({a: env.action_space(a).sample() for a in env.possible_agents})

        add(f"{name}: step before reset", parallel_before_reset)
        add(f"{name}: reset(seed=-1)", lambda i=env_id: fieldgym.make_parallel(i).reset(seed=-1))
        add(
            f"{name}: reset(seed='abc')",
            lambda i=env_id: fieldgym.make_parallel(i).reset(seed="abc"),
        )
        add(f"{name}: step(a list)", parallel_step_with(env_id, lambda e: [0] * len(e.agents)))
        add(f"{name}: step(None)", parallel_step_with(env_id, lambda e: None))
        add(f"{name}: step(an int)", parallel_step_with(env_id, lambda e: 0))
        add(
            f"{name}: step with an unknown agent",
            parallel_step_with(env_id, lambda e: {**{a: 0 for a in e.agents}, "ghost": 0}),
        )
        add(
            f"{name}: step with an agent missing",
            parallel_step_with(env_id, lambda e: {a: 0 for a in e.agents[1:]}),
        )
        add(
            f"{name}: step with an agent's action NaN",
            parallel_step_with(env_id, lambda e: {a: float("nan") for a in e.agents}),
        )
        add(
            f"{name}: step with an agent's action out of range",
            parallel_step_with(env_id, lambda e: {a: 99 for a in e.agents}),
        )
        add(
            f"{name}: step with an agent's action a string",
            parallel_step_with(env_id, lambda e: {a: "stay" for a in e.agents}),
        )

    # Price files for the trading envs.
    cases.extend(trading_file_cases(tmp))
    cases.extend(agent_cases())
    return cases


def trading_file_cases(tmp: Path) -> list[Case]:
    folder = tmp / "prices"
    folder.mkdir()
    dates = pd.bdate_range("2020-01-01", periods=80).strftime("%Y-%m-%d")
    rng = np.random.default_rng(0)
    good = pd.DataFrame(
        {
            "date": dates,
            "AAA": 100 * np.exp(np.cumsum(rng.normal(0, 0.01, 80))),
            "BBB": 50 * np.exp(np.cumsum(rng.normal(0, 0.01, 80))),
        }
    )
    files: dict[str, str] = {}

    def write(label: str, text: str | bytes) -> None:
        path = folder / f"{label.replace(' ', '_')}.csv"
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text)
        files[label] = str(path)

    write("empty file", "")
    write("header only", "date,AAA,BBB\n")
    write("one row", good.head(1).to_csv(index=False))
    bad = good.astype({"AAA": object})
    bad.loc[10, "AAA"] = "n/a?"
    bad.loc[11, "AAA"] = "abc"
    write("non-numeric prices", bad.to_csv(index=False))
    write("negative prices", good.assign(AAA=-good["AAA"]).to_csv(index=False))
    write("zero prices", good.assign(AAA=0.0).to_csv(index=False))
    write(
        "duplicate dates", pd.concat([good, good.iloc[[5]]]).sort_values("date").to_csv(index=False)
    )
    write("no date column", good.drop(columns="date").to_csv(index=False))
    write("unreadable dates", good.assign(date="someday").to_csv(index=False))
    write("an all-empty column", good.assign(AAA=np.nan).to_csv(index=False))
    write("binary junk", bytes(range(256)) * 8)
    write("good", good.to_csv(index=False))
    (folder / "a_folder.csv").mkdir()
    files["a folder"] = str(folder / "a_folder.csv")
    files["a missing file"] = str(folder / "missing.csv")

    cases = []
    for label, path in files.items():
        if label == "good":
            continue
        cases.append(
            Case(
                "api",
                f"StockTrading-v1: source={label}",
                run=lambda p=path: made(STOCK, source=p, fill="next_close", mode="backtest"),
            )
        )
        cases.append(
            Case(
                "api",
                f"PortfolioAllocation-v1: source={label}",
                run=lambda p=path: made(PORTFOLIO, source=p, mode="backtest"),
            )
        )
    good_path = files["good"]
    cases += [
        Case(
            "api",
            "StockTrading-v1: unknown ticker in a file",
            run=lambda: made(STOCK, source=good_path, fill="next_close", ticker="ZZZ"),
        ),
        Case(
            "api",
            "PortfolioAllocation-v1: unknown ticker in a file",
            run=lambda: made(PORTFOLIO, source=good_path, tickers=["AAA", "ZZZ"]),
        ),
        Case(
            "api",
            "PortfolioAllocation-v1: tickers='AAA' (a string)",
            run=lambda: made(PORTFOLIO, source=good_path, tickers="AAA"),
        ),
        Case(
            "api",
            "PortfolioAllocation-v1: start after end in a file",
            run=lambda: made(PORTFOLIO, source=good_path, start="2020-03-01", end="2020-02-01"),
        ),
        Case(
            "api",
            "StockTrading-v1: next_open fill on a closes-only file",
            run=lambda: made(STOCK, source=good_path),
        ),
        Case(
            "api",
            "StockTrading-v1: a file with valid prices (control)",
            run=lambda: made(STOCK, source=good_path, fill="next_close", mode="backtest"),
            control=True,
        ),
    ]
    return cases


def agent_cases() -> list[Case]:
    inventory = EnvTarget(INVENTORY)
    stock = EnvTarget(STOCK)
    cases: list[Case] = []

    def add(description: str, run: Callable[[], Any], control: bool = False) -> None:
        cases.append(Case("api", description, run=run, control=control))

    add("make_agent('nope')", lambda: make_agent("nope", inventory))
    add("make_agent('PPO') (upper case)", lambda: make_agent("PPO", inventory))
    add("make_agent(123)", lambda: make_agent(123, inventory))
    add("make_agent('base_stock') on a trading env", lambda: make_agent("base_stock", stock))
    add("make_agent('twap') on the inventory env", lambda: make_agent("twap", inventory))
    add(
        "make_agent('max_pressure') on the inventory env",
        lambda: make_agent("max_pressure", inventory),
    )
    add("make_agent('ppo', bogus=1)", lambda: make_agent("ppo", inventory, bogus=1))
    add(
        "make_agent('random', seed=3) (no such parameter)",
        lambda: make_agent("random", inventory, seed=3),
    )
    add(
        "make_agent('ppo', hyperparams={'learning_rat': 1e-3})",
        lambda: make_agent("ppo", inventory, hyperparams={"learning_rat": 1e-3}),
    )
    add(
        "make_agent('ppo', hyperparams='fast')",
        lambda: make_agent("ppo", inventory, hyperparams="fast"),
    )
    add("make_agent('ppo', n_envs=0)", lambda: make_agent("ppo", inventory, n_envs=0))
    add("make_agent('ppo', n_envs='four')", lambda: make_agent("ppo", inventory, n_envs="four"))
    add("make_agent('ppo', levels=1)", lambda: make_agent("ppo", inventory, levels=1))
    add(
        "make_agent('ppo', policy='NoSuchPolicy')",
        lambda: make_agent("ppo", inventory, policy="NoSuchPolicy"),
    )
    add(
        "make_agent('base_stock', levels=[1, 2]) (wrong length)",
        lambda: make_agent("base_stock", inventory, levels=[1, 2]),
    )
    add(
        "make_agent('base_stock', levels='high')",
        lambda: make_agent("base_stock", inventory, levels="high"),
    )
    add(
        "make_agent('equal_weight', rebalance_every=0)",
        lambda: make_agent("equal_weight", EnvTarget(PORTFOLIO), rebalance_every=0),
    )
    add(
        "make_agent('idm_mobil', T=-1)",
        lambda: make_agent("idm_mobil", EnvTarget("fieldgym/Driving-v1"), T=-1.0),
    )
    add("make_agent('ppo', an id string, not a target)", lambda: make_agent("ppo", INVENTORY))
    add("make_agent('random', an id string, not a target)", lambda: make_agent("random", INVENTORY))
    add("make_agent on an unknown id", lambda: make_agent("random", EnvTarget("fieldgym/Nope-v1")))
    add(
        "make_agent on a target with a bad field",
        lambda: make_agent("ppo", EnvTarget(INVENTORY, {"bogus": 1})),
    )
    add("make_agent('mappo') on a single-agent id", lambda: make_agent("mappo", inventory))
    add(
        "make_agent('dqn') on the 21-asset portfolio (no adapter)",
        lambda: make_agent("dqn", EnvTarget(PORTFOLIO)),
    )
    add(
        "make_agent('clark_scarf') on a distribution network",
        lambda: make_agent("clark_scarf", EnvTarget(INVENTORY, {"preset": "distribution"})),
    )

    def evaluate_with(seeds: Any, max_steps: Any = None) -> Callable[[], Any]:
        return lambda: evaluate(make_agent("random", inventory), seeds, max_steps=max_steps)

    add("evaluate(seeds=[-1])", evaluate_with([-1]))
    add("evaluate(seeds=['a'])", evaluate_with(["a"]))
    add("evaluate(seeds=None)", evaluate_with(None))
    add("evaluate(seeds=5) (a count, not seeds)", evaluate_with(5))
    add("evaluate(seeds=[1.5])", evaluate_with([1.5]))
    add("evaluate(seeds=[])", evaluate_with([]))
    add("evaluate(seeds='10000:10010')", evaluate_with("10000:10010"))
    add("evaluate(max_steps=0)", evaluate_with([0], max_steps=0))
    add("evaluate(max_steps=-5)", evaluate_with([0], max_steps=-5))
    add("evaluate(max_steps='ten')", evaluate_with([0], max_steps="ten"))
    add("evaluate(seeds=[0], max_steps=2) (control)", evaluate_with([0], max_steps=2), control=True)
    return cases


# The scenario catalogue.

BASE_SCENARIO: dict[str, Any] = {
    "name": "survey",
    "env": {"id": INVENTORY, "preset": "serial"},
    "agents": [{"name": "base_stock"}, {"name": "random"}, {"name": "ppo", "train_steps": 100}],
    "seeds": 1,
    "evaluation": {"episodes": 2},
    "report": {"reference": "base_stock", "headline": "avg_cost"},
}


def scenario_cases(tmp: Path) -> list[Case]:
    folder = tmp / "scenarios"
    folder.mkdir()
    cases: list[Case] = []
    count = 0

    def with_changes(**changes: Any) -> dict[str, Any]:
        data = yaml.safe_load(yaml.safe_dump(BASE_SCENARIO))
        for dotted, value in changes.items():
            keys = dotted.split(".")
            node = data
            for key in keys[:-1]:
                node = node[int(key)] if isinstance(node, list) else node[key]
            last = int(keys[-1]) if isinstance(node, list) else keys[-1]
            if value is DELETE:
                del node[last]
            else:
                node[last] = value
        return data

    def add(description: str, content: Any, raw: bool = False, control: bool = False) -> None:
        nonlocal count
        count += 1
        path = folder / f"case{count:03d}.yaml"
        path.write_text(content if raw else yaml.safe_dump(content, sort_keys=False))
        cases.append(
            Case("scenario", description, run=lambda p=path: load_scenario(p), control=control)
        )

    def change(description: str, **changes: Any) -> None:
        add(description, with_changes(**changes))

    add("an empty file", "", raw=True)
    add("a list, not a mapping", "- name: x\n", raw=True)
    add("not YAML (a tab and an unclosed bracket)", "name: [x\n\tagents: 1\n", raw=True)
    add("a bare string", "just some text\n", raw=True)
    change("an unknown top-level key", seed=3)
    change("an unknown key in env", **{"env.presets": "serial"})
    change("an unknown key in an agent", **{"agents.0.parms": {}})
    change("an unknown key in evaluation", **{"evaluation.episode": 3})
    change("an unknown key in report", **{"report.headlines": "avg_cost"})
    change("no env or envs", env=DELETE)
    change("both env and envs", envs=[{"id": INVENTORY}])
    change("envs: []", env=DELETE, envs=[])
    change("env is a string", env=INVENTORY)
    change("no agents", agents=DELETE)
    change("agents: []", agents=[])
    change("agents is a mapping", agents={"name": "random"})
    change("an agent without a name", **{"agents.1": {"label": "r"}})
    change("name missing", name=DELETE)
    change("an unknown env id", **{"env.id": "fieldgym/Inventory-v1"})
    change("an env id without the namespace", **{"env.id": "MultiEchelonInventory-v1"})
    change("an unknown preset", **{"env.preset": "nope"})
    change("an unknown config field", **{"env.config": {"demand_mea": 8}})
    change("a config field of the wrong type", **{"env.config": {"demand_mean": "eight"}})
    change("a config field out of range", **{"env.config": {"demand_mean": -8}})
    change("env.config is a list", **{"env.config": [1, 2]})
    change("an unknown agent name", **{"agents.1.name": "randomm"})
    change("an agent of another domain", **{"agents.0.name": "twap"})
    change("a negative train_steps", **{"agents.2.train_steps": -100})
    change("a negative train_seconds", **{"agents.2": {"name": "ppo", "train_seconds": -5}})
    change("train_seconds: .inf", **{"agents.2": {"name": "ppo", "train_seconds": float("inf")}})
    change("train_steps: 'many'", **{"agents.2.train_steps": "many"})
    change("train_steps 1.5", **{"agents.2.train_steps": 1.5})
    change("a learner without a budget", **{"agents.2": {"name": "ppo"}})
    change(
        "a learner with both budgets",
        **{"agents.2": {"name": "ppo", "train_steps": 10, "train_seconds": 1}},
    )
    change("a baseline with a training budget", **{"agents.1.train_steps": 500})
    change("an unknown agent parameter", **{"agents.2.params": {"learning_rate": 0.001}})
    change(
        "a bad params.hyperparams key",
        **{"agents.2.params": {"hyperparams": {"learning_rat": 0.001}}},
    )
    change("params.hyperparams a list", **{"agents.2.params": {"hyperparams": [0.001]}})
    change("params.hyperparams a string", **{"agents.2.params": {"hyperparams": "fast"}})
    change(
        "params.hyperparams.n_envs (fieldgym sets it)",
        **{"agents.2.params": {"hyperparams": {"env": 1}}},
    )
    change("params is a list", **{"agents.2.params": [1]})
    change("a baseline's unknown parameter", **{"agents.0.params": {"level": 3}})
    change("seeds: -1", seeds=-1)
    change("seeds: 0", seeds=0)
    change("seeds: [-1]", seeds=[-1])
    change("seeds: 'three'", seeds="three")
    change("seeds: []", seeds=[])
    change("seeds: [1.5]", seeds=[1.5])
    change("evaluation.episodes: 0", **{"evaluation.episodes": 0})
    change("evaluation.seed_start: -1", **{"evaluation.seed_start": -1})
    change("evaluation.max_steps: 0", **{"evaluation.max_steps": 0})
    change("evaluation.checkpoints: -1", **{"evaluation.checkpoints": -1})
    change("evaluation.checkpoint_episodes > episodes", **{"evaluation.checkpoint_episodes": 5})
    change("workers: 0", workers=0)
    change("workers: 'two'", workers="two")
    change("name: '../escape'", name="../escape")
    change("name: 'a/b'", name="a/b")
    change("name: '..'", name="..")
    change("name: ''", name="")
    change("name: '/etc'", name="/etc")
    change("name: '.hidden'", name=".hidden")
    change("name: 123 (a number)", name=123)
    change("an env label with '/'", **{"env.label": "x/y"})
    change("an agent label with '__'", **{"agents.1.label": "my__random"})
    change("two agents with the same label", **{"agents.1": {"name": "base_stock"}})
    change(
        "two envs with the same label",
        env=DELETE,
        envs=[{"id": INVENTORY, "preset": "serial"}, {"id": INVENTORY, "preset": "serial"}],
    )
    change("an agent's envs naming an unknown label", **{"agents.1.envs": ["nope"]})
    change("report.reference an unknown label", **{"report.reference": "clark"})
    change(
        "report.reference a mapping to an unknown env",
        **{"report.reference": {"nope": "base_stock"}},
    )
    change("report.reference a list", **{"report.reference": ["base_stock"]})
    change("report.headline an unknown metric", **{"report.headline": "avg_costs"})
    change("report.metrics an unknown metric", **{"report.metrics": ["avg_cost", "profit"]})
    change("report.metrics a string", **{"report.metrics": "avg_cost"})
    change(
        "report.suite without an agent named random",
        **{"report.suite": True, "agents.1": {"name": "clark_scarf"}},
    )
    change("report.suite: 'yes please'", **{"report.suite": "yes please"})
    change(
        "walk_forward on a non-trading env",
        **{"env.walk_forward": {"train": "2y", "test": "6m"}},
    )
    change("a multi-agent learner on a single-agent env", **{"agents.2.name": "mappo"})
    add("a valid scenario (control)", BASE_SCENARIO, control=True)

    missing = folder / "does_not_exist.yaml"
    cases.append(Case("scenario", "a missing file", run=lambda: load_scenario(missing)))
    cases.append(Case("scenario", "a folder instead of a file", run=lambda: load_scenario(folder)))
    binary = folder / "binary.yaml"
    binary.write_bytes(bytes(range(256)))
    cases.append(Case("scenario", "a binary file", run=lambda: load_scenario(binary)))
    return cases


class _Delete:
    def __repr__(self) -> str:
        return "DELETE"


DELETE = _Delete()


# The CLI catalogue.


def cli_cases(tmp: Path) -> list[Case]:
    readonly = tmp / "readonly"
    readonly.mkdir()
    a_file = tmp / "a_file.txt"
    a_file.write_text("hello\n")
    scenario = tmp / "cli_scenario.yaml"
    scenario.write_text(yaml.safe_dump(BASE_SCENARIO, sort_keys=False))
    bad_scenario = tmp / "cli_bad.yaml"
    bad_scenario.write_text("name: x\nagents: 3\n")
    not_a_model = tmp / "not_a_model"
    not_a_model.mkdir()
    (not_a_model / "model_card.json").write_text("{not json")
    empty_run = tmp / "empty_run"
    empty_run.mkdir()
    # root writes in a unwritable folder: then the unwritable place is under a file
    ro = str(readonly if os.geteuid() != 0 else a_file)
    inv = INVENTORY
    steps = ["--steps", "1"]
    cases = [
        ("no command", []),
        ("an unknown command", ["trian"]),
        ("list with an unknown option", ["list", "--bogus"]),
        ("list with an extra argument", ["list", "envs"]),
        # train
        ("train without arguments", ["train"]),
        ("train without --agent", ["train", inv, "--out", "m", *steps]),
        ("train without --out", ["train", inv, "--agent", "ppo", *steps]),
        (
            "train an unknown id",
            ["train", "fieldgym/Nope-v1", "--agent", "ppo", "--out", "m", *steps],
        ),
        (
            "train a multi-agent id with ppo",
            ["train", GRID, "--agent", "ppo", "--out", "m", *steps],
        ),
        ("train an unknown agent", ["train", inv, "--agent", "nope", "--out", "m", *steps]),
        ("train a baseline", ["train", inv, "--agent", "base_stock", "--out", "m", *steps]),
        ("train with --steps 0", ["train", inv, "--agent", "ppo", "--out", "m", "--steps", "0"]),
        (
            "train with --steps abc",
            ["train", inv, "--agent", "ppo", "--out", "m", "--steps", "abc"],
        ),
        (
            "train with --steps 1e3",
            ["train", inv, "--agent", "ppo", "--out", "m", "--steps", "1e3"],
        ),
        (
            "train with --seconds -1",
            ["train", inv, "--agent", "ppo", "--out", "m", "--seconds", "-1"],
        ),
        (
            "train with --seconds nan",
            ["train", inv, "--agent", "ppo", "--out", "m", "--seconds", "nan"],
        ),
        ("train without a budget", ["train", inv, "--agent", "ppo", "--out", "m"]),
        (
            "train with --seed -1",
            ["train", inv, "--agent", "ppo", "--out", "m", "--seed", "-1", *steps],
        ),
        (
            "train with --out in a unwritable folder",
            ["train", inv, "--agent", "ppo", "--out", f"{ro}/m", *steps],
        ),
        (
            "train with --out an existing file",
            ["train", inv, "--agent", "ppo", "--out", str(a_file), *steps],
        ),
        (
            "train with --set bogus=1",
            ["train", inv, "--agent", "ppo", "--out", "m", "--set", "bogus=1", *steps],
        ),
        (
            "train with --set without '='",
            ["train", inv, "--agent", "ppo", "--out", "m", "--set", "lost_sales", *steps],
        ),
        (
            "train with --set demand_mean=[1",
            ["train", inv, "--agent", "ppo", "--out", "m", "--set", "demand_mean=[1", *steps],
        ),
        (
            "train with --preset nope",
            ["train", inv, "--agent", "ppo", "--out", "m", "--preset", "nope", *steps],
        ),
        (
            "train with --param bogus=1",
            ["train", inv, "--agent", "ppo", "--out", "m", "--param", "bogus=1", *steps],
        ),
        (
            "train with --param hyperparams={learning_rat: 1}",
            [
                "train",
                inv,
                "--agent",
                "ppo",
                "--out",
                "m",
                "--param",
                "hyperparams={learning_rat: 1}",
                *steps,
            ],
        ),
        # backtest
        ("backtest without arguments", ["backtest"]),
        ("backtest without --agent", ["backtest", inv]),
        ("backtest an unknown id", ["backtest", "fieldgym/Nope-v1", "--agent", "random"]),
        ("backtest an unknown agent", ["backtest", inv, "--agent", "nope"]),
        ("backtest a learner without --model", ["backtest", inv, "--agent", "ppo"]),
        ("backtest an agent of another domain", ["backtest", inv, "--agent", "twap"]),
        ("backtest with --seeds abc", ["backtest", inv, "--agent", "random", "--seeds", "abc"]),
        (
            "backtest with --seeds 5:1 (empty)",
            ["backtest", inv, "--agent", "random", "--seeds", "5:1"],
        ),
        ("backtest with --seeds -1", ["backtest", inv, "--agent", "random", "--seeds", "-1"]),
        ("backtest with --seeds 1:2:3", ["backtest", inv, "--agent", "random", "--seeds", "1:2:3"]),
        ("backtest with --max-steps 0", ["backtest", inv, "--agent", "random", "--max-steps", "0"]),
        (
            "backtest with --csv in a unwritable folder",
            [
                "backtest",
                inv,
                "--agent",
                "random",
                "--seeds",
                "0",
                "--max-steps",
                "1",
                "--csv",
                f"{ro}/x.csv",
            ],
        ),
        (
            "backtest with --csv a folder",
            [
                "backtest",
                inv,
                "--agent",
                "random",
                "--seeds",
                "0",
                "--max-steps",
                "1",
                "--csv",
                str(tmp),
            ],
        ),
        ("backtest --model a missing folder", ["backtest", "--model", str(tmp / "nowhere")]),
        (
            "backtest --model a folder with a broken model card",
            ["backtest", "--model", str(not_a_model)],
        ),
        (
            "backtest --model and --agent together",
            ["backtest", inv, "--agent", "random", "--model", str(not_a_model)],
        ),
        ("backtest with --set bogus=1", ["backtest", inv, "--agent", "random", "--set", "bogus=1"]),
        (
            "backtest a multi-agent id",
            ["backtest", GRID, "--agent", "random", "--seeds", "0", "--max-steps", "1"],
        ),
        # compare
        ("compare without a scenario", ["compare"]),
        ("compare a missing file", ["compare", "nowhere.yaml"]),
        ("compare an unknown packaged name", ["compare", "quickstrat"]),
        ("compare a bad scenario", ["compare", str(bad_scenario)]),
        ("compare with --workers 0", ["compare", str(scenario), "--workers", "0"]),
        (
            "compare with --out in a unwritable folder",
            ["compare", str(scenario), "--out", f"{ro}/r"],
        ),
        (
            "compare with --runs in a unwritable folder",
            ["compare", str(scenario), "--runs", f"{ro}/r"],
        ),
        ("compare with --backend spark", ["compare", str(scenario), "--backend", "spark"]),
        ("compare a path with '..' outside the folder", ["compare", "../../nowhere/x.yaml"]),
        # report
        ("report without a run folder", ["report"]),
        ("report a missing run folder", ["report", str(tmp / "nowhere")]),
        ("report an empty folder", ["report", str(empty_run)]),
        ("report a file", ["report", str(a_file)]),
        (
            "report with --out in a unwritable folder",
            ["report", str(empty_run), "--out", f"{ro}/r"],
        ),
        # tune
        ("tune without arguments", ["tune"]),
        ("tune without --trials", ["tune", inv, "--agent", "ppo", "--seconds", "1"]),
        (
            "tune with --trials 0",
            ["tune", inv, "--agent", "ppo", "--trials", "0", "--seconds", "1"],
        ),
        (
            "tune with --seconds 0",
            ["tune", inv, "--agent", "ppo", "--trials", "1", "--seconds", "0"],
        ),
        (
            "tune an unknown id",
            ["tune", "fieldgym/Nope-v1", "--agent", "ppo", "--trials", "1", "--seconds", "1"],
        ),
        (
            "tune a baseline",
            ["tune", inv, "--agent", "base_stock", "--trials", "1", "--seconds", "1"],
        ),
        (
            "tune an unknown agent",
            ["tune", inv, "--agent", "nope", "--trials", "1", "--seconds", "1"],
        ),
        (
            "tune with --validation-seeds x",
            [
                "tune",
                inv,
                "--agent",
                "ppo",
                "--trials",
                "1",
                "--seconds",
                "1",
                "--validation-seeds",
                "x",
            ],
        ),
        (
            "tune with --write-to a unwritable folder",
            [
                "tune",
                inv,
                "--agent",
                "ppo",
                "--trials",
                "1",
                "--seconds",
                "1",
                "--write-to",
                f"{ro}/h",
            ],
        ),
        (
            "tune with --storage in a unwritable folder",
            [
                "tune",
                inv,
                "--agent",
                "ppo",
                "--trials",
                "1",
                "--seconds",
                "0.5",
                "--storage",
                f"{ro}/s.journal",
            ],
        ),
        (
            "tune a scenario with an unknown --env label",
            [
                "tune",
                str(scenario),
                "--agent",
                "ppo",
                "--trials",
                "1",
                "--seconds",
                "1",
                "--env",
                "nope",
            ],
        ),
        (
            "tune with --set bogus=1",
            ["tune", inv, "--agent", "ppo", "--trials", "1", "--seconds", "1", "--set", "bogus=1"],
        ),
        (
            "tune with --validation-dates on a non-trading id",
            [
                "tune",
                inv,
                "--agent",
                "ppo",
                "--trials",
                "1",
                "--seconds",
                "0.5",
                "--validation-dates",
                "2020-01-01:2020-06-01",
            ],
        ),
        (
            "tune with --validation-dates garbage",
            [
                "tune",
                STOCK,
                "--agent",
                "ppo",
                "--trials",
                "1",
                "--seconds",
                "0.5",
                "--validation-dates",
                "soon",
            ],
        ),
    ]
    return [Case("cli", description, argv=argv) for description, argv in cases]


# Running and reporting.


def run_all(cases: list[Case], tmp: Path, jobs: int) -> list[Result]:
    """Every case's result, in-process cases first, then the CLI cases ``jobs`` at a time."""
    results: list[Result] = []
    inproc = [c for c in cases if c.run is not None]
    cli = [c for c in cases if c.argv is not None]
    gym.logger.min_level = logging.ERROR + 10  # gymnasium's warnings are not the survey's
    with tqdm(total=len(cases), desc="bad inputs", unit="case") as bar:
        for case in inproc:
            results.append(run_in_process(case))
            bar.update()
        workdir = tmp / "cwd"
        workdir.mkdir()
        with ThreadPoolExecutor(max_workers=jobs) as pool:
            for result in pool.map(lambda c: run_cli(c, workdir), cli):
                results.append(result)
                bar.update()
    return results


def counts(results: list[Result]) -> dict[str, Counter]:
    table: dict[str, Counter] = {group: Counter() for group in GROUPS}
    for result in results:
        if not result.case.control:
            table[result.case.group][result.outcome] += 1
    return table


def markdown(results: list[Result], command: str, seconds: float) -> str:
    table = counts(results)
    lines = [
        "# Bad-input survey",
        "",
        f"Written {dt.date.today().isoformat()} by `{command}` in {seconds:.0f} s "
        "(see `benchmarks/bad_input_survey.py` for the catalogue and the outcome classes).",
        "",
        "| group | cases | clear | traceback | accepted |",
        "|---|---:|---:|---:|---:|",
    ]
    total: Counter = Counter()
    for group, counter in table.items():
        if not counter:
            continue
        total += counter
        cells = " | ".join(str(counter[o]) for o in OUTCOMES)
        lines.append(f"| {group} | {sum(counter.values())} | {cells} |")
    cells = " | ".join(f"**{total[o]}**" for o in OUTCOMES)
    lines.append(f"| **all** | **{sum(total.values())}** | {cells} |")
    lines += ["", "## Cases that are not `clear`", ""]
    bad = [r for r in results if r.outcome != "clear" and not r.case.control]
    if not bad:
        lines.append("None: every bad input gets a clear error.")
    else:
        lines += ["| group | case | outcome | message |", "|---|---|---|---|"]
        for r in bad:
            lines.append(
                f"| {r.case.group} | {_cell(r.case)} | {r.outcome} | {_escape(r.message)} |"
            )
    controls = [r for r in results if r.case.control]
    lines += ["", "## Controls (valid inputs that must succeed)", ""]
    lines += ["| group | case | outcome |", "|---|---|---|"]
    for r in controls:
        verdict = "ok" if r.outcome == "accepted" else f"**failed**: {_escape(r.message)}"
        lines.append(f"| {r.case.group} | {_escape(r.case.description)} | {verdict} |")
    lines += ["", "## Every case", ""]
    lines += ["| group | case | outcome | message |", "|---|---|---|---|"]
    for r in results:
        if not r.case.control:
            lines.append(
                f"| {r.case.group} | {_cell(r.case)} | {r.outcome} | {_escape(r.message)} |"
            )
    return "\n".join(lines) + "\n"


def _cell(case: Case) -> str:
    if case.argv is not None:
        return f"{_escape(case.description)}: `fieldgym {_escape(shlex.join(case.argv))}`"
    return _escape(case.description)


def _escape(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--groups", nargs="+", choices=GROUPS, default=list(GROUPS))
    parser.add_argument("--jobs", type=int, default=2, help="CLI cases run at once (default 2)")
    parser.add_argument("--out", type=Path, default=REPORT, help=f"default {REPORT}")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="bad-input-survey-") as name:
        tmp = Path(name)
        cases: list[Case] = []
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the probes' data warnings are not the survey's
            if "api" in args.groups:
                cases += api_cases(tmp)
            if "scenario" in args.groups:
                cases += scenario_cases(tmp)
            if "cli" in args.groups:
                cases += cli_cases(tmp)
        readonly = tmp / "readonly"
        if readonly.exists():
            readonly.chmod(stat.S_IRUSR | stat.S_IXUSR)
        try:
            results = run_all(cases, tmp, args.jobs)
        finally:
            if readonly.exists():
                readonly.chmod(stat.S_IRWXU)
    seconds = time.perf_counter() - start
    command = shlex.join(["python", "benchmarks/bad_input_survey.py", *(argv or sys.argv[1:])])
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(markdown(results, command, seconds))
    for group, counter in counts(results).items():
        if counter:
            text = ", ".join(f"{o} {counter[o]}" for o in OUTCOMES)
            print(f"{group:<9} {sum(counter.values()):>4} cases: {text}")
    failed = [r for r in results if r.case.control and r.outcome != "accepted"]
    for r in failed:
        print(f"control failed: {r.case.description}: {r.message}")
    print(f"{seconds:.0f} s; report: {args.out}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
