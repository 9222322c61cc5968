"""qiskit's ``StatePreparation`` transpiled to the environment's gates and coupling map.

The reference circuit for a target state: qiskit's generic preparation, transpiled
(optimization level 3) to the environment's fixed single-qubit gates and its two-qubit
gates on its coupling map. Rotation gates are first left out of the basis, since qiskit
would pick arbitrary angles the environment's angle grid cannot replay; if qiskit cannot
reach the fixed gates alone, the rotations are added and each angle is snapped to the
nearest grid angle (the replayed fidelity says what that cost). If the gate set is not
universal even then, qiskit gets RX, RY and RZ as well: the counts are still reported,
but the circuit cannot be replayed in the environment.

qiskit's router may leave the qubits permuted (``layout.final_index_layout``). When the
target is not invariant under that permutation, swaps along coupling edges (qiskit's
token swapper, three CNOTs each) put the state back on the target's qubits; they are
part of the reported counts.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from fieldgym.envs.core.errors import ConfigError
from fieldgym.envs.quantum.config import ROTATION_GATES, TWO_QUBIT_GATES, QuantumConfig
from fieldgym.envs.quantum.gates import Action, action_table, coupling_edges, target_state


@dataclasses.dataclass
class Reference:
    """The transpiled circuit as environment actions, and its size as qiskit counts it."""

    actions: list[int] | None
    """The circuit as action indices; ``None`` if it needs gates the env does not have."""
    gates: int
    cnots: int
    depth: int
    counts: dict[str, int]
    fidelity: float
    """Fidelity of the circuit as transpiled (qiskit ``Statevector``, before snapping)."""
    swaps: int
    """Swaps appended to undo the router's final permutation."""


def _directed_edges(actions: list[Action]) -> list[tuple[int, ...]]:
    """The qubit pairs qiskit may put a two-qubit gate on (CZ works both ways)."""
    edges: set[tuple[int, ...]] = set()
    for action in actions:
        if action.gate == "cx":
            edges.add(action.qubits)
        elif action.gate == "cz":
            edges |= {action.qubits, action.qubits[::-1]}
    return sorted(edges)


def _permuted(state: np.ndarray, final: list[int]) -> np.ndarray:
    """The state after moving virtual qubit ``v`` to physical qubit ``final[v]``."""
    n = len(final)
    out = np.zeros_like(state)
    for index, amplitude in enumerate(state):
        moved = sum(((index >> v) & 1) << final[v] for v in range(n))
        out[moved] = amplitude
    return out


def _undo_permutation(circuit: Any, final: list[int], config: QuantumConfig) -> int:
    """Append swaps (as three CNOTs) moving physical ``final[v]`` back to ``v``."""
    import rustworkx as rx
    from qiskit.transpiler.passes.routing.algorithms import ApproximateTokenSwapper

    if config.directed or "cx" not in config.gates:
        raise ConfigError(
            "qiskit's router permuted the qubits and undoing it needs CNOTs both ways on "
            "each pair (directed=False, 'cx' in gates)."
        )
    graph = rx.PyGraph()
    graph.add_nodes_from(range(config.num_qubits))
    graph.add_edges_from_no_data(coupling_edges(config))
    swaps = ApproximateTokenSwapper(graph, seed=0).map({final[v]: v for v in range(len(final))})
    for a, b in swaps:
        circuit.cx(a, b)
        circuit.cx(b, a)
        circuit.cx(a, b)
    return len(swaps)


def qiskit_reference(config: QuantumConfig, seed: int = 0) -> Reference:
    """Qiskit's preparation of the config's target, transpiled to its gates (see module).

    Raises:
        ConfigError: If qiskit cannot transpile to any of the bases tried.
    """
    from qiskit import QuantumCircuit, transpile
    from qiskit.circuit.library import StatePreparation
    from qiskit.quantum_info import Statevector
    from qiskit.transpiler import CouplingMap

    actions = action_table(config)
    target = target_state(config)
    fixed = [g for g in config.gates if g not in ROTATION_GATES + TWO_QUBIT_GATES]
    rotations = [g for g in config.gates if g in ROTATION_GATES]
    two = [g for g in config.gates if g in TWO_QUBIT_GATES]
    circuit = QuantumCircuit(config.num_qubits)
    circuit.append(StatePreparation(target), range(config.num_qubits))
    edges = _directed_edges(actions)
    errors = []
    universal = fixed + list(dict.fromkeys(rotations + list(ROTATION_GATES)))
    for basis in dict.fromkeys(
        (tuple(fixed + two), tuple(fixed + rotations + two), tuple(universal + two))
    ):
        try:
            built = transpile(
                circuit,
                basis_gates=list(basis),
                coupling_map=CouplingMap([list(e) for e in edges]) if edges else None,
                initial_layout=list(range(config.num_qubits)),
                optimization_level=3,
                seed_transpiler=seed,
            )
            break
        except Exception as exc:  # qiskit raises several error types for an unreachable basis
            errors.append(f"{list(basis)}: {' '.join(str(exc).split())[:200]}")
    else:
        raise ConfigError(f"qiskit cannot transpile the preparation: {'; '.join(errors)}")
    final = built.layout.final_index_layout() if built.layout else list(range(config.num_qubits))
    stripped = QuantumCircuit(config.num_qubits, global_phase=built.global_phase)
    for instruction in built.data:
        qubits = [built.find_bit(q).index for q in instruction.qubits]
        stripped.append(instruction.operation, qubits)
    swaps = 0
    moved = _permuted(target, final)
    if abs(np.vdot(target, moved)) ** 2 < 1 - 1e-9:
        swaps = _undo_permutation(stripped, final, config)
    fidelity = float(abs(np.vdot(target, Statevector(stripped).data)) ** 2)
    try:
        replay = [_action_index(actions, i, stripped) for i in stripped.data]
    except KeyError:
        replay = None
    return Reference(
        actions=replay,
        gates=int(stripped.size()),
        cnots=int(stripped.num_nonlocal_gates()),
        depth=int(stripped.depth()),
        counts={str(k): int(v) for k, v in stripped.count_ops().items()},
        fidelity=fidelity,
        swaps=swaps,
    )


def _action_index(actions: list[Action], instruction: Any, circuit: Any) -> int:
    name = instruction.operation.name
    qubits = tuple(circuit.find_bit(q).index for q in instruction.qubits)
    if name == "cz":
        qubits = tuple(sorted(qubits))
    candidates = [k for k, a in enumerate(actions) if a.gate == name and a.qubits == qubits]
    if not candidates:
        raise KeyError(f"{name}{qubits}")
    if name not in ROTATION_GATES:
        return candidates[0]
    angle = float(instruction.operation.params[0])
    wrapped = [np.angle(np.exp(1j * (actions[k].angle - angle))) for k in candidates]
    return candidates[int(np.argmin(np.abs(wrapped)))]
