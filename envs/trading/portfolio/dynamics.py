"""Portfolio dynamics, shared by the single and the vectorized environment.

:class:`PortfolioSystem` holds ``B`` independent copies (one row of ``state`` each) and
advances all of them with :func:`advance`, one compiled pure function; the single env is
``B = 1`` of the same code.

One step of a copy deciding after the close of day ``t`` (row ``t`` of the prices):

1. The action (``N + 1`` non-negative scores, the last one cash) becomes target weights
   by dividing by their sum (all cash if the sum is 0). If the risk guard is on and day
   ``t``'s turbulence exceeds the threshold, the target is all cash.
2. The portfolio is rebalanced at day ``t``'s close from the weights it holds (the last
   target, drifted by the returns since) to the target. Turnover is the sum over assets of
   ``|target - held|``; the cost is ``cost_rate * turnover`` of wealth.
3. Day ``t + 1``'s returns apply: gross growth ``g = sum_i w_i P[t+1,i]/P[t,i] + w_cash *
   cash growth``; the period's net simple return is ``g - 1 - cost`` (skfolio's
   convention: the cost is taken out of the return of the period it is paid in); the
   weights drift to ``w_i P[t+1,i]/P[t,i] / g``.
4. The observation is row ``t + 1`` of the features (computed from prices up to ``t + 1``)
   and the drifted weights.
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
    bar_labels,
    check_history_length,
    episode_bounds,
    log_returns,
    price_history,
    return_window,
    trailing_return,
    trailing_volatility,
    turbulence,
)
from fieldgym.envs.trading.portfolio.config import PortfolioConfig


class StateColumns(NamedTuple):
    """The columns of the state array, one row per copy."""

    time: int
    """The price row of the last close seen."""
    value: int
    """Wealth, starting at 1."""
    dsr_a: int
    """The differential Sharpe ratio's moving mean of returns."""
    dsr_b: int
    """Its moving mean of squared returns."""
    steps: int
    """Steps taken in the episode."""
    held: int
    """The first of the held weights (assets, then cash), which run to the row's end."""


class RecordColumns(NamedTuple):
    """The columns of the per-step record :func:`advance` writes (``info["kpi"]``)."""

    return_: int
    """Net simple return of the day (the KPI ``return``)."""
    log_return: int
    turnover: int
    cost: int
    """Cost as a fraction of wealth."""
    value: int
    """Wealth after the day."""
    differential_sharpe: int
    risk: int
    """Minus half the squared deviation of the return from its moving mean."""
    guard: int
    """1 on days the risk guard moved to cash."""
    weights: int
    """The first of the held weights after the day, which run to the row's end."""


class PortfolioParams(NamedTuple):
    """The kernel's constants."""

    cost_rate: float
    cash_growth: float
    """Daily growth of cash."""
    eta: float
    """Rate of the differential Sharpe ratio's moving moments."""
    var_floor: float
    """Floor of the ratio's variance."""
    max_steps: float
    """Step limit of an episode (inf: none)."""
    last: int
    """The range's last price row."""


STATE = columns(StateColumns)
RECORD = columns(RecordColumns)

FAST = {"reassoc", "contract", "arcp", "nsz"}
"""numba fast-math flags: reassociate sums (so they vectorize); NaN and inf stay IEEE."""

MIN_RETURN = -0.999999
"""Floor of a period's net return, so wealth stays positive and its log finite."""


