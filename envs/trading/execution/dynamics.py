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

import numpy as np
from numba import njit

from fieldgym.envs.trading.execution.config import ExecutionConfig

PERIOD, REMAINING, PRICE, CASH, LOG_LIQUIDITY, IMPACT = range(6)
"""Columns of the state array."""

RECORD = (
    "shortfall",
    "shortfall_bps",
    "risk_bps",
    "sold",
    "remaining",
    "price",
    "execution_price",
    "liquidity",
    "value",
)
"""Columns of the per-step record."""

MODES = {"constant": 0, "schedule": 1, "stochastic": 2}
OBSERVATION = ("time_left", "inventory_left", "price_move", "last_impact")
"""Observation columns: fraction of periods left, of shares left, the price move since
arrival in units of ``sigma sqrt(T)`` and the last period's impact per share in units of
the constant-liquidity TWAP impact (both clipped to [-10, 10])."""


@njit(cache=True, error_model="numpy")
def advance(
    state: np.ndarray,
    fractions: np.ndarray,
    noise: np.ndarray,
    schedule: np.ndarray,
    params: np.ndarray,
    record: np.ndarray,
    observation: np.ndarray,
    done: np.ndarray,
) -> None:
    """Advance every copy one period, in place (see the module docstring).

    Args:
        state: ``(B, 6)``: period, shares left, price, cash received, log liquidity and
            the last impact per share.
        fractions: ``(B,)`` fraction of the remaining shares to sell (clipped to [0, 1]).
        noise: ``(B, 2)`` standard normals: price shock, liquidity shock.
        schedule: ``(N,)`` deterministic liquidity of each period ('schedule' mode).
        params: X, S0, tau, sigma, epsilon, eta, gamma, lambda, N, mode, the liquidity
            process's one-period autocorrelation and stationary std.
        record: ``(B, len(RECORD))`` output.
        observation: ``(B, 4)`` float32 output.
        done: ``(B, 2)`` output: terminated (all sold), truncated (unused, False).
    """
    x0, s0, tau, sigma, eps, eta, gamma, lam = (
        params[0],
        params[1],
        params[2],
        params[3],
        params[4],
        params[5],
        params[6],
        params[7],
    )
    n_periods, mode, rho, liq_std = int(params[8]), int(params[9]), params[10], params[11]
    scale = 1e4 / (x0 * s0)
    for b in range(state.shape[0]):
        k = int(state[b, PERIOD])
        x, price = state[b, REMAINING], state[b, PRICE]
        f = min(max(fractions[b], 0.0), 1.0)
        if k >= n_periods - 1:
            f = 1.0
        sold = f * x
        if mode == 1:
            liquidity = schedule[min(k, n_periods - 1)]
        elif mode == 2:
            liquidity = math.exp(state[b, LOG_LIQUIDITY])
        else:
            liquidity = 1.0
        impact = (eps if sold > 0.0 else 0.0) + (eta / liquidity) * sold / tau
        executed = price - impact
        shortfall = sold * (s0 - executed)
        left = x - sold
        risk = lam * sigma * sigma * tau * left * left
        price = price + sigma * math.sqrt(tau) * noise[b, 0] - gamma * sold
        state[b, PERIOD] = k + 1
        state[b, REMAINING] = left
        state[b, PRICE] = price
        state[b, CASH] += sold * executed
        state[b, LOG_LIQUIDITY] = (
            rho * state[b, LOG_LIQUIDITY] + liq_std * math.sqrt(1.0 - rho * rho) * noise[b, 1]
        )
        state[b, IMPACT] = impact if sold > 0.0 else 0.0
        record[b, 0] = shortfall
        record[b, 1] = shortfall * scale
        record[b, 2] = risk * scale
        record[b, 3] = sold
        record[b, 4] = left
        record[b, 5] = price
        record[b, 6] = executed
        record[b, 7] = liquidity
        record[b, 8] = (state[b, CASH] + left * price) / (x0 * s0)
        done[b, 0] = left <= 0.0 or k + 1 >= n_periods
        done[b, 1] = False
    observe(state, params, observation)


