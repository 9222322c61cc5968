"""Driving: a highway with IDM/MOBIL traffic on a built-in numba simulator, or on CARLA.

* ``fieldgym/Driving-v1`` (:mod:`.env`, natively vectorized in :mod:`.vector`): presets
  ``highway`` (default), ``dense``, ``continuous``, ``merge``, ``intersection``
  (signalized) and ``intersection_yield`` (unsignalized).
* The simulator (:mod:`.sim`, the intersection's crossing road in :mod:`.junction`) sits
  behind the backend contract of :mod:`.backend` (:mod:`.builtin`; CARLA in
  :mod:`.carla`, imported only with ``backend="carla"``).
* Observations :mod:`.observe`, meta-action controller and reward parts :mod:`.control`,
  metrics :mod:`.metrics`, the curriculum wrappers :mod:`.curriculum`.
"""

from __future__ import annotations

from fieldgym.envs.core.registration import EnvEntry, add
from fieldgym.envs.driving.config import LEVELS, PRESETS, DrivingConfig

__all__ = ["LEVELS", "PRESETS", "DrivingConfig"]

add(
    EnvEntry(
        id="fieldgym/Driving-v1",
        entry_point="fieldgym.envs.driving.env:DrivingEnv",
        vector_entry_point="fieldgym.envs.driving.vector:DrivingVectorEnv",
        max_episode_steps=40,
        domain="driving",
        metrics="fieldgym.envs.driving.metrics:episode_metrics",
    )
)
