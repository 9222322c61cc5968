"""Configuration, difficulty levels and presets of the driving environments.

Units are SI: metres, seconds, m/s, m/s², radians. The road frame is the one of
:mod:`fieldgym.envs.driving.backend`: ``x`` along the road, ``y`` to the left of lane 0's
centre (the rightmost lane).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from fieldgym.envs.core.config import (
    EnvConfig,
    check_choice,
    check_number,
    check_sequence,
    check_weights,
    doc,
)
from fieldgym.envs.core.errors import ConfigError
from fieldgym.envs.driving.reward import REWARDS
from fieldgym.envs.driving.state import MetaActions, ObservationTypes, RewardParts

BACKENDS = ("builtin", "carla")
SCENARIOS = ("highway", "merge", "intersection")
INTERSECTION_CONTROLS = ("signal", "yield")
INTERSECTION_OBSERVATIONS = ("kinematics",)
"""Observation types defined at an intersection (the others are lane-bound)."""
OBSERVATION_TYPES = ObservationTypes._fields
ACTION_TYPES = ("meta", "continuous")
REWARD_PARTS = RewardParts._fields
"""The reward parts' names (:class:`.state.RewardParts`)."""

LEVELS: tuple[tuple[float, float, float], ...] = (
    (10.0, 1.0, 0.00),
    (16.0, 2.0, 0.10),
    (22.0, 3.0, 0.20),
    (30.0, 4.0, 0.35),
)
"""Traffic difficulty levels, easiest first: ``(density in vehicles per km and lane,
standard deviation of the drivers' desired speeds in m/s, share of aggressive drivers)``.
The number of surrounding vehicles is ``vehicles`` at every level; the density sets the
length of road they are spread over."""

META_ACTIONS = MetaActions._fields
"""The discrete meta-actions, in action-index order."""


