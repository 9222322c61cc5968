"""Configuration and named presets of the traffic-signal environments.

The network is a grid of ``rows × cols`` signalized four-arm intersections (one
intersection: 1 × 1; an arterial: 1 × N). Every arm has an incoming link of
``link_length`` metres split into three lane groups, one per turning movement (left,
through, right), each with its own number of lanes. Sides and approaches are numbered
clockwise from north: ``N=0, E=1, S=2, W=3``; a movement is named by its approach and its
turn, e.g. ``"NT"`` is the through movement of the vehicles coming from the north.

Or the network is a city read from CityFlow files (``roadnet_file`` and ``flow_file``,
:mod:`fieldgym.envs.traffic.city`): its own intersections, roads and light phases, and
vehicles driving their own routes; the grid's fields (:data:`GRID_ONLY`) then stay unset.
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

SIDES = ("N", "E", "S", "W")
"""Approaches (and sides of an intersection), clockwise from north."""
TURNS = ("L", "T", "R")
"""Movements of an approach: left, through, right."""
MOVEMENTS = tuple(side + turn for side in SIDES for turn in TURNS)
"""The twelve movements of an intersection, in lane-group order (``NL, NT, NR, EL, ...``)."""

BACKENDS = ("builtin", "sumo")
LINK_MODELS = ("point", "ctm")
ARRIVALS = ("poisson", "constant")
SUMO_INTERFACES = ("libsumo", "traci")
REWARD_PARTS = ("queue", "wait", "pressure", "delay", "throughput")
REWARDS = (*REWARD_PARTS, "combined")

FOUR_PHASES: tuple[tuple[str, ...], ...] = (
    ("NT", "NR", "ST", "SR"),
    ("NL", "SL"),
    ("ET", "ER", "WT", "WR"),
    ("EL", "WL"),
)
"""Protected lefts: north-south through and right, north-south left, then east-west alike."""


@dataclasses.dataclass(frozen=True)
class TrafficConfig(EnvConfig):
    """Parameters of a signalized road network, its demand and its control (SI units).

    Times are in seconds, lengths in metres, flows in vehicles per hour. The signal of
    each intersection is switched between the green ``phases`` every ``delta_time``
    seconds; a change of phase passes through ``yellow_time`` and ``all_red_time``.
    """

    backend: str = dataclasses.field(
        default="builtin",
        metadata=doc("'builtin' (numpy/numba simulator) or 'sumo' (needs the 'sumo' extra)"),
    )
    rows: int = dataclasses.field(default=1, metadata=doc("intersections north to south (>= 1)"))
    cols: int = dataclasses.field(default=1, metadata=doc("intersections west to east (>= 1)"))
    link_length: float = dataclasses.field(
        default=300.0,
        metadata=doc("length of every link (between intersections and entry links), m"),
    )
    speed_limit: float = dataclasses.field(
        default=13.89, metadata=doc("free-flow speed, m/s (13.89 m/s = 50 km/h)")
    )
    lanes: tuple[int, int, int] = dataclasses.field(
        default=(1, 1, 1),
        metadata=doc("lanes of each arm's left, through and right lane group (>= 1 each)"),
    )
    saturation_flow: float = dataclasses.field(
        default=1800.0,
        metadata=doc("discharge rate of a queue at green, vehicles per hour per lane"),
    )
    jam_density: float = dataclasses.field(
        default=0.1333,
        metadata=doc("vehicles per metre per lane at standstill (7.5 m per vehicle); 'ctm'"),
    )
    link_model: str = dataclasses.field(
        default="point",
        metadata=doc(
            "travel along links: 'point' (free-flow travel, then a vertical queue at the "
            "stop line) or 'ctm' (cell transmission: queues take space and spill back)"
        ),
    )
    step_length: float = dataclasses.field(
        default=1.0, metadata=doc("simulation time step, s (the built-in simulator's tick)")
    )
    delta_time: float = dataclasses.field(
        default=5.0, metadata=doc("seconds between two decisions (one env step)")
    )
    yellow_time: float = dataclasses.field(
        default=3.0, metadata=doc("yellow after a green phase ends, s (no discharge)")
    )
    all_red_time: float = dataclasses.field(
        default=0.0, metadata=doc("all red after the yellow, s (no discharge)")
    )
    min_green: float = dataclasses.field(
        default=10.0, metadata=doc("a phase is kept at least this long before a change, s")
    )
    max_green: float = dataclasses.field(
        default=60.0,
        metadata=doc("a phase is never kept longer, s; then the next phase in order follows"),
    )
    phases: tuple[tuple[str, ...], ...] = dataclasses.field(
        default=FOUR_PHASES,
        metadata=doc(
            "green phases, each a list of movements given green (e.g. 'NT' = from north, "
            "through); the order is the cycle order"
        ),
    )
    arrivals: str = dataclasses.field(
        default="poisson",
        metadata=doc("'poisson' (random arrivals) or 'constant' (a steady fluid stream)"),
    )
    entry_flows: tuple[float, float, float, float] = dataclasses.field(
        default=(700.0, 400.0, 700.0, 400.0),
        metadata=doc(
            "vehicles per hour entering on each entry link, by the side it enters from (N, E, S, W)"
        ),
    )
    turning_ratios: tuple[float, float, float] = dataclasses.field(
        default=(0.25, 0.6, 0.15),
        metadata=doc("share of the vehicles of an arm turning left, going through, turning right"),
    )
    flow_profile: tuple[float, ...] = dataclasses.field(
        default=(1.0,),
        metadata=doc(
            "time-varying demand: multipliers of entry_flows over successive "
            "profile_interval periods, cycled"
        ),
    )
    profile_interval: float = dataclasses.field(
        default=900.0, metadata=doc("seconds each flow_profile multiplier lasts")
    )
    flow_file: str | None = dataclasses.field(
        default=None,
        metadata=doc(
            "replay vehicles from a CityFlow flow JSON or a SUMO route file instead of "
            "entry_flows (builtin: entry times replayed, turning ratios taken from the routes)"
        ),
    )
    roadnet_file: str | None = dataclasses.field(
        default=None,
        metadata=doc(
            "a CityFlow road network JSON (with a CityFlow flow_file): its intersections, "
            "roads, movements and light phases replace the grid; both backends. A relative "
            "path not found from the working folder is read from fieldgym's own folder "
            "(data/traffic/grid2x2/roadnet.json: a shipped example)"
        ),
    )
    intersection: str | None = dataclasses.field(
        default=None,
        metadata=doc(
            "TrafficSignal with roadnet_file: id of the intersection the agent controls "
            "(the others run the file's fixed-time plan); needed if the file has several"
        ),
    )
    net_file: str | None = dataclasses.field(
        default=None,
        metadata=doc("'sumo': a user .net.xml instead of a generated network (needs route_file)"),
    )
    route_file: str | None = dataclasses.field(
        default=None, metadata=doc("'sumo': a user .rou.xml for the network (with net_file)")
    )
    sumo_interface: str = dataclasses.field(
        default="libsumo",
        metadata=doc("'libsumo' (fast, one simulation per process) or 'traci' (several)"),
    )
    reward: str | Callable[..., Any] = dataclasses.field(
        default="wait",
        metadata=doc(
            "'queue', 'wait' (change in waiting time), 'pressure', 'delay', 'throughput', "
            "'combined' (weighted sum of all parts) or a callable reward(parts, weights, config)"
        ),
    )
    reward_weights: dict[str, float] = dataclasses.field(
        default_factory=lambda: {part: 1.0 for part in REWARD_PARTS},
        metadata=doc(f"weight of each reward part: {', '.join(REWARD_PARTS)}"),
    )

    @property
    def num_intersections(self) -> int:
        """Number of signalized intersections, ``rows * cols``."""
        return self.rows * self.cols

    @property
    def lost_time(self) -> float:
        """Seconds without green in a change of phase: yellow plus all red."""
        return self.yellow_time + self.all_red_time

    def validate(self) -> None:
        check_choice("backend", self.backend, BACKENDS)
        check_number("rows", self.rows, low=1, integer=True)
        check_number("cols", self.cols, low=1, integer=True)
        check_number("link_length", self.link_length, low=1.0)
        check_number("speed_limit", self.speed_limit, low=0, low_inclusive=False)
        check_sequence("lanes", self.lanes, 3, low=1, integer=True)
        check_number("saturation_flow", self.saturation_flow, low=0, low_inclusive=False)
        check_number("jam_density", self.jam_density, low=0, low_inclusive=False)
        check_choice("link_model", self.link_model, LINK_MODELS)
        check_number("step_length", self.step_length, low=0, low_inclusive=False)
        check_number("delta_time", self.delta_time, low=0, low_inclusive=False)
        check_number("yellow_time", self.yellow_time, low=0)
        check_number("all_red_time", self.all_red_time, low=0)
        check_number("min_green", self.min_green, low=0)
        check_number("max_green", self.max_green, low=0)
        self._validate_timing()
        self._validate_phases()
        check_choice("arrivals", self.arrivals, ARRIVALS)
        check_sequence("entry_flows", self.entry_flows, 4, low=0)
        check_sequence("turning_ratios", self.turning_ratios, 3, low=0)
        if abs(sum(self.turning_ratios) - 1.0) > 1e-6:
            raise ConfigError(
                f"turning_ratios={self.turning_ratios!r} is not allowed; the three shares "
                "(left, through, right) must sum to 1."
            )
        if not isinstance(self.flow_profile, tuple) or not self.flow_profile:
            raise ConfigError("flow_profile must be a non-empty list of multipliers.")
        check_sequence("flow_profile", self.flow_profile, len(self.flow_profile), low=0)
        check_number("profile_interval", self.profile_interval, low=0, low_inclusive=False)
        check_choice("sumo_interface", self.sumo_interface, SUMO_INTERFACES)
        self._validate_city()
        if (self.net_file is None) != (self.route_file is None):
            raise ConfigError("net_file and route_file go together: give both or neither.")
        if self.net_file is not None and self.backend != "sumo":
            raise ConfigError("net_file/route_file need backend='sumo'.")
        if self.net_file is not None and self.flow_file is not None:
            raise ConfigError(
                "flow_file replays demand on a generated grid; a user network takes its "
                "demand from route_file."
            )
        if not callable(self.reward):
            check_choice("reward", self.reward, REWARDS)
        check_weights("reward_weights", self.reward_weights, REWARD_PARTS)

    def _validate_city(self) -> None:
        if self.roadnet_file is None:
            if self.intersection is not None:
                raise ConfigError(
                    "intersection names an intersection of a CityFlow road network; give "
                    "roadnet_file too, or leave intersection unset."
                )
            return
        if self.flow_file is None or not str(self.flow_file).endswith(".json"):
            raise ConfigError(
                f"roadnet_file={self.roadnet_file!r} needs its CityFlow flow file: set "
                "flow_file to the flow JSON of the same city."
            )
        if self.net_file is not None:
            raise ConfigError(
                "roadnet_file (a CityFlow network) and net_file (a SUMO network) exclude each "
                "other; the SUMO backend converts roadnet_file itself."
            )
        fields = {f.name: f for f in dataclasses.fields(self)}
        for name in GRID_ONLY:
            field = fields[name]
            default = (
                field.default_factory()  # type: ignore[misc]
                if field.default is dataclasses.MISSING
                else field.default
            )
            if getattr(self, name) != default:
                raise ConfigError(
                    f"{name}={getattr(self, name)!r} describes the generated grid, but "
                    f"roadnet_file={self.roadnet_file!r} gives the network and its demand: "
                    "leave it at its default (and use no grid preset) with a road network file."
                )

    def _validate_timing(self) -> None:
        ticks = self.delta_time / self.step_length
        if abs(ticks - round(ticks)) > 1e-9:
            raise ConfigError(
                f"delta_time={self.delta_time} is not allowed; it must be a whole number of "
                f"step_length={self.step_length} s."
            )
        for name in ("yellow_time", "all_red_time"):
            value = getattr(self, name) / self.step_length
            if abs(value - round(value)) > 1e-9:
                raise ConfigError(
                    f"{name}={getattr(self, name)} is not allowed; it must be a whole number "
                    f"of step_length={self.step_length} s."
                )
        if self.lost_time >= self.delta_time:
            raise ConfigError(
                f"delta_time={self.delta_time} is not allowed; it must exceed yellow_time + "
                f"all_red_time = {self.lost_time}, so that a change of phase ends within one step."
            )
        if self.max_green < self.min_green + self.delta_time:
            raise ConfigError(
                f"max_green={self.max_green} is not allowed; it must be >= min_green + "
                f"delta_time = {self.min_green + self.delta_time}."
            )

    def _validate_phases(self) -> None:
        if not isinstance(self.phases, tuple) or len(self.phases) < 2:
            raise ConfigError("phases must be a list of at least two phases.")
        for k, phase in enumerate(self.phases):
            if not isinstance(phase, tuple | list) or not phase:
                raise ConfigError(f"phases[{k}] must be a non-empty list of movements.")
            for movement in phase:
                check_choice(f"phases[{k}] movement", movement, MOVEMENTS)


GRID_ONLY = (
    "rows",
    "cols",
    "link_length",
    "speed_limit",
    "lanes",
    "link_model",
    "phases",
    "arrivals",
    "entry_flows",
    "turning_ratios",
    "flow_profile",
    "profile_interval",
)
"""Fields that describe the generated grid and its demand; a road network file gives them."""

PRESETS: dict[str, dict[str, Any]] = {
    # One four-arm intersection, heavier north-south demand, protected lefts (the default).
    "single": {},
    # Five intersections along an east-west main street with side streets.
    "arterial": {"cols": 5, "entry_flows": (300.0, 700.0, 300.0, 700.0)},
    # A 4 x 4 grid with cell transmission, so queues take space and spill back upstream.
    "grid4x4": {
        "rows": 4,
        "cols": 4,
        "link_model": "ctm",
        "entry_flows": (400.0, 300.0, 400.0, 300.0),
    },
}
"""Field values of the named presets; ``"single"`` is the default config."""
TrafficConfig.presets = PRESETS
