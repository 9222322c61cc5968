"""The natively vectorized edge-computing offloading environment."""

from __future__ import annotations

from typing import Any

import numpy as np
from gymnasium import spaces
from gymnasium.vector import AutoresetMode, VectorEnv
from gymnasium.vector.utils import batch_space

from fieldgym.envs.core.rewards import resolve_reward
from fieldgym.envs.wireless.offloading_config import OffloadingConfig
from fieldgym.envs.wireless.offloading_env import REWARD_SPACE, make_config, observation_space
from fieldgym.envs.wireless.offloading_reward import (
    REWARDS,
    reward_parts,
    reward_weights,
    step_kpis,
    vector_reward,
)
from fieldgym.envs.wireless.offloading_system import OffloadingSystem


class EdgeOffloadingVectorEnv(VectorEnv):
    """``num_envs`` copies of :class:`~fieldgym.envs.wireless.offloading_env.EdgeOffloadingEnv`.

    Made by ``gymnasium.make_vec("fieldgym/EdgeOffloading-v0", num_envs=n)``. Each copy
    is truncated after ``max_episode_steps`` tasks and reset in the same step
    (``AutoresetMode.SAME_STEP``): the returned observation is the new episode's first,
    ``infos["final_obs"]`` the finished episode's last. ``infos["kpi"]``,
    ``infos["reward_parts"]`` and ``infos["vector_reward"]`` (``(n, 2)``) have one row
    per copy.
    """

    metadata = {"autoreset_mode": AutoresetMode.SAME_STEP, "render_modes": []}

    def __init__(
        self,
        num_envs: int = 1,
        config: OffloadingConfig | dict[str, Any] | None = None,
        max_episode_steps: int | None = 200,
        **fields: Any,
    ) -> None:
        self.config = make_config(config, fields)
        self.num_envs = num_envs
        self.max_episode_steps = max_episode_steps
        self.system = OffloadingSystem(self.config, num_copies=num_envs)
        self.layout = self.system.layout
        self.single_action_space = spaces.Discrete(self.config.num_actions)
        self.single_observation_space = observation_space(self.config)
        self.action_space = batch_space(self.single_action_space, num_envs)
        self.observation_space = batch_space(self.single_observation_space, num_envs)
        self.reward_space = REWARD_SPACE
        self._reward = resolve_reward(self.config.reward, REWARDS)

    def reset(
        self, *, seed: int | list[int] | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        if isinstance(seed, list):
            seed = seed[0]
        super().reset(seed=seed)
        self.system.reset(self.np_random)
        return self.system.observe(), {"preference": self.system.preference.copy()}

    def step(
        self, actions: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]:
        system = self.system
        observations, record = system.step(actions, self.np_random)
        parts = reward_parts(record, self.config)
        rewards = np.asarray(self._reward(parts, reward_weights(record), self.config))
        infos: dict[str, Any] = {
            "vector_reward": vector_reward(record),
            "reward_parts": parts,
            "kpi": step_kpis(record, self.config),
        }
        terminated = np.zeros(self.num_envs, dtype=bool)
        truncated = np.zeros(self.num_envs, dtype=bool)
        if self.max_episode_steps is not None:
            truncated = system.t >= self.max_episode_steps
            if truncated.any():
                infos["final_obs"] = observations.copy()
                infos["_final_obs"] = truncated.copy()
                system.reset(self.np_random, truncated)
                observations[truncated] = system.observe()[truncated]
        return observations, rewards, terminated, truncated, infos
