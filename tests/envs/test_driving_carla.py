"""The CARLA backend's logic against a test double of the ``carla`` client API.

Every test runs on :mod:`fieldgym.envs.driving.carla.fake` (no server, no network): the
fake records settings, spawns and destructions, drives a straight road placed at an
arbitrary position and heading, and raises sensor events on request. Expected road-frame
numbers are computed by hand from the fake road's geometry.
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass, replace

import numpy as np
import pytest

from fieldgym.envs.core.errors import ConfigError, MissingDependencyError
from fieldgym.envs.driving.backend import EGO_FIELDS, OTHER_FIELDS
from fieldgym.envs.driving.carla import CarlaBackend, CarlaConnectionError
from fieldgym.envs.driving.carla import control as ctl
from fieldgym.envs.driving.carla.fake import (
    FakeRoad,
    FakeServer,
    LaneMarkingType,
    Location,
    Rotation,
    TrafficManager,
    Transform,
    Vehicle,
    WorldSettings,
    make_fake_carla,
)
from fieldgym.envs.driving.carla.route import Route
from fieldgym.envs.driving.carla.traffic import (
    BOLD_GAP,
    BOLD_IGNORE_LIGHTS,
    CALM_GAP,
    KMH,
    window,
)
from fieldgym.envs.driving.config import LEVELS


@dataclass(frozen=True)
class Config:
    """The DrivingConfig fields the backend reads (backend.py's contract, plus the
    optional ``desired_speed`` and ``ego_speed``)."""

    lanes: int = 3
    lane_width: float = 3.5
    dt: float = 0.1
    vehicles: int = 8
    carla_host: str = "127.0.0.1"
    carla_port: int = 2000
    carla_timeout_s: float = 2.0
    carla_town: str | None = "Town04"
    carla_tm_port: int = 8000
    desired_speed: float = 24.0
    ego_speed: float = 0.0


ROAD = FakeRoad(origin=(100.0, -50.0), yaw=30.0, right_lanes=3, left_lanes=2, lane_width=3.5)
SPAWN_S = ROAD.spawn_s[0]


def make(config: Config | None = None, road: FakeRoad = ROAD, **server_fields):
    server = FakeServer(road=replace(road), **server_fields)
    backend = CarlaBackend(config or Config(), carla_module=make_fake_carla(server))
    return backend, server


def road_transform(s: float, right: float, yaw_offset: float = 0.0) -> Transform:
    """A transform ``s`` m along the fake road's reference line and ``right`` m right of it."""
    x, y = ROAD.point(s, right)
    return Transform(Location(x, y, 0.0), Rotation(yaw=ROAD.yaw + yaw_offset))


def lane_right(lane: int, config: Config = Config()) -> float:
    """Offset right of the reference line of road-frame lane ``lane`` (lane 0 = id -3)."""
    return (config.lanes - lane - 0.5) * ROAD.lane_width


def ego_lane(state) -> int:
    return round(state.ego[1] / state.lane_width)


# -- connection, settings, cleanup ---------------------------------------------------


def test_synchronous_fixed_step_on_connect_and_original_settings_on_close():
    original = WorldSettings(no_rendering_mode=True, fixed_delta_seconds=0.03)
    backend, server = make(settings=replace(original))
    backend.reset(seed=0, level=1)
    assert server.settings.synchronous_mode is True
    assert server.settings.fixed_delta_seconds == pytest.approx(0.1)
    assert server.settings.no_rendering_mode is True
    tm = server.traffic_managers[8000]
    assert tm.synchronous is True
    backend.close()
    assert server.settings == original  # as found, synchronous off
    assert tm.synchronous is False


def test_synchronous_mode_left_on_by_someone_else_is_switched_off_on_close():
    backend, server = make(settings=WorldSettings(synchronous_mode=True, fixed_delta_seconds=0.05))
    backend.reset(seed=0, level=0)
    backend.close()
    assert server.settings.synchronous_mode is False
    assert server.settings.fixed_delta_seconds == 0.05


@pytest.mark.parametrize(
    ("dt", "substeps", "substep"), [(0.05, 10, 0.01), (0.12, 12, 0.01), (0.25, 16, 0.25 / 16)]
)
def test_physics_substeps_cover_the_step(dt, substeps, substep):
    backend, server = make(Config(dt=dt))
    backend.reset(seed=0, level=0)
    assert server.settings.max_substeps == substeps
    assert server.settings.max_substep_delta_time == pytest.approx(substep)
    assert substeps * substep >= dt - 1e-12
    backend.close()


