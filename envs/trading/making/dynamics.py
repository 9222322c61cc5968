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

import numpy as np
from numba import njit

from fieldgym.envs.trading.making.config import MarketMakingConfig

STEP, CASH, INVENTORY, PRICE = range(4)
RECORD = (
    "pnl",
    "inventory_penalty",
    "liquidation",
    "value",
    "inventory",
    "fills",
    "spread",
    "price",
)
OBSERVATION = ("time_left", "inventory", "price_move")


@njit(cache=True, error_model="numpy")
def advance(
    state: np.ndarray,
    quotes: np.ndarray,
    noise: np.ndarray,
    uniforms: np.ndarray,
    params: np.ndarray,
    record: np.ndarray,
    observation: np.ndarray,
    done: np.ndarray,
) -> None:
    """Advance every copy one step, in place (see the module docstring).

    Args:
        state: ``(B, 4)``: step, cash, inventory, mid.
        quotes: ``(B, 2)`` bid and ask distances from the mid (clipped to ±max_distance).
        noise: ``(B,)`` standard normals (mid shocks).
        uniforms: ``(B, 2)`` uniforms deciding the bid and ask fills.
        params: S0, sigma, dt, A, k, max inventory, phi, liquidation cost, steps, max distance.
        record: ``(B, len(RECORD))`` output.
        observation: ``(B, 3)`` float32 output.
        done: ``(B,)`` output: the horizon is reached (terminated).
    """
    sigma, dt, a, k = params[1], params[2], params[3], params[4]
    max_q, phi, liquidation, steps, bound = params[5], params[6], params[7], params[8], params[9]
    for b in range(state.shape[0]):
        price, q, cash = state[b, PRICE], state[b, INVENTORY], state[b, CASH]
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
        step = state[b, STEP] + 1.0
        penalty = phi * q * q * dt
        record[b, 4] = q
        paid = 0.0
        if step >= steps:  # liquidate at the mid
            paid = liquidation * abs(q)
            cash += q * price - paid
            q = 0.0
        state[b, STEP], state[b, CASH], state[b, INVENTORY], state[b, PRICE] = step, cash, q, price
        after = cash + q * price
        record[b, 0] = after - before + paid
        record[b, 1] = -penalty
        record[b, 2] = -paid
        record[b, 3] = after
        record[b, 5] = fills
        record[b, 6] = bid + ask
        record[b, 7] = price
        done[b] = step >= steps
    observe(state, params, observation)


@njit(cache=True, error_model="numpy")
def observe(state: np.ndarray, params: np.ndarray, observation: np.ndarray) -> None:
    """Time left (fraction), inventory over max inventory, mid move over ``sigma sqrt(T)``."""
    s0, sigma, dt, max_q, steps = params[0], params[1], params[2], params[5], params[8]
    for b in range(state.shape[0]):
        observation[b, 0] = 1.0 - state[b, STEP] / steps
        observation[b, 1] = state[b, INVENTORY] / max_q
        move = (state[b, PRICE] - s0) / (sigma * math.sqrt(dt * steps))
        observation[b, 2] = min(max(move, -10.0), 10.0)


class MakingSystem:
    """``B`` copies of one market making problem: state, reset and step."""

    def __init__(self, config: MarketMakingConfig, num_copies: int) -> None:
        self.config = config
        self.num_copies = num_copies
        self.params = np.array(
            [
                config.initial_price,
                config.volatility,
                config.dt,
                config.arrival_rate,
                config.decay,
                config.max_inventory,
                config.inventory_penalty,
                config.liquidation_cost,
                config.steps,
                config.max_distance,
            ]
        )
        grid = np.linspace(0.0, config.max_distance, config.levels)
        self.grid = np.stack(np.meshgrid(grid, grid, indexing="ij"), axis=-1).reshape(-1, 2)
        self.state = np.zeros((num_copies, 4))

    def reset(self, mask: np.ndarray | None = None) -> np.ndarray:
        """Start new episodes (no cash, no inventory) in the copies of ``mask``; their indices."""
        index = np.arange(self.num_copies) if mask is None else np.flatnonzero(mask)
        self.state[index] = 0.0
        self.state[index, PRICE] = self.config.initial_price
        return index

    def to_quotes(self, actions: np.ndarray) -> np.ndarray:
        """Bid and ask distances ``(B, 2)`` from a batch of actions."""
        if self.config.action_type == "discrete":
            index = np.clip(np.asarray(actions, dtype=np.int64).reshape(-1), 0, len(self.grid) - 1)
            return self.grid[index]
        return np.asarray(actions, dtype=np.float64).reshape(self.num_copies, 2)

    def step(
        self, actions: np.ndarray, rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Advance all copies one step; new arrays: observations, record, terminated flags."""
        noise = rng.standard_normal(self.num_copies)
        uniforms = rng.random((self.num_copies, 2))
        record = np.empty((self.num_copies, len(RECORD)))
        observation = np.empty((self.num_copies, len(OBSERVATION)), dtype=np.float32)
        done = np.empty(self.num_copies, dtype=bool)
        advance(
            self.state,
            self.to_quotes(actions),
            noise,
            uniforms,
            self.params,
            record,
            observation,
            done,
        )
        return observation, record, done

    def observe(self) -> np.ndarray:
        """New observations ``(B, 3)``."""
        observation = np.empty((self.num_copies, len(OBSERVATION)), dtype=np.float32)
        observe(self.state, self.params, observation)
        return observation
