"""A traffic curriculum: difficulty levels advanced on a success-rate rule.

As in the two-fold curriculum of PPO for safe driving in CARLA, training starts in easy
traffic with a mild collision penalty; when the success rate over the last ``window``
episodes reaches ``threshold``, the next level starts (denser traffic, more spread in
speeds, more aggressive drivers, see :data:`~fieldgym.envs.driving.config.LEVELS`) and the
collision penalty grows by ``collision_scales``. The last level is the environment's own
``level``, with the full collision weight, so a curriculum-trained agent ends on the task
it is evaluated on.

:class:`Curriculum` wraps a single env, :class:`VectorCurriculum` a vector env; both keep
the rule in one :class:`CurriculumSchedule` and change the level through the env's
``set_level``, which applies to episodes started afterwards.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium.vector import VectorWrapper

from fieldgym.envs.core.errors import ConfigError


class CurriculumSchedule:
    """The level and collision scale of a curriculum, and its success-rate rule.

    Args:
        target_level: The last level (the environment's own).
        start_level: The first level.
        window: Episodes over which the success rate is measured (>= 1).
        threshold: Success rate that advances to the next level, in (0, 1].
        collision_scales: Multiplier of the collision weight at each stage, first stage
            first; the last stage always uses 1. ``None``: 1 at every stage (traffic only).
    """

    def __init__(
        self,
        target_level: int,
        start_level: int = 0,
        window: int = 50,
        threshold: float = 0.8,
        collision_scales: Sequence[float] | None = (0.25, 0.5, 0.75),
    ) -> None:
        if not 0 <= start_level <= target_level:
            raise ConfigError(
                f"start_level={start_level} must be between 0 and the env's level {target_level}."
            )
        if window < 1 or not 0 < threshold <= 1:
            raise ConfigError("window must be >= 1 and threshold in (0, 1].")
        self.start_level = start_level
        self.target_level = target_level
        self.level = start_level
        self.window = window
        self.threshold = threshold
        self.collision_scales = tuple(collision_scales) if collision_scales else ()
        self.outcomes: deque[bool] = deque(maxlen=window)
        self.episodes = 0
        self.history: list[tuple[int, int]] = [(0, start_level)]
        """``(episodes so far, level)`` at the start and at every advance."""

    @property
    def collision_scale(self) -> float:
        """The collision weight's multiplier at the current stage."""
        if self.level >= self.target_level:
            return 1.0
        stage = self.level - self.start_level
        scales = self.collision_scales
        return float(scales[min(stage, len(scales) - 1)]) if scales else 1.0

    def record(self, success: bool) -> bool:
        """Count one finished episode; returns whether the level advanced."""
        self.episodes += 1
        self.outcomes.append(bool(success))
        full = len(self.outcomes) == self.window
        if self.level < self.target_level and full and np.mean(self.outcomes) >= self.threshold:
            self.level += 1
            self.outcomes.clear()
            self.history.append((self.episodes, self.level))
            return True
        return False


def _collision_weight(env: Any) -> float:
    config = env.unwrapped.config if not hasattr(env, "config") else env.config
    return float(config.reward_weights.get("collision", 1.0))


class Curriculum(gym.Wrapper):
    """The curriculum around a single driving env (``fieldgym/Driving-v1``).

    The reward is the env's plus ``(scale - 1) * collision weight * collision part``, so
    at a stage with scale ``s`` a collision costs ``s`` times the configured penalty.
    ``info["curriculum_level"]`` reports the level of the running episode.

    Args:
        env: A driving env (its ``unwrapped`` has ``set_level`` and ``config``).
        **schedule: Arguments of :class:`CurriculumSchedule` except ``target_level``.
    """

    def __init__(self, env: gym.Env, **schedule: Any) -> None:
        super().__init__(env)
        self.schedule = CurriculumSchedule(env.unwrapped.config.level, **schedule)
        self.weight = _collision_weight(env)
        env.unwrapped.set_level(self.schedule.level)
        self._collided = False

    def reset(self, **kwargs: Any) -> tuple[Any, dict[str, Any]]:
        self._collided = False
        return self.env.reset(**kwargs)

    def step(self, action: Any) -> tuple[Any, float, bool, bool, dict[str, Any]]:
        obs, reward, terminated, truncated, info = self.env.step(action)
        part = info["reward_parts"]["collision"]
        reward = float(reward) + (self.schedule.collision_scale - 1.0) * self.weight * part
        self._collided = self._collided or part < 0
        info["curriculum_level"] = self.schedule.level
        if (terminated or truncated) and self.schedule.record(not self._collided):
            self.env.unwrapped.set_level(self.schedule.level)
        return obs, reward, terminated, truncated, info


class VectorCurriculum(VectorWrapper):
    """The curriculum around a driving vector env (same rule, episodes of all copies).

    A copy's episode ends with a collision exactly when it terminates, so success is
    "truncated without terminating". ``infos["curriculum_level"]`` is the current level.
    """

    def __init__(self, env: gym.vector.VectorEnv, **schedule: Any) -> None:
        super().__init__(env)
        self.schedule = CurriculumSchedule(env.unwrapped.config.level, **schedule)
        self.weight = _collision_weight(env)
        env.unwrapped.set_level(self.schedule.level)

    def step(self, actions: Any) -> tuple[Any, Any, Any, Any, dict[str, Any]]:
        obs, rewards, terminated, truncated, infos = self.env.step(actions)
        parts = np.asarray(infos["reward_parts"]["collision"])
        rewards = rewards + (self.schedule.collision_scale - 1.0) * self.weight * parts
        for c in np.flatnonzero(terminated | truncated):
            if self.schedule.record(not terminated[c]):
                self.env.unwrapped.set_level(self.schedule.level)
        infos["curriculum_level"] = self.schedule.level
        return obs, rewards, terminated, truncated, infos