def test_town_is_loaded_only_when_different():
    backend, server = make(Config(carla_town="Town04"))
    backend.reset(seed=0, level=0)
    backend.close()
    assert server.loaded == []
    backend, server = make(Config(carla_town="Town06"))
    backend.reset(seed=0, level=0)
    backend.close()
    assert server.loaded == ["Town06"]


def test_unknown_town_lists_the_servers_towns():
    backend, server = make(Config(carla_town="Town99"))
    with pytest.raises(ConfigError, match=r"Town99.*Town01, Town04, Town06"):
        backend.reset(seed=0, level=0)
    assert server.settings_log == [] and server.spawned == []


def test_all_spawned_actors_destroyed_on_close():
    backend, server = make()
    state = backend.reset(seed=3, level=3)
    sensors = [a for a in server.actors.values() if a.type_id.startswith("sensor.")]
    assert sorted(s.type_id for s in sensors) == [
        "sensor.other.collision",
        "sensor.other.lane_invasion",
    ]
    assert all(s.parent is backend.ego and s.callback is not None for s in sensors)
    vehicles = [a for a in server.actors.values() if isinstance(a, Vehicle)]
    assert len(vehicles) == 1 + 8
    assert all(v.autopilot == (True, 8000) for v in vehicles if v is not backend.ego)
    assert len(state.others) > 0
    for _ in range(3):
        backend.step(0.5, 0.0)
    backend.close()
    assert server.actors == {}
    assert sorted(server.destroyed) == sorted(server.spawned)
    assert all(s.callback is None for s in sensors)  # stopped before destruction


def test_reset_destroys_the_previous_episode_first():
    backend, server = make()
    backend.reset(seed=0, level=2)
    first = set(server.spawned)
    backend.reset(seed=1, level=2)
    assert first <= set(server.destroyed)
    assert set(server.actors) == set(server.spawned) - first
    backend.close()
    assert server.actors == {}


def test_error_in_step_destroys_everything_and_restores_settings(monkeypatch):
    backend, server = make()
    backend.reset(seed=0, level=3)

    def broken_tick(seconds=10.0):
        raise ValueError("injected")

    monkeypatch.setattr(server.world, "tick", broken_tick)
    with pytest.raises(ValueError, match="injected"):
        backend.step(1.0, 0.0)
    assert server.actors == {}
    assert server.settings.synchronous_mode is False
    assert server.traffic_managers[8000].synchronous is False
    monkeypatch.undo()
    state = backend.reset(seed=0, level=3)  # reconnects
    assert server.settings.synchronous_mode is True and state.time == 0.0
    backend.close()


def test_error_in_reset_after_spawning_destroys_what_was_spawned(monkeypatch):
    backend, server = make()
    tm = server.traffic_managers.setdefault(8000, TrafficManager(8000))

    def broken(actor, distance):
        raise RuntimeError("injected")

    monkeypatch.setattr(tm, "distance_to_leading_vehicle", broken)
    with pytest.raises(RuntimeError, match="injected"):
        backend.reset(seed=0, level=1)
    assert len(server.spawned) >= 4  # ego, two sensors and one vehicle were spawned
    assert server.actors == {}
    assert server.settings.synchronous_mode is False


def test_tick_timeout_names_host_and_port(monkeypatch):
    backend, server = make()
    backend.reset(seed=0, level=0)

    def timeout(seconds=10.0):
        raise RuntimeError("time-out of 2000ms while waiting for the simulator")

    monkeypatch.setattr(server.world, "tick", timeout)
    with pytest.raises(CarlaConnectionError, match=r"127\.0\.0\.1:2000"):
        backend.step(0.0, 0.0)
    assert server.actors == {}


def test_cleanup_stops_calling_a_server_that_stopped_answering(monkeypatch):
    backend, server = make()
    backend.reset(seed=0, level=2)
    calls = []

    def dead(self):
        calls.append(self.id)
        raise RuntimeError("time-out of 2000ms while waiting for the simulator")

    monkeypatch.setattr(Vehicle, "destroy", dead)
    log_before = len(server.settings_log)
    with pytest.warns(RuntimeWarning, match="stopped answering"):
        backend.close()
    assert len(calls) == 1  # not one timeout per actor
    assert len(server.settings_log) == log_before  # no restore attempted either
    assert backend.session is None and backend.ego is None and backend.traffic == []


