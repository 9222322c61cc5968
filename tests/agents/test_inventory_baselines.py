"""The classical inventory baselines: registry, actions, ordering rules, search, evaluation."""

from __future__ import annotations

import math

import gymnasium as gym
import numpy as np
import pandas as pd
import pytest
from gymnasium.envs.registration import load_env_creator

import fieldgym  # noqa: F401  (registers the env ids)
from fieldgym.agents import AGENTS, EnvTarget, agents_for, evaluate, make_agent
from fieldgym.agents.base import Policy
from fieldgym.agents.inventory.clark_scarf import clark_scarf
from fieldgym.agents.inventory.policies import (
    BaseStockSearch,
    ClarkScarfPolicy,
    EchelonBaseStock,
    InstallationSS,
    orders_to_actions,
)
from fieldgym.envs.core.errors import ConfigError
from fieldgym.envs.inventory.config import InventoryConfig

ENV_ID = "fieldgym/MultiEchelonInventory-v1"
BASELINES = {
    "base_stock": EchelonBaseStock,
    "clark_scarf": ClarkScarfPolicy,
    "s_S": InstallationSS,
    "base_stock_search": BaseStockSearch,
}
SMALL_SEARCH = {"num_copies": 4, "periods": 60, "warmup": 20}


def target(preset: str, **fields) -> EnvTarget:
    return EnvTarget(ENV_ID, {"preset": preset, **fields})


def naive_levels(config: InventoryConfig) -> np.ndarray:
    """Mean demand over each echelon's lead time plus one period, without safety stock."""
    mu = config.demand_mean
    if config.network == "serial":
        cumulative = np.cumsum(config.lead_times)
        return mu * (cumulative + 1)
    retail = [mu * (lead + 1) for lead in config.lead_times[1:]]
    longest = max(config.lead_times[1:])
    warehouse = mu * len(retail) * (config.lead_times[0] + longest + 1)
    return np.array([warehouse, *retail])


def make(name: str, tgt: EnvTarget):
    params = {}
    if name == "base_stock":
        params = {"levels": naive_levels(tgt.config) * 1.1}
    if name == "base_stock_search":
        params = SMALL_SEARCH
    return make_agent(name, tgt, **params)


def state(env: gym.Env) -> dict[str, np.ndarray]:
    """The env's true state (copy 0), read from the dynamics, not from the observation."""
    system = env.unwrapped.system
    return {
        "on_hand": system.on_hand[0].copy(),
        "owed": system.owed[0].copy(),
        "customer_backorders": system.backorders[0].copy(),
        "in_transit": system.pipeline[0].sum(axis=1),
    }


def test_registry_entries():
    assert set(BASELINES) <= set(agents_for("inventory"))
    for name, cls in BASELINES.items():
        entry = AGENTS[name]
        assert entry.kind == "baseline"
        assert entry.domains == ("inventory",)
        assert load_env_creator(entry.factory) is cls
        assert cls.name == name


def test_orders_to_actions():
    box = InventoryConfig(order_limits=(40.0, 20.0, 40.0, 40.0))
    actions = orders_to_actions(np.array([[-1.0, 50.0, 13.9, 40.0]]), box)
    assert actions.dtype == np.float32
    np.testing.assert_array_equal(actions, np.float32([[0.0, 20.0, 13.9, 40.0]]))
    discrete = InventoryConfig(order_limits=(40.0, 20.0, 40.0, 40.0), action_type="discrete")
    # 11 levels: steps of 4 units (limit 40) and 2 units (limit 20); nearest level.
    actions = orders_to_actions(np.array([[13.9, 3.1, -5.0, 100.0]]), discrete)
    assert actions.dtype == np.int64
    np.testing.assert_array_equal(actions, [[3, 2, 0, 10]])


# clark_scarf applies to serial systems only (its errors are tested in test_clark_scarf.py).
ACTION_CASES = [
    (name, preset, action_type)
    for name in BASELINES
    for preset in ("serial", "distribution")
    for action_type in ("box", "discrete")
    if not (name == "clark_scarf" and preset == "distribution")
]