@njit(cache=True, error_model="numpy")
def observe(state: np.ndarray, params: np.ndarray, observation: np.ndarray) -> None:
    """Write each copy's observation (see :data:`OBSERVATION`)."""
    x0, s0, tau, sigma, eps, eta = params[0], params[1], params[2], params[3], params[4], params[5]
    n_periods = params[8]
    horizon = tau * n_periods
    twap_impact = eps + eta * x0 / horizon
    for b in range(state.shape[0]):
        observation[b, 0] = 1.0 - state[b, PERIOD] / n_periods
        observation[b, 1] = state[b, REMAINING] / x0
        move = (state[b, PRICE] - s0) / (sigma * math.sqrt(horizon))
        observation[b, 2] = min(max(move, -10.0), 10.0)
        observation[b, 3] = min(max(state[b, IMPACT] / twap_impact, -10.0), 10.0)


def liquidity_schedule(config: ExecutionConfig) -> np.ndarray:
    """Liquidity of each period under ``liquidity="schedule"``: ``1 + a cos(2 pi u)``.

    ``u`` is the fraction of the trading day elapsed at the period's start: liquidity is
    high at the open and the close and low at midday (the intraday U shape).
    """
    start = np.arange(config.periods) * config.tau
    return 1.0 + config.liquidity_amplitude * np.cos(2 * np.pi * (start % 1.0))


class ExecutionSystem:
    """``B`` copies of one execution problem: state, reset and step."""

    def __init__(self, config: ExecutionConfig, num_copies: int) -> None:
        self.config = config
        self.num_copies = num_copies
        self.schedule = liquidity_schedule(config)
        rho = math.exp(-config.liquidity_reversion * config.tau)
        self.params = np.array(
            [
                config.initial_shares,
                config.initial_price,
                config.tau,
                config.volatility,
                config.spread_cost,
                config.temporary_impact,
                config.permanent_impact,
                config.risk_aversion,
                config.periods,
                MODES[config.liquidity],
                rho,
                config.liquidity_volatility,
            ]
        )
        self.state = np.zeros((num_copies, 6))
        self.fractions = np.asarray(config.fractions, dtype=np.float64)

    def reset(self, rng: np.random.Generator, mask: np.ndarray | None = None) -> np.ndarray:
        """Start new episodes in the copies of ``mask`` (all if ``None``); their indices.

        One standard normal per reset copy sets the initial log liquidity (drawn in every
        mode, so that the random streams do not depend on the mode).
        """
        index = np.arange(self.num_copies) if mask is None else np.flatnonzero(mask)
        draws = rng.standard_normal(len(index))
        self.state[index] = 0.0
        self.state[index, REMAINING] = self.config.initial_shares
        self.state[index, PRICE] = self.config.initial_price
        self.state[index, LOG_LIQUIDITY] = self.config.liquidity_volatility * draws
        return index

    def to_fractions(self, actions: np.ndarray) -> np.ndarray:
        """Fractions of the remaining shares ``(B,)`` from a batch of actions."""
        if self.config.action_type == "discrete":
            index = np.clip(
                np.asarray(actions, dtype=np.int64).reshape(-1), 0, len(self.fractions) - 1
            )
            return self.fractions[index]
        return np.asarray(actions, dtype=np.float64).reshape(-1)

    def step(
        self, actions: np.ndarray, rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Advance all copies one period; new arrays: observations, record, ``(B, 2)`` flags."""
        noise = rng.standard_normal((self.num_copies, 2))
        record = np.empty((self.num_copies, len(RECORD)))
        observation = np.empty((self.num_copies, len(OBSERVATION)), dtype=np.float32)
        done = np.empty((self.num_copies, 2), dtype=bool)
        advance(
            self.state,
            self.to_fractions(actions),
            noise,
            self.schedule,
            self.params,
            record,
            observation,
            done,
        )
        return observation, record, done

    def observe(self) -> np.ndarray:
        """New observations ``(B, 4)``."""
        observation = np.empty((self.num_copies, len(OBSERVATION)), dtype=np.float32)
        observe(self.state, self.params, observation)
        return observation