def test_unreachable_server_error_names_host_port_and_how_to_start():
    backend, server = make(Config(carla_host="10.1.2.3", carla_port=2345), reachable=False)
    with pytest.raises(CarlaConnectionError) as info:
        backend.reset(seed=0, level=0)
    message = str(info.value)
    assert "10.1.2.3:2345" in message
    assert "./CarlaUE4.sh -RenderOffScreen -carla-rpc-port=2345" in message
    assert "carlasim/carla:0.9.16" in message and "carla_timeout_s=2" in message
    assert isinstance(info.value, ConnectionError)
    assert server.spawned == []


def test_missing_carla_package_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "carla", None)
    with pytest.raises(MissingDependencyError, match=r"fieldgym\[carla\]"):
        CarlaBackend(Config())


def test_too_few_lanes_on_the_map_is_a_config_error():
    backend, server = make(Config(lanes=4))
    with pytest.raises(ConfigError, match=r"lanes=4.*at most 3"):
        backend.reset(seed=0, level=0)
    assert server.actors == {} and server.settings.synchronous_mode is False


def test_invalid_level_fails_before_connecting():
    backend, server = make()
    with pytest.raises(ConfigError, match="level"):
        backend.reset(seed=0, level=-1)
    assert server.settings_log == []


def test_step_before_reset_is_an_error():
    backend, _ = make()
    with pytest.raises(RuntimeError, match="reset"):
        backend.step(0.0, 0.0)


# -- sensors ---------------------------------------------------------------------------


def test_collision_sets_collided_for_exactly_one_step():
    backend, server = make(Config(vehicles=0))
    backend.reset(seed=0, level=0)
    server.world.emit_collision(backend.ego, during_next_tick=True)
    flags = [backend.step(0.0, 0.0).collided for _ in range(3)]
    assert flags == [True, False, False]
    server.world.emit_collision(backend.ego)  # arrives between steps: next step reports it
    server.world.emit_collision(backend.ego)
    flags = [backend.step(0.0, 0.0).collided for _ in range(2)]
    assert flags == [True, False]
    backend.close()


@pytest.mark.parametrize(
    ("markings", "expected"),
    [
        ([LaneMarkingType.Solid], True),
        ([LaneMarkingType.Broken], False),
        ([LaneMarkingType.Broken, LaneMarkingType.SolidSolid], True),
        ([LaneMarkingType.Curb], True),
        ([LaneMarkingType.BottsDots], False),
    ],
)
def test_lane_invasion_counts_solid_markings_for_one_step(markings, expected):
    backend, server = make(Config(vehicles=0))
    backend.reset(seed=0, level=0)
    server.world.emit_lane_invasion(backend.ego, markings, during_next_tick=True)
    flags = [backend.step(0.0, 0.0).lane_invasion for _ in range(2)]
    assert flags == [expected, False]
    backend.close()


def test_events_before_the_first_step_are_not_reported():
    backend, _ = make(Config(vehicles=0))
    state = backend.reset(seed=0, level=0)
    assert not state.collided and not state.lane_invasion
    assert not backend.step(0.0, 0.0).collided
    backend.close()


# -- control ---------------------------------------------------------------------------


def test_pedal_map_first_step_is_feed_forward_plus_proportional():
    backend, _ = make(Config(vehicles=0))
    backend.reset(seed=0, level=0)
    backend.step(2.0, 0.0)
    control = backend.ego.get_control()
    assert control.brake == 0.0
    assert control.throttle == pytest.approx(2.0 / ctl.THROTTLE_ACCEL + ctl.KP * 2.0)
    for _ in range(20):
        backend.step(2.0, 0.0)
    backend.step(-3.0, 0.0)
    control = backend.ego.get_control()
    assert control.throttle == 0.0 and control.brake > 0.0
    backend.close()


def test_standstill_with_no_push_holds_the_brake():
    controller = ctl.LongitudinalController()
    controller.integral = 0.3
    assert controller.pedal(0.0, 0.0, speed=0.0, dt=0.1) == (0.0, 1.0)
    assert controller.integral == 0.0
    throttle, brake = controller.pedal(0.5, 0.0, speed=0.0, dt=0.1)
    assert throttle > 0.0 and brake == 0.0


