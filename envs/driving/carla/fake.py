"""An in-memory stand-in for the subset of the ``carla`` client API the backend uses.

No CARLA server runs on most machines, so the backend's logic is tested against this
test double: ``make_fake_carla(FakeServer(...))`` returns a module that can be passed as
``CarlaBackend(config, carla_module=...)`` or put in ``sys.modules["carla"]``. The
server holds one straight road (any position and heading) with right-hand lanes
``-1 .. -n`` and opposite lanes ``1 .. m`` (OpenDRIVE ids), a shoulder outside lane
``-n``, spawn points on lane ``-1``, and a world that records every settings change,
spawn and destruction.

Physics per tick of ``fixed_delta_seconds``: vehicles under autopilot drive straight
ahead at their ``autopilot_speed`` (set by the fake Traffic Manager's
``set_desired_speed``, in km/h like CARLA's); the others follow a kinematic bicycle whose
acceleration is ``throttle_gain * throttle - brake_gain * brake - rolling``
(deliberately not the backend's feed-forward calibration) and whose front wheels turn
by ``steer * max_steer_angle``. Sensor events are raised by the test through
:meth:`FakeWorld.emit_collision` / :meth:`FakeWorld.emit_lane_invasion`, now or during
the next tick. Like CARLA, the frame is left-handed: yaw in degrees, clockwise.
"""

from __future__ import annotations

import copy
import math
import types
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from fieldgym.envs.driving.carla.fake_api import (
    BLUEPRINTS,
    EXTENTS,
    ActorBlueprint,
    BlueprintLibrary,
    BoundingBox,
    FakeRoad,
    LaneMarking,
    LaneMarkingType,
    LaneType,
    Location,
    Map,
    Rotation,
    Transform,
    Vector3D,
    VehicleControl,
    VehiclePhysicsControl,
    Waypoint,
    WheelPhysicsControl,
    WorldSettings,
)

__all__ = [
    "FakeRoad",
    "FakeServer",
    "FakeWorld",
    "LaneMarkingType",
    "Location",
    "Rotation",
    "TrafficManager",
    "Transform",
    "Vehicle",
    "Waypoint",
    "WorldSettings",
    "make_fake_carla",
]


class Actor:
    """Stand-in for ``carla.Actor``."""

    def __init__(
        self,
        world: FakeWorld,
        actor_id: int,
        blueprint: ActorBlueprint,
        transform: Transform,
        parent: Actor | None = None,
    ) -> None:
        self.world, self.id, self.type_id = world, actor_id, blueprint.id
        self.attributes = dict(blueprint.attributes)
        self.transform, self.parent = copy.deepcopy(transform), parent
        self.is_alive = True

    def get_transform(self) -> Transform:
        return copy.deepcopy(self.transform)

    def set_transform(self, transform: Transform) -> None:
        self.transform = copy.deepcopy(transform)

    def destroy(self) -> bool:
        if not self.is_alive:
            return False
        self.is_alive = False
        self.world.server.actors.pop(self.id, None)
        self.world.server.destroyed.append(self.id)
        return True


class Vehicle(Actor):
    """Stand-in for ``carla.Vehicle``."""

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        half_length, half_width = EXTENTS.get(self.type_id, (2.0, 0.9))
        self.bounding_box = BoundingBox(Vector3D(half_length, half_width, 0.75))
        self.velocity = Vector3D()
        self.control = VehicleControl()
        self.autopilot: tuple[bool, int] | None = None
        self.autopilot_speed = 10.0
        self.max_steer_angle = 70.0

    def get_velocity(self) -> Vector3D:
        return copy.deepcopy(self.velocity)

    def set_target_velocity(self, velocity: Vector3D) -> None:
        self.velocity = copy.deepcopy(velocity)

    def apply_control(self, control: VehicleControl) -> None:
        self.control = copy.deepcopy(control)

    def get_control(self) -> VehicleControl:
        return copy.deepcopy(self.control)

    def get_physics_control(self) -> VehiclePhysicsControl:
        front = [WheelPhysicsControl(self.max_steer_angle)] * 2
        return VehiclePhysicsControl(front + [WheelPhysicsControl(0.0)] * 2)

    def set_autopilot(self, enabled: bool = True, port: int = 8000) -> None:
        self.autopilot = (enabled, port)

    def advance(self, dt: float) -> None:
        yaw = math.radians(self.transform.rotation.yaw)
        if self.autopilot and self.autopilot[0]:
            speed = self.autopilot_speed
        else:
            server = self.world.server
            speed = self.velocity.x * math.cos(yaw) + self.velocity.y * math.sin(yaw)
            accel = (
                server.throttle_gain * self.control.throttle
                - server.brake_gain * self.control.brake
                - (server.rolling if speed > 0 else 0.0)
            )
            speed = max(speed + accel * dt, 0.0)
            wheel = math.radians(self.control.steer * self.max_steer_angle)
            yaw += speed / server.wheelbase * math.tan(wheel) * dt  # CARLA: steer > 0 turns right
            self.transform.rotation.yaw = math.degrees(yaw)
        self.velocity = Vector3D(speed * math.cos(yaw), speed * math.sin(yaw), 0.0)
        self.transform.location.x += self.velocity.x * dt
        self.transform.location.y += self.velocity.y * dt


