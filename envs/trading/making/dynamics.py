"""Avellaneda-Stoikov market making dynamics, shared by the single and the vector env.

One step of length ``dt`` for a copy with inventory ``q``, cash ``c`` and mid ``S``:

1. The dealer quotes a bid at ``S - delta_b`` and an ask at ``S + delta_a``.
2. Each side fills (one share) with probability ``min(A exp(-k delta) dt, 1)``, the
   Bernoulli approximation of the Poisson arrivals that Avellaneda and Stoikov simulate;
   a bid does not fill at ``q = +max_inventory``, an ask not at ``-max_inventory``.
3. The mid moves: ``S + sigma sqrt(dt) xi``.
4. Reward parts: ``pnl``, the change of wealth ``c + q S``; ``inventory``, minus
   ``phi q^2 dt``; at the horizon ``liquidation``, minus ``liquidation_cost |q|`` as the
   inventory is sold at the mid.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from numba import njit

from fieldgym.envs.core.tables import as_record, columns
from fieldgym.envs.trading.making.config import MarketMakingConfig
from fieldgym.envs.trading.simulated import SimulatedSystem, price_move


class StateColumns(NamedTuple):
    """The columns of the state array, one row per copy."""

    step: int
    """Steps done."""
    cash: int
    inventory: int
    """Shares held ``q``."""
    price: int
    """The mid ``S``."""


class RecordColumns(NamedTuple):
    """The columns of the per-step record (``info["kpi"]``)."""

    pnl: int
    """Change of wealth ``c + q S``, before the liquidation cost."""
    inventory_penalty: int
    """Minus ``phi q^2 dt``."""
    liquidation: int
    """Minus the liquidation cost (at the horizon; 0 before)."""
    value: int
    """Wealth ``c + q S`` after the step."""
    inventory: int
    """Inventory after the fills, before the liquidation at the horizon."""
    fills: int
    spread: int
    """Quoted spread, the bid plus the ask distance."""
    price: int
    """The mid after the step's move."""


class ObservationColumns(NamedTuple):
    """Fraction of the horizon left, inventory over the maximum, mid move over ``sigma sqrt(T)``."""

    time_left: int
    inventory: int
    price_move: int


STATE = columns(StateColumns)
RECORD = columns(RecordColumns)
OBSERVATION = columns(ObservationColumns)


class MakingParams(NamedTuple):
    """The constants of one market making problem, as the kernels read them."""

    initial_price: float
    """S0."""
    volatility: float
    """sigma."""
    dt: float
    """Length of a step."""
    arrival_rate: float
    """A."""
    decay: float
    """k."""
    max_inventory: int
    inventory_penalty: float
    """phi."""
    liquidation_cost: float
    steps: int
    max_distance: float


def making_params(config: MarketMakingConfig) -> np.ndarray:
    """The kernels' constants of ``config``: :class:`MakingParams` as a record."""
    return as_record(
        MakingParams(
            initial_price=config.initial_price,
            volatility=config.volatility,
            dt=config.dt,
            arrival_rate=config.arrival_rate,
            decay=config.decay,
            max_inventory=config.max_inventory,
            inventory_penalty=config.inventory_penalty,
            liquidation_cost=config.liquidation_cost,
            steps=config.steps,
            max_distance=config.max_distance,
        )
    )


