"""The natively vectorized portfolio allocation environment."""

from __future__ import annotations

from typing import Any

import numpy as np
from gymnasium.vector import AutoresetMode, VectorEnv
from gymnasium.vector.utils import batch_space

from fieldgym.envs.core.rewards import resolve_reward
from fieldgym.envs.trading.portfolio.config import PortfolioConfig
from fieldgym.envs.trading.portfolio.dynamics import PortfolioSystem
from fieldgym.envs.trading.portfolio.env import action_space, observation_space
from fieldgym.envs.trading.portfolio.reward import REWARDS, reward_parts, step_kpis


class PortfolioAllocationVectorEnv(VectorEnv):
    """``num_envs`` copies of :class:`PortfolioAllocationEnv` advanced as one batch.

    Made by ``gymnasium.make_vec("fieldgym/PortfolioAllocation-v0", num_envs=n)``. The
    copies share one read-only price history. A copy is truncated after
    ``max_episode_steps`` days or when its price history is exhausted, and reset in the
    same step (``AutoresetMode.SAME_STEP``): the returned observation is the new episode's
    first, ``infos["final_obs"]`` holds the finished episode's last. New start dates are
    drawn from the vector env's own ``np_random`` in copy order, as the single env draws
    them, so copy 0 retraces a single env seeded alike.
    """

    metadata = {"autoreset_mode": AutoresetMode.SAME_STEP, "render_modes": []}

    def __init__(
        self,
        num_envs: int = 1,
        config: PortfolioConfig | dict[str, Any] | None = None,
        max_episode_steps: int | None = 252,
        **fields: Any,
    ) -> None:
        self.config = PortfolioConfig.build(config, **fields)
        self.num_envs = num_envs
        self.max_episode_steps = max_episode_steps
        self.system = PortfolioSystem(self.config, num_envs, max_episode_steps)
        self.layout = self.system.layout
        self.tickers = self.system.tickers
        self.single_action_space = action_space(self.system)
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
        observations, record, truncated = system.step(actions)
        parts = reward_parts(record)
        rewards = np.asarray(self._reward(parts, self.config.reward_weights, self.config))
        infos: dict[str, Any] = {"reward_parts": parts, "kpi": step_kpis(record)}
        terminated = np.zeros(self.num_envs, dtype=bool)
        if truncated.any():
            # the finished copies' last observations; other rows are zeros (see _final_obs)
            final = np.zeros_like(observations)
            final[truncated] = observations[truncated]
            infos["final_obs"] = final
            infos["_final_obs"] = truncated.copy()
            system.observe(observations, system.reset(self.np_random, truncated))
        return observations, rewards, terminated, truncated, infos
