"""The natively vectorized single-stock trading environment."""

from __future__ import annotations

from typing import Any

from gymnasium import spaces
from gymnasium.vector import AutoresetMode

from fieldgym.envs.core.rewards import resolve_reward
from fieldgym.envs.trading.common import DatedMarketVectorEnv
from fieldgym.envs.trading.stock.config import StockConfig
from fieldgym.envs.trading.stock.dynamics import StockSystem
from fieldgym.envs.trading.stock.env import observation_space
from fieldgym.envs.trading.stock.reward import REWARDS, STEP_RECORD


class StockTradingVectorEnv(DatedMarketVectorEnv):
    """``num_envs`` copies of :class:`StockTradingEnv` advanced as one batch.

    Made by ``gymnasium.make_vec("fieldgym/StockTrading-v1", num_envs=n)``. A copy ends on
    ruin (terminated), at the range's last bar or after ``max_episode_steps`` (truncated),
    and is reset in the same step (by default; ``AutoresetMode.SAME_STEP``; ``infos["final_obs"]``
    holds the finished episode's last observation). Copy ``i`` draws its start
    bars from its own stream, so it retraces a single env seeded ``s + i`` (see
    :class:`~fieldgym.envs.core.vector.BatchVectorEnv`).
    """

    step_record = STEP_RECORD

    def __init__(
        self,
        num_envs: int = 1,
        config: StockConfig | dict[str, Any] | None = None,
        max_episode_steps: int | None = 252,
        autoreset_mode: AutoresetMode | str = AutoresetMode.SAME_STEP,
        **fields: Any,
    ) -> None:
        self.config = StockConfig.build(config, **fields)
        self.system = StockSystem(self.config, num_envs, max_episode_steps)
        self.feature_names = self.system.feature_names
        self._set_spaces(
            num_envs,
            observation_space(self.system),
            spaces.Discrete(len(self.config.positions)),
            self.config.action_policy,
            autoreset_mode,
        )
        self._reward = resolve_reward(self.config.reward, REWARDS)
