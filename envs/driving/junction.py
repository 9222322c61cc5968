"""The intersection scenario of the built-in simulator: a crossing road and its traffic.

A two-lane road crosses the main road at right angles ``STOP_MARGIN`` metres past the
main road's stop line (``x = intersection_distance``), one lane each way, driving on the
right: vehicles heading ``+y`` (direction +1) in the lane at larger ``x``. Its vehicles
live in their own array ``cross`` ``(B, K, NX)`` (columns ``CROSSING`` of :mod:`.state`), so
the main road's kernels (x-order, neighbours, MOBIL) never see them; they drive by IDM
along their lane behind their leader and re-enter at the far end when they leave.

Control (``PARAM.junction``):

* **signal**: a fixed cycle per copy, offset at random at reset. Each road has its own
  green, then yellow, then red while the other road runs its green and yellow, with an
  all-red interval between the two (:func:`light`). A driver whose front has not reached its
  stop line treats the line as a standing obstacle on red (unless it cannot physically
  stop, braking at ``B_MAX``) and on yellow when it can stop braking at most ``B_STOP``.
* **yield**: the crossing road has priority and its drivers never stop at the line. A
  main-road driver enters only when its gap acceptance (:func:`conflict`) finds no
  crossing vehicle whose time in its lane overlaps its own time in that vehicle's lane,
  each widened by ``GAP_MARGIN`` seconds; it waits at the line otherwise, as long as it
  can stop there braking at most ``B_STOP`` (else it goes on: it is committed).

In both, a driver also waits at its line while the way beyond is blocked (a crossing
vehicle in its lane, or no room behind its leader past the crossing), and every driver
treats a vehicle standing in its path inside the intersection as a standing obstacle,
so none drives into another.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from fieldgym.envs.driving.layout import (
    APPROACH,
    B_MAX,
    B_STOP,
    CROSS_REACH,
    EGO_LENGTH,
    EGO_WIDTH,
    GAP_MARGIN,
    NO_CHANGE,
    RESPAWN_GAP,
    STOP_MARGIN,
)
from fieldgym.envs.driving.state import CROSS, CROSSING, JUNCTION, PARAM, SIM, VEH
from fieldgym.envs.driving.traffic import idm, overlap

GREEN, YELLOW, RED, NONE = 1.0, 0.5, -1.0, 0.0
"""Codes of a light's state (``NONE``: unsignalized), as in the contract's
``JUNCTION_FIELDS``."""
REACH = 250.0
"""Distance before the stop line from which main-road drivers heed the intersection, m."""
LATERAL_MARGIN = 0.5
"""Clearance added around footprints when looking for vehicles in one's path, m."""


@njit(cache=True, error_model="numpy", inline="always")
def cycle(p: np.ndarray) -> float:
    """The signal cycle's length (s)."""
    return p[PARAM.green] + p[PARAM.green_cross] + 2.0 * (p[PARAM.yellow] + p[PARAM.all_red])


@njit(cache=True, error_model="numpy", inline="always")
def light(t: float, p: np.ndarray, road: int):
    """Road ``road``'s light (0 main, 1 crossing) at cycle time ``t``.

    Returns its state code and the seconds until it changes.
    """
    y, r = p[PARAM.yellow], p[PARAM.all_red]
    length = cycle(p)
    tp = t % length
    g = p[PARAM.green]
    if road == 1:  # its green starts after the main road's yellow and all-red
        tp = (tp - (g + y + r)) % length
        g = p[PARAM.green_cross]
    if tp < g:
        return GREEN, g - tp
    if tp < g + y:
        return YELLOW, g + y - tp
    return RED, length - tp


@njit(cache=True, error_model="numpy", inline="always")
def cycle_time(sim: np.ndarray, c: int) -> float:
    """Copy ``c``'s position in its signal cycle (s)."""
    return sim[c, SIM.time] + sim[c, SIM.phase]


@njit(cache=True, error_model="numpy", inline="always")
def crossing_span(p: np.ndarray):
    """The crossing road's extent along ``x``: near and far edge (m)."""
    x_in = p[PARAM.stop_x] + STOP_MARGIN
    return x_in, x_in + 2.0 * p[PARAM.lane_width]


@njit(cache=True, error_model="numpy", inline="always")
def band(p: np.ndarray, d: float):
    """The main road's near and far edge along crossing direction ``d``.

    In the coordinate ``s = d * y`` (m) of a vehicle heading that way.
    """
    lw = p[PARAM.lane_width]
    top = (p[PARAM.lanes] - 0.5) * lw
    if d > 0:
        return -0.5 * lw, top
    return -top, 0.5 * lw


