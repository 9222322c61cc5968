"""The edge-computing offloading environment, ``fieldgym/EdgeOffloading-v1``."""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from fieldgym.envs.core.actions import check_action
from fieldgym.envs.core.errors import ConfigError
from fieldgym.envs.core.rewards import resolve_reward
from fieldgym.envs.wireless.offloading_config import OffloadingConfig
from fieldgym.envs.wireless.offloading_reward import (
    REWARDS,
    reward_parts,
    reward_weights,
    step_kpis,
    vector_reward,
)
from fieldgym.envs.wireless.offloading_system import (
    OffloadingSystem,
    offloading_params,
    path_gain,
)


def make_config(config: OffloadingConfig | dict[str, Any] | None, fields: dict[str, Any]):
    """The config from a config object or mapping, with field overrides applied."""
    return OffloadingConfig.build(config, **fields)


def _outward(value: float, up: bool) -> np.float32:
    """``value`` as float32, rounded away from the inside of the bound."""
    v = np.float32(value)
    if up and float(v) < value:
        return np.nextafter(v, np.float32(np.inf))
    if not up and float(v) > value:
        return np.nextafter(v, np.float32(-np.inf))
    return v


MAX_FADING = 53.0 * np.log(2.0)
"""Largest Rayleigh power draw: ``-log(1 - u)`` with ``u`` a double below 1 (at most 1 - 2**-53)."""


def max_rate_mbps(config: OffloadingConfig) -> float:
    """The largest uplink rate possible: at ``min_distance_m`` with the largest fading draw."""
    snr = offloading_params(config).snr_scale * float(
        path_gain(np.asarray(config.min_distance_m), config)
    )
    fading = MAX_FADING if config.fading else 1.0
    return config.bandwidth_mhz * float(np.log2(1.0 + snr * fading))


def observation_space(config: OffloadingConfig) -> spaces.Box:
    """Float32 bounds of each block of the observation (see the env's table)."""
    k = config.num_servers
    size, density, deadline = config.task_size_mbit, config.cycles_per_bit, config.deadline_s
    backlog = deadline[1] if config.late_tasks == "drop" else np.inf
    low = [size[0], size[0] * density[0] * 1e-3, deadline[0], 0.0, 0.0, config.device_cpu_ghz[0]]
    high = [size[1], size[1] * density[1] * 1e-3, deadline[1], backlog, backlog]
    high.append(config.device_cpu_ghz[1])
    if config.user_positions is None:
        xy_low, xy_high = [0.0, 0.0], [config.area_m, config.area_m]
    else:
        xy = np.asarray(config.user_positions, dtype=np.float64)
        xy_low, xy_high = list(xy.min(axis=0)), list(xy.max(axis=0))
    low += [0.0] * (2 * k) + xy_low + [0.0, 0.0]
    high += [max_rate_mbps(config)] * k + [backlog] * k + xy_high + [1.0, 1.0]
    low32 = np.array([_outward(v * (1 - 1e-9), up=False) for v in low], dtype=np.float32)
    high32 = np.array([_outward(v * (1 + 1e-9), up=True) for v in high], dtype=np.float32)
    return spaces.Box(low32, high32, dtype=np.float32)


REWARD_SPACE = spaces.Box(-np.inf, 0.0, shape=(2,), dtype=np.float32)
"""The vector reward ``[-delay objective (s), -energy (J)]``, mo-gymnasium's ``reward_space``."""


