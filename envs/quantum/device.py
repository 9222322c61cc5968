"""Noise and coupling taken from a qiskit backend: a fake (or real) device's calibration.

:func:`device_config` builds a noisy :class:`~fieldgym.envs.quantum.config.QuantumConfig`
on some of a backend's physical qubits: their coupling map, and one noise pattern
(:func:`pattern_from_backend`) with the backend's calibrated error rates turned into the
environment's depolarizing and readout probabilities. Any qiskit ``BackendV2`` with error
rates in its ``Target`` works: qiskit's own ``GenericBackendV2`` (a fake device with
randomized but realistic calibration, no extra package) or the snapshots of IBM devices in
``qiskit_ibm_runtime.fake_provider`` (``FakeManilaV2``, ...), if that package is installed.

The conversion keeps each gate's average gate infidelity ``r`` (what a backend reports as a
gate's error): a ``k``-qubit depolarizing channel of probability ``p`` has
``r = p (d - 1) / d`` with ``d = 2^k``, so ``p = r d / (d - 1)`` (``2r`` for one qubit,
``4r/3`` for two). Single-qubit gates take the error of ``sx`` (the device's physical
single-qubit gate; ``rz`` is virtual and error-free), else the mean of the qubit's
single-qubit gate errors. A pair takes the mean error of its two-qubit gate over the
directions the device calibrates. Readout takes the ``measure`` error for both flips
(a ``Target`` has one number per qubit). Thermal relaxation and crosstalk are not modelled.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from fieldgym.envs.core.errors import ConfigError
from fieldgym.envs.quantum.config import QuantumConfig
from fieldgym.envs.quantum.gates import backend_edges, undirected_pairs

NON_GATES = frozenset({"measure", "reset", "delay", "barrier"})


def depolarizing_from_infidelity(error: float, num_qubits: int) -> float:
    """The depolarizing probability whose average gate infidelity is ``error``."""
    d = 2**num_qubits
    return min(1.0, error * d / (d - 1))


def pattern_from_backend(
    backend: Any, config: QuantumConfig, qubits: Sequence[int]
) -> dict[str, list[float]]:
    """A noise pattern with ``backend``'s error rates on the physical ``qubits``.

    Args:
        backend: A qiskit ``BackendV2`` with error rates in its ``target``.
        config: The environment's config; its qubit ``k`` is physical qubit ``qubits[k]``
            and its coupling pairs must be pairs of the device.
        qubits: The physical qubits used, in the environment's order.

    Returns:
        A mapping for ``QuantumConfig.noise_patterns`` (``p1``, ``p2``, ``readout``).

    Raises:
        ConfigError: If the backend has no error rate for a qubit's gates or a pair.
    """
    target = backend.target
    qubits = [int(q) for q in qubits]
    one_qubit = [n for n in target.operation_names if n not in NON_GATES]

    def error(name: str, where: tuple[int, ...]) -> float | None:
        props = target[name].get(where) if name in target.operation_names else None
        return None if props is None or props.error is None else float(props.error)

    p1 = []
    for q in qubits:
        errors = [error("sx", (q,))] if error("sx", (q,)) is not None else []
        errors = errors or [e for n in one_qubit if (e := error(n, (q,))) is not None and e > 0.0]
        if not errors:
            raise ConfigError(f"{backend.name} reports no single-qubit gate error on qubit {q}.")
        p1.append(depolarizing_from_infidelity(float(np.mean(errors)), 1))
    p2 = []
    for a, b in undirected_pairs(config):
        pa, pb = qubits[a], qubits[b]
        errors = [
            e
            for n in target.operation_names
            for where in ((pa, pb), (pb, pa))
            if n not in NON_GATES and (e := error(n, where)) is not None
        ]
        if not errors:
            raise ConfigError(
                f"{backend.name} has no calibrated two-qubit gate on physical qubits "
                f"({pa}, {pb}); couple only pairs of its coupling map (see backend_edges)."
            )
        p2.append(depolarizing_from_infidelity(float(np.mean(errors)), 2))
    readout = [error("measure", (q,)) or 0.0 for q in qubits]
    return {"p1": p1, "p2": p2, "readout": readout}


def device_config(backend: Any, qubits: Sequence[int], **fields: Any) -> QuantumConfig:
    """A noisy config on ``backend``'s physical ``qubits``: its coupling and its noise.

    Example::

        from qiskit.providers.fake_provider import GenericBackendV2
        device = GenericBackendV2(num_qubits=5, seed=11)
        config = device_config(device, [0, 1, 2], target="ghz")
        env = gymnasium.make("fieldgym/QuantumArchitectureSearch-v1", config=config)

    Args:
        backend: A qiskit ``BackendV2`` with error rates.
        qubits: Physical qubits, in the environment's order (``num_qubits`` is their count).
        **fields: Other config fields (``target``, ``gates``, ``max_gates``, ...).
    """
    edges = backend_edges(backend, list(qubits))
    if not edges:
        raise ConfigError(
            f"Physical qubits {list(qubits)} of {backend.name} share no coupling pair; "
            "choose connected qubits."
        )
    base = QuantumConfig.build(
        None, **{"num_qubits": len(qubits), "coupling": edges, "directed": True, **fields}
    )
    pattern = pattern_from_backend(backend, base, qubits)
    return QuantumConfig.build(base, noise="depolarizing", noise_patterns=(pattern,))
