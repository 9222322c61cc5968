"""A road network and its trips, as read from CityFlow files: what both backends simulate.

CityFlow describes a city by two JSON files (documented in CityFlow's own docs):

* the **road network**: intersections (a point, ``virtual`` for the border nodes where
  vehicles enter and leave, the road links that cross them with their lane links, and a
  traffic light: light phases, each with its duration and the road links it lets go) and
  roads (directed, from one intersection to another, a polyline of points and a list of
  lanes with their widths and speed limits);
* the **flows**: vehicles (or flows of vehicles repeated every ``interval`` seconds from
  ``startTime`` to ``endTime``), each with a route, the list of roads it drives in order,
  and a ``vehicle`` object whose ``maxSpeed`` caps its speed: CityFlow drives a vehicle
  at most at the smaller of its own ``maxSpeed`` and the lane's speed limit.

:class:`RoadNet` and :class:`Trips` hold them after reading and checking
(:mod:`.files`); the built-in simulator (:mod:`.kernel`) and the SUMO converter
(:mod:`.sumo`) both start from them, so the two backends run the same city and trips.

Terms used across :mod:`fieldgym.envs.traffic.city`:

* a **movement** is one of CityFlow's road links: from an incoming road of an
  intersection to one of its outgoing roads, with its lane links;
* a **green phase** is a light phase that lets some movement go which another phase
  stops; a light phase that only lets go what every phase lets go (CityFlow's files use
  one with the right turns only, 5 s, as the yellow between greens) is a **clearance
  phase**: fieldgym shows its own yellow and all red instead, as on generated grids;
* the **signals** (the agents) are the non-virtual intersections with at least two green
  phases; other non-virtual intersections let every movement go at all times.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

TURNS = ("turn_left", "go_straight", "turn_right")
"""CityFlow's road link types."""


@dataclasses.dataclass(frozen=True)
class Road:
    """A directed road between two intersections.

    Attributes:
        id: CityFlow id (``road_1_1_0`` on CityFlow's generated grids; any string).
        start: Index of the intersection it leaves.
        end: Index of the intersection it reaches.
        points: Its polyline ``((x, y), ...)``, m; at least two points.
        lane_speeds: Speed limit of each lane, m/s, lane 0 first (CityFlow counts lanes
            from the inside, lane 0 next to the centre line).
        lane_widths: Width of each lane, m.
    """

    id: str
    start: int
    end: int
    points: tuple[tuple[float, float], ...]
    lane_speeds: tuple[float, ...]
    lane_widths: tuple[float, ...]

    @property
    def length(self) -> float:
        """Length of the polyline, m."""
        return float(
            sum(math.dist(a, b) for a, b in zip(self.points, self.points[1:], strict=False))
        )

    @property
    def lanes(self) -> int:
        """Number of lanes."""
        return len(self.lane_speeds)

    @property
    def speed(self) -> float:
        """Free-flow speed: the highest lane speed limit, m/s."""
        return max(self.lane_speeds)


@dataclasses.dataclass(frozen=True)
class Movement:
    """A road link: vehicles from road ``inbound`` cross the intersection onto ``outbound``.

    Attributes:
        inbound: Index of the incoming road.
        outbound: Index of the outgoing road.
        turn: One of :data:`TURNS`.
        lane_links: ``((start lane, end lane), ...)``: which lanes of ``inbound`` may
            take the movement, onto which lanes of ``outbound``.
    """

    inbound: int
    outbound: int
    turn: str
    lane_links: tuple[tuple[int, int], ...]

    @property
    def lanes(self) -> int:
        """Lanes of the incoming road that serve the movement (its saturation flow's)."""
        return len({start for start, _ in self.lane_links})


@dataclasses.dataclass(frozen=True)
class LightPhase:
    """One phase of an intersection's light plan, as in the file.

    Attributes:
        time: Its duration in the file's fixed-time plan, s.
        movements: Indices (into the intersection's ``movements``) it lets go.
    """

    time: float
    movements: tuple[int, ...]


