"""The built-in traffic simulator: compiled kernels over a batch of independent copies.

State of ``B`` copies with ``V`` surrounding vehicles each:

* ``veh``: ``(B, V + 1, NF)`` float64, row 0 the ego vehicle, columns named by ``VEH``
  (:class:`.state.VehicleColumns`); its first columns are the contract's
  ``OTHER_FIELDS``, so ``veh[c, 1:, :len(OTHER)]`` is a copy's ``WorldState.others``.
* ``sim``: ``(B, NS)`` float64 per-copy scalars named by ``SIM``.

One call of :func:`advance` moves every copy by one simulation step ``dt``:

1. Surrounding vehicles choose an acceleration with the intelligent driver model (IDM,
   Treiber et al. 2000) behind their leader, the nearest vehicle ahead whose lateral
   corridor overlaps theirs (a vehicle changing lanes occupies both lanes).
2. Every ``MOBIL_PERIOD`` seconds (staggered) each settled vehicle considers the lanes
   next to it with MOBIL (Kesting et al. 2007): politeness, a safety limit on the new
   follower's braking, a threshold and a keep-right bias.
3. Vehicles move (ballistic update, lateral motion toward the target lane at a bounded
   speed); the ego moves by the kinematic bicycle model (centre of gravity).
4. The ego's footprint (an oriented rectangle) is tested against every other footprint
   (separating axes) and against the road edges; a vehicle that swapped order with the
   ego while overlapping it laterally also counts as a collision, so nothing tunnels.
5. Vehicles that fall out of the window around the ego reappear at its other end, in the
   lane with the largest free gap, keeping their parameters.

With ``scenario="intersection"`` the kernels of :mod:`.junction` add a crossing road:
its vehicles (array ``cross``) move before the main road's between steps 2 and 3, the
main road's drivers wait at the stop line as it rules in step 1, change no lanes near it
nor while held up by it in step 2 and move sideways at most ``LATERAL_RATIO`` times their
speed in step 3, and step 4 also tests the ego against the crossing vehicles and records
a red light it ran.

Randomness is drawn only at reset, from numba's generator seeded per copy, so a copy's
whole episode is fixed by its seed and level. The drivers' models are in :mod:`.traffic`;
the state layout and constants (:mod:`.layout`) are re-exported here, the column tables
are in :mod:`.state`.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from fieldgym.envs.driving.junction import (
    RED,
    advance_cross,
    ego_hits,
    main_light,
    main_obstacle,
    near_junction,
    no_lane_change,
    no_spawn,
    reset_junction,
)
from fieldgym.envs.driving.layout import (
    B_MAX,
    B_SAFE,
    C_ACC,
    C_AMAX,
    C_B,
    C_COOL,
    C_HEAD,
    C_LEN,
    C_ORDER,
    C_POL,
    C_S0,
    C_SPEED,
    C_STEER,
    C_T,
    C_THR,
    C_TY,
    C_V0,
    C_VX,
    C_VY,
    C_WID,
    C_X,
    C_Y,
    COOLDOWN,
    EGO_LENGTH,
    EGO_WIDTH,
    KEEP_RIGHT,
    LATERAL_RATIO,
    LATERAL_SPEED,
    LF,
    LR,
    MOBIL_PERIOD,
    NF,
    NP,
    NS,
    NX,
    P_AMAX,
    P_DESIRED,
    P_DT,
    P_EGO_SPEED,
    P_JUNCTION,
    P_LANES,
    P_LW,
    P_MERGE,
    P_STEER,
    P_STOP,
    P_VMAX,
    RAMP_END,
    RAMP_START,
    RESPAWN_GAP,
    S_AHEAD,
    S_BEHIND,
    S_COLLIDED,
    S_LEVEL,
    S_OFFROAD,
    S_PHASE,
    S_RED,
    S_STEP,
    S_TIME,
    level_table,
    params,
)
from fieldgym.envs.driving.state import LEVEL, PARAM, SCRATCH, SIM, VEH
from fieldgym.envs.driving.traffic import (
    corridors,
    idm,
    idm_of,
    idm_standing,
    lane_nearest,
    mobil,
    nearest,
    neighbours,
    overlap,
    span,
)


@njit(cache=True, error_model="numpy")
def advance_copy(veh, sim, cross, c, p, acc_cmd, steer_cmd, scratch, order, tab):
    """Advance copy ``c`` by one step ``dt`` with the ego command (see the module docstring).

    ``cross`` holds the crossing vehicles of the intersection scenario (:mod:`.junction`;
    ``(B, 0, NX)`` without one). ``scratch`` is a ``(len(SCRATCH), V + 1)`` float
    array and ``tab`` a ``(2, V + 2, lanes)`` integer array, both overwritten; ``order``
    is the copy's x-order of the last step (a view of its ``VEH.order`` column converted
    to int), updated in place.
    """
    acc, lo, hi, half = (
        scratch[SCRATCH.acceleration],
        scratch[SCRATCH.corridor_low],
        scratch[SCRATCH.corridor_high],
        scratch[SCRATCH.half_length],
    )
    prev_dx, prev_lat = scratch[SCRATCH.previous_dx], scratch[SCRATCH.previous_side_by_side]
    held = scratch[SCRATCH.held]
    n = veh.shape[1]
    lanes, lw, dt = int(p[PARAM.lanes]), p[PARAM.lane_width], p[PARAM.dt]
    low = -1 if p[PARAM.merge] > 0.5 else 0
    junction = p[PARAM.junction] > 0.5
    light = main_light(sim, c, p)  # the main road's, for this step
    corridors(veh, c, lo, hi, half)
    ex = veh[c, 0, VEH.x]
    for r in range(n):
        order[r] = int(veh[c, r, VEH.order])
    neighbours(veh, c, lo, hi, lw, low, lanes, order, tab)
    for r in range(n):
        veh[c, r, VEH.order] = order[r]
    for j in range(1, n):
        first, last = span(lo[j], hi[j], lw, low, lanes)
        lead, gap = lane_nearest(veh, c, j, first, last, half, tab, 0)
        if last < 0:  # wholly on the ramp: its end is a standing obstacle
            end_gap = RAMP_END - veh[c, j, VEH.x] - half[j]
            if end_gap < gap:
                lead, gap = -2, end_gap
        if lead == -2:
            acc[j] = idm_standing(veh, c, j, gap)
        else:
            acc[j] = idm_of(veh, c, j, lead, gap)
        held[j] = 0.0
        if junction and near_junction(veh[c, j, VEH.x], half[j], p):  # crossing vehicle, stop line
            stop_gap = main_obstacle(veh, cross, c, j, lead, gap, half[j], lo[j], hi[j], p, light)
            if stop_gap < np.inf:
                a_stop = idm_standing(veh, c, j, stop_gap)
                if a_stop < acc[j]:
                    acc[j], held[j] = a_stop, 1.0
        prev_dx[j] = veh[c, j, VEH.x] - ex
        prev_lat[j] = 1.0 if (lo[j] < hi[0] and hi[j] > lo[0]) else 0.0
    acc[0] = veh[c, 0, VEH.acceleration]
    # lane changes, each vehicle once per MOBIL_PERIOD, staggered by index
    step = int(sim[c, SIM.step])
    period = max(1, round(MOBIL_PERIOD / dt))
    for j in range(1, n):
        veh[c, j, VEH.cooldown] -= dt
        if (step + j) % period != 0 or veh[c, j, VEH.cooldown] > 0.0:
            continue
        if abs(veh[c, j, VEH.y] - veh[c, j, VEH.target_y]) > 1e-6:
            continue
        if junction and (held[j] > 0.5 or no_lane_change(veh[c, j, VEH.x], half[j], p)):
            continue
        k = mobil(veh, c, j, acc, lw, low, lanes, lo, hi, half, tab)
        if k >= 0:
            veh[c, j, VEH.target_y] = k * lw
            veh[c, j, VEH.cooldown] = COOLDOWN
            corridors(veh, c, lo, hi, half)
            neighbours(veh, c, lo, hi, lw, low, lanes, order, tab)
    if junction:  # crossing vehicles move, seeing everyone where they were
        advance_cross(veh, cross, sim, c, p, lo, hi, half)
    # surrounding vehicles move
    for j in range(1, n):
        v = veh[c, j, VEH.speed]
        v_new = max(0.0, v + acc[j] * dt)
        veh[c, j, VEH.x] += 0.5 * (v + v_new) * dt
        veh[c, j, VEH.speed] = v_new
        veh[c, j, VEH.vx] = v_new
        veh[c, j, VEH.acceleration] = acc[j]
        err = veh[c, j, VEH.target_y] - veh[c, j, VEH.y]
        vy = min(max(1.5 * err, -LATERAL_SPEED), LATERAL_SPEED)
        if junction:  # in queues: no sliding sideways at a standstill
            vy = min(max(vy, -LATERAL_RATIO * v_new), LATERAL_RATIO * v_new)
        if abs(err) <= abs(vy) * dt:
            veh[c, j, VEH.y] = veh[c, j, VEH.target_y]
            vy = 0.0
        else:
            veh[c, j, VEH.y] += vy * dt
        veh[c, j, VEH.vy] = vy
        veh[c, j, VEH.heading] = math.atan2(vy, max(v_new, 0.1)) if vy != 0.0 else 0.0
    # the ego moves by the kinematic bicycle model
    a = min(max(acc_cmd, -p[PARAM.max_acceleration]), p[PARAM.max_acceleration])
    delta = min(max(steer_cmd, -p[PARAM.max_steering]), p[PARAM.max_steering])
    v, h = veh[c, 0, VEH.speed], veh[c, 0, VEH.heading]
    px, py, front0 = veh[c, 0, VEH.x], veh[c, 0, VEH.y], veh[c, 0, VEH.x] + half[0]
    beta = math.atan(LR / (LF + LR) * math.tan(delta))
    veh[c, 0, VEH.vx] = v * math.cos(h + beta)
    veh[c, 0, VEH.vy] = v * math.sin(h + beta)
    veh[c, 0, VEH.x] += veh[c, 0, VEH.vx] * dt
    veh[c, 0, VEH.y] += veh[c, 0, VEH.vy] * dt
    veh[c, 0, VEH.heading] = h + v / LR * math.sin(beta) * dt
    veh[c, 0, VEH.speed] = min(max(v + a * dt, 0.0), p[PARAM.max_speed])
    veh[c, 0, VEH.acceleration] = a
    veh[c, 0, VEH.steering] = delta
    # collisions of the ego: footprints, order swaps while side by side, road edges
    ex, ey, eh = veh[c, 0, VEH.x], veh[c, 0, VEH.y], veh[c, 0, VEH.heading]
    corridors(veh, c, lo, hi, half)
    hit = False
    for j in range(1, n):
        dx = veh[c, j, VEH.x] - ex
        if abs(dx) > 15.0 or abs(veh[c, j, VEH.y] - ey) > 6.0:
            continue
        lat = lo[j] < hi[0] and hi[j] > lo[0]
        yj, wj = veh[c, j, VEH.y], veh[c, j, VEH.width]
        if (
            abs(yj - ey) < 0.5 * (wj + EGO_WIDTH) + EGO_LENGTH
            and overlap(
                ex,
                ey,
                eh,
                EGO_LENGTH,
                EGO_WIDTH,
                veh[c, j, VEH.x],
                yj,
                veh[c, j, VEH.heading],
                veh[c, j, VEH.length],
                wj,
            )
        ) or (lat and prev_lat[j] > 0.5 and dx * prev_dx[j] < 0.0):
            hit = True
    if junction:
        hit = hit or ego_hits(veh, cross, c, px, py, h, dt)
        ran = light == RED and front0 <= p[PARAM.stop_x] < veh[c, 0, VEH.x] + half[0]
        sim[c, SIM.red_light] = 1.0 if ran else 0.0
    edge_lo, edge_hi = -0.5 * lw, (lanes - 0.5) * lw
    offroad = lo[0] < edge_lo or hi[0] > edge_hi
    sim[c, SIM.collided] = 1.0 if (hit or offroad) else 0.0
    sim[c, SIM.offroad] = 1.0 if offroad else 0.0
    sim[c, SIM.time] += dt
    sim[c, SIM.step] += 1.0
    recycle(veh, sim, c, p, lo, hi, half)


@njit(cache=True, error_model="numpy")
def recycle(veh, sim, c, p, lo, hi, half) -> None:
    """Move vehicles that left the window around the ego to its other end.

    Not onto an intersection's approach (:func:`.junction.no_spawn`).
    """
    lw, lanes, junction = p[PARAM.lane_width], int(p[PARAM.lanes]), p[PARAM.junction] > 0.5
    n = veh.shape[1]
    ex = veh[c, 0, VEH.x]
    behind, ahead = sim[c, SIM.behind], sim[c, SIM.ahead]
    gaps = np.empty(0)
    for j in range(1, n):
        rel = veh[c, j, VEH.x] - ex
        if rel < -behind:
            x_new = ex + ahead
        elif rel > ahead:
            x_new = ex - behind
        else:
            continue
        if junction and no_spawn(x_new, half[j], p):
            continue
        if gaps.shape[0] == 0:
            gaps = np.empty(lanes)
        gaps[:] = np.inf
        band = 0.5 * veh[c, j, VEH.width] + 0.1
        for m in range(n):  # each lane's distance from x_new to its nearest vehicle
            if m == j:
                continue
            d = abs(veh[c, m, VEH.x] - x_new)
            for k in range(lanes):
                yk = k * lw
                if lo[m] < yk + band and hi[m] > yk - band and d < gaps[k]:
                    gaps[k] = d
        best, best_gap = -1, RESPAWN_GAP
        for k in range(lanes):
            if gaps[k] > best_gap:
                best, best_gap = k, gaps[k]
        if best < 0:
            continue
        veh[c, j, VEH.x] = x_new
        veh[c, j, VEH.y] = best * lw
        veh[c, j, VEH.target_y] = best * lw
        veh[c, j, VEH.vy] = 0.0
        veh[c, j, VEH.heading] = 0.0
        lo[j] = best * lw - 0.5 * veh[c, j, VEH.width]
        hi[j] = best * lw + 0.5 * veh[c, j, VEH.width]
        if x_new < ex:  # arriving from behind: not faster than what it can stop behind
            lead, gap = nearest(veh, c, j, x_new, half[j], lo[j], hi[j], lo, hi, half, True)
            if lead >= 0:
                vl = veh[c, lead, VEH.speed]
                cap = vl + math.sqrt(
                    2.0 * veh[c, j, VEH.comfort_braking] * max(gap - veh[c, j, VEH.min_gap], 0.0)
                )
                veh[c, j, VEH.speed] = min(veh[c, j, VEH.speed], cap)
                veh[c, j, VEH.vx] = veh[c, j, VEH.speed]


@njit(cache=True, error_model="numpy")
def advance(veh, sim, cross, p, acc_cmd, steer_cmd) -> None:
    """Advance every copy by one step ``dt``; ``acc_cmd`` and ``steer_cmd`` are ``(B,)``."""
    n = veh.shape[1]
    scratch = np.empty((len(SCRATCH), n))
    order = np.empty(n, dtype=np.int64)
    tab = np.empty((2, n + 1, int(p[PARAM.lanes]) + 1), dtype=np.int64)
    for c in range(veh.shape[0]):
        advance_copy(veh, sim, cross, c, p, acc_cmd[c], steer_cmd[c], scratch, order, tab)


@njit(cache=True, error_model="numpy")
def reset_copy(veh, sim, cross, c, p, seed, level, levels) -> None:
    """Start copy ``c``: ego in a random lane at ``ego_speed``, traffic drawn for ``level``."""
    np.random.seed(seed)
    n = veh.shape[1]
    lanes, lw = int(p[PARAM.lanes]), p[PARAM.lane_width]
    density, spread = levels[level, LEVEL.density], levels[level, LEVEL.speed_spread]
    aggressive = levels[level, LEVEL.aggressive]
    others = n - 1
    window = max(others, 1) / (density * lanes) * 1000.0
    behind, ahead = window / 3.0, 2.0 * window / 3.0
    veh[c, :, :] = 0.0
    sim[c, :] = 0.0
    sim[c, SIM.behind], sim[c, SIM.ahead], sim[c, SIM.level] = behind, ahead, level
    ego_lane = np.random.randint(0, lanes)
    veh[c, 0, VEH.y] = ego_lane * lw
    veh[c, 0, VEH.speed] = p[PARAM.ego_speed]
    veh[c, 0, VEH.vx] = p[PARAM.ego_speed]
    veh[c, 0, VEH.length], veh[c, 0, VEH.width] = EGO_LENGTH, EGO_WIDTH
    # the ego's own IDM parameters, used when others judge their effect on it (MOBIL)
    veh[c, 0, VEH.v0], veh[c, 0, VEH.headway], veh[c, 0, VEH.a_max] = (
        p[PARAM.desired_speed],
        1.5,
        1.5,
    )
    veh[c, 0, VEH.comfort_braking], veh[c, 0, VEH.min_gap] = 2.0, 2.0
    ramp = max(others // 6, 1) if (p[PARAM.merge] > 0.5 and others > 1) else 0
    main = others - ramp
    per_lane = (main + lanes - 1) // lanes
    spacing = window / max(per_lane, 1)
    ramp_spacing = (RAMP_END - 60.0 - RAMP_START) / max(ramp, 1)
    for j in range(n):
        veh[c, j, VEH.order] = j
    for j in range(1, n):
        k = (j - 1) % lanes
        slot = (j - 1) // lanes
        x = -behind + (slot + 0.5 + 0.3 * (np.random.random() - 0.5)) * spacing
        if k == ego_lane and abs(x) < 0.5 * spacing:  # keep the ego's slot clear
            x = x + 0.5 * spacing if x >= 0 else x - 0.5 * spacing
        if j > main:  # on the on-ramp
            k = -1
            x = RAMP_START + (j - main - 0.5 + 0.3 * (np.random.random() - 0.5)) * ramp_spacing
        bold = np.random.random() < aggressive
        v0 = p[PARAM.desired_speed] + spread * np.random.standard_normal() + (3.0 if bold else 0.0)
        v0 = min(max(v0, 0.6 * p[PARAM.desired_speed]), 1.5 * p[PARAM.desired_speed])
        veh[c, j, VEH.x] = x
        veh[c, j, VEH.y] = k * lw
        veh[c, j, VEH.target_y] = k * lw
        veh[c, j, VEH.length] = 4.5 + 0.5 * np.random.random()
        veh[c, j, VEH.width] = 1.8 + 0.2 * np.random.random()
        veh[c, j, VEH.v0] = v0
        veh[c, j, VEH.headway] = 0.8 if bold else 1.2 + 0.6 * np.random.random()
        veh[c, j, VEH.a_max] = 2.5 if bold else 1.0 + 0.8 * np.random.random()
        veh[c, j, VEH.comfort_braking] = 3.0 if bold else 1.5 + 1.0 * np.random.random()
        veh[c, j, VEH.min_gap] = 1.5 if bold else 2.0 + np.random.random()
        veh[c, j, VEH.politeness] = 0.0 if bold else 0.2 + 0.5 * np.random.random()
        veh[c, j, VEH.threshold] = 0.1 if bold else 0.2 + 0.2 * np.random.random()
        veh[c, j, VEH.cooldown] = np.random.random() * COOLDOWN
        speed = v0 * (0.9 + 0.1 * np.random.random())
        veh[c, j, VEH.speed] = speed
        veh[c, j, VEH.vx] = speed
    if p[PARAM.junction] > 0.5:
        reset_junction(veh, cross, sim, c, p, aggressive)


@njit(cache=True, error_model="numpy")
def reset(veh, sim, cross, mask, p, seeds, levels_of, levels) -> None:
    """Reset the copies where ``mask`` is true with their ``seeds`` and levels ``levels_of``."""
    for c in range(veh.shape[0]):
        if mask[c]:
            reset_copy(veh, sim, cross, c, p, seeds[c], levels_of[c], levels)


__all__ = [
    "B_MAX",
    "B_SAFE",
    "COOLDOWN",
    "C_ACC",
    "C_AMAX",
    "C_B",
    "C_COOL",
    "C_HEAD",
    "C_LEN",
    "C_ORDER",
    "C_POL",
    "C_S0",
    "C_SPEED",
    "C_STEER",
    "C_T",
    "C_THR",
    "C_TY",
    "C_V0",
    "C_VX",
    "C_VY",
    "C_WID",
    "C_X",
    "C_Y",
    "EGO_LENGTH",
    "EGO_WIDTH",
    "KEEP_RIGHT",
    "LATERAL_SPEED",
    "LF",
    "LR",
    "MOBIL_PERIOD",
    "NF",
    "NP",
    "NS",
    "NX",
    "P_AMAX",
    "P_DESIRED",
    "P_DT",
    "P_EGO_SPEED",
    "P_JUNCTION",
    "P_LANES",
    "P_LW",
    "P_MERGE",
    "P_STEER",
    "P_STOP",
    "P_VMAX",
    "RAMP_END",
    "RAMP_START",
    "RESPAWN_GAP",
    "S_AHEAD",
    "S_BEHIND",
    "S_COLLIDED",
    "S_LEVEL",
    "S_OFFROAD",
    "S_PHASE",
    "S_RED",
    "S_STEP",
    "S_TIME",
    "advance",
    "advance_copy",
    "corridors",
    "idm",
    "idm_of",
    "idm_standing",
    "lane_nearest",
    "level_table",
    "mobil",
    "nearest",
    "neighbours",
    "overlap",
    "params",
    "recycle",
    "reset",
    "reset_copy",
    "span",
]