@pytest.mark.parametrize(("name", "preset", "action_type"), ACTION_CASES)
def test_actions_are_valid(name, preset, action_type):
    tgt = target(preset, action_type=action_type)
    policy = make(name, tgt)
    env = tgt.make(max_episode_steps=40)
    observation, _ = env.reset(seed=3)
    policy.reset(3)
    ordered = np.zeros(env.unwrapped.config.num_stages)
    done = False
    while not done:
        action = policy.act(observation)
        assert env.action_space.contains(action), action
        observation, _, terminated, truncated, info = env.step(action)
        ordered += info["kpi"]["orders"]
        done = terminated or truncated
    assert np.all(ordered > 0)  # every stage ordered something
    vector = gym.make_vec(ENV_ID, num_envs=5, **tgt.kwargs)
    observations, _ = vector.reset(seed=3)
    for _ in range(10):
        actions = policy.act_batch(observations)
        assert all(vector.single_action_space.contains(a) for a in actions)
        observations, *_ = vector.step(actions)


@pytest.mark.parametrize(
    ("preset", "levels"),
    # Low warehouse / upstream levels, so that suppliers run short and owe goods.
    [("distribution", (45.0, 14.0, 12.0, 10.0)), ("serial", (37.0, 45.0, 60.0, 75.0))],
)
def test_echelon_base_stock_orders_up_to_the_echelon_level(preset, levels):
    tgt = target(preset)
    config = tgt.config
    policy = EchelonBaseStock(tgt, levels=levels)
    # Echelons written out by hand: the warehouse's is every stage; in a chain, a stage's
    # echelon is itself and every stage below it.
    n = config.num_stages
    echelon = np.zeros((n, n))
    for i in range(n):
        if preset == "serial":
            echelon[i, : i + 1] = 1
        else:
            echelon[i, i] = 1
            echelon[0, :] = 1
    env = tgt.make(max_episode_steps=150)
    observation, _ = env.reset(seed=0)
    owed_seen = 0.0
    for _ in range(150):
        s = state(env)
        owed_seen += s["owed"].sum()
        local = s["on_hand"] + s["in_transit"] - s["customer_backorders"]
        position = echelon @ local + s["owed"]
        expected = np.clip(np.asarray(levels) - position, 0.0, config.order_limits)
        observation, _, _, _, info = env.step(policy.act(observation))
        np.testing.assert_allclose(info["kpi"]["orders"], expected, atol=2e-3)
    assert owed_seen > 0  # the case where observed backorders include goods owed downstream


def test_s_S_orders_only_at_or_below_s():
    tgt = target("distribution")
    config = tgt.config
    policy = InstallationSS(tgt)
    owes_to = np.array([[0, 1, 1, 1], [0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]], dtype=float)
    env = tgt.make(max_episode_steps=200)
    observation, _ = env.reset(seed=1)
    ordered = skipped = 0
    for _ in range(200):
        s = state(env)
        owes = owes_to @ s["owed"] + s["customer_backorders"]
        position = s["on_hand"] + s["in_transit"] + s["owed"] - owes
        observation, _, _, _, info = env.step(policy.act(observation))
        orders = info["kpi"]["orders"]
        below = position <= policy.s + 1e-3
        np.testing.assert_allclose(orders[~below], 0.0)
        wanted = np.minimum(policy.S - position, config.order_limits)
        np.testing.assert_allclose(orders[below], wanted[below], atol=2e-3)
        ordered += int(below[0])
        skipped += int(not below[0])
    assert ordered > 5 and skipped > 5  # the warehouse both orders and waits


def test_s_S_defaults_and_errors():
    serial = InstallationSS(target("serial"))
    np.testing.assert_array_equal(serial.S, serial.s)  # no fixed cost: base-stock
    distribution = InstallationSS(target("distribution"))
    config = distribution.config
    flow = 3 * config.demand_mean  # the warehouse serves three retailers
    fixed, holding = config.fixed_order_costs[0], config.holding_costs[0]
    batch = distribution.S - distribution.s
    assert batch[0] == pytest.approx(math.sqrt(2 * fixed * flow / holding))  # EOQ
    np.testing.assert_array_equal(batch[1:], 0.0)
    given = InstallationSS(target("distribution"), s=[50, 5, 5, 5], S=80)
    np.testing.assert_array_equal(given.S, [80, 80, 80, 80])
    with pytest.raises(ConfigError, match="S >= s"):
        InstallationSS(target("distribution"), s=10, S=5)
    with pytest.raises(ConfigError, match="one finite number per stage"):
        InstallationSS(target("distribution"), s=[1, 2])


def test_base_stock_needs_levels():
    with pytest.raises(ConfigError, match=r"clark_scarf.*base_stock_search"):
        make_agent("base_stock", target("serial"))
    with pytest.raises(ConfigError, match="one finite number per stage"):
        EchelonBaseStock(target("serial"), levels=[1.0, 2.0])
    with pytest.raises(ConfigError, match=r"levels='high'; give one finite number per stage"):
        EchelonBaseStock(target("serial"), levels="high")
    policy = EchelonBaseStock(target("serial"), levels=30.0)
    np.testing.assert_array_equal(policy.levels, [30.0] * 4)


