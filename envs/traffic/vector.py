"""The natively vectorized single-intersection environment (built-in simulator)."""

from __future__ import annotations

from typing import Any

import numpy as np
from gymnasium import spaces
from gymnasium.vector import AutoresetMode

from fieldgym.envs.core.rewards import resolve_reward
from fieldgym.envs.core.vector import BatchVectorEnv, truncation
from fieldgym.envs.traffic.config import TrafficConfig
from fieldgym.envs.traffic.env import single_system
from fieldgym.envs.traffic.reward import REWARDS, int_columns, reward_parts, step_kpis


class TrafficSignalVectorEnv(BatchVectorEnv):
    """``num_envs`` copies of :class:`~fieldgym.envs.traffic.env.TrafficSignalEnv` as one batch.

    Made by ``gymnasium.make_vec("fieldgym/TrafficSignal-v1", num_envs=n)``. The built-in
    simulator advances all copies in one compiled call; with ``backend="sumo"`` the copies
    are separate SUMO simulations stepped in turn (``sumo_interface="traci"`` for more
    than one; each draws from its own stream). Each copy is truncated after
    ``max_episode_steps`` decisions and reset in the same step (by default;
    ``AutoresetMode.SAME_STEP``): the returned observation is the new episode's first, and
    ``infos["final_obs"]`` holds the last one of the finished episode. ``infos["kpi"]`` and
    ``infos["reward_parts"]`` hold arrays with one row per copy.
    """

    def __init__(
        self,
        num_envs: int = 1,
        config: TrafficConfig | dict[str, Any] | None = None,
        preset: str | None = None,
        max_episode_steps: int | None = 720,
        autoreset_mode: AutoresetMode | str = AutoresetMode.SAME_STEP,
        **fields: Any,
    ) -> None:
        self.config = TrafficConfig.make(config, preset, fields)
        self.max_episode_steps = max_episode_steps
        self.system = single_system(self.config, num_envs)
        self.layout = self.system.layout
        high = self.system.high[0]
        self._set_spaces(
            num_envs,
            spaces.Box(np.zeros_like(high), high, dtype=np.float32),
            spaces.Discrete(self.system.num_phases),
            self.config.action_policy,
            autoreset_mode,
        )
        self._reward = resolve_reward(self.config.reward, REWARDS)
        self._steps = np.zeros(num_envs, dtype=np.int64)
        self._observations = np.zeros((num_envs, *high.shape), dtype=np.float32)

    def _reset_copies(self, mask: np.ndarray | None) -> None:
        fresh = self.system.reset(self.streams, mask)[:, 0]  # the system observes on reset
        rows = slice(None) if mask is None else mask
        self._steps[rows] = 0
        self._observations[rows] = fresh[rows]

    def _observe_all(self) -> np.ndarray:
        return self._observations.copy()

    def _advance(
        self, actions: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]:
        obs, rec_int, rec_net = self.system.step(np.asarray(actions), self.streams)
        parts = reward_parts(int_columns(rec_int))
        rewards = np.asarray(self._reward(parts, self.config.reward_weights, self.config))[:, 0]
        kpis = step_kpis(rec_int[:, 0], rec_net, obs[:, 0], self.layout)
        infos: dict[str, Any] = {
            "reward_parts": {name: value[:, 0] for name, value in parts.items()},
            "kpi": kpis,
        }
        self._observations = obs[:, 0].copy()
        self._steps += 1
        terminated = np.zeros(self.num_envs, dtype=bool)
        truncated = truncation(self._steps, self.max_episode_steps)
        return self._observations.copy(), rewards, terminated, truncated, infos

    def close_extras(self, **kwargs: Any) -> None:
        self.system.close()
