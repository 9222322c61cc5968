"""The state layout of the built-in simulator and its physical constants.

Column indices of the vehicle array ``veh`` (``C_*``), of the crossing vehicles' array
``cross`` (``X_*``), of the per-copy scalars ``sim`` (``S_*``) and of the parameter vector
``p`` (``P_*``), shared by every kernel of :mod:`.sim`, :mod:`.traffic` and
:mod:`.junction`.
"""

from __future__ import annotations

import numpy as np

# Columns of ``veh``.
C_X, C_Y, C_VX, C_VY, C_LEN, C_WID = 0, 1, 2, 3, 4, 5
C_HEAD, C_SPEED, C_TY, C_ACC, C_STEER = 6, 7, 8, 9, 10
C_V0, C_T, C_AMAX, C_B, C_S0, C_POL, C_THR, C_COOL = 11, 12, 13, 14, 15, 16, 17, 18
C_ORDER = 19
"""Row ``r`` of this column holds the index of the ``r``-th vehicle by ``x`` (kept sorted
across steps by insertion sort, which is linear on nearly sorted input)."""
NF = 20
# Columns of ``sim``.
S_TIME, S_COLLIDED, S_OFFROAD, S_BEHIND, S_AHEAD, S_STEP, S_LEVEL = 0, 1, 2, 3, 4, 5, 6
S_PHASE, S_RED = 7, 8
"""Intersection: the signal cycle's offset at time 0 (s, drawn at reset), and whether the
ego's front crossed the stop line on red in the last step."""
NS = 9
# Columns of ``cross``: the first six are the contract's ``OTHER_FIELDS`` (``length`` along
# the heading), then heading (rad), speed, direction (+1: toward +y) and IDM parameters.
X_X, X_Y, X_VX, X_VY, X_LEN, X_WID, X_HEAD, X_SPEED, X_DIR = 0, 1, 2, 3, 4, 5, 6, 7, 8
X_V0, X_T, X_AMAX, X_B, X_S0 = 9, 10, 11, 12, 13
NX = 14
# Entries of the parameter vector ``p`` (see :func:`params`).
P_LANES, P_LW, P_DT, P_VMAX, P_AMAX, P_STEER, P_DESIRED = 0, 1, 2, 3, 4, 5, 6
P_EGO_SPEED, P_MERGE = 7, 8
P_JUNCTION, P_STOP, P_CROSS_SPEED = 9, 10, 11
P_GREEN, P_GREEN_CROSS, P_YELLOW, P_ALLRED = 12, 13, 14, 15
"""Intersection: control (0 none, 1 signal, 2 yield), the main road's stop line (x, m),
the crossing drivers' mean desired speed (m/s); the signal's green time of the main and
of the crossing road, its yellow and all-red times (s)."""
NP = 16

EGO_LENGTH, EGO_WIDTH = 5.0, 2.0
"""Ego footprint, m."""
LF, LR = 1.4, 1.4
"""Distances from the ego's centre of gravity to its front and rear axles, m."""
B_MAX = 9.0
"""Hardest braking any vehicle can do, m/s²."""
B_SAFE = 4.0
"""MOBIL: largest braking a lane change may impose on the new follower, m/s²."""
MOBIL_PERIOD = 1.0
"""Seconds between a vehicle's lane-change decisions."""
COOLDOWN = 3.0
"""Seconds after a lane change before the next one."""
LATERAL_SPEED = 1.5
"""Largest lateral speed of a surrounding vehicle changing lanes, m/s."""
KEEP_RIGHT = 0.1
"""MOBIL bias toward the right lane, m/s²."""
RESPAWN_GAP = 25.0
"""Smallest distance to any vehicle of the lane where a recycled vehicle reappears, m."""
RAMP_START, RAMP_END = 80.0, 280.0
"""Merge scenario: the on-ramp, lane -1 (centred at ``y = -lane_width``), runs along the
road between these positions (m from the ego's start); its vehicles merge into lane 0 as
soon as MOBIL's safety criterion allows (no incentive needed), and stop at its end if they
cannot."""


STOP_MARGIN = 1.0
"""Intersection: distance from a stop line to the edge of the road it guards, m. The
crossing road (two lanes of ``lane_width``, one each way, driving on the right) spans
``x`` in ``[stop + STOP_MARGIN, stop + STOP_MARGIN + 2 lane_width]``."""
CROSS_REACH = 150.0
"""Length of the crossing road on each side of the main road, m; its vehicles leaving at
one end re-enter at the other."""
B_STOP = 4.0
"""Largest braking a driver accepts to stop at a stop line on yellow or to yield, m/s²;
one who would need more goes on."""
APPROACH = 80.0
"""No recycled vehicle reappears within this distance before a stop line or inside the
intersection, m."""
NO_CHANGE = 30.0
"""No lane changes within this distance before the stop line nor inside the intersection, m."""
LATERAL_RATIO = 0.3
"""Intersection: a main-road vehicle's lateral speed is at most this share of its speed
(queues form there, and a standing vehicle cannot move sideways)."""
GAP_MARGIN = 1.0
"""Unsignalized gap acceptance: time kept free before and after a priority vehicle, s."""


def params(config) -> np.ndarray:
    """The parameter vector the kernels read, from a :class:`DrivingConfig`."""
    p = np.zeros(NP)
    p[P_LANES] = config.lanes
    p[P_LW] = config.lane_width
    p[P_DT] = config.dt
    p[P_VMAX] = config.max_speed
    p[P_AMAX] = config.max_acceleration
    p[P_STEER] = config.max_steering
    p[P_DESIRED] = config.desired_speed
    p[P_EGO_SPEED] = config.ego_speed
    p[P_MERGE] = 1.0 if config.scenario == "merge" else 0.0
    if config.scenario == "intersection":
        p[P_JUNCTION] = 1.0 if config.intersection_control == "signal" else 2.0
        p[P_STOP] = config.intersection_distance
        p[P_GREEN], p[P_GREEN_CROSS], p[P_YELLOW], p[P_ALLRED] = config.signal_times
        p[P_CROSS_SPEED] = config.crossing_speed
    return p


def level_table(levels: tuple[tuple[float, float, float], ...]) -> np.ndarray:
    """The difficulty levels as a ``(L, 3)`` array for the kernels."""
    return np.asarray(levels, dtype=np.float64)