@njit(cache=True, error_model="numpy", inline="always")
def travel_time(d: float, v: float, a: float, vmax: float) -> float:
    """Seconds to cover ``d`` m from speed ``v`` accelerating at ``a`` up to ``vmax``."""
    if d <= 0.0:
        return 0.0
    vmax = max(vmax, v, 0.5)
    t1 = (vmax - v) / a
    d1 = v * t1 + 0.5 * a * t1 * t1
    if d <= d1:
        return (-v + math.sqrt(v * v + 2.0 * a * d)) / a
    return t1 + (d - d1) / vmax


@njit(cache=True, error_model="numpy", inline="always")
def can_stop(v: float, gap: float, b: float) -> bool:
    """Whether braking at ``b`` stops from ``v`` within ``gap``."""
    return v * v <= 2.0 * b * max(gap, 0.0)


@njit(cache=True, error_model="numpy", inline="always")
def conflict(veh, cross, c, j, front, rear, lo_j, hi_j, p, committed_only) -> bool:
    """Gap acceptance: whether main-road vehicle ``j`` entering now meets a crossing one.

    ``j`` would go at full acceleration to its desired speed; crossing vehicle ``i``
    keeps going likewise. Conflict when ``j``'s time in ``i``'s lane and ``i``'s time in
    ``j``'s lane corridor ``[lo_j, hi_j]``, each widened by ``GAP_MARGIN``, overlap.
    ``committed_only``: only crossing vehicles past their own stop line count (under a
    signal, the others stop on their red).
    """
    v, a, v0 = veh[c, j, VEH.speed], veh[c, j, VEH.a_max], veh[c, j, VEH.v0]
    for i in range(cross.shape[1]):
        d = cross[c, i, CROSSING.direction]
        s = d * cross[c, i, CROSSING.y]
        hl = 0.5 * cross[c, i, CROSSING.length]
        near, _ = band(p, d)
        if committed_only and s + hl <= near - STOP_MARGIN:
            continue
        b_lo = min(d * lo_j, d * hi_j) - LATERAL_MARGIN
        b_hi = max(d * lo_j, d * hi_j) + LATERAL_MARGIN
        out_i = b_hi - (s - hl)
        if out_i <= 0.0:
            continue  # already past j's lane
        hw = 0.5 * cross[c, i, CROSSING.width] + LATERAL_MARGIN
        out_j = cross[c, i, CROSSING.x] + hw - rear
        if out_j <= 0.0:
            continue  # j is already past i's lane
        vi, ai, v0i = (
            cross[c, i, CROSSING.speed],
            cross[c, i, CROSSING.a_max],
            cross[c, i, CROSSING.v0],
        )
        t_in_i = travel_time(b_lo - (s + hl), vi, ai, v0i)
        t_out_i = travel_time(out_i, vi, ai, v0i)
        t_in_j = travel_time(cross[c, i, CROSSING.x] - hw - front, v, a, v0)
        t_out_j = travel_time(out_j, v, a, v0)
        if t_in_j < t_out_i + GAP_MARGIN and t_in_i < t_out_j + GAP_MARGIN:
            return True
    return False


@njit(cache=True, error_model="numpy", inline="always")
def main_obstacle(veh, cross, c, j, lead, lead_gap, half_j, lo_j, hi_j, p, state) -> float:
    """The standing obstacle the intersection puts before main-road vehicle ``j``.

    For vehicles :func:`near_junction` only.

    Returns the gap (m) from its front to a crossing vehicle in its corridor ahead, or to
    its stop line while it must wait (see the module docstring); inf for none.

    ``lead`` and ``lead_gap`` are its leader on the main road (-1 for none), ``state``
    the main road's light (:func:`light`; ``NONE`` unsignalized).
    """
    _, x_out = crossing_span(p)
    x = veh[c, j, VEH.x]
    front, rear = x + half_j, x - half_j
    gap = np.inf
    for i in range(cross.shape[1]):  # crossing vehicles in j's corridor ahead
        hl = 0.5 * cross[c, i, CROSSING.length]
        yi = cross[c, i, CROSSING.y]
        if yi + hl <= lo_j - LATERAL_MARGIN or yi - hl >= hi_j + LATERAL_MARGIN:
            continue
        hw = 0.5 * cross[c, i, CROSSING.width]
        xi = cross[c, i, CROSSING.x]
        if xi + hw > front and xi - hw > x:
            gap = min(gap, max(xi - hw - LATERAL_MARGIN - front, 0.0))
    stop = p[PARAM.stop_x]
    if front > stop:
        return gap
    to_line = stop - front
    v = veh[c, j, VEH.speed]
    wait = False
    if state == RED:
        wait = can_stop(v, to_line, B_MAX)
    elif state == YELLOW:
        wait = can_stop(v, to_line, B_STOP)
    if not wait and can_stop(v, to_line, B_STOP):
        room = veh[c, j, VEH.length] + veh[c, j, VEH.min_gap]
        blocked = lead >= 0 and lead_gap + front < x_out + room and veh[c, lead, VEH.speed] < 5.0
        wait = blocked or conflict(
            veh, cross, c, j, front, rear, lo_j, hi_j, p, p[PARAM.junction] < 1.5
        )
    if wait:
        gap = min(gap, to_line)
    return gap


