"""What the market environments share: date ranges, episode starts, differential Sharpe."""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np
import pandas as pd
from numba import njit

from fieldgym.envs.core.config import EnvConfig, check_choice, check_number, doc
from fieldgym.envs.core.errors import ConfigError
from fieldgym.envs.trading.data import is_file_source

MODES = ("train", "backtest")
"""``train``: episodes start at random dates of the range; ``backtest``: at its start."""


def check_date(name: str, value: Any) -> None:
    """Require ``None`` or an ISO date string (``YYYY-MM-DD``)."""
    if value is None:
        return
    if not isinstance(value, str):
        raise ConfigError(
            f"{name}={value!r} is not allowed; give an ISO date such as '2019-01-02'."
        )
    try:
        pd.Timestamp(value)
    except ValueError as exc:
        raise ConfigError(f"{name}={value!r} is not a date ({exc}).") from exc


def check_range(config: Any) -> None:
    """Check ``start``, ``end`` and ``mode`` of a market environment's config."""
    check_date("start", config.start)
    check_date("end", config.end)
    if config.start and config.end and pd.Timestamp(config.start) > pd.Timestamp(config.end):
        raise ConfigError(f"start={config.start!r} is after end={config.end!r}.")
    check_choice("mode", config.mode, MODES)


@dataclasses.dataclass(frozen=True)
class DatedConfig(EnvConfig):
    """The fields of the envs that replay dated prices (the stock and portfolio envs).

    Where the prices come from, the date range and how episodes start in it, the
    differential Sharpe ratio's moments and the NaN policy. Subclasses set ``source``'s
    default and add their own fields; their ``validate`` calls this one's first.
    """

    source: str = dataclasses.field(
        default="skfolio_sp500",
        metadata=doc(
            "price source: an offline dataset ('skfolio_sp500', 'arch_sp500', 'arch_nasdaq'), "
            "'yfinance' (needs the symbols; cached) or a .csv/.parquet path: wide (date, one "
            "close column per ticker), one ticker's OHLCV bars, or long (date, ticker, fields)"
        ),
    )
    start: str | None = dataclasses.field(
        default=None,
        metadata=doc("first date of the episode range (ISO); earlier prices feed features only"),
    )
    end: str | None = dataclasses.field(
        default=None,
        metadata=doc("last date of the range, inclusive; later prices are never loaded"),
    )
    mode: str = dataclasses.field(
        default="train",
        metadata=doc(
            "'train': each episode starts at a random date of the range; 'backtest': at the "
            "range's first date, running to its end"
        ),
    )
    episode_length: int = dataclasses.field(
        default=252,
        metadata=doc("'train': trading days an episode must fit after its random start (>= 1)"),
    )
    dsr_eta: float = dataclasses.field(
        default=0.01,
        metadata=doc("differential Sharpe ratio: adaptation rate of its moving moments (0, 1)"),
    )
    dsr_initial_volatility: float = dataclasses.field(
        default=0.01,
        metadata=doc(
            "differential Sharpe ratio: daily return std its second moment starts from; "
            "the variance is floored at a hundredth of its square"
        ),
    )
    ffill_limit: int = dataclasses.field(
        default=5,
        metadata=doc("NaN policy of file/yfinance prices: rows forward-filled after a price"),
    )
    cache_dir: str | None = dataclasses.field(
        default=None, metadata=doc("yfinance cache folder; None: ~/.cache/fieldgym/prices")
    )
    date_format: str | None = dataclasses.field(
        default=None,
        metadata=doc(
            "a file source's date format, strftime codes such as '%d/%m/%Y' (31/01/2020); "
            "None: pandas infers it from the first date, reading 01/02/2020 month first"
        ),
    )
    dayfirst: bool = dataclasses.field(
        default=False,
        metadata=doc(
            "a file source writes day-first dates (01/02/2020 is 1 February); for when "
            "date_format is None"
        ),
    )

    def validate(self) -> None:
        if not isinstance(self.source, str) or not self.source:
            raise ConfigError(f"source={self.source!r} is not allowed; give a source name.")
        check_range(self)
        check_number("episode_length", self.episode_length, low=1, integer=True)
        check_number("dsr_eta", self.dsr_eta, low=0, low_inclusive=False, high=1)
        check_number(
            "dsr_initial_volatility", self.dsr_initial_volatility, low=0, low_inclusive=False
        )
        check_number("ffill_limit", self.ffill_limit, low=0, integer=True)
        check_date_options(self)


def check_date_options(config: Any) -> None:
    """Check ``date_format`` and ``dayfirst``: file sources only, one of the two."""
    if config.date_format is not None and (
        not isinstance(config.date_format, str) or "%" not in config.date_format
    ):
        raise ConfigError(
            f"date_format={config.date_format!r} is not allowed; give strftime codes such as "
            "'%d/%m/%Y' or '%Y-%m-%d %H:%M', or None."
        )
    if not isinstance(config.dayfirst, bool):
        raise ConfigError(f"dayfirst={config.dayfirst!r} is not allowed; give true or false.")
    if config.date_format is not None and config.dayfirst:
        raise ConfigError(
            f"Give date_format={config.date_format!r} or dayfirst=True, not both: the format "
            "already says where the day is."
        )
    if (config.date_format is not None or config.dayfirst) and not is_file_source(config.source):
        raise ConfigError(
            f"date_format and dayfirst say how a price file writes its dates; "
            f"source={config.source!r} is not a .csv/.parquet file. Remove them."
        )


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
