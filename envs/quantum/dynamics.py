"""The circuit-building dynamics, shared by the single and the vectorized environment.

:class:`CircuitSystem` holds ``B`` copies of the state being prepared, as statevectors
``(B, 2^n)`` (ideal) or density matrices ``(B, 2^n, 2^n)`` (noisy), and advances all of
them with one compiled kernel per step (:mod:`.kernels`: ``advance_pure`` or
``advance_mixed``).
A step applies one gate's precomputed matrix locally (``O(2^n)`` work for a statevector,
``O(4^n)`` for a density matrix); the circuit is never re-simulated. The single env is
``B = 1`` of the same code.

A step, for each copy: apply the chosen gate (noisy: the gate followed by its noise, one
local superoperator), count gates, two-qubit gates and depth, record the fidelity with
the target before and after, and write the observation.
"""

from __future__ import annotations

import copy
import itertools

import numpy as np

from fieldgym.envs.core.tables import as_record
from fieldgym.envs.quantum import noise
from fieldgym.envs.quantum.config import QuantumConfig
from fieldgym.envs.quantum.gates import action_table, target_state
from fieldgym.envs.quantum.kernels import (
    advance_mixed,
    advance_pure,
    fidelity_mixed,
    observe_mixed,
    observe_pure,
)
from fieldgym.envs.quantum.state import (
    COUNTERS,
    RECORD,
    CircuitTables,
    circuit_params,
    empty_state,
    observation_blocks,
)

PAULI_LETTERS = "XYZ"


def pauli_labels(num_qubits: int) -> list[dict[int, str]]:
    """The observed Pauli operators in observation order: ``{qubit: letter}`` each.

    X, Y, Z of qubit 0, of qubit 1, ...; then for each pair ``i < j`` the nine products
    ``P_i Q_j`` with ``P`` and ``Q`` running over X, Y, Z (``Q`` fastest).
    """
    labels = [{q: p} for q in range(num_qubits) for p in PAULI_LETTERS]
    for i, j in itertools.combinations(range(num_qubits), 2):
        labels += [{i: p, j: q} for p in PAULI_LETTERS for q in PAULI_LETTERS]
    return labels


