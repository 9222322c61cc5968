"""The one table of names of every array the driving kernels and environments index.

Each table is a NamedTuple class listing an array's columns in order, and a module
constant, ``columns(table)`` (``VEH`` for :class:`VehicleColumns`, and so on), gives
their indices, read by name everywhere: ``veh[c, j, VEH.speed]``, ``sim[c, SIM.collided]``,
``p[PARAM.dt]``, ``world.ego[EGO.x]``, ``parts[PART.comfort]``. Kernels read the module
constants as compile-time integers.

The backend contract's tables (:class:`EgoColumns`, :class:`OtherColumns`,
:class:`CrossColumns`, :class:`JunctionColumns`) give the field names of
:mod:`.backend`; the simulator's vehicle rows start with :class:`OtherColumns` and its
crossing-vehicle rows with :class:`CrossColumns`, so their leading columns are a
``WorldState``'s rows as they are.
"""

from __future__ import annotations

from typing import NamedTuple

from fieldgym.envs.core.tables import columns


class EgoColumns(NamedTuple):
    """The columns of ``WorldState.ego``.

    Position (m), heading relative to the road (rad, positive to the left), speed (m/s),
    the acceleration (m/s²) and steering angle (rad) applied in the last step.
    """

    x: int
    y: int
    heading: int
    speed: int
    acceleration: int
    steering: int


class OtherColumns(NamedTuple):
    """A row of ``WorldState.others``: position (m), road-frame velocity (m/s), footprint (m)."""

    x: int
    y: int
    vx: int
    vy: int
    length: int
    width: int


class CrossColumns(NamedTuple):
    """A row of ``WorldState.crossing``.

    The :class:`OtherColumns` (``length`` along the heading) and the heading (rad,
    ``±pi/2`` on a road crossing at right angles).
    """

    x: int
    y: int
    vx: int
    vy: int
    length: int
    width: int
    heading: int


class JunctionColumns(NamedTuple):
    """The entries of ``WorldState.junction``.

    The ego road's stop line (m along the road), the light of the ego's road and of the
    crossing road (1 green, 0.5 yellow, -1 red, 0 no signal), seconds until the ego's
    light changes and the signal cycle (s; 0 unsignalized).
    """

    stop_x: int
    ego_light: int
    cross_light: int
    time_left: int
    cycle: int


class VehicleColumns(NamedTuple):
    """A row of the simulator's ``veh`` ``(B, V + 1, NF)``: row 0 the ego, then the others.

    The first columns are :class:`OtherColumns`; then the state the kernels keep and each
    driver's IDM and MOBIL parameters (the ego's are used when others judge their effect
    on it).
    """

    x: int
    y: int
    vx: int
    vy: int
    length: int
    width: int
    heading: int
    speed: int
    target_y: int
    """Centre of the lane the vehicle drives to (its own when it changes none), m."""
    acceleration: int
    steering: int
    """The ego's last steering angle, rad."""
    v0: int
    """IDM desired speed, m/s."""
    headway: int
    """IDM time headway ``T``, s."""
    a_max: int
    """IDM maximum acceleration, m/s²."""
    comfort_braking: int
    """IDM comfortable braking ``b``, m/s²."""
    min_gap: int
    """IDM standstill gap ``s0``, m."""
    politeness: int
    """MOBIL politeness factor."""
    threshold: int
    """MOBIL changing threshold, m/s²."""
    cooldown: int
    """Seconds until the next lane change may start."""
    order: int
    """Row ``r`` of this column holds the index of the ``r``-th vehicle by ``x`` (kept
    sorted across steps by insertion sort, which is linear on nearly sorted input)."""


class CrossingColumns(NamedTuple):
    """A row of the intersection's crossing vehicles ``cross`` ``(B, K, NX)``.

    The first columns are :class:`CrossColumns`; then speed, direction (+1: toward +y)
    and the driver's IDM parameters (as in :class:`VehicleColumns`).
    """

    x: int
    y: int
    vx: int
    vy: int
    length: int
    width: int
    heading: int
    speed: int
    direction: int
    v0: int
    headway: int
    a_max: int
    comfort_braking: int
    min_gap: int


class ScratchRows(NamedTuple):
    """The rows of the per-vehicle scratch array of ``sim.advance_copy``."""

    acceleration: int
    """The acceleration each driver chose this step."""
    corridor_low: int
    corridor_high: int
    """Each vehicle's lateral corridor (``traffic.corridors``), m."""
    half_length: int
    """Each vehicle's longitudinal half-length, m."""
    previous_dx: int
    """Each vehicle's ``x`` relative to the ego's before the step, m."""
    previous_side_by_side: int
    """1 where a vehicle's corridor overlapped the ego's before the step."""
    held: int
    """1 where a vehicle waits for the intersection this step."""


class SimColumns(NamedTuple):
    """A copy's row of the simulator's per-copy scalars ``sim`` ``(B, NS)``."""

    time: int
    """Simulated seconds since the reset."""
    collided: int
    """1 if the ego hit a vehicle or the road edge in the last step."""
    offroad: int
    """1 if the ego left the road in the last step."""
    behind: int
    """Length of the simulated window behind the ego, m."""
    ahead: int
    """Length of the simulated window ahead of the ego, m."""
    step: int
    """Simulation steps since the reset."""
    level: int
    """The episode's traffic level."""
    phase: int
    """Intersection: the signal cycle's offset at time 0 (s, drawn at reset)."""
    red_light: int
    """Intersection: 1 if the ego's front crossed the stop line on red in the last step."""


