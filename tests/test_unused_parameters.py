"""No function of the package accepts a parameter and ignores it, unless an interface asks.

Scans the source of ``envs``, ``agents`` and ``scenarios`` for functions whose body never
reads one of their parameters. A parameter may go unused only where the function
implements an interface that fixes its signature (listed below, with the interface); a
stub body (a docstring, ``pass``, ``...`` or ``raise``) is an interface declaration, and
a name starting with ``_`` says it is unused on purpose.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

INTERFACES = {
    "reset": "gymnasium's reset(seed, options) and Policy.reset(seed)",
    "act": "Policy.act(observation) and ParallelPolicy.act(observations, state)",
    "fit": "the learner interface fit(budget, seed, log_dir, progress)",
    "load": "the learner interface load(path, target, trust_pickle)",
    "episode_metrics": "a domain's episode_metrics(kpis, config)",
    "target_weights": "PortfolioPolicy.target_weights(observation)",
    "set_attr": "stable-baselines3's VecEnv",
    "env_is_wrapped": "stable-baselines3's VecEnv",
    "observation_space": "PettingZoo's observation_space(agent)",
    "action_space": "PettingZoo's action_space(agent)",
    "step": "a traffic system's step(actions, rng)",
    "signal_states": "a traffic system's signal_states(copy)",
    "render": "a traffic system's render(obs)",
    "plan": "a synthetic city's light plan plan(roads, moves)",
    "work": "a scenario backend's work(job, run_dir)",
    "codegen": "numba's intrinsic codegen(context, builder, sig, args)",
    "_bit_generator": "numba's intrinsic signature (typingctx, argument types)",
    "__call__": "a reward's __call__(kpis, config)",
    "on_collision": "CARLA's sensor callback(event)",
}
"""Function names whose unused parameters an interface imposes."""

SUFFIXES = {
    "_reward": "a domain's reward function reward(kpis, config)",
    "_space": "a search space space(trial, rows)",
}
"""Name endings of interface functions."""

MIRRORS = ("envs/driving/carla/fake.py", "envs/driving/carla/fake_api.py")
"""CARLA's test double mirrors CARLA's own signatures."""

CACHE_KEYS = ("functools.cache", "functools.lru_cache")
"""Decorators whose function takes a parameter only to key the cache (a file's mtime)."""


def _is_stub(body: list[ast.stmt]) -> bool:
    return all(
        isinstance(statement, ast.Pass | ast.Raise)
        or (isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant))
        for statement in body
    )


def _exempt(function: ast.FunctionDef | ast.AsyncFunctionDef, path: str) -> bool:
    name = function.name
    decorators = [ast.unparse(d) for d in function.decorator_list]
    return (
        name in INTERFACES
        or name.endswith(tuple(SUFFIXES))
        or path in MIRRORS
        or any(d.startswith(CACHE_KEYS) for d in decorators)
        or _is_stub(function.body)
    )


def ignored(function: ast.FunctionDef | ast.AsyncFunctionDef) -> list[str]:
    """The parameters ``function``'s body never reads (``self``, ``cls``, ``_x`` aside)."""
    read = {
        n.id for statement in function.body for n in ast.walk(statement) if isinstance(n, ast.Name)
    }
    arguments = [*function.args.posonlyargs, *function.args.args, *function.args.kwonlyargs]
    return [
        a.arg
        for a in arguments
        if a.arg not in read and a.arg not in ("self", "cls") and not a.arg.startswith("_")
    ]


def unused_parameters() -> list[str]:
    """``path:line function(parameter)`` of every parameter a function never reads."""
    found = []
    for package in ("envs", "agents", "scenarios"):
        for path in sorted((ROOT / package).rglob("*.py")):
            relative = path.relative_to(ROOT).as_posix()
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and not _exempt(
                    node, relative
                ):
                    found += [f"{relative}:{node.lineno} {node.name}({a})" for a in ignored(node)]
    return found


def test_no_function_ignores_a_parameter() -> None:
    assert unused_parameters() == []


def test_the_scan_finds_an_ignored_parameter() -> None:
    """The scan is not vacuous: it sees a parameter that is never read."""
    source = "def total(prices, fees):\n    return sum(prices)\n"
    node = ast.parse(source).body[0]
    assert isinstance(node, ast.FunctionDef) and not _exempt(node, "envs/example.py")
    assert ignored(node) == ["fees"]
