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
from fieldgym.envs.driving.state import (
    EGO_FEATURE,
    GRID,
    JUNCTION,
    JUNCTION_ROW,
    KIN,
    OBSERVATION_TYPE,
    OBSERVE,
    OTHER,
    TTC,
    KinematicsColumns,
    TtcColumns,
)

REL_SPEED = 20.0
"""Relative speeds are divided by this, m/s."""
HEADING_SCALE = math.pi / 4
"""Headings are divided by this, rad."""
FEATURES = KinematicsColumns._fields
"""Columns of the kinematics observation (see the env docstring for the ego row)."""
TTC_FEATURES = TtcColumns._fields
"""Per lane (right, own, left) in the ttc observation, followed by :data:`TTC_EGO` values."""
TTC_LANES = 3
"""Lanes of the ttc observation: right of, at and left of the ego's."""
TTC_EGO = EGO_FEATURE.heading + 1
"""Ego features closing the ttc observation: lateral position, speed and heading."""
MAX_HEADWAY = 10.0
"""Time headway reported when there is no leader (or the ego stands), s."""


def obs_params(config) -> np.ndarray:
    """The observation parameter vector (:class:`.state.ObserveColumns`) from a config."""
    po = np.zeros(len(OBSERVE))
    po[OBSERVE.lanes] = config.lanes
    po[OBSERVE.lane_width] = config.lane_width
    po[OBSERVE.range] = config.perception_range
    po[OBSERVE.max_speed] = config.max_speed
    po[OBSERVE.cell] = config.grid_cell
    po[OBSERVE.horizon] = config.ttc_horizon
    po[OBSERVE.observed] = config.observed_vehicles
    po[OBSERVE.crossing] = crossing_rows(config)
    return po


def crossing_rows(config) -> int:
    """Rows of crossing vehicles in the kinematics observation (0 without an intersection)."""
    return config.observed_crossing if config.scenario == "intersection" else 0


def obs_shape(config) -> tuple[int, ...]:
    """The observation's shape for the config's ``observation_type``."""
    if config.observation_type == "kinematics":
        extra = crossing_rows(config)
        return (config.observed_vehicles + 1 + extra + (1 if extra else 0), len(FEATURES))
    if config.observation_type == "occupancy_grid":
        cells = grid_columns(config.perception_range, config.grid_cell)
        return (len(GRID), config.lanes, cells)
    return (TTC_LANES * len(TTC_FEATURES) + TTC_EGO,)


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
    lanes, lw = po[OBSERVE.lanes], po[OBSERVE.lane_width]
    out[EGO_FEATURE.lateral] = clip1((ey - 0.5 * (lanes - 1) * lw) / (0.5 * lanes * lw))
    out[EGO_FEATURE.speed] = clip1(ev / po[OBSERVE.max_speed])
    out[EGO_FEATURE.heading] = clip1(eh / HEADING_SCALE)
    lane = min(max(round(ey / lw), 0.0), lanes - 1)
    out[EGO_FEATURE.lane_offset] = clip1((ey - lane * lw) / (0.5 * lw))


@njit(cache=True, error_model="numpy")
def nearest_rows(ex, ey, evx, evy, rows, rng, y_scale, euclid, out) -> None:
    """Write the vehicles of ``rows`` within range into ``out``, nearest first.

    Rows ``(1, dx / range, dy / y_scale, dvx / 20, dvy / 20)``; absent rows stay zero. In
    range: ``|dx| <= range`` (``euclid``: distance ``<= range``).
    """
    n = rows.shape[0]
    dist = np.empty(n)
    for j in range(n):
        dx, dy = rows[j, OTHER.x] - ex, rows[j, OTHER.y] - ey
        d2 = dx * dx + dy * dy
        inside = d2 <= rng * rng if euclid else abs(dx) <= rng
        dist[j] = d2 if inside else np.inf
    order = np.argsort(dist, kind="mergesort")
    for r in range(min(out.shape[0], n)):
        j = order[r]
        if dist[j] == np.inf:
            break
        out[r, KIN.presence] = 1.0
        out[r, KIN.x] = clip1((rows[j, OTHER.x] - ex) / rng)
        out[r, KIN.y] = clip1((rows[j, OTHER.y] - ey) / y_scale)
        out[r, KIN.vx] = clip1((rows[j, OTHER.vx] - evx) / REL_SPEED)
        out[r, KIN.vy] = clip1((rows[j, OTHER.vy] - evy) / REL_SPEED)


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
    n_cross = int(po[OBSERVE.crossing])
    n_obs = out.shape[0] - 1 - (n_cross + 1 if n_cross > 0 else 0)
    rng, width = po[OBSERVE.range], po[OBSERVE.lanes] * po[OBSERVE.lane_width]
    out[:, :] = 0.0
    out[0, KIN.presence] = 1.0
    feats = np.empty(len(EGO_FEATURE))
    ego_features(ey, eh, ev, po, feats)
    out[0, KIN.presence + 1 :] = feats
    evx, evy = ev * math.cos(eh), ev * math.sin(eh)
    nearest_rows(ex, ey, evx, evy, others, rng, width, False, out[1 : n_obs + 1])
    if n_cross == 0:
        return
    nearest_rows(ex, ey, evx, evy, cross, rng, rng, True, out[n_obs + 1 : n_obs + 1 + n_cross])
    last = out.shape[0] - 1
    cycle = junc[JUNCTION.cycle]
    out[last, JUNCTION_ROW.presence] = 1.0
    out[last, JUNCTION_ROW.to_stop_line] = clip1(
        (junc[JUNCTION.stop_x] - ex - 0.5 * EGO_LENGTH) / rng
    )
    out[last, JUNCTION_ROW.ego_light] = junc[JUNCTION.ego_light]
    out[last, JUNCTION_ROW.cross_light] = junc[JUNCTION.cross_light]
    time_left = junc[JUNCTION.time_left]
    out[last, JUNCTION_ROW.time_left] = clip1(time_left / cycle) if cycle > 0 else 0.0


