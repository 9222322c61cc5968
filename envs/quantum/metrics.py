"""The metrics of circuit search, from one episode of per-step KPIs."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from fieldgym.envs.core.metrics import Metric, MetricTable
from fieldgym.envs.quantum.config import QuantumConfig

METRICS = MetricTable(
    headline="final_fidelity",
    metrics=(
        Metric(
            "success",
            "share",
            True,
            "1 if the fidelity reached the success threshold (mean: success rate).",
        ),
        Metric(
            "final_fidelity",
            "fidelity",
            True,
            "Fidelity of the final circuit's state to the target.",
        ),
        Metric("max_fidelity", "fidelity", True, "Highest fidelity reached during the episode."),
        Metric("gates", "count", False, "Gates in the final circuit."),
        Metric("cnots", "count", False, "Two-qubit gates in the final circuit."),
        Metric("depth", "layers", False, "Depth of the final circuit."),
        Metric(
            "steps_to_solution",
            "gates",
            False,
            "Gates applied when the threshold was first reached (NaN if never).",
        ),
    ),
)
"""The metrics :func:`episode_metrics` returns, and the headline a comparison ranks by."""


def episode_metrics(kpis: Mapping[str, np.ndarray], config: QuantumConfig) -> dict[str, float]:
    """Success, fidelity and the size of the circuit built in one episode.

    Args:
        kpis: Per-step KPI arrays of one episode (as
            :class:`~fieldgym.envs.core.wrappers.RecordKPIs` gives them).
        config: The environment's config.

    Returns:
        ``success`` (1 if the fidelity reached ``success_threshold``, else 0; its mean over
        episodes is the success rate), ``final_fidelity`` and ``max_fidelity`` (under the
        noise model in noisy mode), the final circuit's ``gates``, ``cnots`` (two-qubit
        gates) and ``depth``, and ``steps_to_solution``, the gates applied when the
        threshold was first reached (NaN if it never was).
    """
    fidelity = np.asarray(kpis["fidelity"], dtype=np.float64)
    solved = np.flatnonzero(np.asarray(kpis["success"]) > 0)
    gates = np.asarray(kpis["gates"], dtype=np.float64)
    return {
        "success": float(solved.size > 0),
        "final_fidelity": float(fidelity[-1]),
        "max_fidelity": float(fidelity.max()),
        "gates": float(gates[-1]),
        "cnots": float(np.asarray(kpis["cnots"])[-1]),
        "depth": float(np.asarray(kpis["depth"])[-1]),
        "steps_to_solution": float(gates[solved[0]]) if solved.size else float("nan"),
    }
