"""The natively vectorized single-stock trading environment."""

from __future__ import annotations

from typing import Any

import numpy as np
from gymnasium import spaces
from gymnasium.vector import AutoresetMode, VectorEnv
from gymnasium.vector.utils import batch_space

from fieldgym.envs.core.rewards import resolve_reward
from fieldgym.envs.trading.stock.config import StockConfig
from fieldgym.envs.trading.stock.dynamics import StockSystem
from fieldgym.envs.trading.stock.env import observation_space
from fieldgym.envs.trading.stock.reward import REWARDS, reward_parts, step_kpis


class StockTradingVectorEnv(VectorEnv):
    """``num_envs`` copies of :class:`StockTradingEnv` advanced as one batch.

    Made by ``gymnasium.make_vec("fieldgym/StockTrading-v0", num_envs=n)``. A copy ends on
    ruin (terminated), at the range's last bar or after ``max_episode_steps`` (truncated),
    and is reset in the same step (``AutoresetMode.SAME_STEP``; ``infos["final_obs"]``
    holds the finished episode's last observation). Start bars are drawn from the vector
    env's own ``np_random`` in copy order, as the single env draws them.
    """

    metadata = {"autoreset_mode": AutoresetMode.SAME_STEP, "render_modes": []}

    def __init__(
        self,
        num_envs: int = 1,
        config: StockConfig | dict[str, Any] | None = None,
        max_episode_steps: int | None = 252,
        **fields: Any,
    ) -> None:
        self.config = StockConfig.build(config, **fields)
        self.num_envs = num_envs
        self.system = StockSystem(self.config, num_envs, max_episode_steps)
        self.feature_names = self.system.feature_names
        self.single_action_space = spaces.Discrete(len(self.config.positions))
        self.single_observation_space = observation_space(self.system)
        self.action_space = batch_space(self.single_action_space, num_envs)
        self.observation_space = batch_space(self.single_observation_space, num_envs)
        self._reward = resolve_reward(self.config.reward, REWARDS)

    def reset(
        self, *, seed: int | list[int] | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        if isinstance(seed, list):
            seed = seed[0]
        super().reset(seed=seed)
        self.system.reset(self.np_random)
        return self.system.observe(), {}

    def step(
        self, actions: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]:
        system = self.system
        observations, record, done = system.step(actions)
        parts = reward_parts(record)
        rewards = np.asarray(self._reward(parts, self.config.reward_weights, self.config))
        infos: dict[str, Any] = {"reward_parts": parts, "kpi": step_kpis(record)}
        terminated, truncated = done[:, 0].copy(), done[:, 1] & ~done[:, 0]
        finished = terminated | truncated
        if finished.any():
            final = np.zeros_like(observations)  # rows of unfinished copies stay 0
            final[finished] = observations[finished]
            infos["final_obs"] = final
            infos["_final_obs"] = finished.copy()
            rows = system.reset(self.np_random, finished)
            observations[rows] = system.observe()[rows]
        return observations, rewards, terminated, truncated, infos
