"""The natively vectorized portfolio allocation environment."""

from __future__ import annotations

from typing import Any

import numpy as np
from gymnasium.vector import AutoresetMode

from fieldgym.envs.core.rewards import resolve_reward
from fieldgym.envs.trading.common import DatedMarketVectorEnv
from fieldgym.envs.trading.portfolio.config import PortfolioConfig
from fieldgym.envs.trading.portfolio.dynamics import PortfolioSystem
from fieldgym.envs.trading.portfolio.env import action_space, observation_space
from fieldgym.envs.trading.portfolio.reward import REWARDS, STEP_RECORD


class PortfolioAllocationVectorEnv(DatedMarketVectorEnv):
    """``num_envs`` copies of :class:`PortfolioAllocationEnv` advanced as one batch.

    Made by ``gymnasium.make_vec("fieldgym/PortfolioAllocation-v1", num_envs=n)``. The
    copies share one read-only price history. A copy is truncated after
    ``max_episode_steps`` days or when its price history is exhausted, and reset in the
    same step (by default; ``AutoresetMode.SAME_STEP``): the returned observation is the
    new episode's first, ``infos["final_obs"]`` holds the finished episode's last. Copy
    ``i`` draws its start dates from its own stream, so it retraces a single env seeded
    ``s + i`` (see :class:`~fieldgym.envs.core.vector.BatchVectorEnv`).
    """

    step_record = STEP_RECORD

    def __init__(
        self,
        num_envs: int = 1,
        config: PortfolioConfig | dict[str, Any] | None = None,
        max_episode_steps: int | None = 252,
        autoreset_mode: AutoresetMode | str = AutoresetMode.SAME_STEP,
        **fields: Any,
    ) -> None:
        self.config = PortfolioConfig.build(config, **fields)
        self.max_episode_steps = max_episode_steps
        self.system = PortfolioSystem(self.config, num_envs, max_episode_steps)
        self.layout = self.system.layout
        self.tickers = self.system.tickers
        self._set_spaces(
            num_envs,
            observation_space(self.system),
            action_space(self.system),
            self.config.action_policy,
            autoreset_mode,
        )
        self._reward = resolve_reward(self.config.reward, REWARDS)

    def _observe(self, out: np.ndarray | None = None, rows: np.ndarray | None = None) -> np.ndarray:
        if out is None:
            return self.system.observe()
        self.system.observe(out, rows)
        return out
