"""The passive half of the ``carla`` test double: value types, enums, road, blueprints.

Part of :mod:`fieldgym.envs.driving.carla.fake`. :class:`FakeRoad` is a straight road
from ``origin`` along ``yaw`` (CARLA degrees, clockwise, left-handed frame) with
right-hand lanes ``-1 .. -n`` and opposite lanes ``1 .. m`` (OpenDRIVE ids); the lane
beyond each outermost one is a shoulder. :class:`Waypoint` and :class:`Map` answer the
queries the backend makes (``next``/``previous``, left/right lanes, ``get_waypoint``,
spawn points on lane ``-1``).
"""

from __future__ import annotations

import copy
import enum
import fnmatch
import math
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Vector3D:
    """Stand-in for ``carla.Vector3D``."""

    x: float = 0.0
    y: float = 0.0
    z: float = 0.0


class Location(Vector3D):
    """Stand-in for ``carla.Location``."""


@dataclass
class Rotation:
    """Stand-in for ``carla.Rotation``."""

    pitch: float = 0.0
    yaw: float = 0.0
    roll: float = 0.0


@dataclass
class Transform:
    """Stand-in for ``carla.Transform``."""

    location: Location = field(default_factory=Location)
    rotation: Rotation = field(default_factory=Rotation)

    def get_forward_vector(self) -> Vector3D:
        yaw = math.radians(self.rotation.yaw)
        return Vector3D(math.cos(yaw), math.sin(yaw), 0.0)

    def get_right_vector(self) -> Vector3D:
        yaw = math.radians(self.rotation.yaw)
        return Vector3D(-math.sin(yaw), math.cos(yaw), 0.0)


@dataclass
class VehicleControl:
    """Stand-in for ``carla.VehicleControl``."""

    throttle: float = 0.0
    steer: float = 0.0
    brake: float = 0.0
    hand_brake: bool = False
    reverse: bool = False


@dataclass
class WorldSettings:
    """Stand-in for ``carla.WorldSettings``."""

    synchronous_mode: bool = False
    no_rendering_mode: bool = False
    fixed_delta_seconds: float | None = None
    substepping: bool = True
    max_substep_delta_time: float = 0.01
    max_substeps: int = 10


class LaneType(enum.IntFlag):
    """Stand-in for ``carla.LaneType``."""

    NONE = 1
    Driving = 2
    Shoulder = 8
    Sidewalk = 32


class LaneMarkingType(enum.IntEnum):
    """Stand-in for ``carla.LaneMarkingType``."""

    Other = 0
    Broken = 1
    Solid = 2
    SolidSolid = 3
    SolidBroken = 4
    BrokenSolid = 5
    BrokenBroken = 6
    BottsDots = 7
    Grass = 8
    Curb = 9


@dataclass
class LaneMarking:
    """Stand-in for ``carla.LaneMarking``."""

    type: LaneMarkingType


@dataclass
class FakeRoad:
    """A straight road: reference line from ``origin`` along ``yaw`` (CARLA degrees)."""

    origin: tuple[float, float] = (0.0, 0.0)
    yaw: float = 0.0
    length: float = 2000.0
    right_lanes: int = 3
    left_lanes: int = 2
    lane_width: float = 3.5
    road_id: int = 7
    spawn_s: tuple[float, ...] = (400.0,)
    name: str = "Carla/Maps/Town04"

    def point(self, s: float, lateral: float) -> tuple[float, float]:
        """World ``(x, y)`` at ``s`` along the reference line, ``lateral`` m to its right."""
        yaw = math.radians(self.yaw)
        x0, y0 = self.origin
        return (
            x0 + s * math.cos(yaw) - lateral * math.sin(yaw),
            y0 + s * math.sin(yaw) + lateral * math.cos(yaw),
        )

    def lane_offset(self, lane_id: int) -> float:
        """Lateral offset (m, to the right) of a lane's centre."""
        sign = 1.0 if lane_id < 0 else -1.0
        return sign * (abs(lane_id) - 0.5) * self.lane_width


