"""Quantum circuit search: prepare a target state gate by gate, ideal or under device noise."""

from __future__ import annotations

from fieldgym.envs.core.registration import EnvEntry, add
from fieldgym.envs.quantum.config import MAX_GATES, PRESETS, QuantumConfig

__all__ = ["PRESETS", "QuantumConfig"]

add(
    EnvEntry(
        id="fieldgym/QuantumArchitectureSearch-v1",
        entry_point="fieldgym.envs.quantum.env:QuantumArchitectureSearchEnv",
        vector_entry_point="fieldgym.envs.quantum.vector:QuantumArchitectureSearchVectorEnv",
        max_episode_steps=MAX_GATES,
        domain="quantum",
        metrics="fieldgym.envs.quantum.metrics:episode_metrics",
    )
)
