"""The state of ``B`` copies of the offloading system, advanced by the shared kernels.

:class:`OffloadingSystem` keeps the arrays the kernels of
:mod:`fieldgym.envs.wireless.offloading_dynamics` work on, and draws all randomness from
the generator it is given, in a fixed order, so that one copy of the vector env retraces
the single env.
"""

from __future__ import annotations

import numpy as np

from fieldgym.envs.core.tables import as_record
from fieldgym.envs.wireless.offloading_config import OffloadingConfig
from fieldgym.envs.wireless.offloading_dynamics import (
    DISTRIBUTION_CODES,
    OBSERVATION,
    PREFERENCE,
    SERVER_BACKLOGS,
    TASK,
    TASK_DRAWS,
    OffloadingParams,
    advance,
    observe,
    start_tasks,
)


def observation_layout(config: OffloadingConfig) -> dict[str, tuple[slice, tuple[int, ...]]]:
    """Name -> (slice of the flat observation, shape of the block), in observation order."""
    k = config.num_servers
    blocks = {  # the task's columns of ObservationColumns end where its device's begin
        "task": (OBSERVATION.cpu_backlog,),
        "device": (len(OBSERVATION) - OBSERVATION.cpu_backlog,),
        "rate": (k,),
        "server_backlog": (k,),
        "position": (2,),
        "preference": (len(PREFERENCE),),
    }
    layout, start = {}, 0
    for name, shape in blocks.items():
        size = int(np.prod(shape))
        layout[name] = (slice(start, start + size), shape)
        start += size
    return layout


def path_gain(distance_m: np.ndarray, config: OffloadingConfig) -> np.ndarray:
    """Linear path gain at ``distance_m``: ``10**(-(PL_1km + 10 n log10(d / 1 km)) / 10)``."""
    d_km = np.maximum(distance_m, config.min_distance_m) / 1000.0
    loss_db = config.path_loss_db_1km + 10.0 * config.path_loss_exponent * np.log10(d_km)
    return 10.0 ** (-loss_db / 10.0)


def offloading_params(config: OffloadingConfig) -> OffloadingParams:
    """The constants the kernels read, in SI units."""
    bandwidth = config.bandwidth_mhz * 1e6
    noise_w = 10.0 ** ((config.noise_dbm_hz - 30.0) / 10.0) * bandwidth
    size_low, size_high = config.task_size_mbit
    density_low, density_high = config.cycles_per_bit
    deadline_low, deadline_high = config.deadline_s
    return OffloadingParams(
        arrival_rate=config.arrival_rate,
        size_low_mbit=size_low,
        size_high_mbit=size_high,
        size_kind=DISTRIBUTION_CODES[config.size_distribution],
        density_low=density_low,
        density_high=density_high,
        density_kind=DISTRIBUTION_CODES[config.cycles_distribution],
        deadline_low=deadline_low,
        deadline_high=deadline_high,
        bandwidth_hz=bandwidth,
        snr_scale=config.tx_power_w / noise_w,
        fading=int(config.fading),
        switched_capacitance=config.switched_capacitance,
        tx_power_w=config.tx_power_w,
        cloud=int(config.cloud),
        cloud_hz=config.cloud_cpu_ghz * 1e9,
        cloud_latency_s=config.cloud_latency_s,
        backhaul_bps=config.backhaul_mbps * 1e6,
        drop=int(config.late_tasks == "drop"),
        late_penalty_s=config.late_penalty_s,
    )


