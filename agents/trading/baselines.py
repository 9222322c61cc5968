"""Baselines that apply to more than one trading environment."""

from __future__ import annotations

from typing import Any

import numpy as np

from fieldgym.agents.base import Policy
from fieldgym.agents.target import EnvTarget
from fieldgym.envs.core.errors import ConfigError


class BuyAndHold(Policy):
    """Buy on the first day and hold: 1/N in a portfolio, the longest position in one stock.

    Args:
        target: ``PortfolioAllocation-v1`` or ``StockTrading-v1``.

    Raises:
        ConfigError: For any other environment.
    """

    name = "buy_and_hold"

    def __init__(self, target: EnvTarget) -> None:
        super().__init__(target)
        from fieldgym.envs.trading.portfolio.config import PortfolioConfig

        config = target.config
        if isinstance(config, PortfolioConfig):
            from fieldgym.agents.trading.portfolio import BuyAndHold as PortfolioBuyAndHold

            self.inner: Policy = PortfolioBuyAndHold(target)
        else:
            try:
                from fieldgym.agents.trading.stock import LongOnly
            except ImportError as exc:  # pragma: no cover - the stock env is optional here
                raise ConfigError(f"buy_and_hold does not apply to {target.id}.") from exc
            self.inner = LongOnly(target)

    def reset(self, seed: int | None = None) -> None:
        self.inner.reset(seed)

    def act(self, observation: np.ndarray) -> Any:
        return self.inner.act(observation)
