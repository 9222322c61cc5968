"""Configuration of the cooperating-UAV offloading environment, ``fieldgym/UAVOffloading-v1``."""

from __future__ import annotations

import dataclasses

from fieldgym.envs.core.config import (
    EnvConfig,
    check_choice,
    check_number,
    check_sequence,
    check_weights,
    doc,
)
from fieldgym.envs.core.errors import ConfigError

MOBILITY = ("static", "random_waypoint")
ACTION_TYPES = ("discrete", "continuous")
REWARD_PARTS = ("served", "energy", "collision")


@dataclasses.dataclass(frozen=True)
class UAVConfig(EnvConfig):
    """UAVs that take cellular traffic off terrestrial base stations (SI units).

    ``num_uavs`` rotary-wing UAVs fly at a fixed altitude over a square of side
    ``area_m`` where ``num_users`` ground users stand still or move by random waypoints.
    Each step (``step_s`` seconds) every UAV moves, then users are associated: as many
    as possible to UAVs (each UAV serving at most ``uav_capacity`` users, each at a rate
    of at least ``min_rate_mbps``), the others to the best base station if it gives
    them ``min_rate_mbps``.
    """

    num_uavs: int = dataclasses.field(default=3, metadata=doc("UAVs, one agent each (>= 1)"))
    num_users: int = dataclasses.field(default=40, metadata=doc("ground users (>= 1)"))
    area_m: float = dataclasses.field(default=1000.0, metadata=doc("side of the square, m"))
    base_stations: tuple[tuple[float, float], ...] = dataclasses.field(
        default=((500.0, 500.0),),
        metadata=doc("(x, y) of each terrestrial base station, m (may be empty)"),
    )
    user_mobility: str = dataclasses.field(
        default="random_waypoint",
        metadata=doc("'static' users, or 'random_waypoint' (walk to a uniform point, repeat)"),
    )
    user_speed_mps: tuple[float, float] = dataclasses.field(
        default=(0.5, 2.0),
        metadata=doc("random waypoint: each leg's speed is drawn uniformly from it, m/s"),
    )
    hotspots: int = dataclasses.field(
        default=3,
        metadata=doc("users start around this many random hotspots (0: uniform in the area)"),
    )
    hotspot_spread_m: float = dataclasses.field(
        default=80.0, metadata=doc("standard deviation of users around their hotspot, m")
    )
    altitude_m: float = dataclasses.field(default=100.0, metadata=doc("UAV altitude, m"))
    max_speed_mps: float = dataclasses.field(default=20.0, metadata=doc("UAV speed limit, m/s"))
    step_s: float = dataclasses.field(default=1.0, metadata=doc("duration of one step, s"))
    action_type: str = dataclasses.field(
        default="discrete",
        metadata=doc(
            "'discrete': stay or fly N/E/S/W at full speed (a grid of step max_speed*step_s); "
            "'continuous': velocity as a share of the speed limit, Box(-1, 1, (2,))"
        ),
    )
    min_separation_m: float = dataclasses.field(
        default=30.0, metadata=doc("two UAVs closer than this collide, m")
    )
    collision_avoidance: bool = dataclasses.field(
        default=True,
        metadata=doc(
            "True: a move that would break the separation is cancelled (and still counted "
            "and penalized as a collision attempt); False: UAVs move and collide"
        ),
    )
    carrier_ghz: float = dataclasses.field(default=2.0, metadata=doc("carrier frequency, GHz"))
    los_a: float = dataclasses.field(
        default=9.61, metadata=doc("LoS probability parameter a (Al-Hourani; urban 9.61)")
    )
    los_b: float = dataclasses.field(
        default=0.16, metadata=doc("LoS probability parameter b (Al-Hourani; urban 0.16)")
    )
    eta_los_db: float = dataclasses.field(
        default=1.0, metadata=doc("excess path loss with line of sight, dB (urban 1)")
    )
    eta_nlos_db: float = dataclasses.field(
        default=20.0, metadata=doc("excess path loss without line of sight, dB (urban 20)")
    )
    uav_power_dbm: float = dataclasses.field(
        default=20.0, metadata=doc("UAV transmit power per user channel, dBm")
    )
    bs_power_dbm: float = dataclasses.field(
        default=30.0, metadata=doc("base station transmit power per user channel, dBm")
    )
    user_bandwidth_mhz: float = dataclasses.field(
        default=1.0, metadata=doc("bandwidth of one user's channel, MHz")
    )
    noise_dbm_hz: float = dataclasses.field(
        default=-174.0, metadata=doc("noise power spectral density, dBm/Hz")
    )
    noise_figure_db: float = dataclasses.field(
        default=7.0, metadata=doc("receiver noise figure, dB")
    )
    min_rate_mbps: float = dataclasses.field(
        default=10.0, metadata=doc("rate a user needs to be served, Mbit/s")
    )
    uav_capacity: int = dataclasses.field(
        default=15, metadata=doc("users one UAV can serve at once (>= 1)")
    )
    shared_reward: bool = dataclasses.field(
        default=False,
        metadata=doc("every UAV gets the team's mean reward instead of its own"),
    )
    reward_weights: dict[str, float] = dataclasses.field(
        default_factory=lambda: {"served": 1.0, "energy": 0.1, "collision": 1.0},
        metadata=doc(
            "weights of the reward parts: served (users a UAV serves / uav_capacity), "
            "energy (propulsion energy / hover energy of one step), collision (events)"
        ),
    )
    density_grid: int = dataclasses.field(
        default=5, metadata=doc("cells per side of the user-density map each UAV observes")
    )
    max_cycles: int = dataclasses.field(
        default=200, metadata=doc("steps per episode; every agent is truncated after them")
    )

    def validate(self) -> None:
        for name in ("num_uavs", "num_users", "uav_capacity", "density_grid", "max_cycles"):
            check_number(name, getattr(self, name), low=1, integer=True)
        check_number("hotspots", self.hotspots, low=0, integer=True)
        for name in (
            "area_m",
            "altitude_m",
            "max_speed_mps",
            "step_s",
            "carrier_ghz",
            "los_a",
            "los_b",
            "user_bandwidth_mhz",
        ):
            check_number(name, getattr(self, name), low=0, low_inclusive=False)
        for name in ("hotspot_spread_m", "min_separation_m", "min_rate_mbps"):
            check_number(name, getattr(self, name), low=0)
        for name in ("eta_los_db", "eta_nlos_db", "uav_power_dbm", "bs_power_dbm"):
            check_number(name, getattr(self, name))
        check_number("noise_dbm_hz", self.noise_dbm_hz)
        check_number("noise_figure_db", self.noise_figure_db, low=0)
        if not isinstance(self.base_stations, tuple):
            raise ConfigError("base_stations must be a list of (x, y) pairs, m.")
        for i, position in enumerate(self.base_stations):
            check_sequence(f"base_stations[{i}]", position, 2)
        check_choice("user_mobility", self.user_mobility, MOBILITY)
        check_sequence("user_speed_mps", self.user_speed_mps, 2, low=0)
        if self.user_speed_mps[0] > self.user_speed_mps[1]:
            raise ConfigError("user_speed_mps must be (low, high) with low <= high.")
        check_choice("action_type", self.action_type, ACTION_TYPES)
        for name in ("collision_avoidance", "shared_reward"):
            if not isinstance(getattr(self, name), bool):
                raise ConfigError(f"{name}={getattr(self, name)!r} is not allowed; use true/false.")
        check_weights("reward_weights", self.reward_weights, REWARD_PARTS)

    def __post_init__(self) -> None:
        if isinstance(self.base_stations, list | tuple):
            pairs = tuple(tuple(p) if isinstance(p, list) else p for p in self.base_stations)
            object.__setattr__(self, "base_stations", pairs)
        super().__post_init__()
