"""A picture of the UAV map: users coloured by who serves them, base stations, UAVs."""

from __future__ import annotations

import numpy as np

from fieldgym.envs.wireless.uav_config import UAVConfig

SIZE = 400
COLOURS = {
    "uav_served": (46, 160, 67),
    "bs_served": (31, 119, 180),
    "unserved": (214, 39, 40),
    "station": (0, 0, 0),
    "uav": (255, 127, 14),
}


def _disc(image: np.ndarray, x: float, y: float, radius: float, colour: tuple) -> None:
    h, w = image.shape[:2]
    yy, xx = np.ogrid[:h, :w]
    image[(xx - x) ** 2 + (yy - y) ** 2 <= radius**2] = colour


def render_map(
    config: UAVConfig, users: np.ndarray, serving: np.ndarray, uavs: np.ndarray
) -> np.ndarray:
    """An RGB image ``(SIZE, SIZE, 3)`` of the area, north up.

    Users are green when a UAV serves them, blue for a base station, red for neither;
    base stations are black squares, UAVs orange discs with a ring of half the minimum
    separation.
    """
    image = np.full((SIZE, SIZE, 3), 255, dtype=np.uint8)
    scale = (SIZE - 1) / config.area_m

    def pixel(point: np.ndarray) -> tuple[float, float]:
        return float(point[0] * scale), float((config.area_m - point[1]) * scale)

    for x, y in map(pixel, np.asarray(config.base_stations, dtype=float).reshape(-1, 2)):
        xi, yi = int(x), int(y)
        image[max(yi - 6, 0) : yi + 7, max(xi - 6, 0) : xi + 7] = COLOURS["station"]
    for point, who in zip(users, serving, strict=True):
        kind = "uav_served" if who >= 0 else ("bs_served" if who == -1 else "unserved")
        _disc(image, *pixel(point), 3, COLOURS[kind])
    ring = max(config.min_separation_m / 2 * scale, 8.0)
    for point in uavs:
        x, y = pixel(point)
        _disc(image, x, y, ring, (255, 220, 180))
        _disc(image, x, y, 6, COLOURS["uav"])
    return image
