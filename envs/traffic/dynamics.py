"""The built-in traffic simulator: one compiled pure function over a batch of copies.

:func:`advance` moves ``B`` independent copies of a network through one decision step
(``delta_time`` seconds in ticks of ``step_length``). The single env is ``B = 1`` of the
same code and the vectorized env ``B = n``, so they cannot drift apart. Vehicles are a
fluid (counts need not be whole), which keeps the model exact to the vehicle about
conservation and saturation flow while staying cheap.

One decision, per intersection: a request for phase ``p`` starts a change of phase if
the current green has lasted ``min_green``; a green that would exceed ``max_green``
changes to ``p`` or, if ``p`` is the current phase, to the next phase in order. A change
shows yellow, then all red (no movement discharges), then the new green.

One tick, per copy, in this order:

1. Signals: clearing intersections count down; green ones add a tick of green.
2. Arrivals join each entry link's waiting-to-enter buffer (Poisson, constant or replay).
3. Each green movement offers its stop-line vehicles, at most its saturation flow
   (``point``: the queue, after this tick's vehicles reach the stop line; ``ctm``: the
   last cell). Entry buffers offer everything waiting.
4. Each link accepts what its lane groups can receive (``ctm``: the cell transmission
   model's receiving flow of the first cell, split by turning ratio; ``point``: all); if
   offered more, every offer is scaled down alike. Movements leading out of the grid
   always discharge. Vehicles entering a link split over its lane groups by turning ratio.
5. ``ctm``: vehicles move between cells, ``min(n_k, Q, w/v (N - n_{k+1}))``.
   ``point``: vehicles entering a link reach its stop line after the free-flow time.
6. Vehicles that did not advance this tick are halted: they wait one tick. Their waiting
   adds to the lane group's waiting-time account, which discharged vehicles take away in
   proportion (the "change in waiting time" reward).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit

from fieldgym.envs.traffic.links import tick_ctm, tick_point
from fieldgym.envs.traffic.records import INT, NET

# scalars: packed parameters of :func:`advance`
S_DT, S_DELTA, S_LOST, S_MIN, S_MAX, S_WAVE, S_MODEL, S_ARRIVAL, S_INTERVAL = range(9)
MODEL_POINT, MODEL_CTM = 0, 1
ARRIVAL_CONSTANT, ARRIVAL_POISSON, ARRIVAL_REPLAY = 0, 1, 2
# columns of GridState.totals
T_GENERATED, T_ENTERED, T_EXITED = range(3)


class GridState(NamedTuple):
    """The state of ``B`` copies of a grid (changed in place by :func:`advance`).

    ``L`` lane groups, ``K`` cells per lane group, ``E`` entry links, ``I`` intersections.
    All fields are zero at reset.

    Attributes:
        cells: ``(B, L, K)`` vehicles per cell (``ctm``) or per travel-time slot (``point``).
        queue: ``(B, L)`` vehicles queued at the stop line (``point``).
        halted: ``(B, L)`` vehicles halted in the last tick.
        wait: ``(B, L)`` waiting time accumulated on the lane group by the vehicles on it, s.
        entry: ``(B, E)`` vehicles waiting to enter at each entry link.
        phase: ``(B, I)`` green phase (the old one while a change is under way).
        next_phase: ``(B, I)`` phase after the change under way.
        clear: ``(B, I)`` ticks of yellow and all red left (0: green).
        elapsed: ``(B, I)`` seconds the current green has lasted.
        clock: ``(B,)`` ticks since reset.
        totals: ``(B, 3)`` vehicles generated, entered and exited since reset (``T_*``).
    """

    cells: np.ndarray
    queue: np.ndarray
    halted: np.ndarray
    wait: np.ndarray
    entry: np.ndarray
    phase: np.ndarray
    next_phase: np.ndarray
    clear: np.ndarray
    elapsed: np.ndarray
    clock: np.ndarray
    totals: np.ndarray


def new_state(
    num_copies: int, num_lanes: int, num_cells: int, num_entries: int, num_intersections: int
) -> GridState:
    """A :class:`GridState` of ``num_copies`` copies, all zero."""
    b, n = num_copies, num_intersections
    return GridState(
        cells=np.zeros((b, num_lanes, num_cells)),
        queue=np.zeros((b, num_lanes)),
        halted=np.zeros((b, num_lanes)),
        wait=np.zeros((b, num_lanes)),
        entry=np.zeros((b, num_entries)),
        phase=np.zeros((b, n), dtype=np.int64),
        next_phase=np.zeros((b, n), dtype=np.int64),
        clear=np.zeros((b, n), dtype=np.int64),
        elapsed=np.zeros((b, n)),
        clock=np.zeros(b, dtype=np.int64),
        totals=np.zeros((b, 3)),
    )


@njit(cache=True)
def poisson(mean: float, u: float, p0: float) -> float:
    """A Poisson(``mean``) draw by inversion at the uniform draw ``u``; ``p0 = exp(-mean)``."""
    k = 0
    p = p0
    cdf = p
    while u > cdf and p > 0.0:
        k += 1
        p *= mean / k
        cdf += p
    return float(k)


@njit(cache=True)
def decide(phase, next_phase, clear, elapsed, actions, scalars, phase_counts, switched):
    """Apply one decision per intersection of every copy (min and max green), in place.

    ``phase_counts[i]`` is the number of green phases of intersection ``i``; a request for
    a phase beyond it (a padded phase, on networks whose intersections differ) keeps the
    current phase, and a green at ``max_green`` moves on among the intersection's own.
    """
    n_copies, n_int = phase.shape
    delta = scalars[S_DELTA] * scalars[S_DT]
    lost = int(scalars[S_LOST])
    for b in range(n_copies):
        for i in range(n_int):
            current = phase[b, i]
            wanted = actions[b, i]
            n_phases = phase_counts[i]
            if wanted < 0 or wanted >= n_phases:
                wanted = current
            target = -1
            if wanted != current and elapsed[b, i] >= scalars[S_MIN] - 1e-9:
                target = wanted
            elif elapsed[b, i] + delta > scalars[S_MAX] + 1e-9:
                target = wanted if wanted != current else (current + 1) % n_phases
            switched[b, i] = 0.0
            if target >= 0:
                switched[b, i] = 1.0
                next_phase[b, i] = target
                elapsed[b, i] = 0.0
                if lost == 0:
                    phase[b, i] = target
                else:
                    clear[b, i] = lost


@njit(cache=True)
def advance(
    state,
    actions,
    uniforms,
    lane_target,
    lane_params,
    entry_link,
    entry_rate,
    out_link,
    green,
    scalars,
    profile,
    schedule,
    at,
    rec_int,
    rec_net,
    obs,
):
    """Advance every copy by one decision step, in place; write the records and observations.

    Args:
        state: :class:`GridState` of ``B`` copies.
        actions: ``(B, I)`` requested phases.
        uniforms: ``(B, ticks, E)`` uniform draws in [0, 1) for Poisson arrivals (drawn
            from the env's generator by the caller; numba does not take generators cheaply).
        lane_target: See :class:`~fieldgym.envs.traffic.network.Network`.
        lane_params: See :class:`~fieldgym.envs.traffic.network.Network`.
        entry_link: See :class:`~fieldgym.envs.traffic.network.Network`.
        out_link: See :class:`~fieldgym.envs.traffic.network.Network`.
        green: See :class:`~fieldgym.envs.traffic.network.Network`.
        entry_rate: ``(E,)`` mean arrivals per second at each entry.
        scalars: Packed parameters, indexed by the ``S_*`` constants.
        profile: Multipliers of the entry rates over successive intervals, cycled.
        schedule: ``(E, T)`` arrivals per tick to replay (``ARRIVAL_REPLAY``).
        at: Where each observation block starts
            (:class:`~fieldgym.envs.traffic.system.ObservationBlocks`).
        rec_int: ``(B, I, len(INT_KPIS))`` output, the step's intersection record.
        rec_net: ``(B, len(NET_KPIS))`` output, the step's network record.
        obs: ``(B, I, D)`` float32 output, the observations after the step.
    """
    wait, entry, phase, clear = state.wait, state.entry, state.phase, state.clear
    elapsed, clock, totals = state.elapsed, state.clock, state.totals
    n_copies, n_lanes, n_cells = state.cells.shape
    n_int = phase.shape[1]
    n_entries = entry.shape[1]
    n_links = n_lanes // 3
    dt = scalars[S_DT]
    ticks = int(scalars[S_DELTA])
    wave = scalars[S_WAVE]
    ctm = int(scalars[S_MODEL]) == MODEL_CTM
    mode = int(scalars[S_ARRIVAL])
    switched = np.zeros((n_copies, n_int))
    phase_counts = np.full(n_int, green.shape[0], dtype=np.int64)
    decide(phase, state.next_phase, clear, elapsed, actions, scalars, phase_counts, switched)
    offer = np.zeros(n_lanes)
    accept = np.zeros(n_links)
    demand = np.zeros(n_links)
    inflow = np.zeros(n_links)
    moved = np.zeros(n_cells)
    means = np.zeros(n_entries)
    p0 = np.zeros(n_entries)
    last_factor = -1.0
    for b in range(n_copies):
        rec_int[b] = 0.0
        rec_net[b] = 0.0
        for i in range(n_int):
            start = 0.0
            for g in range(12):
                start += wait[b, 12 * i + g]
            rec_int[b, i, INT.wait_change] = start
            rec_int[b, i, INT.switched] = switched[b, i]
        for step_tick in range(ticks):
            tick = clock[b]
            # 2. arrivals
            factor = profile[int(tick * dt / scalars[S_INTERVAL]) % profile.shape[0]]
            if factor != last_factor:
                last_factor = factor
                for e in range(n_entries):
                    means[e] = entry_rate[e] * factor * dt
                    p0[e] = np.exp(-means[e])
            for e in range(n_entries):
                if mode == ARRIVAL_REPLAY:
                    arrived = schedule[e, tick] if tick < schedule.shape[1] else 0.0
                elif mode == ARRIVAL_POISSON:
                    arrived = poisson(means[e], uniforms[b, step_tick, e], p0[e])
                else:
                    arrived = means[e]
                entry[b, e] += arrived
                rec_net[b, NET.generated] += arrived
            if ctm:
                tick_ctm(
                    b, state, lane_target, lane_params, entry_link, green, dt, wave, offer,
                    accept, demand, inflow, moved, rec_int, rec_net,
                )  # fmt: skip
            else:
                tick_point(
                    b, tick % n_cells, state, lane_target, lane_params, entry_link, green, dt,
                    inflow, rec_int, rec_net,
                )  # fmt: skip
            # 1. signals, at the end of the tick
            for i in range(n_int):
                if clear[b, i] > 0:
                    clear[b, i] -= 1
                    if clear[b, i] == 0:
                        phase[b, i] = state.next_phase[b, i]
                else:
                    elapsed[b, i] += dt
            clock[b] += 1
            inside = (
                totals[b, T_ENTERED]
                + rec_net[b, NET.entered]
                - totals[b, T_EXITED]
                - rec_net[b, NET.exited]
            )
            rec_net[b, NET.vehicle_seconds] += inside * dt
            for e in range(n_entries):
                rec_net[b, NET.waiting_seconds] += entry[b, e] * dt
        totals[b, T_GENERATED] += rec_net[b, NET.generated]
        totals[b, T_ENTERED] += rec_net[b, NET.entered]
        totals[b, T_EXITED] += rec_net[b, NET.exited]
    observe(state, out_link, at, rec_int, rec_net, obs)


@njit(cache=True)
def observe(state, out_link, at, rec_int, rec_net, obs):
    """Write the end-of-step state of every copy to the records and the observations.

    The observation of intersection ``i`` has the blocks of
    :func:`~fieldgym.envs.traffic.system.observation_layout`, each starting where ``at``
    says: the one-hot green phase (P), the seconds of green so far, then per lane group the
    halted vehicles and the moving vehicles (12 each), then the vehicles on the outgoing
    link of each side (4).
    """
    cells, queue, halted, wait = state.cells, state.queue, state.halted, state.wait
    phase, totals = state.phase, state.totals
    n_copies, n_lanes, n_cells = cells.shape
    n_int = phase.shape[1]
    n_phases = at.elapsed - at.phase
    link_vehicles = np.zeros(n_lanes // 3)
    for b in range(n_copies):
        for link in range(n_lanes // 3):
            link_vehicles[link] = 0.0
        queue_total = 0.0
        for lane in range(n_lanes):
            present = queue[b, lane]
            for k in range(n_cells):
                present += cells[b, lane, k]
            link_vehicles[lane // 3] += present
            i, g = lane // 12, lane % 12
            obs[b, i, at.queue + g] = halted[b, lane]
            obs[b, i, at.approaching + g] = max(present - halted[b, lane], 0.0)
            queue_total += halted[b, lane]
        inside = 0.0
        for i in range(n_int):
            for p in range(n_phases):
                obs[b, i, at.phase + p] = 1.0 if phase[b, i] == p else 0.0
            obs[b, i, at.elapsed] = state.elapsed[b, i]
            halted_i, present_i, wait_i, out_i = 0.0, 0.0, 0.0, 0.0
            for g in range(12):
                halted_i += halted[b, 12 * i + g]
                wait_i += wait[b, 12 * i + g]
            for a in range(4):
                present_i += link_vehicles[4 * i + a]
                target = out_link[i, a]
                outgoing = link_vehicles[target] if target >= 0 else 0.0
                obs[b, i, at.outgoing + a] = outgoing
                out_i += outgoing
            inside += present_i
            rec_int[b, i, INT.queue] = halted_i
            rec_int[b, i, INT.vehicles] = present_i
            rec_int[b, i, INT.wait_change] -= wait_i
            rec_int[b, i, INT.wait_total] = wait_i
            rec_int[b, i, INT.outgoing] = out_i
        waiting = 0.0
        for e in range(state.entry.shape[1]):
            waiting += state.entry[b, e]
        rec_net[b, NET.in_network] = inside
        rec_net[b, NET.waiting_to_enter] = waiting
        rec_net[b, NET.queue_total] = queue_total
        rec_net[b, NET.generated_total] = totals[b, T_GENERATED]
        rec_net[b, NET.entered_total] = totals[b, T_ENTERED]
        rec_net[b, NET.exited_total] = totals[b, T_EXITED]
        rec_net[b, NET.delay_seconds] = rec_net[b, NET.halted_seconds]
        rec_net[b, NET.teleports] = 0.0
