"""The portfolio allocation environment, ``fieldgym/PortfolioAllocation-v1``."""

from __future__ import annotations

from typing import Any

import numpy as np
from gymnasium import spaces

from fieldgym.envs.core.rewards import resolve_reward
from fieldgym.envs.trading.common import DatedMarketEnv
from fieldgym.envs.trading.market import FEATURE_BOUND
from fieldgym.envs.trading.portfolio.config import PortfolioConfig
from fieldgym.envs.trading.portfolio.dynamics import PortfolioSystem
from fieldgym.envs.trading.portfolio.reward import REWARDS, STEP_RECORD


def action_space(system: PortfolioSystem) -> spaces.Box:
    """``N + 1`` scores in [0, 1] (assets, then cash), normalized to weights by their sum."""
    return spaces.Box(0.0, 1.0, shape=(system.n_assets + 1,), dtype=np.float32)


def observation_space(system: PortfolioSystem) -> spaces.Box:
    """Features clipped to [-10, 10] (volatilities >= 0) and weights in [0, 1]."""
    low = np.full(system.observation_size, -FEATURE_BOUND, dtype=np.float32)
    high = np.full(system.observation_size, FEATURE_BOUND, dtype=np.float32)
    for name, (where, _) in system.layout.items():
        if name.startswith("volatility"):
            low[where] = 0.0
        if name == "weights":
            low[where], high[where] = 0.0, 1.0
    return spaces.Box(low, high, dtype=np.float32)


class PortfolioAllocationEnv(DatedMarketEnv):
    """Daily allocation of wealth over N assets and cash, on real prices, with costs.

    ## Description

    Each trading day, after the close, the agent chooses the weights of its wealth in
    ``N`` assets and cash. The portfolio is rebalanced at that close (paying
    ``cost_rate`` per unit of turnover), then earns the next day's returns, and its
    weights drift with them. Prices are real daily adjusted closes (by default skfolio's
    20 S&P 500 stocks, 1990-2022; see ``data/trading/README.md``). The order of events is
    given in :mod:`fieldgym.envs.trading.portfolio.dynamics`. Nothing the agent sees uses
    a price after the close it decides at, and prices after ``end`` are never loaded.

    Fill conventions of the two market environments, side by side:

    | env                   | decision after the close of bar t | filled at                 |
    |-----------------------|-----------------------------------|---------------------------|
    | PortfolioAllocation-v1| target weights                    | bar t's close (no delay)  |
    | StockTrading-v1       | target position                   | bar t+1's open (`fill`)   |

    This env trades at the close it decides at (skfolio's backtest convention: the
    weights chosen on day ``t``'s returns earn day ``t + 1``'s), which assumes the order
    can still be placed at that close. ``StockTrading-v1`` delays its fill by a bar
    instead (its ``fill``: the next open, the next close, or the next open unless that
    open is stale).

    Prices may be a user's file (``source="path.csv"``): wide (one close column per
    ticker), a long file (``date, ticker, open, ..., close``; ``Adj Close`` is the close)
    or one ticker's OHLCV bars; ``date_format`` or ``dayfirst`` read day-first dates.
    Data too short for one step is a ``DataError`` naming the rows needed and given.

    ## Action Space

    ``Box(0, 1, (N + 1,), float32)``: one score per asset and one for cash (last). The
    target weights are the scores divided by their sum (all cash if they sum to 0):
    long-only, fully allocated. With ``turbulence_threshold`` set, the target is all cash
    on days whose turbulence exceeds it.

    ## Observation Space

    A ``Box((D,), float32)``; ``env.unwrapped.layout`` maps each block to its slice. All
    features of day ``t`` use prices up to day ``t`` only; they are clipped to [-10, 10].

    | Block             | Size  | Meaning                                                 |
    |-------------------|-------|---------------------------------------------------------|
    | `return_{k}d`     | N     | log return over the last k days, k in `return_windows`  |
    | `volatility_{k}d` | N     | std of daily log returns over the last k days           |
    | `window`          | W × N | the last `window` daily log returns, oldest first       |
    | `weights`         | N + 1 | weights held now (assets, then cash), drifted           |

    ``window`` is present only if ``window > 0``; ``k`` of the volatility block is
    ``volatility_window``.

    ## Rewards

    Chosen by name (``reward``), from named parts (``info["reward_parts"]``, weighted by
    ``reward_weights``): ``log_return`` (the day's log growth of wealth net of costs; the
    default, summing to the episode's log wealth), ``differential_sharpe`` (Moody and
    Saffell's differential Sharpe ratio, moving moments with rate ``dsr_eta``) and
    ``mean_variance`` (``return + risk_aversion * risk``, where ``risk`` is minus half the
    squared deviation of the return from its moving mean). A callable
    ``reward(parts, weights, config)`` replaces them. ``info["kpi"]`` carries the day's
    net return, log return, turnover, cost, wealth (``value``, starting at 1), the ratio,
    the guard flag and the held weights; ``info["date"]`` the close the step ended at.

    ## Starting State

    All cash, wealth 1. ``mode="train"``: the first decision is at a uniformly random day
    of the range that leaves ``episode_length`` days; ``mode="backtest"``: at the range's
    first day with enough history for the features.

    ## Episode End

    Never terminates. Truncated when the range's last price has been used, and by the
    ``TimeLimit`` of registration (252 days, one trading year; pass
    ``max_episode_steps=-1`` to ``gymnasium.make`` for a backtest over the whole range).

    ## Arguments

    ``gymnasium.make("fieldgym/PortfolioAllocation-v1", config=None, **fields)``:
    ``fields`` are :class:`PortfolioConfig` fields, each documented there with its unit.

    ## Version History

    * v0: Initial version.
    * v1: Actions are checked at ``step`` (shape, dtype, finite values, bounds): an
      action outside the space raises ``ActionError`` unless ``action_policy="clip"``
      (v0 clipped or remapped it silently). Valid actions step exactly as in v0.
    """

    step_record = STEP_RECORD

    def __init__(self, config: PortfolioConfig | dict[str, Any] | None = None, **fields: Any):
        self.config = PortfolioConfig.build(config, **fields)
        self.system = PortfolioSystem(self.config, num_copies=1)
        self.layout = self.system.layout
        self.tickers = self.system.tickers
        self.action_space = action_space(self.system)
        self.observation_space = observation_space(self.system)
        self._reward = resolve_reward(self.config.reward, REWARDS)