class ParamColumns(NamedTuple):
    """The simulator's parameter vector ``p`` (``layout.params``), float64."""

    lanes: int
    lane_width: int
    dt: int
    max_speed: int
    max_acceleration: int
    max_steering: int
    desired_speed: int
    ego_speed: int
    merge: int
    """1 with an on-ramp."""
    junction: int
    """Intersection control: 0 none, 1 signal, 2 yield."""
    stop_x: int
    """The main road's stop line (x, m)."""
    crossing_speed: int
    """The crossing drivers' mean desired speed (m/s)."""
    green: int
    """The signal's green time of the main road (s)."""
    green_cross: int
    """The signal's green time of the crossing road (s)."""
    yellow: int
    all_red: int


class LevelColumns(NamedTuple):
    """A traffic level of ``config.LEVELS``.

    Density in vehicles per km and lane, standard deviation of the drivers' desired
    speeds in m/s, share of aggressive drivers.
    """

    density: int
    speed_spread: int
    aggressive: int


class ObservationTypes(NamedTuple):
    """The observation types (``observation_type``), in the order of their index ``kind``."""

    kinematics: int
    occupancy_grid: int
    ttc: int


class MetaActions(NamedTuple):
    """The discrete meta-actions, in action-index order."""

    lane_left: int
    idle: int
    lane_right: int
    faster: int
    slower: int


class MetaActionColumns(NamedTuple):
    """A copy's row of the vector env's meta-actions."""

    action: int
    """The meta-action's index in ``META_ACTIONS``."""


class ContinuousActionColumns(NamedTuple):
    """A continuous action, and a copy's row of the vector env's continuous actions."""

    acceleration: int
    """m/s², negative brakes."""
    steering: int
    """Front-wheel steering angle, rad, positive to the left."""


class ControlColumns(NamedTuple):
    """The vector env's control parameter vector ``q`` (``batch.control_params``)."""

    meta: int
    """1 for meta-actions, 0 for continuous ones."""
    substeps: int
    period: int
    """The decision period, s."""
    band_low: int
    band_high: int
    """The speed band (``speed_band``), m/s."""
    kind: int
    """The observation type's index in ``OBSERVATION_TYPES``."""


class ObserveColumns(NamedTuple):
    """The observation parameter vector ``po`` (``observe.obs_params``)."""

    lanes: int
    lane_width: int
    range: int
    max_speed: int
    cell: int
    horizon: int
    observed: int
    crossing: int
    """Rows of crossing vehicles in the kinematics observation (0 without an intersection)."""


class KinematicsColumns(NamedTuple):
    """A vehicle's row of the kinematics observation.

    The ego row holds presence and then its :class:`EgoFeatureColumns`; the intersection
    row is a :class:`JunctionRowColumns`.
    """

    presence: int
    x: int
    y: int
    vx: int
    vy: int


class EgoFeatureColumns(NamedTuple):
    """The ego's features, each scaled to [-1, 1].

    Lateral position on the road, speed, heading, offset from its lane's centre.
    """

    lateral: int
    speed: int
    heading: int
    lane_offset: int


class JunctionRowColumns(NamedTuple):
    """The intersection row of the kinematics observation (the env docstring)."""

    presence: int
    to_stop_line: int
    ego_light: int
    cross_light: int
    time_left: int


class GridChannels(NamedTuple):
    """The channels of the occupancy grid: vehicle present, its relative speed, the ego."""

    vehicles: int
    relative_speed: int
    ego: int


class TtcColumns(NamedTuple):
    """One lane's block of the ttc observation (right of, at, left of the ego)."""

    lane_exists: int
    front_gap: int
    front_ttc: int
    rear_gap: int
    rear_ttc: int


class RewardParts(NamedTuple):
    """The reward parts, each in [-1, 1] (see the env docstring and ``control.step_parts``)."""

    progress: int
    speed: int
    lane_keeping: int
    collision: int
    lane_change: int
    comfort: int
    red_light: int


class KpiColumns(NamedTuple):
    """The per-step KPIs (``info["kpi"]``, ``control.KPI_NAMES``)."""

    speed: int
    distance: int
    collided: int
    offroad: int
    lane: int
    lane_change: int
    headway: int
    jerk: int
    acceleration: int
    x: int
    y: int
    red_light: int


def check_prefix(table: type[tuple], contract: type[tuple]) -> None:
    """Fail at import unless ``table``'s columns start with the ``contract`` table's."""
    head = table._fields[: len(contract._fields)]
    if head != contract._fields:
        raise TypeError(f"{table.__name__} must start with {contract._fields}, not {head}.")


check_prefix(VehicleColumns, OtherColumns)
check_prefix(CrossingColumns, CrossColumns)

EGO = columns(EgoColumns)
OTHER = columns(OtherColumns)
CROSS = columns(CrossColumns)
JUNCTION = columns(JunctionColumns)
VEH = columns(VehicleColumns)
CROSSING = columns(CrossingColumns)
SCRATCH = columns(ScratchRows)
SIM = columns(SimColumns)
PARAM = columns(ParamColumns)
LEVEL = columns(LevelColumns)
OBSERVATION_TYPE = columns(ObservationTypes)
META = columns(MetaActions)
META_ACTION = columns(MetaActionColumns)
CONTINUOUS = columns(ContinuousActionColumns)
CONTROL = columns(ControlColumns)
OBSERVE = columns(ObserveColumns)
KIN = columns(KinematicsColumns)
EGO_FEATURE = columns(EgoFeatureColumns)
JUNCTION_ROW = columns(JunctionRowColumns)
GRID = columns(GridChannels)
TTC = columns(TtcColumns)
PART = columns(RewardParts)
KPI = columns(KpiColumns)
