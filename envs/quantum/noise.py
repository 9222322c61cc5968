"""Noise patterns: depolarizing channels after each gate and readout error on measurements.

A pattern (one mapping of ``QuantumConfig.noise_patterns``) gives, per qubit or pair,

* ``p1``, ``p2``: the depolarizing probability ``p`` after a single- or two-qubit gate,
  qiskit-aer's ``depolarizing_error(p, k)``: ``rho -> (1 - p) rho + p Tr_k(rho) (x) I/2^k``
  on the gate's ``k`` qubits;
* ``readout``, ``readout_1to0``: the probabilities of reading 1 for a true 0 and 0 for a
  true 1, qiskit-aer's ``ReadoutError([[1 - e01, e01], [e10, 1 - e10]])``.

The environment precomputes, per pattern and action, the gate followed by its noise as
one local superoperator (:func:`action_superops`), and applies the readout error to the
Pauli expectations it observes as an exact affine map (:func:`readout_coefficients`).
:func:`noise_model` builds the same noise as a qiskit-aer ``NoiseModel`` (for running
exported circuits on ``AerSimulator`` and for the tests, which use qiskit as the oracle).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from fieldgym.envs.core.errors import ConfigError
from fieldgym.envs.quantum.config import QuantumConfig
from fieldgym.envs.quantum.gates import Action, undirected_pairs


def _per_item(value: Any, count: int, name: str, what: str) -> np.ndarray:
    values = np.asarray(value if isinstance(value, list | tuple) else [value] * count, float)
    if values.shape != (count,):
        raise ConfigError(
            f"noise pattern {name!r} has {values.size} values; give one number or one per "
            f"{what} ({count})."
        )
    return values


def pattern_values(
    pattern: Mapping[str, Any], config: QuantumConfig
) -> dict[str, np.ndarray | dict[tuple[int, int], float]]:
    """A pattern's probabilities per qubit (``p1``, ``e01``, ``e10``) and per pair (``p2``)."""
    n = config.num_qubits
    pairs = undirected_pairs(config)
    readout = pattern.get("readout", 0.0)
    p2 = _per_item(pattern.get("p2", 0.0), len(pairs), "p2", "coupling pair")
    return {
        "p1": _per_item(pattern.get("p1", 0.0), n, "p1", "qubit"),
        "p2": {pair: float(p) for pair, p in zip(pairs, p2, strict=True)},
        "e01": _per_item(readout, n, "readout", "qubit"),
        "e10": _per_item(pattern.get("readout_1to0", readout), n, "readout_1to0", "qubit"),
    }


def depolarizing_probability(action: Action, values: Mapping[str, Any]) -> float:
    """The depolarizing probability after ``action`` under a pattern's values."""
    if action.two_qubit:
        a, b = action.qubits
        return float(values["p2"][(min(a, b), max(a, b))])
    return float(values["p1"][action.qubits[0]])


def unitary_superop(u: np.ndarray) -> np.ndarray:
    """``rho -> u rho u^dagger`` on ``k`` qubits as a ``4^k x 4^k`` matrix.

    Index convention: entry ``rho[r, c]`` of the local block sits at ``r + 2^k c``.
    """
    return np.kron(u.conj(), u)


def depolarizing_superop(p: float, k: int) -> np.ndarray:
    """qiskit-aer's ``depolarizing_error(p, k)`` as a superoperator (:func:`unitary_superop`)."""
    d = 2**k
    identity = np.eye(d * d, dtype=np.complex128)
    trace_in = np.eye(d).reshape(d * d)  # picks rho[r, r] (the trace)
    replace = np.outer(np.eye(d).reshape(d * d), trace_in) / d  # Tr(rho) I / d
    # On one block of the full matrix the local trace-and-replace is exactly this map.
    return (1.0 - p) * identity + p * replace.astype(np.complex128)


def action_superops(config: QuantumConfig, actions: Sequence[Action]) -> np.ndarray:
    """``(patterns, actions, 16, 16)``: each gate followed by its depolarizing noise.

    Single-qubit actions fill the top-left ``4 x 4`` block.
    """
    out = np.zeros((len(config.noise_patterns), len(actions), 16, 16), dtype=np.complex128)
    for k, pattern in enumerate(config.noise_patterns):
        values = pattern_values(pattern, config)
        for a, action in enumerate(actions):
            m = len(action.qubits)
            noise = depolarizing_superop(depolarizing_probability(action, values), m)
            channel = noise @ unitary_superop(action.matrix())
            out[k, a, : 4**m, : 4**m] = channel
    return out


def readout_coefficients(config: QuantumConfig) -> np.ndarray:
    """``(patterns, n, 2)``: per qubit ``(a, c)`` with measured ``<P> = a <P> + c``.

    With ``e01`` = P(read 1 | 0) and ``e10`` = P(read 0 | 1), a measured sign ``s'`` has
    ``E[s' | s] = a s + c`` with ``a = 1 - e01 - e10`` and ``c = e10 - e01``; flips are
    independent per qubit, so a product of two signs is measured as
    ``a_i a_j <PQ> + a_i c_j <P> + c_i a_j <Q> + c_i c_j``.
    """
    out = np.zeros((len(config.noise_patterns), config.num_qubits, 2))
    for k, pattern in enumerate(config.noise_patterns):
        values = pattern_values(pattern, config)
        out[k, :, 0] = 1.0 - values["e01"] - values["e10"]
        out[k, :, 1] = values["e10"] - values["e01"]
    return out


def noise_model(config: QuantumConfig, actions: Sequence[Action], pattern: int) -> Any:
    """The pattern as a qiskit-aer ``NoiseModel`` keyed by the actions' gate names.

    Depolarizing errors are attached per gate name and qubits; readout errors per qubit.
    Run an exported circuit with it on ``AerSimulator(method="density_matrix")`` to get
    the environment's density matrix.
    """
    from qiskit_aer.noise import NoiseModel, ReadoutError, depolarizing_error

    values = pattern_values(config.noise_patterns[pattern], config)
    model = NoiseModel()
    done: set[tuple[str, tuple[int, ...]]] = set()
    for action in actions:
        key = (action.gate, action.qubits)
        p = depolarizing_probability(action, values)
        if key in done or p == 0.0:
            continue
        done.add(key)
        error = depolarizing_error(p, len(action.qubits))
        model.add_quantum_error(error, [action.gate], list(action.qubits))
    for q in range(config.num_qubits):
        e01, e10 = float(values["e01"][q]), float(values["e10"][q])
        if e01 or e10:
            model.add_readout_error(ReadoutError([[1 - e01, e01], [e10, 1 - e10]]), [q])
    return model