@dataclasses.dataclass(frozen=True)
class DrivingConfig(EnvConfig):
    """Parameters of a driving task: road, traffic, ego vehicle, observation, action, reward.

    ``lanes``, ``lane_width``, ``dt``, ``vehicles`` and the ``carla_*`` fields are read by
    the simulator backends (names fixed by :mod:`fieldgym.envs.driving.backend`).
    """

    backend: str = dataclasses.field(
        default="builtin",
        metadata=doc("'builtin' (the numba simulator) or 'carla' (a running CARLA server)"),
    )
    scenario: str = dataclasses.field(
        default="highway",
        metadata=doc(
            "'highway' (straight multi-lane road), 'merge' (with an on-ramp) or "
            "'intersection' (a crossing road ahead)"
        ),
    )
    intersection_control: str = dataclasses.field(
        default="signal",
        metadata=doc(
            "intersection: 'signal' (fixed-cycle traffic lights) or 'yield' (the crossing "
            "road has priority)"
        ),
    )
    intersection_distance: float = dataclasses.field(
        default=150.0, metadata=doc("intersection: from the ego's start to the stop line, m")
    )
    crossing_vehicles: int = dataclasses.field(
        default=6, metadata=doc("intersection: vehicles on the crossing road, half each way")
    )
    crossing_speed: float = dataclasses.field(
        default=12.0, metadata=doc("intersection: mean desired speed on the crossing road, m/s")
    )
    signal_times: tuple[float, float, float, float] = dataclasses.field(
        default=(20.0, 10.0, 4.0, 2.0),
        metadata=doc(
            "intersection 'signal': green of the ego's road, green of the crossing road, "
            "yellow and all-red (each road), s"
        ),
    )
    observed_crossing: int = dataclasses.field(
        default=4, metadata=doc("intersection, kinematics: nearest crossing vehicles observed")
    )
    lanes: int = dataclasses.field(default=3, metadata=doc("number of lanes (>= 1)"))
    lane_width: float = dataclasses.field(default=4.0, metadata=doc("lane width, m"))
    dt: float = dataclasses.field(default=0.2, metadata=doc("simulation step, s"))
    policy_frequency: float = dataclasses.field(
        default=1.0,
        metadata=doc("agent decisions per simulated second, Hz; 1/(dt*policy_frequency) steps"),
    )
    vehicles: int = dataclasses.field(
        default=20, metadata=doc("surrounding vehicles (>= 0), spread over the road by level")
    )
    level: int = dataclasses.field(
        default=2,
        metadata=doc(f"traffic difficulty, 0 (sparse, calm) to {len(LEVELS) - 1} (see LEVELS)"),
    )
    ego_speed: float = dataclasses.field(
        default=25.0, metadata=doc("ego speed at the start of an episode, m/s")
    )
    max_speed: float = dataclasses.field(default=40.0, metadata=doc("ego's top speed, m/s"))
    max_acceleration: float = dataclasses.field(
        default=5.0, metadata=doc("largest ego acceleration and braking command, m/s²")
    )
    max_steering: float = dataclasses.field(
        default=0.1, metadata=doc("largest front-wheel steering angle, rad")
    )
    desired_speed: float = dataclasses.field(
        default=24.0, metadata=doc("mean desired speed of the surrounding drivers, m/s")
    )
    observation_type: str = dataclasses.field(
        default="kinematics",
        metadata=doc(
            "'kinematics' (nearest vehicles), 'occupancy_grid' or 'ttc' (the last two not "
            "at an intersection)"
        ),
    )
    observed_vehicles: int = dataclasses.field(
        default=8, metadata=doc("kinematics: nearest vehicles observed (>= 1)")
    )
    perception_range: float = dataclasses.field(
        default=100.0, metadata=doc("distance along the road the ego perceives, each way, m")
    )
    grid_cell: float = dataclasses.field(
        default=5.0, metadata=doc("occupancy_grid: cell length along the road, m")
    )
    ttc_horizon: float = dataclasses.field(
        default=10.0, metadata=doc("ttc: times to collision are clipped at this horizon, s")
    )
    action_type: str = dataclasses.field(
        default="meta",
        metadata=doc("'meta' (Discrete(5) meta-actions) or 'continuous' (acceleration, steering)"),
    )
    meta_speeds: tuple[float, ...] = dataclasses.field(
        default=(15.0, 20.0, 25.0, 30.0, 35.0),
        metadata=doc("meta: target speeds 'faster'/'slower' step through, m/s, increasing"),
    )
    speed_band: tuple[float, float] = dataclasses.field(
        default=(25.0, 32.0), metadata=doc("speeds earning the full 'speed' reward, m/s")
    )
    min_headway: float = dataclasses.field(
        default=1.0, metadata=doc("time headway below which a step is a headway violation, s")
    )
    route_length: float = dataclasses.field(
        default=1000.0, metadata=doc("distance counted as the full route by driving_score, m")
    )
    reward: str | Callable[..., Any] = dataclasses.field(
        default="weighted",
        metadata=doc("'weighted' (sum of weighted parts) or a callable reward(parts, w, config)"),
    )
    reward_weights: dict[str, float] = dataclasses.field(
        default_factory=lambda: {
            "progress": 0.5,
            "speed": 0.5,
            "lane_keeping": 0.1,
            "collision": 5.0,
            "lane_change": 0.05,
            "comfort": 0.05,
            "red_light": 2.0,
        },
        metadata=doc(f"weight of each reward part: {', '.join(REWARD_PARTS)}"),
    )
    carla_host: str = dataclasses.field(
        default="localhost", metadata=doc("carla: host of the CARLA server")
    )
    carla_port: int = dataclasses.field(default=2000, metadata=doc("carla: server port"))
    carla_timeout_s: float = dataclasses.field(
        default=10.0, metadata=doc("carla: seconds to wait for the server")
    )
    carla_town: str = dataclasses.field(default="Town04", metadata=doc("carla: map to load"))
    carla_tm_port: int = dataclasses.field(
        default=8000, metadata=doc("carla: Traffic Manager port")
    )

    @property
    def substeps(self) -> int:
        """Simulation steps per agent decision."""
        return max(1, round(1.0 / (self.dt * self.policy_frequency)))

    def validate(self) -> None:
        check_choice("backend", self.backend, BACKENDS)
        check_choice("scenario", self.scenario, SCENARIOS)
        check_number("lanes", self.lanes, low=1, high=8, integer=True)
        check_number("lane_width", self.lane_width, low=2.5, high=6.0)
        check_number("dt", self.dt, low=0.01, high=0.5)
        check_number("policy_frequency", self.policy_frequency, low=0.1, high=1.0 / self.dt)
        check_number("vehicles", self.vehicles, low=0, high=200, integer=True)
        check_number("level", self.level, low=0, high=len(LEVELS) - 1, integer=True)
        check_number("ego_speed", self.ego_speed, low=0, high=self.max_speed)
        check_number("max_speed", self.max_speed, low=1)
        check_number("max_acceleration", self.max_acceleration, low=0, low_inclusive=False)
        check_number("max_steering", self.max_steering, low=0, high=0.6, low_inclusive=False)
        check_number("desired_speed", self.desired_speed, low=5, high=50)
        check_choice("observation_type", self.observation_type, OBSERVATION_TYPES)
        check_number("observed_vehicles", self.observed_vehicles, low=1, high=50, integer=True)
        check_number("perception_range", self.perception_range, low=10)
        check_number("grid_cell", self.grid_cell, low=1, high=self.perception_range)
        check_number("ttc_horizon", self.ttc_horizon, low=1)
        check_choice("action_type", self.action_type, ACTION_TYPES)
        speeds = self.meta_speeds
        if not isinstance(speeds, tuple) or not speeds:
            raise ConfigError(f"meta_speeds={speeds!r} must be a non-empty list of speeds.")
        for i, speed in enumerate(speeds):
            check_number(f"meta_speeds[{i}]", speed, low=0, high=self.max_speed)
        if list(speeds) != sorted(speeds):
            raise ConfigError(f"meta_speeds={speeds!r} must be increasing.")
        band = self.speed_band
        if not isinstance(band, tuple) or len(band) != 2 or not band[0] < band[1]:
            raise ConfigError(f"speed_band={band!r} must be [low, high] with low < high.")
        check_number("min_headway", self.min_headway, low=0)
        check_number("route_length", self.route_length, low=1)
        if not callable(self.reward):
            check_choice("reward", self.reward, REWARDS)
        check_weights("reward_weights", self.reward_weights, REWARD_PARTS)
        check_number("carla_port", self.carla_port, low=1, high=65535, integer=True)
        check_number("carla_tm_port", self.carla_tm_port, low=1, high=65535, integer=True)
        check_number("carla_timeout_s", self.carla_timeout_s, low=0, low_inclusive=False)
        check_choice("intersection_control", self.intersection_control, INTERSECTION_CONTROLS)
        check_number("intersection_distance", self.intersection_distance, low=20, high=2000)
        check_number("crossing_vehicles", self.crossing_vehicles, low=0, high=40, integer=True)
        check_number("crossing_speed", self.crossing_speed, low=2, high=30)
        check_sequence("signal_times", self.signal_times, 4, low=0)
        for i in (0, 1):
            check_number(f"signal_times[{i}]", self.signal_times[i], low=0, low_inclusive=False)
        check_number("observed_crossing", self.observed_crossing, low=1, high=40, integer=True)
        if self.scenario == "intersection" and self.observation_type not in (
            INTERSECTION_OBSERVATIONS
        ):
            raise ConfigError(
                f"observation_type={self.observation_type!r} is lane-bound and undefined at "
                f"an intersection; with scenario='intersection' choose "
                f"{' or '.join(repr(o) for o in INTERSECTION_OBSERVATIONS)}."
            )
        if self.backend == "carla" and self.scenario != "highway":
            raise ConfigError(f"scenario={self.scenario!r} runs on backend='builtin' only.")


