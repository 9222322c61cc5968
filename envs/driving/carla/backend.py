"""The CARLA backend of the driving environments (``backend="carla"``).

:class:`CarlaBackend` implements :class:`fieldgym.envs.driving.backend.DrivingBackend`
on a CARLA 0.9.16 server: it connects at ``carla_host:carla_port`` (failing within
``carla_timeout_s`` with the way to start a server), runs the world synchronously with
``fixed_delta_seconds = dt``, spawns the ego vehicle with collision and lane-invasion
sensors and the surrounding traffic under the Traffic Manager (:mod:`.traffic`), and
reports every step in the road frame of the contract (:mod:`.route`). Every actor it
spawned is destroyed on :meth:`~CarlaBackend.close`, before a new episode, and whenever
an exception escapes :meth:`~CarlaBackend.reset` or :meth:`~CarlaBackend.step`; in the
last case the server's settings are restored too, and the next reset reconnects.

What the reported :class:`~fieldgym.envs.driving.backend.WorldState` means here:

* Lateral coordinates (``y``, ``vy``) are scaled by ``config.lane_width`` over the
  map's width of lane 0 at the spawn point, so lane ``k``'s centre is at
  ``k * config.lane_width`` as on the built-in road (the environment places lanes with
  ``config.lane_width``); ``lane_width`` is ``config.lane_width``. Longitudinal
  coordinates and footprints are in metres.
* ``acceleration`` is the ego's measured change of forward speed over the step;
  ``steering`` the front-wheel angle CARLA was told to apply (:mod:`.control`).
* ``collided``: the collision sensor fired, or the ego's footprint crosses the outer
  edge of the ``lanes`` lanes; ``lane_invasion``: a solid marking or the road edge was
  crossed (:mod:`.sensors`), or the footprint crosses that edge (as the built-in's
  off-road flag).
* ``others``: the spawned traffic within ``sensor_range`` along the road and on the
  ``lanes`` lanes (give or take a lane), sorted by ``x``.
"""

from __future__ import annotations

import math
import warnings
from types import ModuleType
from typing import Any

import numpy as np

from fieldgym.envs.core.errors import ConfigError
from fieldgym.envs.core.optional import require
from fieldgym.envs.driving.backend import WorldState
from fieldgym.envs.driving.carla import roads
from fieldgym.envs.driving.carla.connection import CarlaConnectionError, Session, connect
from fieldgym.envs.driving.carla.control import (
    LongitudinalController,
    max_steer_angle,
    steer_angle,
    steer_command,
)
from fieldgym.envs.driving.carla.readout import over_edge, traffic_rows
from fieldgym.envs.driving.carla.route import Route, to_plane, wrap_angle, yaw_to_plane
from fieldgym.envs.driving.carla.sensors import COLLISION, LANE_INVASION, EventLatch
from fieldgym.envs.driving.carla.traffic import (
    BOLD_IGNORE_LIGHTS,
    BOLD_RANDOM_LANE_CHANGE,
    KMH,
    Driver,
    level_parameters,
    plan_traffic,
    window,
)
from fieldgym.envs.driving.state import EGO

EGO_BLUEPRINT = "vehicle.tesla.model3"
SENSOR_RANGE = 100.0
"""Surrounding vehicles within this distance along the road (m) are reported."""
ROUTE_AHEAD = 1000.0
"""Route built ahead of the spawn waypoint at least, and added when the ego nears its
end (m)."""
ROUTE_MARGIN = 20.0
"""Route built beyond the farthest vehicle placed or perceived (m)."""
SPAWN_LIFT = 0.5
"""Height (m) above a waypoint at which vehicles are spawned, clear of the road mesh."""
EGO_SEARCH = 50.0
"""The ego is first looked for within this distance (m) of its last ``x``."""
DEFAULT_DESIRED_SPEED = 24.0
"""Drivers' mean desired speed (m/s) when the config has no ``desired_speed``."""


