"""Driver models of the surrounding traffic and the lane geometry they see.

IDM car following (Treiber, Hennecke and Helbing 2000), MOBIL lane changes (Kesting,
Treiber and Helbing 2007), each vehicle's lateral corridor (the lanes it occupies, both
while changing lanes), per-lane neighbour tables and the footprint test, all compiled
and called by :func:`fieldgym.envs.driving.sim.advance_copy` and :mod:`.junction`.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from fieldgym.envs.driving.layout import (
    B_MAX,
    B_SAFE,
    EGO_LENGTH,
    EGO_WIDTH,
    KEEP_RIGHT,
)
from fieldgym.envs.driving.state import VEH


@njit(cache=True, error_model="numpy", inline="always")
def idm(v: float, v0: float, T: float, a: float, b: float, s0: float, gap: float, vl: float):
    """IDM acceleration behind a leader at ``gap`` m driving ``vl`` m/s (``gap`` = inf: none)."""
    r2 = (v / max(v0, 0.1)) ** 2
    free = 1.0 - r2 * r2
    if gap == np.inf:
        return min(max(a * free, -B_MAX), a)
    s_star = s0 + max(0.0, v * T + v * (v - vl) / (2.0 * math.sqrt(a * b)))
    q = s_star / max(gap, 0.01)
    return min(max(a * (free - q * q), -B_MAX), a)


@njit(cache=True, error_model="numpy")
def overlap(x1, y1, h1, l1, w1, x2, y2, h2, l2, w2) -> bool:
    """Whether two oriented rectangles (centre, heading, length, width) intersect (SAT)."""
    dx, dy = x2 - x1, y2 - y1
    for h in (h1, h2):
        ux, uy = math.cos(h), math.sin(h)
        for ax, ay in ((ux, uy), (-uy, ux)):
            r1 = 0.5 * l1 * abs(ax * math.cos(h1) + ay * math.sin(h1)) + 0.5 * w1 * abs(
                -ax * math.sin(h1) + ay * math.cos(h1)
            )
            r2 = 0.5 * l2 * abs(ax * math.cos(h2) + ay * math.sin(h2)) + 0.5 * w2 * abs(
                -ax * math.sin(h2) + ay * math.cos(h2)
            )
            if abs(dx * ax + dy * ay) > r1 + r2:
                return False
    return True


@njit(cache=True, error_model="numpy")
def corridors(veh: np.ndarray, c: int, lo: np.ndarray, hi: np.ndarray, half: np.ndarray) -> None:
    """Each vehicle's lateral corridor ``[lo, hi]`` and longitudinal half-length ``half``."""
    n = veh.shape[1]
    h = veh[c, 0, VEH.heading]
    ly = 0.5 * (EGO_LENGTH * abs(math.sin(h)) + EGO_WIDTH * math.cos(h))
    lo[0] = veh[c, 0, VEH.y] - ly
    hi[0] = veh[c, 0, VEH.y] + ly
    half[0] = 0.5 * (EGO_LENGTH * math.cos(h) + EGO_WIDTH * abs(math.sin(h)))
    for j in range(1, n):
        y, ty, w, length = (
            veh[c, j, VEH.y],
            veh[c, j, VEH.target_y],
            veh[c, j, VEH.width],
            veh[c, j, VEH.length],
        )
        hj = veh[c, j, VEH.heading]
        side = 0.5 * w if hj == 0.0 else 0.5 * (w * math.cos(hj) + length * abs(math.sin(hj)))
        lo[j] = min(y, ty) - side
        hi[j] = max(y, ty) + side
        half[j] = 0.5 * length


@njit(cache=True, error_model="numpy")
def nearest(veh, c, i, xi, halfi, a, b, lo, hi, half, ahead: bool):
    """Index and gap of the nearest vehicle ahead (or behind) of position ``xi`` in ``[a, b]``.

    Vehicle ``i`` itself is skipped; returns ``(-1, inf)`` when there is none.
    """
    best, gap = -1, np.inf
    for j in range(veh.shape[1]):
        if j == i or lo[j] >= b or hi[j] <= a:
            continue
        dx = veh[c, j, VEH.x] - xi
        if ahead and dx > 0.0:
            g = dx - halfi - half[j]
        elif not ahead and dx <= 0.0:
            g = -dx - halfi - half[j]
        else:
            continue
        if g < gap:
            best, gap = j, g
    return best, gap


@njit(cache=True, error_model="numpy", inline="always")
def span(lo: float, hi: float, lw: float, low: int, lanes: int):
    """The first and last lane whose band ``[k lw - lw/2, k lw + lw/2)`` meets ``(lo, hi)``.

    Lanes run from ``low`` (-1 with an on-ramp, else 0) to ``lanes - 1``; tables index
    lane ``k`` at slot ``k + 1``.
    """
    first = math.floor((lo + 0.5 * lw) / lw)
    last = math.floor((hi + 0.5 * lw) / lw)
    return max(first, low), min(last, lanes - 1)


