"""The single-stock trading environment, ``fieldgym/StockTrading-v1``."""

from __future__ import annotations

from typing import Any

import numpy as np
from gymnasium import spaces

from fieldgym.envs.core.rewards import resolve_reward
from fieldgym.envs.trading.common import DatedMarketEnv
from fieldgym.envs.trading.market import FEATURE_BOUND
from fieldgym.envs.trading.stock.config import StockConfig
from fieldgym.envs.trading.stock.dynamics import StockSystem
from fieldgym.envs.trading.stock.reward import REWARDS, STEP_RECORD


def observation_space(system: StockSystem) -> spaces.Box:
    """Features and position, clipped to [-10, 10]."""
    return spaces.Box(-FEATURE_BOUND, FEATURE_BOUND, (system.observation_size,), np.float32)


class StockTradingEnv(DatedMarketEnv):
    """Trade one asset with discrete target positions, filled at the next bar.

    ## Description

    After each daily bar's close the agent chooses a target position (short, flat, long by
    default). The order is filled at the next bar's open (``fill="next_open"``, the
    default) or close -- a configured execution delay, never at a price the agent could
    no longer trade at -- paying a commission and slippage; wealth is then marked at that
    bar's close. Prices are real (by default arch's S&P 500 index, 1999-2018; see
    ``data/trading/README.md``). The order of events is in
    :mod:`fieldgym.envs.trading.stock.dynamics`.

    Fill conventions of the two market environments, side by side:

    | env                   | decision after the close of bar t | filled at                 |
    |-----------------------|-----------------------------------|---------------------------|
    | StockTrading-v1       | target position                   | bar t+1's open (`fill`)   |
    | PortfolioAllocation-v1| target weights                    | bar t's close (no delay)  |

    The stock env delays the fill by a bar: ``fill`` picks bar ``t + 1``'s open
    (``"next_open"``), its close (``"next_close"``, for close-only data such as
    ``skfolio_sp500`` or a wide file), or its open unless that open is stale
    (``"next_open_or_close"``). An open is stale when it equals bar ``t``'s close: copied
    data, as in arch's ^GSPC 1999-2006 (95-98% of days) and late 2012-2013. A
    next-open fill there is at the close the agent decided at, so with ``"next_open"`` the
    env warns (``StaleOpenWarning``, naming the share of stale days and their dates), and
    ``"next_open_or_close"`` fills those bars at their close (one bar later), all others at
    their open. The portfolio env rebalances at the decision close itself, the convention
    of skfolio's backtests.

    Prices may be a user's file (``source="path.csv"``): one ticker's OHLCV bars (an
    ``Adj Close`` column is the close, the open scaled with it), a long file with a ticker
    column, or a wide file of closes (fill at ``"next_close"``); intraday bars keep their
    time of day; ``date_format`` or ``dayfirst`` read day-first dates. Data too short for
    one step is a ``DataError`` naming the rows needed and given.

    ## Action Space

    ``Discrete(K)``: action ``k`` targets ``positions[k]`` of wealth in the asset
    (default ``(-1, 0, 1)``; add levels such as ``(-1, -0.5, 0, 0.5, 1)``).

    ## Observation Space

    ``Box(-10, 10, (window + I + 1,), float32)``, all from bars up to the decision:

    | Index             | Meaning                                                    |
    |-------------------|------------------------------------------------------------|
    | 0 .. window - 1   | daily close-to-close log returns of the last bars, oldest first |
    | window .. + I - 1 | the configured `indicators`, in order (see `StockConfig`)  |
    | last              | position held: shares times close over wealth              |

    ``env.unwrapped.feature_names`` names every column but the last.

    ## Rewards

    By name (``reward``): ``log_return`` (log growth of wealth, the default), ``pnl``
    (change of wealth in currency, starting from ``initial_value``) or
    ``differential_sharpe``; each is net of commission and slippage. ``reward_weights``
    weights the parts; a callable ``reward(parts, weights, config)`` replaces them.
    ``info["kpi"]``: return, log return, PnL, cost, turnover, ``value`` (wealth over its
    initial value), position, the ratio and the fill price; ``info["date"]`` the bar.

    ## Starting State

    All cash (``initial_value``). ``mode="train"``: a uniformly random bar of the range that
    leaves ``episode_length`` bars; ``mode="backtest"``: the range's first bar with enough
    history for the features.

    ## Episode End

    Terminates if wealth falls to 1e-9 of its initial value. Truncated when the range's
    last bar has been used, and by the ``TimeLimit`` of registration (252 bars;
    ``max_episode_steps=-1`` for a whole-range backtest).

    ## Arguments

    ``gymnasium.make("fieldgym/StockTrading-v1", config=None, **fields)``: ``fields`` are
    :class:`StockConfig` fields, each documented there with its unit.

    ## Version History

    * v0: Initial version.
    * v1: Actions are checked at ``step`` (shape, dtype, finite values, bounds): an
      action outside the space raises ``ActionError`` unless ``action_policy="clip"``
      (v0 clipped or remapped it silently). Valid actions step exactly as in v0.
    """

    step_record = STEP_RECORD

    def __init__(self, config: StockConfig | dict[str, Any] | None = None, **fields: Any):
        self.config = StockConfig.build(config, **fields)
        self.system = StockSystem(self.config, num_copies=1)
        self.feature_names = self.system.feature_names
        self.action_space = spaces.Discrete(len(self.config.positions))
        self.observation_space = observation_space(self.system)
        self._reward = resolve_reward(self.config.reward, REWARDS)
