"""The CARLA backend with the real ``carla`` client package.

* A closed port on localhost: the connection fails within ``carla_timeout_s`` with an
  error naming host, port and how to start a server (no network beyond localhost).
* A live server: runs only when one answers at ``FIELDGYM_CARLA_HOST``:
  ``FIELDGYM_CARLA_PORT`` (default 127.0.0.1:2000); skipped otherwise, with the reason.
"""

from __future__ import annotations

import os
import socket
import time
from dataclasses import dataclass

import numpy as np
import pytest

carla = pytest.importorskip(
    "carla", reason="needs the 'carla' extra (pip install 'fieldgym[carla]')"
)

from fieldgym.envs.driving.backend import EGO_FIELDS, OTHER_FIELDS  # noqa: E402
from fieldgym.envs.driving.carla import CarlaBackend, CarlaConnectionError, fake, fake_api  # noqa: E402  # noqa: E402

HOST = os.environ.get("FIELDGYM_CARLA_HOST", "127.0.0.1")
PORT = int(os.environ.get("FIELDGYM_CARLA_PORT", "2000"))


@dataclass(frozen=True)
class Config:
    lanes: int = 3
    lane_width: float = 3.5
    dt: float = 0.05
    vehicles: int = 10
    carla_host: str = HOST
    carla_port: int = PORT
    carla_timeout_s: float = 10.0
    carla_town: str | None = os.environ.get("FIELDGYM_CARLA_TOWN", "Town04")
    carla_tm_port: int = int(os.environ.get("FIELDGYM_CARLA_TM_PORT", "8000"))


def closed_port() -> int:
    """A localhost port nothing listens on (bound, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_answers(host: str, port: int, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


FAKE_ONLY = {"emit_collision", "emit_lane_invasion", "advance", "server", "pending"}


@pytest.mark.parametrize(
    ("double", "real"),
    [
        (fake.FakeWorld, "World"),
        (fake.Vehicle, "Vehicle"),
        (fake.Sensor, "Sensor"),
        (fake.TrafficManager, "TrafficManager"),
        (fake_api.Map, "Map"),
        (fake_api.Waypoint, "Waypoint"),
        (fake_api.ActorBlueprint, "ActorBlueprint"),
        (fake_api.BlueprintLibrary, "BlueprintLibrary"),
        (fake_api.WorldSettings, "WorldSettings"),
        (fake_api.VehicleControl, "VehicleControl"),
        (fake_api.Transform, "Transform"),
        (fake_api.ActorAttribute, "ActorAttribute"),
        (fake.make_fake_carla(fake.FakeServer()).Client, "Client"),
    ],
)
def test_the_test_double_only_offers_what_the_real_client_has(double, real):
    names = {n for n in vars(double) if not n.startswith("_")} - FAKE_ONLY
    names |= {f for f in getattr(double, "__dataclass_fields__", {})}
    missing = sorted(n for n in names if not hasattr(getattr(carla, real), n))
    assert missing == []


def test_marking_names_exist_in_the_real_client():
    from fieldgym.envs.driving.carla.sensors import FORBIDDEN_MARKINGS

    assert all(hasattr(carla.LaneMarkingType, name) for name in FORBIDDEN_MARKINGS)


def test_no_server_fails_within_the_timeout_naming_host_port_and_the_fix():
    port = closed_port()
    backend = CarlaBackend(Config(carla_host="127.0.0.1", carla_port=port, carla_timeout_s=1.0))
    start = time.monotonic()
    with pytest.raises(CarlaConnectionError) as info:
        backend.reset(seed=0, level=0)
    elapsed = time.monotonic() - start
    assert elapsed < 1.0 + 1.0  # the client's own timeout plus slack for a busy machine
    message = str(info.value)
    assert f"127.0.0.1:{port}" in message
    assert f"-carla-rpc-port={port}" in message and "docker run" in message
    backend.close()  # nothing to clean, must not fail


live = pytest.mark.skipif(
    not server_answers(HOST, PORT),
    reason=f"no CARLA server answers at {HOST}:{PORT} (set FIELDGYM_CARLA_HOST/PORT to use one)",
)


@live
def test_live_server_episode_and_cleanup():
    config = Config()
    backend = CarlaBackend(config)
    ids: set[int] = set()
    try:
        state = backend.reset(seed=0, level=2)
        world = backend.session.world
        settings = world.get_settings()
        assert settings.synchronous_mode
        assert settings.fixed_delta_seconds == pytest.approx(config.dt)
        ids = {backend.ego.id, *(s.id for s in backend.sensors), *(a.id for a in backend.traffic)}
        assert state.ego.shape == (len(EGO_FIELDS),)
        assert state.ego[0] == pytest.approx(0.0, abs=0.5)
        assert state.others.shape[1] == len(OTHER_FIELDS)
        for _ in range(40):
            state = backend.step(1.5, 0.0)
        assert np.all(np.isfinite(state.ego)) and np.all(np.isfinite(state.others))
        assert state.time == pytest.approx(40 * config.dt)
        assert state.ego[EGO_FIELDS.index("speed")] > 0.5
        assert state.ego[0] > 0.5  # moved forward along the route
    finally:
        backend.close()
    client = carla.Client(HOST, PORT)
    client.set_timeout(config.carla_timeout_s)
    world = client.get_world()
    assert not world.get_settings().synchronous_mode
    alive = {a.id for a in world.get_actors()}
    assert ids.isdisjoint(alive)
