"""Simulation search for echelon base-stock levels, with common random numbers.

:func:`simulate_levels` runs many candidate level vectors at once through the environment's
own dynamics (:class:`fieldgym.envs.inventory.dynamics.InventorySystem`), every candidate
facing the same demand; :func:`search_levels` does coordinate descent on top of it. Because
all candidates share one demand sample, the search minimizes a deterministic sample-average
cost and its moves are not blurred by sampling noise between candidates.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from scipy import stats

from fieldgym.envs.inventory.config import InventoryConfig
from fieldgym.envs.inventory.demand import DemandModel
from fieldgym.envs.inventory.dynamics import InventorySystem
from fieldgym.envs.inventory.echelon import echelon_members

ActFn = Callable[[np.ndarray, np.ndarray], np.ndarray]
"""``act(observations (B, D), levels (B, N)) -> actions (B, N)`` of a level-based policy."""


def demand_moments(config: InventoryConfig) -> tuple[float, float]:
    """Mean and standard deviation of one customer's demand per period.

    Poisson: ``(mean, sqrt(mean))``; normal and seasonal: ``(demand_mean, demand_std)``
    (the seasonal swing is ignored); series: the moments of the series.
    """
    if config.demand == "poisson":
        return config.demand_mean, math.sqrt(config.demand_mean)
    if config.demand == "series":
        series = DemandModel(config).series
        return float(np.mean(series)), float(np.std(series))
    return config.demand_mean, config.demand_std


def echelon_horizons(config: InventoryConfig) -> np.ndarray:
    """Periods an echelon's level must cover: its lead time plus the longest downstream path.

    A stage without downstream stages covers its lead time plus the review period (1).
    """
    n = config.num_stages
    horizon = np.zeros(n)

    def cover(i: int) -> float:
        below = [cover(j) for j in range(n) if config.suppliers[j] == i]
        return config.lead_times[i] + (max(below) if below else 1.0)

    for i in range(n):
        horizon[i] = cover(i)
    return horizon


def starting_levels(config: InventoryConfig, z: float | None = None) -> np.ndarray:
    """Heuristic echelon base-stock levels: mean demand over the horizon plus safety stock.

    Level ``i`` is ``m_i H_i + z sqrt(v_i H_i)``, with ``H_i`` from :func:`echelon_horizons`
    and ``m_i``, ``v_i`` the mean and variance of the echelon's customer demand per period.

    Args:
        config: The inventory config.
        z: Safety factor; default ``Phi^-1(p / (p + h))`` with ``h`` the largest holding
            cost, clipped to [0, 3].
    """
    mean, std = demand_moments(config)
    customers = echelon_members(config)[:, list(config.customer_stages)].sum(axis=1)
    horizon = echelon_horizons(config)
    if z is None:
        p, h = config.backorder_cost, max(config.local_holding_costs)
        z = float(np.clip(stats.norm.ppf(p / (p + h)) if p + h > 0 else 0.0, 0.0, 3.0))
    levels = customers * mean * horizon + z * np.sqrt(customers * std**2 * horizon)
    if config.demand == "poisson":
        levels = np.round(levels)
    return levels


class _CommonDemand:
    """Draws demand for ``copies`` copies and repeats it for every candidate."""

    def __init__(self, config: InventoryConfig, copies: int, candidates: int) -> None:
        self.model = DemandModel(config)
        self.copies = copies
        self.candidates = candidates

    def sample(self, rng: np.random.Generator, t: np.ndarray) -> np.ndarray:
        return np.tile(self.model.sample(rng, t[: self.copies]), (self.candidates, 1))


def simulate_levels(
    config: InventoryConfig,
    candidates: np.ndarray,
    act: ActFn,
    seed: int,
    num_copies: int = 32,
    periods: int = 400,
    warmup: int = 100,
) -> np.ndarray:
    """Mean cost per period of each candidate in each copy, on common demand.

    Args:
        config: The inventory config.
        candidates: ``(K, N)`` level vectors.
        act: Maps observations and each copy's levels to actions (see :data:`ActFn`).
        seed: Seed of the demand; copy ``r`` sees the same demand for every candidate.
        num_copies: Independent copies (replications) per candidate.
        periods: Periods simulated per copy, from the environment's starting state.
        warmup: Periods discarded at the start.

    Returns:
        ``(K, num_copies)`` mean ``total_cost`` per period after the warm-up.
    """
    candidates = np.atleast_2d(np.asarray(candidates, dtype=np.float64))
    k = candidates.shape[0]
    system = InventorySystem(config, k * num_copies)
    system.reset()
    system.demand_model = _CommonDemand(config, num_copies, k)
    levels = np.repeat(candidates, num_copies, axis=0)
    rng = np.random.default_rng(seed)
    column = system.columns["total_cost"]
    observations = system.observe()
    total = np.zeros(k * num_copies)
    for t in range(periods):
        orders = system.orders_from_action(act(observations, levels))
        observations, record = system.step(orders, rng)
        if t >= warmup:
            total += record[:, column]
    return (total / (periods - warmup)).reshape(k, num_copies)


def search_levels(
    config: InventoryConfig,
    start: np.ndarray,
    act: ActFn,
    seed: int = 0,
    num_copies: int = 32,
    periods: int = 400,
    warmup: int = 100,
    max_passes: int = 40,
) -> tuple[np.ndarray, float]:
    """Coordinate descent on echelon base-stock levels, scored by :func:`simulate_levels`.

    Each pass tries, stage by stage, the current level plus ``-2, -1, 1, 2`` steps (levels
    stay >= 0) and keeps the best. When a pass moves nothing, the steps are halved; the
    search stops when a pass at the smallest step (1 unit for Poisson demand, which keeps
    levels integer; a quarter of the demand's standard deviation otherwise) moves nothing.
    The first steps are the standard deviation of each echelon's demand over its horizon.

    Returns:
        The levels found and their mean cost per period on the search's sample.
    """
    mean, std = demand_moments(config)
    integer = config.demand == "poisson"
    smallest = 1.0 if integer else max(0.25 * std, 0.05 * mean, 1e-3)
    customers = echelon_members(config)[:, list(config.customer_stages)].sum(axis=1)
    spread = np.sqrt(customers * std**2 * echelon_horizons(config))
    steps = np.maximum(spread, smallest)
    if integer:
        steps = np.round(steps)
    levels = np.maximum(np.asarray(start, dtype=np.float64), 0.0)
    offsets = np.array([0.0, -2.0, -1.0, 1.0, 2.0])
    best_cost = math.inf
    for _ in range(max_passes):
        moved = False
        for i in range(config.num_stages):
            candidates = np.repeat(levels[None], len(offsets), axis=0)
            candidates[:, i] = np.maximum(levels[i] + offsets * steps[i], 0.0)
            costs = simulate_levels(
                config, candidates, act, seed, num_copies, periods, warmup
            ).mean(axis=1)
            best = int(np.argmin(costs))
            best_cost = float(costs[best])
            if best != 0 and costs[best] < costs[0]:
                levels = candidates[best]
                moved = True
        if not moved:
            if np.all(steps <= smallest):
                break
            steps = np.maximum(steps / 2, smallest)
            if integer:
                steps = np.round(steps)
    return levels, best_cost
