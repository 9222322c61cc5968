"""Price history as arrays for the market environments, and causal features computed from it.

:func:`price_history` loads the configured prices *up to the episode range's end and no
further*, so a later price can never reach an environment. Every feature below at row
``t`` is a function of rows ``0..t`` only (trailing windows ending at ``t``); the
environments observe row ``t`` when deciding after the close of day ``t``.
"""

from __future__ import annotations

import dataclasses
import functools
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from fieldgym.envs.core.errors import DataError
from fieldgym.envs.trading.data import load_prices
from fieldgym.envs.trading.validation import bar_label

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
    date_format: str | None = None,
    dayfirst: bool = False,
) -> PriceHistory:
    """Prices of ``tickers`` from the first available date up to ``end`` (inclusive).

    Results are cached per process (the arrays are read-only); a file source is keyed by
    its modification time and size, so an edited file is read again. ``date_format`` and
    ``dayfirst`` say how a file writes its dates (see ``load_prices``).

    Raises:
        DataError: From :func:`fieldgym.envs.trading.data.load_prices`, or if the fields
            do not cover the same dates.
    """
    stamp: tuple[int, int] | None = None
    path = Path(source)
    if path.suffix and path.is_file():
        stat = path.stat()
        stamp = (stat.st_mtime_ns, stat.st_size)
    dates = (date_format, dayfirst)
    return _cached_history(source, tickers, end, fields, ffill_limit, cache_dir, dates, stamp)


@functools.lru_cache(maxsize=32)
def _cached_history(
    source: str,
    tickers: tuple[str, ...] | None,
    end: str | None,
    fields: tuple[str, ...],
    ffill_limit: int,
    cache_dir: str | None,
    dates: tuple[str | None, bool],
    stamp: tuple[int, int] | None,
) -> PriceHistory:
    date_format, dayfirst = dates
    frames = {
        field: load_prices(
            list(tickers) if tickers else None,
            None,
            end,
            source=source,
            field=field,
            ffill_limit=ffill_limit,
            cache_dir=cache_dir,
            date_format=date_format,
            dayfirst=dayfirst,
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


def check_history_length(history: PriceHistory, source: str, end: str | None, warmup: int) -> None:
    """Require the ``warmup + 2`` rows one step needs before any feature is computed.

    The features need ``warmup`` rows before the first decision, and a decision needs the
    bar after it.

    Raises:
        DataError: Naming the rows needed and the rows given.
    """
    given = len(history.dates)
    if given < warmup + 2:
        dates = history.dates
        covered = f", {bar_label(dates[0])} to {bar_label(dates[-1])}" if given else ""
        raise DataError(
            f"{source}: {given} rows of prices up to end={end!r}{covered}; one step needs "
            f"{warmup + 2} ({warmup} rows of history for the features, the decision's bar and "
            "the bar after it). Give more rows, a later end, or shorter feature windows."
        )


def episode_bounds(
    dates: pd.DatetimeIndex, start: str | None, end: str | None, warmup: int
) -> tuple[int, int]:
    """Row of the first decision and row of the last price of the configured range.

    The first decision is the first row on or after ``start`` that has ``warmup`` rows of
    history before it; the last row is the last on or before ``end`` (the history is
    already cut there). An episode decides at rows ``first .. last - 1``.

    Raises:
        DataError: If the range leaves no step, naming the rows needed and given.
    """
    first = int(dates.searchsorted(pd.Timestamp(start))) if start else 0
    first = max(first, warmup)
    last = len(dates) - 1
    if last - first < 1:
        covered = f"{bar_label(dates[0])} to {bar_label(dates[-1])}"
        given = max(len(dates) - first, 0)
        raise DataError(
            f"The date range start={start!r}, end={end!r} leaves no decision after the "
            f"{warmup}-row warm-up of the features: a step needs 2 rows from the first "
            f"decision (row {first}) on, and the range gives {given}; the data covers "
            f"{covered} ({len(dates)} rows). Move start earlier or end later."
        )
    return first, last


def has_time_of_day(dates: pd.DatetimeIndex) -> bool:
    """Whether the bars are intraday (a bar is named by its time, not only its date)."""
    return bool((dates != dates.normalize()).any())


def bar_labels(dates: pd.DatetimeIndex) -> list[str]:
    """ISO labels of the bars (``info["date"]``): dates, with the time for intraday bars."""
    return list(dates.strftime("%Y-%m-%d %H:%M:%S" if has_time_of_day(dates) else "%Y-%m-%d"))


# Stale opens ------------------------------------------------------------------------------

STALE_WINDOW = 63
"""Bars (a quarter of daily bars) around a bar in which the share of stale opens is taken."""


class StaleOpenWarning(UserWarning):
    """Daily opens that copy the previous close, so next-open fills are at a seen price."""


def stale_opens(opens: np.ndarray, close: np.ndarray) -> np.ndarray:
    """``(T,)`` True where bar ``t``'s open equals bar ``t - 1``'s close exactly.

    Some daily histories (arch's ^GSPC 1999-2006, from Yahoo) have no real opens there: the
    open is the previous close copied, so it holds no news of the night.
    """
    stale = np.zeros(len(close), dtype=bool)
    stale[1:] = opens[1:] == close[:-1]
    return stale


def stale_stretches(stale: np.ndarray) -> list[tuple[int, int]]:
    """First and last row of each stretch of bars where most opens are stale.

    A daily series has an open equal to the previous close by chance now and then; where
    most opens of the :data:`STALE_WINDOW` bars around a stale bar are stale, that bar is
    copied data. Such bars closer than a window to each other make one stretch.
    """
    share = pd.Series(stale).rolling(STALE_WINDOW, center=True, min_periods=1).mean()
    copied = np.flatnonzero(stale & (share.to_numpy() > 0.5))
    if not len(copied):
        return []
    gaps = np.flatnonzero(np.diff(copied) > STALE_WINDOW)
    firsts = [copied[0], *copied[gaps + 1]]
    lasts = [*copied[gaps], copied[-1]]
    return [(int(a), int(b)) for a, b in zip(firsts, lasts, strict=True)]


def warn_stale_opens(history: PriceHistory, source: str, stale: np.ndarray) -> None:
    """Warn (:class:`StaleOpenWarning`) if daily opens copy the close over whole stretches.

    The message names the share of stale bars, each stretch's dates and share, and the
    fills that avoid them. Intraday bars are not checked: there the next bar often opens
    at the last trade, which is a real price.
    """
    stretches = stale_stretches(stale)
    if not stretches or has_time_of_day(history.dates):
        return
    dates = history.dates
    where = ", ".join(
        f"{bar_label(dates[a])} to {bar_label(dates[b])} ({stale[a : b + 1].mean():.0%} of bars)"
        for a, b in stretches
    )
    warnings.warn(
        f"{source} {history.tickers[0]}: the open equals the previous close on "
        f"{stale[1:].mean():.0%} of bars ({int(stale.sum())} of {len(stale) - 1}), mostly "
        f"{where}. "
        "Such an open is the close copied, so a next-open fill there is at the close the agent "
        "decided at. fill='next_open_or_close' fills those bars at their close instead; "
        "fill='next_close' fills every bar at its close.",
        StaleOpenWarning,
        stacklevel=2,
    )


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