class Waypoint:
    """Stand-in for ``carla.Waypoint``."""

    def __init__(self, road: FakeRoad, lane_id: int, s: float) -> None:
        self.road, self.lane_id, self.s = road, lane_id, s
        self.road_id = road.road_id
        self.lane_width = road.lane_width
        self.is_junction = False
        inside = -road.right_lanes <= lane_id <= road.left_lanes
        self.lane_type = LaneType.Driving if inside else LaneType.Shoulder
        x, y = road.point(s, road.lane_offset(lane_id))
        yaw = road.yaw if lane_id < 0 else road.yaw + 180.0
        self.transform = Transform(Location(x, y, 0.0), Rotation(yaw=yaw))

    def _along(self, d: float) -> list[Waypoint]:
        s = self.s + (d if self.lane_id < 0 else -d)
        return [Waypoint(self.road, self.lane_id, s)] if 0.0 <= s <= self.road.length else []

    def next(self, distance: float) -> list[Waypoint]:
        return self._along(distance)

    def previous(self, distance: float) -> list[Waypoint]:
        return self._along(-distance)

    def _neighbour(self, towards_right: bool) -> Waypoint | None:
        # Ids grow to the left of the road's direction: -n .. -1 | 1 .. m.
        step = -1 if (towards_right == (self.lane_id < 0)) else 1
        lane = self.lane_id + step
        if lane == 0:
            lane = step
        if not -(self.road.right_lanes + 1) <= lane <= self.road.left_lanes + 1:
            return None
        return Waypoint(self.road, lane, self.s)

    def get_right_lane(self) -> Waypoint | None:
        return self._neighbour(True)

    def get_left_lane(self) -> Waypoint | None:
        return self._neighbour(False)


class Map:
    """Stand-in for ``carla.Map``."""

    def __init__(self, road: FakeRoad) -> None:
        self.road = road
        self.name = road.name

    def get_spawn_points(self) -> list[Transform]:
        out = []
        for s in self.road.spawn_s:
            x, y = self.road.point(s, self.road.lane_offset(-1))
            out.append(Transform(Location(x, y, 0.5), Rotation(yaw=self.road.yaw)))
        return out

    def get_waypoint(
        self, location: Location, project_to_road: bool = True, lane_type: Any = LaneType.Driving
    ) -> Waypoint | None:
        road, yaw = self.road, math.radians(self.road.yaw)
        dx, dy = location.x - road.origin[0], location.y - road.origin[1]
        s = dx * math.cos(yaw) + dy * math.sin(yaw)
        lateral = -dx * math.sin(yaw) + dy * math.cos(yaw)
        k = math.floor(abs(lateral) / road.lane_width) + 1
        lanes = road.right_lanes if lateral >= 0 else road.left_lanes
        if (k > lanes or not 0.0 <= s <= road.length) and not project_to_road:
            return None
        k = min(k, lanes)
        s = min(max(s, 0.0), road.length)
        return Waypoint(road, -k if lateral >= 0 else k, s)


class ActorAttribute:
    """Stand-in for ``carla.ActorAttribute``."""

    def __init__(self, value: str) -> None:
        self.value = value

    def as_int(self) -> int:
        return int(self.value)


class ActorBlueprint:
    """Stand-in for ``carla.ActorBlueprint``."""

    def __init__(self, blueprint_id: str, **attributes: str) -> None:
        self.id = blueprint_id
        self.attributes = dict(attributes)

    def has_attribute(self, name: str) -> bool:
        return name in self.attributes

    def get_attribute(self, name: str) -> ActorAttribute:
        return ActorAttribute(self.attributes[name])

    def set_attribute(self, name: str, value: str) -> None:
        self.attributes[name] = value


BLUEPRINTS = (
    ActorBlueprint("vehicle.tesla.model3", number_of_wheels="4", role_name=""),
    ActorBlueprint("vehicle.audi.a2", number_of_wheels="4", role_name=""),
    ActorBlueprint("vehicle.nissan.patrol", number_of_wheels="4", role_name=""),
    ActorBlueprint("vehicle.yamaha.yzf", number_of_wheels="2", role_name=""),
    ActorBlueprint("sensor.other.collision"),
    ActorBlueprint("sensor.other.lane_invasion"),
)
EXTENTS = {
    "vehicle.tesla.model3": (2.4, 1.05),
    "vehicle.audi.a2": (1.85, 0.9),
    "vehicle.nissan.patrol": (2.3, 0.95),
    "vehicle.yamaha.yzf": (1.1, 0.4),
}


class BlueprintLibrary(list):
    """Stand-in for ``carla.BlueprintLibrary``."""

    def find(self, blueprint_id: str) -> ActorBlueprint:
        for blueprint in self:
            if blueprint.id == blueprint_id:
                return copy.deepcopy(blueprint)
        raise IndexError(f"blueprint {blueprint_id!r} not found")

    def filter(self, pattern: str) -> BlueprintLibrary:
        return BlueprintLibrary(copy.deepcopy(b) for b in self if fnmatch.fnmatch(b.id, pattern))


@dataclass
class BoundingBox:
    """Stand-in for ``carla.BoundingBox``."""

    extent: Vector3D


@dataclass
class WheelPhysicsControl:
    """Stand-in for ``carla.WheelPhysicsControl``."""

    max_steer_angle: float


@dataclass
class VehiclePhysicsControl:
    """Stand-in for ``carla.VehiclePhysicsControl``."""

    wheels: list[WheelPhysicsControl]
