"""Traffic for a CARLA episode, drawn as the built-in simulator draws it.

Difficulty levels are the driving domain's own table,
:data:`fieldgym.envs.driving.config.LEVELS`: per level a density (vehicles per km and
lane), a spread of desired speeds (m/s) and a share of aggressive drivers. As in the
built-in simulator (:func:`fieldgym.envs.driving.sim.reset_copy`), every one of the
config's ``vehicles`` is placed, lane by lane, on a stretch of road whose length makes
that density (a third of it behind the ego, two thirds ahead), with the ego's own slot
kept clear; a driver's desired speed is ``desired_speed + spread * N(0, 1)``, plus 3 m/s
for an aggressive one, clipped to ``[0.6, 1.5] * desired_speed``; each starts at 90 to
100 % of it. The ego starts at ``ego_speed``.

CARLA's Traffic Manager then drives every surrounding vehicle, told per vehicle:

* ``set_desired_speed``: the driver's desired speed (the Traffic Manager takes km/h);
* ``distance_to_leading_vehicle``: the standstill gap, 1.5 m for aggressive drivers and
  2 to 3 m for the others (the built-in's IDM ``s0``);
* ``auto_lane_change``: on for everyone (the built-in lets every driver use MOBIL);
* ``random_left/right_lanechange_percentage``: aggressive drivers change lane
  unprompted with :data:`BOLD_RANDOM_LANE_CHANGE` percent chance per step, others never;
* ``ignore_lights_percentage``: aggressive drivers run :data:`BOLD_IGNORE_LIGHTS`
  percent of red lights, others none.

Levels above the table's last use the last.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from fieldgym.envs.core.errors import ConfigError
from fieldgym.envs.driving.config import LEVELS
from fieldgym.envs.driving.state import LEVEL

KMH = 3.6
"""km/h per m/s (the Traffic Manager's speed unit)."""
BOLD_BONUS = 3.0
"""Extra desired speed of an aggressive driver (m/s)."""
BOLD_GAP = 1.5
"""Standstill gap of an aggressive driver (m)."""
CALM_GAP = (2.0, 3.0)
"""Range of the standstill gap of the other drivers (m)."""
BOLD_RANDOM_LANE_CHANGE = 1.0
"""Percent chance per step that an aggressive driver changes lane unprompted."""
BOLD_IGNORE_LIGHTS = 20.0
"""Percent of red lights an aggressive driver runs."""


@dataclass(frozen=True)
class Driver:
    """One surrounding vehicle: where it starts and how the Traffic Manager drives it."""

    lane: int
    x: float
    """Start along the road (m, the ego at 0)."""
    desired_speed: float
    """m/s."""
    start_speed: float
    """m/s."""
    gap: float
    """``distance_to_leading_vehicle`` (m)."""
    bold: bool
    """An aggressive driver."""


def level_parameters(level: int) -> tuple[float, float, float]:
    """``(density, speed spread, aggressive share)`` of difficulty ``level``."""
    if level < 0:
        raise ConfigError(f"level={level}: difficulty levels start at 0.")
    density, spread, aggressive = LEVELS[min(int(level), len(LEVELS) - 1)]
    return float(density), float(spread), float(aggressive)


def window(vehicles: int, lanes: int, level: int) -> tuple[float, float]:
    """How far behind and ahead of the ego (m) the traffic of ``level`` is spread."""
    density = level_parameters(level)[LEVEL.density]
    length = max(vehicles, 1) / (density * lanes) * 1000.0
    return length / 3.0, 2.0 * length / 3.0


def plan_traffic(
    rng: np.random.Generator,
    vehicles: int,
    lanes: int,
    ego_lane: int,
    level: int,
    desired_speed: float,
) -> list[Driver]:
    """Places and behaviours of ``vehicles`` surrounding vehicles at ``level``."""
    _, spread, aggressive = level_parameters(level)
    behind, ahead = window(vehicles, lanes, level)
    per_lane = (vehicles + lanes - 1) // lanes
    spacing = (behind + ahead) / max(per_lane, 1)
    drivers = []
    for j in range(vehicles):
        lane, slot = j % lanes, j // lanes
        x = -behind + (slot + 0.5 + 0.3 * (rng.random() - 0.5)) * spacing
        if lane == ego_lane and abs(x) < 0.5 * spacing:  # keep the ego's slot clear
            x = x + 0.5 * spacing if x >= 0 else x - 0.5 * spacing
        bold = bool(rng.random() < aggressive)
        v0 = desired_speed + spread * rng.standard_normal() + (BOLD_BONUS if bold else 0.0)
        v0 = min(max(v0, 0.6 * desired_speed), 1.5 * desired_speed)
        gap = BOLD_GAP if bold else float(rng.uniform(*CALM_GAP))
        start = v0 * (0.9 + 0.1 * rng.random())
        drivers.append(Driver(lane, float(x), float(v0), float(start), gap, bold))
    return drivers