class Sensor(Actor):
    """Stand-in for ``carla.Sensor``."""

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.callback: Callable[[Any], None] | None = None

    def listen(self, callback: Callable[[Any], None]) -> None:
        self.callback = callback

    def is_listening(self) -> bool:
        return self.callback is not None

    def stop(self) -> None:
        self.callback = None


@dataclass
class CollisionEvent:
    """Stand-in for ``carla.CollisionEvent``."""

    actor: Actor
    other_actor: Actor | None


@dataclass
class LaneInvasionEvent:
    """Stand-in for ``carla.LaneInvasionEvent``."""

    actor: Actor
    crossed_lane_markings: list[LaneMarking]


class TrafficManager:
    """Stand-in for ``carla.TrafficManager``."""

    def __init__(self, port: int) -> None:
        self.port, self.calls, self.synchronous = port, [], False

    def _log(self, name: str, *args: Any) -> None:
        self.calls.append((name, *args))

    def set_synchronous_mode(self, mode_switch: bool = True) -> None:
        self.synchronous = mode_switch
        self._log("set_synchronous_mode", mode_switch)

    def set_random_device_seed(self, value: int) -> None:
        self._log("set_random_device_seed", value)

    def set_desired_speed(self, actor: Actor, speed: float) -> None:
        """Record the call and make the fake autopilot drive at ``speed`` km/h."""
        self._log("set_desired_speed", actor.id, speed)
        actor.autopilot_speed = speed / 3.6  # type: ignore[attr-defined]

    def vehicle_percentage_speed_difference(self, actor: Actor, percentage: float) -> None:
        self._log("vehicle_percentage_speed_difference", actor.id, percentage)

    def distance_to_leading_vehicle(self, actor: Actor, distance: float) -> None:
        self._log("distance_to_leading_vehicle", actor.id, distance)

    def auto_lane_change(self, actor: Actor, enable: bool) -> None:
        self._log("auto_lane_change", actor.id, enable)

    def random_left_lanechange_percentage(self, actor: Actor, percentage: float) -> None:
        self._log("random_left_lanechange_percentage", actor.id, percentage)

    def random_right_lanechange_percentage(self, actor: Actor, percentage: float) -> None:
        self._log("random_right_lanechange_percentage", actor.id, percentage)

    def ignore_lights_percentage(self, actor: Actor, perc: float) -> None:
        self._log("ignore_lights_percentage", actor.id, perc)


class FakeWorld:
    """Stand-in for ``carla.World``, with helpers to raise sensor events."""

    def __init__(self, server: FakeServer) -> None:
        self.server, self.map, self.frame = server, Map(server.road), 0
        self.pending: list[Callable[[], None]] = []

    def get_map(self) -> Map:
        return self.map

    def get_settings(self) -> WorldSettings:
        return copy.deepcopy(self.server.settings)

    def apply_settings(self, settings: WorldSettings) -> int:
        self.server.settings = copy.deepcopy(settings)
        self.server.settings_log.append(copy.deepcopy(settings))
        return self.frame

    def get_blueprint_library(self) -> BlueprintLibrary:
        return BlueprintLibrary(copy.deepcopy(b) for b in BLUEPRINTS)

    def try_spawn_actor(
        self, blueprint: ActorBlueprint, transform: Transform, attach_to: Actor | None = None
    ) -> Actor | None:
        server = self.server
        if blueprint.id.startswith("sensor."):
            actor: Actor = Sensor(self, server.next_id, blueprint, transform, attach_to)
        else:
            where = transform.location
            for other in server.actors.values():
                there = other.transform.location
                if (
                    isinstance(other, Vehicle)
                    and math.hypot(where.x - there.x, where.y - there.y) < server.occupied_radius
                ):
                    return None
            actor = Vehicle(self, server.next_id, blueprint, transform, attach_to)
        server.next_id += 1
        server.actors[actor.id] = actor
        server.spawned.append(actor.id)
        return actor

    def spawn_actor(
        self, blueprint: ActorBlueprint, transform: Transform, attach_to: Actor | None = None
    ) -> Actor:
        actor = self.try_spawn_actor(blueprint, transform, attach_to)
        if actor is None:
            raise RuntimeError("Spawn failed because of collision at spawn position")
        return actor

    def tick(self, seconds: float = 10.0) -> int:
        settings = self.server.settings
        if not settings.synchronous_mode:
            raise RuntimeError("tick() in asynchronous mode (the fake only runs synchronously)")
        for actor in list(self.server.actors.values()):
            if isinstance(actor, Vehicle):
                actor.advance(float(settings.fixed_delta_seconds or 0.05))
        self.frame += 1
        pending, self.pending = self.pending, []
        for emit in pending:
            emit()
        return self.frame

    def _sensors_on(self, actor: Actor, type_id: str) -> list[Sensor]:
        return [
            s
            for s in self.server.actors.values()
            if isinstance(s, Sensor) and s.parent is actor and s.type_id == type_id
        ]

    def emit_collision(
        self, actor: Actor, other: Actor | None = None, during_next_tick: bool = False
    ) -> None:
        """Call the collision sensors on ``actor`` (now, or inside the next tick)."""

        def emit() -> None:
            for sensor in self._sensors_on(actor, "sensor.other.collision"):
                if sensor.callback:
                    sensor.callback(CollisionEvent(actor, other))

        self.pending.append(emit) if during_next_tick else emit()

    def emit_lane_invasion(
        self, actor: Actor, markings: list[LaneMarkingType], during_next_tick: bool = False
    ) -> None:
        """Call the lane-invasion sensors on ``actor`` with crossed markings of these types."""

        def emit() -> None:
            event = LaneInvasionEvent(actor, [LaneMarking(m) for m in markings])
            for sensor in self._sensors_on(actor, "sensor.other.lane_invasion"):
                if sensor.callback:
                    sensor.callback(event)

        self.pending.append(emit) if during_next_tick else emit()


