"""Baselines for ``fieldgym/StockTrading-v1``."""

from __future__ import annotations

import numpy as np

from fieldgym.agents.base import Policy
from fieldgym.agents.target import EnvTarget
from fieldgym.envs.core.errors import ConfigError
from fieldgym.envs.trading.stock.config import StockConfig


class LongOnly(Policy):
    """Buy and hold: the largest long position of the action set, every bar.

    Holding one target position trades only to keep it (a position of 1 never trades after
    the first fill; a fraction below 1 rebalances as prices move).
    """

    name = "buy_and_hold"

    def __init__(self, target: EnvTarget) -> None:
        super().__init__(target)
        config = target.config
        if not isinstance(config, StockConfig):
            raise ConfigError(f"LongOnly is a StockTrading-v1 baseline, not one for {target.id}.")
        self.action = int(np.argmax(config.positions))

    def act(self, observation: np.ndarray) -> int:
        return self.action