class EdgeOffloadingEnv(gym.Env):
    """Multi-objective task offloading in a multi-user mobile edge computing system.

    ## Description

    ``U`` devices generate computation tasks as Poisson processes (size and CPU cycles
    drawn from configured distributions, each with a deadline). For each task, at its
    arrival, the agent decides where it runs: on the device, on one of ``K``
    heterogeneous edge servers reached over a wireless uplink (3GPP path loss, Rayleigh
    block fading, Shannon rate), or in a remote cloud. Devices have a CPU queue and an
    uplink queue, servers a CPU queue; a task's delay is transmission + queueing +
    computation, its device energy the transmission energy ``p * S / r`` or the local
    computation energy ``k * C * f**2``; tasks past their deadline are dropped. The two
    objectives, delay and energy, conflict: offloading saves energy but congests the
    servers. The exact event order is in :mod:`fieldgym.envs.wireless.offloading_dynamics`.
    It follows the multi-objective offloading setting of generalizable Pareto-optimal
    offloading (one preference-conditioned policy judged by the hypervolume of its front).

    ## Action Space

    ``Discrete(1 + K + cloud)``: 0 computes locally, ``k`` in ``1..K`` offloads to edge
    server ``k``, ``K + 1`` (with ``cloud=True``) sends the task to the cloud.

    ## Observation Space

    A ``Box(low, high, (D,), float32)``; ``env.unwrapped.layout`` maps each block to its
    slice. Everything describes the task to decide and the system at its arrival.

    | Block            | Size | Meaning                                                        |
    |------------------|------|----------------------------------------------------------------|
    | `task`           | 3    | input size (Mbit), CPU cycles (Gcycles), deadline (s)          |
    | `device`         | 3    | the task's device: CPU backlog (s), uplink backlog (s), CPU GHz |
    | `rate`           | K    | the task's uplink rate to each server now (Mbit/s)              |
    | `server_backlog` | K    | seconds until each edge server's CPU is free                    |
    | `position`       | 2    | the task's device position (x, y), metres                       |
    | `preference`     | 2    | the episode's (delay, energy) weights, summing to 1             |

    ## Rewards

    The task's vector reward is ``[-delay, -energy]`` in seconds and joules, where the
    delay of a task that misses its deadline is the time until it was dropped plus
    ``late_penalty_s``; it is ``info["vector_reward"]`` and its space is
    ``env.unwrapped.reward_space`` (mo-gymnasium's convention). The scalar reward weights
    the two parts, each divided by its scale (``delay_scale_s``, ``energy_scale_j``), by
    the episode's preference: ``reward="linear"`` (default) sums them, ``"chebyshev"``
    takes the worse one, a callable ``reward(parts, weights, config)`` replaces both.
    ``info["reward_parts"]`` holds the scaled parts, ``info["kpi"]`` the task's raw
    quantities.

    ## Starting State

    Devices are dropped uniformly in the area (or at ``user_positions``) with CPU
    frequencies drawn from ``device_cpu_ghz``; every queue is empty; the preference is
    ``preference`` or, with ``preference_sampling="uniform"``, drawn uniformly on the
    simplex. The first task has arrived.

    ## Episode End

    The episode never terminates; it is truncated by the ``TimeLimit`` set at
    registration (200 tasks; ``gymnasium.make(..., max_episode_steps=T)`` changes it).

    ## Arguments

    ``gymnasium.make("fieldgym/EdgeOffloading-v1", config=None, render_mode=None,
    **fields)``: ``fields`` are :class:`OffloadingConfig` fields, each documented there
    with its unit.

    ## Version History

    * v0: Initial version.
    * v1: Actions are checked at ``step`` (shape, dtype, finite values, bounds): an
      action outside the space raises ``ActionError`` unless ``action_policy="clip"``
      (v0 clipped or remapped it silently). Valid actions step exactly as in v0.
    """

    metadata = {"render_modes": [], "render_fps": 4}

    def __init__(
        self,
        config: OffloadingConfig | dict[str, Any] | None = None,
        render_mode: str | None = None,
        **fields: Any,
    ) -> None:
        self.config = make_config(config, fields)
        if render_mode is not None:
            raise ConfigError(f"render_mode={render_mode!r}; this env has no rendering (None).")
        self.render_mode = render_mode
        self.system = OffloadingSystem(self.config, num_copies=1)
        self.layout = self.system.layout
        self.action_space = spaces.Discrete(self.config.num_actions)
        self.observation_space = observation_space(self.config)
        self.reward_space = REWARD_SPACE
        self._reward = resolve_reward(self.config.reward, REWARDS)

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        super().reset(seed=seed)
        self.system.reset(self.np_random)
        return self.system.observe()[0], {"preference": self.system.preference[0].copy()}

    def step(self, action: int) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        action = check_action(self.action_space, action, self.config.action_policy)
        observation, record = self.system.step(np.asarray([action]), self.np_random)
        parts = reward_parts(record, self.config)
        reward = float(self._reward(parts, reward_weights(record), self.config)[0])
        info = {
            "vector_reward": vector_reward(record)[0],
            "reward_parts": {name: float(value[0]) for name, value in parts.items()},
            "kpi": {name: value[0] for name, value in step_kpis(record, self.config).items()},
        }
        return observation[0], reward, False, False, info


class VectorReward(gym.Wrapper):
    """Return the vector reward ``[-delay, -energy]`` from ``step``, as mo-gymnasium does.

    For multi-objective libraries that expect ``step`` to return a vector matching
    ``env.unwrapped.reward_space``; the scalarized reward moves to
    ``info["scalar_reward"]``. Standard agents use the environment unwrapped.
    """

    def __init__(self, env: gym.Env) -> None:
        super().__init__(env)
        self.reward_space = env.unwrapped.reward_space

    def step(self, action: Any) -> tuple[np.ndarray, np.ndarray, bool, bool, dict[str, Any]]:
        observation, reward, terminated, truncated, info = self.env.step(action)
        info = {**info, "scalar_reward": reward}
        return observation, info["vector_reward"], terminated, truncated, info
