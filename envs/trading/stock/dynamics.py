"""Single-stock trading dynamics, shared by the single and the vectorized environment.

One step of a copy deciding after the close of bar ``t``:

1. The action picks a target position ``p`` (fraction of wealth in the asset).
2. The order is filled at bar ``t + 1``'s open (``fill="next_open"``) or close
   (``"next_close"``) -- never at a price of bar ``t``, which the agent has already seen
   and could not trade at any more. An open equal to bar ``t``'s close is stale (copied
   data, see :func:`~fieldgym.envs.trading.market.stale_opens`): ``"next_open_or_close"``
   fills at bar ``t + 1``'s close there, at its open elsewhere. At the fill price ``F``
   the wealth is ``W_F = cash + shares * F``; the target is ``p * W_F / F`` shares. Buying pays
   ``F * (1 + slippage)``, selling receives ``F * (1 - slippage)``, and the commission is
   ``cost_rate * |traded shares| * F``.
3. Wealth is marked at bar ``t + 1``'s close: ``W = cash + shares * close``. The step's
   return is ``W / W_before - 1``, so costs and slippage are inside every reward.
4. The observation is row ``t + 1`` of the features (bars up to ``t + 1``) and the
   position held, ``shares * close / W``.

If wealth falls to 1e-9 of its initial value the episode terminates (ruin).
"""

from __future__ import annotations

import functools
from typing import NamedTuple

import numpy as np
from numba import njit

from fieldgym.envs.core.errors import ConfigError
from fieldgym.envs.core.tables import as_record, columns
from fieldgym.envs.trading.common import DatedEpisodes, differential_sharpe
from fieldgym.envs.trading.market import (
    FEATURE_BOUND,
    PriceHistory,
    bar_labels,
    check_history_length,
    episode_bounds,
    price_history,
    stale_opens,
    warn_stale_opens,
)
from fieldgym.envs.trading.stock.config import StockConfig
from fieldgym.envs.trading.stock.features import stock_features


class StateColumns(NamedTuple):
    """The columns of the state array, one row per copy."""

    time: int
    """The price row of the last bar seen."""
    cash: int
    shares: int
    wealth: int
    """Cash plus shares at the last close."""
    dsr_a: int
    """The differential Sharpe ratio's moving mean of returns."""
    dsr_b: int
    """Its moving mean of squared returns."""
    steps: int
    """Steps taken in the episode."""


class RecordColumns(NamedTuple):
    """The columns of the per-step record :func:`advance` writes (``info["kpi"]``)."""

    return_: int
    """Net simple return of wealth (the KPI ``return``)."""
    log_return: int
    pnl: int
    """Change of wealth, currency."""
    cost: int
    """Commission plus slippage, currency."""
    turnover: int
    """Traded value over wealth at the fill."""
    value: int
    """Wealth over the initial wealth."""
    position: int
    """Shares times close over wealth."""
    differential_sharpe: int
    fill_price: int
    """The price paid or received per share, slippage included."""


class StockParams(NamedTuple):
    """The kernels' constants (the target positions travel as an array of their own)."""

    cost_rate: float
    slippage: float
    eta: float
    """Rate of the differential Sharpe ratio's moving moments."""
    var_floor: float
    """Floor of the ratio's variance."""
    max_steps: float
    """Step limit of an episode (inf: none)."""
    last: int
    """The range's last price row."""
    initial: float
    """Initial wealth."""


STATE = columns(StateColumns)
RECORD = columns(RecordColumns)

RUIN = 1e-9
"""Wealth, as a fraction of the initial wealth, at which an episode terminates."""


