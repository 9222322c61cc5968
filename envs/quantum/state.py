"""What the circuit kernels read and write: the copies' state, the constants, the columns.

Each array's columns are named by one table, a NamedTuple class listing them in order:
:class:`RecordColumns` for the per-step record, :class:`CounterColumns` for the
counters, :class:`ObservationBlocks` for the observation. Kernels, the system and the
environments all index through them, never by hand.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from fieldgym.envs.core.tables import as_record, columns

if TYPE_CHECKING:  # the config imports the rewards, which read RECORD from here
    from fieldgym.envs.quantum.config import QuantumConfig


class RecordColumns(NamedTuple):
    """The columns of the per-step record, one row per copy."""

    fidelity: int
    """Fidelity with the target after the step (before any step: of ``|0...0>``)."""
    previous_fidelity: int
    """Fidelity before the step."""
    two_qubit: int
    """1 if the step's gate acts on two qubits, else 0."""
    gates: int
    cnots: int
    """Two-qubit gates so far."""
    depth: int


class CounterColumns(NamedTuple):
    """The columns of the integer counters, one row per copy."""

    gates: int
    """Gates applied since the reset."""
    cnots: int
    """Two-qubit gates applied since the reset."""
    depth: int
    """The circuit's depth."""


RECORD = columns(RecordColumns)
COUNTERS = columns(CounterColumns)


class ObservationBlocks(NamedTuple):
    """The first column of each block of the observation, in observation order.

    The blocks are contiguous, so a block's width is the next block's start minus its own.
    """

    state: int
    """The Pauli expectations (``pauli``), or the amplitudes' real then imaginary parts."""
    gates_used: int
    """The share of the gate budget used, in [0, 1] (one column)."""


def observation_blocks(config: QuantumConfig, num_paulis: int) -> ObservationBlocks:
    """The observation's blocks for ``config``, observing ``num_paulis`` Pauli operators."""
    state_width = num_paulis if config.observation == "pauli" else 2 * config.dimension
    return ObservationBlocks(state=0, gates_used=state_width)


class CircuitState(NamedTuple):
    """The state of ``B`` copies, changed in place by the kernels.

    The kernels take it as a plain tuple of its fields and name them again inside (numba
    types a NamedTuple argument at some 10 µs a call, a plain tuple at almost nothing).

    Attributes:
        states: ``(B, 2^n)`` complex statevectors (ideal) or ``(B, 2^n, 2^n)`` density
            matrices (noisy).
        pattern: ``(B,)`` each copy's noise pattern (noisy mode).
        counters: ``(B, len(COUNTERS))`` int64, columns :class:`CounterColumns`.
        layer: ``(B, n)`` depth reached on each qubit.
        history: ``(B, max_gates)`` the actions taken, in order.
        record: ``(B, len(RECORD))`` the last step, columns :class:`RecordColumns`; its
            ``fidelity`` becomes the next step's ``previous_fidelity``.
    """

    states: np.ndarray
    pattern: np.ndarray
    counters: np.ndarray
    layer: np.ndarray
    history: np.ndarray
    record: np.ndarray


def empty_state(config: QuantumConfig, num_copies: int) -> CircuitState:
    """A zero :class:`CircuitState` of ``num_copies`` copies, in ``config.noise_pattern``."""
    n, dim = config.num_qubits, config.dimension
    shape = (num_copies, dim, dim) if config.noisy else (num_copies, dim)
    return CircuitState(
        states=np.zeros(shape, dtype=np.complex128),
        pattern=np.full(num_copies, config.noise_pattern, dtype=np.int64),
        counters=np.zeros((num_copies, len(COUNTERS)), dtype=np.int64),
        layer=np.zeros((num_copies, n), dtype=np.int64),
        history=np.zeros((num_copies, config.max_gates), dtype=np.int64),
        record=np.zeros((num_copies, len(RECORD))),
    )


class CircuitTables(NamedTuple):
    """The task's fixed tables, shared by all copies (passed as a plain tuple, as the state).

    Attributes:
        gates: ``(A, 3)`` each action's arity and qubits ``(arity, q0, q1)``.
        target: ``(2^n,)`` the target statevector.
        xmask: ``(12,)`` bit flips of the local Pauli operators (see
            :func:`.dynamics.local_pauli_tables`).
        phase: ``(12, 4)`` their phases per local basis state.
        pairs: ``(P, 4)`` the observed Paulis' qubits and factors (see
            :func:`.kernels.observe_mixed`).
    """

    gates: np.ndarray
    target: np.ndarray
    xmask: np.ndarray
    phase: np.ndarray
    pairs: np.ndarray


class CircuitParams(NamedTuple):
    """The kernels' scalar constants."""

    num_qubits: int
    max_gates: int
    """The gate budget (normalizes the gate count in the observation)."""
    pauli: int
    """1: observe Pauli expectations; 0: amplitudes (ideal mode only)."""


def circuit_params(config: QuantumConfig) -> np.ndarray:
    """:class:`CircuitParams` of ``config`` as a one-row record, as the kernels take them."""
    return as_record(
        CircuitParams(
            num_qubits=config.num_qubits,
            max_gates=config.max_gates,
            pauli=int(config.observation == "pauli"),
        )
    )