def paired(a: pd.DataFrame, b: pd.DataFrame) -> tuple[float, float]:
    """Mean and standard error of the per-seed difference of ``avg_cost`` (a - b)."""
    assert list(a["seed"]) == list(b["seed"])
    diff = a["avg_cost"].to_numpy() - b["avg_cost"].to_numpy()
    return float(diff.mean()), float(diff.std(ddof=1) / math.sqrt(len(diff)))


def test_search_beats_naive_levels_on_the_distribution_preset():
    tgt = target("distribution")
    search = make_agent("base_stock_search", tgt)
    naive = EchelonBaseStock(tgt, levels=naive_levels(tgt.config))
    seeds = range(100, 116)  # not the search's seed
    diff, se = paired(evaluate(search, seeds), evaluate(naive, seeds))
    assert diff < -3 * se, (search.levels, diff, se)
    assert search.search_cost is not None and search.search_cost > 0


def test_search_finds_the_clark_scarf_optimum_on_the_serial_preset():
    tgt = target("serial")
    search = BaseStockSearch(tgt).fit(0, seed=1)
    optimum = ClarkScarfPolicy(tgt)
    copies, warmup, periods = 32, 100, 1000
    costs = []
    for policy in (search, optimum):
        vector = gym.make_vec(ENV_ID, num_envs=copies, max_episode_steps=None, **tgt.kwargs)
        observations, _ = vector.reset(seed=21)  # the same demand for both (common random numbers)
        total = np.zeros(copies)
        for t in range(warmup + periods):
            observations, _, _, _, info = vector.step(policy.act_batch(observations))
            if t >= warmup:
                total += info["kpi"]["total_cost"]
        costs.append(total / periods)
    diff = costs[0] - costs[1]
    se = diff.std(ddof=1) / math.sqrt(copies)
    assert diff.mean() > -3 * se  # nothing beats the optimum beyond noise
    assert diff.mean() < 0.01 * clark_scarf(tgt.config).expected_cost  # within 1% of it


def test_search_is_lazy_and_fit_reruns_it():
    policy = BaseStockSearch(target("distribution"), **SMALL_SEARCH)
    assert policy.search_cost is None
    levels = policy.levels.copy()
    assert policy.search_cost is not None
    assert policy.fit(0, seed=0) is policy
    np.testing.assert_array_equal(policy.levels, levels)  # same seed, same sample, same levels
    assert np.all(levels[1:] >= 0) and levels[0] > levels[1:].max()


@pytest.mark.parametrize("name", list(BASELINES))
def test_evaluate_works_with_each_baseline(name):
    tgt = target("serial" if name == "clark_scarf" else "distribution")
    table = evaluate(make(name, tgt), seeds=[0, 1], max_steps=30)
    assert isinstance(table, pd.DataFrame)
    assert list(table["agent"]) == [name, name]
    assert list(table["length"]) == [30, 30]
    assert np.all(np.isfinite(table["avg_cost"])) and np.all(table["avg_cost"] > 0)


class _ConstantLevels(Policy):
    """The same echelon levels as the action every period (for action_type='base_stock')."""

    def __init__(self, target: EnvTarget, levels: np.ndarray) -> None:
        super().__init__(target)
        self.levels = np.asarray(levels, dtype=np.float32)

    def act(self, observation: np.ndarray) -> np.ndarray:
        return self.levels


@pytest.mark.parametrize("preset", ["serial", "distribution"])
def test_base_stock_actions_reproduce_the_echelon_base_stock_policy(preset):
    """Echelon levels as actions (action_type='base_stock') order what the policy orders.

    Equal up to float32 rounding of the actions.
    """
    box = EnvTarget(ENV_ID, {"preset": preset})
    levels = EnvTarget(ENV_ID, {"preset": preset, "action_type": "base_stock"})
    name, params = (
        ("clark_scarf", {}) if preset == "serial" else ("base_stock_search", SMALL_SEARCH)
    )
    policy = make_agent(name, box, **params)
    orders = evaluate(policy, [3, 4], max_steps=60)
    translated = evaluate(make_agent(name, levels, **params), [3, 4], max_steps=60)
    np.testing.assert_allclose(translated["avg_cost"], orders["avg_cost"], rtol=1e-6)
    constant = evaluate(_ConstantLevels(levels, policy.levels), [3, 4], max_steps=60)
    np.testing.assert_allclose(constant["avg_cost"], orders["avg_cost"], rtol=1e-6)