class CarlaBackend:
    """Driving on a CARLA server, reported in the contract's road frame.

    Args:
        config: Any object with the attributes ``lanes``, ``lane_width`` (m), ``dt`` (s),
            ``vehicles``, ``carla_host``, ``carla_port``, ``carla_timeout_s`` (s),
            ``carla_town`` (``None`` or empty keeps the server's town) and
            ``carla_tm_port``; read when present: ``desired_speed`` (m/s, default
            :data:`DEFAULT_DESIRED_SPEED`) and ``ego_speed`` (m/s, default 0).
        sensor_range: Distance along the road (m) within which vehicles are reported.
        ego_blueprint: Blueprint id of the ego vehicle.
        carla_module: The ``carla`` client module; by default the installed package
            (the ``carla`` extra). Tests pass a stand-in (:mod:`.fake`).

    Nothing connects until the first :meth:`reset`.
    """

    def __init__(
        self,
        config: Any,
        *,
        sensor_range: float = SENSOR_RANGE,
        ego_blueprint: str = EGO_BLUEPRINT,
        carla_module: ModuleType | None = None,
    ) -> None:
        self.config = config
        self.lanes = int(config.lanes)
        self.dt = float(config.dt)
        self.vehicles = int(config.vehicles)
        if self.lanes < 1 or self.dt <= 0.0 or self.vehicles < 0:
            raise ConfigError(
                f"CARLA backend: lanes={config.lanes}, dt={config.dt}, "
                f"vehicles={config.vehicles}; need lanes >= 1, dt > 0 and vehicles >= 0."
            )
        if float(config.carla_timeout_s) <= 0.0:
            raise ConfigError(f"carla_timeout_s={config.carla_timeout_s} must be > 0 s.")
        self.sensor_range = float(sensor_range)
        self.ego_blueprint = ego_blueprint
        self.carla = carla_module or require("carla", "carla", "The CARLA driving backend")
        self.session: Session | None = None
        self.ego: Any = None
        self.traffic: list[Any] = []
        self.sensors: list[Any] = []
        self.events = EventLatch(self.carla)
        self.controller = LongitudinalController()
        self.route: Route | None = None
        self.route_waypoints: list[Any] = []
        self.lane_width = float(config.lane_width)
        self.map_lane_width = self.lane_width
        self.desired_speed = float(getattr(config, "desired_speed", DEFAULT_DESIRED_SPEED))
        self.ego_speed = float(getattr(config, "ego_speed", 0.0))
        self.ego_length = self.ego_width = 0.0
        self.max_steer = 1.0
        self.time = 0.0
        self.speed = 0.0
        self.measured_acceleration = 0.0
        self.last_x = 0.0

    # -- lifecycle ---------------------------------------------------------------------

    def reset(self, seed: int | None, level: int) -> WorldState:
        """Destroy the last episode's actors and start a new one (connecting if needed)."""
        level_parameters(level)  # a bad level fails before anything is touched
        behind, ahead = window(self.vehicles, self.lanes, level)
        route_behind = max(behind, self.sensor_range) + ROUTE_MARGIN
        route_ahead = max(ahead + self.sensor_range, ROUTE_AHEAD) + ROUTE_MARGIN
        try:
            if self.session is None:
                self.session = connect(self.carla, self.config)
            self._destroy_actors()
            rng = np.random.default_rng(seed)
            if seed is not None:
                self.session.traffic_manager.set_random_device_seed(int(seed) % 2**32)
            lane0 = self._choose_spawn(rng, ahead + self.sensor_range)
            self.route, self.route_waypoints = roads.build_route(lane0, route_behind, route_ahead)
            self.map_lane_width = float(lane0.lane_width)
            ego_lane = int(rng.integers(self.lanes))
            self._spawn_ego(ego_lane)
            drivers = plan_traffic(
                rng, self.vehicles, self.lanes, ego_lane, level, self.desired_speed
            )
            self._spawn_traffic(rng, drivers)
            self._tick()
            self.events.consume()  # nothing from spawning counts as the first step's
            self.controller.reset()
            self.time = 0.0
            self.speed = self._forward_speed()
            self.measured_acceleration = 0.0
            self.last_x = 0.0
            return self._state(0.0, 0.0, events=(False, False))
        except BaseException:
            self._abort()
            raise

    def step(self, acceleration: float, steering: float) -> WorldState:
        """Apply the command for one tick of ``dt`` and report the world."""
        if self.session is None or self.ego is None:
            raise RuntimeError("CarlaBackend.step() called before reset().")
        try:
            carla = self.carla
            throttle, brake = self.controller.pedal(
                float(acceleration), self.measured_acceleration, self.speed, self.dt
            )
            steer = steer_command(float(steering), self.max_steer)
            self.ego.apply_control(
                carla.VehicleControl(throttle=throttle, steer=steer, brake=brake)
            )
            self._tick()
            self.time += self.dt
            speed = self._forward_speed()
            self.measured_acceleration = (speed - self.speed) / self.dt
            self.speed = speed
            state = self._state(self.measured_acceleration, steer_angle(steer, self.max_steer))
            self._extend_route(float(state.ego[EGO.x]))
            return state
        except BaseException:
            self._abort()
            raise

    def close(self) -> None:
        """Destroy every spawned actor and give the server back its settings.

        Never raises: what could not be cleaned up is reported in one ``RuntimeWarning``.
        Once the server stops answering, no further calls are made (each would wait
        ``carla_timeout_s``).
        """
        failures = self._destroy_actors()
        if self.session is not None:
            if not _timed_out(failures):
                failures += self.session.restore()
            self.session = None
        if failures:
            warnings.warn(
                "CARLA cleanup was incomplete: " + "; ".join(failures), RuntimeWarning, stacklevel=2
            )

    def __enter__(self) -> CarlaBackend:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _abort(self) -> None:
        """Clean up after an exception without masking it."""
        try:
            self.close()
        except Exception as exc:  # pragma: no cover - close() only warns
            warnings.warn(f"CARLA cleanup failed: {exc}", RuntimeWarning, stacklevel=3)

    def _destroy_actors(self) -> list[str]:
        """Stop and destroy the sensors, then the vehicles; return what failed."""
        failures: list[str] = []
        for sensor in self.sensors:
            try:
                sensor.stop()  # client side: no server call
            except Exception as exc:
                failures.append(f"stop sensor {getattr(sensor, 'id', '?')}: {exc}")
        vehicles = [self.ego] if self.ego is not None else []
        actors = [*self.sensors, *vehicles, *self.traffic]
        for k, actor in enumerate(actors):
            try:
                actor.destroy()
            except Exception as exc:
                failures.append(f"destroy actor {getattr(actor, 'id', '?')}: {exc}")
                if _timed_out(failures):
                    failures.append(
                        f"the server stopped answering; {len(actors) - k - 1} more actors "
                        "were not destroyed"
                    )
                    break
        self.sensors, self.traffic, self.ego = [], [], None
        return failures

    def _tick(self) -> None:
        session = self.session
        assert session is not None
        try:
            session.world.tick(session.timeout)
        except RuntimeError as exc:
            raise CarlaConnectionError(
                f"The CARLA server at {session.host}:{session.port} did not complete a tick "
                f"within carla_timeout_s={session.timeout:g} s ({exc}); it may have crashed "
                "or another client may be driving it."
            ) from exc

    # -- episode set-up ----------------------------------------------------------------

    def _choose_spawn(self, rng: np.random.Generator, needed: float) -> Any:
        session = self.session
        assert session is not None
        candidates, most = roads.spawn_candidates(self.carla, session.map, self.lanes)
        if not candidates:
            raise ConfigError(
                f"CARLA map {session.map.name!r} has no spawn point on a road with "
                f"lanes={self.lanes} lanes in one direction (at most {most}). Choose a town "
                "with wider roads (carla_town='Town04' or 'Town06') or fewer lanes."
            )
        for k in rng.permutation(len(candidates)):
            lane0 = candidates[int(k)]
            if len(roads.walk(lane0, needed)) * roads.ROUTE_SPACING >= needed - 1e-9:
                return lane0
        raise ConfigError(
            f"CARLA map {session.map.name!r}: no {self.lanes}-lane spawn point has "
            f"{needed:.0f} m of road ahead (traffic window and sensor range); choose "
            "another carla_town or fewer vehicles."
        )

    def _lane_transform(self, lane: int, x: float) -> Any | None:
        assert self.route is not None
        waypoint = roads.lane_from(self.carla, self.route_waypoints[self.route.index_at(x)], lane)
        if waypoint is None:
            return None
        where, rotation = waypoint.transform.location, waypoint.transform.rotation
        location = self.carla.Location(x=where.x, y=where.y, z=where.z + SPAWN_LIFT)
        return self.carla.Transform(location, rotation)

    def _spawn_ego(self, lane: int) -> None:
        session, carla = self.session, self.carla
        assert session is not None
        library = session.world.get_blueprint_library()
        blueprint = library.find(self.ego_blueprint)
        if blueprint.has_attribute("role_name"):
            blueprint.set_attribute("role_name", "hero")
        transform = self._lane_transform(lane, 0.0)
        ego = None if transform is None else session.world.try_spawn_actor(blueprint, transform)
        if ego is None:
            raise RuntimeError(
                f"CARLA refused to spawn the ego ({self.ego_blueprint}) in lane {lane} of "
                f"{session.map.name!r}: the place is occupied (actors left by another client?)."
            )
        self.ego = ego
        if self.ego_speed > 0.0:
            ego.set_target_velocity(self._velocity(transform, self.ego_speed))
        extent = ego.bounding_box.extent
        self.ego_length, self.ego_width = 2.0 * float(extent.x), 2.0 * float(extent.y)
        self.max_steer = max_steer_angle(ego.get_physics_control().wheels)
        for kind, callback in (
            (COLLISION, self.events.on_collision),
            (LANE_INVASION, self.events.on_lane_invasion),
        ):
            sensor = session.world.spawn_actor(library.find(kind), carla.Transform(), attach_to=ego)
            self.sensors.append(sensor)  # recorded before listen(), so cleanup sees it
            sensor.listen(callback)

    def _velocity(self, transform: Any, speed: float) -> Any:
        """A world velocity of ``speed`` m/s along ``transform``'s heading."""
        yaw = math.radians(transform.rotation.yaw)
        return self.carla.Vector3D(x=speed * math.cos(yaw), y=speed * math.sin(yaw), z=0.0)

    def _spawn_traffic(self, rng: np.random.Generator, drivers: list[Driver]) -> None:
        """Spawn the planned drivers that fit on the route and hand them to the TM."""
        session = self.session
        assert session is not None and self.route is not None
        tm, tm_port = session.traffic_manager, int(self.config.carla_tm_port)
        library = session.world.get_blueprint_library()
        blueprints = sorted(
            (b for b in library.filter("vehicle.*") if _four_wheels(b)), key=lambda b: b.id
        )
        if drivers and not blueprints:
            raise RuntimeError("the CARLA blueprint library has no four-wheeled vehicle")
        lo, hi = self.route.start_x + 1.0, self.route.end_x - 1.0
        for driver in drivers:
            blueprint = blueprints[int(rng.integers(len(blueprints)))]
            inside = lo <= driver.x <= hi
            transform = self._lane_transform(driver.lane, driver.x) if inside else None
            if blueprint.has_attribute("role_name"):
                blueprint.set_attribute("role_name", "autopilot")
            if transform is None:
                continue
            actor = session.world.try_spawn_actor(blueprint, transform)
            if actor is None:
                continue
            self.traffic.append(actor)
            actor.set_target_velocity(self._velocity(transform, driver.start_speed))
            actor.set_autopilot(True, tm_port)
            tm.set_desired_speed(actor, driver.desired_speed * KMH)
            tm.distance_to_leading_vehicle(actor, driver.gap)
            tm.auto_lane_change(actor, True)
            random_change = BOLD_RANDOM_LANE_CHANGE if driver.bold else 0.0
            tm.random_left_lanechange_percentage(actor, random_change)
            tm.random_right_lanechange_percentage(actor, random_change)
            tm.ignore_lights_percentage(actor, BOLD_IGNORE_LIGHTS if driver.bold else 0.0)

    def _extend_route(self, ego_x: float) -> None:
        assert self.route is not None
        if self.route.end_x - ego_x > self.sensor_range + ROUTE_MARGIN:
            return
        more = roads.walk(self.route_waypoints[-1], ROUTE_AHEAD)
        if more:
            self.route.extend(roads.plane_points(more))
            self.route_waypoints.extend(more)

    # -- reading the world -------------------------------------------------------------

    def _forward_speed(self) -> float:
        yaw = yaw_to_plane(self.ego.get_transform().rotation.yaw)
        v = self.ego.get_velocity()
        vx, vy = to_plane(v.x, v.y)
        return float(vx * math.cos(yaw) + vy * math.sin(yaw))

    @property
    def lateral_scale(self) -> float:
        """Reported lateral coordinates per metre on the map (config over map lane width)."""
        return self.lane_width / self.map_lane_width

    def _state(
        self, acceleration: float, steering: float, events: tuple[bool, bool] | None = None
    ) -> WorldState:
        assert self.route is not None
        transform = self.ego.get_transform()
        here = np.array([to_plane(transform.location.x, transform.location.y)])
        # Search near the last position first, so a route that comes back close to
        # itself (a ring road) cannot capture the ego; fall back to the whole route if
        # the ego is not near that stretch (it was moved, or the step was long).
        reach = EGO_SEARCH + abs(self.speed) * self.dt
        near = self.route.project(here, self.last_x - reach, self.last_x + reach)
        if near.distance[0] > self.lanes * self.map_lane_width + EGO_SEARCH:
            near = self.route.project(here)
        x, y = float(near.x[0]), float(near.y[0])  # metres on the map
        self.last_x = x
        road_yaw = math.atan2(near.tangent[0, 1], near.tangent[0, 0])
        heading = float(wrap_angle(yaw_to_plane(transform.rotation.yaw) - road_yaw))

        collided, invaded = self.events.consume() if events is None else events
        if over_edge(y, heading, self.ego_length, self.ego_width, self.lanes, self.map_lane_width):
            collided = invaded = True
        scale = self.lateral_scale
        ego = np.empty(len(EGO))
        ego[EGO.x], ego[EGO.y], ego[EGO.heading] = x, y * scale, heading
        ego[EGO.speed], ego[EGO.acceleration], ego[EGO.steering] = (
            self.speed,
            acceleration,
            steering,
        )
        return WorldState(
            ego=ego,
            others=self._others(x),
            ego_length=self.ego_length,
            ego_width=self.ego_width,
            lanes=self.lanes,
            lane_width=self.lane_width,
            time=self.time,
            collided=bool(collided),
            lane_invasion=bool(invaded),
        )

    def _others(self, ego_x: float) -> np.ndarray:
        assert self.route is not None
        return traffic_rows(
            self.traffic,
            self.route,
            ego_x,
            self.sensor_range,
            self.lanes,
            self.map_lane_width,
            self.lateral_scale,
        )


def _timed_out(failures: list[str]) -> bool:
    """Whether a cleanup failure was the client giving up on the server."""
    return any("time-out" in f or "timed out" in f for f in failures)


def _four_wheels(blueprint: Any) -> bool:
    if not blueprint.has_attribute("number_of_wheels"):
        return True
    return int(blueprint.get_attribute("number_of_wheels").as_int()) == 4
