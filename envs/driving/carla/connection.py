"""Connecting to a CARLA server: the client, the town, synchronous mode, the Traffic Manager.

A session switches the server to synchronous mode with a fixed step (the server waits
for our ``world.tick()`` and advances exactly ``dt`` seconds per tick) and puts the
Traffic Manager in synchronous mode too, as CARLA requires when one client ticks.
:meth:`Session.restore` undoes both. The world's settings are restored as they were
found, except that synchronous mode is always switched off: a server left synchronous
with nobody ticking freezes for every other client.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from fieldgym.envs.core.errors import ConfigError, FieldgymError

LOAD_WORLD_TIMEOUT_S = 120.0
"""Client timeout (s) while the server loads a different town (loading takes tens of
seconds; ``carla_timeout_s`` still bounds the connection attempt itself)."""
MAX_SUBSTEP_S = 0.01
"""CARLA's default physics sub-step (s); longer ``dt`` get more sub-steps."""
MAX_SUBSTEPS = 16
"""CARLA accepts at most 16 physics sub-steps per tick."""


class CarlaConnectionError(FieldgymError, ConnectionError):
    """No CARLA server answered at the configured host and port, or it stopped answering.

    Proposed for ``fieldgym.envs.core.errors`` as a shared ``SimulatorConnectionError``.
    """


def start_hint(port: int) -> str:
    """How to start a CARLA 0.9.16 server listening on ``port``."""
    return (
        "Start a CARLA 0.9.16 server first, e.g. from its release folder: "
        f"`./CarlaUE4.sh -RenderOffScreen -carla-rpc-port={port}`, or with Docker: "
        "`docker run --rm --gpus all --net=host carlasim/carla:0.9.16 "
        f"bash CarlaUE4.sh -RenderOffScreen -carla-rpc-port={port}` (the Traffic Manager "
        f"also needs carla_tm_port free); or use backend='builtin', which needs no server."
    )


def unreachable(host: str, port: int, timeout: float, exc: BaseException) -> CarlaConnectionError:
    """The error for a server that did not answer within ``timeout`` seconds."""
    return CarlaConnectionError(
        f"No CARLA server answered at {host}:{port} within carla_timeout_s={timeout:g} s "
        f"({exc}). {start_hint(port)} If the server runs elsewhere, set carla_host/"
        "carla_port; if it is just slow to start, raise carla_timeout_s."
    )


@dataclass
class Session:
    """An open connection: client, world, map, Traffic Manager and the settings to restore."""

    carla: ModuleType
    client: Any
    world: Any
    map: Any
    traffic_manager: Any
    original_settings: Any
    host: str
    port: int
    timeout: float

    def restore(self) -> list[str]:
        """Switch synchronous mode off and restore the world's settings.

        Returns:
            What failed (empty if everything was restored); nothing is raised, so a
            failed step does not stop the next.
        """
        failures: list[str] = []
        try:
            self.traffic_manager.set_synchronous_mode(False)
        except Exception as exc:
            failures.append(f"Traffic Manager synchronous mode off: {exc}")
        try:
            settings = self.original_settings
            settings.synchronous_mode = False
            self.world.apply_settings(settings)
        except Exception as exc:
            failures.append(f"world settings restore: {exc}")
        return failures


def _map_basename(name: str) -> str:
    return str(name).rstrip("/").rsplit("/", 1)[-1]


def connect(carla: ModuleType, config: Any) -> Session:
    """Open a :class:`Session` on the server named by ``config``.

    Reads ``carla_host``, ``carla_port``, ``carla_timeout_s``, ``carla_town`` (``None``
    or empty keeps the loaded town), ``carla_tm_port`` and ``dt``.

    Raises:
        ConfigError: If the server cannot load ``carla_town``.
        CarlaConnectionError: If the server does not answer within ``carla_timeout_s``,
            or the Traffic Manager cannot start on ``carla_tm_port``.
    """
    host, port = str(config.carla_host), int(config.carla_port)
    timeout = float(config.carla_timeout_s)
    try:
        client = carla.Client(host, port)
        client.set_timeout(timeout)
        server_version = client.get_server_version()
        world = client.get_world()
    except RuntimeError as exc:
        raise unreachable(host, port, timeout, exc) from exc
    client_version = client.get_client_version()
    if str(server_version) != str(client_version):
        warnings.warn(
            f"CARLA server {host}:{port} runs {server_version} but the client package is "
            f"{client_version}; mismatched versions may misbehave.",
            RuntimeWarning,
            stacklevel=3,
        )
    town = getattr(config, "carla_town", None)
    carla_map = world.get_map()
    if town and _map_basename(carla_map.name) != _map_basename(town):
        client.set_timeout(max(timeout, LOAD_WORLD_TIMEOUT_S))
        try:
            world = client.load_world(town)
        except RuntimeError as exc:
            client.set_timeout(timeout)
            maps = sorted(_map_basename(m) for m in client.get_available_maps())
            raise ConfigError(
                f"carla_town={town!r} could not be loaded by the CARLA server at "
                f"{host}:{port} ({exc}). Its towns: {', '.join(maps)}."
            ) from exc
        client.set_timeout(timeout)
        carla_map = world.get_map()

    original = world.get_settings()
    settings = world.get_settings()
    settings.synchronous_mode = True
    settings.fixed_delta_seconds = float(config.dt)
    substeps = math.ceil(float(config.dt) / MAX_SUBSTEP_S - 1e-9)
    if substeps > MAX_SUBSTEPS:
        settings.max_substep_delta_time = float(config.dt) / MAX_SUBSTEPS
        settings.max_substeps = MAX_SUBSTEPS
    elif substeps > settings.max_substeps:
        settings.max_substeps = substeps
    world.apply_settings(settings)
    tm_port = int(config.carla_tm_port)
    try:
        traffic_manager = client.get_trafficmanager(tm_port)
        traffic_manager.set_synchronous_mode(True)
    except RuntimeError as exc:
        original.synchronous_mode = False
        world.apply_settings(original)
        raise CarlaConnectionError(
            f"The CARLA Traffic Manager could not start on carla_tm_port={tm_port} "
            f"(server {host}:{port}): {exc}. Choose a free port for carla_tm_port."
        ) from exc
    return Session(carla, client, world, carla_map, traffic_manager, original, host, port, timeout)
