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

import numpy as np
from numba import njit

RECORD = (
    "delay",
    "delay_objective",
    "energy",
    "tx_energy",
    "local_energy",
    "tx_time",
    "queue_time",
    "compute_time",
    "missed",
    "dropped",
    "action",
    "offloaded",
    "to_cloud",
    "deadline",
    "w_delay",
    "w_energy",
)
"""Columns of the per-step record :func:`advance` writes (then ``K`` server backlogs)."""

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
    kinds: np.ndarray,
) -> float:
    """Draw copy ``b``'s next task from the numbers ``draws``; return the gap before it (s)."""
    n_users = mean_gain.shape[1]
    n_servers = mean_gain.shape[2]
    gap = -math.log(1.0 - draws[0]) / (params[0] * n_users)
    user = min(int(draws[1] * n_users), n_users - 1)
    size = _draw(draws[2], params[1], params[2], kinds[0]) * 1e6
    density = _draw(draws[3], params[3], params[4], kinds[1])
    task[b, 0] = user
    task[b, 1] = size
    task[b, 2] = size * density
    task[b, 3] = params[5] + draws[4] * (params[6] - params[5])
    bandwidth, snr_scale, fading = params[7], params[8], params[9]
    for k in range(n_servers):
        h = -math.log(1.0 - draws[TASK_DRAWS + k]) if fading > 0 else 1.0
        rates[b, k] = bandwidth * math.log2(1.0 + snr_scale * mean_gain[b, user, k] * h)
    return gap


