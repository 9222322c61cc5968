"""Configuration of the edge-computing offloading environment, ``fieldgym/EdgeOffloading-v1``."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from typing import Any

from fieldgym.envs.core.config import (
    EnvConfig,
    check_choice,
    check_number,
    check_sequence,
    doc,
)
from fieldgym.envs.core.errors import ConfigError

DISTRIBUTIONS = ("uniform", "exponential", "fixed")
PREFERENCE_SAMPLING = ("fixed", "uniform")
LATE_TASKS = ("drop", "complete")
REWARD_PARTS = ("delay", "energy")


def _pair(name: str, value: Any, low: float = 0.0, low_inclusive: bool = False) -> None:
    check_sequence(name, value, 2, low=low, low_inclusive=low_inclusive)
    if value[0] > value[1]:
        raise ConfigError(f"{name}={value!r} is not allowed; give (low, high) with low <= high.")


@dataclasses.dataclass(frozen=True)
class OffloadingConfig(EnvConfig):
    """A multi-user mobile edge computing system (SI units unless a field says otherwise).

    ``K = len(server_cpu_ghz)`` edge servers sit at ``server_positions``; ``num_users``
    devices are dropped uniformly at random in a square of side ``area_m`` at every
    reset. Each device generates tasks as a Poisson process; every task is computed
    locally, offloaded to one edge server, or (with ``cloud``) sent to a remote cloud.
    """

    num_users: int = dataclasses.field(default=10, metadata=doc("mobile devices (>= 1)"))
    arrival_rate: float = dataclasses.field(
        default=4.0, metadata=doc("Poisson task arrivals per device per second (> 0)")
    )
    area_m: float = dataclasses.field(
        default=600.0, metadata=doc("side of the square the devices are dropped in, metres")
    )
    server_positions: tuple[tuple[float, float], ...] = dataclasses.field(
        default=((150.0, 150.0), (450.0, 150.0), (300.0, 450.0)),
        metadata=doc("(x, y) of each edge server's access point, metres; one per server"),
    )
    server_cpu_ghz: tuple[float, ...] = dataclasses.field(
        default=(2.0, 3.0, 4.0),
        metadata=doc("CPU frequency of each edge server, GHz (sets K; heterogeneous allowed)"),
    )
    cloud: bool = dataclasses.field(
        default=True, metadata=doc("offer a remote cloud as action K + 1")
    )
    cloud_cpu_ghz: float = dataclasses.field(
        default=20.0, metadata=doc("CPU frequency the cloud gives one task, GHz (no queue)")
    )
    cloud_latency_s: float = dataclasses.field(
        default=0.3, metadata=doc("backhaul propagation and routing delay to the cloud, s")
    )
    backhaul_mbps: float = dataclasses.field(
        default=100.0, metadata=doc("backhaul rate from the access point to the cloud, Mbit/s")
    )
    device_cpu_ghz: tuple[float, float] = dataclasses.field(
        default=(0.5, 2.0),
        metadata=doc("each device's CPU frequency is drawn uniformly from (low, high), GHz"),
    )
    switched_capacitance: float = dataclasses.field(
        default=1e-27,
        metadata=doc(
            "effective switched capacitance k of the energy model k*C*f^2, J/(Hz^2 cycle)"
        ),
    )
    tx_power_w: float = dataclasses.field(default=0.5, metadata=doc("uplink transmit power, W"))
    bandwidth_mhz: float = dataclasses.field(
        default=2.0, metadata=doc("uplink bandwidth a device gets from an access point, MHz")
    )
    noise_dbm_hz: float = dataclasses.field(
        default=-174.0, metadata=doc("noise power spectral density, dBm/Hz")
    )
    path_loss_db_1km: float = dataclasses.field(
        default=128.1, metadata=doc("path loss at 1 km, dB (3GPP macro: 128.1)")
    )
    path_loss_exponent: float = dataclasses.field(
        default=3.76, metadata=doc("path-loss exponent (3GPP macro: 3.76)")
    )
    min_distance_m: float = dataclasses.field(
        default=10.0, metadata=doc("distances below this count as this, metres")
    )
    fading: bool = dataclasses.field(
        default=True,
        metadata=doc("Rayleigh block fading, drawn per task and server (False: path loss only)"),
    )
    user_positions: tuple[tuple[float, float], ...] | None = dataclasses.field(
        default=None,
        metadata=doc("(x, y) of each device, metres; None: uniform in the area at each reset"),
    )
    size_distribution: str = dataclasses.field(
        default="uniform",
        metadata=doc(
            "task input size: 'uniform' on task_size_mbit, 'exponential' with its midpoint "
            "as mean clipped to it, or 'fixed' at its midpoint"
        ),
    )
    task_size_mbit: tuple[float, float] = dataclasses.field(
        default=(0.2, 1.0), metadata=doc("range (low, high) of a task's input size, Mbit")
    )
    cycles_distribution: str = dataclasses.field(
        default="uniform",
        metadata=doc("computation density, drawn like size_distribution from cycles_per_bit"),
    )
    cycles_per_bit: tuple[float, float] = dataclasses.field(
        default=(300.0, 700.0),
        metadata=doc("range (low, high) of CPU cycles per input bit; cycles = size * density"),
    )
    deadline_s: tuple[float, float] = dataclasses.field(
        default=(0.5, 1.5), metadata=doc("a task's deadline is drawn uniformly from it, s")
    )
    late_tasks: str = dataclasses.field(
        default="drop",
        metadata=doc(
            "'drop': a task past its deadline is dropped and frees its queue; 'complete': it "
            "runs to completion (counted as a missed deadline)"
        ),
    )
    late_penalty_s: float = dataclasses.field(
        default=1.0,
        metadata=doc("seconds added to the delay objective of a task that misses its deadline"),
    )
    preference: tuple[float, float] = dataclasses.field(
        default=(0.5, 0.5),
        metadata=doc("(delay, energy) weights of the scalarized reward, >= 0, summing to 1"),
    )
    preference_sampling: str = dataclasses.field(
        default="fixed",
        metadata=doc(
            "'fixed': always `preference`; 'uniform': drawn uniformly on the simplex each episode"
        ),
    )
    delay_scale_s: float = dataclasses.field(
        default=0.2, metadata=doc("delay that counts as one unit in the scalarized reward, s")
    )
    energy_scale_j: float = dataclasses.field(
        default=0.5, metadata=doc("energy that counts as one unit in the scalarized reward, J")
    )
    reward: str | Callable[..., Any] = dataclasses.field(
        default="linear",
        metadata=doc(
            "'linear': minus the preference-weighted sum of the scaled delay and energy; "
            "'chebyshev': minus the largest weighted scaled objective; or a callable "
            "reward(parts, weights, config)"
        ),
    )

    @property
    def num_servers(self) -> int:
        """``K``, the number of edge servers."""
        return len(self.server_cpu_ghz)

    @property
    def num_actions(self) -> int:
        """Local, each server, and the cloud if enabled."""
        return 1 + self.num_servers + int(self.cloud)

    def validate(self) -> None:
        check_number("num_users", self.num_users, low=1, integer=True)
        check_number("arrival_rate", self.arrival_rate, low=0, low_inclusive=False)
        check_number("area_m", self.area_m, low=0, low_inclusive=False)
        k = len(self.server_cpu_ghz) if isinstance(self.server_cpu_ghz, tuple) else 0
        if k < 1:
            raise ConfigError(
                f"server_cpu_ghz={self.server_cpu_ghz!r} is not allowed; give one frequency "
                "(GHz) per edge server, at least one."
            )
        check_sequence("server_cpu_ghz", self.server_cpu_ghz, k, low=0, low_inclusive=False)
        if not isinstance(self.server_positions, tuple) or len(self.server_positions) != k:
            raise ConfigError(
                f"server_positions={self.server_positions!r} is not allowed; give one (x, y) "
                f"pair per server ({k}, as server_cpu_ghz has)."
            )
        for i, position in enumerate(self.server_positions):
            check_sequence(f"server_positions[{i}]", position, 2)
        if not isinstance(self.cloud, bool):
            raise ConfigError(f"cloud={self.cloud!r} is not allowed; use true or false.")
        for name in ("cloud_cpu_ghz", "backhaul_mbps", "tx_power_w", "bandwidth_mhz"):
            check_number(name, getattr(self, name), low=0, low_inclusive=False)
        check_number("cloud_latency_s", self.cloud_latency_s, low=0)
        _pair("device_cpu_ghz", self.device_cpu_ghz)
        check_number("switched_capacitance", self.switched_capacitance, low=0)
        check_number("noise_dbm_hz", self.noise_dbm_hz)
        check_number("path_loss_db_1km", self.path_loss_db_1km)
        check_number("path_loss_exponent", self.path_loss_exponent, low=0, low_inclusive=False)
        check_number("min_distance_m", self.min_distance_m, low=0, low_inclusive=False)
        if not isinstance(self.fading, bool):
            raise ConfigError(f"fading={self.fading!r} is not allowed; use true or false.")
        if self.user_positions is not None:
            if (
                not isinstance(self.user_positions, tuple)
                or len(self.user_positions) != self.num_users
            ):
                raise ConfigError(
                    f"user_positions={self.user_positions!r} is not allowed; give one (x, y) "
                    f"pair per device ({self.num_users}) or null."
                )
            for i, position in enumerate(self.user_positions):
                check_sequence(f"user_positions[{i}]", position, 2)
        check_choice("size_distribution", self.size_distribution, DISTRIBUTIONS)
        check_choice("cycles_distribution", self.cycles_distribution, DISTRIBUTIONS)
        _pair("task_size_mbit", self.task_size_mbit)
        _pair("cycles_per_bit", self.cycles_per_bit)
        _pair("deadline_s", self.deadline_s)
        check_choice("late_tasks", self.late_tasks, LATE_TASKS)
        check_number("late_penalty_s", self.late_penalty_s, low=0)
        check_sequence("preference", self.preference, 2, low=0)
        if not math.isclose(sum(self.preference), 1.0, abs_tol=1e-6):
            raise ConfigError(
                f"preference={self.preference!r} is not allowed; the two weights must sum to 1."
            )
        check_choice("preference_sampling", self.preference_sampling, PREFERENCE_SAMPLING)
        check_number("delay_scale_s", self.delay_scale_s, low=0, low_inclusive=False)
        check_number("energy_scale_j", self.energy_scale_j, low=0, low_inclusive=False)
        if not callable(self.reward):
            check_choice("reward", self.reward, ("linear", "chebyshev"))

    def __post_init__(self) -> None:
        for name in ("server_positions", "user_positions"):
            value = getattr(self, name)
            if isinstance(value, list | tuple):
                pairs = tuple(tuple(p) if isinstance(p, list) else p for p in value)
                object.__setattr__(self, name, pairs)
        super().__post_init__()