@njit(cache=True, error_model="numpy")
def advance(
    state: np.ndarray,
    actions: np.ndarray,
    prices: np.ndarray,
    features: np.ndarray,
    params: np.ndarray,
    positions: np.ndarray,
    record: np.ndarray,
    observation: np.ndarray,
    done: np.ndarray,
) -> None:
    """Advance every copy one bar, in place; write the record, observation and end flags.

    Args:
        state: ``(B, len(STATE))`` per copy (:class:`StateColumns`).
        actions: ``(B,)`` indices into the positions (clipped to the valid range).
        prices: ``(T, 2)``: the fill price of an order given after the previous bar (open
            or close), and the close.
        features: ``(T, F)`` float32 observed features.
        params: :class:`StockParams` as a record (:func:`as_record`).
        positions: ``(K,)`` target positions (fractions of wealth), by action.
        record: ``(B, len(RECORD))`` output.
        observation: ``(B, F + 1)`` float32 output.
        done: ``(B, 2)`` bool output: terminated (ruin), truncated (last bar or limit).
    """
    p = params[0]
    slip, initial = p.slippage, p.initial
    n_positions = positions.shape[0]
    for b in range(state.shape[0]):
        t = min(int(state[b, STATE.time]), p.last - 1)  # never past the data, even if misused
        k = min(max(int(actions[b]), 0), n_positions - 1)
        price = prices[t + 1, 0]
        cash, shares, before = state[b, STATE.cash], state[b, STATE.shares], state[b, STATE.wealth]
        at_fill = cash + shares * price
        target = positions[k] * at_fill / price if at_fill > 0.0 else 0.0
        delta = target - shares
        traded = abs(delta) * price
        executed = price * (1.0 + slip) if delta > 0.0 else price * (1.0 - slip)
        commission = p.cost_rate * traded
        cash = cash - delta * executed - commission
        close = prices[t + 1, 1]
        after = cash + target * close
        ruined = after <= RUIN * initial
        if ruined:
            after = RUIN * initial
        r = after / before - 1.0
        d, a_new, b_new = differential_sharpe(
            r, state[b, STATE.dsr_a], state[b, STATE.dsr_b], p.eta, p.var_floor
        )
        state[b, STATE.time] = t + 1
        state[b, STATE.cash] = cash
        state[b, STATE.shares] = target
        state[b, STATE.wealth] = after
        state[b, STATE.dsr_a] = a_new
        state[b, STATE.dsr_b] = b_new
        state[b, STATE.steps] += 1.0
        record[b, RECORD.return_] = r
        record[b, RECORD.log_return] = np.log(after / before)
        record[b, RECORD.pnl] = after - before
        record[b, RECORD.cost] = commission + traded * slip
        record[b, RECORD.turnover] = traded / at_fill if at_fill > 0.0 else 0.0
        record[b, RECORD.value] = after / initial
        record[b, RECORD.position] = target * close / after
        record[b, RECORD.differential_sharpe] = d
        record[b, RECORD.fill_price] = executed
        done[b, 0] = ruined
        done[b, 1] = t + 1 >= p.last or state[b, STATE.steps] >= p.max_steps
    observe(state, prices, features, observation)


@njit(cache=True, error_model="numpy")
def observe(
    state: np.ndarray, prices: np.ndarray, features: np.ndarray, observation: np.ndarray
) -> None:
    """Write each copy's observation: its bar's features, then its position (clipped to ±10)."""
    n_features = features.shape[1]
    for b in range(state.shape[0]):
        t = int(state[b, STATE.time])
        for j in range(n_features):
            observation[b, j] = features[t, j]
        position = state[b, STATE.shares] * prices[t, 1] / state[b, STATE.wealth]
        observation[b, n_features] = min(max(position, -FEATURE_BOUND), FEATURE_BOUND)


@functools.lru_cache(maxsize=16)
def _market(key: tuple) -> tuple:
    (source, ticker, end, ffill_limit, cache_dir, dates, fill, window, indicators, warmup) = key
    date_format, dayfirst = dates
    needs_open = fill != "next_close" or "overnight" in indicators
    fields = ("close", "open") if needs_open else ("close",)
    tickers = (ticker,) if ticker else None
    history = price_history(
        source, tickers, end, fields, ffill_limit, cache_dir, date_format, dayfirst
    )
    check_history_length(history, source, end, warmup)
    close = np.ascontiguousarray(history.close[:, 0])
    opens = np.ascontiguousarray(history.fields["open"][:, 0]) if needs_open else None
    features, names = stock_features(close, opens, window, indicators)
    features = np.clip(features, -FEATURE_BOUND, FEATURE_BOUND).astype(np.float32)
    fill_prices = np.ascontiguousarray(fill_prices_of(history, source, fill))
    for array in (close, fill_prices, features):
        array.flags.writeable = False
    return history, close, fill_prices, features, names


