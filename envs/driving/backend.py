"""The contract between the driving environments and the simulators that move the vehicles.

The environment (observations, meta-action controller, reward, metrics, curriculum) never
touches a simulator directly: it sends the ego vehicle's physical command to a
:class:`DrivingBackend` and reads back a :class:`WorldState`. The built-in numpy
simulator and the CARLA backend both implement it, so every observation, reward and
metric means the same with either.

Frame: the road frame of a straight multi-lane road. ``x`` is the distance along the road
(m, increasing in the driving direction), ``y`` the lateral offset (m) from the centre of
lane 0, the rightmost lane, growing to the left; lane ``k`` is centred at
``y = k * lane_width``. A backend on a curved road (CARLA) projects onto this frame
(distance along the route, signed offset from lane 0's centre line).

Fields of ``DrivingConfig`` that backends read (names fixed by this contract): ``lanes``,
``lane_width`` (m), ``dt`` (s, the simulation step), ``vehicles`` (surrounding vehicles),
``seed`` handling through :meth:`DrivingBackend.reset`, and for CARLA ``carla_host``,
``carla_port``, ``carla_timeout_s``, ``carla_town`` and ``carla_tm_port`` (Traffic
Manager port).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from fieldgym.envs.driving.state import CrossColumns, EgoColumns, JunctionColumns, OtherColumns

EGO_FIELDS = EgoColumns._fields
"""Columns of :attr:`WorldState.ego` (:class:`~fieldgym.envs.driving.state.EgoColumns`):
position (m), heading relative to the road (rad, positive to the left), speed (m/s), the
acceleration (m/s²) and steering angle (rad) applied in the last step."""

OTHER_FIELDS = OtherColumns._fields
"""Columns of :attr:`WorldState.others`: position (m), velocity in the road frame (m/s),
footprint (m)."""

CROSS_FIELDS = CrossColumns._fields
"""Columns of :attr:`WorldState.crossing`: the :data:`OTHER_FIELDS` (``length`` along the
heading) and the heading (rad, ``±pi/2`` on a road crossing at right angles)."""

JUNCTION_FIELDS = JunctionColumns._fields
"""Entries of :attr:`WorldState.junction`: the ego road's stop line (m along the road),
the light of the ego's road and of the crossing road (1 green, 0.5 yellow, -1 red, 0 no
signal), seconds until the ego's light changes and the signal cycle (s; 0 unsignalized)."""


@dataclass
class WorldState:
    """What a backend reports after a reset or a step."""

    ego: np.ndarray
    """``(len(EGO_FIELDS),)`` float64, see :data:`EGO_FIELDS`."""
    others: np.ndarray
    """``(n, len(OTHER_FIELDS))`` float64, one row per surrounding vehicle in sensor range."""
    ego_length: float
    ego_width: float
    lanes: int
    lane_width: float
    time: float
    """Simulated seconds since the reset."""
    collided: bool
    """The ego's footprint touched another vehicle or the road edge in the last step."""
    lane_invasion: bool
    """The ego crossed a solid lane marking or left the road in the last step."""
    crossing: np.ndarray = field(default_factory=lambda: np.zeros((0, len(CROSS_FIELDS))))
    """``(k, len(CROSS_FIELDS))`` float64: vehicles on a road crossing the ego's (an
    intersection ahead), see :data:`CROSS_FIELDS`; none on a plain road."""
    junction: np.ndarray = field(default_factory=lambda: np.zeros(len(JUNCTION_FIELDS)))
    """``(len(JUNCTION_FIELDS),)`` float64: the intersection ahead, see
    :data:`JUNCTION_FIELDS`; zeros on a plain road."""
    red_light: bool = False
    """The ego's front crossed a stop line on red in the last step."""


class DrivingBackend(Protocol):
    """A simulator that advances the ego vehicle and the traffic around it."""

    def reset(self, seed: int | None, level: int) -> WorldState:
        """Start a new episode with traffic of difficulty ``level`` (0 = easiest).

        ``seed`` makes the built-in simulator reproducible; CARLA seeds its Traffic
        Manager with it.
        """
        ...

    def step(self, acceleration: float, steering: float) -> WorldState:
        """Apply the ego's command for one step of ``dt`` seconds and report the world.

        Args:
            acceleration: Longitudinal acceleration (m/s², negative brakes).
            steering: Front-wheel steering angle (rad, positive to the left).
        """
        ...

    def close(self) -> None:
        """Release everything the backend holds (CARLA: destroy every spawned actor)."""
        ...
