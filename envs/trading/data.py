"""Price data for the trading environments: offline datasets, yfinance with a cache, user files.

Every loader returns a *wide* ``DataFrame`` of one price field: a sorted, unique, tz-naive
``DatetimeIndex`` of trading days (named ``date``) and one float column per ticker, every
price positive and finite (see :func:`validate_prices`).

* Offline datasets shipped inside installed wheels (:data:`OFFLINE_DATASETS`, provenance and
  licence in ``data/trading/README.md``): ``skfolio_sp500`` (20 S&P 500 stocks, daily
  adjusted closes 1990-01-02 to 2022-12-28), ``arch_sp500`` and ``arch_nasdaq`` (the S&P 500
  and NASDAQ Composite indices, daily OHLCV 1999-01-04 to 2018-12-31).
* ``source="yfinance"``: downloaded with yfinance and cached as parquet; a cached request is
  read from disk without touching the network. Offline with no cache, the error names the
  cache path and the offline datasets.
* A path to the user's own CSV or parquet file -- wide (one column per ticker), one
  ticker's OHLCV bars, or long (``date, ticker, field...``); see
  :mod:`fieldgym.envs.trading.files` -- validated, with an explicit NaN policy (forward-fill
  up to ``ffill_limit`` consecutive rows, otherwise an error naming the rows).

Timestamps with a time of day are kept where a day has several bars (intraday files);
otherwise bars are named by their date (see :func:`bar_times`).
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from fieldgym.envs.core.errors import DataError
from fieldgym.envs.trading.files import READ_FILE_TYPES, read_price_file
from fieldgym.envs.trading.validation import DEFAULT_FFILL_LIMIT, bar_times, validate_prices

FIELDS = ("open", "high", "low", "close", "volume")
"""Price fields a loader can return (``close`` is adjusted for splits and dividends)."""

OFFLINE_DATASETS: dict[str, str] = {
    "skfolio_sp500": "20 S&P 500 stocks, daily adjusted closes 1990-01-02 to 2022-12-28 "
    "(skfolio.datasets.load_sp500_dataset; close only)",
    "arch_sp500": "S&P 500 index ^GSPC, daily OHLCV 1999-01-04 to 2018-12-31 (arch.data.sp500)",
    "arch_nasdaq": "NASDAQ Composite ^IXIC, daily OHLCV 1999-01-04 to 2018-12-31 "
    "(arch.data.nasdaq)",
}
"""Datasets read from installed wheels, never from the network: name -> what it holds."""

ARCH_TICKERS = {"arch_sp500": "^GSPC", "arch_nasdaq": "^IXIC"}
"""The one ticker of each arch dataset (its Yahoo Finance symbol)."""

__all__ = [
    "DEFAULT_FFILL_LIMIT",
    "OFFLINE_DATASETS",
    "bar_times",
    "is_file_source",
    "load_dataset",
    "load_prices",
    "read_price_file",
    "validate_prices",
]

Transport = Callable[[list[str], str | None, str | None], pd.DataFrame]
"""``transport(tickers, start, end) -> frame`` as ``yfinance.download`` returns it."""


def is_file_source(source: str) -> bool:
    """Whether ``source`` names a price file (by its suffix), not yfinance or a dataset."""
    return source not in OFFLINE_DATASETS and Path(source).suffix.lower() in READ_FILE_TYPES


def offline_hint() -> str:
    """One sentence listing the offline datasets, for error messages."""
    names = "; ".join(f"source={name!r}: {text}" for name, text in OFFLINE_DATASETS.items())
    return f"Offline datasets that need no network: {names}."


# Offline datasets -------------------------------------------------------------------------


def load_dataset(name: str, field: str = "close") -> pd.DataFrame:
    """One price field of an offline dataset (:data:`OFFLINE_DATASETS`), validated.

    Raises:
        DataError: On an unknown dataset or a field the dataset does not have.
    """
    if name not in OFFLINE_DATASETS:
        raise DataError(f"Unknown offline dataset {name!r}. {offline_hint()}")
    _check_field(field)
    if name == "skfolio_sp500":
        if field != "close":
            raise DataError(
                f"{name} holds daily adjusted closes only, not {field!r}; use arch_sp500 or "
                "arch_nasdaq (OHLCV), yfinance, or your own file for other fields."
            )
        frame = pd.read_csv(dataset_file(name), index_col=0)
    else:
        raw = pd.read_csv(dataset_file(name), index_col="Date")
        column = {"close": "Adj Close"}.get(field, field.capitalize())
        frame = raw[[column]].rename(columns={column: ARCH_TICKERS[name]})
    return validate_prices(frame, name=name, allow_zero=field == "volume")


def dataset_file(name: str) -> Path:
    """The compressed CSV of an offline dataset inside its installed wheel.

    The file is located without importing the package (importing skfolio or arch takes
    seconds); :func:`load_dataset` reads it as the package's own loader does (a test checks
    that the two agree).

    Raises:
        DataError: If the package that ships the dataset is not installed.
    """
    package, relative = _DATASET_FILES[name]
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise DataError(
            f"Dataset {name!r} ships in the package {package!r}, which is not installed."
        )
    return Path(next(iter(spec.submodule_search_locations))) / relative


_DATASET_FILES = {
    "skfolio_sp500": ("skfolio", "datasets/data/sp500_dataset.csv.gz"),
    "arch_sp500": ("arch", "data/sp500/sp500.csv.gz"),
    "arch_nasdaq": ("arch", "data/nasdaq/nasdaq.csv.gz"),
}


# yfinance and its cache -------------------------------------------------------------------


def default_cache_dir() -> Path:
    """``$FIELDGYM_CACHE_DIR``, else ``$XDG_CACHE_HOME/fieldgym/prices`` (``~/.cache/...``)."""
    if os.environ.get("FIELDGYM_CACHE_DIR"):
        return Path(os.environ["FIELDGYM_CACHE_DIR"])
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "fieldgym" / "prices"


def cache_path(
    tickers: Sequence[str], start: str | None, end: str | None, cache_dir: str | Path | None
) -> Path:
    """The parquet file holding one yfinance request (all fields of its tickers and dates)."""
    folder = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    names = "-".join(sorted(tickers))
    safe = re.sub(r"[^A-Za-z0-9.-]+", "_", names)
    if len(safe) > 80:
        safe = f"{len(tickers)}tickers-{hashlib.sha1(names.encode()).hexdigest()[:12]}"
    return folder / "yfinance" / f"{safe}_{start or 'first'}_{end or 'last'}.parquet"


def yfinance_transport(tickers: list[str], start: str | None, end: str | None) -> pd.DataFrame:
    """Download daily bars with ``yfinance.download`` (adjusted, one column level per field)."""
    import yfinance

    return yfinance.download(
        tickers,
        start=start,
        end=end,
        interval="1d",
        auto_adjust=True,
        progress=False,
        multi_level_index=True,
        threads=False,
    )


def bars_from_download(frame: pd.DataFrame | None, tickers: Sequence[str]) -> pd.DataFrame:
    """Long bars (``date, ticker, open, high, low, close, volume``) from a yfinance frame.

    Raises:
        DataError: If the frame is empty or lacks a requested ticker.
    """
    if frame is None or frame.empty:
        raise DataError("yfinance returned no rows")
    if isinstance(frame.columns, pd.MultiIndex):
        long = frame.stack(level=-1, future_stack=True)
        long.index = long.index.set_names(["date", "ticker"])
        long = long.reset_index()
    else:  # one ticker without a ticker level
        long = frame.reset_index().rename(columns={frame.index.name or "index": "date"})
        long["ticker"] = tickers[0]
    long.columns = [str(c).lower() for c in long.columns]
    if "close" not in long.columns:
        raise DataError(f"yfinance returned no close prices (columns {list(long.columns)})")
    long = long.dropna(subset=["close"])
    missing = sorted(set(tickers) - set(long["ticker"]))
    if missing:
        raise DataError(f"yfinance returned no prices for {', '.join(missing)}")
    for field in FIELDS:
        if field not in long.columns:
            long[field] = np.nan
    long["date"] = pd.to_datetime(long["date"]).dt.tz_localize(None).dt.normalize()
    return long[["date", "ticker", *FIELDS]].sort_values(["ticker", "date"], ignore_index=True)


def load_prices(
    tickers: str | Sequence[str] | None = None,
    start: str | None = None,
    end: str | None = None,
    source: str = "yfinance",
    *,
    field: str = "close",
    cache_dir: str | Path | None = None,
    offline: bool | None = None,
    refresh: bool = False,
    ffill_limit: int = DEFAULT_FFILL_LIMIT,
    transport: Transport | None = None,
    date_format: str | None = None,
    dayfirst: bool = False,
) -> pd.DataFrame:
    """Daily prices of ``tickers`` from ``start`` to ``end`` (inclusive), one column per ticker.

    Args:
        tickers: Ticker symbols; ``None`` takes every column of an offline dataset or file.
        start: First date (ISO ``YYYY-MM-DD``), or ``None`` for the earliest.
        end: Last date, inclusive, or ``None`` for the latest.
        source: ``"yfinance"``, an offline dataset name (:data:`OFFLINE_DATASETS`), or a
            path to a CSV or parquet file (see :func:`read_price_file`).
        field: ``close`` (adjusted), ``open``, ``high``, ``low`` or ``volume``; a wide
            file holds closes only.
        cache_dir: yfinance cache folder; default :func:`default_cache_dir`.
        offline: Never download; default: ``True`` if ``$FIELDGYM_OFFLINE`` is set.
        refresh: Download again even if the request is cached.
        ffill_limit: The NaN policy of :func:`validate_prices`.
        transport: Replaces :func:`yfinance_transport` (tests pass a recorded response).
        date_format: A file's strftime date format (``'%d/%m/%Y'``); default inferred.
        dayfirst: Read a file's ambiguous dates day first (``01/02/2020``: 1 February).

    Raises:
        DataError: On an unknown ticker or field, an empty date range, invalid data, or,
            for yfinance, when the request is neither cached nor downloadable; that message
            names the cache file and the offline datasets.
    """
    _check_field(field)
    if isinstance(tickers, str):
        tickers = [tickers]
    if (date_format is not None or dayfirst) and not is_file_source(source):
        raise DataError(
            f"date_format and dayfirst say how a price file writes its dates; source={source!r} "
            "is not a file. Remove them."
        )
    if source == "yfinance":
        if not tickers:
            raise DataError("source='yfinance' needs tickers, e.g. tickers=['AAPL', 'MSFT'].")
        frame = _yfinance_field(
            list(tickers), start, end, field, cache_dir, offline, refresh, transport
        )
        frame = validate_prices(
            frame,
            ffill_limit=ffill_limit,
            name=f"yfinance {', '.join(tickers)}",
            allow_zero=field == "volume",
        )
    elif source in OFFLINE_DATASETS:
        frame = load_dataset(source, field)
    elif is_file_source(source):
        frame = read_price_file(
            source,
            field=field,
            ffill_limit=ffill_limit,
            date_format=date_format,
            dayfirst=dayfirst,
        )
    else:
        raise DataError(
            f"source={source!r} is neither 'yfinance', an offline dataset nor a .csv/.parquet "
            f"path. {offline_hint()}"
        )
    if tickers:
        unknown = [t for t in tickers if t not in frame.columns]
        if unknown:
            raise DataError(
                f"{source}: no ticker {', '.join(map(repr, unknown))}; it has: "
                f"{', '.join(frame.columns)}."
            )
        frame = frame[list(tickers)]
    sliced = frame.loc[slice(start, end)]
    if sliced.empty:
        raise DataError(
            f"{source}: no prices between {start or 'the start'} and {end or 'the end'}; it "
            f"covers {frame.index[0].date()} to {frame.index[-1].date()}."
        )
    return sliced


def _yfinance_field(
    tickers: list[str],
    start: str | None,
    end: str | None,
    field: str,
    cache_dir: str | Path | None,
    offline: bool | None,
    refresh: bool,
    transport: Transport | None,
) -> pd.DataFrame:
    path = cache_path(tickers, start, end, cache_dir)
    if offline is None:
        offline = bool(os.environ.get("FIELDGYM_OFFLINE"))
    if path.is_file() and not refresh:
        bars = pd.read_parquet(path)
    elif offline:
        raise DataError(
            f"No cached yfinance prices for {', '.join(tickers)} ({start or 'first'} to "
            f"{end or 'last'}) at {path}, and downloading is off (offline=True or "
            f"$FIELDGYM_OFFLINE). Go online once to fill the cache, or write that parquet file. "
            f"{offline_hint()}"
        )
    else:
        # yfinance treats ``end`` as exclusive; ask for one more day so ``end`` is included.
        stop = None if end is None else str((pd.Timestamp(end) + pd.Timedelta(days=1)).date())
        try:
            raw = (transport or yfinance_transport)(tickers, start, stop)
            bars = bars_from_download(raw, tickers)
        except Exception as exc:  # the transport's network errors vary by version
            raise DataError(
                f"Could not download {', '.join(tickers)} ({start or 'first'} to "
                f"{end or 'last'}) with yfinance ({type(exc).__name__}: {exc}), and there is "
                f"no cached copy at {path}. Check the connection and the symbols, or write "
                f"that parquet file. {offline_hint()}"
            ) from exc
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        bars.to_parquet(tmp, index=False)
        os.replace(tmp, path)
    wide = bars.pivot(index="date", columns="ticker", values=field)
    wide.columns.name = None
    return wide[[t for t in tickers if t in wide.columns]]


def _check_field(field: str) -> None:
    if field not in FIELDS:
        raise DataError(f"field={field!r} is not a price field; choose one of: {FIELDS}.")


def describe_source(source: str) -> dict[str, Any]:
    """What a source is, for reports: its kind and, for offline datasets, what it holds."""
    if source in OFFLINE_DATASETS:
        return {"kind": "offline", "source": source, "holds": OFFLINE_DATASETS[source]}
    if source == "yfinance":
        return {"kind": "yfinance", "cache": str(default_cache_dir())}
    return {"kind": "file", "path": source}
