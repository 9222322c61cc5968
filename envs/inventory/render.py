"""A picture of inventory levels: per stage, on hand (green), owed (red), in transit (blue)."""

from __future__ import annotations

import numpy as np

HEIGHT, BAR_WIDTH, GAP = 240, 24, 12
COLOURS = {
    "on_hand": (46, 160, 67),
    "owed": (214, 39, 40),
    "transit": (31, 119, 180),
}


def render_levels(on_hand: np.ndarray, owed: np.ndarray, transit: np.ndarray) -> np.ndarray:
    """An RGB image (H, W, 3) with three bars per stage, scaled to the tallest bar."""
    n = len(on_hand)
    width = GAP + n * (3 * BAR_WIDTH + GAP)
    image = np.full((HEIGHT, width, 3), 255, dtype=np.uint8)
    top = max(float(np.max(on_hand)), float(np.max(owed)), float(np.max(transit)), 1.0)
    for i in range(n):
        x0 = GAP + i * (3 * BAR_WIDTH + GAP)
        for j, (value, colour) in enumerate(
            zip((on_hand[i], owed[i], transit[i]), COLOURS.values(), strict=True)
        ):
            bar = round((HEIGHT - 10) * float(value) / top)
            x = x0 + j * BAR_WIDTH
            if bar > 0:
                image[HEIGHT - bar :, x : x + BAR_WIDTH - 2] = colour
        image[HEIGHT - 2 :, x0 : x0 + 3 * BAR_WIDTH] = 0
    return image