@pytest.mark.parametrize(("gain", "rolling"), [(3.0, 0.3), (6.0, 0.1), (2.0, 0.6)])
def test_pi_loop_tracks_acceleration_on_a_miscalibrated_plant(gain, rolling):
    backend, _ = make(Config(vehicles=0), throttle_gain=gain, rolling=rolling)
    backend.reset(seed=0, level=0)
    for _ in range(60):
        state = backend.step(1.0, 0.0)
    assert state.ego[EGO_FIELDS.index("acceleration")] == pytest.approx(1.0, abs=0.02)
    for _ in range(60):  # holding speed needs throttle against rolling resistance
        state = backend.step(0.0, 0.0)
    assert state.ego[EGO_FIELDS.index("acceleration")] == pytest.approx(0.0, abs=0.02)
    assert state.ego[EGO_FIELDS.index("speed")] > 5.0
    backend.close()


def test_steering_sign_and_normalisation():
    backend, _ = make(Config(vehicles=0))
    backend.reset(seed=0, level=0)
    max_steer = math.radians(70.0)  # the fake's front-wheel max_steer_angle
    for _ in range(20):
        backend.step(1.0, 0.0)
    y0 = backend.step(0.0, 0.1).ego[1]
    assert backend.ego.get_control().steer == pytest.approx(-0.1 / max_steer)  # CARLA: + right
    for _ in range(10):
        state = backend.step(0.0, 0.1)
    assert state.ego[EGO_FIELDS.index("steering")] == pytest.approx(0.1)
    assert state.ego[1] > y0 + 0.05 and state.ego[2] > 0.0  # drifted and turned left
    state = backend.step(0.0, -5.0)
    assert backend.ego.get_control().steer == 1.0
    assert state.ego[EGO_FIELDS.index("steering")] == pytest.approx(-max_steer)
    backend.close()


# -- road frame ------------------------------------------------------------------------


def test_projection_on_a_rotated_straight_road():
    config = Config(vehicles=0)
    backend, server = make(config)
    state = backend.reset(seed=0, level=0)
    w = ROAD.lane_width
    assert state.lane_width == w and state.lanes == 3
    lane = ego_lane(state)
    assert state.ego[:4] == pytest.approx([0.0, lane * w, 0.0, 0.0], abs=1e-9)
    assert (state.ego_length, state.ego_width) == pytest.approx((4.8, 2.1))
    # The ego 12 m ahead, 0.4 m right of lane 1's centre, turned 10 degrees left (CARLA
    # yaw is clockwise, so -10).
    backend.ego.set_transform(road_transform(SPAWN_S + 12.0, lane_right(1) + 0.4, -10.0))
    library = server.world.get_blueprint_library()
    placed = {  # (s ahead of spawn, metres right of the reference line, yaw offset, speed)
        "ahead": (40.0, lane_right(2) - 0.3, 0.0, 10.0),
        "behind": (-30.0, lane_right(0), 0.0, 5.0),
        "crossing": (20.0, lane_right(0), -90.0, 4.0),  # heading to the left
        "far": (150.0, lane_right(1), 0.0, 10.0),
        "oncoming": (30.0, -0.5 * w, 180.0, 10.0),
    }
    for s, right, yaw, speed in placed.values():
        actor = server.world.try_spawn_actor(
            library.find("vehicle.audi.a2"), road_transform(SPAWN_S + s, right, yaw)
        )
        actor.set_autopilot(True, 8000)
        actor.autopilot_speed = speed
        backend.traffic.append(actor)
    state = backend.step(0.0, 0.0)
    dt = config.dt
    ego = state.ego
    assert ego[0] == pytest.approx(12.0, abs=1e-9)  # the ego is at rest: no motion
    assert ego[1] == pytest.approx(w - 0.4, abs=1e-9)
    assert ego[2] == pytest.approx(math.radians(10.0), abs=1e-9)
    rows = {tuple(np.round(r[:2], 6)): r for r in state.others}
    assert len(state.others) == 3  # "far" is out of range, "oncoming" on the other side
    expected = [  # x, y, vx, vy after one tick of dt
        (40.0 + 10.0 * dt, 2 * w + 0.3, 10.0, 0.0),
        (-30.0 + 5.0 * dt, 0.0, 5.0, 0.0),
        (20.0, 4.0 * dt, 0.0, 4.0),
    ]
    for x, y, vx, vy in expected:
        row = rows[(round(x, 6), round(y, 6))]
        assert row[2:] == pytest.approx([vx, vy, 3.7, 1.8], abs=1e-9)
    assert list(state.others[:, 0]) == sorted(state.others[:, 0])
    assert state.others.shape[1] == len(OTHER_FIELDS)
    backend.close()


