"""Observations of the ego vehicle's surroundings, compiled, from world-state arrays only.

Every function reads the ego's ``(x, y, heading, speed)`` and the surrounding vehicles
as rows ``(x, y, vx, vy, length, width, ...)`` (the contract's ``OTHER_FIELDS`` first),
with an intersection also the crossing vehicles (rows alike) and the intersection's state
(the contract's ``JUNCTION_FIELDS``), so the single env (from a backend's
:class:`~fieldgym.envs.driving.backend.WorldState`) and the vector env (from the batch
simulator's arrays) call the same code and get the same numbers. Every value is scaled
and clipped to ``[-1, 1]``.

``po`` is the observation parameter vector of :func:`obs_params`.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from fieldgym.envs.driving.layout import EGO_LENGTH

O_LANES, O_LW, O_RANGE, O_VMAX, O_CELL, O_HORIZON, O_N, O_CROSS = 0, 1, 2, 3, 4, 5, 6, 7
REL_SPEED = 20.0
"""Relative speeds are divided by this, m/s."""
HEADING_SCALE = math.pi / 4
"""Headings are divided by this, rad."""
FEATURES = ("presence", "x", "y", "vx", "vy")
"""Columns of the kinematics observation (see the env docstring for the ego row)."""
TTC_FEATURES = ("lane_exists", "front_gap", "front_ttc", "rear_gap", "rear_ttc")
"""Per lane (right, own, left) in the ttc observation, followed by three ego values."""
MAX_HEADWAY = 10.0
"""Time headway reported when there is no leader (or the ego stands), s."""


def obs_params(config) -> np.ndarray:
    """The observation parameter vector from a config."""
    return np.array(
        [
            config.lanes,
            config.lane_width,
            config.perception_range,
            config.max_speed,
            config.grid_cell,
            config.ttc_horizon,
            config.observed_vehicles,
            crossing_rows(config),
        ],
        dtype=np.float64,
    )


def crossing_rows(config) -> int:
    """Rows of crossing vehicles in the kinematics observation (0 without an intersection)."""
    return config.observed_crossing if config.scenario == "intersection" else 0


def obs_shape(config) -> tuple[int, ...]:
    """The observation's shape for the config's ``observation_type``."""
    if config.observation_type == "kinematics":
        extra = crossing_rows(config)
        return (config.observed_vehicles + 1 + extra + (1 if extra else 0), len(FEATURES))
    if config.observation_type == "occupancy_grid":
        return (3, config.lanes, grid_columns(config.perception_range, config.grid_cell))
    return (3 * len(TTC_FEATURES) + 3,)


def grid_columns(perception_range: float, cell: float) -> int:
    """Cells of the occupancy grid along the road."""
    return math.ceil(2.0 * perception_range / cell)


@njit(cache=True, error_model="numpy")
def clip1(v: float) -> float:
    """``v`` clipped to [-1, 1]."""
    return min(max(v, -1.0), 1.0)


@njit(cache=True, error_model="numpy")
def ego_features(ey, eh, ev, po, out) -> None:
    """Lateral position on the road, speed, heading, offset from the lane centre."""
    lanes, lw = po[O_LANES], po[O_LW]
    out[0] = clip1((ey - 0.5 * (lanes - 1) * lw) / (0.5 * lanes * lw))
    out[1] = clip1(ev / po[O_VMAX])
    out[2] = clip1(eh / HEADING_SCALE)
    lane = min(max(round(ey / lw), 0.0), lanes - 1)
    out[3] = clip1((ey - lane * lw) / (0.5 * lw))


@njit(cache=True, error_model="numpy")
def nearest_rows(ex, ey, evx, evy, rows, rng, y_scale, euclid, out) -> None:
    """Write the vehicles of ``rows`` within range into ``out``, nearest first.

    Rows ``(1, dx / range, dy / y_scale, dvx / 20, dvy / 20)``; absent rows stay zero. In
    range: ``|dx| <= range`` (``euclid``: distance ``<= range``).
    """
    n = rows.shape[0]
    dist = np.empty(n)
    for j in range(n):
        dx, dy = rows[j, 0] - ex, rows[j, 1] - ey
        d2 = dx * dx + dy * dy
        inside = d2 <= rng * rng if euclid else abs(dx) <= rng
        dist[j] = d2 if inside else np.inf
    order = np.argsort(dist, kind="mergesort")
    for r in range(min(out.shape[0], n)):
        j = order[r]
        if dist[j] == np.inf:
            break
        out[r, 0] = 1.0
        out[r, 1] = clip1((rows[j, 0] - ex) / rng)
        out[r, 2] = clip1((rows[j, 1] - ey) / y_scale)
        out[r, 3] = clip1((rows[j, 2] - evx) / REL_SPEED)
        out[r, 4] = clip1((rows[j, 3] - evy) / REL_SPEED)


@njit(cache=True, error_model="numpy")
def kinematics(ex, ey, eh, ev, others, cross, junc, po, out) -> None:
    """The ego row and the ``N`` nearest vehicles within range, nearest first.

    With an intersection also the ``C`` nearest crossing vehicles and its row. Ego row:
    ``(1, lateral position on the road, speed / max_speed, heading / (pi/4), offset from
    its lane's centre / half a lane)``. Other rows: ``(1, dx / range,
    dy / road width, dvx / 20, dvy / 20)`` relative to the ego; absent rows are zeros.
    Crossing rows (within ``range`` of the ego): ``(1, dx / range, dy / range, dvx / 20,
    dvy / 20)``. Intersection row: ``(1, distance from the ego's front to the stop line /
    range, ego's light, crossing road's light, seconds until the ego's light changes /
    cycle)``, lights coded 1 green, 0.5 yellow, -1 red, 0 unsignalized.
    """
    n_cross = int(po[O_CROSS])
    n_obs = out.shape[0] - 1 - (n_cross + 1 if n_cross > 0 else 0)
    rng, width = po[O_RANGE], po[O_LANES] * po[O_LW]
    out[:, :] = 0.0
    out[0, 0] = 1.0
    feats = np.empty(4)
    ego_features(ey, eh, ev, po, feats)
    out[0, 1:5] = feats
    evx, evy = ev * math.cos(eh), ev * math.sin(eh)
    nearest_rows(ex, ey, evx, evy, others, rng, width, False, out[1 : n_obs + 1])
    if n_cross == 0:
        return
    nearest_rows(ex, ey, evx, evy, cross, rng, rng, True, out[n_obs + 1 : n_obs + 1 + n_cross])
    last = out.shape[0] - 1
    out[last, 0] = 1.0
    out[last, 1] = clip1((junc[0] - ex - 0.5 * EGO_LENGTH) / rng)
    out[last, 2] = junc[1]
    out[last, 3] = junc[2]
    out[last, 4] = clip1(junc[3] / junc[4]) if junc[4] > 0 else 0.0


@njit(cache=True, error_model="numpy")
def occupancy(ex, ey, eh, ev, others, po, out) -> None:
    """A ``(3, lanes, W)`` grid over the road: vehicle presence, relative speed, the ego.

    Columns cover ``[-range, range)`` around the ego in cells of ``grid_cell`` metres; a
    vehicle marks the cells its footprint covers in the lane nearest to its centre.
    """
    lanes, lw, rng, cell = int(po[O_LANES]), po[O_LW], po[O_RANGE], po[O_CELL]
    width = out.shape[2]
    out[:, :, :] = 0.0
    evx = ev * math.cos(eh)
    for j in range(-1, others.shape[0]):
        if j < 0:
            x, y, vx, length, channel = ex, ey, evx, 5.0, 2
        else:
            x, y, vx, length, channel = others[j, 0], others[j, 1], others[j, 2], others[j, 4], 0
        lane = int(min(max(round(y / lw), 0.0), lanes - 1.0))
        first = math.floor((x - 0.5 * length - ex + rng) / cell)
        last = math.floor((x + 0.5 * length - ex + rng) / cell)
        for k in range(max(first, 0), min(last, width - 1) + 1):
            out[channel, lane, k] = 1.0
            if channel == 0:
                out[1, lane, k] = clip1((vx - evx) / REL_SPEED)


@njit(cache=True, error_model="numpy")
def gaps(ex, ev, others, lane_y, lw, rng, horizon):
    """Front and rear gap (m) and time to collision (s) in the lane centred at ``lane_y``."""
    front, rear, vf, vr = rng, rng, ev, ev
    for j in range(others.shape[0]):
        if abs(others[j, 1] - lane_y) >= 0.5 * lw:
            continue
        dx = others[j, 0] - ex
        g = abs(dx) - 0.5 * (others[j, 4] + 5.0)
        if dx > 0 and g < front:
            front, vf = max(g, 0.0), others[j, 2]
        elif dx <= 0 and g < rear:
            rear, vr = max(g, 0.0), others[j, 2]
    ttc_f = front / (ev - vf) if ev > vf else horizon
    ttc_r = rear / (vr - ev) if vr > ev else horizon
    return front, min(ttc_f, horizon), rear, min(ttc_r, horizon)


@njit(cache=True, error_model="numpy")
def ttc(ex, ey, eh, ev, others, po, out) -> None:
    """The time-to-collision observation.

    Per lane right of, at and left of the ego: whether it exists, front and rear gap (over
    range) and time to collision (over horizon); then the ego's lateral position, speed
    and heading (as in the kinematics ego row).
    """
    lanes, lw, rng, horizon = po[O_LANES], po[O_LW], po[O_RANGE], po[O_HORIZON]
    out[:] = 0.0
    lane = min(max(round(ey / lw), 0.0), lanes - 1)
    for s in range(3):
        k = lane + s - 1
        if k < 0 or k > lanes - 1:
            continue
        front, ttc_f, rear, ttc_r = gaps(ex, ev, others, k * lw, lw, rng, horizon)
        out[5 * s] = 1.0
        out[5 * s + 1] = front / rng
        out[5 * s + 2] = ttc_f / horizon
        out[5 * s + 3] = rear / rng
        out[5 * s + 4] = ttc_r / horizon
    feats = np.empty(4)
    ego_features(ey, eh, ev, po, feats)
    out[15:18] = feats[:3]


@njit(cache=True, error_model="numpy")
def observe(kind, ex, ey, eh, ev, others, cross, junc, po, out) -> None:
    """Write the observation of type ``kind`` (0 kinematics, 1 occupancy, 2 ttc) into ``out``.

    ``cross`` and ``junc`` (crossing vehicles and intersection state) are read by the
    kinematics type only, and only with an intersection (``po[O_CROSS] > 0``).
    """
    if kind == 0:
        kinematics(ex, ey, eh, ev, others, cross, junc, po, out.reshape(-1, 5))
    elif kind == 1:
        occupancy(ex, ey, eh, ev, others, po, out.reshape(3, int(po[O_LANES]), -1))
    else:
        ttc(ex, ey, eh, ev, others, po, out)


@njit(cache=True, error_model="numpy")
def headway(ex, ey, eh, ev, others) -> float:
    """Time (s) the ego needs to reach its leader's rear at its speed, capped at 10 s."""
    ly = 0.5 * (5.0 * abs(math.sin(eh)) + 2.0 * math.cos(eh))
    gap = np.inf
    for j in range(others.shape[0]):
        dx = others[j, 0] - ex
        if dx <= 0 or abs(others[j, 1] - ey) >= ly + 0.5 * others[j, 5]:
            continue
        gap = min(gap, dx - 0.5 * (others[j, 4] + 5.0))
    if gap == np.inf or ev <= 0.1:
        return MAX_HEADWAY
    return min(max(gap, 0.0) / ev, MAX_HEADWAY)
