"""Validation of price frames: dates, values and the NaN policy.

The NaN policy is explicit: a missing price is forward-filled from the last known one for
at most ``ffill_limit`` consecutive rows; any other NaN is an error naming the rows.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from fieldgym.envs.core.errors import DataError

DEFAULT_FFILL_LIMIT = 5
"""Consecutive missing rows per column that are forward-filled before a NaN is an error."""


def bar_label(value: object) -> str:
    """A row label for messages: a timestamp's date, with its time of day if it has one."""
    if isinstance(value, pd.Timestamp):
        return str(value.date()) if value == value.normalize() else str(value)
    return str(value)


def row_labels(index: pd.Index, mask: np.ndarray, limit: int = 8) -> str:
    """The first ``limit`` labels of ``index`` where ``mask`` holds, and how many there are."""
    labels = [bar_label(x) for x in index[mask][:limit]]
    more = int(mask.sum()) - len(labels)
    return ", ".join(labels) + (f" and {more} more" if more > 0 else "")


DATE_HINT = (
    "For day-first dates such as 31/01/2020 pass date_format='%d/%m/%Y' (or dayfirst=True); "
    "for other layouts a strftime format such as date_format='%Y%m%d'."
)


def parse_dates(
    values: pd.Index | pd.Series,
    name: str,
    *,
    date_format: str | None = None,
    dayfirst: bool = False,
) -> pd.DatetimeIndex:
    """Timestamps of ``values``, tz-naive (local wall time), times of day kept.

    Args:
        values: Date strings, numbers pandas reads as dates, or timestamps.
        name: What the values belong to, for error messages.
        date_format: A strftime format (``'%d/%m/%Y'``); ``None`` lets pandas infer it from
            the first value, which reads ``01/02/2020`` month first.
        dayfirst: Read ambiguous dates day first when ``date_format`` is ``None``.

    Raises:
        DataError: If a value cannot be parsed; the message names the options above.
    """
    try:
        index = pd.DatetimeIndex(pd.to_datetime(values, format=date_format, dayfirst=dayfirst))
    except (ValueError, TypeError) as exc:
        reason = str(exc).split(". You might want to try")[0] or type(exc).__name__
        raise DataError(f"{name}: the dates cannot be parsed ({reason}). {DATE_HINT}") from exc
    return index.tz_localize(None) if index.tz is not None else index


def bar_times(index: pd.DatetimeIndex) -> pd.DatetimeIndex:
    """Daily bars at midnight; intraday bars (several on one day) with their time of day.

    A file of one bar per day may stamp bars with any time (a close at 16:00, a
    timezone's offset): those are moved to midnight, so that a bar is named by its date.
    Where several rows fall on one day the times are what tells the bars apart, and they
    are kept; rows with identical timestamps remain duplicates.
    """
    days = index.normalize()
    return days if days.is_unique else index


def validate_prices(
    frame: pd.DataFrame,
    *,
    ffill_limit: int = DEFAULT_FFILL_LIMIT,
    name: str = "prices",
    allow_zero: bool = False,
) -> pd.DataFrame:
    """Check a wide price frame and apply the NaN policy; return a clean float64 copy.

    Args:
        frame: Dates (index, or parseable to dates; see :func:`bar_times` for times of
            day) by tickers (columns).
        ffill_limit: A missing price is replaced by the last known one if it is at most
            ``ffill_limit`` rows after it; any other NaN (a longer gap, or a column that
            starts with NaN) is an error naming the rows. ``0`` makes every NaN an error.
        name: What the frame is, for error messages (a file path, a dataset name).
        allow_zero: Accept zeros (volumes); prices must be strictly positive.

    Raises:
        DataError: On dates that cannot be parsed, are not sorted or repeat; on
            non-numeric, non-positive or infinite values; on NaNs the policy does not fill.
            Each message names the offending rows.
    """
    if frame.empty:
        raise DataError(f"{name}: no rows.")
    index = parse_dates(frame.index, name)
    if index.hasnans:
        rows = row_labels(pd.RangeIndex(len(index)), np.asarray(index.isna()))
        raise DataError(f"{name}: missing dates at rows {rows}.")
    index = bar_times(index)
    repeated = index.duplicated(keep=False)
    if repeated.any():
        raise DataError(f"{name}: dates are not unique; repeated: {row_labels(index, repeated)}.")
    unsorted = np.zeros(len(index), dtype=bool)
    unsorted[1:] = np.asarray(index[1:] <= index[:-1])
    if unsorted.any():
        where = row_labels(index, unsorted)
        raise DataError(f"{name}: dates are not sorted ascending; out of order at {where}.")
    out = frame.copy()
    out.index = index.rename("date")
    out.columns = [str(c) for c in out.columns]
    for column in out.columns:
        converted = pd.to_numeric(out[column], errors="coerce")
        bad = converted.isna().to_numpy() & out[column].notna().to_numpy()
        if bad.any():
            where = row_labels(index, bad)
            raise DataError(f"{name}: column {column!r} is not numeric at {where}.")
        out[column] = converted.astype(np.float64)
    values = out.to_numpy()
    infinite = np.isinf(values).any(axis=1)
    if infinite.any():
        raise DataError(f"{name}: infinite values at {row_labels(index, infinite)}.")
    low = values < 0 if allow_zero else values <= 0
    if np.nan_to_num(low, nan=False).any():
        rows = np.nan_to_num(low).any(axis=1).astype(bool)
        kind = "negative" if allow_zero else "zero or negative"
        raise DataError(
            f"{name}: {kind} prices at {row_labels(index, rows)} "
            f"(columns {', '.join(out.columns[np.nan_to_num(low).any(axis=0).astype(bool)])})."
        )
    filled = out.ffill(limit=ffill_limit) if ffill_limit > 0 else out
    missing = filled.isna().to_numpy()
    if missing.any():
        rows = missing.any(axis=1)
        columns = ", ".join(filled.columns[missing.any(axis=0)])
        raise DataError(
            f"{name}: missing prices that the NaN policy does not fill (forward-fill at most "
            f"{ffill_limit} rows after a known price) at {row_labels(index, rows)}, in columns "
            f"{columns}. Fill or drop those rows, trim the date range, or raise ffill_limit."
        )
    return filled
