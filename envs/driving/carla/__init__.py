"""The CARLA backend of the driving environments (``backend="carla"``, the ``carla`` extra).

Importing this package does not import ``carla``: the client package is loaded when a
:class:`CarlaBackend` is created, and a missing one raises
:class:`~fieldgym.envs.core.errors.MissingDependencyError` naming the extra.
"""

from __future__ import annotations

from fieldgym.envs.driving.carla.backend import CarlaBackend
from fieldgym.envs.driving.carla.connection import CarlaConnectionError

__all__ = ["CarlaBackend", "CarlaConnectionError"]
