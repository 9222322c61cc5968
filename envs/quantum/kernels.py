"""The compiled kernels of the circuit dynamics (numba), used by :mod:`.dynamics`.

Statevectors are indexed as qiskit does (qubit 0 is the least significant bit of the
basis index); a gate on qubits ``(q0, q1)`` uses the local index ``bit(q0) + 2 bit(q1)``.
The copies' state, the constants and the columns of every array are those of :mod:`.state`.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from fieldgym.envs.quantum.state import COUNTERS, RECORD, CircuitState, CircuitTables


@njit(cache=True, inline="always")
def _insert_zero(k: int, bit: int) -> int:
    low = k & ((1 << bit) - 1)
    return ((k >> bit) << (bit + 1)) | low


@njit(cache=True)
def apply_unitary(psi: np.ndarray, u: np.ndarray, gate: np.ndarray) -> None:
    """Apply a 1- or 2-qubit unitary ``u`` (4x4, top-left used for one qubit) to ``psi``.

    ``gate`` is ``(arity, q0, q1)``; local index ``bit(q0) + 2 bit(q1)``, as qiskit orders
    a gate's qubits.
    """
    dim = psi.shape[0]
    m0 = 1 << gate[1]
    if gate[0] == 1:
        u00, u01, u10, u11 = u[0, 0], u[0, 1], u[1, 0], u[1, 1]
        for k in range(dim // 2):
            i = _insert_zero(k, gate[1])
            j = i | m0
            a, b = psi[i], psi[j]
            psi[i] = u00 * a + u01 * b
            psi[j] = u10 * a + u11 * b
        return
    m1 = 1 << gate[2]
    lo, hi = min(gate[1], gate[2]), max(gate[1], gate[2])
    v = np.empty(4, dtype=np.complex128)
    for k in range(dim // 4):
        i = _insert_zero(_insert_zero(k, lo), hi)
        idx = (i, i | m0, i | m1, i | m0 | m1)
        for r in range(4):
            v[r] = psi[idx[r]]
        for r in range(4):
            psi[idx[r]] = u[r, 0] * v[0] + u[r, 1] * v[1] + u[r, 2] * v[2] + u[r, 3] * v[3]


@njit(cache=True)
def apply_superop(rho: np.ndarray, s: np.ndarray, gate: np.ndarray) -> None:
    """Apply a local superoperator ``s`` to the density matrix ``rho`` in place.

    ``s`` acts on the block ``rho[rows, cols]`` of the gate's qubits, entry ``(r, c)`` at
    ``r + 2^k c`` (see :func:`fieldgym.envs.quantum.noise.unitary_superop`).
    """
    dim = rho.shape[0]
    k = gate[0]
    d = 1 << k
    size = d * d
    offsets = np.empty(d, dtype=np.int64)
    offsets[0] = 0
    offsets[1] = 1 << gate[1]
    lo, hi = gate[1], gate[1]
    if k == 2:
        offsets[2] = 1 << gate[2]
        offsets[3] = offsets[1] | offsets[2]
        lo, hi = min(gate[1], gate[2]), max(gate[1], gate[2])
    v = np.empty(size, dtype=np.complex128)
    for kr in range(dim // d):
        r0 = _insert_zero(kr, gate[1]) if k == 1 else _insert_zero(_insert_zero(kr, lo), hi)
        for kc in range(dim // d):
            c0 = _insert_zero(kc, gate[1]) if k == 1 else _insert_zero(_insert_zero(kc, lo), hi)
            for c in range(d):
                for r in range(d):
                    v[r + d * c] = rho[r0 | offsets[r], c0 | offsets[c]]
            for c in range(d):
                for r in range(d):
                    row = r + d * c
                    acc = 0j
                    for x in range(size):
                        acc += s[row, x] * v[x]
                    rho[r0 | offsets[r], c0 | offsets[c]] = acc


@njit(cache=True)
def _track(b, action, gate, counters, layer, history, record, fidelity) -> None:
    """Count the gate, update the depth and the history, and record the step of copy ``b``.

    The arrays are those of :class:`.state.CircuitState`.
    """
    t = counters[b, COUNTERS.gates]
    if t < history.shape[1]:
        history[b, t] = action
    counters[b, COUNTERS.gates] = t + 1
    record[b, RECORD.two_qubit] = 0.0
    deepest = layer[b, gate[1]]
    if gate[0] == 2:
        counters[b, COUNTERS.cnots] += 1
        record[b, RECORD.two_qubit] = 1.0
        deepest = max(deepest, layer[b, gate[2]])
    deepest += 1
    layer[b, gate[1]] = deepest
    if gate[0] == 2:
        layer[b, gate[2]] = deepest
    counters[b, COUNTERS.depth] = max(counters[b, COUNTERS.depth], deepest)
    record[b, RECORD.previous_fidelity] = record[b, RECORD.fidelity]
    record[b, RECORD.fidelity] = fidelity
    record[b, RECORD.gates] = counters[b, COUNTERS.gates]
    record[b, RECORD.cnots] = counters[b, COUNTERS.cnots]
    record[b, RECORD.depth] = counters[b, COUNTERS.depth]


@njit(cache=True, inline="always")
def _expectations(reduced, xmask, phase, first, count, raw, out) -> None:
    """Write ``count`` Pauli expectations of a reduced density matrix into ``raw[out:]``.

    Pauli ``first + k`` of the local tables is ``phase[., b]`` times the basis flip
    ``b -> b ^ xmask[.]``, so its expectation is ``sum_b phase * reduced[b, b ^ xmask]``.
    """
    for k in range(count):
        acc = 0.0
        for b in range(reduced.shape[0]):
            acc += (phase[first + k, b] * reduced[b, b ^ xmask[first + k]]).real
        raw[out + k] = acc


@njit(cache=True)
def _paulis_pure(psi, n, xmask, phase, raw) -> None:
    """Pauli expectations of a statevector from its 1- and 2-qubit reduced density matrices.

    ``xmask``/``phase`` are the local tables of :func:`.dynamics.local_pauli_tables`;
    ``raw`` gets the values in observation order (:func:`.dynamics.pauli_labels`).
    """
    dim = psi.shape[0]
    r1 = np.zeros((2, 2), dtype=np.complex128)
    r2 = np.zeros((4, 4), dtype=np.complex128)
    for q in range(n):
        m = 1 << q
        r1[:] = 0.0
        for k in range(dim // 2):
            i = _insert_zero(k, q)
            v0, v1 = psi[i], psi[i | m]
            r1[0, 0] += v0 * np.conj(v0)
            r1[0, 1] += v0 * np.conj(v1)
            r1[1, 1] += v1 * np.conj(v1)
        r1[1, 0] = np.conj(r1[0, 1])
        _expectations(r1, xmask, phase, 0, 3, raw, 3 * q)
    p = 3 * n
    for qi in range(n):
        for qj in range(qi + 1, n):
            mi, mj = 1 << qi, 1 << qj
            r2[:] = 0.0
            for k in range(dim // 4):
                i = _insert_zero(_insert_zero(k, qi), qj)
                idx = (i, i | mi, i | mj, i | mi | mj)
                for a in range(4):
                    va = psi[idx[a]]
                    for b in range(4):
                        r2[a, b] += va * np.conj(psi[idx[b]])
            _expectations(r2, xmask, phase, 3, 9, raw, p)
            p += 9


@njit(cache=True)
def _paulis_mixed(rho, n, xmask, phase, raw) -> None:
    """:func:`_paulis_pure` for a density matrix (reduced matrices by partial traces)."""
    dim = rho.shape[0]
    r1 = np.zeros((2, 2), dtype=np.complex128)
    r2 = np.zeros((4, 4), dtype=np.complex128)
    for q in range(n):
        m = 1 << q
        r1[:] = 0.0
        for k in range(dim // 2):
            i = _insert_zero(k, q)
            r1[0, 0] += rho[i, i]
            r1[0, 1] += rho[i, i | m]
            r1[1, 0] += rho[i | m, i]
            r1[1, 1] += rho[i | m, i | m]
        _expectations(r1, xmask, phase, 0, 3, raw, 3 * q)
    p = 3 * n
    for qi in range(n):
        for qj in range(qi + 1, n):
            mi, mj = 1 << qi, 1 << qj
            r2[:] = 0.0
            for k in range(dim // 4):
                i = _insert_zero(_insert_zero(k, qi), qj)
                idx = (i, i | mi, i | mj, i | mi | mj)
                for a in range(4):
                    for b in range(4):
                        r2[a, b] += rho[idx[a], idx[b]]
            _expectations(r2, xmask, phase, 3, 9, raw, p)
            p += 9


@njit(cache=True)
def observe_pure(state, tables, params, blocks, obs) -> None:
    """Write each copy's observation: Pauli expectations or amplitudes, then gates used.

    ``state`` and ``tables`` are the fields of a :class:`.state.CircuitState` and a
    :class:`.state.CircuitTables` as plain tuples, ``params`` and ``blocks`` one-row
    records of :class:`.state.CircuitParams` and :class:`.state.ObservationBlocks`.
    """
    named, fixed = CircuitState(*state), CircuitTables(*tables)
    # the fields as local arrays: each read from the tuple in a loop updates a reference count
    states, counters, xmask, phase = named.states, named.counters, fixed.xmask, fixed.phase
    n, max_gates, pauli = params[0].num_qubits, params[0].max_gates, params[0].pauli
    start, gates_used = blocks[0].state, blocks[0].gates_used
    n_copies, dim = states.shape
    width = gates_used - start
    raw = np.empty(width)
    for b in range(n_copies):
        psi = states[b]
        if pauli:
            _paulis_pure(psi, n, xmask, phase, raw)
            for k in range(width):
                obs[b, start + k] = min(max(raw[k], -1.0), 1.0)
        else:
            for i in range(dim):
                obs[b, start + i] = min(max(psi[i].real, -1.0), 1.0)
                obs[b, start + dim + i] = min(max(psi[i].imag, -1.0), 1.0)
        obs[b, gates_used] = min(counters[b, COUNTERS.gates] / max_gates, 1.0)


@njit(cache=True)
def observe_mixed(state, tables, readout, params, blocks, obs) -> None:
    """Write each copy's measured Pauli expectations (with readout error), then gates used.

    ``readout`` is ``(patterns, n, 2)``, each pattern's affine readout coefficients per
    qubit; ``tables.pairs[p]`` is ``(qubit, -1, -1, -1)`` for a single-qubit Pauli and
    ``(i, j, si, sj)`` for a two-qubit one, ``si``/``sj`` the indices of its single-qubit
    factors. The other arguments are those of :func:`observe_pure`.
    """
    named, fixed = CircuitState(*state), CircuitTables(*tables)
    rhos, pattern, counters = named.states, named.pattern, named.counters
    xmask, phase, pairs = fixed.xmask, fixed.phase, fixed.pairs
    n, max_gates = params[0].num_qubits, params[0].max_gates
    start, gates_used = blocks[0].state, blocks[0].gates_used
    n_copies = rhos.shape[0]
    n_obs = gates_used - start
    raw = np.empty(n_obs)
    for b in range(n_copies):
        _paulis_mixed(rhos[b], n, xmask, phase, raw)
        coef = readout[pattern[b]]
        for k in range(n_obs):
            i, j = pairs[k, 0], pairs[k, 1]
            if j < 0:
                value = coef[i, 0] * raw[k] + coef[i, 1]
            else:
                ai, ci, aj, cj = coef[i, 0], coef[i, 1], coef[j, 0], coef[j, 1]
                value = ai * aj * raw[k] + ai * cj * raw[pairs[k, 2]]
                value += ci * aj * raw[pairs[k, 3]] + ci * cj
            obs[b, start + k] = min(max(value, -1.0), 1.0)
        obs[b, gates_used] = min(counters[b, COUNTERS.gates] / max_gates, 1.0)


@njit(cache=True)
def fidelity_pure(psi: np.ndarray, target: np.ndarray) -> float:
    """``|<target|psi>|^2``."""
    acc = 0j
    for i in range(psi.shape[0]):
        acc += np.conj(target[i]) * psi[i]
    return acc.real * acc.real + acc.imag * acc.imag


@njit(cache=True)
def fidelity_mixed(rho: np.ndarray, target: np.ndarray) -> float:
    """``<target|rho|target>``."""
    acc = 0j
    dim = rho.shape[0]
    for i in range(dim):
        row = 0j
        for j in range(dim):
            row += rho[i, j] * target[j]
        acc += np.conj(target[i]) * row
    return acc.real


@njit(cache=True)
def advance_pure(state, tables, unitaries, params, blocks, actions, obs) -> None:
    """Apply each copy's chosen gate to its statevector, record the step and observe.

    Args:
        state: The fields of the :class:`.state.CircuitState` (statevectors ``(B, 2^n)``),
            updated in place; the record gets the step.
        tables: The fields of the :class:`.state.CircuitTables`.
        unitaries: ``(A, 4, 4)`` gate matrices.
        params: :class:`.state.CircuitParams` as a one-row record.
        blocks: :class:`.state.ObservationBlocks` as a one-row record.
        actions: ``(B,)`` action indices.
        obs: ``(B, D)`` float32 output observations.
    """
    named, fixed = CircuitState(*state), CircuitTables(*tables)
    # the fields as local arrays (see observe_pure)
    states, counters, layer, history, record = (
        named.states, named.counters, named.layer, named.history, named.record
    )  # fmt: skip
    gates, target = fixed.gates, fixed.target
    for b in range(states.shape[0]):
        a = actions[b]
        apply_unitary(states[b], unitaries[a], gates[a])
        fidelity = fidelity_pure(states[b], target)
        _track(b, a, gates[a], counters, layer, history, record, fidelity)
    observe_pure(state, tables, params, blocks, obs)


@njit(cache=True)
def advance_mixed(state, tables, superops, readout, params, blocks, actions, obs) -> None:
    """:func:`advance_pure` for density matrices: each copy's gate and noise as one superop.

    ``superops`` is ``(patterns, A, 16, 16)``, indexed by each copy's noise pattern;
    ``readout`` as :func:`observe_mixed` takes it.
    """
    named, fixed = CircuitState(*state), CircuitTables(*tables)
    rhos, pattern, counters, layer, history, record = (
        named.states, named.pattern, named.counters, named.layer, named.history, named.record
    )  # fmt: skip
    gates, target = fixed.gates, fixed.target
    for b in range(rhos.shape[0]):
        a = actions[b]
        apply_superop(rhos[b], superops[pattern[b], a], gates[a])
        fidelity = fidelity_mixed(rhos[b], target)
        _track(b, a, gates[a], counters, layer, history, record, fidelity)
    observe_mixed(state, tables, readout, params, blocks, obs)