@njit(cache=True, error_model="numpy")
def neighbours(veh, c, lo, hi, lw, low, lanes, order, tab) -> None:
    """Sort the vehicles by ``x`` and tabulate each one's neighbours per lane.

    Per vehicle and lane, the nearest vehicle
    ahead (``tab[0, j, k]``) and behind (``tab[1, j, k]``) whose corridor covers lane
    ``k`` (-1 for none); a vehicle covers the lanes its corridor meets.

    ``order`` holds last step's order on entry (insertion sort: linear when nearly
    sorted) and the new one on exit.
    """
    n = order.shape[0]
    for r in range(1, n):
        j = order[r]
        xj = veh[c, j, VEH.x]
        q = r - 1
        while q >= 0 and veh[c, order[q], VEH.x] > xj:
            order[q + 1] = order[q]
            q -= 1
        order[q + 1] = j
    slots = lanes + 1
    for k in range(slots):
        tab[0, n, k] = -1
        tab[1, n, k] = -1
    for r in range(n - 1, -1, -1):  # front to back: who is ahead
        j = order[r]
        for k in range(slots):
            tab[0, j, k] = tab[0, n, k]
        first, last = span(lo[j], hi[j], lw, low, lanes)
        for k in range(first + 1, last + 2):
            tab[0, n, k] = j
    for r in range(n):  # back to front: who is behind
        j = order[r]
        for k in range(slots):
            tab[1, j, k] = tab[1, n, k]
        first, last = span(lo[j], hi[j], lw, low, lanes)
        for k in range(first + 1, last + 2):
            tab[1, n, k] = j


@njit(cache=True, error_model="numpy", inline="always")
def lane_nearest(veh, c, i, first, last, half, tab, side):
    """The nearest vehicle ahead (``side`` 0) or behind (1) of ``i`` over some lanes.

    Over lanes
    ``first..last``, and the bumper-to-bumper gap; ``(-1, inf)`` for none.
    """
    best, gap = -1, np.inf
    for k in range(first, last + 1):
        j = tab[side, i, k + 1]
        if j >= 0:
            g = abs(veh[c, j, VEH.x] - veh[c, i, VEH.x]) - half[i] - half[j]
            if g < gap:
                best, gap = j, g
    return best, gap


@njit(cache=True, error_model="numpy", inline="always")
def idm_of(veh, c, j, leader, gap):
    """IDM acceleration of vehicle ``j`` behind ``leader`` (index, -1 for none) at ``gap``."""
    vl = veh[c, leader, VEH.speed] if leader >= 0 else 0.0
    g = gap if leader >= 0 else np.inf
    return idm(
        veh[c, j, VEH.speed],
        veh[c, j, VEH.v0],
        veh[c, j, VEH.headway],
        veh[c, j, VEH.a_max],
        veh[c, j, VEH.comfort_braking],
        veh[c, j, VEH.min_gap],
        g,
        vl,
    )


@njit(cache=True, error_model="numpy", inline="always")
def idm_standing(veh, c, j, gap):
    """IDM acceleration of vehicle ``j`` behind a standing obstacle ``gap`` m ahead."""
    return idm(
        veh[c, j, VEH.speed],
        veh[c, j, VEH.v0],
        veh[c, j, VEH.headway],
        veh[c, j, VEH.a_max],
        veh[c, j, VEH.comfort_braking],
        veh[c, j, VEH.min_gap],
        gap,
        0.0,
    )


@njit(cache=True, error_model="numpy")
def mobil(veh, c, i, acc, lw, low, lanes, lo, hi, half, tab):
    """The lane (index) vehicle ``i`` changes to by MOBIL, or -1 to stay."""
    lane = round(veh[c, i, VEH.target_y] / lw)
    pol = veh[c, i, VEH.politeness]
    gain_o = np.nan  # the old follower's gain once i has left, computed when needed
    best, best_gain = -1, 0.0
    for side in range(-1, 2, 2):
        k = lane + side
        if k < 0 or k >= lanes:
            continue
        nl, gl = lane_nearest(veh, c, i, k, k, half, tab, 0)
        nf, gf = lane_nearest(veh, c, i, k, k, half, tab, 1)
        if gl < 2.0 or gf < 2.0:
            continue
        gain_n = 0.0
        if nf >= 0:
            new_f = idm_of(veh, c, nf, i, gf)
            if new_f < -B_SAFE:
                continue
            gain_n = new_f - acc[nf]
        if lane < 0:  # on the ramp: merge as soon as it is safe
            return k
        if np.isnan(gain_o):
            first, last = span(lo[i], hi[i], lw, low, lanes)
            fo, gfo = lane_nearest(veh, c, i, first, last, half, tab, 1)
            lead, glead = lane_nearest(veh, c, i, first, last, half, tab, 0)
            gain_o = 0.0
            if fo > 0:
                if lead >= 0:
                    after = idm_of(veh, c, fo, lead, glead + gfo + 2 * half[i])
                else:
                    after = idm_of(veh, c, fo, -1, np.inf)
                gain_o = after - acc[fo]
        own = idm_of(veh, c, i, nl, gl) - acc[i]
        gain = own + pol * (gain_n + gain_o) - veh[c, i, VEH.threshold]
        gain += KEEP_RIGHT if side < 0 else -KEEP_RIGHT
        if gain > best_gain:
            best, best_gain = k, gain
    return best
