"""The natively vectorized single-stock trading environment."""

from __future__ import annotations

from typing import Any

import numpy as np
from gymnasium import spaces
from gymnasium.vector import AutoresetMode

from fieldgym.envs.core.rewards import resolve_reward
from fieldgym.envs.core.vector import BatchVectorEnv
from fieldgym.envs.trading.stock.config import StockConfig
from fieldgym.envs.trading.stock.dynamics import StockSystem
from fieldgym.envs.trading.stock.env import observation_space
from fieldgym.envs.trading.stock.reward import REWARDS, reward_parts, step_kpis


class StockTradingVectorEnv(BatchVectorEnv):
    """``num_envs`` copies of :class:`StockTradingEnv` advanced as one batch.

    Made by ``gymnasium.make_vec("fieldgym/StockTrading-v1", num_envs=n)``. A copy ends on
    ruin (terminated), at the range's last bar or after ``max_episode_steps`` (truncated),
    and is reset in the same step (by default; ``AutoresetMode.SAME_STEP``; ``infos["final_obs"]``
    holds the finished episode's last observation). Copy ``i`` draws its start
    bars from its own stream, so it retraces a single env seeded ``s + i`` (see
    :class:`~fieldgym.envs.core.vector.BatchVectorEnv`).
    """

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

    def _reset_copies(self, mask: np.ndarray | None) -> None:
        self.system.reset(self.streams.rows(mask), mask)

    def _observe_all(self) -> np.ndarray:
        return self.system.observe()

    def _advance(
        self, actions: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]:
        observations, record, done = self.system.step(actions)
        parts = reward_parts(record)
        rewards = np.asarray(self._reward(parts, self.config.reward_weights, self.config))
        infos: dict[str, Any] = {"reward_parts": parts, "kpi": step_kpis(record)}
        terminated, truncated = done[:, 0].copy(), done[:, 1].copy()  # as the single env
        return observations, rewards, terminated, truncated, infos