@njit(cache=True)
def observe(
    b: int,
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
    """Write copy ``b``'s observation (see :func:`observation_layout`) into ``out[b]``."""
    user = int(task[b, 0])
    n_servers = server.shape[1]
    end = 6 + 2 * n_servers
    out[b, 0] = task[b, 1] * 1e-6
    out[b, 1] = task[b, 2] * 1e-9
    out[b, 2] = task[b, 3]
    out[b, 3] = local[b, user]
    out[b, 4] = radio[b, user]
    out[b, 5] = device_hz[b, user] * 1e-9
    for k in range(n_servers):
        out[b, 6 + k] = rates[b, k] * 1e-6
        out[b, 6 + n_servers + k] = server[b, k]
    out[b, end] = user_xy[b, user, 0]
    out[b, end + 1] = user_xy[b, user, 1]
    out[b, end + 2] = preference[b, 0]
    out[b, end + 3] = preference[b, 1]


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
    kinds: np.ndarray,
    record: np.ndarray,
    observation: np.ndarray,
) -> None:
    """Decide every copy's current task, draw its next one and observe it, in place.

    Args:
        local: ``(B, U)`` device CPU backlogs, s.
        radio: ``(B, U)`` device uplink backlogs, s.
        server: ``(B, K)`` edge-server backlogs, s.
        task: ``(B, 4)`` current task: device, size (bit), cycles, deadline (s).
        rates: ``(B, K)`` the current task's uplink rate to each server, bit/s.
        device_hz: ``(B, U)`` device CPU frequencies, Hz.
        user_xy: ``(B, U, 2)`` device positions, m.
        mean_gain: ``(B, U, K)`` path gain from each device to each server (linear).
        preference: ``(B, 2)`` the episode's (delay, energy) weights.
        actions: ``(B,)`` 0 local, ``1..K`` server, ``K + 1`` cloud; out-of-range counts as 0.
        uniforms: ``(B, TASK_DRAWS + K)`` uniform [0, 1) numbers for the next task.
        server_hz: ``(K,)`` server CPU frequencies, Hz.
        params: see :meth:`OffloadingSystem.kernel_params`.
        kinds: ``(2,)`` distribution codes of size and density.
        record: ``(B, len(RECORD) + K)`` output, columns as :data:`RECORD`, then backlogs.
        observation: ``(B, D)`` float32 output.
    """
    n_copies, n_servers = server.shape
    kappa, power = params[10], params[11]
    cloud, cloud_hz, cloud_latency, backhaul = params[12], params[13], params[14], params[15]
    drop, penalty = params[16] > 0, params[17]
    for b in range(n_copies):
        user = int(task[b, 0])
        size, cycles, deadline = task[b, 1], task[b, 2], task[b, 3]
        a = int(actions[b])
        if a < 0 or a > n_servers + (1 if cloud > 0 else 0):
            a = 0
        tx = 0.0
        compute = 0.0
        late = False
        if a == 0:
            f = device_hz[b, user]
            begin = local[b, user]
            compute = cycles / f
            finish = begin + compute
            if finish > deadline:
                late = True
                if drop:
                    compute = min(max(deadline - begin, 0.0), compute)
                    finish = deadline
            local[b, user] = begin + compute
            energy_tx = 0.0
            energy_local = kappa * f * f * f * compute
        else:
            k = a - 1
            if a == n_servers + 1:  # cloud, through the access point with the best rate
                k = 0
                for j in range(1, n_servers):
                    if rates[b, j] > rates[b, k]:
                        k = j
            begin = radio[b, user]
            tx = size / rates[b, k]
            arrival = begin + tx
            if arrival > deadline and drop:
                late = True
                tx = min(max(deadline - begin, 0.0), tx)
                finish = deadline
                radio[b, user] = begin + tx
                energy_tx = power * tx
            else:
                radio[b, user] = arrival
                energy_tx = power * tx
                if a == n_servers + 1:
                    wire = cloud_latency + size / backhaul
                    tx += wire
                    arrival += wire
                    begin = arrival
                    compute = cycles / cloud_hz
                else:
                    begin = max(server[b, k], arrival)
                    compute = cycles / server_hz[k]
                finish = begin + compute
                if finish > deadline:
                    late = True
                    if drop:
                        compute = min(max(deadline - begin, 0.0), compute)
                        finish = deadline
                if a <= n_servers and compute > 0.0:
                    server[b, k] = begin + compute
            energy_local = 0.0
        missed = 1.0 if late else 0.0
        r = record
        r[b, 0] = finish
        r[b, 1] = finish + penalty * missed
        r[b, 2] = energy_tx + energy_local
        r[b, 3] = energy_tx
        r[b, 4] = energy_local
        r[b, 5] = tx
        r[b, 6] = max(finish - tx - compute, 0.0)
        r[b, 7] = compute
        r[b, 8] = missed
        r[b, 9] = missed if drop else 0.0
        r[b, 10] = a
        r[b, 11] = 1.0 if a > 0 else 0.0
        r[b, 12] = 1.0 if a == n_servers + 1 else 0.0
        r[b, 13] = deadline
        r[b, 14] = preference[b, 0]
        r[b, 15] = preference[b, 1]
        for k in range(n_servers):
            r[b, 16 + k] = server[b, k]
        gap = new_task(b, uniforms[b], mean_gain, task, rates, params, kinds)
        for u in range(local.shape[1]):
            local[b, u] = max(local[b, u] - gap, 0.0)
            radio[b, u] = max(radio[b, u] - gap, 0.0)
        for k in range(n_servers):
            server[b, k] = max(server[b, k] - gap, 0.0)
        observe(b, task, rates, local, radio, server, device_hz, user_xy, preference, observation)


@njit(cache=True)
def start_tasks(
    copies: np.ndarray,
    draws: np.ndarray,
    start: int,
    mean_gain: np.ndarray,
    task: np.ndarray,
    rates: np.ndarray,
    params: np.ndarray,
    kinds: np.ndarray,
) -> None:
    """Draw the first task of copy ``copies[i]`` from ``draws[i, start:]``, for every ``i``."""
    for i in range(copies.shape[0]):
        new_task(copies[i], draws[i, start:], mean_gain, task, rates, params, kinds)


@njit(cache=True)
def observe_all(
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
    """:func:`observe` for every copy."""
    for b in range(out.shape[0]):
        observe(b, task, rates, local, radio, server, device_hz, user_xy, preference, out)
