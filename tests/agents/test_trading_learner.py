"""The ``drl`` learner trains on the dates before its backtest, never on the backtest's prices."""

from __future__ import annotations

import numpy as np
import pytest

from fieldgym.agents import EnvTarget, evaluate, make_agent
from fieldgym.agents.trading.learner import TradingLearner, training_target
from fieldgym.envs.core.errors import ConfigError

ENV_ID = "fieldgym/PortfolioAllocation-v1"
TICKERS = ["AAPL", "JNJ", "KO", "MSFT", "XOM"]
BACKTEST = {"tickers": TICKERS, "mode": "backtest", "start": "2019-01-02", "end": "2019-06-28"}


def test_training_target_ends_before_the_backtest():
    train = training_target(EnvTarget(ENV_ID, BACKTEST))
    assert train.kwargs["mode"] == "train"
    assert train.kwargs["end"] == "2019-01-01"
    env = train.make()
    assert env.unwrapped.system.dates[-1] < np.datetime64("2019-01-02")
    with pytest.raises(ConfigError, match="would see test prices"):
        training_target(EnvTarget(ENV_ID, BACKTEST), train_end="2019-03-01")
    with pytest.raises(ConfigError, match="needs a start date"):
        training_target(EnvTarget(ENV_ID, {"mode": "backtest"}), train_end="2010-01-01")


def test_drl_trains_on_the_training_range_and_backtests_the_test_range(tmp_path):
    target = EnvTarget(ENV_ID, BACKTEST)
    agent = make_agent(
        "drl", target, algo="ppo", n_envs=2, hyperparams={"n_steps": 64, "batch_size": 64}
    )
    agent.fit(256, seed=0)
    training_env = agent.stats.venv.venv.env  # VecNormalize > VecMonitor > adapter > env
    assert training_env.unwrapped.config.mode == "train"
    assert training_env.unwrapped.system.dates[-1] < np.datetime64("2019-01-02")
    table = evaluate(agent, seeds=[0], max_steps=1000)
    assert table["length"].iloc[0] == 123  # 2019's first half after the first decision
    assert np.isfinite(table["sharpe"].iloc[0])
    agent.save(tmp_path / "drl")
    loaded = TradingLearner.load(tmp_path / "drl")
    observation, _ = target.make().reset(seed=0)
    np.testing.assert_array_equal(loaded.act(observation), agent.act(observation))


@pytest.mark.parametrize("name", ["portfolio", "stock", "execution", "making"])
def test_trading_scenarios_load(name):
    from pathlib import Path

    from fieldgym.scenarios.plan.planner import load_scenario

    root = Path(__file__).resolve().parents[2]
    plan = load_scenario(root / "scenarios" / f"trading_{name}.yaml")
    assert plan.envs and all(env.domain == "trading" for env in plan.envs)
