"""Clark–Scarf levels and costs, checked against closed forms and simulation of the real env.

Simulations run the natively vectorized env (``gymnasium.make_vec``) with independent copies;
each copy's mean cost after a warm-up is one batch mean, and the standard error is the
standard deviation of those batch means over the square root of their number. Comparisons
between level vectors use common random numbers (the same seed, hence the same demand, for
every vector) and paired per-copy differences.
"""

from __future__ import annotations

import math

import gymnasium as gym
import numpy as np
import pytest
from scipy import stats

import fieldgym  # noqa: F401  (registers the env ids)
from fieldgym.agents import EnvTarget, make_agent
from fieldgym.agents.inventory.clark_scarf import base_stock_cost, clark_scarf
from fieldgym.agents.inventory.policies import ClarkScarfPolicy, EchelonBaseStock
from fieldgym.envs.core.errors import ConfigError
from fieldgym.envs.inventory.config import InventoryConfig

ENV_ID = "fieldgym/MultiEchelonInventory-v1"
POISSON_TWO_STAGE = {
    "num_stages": 2,
    "lead_times": (1, 2),
    "order_limits": (40.0, 40.0),
    "holding_costs": (2.0, 1.0),
    "fixed_order_costs": (0.0, 0.0),
    "backorder_cost": 10.0,
    "demand": "poisson",
    "demand_mean": 5.0,
}


def simulate(fields: dict, levels, copies: int, warmup: int, periods: int, seed: int) -> np.ndarray:
    """Per-copy mean ``total_cost`` after ``warmup`` of echelon base-stock ``levels`` in the env."""
    policy = EchelonBaseStock(EnvTarget(ENV_ID, fields), levels=levels)
    env = gym.make_vec(ENV_ID, num_envs=copies, max_episode_steps=None, **fields)
    observations, _ = env.reset(seed=seed)
    total = np.zeros(copies)
    for t in range(warmup + periods):
        observations, _, _, _, info = env.step(policy.act_batch(observations))
        if t >= warmup:
            total += info["kpi"]["total_cost"]
    env.close()
    return total / periods


def mean_and_se(batch_means: np.ndarray) -> tuple[float, float]:
    return float(batch_means.mean()), float(batch_means.std(ddof=1) / math.sqrt(len(batch_means)))


def test_single_stage_normal_is_the_newsvendor():
    lead, h, p, mu, sigma = 3, 1.5, 8.0, 10.0, 2.0
    config = InventoryConfig(
        num_stages=1,
        lead_times=(lead,),
        order_limits=(40.0,),
        holding_costs=(h,),
        fixed_order_costs=(0.0,),
        backorder_cost=p,
        demand_mean=mu,
        demand_std=sigma,
    )
    solution = clark_scarf(config)
    z = stats.norm.ppf(p / (p + h))
    spread = sigma * math.sqrt(lead + 1)
    assert solution.levels[0] == pytest.approx((lead + 1) * mu + z * spread, abs=0.005 * sigma)
    # Newsvendor cost with normal demand: (p + h) * spread * phi(z).
    assert solution.expected_cost == pytest.approx((p + h) * spread * stats.norm.pdf(z), rel=1e-4)


def test_single_stage_poisson_is_the_newsvendor():
    lead, h, p, mu = 2, 1.0, 6.0, 4.0
    config = InventoryConfig(
        num_stages=1,
        lead_times=(lead,),
        order_limits=(40.0,),
        holding_costs=(h,),
        fixed_order_costs=(0.0,),
        backorder_cost=p,
        demand="poisson",
        demand_mean=mu,
    )
    solution = clark_scarf(config)
    m = (lead + 1) * mu
    level = int(stats.poisson.ppf(p / (p + h), m))  # smallest S with F(S) >= p / (p + h)
    assert stats.poisson.cdf(level, m) > p / (p + h) + 1e-6  # no tie between two optima
    d = np.arange(200)
    pmf = stats.poisson.pmf(d, m)
    cost = float(np.sum(pmf * (h * np.maximum(level - d, 0) + p * np.maximum(d - level, 0))))
    assert solution.levels == (float(level),)
    assert solution.expected_cost == pytest.approx(cost, rel=1e-9)


