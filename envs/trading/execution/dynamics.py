"""Almgren-Chriss execution dynamics, shared by the single and the vectorized environment.

Period ``k`` (``k = 1..N``, length ``tau = T/N``) of a copy holding ``x`` shares with
unaffected price ``S``:

1. The action sells ``n = f * x`` shares (``f`` the fraction chosen; the whole
   remainder in the last period) at ``S - epsilon - (eta / L_k) * n / tau``: the fixed
   and temporary impact, with ``L_k`` the period's liquidity (constant 1, a deterministic
   schedule, or a log-normal Ornstein-Uhlenbeck process the agent does not observe).
2. The remaining ``x' = x - n`` shares carry the period's price risk: the price moves to
   ``S + sigma sqrt(tau) xi - gamma n`` (arithmetic Brownian motion plus permanent impact).
3. Reward parts, in basis points of the arrival value ``X * S0``: ``shortfall``, minus
   ``n * (S0 - execution price)`` (summing to minus the implementation shortfall), and
   ``risk``, minus ``lambda sigma^2 tau x'^2`` (summing to minus lambda times the
   variance of the shortfall of a static schedule, as in Almgren and Chriss).

The expected episode return is therefore minus Almgren and Chriss's ``E[IS] + lambda
Var[IS]`` for any schedule, and their closed-form schedule maximizes it when liquidity is
constant.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from numba import njit

from fieldgym.envs.core.tables import as_record, columns
from fieldgym.envs.trading.execution.config import LIQUIDITY, ExecutionConfig
from fieldgym.envs.trading.simulated import OBSERVATION_BOUND, SimulatedSystem, price_move


class StateColumns(NamedTuple):
    """The columns of the state array, one row per copy."""

    period: int
    """Periods done."""
    remaining: int
    """Shares left."""
    price: int
    """Unaffected price ``S``."""
    cash: int
    """Cash received."""
    log_liquidity: int
    """Log liquidity of the stochastic process (drawn in every mode)."""
    impact: int
    """The last period's impact per share (0 if it sold nothing)."""


class RecordColumns(NamedTuple):
    """The columns of the per-step record (``info["kpi"]``)."""

    shortfall: int
    """``n (S0 - execution price)``, $."""
    shortfall_bps: int
    """The shortfall in bps of ``X * S0``."""
    risk_bps: int
    """``lambda sigma^2 tau x'^2`` in bps of ``X * S0``."""
    sold: int
    remaining: int
    price: int
    """The price after the period's move."""
    execution_price: int
    liquidity: int
    value: int
    """Cash plus the shares left at the price, over ``X * S0``."""


class ObservationColumns(NamedTuple):
    """The observation's columns.

    Fraction of periods left, of shares left, the price move since arrival in units of
    ``sigma sqrt(T)`` and the last period's impact per share in units of the
    constant-liquidity TWAP impact (both clipped to [-10, 10]).
    """

    time_left: int
    inventory_left: int
    price_move: int
    last_impact: int


STATE = columns(StateColumns)
RECORD = columns(RecordColumns)
OBSERVATION = columns(ObservationColumns)
SCHEDULE, STOCHASTIC = LIQUIDITY.index("schedule"), LIQUIDITY.index("stochastic")
"""The liquidity modes as the kernel reads them: their index in ``LIQUIDITY``."""


class ExecutionParams(NamedTuple):
    """The constants of one execution problem, as the kernels read them."""

    initial_shares: float
    """X."""
    initial_price: float
    """S0."""
    tau: float
    """Length of a period, days."""
    volatility: float
    """sigma."""
    spread_cost: float
    """epsilon."""
    temporary_impact: float
    """eta."""
    permanent_impact: float
    """gamma."""
    risk_aversion: float
    """lambda."""
    periods: int
    """N."""
    liquidity_mode: int
    """The index of the config's ``liquidity`` in ``LIQUIDITY``."""
    liquidity_autocorrelation: float
    """One-period autocorrelation of the log liquidity."""
    liquidity_volatility: float
    """Stationary std of the log liquidity."""


def execution_params(config: ExecutionConfig) -> np.ndarray:
    """The kernels' constants of ``config``: :class:`ExecutionParams` as a record."""
    return as_record(
        ExecutionParams(
            initial_shares=config.initial_shares,
            initial_price=config.initial_price,
            tau=config.tau,
            volatility=config.volatility,
            spread_cost=config.spread_cost,
            temporary_impact=config.temporary_impact,
            permanent_impact=config.permanent_impact,
            risk_aversion=config.risk_aversion,
            periods=config.periods,
            liquidity_mode=LIQUIDITY.index(config.liquidity),
            liquidity_autocorrelation=math.exp(-config.liquidity_reversion * config.tau),
            liquidity_volatility=config.liquidity_volatility,
        )
    )


