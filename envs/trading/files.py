"""The user's own price files (CSV or parquet) in the three layouts people have them in.

* **Wide**: a date column and one column of prices per ticker, all of one field (read as
  closes). Any table that is not one of the two below is wide.
* **Bars** of one ticker (OHLCV, as Yahoo Finance and most vendors export): a date column
  and columns named after bar fields -- ``Open``, ``High``, ``Low``, ``Close``,
  ``Adj Close``, ``Volume`` (case, spaces and underscores do not matter; yfinance's
  ``Dividends``, ``Stock Splits`` and ``Capital Gains`` are read past) -- at least two of
  them, one a close. The ticker is the file's name without its suffix (``SPY.csv``:
  ``SPY``).
* **Long**: a date column, a ``ticker`` (or ``symbol``) column and bar-field columns, one
  row per ticker and bar: many tickers' bars in one file.

An adjusted close (``Adj Close``) is the close where a file has one, and the file's open,
high and low are scaled by ``Adj Close / Close`` so that every price of a bar is on the same
split- and dividend-adjusted basis (as ``yfinance.download(auto_adjust=True)`` does);
volume is read as it is.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from fieldgym.envs.core.errors import DataError
from fieldgym.envs.trading.validation import (
    DEFAULT_FFILL_LIMIT,
    parse_dates,
    row_labels,
    validate_prices,
)

BAR_FIELDS = ("open", "high", "low", "close", "volume")
"""The fields a bars or long file can give (``close`` adjusted if the file has ``Adj Close``)."""

ADJUSTED_CLOSE = "adjclose"
IGNORED_FIELDS = ("dividends", "stocksplits", "capitalgains")
"""Columns of yfinance's ``Ticker.history`` export that no environment reads."""

TICKER_COLUMNS = ("ticker", "symbol")
READ_FILE_TYPES = (".csv", ".gz", ".txt", ".parquet", ".pq")


def column_key(name: object) -> str:
    """A column's name as a bar field: lower case without spaces and underscores."""
    return re.sub(r"[\s_]+", "", str(name).lower())


def read_price_file(
    path: str | Path,
    *,
    field: str = "close",
    ffill_limit: int = DEFAULT_FFILL_LIMIT,
    date_column: str | None = None,
    date_format: str | None = None,
    dayfirst: bool = False,
) -> pd.DataFrame:
    """One field of the user's price file, wide (one column per ticker) and validated.

    Args:
        path: A ``.csv`` (optionally ``.gz``) or ``.parquet`` file in one of the layouts of
            this module.
        field: ``close``, ``open``, ``high``, ``low`` or ``volume``; a wide file holds
            closes only.
        ffill_limit: The NaN policy of :func:`validate_prices`.
        date_column: The column of dates; default a column named ``date`` or ``Date``,
            else (parquet) a datetime index, else the first column.
        date_format: strftime format of the dates (``'%d/%m/%Y'``); default inferred.
        dayfirst: Read ambiguous dates day first (``01/02/2020`` is 1 February).

    Raises:
        DataError: If the file is missing or unreadable, lacks the field, repeats a
            ticker's timestamp, or fails :func:`validate_prices`; each message names the
            file and what to change.
    """
    path = Path(path)
    table = read_table(path)
    dates, values = split_dates(table, path, date_column)
    dates = parse_dates(dates, str(path), date_format=date_format, dayfirst=dayfirst)
    keys = [column_key(c) for c in values.columns]
    if any(key in TICKER_COLUMNS for key in keys):
        bars = long_bars(values, keys, path)
    elif is_bars(keys):
        bars = values.set_axis(keys, axis=1).assign(ticker=ticker_of(path))
    else:
        if field != "close":
            raise DataError(
                f"{path} is a wide file (one column of prices per ticker: "
                f"{', '.join(map(str, values.columns))}), read as closes; it has no "
                f"{field!r} prices. Give a file with an Open column (OHLCV bars of one "
                "ticker, or long: date, ticker, open, ..., close), or use fill='next_close'."
            )
        return validate_prices(values.set_axis(dates), ffill_limit=ffill_limit, name=str(path))
    return bar_field(bars, dates, field, path, ffill_limit)


def read_table(path: Path) -> pd.DataFrame:
    """The file's table, as pandas reads it.

    Raises:
        DataError: If the file is missing, of an unknown type or unreadable.
    """
    if not path.is_file():
        raise DataError(f"{path}: no such price file.")
    suffix = path.suffix.lower()
    if suffix not in READ_FILE_TYPES:
        raise DataError(f"{path}: unknown file type; give a .csv or .parquet file.")
    try:
        if suffix in (".parquet", ".pq"):
            return pd.read_parquet(path)
        return pd.read_csv(path)
    except (OSError, ValueError) as exc:
        raise DataError(f"{path}: cannot read the file ({exc}).") from exc