@njit(cache=True, error_model="numpy", fastmath=FAST)
def advance(
    state: np.ndarray,
    actions: np.ndarray,
    growth: np.ndarray,
    guard: np.ndarray,
    features: np.ndarray,
    params: np.ndarray,
    record: np.ndarray,
    observation: np.ndarray,
    done: np.ndarray,
) -> None:
    """Advance every copy one day, in place; write the record and the new observation.

    Args:
        state: ``(B, len(STATE) + N)`` per copy (:class:`StateColumns`).
        actions: ``(B, N + 1)`` scores; clipped to [0, 1] (NaN counts as 0).
        growth: ``(T, N)`` price relatives ``P[t] / P[t - 1]`` (row 0 unused).
        guard: ``(T,)`` True on days the risk guard moves to cash.
        features: ``(T, F)`` float32 observed features of each day.
        params: :class:`PortfolioParams` as a record (:func:`as_record`).
        record: ``(B, len(RECORD) + N)`` output (:class:`RecordColumns`).
        observation: ``(B, F + N + 1)`` float32 output.
        done: ``(B, 2)`` bool output: terminated (never), truncated (the copy reached the
            last price row or the limit).
    """
    n_copies = state.shape[0]
    n_assets = growth.shape[1]
    p = params[0]
    cost_rate, cash_growth, eta, var_floor = p.cost_rate, p.cash_growth, p.eta, p.var_floor
    max_steps, last = p.max_steps, p.last
    target = np.empty(n_assets + 1)
    for b in range(n_copies):
        t = min(int(state[b, STATE.time]), last - 1)  # never past the data, even if misused
        total = 0.0
        for i in range(n_assets + 1):
            a = actions[b, i]
            a = min(a, 1.0) if a > 0.0 else 0.0
            target[i] = a
            total += a
        if total <= 1e-12 or guard[t]:
            target[:] = 0.0
            target[n_assets] = 1.0
        else:
            scale = 1.0 / total
            for i in range(n_assets + 1):
                target[i] *= scale
        turnover = 0.0
        gross = target[n_assets] * cash_growth
        for i in range(n_assets):
            turnover += abs(target[i] - state[b, STATE.held + i])
            gross += target[i] * growth[t + 1, i]
        cost = cost_rate * turnover
        r = max(gross - 1.0 - cost, MIN_RETURN)
        inverse = 1.0 / gross
        for i in range(n_assets):
            state[b, STATE.held + i] = target[i] * growth[t + 1, i] * inverse
        state[b, STATE.held + n_assets] = target[n_assets] * cash_growth * inverse
        d, a_new, b_new = differential_sharpe(
            r, state[b, STATE.dsr_a], state[b, STATE.dsr_b], eta, var_floor
        )
        deviation = r - state[b, STATE.dsr_a]
        state[b, STATE.dsr_a] = a_new
        state[b, STATE.dsr_b] = b_new
        state[b, STATE.time] = t + 1
        state[b, STATE.value] *= 1.0 + r
        state[b, STATE.steps] += 1.0
        record[b, RECORD.return_] = r
        record[b, RECORD.log_return] = np.log1p(r)
        record[b, RECORD.turnover] = turnover
        record[b, RECORD.cost] = cost
        record[b, RECORD.value] = state[b, STATE.value]
        record[b, RECORD.differential_sharpe] = d
        record[b, RECORD.risk] = -0.5 * deviation * deviation
        record[b, RECORD.guard] = 1.0 if guard[t] else 0.0
        for i in range(n_assets + 1):
            record[b, RECORD.weights + i] = state[b, STATE.held + i]
        done[b, 0] = False
        done[b, 1] = t + 1 >= last or state[b, STATE.steps] >= max_steps
    observe(state, features, observation)


@njit(cache=True, error_model="numpy")
def observe(state: np.ndarray, features: np.ndarray, observation: np.ndarray) -> None:
    """Write each copy's observation: its day's feature row, then its held weights."""
    for b in range(state.shape[0]):
        observe_copy(state, features, observation, b)


@njit(cache=True, error_model="numpy")
def observe_rows(
    state: np.ndarray, features: np.ndarray, observation: np.ndarray, rows: np.ndarray
) -> None:
    """:func:`observe` for the copies listed in ``rows`` only."""
    for b in rows:
        observe_copy(state, features, observation, b)


@njit(cache=True, inline="always")
def observe_copy(state: np.ndarray, features: np.ndarray, observation: np.ndarray, b: int) -> None:
    """Write copy ``b``'s observation row."""
    n_features = features.shape[1]
    n_weights = observation.shape[1] - n_features
    t = int(state[b, STATE.time])
    for k in range(n_features):
        observation[b, k] = features[t, k]
    for i in range(n_weights):
        observation[b, n_features + i] = state[b, STATE.held + i]


@functools.lru_cache(maxsize=16)
def _market(key: tuple) -> tuple:
    (source, tickers, end, ffill_limit, cache_dir, dates) = key[:6]
    (windows, vol_days, window, guard_days, warmup) = key[6:]
    date_format, dayfirst = dates
    history = price_history(
        source, tickers, end, ("close",), ffill_limit, cache_dir, date_format, dayfirst
    )
    check_history_length(history, source, end, warmup)
    close = history.close
    daily = log_returns(close)
    growth = np.ones_like(close)
    growth[1:] = close[1:] / close[:-1]
    blocks = [trailing_return(close, days) for days in windows]
    blocks.append(trailing_volatility(daily, vol_days))
    if window:
        blocks.append(return_window(daily, window))
    features = np.clip(np.concatenate(blocks, axis=1), -FEATURE_BOUND, FEATURE_BOUND)
    features = np.ascontiguousarray(features, dtype=np.float32)
    turb = turbulence(daily, guard_days) if guard_days else np.zeros(len(close))
    for array in (growth, features, turb):
        array.flags.writeable = False
    return history, growth, features, turb


def market_arrays(config: PortfolioConfig) -> tuple:
    """``(history, growth, features, turbulence)`` of a config, cached per process."""
    key = (
        config.source,
        config.tickers,
        config.end,
        config.ffill_limit,
        config.cache_dir,
        (config.date_format, config.dayfirst),
        config.return_windows,
        config.volatility_window,
        config.window,
        config.turbulence_window if config.turbulence_threshold is not None else 0,
        config.warmup,
    )
    return _market(key)