INTERSECTION: dict[str, Any] = {
    "scenario": "intersection",
    "desired_speed": 15.0,
    "ego_speed": 15.0,
    "meta_speeds": (0.0, 5.0, 10.0, 15.0, 20.0),
    "speed_band": (10.0, 17.0),
    "observed_vehicles": 12,
    "route_length": 300.0,
}
"""The fields the intersection presets share."""

PRESETS: dict[str, dict[str, Any]] = {
    # Three lanes, 20 vehicles at level 2: the default highway.
    "highway": {},
    # Four lanes of dense traffic with many aggressive drivers.
    "dense": {"lanes": 4, "vehicles": 30, "level": 3},
    # Continuous control: acceleration and steering decided five times a second.
    "continuous": {"action_type": "continuous", "policy_frequency": 5.0},
    # A highway with an on-ramp whose vehicles merge into the right lane.
    "merge": {"scenario": "merge"},
    # A signalized crossing 150 m ahead, at urban speeds; the ego can stop (meta speed 0).
    "intersection": INTERSECTION,
    # The same crossing unsignalized: the crossing road (lighter, 4 vehicles) has
    # priority, the ego finds a gap.
    "intersection_yield": {**INTERSECTION, "intersection_control": "yield", "crossing_vehicles": 4},
}
"""Field values of the named presets; ``"highway"`` is the default config."""
DrivingConfig.presets = PRESETS
