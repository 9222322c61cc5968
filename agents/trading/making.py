"""The Avellaneda-Stoikov quotes, baseline of ``fieldgym/MarketMaking-v1``."""

from __future__ import annotations

import math

import numpy as np

from fieldgym.agents.base import Policy
from fieldgym.agents.target import EnvTarget
from fieldgym.envs.core.config import check_number
from fieldgym.envs.core.errors import ConfigError
from fieldgym.envs.trading.making.config import MarketMakingConfig
from fieldgym.envs.trading.making.dynamics import OBSERVATION


class AvellanedaStoikov(Policy):
    """Quotes around the reservation price ``r = S - q gamma sigma^2 (T - t)``.

    The total spread is ``gamma sigma^2 (T - t) + (2 / gamma) ln(1 + gamma / k)``
    (Avellaneda and Stoikov, 2008, eqs. 29-30), so the distances from the mid are
    ``delta_a = spread / 2 - q gamma sigma^2 (T - t)`` and ``delta_b = spread / 2 + q gamma
    sigma^2 (T - t)``. With discrete actions the nearest grid pair is quoted.

    Args:
        target: A ``MarketMaking-v1`` environment.
        risk_aversion: ``gamma``, the dealer's CARA risk aversion (the paper uses 0.1).
    """

    name = "avellaneda_stoikov"

    def __init__(self, target: EnvTarget, risk_aversion: float = 0.1) -> None:
        super().__init__(target)
        config = target.config
        if not isinstance(config, MarketMakingConfig):
            raise ConfigError(
                f"avellaneda_stoikov is a market making baseline, not for {target.id}."
            )
        check_number("risk_aversion", risk_aversion, low=0, low_inclusive=False)
        self.config = config
        self.gamma = float(risk_aversion)
        grid = np.linspace(0.0, config.max_distance, config.levels)
        self.grid = grid

    def quotes(self, observation: np.ndarray) -> tuple[float, float]:
        """Bid and ask distances from the mid for an observation."""
        config, gamma = self.config, self.gamma
        left = float(observation[OBSERVATION.time_left]) * config.horizon
        q = round(float(observation[OBSERVATION.inventory]) * config.max_inventory)
        skew = q * gamma * config.volatility**2 * left
        spread = gamma * config.volatility**2 * left + 2.0 / gamma * math.log1p(
            gamma / config.decay
        )
        return spread / 2 + skew, spread / 2 - skew

    def act(self, observation: np.ndarray) -> int | np.ndarray:
        bid, ask = self.quotes(observation)
        if self.config.action_type == "box":
            bound = self.config.max_distance
            return np.clip(np.array([bid, ask], dtype=np.float32), -bound, bound)
        i = int(np.argmin(np.abs(self.grid - bid)))
        j = int(np.argmin(np.abs(self.grid - ask)))
        return i * self.config.levels + j