def fill_prices_of(history: PriceHistory, source: str, fill: str) -> np.ndarray:
    """The price each bar fills an order at, by ``fill``.

    'next_close': the close. 'next_open': the open, with a warning if opens are stale
    over whole stretches (:func:`warn_stale_opens`). 'next_open_or_close': the close on
    each bar whose open is stale (equal to the previous close), the open elsewhere.
    """
    close = history.close[:, 0]
    if fill == "next_close":
        return close
    opens = history.fields["open"][:, 0]
    stale = stale_opens(opens, close)
    if fill == "next_open":
        warn_stale_opens(history, source, stale)
        return opens
    return np.where(stale, close, opens)


def market_arrays(config: StockConfig) -> tuple:
    """``(history, close, fill prices, features, feature names)``, cached per process."""
    return _market(
        (
            config.source,
            config.ticker,
            config.end,
            config.ffill_limit,
            config.cache_dir,
            (config.date_format, config.dayfirst),
            config.fill,
            config.window,
            config.indicators,
            config.warmup,
        )
    )


class StockSystem(DatedEpisodes):
    """``B`` copies of one trading account on one asset: state, reset and step.

    Args:
        config: The environment's parameters.
        num_copies: ``B``.
        max_steps: Steps after which :meth:`step` reports a copy truncated.

    Raises:
        ConfigError: If the range is too short for the warm-up or for one training episode.
    """

    time_column = STATE.time

    def __init__(self, config: StockConfig, num_copies: int, max_steps: int | None = None):
        self.config = config
        self.num_copies = num_copies
        history, self.close, self.fill, self.features, self.feature_names = market_arrays(config)
        self.dates = history.dates
        self.ticker = history.tickers[0]
        self.date_labels = bar_labels(self.dates)
        self.first, self.last = episode_bounds(self.dates, config.start, config.end, config.warmup)
        if config.mode == "train" and self.last - self.first < config.episode_length:
            raise ConfigError(
                f"mode='train' needs episode_length={config.episode_length} bars after the "
                f"start; the range has {self.last - self.first}. Widen it or shorten "
                "episode_length."
            )
        self.prices = np.ascontiguousarray(np.stack([self.fill, self.close], axis=1))
        self.params = as_record(
            StockParams(
                cost_rate=config.cost_rate,
                slippage=config.slippage,
                eta=config.dsr_eta,
                var_floor=config.dsr_initial_volatility**2 / 100.0,
                max_steps=np.inf if max_steps is None else max_steps,
                last=self.last,
                initial=config.initial_value,
            )
        )
        self.positions = np.array(config.positions, dtype=np.float64)
        self.observation_size = self.features.shape[1] + 1
        self.initial_state = np.zeros(len(STATE))
        self.initial_state[STATE.cash] = config.initial_value
        self.initial_state[STATE.wealth] = config.initial_value
        self.initial_state[STATE.dsr_b] = config.dsr_initial_volatility**2
        self.state = np.tile(self.initial_state, (num_copies, 1))
        self._record = np.empty((num_copies, len(RECORD)))
        self._done = np.empty((num_copies, 2), dtype=bool)

    def step(
        self, actions: np.ndarray, reuse: bool = False
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Advance all copies one bar.

        Args:
            actions: ``(B,)`` position indices.
            reuse: Write the record and end flags into buffers kept by the system (valid
                until the next step) instead of new arrays; the single env reads them at once.

        Returns:
            Observations (always a new array), the record ``(B, K)`` and ``(B, 2)`` flags
            (terminated, truncated).
        """
        if not (isinstance(actions, np.ndarray) and actions.dtype == np.int64):
            actions = np.asarray(actions, dtype=np.int64)
        if reuse:
            record, done = self._record, self._done
        else:
            record = np.empty((self.num_copies, len(RECORD)))
            done = np.empty((self.num_copies, 2), dtype=bool)
        observation = np.empty((self.num_copies, self.observation_size), dtype=np.float32)
        advance(
            self.state,
            actions.reshape(self.num_copies),
            self.prices,
            self.features,
            self.params,
            self.positions,
            record,
            observation,
            done,
        )
        return observation, record, done

    def observe(self) -> np.ndarray:
        """New observations ``(B, D)``."""
        observation = np.empty((self.num_copies, self.observation_size), dtype=np.float32)
        observe(self.state, self.prices, self.features, observation)
        return observation

    def date(self, copy: int = 0) -> str:
        """The date of the last bar copy ``copy`` has seen (ISO)."""
        return self.date_labels[self.row(copy)]
