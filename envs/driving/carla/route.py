"""The road frame on a CARLA map: a polyline along lane 0's centre and projections onto it.

CARLA's world frame is left-handed (Unreal Engine: ``x`` forward, ``y`` to the right,
``z`` up, yaw growing clockwise seen from above). Everything here works in the
right-handed plane ``(X, Y) = (x, -y)``, where angles grow counter-clockwise, so that
"positive to the left" in :mod:`fieldgym.envs.driving.backend` is the usual sign.

A :class:`Route` is the centre line of lane 0 (the rightmost driving lane) sampled every
few metres, starting some distance behind the spawn waypoint and running ahead of it.
A point is projected onto the nearest segment of the polyline: ``x`` is the arc length
at the foot point minus the arc length of the spawn waypoint, ``y`` the signed distance
to the left of the line. Pure numpy: no CARLA object enters this module.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def to_plane(x: float, y: float) -> tuple[float, float]:
    """A CARLA world position (m) as a point of the right-handed plane."""
    return float(x), -float(y)


def yaw_to_plane(yaw_deg: float) -> float:
    """A CARLA yaw (degrees, clockwise) as an angle of the right-handed plane (rad)."""
    return -np.deg2rad(float(yaw_deg))


def wrap_angle(angle: np.ndarray | float) -> np.ndarray | float:
    """An angle (rad) wrapped into ``[-pi, pi)``."""
    return (np.asarray(angle) + np.pi) % (2.0 * np.pi) - np.pi


@dataclass
class Projection:
    """Points in the road frame, with the road's direction at each foot point."""

    x: np.ndarray
    """Distance along the route from the spawn waypoint (m)."""
    y: np.ndarray
    """Signed lateral offset from lane 0's centre line, positive to the left (m)."""
    tangent: np.ndarray
    """``(n, 2)`` unit direction of the route at the foot point (plane frame)."""
    distance: np.ndarray
    """Unsigned distance from the point to the polyline (m); ``|y|`` unless the foot
    point is past an end of the route."""


class Route:
    """Lane 0's centre line as a polyline with arc length.

    Args:
        points: ``(n, 2)`` polyline vertices in the plane frame (m), ``n >= 2``, in the
            driving direction.
        origin_index: Index of the vertex of the spawn waypoint, where ``x = 0``.
    """

    def __init__(self, points: np.ndarray, origin_index: int) -> None:
        self.points = np.zeros((0, 2))
        self.arc = np.zeros(0)
        self.origin_index = int(origin_index)
        self._set(np.asarray(points, dtype=np.float64))

    def _set(self, points: np.ndarray) -> None:
        if points.ndim != 2 or points.shape[1] != 2 or len(points) < 2:
            raise ValueError("a route needs at least two points (n, 2)")
        steps = np.linalg.norm(np.diff(points, axis=0), axis=1)
        if np.any(steps <= 1e-9):
            raise ValueError("consecutive route points must be distinct")
        self.points = points
        self.arc = np.concatenate([[0.0], np.cumsum(steps)])

    @property
    def origin_arc(self) -> float:
        """Arc length (m) of the spawn waypoint from the first vertex."""
        return float(self.arc[min(self.origin_index, len(self.arc) - 1)])

    @property
    def start_x(self) -> float:
        """Road-frame ``x`` (m) of the first vertex (negative: the route starts behind)."""
        return -self.origin_arc

    @property
    def end_x(self) -> float:
        """Road-frame ``x`` (m) of the last vertex."""
        return float(self.arc[-1]) - self.origin_arc

    def extend(self, points: np.ndarray) -> None:
        """Append vertices ahead of the current end (the road frame does not move)."""
        points = np.asarray(points, dtype=np.float64).reshape(-1, 2)
        if len(points):
            self._set(np.concatenate([self.points, points]))

    def index_at(self, x: float) -> int:
        """Index of the vertex nearest to road-frame ``x`` (clipped to the route)."""
        position = np.interp(x + self.origin_arc, self.arc, np.arange(len(self.arc)))
        return int(np.rint(position))

    def project(
        self, points: np.ndarray, x_min: float = -np.inf, x_max: float = np.inf
    ) -> Projection:
        """Project plane points onto the route.

        Args:
            points: ``(m, 2)`` points in the plane frame (m).
            x_min: Only segments ending at or after this road-frame ``x`` are searched
                (keeps a route that bends back on itself from capturing a far point).
            x_max: Only segments starting at or before this ``x`` are searched.

        Returns:
            The points in the road frame.
        """
        pts = np.asarray(points, dtype=np.float64).reshape(-1, 2)
        a, b = self.points[:-1], self.points[1:]
        s0, s1 = self.arc[:-1] - self.origin_arc, self.arc[1:] - self.origin_arc
        window = (s1 >= x_min) & (s0 <= x_max)
        if not window.any():
            window[:] = True
        segments = np.flatnonzero(window)
        a, b, s0 = a[window], b[window], s0[window]
        seg = b - a
        length = np.linalg.norm(seg, axis=1)
        unit = seg / length[:, None]
        rel = pts[:, None, :] - a[None, :, :]  # (m, k, 2)
        along = np.einsum("mkd,kd->mk", rel, unit)
        t = np.clip(along, 0.0, length[None, :])
        foot = a[None, :, :] + t[..., None] * unit[None, :, :]
        dist = np.linalg.norm(pts[:, None, :] - foot, axis=2)
        k = np.argmin(dist, axis=1)
        rows = np.arange(len(pts))
        u = unit[k]
        # Past either end of the route, extrapolate along the end segment so x keeps
        # growing (or shrinking) linearly instead of sticking to the end point.
        along_k = along[rows, k]
        first, last = segments[k] == 0, segments[k] == len(self.points) - 2
        t_k = np.where(first & (along_k < 0), along_k, t[rows, k])
        t_k = np.where(last & (along_k > length[k]), along_k, t_k)
        r = rel[rows, k]
        lateral = u[:, 0] * r[:, 1] - u[:, 1] * r[:, 0]  # cross(u, r): positive to the left
        return Projection(x=s0[k] + t_k, y=lateral, tangent=u, distance=dist[rows, k])
