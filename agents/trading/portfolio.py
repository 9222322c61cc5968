"""Classical portfolio baselines for ``fieldgym/PortfolioAllocation-v1``.

* :class:`BuyAndHold` (``buy_and_hold``): buy 1/N on the first day, never trade again.
* :class:`EqualWeight` (``equal_weight``): 1/N, rebalanced every ``rebalance_every`` days.
* :class:`MinimumVariance` (``min_variance``), :class:`MaximumSharpe` (``max_sharpe``) and
  :class:`HierarchicalRiskParity` (``hrp``): skfolio's ``MeanRisk`` (minimum variance;
  maximum Sharpe ratio) and ``HierarchicalRiskParity``, fitted every ``rebalance_every``
  days on the trailing ``lookback`` days of returns, holding the drifted weights between.

A policy acts on the observation only. The estimating ones need a window of past returns
longer than the observation carries, so they follow the episode's price row ``t``: the
row the episode starts at (drawn by a private copy of the environment reset with the
same seed, as the quantum planners track theirs) plus the steps taken since, and fit on
prices of rows ``t - lookback .. t``, all known at the decision. Nothing later is read.
The row is never looked up from the observed features: two days can have the same
features, and a lookup would pick one of them (the latest, a look-ahead).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from fieldgym.agents.base import Policy
from fieldgym.agents.target import EnvTarget
from fieldgym.envs.core.config import check_number
from fieldgym.envs.core.errors import ConfigError
from fieldgym.envs.trading.portfolio.config import PortfolioConfig
from fieldgym.envs.trading.portfolio.dynamics import market_arrays, observation_layout
from fieldgym.envs.trading.portfolio.env import PortfolioAllocationEnv


class PortfolioPolicy(Policy):
    """Base of the portfolio baselines: target weights in, a valid action out.

    Subclasses implement :meth:`target_weights`; on other days the policy holds the
    drifted weights it observes (no trade, no cost).

    Args:
        target: A ``PortfolioAllocation-v1`` environment.
        rebalance_every: Trading days between rebalances (1: daily).

    Raises:
        ConfigError: If the target is not a portfolio environment.
    """

    def __init__(self, target: EnvTarget, rebalance_every: int = 1) -> None:
        super().__init__(target)
        config = target.config
        if not isinstance(config, PortfolioConfig):
            raise ConfigError(
                f"{type(self).__name__} is a portfolio baseline; {target.id} is not "
                "fieldgym/PortfolioAllocation-v1."
            )
        check_number("rebalance_every", rebalance_every, low=1, integer=True)
        self.config = config
        self.rebalance_every = int(rebalance_every)
        self.history, _, self.features, _ = market_arrays(config)
        self.n_assets = len(self.history.tickers)
        self.layout = observation_layout(config, self.n_assets)
        self.n_features = self.features.shape[1]
        self.steps = 0

    def reset(self, seed: int | None = None) -> None:
        self.steps = 0

    def act(self, observation: np.ndarray) -> np.ndarray:
        observation = np.asarray(observation)
        if self.steps % self.rebalance_every == 0:
            weights = np.append(self.target_weights(observation), 0.0)
        else:
            where, _ = self.layout["weights"]
            weights = observation[where]
        self.steps += 1
        return np.asarray(weights, dtype=np.float32)

    def target_weights(self, observation: np.ndarray) -> np.ndarray:
        """The N asset weights (summing to at most 1, the rest in cash) to rebalance to."""
        raise NotImplementedError


class EqualWeight(PortfolioPolicy):
    """1/N in every asset, rebalanced every ``rebalance_every`` days (default: daily)."""

    name = "equal_weight"

    def target_weights(self, observation: np.ndarray) -> np.ndarray:
        return np.full(self.n_assets, 1.0 / self.n_assets)


class BuyAndHold(PortfolioPolicy):
    """1/N bought on the first day, then held (weights drift with prices; no trading)."""

    name = "buy_and_hold"

    def __init__(self, target: EnvTarget) -> None:
        super().__init__(target, rebalance_every=1)

    def act(self, observation: np.ndarray) -> np.ndarray:
        first = self.steps == 0
        self.steps += 1
        if first:
            return np.append(np.full(self.n_assets, 1.0 / self.n_assets), 0.0).astype(np.float32)
        where, _ = self.layout["weights"]
        return np.asarray(observation)[where].astype(np.float32)


class EstimatingPolicy(PortfolioPolicy):
    """A skfolio optimizer fitted on the trailing ``lookback`` days of simple returns.

    Args:
        target: A ``PortfolioAllocation-v1`` environment.
        rebalance_every: Trading days between refits (default 21, about monthly).
        lookback: Trailing days of returns each fit uses (>= 2).
    """

    def __init__(self, target: EnvTarget, rebalance_every: int = 21, lookback: int = 252) -> None:
        super().__init__(target, rebalance_every)
        check_number("lookback", lookback, low=2, integer=True)
        self.lookback = int(lookback)
        self._twin = PortfolioAllocationEnv(config=self.config)  # draws the env's starts
        self.start: int | None = None
        self.row = -1

    def reset(self, seed: int | None = None) -> None:
        """Follow a new episode: call it with the seed of ``env.reset(seed=...)``.

        The private copy of the environment is reset with ``seed`` and draws the start row
        the environment draws (in backtest mode: the range's first day, whatever the seed).
        """
        super().reset(seed)
        self._twin.reset(seed=seed)
        self.start = self._twin.system.row()
        self.row = -1

    def locate(self, observation: np.ndarray) -> int:
        """The price row of the decision: the episode's start row plus the steps taken.

        Raises:
            ConfigError: If :meth:`reset` was not called, or the observed features are not
                that row's (the policy follows another episode than the environment's).
        """
        if self.start is None:
            raise ConfigError(
                f"{self.name}: call policy.reset(seed) with the seed of env.reset(seed=...) "
                "before the first act, so the policy follows the episode's dates."
            )
        row = self.start + self.steps
        observed = np.asarray(observation[: self.n_features], dtype=np.float32)
        if row >= len(self.features) or not np.array_equal(self.features[row], observed):
            raise ConfigError(
                f"{self.name}: the observation is not the features of the day the policy "
                f"follows (row {row}); call policy.reset(seed) with the seed of "
                "env.reset(seed=...) before each episode, once per episode, and use the "
                "policy in an environment made with the same config."
            )
        return row

    def act(self, observation: np.ndarray) -> np.ndarray:
        self.row = self.locate(np.asarray(observation))
        return super().act(observation)

    def target_weights(self, observation: np.ndarray) -> np.ndarray:
        close = self.history.close[max(self.row - self.lookback, 0) : self.row + 1]
        returns = close[1:] / close[:-1] - 1.0
        if len(returns) < 2:
            return np.full(self.n_assets, 1.0 / self.n_assets)
        estimator = self.estimator()
        estimator.fit(returns)
        weights = np.clip(np.asarray(estimator.weights_, dtype=np.float64), 0.0, None)
        total = weights.sum()
        return weights / total if total > 0 else np.full(self.n_assets, 1.0 / self.n_assets)

    def estimator(self) -> Any:
        """A new, unfitted skfolio optimization estimator."""
        raise NotImplementedError


class MinimumVariance(EstimatingPolicy):
    """skfolio ``MeanRisk`` minimizing variance, long-only, fully invested."""

    name = "min_variance"

    def estimator(self) -> Any:
        from skfolio.optimization import MeanRisk, ObjectiveFunction

        return MeanRisk(objective_function=ObjectiveFunction.MINIMIZE_RISK)


class MaximumSharpe(EstimatingPolicy):
    """skfolio ``MeanRisk`` maximizing the Sharpe ratio (mean over std), long-only."""

    name = "max_sharpe"

    def estimator(self) -> Any:
        from skfolio.optimization import MeanRisk, ObjectiveFunction

        return MeanRisk(objective_function=ObjectiveFunction.MAXIMIZE_RATIO)


class HierarchicalRiskParity(EstimatingPolicy):
    """skfolio ``HierarchicalRiskParity`` (López de Prado), variance risk measure."""

    name = "hrp"

    def estimator(self) -> Any:
        from skfolio.optimization import HierarchicalRiskParity as HRP

        return HRP()
