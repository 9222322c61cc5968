"""Dynamics of the offloading system, shared by the single and the vectorized environment.

:class:`OffloadingSystem` holds ``B`` independent copies as arrays; :func:`advance` (one
numba-compiled pure function) decides one task per copy and draws the next. The single
environment is ``B = 1`` of the same code, so the two cannot drift apart.

One step is one task. Time runs continuously between tasks; every queue is FIFO and is
kept as its *backlog*, the seconds until it is free. For the task of device ``u``
(size ``S`` bits, ``C`` cycles, deadline ``D`` seconds after its arrival), with the
action chosen at its arrival:

* **local** (action 0): it waits for the device's CPU backlog ``L_u``, then computes for
  ``C / f_u``; energy ``k * C * f_u**2``.
* **edge server k** (action ``k``, 1-based): it waits for the device's radio backlog
  ``X_u``, is sent at the Shannon rate ``r_k = W log2(1 + p g_k h_k / (N0 W))`` (path gain
  ``g_k``, Rayleigh power ``h_k ~ Exp(1)`` held for the task), then waits at the server
  (``max(backlog_k, arrival)``; servers serve in the order tasks were assigned) and
  computes for ``C / F_k``. Device energy ``p * S / r_k``.
* **cloud** (action ``K + 1``, with ``cloud``): sent like an offload to the access point
  with the best rate, then ``cloud_latency_s + S / backhaul`` on the wire, then computes
  for ``C / F_cloud`` with no queue.

The task's delay is its completion time (transmission + queueing + computation). With
``late_tasks="drop"``, a task that would finish after ``D`` is dropped at ``D``: whatever
it had started (transmission or computation) stops there, frees the queue, and its energy
so far is spent. Since queues are FIFO and the channel is held, this is known at arrival.
Then the next task arrives after an ``Exp(num_users * arrival_rate)`` gap (a superposition
of the devices' Poisson processes, the device drawn uniformly), and every backlog drains
by that gap.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from numba import njit

from fieldgym.envs.core.tables import columns


class TaskColumns(NamedTuple):
    """The columns of the current task, one row per copy."""

    user: int
    """The task's device."""
    size: int
    """Input size, bit."""
    cycles: int
    """CPU cycles."""
    deadline: int
    """Seconds after its arrival."""


class RecordColumns(NamedTuple):
    """The columns of the per-step record :func:`advance` writes (then ``K`` server backlogs)."""

    delay: int
    """Completion (or drop) time after arrival, s."""
    delay_objective: int
    """The delay plus ``late_penalty_s`` if the deadline was missed."""
    energy: int
    """Device energy, J: ``tx_energy + local_energy``."""
    tx_energy: int
    local_energy: int
    tx_time: int
    """Transmission time, plus the wire to the cloud."""
    queue_time: int
    compute_time: int
    missed: int
    dropped: int
    action: int
    """The action taken (an out-of-range action counts as 0)."""
    offloaded: int
    to_cloud: int
    deadline: int
    w_delay: int
    w_energy: int


class ObservationColumns(NamedTuple):
    """The observation's first columns; the per-server and trailing blocks follow.

    After them come the ``K`` rates (Mbit/s), the ``K`` server backlogs (s), the device's
    position (x, y) and the preference (delay, energy weights).
    """

    size_mbit: int
    gigacycles: int
    deadline: int
    cpu_backlog: int
    uplink_backlog: int
    cpu_ghz: int


class PreferenceColumns(NamedTuple):
    """The columns of the episode's preference, one row per copy."""

    delay: int
    energy: int


TASK = columns(TaskColumns)
RECORD = columns(RecordColumns)
OBSERVATION = columns(ObservationColumns)
PREFERENCE = columns(PreferenceColumns)
SERVER_BACKLOGS = len(RecordColumns._fields)
"""The record's column of the first server's backlog."""
RATES = len(ObservationColumns._fields)
"""The observation's column of the first server's rate."""


class OffloadingParams(NamedTuple):
    """The constants of one offloading system, in SI units, as the kernels read them."""

    arrival_rate: float
    """Tasks per second per device."""
    size_low_mbit: float
    size_high_mbit: float
    size_kind: int
    """The size distribution's code in :data:`DISTRIBUTION_CODES`."""
    density_low: float
    """Cycles per bit."""
    density_high: float
    density_kind: int
    """The cycles-per-bit distribution's code in :data:`DISTRIBUTION_CODES`."""
    deadline_low: float
    deadline_high: float
    bandwidth_hz: float
    snr_scale: float
    """Transmit power over the noise power in the band: SNR per unit path gain."""
    fading: int
    """1 with Rayleigh fading, 0 without."""
    switched_capacitance: float
    tx_power_w: float
    cloud: int
    """1 if the cloud action exists, 0 otherwise."""
    cloud_hz: float
    cloud_latency_s: float
    backhaul_bps: float
    drop: int
    """1 if a task that would finish late is dropped at its deadline, 0 otherwise."""
    late_penalty_s: float