def test_footprint_over_the_road_edge_sets_collided_and_lane_invasion():
    backend, _ = make(Config(vehicles=0))
    state = backend.reset(seed=0, level=0)
    half_width, w = state.ego_width / 2, ROAD.lane_width
    inside = w / 2 - half_width  # centre offset at which the footprint touches the edge
    for right, off in [(inside - 0.05, False), (inside + 0.05, True), (-inside + 0.05, False)]:
        backend.ego.set_transform(road_transform(SPAWN_S, lane_right(0) + right))
        state = backend.step(0.0, 0.0)
        assert (state.collided, state.lane_invasion) == (off, off)
    backend.ego.set_transform(road_transform(SPAWN_S, lane_right(2) - inside - 0.05))
    state = backend.step(0.0, 0.0)  # over the left edge of lane 2, the leftmost
    assert state.collided and state.lane_invasion
    backend.close()


def test_route_grows_ahead_of_the_ego():
    backend, _ = make(Config(vehicles=0))
    backend.reset(seed=0, level=0)
    end = backend.route.end_x
    assert end >= 1000.0
    backend.ego.set_transform(road_transform(SPAWN_S + end - 100.0, lane_right(0)))
    state = backend.step(0.0, 0.0)
    assert state.ego[0] == pytest.approx(end - 100.0)
    assert backend.route.end_x == pytest.approx(ROAD.length - SPAWN_S)  # up to the road's end
    backend.close()


def test_route_projection_on_a_circular_arc():
    radius, theta = 80.0, np.linspace(0.0, np.pi / 2, 400)
    points = np.stack([radius * np.sin(theta), radius * (1 - np.cos(theta))], axis=1)  # left turn
    route = Route(points, origin_index=100)
    origin = radius * theta[100]
    angle, offset = 0.9, 2.0
    outside = np.array(
        [[(radius + offset) * np.sin(angle), radius - (radius + offset) * np.cos(angle)]]
    )
    near = route.project(outside)
    assert near.x[0] == pytest.approx(radius * angle - origin, abs=0.01)
    assert near.y[0] == pytest.approx(-offset, abs=0.01)  # outside a left turn is to the right
    assert math.atan2(near.tangent[0, 1], near.tangent[0, 0]) == pytest.approx(angle, abs=0.01)
    # Behind the first vertex, x extends the first segment linearly.
    u = (points[1] - points[0]) / np.linalg.norm(points[1] - points[0])
    p = np.array([-5.0, 1.0])
    before = route.project(p[None, :])
    expected = (p @ u - route.origin_arc, u[0] * p[1] - u[1] * p[0])
    assert (before.x[0], before.y[0]) == pytest.approx(expected, abs=1e-9)
    assert before.x[0] == pytest.approx(-5.0 - origin, abs=0.01)


def test_route_window_keeps_a_hairpin_from_capturing_a_point():
    out = np.stack([np.arange(0.0, 101.0), np.zeros(101)], axis=1)
    angle = np.linspace(-np.pi / 2, np.pi / 2, 40)[1:-1]
    bend = np.stack([100.0 + 5.0 * np.cos(angle), 5.0 + 5.0 * np.sin(angle)], axis=1)
    back = np.stack([np.arange(100.0, -1.0, -1.0), np.full(101, 10.0)], axis=1)
    route = Route(np.concatenate([out, bend, back]), origin_index=0)
    point = np.array([[50.0, 6.0]])
    anywhere = route.project(point)
    assert anywhere.y[0] == pytest.approx(4.0) and anywhere.x[0] > 150.0  # the way back
    windowed = route.project(point, -10.0, 110.0)
    assert (windowed.x[0], windowed.y[0]) == pytest.approx((50.0, 6.0))


# -- traffic and levels ----------------------------------------------------------------