@njit(cache=True, error_model="numpy")
def advance(
    state: np.ndarray,
    fractions: np.ndarray,
    noise: np.ndarray,
    schedule: np.ndarray,
    params: np.ndarray,
    record: np.ndarray,
    observation: np.ndarray,
    terminated: np.ndarray,
) -> None:
    """Advance every copy one period, in place (see the module docstring).

    Args:
        state: ``(B, len(STATE))``, columns :class:`StateColumns`.
        fractions: ``(B,)`` fraction of the remaining shares to sell (clipped to [0, 1]).
        noise: ``(B, 2)`` standard normals: price shock, liquidity shock.
        schedule: ``(N,)`` deterministic liquidity of each period ('schedule' mode).
        params: The problem's constants, :func:`execution_params`.
        record: ``(B, len(RECORD))`` output, columns :class:`RecordColumns`.
        observation: ``(B, len(OBSERVATION))`` float32 output.
        terminated: ``(B,)`` output: all sold.
    """
    p = params[0]
    x0, s0, tau = p.initial_shares, p.initial_price, p.tau
    sigma, eps, eta = p.volatility, p.spread_cost, p.temporary_impact
    gamma, lam, n_periods = p.permanent_impact, p.risk_aversion, p.periods
    rho, liq_std = p.liquidity_autocorrelation, p.liquidity_volatility
    mode = p.liquidity_mode
    scale = 1e4 / (x0 * s0)
    for b in range(state.shape[0]):
        k = int(state[b, STATE.period])
        x, price = state[b, STATE.remaining], state[b, STATE.price]
        f = min(max(fractions[b], 0.0), 1.0)
        if k >= n_periods - 1:
            f = 1.0
        sold = f * x
        if mode == SCHEDULE:
            liquidity = schedule[min(k, n_periods - 1)]
        elif mode == STOCHASTIC:
            liquidity = math.exp(state[b, STATE.log_liquidity])
        else:
            liquidity = 1.0
        impact = (eps if sold > 0.0 else 0.0) + (eta / liquidity) * sold / tau
        executed = price - impact
        shortfall = sold * (s0 - executed)
        left = x - sold
        risk = lam * sigma * sigma * tau * left * left
        price = price + sigma * math.sqrt(tau) * noise[b, 0] - gamma * sold
        state[b, STATE.period] = k + 1
        state[b, STATE.remaining] = left
        state[b, STATE.price] = price
        state[b, STATE.cash] += sold * executed
        state[b, STATE.log_liquidity] = (
            rho * state[b, STATE.log_liquidity] + liq_std * math.sqrt(1.0 - rho * rho) * noise[b, 1]
        )
        state[b, STATE.impact] = impact if sold > 0.0 else 0.0
        record[b, RECORD.shortfall] = shortfall
        record[b, RECORD.shortfall_bps] = shortfall * scale
        record[b, RECORD.risk_bps] = risk * scale
        record[b, RECORD.sold] = sold
        record[b, RECORD.remaining] = left
        record[b, RECORD.price] = price
        record[b, RECORD.execution_price] = executed
        record[b, RECORD.liquidity] = liquidity
        record[b, RECORD.value] = (state[b, STATE.cash] + left * price) / (x0 * s0)
        terminated[b] = left <= 0.0 or k + 1 >= n_periods
    observe(state, params, observation)


@njit(cache=True, error_model="numpy")
def observe(state: np.ndarray, params: np.ndarray, observation: np.ndarray) -> None:
    """Write each copy's observation (see :class:`ObservationColumns`)."""
    p = params[0]
    x0, s0, sigma, n_periods = p.initial_shares, p.initial_price, p.volatility, p.periods
    horizon = p.tau * n_periods
    twap_impact = p.spread_cost + p.temporary_impact * x0 / horizon
    for b in range(state.shape[0]):
        observation[b, OBSERVATION.time_left] = 1.0 - state[b, STATE.period] / n_periods
        observation[b, OBSERVATION.inventory_left] = state[b, STATE.remaining] / x0
        move = price_move(state[b, STATE.price], s0, sigma, horizon)
        observation[b, OBSERVATION.price_move] = move
        impact = state[b, STATE.impact] / twap_impact
        observation[b, OBSERVATION.last_impact] = min(
            max(impact, -OBSERVATION_BOUND), OBSERVATION_BOUND
        )


def liquidity_schedule(config: ExecutionConfig) -> np.ndarray:
    """Liquidity of each period under ``liquidity="schedule"``: ``1 + a cos(2 pi u)``.

    ``u`` is the fraction of the trading day elapsed at the period's start: liquidity is
    high at the open and the close and low at midday (the intraday U shape).
    """
    start = np.arange(config.periods) * config.tau
    return 1.0 + config.liquidity_amplitude * np.cos(2 * np.pi * (start % 1.0))


class ExecutionSystem(SimulatedSystem):
    """``B`` copies of one execution problem: state, reset and step."""

    state_columns = STATE
    record_columns = RECORD
    observation_columns = OBSERVATION
    elapsed_column = STATE.period
    observe_kernel = staticmethod(observe)

    def __init__(self, config: ExecutionConfig, num_copies: int) -> None:
        start = np.zeros(len(STATE))
        start[STATE.remaining] = config.initial_shares
        start[STATE.price] = config.initial_price
        super().__init__(config, num_copies, execution_params(config), start)
        self.schedule = liquidity_schedule(config)
        self.fractions = np.asarray(config.fractions, dtype=np.float64)

    def draw_start(self, rng: np.random.Generator, index: np.ndarray) -> None:
        """The initial log liquidity, from its stationary law.

        One standard normal per reset copy, drawn in every mode so that the random
        streams do not depend on the mode.
        """
        draws = rng.standard_normal(len(index))
        self.state[index, STATE.log_liquidity] = self.config.liquidity_volatility * draws

    def to_fractions(self, actions: np.ndarray) -> np.ndarray:
        """Fractions of the remaining shares ``(B,)`` from a batch of actions."""
        if self.config.action_type == "discrete":
            index = np.clip(
                np.asarray(actions, dtype=np.int64).reshape(-1), 0, len(self.fractions) - 1
            )
            return self.fractions[index]
        return np.asarray(actions, dtype=np.float64).reshape(-1)

    def _advance(
        self,
        actions: np.ndarray,
        rng: np.random.Generator,
        record: np.ndarray,
        observation: np.ndarray,
        terminated: np.ndarray,
    ) -> None:
        noise = rng.standard_normal((self.num_copies, 2))
        advance(
            self.state,
            self.to_fractions(actions),
            noise,
            self.schedule,
            self.params,
            record,
            observation,
            terminated,
        )
