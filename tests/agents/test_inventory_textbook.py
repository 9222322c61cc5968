"""A textbook serial system entered as printed, through the documented mapping of conventions.

Snyder and Shen, *Fundamentals of Supply Chain Theory* (2nd ed.), Example 6.1, as the
``stockpyl`` package ships it (``load_instance("example_6_1")``): three stages, stage 1 the
retailer; echelon holding costs h' = (3, 2, 2) and lead times L = (1, 1, 2) for stages 1, 2,
3; stockout cost p = 37.12; demand N(5, 1) per period. The table in
:mod:`fieldgym.envs.inventory.dynamics` maps it to ``lead_times=(L_1 - 1, L_2, L_3)`` and
``holding_costs=h'`` with ``holding_cost_basis="echelon"``.

Simulations use :func:`fieldgym.agents.inventory.search.simulate_levels`, which runs the
environment's own dynamics (:class:`~fieldgym.envs.inventory.dynamics.InventorySystem`, the
code of both the single and the vector env) over independent copies; each copy's mean cost
after a warm-up is one batch mean.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import fieldgym  # noqa: F401  (registers the env ids)
from fieldgym.agents import EnvTarget, make_agent
from fieldgym.agents.inventory.clark_scarf import clark_scarf
from fieldgym.agents.inventory.policies import EchelonBaseStock
from fieldgym.agents.inventory.search import simulate_levels
from fieldgym.envs.inventory.config import InventoryConfig

ENV_ID = "fieldgym/MultiEchelonInventory-v1"
EXAMPLE_6_1 = {
    "network": "serial",
    "num_stages": 3,
    "lead_times": (1 - 1, 1, 2),  # textbook L = (1, 1, 2); the retailer's is entered as L_1 - 1
    "holding_costs": (3.0, 2.0, 2.0),
    "holding_cost_basis": "echelon",
    "backorder_cost": 37.12,
    "demand": "normal",
    "demand_mean": 5.0,
    "demand_std": 1.0,
    "fixed_order_costs": (0.0, 0.0, 0.0),
    "order_limits": (50.0, 50.0, 50.0),
}
# Published: stockpyl's documentation of ssm_serial.optimize_base_stock_levels, Example 6.1,
# S* = {1: 6.514, 2: 12.012, 3: 22.700} and C* = 47.669. stockpyl discretizes the levels on
# a grid of step 0.044 there, hence the tolerance of the levels.
PUBLISHED_LEVELS, PUBLISHED_COST = (6.5144, 12.0123, 22.7002), 47.6687
# stockpyl 1.0.2's own answer on a finer grid (x_num=4000, d_num=400, step 0.011). stockpyl
# 1.0.2 fails under numpy 2 (np.array(..., copy=False) in helpers.find_nearest), so this was
# computed once with numpy 1.26.4 rather than here.
STOCKPYL_FINE_LEVELS, STOCKPYL_FINE_COST = (6.495, 12.017, 22.709), 47.6600


def simulated_cost(fields: dict, levels, copies: int, periods: int, seed: int):
    """Mean and standard error of the env's cost per period under echelon base-stock ``levels``."""
    policy = EchelonBaseStock(EnvTarget(ENV_ID, fields), levels=levels)
    warmup = 100
    batch_means = simulate_levels(
        policy.config,
        np.asarray([levels]),
        lambda observations, _levels: policy.act_batch(observations),
        seed=seed,
        num_copies=copies,
        periods=warmup + periods,
        warmup=warmup,
    )[0]
    return float(batch_means.mean()), float(batch_means.std(ddof=1) / math.sqrt(copies))


def test_example_6_1_as_printed_gives_the_published_levels_and_cost():
    config = InventoryConfig.build(EXAMPLE_6_1)
    assert config.local_holding_costs == (7.0, 4.0, 2.0)  # as stockpyl's instance lists them
    policy = make_agent("clark_scarf", EnvTarget(ENV_ID, EXAMPLE_6_1))
    solution = policy.solution
    np.testing.assert_allclose(solution.levels, PUBLISHED_LEVELS, atol=0.05)
    assert solution.textbook_cost == pytest.approx(PUBLISHED_COST, abs=0.01)
    np.testing.assert_allclose(solution.levels, STOCKPYL_FINE_LEVELS, atol=0.015)
    assert solution.textbook_cost == pytest.approx(STOCKPYL_FINE_COST, abs=0.002)
    # The env's accounting: each unit spends one period-end less at stage 1's rate 4.
    assert solution.textbook_cost - solution.expected_cost == pytest.approx(5.0 * 4.0)
    # The same system given in local rates is the same problem.
    local = InventoryConfig.build(
        EXAMPLE_6_1, holding_costs=(7.0, 4.0, 2.0), holding_cost_basis="local"
    )
    assert clark_scarf(local) == solution
    mean, se = simulated_cost(EXAMPLE_6_1, solution.levels, copies=64, periods=2000, seed=3)
    assert se < 0.005 * mean  # the check below is sharp
    assert abs(mean - solution.expected_cost) < 3 * se, (solution, mean, se)


@pytest.mark.parametrize("lead_times", [(0, 0, 0), (2, 0, 1)], ids=["all_zero", "upstream_zero"])
def test_clark_scarf_matches_simulation_with_zero_lead_times(lead_times):
    """Goods a stage receives with lead time 0 are shipped on in the same period."""
    fields = {**EXAMPLE_6_1, "lead_times": lead_times}
    solution = clark_scarf(InventoryConfig.build(fields))
    mean, se = simulated_cost(fields, solution.levels, copies=64, periods=2000, seed=4)
    assert se < 0.005 * mean
    assert abs(mean - solution.expected_cost) < 3 * se, (solution, mean, se)