@njit(cache=True, error_model="numpy", inline="always")
def near_junction(x: float, half: float, p: np.ndarray) -> bool:
    """Whether the intersection can matter to a main-road vehicle at ``x``.

    From ``REACH`` m before the stop line (IDM brakes for a standing obstacle from
    about there) until it has left the crossing road.
    """
    _, x_out = crossing_span(p)
    return x + half > p[PARAM.stop_x] - REACH and x - half < x_out


@njit(cache=True, error_model="numpy", inline="always")
def no_lane_change(x: float, half: float, p: np.ndarray) -> bool:
    """Whether lane changes are banned for a main-road vehicle at ``x``.

    They are within ``NO_CHANGE`` m before the stop line and inside the intersection.
    """
    _, x_out = crossing_span(p)
    return x + half > p[PARAM.stop_x] - NO_CHANGE and x - half < x_out


@njit(cache=True, error_model="numpy", inline="always")
def no_spawn(x: float, half: float, p: np.ndarray) -> bool:
    """Whether a recycled main-road vehicle may not reappear at ``x``.

    It may not within ``APPROACH`` m before the stop line nor inside the intersection.
    """
    _, x_out = crossing_span(p)
    return x + half > p[PARAM.stop_x] - APPROACH and x - half < x_out + 5.0


@njit(cache=True, error_model="numpy")
def advance_cross(veh, cross, sim, c, p, lo, hi, half) -> None:
    """Move copy ``c``'s crossing vehicles by one step and recycle those that left.

    IDM along their lane. Reads the main road's vehicles (the ego included) at the start
    of the step: ``lo``, ``hi`` their lateral corridors, ``half`` their half-lengths.
    """
    k = cross.shape[1]
    if k == 0:
        return
    dt = p[PARAM.dt]
    signal = p[PARAM.junction] < 1.5
    state, _ = light(cycle_time(sim, c), p, 1)
    acc = np.empty(k)
    x_in, x_out = crossing_span(p)
    inside = np.empty(veh.shape[1], dtype=np.int64)  # main-road vehicles on the crossing
    m_in = 0
    for j in range(veh.shape[1]):
        x = veh[c, j, VEH.x]
        if x + half[j] > x_in - LATERAL_MARGIN and x - half[j] < x_out + LATERAL_MARGIN:
            inside[m_in] = j
            m_in += 1
    for i in range(k):
        d = cross[c, i, CROSSING.direction]
        s = d * cross[c, i, CROSSING.y]
        hl = 0.5 * cross[c, i, CROSSING.length]
        xi, hw = cross[c, i, CROSSING.x], 0.5 * cross[c, i, CROSSING.width] + LATERAL_MARGIN
        v = cross[c, i, CROSSING.speed]
        lead_gap, lead_v = np.inf, 0.0
        for m in range(k):  # leader in the same lane
            if m == i or cross[c, m, CROSSING.direction] != d:
                continue
            sm = d * cross[c, m, CROSSING.y]
            if sm > s:
                g = sm - 0.5 * cross[c, m, CROSSING.length] - s - hl
                if g < lead_gap:
                    lead_gap, lead_v = g, cross[c, m, CROSSING.speed]
        near, far = band(p, d)
        block = np.inf  # main-road vehicles standing in its path
        in_box = False
        for r in range(m_in):
            j = inside[r]
            xj = veh[c, j, VEH.x]
            if xj + half[j] <= xi - hw or xj - half[j] >= xi + hw:
                continue
            sj = min(d * lo[j], d * hi[j]) - LATERAL_MARGIN
            if sj > s:
                g = max(sj - s - hl, 0.0)
                if g < block:
                    block = g
                    in_box = sj < far
        to_line = near - STOP_MARGIN - s - hl
        if to_line >= 0.0:
            wait = False
            if signal and state == RED:
                wait = can_stop(v, to_line, B_MAX)
            elif signal and state == YELLOW:
                wait = can_stop(v, to_line, B_STOP)
            if not wait and in_box:
                wait = can_stop(v, to_line, B_STOP)
            if wait:
                block = min(block, to_line)
        v0, T, a = (
            cross[c, i, CROSSING.v0],
            cross[c, i, CROSSING.headway],
            cross[c, i, CROSSING.a_max],
        )
        b, s0 = cross[c, i, CROSSING.comfort_braking], cross[c, i, CROSSING.min_gap]
        acc[i] = idm(v, v0, T, a, b, s0, lead_gap, lead_v)
        if block < np.inf:
            acc[i] = min(acc[i], idm(v, v0, T, a, b, s0, block, 0.0))
    for i in range(k):
        d = cross[c, i, CROSSING.direction]
        v = cross[c, i, CROSSING.speed]
        v_new = max(0.0, v + acc[i] * dt)
        cross[c, i, CROSSING.y] += d * 0.5 * (v + v_new) * dt
        cross[c, i, CROSSING.speed] = v_new
        cross[c, i, CROSSING.vy] = d * v_new
    recycle_cross(cross, c, p)


