"""The ego's collision and lane-invasion sensors, latched into one-step flags.

CARLA calls a sensor's ``listen`` callback on a client thread, once per event (a
collision with each other actor, each crossing of a lane marking). :class:`EventLatch`
records them under a lock; the backend reads and clears the flags once per step, so an
event sets :attr:`WorldState.collided` or :attr:`WorldState.lane_invasion` for exactly
one step. An event whose callback arrives after ``world.tick()`` returned (CARLA
delivers trigger sensors asynchronously) is reported with the next step.

Lane invasion means what the driving contract says: crossing a solid marking or the
road's edge. A crossed marking counts when its type has a solid line (``Solid``,
``SolidSolid``, ``SolidBroken``, ``BrokenSolid``) or marks the edge (``Curb``,
``Grass``); crossing a ``Broken`` line between lanes is an ordinary lane change.
"""

from __future__ import annotations

import threading
from types import ModuleType
from typing import Any

COLLISION = "sensor.other.collision"
LANE_INVASION = "sensor.other.lane_invasion"
FORBIDDEN_MARKINGS = ("Solid", "SolidSolid", "SolidBroken", "BrokenSolid", "Curb", "Grass")
"""Names of ``carla.LaneMarkingType`` members whose crossing is a lane invasion."""


class EventLatch:
    """Collision and lane-invasion flags set by sensor callbacks, cleared when read."""

    def __init__(self, carla: ModuleType) -> None:
        marking_type = carla.LaneMarkingType
        self._forbidden = {getattr(marking_type, name) for name in FORBIDDEN_MARKINGS}
        self._lock = threading.Lock()
        self._collided = False
        self._invaded = False
        self.collision_count = 0
        self.invasion_count = 0

    def on_collision(self, event: Any) -> None:
        """``sensor.other.collision`` callback."""
        with self._lock:
            self._collided = True
            self.collision_count += 1

    def on_lane_invasion(self, event: Any) -> None:
        """``sensor.other.lane_invasion`` callback: counts forbidden markings only."""
        if any(m.type in self._forbidden for m in event.crossed_lane_markings):
            with self._lock:
                self._invaded = True
                self.invasion_count += 1

    def consume(self) -> tuple[bool, bool]:
        """``(collided, lane_invasion)`` since the last call, then clear both."""
        with self._lock:
            flags = (self._collided, self._invaded)
            self._collided = self._invaded = False
        return flags
