"""Multi-echelon inventory: serial chains and distribution networks."""

from __future__ import annotations

from fieldgym.envs.core.registration import EnvEntry, add
from fieldgym.envs.inventory.config import PRESETS, InventoryConfig

__all__ = ["PRESETS", "InventoryConfig"]

add(
    EnvEntry(
        id="fieldgym/MultiEchelonInventory-v1",
        entry_point="fieldgym.envs.inventory.env:MultiEchelonInventoryEnv",
        vector_entry_point="fieldgym.envs.inventory.vector:MultiEchelonInventoryVectorEnv",
        max_episode_steps=100,
        domain="inventory",
        metrics="fieldgym.envs.inventory.metrics:episode_metrics",
    )
)
