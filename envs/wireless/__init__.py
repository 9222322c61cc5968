"""Wireless: multi-objective edge-computing offloading and cooperating-UAV offloading."""

from __future__ import annotations

from fieldgym.envs.core.registration import EnvEntry, add
from fieldgym.envs.wireless.offloading_config import OffloadingConfig

__all__ = ["OffloadingConfig"]

add(
    EnvEntry(
        id="fieldgym/EdgeOffloading-v1",
        entry_point="fieldgym.envs.wireless.offloading_env:EdgeOffloadingEnv",
        vector_entry_point="fieldgym.envs.wireless.offloading_vector:EdgeOffloadingVectorEnv",
        max_episode_steps=200,
        domain="wireless",
        metrics="fieldgym.envs.wireless.offloading_metrics:episode_metrics",
    )
)

add(
    EnvEntry(
        id="fieldgym/UAVOffloading-v1",
        entry_point="fieldgym.envs.wireless.uav_env:UAVOffloadingEnv",
        max_episode_steps=None,
        domain="wireless",
        metrics="fieldgym.envs.wireless.uav_metrics:episode_metrics",
    ),
    parallel=True,
)
