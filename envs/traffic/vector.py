"""The natively vectorized single-intersection environment (built-in simulator)."""

from __future__ import annotations

from typing import Any

import numpy as np
from gymnasium import spaces
from gymnasium.vector import AutoresetMode, VectorEnv
from gymnasium.vector.utils import batch_space

from fieldgym.envs.core.rewards import resolve_reward
from fieldgym.envs.traffic.config import TrafficConfig
from fieldgym.envs.traffic.env import check_single, make_config
from fieldgym.envs.traffic.reward import REWARDS, int_columns, reward_parts, step_kpis
from fieldgym.envs.traffic.system import make_system


class TrafficSignalVectorEnv(VectorEnv):
    """``num_envs`` copies of :class:`~fieldgym.envs.traffic.env.TrafficSignalEnv` as one batch.

    Made by ``gymnasium.make_vec("fieldgym/TrafficSignal-v0", num_envs=n)``. The built-in
    simulator advances all copies in one compiled call; with ``backend="sumo"`` the copies
    are separate SUMO simulations stepped in turn (``sumo_interface="traci"`` for more
    than one). Each copy is truncated
    after ``max_episode_steps`` decisions and reset in the same step
    (``AutoresetMode.SAME_STEP``): the returned observation is the new episode's first, and
    ``infos["final_obs"]`` holds the last one of the finished episode. ``infos["kpi"]`` and
    ``infos["reward_parts"]`` hold arrays with one row per copy.
    """

    metadata = {"autoreset_mode": AutoresetMode.SAME_STEP, "render_modes": []}

    def __init__(
        self,
        num_envs: int = 1,
        config: TrafficConfig | dict[str, Any] | None = None,
        preset: str | None = None,
        max_episode_steps: int | None = 720,
        **fields: Any,
    ) -> None:
        self.config = make_config(config, preset, fields)
        check_single(self.config)
        self.num_envs = num_envs
        self.max_episode_steps = max_episode_steps
        self.system = make_system(self.config, num_envs)
        self.layout = self.system.layout
        self.single_action_space = spaces.Discrete(self.system.num_phases)
        high = self.system.high[0]
        self.single_observation_space = spaces.Box(np.zeros_like(high), high, dtype=np.float32)
        self.action_space = batch_space(self.single_action_space, num_envs)
        self.observation_space = batch_space(self.single_observation_space, num_envs)
        self._reward = resolve_reward(self.config.reward, REWARDS)
        self._steps = np.zeros(num_envs, dtype=np.int64)

    def reset(
        self, *, seed: int | list[int] | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        if isinstance(seed, list):
            seed = seed[0]
        super().reset(seed=seed)
        self._steps[:] = 0
        return self.system.reset(self.np_random)[:, 0], {}

    def step(
        self, actions: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]:
        system = self.system
        obs, rec_int, rec_net = system.step(np.asarray(actions), self.np_random)
        parts = reward_parts(int_columns(rec_int))
        rewards = np.asarray(self._reward(parts, self.config.reward_weights, self.config))[:, 0]
        kpis = step_kpis(rec_int[:, 0], rec_net, obs[:, 0], self.layout)
        infos: dict[str, Any] = {
            "reward_parts": {name: value[:, 0] for name, value in parts.items()},
            "kpi": kpis,
        }
        observations = obs[:, 0]
        self._steps += 1
        terminated = np.zeros(self.num_envs, dtype=bool)
        truncated = np.zeros(self.num_envs, dtype=bool)
        if self.max_episode_steps is not None:
            truncated = self._steps >= self.max_episode_steps
            if truncated.any():
                infos["final_obs"] = observations.copy()
                infos["_final_obs"] = truncated.copy()
                self._steps[truncated] = 0
                observations[truncated] = system.reset(self.np_random, truncated)[truncated, 0]
        return observations, rewards, terminated, truncated, infos

    def close_extras(self, **kwargs: Any) -> None:
        self.system.close()
