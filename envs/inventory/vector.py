"""The natively vectorized multi-echelon inventory environment."""

from __future__ import annotations

from typing import Any

import numpy as np
from gymnasium.vector import AutoresetMode

from fieldgym.envs.core.rewards import resolve_reward
from fieldgym.envs.core.vector import BatchVectorEnv, truncation
from fieldgym.envs.inventory.config import InventoryConfig
from fieldgym.envs.inventory.dynamics import InventorySystem
from fieldgym.envs.inventory.env import action_space, observation_space
from fieldgym.envs.inventory.reward import REWARDS, reward_parts, step_kpis


class MultiEchelonInventoryVectorEnv(BatchVectorEnv):
    """``num_envs`` copies of :class:`MultiEchelonInventoryEnv` advanced as one batch.

    Made by ``gymnasium.make_vec("fieldgym/MultiEchelonInventory-v1", num_envs=n)``. Each
    copy is truncated after ``max_episode_steps`` periods and reset in the same step
    (by default; ``AutoresetMode.SAME_STEP``): the returned observation is the new episode's first,
    and ``infos["final_obs"]`` holds the last one of the finished episode.
    ``infos["kpi"]`` and ``infos["reward_parts"]`` hold arrays with one row per copy.
    """

    def __init__(
        self,
        num_envs: int = 1,
        config: InventoryConfig | dict[str, Any] | None = None,
        preset: str | None = None,
        max_episode_steps: int | None = 100,
        autoreset_mode: AutoresetMode | str = AutoresetMode.SAME_STEP,
        **fields: Any,
    ) -> None:
        self.config = InventoryConfig.make(config, preset, fields)
        self.max_episode_steps = max_episode_steps
        self.system = InventorySystem(self.config, num_copies=num_envs)
        self.layout = self.system.layout
        self._set_spaces(
            num_envs,
            observation_space(self.system),
            action_space(self.config),
            self.config.action_policy,
            autoreset_mode,
        )
        self._reward = resolve_reward(self.config.reward, REWARDS)

    def _reset_copies(self, mask: np.ndarray | None) -> None:
        self.system.reset(mask)

    def _observe_all(self) -> np.ndarray:
        return self.system.observe()

    def _advance(
        self, actions: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]:
        system = self.system
        observations, record = system.step(system.orders_from_action(actions), self.streams)
        parts = reward_parts(record, system.columns)
        rewards = np.asarray(self._reward(parts, self.config.reward_weights, self.config))
        infos: dict[str, Any] = {"reward_parts": parts, "kpi": step_kpis(record, system.columns)}
        terminated = np.zeros(self.num_envs, dtype=bool)
        return (
            observations,
            rewards,
            terminated,
            truncation(system.t, self.max_episode_steps),
            infos,
        )
