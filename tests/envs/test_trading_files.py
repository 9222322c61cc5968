"""Market data as people have it: OHLCV and long files, day-first and intraday dates,
short data, stale opens. Every file is tiny and written to ``tmp_path``."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pandas as pd
import pytest

import fieldgym  # noqa: F401
from fieldgym.envs.core.errors import ConfigError, DataError
from fieldgym.envs.trading.data import load_prices
from fieldgym.envs.trading.market import (
    StaleOpenWarning,
    price_history,
    stale_opens,
    stale_stretches,
)

STOCK = "fieldgym/StockTrading-v1"
PORTFOLIO = "fieldgym/PortfolioAllocation-v1"


def bars(days: int, seed: int = 0, start: str = "2020-01-01") -> pd.DataFrame:
    """Daily OHLCV bars as Yahoo exports them (dividend-adjusted Adj Close)."""
    rng = np.random.default_rng(seed)
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, days)))
    opens = close * np.exp(rng.normal(0, 0.005, days))
    return pd.DataFrame(
        {
            "Date": pd.bdate_range(start, periods=days).strftime("%Y-%m-%d"),
            "Open": opens,
            "High": np.maximum(opens, close) * 1.01,
            "Low": np.minimum(opens, close) * 0.99,
            "Close": close,
            "Adj Close": close * np.linspace(0.95, 1.0, days),  # dividends paid over time
            "Volume": rng.integers(1_000, 2_000, days),
        }
    )


def test_ohlcv_file_is_one_tickers_bars_on_the_adjusted_basis(tmp_path):
    frame = bars(60)
    path = tmp_path / "SPY.csv"
    frame.to_csv(path, index=False)
    close = load_prices(source=str(path))
    assert list(close.columns) == ["SPY"]  # not Open, High, Low, Close, Adj Close, Volume
    np.testing.assert_allclose(close["SPY"], frame["Adj Close"])
    factor = frame["Adj Close"] / frame["Close"]
    opens = load_prices(source=str(path), field="open")
    np.testing.assert_allclose(opens["SPY"], frame["Open"] * factor)
    volume = load_prices(source=str(path), field="volume")
    np.testing.assert_array_equal(volume["SPY"], frame["Volume"])
    assert load_prices("SPY", "2020-01-06", "2020-01-10", source=str(path)).shape == (5, 1)


def test_next_open_fills_work_on_an_ohlcv_file(tmp_path):
    frame = bars(80).drop(columns="Adj Close")
    path = tmp_path / "ACME.csv"
    frame.to_csv(path, index=False)
    env = gym.make(STOCK, source=str(path), mode="backtest", slippage=0.0)  # fill="next_open"
    _, info = env.reset(seed=0)
    day = list(frame["Date"]).index(info["date"])
    _, _, _, _, step = env.step(2)
    assert step["date"] == frame["Date"][day + 1]
    assert step["kpi"]["fill_price"] == pytest.approx(frame["Open"][day + 1])
    assert env.unwrapped.system.ticker == "ACME"


def test_long_file_holds_many_tickers_and_their_opens(tmp_path):
    one, two = bars(40, seed=1), bars(40, seed=2)
    long = pd.concat([one.assign(ticker="AAA"), two.assign(ticker="BBB")])
    long = long.sort_values(["Date", "ticker"]).drop(columns="Adj Close")
    path = tmp_path / "universe.csv"
    long.rename(columns=str.lower).to_csv(path, index=False)
    close = load_prices(source=str(path))
    assert list(close.columns) == ["AAA", "BBB"]
    np.testing.assert_allclose(close["BBB"], two["Close"])
    opens = load_prices(["BBB"], source=str(path), field="open")
    np.testing.assert_allclose(opens["BBB"], two["Open"])
    env = gym.make(PORTFOLIO, source=str(path), mode="backtest")
    assert env.unwrapped.tickers == ("AAA", "BBB")
    repeated = pd.concat([long, long.iloc[[3]]]).sort_values(["Date", "ticker"])
    repeated.to_csv(path, index=False)
    with pytest.raises(DataError, match=r"two rows with the same timestamp: BBB at 2020-01-02"):
        load_prices(source=str(path))


def test_bad_bar_files_name_the_file_and_the_fix(tmp_path):
    path = tmp_path / "X.csv"
    bars(30).drop(columns="Close").to_csv(path, index=False)
    with pytest.raises(DataError, match=r"X.csv: it has Adj Close but no Close.*add the Close"):
        load_prices(source=str(path), field="open")
    bars(30).assign(ticker="X", exchange="NYSE").to_csv(path, index=False)
    with pytest.raises(DataError, match=r"X.csv: a long file .* unknown columns: exchange"):
        load_prices(source=str(path))
    wide = pd.DataFrame({"date": bars(30)["Date"], "A": 1.0, "B": 2.0})
    wide.to_csv(path, index=False)
    pd.testing.assert_index_equal(load_prices(source=str(path)).columns, pd.Index(["A", "B"]))
    with pytest.raises(DataError, match=r"X.csv is a wide file .* fill='next_close'"):
        load_prices(source=str(path), field="open")


def short_file(tmp_path, rows: int) -> str:
    path = tmp_path / f"short{rows}.csv"
    bars(rows)[["Date", "Close"]].rename(columns={"Close": "A"}).to_csv(path, index=False)
    return str(path)


@pytest.mark.parametrize("rows", [2, 28, 31])
def test_data_too_short_for_one_step_is_a_data_error_naming_the_rows(tmp_path, rows):
    source = short_file(tmp_path, rows)
    with pytest.raises(DataError, match=rf"{rows} rows of prices .* needs 37 \(35 rows"):
        gym.make(STOCK, source=source, fill="next_close", mode="backtest")
    window = {"window": 30}
    with pytest.raises(DataError, match=rf"{rows} rows of prices .* needs 32 \(30 rows"):
        gym.make(PORTFOLIO, source=source, mode="backtest", **window)
    assert gym.make(STOCK, source=short_file(tmp_path, 37), fill="next_close", mode="backtest")
    assert gym.make(PORTFOLIO, source=short_file(tmp_path, 32), mode="backtest", **window)


def test_too_short_date_ranges_are_data_errors_naming_the_rows():
    with pytest.raises(DataError, match=r"24 rows of prices up to end='1999-02-05'.* needs 37"):
        gym.make(STOCK, end="1999-02-05", mode="backtest")
    with pytest.raises(DataError, match=r"a step needs 2 rows .* the range gives 1"):
        gym.make(PORTFOLIO, start="2022-12-28", mode="backtest")


def test_day_first_dates_read_with_date_format_or_dayfirst(tmp_path):
    frame = bars(60)[["Date", "Close"]].rename(columns={"Close": "A"})
    dates = pd.to_datetime(frame["Date"])
    frame["Date"] = dates.dt.strftime("%d/%m/%Y")
    path = tmp_path / "european.csv"
    frame.to_csv(path, index=False)
    with pytest.raises(DataError, match=r"european.csv: the dates cannot be parsed.*'%d/%m/%Y'"):
        load_prices(source=str(path))
    for options in ({"date_format": "%d/%m/%Y"}, {"dayfirst": True}):
        read = load_prices(source=str(path), **options)
        assert read.index.equals(pd.DatetimeIndex(dates))
        env = gym.make(PORTFOLIO, source=str(path), mode="backtest", **options)
        assert env.reset(seed=0)[1]["date"] == "2020-01-30"  # 21 days of warm-up
    with pytest.raises(DataError, match="not a file"):
        load_prices(["KO"], source="skfolio_sp500", dayfirst=True)
    with pytest.raises(ConfigError, match=r"source='arch_sp500' is not a .csv/.parquet file"):
        gym.make(STOCK, date_format="%d/%m/%Y")
    with pytest.raises(ConfigError, match="not both"):
        gym.make(PORTFOLIO, source=str(path), date_format="%d/%m/%Y", dayfirst=True)
    with pytest.raises(ConfigError, match="strftime"):
        gym.make(PORTFOLIO, source=str(path), date_format="dd/mm/yyyy")
    with pytest.raises(ConfigError, match="Did you mean 'date_format'"):
        gym.make(PORTFOLIO, source=str(path), date_fromat="%d/%m/%Y")


def test_intraday_bars_keep_their_time_of_day(tmp_path):
    stamps = pd.date_range("2020-01-02 09:00", periods=60, freq="h")
    close = 100 * np.exp(np.cumsum(np.random.default_rng(0).normal(0, 0.002, 60)))
    frame = pd.DataFrame({"date": stamps, "open": close * 1.0005, "close": close})
    path = tmp_path / "hourly.csv"
    frame.to_csv(path, index=False)
    read = load_prices(source=str(path))
    assert read.index.equals(stamps)
    env = gym.make(STOCK, source=str(path), mode="backtest")
    _, info = env.reset(seed=0)
    assert info["date"] == str(stamps[35])  # 35 bars of warm-up, each named by its hour
    pd.concat([frame, frame.iloc[[7]]]).sort_values("date").to_csv(path, index=False)
    with pytest.raises(DataError, match=r"same timestamp: hourly at 2020-01-02 16:00:00, hourly"):
        load_prices(source=str(path))
    daily = pd.DataFrame({"date": pd.bdate_range("2020-01-01", periods=5) + pd.Timedelta("16h")})
    daily.assign(A=1.0).to_csv(path, index=False)
    assert load_prices(source=str(path)).index[0] == pd.Timestamp("2020-01-01")  # as before


def test_arch_sp500_opens_are_stale_from_1999_to_2006():
    history = price_history("arch_sp500", None, None, ("close", "open"))
    stale = stale_opens(history.fields["open"][:, 0], history.close[:, 0])
    dates = history.dates
    first, last = stale_stretches(stale)[0]
    assert str(dates[first].date()) <= "1999-01-08" and str(dates[last].date()) > "2006-03-01"
    assert stale[first : last + 1].mean() > 0.95


def test_stale_opens_warn_and_next_open_or_close_fills_them_at_the_close(tmp_path):
    frame = bars(300).drop(columns="Adj Close")
    frame.loc[1:149, "Open"] = frame["Close"].shift(1)[1:150]  # the first half copies closes
    path = tmp_path / "STALE.csv"
    frame.to_csv(path, index=False)
    with pytest.warns(StaleOpenWarning, match=r"on 50% of bars .* 2020-01-02 to 2020-07-2\d"):
        gym.make(STOCK, source=str(path), mode="backtest")
    env = gym.make(STOCK, source=str(path), fill="next_open_or_close", slippage=0.0)
    system = env.unwrapped.system
    fills = system.fill
    np.testing.assert_allclose(fills[1:150], frame["Close"][1:150])
    np.testing.assert_allclose(fills[150:], frame["Open"][150:])
    env.reset(seed=0)
    day = system.row()
    _, _, _, _, info = env.step(2)
    assert info["kpi"]["fill_price"] == pytest.approx(fills[day + 1])
    with pytest.raises(ConfigError, match="next_close"):
        gym.make(STOCK, source="skfolio_sp500", ticker="KO", fill="next_open_or_close")