class OffloadingSystem:
    """``B`` copies of one offloading system: state arrays, reset, step and observation.

    Args:
        config: The system's parameters.
        num_copies: ``B``, the number of independent copies.
    """

    def __init__(self, config: OffloadingConfig, num_copies: int) -> None:
        self.config = config
        self.num_copies = num_copies
        u, k = config.num_users, config.num_servers
        self.server_hz = np.asarray(config.server_cpu_ghz, dtype=np.float64) * 1e9
        self.server_xy = np.asarray(config.server_positions, dtype=np.float64)
        self.params = as_record(offloading_params(config))
        self.layout = observation_layout(config)
        self.observation_size = self.layout["preference"][0].stop
        self.record_width = SERVER_BACKLOGS + k
        self.local = np.zeros((num_copies, u))
        self.radio = np.zeros((num_copies, u))
        self.server = np.zeros((num_copies, k))
        self.task = np.zeros((num_copies, len(TASK)))
        self.rates = np.ones((num_copies, k))
        self.device_hz = np.ones((num_copies, u))
        self.user_xy = np.zeros((num_copies, u, 2))
        self.mean_gain = np.zeros((num_copies, u, k))
        self.preference = np.tile(np.asarray(config.preference, dtype=np.float64), (num_copies, 1))
        self.t = np.zeros(num_copies, dtype=np.int64)

    @property
    def draws_per_step(self) -> int:
        """Uniform numbers drawn per copy and step."""
        return TASK_DRAWS + self.config.num_servers

    def reset(self, rng: np.random.Generator, mask: np.ndarray | None = None) -> None:
        """Start new episodes in the copies selected by ``mask`` (all if ``None``).

        Draws, per copy and in this order: device positions (``2U``), device CPU
        frequencies (``U``), the preference (1) and the first task.
        """
        c = self.config
        copies = np.arange(self.num_copies) if mask is None else np.flatnonzero(mask)
        u = c.num_users
        draws = rng.random((copies.size, 3 * u + 1 + self.draws_per_step))
        if c.user_positions is None:
            xy = draws[:, : 2 * u].reshape(-1, u, 2) * c.area_m
        else:
            xy = np.broadcast_to(
                np.asarray(c.user_positions, dtype=np.float64), (copies.size, u, 2)
            )
        self.user_xy[copies] = xy
        distance = np.linalg.norm(xy[:, :, None, :] - self.server_xy[None, None], axis=-1)
        self.mean_gain[copies] = path_gain(distance, c)
        low, high = c.device_cpu_ghz
        self.device_hz[copies] = (low + draws[:, 2 * u : 3 * u] * (high - low)) * 1e9
        if c.preference_sampling == "uniform":
            w = draws[:, 3 * u]
            self.preference[copies] = np.stack((w, 1.0 - w), axis=1)
        else:
            self.preference[copies] = c.preference
        self.local[copies] = 0.0
        self.radio[copies] = 0.0
        self.server[copies] = 0.0
        self.t[copies] = 0
        start_tasks(
            copies,
            draws,
            3 * u + 1,
            self.mean_gain,
            self.task,
            self.rates,
            self.params,
        )

    def step(self, actions: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """Decide each copy's current task with ``actions`` ``(B,)`` and draw the next task.

        Returns:
            New arrays: the observations ``(B, D)`` of the next tasks, and the decided
            tasks' record ``(B, len(RECORD) + K)`` (see :func:`advance`).
        """
        uniforms = rng.random((self.num_copies, self.draws_per_step))
        record = np.empty((self.num_copies, self.record_width))
        observation = np.empty((self.num_copies, self.observation_size), dtype=np.float32)
        advance(
            self.local,
            self.radio,
            self.server,
            self.task,
            self.rates,
            self.device_hz,
            self.user_xy,
            self.mean_gain,
            self.preference,
            np.asarray(actions, dtype=np.int64).reshape(self.num_copies),
            uniforms,
            self.server_hz,
            self.params,
            record,
            observation,
        )
        self.t += 1
        return observation, record

    def observe(self) -> np.ndarray:
        """New float32 observations ``(B, D)`` of the copies' current tasks."""
        out = np.empty((self.num_copies, self.observation_size), dtype=np.float32)
        observe(
            self.task,
            self.rates,
            self.local,
            self.radio,
            self.server,
            self.device_hz,
            self.user_xy,
            self.preference,
            out,
        )
        return out