@njit(cache=True, error_model="numpy")
def recycle_cross(cross, c, p) -> None:
    """Crossing vehicles past the far end of their road re-enter at its near end.

    Only where their lane is free for ``RESPAWN_GAP`` m, and no faster than they can stop
    behind the vehicle ahead.
    """
    k = cross.shape[1]
    for i in range(k):
        d = cross[c, i, CROSSING.direction]
        near, far = band(p, d)
        hl = 0.5 * cross[c, i, CROSSING.length]
        if d * cross[c, i, CROSSING.y] - hl <= far + CROSS_REACH:
            continue
        start = near - CROSS_REACH
        gap, vl = np.inf, 0.0
        for m in range(k):
            if m != i and cross[c, m, CROSSING.direction] == d:
                g = d * cross[c, m, CROSSING.y] - 0.5 * cross[c, m, CROSSING.length] - start - hl
                if g < gap:
                    gap, vl = g, cross[c, m, CROSSING.speed]
        if gap < RESPAWN_GAP:
            continue
        cross[c, i, CROSSING.y] = d * start
        if gap < np.inf:
            cap = vl + math.sqrt(
                2.0
                * cross[c, i, CROSSING.comfort_braking]
                * max(gap - cross[c, i, CROSSING.min_gap], 0.0)
            )
            cross[c, i, CROSSING.speed] = min(cross[c, i, CROSSING.speed], cap)
            cross[c, i, CROSSING.vy] = d * cross[c, i, CROSSING.speed]


