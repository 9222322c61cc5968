"""The state layout of the built-in simulator and its physical constants.

The sizes of the vehicle array ``veh``, of the crossing vehicles' array ``cross``, of the
per-copy scalars ``sim`` and of the parameter vector ``p``, whose columns the tables of
:mod:`.state` name (``VEH``, ``CROSSING``, ``SIM``, ``PARAM``) for every kernel of
:mod:`.sim`, :mod:`.traffic` and :mod:`.junction`.
"""

from __future__ import annotations

import numpy as np

from fieldgym.envs.driving.state import CROSSING, PARAM, SIM, VEH

NF, NS, NX, NP = len(VEH), len(SIM), len(CROSSING), len(PARAM)
"""Columns of ``veh`` and ``sim``, of ``cross`` and entries of ``p``."""

# The index names of earlier releases, for callers outside the kernels (which read the
# tables of :mod:`.state` by name).
C_X, C_Y, C_VX, C_VY, C_LEN, C_WID = VEH.x, VEH.y, VEH.vx, VEH.vy, VEH.length, VEH.width
C_HEAD, C_SPEED, C_TY, C_ACC, C_STEER = (
    VEH.heading,
    VEH.speed,
    VEH.target_y,
    VEH.acceleration,
    VEH.steering,
)
C_V0, C_T, C_AMAX, C_B, C_S0 = VEH.v0, VEH.headway, VEH.a_max, VEH.comfort_braking, VEH.min_gap
C_POL, C_THR, C_COOL, C_ORDER = VEH.politeness, VEH.threshold, VEH.cooldown, VEH.order
S_TIME, S_COLLIDED, S_OFFROAD, S_BEHIND = SIM.time, SIM.collided, SIM.offroad, SIM.behind
S_AHEAD, S_STEP, S_LEVEL, S_PHASE, S_RED = SIM.ahead, SIM.step, SIM.level, SIM.phase, SIM.red_light
X_X, X_Y, X_VX, X_VY = CROSSING.x, CROSSING.y, CROSSING.vx, CROSSING.vy
X_LEN, X_WID, X_HEAD, X_SPEED = CROSSING.length, CROSSING.width, CROSSING.heading, CROSSING.speed
X_DIR, X_V0, X_T, X_AMAX = CROSSING.direction, CROSSING.v0, CROSSING.headway, CROSSING.a_max
X_B, X_S0 = CROSSING.comfort_braking, CROSSING.min_gap
P_LANES, P_LW, P_DT, P_VMAX = PARAM.lanes, PARAM.lane_width, PARAM.dt, PARAM.max_speed
P_AMAX, P_STEER, P_DESIRED = PARAM.max_acceleration, PARAM.max_steering, PARAM.desired_speed
P_EGO_SPEED, P_MERGE = PARAM.ego_speed, PARAM.merge
P_JUNCTION, P_STOP = PARAM.junction, PARAM.stop_x
P_CROSS_SPEED, P_GREEN, P_GREEN_CROSS = PARAM.crossing_speed, PARAM.green, PARAM.green_cross
P_YELLOW, P_ALLRED = PARAM.yellow, PARAM.all_red

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
    """The parameter vector the kernels read (:class:`.state.ParamColumns`), from a config."""
    p = np.zeros(NP)
    p[PARAM.lanes] = config.lanes
    p[PARAM.lane_width] = config.lane_width
    p[PARAM.dt] = config.dt
    p[PARAM.max_speed] = config.max_speed
    p[PARAM.max_acceleration] = config.max_acceleration
    p[PARAM.max_steering] = config.max_steering
    p[PARAM.desired_speed] = config.desired_speed
    p[PARAM.ego_speed] = config.ego_speed
    p[PARAM.merge] = 1.0 if config.scenario == "merge" else 0.0
    if config.scenario == "intersection":
        p[PARAM.junction] = 1.0 if config.intersection_control == "signal" else 2.0
        p[PARAM.stop_x] = config.intersection_distance
        green, green_cross, yellow, all_red = config.signal_times
        p[PARAM.green], p[PARAM.green_cross] = green, green_cross
        p[PARAM.yellow], p[PARAM.all_red] = yellow, all_red
        p[PARAM.crossing_speed] = config.crossing_speed
    return p


def level_table(levels: tuple[tuple[float, float, float], ...]) -> np.ndarray:
    """The difficulty levels as a ``(L, 3)`` array for the kernels."""
    return np.asarray(levels, dtype=np.float64)
