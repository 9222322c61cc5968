"""Gate matrices, the action table, coupling maps and target states (numpy only).

Matrices follow qiskit's definitions exactly, global phase included, and a gate on
qubits ``(a, b)`` uses qiskit's ordering: bit 0 of the gate matrix's index is qubit
``a`` (for ``cx``, the control). The tests check every matrix against qiskit's
``Operator``.
"""

from __future__ import annotations

import dataclasses
import itertools
from typing import Any

import numpy as np

from fieldgym.envs.core.errors import ConfigError
from fieldgym.envs.quantum.config import ROTATION_GATES, TWO_QUBIT_GATES, QuantumConfig

_S2 = 1.0 / np.sqrt(2.0)

FIXED_MATRICES: dict[str, np.ndarray] = {
    "h": np.array([[_S2, _S2], [_S2, -_S2]], dtype=np.complex128),
    "x": np.array([[0, 1], [1, 0]], dtype=np.complex128),
    "y": np.array([[0, -1j], [1j, 0]], dtype=np.complex128),
    "z": np.array([[1, 0], [0, -1]], dtype=np.complex128),
    "s": np.array([[1, 0], [0, 1j]], dtype=np.complex128),
    "sdg": np.array([[1, 0], [0, -1j]], dtype=np.complex128),
    "t": np.array([[1, 0], [0, np.exp(1j * np.pi / 4)]], dtype=np.complex128),
    "tdg": np.array([[1, 0], [0, np.exp(-1j * np.pi / 4)]], dtype=np.complex128),
    "sx": 0.5 * np.array([[1 + 1j, 1 - 1j], [1 - 1j, 1 + 1j]], dtype=np.complex128),
    # two-qubit gates on (a, b): index = bit(a) + 2 * bit(b); cx's control is a
    "cx": np.array([[1, 0, 0, 0], [0, 0, 0, 1], [0, 0, 1, 0], [0, 1, 0, 0]], dtype=np.complex128),
    "cz": np.diag([1, 1, 1, -1]).astype(np.complex128),
}
"""Matrices of the gates without parameters."""


def rotation_matrix(name: str, angle: float) -> np.ndarray:
    """Qiskit's ``RX``, ``RY`` or ``RZ`` of ``angle`` radians."""
    c, s = np.cos(angle / 2.0), np.sin(angle / 2.0)
    if name == "rx":
        return np.array([[c, -1j * s], [-1j * s, c]], dtype=np.complex128)
    if name == "ry":
        return np.array([[c, -s], [s, c]], dtype=np.complex128)
    if name == "rz":
        return np.diag([np.exp(-0.5j * angle), np.exp(0.5j * angle)]).astype(np.complex128)
    raise ConfigError(f"{name!r} is not a rotation gate; choose one of {ROTATION_GATES}.")


@dataclasses.dataclass(frozen=True)
class Action:
    """One action: a gate on given qubits (and an angle for rotations)."""

    gate: str
    qubits: tuple[int, ...]
    angle: float | None = None

    @property
    def two_qubit(self) -> bool:
        """Whether the gate acts on two qubits."""
        return len(self.qubits) == 2

    @property
    def label(self) -> str:
        """A readable name such as ``cx(0,1)`` or ``ry(pi/2)(2)``."""
        qubits = ",".join(map(str, self.qubits))
        if self.angle is None:
            return f"{self.gate}({qubits})"
        return f"{self.gate}({self.angle / np.pi:.4g}pi)({qubits})"

    def matrix(self) -> np.ndarray:
        """The gate's 2x2 or 4x4 unitary on :attr:`qubits` (qiskit's ordering)."""
        if self.angle is not None:
            return rotation_matrix(self.gate, self.angle)
        return FIXED_MATRICES[self.gate]


def coupling_edges(config: QuantumConfig) -> list[tuple[int, int]]:
    """The coupling map's pairs as listed or built: ``(control, target)`` for a given list."""
    n = config.num_qubits
    if isinstance(config.coupling, str):
        if config.coupling == "all":
            return list(itertools.combinations(range(n), 2))
        edges = [(i, i + 1) for i in range(n - 1)]
        if config.coupling == "ring" and n > 2:
            edges.append((n - 1, 0))
        return edges
    return [(int(a), int(b)) for a, b in config.coupling]