@njit(cache=True, error_model="numpy")
def advance(
    state: np.ndarray,
    quotes: np.ndarray,
    noise: np.ndarray,
    uniforms: np.ndarray,
    params: np.ndarray,
    record: np.ndarray,
    observation: np.ndarray,
    terminated: np.ndarray,
) -> None:
    """Advance every copy one step, in place (see the module docstring).

    Args:
        state: ``(B, len(STATE))``, columns :class:`StateColumns`.
        quotes: ``(B, 2)`` bid and ask distances from the mid (clipped to ±max_distance).
        noise: ``(B,)`` standard normals (mid shocks).
        uniforms: ``(B, 2)`` uniforms deciding the bid and ask fills.
        params: The problem's constants, :func:`making_params`.
        record: ``(B, len(RECORD))`` output, columns :class:`RecordColumns`.
        observation: ``(B, len(OBSERVATION))`` float32 output.
        terminated: ``(B,)`` output: the horizon is reached.
    """
    p = params[0]
    sigma, dt, a, k = p.volatility, p.dt, p.arrival_rate, p.decay
    max_q, phi, steps = p.max_inventory, p.inventory_penalty, p.steps
    liquidation, bound = p.liquidation_cost, p.max_distance
    for b in range(state.shape[0]):
        price, q, cash = state[b, STATE.price], state[b, STATE.inventory], state[b, STATE.cash]
        before = cash + q * price
        bid = min(max(quotes[b, 0], -bound), bound)
        ask = min(max(quotes[b, 1], -bound), bound)
        fills = 0.0
        if q < max_q and uniforms[b, 0] < min(a * math.exp(-k * bid) * dt, 1.0):
            q += 1.0
            cash -= price - bid
            fills += 1.0
        if q > -max_q and uniforms[b, 1] < min(a * math.exp(-k * ask) * dt, 1.0):
            q -= 1.0
            cash += price + ask
            fills += 1.0
        price = price + sigma * math.sqrt(dt) * noise[b]
        step = state[b, STATE.step] + 1.0
        penalty = phi * q * q * dt
        record[b, RECORD.inventory] = q
        paid = 0.0
        if step >= steps:  # liquidate at the mid
            paid = liquidation * abs(q)
            cash += q * price - paid
            q = 0.0
        state[b, STATE.step] = step
        state[b, STATE.cash] = cash
        state[b, STATE.inventory] = q
        state[b, STATE.price] = price
        after = cash + q * price
        record[b, RECORD.pnl] = after - before + paid
        record[b, RECORD.inventory_penalty] = -penalty
        record[b, RECORD.liquidation] = -paid
        record[b, RECORD.value] = after
        record[b, RECORD.fills] = fills
        record[b, RECORD.spread] = bid + ask
        record[b, RECORD.price] = price
        terminated[b] = step >= steps
    observe(state, params, observation)


@njit(cache=True, error_model="numpy")
def observe(state: np.ndarray, params: np.ndarray, observation: np.ndarray) -> None:
    """Write each copy's observation (see :class:`ObservationColumns`)."""
    p = params[0]
    s0, sigma, max_q, steps = p.initial_price, p.volatility, p.max_inventory, p.steps
    horizon = p.dt * steps
    for b in range(state.shape[0]):
        observation[b, OBSERVATION.time_left] = 1.0 - state[b, STATE.step] / steps
        observation[b, OBSERVATION.inventory] = state[b, STATE.inventory] / max_q
        move = price_move(state[b, STATE.price], s0, sigma, horizon)
        observation[b, OBSERVATION.price_move] = move


class MakingSystem(SimulatedSystem):
    """``B`` copies of one market making problem: state, reset and step."""

    state_columns = STATE
    record_columns = RECORD
    observation_columns = OBSERVATION
    elapsed_column = STATE.step
    observe_kernel = staticmethod(observe)

    def __init__(self, config: MarketMakingConfig, num_copies: int) -> None:
        start = np.zeros(len(STATE))
        start[STATE.price] = config.initial_price
        super().__init__(config, num_copies, making_params(config), start)
        grid = np.linspace(0.0, config.max_distance, config.levels)
        self.grid = np.stack(np.meshgrid(grid, grid, indexing="ij"), axis=-1).reshape(-1, 2)

    def to_quotes(self, actions: np.ndarray) -> np.ndarray:
        """Bid and ask distances ``(B, 2)`` from a batch of actions."""
        if self.config.action_type == "discrete":
            index = np.clip(np.asarray(actions, dtype=np.int64).reshape(-1), 0, len(self.grid) - 1)
            return self.grid[index]
        return np.asarray(actions, dtype=np.float64).reshape(self.num_copies, 2)

    def _advance(
        self,
        actions: np.ndarray,
        rng: np.random.Generator,
        record: np.ndarray,
        observation: np.ndarray,
        terminated: np.ndarray,
    ) -> None:
        noise = rng.standard_normal(self.num_copies)
        uniforms = rng.random((self.num_copies, 2))
        quotes = self.to_quotes(actions)
        advance(self.state, quotes, noise, uniforms, self.params, record, observation, terminated)
