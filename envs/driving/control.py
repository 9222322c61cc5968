"""The ego's low-level controller for meta-actions, and the per-step reward parts and KPIs.

All compiled and fed with plain numbers, so the single env (reading a backend's
``WorldState``) and the vector env (reading the batch simulator) compute them alike.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from fieldgym.envs.driving.observe import headway
from fieldgym.envs.driving.sim import LF, LR
from fieldgym.envs.driving.state import KPI, META, PART, KpiColumns, RewardParts

K_SPEED = 0.8
"""Speed tracking gain, 1/s."""
K_LATERAL = 1.0
"""Lateral position gain, 1/s: the heading asked for is asin(K_LATERAL * error / speed)."""
K_HEADING = 3.0
"""Heading tracking gain, 1/s."""
MAX_HEADING = 0.25
"""Largest heading the lane controller asks for, rad."""
SPEED_MARGIN = 10.0
"""Below the speed band, the speed part falls to 0 over this many m/s."""
JERK_SCALE = 10.0
"""Mean absolute jerk (m/s³) at which the comfort part reaches -1."""

KPI_NAMES = KpiColumns._fields
"""Per-step KPIs, in the order of the KPI arrays: speed (m/s) and position (m) at the end
of the step, distance driven along the road (m), collision and road-edge flags, lane index
and lane-change flag, time headway to the leader (s, capped at 10), mean absolute jerk
(m/s³), the last acceleration (m/s²), and red lights the ego ran (count)."""

PART_NAMES = RewardParts._fields
"""The reward parts, in the order of the parts arrays (the config's ``REWARD_PARTS``)."""


@njit(cache=True, error_model="numpy")
def lane_of(y: float, lw: float, lanes: int) -> int:
    """The index of the lane whose centre is nearest to ``y``."""
    return int(min(max(round(y / lw), 0.0), lanes - 1.0))


@njit(cache=True, error_model="numpy")
def nearest_speed(speeds: np.ndarray, v: float) -> int:
    """Index of the meta target speed nearest to ``v`` (the lower one on a tie)."""
    best, gap = 0, np.inf
    for i in range(speeds.shape[0]):
        if abs(speeds[i] - v) < gap:
            best, gap = i, abs(speeds[i] - v)
    return best


@njit(cache=True, error_model="numpy")
def apply_meta(action: int, lane: int, speed_idx: int, lanes: int, n_speeds: int):
    """New target lane and target-speed index after a meta-action (see ``META_ACTIONS``)."""
    if action == META.lane_left:
        lane = min(lane + 1, lanes - 1)
    elif action == META.lane_right:
        lane = max(lane - 1, 0)
    elif action == META.faster:
        speed_idx = min(speed_idx + 1, n_speeds - 1)
    elif action == META.slower:
        speed_idx = max(speed_idx - 1, 0)
    return lane, speed_idx


@njit(cache=True, error_model="numpy")
def meta_command(y, heading, speed, target_y, target_speed, max_acc, max_steer):
    """Acceleration and steering that track a target speed and a lane centre.

    Longitudinal: proportional speed control. Lateral: the lateral error asks for a
    heading, the heading error for a yaw rate, inverted through the bicycle model.
    """
    acc = min(max(K_SPEED * (target_speed - speed), -max_acc), max_acc)
    v = max(speed, 1.0)
    ref = math.asin(min(max(K_LATERAL * (target_y - y) / v, -1.0), 1.0))
    ref = min(max(ref, -MAX_HEADING), MAX_HEADING)
    steer = math.atan((LF + LR) * K_HEADING * (ref - heading) / v)
    return acc, min(max(steer, -max_steer), max_steer)


@njit(cache=True, error_model="numpy")
def step_parts(x0, x1, v, y, collided, lane0, lane1, jerk, red, period, lo, hi, vmax, lw, out):
    """The unweighted reward parts of one agent step, in :data:`PART_NAMES` order.

    progress: distance along the road over ``hi * period``; speed: 1 inside the band
    ``[lo, hi]``, falling linearly to 0 at ``lo - SPEED_MARGIN`` and at ``vmax``;
    lane_keeping: minus the offset from the nearest lane centre over half a lane;
    collision: -1 on a collision; lane_change: -1 when the lane changed; comfort: minus
    the mean absolute jerk over :data:`JERK_SCALE` (at most 1); red_light: -1 when the ego
    ran a red light (``red`` > 0).
    """
    out[PART.progress] = (x1 - x0) / (hi * period)
    if v < lo:
        out[PART.speed] = max(1.0 - (lo - v) / SPEED_MARGIN, 0.0)
    elif v > hi:
        out[PART.speed] = max(1.0 - (v - hi) / max(vmax - hi, 1e-9), 0.0)
    else:
        out[PART.speed] = 1.0
    lanes_y = lane1 * lw
    out[PART.lane_keeping] = -min(abs(y - lanes_y) / (0.5 * lw), 1.0)
    out[PART.collision] = -1.0 if collided else 0.0
    out[PART.lane_change] = -1.0 if lane1 != lane0 else 0.0
    out[PART.comfort] = -min(jerk / JERK_SCALE, 1.0)
    out[PART.red_light] = -1.0 if red > 0 else 0.0


@njit(cache=True, error_model="numpy")
def step_kpis(x0, ex, ey, eh, ev, acc, others, collided, offroad, lane0, lane1, jerk, red, out):
    """The KPIs of one agent step, in :data:`KPI_NAMES` order.

    ``x0`` is the ego's position before the step, ``ex, ey, eh, ev, acc`` its pose, speed
    and acceleration after it, ``others`` the surrounding vehicles' rows (the contract's
    ``OTHER_FIELDS``).
    """
    out[KPI.speed] = ev
    out[KPI.distance] = ex - x0
    out[KPI.collided] = 1.0 if collided else 0.0
    out[KPI.offroad] = 1.0 if offroad else 0.0
    out[KPI.lane] = lane1
    out[KPI.lane_change] = 1.0 if lane1 != lane0 else 0.0
    out[KPI.headway] = headway(ex, ey, eh, ev, others)
    out[KPI.jerk] = jerk
    out[KPI.acceleration] = acc
    out[KPI.x] = ex
    out[KPI.y] = ey
    out[KPI.red_light] = red
