"""Named reward functions of the quantum architecture search environment, and its KPIs."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from fieldgym.envs.core.rewards import RewardFn, weighted_sum
from fieldgym.envs.quantum.state import RECORD


def dense_reward(parts: Mapping[str, Any], weights: Mapping[str, float], config: Any) -> Any:
    """The weighted sum of every part: fidelity gained, success bonus, gate and CNOT costs."""
    return weighted_sum(parts, weights)


def sparse_reward(parts: Mapping[str, Any], weights: Mapping[str, float], config: Any) -> Any:
    """:func:`dense_reward` without the fidelity improvement (success bonus and costs only)."""
    return weighted_sum({k: v for k, v in parts.items() if k != "fidelity"}, weights)


REWARDS: dict[str, RewardFn] = {"dense": dense_reward, "sparse": sparse_reward}


def reward_parts(columns: Sequence[Any], threshold: float) -> dict[str, Any]:
    """The signed reward parts from a step's record columns (:class:`.state.RecordColumns`).

    ``columns`` holds one float per column (single env) or one array per column with a
    value per copy (vector env); the parts come out alike. ``fidelity``: fidelity after
    minus before the gate; ``success``: 1 when the fidelity reaches ``threshold``;
    ``gate``: -1; ``cnot``: -1 for a two-qubit gate.
    """
    fidelity, previous = columns[RECORD.fidelity], columns[RECORD.previous_fidelity]
    two_qubit = columns[RECORD.two_qubit]
    return {
        "fidelity": fidelity - previous,
        "success": (fidelity >= threshold) * 1.0,
        "gate": fidelity * 0.0 - 1.0,
        "cnot": -two_qubit,
    }


def step_kpis(columns: Sequence[Any], threshold: float) -> dict[str, Any]:
    """The raw per-step quantities from a step's record columns (as :func:`reward_parts`).

    ``fidelity`` is the fidelity with the target after the gate (under the noise model in
    noisy mode), ``gates``, ``cnots`` (two-qubit gates) and ``depth`` describe the circuit
    so far, and ``success`` is 1 once the fidelity reaches the threshold.
    """
    fidelity = columns[RECORD.fidelity]
    return {
        "fidelity": fidelity,
        "gates": columns[RECORD.gates],
        "cnots": columns[RECORD.cnots],
        "depth": columns[RECORD.depth],
        "success": (fidelity >= threshold) * 1.0,
    }