@pytest.mark.parametrize("level", range(len(LEVELS)))
def test_traffic_follows_the_domain_levels(level):
    config = Config(vehicles=24)
    backend, server = make(config)
    state = backend.reset(seed=5, level=level)
    density, spread, aggressive = LEVELS[level]
    tm = server.traffic_managers[8000]
    assert len(backend.traffic) == 24  # every vehicle at every level, as the built-in
    assert ("set_random_device_seed", 5) in tm.calls
    behind, ahead = window(24, 3, level)
    assert behind + ahead == pytest.approx(24 / (density * 3) * 1000.0)
    x = state.others[:, 0]
    assert x.min() >= -behind - 1.0 and x.max() <= min(ahead, 100.0) + 3.0
    per_vehicle = [c for c in tm.calls if len(c) == 3]  # (method, actor id, value)
    calls = {name: [c[2] for c in per_vehicle if c[0] == name] for name, *_ in per_vehicle}
    speeds = np.array(calls["set_desired_speed"]) / KMH
    assert len(speeds) == 24
    assert np.all((speeds >= 0.6 * 24.0 - 1e-9) & (speeds <= 1.5 * 24.0 + 1e-9))
    gaps = np.array(calls["distance_to_leading_vehicle"])
    bold = gaps == BOLD_GAP
    assert np.all(bold | ((gaps >= CALM_GAP[0]) & (gaps <= CALM_GAP[1])))
    assert calls["ignore_lights_percentage"] == [BOLD_IGNORE_LIGHTS if b else 0.0 for b in bold]
    assert calls["auto_lane_change"] == [True] * 24
    if aggressive >= 0.2:
        assert bold.any()
    if aggressive == 0.0:
        assert not bold.any()
        calm = speeds  # desired_speed + spread * N(0, 1), nothing clipped at these spreads
        assert abs(calm.mean() - 24.0) < 4 * max(spread, 1e-9) / np.sqrt(24) + 1e-9
    # others start at 90-100 % of their desired speed (the fake TM then holds it)
    assert np.all(state.others[:, 2] >= 0.6 * 24.0 - 1e-9)
    backend.close()


def test_denser_levels_pack_the_same_vehicles_closer():
    spans = []
    for level in range(len(LEVELS)):
        behind, ahead = window(30, 3, level)
        spans.append(behind + ahead)
    assert spans == sorted(spans, reverse=True)
    assert [lv[1] for lv in LEVELS] == sorted(lv[1] for lv in LEVELS)


def test_ego_starts_at_ego_speed():
    backend, _ = make(Config(vehicles=0, ego_speed=20.0))
    state = backend.reset(seed=0, level=0)
    assert state.ego[EGO_FIELDS.index("speed")] == pytest.approx(20.0, abs=0.1)
    backend.close()


def test_lateral_coordinates_follow_the_config_lane_width():
    config = Config(vehicles=0, lane_width=4.0)  # the map's lanes are 3.5 m
    backend, server = make(config)
    state = backend.reset(seed=1, level=0)
    lane = ego_lane(state)
    assert state.lane_width == 4.0
    assert state.ego[1] == pytest.approx(4.0 * lane)
    library = server.world.get_blueprint_library()
    actor = server.world.try_spawn_actor(
        library.find("vehicle.audi.a2"), road_transform(SPAWN_S + 30.0, lane_right(2) - 0.7, -90)
    )
    actor.set_autopilot(True, 8000)
    actor.autopilot_speed = 2.0
    backend.traffic.append(actor)
    state = backend.step(0.0, 0.0)
    (row,) = state.others
    scale = 4.0 / 3.5
    metres_left = 2 * 3.5 + 0.7 + 2.0 * config.dt
    assert row[:4] == pytest.approx([30.0, metres_left * scale, 0.0, 2.0 * scale])
    assert row[4:] == pytest.approx([3.7, 1.8])  # footprints stay in metres
    backend.close()


def test_same_seed_same_start_different_seed_different_start():
    def start(seed):
        backend, _ = make(Config(vehicles=10))
        state = backend.reset(seed=seed, level=3)
        backend.close()
        return state

    a, b, c = start(11), start(11), start(12)
    np.testing.assert_array_equal(a.others, b.others)
    np.testing.assert_array_equal(a.ego, b.ego)
    assert not (a.others.shape == c.others.shape and np.array_equal(a.others, c.others))


def test_traffic_spawns_clear_of_the_ego_and_inside_the_lanes():
    backend, _ = make(Config(vehicles=30))
    state = backend.reset(seed=2, level=3)
    w = state.lane_width
    lanes = np.rint(state.others[:, 1] / w)
    assert set(lanes) <= {0.0, 1.0, 2.0}
    behind, ahead = window(30, 3, 3)
    spacing = (behind + ahead) / 10  # ten vehicles per lane
    same_lane = lanes == ego_lane(state)
    moved = 1.5 * 24.0 * backend.dt  # one tick at the fastest desired speed
    assert np.all(np.abs(state.others[same_lane, 0]) >= 0.5 * spacing - moved)
    backend.close()
