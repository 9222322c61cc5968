"""What the market environments share at run time.

Episode starts, the differential Sharpe ratio, the step of the simulated books. Their
configs' shared fields are in :mod:`fieldgym.envs.trading.dated`.
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


def record_step(
    env: Any, actions: np.ndarray, rng: Any, parts_of: Any, names: tuple[str, ...]
) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]:
    """One step of the batch of an execution or market-making env (single or vector).

    Reads the env's ``system``, ``_reward``, ``_weights`` and ``config``; ``rng`` is the
    single env's ``np_random`` or the vector env's ``streams``.

    Returns:
        Observations, rewards ``(B,)``, the system's end flags, and the infos
        (``reward_parts`` from ``parts_of(record)``; ``kpi``: the record's columns by
        ``names``), one row per copy; the single env reads row 0 (:func:`first_copy`).
    """
    observations, record, done = env.system.step(actions, rng)
    parts = parts_of(record)
    rewards = np.asarray(env._reward(parts, env._weights, env.config))
    kpis = {name: record[:, k] for k, name in enumerate(names)}
    return observations, rewards, done, {"reward_parts": parts, "kpi": kpis}


def first_copy(infos: dict[str, Any]) -> dict[str, Any]:
    """The single env's infos: row 0 of each batched array, as Python floats."""
    return {
        key: {name: float(value[0]) for name, value in group.items()}
        for key, group in infos.items()
    }