def split_dates(
    table: pd.DataFrame, path: Path, date_column: str | None
) -> tuple[pd.Index, pd.DataFrame]:
    """The date values and the other columns (with a fresh row index).

    Raises:
        DataError: If ``date_column`` is not a column.
    """
    if date_column is None:
        named = [c for c in table.columns if str(c).lower() == "date"]
        if named:
            date_column = named[0]
        elif isinstance(table.index, pd.DatetimeIndex):
            return table.index, table.reset_index(drop=True)
        else:
            date_column = table.columns[0]
    if date_column not in table.columns:
        raise DataError(f"{path}: no column {date_column!r}; columns: {list(table.columns)}.")
    values = table.drop(columns=date_column).reset_index(drop=True)
    return pd.Index(table[date_column]), values


def is_bars(keys: list[str]) -> bool:
    """Whether columns with these keys are one ticker's bars (OHLCV), not wide tickers.

    Every column must be a bar field, at least two of them, one a close: a lone ``Close``
    column stays a wide file of one ticker named ``Close``, as it always was.
    """
    known = {*BAR_FIELDS, ADJUSTED_CLOSE, *IGNORED_FIELDS}
    closes = {"close", ADJUSTED_CLOSE} & set(keys)
    return len(keys) >= 2 and set(keys) <= known and bool(closes)


def ticker_of(path: Path) -> str:
    """The ticker of a one-ticker bars file: its name without suffixes (``^GSPC.csv.gz``)."""
    name = path.name.removesuffix(".gz") if path.suffix.lower() == ".gz" else path.name
    return Path(name).stem


def long_bars(values: pd.DataFrame, keys: list[str], path: Path) -> pd.DataFrame:
    """A long file's columns as ``ticker`` and bar-field keys.

    Raises:
        DataError: On two ticker columns, a column that is no bar field, or no close.
    """
    tickers = [key for key in keys if key in TICKER_COLUMNS]
    if len(tickers) > 1:
        raise DataError(f"{path}: give one ticker column (ticker or symbol), not {tickers}.")
    known = {*BAR_FIELDS, ADJUSTED_CLOSE, *IGNORED_FIELDS, *TICKER_COLUMNS}
    unknown = [str(c) for c, key in zip(values.columns, keys, strict=True) if key not in known]
    if unknown or not {"close", ADJUSTED_CLOSE} & set(keys):
        raise DataError(
            f"{path}: a long file (it has a {tickers[0]!r} column) holds date, ticker and "
            "bar-field columns (open, high, low, close, adj close, volume), one a close; "
            + (f"unknown columns: {', '.join(unknown)}." if unknown else "it has no close.")
        )
    frame = values.set_axis(keys, axis=1).rename(columns={tickers[0]: "ticker"})
    return frame.assign(ticker=frame["ticker"].astype(str))


def bar_field(
    bars: pd.DataFrame, dates: pd.DatetimeIndex, field: str, path: Path, ffill_limit: int
) -> pd.DataFrame:
    """One validated field of long bars, wide, on the adjusted basis if there is one.

    Raises:
        DataError: If the field is missing, if opens (highs, lows) come with an adjusted
            close but no raw close to scale them by, or as :func:`validate_prices`.
    """

    def read(key: str) -> pd.DataFrame:
        return validate_prices(
            pivot_field(bars, dates, key, path),
            ffill_limit=ffill_limit,
            name=f"{path}, {key!r} column",
            allow_zero=key == "volume",
        )

    if ADJUSTED_CLOSE not in bars.columns or field == "volume":
        return read(field)
    if field == "close":
        return read(ADJUSTED_CLOSE)
    if "close" not in bars.columns:
        raise DataError(
            f"{path}: it has Adj Close but no Close, so its {field!r} prices cannot be put on "
            "the adjusted basis; add the Close column, or drop Adj Close."
        )
    return read(field) * (read(ADJUSTED_CLOSE) / read("close"))


def pivot_field(
    bars: pd.DataFrame, dates: pd.DatetimeIndex, field: str, path: Path
) -> pd.DataFrame:
    """One column of long bars as a wide frame: dates by tickers, in first-seen order.

    Raises:
        DataError: If the field is missing, or a ticker has two rows at one timestamp.
    """
    if field not in bars.columns:
        fix = "use fill='next_close'" if field == "open" else "choose another field"
        raise DataError(
            f"{path}: no {field!r} column (columns: {', '.join(bars.columns)}). Add it, or {fix}."
        )
    rows = pd.DataFrame({"date": dates, "ticker": bars["ticker"].to_numpy()})
    repeated = rows.duplicated(keep=False).to_numpy()
    if repeated.any():
        labels = pd.Index(rows["ticker"] + " at " + dates.astype(str))
        where = row_labels(labels, repeated)
        raise DataError(
            f"{path}: a ticker has two rows with the same timestamp: {where}. Drop the "
            "repeated rows."
        )
    rows[field] = bars[field].to_numpy()
    wide = rows.pivot(index="date", columns="ticker", values=field)
    wide.columns.name = None
    return wide[list(dict.fromkeys(rows["ticker"]))]
