"""Price data: offline datasets, the yfinance cache (a recorded transport, never the network)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from fieldgym.envs.core.errors import DataError
from fieldgym.envs.trading import data
from fieldgym.envs.trading.data import load_dataset, load_prices, read_price_file, validate_prices


def yfinance_frame(tickers: list[str], start: str, days: int, seed: int = 0) -> pd.DataFrame:
    """A frame shaped as ``yfinance.download(..., multi_level_index=True)`` returns it."""
    rng = np.random.default_rng(seed)
    index = pd.bdate_range(start, periods=days, name="Date")
    columns = pd.MultiIndex.from_product(
        [["Close", "High", "Low", "Open", "Volume"], tickers], names=["Price", "Ticker"]
    )
    values = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, (days, len(columns))), axis=0))
    return pd.DataFrame(values, index=index, columns=columns)


class Recorder:
    """A recorded transport: returns a fixed response and counts the calls."""

    def __init__(self, response: pd.DataFrame | Exception) -> None:
        self.response = response
        self.calls: list[tuple[list[str], str | None, str | None]] = []

    def __call__(self, tickers, start, end):
        self.calls.append((tickers, start, end))
        if isinstance(self.response, Exception):
            raise self.response
        return self.response


def test_offline_datasets_hold_what_they_claim():
    sp = load_dataset("skfolio_sp500")
    assert sp.shape[1] == 20 and "AAPL" in sp.columns
    assert str(sp.index[0].date()) == "1990-01-02" and str(sp.index[-1].date()) == "2022-12-28"
    for name, ticker in data.ARCH_TICKERS.items():
        close = load_dataset(name)
        opens = load_dataset(name, "open")
        assert list(close.columns) == [ticker]
        assert str(close.index[0].date()) == "1999-01-04"
        assert str(close.index[-1].date()) == "2018-12-31"
        assert close.index.equals(opens.index)
    for frame in (sp, load_dataset("arch_nasdaq")):
        assert frame.index.is_monotonic_increasing and frame.index.is_unique
        assert (frame.to_numpy() > 0).all()


def test_offline_source_slices_tickers_and_dates_inclusively():
    frame = load_prices(["MSFT", "KO"], "2019-01-02", "2019-01-31", source="skfolio_sp500")
    assert list(frame.columns) == ["MSFT", "KO"]
    assert frame.index[0] == pd.Timestamp("2019-01-02")
    assert frame.index[-1] == pd.Timestamp("2019-01-31")
    with pytest.raises(DataError, match="no ticker 'TSLA'"):
        load_prices(["TSLA"], source="skfolio_sp500")
    with pytest.raises(DataError, match="adjusted closes only"):
        load_prices(["MSFT"], source="skfolio_sp500", field="open")


def test_yfinance_downloads_once_then_reads_the_cache(tmp_path):
    recorded = Recorder(yfinance_frame(["AAPL", "MSFT"], "2021-01-04", 30))
    first = load_prices(
        ["AAPL", "MSFT"], "2021-01-04", "2021-02-12", cache_dir=tmp_path, transport=recorded
    )
    assert len(recorded.calls) == 1
    # yfinance's end is exclusive: one day is added so that the given end is included
    assert recorded.calls[0] == (["AAPL", "MSFT"], "2021-01-04", "2021-02-13")
    path = data.cache_path(["AAPL", "MSFT"], "2021-01-04", "2021-02-12", tmp_path)
    assert path.is_file()
    offline = load_prices(
        ["AAPL", "MSFT"],
        "2021-01-04",
        "2021-02-12",
        cache_dir=tmp_path,
        offline=True,
        transport=Recorder(ConnectionError("must not be called")),
    )
    pd.testing.assert_frame_equal(first, offline)
    expected = recorded.response["Close"][["AAPL", "MSFT"]]
    np.testing.assert_allclose(offline.to_numpy(), expected.to_numpy())
    opens = load_prices(
        ["AAPL", "MSFT"], "2021-01-04", "2021-02-12", field="open", cache_dir=tmp_path, offline=True
    )
    np.testing.assert_allclose(opens.to_numpy(), recorded.response["Open"].to_numpy())
    refreshed = Recorder(yfinance_frame(["AAPL", "MSFT"], "2021-01-04", 30, seed=1))
    load_prices(
        ["AAPL", "MSFT"],
        "2021-01-04",
        "2021-02-12",
        cache_dir=tmp_path,
        refresh=True,
        transport=refreshed,
    )
    assert len(refreshed.calls) == 1


def test_offline_without_cache_names_the_cache_path_and_offline_datasets(tmp_path):
    path = data.cache_path(["AAPL"], "2020-01-01", "2020-12-31", tmp_path)
    with pytest.raises(DataError) as offline:
        load_prices(["AAPL"], "2020-01-01", "2020-12-31", cache_dir=tmp_path, offline=True)
    failed = Recorder(ConnectionError("Failed to resolve 'query2.finance.yahoo.com'"))
    with pytest.raises(DataError) as unreachable:
        load_prices(["AAPL"], "2020-01-01", "2020-12-31", cache_dir=tmp_path, transport=failed)
    for error in (offline, unreachable):
        message = str(error.value)
        assert str(path) in message
        for name in data.OFFLINE_DATASETS:
            assert name in message
    assert "ConnectionError" in str(unreachable.value)
    assert not path.exists()


def test_empty_or_partial_download_is_an_error_not_a_cache_entry(tmp_path):
    empty = Recorder(pd.DataFrame())
    with pytest.raises(DataError, match="no rows"):
        load_prices(["AAPL"], "2020-01-01", "2020-02-01", cache_dir=tmp_path, transport=empty)
    partial = Recorder(yfinance_frame(["AAPL"], "2020-01-02", 10))
    with pytest.raises(DataError, match="no prices for ZZZZ"):
        load_prices(
            ["AAPL", "ZZZZ"], "2020-01-01", "2020-02-01", cache_dir=tmp_path, transport=partial
        )
    assert not list(tmp_path.rglob("*.parquet"))


def test_default_transport_calls_yfinance_download(tmp_path, monkeypatch):
    import yfinance

    calls = []

    def fake_download(tickers, **kwargs):
        calls.append((tickers, kwargs))
        return yfinance_frame(["SPY"], "2022-03-01", 5)

    monkeypatch.setattr(yfinance, "download", fake_download)
    frame = load_prices("SPY", "2022-03-01", "2022-03-07", cache_dir=tmp_path)
    assert list(frame.columns) == ["SPY"] and len(frame) == 5
    assert calls[0][1]["auto_adjust"] is True and calls[0][1]["end"] == "2022-03-08"


def write_csv(tmp_path, rows: list[tuple[str, float, float]]) -> str:
    frame = pd.DataFrame(rows, columns=["date", "A", "B"])
    path = tmp_path / "prices.csv"
    frame.to_csv(path, index=False)
    return str(path)


def test_user_csv_must_have_sorted_unique_dates_and_positive_prices(tmp_path):
    unsorted = write_csv(
        tmp_path, [("2020-01-02", 1, 1), ("2020-01-06", 1, 1), ("2020-01-03", 1, 1)]
    )
    with pytest.raises(DataError, match=r"not sorted.*2020-01-03"):
        read_price_file(unsorted)
    repeated = write_csv(
        tmp_path, [("2020-01-02", 1, 1), ("2020-01-02", 1, 1), ("2020-01-03", 1, 1)]
    )
    with pytest.raises(DataError, match=r"not unique.*2020-01-02"):
        read_price_file(repeated)
    negative = write_csv(
        tmp_path, [("2020-01-02", 1, 1), ("2020-01-03", -1, 1), ("2020-01-06", 1, 0)]
    )
    with pytest.raises(
        DataError, match=r"zero or negative prices at 2020-01-03, 2020-01-06 \(columns A, B\)"
    ):
        read_price_file(negative)


def test_nan_policy_fills_short_gaps_and_names_the_rows_of_long_ones(tmp_path):
    dates = pd.bdate_range("2020-01-01", periods=10)
    frame = pd.DataFrame({"A": np.arange(1.0, 11.0), "B": np.arange(1.0, 11.0)}, index=dates)
    frame.iloc[2:4, 0] = np.nan  # two missing days in A
    filled = validate_prices(frame, ffill_limit=2)
    assert filled["A"].tolist()[:5] == [1.0, 2.0, 2.0, 2.0, 5.0]
    with pytest.raises(DataError, match=r"at 2020-01-06, in columns A"):
        validate_prices(frame, ffill_limit=1)  # the second missing day is not filled
    with pytest.raises(DataError, match=r"2020-01-03, 2020-01-06"):
        validate_prices(frame, ffill_limit=0)
    frame.iloc[0, 1] = np.nan  # a column starting with NaN has nothing to fill from
    with pytest.raises(DataError, match=r"at 2020-01-01, in columns B"):
        validate_prices(frame, ffill_limit=5)


def test_user_parquet_file_is_a_source(tmp_path):
    prices = load_prices(["AAPL", "KO"], "2018-01-02", "2018-03-30", source="skfolio_sp500")
    path = tmp_path / "mine.parquet"
    prices.to_parquet(path)
    again = load_prices(["KO"], "2018-02-01", "2018-02-28", source=str(path))
    pd.testing.assert_frame_equal(again, prices.loc["2018-02-01":"2018-02-28", ["KO"]])
    with pytest.raises(DataError, match="neither 'yfinance'"):
        load_prices(source="nowhere")
