"""What the market environments on price histories (stock, portfolio) share at run time.

Episode starts and the differential Sharpe ratio. Their configs' shared fields are in
:mod:`fieldgym.envs.trading.dated`; what the simulated markets (execution, market making)
share is in :mod:`fieldgym.envs.trading.simulated`.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numba import njit


class DatedEpisodes:
    """Episode starts in a price history, for the systems of the stock and portfolio envs.

    A system sets ``config`` (with ``mode`` and ``episode_length``), ``first`` and ``last``
    (the range's rows), ``num_copies``, ``state`` (one row per copy, the current price row
    in column :attr:`time_column`) and ``initial_state``.
    """

    time_column = 0
    config: Any
    first: int
    last: int
    num_copies: int
    state: np.ndarray
    initial_state: np.ndarray

    def draw_starts(self, rng: np.random.Generator, count: int) -> np.ndarray:
        """Start rows of ``count`` new episodes: random (train) or the range's first (backtest)."""
        if self.config.mode == "backtest":
            return np.full(count, self.first)
        return rng.integers(self.first, self.last - self.config.episode_length + 1, size=count)

    def reset(self, rng: np.random.Generator, mask: np.ndarray | None = None) -> np.ndarray:
        """Start new episodes (all cash) in the copies of ``mask`` (all if ``None``).

        Returns:
            The indices of the reset copies.
        """
        index = np.arange(self.num_copies) if mask is None else np.flatnonzero(mask)
        self.state[index] = self.initial_state
        self.state[index, self.time_column] = self.draw_starts(rng, len(index))
        return index

    def row(self, copy: int = 0) -> int:
        """The price row of the last bar copy ``copy`` has seen (its decision bar)."""
        return int(self.state[copy, self.time_column])


@njit(cache=True, inline="always")
def differential_sharpe(
    r: float, a: float, b: float, eta: float, var_floor: float
) -> tuple[float, float, float]:
    """Moody and Saffell's differential Sharpe ratio of return ``r``, and the updated moments.

    ``D = (B dA - A dB / 2) / (B - A^2)^(3/2)`` with ``dA = r - A``, ``dB = r^2 - B``, where
    ``A`` and ``B`` are exponential moving averages (rate ``eta``) of the return and its
    square before this step; the variance ``B - A^2`` is floored at ``var_floor``.

    Returns:
        ``(D, A', B')``: the ratio and the moments after the step.
    """
    da = r - a
    db = r * r - b
    variance = max(b - a * a, var_floor)
    d = (b * da - 0.5 * a * db) / (variance * math.sqrt(variance))
    return d, a + eta * da, b + eta * db