DISTRIBUTION_CODES = {"uniform": 0, "exponential": 1, "fixed": 2}
TASK_DRAWS = 5
"""Uniform numbers per new task besides the ``K`` fading draws: gap, device, size, density,
deadline."""


@njit(cache=True)
def _draw(u: float, low: float, high: float, kind: int) -> float:
    if kind == 0:
        return low + u * (high - low)
    mean = 0.5 * (low + high)
    if kind == 1:
        return min(max(-mean * math.log(1.0 - u), low), high)
    return mean


@njit(cache=True)
def new_task(
    b: int,
    draws: np.ndarray,
    mean_gain: np.ndarray,
    task: np.ndarray,
    rates: np.ndarray,
    params: np.ndarray,
) -> float:
    """Draw copy ``b``'s next task from the numbers ``draws``; return the gap before it (s)."""
    p = params[0]
    n_users = mean_gain.shape[1]
    n_servers = mean_gain.shape[2]
    gap = -math.log(1.0 - draws[0]) / (p.arrival_rate * n_users)
    user = min(int(draws[1] * n_users), n_users - 1)
    size = _draw(draws[2], p.size_low_mbit, p.size_high_mbit, p.size_kind) * 1e6
    density = _draw(draws[3], p.density_low, p.density_high, p.density_kind)
    task[b, TASK.user] = user
    task[b, TASK.size] = size
    task[b, TASK.cycles] = size * density
    task[b, TASK.deadline] = p.deadline_low + draws[4] * (p.deadline_high - p.deadline_low)
    for k in range(n_servers):
        h = -math.log(1.0 - draws[TASK_DRAWS + k]) if p.fading > 0 else 1.0
        rates[b, k] = p.bandwidth_hz * math.log2(1.0 + p.snr_scale * mean_gain[b, user, k] * h)
    return gap


@njit(cache=True)
def observe(
    task: np.ndarray,
    rates: np.ndarray,
    local: np.ndarray,
    radio: np.ndarray,
    server: np.ndarray,
    device_hz: np.ndarray,
    user_xy: np.ndarray,
    preference: np.ndarray,
    out: np.ndarray,
) -> None:
    """Write every copy's observation (see :class:`ObservationColumns`) into ``out``."""
    n_servers = server.shape[1]
    position = RATES + 2 * n_servers
    for b in range(out.shape[0]):
        user = int(task[b, TASK.user])
        out[b, OBSERVATION.size_mbit] = task[b, TASK.size] * 1e-6
        out[b, OBSERVATION.gigacycles] = task[b, TASK.cycles] * 1e-9
        out[b, OBSERVATION.deadline] = task[b, TASK.deadline]
        out[b, OBSERVATION.cpu_backlog] = local[b, user]
        out[b, OBSERVATION.uplink_backlog] = radio[b, user]
        out[b, OBSERVATION.cpu_ghz] = device_hz[b, user] * 1e-9
        for k in range(n_servers):
            out[b, RATES + k] = rates[b, k] * 1e-6
            out[b, RATES + n_servers + k] = server[b, k]
        out[b, position] = user_xy[b, user, 0]
        out[b, position + 1] = user_xy[b, user, 1]
        out[b, position + 2] = preference[b, PREFERENCE.delay]
        out[b, position + 3] = preference[b, PREFERENCE.energy]


@njit(cache=True)
def _settle(begin: float, compute: float, deadline: float, drop: bool) -> tuple[float, float, bool]:
    """The computation started at ``begin``: (time computed, finish time, late).

    A computation that would finish after ``deadline`` is late; with ``drop`` it stops
    there.
    """
    finish = begin + compute
    late = finish > deadline
    if late and drop:
        compute = min(max(deadline - begin, 0.0), compute)
        finish = deadline
    return compute, finish, late