@pytest.mark.parametrize(
    ("fields", "copies", "warmup", "periods"),
    [({}, 64, 200, 2000), (POISSON_TWO_STAGE, 64, 200, 2000)],
    ids=["serial_preset", "poisson_two_stage"],
)
def test_expected_cost_matches_simulation(fields, copies, warmup, periods):
    policy = make_agent("clark_scarf", EnvTarget(ENV_ID, fields))
    assert isinstance(policy, ClarkScarfPolicy)
    solution = policy.solution
    assert tuple(policy.levels) == solution.levels
    levels = np.asarray(solution.levels)
    assert np.all(np.diff(levels) > 0)  # echelon levels grow upstream
    mean, se = mean_and_se(simulate(fields, solution.levels, copies, warmup, periods, seed=11))
    assert se < 0.005 * mean  # the check below is sharp
    assert abs(mean - solution.expected_cost) < 3 * se, (solution, mean, se)


def neighbours(levels: np.ndarray, delta: float, full_grid: bool) -> list[np.ndarray]:
    """Level vectors around ``levels``: every stage moved by ``-delta, 0, +delta``.

    ``full_grid``: every combination; otherwise one stage at a time plus all up and all down.
    """
    n = len(levels)
    if full_grid:
        moves = [np.array(m) for m in np.ndindex(*(3,) * n)]
        moves = [m - 1 for m in moves if np.any(m != 1)]
    else:
        moves = [sign * np.eye(n)[i] for i in range(n) for sign in (-1, 1)]
        moves += [np.ones(n), -np.ones(n)]
    return [levels + delta * np.asarray(m, dtype=float) for m in moves]


# Perturbation sizes: 2 std of one period's demand (5 units) for the normal preset and 4 units
# (1.8 std) for Poisson. They raise the expected cost by 0.3 to 4 per period, against a
# standard error of the paired difference of 0.015 to 0.3 with common random numbers, so a
# neighbour must be clearly worse (more than 3 standard errors) for the test to pass.
@pytest.mark.parametrize(
    ("fields", "delta", "full_grid"),
    [({}, 5.0, False), (POISSON_TWO_STAGE, 4.0, True)],
    ids=["serial_preset", "poisson_two_stage"],
)
def test_optimal_levels_beat_their_neighbours(fields, delta, full_grid):
    config = InventoryConfig.build(fields)
    solution = clark_scarf(config)
    levels = np.asarray(solution.levels)
    assert base_stock_cost(config, levels) == pytest.approx(solution.expected_cost, rel=1e-12)
    run = dict(copies=32, warmup=100, periods=1000, seed=5)
    optimum = simulate(fields, levels, **run)
    for other in neighbours(levels, delta, full_grid):
        predicted = base_stock_cost(config, other) - solution.expected_cost
        assert predicted > 0  # the optimum of the recursion
        difference, se = mean_and_se(simulate(fields, other, **run) - optimum)
        assert difference > 3 * se, (other, difference, se)
        # The recursion also predicts the cost of non-optimal levels (4 se: many comparisons).
        assert abs(difference - predicted) < 4 * se, (other, difference, predicted, se)


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"preset": "distribution"}, "network='distribution'"),
        ({"lost_sales": True}, "lost_sales"),
        ({"fixed_order_costs": (5.0, 0.0, 0.0, 0.0)}, "fixed_order_costs"),
        ({"demand": "seasonal"}, "demand='seasonal'"),
        ({"order_limits": (20.0, 40.0, 40.0, 40.0)}, "order_limits[0]"),
        ({"demand": "poisson", "demand_mean": 10.0, "order_limits": (20.0,) * 4}, "Poisson"),
        ({"holding_costs": (1.0, 2.0, 1.0, 0.5)}, "increase upstream"),
        ({"backorder_cost": 0.0}, "backorder_cost"),
    ],
)
def test_ineligible_configs_raise_a_helpful_error(fields, reason):
    config = (
        InventoryConfig.preset(fields["preset"])
        if "preset" in fields
        else InventoryConfig.build(fields)
    )
    with pytest.raises(ConfigError) as error:
        clark_scarf(config)
    message = str(error.value)
    assert reason in message
    assert "base_stock_search" in message
    with pytest.raises(ConfigError, match="clark_scarf"):
        make_agent("clark_scarf", EnvTarget(ENV_ID, fields))


def test_base_stock_cost_needs_one_level_per_stage():
    with pytest.raises(ConfigError, match="one per stage"):
        base_stock_cost(InventoryConfig(), [10.0, 20.0])
