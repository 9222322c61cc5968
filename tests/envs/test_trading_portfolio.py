"""PortfolioAllocation-v1: accounting, no look-ahead, the risk guard, rewards and modes."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pandas as pd
import pytest

import fieldgym  # noqa: F401
from fieldgym.envs.core.errors import ConfigError
from fieldgym.envs.trading.data import load_prices
from fieldgym.envs.trading.market import turbulence

ENV_ID = "fieldgym/PortfolioAllocation-v1"
TICKERS = ["AAPL", "JNJ", "KO", "MSFT", "XOM"]


@pytest.fixture(scope="module")
def prices() -> pd.DataFrame:
    return load_prices(TICKERS, "2015-01-02", "2019-12-31", source="skfolio_sp500")


def write(frame: pd.DataFrame, path) -> str:
    frame.to_csv(path, index_label="date")
    return str(path)


def backtest(source: str, actions: np.ndarray, **fields) -> tuple[list, list, list]:
    env = gym.make(
        ENV_ID, source=source, mode="backtest", start="2017-01-03", max_episode_steps=-1, **fields
    )
    observation, info = env.reset(seed=0)
    observations, rewards, dates = [observation], [], [info["date"]]
    for action in actions:
        observation, reward, _, truncated, info = env.step(action)
        observations.append(observation)
        rewards.append(reward)
        dates.append(info["date"])
        if truncated:
            break
    return observations, rewards, dates


def test_changing_future_prices_leaves_every_earlier_observation_unchanged(prices, tmp_path):
    rng = np.random.default_rng(0)
    actions = rng.uniform(0, 1, (800, len(TICKERS) + 1)).astype(np.float32)
    original = write(prices, tmp_path / "original.csv")
    cutoff = pd.Timestamp("2018-06-01")
    changed = prices.copy()
    future = changed.index > cutoff
    changed.loc[future] *= rng.uniform(0.5, 1.5, (future.sum(), len(TICKERS)))
    altered = write(changed, tmp_path / "altered.csv")
    # every observation window: returns, volatility and a raw window of 10 days
    obs_a, rewards_a, dates = backtest(original, actions, window=10)
    obs_b, rewards_b, dates_b = backtest(altered, actions, window=10)
    assert dates == dates_b
    seen = [pd.Timestamp(d) <= cutoff for d in dates]
    assert 100 < sum(seen) < len(seen) - 100
    for k, known in enumerate(seen):
        if known:
            np.testing.assert_array_equal(obs_a[k], obs_b[k], err_msg=f"observation at {dates[k]}")
            if k > 0:  # the reward of the step that ended at a known close
                assert rewards_a[k - 1] == rewards_b[k - 1]
    later = [k for k, known in enumerate(seen) if not known]
    assert any(not np.array_equal(obs_a[k], obs_b[k]) for k in later)  # the change is seen


def test_prices_after_end_are_never_loaded(prices, tmp_path):
    changed = prices.copy()
    changed.loc[changed.index > pd.Timestamp("2018-12-31")] *= 3.0
    actions = np.random.default_rng(1).uniform(0, 1, (600, len(TICKERS) + 1))
    first = backtest(write(prices, tmp_path / "a.csv"), actions, end="2018-12-31")
    second = backtest(write(changed, tmp_path / "b.csv"), actions, end="2018-12-31")
    assert first[2][-1] == "2018-12-31"
    np.testing.assert_array_equal(np.stack(first[0]), np.stack(second[0]))
    assert first[1] == second[1]


def test_one_step_accounting_matches_the_prices(prices, tmp_path):
    env = gym.make(
        ENV_ID,
        source=write(prices, tmp_path / "p.csv"),
        mode="backtest",
        start="2017-01-03",
        action_policy="clip",
    )
    cost_rate = env.unwrapped.config.cost_rate
    _, info = env.reset(seed=0)
    day = prices.index.get_loc(pd.Timestamp(info["date"]))
    growth = (prices.iloc[day + 1] / prices.iloc[day]).to_numpy()
    action = np.array([2.0, 1.0, 0.0, 0.0, 1.0, 0.0], dtype=np.float32)  # clipped to 1
    _, reward, _, _, info = env.step(action)
    weights = np.array([1, 1, 0, 0, 1]) / 3.0
    expected = weights @ growth - 1.0 - cost_rate * 1.0  # bought from all cash: turnover 1
    kpi = info["kpi"]
    assert kpi["turnover"] == pytest.approx(1.0)
    assert kpi["return"] == pytest.approx(expected, abs=1e-12)
    assert reward == pytest.approx(np.log1p(expected), abs=1e-12)
    drifted = weights * growth / (weights @ growth)
    np.testing.assert_allclose(kpi["weights"][:-1], drifted, atol=1e-12)
    assert kpi["weights"].sum() == pytest.approx(1.0)
    # holding the drifted weights trades nothing and costs nothing
    _, _, _, _, info = env.step(kpi["weights"].astype(np.float32))
    assert info["kpi"]["turnover"] == pytest.approx(0.0, abs=1e-6)
    # all-zero scores mean all cash: the next day earns the cash rate only
    _, _, _, _, info = env.step(np.zeros(6, dtype=np.float32))
    assert info["kpi"]["weights"][-1] == 1.0
    _, _, _, _, info = env.step(np.zeros(6, dtype=np.float32))
    assert info["kpi"]["return"] == 0.0


def test_turbulence_guard_moves_to_cash_on_turbulent_days(prices, tmp_path):
    source = write(prices, tmp_path / "p.csv")
    daily = np.diff(np.log(prices.to_numpy()), axis=0, prepend=np.nan)
    daily[0] = 0.0
    turb = pd.Series(turbulence(daily, 60), index=prices.index)
    threshold = float(turb.loc["2017":].quantile(0.9))
    env = gym.make(
        ENV_ID,
        source=source,
        mode="backtest",
        start="2017-01-03",
        turbulence_threshold=threshold,
        turbulence_window=60,
        cash_rate=0.02,
        max_episode_steps=-1,
    )
    _, info = env.reset(seed=0)
    guarded = 0
    action = np.ones(6, dtype=np.float32)
    for _ in range(400):
        decided_at = info["date"]
        _, _, _, _, info = env.step(action)
        on = turb[decided_at] > threshold
        assert bool(info["kpi"]["guard"]) == on
        if on:
            guarded += 1
            assert info["kpi"]["weights"][-1] == pytest.approx(1.0)
            assert info["kpi"]["return"] == pytest.approx(
                1.02 ** (1 / 252) - 1 - env.unwrapped.config.cost_rate * info["kpi"]["turnover"]
            )
    assert guarded > 10


def test_differential_sharpe_is_the_derivative_of_the_moving_sharpe_ratio():
    eta = 1e-6
    env = gym.make(ENV_ID, reward="differential_sharpe", dsr_eta=eta, mode="backtest")
    env.reset(seed=0)
    system = env.unwrapped.system
    rng = np.random.default_rng(0)
    for _ in range(30):
        a, b = system.state[0, 2], system.state[0, 3]
        before = a / np.sqrt(b - a * a)
        _, reward, *_ = env.step(rng.uniform(0, 1, 21).astype(np.float32))
        a, b = system.state[0, 2], system.state[0, 3]
        after = a / np.sqrt(b - a * a)
        # Moody & Saffell: S_t = S_{t-1} + eta * D_t + O(eta^2)
        assert (after - before) / eta == pytest.approx(reward, rel=1e-4, abs=1e-6)


def test_mean_variance_reward_is_return_minus_the_risk_penalty():
    env = gym.make(ENV_ID, reward="mean_variance", risk_aversion=3.0)
    env.reset(seed=2)
    for _ in range(5):
        _, reward, _, _, info = env.step(env.action_space.sample())
        parts = info["reward_parts"]
        assert parts["risk"] <= 0
        assert reward == pytest.approx(parts["return"] + 3.0 * parts["risk"])


def test_training_starts_at_random_dates_and_backtests_at_the_range_start():
    train = gym.make(ENV_ID, start="2010-01-04", end="2015-12-31")
    starts = {train.reset(seed=s)[1]["date"] for s in range(20)}
    assert len(starts) > 15
    assert all("2010-01-04" <= d <= "2015-12-31" for d in starts)
    test = gym.make(ENV_ID, start="2019-01-02", mode="backtest")
    assert {test.reset(seed=s)[1]["date"] for s in range(5)} == {"2019-01-02"}
    assert test.unwrapped.system.dates[-1] == pd.Timestamp("2022-12-28")


def test_config_errors_name_the_field_and_the_choices():
    with pytest.raises(ConfigError, match=r"log_return.*mean_variance"):
        gym.make(ENV_ID, reward="sharpe")
    with pytest.raises(ConfigError, match="Did you mean 'cost_rate'"):
        gym.make(ENV_ID, costs_rate=0.1)
    with pytest.raises(ConfigError, match="episode_length=252"):
        gym.make(ENV_ID, start="2022-06-01")
    with pytest.raises(ConfigError, match="not a date"):
        gym.make(ENV_ID, start="2022-13-45")