@njit(cache=True)
def advance(
    local: np.ndarray,
    radio: np.ndarray,
    server: np.ndarray,
    task: np.ndarray,
    rates: np.ndarray,
    device_hz: np.ndarray,
    user_xy: np.ndarray,
    mean_gain: np.ndarray,
    preference: np.ndarray,
    actions: np.ndarray,
    uniforms: np.ndarray,
    server_hz: np.ndarray,
    params: np.ndarray,
    record: np.ndarray,
    observation: np.ndarray,
) -> None:
    """Decide every copy's current task, draw its next one and observe it, in place.

    Args:
        local: ``(B, U)`` device CPU backlogs, s.
        radio: ``(B, U)`` device uplink backlogs, s.
        server: ``(B, K)`` edge-server backlogs, s.
        task: ``(B, len(TASK))`` current task, columns :class:`TaskColumns`.
        rates: ``(B, K)`` the current task's uplink rate to each server, bit/s.
        device_hz: ``(B, U)`` device CPU frequencies, Hz.
        user_xy: ``(B, U, 2)`` device positions, m.
        mean_gain: ``(B, U, K)`` path gain from each device to each server (linear).
        preference: ``(B, len(PREFERENCE))`` the episode's weights.
        actions: ``(B,)`` 0 local, ``1..K`` server, ``K + 1`` cloud; out-of-range counts as 0.
        uniforms: ``(B, TASK_DRAWS + K)`` uniform [0, 1) numbers for the next task.
        server_hz: ``(K,)`` server CPU frequencies, Hz.
        params: :class:`OffloadingParams` as a record (``as_record``).
        record: ``(B, len(RECORD) + K)`` output, columns :class:`RecordColumns`, then the
            server backlogs from :data:`SERVER_BACKLOGS`.
        observation: ``(B, D)`` float32 output.
    """
    n_copies, n_servers = server.shape
    p = params[0]
    kappa, power = p.switched_capacitance, p.tx_power_w
    cloud = n_servers + 1 if p.cloud > 0 else -1
    drop = p.drop > 0
    for b in range(n_copies):
        user = int(task[b, TASK.user])
        size, cycles, deadline = task[b, TASK.size], task[b, TASK.cycles], task[b, TASK.deadline]
        a = int(actions[b])
        if a < 0 or a > n_servers + (1 if p.cloud > 0 else 0):
            a = 0
        tx = 0.0
        compute = 0.0
        energy_tx = 0.0
        energy_local = 0.0
        if a == 0:
            f = device_hz[b, user]
            begin = local[b, user]
            compute, finish, late = _settle(begin, cycles / f, deadline, drop)
            local[b, user] = begin + compute
            energy_local = kappa * f * f * f * compute
        else:
            k = a - 1
            if a == cloud:  # through the access point with the best rate
                k = 0
                for j in range(1, n_servers):
                    if rates[b, j] > rates[b, k]:
                        k = j
            begin = radio[b, user]
            tx = size / rates[b, k]
            arrival = begin + tx
            late = arrival > deadline and drop
            if late:
                tx = min(max(deadline - begin, 0.0), tx)
                finish = deadline
                arrival = begin + tx
            radio[b, user] = arrival
            energy_tx = power * tx
            if not late:
                if a == cloud:
                    wire = p.cloud_latency_s + size / p.backhaul_bps
                    tx += wire
                    arrival += wire
                    begin = arrival
                    compute = cycles / p.cloud_hz
                else:
                    begin = max(server[b, k], arrival)
                    compute = cycles / server_hz[k]
                compute, finish, late = _settle(begin, compute, deadline, drop)
                if a != cloud and compute > 0.0:
                    server[b, k] = begin + compute
        missed = 1.0 if late else 0.0
        r = record
        r[b, RECORD.delay] = finish
        r[b, RECORD.delay_objective] = finish + p.late_penalty_s * missed
        r[b, RECORD.energy] = energy_tx + energy_local
        r[b, RECORD.tx_energy] = energy_tx
        r[b, RECORD.local_energy] = energy_local
        r[b, RECORD.tx_time] = tx
        r[b, RECORD.queue_time] = max(finish - tx - compute, 0.0)
        r[b, RECORD.compute_time] = compute
        r[b, RECORD.missed] = missed
        r[b, RECORD.dropped] = missed if drop else 0.0
        r[b, RECORD.action] = a
        r[b, RECORD.offloaded] = 1.0 if a > 0 else 0.0
        r[b, RECORD.to_cloud] = 1.0 if a == cloud else 0.0
        r[b, RECORD.deadline] = deadline
        r[b, RECORD.w_delay] = preference[b, PREFERENCE.delay]
        r[b, RECORD.w_energy] = preference[b, PREFERENCE.energy]
        for k in range(n_servers):
            r[b, SERVER_BACKLOGS + k] = server[b, k]
        gap = new_task(b, uniforms[b], mean_gain, task, rates, params)
        for u in range(local.shape[1]):
            local[b, u] = max(local[b, u] - gap, 0.0)
            radio[b, u] = max(radio[b, u] - gap, 0.0)
        for k in range(n_servers):
            server[b, k] = max(server[b, k] - gap, 0.0)
    observe(task, rates, local, radio, server, device_hz, user_xy, preference, observation)


@njit(cache=True)
def start_tasks(
    copies: np.ndarray,
    draws: np.ndarray,
    start: int,
    mean_gain: np.ndarray,
    task: np.ndarray,
    rates: np.ndarray,
    params: np.ndarray,
) -> None:
    """Draw the first task of copy ``copies[i]`` from ``draws[i, start:]``, for every ``i``."""
    for i in range(copies.shape[0]):
        new_task(copies[i], draws[i, start:], mean_gain, task, rates, params)
