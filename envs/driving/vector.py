"""The natively vectorized driving environment (built-in simulator only)."""

from __future__ import annotations

from typing import Any

import numpy as np
from gymnasium.vector import AutoresetMode

from fieldgym.envs.core.errors import ConfigError
from fieldgym.envs.core.rewards import resolve_reward
from fieldgym.envs.core.vector import BatchVectorEnv, truncation
from fieldgym.envs.driving import batch, control, observe, sim
from fieldgym.envs.driving.config import LEVELS, OBSERVATION_TYPES, DrivingConfig
from fieldgym.envs.driving.env import action_space, observation_space
from fieldgym.envs.driving.reward import REWARDS
from fieldgym.envs.driving.state import SIM


class DrivingVectorEnv(BatchVectorEnv):
    """``num_envs`` copies of :class:`~fieldgym.envs.driving.env.DrivingEnv` as one batch.

    Made by ``gymnasium.make_vec("fieldgym/Driving-v1", num_envs=n)``. Every copy runs the
    same compiled simulator, controller, observation and reward code as the single env
    (with ``num_envs=1`` it retraces a single env seeded alike). Copies end and restart
    within the step (by default; ``AutoresetMode.SAME_STEP``, see
    :class:`~fieldgym.envs.core.vector.BatchVectorEnv`); ``infos["kpi"]`` and
    ``infos["reward_parts"]`` hold one value per copy.
    :meth:`set_level` changes the traffic level of the episodes that start afterwards.
    """

    def __init__(
        self,
        num_envs: int = 1,
        config: DrivingConfig | dict[str, Any] | None = None,
        preset: str | None = None,
        max_episode_steps: int | None = 40,
        render_mode: str | None = None,
        autoreset_mode: AutoresetMode | str = AutoresetMode.SAME_STEP,
        **fields: Any,
    ) -> None:
        self.config = cfg = DrivingConfig.make(config, preset, fields)
        if cfg.backend != "builtin":
            raise ConfigError(
                f"backend={cfg.backend!r} has no vector env; use gymnasium.make for CARLA, "
                "or backend='builtin'."
            )
        self._set_spaces(
            num_envs,
            observation_space(cfg),
            action_space(cfg),
            self.config.action_policy,
            autoreset_mode,
        )
        self.max_episode_steps = max_episode_steps
        self.render_mode = render_mode
        self.level = cfg.level
        self._reward = resolve_reward(cfg.reward, REWARDS)
        self._p = sim.params(cfg)
        self._po = observe.obs_params(cfg)
        kind = OBSERVATION_TYPES.index(cfg.observation_type)
        self._kind = kind
        self._q = batch.control_params(cfg, kind)
        self._levels = sim.level_table(LEVELS)
        self._speeds = np.asarray(cfg.meta_speeds, dtype=np.float64)
        b = num_envs
        self.veh = np.zeros((b, cfg.vehicles + 1, sim.NF))
        self.sim = np.zeros((b, sim.NS))
        crossing = cfg.crossing_vehicles if cfg.scenario == "intersection" else 0
        self.cross = np.zeros((b, crossing, sim.NX))
        self.lane = np.zeros(b, dtype=np.int64)
        self.speed_idx = np.zeros(b, dtype=np.int64)
        self.prev_acc = np.zeros(b)
        self.elapsed = np.zeros(b, dtype=np.int64)
        self._seeds = np.zeros(b, dtype=np.int64)
        self._levels_of = np.zeros(b, dtype=np.int64)
        self._size = int(np.prod(self.single_observation_space.shape))
        self._obs = np.zeros((b, self._size), dtype=np.float32)

    def set_level(self, level: int) -> None:
        """Use traffic level ``level`` for every copy reset from now on."""
        self.level = int(level)

    def _reset_info(self) -> dict[str, Any]:
        """Each copy's traffic level, as the single env's reset info gives it."""
        return {"level": self._levels_of.copy()}

    def _reset_copies(self, mask: np.ndarray | None) -> None:
        b = self.num_envs
        mask = np.ones(b, dtype=bool) if mask is None else np.asarray(mask, dtype=bool)
        for c in np.flatnonzero(mask):  # each from its copy's stream
            self._seeds[c] = int(self.streams.stream(c).integers(2**31 - 1))
        self._levels_of[mask] = self.level
        sim.reset(
            self.veh,
            self.sim,
            self.cross,
            mask,
            self._p,
            self._seeds,
            self._levels_of,
            self._levels,
        )
        batch.start_controls(
            self.veh, mask, self.lane, self.speed_idx, self.prev_acc, self._p, self._speeds
        )
        self.elapsed[mask] = 0

    def _observe_all(self) -> np.ndarray:
        rows = np.arange(self.num_envs)
        batch.observe_rows(
            self.veh, self.sim, self.cross, rows, self._p, self._po, self._kind, self._obs
        )
        return self._obs.reshape(self.num_envs, *self.single_observation_space.shape).copy()

    def _observe(self, out: np.ndarray | None = None, rows: np.ndarray | None = None) -> np.ndarray:
        if out is None:
            return self._observe_all()
        rows = np.asarray(rows, dtype=np.int64)
        batch.observe_rows(
            self.veh, self.sim, self.cross, rows, self._p, self._po, self._kind, self._obs
        )
        out.reshape(self.num_envs, -1)[rows] = self._obs[rows]
        return out

    def _advance(
        self, actions: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]:
        b = self.num_envs
        acts = np.asarray(actions, dtype=np.float64).reshape(b, -1)
        parts = np.zeros((b, len(control.PART_NAMES)))
        kpi = np.zeros((b, len(control.KPI_NAMES)))
        batch.step_batch(
            self.veh,
            self.sim,
            self.cross,
            self._p,
            self._q,
            self._po,
            self._speeds,
            acts,
            self.lane,
            self.speed_idx,
            self.prev_acc,
            self._obs,
            parts,
            kpi,
        )
        self.elapsed += 1
        named = {name: parts[:, k] for k, name in enumerate(control.PART_NAMES)}
        rewards = np.asarray(
            self._reward(named, self.config.reward_weights, self.config), dtype=np.float64
        )
        terminated = self.sim[:, SIM.collided] > 0.5
        truncated = truncation(self.elapsed, self.max_episode_steps)
        infos = {
            "reward_parts": named,
            "kpi": {name: kpi[:, k] for k, name in enumerate(control.KPI_NAMES)},
        }
        observations = self._obs.reshape(b, *self.single_observation_space.shape).copy()
        return observations, rewards, terminated, truncated, infos
