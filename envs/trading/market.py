"""Price history as arrays for the market environments, and causal features computed from it.

:func:`price_history` loads the configured prices *up to the episode range's end and no
further*, so a later price can never reach an environment. Every feature below at row
``t`` is a function of rows ``0..t`` only (trailing windows ending at ``t``); the
environments observe row ``t`` when deciding after the close of day ``t``.
"""

from __future__ import annotations

import dataclasses
import functools
from pathlib import Path

import numpy as np
import pandas as pd

from fieldgym.envs.core.errors import ConfigError, DataError
from fieldgym.envs.trading.data import load_prices

FEATURE_BOUND = 10.0
"""Observed features are clipped to [-10, 10]: a log return of 10 is a 22,026-fold move, which
no series of the offline datasets comes near; the bound gives the observation space real limits."""


@dataclasses.dataclass(frozen=True)
class PriceHistory:
    """Aligned daily prices of some tickers: ``fields[name]`` is ``(T, N)`` float64."""

    dates: pd.DatetimeIndex
    tickers: tuple[str, ...]
    fields: dict[str, np.ndarray]

    @property
    def close(self) -> np.ndarray:
        """Adjusted closes ``(T, N)``."""
        return self.fields["close"]


def price_history(
    source: str,
    tickers: tuple[str, ...] | None,
    end: str | None,
    fields: tuple[str, ...] = ("close",),
    ffill_limit: int = 5,
    cache_dir: str | None = None,
) -> PriceHistory:
    """Prices of ``tickers`` from the first available date up to ``end`` (inclusive).

    Results are cached per process (the arrays are read-only); a file source is keyed by
    its modification time and size, so an edited file is read again.

    Raises:
        DataError: From :func:`fieldgym.envs.trading.data.load_prices`, or if the fields
            do not cover the same dates.
    """
    stamp: tuple[int, int] | None = None
    path = Path(source)
    if path.suffix and path.is_file():
        stat = path.stat()
        stamp = (stat.st_mtime_ns, stat.st_size)
    return _cached_history(source, tickers, end, fields, ffill_limit, cache_dir, stamp)


@functools.lru_cache(maxsize=32)
def _cached_history(
    source: str,
    tickers: tuple[str, ...] | None,
    end: str | None,
    fields: tuple[str, ...],
    ffill_limit: int,
    cache_dir: str | None,
    stamp: tuple[int, int] | None,
) -> PriceHistory:
    frames = {
        field: load_prices(
            list(tickers) if tickers else None,
            None,
            end,
            source=source,
            field=field,
            ffill_limit=ffill_limit,
            cache_dir=cache_dir,
        )
        for field in fields
    }
    first = frames[fields[0]]
    for field, frame in frames.items():
        if not frame.index.equals(first.index) or list(frame.columns) != list(first.columns):
            raise DataError(f"{source}: the {field!r} prices do not cover the same dates/tickers.")
    arrays = {}
    for field, frame in frames.items():
        values = np.ascontiguousarray(frame.to_numpy(dtype=np.float64))
        values.flags.writeable = False
        arrays[field] = values
    return PriceHistory(pd.DatetimeIndex(first.index), tuple(first.columns), arrays)


def episode_bounds(
    dates: pd.DatetimeIndex, start: str | None, end: str | None, warmup: int
) -> tuple[int, int]:
    """Row of the first decision and row of the last price of the configured range.

    The first decision is the first row on or after ``start`` that has ``warmup`` rows of
    history before it; the last row is the last on or before ``end`` (the history is
    already cut there). An episode decides at rows ``first .. last - 1``.

    Raises:
        ConfigError: If the range leaves no step.
    """
    first = int(dates.searchsorted(pd.Timestamp(start))) if start else 0
    first = max(first, warmup)
    last = len(dates) - 1
    if last - first < 1:
        covered = f"{dates[0].date()} to {dates[-1].date()}"
        raise ConfigError(
            f"The date range start={start!r}, end={end!r} leaves no decision after the "
            f"{warmup}-day warm-up of the features; the data covers {covered}."
        )
    return first, last


def log_returns(close: np.ndarray) -> np.ndarray:
    """Daily log returns ``(T, N)``; row 0 is 0 (no previous close)."""
    out = np.zeros_like(close)
    out[1:] = np.diff(np.log(close), axis=0)
    return out


def trailing_return(close: np.ndarray, days: int) -> np.ndarray:
    """``log(close[t] / close[t - days])``; rows before ``days`` are 0."""
    logp = np.log(close)
    out = np.zeros_like(close)
    out[days:] = logp[days:] - logp[:-days]
    return out


def trailing_volatility(daily: np.ndarray, days: int) -> np.ndarray:
    """Standard deviation of the daily log returns of rows ``t - days + 1 .. t``; 0 before."""
    frame = pd.DataFrame(daily)
    out = np.array(frame.rolling(days, min_periods=days).std(ddof=0).to_numpy())
    out[:days] = 0.0
    return np.nan_to_num(out)


def return_window(daily: np.ndarray, days: int) -> np.ndarray:
    """``(T, days * N)``: daily log returns of rows ``t - days + 1 .. t``, oldest first."""
    t, n = daily.shape
    out = np.zeros((t, days, n))
    for k in range(days):
        lag = days - 1 - k
        out[lag:, k, :] = daily[: t - lag]
    return out.reshape(t, days * n)


def turbulence(daily: np.ndarray, days: int) -> np.ndarray:
    """Mahalanobis turbulence of each day's returns against the previous ``days`` days.

    ``d_t = (r_t - mu)' S^+ (r_t - mu)`` with ``mu`` and ``S`` the mean and covariance of
    rows ``t - days .. t - 1`` (Kritzman and Li, 2010; FinRL's risk guard), ``S^+`` its
    inverse (the pseudo-inverse if a window's covariance is singular). Rows before
    ``days + 1`` are 0.
    """
    t, n = daily.shape
    out = np.zeros(t)
    if t <= days + 1:
        return out
    # trailing sums of r and r r' over rows row - days .. row - 1, for every row at once
    first = np.concatenate([np.zeros((1, n)), np.cumsum(daily, axis=0)])
    second = np.concatenate(
        [np.zeros((1, n, n)), np.cumsum(daily[:, :, None] * daily[:, None, :], axis=0)]
    )
    rows = np.arange(days + 1, t)
    mean = (first[rows] - first[rows - days]) / days
    scatter = second[rows] - second[rows - days]
    cov = (scatter - days * mean[:, :, None] * mean[:, None, :]) / (days - 1)
    deviation = daily[rows] - mean
    try:
        solved = np.linalg.solve(cov, deviation[:, :, None])[:, :, 0]
    except np.linalg.LinAlgError:  # a singular window (e.g. a constant price): pseudo-inverse
        solved = np.einsum("tij,tj->ti", np.linalg.pinv(cov, hermitian=True), deviation)
    out[rows] = np.einsum("ti,ti->t", deviation, solved)
    return out
