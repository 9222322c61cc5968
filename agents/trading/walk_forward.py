"""Walk-forward backtests: train, select on validation, test; then roll the windows forward.

Each :class:`Window` has a training range, a validation range and a test range, in that
order and disjoint. :func:`walk_forward` runs, per window:

1. **Train** each candidate (a dict of agent parameters) for each seed on the training
   range only: learners (``drl``) get ``train_start``/``train_end`` and fit there, in
   training mode (random start dates); the environment loads prices up to
   ``train_end`` and no further.
2. **Select**: backtest every trained candidate on the validation range (an environment
   that loads prices up to the validation end only) and keep, per seed, the candidate
   with the best ``selection_metric``.
3. **Test**: backtest the selected candidate on the test range.

Test prices therefore reach neither training nor selection: no environment built in
steps 1-2 loads a price after the validation end. Classical baselines learn nothing;
their candidates (e.g. ``lookback``) are selected the same way, and at each decision they
read only prices up to that day.

:func:`rolling_windows` builds calendar windows (years of training, months of validation
and test), rolled forward by the test length.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from typing import Any

import pandas as pd

from fieldgym.agents.evaluation import evaluate
from fieldgym.agents.registry import AGENTS, make_agent
from fieldgym.agents.target import EnvTarget
from fieldgym.envs.core.errors import ConfigError


@dataclasses.dataclass(frozen=True)
class Window:
    """One walk-forward window of ISO dates, each range inclusive."""

    train_start: str | None
    train_end: str
    validation_start: str
    validation_end: str
    test_start: str
    test_end: str

    def __post_init__(self) -> None:
        order = [self.train_end, self.validation_start, self.validation_end, self.test_start]
        order.append(self.test_end)
        stamps = [pd.Timestamp(d) for d in order]
        if self.train_start is not None and pd.Timestamp(self.train_start) > stamps[0]:
            raise ConfigError(f"{self}: train_start is after train_end.")
        if not (stamps[0] < stamps[1] <= stamps[2] < stamps[3] <= stamps[4]):
            raise ConfigError(
                f"{self}: the ranges must be ordered and disjoint: training ends before "
                "validation starts, validation ends before the test starts."
            )


def rolling_windows(
    first: str,
    last: str,
    train_years: int = 5,
    validation_months: int = 12,
    test_months: int = 12,
    anchored: bool = False,
) -> list[Window]:
    """Calendar windows from ``first`` to ``last``, rolled forward by the test length.

    Args:
        first: First training date.
        last: No test range ends after this date.
        train_years: Length of each training range.
        validation_months: Length of each validation range.
        test_months: Length of each test range, and the step between windows.
        anchored: Keep every training range starting at ``first`` (expanding window).
    """
    day = pd.Timedelta(days=1)
    start, end = pd.Timestamp(first), pd.Timestamp(last)
    windows = []
    while True:
        train_end = start + pd.DateOffset(years=train_years) - day
        validation_end = train_end + pd.DateOffset(months=validation_months)
        test_end = validation_end + pd.DateOffset(months=test_months)
        if test_end > end:
            break
        windows.append(
            Window(
                str(pd.Timestamp(first).date()) if anchored else str(start.date()),
                str(train_end.date()),
                str((train_end + day).date()),
                str(validation_end.date()),
                str((validation_end + day).date()),
                str(test_end.date()),
            )
        )
        start = start + pd.DateOffset(months=test_months)
    if not windows:
        raise ConfigError(f"No window of that size fits between {first} and {last}.")
    return windows


def backtest_target(target: EnvTarget, start: str, end: str) -> EnvTarget:
    """``target`` as a backtest of the range ``start`` to ``end``."""
    return EnvTarget(target.id, {**target.kwargs, "mode": "backtest", "start": start, "end": end})


def walk_forward(
    agent_name: str,
    target: EnvTarget,
    windows: Sequence[Window],
    candidates: Sequence[dict[str, Any]] = ({},),
    seeds: Sequence[int] = (0,),
    train_steps: int = 0,
    selection_metric: str = "sharpe",
    max_steps: int = 100_000,
) -> pd.DataFrame:
    """Walk-forward backtest of one agent (see the module docstring).

    Args:
        agent_name: A registered trading agent: a baseline or ``drl``.
        target: The market environment; its ``mode``, ``start`` and ``end`` are replaced
            per window.
        windows: The windows, e.g. from :func:`rolling_windows`.
        candidates: Parameter sets to select among on validation.
        seeds: Training seeds of learners (selection is made per seed); baselines use one.
        train_steps: Environment steps per training run (learners only).
        selection_metric: Metric maximized on the validation range.
        max_steps: Longest backtest, in steps (the episode ends at the range's end).

    Returns:
        One row per window, phase (``validation`` or ``test``), candidate and seed:
        ``window``, ``phase``, ``candidate`` (its index), ``params`` (JSON), ``seed``,
        ``selected``, the date range and the environment's metrics.
    """
    learns = _learns(agent_name)
    if learns and train_steps < 1:
        raise ConfigError(f"{agent_name} learns: give train_steps >= 1.")
    rows: list[dict[str, Any]] = []
    for w, window in enumerate(windows):
        validation = backtest_target(target, window.validation_start, window.validation_end)
        test = backtest_target(target, window.test_start, window.test_end)
        for seed in seeds if learns else (None,):
            scored = []
            for c, params in enumerate(candidates):
                if learns:
                    policy = make_agent(
                        agent_name,
                        validation,
                        **params,
                        train_start=window.train_start,
                        train_end=window.train_end,
                    )
                    policy.fit(train_steps, seed=int(seed or 0))
                else:
                    policy = make_agent(agent_name, validation, **params)
                table = evaluate(policy, [0], max_steps=max_steps)
                score = float(table[selection_metric].iloc[0])
                scored.append((score, c, policy))
                rows.append(_row(w, "validation", c, params, seed, window, table))
            best = max(scored, key=lambda item: (_finite(item[0]), -item[1]))
            _, chosen, policy = best
            for row in rows:
                if row["window"] == w and row["seed"] == seed and row["phase"] == "validation":
                    row["selected"] = row["candidate"] == chosen
            if learns:
                policy.target = test  # the trained network acts on the test range
            else:
                policy = make_agent(agent_name, test, **candidates[chosen])
            table = evaluate(policy, [0], max_steps=max_steps)
            rows.append(_row(w, "test", chosen, candidates[chosen], seed, window, table, True))
    return pd.DataFrame(rows)


def _learns(agent_name: str) -> bool:
    from gymnasium.envs.registration import load_env_creator

    if agent_name not in AGENTS:
        raise ConfigError(f"Unknown agent {agent_name!r}.")
    return bool(getattr(load_env_creator(AGENTS[agent_name].factory), "learns", False))


def _finite(value: float) -> float:
    return value if value == value else float("-inf")  # NaN ranks last


def _row(
    window: int,
    phase: str,
    candidate: int,
    params: dict[str, Any],
    seed: int | None,
    dates: Window,
    table: pd.DataFrame,
    selected: bool = False,
) -> dict[str, Any]:
    start, end = (
        (dates.validation_start, dates.validation_end)
        if phase == "validation"
        else (dates.test_start, dates.test_end)
    )
    metrics = table.drop(columns=["agent", "env_id", "seed"]).iloc[0].to_dict()
    return {
        "window": window,
        "phase": phase,
        "candidate": candidate,
        "params": json.dumps(params, sort_keys=True),
        "seed": seed,
        "selected": selected,
        "train_start": dates.train_start,
        "train_end": dates.train_end,
        "start": start,
        "end": end,
        **metrics,
    }
