"""The natively vectorized quantum architecture search environment."""

from __future__ import annotations

from typing import Any

import numpy as np
from gymnasium import spaces
from gymnasium.vector import AutoresetMode

from fieldgym.envs.core.rewards import resolve_reward
from fieldgym.envs.core.vector import BatchVectorEnv, truncation
from fieldgym.envs.quantum.config import QuantumConfig
from fieldgym.envs.quantum.dynamics import CircuitSystem
from fieldgym.envs.quantum.env import check_ready, choose_patterns, observation_space
from fieldgym.envs.quantum.reward import REWARDS, reward_parts, step_kpis
from fieldgym.envs.quantum.state import RECORD


class QuantumArchitectureSearchVectorEnv(BatchVectorEnv):
    """``num_envs`` copies of :class:`QuantumArchitectureSearchEnv` advanced as one batch.

    Made by ``gymnasium.make_vec("fieldgym/QuantumArchitectureSearch-v1", num_envs=n)``.
    A copy ends when it reaches the success threshold (terminated) or after
    ``min(max_gates, max_episode_steps)`` gates (truncated; at ``max_episode_steps`` even
    if it terminated too, as ``TimeLimit`` does) and is reset in the same step (by
    default; ``AutoresetMode.SAME_STEP``): the returned observation is the new episode's
    first, and ``infos["final_obs"]`` holds the last one of the finished episode. Copy
    ``i``'s noise patterns come from its own stream, so it retraces a single env seeded
    ``s + i`` (see :class:`~fieldgym.envs.core.vector.BatchVectorEnv`). ``infos["kpi"]``
    and ``infos["reward_parts"]`` hold arrays with one row per copy.
    """

    def __init__(
        self,
        num_envs: int = 1,
        config: QuantumConfig | dict[str, Any] | None = None,
        preset: str | None = None,
        max_episode_steps: int | None = None,
        autoreset_mode: AutoresetMode | str = AutoresetMode.SAME_STEP,
        **fields: Any,
    ) -> None:
        self.config = QuantumConfig.make(config, preset, fields)
        self.system = CircuitSystem(self.config, num_copies=num_envs)
        check_ready(self.system)
        self.actions = self.system.actions
        self.max_episode_steps = max_episode_steps
        self._set_spaces(
            num_envs,
            observation_space(self.system),
            spaces.Discrete(len(self.actions)),
            self.config.action_policy,
            autoreset_mode,
        )
        self._options: dict[str, Any] | None = None
        self._reward = resolve_reward(self.config.reward, REWARDS)

    def reset(
        self, *, seed: int | list[int] | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        self._options = options  # noise patterns may be chosen in options (first reset only)
        try:
            return super().reset(seed=seed, options=options)
        finally:
            self._options = None

    def _reset_copies(self, mask: np.ndarray | None) -> None:
        count = self.num_envs if mask is None else int(mask.sum())
        patterns = choose_patterns(self.config, self.streams.rows(mask), count, self._options)
        if mask is None:
            self.system.reset(patterns=patterns)
        else:
            self.system.reset(mask, patterns)

    def _observe_all(self) -> np.ndarray:
        return self.system.observe()

    def _advance(
        self, actions: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]:
        actions = np.asarray(actions, dtype=np.int64).reshape(self.num_envs)  # checked in step
        system = self.system
        observations, record = system.step(actions)
        threshold = self.config.success_threshold
        columns = list(record.T)
        parts = reward_parts(columns, threshold)
        rewards = np.asarray(self._reward(parts, self.config.reward_weights, self.config))
        infos: dict[str, Any] = {"reward_parts": parts, "kpi": step_kpis(columns, threshold)}
        terminated = record[:, RECORD.fidelity] >= threshold
        # the single env's own truncation, then TimeLimit's (which holds even if terminated)
        truncated = ~terminated & (system.t >= self.config.max_gates)
        truncated |= truncation(system.t, self.max_episode_steps)
        return observations, rewards, terminated, truncated, infos
