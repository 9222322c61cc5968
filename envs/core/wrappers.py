"""Observation flattening and KPI recording, shared by every domain."""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces
from gymnasium.vector import VectorEnv


def flatten_observation(env: gym.Env | VectorEnv) -> gym.Env | VectorEnv:
    """Flatten a ``Dict`` (or ``Tuple``) observation into one float32 ``Box``; others pass through.

    Works on single and natively vectorized environments alike.
    """
    if isinstance(env, VectorEnv):
        if isinstance(env.single_observation_space, spaces.Dict | spaces.Tuple):
            return gym.wrappers.vector.FlattenObservation(env)
        return env
    if isinstance(env.observation_space, spaces.Dict | spaces.Tuple):
        return gym.wrappers.FlattenObservation(env)
    return env


class RecordKPIs(gym.Wrapper):
    """Records ``info["kpi"]`` and ``info["reward_parts"]`` over an episode.

    After each step, :attr:`kpis` maps each KPI name to the list of its per-step
    values since the last reset; :meth:`episode` returns them as arrays (one row per
    step), ready for the domain's metrics function. An env that dates its steps
    (``info["date"]``, the market envs) also gets a ``date`` array of ISO strings.
    """

    def __init__(self, env: gym.Env) -> None:
        super().__init__(env)
        self.kpis: dict[str, list[Any]] = {}
        self.rewards: list[float] = []

    def reset(self, **kwargs: Any) -> tuple[Any, dict[str, Any]]:
        self.kpis = {}
        self.rewards = []
        return self.env.reset(**kwargs)

    def step(self, action: Any) -> tuple[Any, float, bool, bool, dict[str, Any]]:
        obs, reward, terminated, truncated, info = self.env.step(action)
        self.rewards.append(float(reward))
        for group in ("kpi", "reward_parts"):
            prefix = "" if group == "kpi" else "reward_part/"
            for name, value in info.get(group, {}).items():
                self.kpis.setdefault(prefix + name, []).append(np.copy(value))
        if "date" in info:
            self.kpis.setdefault("date", []).append(str(info["date"]))
        return obs, reward, terminated, truncated, info

    def episode(self) -> dict[str, np.ndarray]:
        """The episode so far: each KPI as an array with one row per step, plus ``reward``."""
        out = {name: np.asarray(values) for name, values in self.kpis.items()}
        out["reward"] = np.asarray(self.rewards)
        return out
