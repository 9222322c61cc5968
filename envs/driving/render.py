"""A top-down picture of the road around the ego: lanes, markings and vehicle footprints.

With an intersection: the crossing road, its vehicles, the stop lines and each road's
light as a coloured square beside its stop line.
"""

from __future__ import annotations

import math

import numpy as np

from fieldgym.envs.driving.backend import WorldState
from fieldgym.envs.driving.layout import STOP_MARGIN
from fieldgym.envs.driving.state import CROSS, EGO, JUNCTION, OTHER

SCALE = 4.0
"""Pixels per metre."""
MARGIN = 2.0
"""Road shoulder drawn on each side, m."""
CROSS_VIEW = 30.0
"""Length of the crossing road drawn on each side of the main road, m."""
COLOURS = {
    "grass": (90, 140, 80),
    "road": (90, 90, 90),
    "marking": (235, 235, 235),
    "ego": (40, 170, 60),
    "other": (50, 100, 200),
    "crash": (220, 40, 40),
    "crossing": (200, 120, 40),
}
LIGHTS = {1.0: (40, 220, 40), 0.5: (240, 200, 20), -1.0: (230, 30, 30)}
"""Colours of the light codes of ``JUNCTION_FIELDS`` (no square when unsignalized)."""


def _fill(image: np.ndarray, corners: np.ndarray, colour: tuple[int, int, int]) -> None:
    """Fill the convex polygon ``corners`` (pixel coordinates, counter-clockwise)."""
    height, width = image.shape[:2]
    x0, y0 = np.floor(corners.min(axis=0)).astype(int)
    x1, y1 = np.ceil(corners.max(axis=0)).astype(int)
    x0, y0, x1, y1 = max(x0, 0), max(y0, 0), min(x1, width - 1), min(y1, height - 1)
    if x1 < x0 or y1 < y0:
        return
    xs, ys = np.meshgrid(np.arange(x0, x1 + 1) + 0.5, np.arange(y0, y1 + 1) + 0.5)
    inside = np.ones(xs.shape, dtype=bool)
    for k in range(len(corners)):
        (ax, ay), (bx, by) = corners[k], corners[(k + 1) % len(corners)]
        cross = (bx - ax) * (ys - ay) - (by - ay) * (xs - ax)
        inside &= cross <= 0
    if not inside.any():
        inside = ~inside
        for k in range(len(corners)):
            (ax, ay), (bx, by) = corners[k], corners[(k + 1) % len(corners)]
            inside &= (bx - ax) * (ys - ay) - (by - ay) * (xs - ax) >= 0
    image[y0 : y1 + 1, x0 : x1 + 1][inside] = colour


