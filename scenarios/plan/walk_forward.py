"""Walk-forward scenarios: an environment with a date range, split into rolling windows.

An environment entry with a ``walk_forward`` block becomes one environment per window,
labelled ``<label>.w<k>``, each a backtest of the window's test range::

    env:
      id: fieldgym/StockTrading-v1
      label: spx
      config: {source: arch_sp500}
      walk_forward: {first: "1999-01-01", last: "2018-12-31", train_years: 8,
                     validation_months: 12, test_months: 12}

Per window and trial, a learner trains on the training range only (it must take
``train_start``/``train_end``, as ``drl`` does: its environment loads no price after the
training end), and every agent is evaluated on the validation range and on the test
range. The report then selects, per agent and window, the training seed with the best
validation score and reports its test score (model selection on validation only), next
to the mean over all seeds. Test prices reach neither training nor selection.

Its functions are the trading domain's plan hook (registered in
:data:`fieldgym.scenarios.plan.hooks.HOOKS`); the trading view's report section shows the
per-window tables.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from fieldgym.envs.core.errors import ConfigError

if TYPE_CHECKING:
    from fieldgym.scenarios.plan.spec import AgentPlan, EnvPlan, EnvSpec

Fail = Callable[[str], Exception]

RANGE_FIELDS = ("mode", "start", "end")
"""The config fields an environment needs for walk-forward scenarios (the trading ids)."""

TRAIN_RANGE = ("train_start", "train_end")
"""The parameters a learner needs to train on a window's training range."""


class WalkForwardSpec(BaseModel):
    """Rolling windows: training years, then validation and test months, rolled by the test."""

    model_config = ConfigDict(extra="forbid", strict=True)

    first: str
    """First training date (ISO)."""
    last: str
    """No test range ends after this date (ISO)."""
    train_years: Annotated[int, Field(ge=1)] = 5
    validation_months: Annotated[int, Field(ge=1)] = 12
    test_months: Annotated[int, Field(ge=1)] = 12
    anchored: bool = False
    """Keep every training range starting at ``first`` (an expanding window)."""


def windows(spec: WalkForwardSpec) -> list[dict[str, str]]:
    """The windows' dates: ``train_start`` ... ``test_end`` per window (ISO strings)."""
    from fieldgym.agents.trading.walk_forward import rolling_windows  # the one window rule

    return [
        {
            "train_start": w.train_start or spec.first,
            "train_end": w.train_end,
            "validation_start": w.validation_start,
            "validation_end": w.validation_end,
            "test_start": w.test_start,
            "test_end": w.test_end,
        }
        for w in rolling_windows(
            spec.first,
            spec.last,
            spec.train_years,
            spec.validation_months,
            spec.test_months,
            spec.anchored,
        )
    ]


def split(spec: EnvSpec, group: str, fail: Fail) -> list[tuple[EnvSpec, dict[str, str]]]:
    """One backtest of each window's test range, labelled ``<group>.w<k>``, with its dates.

    Raises:
        ConfigError: (made by ``fail``) if the environment has no date range or the
            windows do not fit between ``first`` and ``last``.
    """
    from fieldgym.agents.target import make_target
    from fieldgym.envs import ENVS

    try:
        config = make_target(spec.id, spec.kwargs).config if spec.id in ENVS else None
    except (ConfigError, TypeError, ValueError) as exc:
        raise fail(f"env {group!r}: {exc}") from exc
    fields = {f.name for f in dataclasses.fields(config)} if config is not None else set()
    if not set(RANGE_FIELDS) <= fields:
        raise fail(
            f"env {group!r}: walk_forward needs an environment with a date range "
            f"({', '.join(RANGE_FIELDS)} config fields), such as the trading "
            f"ids; {spec.id} has none."
        )
    try:
        dates = windows(spec.walk_forward)
    except (ConfigError, ValueError) as exc:
        raise fail(f"env {group!r}: walk_forward: {exc}") from exc
    return [
        (
            spec.model_copy(
                update={
                    "config": test_config(spec.config, window),
                    "label": f"{group}.w{k}",
                    "walk_forward": None,
                }
            ),
            window,
        )
        for k, window in enumerate(dates)
    ]


def check_learners(env: EnvPlan, agents: tuple[AgentPlan, ...], where: str, fail: Fail) -> None:
    """A window's learners must train on the window's training range only."""
    from gymnasium.envs.registration import load_env_creator

    from fieldgym.agents.registry import AGENTS, keyword_parameters

    for agent in agents:
        if agent.label not in env.agents or not agent.learns:
            continue
        accepted = keyword_parameters(load_env_creator(AGENTS[agent.name].factory))
        if accepted is None or not set(TRAIN_RANGE) <= accepted:
            raise fail(
                f"{where}: learner {agent.label!r} cannot be confined to the training range "
                f"(it takes no {' / '.join(TRAIN_RANGE)}); on walk-forward "
                "environments use 'drl' with params {algo: ...}."
            )


def test_config(config: dict[str, Any], window: dict[str, str]) -> dict[str, Any]:
    """The environment config of a window's test backtest."""
    return {**config, "mode": "backtest", "start": window["test_start"], "end": window["test_end"]}


def validation_kwargs(kwargs: dict[str, Any], window: dict[str, str]) -> dict[str, Any]:
    """The environment kwargs of a window's validation backtest."""
    return {
        **kwargs,
        "mode": "backtest",
        "start": window["validation_start"],
        "end": window["validation_end"],
    }


def training_params(window: dict[str, str]) -> dict[str, str]:
    """A learner's parameters that confine its training to the window's training range."""
    return {name: window[name] for name in TRAIN_RANGE}


def scores(records: list[dict[str, Any]], plan: Any) -> pd.DataFrame:
    """One row per walk-forward trial: group, window, agent, seed, validation and test score.

    Scores are the mean of the environment's headline metric over the trial's episodes.
    """
    envs = {e.label: e for e in plan.envs if e.window}
    rows = []
    for record in records:
        key = record["key"]
        env = envs.get(key["env"])
        if env is None or "validation" not in record:
            continue
        rows.append(
            {
                "group": env.group,
                "window": env.label,
                "agent": key["agent"],
                "seed": key["seed"],
                "validation": _mean(record["validation"], env.headline),
                "test": _mean(record["episodes"], env.headline),
            }
        )
    return pd.DataFrame(rows, columns=["group", "window", "agent", "seed", "validation", "test"])


def selected(table: pd.DataFrame, lower_is_better: bool) -> pd.DataFrame:
    """Per group, window and agent: the seed with the best validation score, and its test score.

    A NaN validation score ranks last; ties go to the lowest seed.
    """
    rows = []
    for (group, window, agent), runs in table.groupby(["group", "window", "agent"], sort=False):
        ranked = runs["validation"].to_numpy(dtype=float)
        ranked = np.where(np.isnan(ranked), np.inf if lower_is_better else -np.inf, ranked)
        best = int(np.argmin(ranked) if lower_is_better else np.argmax(ranked))
        chosen = runs.iloc[best]
        rows.append(
            {
                "group": group,
                "window": window,
                "agent": agent,
                "seed": chosen["seed"],
                "validation": chosen["validation"],
                "test": chosen["test"],
                "test_all_seeds": float(runs["test"].mean()),
            }
        )
    return pd.DataFrame(rows)


def _mean(episodes: list[dict[str, Any]], metric: str) -> float:
    values = [float(e[metric]) for e in episodes if e.get(metric) is not None]
    values = [v for v in values if math.isfinite(v)]
    return float(np.mean(values)) if values else math.nan
