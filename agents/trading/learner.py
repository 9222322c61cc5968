"""A stable-baselines3 learner that trains on the dates before its backtest (agent ``drl``).

The scenario runner trains and evaluates an agent on one environment target. For a market
environment that target is a backtest (``mode="backtest"``, ``start``/``end`` the test
range); :class:`TradingLearner` trains on a *training* copy of it instead: the same
config with ``mode="train"`` (random start dates) and the range ``train_start`` to
``train_end``, which defaults to everything before the backtest's first date. Prices on or
after the backtest's start are never loaded for training (the environments load prices up
to their ``end`` only).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, ClassVar

import pandas as pd
from stable_baselines3.common.vec_env import VecNormalize

from fieldgym.agents.sb3 import SB3Agent
from fieldgym.agents.target import EnvTarget
from fieldgym.envs.core.errors import ConfigError

TRAINING_FILE = "trading_learner.json"
"""Where an older fieldgym kept the training range (now in the card's ``extra``)."""


def training_target(
    target: EnvTarget, train_start: str | None = None, train_end: str | None = None
) -> EnvTarget:
    """The target a learner trains on: ``target`` in training mode on the training range.

    Args:
        target: A market environment (config fields ``mode``, ``start``, ``end``).
        train_start: First training date; default: the data's first.
        train_end: Last training date; default: the day before ``target``'s ``start``.

    Raises:
        ConfigError: If ``target`` is a backtest and the training range reaches into it,
            or if no training end can be derived.
    """
    config = target.config
    if not all(hasattr(config, field) for field in ("mode", "start", "end")):
        raise ConfigError(f"{target.id} has no date range; train it with its own learner names.")
    if train_end is None:
        if config.start is None:
            raise ConfigError(
                f"Give train_end, or a start date for the backtest of {target.id}: without "
                "either, training would use the backtest's own prices."
            )
        train_end = str((pd.Timestamp(config.start) - pd.Timedelta(days=1)).date())
    if config.mode == "backtest" and config.start is None:
        raise ConfigError("A backtest target needs a start date to keep training apart from it.")
    if config.mode == "backtest" and pd.Timestamp(train_end) >= pd.Timestamp(config.start):
        raise ConfigError(
            f"train_end={train_end!r} is not before the backtest's start {config.start!r}: "
            "training would see test prices."
        )
    kwargs = {**target.kwargs, "mode": "train", "start": train_start, "end": train_end}
    return EnvTarget(target.id, kwargs)


class TradingLearner(SB3Agent):
    """Any stable-baselines3 algorithm, trained on the range before its backtest.

    Saved and loaded as :class:`SB3Agent` is (no unpickling), with the training range in
    the card.

    Args:
        target: The environment it is evaluated on (usually ``mode="backtest"``).
        algo: ``ppo``, ``a2c``, ``sac``, ``td3`` or ``dqn``.
        train_start: First training date (default: the data's first).
        train_end: Last training date (default: the day before the backtest's start).
        n_envs: Copies of the environment stepped together while training.
        normalize: Normalize observations and rewards (``VecNormalize``).
        levels: Grid points per action dimension when DQN needs a discretized ``Box``.
        policy: The SB3 policy class name.
        hyperparams: Keyword arguments of the SB3 algorithm.
    """

    learns: ClassVar[bool] = True
    hyperparams_named_by: ClassVar[str] = "algo"
    """Its tuned entries are those of its algorithm: ``hyperparams/<algo>.yml``."""

    def __init__(
        self,
        target: EnvTarget,
        algo: str = "ppo",
        train_start: str | None = None,
        train_end: str | None = None,
        n_envs: int | None = None,
        normalize: bool = True,
        levels: int = 5,
        policy: str = "MlpPolicy",
        hyperparams: dict[str, Any] | None = None,
    ) -> None:
        self.train_target = training_target(target, train_start, train_end)
        self.train_start, self.train_end = train_start, train_end
        super().__init__(target, algo, n_envs, normalize, levels, policy, hyperparams)

    def _training_env(self, n_envs: int) -> VecNormalize:
        evaluated, self.target = self.target, self.train_target
        try:
            return super()._training_env(n_envs)
        finally:
            self.target = evaluated

    def _extra_params(self) -> dict[str, Any]:
        """The training range, saved in the card by :meth:`SB3Agent.save`."""
        return {"train_start": self.train_start, "train_end": self.train_end}

    @classmethod
    def _read_card(cls, folder: Path) -> dict[str, Any]:
        """The card; an older fieldgym kept the training range in :data:`TRAINING_FILE`."""
        card = super()._read_card(folder)
        legacy = folder / TRAINING_FILE
        if "format_version" not in card and legacy.is_file():
            card["extra"] = json.loads(legacy.read_text())
        return card
