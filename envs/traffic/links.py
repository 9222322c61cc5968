"""Travel along the links for one tick of the built-in simulator: point queues and CTM.

Both functions advance copy ``b`` of the :class:`~fieldgym.envs.traffic.dynamics.GridState`
``state`` by one tick (steps 3-6 of :mod:`fieldgym.envs.traffic.dynamics`), in place, and
add to the step's records. They are inlined into
:func:`~fieldgym.envs.traffic.dynamics.advance` (``inline="always"``): they run every tick
of every copy, and as separate calls taking the state they made a step about a quarter
slower.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from fieldgym.envs.traffic.records import INT, NET


@njit(cache=True, inline="always")
def tick_point(
    b, slot, state, lane_target, lane_params, entry_link, green, dt, inflow, rec_int, rec_net
):
    """One tick of copy ``b`` with point queues (steps 3-6 of the module docstring).

    ``cells[b, lane, slot]`` holds the vehicles that entered the link one free-flow time
    ago: they reach the stop line now, and this tick's entering vehicles take the slot.
    """
    cells, queue, halted, wait = state.cells, state.queue, state.halted, state.wait
    entry, phase, clear = state.entry, state.phase, state.clear
    n_int = phase.shape[1]
    for link in range(inflow.shape[0]):
        inflow[link] = 0.0
    for e in range(entry.shape[1]):
        taken = entry[b, e]
        entry[b, e] = 0.0
        inflow[entry_link[e]] += taken
        rec_net[b, NET.entered] += taken
    for i in range(n_int):
        open_ = clear[b, i] == 0
        current = phase[b, i]
        for g in range(12):
            lane = 12 * i + g
            q = queue[b, lane] + cells[b, lane, slot]
            cells[b, lane, slot] = 0.0
            if open_ and green[current, g] == 1 and q > 0.0:
                out = min(q, lane_params[lane, 0])
                wait[b, lane] -= wait[b, lane] * (out / q)
                rec_int[b, i, INT.discharged] += out
                target = lane_target[lane]
                if target < 0:
                    rec_net[b, NET.exited] += out
                else:
                    inflow[target] += out
                q = max(q - out, 0.0)
            queue[b, lane] = q
            halted[b, lane] = q
            wait[b, lane] += q * dt
            rec_int[b, i, INT.delay] += q * dt
            rec_net[b, NET.halted_seconds] += q * dt
    for lane in range(cells.shape[1]):
        cells[b, lane, slot] += inflow[lane // 3] * lane_params[lane, 2]


@njit(cache=True, inline="always")
def tick_ctm(
    b, state, lane_target, lane_params, entry_link, green, dt, wave, offer, accept, demand,
    inflow, moved, rec_int, rec_net,
):  # fmt: skip
    """One tick of copy ``b`` with the cell transmission model (steps 3-6)."""
    cells, halted, wait = state.cells, state.halted, state.wait
    entry, phase, clear = state.entry, state.phase, state.clear
    n_lanes, n_cells = cells.shape[1], cells.shape[2]
    n_links = n_lanes // 3
    for link in range(n_links):
        demand[link] = 0.0
        inflow[link] = 0.0
    for lane in range(n_lanes):
        i = lane // 12
        offer[lane] = 0.0
        if clear[b, i] == 0 and green[phase[b, i], lane % 12] == 1:
            offer[lane] = min(cells[b, lane, n_cells - 1], lane_params[lane, 0])
            if lane_target[lane] >= 0:
                demand[lane_target[lane]] += offer[lane]
    for e in range(entry.shape[1]):
        demand[entry_link[e]] += entry[b, e]
    # what each link accepts: the first cells' receiving flow, split by turning ratio
    for link in range(n_links):
        accept[link] = 1.0
        if demand[link] > 0.0:
            room = np.inf
            for m in range(3):
                lane = 3 * link + m
                ratio = lane_params[lane, 2]
                if ratio > 0.0:
                    receive = min(
                        lane_params[lane, 0], wave * (lane_params[lane, 1] - cells[b, lane, 0])
                    )
                    room = min(room, max(receive, 0.0) / ratio)
            if demand[link] > room:
                accept[link] = room / demand[link]
    # discharge at the stop lines
    for lane in range(n_lanes):
        if offer[lane] <= 0.0:
            continue
        i = lane // 12
        target = lane_target[lane]
        out = offer[lane] if target < 0 else offer[lane] * accept[target]
        present = 0.0
        for k in range(n_cells):
            present += cells[b, lane, k]
        if present > 0.0:
            wait[b, lane] -= wait[b, lane] * min(out / present, 1.0)
        offer[lane] = out  # now the tick's discharge
        rec_int[b, i, INT.discharged] += out
        if target < 0:
            rec_net[b, NET.exited] += out
        else:
            inflow[target] += out
    for e in range(entry.shape[1]):
        link = entry_link[e]
        taken = entry[b, e] * accept[link]
        entry[b, e] -= taken
        inflow[link] += taken
        rec_net[b, NET.entered] += taken
    # travel between cells, from the state at the start of the tick
    for lane in range(n_lanes):
        i = lane // 12
        capacity, storage = lane_params[lane, 0], lane_params[lane, 1]
        for k in range(n_cells - 1):
            moved[k] = min(
                cells[b, lane, k], capacity, max(wave * (storage - cells[b, lane, k + 1]), 0.0)
            )
        moved[n_cells - 1] = offer[lane]
        stopped = 0.0
        for k in range(n_cells):
            stopped += cells[b, lane, k] - moved[k]
        cells[b, lane, 0] += inflow[lane // 3] * lane_params[lane, 2]
        for k in range(n_cells):
            cells[b, lane, k] -= moved[k]
            if k + 1 < n_cells:
                cells[b, lane, k + 1] += moved[k]
        stopped = max(stopped, 0.0)
        halted[b, lane] = stopped
        wait[b, lane] += stopped * dt
        rec_int[b, i, INT.delay] += stopped * dt
        rec_net[b, NET.halted_seconds] += stopped * dt
