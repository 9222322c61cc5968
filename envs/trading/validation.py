"""Validation of price frames and the user's own price files (CSV or parquet).

The NaN policy is explicit: a missing price is forward-filled from the last known one for
at most ``ffill_limit`` consecutive rows; any other NaN is an error naming the rows.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from fieldgym.envs.core.errors import DataError

DEFAULT_FFILL_LIMIT = 5
"""Consecutive missing rows per column that are forward-filled before a NaN is an error."""


def _rows(index: pd.Index, mask: np.ndarray, limit: int = 8) -> str:
    """The first ``limit`` labels of ``index`` where ``mask`` holds, and how many there are."""
    labels = [str(x.date()) if isinstance(x, pd.Timestamp) else str(x) for x in index[mask][:limit]]
    more = int(mask.sum()) - len(labels)
    return ", ".join(labels) + (f" and {more} more" if more > 0 else "")


def validate_prices(
    frame: pd.DataFrame,
    *,
    ffill_limit: int = DEFAULT_FFILL_LIMIT,
    name: str = "prices",
    allow_zero: bool = False,
) -> pd.DataFrame:
    """Check a wide price frame and apply the NaN policy; return a clean float64 copy.

    Args:
        frame: Dates (index, or parseable to dates) by tickers (columns).
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
    try:
        index = pd.DatetimeIndex(pd.to_datetime(frame.index))
    except (ValueError, TypeError) as exc:
        raise DataError(f"{name}: the dates cannot be parsed ({exc}).") from exc
    if index.tz is not None:
        index = index.tz_localize(None)
    index = index.normalize()
    if index.hasnans:
        rows = _rows(pd.RangeIndex(len(index)), np.asarray(index.isna()))
        raise DataError(f"{name}: missing dates at rows {rows}.")
    repeated = index.duplicated(keep=False)
    if repeated.any():
        raise DataError(f"{name}: dates are not unique; repeated: {_rows(index, repeated)}.")
    unsorted = np.zeros(len(index), dtype=bool)
    unsorted[1:] = np.asarray(index[1:] <= index[:-1])
    if unsorted.any():
        raise DataError(
            f"{name}: dates are not sorted ascending; out of order at {_rows(index, unsorted)}."
        )
    out = frame.copy()
    out.index = index.rename("date")
    out.columns = [str(c) for c in out.columns]
    for column in out.columns:
        converted = pd.to_numeric(out[column], errors="coerce")
        bad = converted.isna().to_numpy() & out[column].notna().to_numpy()
        if bad.any():
            raise DataError(f"{name}: column {column!r} is not numeric at {_rows(index, bad)}.")
        out[column] = converted.astype(np.float64)
    values = out.to_numpy()
    infinite = np.isinf(values).any(axis=1)
    if infinite.any():
        raise DataError(f"{name}: infinite values at {_rows(index, infinite)}.")
    low = values < 0 if allow_zero else values <= 0
    if np.nan_to_num(low, nan=False).any():
        rows = np.nan_to_num(low).any(axis=1).astype(bool)
        kind = "negative" if allow_zero else "zero or negative"
        raise DataError(
            f"{name}: {kind} prices at {_rows(index, rows)} "
            f"(columns {', '.join(out.columns[np.nan_to_num(low).any(axis=0).astype(bool)])})."
        )
    filled = out.ffill(limit=ffill_limit) if ffill_limit > 0 else out
    missing = filled.isna().to_numpy()
    if missing.any():
        rows = missing.any(axis=1)
        columns = ", ".join(filled.columns[missing.any(axis=0)])
        raise DataError(
            f"{name}: missing prices that the NaN policy does not fill (forward-fill at most "
            f"{ffill_limit} rows after a known price) at {_rows(index, rows)}, in columns "
            f"{columns}. Fill or drop those rows, trim the date range, or raise ffill_limit."
        )
    return filled


def read_price_file(
    path: str | Path, *, ffill_limit: int = DEFAULT_FFILL_LIMIT, date_column: str | None = None
) -> pd.DataFrame:
    """Read the user's wide price file (CSV or parquet) and validate it.

    The file has one date column (``date_column``; default: a column named ``date`` or
    ``Date``, else the first column; for parquet also the index) and one column of prices
    per ticker.

    Raises:
        DataError: If the file is missing, unreadable or fails :func:`validate_prices`.
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: no such price file.")
    try:
        if path.suffix.lower() in (".parquet", ".pq"):
            frame = pd.read_parquet(path)
        elif path.suffix.lower() in (".csv", ".gz", ".txt"):
            frame = pd.read_csv(path)
        else:
            raise DataError(f"{path}: unknown file type; give a .csv or .parquet file.")
    except (OSError, ValueError) as exc:
        raise DataError(f"{path}: cannot read the file ({exc}).") from exc
    if date_column is None:
        named = [c for c in frame.columns if str(c).lower() == "date"]
        if named:
            date_column = named[0]
        elif isinstance(frame.index, pd.DatetimeIndex):
            date_column = None
        else:
            date_column = frame.columns[0]
    if date_column is not None:
        if date_column not in frame.columns:
            raise DataError(f"{path}: no column {date_column!r}; columns: {list(frame.columns)}.")
        frame = frame.set_index(date_column)
    return validate_prices(frame, ffill_limit=ffill_limit, name=str(path))
