"""Walk-forward: ordered disjoint windows, and test prices reach neither training nor selection."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from fieldgym.agents import EnvTarget
from fieldgym.agents.trading.walk_forward import Window, rolling_windows, walk_forward
from fieldgym.envs.core.errors import ConfigError
from fieldgym.envs.trading.data import load_prices

ENV_ID = "fieldgym/PortfolioAllocation-v1"
TICKERS = ["AAPL", "JNJ", "KO", "MSFT", "XOM"]


def test_rolling_windows_are_ordered_disjoint_and_roll_by_the_test_length():
    windows = rolling_windows("2010-01-01", "2016-12-31", train_years=3, test_months=12)
    assert [w.test_start for w in windows] == ["2014-01-01", "2015-01-01", "2016-01-01"]
    for w in windows:
        assert w.train_end < w.validation_start <= w.validation_end < w.test_start <= w.test_end
    anchored = rolling_windows("2010-01-01", "2016-12-31", train_years=3, anchored=True)
    assert {w.train_start for w in anchored} == {"2010-01-01"}
    with pytest.raises(ConfigError, match="ordered and disjoint"):
        Window(None, "2015-01-01", "2014-06-01", "2015-06-01", "2015-07-01", "2015-12-31")


@pytest.fixture(scope="module")
def prices() -> pd.DataFrame:
    return load_prices(TICKERS, "2010-01-04", "2016-12-30", source="skfolio_sp500")


def altered(prices: pd.DataFrame, start: str, end: str, path) -> str:
    """A copy of ``prices`` with the range ``start``..``end`` scrambled, written to ``path``."""
    changed = prices.copy()
    inside = (changed.index >= start) & (changed.index <= end)
    rng = np.random.default_rng(0)
    changed.loc[inside] *= np.exp(np.cumsum(rng.normal(0, 0.03, (inside.sum(), 5)), axis=0))
    changed.to_csv(path, index_label="date")
    return str(path)


def test_test_prices_never_reach_training_or_selection(prices, tmp_path):
    windows = rolling_windows(
        "2011-01-01", "2015-12-31", train_years=2, validation_months=6, test_months=6
    )[:3]
    original = tmp_path / "original.csv"
    prices.to_csv(original, index_label="date")
    candidates = [{"rebalance_every": 1}, {"rebalance_every": 63}]

    def run(source: str) -> pd.DataFrame:
        target = EnvTarget(ENV_ID, {"source": source, "tickers": TICKERS})
        return walk_forward("equal_weight", target, windows, candidates=candidates)

    base = run(str(original))
    assert len(base) == 3 * (2 + 1)
    last = windows[-1]
    changed = run(altered(prices, last.test_start, last.test_end, tmp_path / "last.csv"))
    validation = base["phase"] == "validation"
    columns = ["window", "candidate", "selected", "sharpe", "annual_return"]
    pd.testing.assert_frame_equal(base.loc[validation, columns], changed.loc[validation, columns])
    tests = base.index[~validation]
    pd.testing.assert_frame_equal(base.loc[tests[:-1]], changed.loc[tests[:-1]])
    assert base.loc[tests[-1], "sharpe"] != changed.loc[tests[-1], "sharpe"]  # the change is seen
    # scrambling the first window's test range leaves that window's selection unchanged
    first = windows[0]
    early = run(altered(prices, first.test_start, first.test_end, tmp_path / "first.csv"))
    mine = (base["window"] == 0) & validation
    pd.testing.assert_frame_equal(base.loc[mine, columns], early.loc[mine, columns])
    assert base.loc[tests[0], "sharpe"] != early.loc[tests[0], "sharpe"]


def test_learner_is_trained_and_selected_without_the_test_range(prices, tmp_path):
    window = Window(
        "2011-01-03", "2013-12-31", "2014-01-01", "2014-06-30", "2014-07-01", "2014-12-31"
    )
    original = tmp_path / "original.csv"
    prices.to_csv(original, index_label="date")
    candidates = [
        {"algo": "ppo", "n_envs": 2, "hyperparams": {"n_steps": 32, "batch_size": 32}},
        {"algo": "a2c", "n_envs": 2, "hyperparams": {"n_steps": 8}},
    ]

    def run(source: str) -> pd.DataFrame:
        target = EnvTarget(ENV_ID, {"source": source, "tickers": TICKERS})
        return walk_forward("drl", target, [window], candidates=candidates, train_steps=128)

    base = run(str(original))
    changed = run(altered(prices, window.test_start, window.test_end, tmp_path / "b.csv"))
    validation = base["phase"] == "validation"
    columns = ["candidate", "selected", "sharpe", "annual_return", "turnover"]
    pd.testing.assert_frame_equal(base.loc[validation, columns], changed.loc[validation, columns])
    assert base.loc[~validation, "candidate"].item() == changed.loc[~validation, "candidate"].item()
    assert base.loc[~validation, "sharpe"].item() != changed.loc[~validation, "sharpe"].item()
    assert base.loc[~validation, "start"].item() == "2014-07-01"
