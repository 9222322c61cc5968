"""The estimating portfolio baselines follow the episode's row, not its feature values."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from fieldgym.agents import EnvTarget, make_agent
from fieldgym.envs.core.errors import ConfigError

ENV_ID = "fieldgym/PortfolioAllocation-v1"
PERIOD = 50


def repeating_prices(path) -> str:
    """Three assets whose prices repeat every PERIOD days, so feature rows repeat too."""
    rng = np.random.default_rng(0)
    block = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, (PERIOD, 3)), axis=0))
    prices = pd.DataFrame(
        np.tile(block, (6, 1)),
        index=pd.bdate_range("2020-01-01", periods=6 * PERIOD, name="date"),
        columns=["A", "B", "C"],
    )
    prices.to_csv(path)
    return str(path)


def old_lookup(features: np.ndarray) -> dict[bytes, int]:
    """The removed lookup: feature row -> price row, the latest row of equal features."""
    table: dict[bytes, int] = {}
    for row in range(len(features) - 1, -1, -1):
        table.setdefault(features[row].tobytes(), row)
    return table


def test_duplicate_feature_rows_do_not_move_the_policy_to_a_later_date(tmp_path):
    source = repeating_prices(tmp_path / "repeating.csv")
    target = EnvTarget(ENV_ID, {"source": source, "mode": "backtest", "start": "2020-03-16"})
    policy = make_agent("min_variance", target, lookback=40, rebalance_every=5)
    dates = [str(d.date()) for d in policy.history.dates]
    env = target.make()
    observation, info = env.reset(seed=0)
    policy.reset(0)
    features = np.asarray(observation[: policy.n_features], dtype=np.float32)
    later = old_lookup(policy.features)[features.tobytes()]
    assert dates[later] > info["date"]  # the old lookup read a later day's prices
    for _ in range(2 * PERIOD):
        action = policy.act(observation)
        assert dates[policy.row] == info["date"]
        observation, _, _, _, info = env.step(action)


def test_training_episodes_are_followed_from_the_seed_and_a_wrong_seed_is_refused(tmp_path):
    source = repeating_prices(tmp_path / "repeating.csv")
    target = EnvTarget(ENV_ID, {"source": source, "episode_length": 100})
    policy = make_agent("hrp", target, lookback=30, rebalance_every=7)
    dates = [str(d.date()) for d in policy.history.dates]
    env = target.make()
    for seed in (1, 2, 3):
        observation, info = env.reset(seed=seed)
        policy.reset(seed)
        for _ in range(10):
            action = policy.act(observation)
            assert dates[policy.row] == info["date"]
            observation, _, _, _, info = env.step(action)
    observation, _ = env.reset(seed=1)
    policy.reset(2)
    with pytest.raises(ConfigError, match=r"call policy.reset\(seed\) with the seed"):
        policy.act(observation)
