"""The state layout of the built-in simulator and its physical constants.

Column indices of the vehicle array ``veh`` (``C_*``), of the per-copy scalars ``sim``
(``S_*``) and of the parameter vector ``p`` (``P_*``), shared by every kernel of
:mod:`.sim` and :mod:`.traffic`.
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
NS = 7
# Entries of the parameter vector ``p`` (see :func:`params`).
P_LANES, P_LW, P_DT, P_VMAX, P_AMAX, P_STEER, P_DESIRED = 0, 1, 2, 3, 4, 5, 6
P_EGO_SPEED, P_MERGE = 7, 8
NP = 9

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
    return p


def level_table(levels: tuple[tuple[float, float, float], ...]) -> np.ndarray:
    """The difficulty levels as a ``(L, 3)`` array for the kernels."""
    return np.asarray(levels, dtype=np.float64)