@dataclass
class FakeServer:
    """The simulator behind the fake clients; tests inspect its records."""

    road: FakeRoad = field(default_factory=FakeRoad)
    reachable: bool = True
    version: str = "0.9.16"
    throttle_gain: float = 3.0
    brake_gain: float = 9.0
    rolling: float = 0.3
    wheelbase: float = 2.9
    occupied_radius: float = 2.0
    settings: WorldSettings = field(default_factory=WorldSettings)
    settings_log: list[WorldSettings] = field(default_factory=list)
    actors: dict[int, Actor] = field(default_factory=dict)
    spawned: list[int] = field(default_factory=list)
    destroyed: list[int] = field(default_factory=list)
    traffic_managers: dict[int, TrafficManager] = field(default_factory=dict)
    loaded: list[str] = field(default_factory=list)
    towns: tuple[str, ...] = ("Town01", "Town04", "Town06")
    next_id: int = 100
    world: FakeWorld | None = None

    def get_world(self) -> FakeWorld:
        if self.world is None:
            self.world = FakeWorld(self)
        return self.world


def make_fake_carla(server: FakeServer) -> types.ModuleType:
    """A module with the ``carla`` names the backend uses, all bound to ``server``."""

    class Client:
        def __init__(
            self, host: str = "127.0.0.1", port: int = 2000, worker_threads: int = 0
        ) -> None:
            self.host, self.port, self.timeout = host, port, 5.0

        def _check(self) -> None:
            if not server.reachable:
                raise RuntimeError(
                    f"time-out of {int(self.timeout * 1000)}ms while waiting for the "
                    f"simulator, make sure the simulator is ready and connected to "
                    f"{self.host}:{self.port}"
                )

        def set_timeout(self, seconds: float) -> None:
            self.timeout = seconds

        def get_server_version(self) -> str:
            self._check()
            return server.version

        def get_client_version(self) -> str:
            return "0.9.16"

        def get_world(self) -> FakeWorld:
            self._check()
            return server.get_world()

        def get_available_maps(self) -> list[str]:
            self._check()
            return [f"/Game/Carla/Maps/{town}" for town in server.towns]

        def load_world(self, map_name: str) -> FakeWorld:
            self._check()
            if map_name not in server.towns:
                raise RuntimeError(f"map '{map_name}' not found")
            server.loaded.append(map_name)
            server.road.name = f"Carla/Maps/{map_name}"
            server.world = FakeWorld(server)
            return server.world

        def get_trafficmanager(self, client_connection: int = 8000) -> TrafficManager:
            self._check()
            return server.traffic_managers.setdefault(
                client_connection, TrafficManager(client_connection)
            )

    module = types.ModuleType("carla")
    names = dict(
        Client=Client,
        Location=Location,
        Rotation=Rotation,
        Transform=Transform,
        Vector3D=Vector3D,
        VehicleControl=VehicleControl,
        WorldSettings=WorldSettings,
        LaneType=LaneType,
        LaneMarkingType=LaneMarkingType,
    )
    for name, value in names.items():
        setattr(module, name, value)
    return module
