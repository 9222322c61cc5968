"""Reading a CARLA map: same-direction driving lanes, spawn candidates and the route.

Lanes are counted across one carriageway: from a waypoint, the neighbours reached with
``get_right_lane``/``get_left_lane`` that are driving lanes with the same sign of
``lane_id`` (OpenDRIVE: the same direction of travel). Lane 0 of the road frame is the
rightmost of them. The route follows lane 0's centre with ``Waypoint.next``/
``previous``; where the road forks it takes the branch whose heading changes least.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from fieldgym.envs.driving.carla.route import Route, to_plane, wrap_angle, yaw_to_plane

ROUTE_SPACING = 2.0
"""Distance between route vertices (m)."""


def _same_carriageway(carla: Any, a: Any, b: Any | None) -> bool:
    return (
        b is not None
        and b.lane_type == carla.LaneType.Driving
        and b.lane_id * a.lane_id > 0
        and b.road_id == a.road_id
    )


def rightmost(carla: Any, waypoint: Any) -> Any:
    """The rightmost driving lane's waypoint level with ``waypoint``."""
    current = waypoint
    for _ in range(32):
        right = current.get_right_lane()
        if not _same_carriageway(carla, current, right):
            break
        current = right
    return current


def lane_count(carla: Any, rightmost_waypoint: Any) -> int:
    """How many same-direction driving lanes lie at and to the left of a rightmost lane."""
    current, count = rightmost_waypoint, 1
    for _ in range(32):
        left = current.get_left_lane()
        if not _same_carriageway(carla, current, left):
            break
        current, count = left, count + 1
    return count


def lane_from(carla: Any, lane0: Any, lane: int) -> Any | None:
    """The waypoint ``lane`` lanes to the left of lane 0's waypoint, or ``None``."""
    current = lane0
    for _ in range(lane):
        left = current.get_left_lane()
        if not _same_carriageway(carla, current, left):
            return None
        current = left
    return current


def spawn_candidates(carla: Any, carla_map: Any, lanes: int) -> tuple[list[Any], int]:
    """Lane-0 waypoints of the map's spawn points on roads with ``lanes`` lanes or more.

    Returns:
        The candidates (outside junctions) and the most lanes seen at any spawn point.
    """
    candidates, most = [], 0
    for spawn in carla_map.get_spawn_points():
        waypoint = carla_map.get_waypoint(spawn.location, True, carla.LaneType.Driving)
        if waypoint is None or waypoint.is_junction:
            continue
        lane0 = rightmost(carla, waypoint)
        count = lane_count(carla, lane0)
        most = max(most, count)
        if count >= lanes:
            candidates.append(lane0)
    return candidates, most


def _straightest(options: list[Any], yaw: float) -> Any:
    turns = [abs(wrap_angle(yaw_to_plane(w.transform.rotation.yaw) - yaw)) for w in options]
    return options[int(np.argmin(turns))]


def walk(waypoint: Any, distance: float, forward: bool = True) -> list[Any]:
    """Waypoints every :data:`ROUTE_SPACING` m along a lane, up to ``distance`` m.

    Stops early where the lane ends. Consecutive waypoints closer than 1 cm (CARLA
    may return the same point at a lane's end) are dropped.
    """
    out: list[Any] = []
    current = waypoint
    for _ in range(math.ceil(distance / ROUTE_SPACING - 1e-9)):
        step = current.next if forward else current.previous
        options = list(step(ROUTE_SPACING))
        if not options:
            break
        chosen = _straightest(options, yaw_to_plane(current.transform.rotation.yaw))
        a, b = chosen.transform.location, current.transform.location
        if abs(a.x - b.x) + abs(a.y - b.y) < 0.01:
            break
        out.append(chosen)
        current = chosen
    return out


def plane_points(waypoints: list[Any]) -> np.ndarray:
    """Waypoint centres as ``(n, 2)`` plane points."""
    return np.array(
        [to_plane(w.transform.location.x, w.transform.location.y) for w in waypoints],
        dtype=np.float64,
    ).reshape(-1, 2)


def build_route(lane0: Any, behind: float, ahead: float) -> tuple[Route, list[Any]]:
    """The route through ``lane0`` from ``behind`` m before it to ``ahead`` m after it.

    Returns:
        The route and its waypoints (one per vertex, for spawning in other lanes).
    """
    back = walk(lane0, behind, forward=False)[::-1]
    front = walk(lane0, ahead)
    waypoints = [*back, lane0, *front]
    if len(waypoints) < 2:
        raise RuntimeError("the spawn lane is shorter than one route step")
    return Route(plane_points(waypoints), origin_index=len(back)), waypoints
