"""Export of a built circuit to qiskit: ``QuantumCircuit``, OpenQASM and its size.

qiskit is imported only when a circuit is exported.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from fieldgym.envs.quantum.gates import Action


def to_circuit(actions: Sequence[Action], indices: Iterable[int], num_qubits: int) -> Any:
    """The ``qiskit.QuantumCircuit`` applying ``actions[k]`` for each ``k`` of ``indices``."""
    from qiskit import QuantumCircuit

    circuit = QuantumCircuit(num_qubits)
    for k in indices:
        action = actions[int(k)]
        method = getattr(circuit, action.gate)
        if action.angle is None:
            method(*action.qubits)
        else:
            method(action.angle, *action.qubits)
    return circuit


def summary(circuit: Any) -> dict[str, Any]:
    """``gates``, ``cnots`` (two-qubit gates), ``depth`` and ``counts`` per gate name."""
    return {
        "gates": int(circuit.size()),
        "cnots": int(circuit.num_nonlocal_gates()),
        "depth": int(circuit.depth()),
        "counts": {str(k): int(v) for k, v in circuit.count_ops().items()},
    }


def to_qasm(circuit: Any, version: int = 2) -> str:
    """The circuit as OpenQASM 2 (``version=2``) or 3 text."""
    if version == 2:
        from qiskit import qasm2

        return qasm2.dumps(circuit)
    from qiskit import qasm3

    return qasm3.dumps(circuit)