def pauli_tables(num_qubits: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``xmask (P,)``, ``phase (P, 2^n)`` and ``pairs (P, 4)`` of the observed Paulis.

    A Pauli string maps ``|i>`` to ``phase[p, i] |i ^ xmask[p]>``; ``pairs`` is described
    in :func:`.kernels.observe_mixed`.
    """
    labels = pauli_labels(num_qubits)
    dim = 2**num_qubits
    bits = (np.arange(dim)[:, None] >> np.arange(num_qubits)[None, :]) & 1
    xmask = np.zeros(len(labels), dtype=np.int64)
    phase = np.ones((len(labels), dim), dtype=np.complex128)
    pairs = np.full((len(labels), 4), -1, dtype=np.int64)
    single = {(q, p): 3 * q + k for q in range(num_qubits) for k, p in enumerate(PAULI_LETTERS)}
    for k, label in enumerate(labels):
        for q, letter in label.items():
            sign = 1.0 - 2.0 * bits[:, q]
            if letter in "XY":
                xmask[k] |= 1 << q
            if letter == "Y":
                phase[k] *= 1j * sign
            elif letter == "Z":
                phase[k] *= sign
        qubits = sorted(label)
        pairs[k, 0] = qubits[0]
        if len(qubits) == 2:
            i, j = qubits
            pairs[k, 1:] = (j, single[(i, label[i])], single[(j, label[j])])
    return xmask, phase, pairs


def local_pauli_tables() -> tuple[np.ndarray, np.ndarray]:
    """``xmask (12,)`` and ``phase (12, 4)`` of X, Y, Z on one qubit and the nine products on two.

    The kernels apply them to 1- and 2-qubit reduced density matrices (local index
    ``bit(i) + 2 bit(j)`` for a pair ``i < j``).
    """
    x1, phase1, _ = pauli_tables(1)
    x2, phase2, _ = pauli_tables(2)
    xmask = np.concatenate((x1, x2[6:]))
    phase = np.zeros((12, 4), dtype=np.complex128)
    phase[:3, :2] = phase1
    phase[3:] = phase2[6:]
    return xmask, phase


class CircuitSystem:
    """``B`` copies of one state-preparation task: states, counters, reset, step, observe.

    The fields of :attr:`state` (a :class:`~.state.CircuitState`) are also attributes
    (``states``, ``counters``, ``record``, ...), the same arrays.

    Args:
        config: The task.
        num_copies: ``B``, the number of independent copies.
    """

    def __init__(self, config: QuantumConfig, num_copies: int) -> None:
        self.config = config
        self.actions = action_table(config)
        self.target = target_state(config)
        self.unitaries = np.zeros((len(self.actions), 4, 4), dtype=np.complex128)
        self.gates = np.zeros((len(self.actions), 3), dtype=np.int64)
        for a, action in enumerate(self.actions):
            m = action.matrix()
            self.unitaries[a, : m.shape[0], : m.shape[1]] = m
            self.gates[a] = (len(action.qubits), action.qubits[0], action.qubits[-1])
        self.two_qubit = self.gates[:, 0] == 2
        _, _, self.pairs = pauli_tables(config.num_qubits)
        self.xmask, self.phase = local_pauli_tables()
        self.tables = CircuitTables(self.gates, self.target, self.xmask, self.phase, self.pairs)
        self.params = circuit_params(config)
        self.observation_blocks = observation_blocks(config, len(self.pairs))
        self.observation_size = self.observation_blocks.gates_used + 1
        # the kernels take tuples and records (see .state.CircuitState)
        self._blocks = as_record(self.observation_blocks)
        self._plain_tables = tuple(self.tables)
        self.noisy = config.noisy
        if self.noisy:
            self.superops = noise.action_superops(config, self.actions)
            self.readout = noise.readout_coefficients(config)
        self.initial_fidelity = float(abs(self.target[0]) ** 2)
        self._allocate(num_copies)

    def _allocate(self, num_copies: int) -> None:
        """New state arrays for ``num_copies`` copies (the tables above are shared)."""
        self.num_copies = num_copies
        self.state = empty_state(self.config, num_copies)
        state = self.state  # its arrays, by name (the planners read them as attributes)
        self.states, self.pattern, self.counters = state.states, state.pattern, state.counters
        self.layer, self.history, self.record = state.layer, state.history, state.record
        self._plain_state = tuple(self.state)

    def spawn(self, num_copies: int) -> CircuitSystem:
        """A system of ``num_copies`` copies sharing this one's task and tables (cheap)."""
        clone = copy.copy(self)
        clone._allocate(num_copies)
        return clone

    def load(self, source: CircuitSystem, rows: np.ndarray) -> None:
        """Make copy ``k`` a copy of ``source``'s copy ``rows[k]``, for every ``k`` of ``rows``.

        ``source`` must be a system of the same task (e.g. from :meth:`spawn`).
        """
        k = len(rows)
        for mine, theirs in zip(self.state, source.state, strict=True):
            mine[:k] = theirs[rows]

    @property
    def t(self) -> np.ndarray:
        """Gates applied so far, per copy."""
        return self.counters[:, COUNTERS.gates]

    def reset(self, mask: np.ndarray | None = None, patterns: np.ndarray | None = None) -> None:
        """Put the copies selected by ``mask`` (all if ``None``) in ``|0...0>``.

        Args:
            mask: Boolean ``(B,)`` of the copies to reset.
            patterns: The noise pattern of each reset copy (noisy mode); default: unchanged.
        """
        index = slice(None) if mask is None else mask
        self.states[index] = 0.0
        if self.noisy:
            self.states[index, 0, 0] = 1.0
        else:
            self.states[index, 0] = 1.0
        if patterns is not None:
            self.pattern[index] = patterns
        self.counters[index] = 0
        self.layer[index] = 0
        self.record[index] = 0.0
        self.record[index, RECORD.fidelity] = self.initial_fidelity

    def step(self, actions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Apply one gate per copy; return new arrays: observations ``(B, D)`` and the record.

        The record ``(B, len(RECORD))`` holds, per copy, the columns of
        :class:`~.state.RecordColumns`.
        """
        actions = np.asarray(actions, dtype=np.int64).reshape(self.num_copies)
        obs = np.empty((self.num_copies, self.observation_size), dtype=np.float32)
        state, tables, params, blocks = (
            self._plain_state, self._plain_tables, self.params, self._blocks
        )  # fmt: skip
        if self.noisy:
            advance_mixed(state, tables, self.superops, self.readout, params, blocks, actions, obs)
        else:
            advance_pure(state, tables, self.unitaries, params, blocks, actions, obs)
        return obs, self.record.copy()

    def observe(self) -> np.ndarray:
        """New float32 observations ``(B, D)`` of the current states."""
        obs = np.empty((self.num_copies, self.observation_size), dtype=np.float32)
        if self.noisy:
            observe_mixed(
                self._plain_state, self._plain_tables, self.readout, self.params, self._blocks,
                obs,
            )  # fmt: skip
        else:
            observe_pure(self._plain_state, self._plain_tables, self.params, self._blocks, obs)
        return obs

    def fidelity(self) -> np.ndarray:
        """The current fidelity of each copy with the target."""
        if self.noisy:
            return np.array([fidelity_mixed(rho, self.target) for rho in self.states])
        return np.abs(self.states @ self.target.conj()) ** 2

    def circuit_actions(self, copy: int = 0) -> list[int]:
        """The actions applied to ``copy`` since its reset, in order."""
        t = int(self.counters[copy, COUNTERS.gates])
        if t > self.history.shape[1]:
            raise RuntimeError(
                f"{t} gates were applied but only max_gates={self.history.shape[1]} are kept; "
                "reset the environment when an episode ends."
            )
        return self.history[copy, :t].tolist()