@njit(cache=True, error_model="numpy")
def reset_junction(veh, cross, sim, c, p, aggressive) -> None:
    """Draw copy ``c``'s signal offset and crossing traffic.

    With numba's generator, seeded by the caller; main-road vehicles near the stop line
    are slowed to speeds they can stop from there.
    """
    lw = p[PARAM.lane_width]
    sim[c, SIM.phase] = np.random.random() * cycle(p)
    cross[c, :, :] = 0.0
    x_in, _ = crossing_span(p)
    k = cross.shape[1]
    for d_idx in range(2):
        d = 1.0 if d_idx == 0 else -1.0
        count = (k - d_idx + 1) // 2
        if count == 0:
            continue
        near, far = band(p, d)
        start = near - CROSS_REACH
        zone_lo, zone_hi = near - STOP_MARGIN - 20.0, far + 5.0
        free = 2.0 * CROSS_REACH + (far - near) - (zone_hi - zone_lo)
        spacing = free / count
        shift = np.random.random() * spacing
        for slot in range(count):
            i = 2 * slot + d_idx
            u = (shift + (slot + 0.3 * (np.random.random() - 0.5)) * spacing) % free
            s = start + u
            if s > zone_lo:
                s += zone_hi - zone_lo
            bold = np.random.random() < aggressive
            v0 = p[PARAM.crossing_speed] * (0.85 + 0.3 * np.random.random()) + (
                2.0 if bold else 0.0
            )
            cross[c, i, CROSSING.x] = x_in + (1.5 if d > 0 else 0.5) * lw
            cross[c, i, CROSSING.y] = d * s
            cross[c, i, CROSSING.length] = 4.5 + 0.5 * np.random.random()
            cross[c, i, CROSSING.width] = 1.8 + 0.2 * np.random.random()
            cross[c, i, CROSSING.heading] = d * 0.5 * math.pi
            cross[c, i, CROSSING.direction] = d
            cross[c, i, CROSSING.v0] = v0
            cross[c, i, CROSSING.headway] = 1.0 if bold else 1.2 + 0.6 * np.random.random()
            cross[c, i, CROSSING.a_max] = 2.0 if bold else 1.2 + 0.6 * np.random.random()
            cross[c, i, CROSSING.comfort_braking] = 2.5 if bold else 1.5 + 1.0 * np.random.random()
            cross[c, i, CROSSING.min_gap] = 2.0 + np.random.random()
            speed = v0 * (0.9 + 0.1 * np.random.random())
            to_line = near - STOP_MARGIN - s - 0.5 * cross[c, i, CROSSING.length]
            if to_line > 0.0:
                speed = min(speed, math.sqrt(2.0 * B_STOP * max(to_line - 3.0, 0.0)))
            cross[c, i, CROSSING.speed] = speed
            cross[c, i, CROSSING.vy] = d * speed
    stop = p[PARAM.stop_x]
    for j in range(1, veh.shape[1]):
        to_line = stop - veh[c, j, VEH.x] - 0.5 * veh[c, j, VEH.length]
        if 0.0 <= to_line < APPROACH:
            cap = math.sqrt(2.0 * B_STOP * max(to_line - veh[c, j, VEH.min_gap], 0.0))
            veh[c, j, VEH.speed] = min(veh[c, j, VEH.speed], cap)
            veh[c, j, VEH.vx] = veh[c, j, VEH.speed]


@njit(cache=True, error_model="numpy")
def ego_hits(veh, cross, c, px, py, ph, dt) -> bool:
    """Whether the ego's footprint meets a crossing vehicle's.

    Tested now and half a step ago (``px, py, ph``: the ego's pose at the start of the
    step), so none passes through.
    """
    ex, ey, eh = veh[c, 0, VEH.x], veh[c, 0, VEH.y], veh[c, 0, VEH.heading]
    for i in range(cross.shape[1]):
        xi, yi = cross[c, i, CROSSING.x], cross[c, i, CROSSING.y]
        if abs(xi - ex) > 12.0 or abs(yi - ey) > 15.0:
            continue
        li, wi, hi = (
            cross[c, i, CROSSING.length],
            cross[c, i, CROSSING.width],
            cross[c, i, CROSSING.heading],
        )
        if overlap(ex, ey, eh, EGO_LENGTH, EGO_WIDTH, xi, yi, hi, li, wi):
            return True
        ym = yi - 0.5 * dt * cross[c, i, CROSSING.vy]
        if overlap(
            0.5 * (ex + px),
            0.5 * (ey + py),
            0.5 * (eh + ph),
            EGO_LENGTH,
            EGO_WIDTH,
            xi,
            ym,
            hi,
            li,
            wi,
        ):
            return True
    return False


@njit(cache=True, error_model="numpy")
def main_light(sim, c, p) -> float:
    """The state code of copy ``c``'s main-road light now (``NONE`` unsignalized)."""
    if p[PARAM.junction] < 0.5 or p[PARAM.junction] > 1.5:
        return NONE
    state, _ = light(cycle_time(sim, c), p, 0)
    return state


@njit(cache=True, error_model="numpy")
def features(sim, c, p, out) -> None:
    """Copy ``c``'s intersection state into ``out`` (the contract's ``JUNCTION_FIELDS``)."""
    out[:] = 0.0
    if p[PARAM.junction] < 0.5:
        return
    out[JUNCTION.stop_x] = p[PARAM.stop_x]
    if p[PARAM.junction] < 1.5:
        t = cycle_time(sim, c)
        out[JUNCTION.ego_light], out[JUNCTION.time_left] = light(t, p, 0)
        out[JUNCTION.cross_light], _ = light(t, p, 1)
        out[JUNCTION.cycle] = cycle(p)


def crossing_rows(cross: np.ndarray) -> np.ndarray:
    """One copy's crossing vehicles as ``WorldState.crossing`` rows (:data:`CROSS_FIELDS`)."""
    return cross[:, : len(CROSS)].copy()
