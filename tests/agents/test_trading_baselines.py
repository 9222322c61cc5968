"""Portfolio baselines against skfolio's own answers, and the metrics against skfolio's."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from skfolio import Portfolio
from skfolio.model_selection import WalkForward, cross_val_predict
from skfolio.optimization import EqualWeighted, HierarchicalRiskParity, MeanRisk, ObjectiveFunction

from fieldgym.agents import EnvTarget, evaluate, make_agent
from fieldgym.envs.trading.data import load_prices
from fieldgym.envs.trading.metrics import returns_metrics

ENV_ID = "fieldgym/PortfolioAllocation-v1"
TICKERS = ["AAPL", "BAC", "JNJ", "KO", "MSFT", "PG", "WMT", "XOM"]


def backtest_target(**fields) -> EnvTarget:
    return EnvTarget(
        ENV_ID,
        {
            "tickers": TICKERS,
            "mode": "backtest",
            "start": "2019-01-02",
            "end": "2019-12-31",
            **fields,
        },
    )


def run(policy, **make) -> tuple[pd.Series, list]:
    env = policy.target.make(max_episode_steps=-1, **make)
    _, info = env.reset(seed=0)
    policy.reset(0)
    first = info["date"]
    returns, infos, done = [], [], False
    observation = env.reset(seed=0)[0]
    while not done:
        observation, _, terminated, truncated, info = env.step(policy.act(observation))
        returns.append((info["date"], info["kpi"]["return"]))
        infos.append(info)
        done = terminated or truncated
    series = pd.Series(dict(returns))
    series.index = pd.DatetimeIndex(series.index)
    series.attrs["first"] = first
    return series, infos


@pytest.mark.parametrize("cost_rate", [0.0, 0.002])
def test_equal_weight_backtest_equals_skfolio_equal_weighted(cost_rate):
    policy = make_agent("equal_weight", backtest_target(cost_rate=cost_rate))
    ours, _ = run(policy)
    prices = load_prices(TICKERS, None, "2019-12-31", source="skfolio_sp500")
    returns = prices.pct_change().iloc[1:]
    # skfolio's walk-forward: rebalance to 1/N every day from the drifted weights, paying
    # transaction_costs * turnover in the period; its first (training) row is the day the
    # environment makes its first decision.
    window = returns.loc[ours.attrs["first"] :]
    path = cross_val_predict(
        EqualWeighted(portfolio_params={"transaction_costs": cost_rate}),
        window,
        cv=WalkForward(train_size=1, test_size=1),
        portfolio_params={"weight_drift": True},
    )
    theirs = pd.Series(path.returns, index=pd.DatetimeIndex(path.observations))
    assert len(ours) == len(theirs) == 251  # 2019's trading days after the first decision
    pd.testing.assert_index_equal(ours.index, theirs.index)
    np.testing.assert_allclose(ours.to_numpy(), theirs.to_numpy(), rtol=0, atol=1e-12)


def test_buy_and_hold_drifts_as_skfolio_with_weight_drift_and_trades_once():
    policy = make_agent("buy_and_hold", backtest_target(cost_rate=0.0))
    ours, infos = run(policy)
    prices = load_prices(TICKERS, None, "2019-12-31", source="skfolio_sp500")
    window = prices.pct_change().loc[ours.index]
    held = Portfolio(window, weights=np.full(len(TICKERS), 1 / len(TICKERS)), weight_drift=True)
    np.testing.assert_allclose(ours.to_numpy(), held.returns, atol=1e-6)
    turnover = [info["kpi"]["turnover"] for info in infos]
    assert turnover[0] == pytest.approx(1.0)
    assert max(turnover[1:]) < 1e-5  # float32 rounding of the observed weights only
    growth = prices.loc[ours.index[-1]] / prices.loc[ours.attrs["first"]]
    assert infos[-1]["kpi"]["value"] == pytest.approx(growth.mean(), rel=1e-5)


@pytest.mark.parametrize(
    ("name", "estimator"),
    [
        ("min_variance", MeanRisk()),
        ("max_sharpe", MeanRisk(objective_function=ObjectiveFunction.MAXIMIZE_RATIO)),
        ("hrp", HierarchicalRiskParity()),
    ],
)
def test_estimating_baselines_fit_skfolio_on_the_trailing_window_only(name, estimator):
    policy = make_agent(name, backtest_target(), lookback=126, rebalance_every=63)
    env = policy.target.make(max_episode_steps=-1)
    observation, info = env.reset(seed=0)
    policy.reset(0)
    action = policy.act(observation)
    prices = load_prices(TICKERS, None, info["date"], source="skfolio_sp500")
    estimator.fit((prices.pct_change().iloc[-126:]).to_numpy())
    np.testing.assert_allclose(action[:-1], estimator.weights_, atol=2e-6)
    assert action[-1] == 0.0
    observation, _, _, _, info = env.step(action)
    assert info["kpi"]["turnover"] == pytest.approx(1.0)  # bought from all cash
    for _ in range(10):  # between refits the policy holds what it observes
        observation, _, _, _, info = env.step(policy.act(observation))
        assert info["kpi"]["turnover"] < 1e-5


def test_policy_reads_the_decision_day_off_the_observation_in_training_mode():
    target = EnvTarget(ENV_ID, {"tickers": TICKERS, "start": "2010-01-04", "end": "2015-12-31"})
    policy = make_agent("hrp", target, rebalance_every=5)
    env = target.make()
    dates = policy.history.dates
    for seed in (1, 2):
        observation, info = env.reset(seed=seed)
        policy.reset(seed)
        for _ in range(8):
            action = policy.act(observation)
            assert str(dates[policy.row].date()) == info["date"]
            observation, _, _, _, info = env.step(action)


def test_min_variance_has_lower_volatility_than_one_over_n_out_of_sample():
    target = EnvTarget(ENV_ID, {"mode": "backtest", "start": "2019-01-02", "end": "2022-12-28"})
    volatility = {}
    for name in ("equal_weight", "min_variance"):
        table = evaluate(make_agent(name, target), seeds=[0], max_steps=10_000)
        assert table["length"].iloc[0] > 990
        volatility[name] = table["annual_volatility"].iloc[0]
    assert volatility["min_variance"] < volatility["equal_weight"]


def test_metrics_agree_with_skfolio_portfolio_measures():
    prices = load_prices(TICKERS, "2018-01-02", "2020-12-31", source="skfolio_sp500")
    returns = prices.pct_change().iloc[1:]
    portfolio = Portfolio(
        returns,
        weights=np.full(len(TICKERS), 1 / len(TICKERS)),
        min_acceptable_return=0.0,
        compounded=True,  # drawdowns of wealth, as empyrical measures them
    )
    metrics = returns_metrics(portfolio.returns)
    n = len(portfolio.returns)
    assert metrics["annual_volatility"] == pytest.approx(portfolio.annualized_standard_deviation)
    assert metrics["sharpe"] == pytest.approx(portfolio.annualized_sharpe_ratio)
    # empyrical's downside deviation divides by n, skfolio's semi-deviation by n - 1
    assert metrics["sortino"] == pytest.approx(
        portfolio.annualized_sortino_ratio * np.sqrt(n / (n - 1))
    )
    assert -metrics["max_drawdown"] == pytest.approx(portfolio.max_drawdown)
    assert metrics["cumulative_return"] == pytest.approx(np.prod(1 + portfolio.returns) - 1)
    assert metrics["hit_rate"] == pytest.approx(np.mean(portfolio.returns > 0))


def test_a_strategy_that_never_trades_has_sharpe_zero_not_nan():
    """Flat returns made empyrical's 0/0 NaN, and the tuner dropped such trials as failed."""
    assert returns_metrics(np.zeros(60))["sharpe"] == 0.0
    rng = np.random.default_rng(0)
    assert np.isfinite(returns_metrics(rng.normal(0, 0.01, 60))["sharpe"])
