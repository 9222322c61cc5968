"""StockTrading-v1: next-bar fills, costs in the reward, no look-ahead, buy-and-hold."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pandas as pd
import pytest

import fieldgym  # noqa: F401
from fieldgym.agents import EnvTarget, evaluate, make_agent
from fieldgym.envs.core.errors import ConfigError
from fieldgym.envs.trading import data

ENV_ID = "fieldgym/StockTrading-v1"
END = "2012-12-31"


@pytest.fixture(scope="module")
def bars() -> pd.DataFrame:
    """arch's S&P 500 bars up to END, in the long format of the yfinance cache."""
    frame = pd.read_csv(data.dataset_file("arch_sp500"), index_col="Date", parse_dates=True)
    frame = frame.loc[:END, ["Open", "High", "Low", "Adj Close", "Volume"]]
    frame.columns = ["open", "high", "low", "close", "volume"]
    frame.index.name = "date"
    long = frame.reset_index()
    long.insert(1, "ticker", "SPX")
    return long


def cached(bars: pd.DataFrame, folder) -> dict:
    """Env fields reading ``bars`` from a yfinance cache in ``folder`` (no network)."""
    path = data.cache_path(["SPX"], None, END, folder)
    path.parent.mkdir(parents=True)
    bars.to_parquet(path, index=False)
    return {"source": "yfinance", "ticker": "SPX", "end": END, "cache_dir": str(folder)}


def test_decision_after_bar_t_fills_at_next_open_with_costs_in_the_reward(bars, tmp_path):
    env = gym.make(
        ENV_ID,
        **cached(bars, tmp_path),
        mode="backtest",
        start="2010-01-04",
        cost_rate=0.001,
        slippage=0.0005,
    )
    prices = bars.set_index("date")
    _, info = env.reset(seed=0)
    day = prices.index.get_loc(pd.Timestamp(info["date"]))
    wealth = 10_000.0
    shares, cash = 0.0, 10_000.0
    for action, target in ((2, 1.0), (0, -1.0), (1, 0.0), (2, 1.0)):
        opened, closed = prices["open"].iloc[day + 1], prices["close"].iloc[day + 1]
        at_fill = cash + shares * opened
        new_shares = target * at_fill / opened
        delta = new_shares - shares
        executed = opened * (1.0005 if delta > 0 else 0.9995)
        cash = cash - delta * executed - 0.001 * abs(delta) * opened
        shares = new_shares
        after = cash + shares * closed
        _, reward, _, _, info = env.step(action)
        assert info["date"] == str(prices.index[day + 1].date())
        assert info["kpi"]["fill_price"] == pytest.approx(executed)
        assert reward == pytest.approx(np.log(after / wealth), abs=1e-12)
        assert info["kpi"]["cost"] == pytest.approx(abs(delta) * opened * 0.0015)
        wealth, day = after, day + 1
    assert info["kpi"]["value"] == pytest.approx(wealth / 10_000.0)


def run(fields: dict, actions: np.ndarray) -> tuple[list, list, list]:
    env = gym.make(ENV_ID, **fields, mode="backtest", start="2005-01-03", max_episode_steps=-1)
    observation, info = env.reset(seed=0)
    observations, rewards, dates = [observation], [], [info["date"]]
    for action in actions:
        observation, reward, terminated, truncated, info = env.step(int(action))
        observations.append(observation)
        rewards.append(reward)
        dates.append(info["date"])
        if terminated or truncated:
            break
    return observations, rewards, dates


def test_changing_future_bars_leaves_every_earlier_observation_unchanged(bars, tmp_path):
    rng = np.random.default_rng(0)
    actions = rng.integers(0, 3, 2000)
    cutoff = pd.Timestamp("2008-06-02")
    changed = bars.copy()
    future = changed["date"] > cutoff
    for field in ("open", "close"):
        changed.loc[future, field] *= rng.uniform(0.9, 1.1, future.sum())
    indicators = {"indicators": ["rsi_14", "macd", "volatility_21", "sma_ratio_20", "overnight"]}
    first = run({**cached(bars, tmp_path / "a"), **indicators}, actions)
    second = run({**cached(changed, tmp_path / "b"), **indicators}, actions)
    assert first[2] == second[2]
    known = [pd.Timestamp(d) <= cutoff for d in first[2]]
    assert 200 < sum(known) < len(known) - 200
    for k, seen in enumerate(known):
        if seen:
            np.testing.assert_array_equal(first[0][k], second[0][k], err_msg=first[2][k])
            if k:
                assert first[1][k - 1] == second[1][k - 1]
    assert any(not np.array_equal(first[0][k], second[0][k]) for k, s in enumerate(known) if not s)


def test_close_only_data_fills_at_the_next_close():
    with pytest.raises(ConfigError, match="next_close"):
        gym.make(ENV_ID, source="skfolio_sp500", ticker="MSFT")
    env = gym.make(
        ENV_ID,
        source="skfolio_sp500",
        ticker="MSFT",
        fill="next_close",
        mode="backtest",
        start="2015-01-02",
        slippage=0.0,
    )
    prices = data.load_prices("MSFT", source="skfolio_sp500")["MSFT"]
    _, info = env.reset(seed=0)
    _, _, _, _, step = env.step(2)
    day = prices.index.get_loc(pd.Timestamp(info["date"]))
    assert step["kpi"]["fill_price"] == pytest.approx(prices.iloc[day + 1])


def test_pnl_sums_to_the_change_of_wealth_and_rewards_differ_by_name():
    fields = {"mode": "backtest", "start": "2003-01-02", "max_episode_steps": 300}
    totals = {}
    for reward in ("pnl", "log_return", "differential_sharpe"):
        env = gym.make(ENV_ID, reward=reward, **fields)
        env.reset(seed=0)
        rng = np.random.default_rng(5)
        rewards = []
        for action in rng.integers(0, 3, 300):
            _, r, _, _, info = env.step(int(action))
            rewards.append(r)
        totals[reward] = rewards
        final = info["kpi"]["value"]
    assert sum(totals["pnl"]) == pytest.approx((final - 1.0) * 10_000.0)
    assert sum(totals["log_return"]) == pytest.approx(np.log(final))
    assert np.corrcoef(totals["pnl"], totals["differential_sharpe"])[0, 1] > 0.5


def test_buy_and_hold_earns_the_asset_from_the_first_fill():
    target = EnvTarget(
        ENV_ID,
        {
            "mode": "backtest",
            "start": "2009-03-02",
            "end": "2018-12-31",
            "cost_rate": 0.0,
            "slippage": 0.0,
        },
    )
    table, episodes = evaluate(
        make_agent("buy_and_hold", target), seeds=[0], max_steps=100_000, keep_episodes=True
    )
    kpis = episodes[0].kpis
    close = data.load_prices("^GSPC", None, "2018-12-31", source="arch_sp500")["^GSPC"]
    opens = data.load_prices("^GSPC", None, "2018-12-31", source="arch_sp500", field="open")
    first_fill = kpis["fill_price"][0]
    assert first_fill in opens["^GSPC"].to_numpy()
    assert kpis["value"][-1] == pytest.approx(close.iloc[-1] / first_fill)
    assert table["turnover"].iloc[0] == pytest.approx(252 / len(kpis["value"]))  # one buy
    assert table["sharpe"].iloc[0] > 0.5
