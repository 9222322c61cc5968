"""Rewards of the offloading environment: a vector [-delay, -energy] and its scalarizations."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from fieldgym.envs.core.rewards import RewardFn, weighted_sum
from fieldgym.envs.wireless.offloading_config import OffloadingConfig
from fieldgym.envs.wireless.offloading_dynamics import RECORD, SERVER_BACKLOGS


def linear_reward(parts: Mapping[str, Any], weights: Mapping[str, Any], config: Any) -> Any:
    """The preference-weighted sum of the scaled objectives (each part is already negative)."""
    return weighted_sum(parts, weights)


def chebyshev_reward(parts: Mapping[str, Any], weights: Mapping[str, Any], config: Any) -> Any:
    """Minus the largest weighted scaled objective (weighted Chebyshev scalarization)."""
    return np.minimum(weights["delay"] * parts["delay"], weights["energy"] * parts["energy"])


REWARDS: dict[str, RewardFn] = {"linear": linear_reward, "chebyshev": chebyshev_reward}


def record_columns(config: OffloadingConfig) -> dict[str, int | slice]:
    """Name -> column (or slice) of the per-step record, server backlogs last."""
    columns: dict[str, int | slice] = dict(RECORD._asdict())
    columns["server_backlog"] = slice(SERVER_BACKLOGS, SERVER_BACKLOGS + config.num_servers)
    return columns


def vector_reward(record: np.ndarray) -> np.ndarray:
    """``(B, 2)`` float32 rewards ``[-delay objective (s), -energy (J)]`` (mo-gymnasium order)."""
    out = np.empty((record.shape[0], 2), dtype=np.float32)
    out[:, 0] = -record[:, RECORD.delay_objective]
    out[:, 1] = -record[:, RECORD.energy]
    return out


def reward_parts(record: np.ndarray, config: OffloadingConfig) -> dict[str, np.ndarray]:
    """The signed, scaled objectives per copy: ``delay`` and ``energy``."""
    return {
        "delay": -record[:, RECORD.delay_objective] / config.delay_scale_s,
        "energy": -record[:, RECORD.energy] / config.energy_scale_j,
    }


def reward_weights(record: np.ndarray) -> dict[str, np.ndarray]:
    """The episode's preference per copy, as weights of the parts."""
    return {"delay": record[:, RECORD.w_delay], "energy": record[:, RECORD.w_energy]}


def step_kpis(record: np.ndarray, config: OffloadingConfig) -> dict[str, np.ndarray]:
    """The decided task's raw quantities per copy (first axis), as views of the record."""
    return {name: record[:, column] for name, column in record_columns(config).items()}