@dataclasses.dataclass(frozen=True)
class Intersection:
    """A node of the network.

    Attributes:
        id: CityFlow id.
        point: ``(x, y)``, m.
        virtual: A border node: vehicles enter and leave the network there; no signal.
        movements: Its road links.
        light_phases: Its light plan in order (empty without a traffic light).
    """

    id: str
    point: tuple[float, float]
    virtual: bool
    movements: tuple[Movement, ...]
    light_phases: tuple[LightPhase, ...]

    @property
    def green_phases(self) -> tuple[int, ...]:
        """Indices of the light phases that are green phases (module docstring)."""
        sets = [frozenset(p.movements) for p in self.light_phases]
        always = frozenset.intersection(*sets) if sets else frozenset()
        return tuple(k for k, s in enumerate(sets) if s - always)

    @property
    def signalized(self) -> bool:
        """Whether the intersection is an agent: not virtual, at least two green phases."""
        return not self.virtual and len(self.green_phases) >= 2


@dataclasses.dataclass(frozen=True)
class RoadNet:
    """A road network: intersections and roads, indices into each other.

    Attributes:
        intersections: All intersections, virtual ones included, in file order.
        roads: All roads, in file order.
    """

    intersections: tuple[Intersection, ...]
    roads: tuple[Road, ...]

    @property
    def signals(self) -> tuple[int, ...]:
        """Indices of the signalized intersections (the agents), in file order."""
        return tuple(k for k, inter in enumerate(self.intersections) if inter.signalized)

    def road_index(self) -> dict[str, int]:
        """Road id -> index."""
        return {road.id: k for k, road in enumerate(self.roads)}

    def movement_of(self) -> dict[tuple[int, int], tuple[int, int]]:
        """``(inbound road, outbound road)`` -> ``(intersection, movement index)``."""
        return {
            (m.inbound, m.outbound): (i, k)
            for i, inter in enumerate(self.intersections)
            for k, m in enumerate(inter.movements)
        }


@dataclasses.dataclass(frozen=True)
class Trips:
    """Vehicles with departure times and routes (flows expanded into their vehicles).

    Attributes:
        depart: ``(V,)`` departure time of each vehicle, s, ascending.
        route_start: ``(V + 1,)`` vehicle ``v`` drives ``roads[route_start[v]:
            route_start[v + 1]]`` (at least one road).
        roads: Road indices of all routes, concatenated.
        max_speed: ``(V,)`` each vehicle's own top speed, m/s (its flow's
            ``vehicle.maxSpeed``): on a road it drives at the smaller of this and the
            road's speed (:attr:`Road.speed`). ``np.inf`` where the file gives none: the
            roads' limits alone govern. Optional when constructing: ``None`` (the default)
            means ``np.inf`` for every vehicle; after construction it is always a float
            array.

    Raises:
        ValueError: If ``max_speed`` is not one positive value per vehicle.
    """

    depart: np.ndarray
    route_start: np.ndarray
    roads: np.ndarray
    max_speed: np.ndarray = None  # type: ignore[assignment]  # None: inf (see above)

    def __post_init__(self) -> None:
        size = len(self.depart)
        if self.max_speed is None:
            speed = np.full(size, np.inf)
        else:
            speed = np.asarray(self.max_speed, dtype=np.float64)
        if speed.shape != (size,):
            raise ValueError(
                f"max_speed has shape {speed.shape}; it needs one value per vehicle ({size},)"
            )
        if not (speed > 0).all():
            raise ValueError("max_speed must be positive, m/s (np.inf for no limit of its own)")
        object.__setattr__(self, "max_speed", speed)

    @property
    def num_vehicles(self) -> int:
        """``V``."""
        return len(self.depart)

    def route(self, v: int) -> np.ndarray:
        """The roads vehicle ``v`` drives, in order."""
        return self.roads[self.route_start[v] : self.route_start[v + 1]]