def undirected_pairs(config: QuantumConfig) -> list[tuple[int, int]]:
    """The coupling map's distinct qubit pairs ``(low, high)``, in first-seen order.

    A two-qubit noise pattern given per pair (``p2`` as a list) follows this order.
    """
    pairs: dict[tuple[int, int], None] = {}
    for a, b in coupling_edges(config):
        pairs.setdefault((min(a, b), max(a, b)), None)
    return list(pairs)


def action_table(config: QuantumConfig) -> list[Action]:
    """Every action, in order: each gate of ``config.gates`` on every qubit or pair.

    Single-qubit gates: one action per qubit (rotations: per angle, then per qubit).
    ``cx``: one action per direction of each pair (only the listed direction when
    ``directed``); ``cz``: one per pair.
    """
    n = config.num_qubits
    actions: list[Action] = []
    for gate in config.gates:
        if gate in TWO_QUBIT_GATES:
            if gate == "cz":
                actions += [Action(gate, pair) for pair in undirected_pairs(config)]
                continue
            seen: set[tuple[int, int]] = set()
            for a, b in coupling_edges(config):
                directions = [(a, b)] if config.directed else [(a, b), (b, a)]
                for edge in directions:
                    if edge not in seen:
                        seen.add(edge)
                        actions.append(Action(gate, edge))
        elif gate in ROTATION_GATES:
            for angle in config.rotation_angles:
                actions += [Action(gate, (q,), float(angle)) for q in range(n)]
        else:
            actions += [Action(gate, (q,)) for q in range(n)]
    return actions


def target_state(config: QuantumConfig) -> np.ndarray:
    """The normalized target statevector (2^n complex amplitudes, qiskit's ordering)."""
    n, dim = config.num_qubits, config.dimension
    state = np.zeros(dim, dtype=np.complex128)
    if config.target == "bell":
        state[0] = state[3] = _S2
    elif config.target == "ghz":
        state[0] = state[dim - 1] = _S2
    elif config.target == "w":
        for q in range(n):
            state[1 << q] = 1.0 / np.sqrt(n)
    elif config.target == "random":
        rng = np.random.default_rng(config.target_seed)
        state = rng.normal(size=dim) + 1j * rng.normal(size=dim)
    else:
        state = np.array([_amplitude(v, k) for k, v in enumerate(config.target_state or ())])
    norm = np.linalg.norm(state)
    if not np.isfinite(norm) or norm < 1e-12:
        raise ConfigError("target_state must have finite amplitudes and a non-zero norm.")
    return (state / norm).astype(np.complex128)


def _amplitude(value: Any, k: int) -> complex:
    try:
        if isinstance(value, list | tuple):
            real, imag = value
            return complex(float(real), float(imag))
        return complex(value.replace(" ", "") if isinstance(value, str) else value)
    except (TypeError, ValueError) as exc:
        raise ConfigError(
            f"target_state[{k}]={value!r} is not an amplitude; give a number, a complex "
            "string such as '0.5-0.5j', or a [real, imag] pair."
        ) from exc


def backend_edges(backend: Any, qubits: list[int] | None = None) -> list[tuple[int, int]]:
    """The directed pairs of a qiskit backend's coupling map, for ``coupling=...``.

    Args:
        backend: A qiskit ``BackendV2`` (e.g. ``qiskit.providers.fake_provider
            .GenericBackendV2``) or a ``CouplingMap``.
        qubits: Physical qubits to keep, renumbered 0, 1, ... in this order; default all.

    Returns:
        ``(control, target)`` pairs among the kept qubits, with ``directed=True`` in mind.
    """
    cmap = getattr(backend, "coupling_map", backend)
    edges = [tuple(e) for e in cmap.get_edges()]
    keep = list(range(cmap.size())) if qubits is None else list(qubits)
    index = {q: k for k, q in enumerate(keep)}
    return [(index[a], index[b]) for a, b in edges if a in index and b in index]
