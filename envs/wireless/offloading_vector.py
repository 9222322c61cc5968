"""The natively vectorized edge-computing offloading environment."""

from __future__ import annotations

from typing import Any

import numpy as np
from gymnasium import spaces
from gymnasium.vector import AutoresetMode

from fieldgym.envs.core.rewards import resolve_reward
from fieldgym.envs.core.vector import BatchVectorEnv, truncation
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


class EdgeOffloadingVectorEnv(BatchVectorEnv):
    """``num_envs`` copies of :class:`~fieldgym.envs.wireless.offloading_env.EdgeOffloadingEnv`.

    Made by ``gymnasium.make_vec("fieldgym/EdgeOffloading-v1", num_envs=n)``. Each copy
    is truncated after ``max_episode_steps`` tasks and reset in the same step
    (by default; ``AutoresetMode.SAME_STEP``): the returned observation is the new episode's first,
    ``infos["final_obs"]`` the finished episode's last. ``infos["kpi"]``,
    ``infos["reward_parts"]`` and ``infos["vector_reward"]`` (``(n, 2)``) have one row
    per copy.
    """

    def __init__(
        self,
        num_envs: int = 1,
        config: OffloadingConfig | dict[str, Any] | None = None,
        max_episode_steps: int | None = 200,
        autoreset_mode: AutoresetMode | str = AutoresetMode.SAME_STEP,
        **fields: Any,
    ) -> None:
        self.config = make_config(config, fields)
        self.max_episode_steps = max_episode_steps
        self.system = OffloadingSystem(self.config, num_copies=num_envs)
        self.layout = self.system.layout
        self._set_spaces(
            num_envs,
            observation_space(self.config),
            spaces.Discrete(self.config.num_actions),
            self.config.action_policy,
            autoreset_mode,
        )
        self.reward_space = REWARD_SPACE
        self._reward = resolve_reward(self.config.reward, REWARDS)

    def _reset_copies(self, mask: np.ndarray | None) -> None:
        self.system.reset(self.streams.rows(mask), mask)

    def _observe_all(self) -> np.ndarray:
        return self.system.observe()

    def _reset_info(self) -> dict[str, Any]:
        return {"preference": self.system.preference.copy()}

    def _advance(
        self, actions: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]:
        system = self.system
        observations, record = system.step(actions, self.streams)
        parts = reward_parts(record, self.config)
        rewards = np.asarray(self._reward(parts, reward_weights(record), self.config))
        infos: dict[str, Any] = {
            "vector_reward": vector_reward(record),
            "reward_parts": parts,
            "kpi": step_kpis(record, self.config),
        }
        terminated = np.zeros(self.num_envs, dtype=bool)
        return (
            observations,
            rewards,
            terminated,
            truncation(system.t, self.max_episode_steps),
            infos,
        )
