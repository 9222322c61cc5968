"""A picture of the network: roads, queued vehicles per lane group and signal states.

Each intersection is a dark square; on each incoming arm (drawn on the right-hand side of
travel) three strips show the left, through and right lane groups: the square at the stop
line is the movement's signal (green, yellow or red) and the bar behind it the halted
vehicles (one vehicle per ``PX_PER_VEHICLE`` pixels, capped at the arm's length).
"""

from __future__ import annotations

import numpy as np

SPACING, MARGIN, BOX, STRIP = 200, 110, 30, 5
PX_PER_VEHICLE = 3
ROAD = (200, 200, 200)
BACKGROUND = (245, 245, 240)
QUEUE = (40, 70, 160)
SIGNAL = {0: (214, 39, 40), 1: (240, 190, 20), 2: (46, 160, 67)}
"""Colour of a movement's signal: 0 red, 1 yellow, 2 green."""


def _fill(image: np.ndarray, x0: float, y0: float, x1: float, y1: float, colour) -> None:
    h, w, _ = image.shape
    xa, xb = sorted((round(x0), round(x1)))
    ya, yb = sorted((round(y0), round(y1)))
    image[max(ya, 0) : min(yb, h), max(xa, 0) : min(xb, w)] = colour


def render_network(rows: int, cols: int, queues: np.ndarray, signals: np.ndarray) -> np.ndarray:
    """An RGB image ``(H, W, 3)`` uint8 of a ``rows × cols`` grid.

    Args:
        rows: Intersections north to south.
        cols: Intersections west to east.
        queues: ``(I, 12)`` halted vehicles per lane group (approach-major, L/T/R).
        signals: ``(I, 12)`` signal state per lane group: 0 red, 1 yellow, 2 green.
    """
    width = 2 * MARGIN + (cols - 1) * SPACING + BOX
    height = 2 * MARGIN + (rows - 1) * SPACING + BOX
    image = np.empty((height, width, 3), dtype=np.uint8)
    image[:] = BACKGROUND
    half = BOX / 2
    arm = min(SPACING - BOX, MARGIN) - 4
    for r in range(rows):
        y = MARGIN + half + r * SPACING
        _fill(image, 0, y - half, width, y + half, ROAD)
    for c in range(cols):
        x = MARGIN + half + c * SPACING
        _fill(image, x - half, 0, x + half, height, ROAD)
    for i in range(rows * cols):
        r, c = divmod(i, cols)
        cx, cy = MARGIN + half + c * SPACING, MARGIN + half + r * SPACING
        _fill(image, cx - half, cy - half, cx + half, cy + half, (90, 90, 90))
        for a in range(4):
            for m in range(3):
                g = 3 * a + m
                offset = 2 + m * STRIP  # left-turn strip nearest the centre line
                length = min(float(queues[i, g]) * PX_PER_VEHICLE, arm)
                colour = SIGNAL[int(signals[i, g])]
                if a == 0:  # from the north, heading south: west half of the arm
                    x = cx - offset - STRIP
                    _fill(image, x, cy - half - 4, x + STRIP - 1, cy - half, colour)
                    _fill(image, x, cy - half - 4 - length, x + STRIP - 1, cy - half - 4, QUEUE)
                elif a == 2:  # from the south, heading north: east half
                    x = cx + offset
                    _fill(image, x, cy + half, x + STRIP - 1, cy + half + 4, colour)
                    _fill(image, x, cy + half + 4, x + STRIP - 1, cy + half + 4 + length, QUEUE)
                elif a == 1:  # from the east, heading west: north half
                    y = cy - offset - STRIP
                    _fill(image, cx + half, y, cx + half + 4, y + STRIP - 1, colour)
                    _fill(image, cx + half + 4, y, cx + half + 4 + length, y + STRIP - 1, QUEUE)
                else:  # from the west, heading east: south half
                    y = cy + offset
                    _fill(image, cx - half - 4, y, cx - half, y + STRIP - 1, colour)
                    _fill(image, cx - half - 4 - length, y, cx - half - 4, y + STRIP - 1, QUEUE)
    return image


def render_lanes(queues: np.ndarray, signals: np.ndarray) -> np.ndarray:
    """An RGB image of any network: one row per intersection, one bar per lane group.

    Used for user SUMO networks, whose geometry is not a grid. Bars grow upward with the
    halted vehicles; the square under each is its signal.
    """
    n, groups = queues.shape
    bar, gap, height = 10, 4, 120
    image = np.empty((n * (height + 2 * gap), groups * (bar + gap) + gap, 3), dtype=np.uint8)
    image[:] = BACKGROUND
    for i in range(n):
        base = (i + 1) * (height + 2 * gap) - gap
        for g in range(groups):
            x = gap + g * (bar + gap)
            _fill(image, x, base - 6, x + bar, base, SIGNAL[int(signals[i, g])])
            length = min(float(queues[i, g]) * PX_PER_VEHICLE, height - 10)
            _fill(image, x, base - 8 - length, x + bar, base - 8, QUEUE)
    return image
