"""Reading CARLA actors into the road frame: the surrounding traffic and the road's edges."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from fieldgym.envs.driving.carla.route import Route, to_plane
from fieldgym.envs.driving.state import OTHER

SEARCH_MARGIN = 20.0
"""Route searched beyond the sensor range when projecting traffic (m)."""


def traffic_rows(
    actors: Sequence[Any],
    route: Route,
    ego_x: float,
    sensor_range: float,
    lanes: int,
    lane_width: float,
    lateral_scale: float,
) -> np.ndarray:
    """``WorldState.others`` for the live ``actors`` near the ego, sorted by ``x``.

    A vehicle is reported when it is within ``sensor_range`` of ``ego_x`` along the
    road and at most one lane outside the ``lanes`` lanes (``lane_width``: the map's, in
    metres). Lateral position and velocity are multiplied by ``lateral_scale``;
    footprints (bounding-box extents doubled) stay in metres.
    """
    alive = [a for a in actors if getattr(a, "is_alive", True)]
    if not alive:
        return np.zeros((0, len(OTHER)))
    transforms = [a.get_transform() for a in alive]
    points = np.array([to_plane(t.location.x, t.location.y) for t in transforms])
    margin = sensor_range + SEARCH_MARGIN
    near = route.project(points, ego_x - margin, ego_x + margin)
    velocity = np.array([to_plane(v.x, v.y) for v in (a.get_velocity() for a in alive)])
    tangent = near.tangent
    normal = np.stack([-tangent[:, 1], tangent[:, 0]], axis=1)
    vx = np.einsum("nd,nd->n", velocity, tangent)
    vy = np.einsum("nd,nd->n", velocity, normal)
    extents = [a.bounding_box.extent for a in alive]
    length = np.array([2.0 * float(e.x) for e in extents])
    width = np.array([2.0 * float(e.y) for e in extents])
    keep = (
        (np.abs(near.x - ego_x) <= sensor_range)
        & (near.y >= -lane_width)
        & (near.y <= lanes * lane_width)
    )
    rows = np.empty((len(alive), len(OTHER)))
    rows[:, OTHER.x], rows[:, OTHER.y] = near.x, near.y * lateral_scale
    rows[:, OTHER.vx], rows[:, OTHER.vy] = vx, vy * lateral_scale
    rows[:, OTHER.length], rows[:, OTHER.width] = length, width
    rows = rows[keep]
    return rows[np.argsort(rows[:, OTHER.x], kind="stable")]


def over_edge(
    y: float, heading: float, length: float, width: float, lanes: int, lane_width: float
) -> bool:
    """Whether a footprint at lateral offset ``y`` (m) crosses the outer edge of ``lanes``.

    The footprint's lateral half-extent is ``(L |sin h| + W cos h) / 2``; the edges lie
    half a lane outside lane 0 and lane ``lanes - 1`` (the built-in's off-road test).
    """
    half = 0.5 * (abs(math.sin(heading)) * length + abs(math.cos(heading)) * width)
    return y - half < -0.5 * lane_width or y + half > (lanes - 0.5) * lane_width