def render_world(
    world: WorldState,
    view: float,
    ramp: tuple[float, float] | None = None,
    intersection: bool = False,
) -> np.ndarray:
    """An RGB image ``(H, W, 3)`` of ``[-view, view]`` metres around the ego.

    The road runs left to right; lane 0 (the rightmost) is at the bottom, and an on-ramp
    ``(start, end)`` (lane -1) below it where it exists. ``intersection``: the crossing
    road of ``world.junction`` runs bottom to top, ``CROSS_VIEW`` m of it on each side.
    """
    lanes, lw = world.lanes, world.lane_width
    below = lw if ramp is not None else 0.0
    if intersection:
        below = CROSS_VIEW
    above = CROSS_VIEW if intersection else 0.0
    road = lanes * lw + 2 * MARGIN + below + above
    height, width = int(road * SCALE), int(2 * view * SCALE)
    image = np.empty((height, width, 3), dtype=np.uint8)
    image[:] = COLOURS["grass"]
    ex = float(world.ego[EGO.x])

    def to_px(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        return np.stack(
            [(x - ex + view) * SCALE, (road - (y + 0.5 * lw + MARGIN + below)) * SCALE], -1
        )

    top, bottom = to_px(np.zeros(2), np.array([(lanes - 0.5) * lw, -0.5 * lw]))[:, 1]
    image[int(top) : int(bottom)] = COLOURS["road"]
    if ramp is not None:
        (left, ramp_top), (right, ramp_bottom) = to_px(
            np.array(ramp), np.array([-0.5 * lw, -1.5 * lw])
        )
        columns = slice(max(int(left), 0), max(min(int(right), width), 0))
        image[int(ramp_top) : int(ramp_bottom), columns] = COLOURS["road"]
    for k in range(lanes + 1):
        row = int(to_px(np.array([ex]), np.array([(k - 0.5) * lw]))[0, 1])
        row = min(max(row, 0), height - 1)
        if k in (0, lanes):
            image[row] = COLOURS["marking"]
        else:
            dashes = ((np.arange(width) / SCALE + ex) % 12.0) < 6.0
            image[row, dashes] = COLOURS["marking"]
    if intersection:
        _draw_crossing(image, world, to_px, height)
    vehicles = [
        (
            row[OTHER.x],
            row[OTHER.y],
            math.atan2(row[OTHER.vy], max(row[OTHER.vx], 0.1)),
            row[OTHER.length],
            row[OTHER.width],
            "other",
        )
        for row in world.others
    ]
    vehicles += [
        (
            row[CROSS.x],
            row[CROSS.y],
            row[CROSS.heading],
            row[CROSS.length],
            row[CROSS.width],
            "crossing",
        )
        for row in world.crossing
    ]
    vehicles.append(
        (
            ex,
            world.ego[EGO.y],
            world.ego[EGO.heading],
            world.ego_length,
            world.ego_width,
            "crash" if world.collided else "ego",
        )
    )
    for x, y, h, length, wid, kind in vehicles:
        if abs(x - ex) > view + length:
            continue
        c, s = math.cos(h), math.sin(h)
        local = np.array([[1, 1], [-1, 1], [-1, -1], [1, -1]]) * [0.5 * length, 0.5 * wid]
        xs = x + local[:, 0] * c - local[:, 1] * s
        ys = y + local[:, 0] * s + local[:, 1] * c
        _fill(image, to_px(xs, ys), COLOURS[kind])
    return image


def _draw_crossing(image: np.ndarray, world: WorldState, to_px, height: int) -> None:
    """The crossing road, the stop lines and the lights of ``world.junction``."""
    lanes, lw = world.lanes, world.lane_width
    junction = world.junction
    stop = junction[JUNCTION.stop_x]
    ego_light, cross_light = junction[JUNCTION.ego_light], junction[JUNCTION.cross_light]
    x_in = stop + STOP_MARGIN
    width = image.shape[1]
    (left, _), (right, _) = to_px(np.array([x_in, x_in + 2 * lw]), np.zeros(2))
    columns = slice(min(max(int(left), 0), width), min(max(int(right), 0), width))
    image[:, columns] = COLOURS["road"]
    top, bottom = to_px(np.zeros(2), np.array([(lanes - 0.5) * lw, -0.5 * lw]))[:, 1]
    line = int(to_px(np.array([stop]), np.zeros(1))[0, 0])
    if 0 <= line < width:
        image[int(top) : int(bottom), line] = COLOURS["marking"]
    for y_line, x_from, x_to, code in (
        (-0.5 * lw - STOP_MARGIN, x_in + lw, x_in + 2 * lw, cross_light),
        ((lanes - 0.5) * lw + STOP_MARGIN, x_in, x_in + lw, cross_light),
        (-0.5 * lw - 1.5, stop - 1.5, stop, ego_light),
    ):
        (x0, row), (x1, _) = to_px(np.array([x_from, x_to]), np.array([y_line, y_line]))
        row = min(max(int(row), 0), height - 1)
        cols = slice(min(max(int(x0), 0), width), min(max(int(x1), 0), width))
        if code in LIGHTS:
            image[max(row - 6, 0) : row + 1, cols] = LIGHTS[code]
        else:
            image[row, cols] = COLOURS["marking"]
