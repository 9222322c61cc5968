"""What the market environments on price histories (stock, portfolio) share at run time.

Episode starts, the step record's names, the single and vector envs' reset and step, the
differential Sharpe ratio and the rewards both markets offer. Their configs' shared fields are in
:mod:`fieldgym.envs.trading.dated`; what the simulated markets (execution, market making)
share is in :mod:`fieldgym.envs.trading.simulated`.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Mapping
from typing import Any, ClassVar

import gymnasium as gym
import numpy as np
from numba import njit

from fieldgym.envs.core.actions import check_action
from fieldgym.envs.core.rewards import RewardFn
from fieldgym.envs.core.vector import BatchVectorEnv
from fieldgym.envs.trading.simulated import SimulatedVectorEnv


class DatedEpisodes:
    """Episode starts in a price history, for the systems of the stock and portfolio envs.

    A system sets ``config`` (with ``mode`` and ``episode_length``), ``first`` and ``last``
    (the range's rows), ``num_copies``, ``state`` (one row per copy, the current price row
    in column :attr:`time_column`) and ``initial_state``, and implements ``step(actions,
    reuse)`` (observations, the record and ``(B, 2)`` flags: terminated, truncated),
    ``observe()`` and ``date(copy)``.
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


@dataclasses.dataclass(frozen=True)
class StepRecord:
    """The names of a step record's columns, as ``info["kpi"]`` and the reward parts read them.

    Attributes:
        columns: The record's table (:func:`~fieldgym.envs.core.tables.columns`); a
            field's trailing ``_`` (``return_``, a Python keyword) is not in its name.
        parts: The reward parts, names of columns.
        block: The name of the last column if it starts a block running to the record's
            end (the portfolio's held weights), else ``None``.
    """

    columns: Any
    parts: tuple[str, ...]
    block: str | None = None

    @functools.cached_property
    def indices(self) -> tuple[tuple[str, int | slice], ...]:
        """``(name, index)`` of each column in order; the block's index is a slice."""
        return tuple(
            (name, slice(column, None) if name == self.block else column)
            for name, column in zip(
                (field.removesuffix("_") for field in self.columns._fields),
                self.columns,
                strict=True,
            )
        )

    @functools.cached_property
    def part_columns(self) -> tuple[tuple[str, int], ...]:
        """``(part, column)`` of each reward part."""
        names = dict(self.indices)
        return tuple((part, names[part]) for part in self.parts)

    def kpis(self, record: np.ndarray) -> dict[str, np.ndarray]:
        """Per copy, views of every column of ``record`` by name (the block: a 2-D view)."""
        return {name: record[:, index] for name, index in self.indices}

    def reward_parts(self, record: np.ndarray) -> dict[str, np.ndarray]:
        """Every reward part, one value per copy (views of the record's columns)."""
        return {part: record[:, column] for part, column in self.part_columns}


class DatedMarketEnv(gym.Env):
    """What the single envs of the stock and portfolio markets share: reset and step.

    A subclass sets ``config``, ``system`` (a :class:`DatedEpisodes` of one copy),
    ``action_space``, ``observation_space`` and ``_reward``, and names its record in
    ``step_record``.
    """

    metadata = {"render_modes": []}
    step_record: ClassVar[StepRecord]
    config: Any
    system: DatedEpisodes
    _reward: RewardFn

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        super().reset(seed=seed)
        self.system.reset(self.np_random)
        return self.system.observe()[0], {"date": self.system.date()}

    def step(self, action: Any) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        system = self.system
        if system.row() >= system.last:
            raise RuntimeError("The price range is exhausted: call reset() before step().")
        action = check_action(self.action_space, action, self.config.action_policy)
        observation, record, done = system.step(action, reuse=True)
        row = record[0]
        values = row.tolist()
        kpi = {
            name: row[index].copy() if isinstance(index, slice) else values[index]
            for name, index in self.step_record.indices
        }
        parts = {part: kpi[part] for part in self.step_record.parts}
        reward = float(self._reward(parts, self.config.reward_weights, self.config))
        terminated, truncated = done[0].tolist()
        info = {"reward_parts": parts, "kpi": kpi, "date": system.date()}
        return observation[0], reward, terminated, truncated, info


class DatedMarketVectorEnv(BatchVectorEnv):
    """What the vector envs of the stock and portfolio markets share: reset and advance.

    A subclass sets what :class:`DatedMarketEnv` names, with ``system`` of ``num_envs``
    copies, and calls ``_set_spaces``.
    """

    step_record: ClassVar[StepRecord]
    config: Any
    system: DatedEpisodes
    _reward: RewardFn

    # a simulated market's: each reads only ``system`` and ``streams``
    _reset_copies = SimulatedVectorEnv._reset_copies
    _observe_all = SimulatedVectorEnv._observe_all

    def _advance(
        self, actions: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]:
        observations, record, done = self.system.step(actions)
        parts = self.step_record.reward_parts(record)
        rewards = np.asarray(self._reward(parts, self.config.reward_weights, self.config))
        infos: dict[str, Any] = {"reward_parts": parts, "kpi": self.step_record.kpis(record)}
        terminated, truncated = done[:, 0].copy(), done[:, 1].copy()  # as the single env
        return observations, rewards, terminated, truncated, infos


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


def log_return_reward(parts: Mapping[str, Any], weights: Mapping[str, float], config: Any) -> Any:
    """Log growth of wealth over the step, net of costs (sums to the episode's log wealth)."""
    return weights.get("log_return", 1.0) * parts["log_return"]


def differential_sharpe_reward(
    parts: Mapping[str, Any], weights: Mapping[str, float], config: Any
) -> Any:
    """Moody and Saffell's differential Sharpe ratio of the step's net return."""
    return weights.get("differential_sharpe", 1.0) * parts["differential_sharpe"]