def observation_layout(config: PortfolioConfig, n_assets: int) -> dict[str, tuple[slice, tuple]]:
    """Name -> (slice of the flat observation, shape of the block), in observation order."""
    blocks: dict[str, tuple[int, ...]] = {
        f"return_{d}d": (n_assets,) for d in config.return_windows
    }
    blocks[f"volatility_{config.volatility_window}d"] = (n_assets,)
    if config.window:
        blocks["window"] = (config.window, n_assets)
    blocks["weights"] = (n_assets + 1,)
    layout, start = {}, 0
    for name, shape in blocks.items():
        size = int(np.prod(shape))
        layout[name] = (slice(start, start + size), shape)
        start += size
    return layout


class PortfolioSystem(DatedEpisodes):
    """``B`` copies of one portfolio over one price history: state, reset and step.

    Args:
        config: The environment's parameters.
        num_copies: ``B``.
        max_steps: Steps after which :meth:`step` reports a copy truncated (``None``: only
            when its price history is exhausted).

    Raises:
        ConfigError: If the date range is too short for the warm-up or, in training mode,
            for one episode of ``episode_length`` days.
    """

    time_column = STATE.time

    def __init__(
        self, config: PortfolioConfig, num_copies: int, max_steps: int | None = None
    ) -> None:
        self.config = config
        self.num_copies = num_copies
        self.history, self.growth, self.features, self.turbulence = market_arrays(config)
        self.dates = self.history.dates
        self.date_labels = bar_labels(self.dates)
        self.tickers = self.history.tickers
        self.n_assets = len(self.tickers)
        self.first, self.last = episode_bounds(self.dates, config.start, config.end, config.warmup)
        if config.mode == "train" and self.last - self.first < config.episode_length:
            raise ConfigError(
                f"mode='train' needs episode_length={config.episode_length} trading days after "
                f"the start; the range {self.dates[self.first].date()} to "
                f"{self.dates[self.last].date()} has {self.last - self.first}. Widen the range "
                "or shorten episode_length."
            )
        threshold = config.turbulence_threshold
        self.guard = (
            self.turbulence > threshold
            if threshold is not None
            else np.zeros(len(self.dates), bool)
        )
        self.params = as_record(
            PortfolioParams(
                cost_rate=config.cost_rate,
                cash_growth=(1.0 + config.cash_rate) ** (1.0 / 252.0),
                eta=config.dsr_eta,
                var_floor=config.dsr_initial_volatility**2 / 100.0,
                max_steps=np.inf if max_steps is None else max_steps,
                last=self.last,
            )
        )
        self.layout = observation_layout(config, self.n_assets)
        self.observation_size = self.features.shape[1] + self.n_assets + 1
        self.state = np.zeros((num_copies, len(STATE) + self.n_assets))
        self.initial_state = np.zeros(len(STATE) + self.n_assets)
        self.initial_state[STATE.value] = 1.0
        self.initial_state[STATE.dsr_b] = config.dsr_initial_volatility**2
        self.initial_state[STATE.held + self.n_assets] = 1.0
        self.record_width = len(RECORD) + self.n_assets
        self._record = np.empty((num_copies, self.record_width))
        self._done = np.empty((num_copies, 2), dtype=bool)

    def step(
        self, actions: np.ndarray, reuse: bool = False
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Advance all copies one day.

        Args:
            actions: ``(B, N + 1)`` scores.
            reuse: Write the record and flags into buffers kept by the system (valid until
                the next step) instead of new arrays; the single env reads them at once.

        Returns:
            Observations ``(B, D)`` (always a new array), the record ``(B, K)`` and ``(B,
            2)`` flags: terminated (never) and truncated (price history exhausted or
            ``max_steps`` reached).
        """
        if not (isinstance(actions, np.ndarray) and actions.dtype in (np.float32, np.float64)):
            actions = np.asarray(actions, dtype=np.float64)
        actions = actions.reshape(self.num_copies, -1)
        if not actions.flags.c_contiguous:
            actions = np.ascontiguousarray(actions)
        if reuse:
            record, done = self._record, self._done
        else:
            record = np.empty((self.num_copies, self.record_width))
            done = np.empty((self.num_copies, 2), dtype=bool)
        observation = np.empty((self.num_copies, self.observation_size), dtype=np.float32)
        advance(
            self.state,
            actions,
            self.growth,
            self.guard,
            self.features,
            self.params,
            record,
            observation,
            done,
        )
        return observation, record, done

    def observe(self, out: np.ndarray | None = None, rows: np.ndarray | None = None) -> np.ndarray:
        """Observations ``(B, D)``: new, or written into ``out`` for the copies ``rows`` only."""
        if out is None:
            out = np.empty((self.num_copies, self.observation_size), dtype=np.float32)
        if rows is None:
            observe(self.state, self.features, out)
        else:
            observe_rows(self.state, self.features, out, rows)
        return out

    def date(self, copy: int = 0) -> str:
        """The date of the last close copy ``copy`` has seen (ISO)."""
        return self.date_labels[self.row(copy)]