@njit(cache=True, error_model="numpy")
def occupancy(ex, ey, eh, ev, others, po, out) -> None:
    """A ``(3, lanes, W)`` grid over the road: vehicle presence, relative speed, the ego.

    Columns cover ``[-range, range)`` around the ego in cells of ``grid_cell`` metres; a
    vehicle marks the cells its footprint covers in the lane nearest to its centre.
    """
    lanes, lw = int(po[OBSERVE.lanes]), po[OBSERVE.lane_width]
    rng, cell = po[OBSERVE.range], po[OBSERVE.cell]
    width = out.shape[2]
    out[:, :, :] = 0.0
    evx = ev * math.cos(eh)
    for j in range(-1, others.shape[0]):
        if j < 0:
            x, y, vx, length, channel = ex, ey, evx, 5.0, GRID.ego
        else:
            x, y, vx = others[j, OTHER.x], others[j, OTHER.y], others[j, OTHER.vx]
            length, channel = others[j, OTHER.length], GRID.vehicles
        lane = int(min(max(round(y / lw), 0.0), lanes - 1.0))
        first = math.floor((x - 0.5 * length - ex + rng) / cell)
        last = math.floor((x + 0.5 * length - ex + rng) / cell)
        for k in range(max(first, 0), min(last, width - 1) + 1):
            out[channel, lane, k] = 1.0
            if channel == GRID.vehicles:
                out[GRID.relative_speed, lane, k] = clip1((vx - evx) / REL_SPEED)


@njit(cache=True, error_model="numpy")
def gaps(ex, ev, others, lane_y, lw, rng, horizon):
    """Front and rear gap (m) and time to collision (s) in the lane centred at ``lane_y``."""
    front, rear, vf, vr = rng, rng, ev, ev
    for j in range(others.shape[0]):
        if abs(others[j, OTHER.y] - lane_y) >= 0.5 * lw:
            continue
        dx = others[j, OTHER.x] - ex
        g = abs(dx) - 0.5 * (others[j, OTHER.length] + 5.0)
        if dx > 0 and g < front:
            front, vf = max(g, 0.0), others[j, OTHER.vx]
        elif dx <= 0 and g < rear:
            rear, vr = max(g, 0.0), others[j, OTHER.vx]
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
    lanes, lw = po[OBSERVE.lanes], po[OBSERVE.lane_width]
    rng, horizon = po[OBSERVE.range], po[OBSERVE.horizon]
    width = len(TTC)
    out[:] = 0.0
    lane = min(max(round(ey / lw), 0.0), lanes - 1)
    for s in range(TTC_LANES):
        k = lane + s - 1
        if k < 0 or k > lanes - 1:
            continue
        front, ttc_f, rear, ttc_r = gaps(ex, ev, others, k * lw, lw, rng, horizon)
        block = out[width * s : width * (s + 1)]
        block[TTC.lane_exists] = 1.0
        block[TTC.front_gap] = front / rng
        block[TTC.front_ttc] = ttc_f / horizon
        block[TTC.rear_gap] = rear / rng
        block[TTC.rear_ttc] = ttc_r / horizon
    feats = np.empty(len(EGO_FEATURE))
    ego_features(ey, eh, ev, po, feats)
    tail = width * TTC_LANES
    out[tail : tail + TTC_EGO] = feats[:TTC_EGO]


@njit(cache=True, error_model="numpy")
def observe(kind, ex, ey, eh, ev, others, cross, junc, po, out) -> None:
    """Write the observation of type ``kind`` (:class:`.state.ObservationTypes`) into ``out``.

    ``cross`` and ``junc`` (crossing vehicles and intersection state) are read by the
    kinematics type only, and only with an intersection (``po[OBSERVE.crossing] > 0``).
    """
    if kind == OBSERVATION_TYPE.kinematics:
        kinematics(ex, ey, eh, ev, others, cross, junc, po, out.reshape(-1, len(KIN)))
    elif kind == OBSERVATION_TYPE.occupancy_grid:
        grid = out.reshape(len(GRID), int(po[OBSERVE.lanes]), -1)
        occupancy(ex, ey, eh, ev, others, po, grid)
    else:
        ttc(ex, ey, eh, ev, others, po, out)


@njit(cache=True, error_model="numpy")
def headway(ex, ey, eh, ev, others) -> float:
    """Time (s) the ego needs to reach its leader's rear at its speed, capped at 10 s."""
    ly = 0.5 * (5.0 * abs(math.sin(eh)) + 2.0 * math.cos(eh))
    gap = np.inf
    for j in range(others.shape[0]):
        dx = others[j, OTHER.x] - ex
        if dx <= 0 or abs(others[j, OTHER.y] - ey) >= ly + 0.5 * others[j, OTHER.width]:
            continue
        gap = min(gap, dx - 0.5 * (others[j, OTHER.length] + 5.0))
    if gap == np.inf or ev <= 0.1:
        return MAX_HEADWAY
    return min(max(gap, 0.0) / ev, MAX_HEADWAY)
