"""``render_mode="human"``: an env's ``rgb_array`` frames shown in a matplotlib window.

An env with an ``rgb_array`` renderer gets the human mode from :class:`FrameWindow`:
``render()`` draws the current frame into one window (made on the first call) and returns
``None``, as gymnasium and PettingZoo specify. On a non-interactive matplotlib backend
(``Agg``, a headless machine or a test run) the frame is drawn but nothing is shown, so
code written for the human mode also runs there.
"""

from __future__ import annotations

from typing import Any

import numpy as np

NON_INTERACTIVE = frozenset({"agg", "cairo", "pdf", "pgf", "ps", "svg", "template"})
"""matplotlib backends that cannot show a window."""


class FrameWindow:
    """One window that shows the latest frame, replacing the previous one.

    Args:
        title: The window's title (the env's name).
        fps: Frames per second to show at (the env's ``metadata["render_fps"]``).
    """

    def __init__(self, title: str, fps: float) -> None:
        self.title = title
        self.fps = fps
        self._figure: Any = None
        self._image: Any = None

    def show(self, frame: np.ndarray) -> None:
        """Draw ``frame`` (height × width × 3, uint8) and, on a display, show it."""
        import matplotlib.pyplot as plt

        if self._figure is None:
            self._figure, axes = plt.subplots(num=self.title)
            axes.set_axis_off()
            self._image = axes.imshow(frame)
        else:
            self._image.set_data(frame)
        self._figure.canvas.draw()
        if plt.get_backend().lower() not in NON_INTERACTIVE:
            plt.pause(1.0 / self.fps)

    def close(self) -> None:
        """Close the window, if one was opened."""
        if self._figure is not None:
            import matplotlib.pyplot as plt

            plt.close(self._figure)
            self._figure = self._image = None
