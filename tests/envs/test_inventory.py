"""Inventory dynamics, config, demand data and metrics, on hand-checkable cases."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

from fieldgym.envs.core.errors import ActionError, ConfigError, DataError
from fieldgym.envs.inventory import PRESETS, InventoryConfig
from fieldgym.envs.inventory.dynamics import InventorySystem
from fieldgym.envs.inventory.metrics import episode_metrics

ENV_ID = "fieldgym/MultiEchelonInventory-v1"


def block(env: gym.Env, observation: np.ndarray, name: str) -> np.ndarray:
    where, shape = env.unwrapped.layout[name]
    return observation[where].reshape(shape)


def test_orders_arrive_after_exactly_their_lead_time():
    env = gym.make(
        ENV_ID,
        num_stages=2,
        lead_times=[3, 1],
        order_limits=[50, 50],
        holding_costs=[1, 1],
        fixed_order_costs=[0, 0],
        demand="series",
        demand_series=[0.0],
        initial_inventory=[0, 20],
    )
    obs, _ = env.reset(seed=0)
    assert block(env, obs, "on_hand").tolist() == [0, 20]
    obs, *_ = env.step(np.array([7, 0], dtype=np.float32))
    # the initial pipeline (mean flow 0 with zero demand) is empty; stage 0's order ships now
    assert block(env, obs, "pipeline")[0].tolist() == [0, 0, 7]
    assert block(env, obs, "on_hand").tolist() == [0, 13]
    for expected in ([0, 7, 0], [7, 0, 0]):
        obs, *_ = env.step(np.zeros(2, dtype=np.float32))
        assert block(env, obs, "pipeline")[0].tolist() == expected
    obs, *_ = env.step(np.zeros(2, dtype=np.float32))
    assert block(env, obs, "on_hand")[0] == 7


def test_units_are_conserved_with_backorders():
    env = gym.make(ENV_ID)
    _obs, _ = env.reset(seed=5)
    system = env.unwrapped.system

    def stock() -> float:
        return system.on_hand.sum() + system.pipeline.sum() - system.backorders.sum()

    before = stock()
    env.action_space.seed(5)
    for _ in range(60):
        _, _, _, _, info = env.step(env.action_space.sample())
        kpi = info["kpi"]
        # stock changes by what the external supplier shipped minus customer demand
        shipped_in = kpi["orders"][-1]  # the top stage orders from the unlimited supplier
        after = stock()
        assert after == pytest.approx(before + shipped_in - kpi["demand"])
        before = after


def test_short_warehouse_rations_in_proportion_to_requests():
    env = gym.make(
        ENV_ID,
        preset="distribution",
        initial_inventory=[6, 0, 0, 0],
        demand="series",
        demand_series=[0.0],
    )
    env.reset(seed=0)
    system = env.unwrapped.system
    system.pipeline[:] = 0.0  # nothing arrives this period
    _, _, _, _, _info = env.step(np.array([0, 2, 4, 6], dtype=np.float32))
    shipped = system.pipeline[0, 1:, 0]  # retailers' lead time is 1: slot 0
    np.testing.assert_allclose(shipped, [1, 2, 3])  # 6 units shared 2:4:6
    np.testing.assert_allclose(system.owed[0, 1:], [1, 2, 3])
    assert system.on_hand[0, 0] == 0


def test_lost_sales_do_not_accumulate_backorders():
    kwargs = dict(
        num_stages=1,
        lead_times=[1],
        order_limits=[10],
        holding_costs=[1],
        fixed_order_costs=[0],
        demand="series",
        demand_series=[5.0],
        initial_inventory=[3],
    )
    lost = gym.make(ENV_ID, lost_sales=True, lost_sale_cost=7.0, **kwargs)
    backlog = gym.make(ENV_ID, lost_sales=False, backorder_cost=2.0, **kwargs)
    for env in (lost, backlog):
        env.reset(seed=0)
        env.unwrapped.system.pipeline[:] = 0.0
    _, r_lost, _, _, info_lost = lost.step(np.zeros(1, dtype=np.float32))
    _, _r_back, _, _, info_back = backlog.step(np.zeros(1, dtype=np.float32))
    assert info_lost["kpi"]["lost"] == 2 and info_lost["reward_parts"]["shortage"] == -14
    assert info_back["kpi"]["backorders"][0] == 2 and info_back["reward_parts"]["shortage"] == -4
    assert r_lost == pytest.approx(sum(info_lost["reward_parts"].values()))
    _, _, _, _, info_back = backlog.step(np.zeros(1, dtype=np.float32))
    assert info_back["kpi"]["backorders"][0] == 7  # backorders carry over


def test_fixed_cost_charged_per_order_placed():
    env = gym.make(ENV_ID, preset="distribution")
    env.reset(seed=0)
    _, _, _, _, info = env.step(np.array([5, 0, 0, 0], dtype=np.float32))
    assert info["kpi"]["ordering_cost"] == 20
    _, _, _, _, info = env.step(np.zeros(4, dtype=np.float32))
    assert info["kpi"]["ordering_cost"] == 0


def test_discrete_levels_map_to_order_quantities():
    env = gym.make(ENV_ID, action_type="discrete", order_levels=5)
    assert env.action_space == gym.spaces.MultiDiscrete([5] * 4)
    env.reset(seed=0)
    _, _, _, _, info = env.step(np.array([0, 1, 2, 4]))
    np.testing.assert_allclose(info["kpi"]["orders"], [0, 10, 20, 40])


def test_orders_outside_the_limits_are_refused_or_clipped_as_asked():
    action = np.array([-5, 100, 3, 40], dtype=np.float32)
    env = gym.make(ENV_ID).unwrapped
    env.reset(seed=0)
    with pytest.raises(ActionError, match=r"action\[0\] = -5.0 is below the lower bound"):
        env.step(action)
    env = gym.make(ENV_ID, action_policy="clip").unwrapped
    env.reset(seed=0)
    _, _, _, _, info = env.step(action)
    np.testing.assert_allclose(info["kpi"]["orders"], [0, 40, 3, 40])


def test_reward_is_weighted_sum_of_parts_and_callable_rewards_work():
    weights = {"holding": 2.0, "pipeline": 0.0, "shortage": 1.0, "ordering": 1.0}
    env = gym.make(ENV_ID, reward_weights=weights)
    env.reset(seed=0)
    _, reward, _, _, info = env.step(np.full(4, 10, dtype=np.float32))
    parts = info["reward_parts"]
    assert reward == pytest.approx(sum(weights[k] * v for k, v in parts.items()))
    assert parts["holding"] == pytest.approx(-info["kpi"]["holding_cost"])
    scaled = gym.make(ENV_ID, reward="scaled_cost")
    scaled.reset(seed=0)
    _, scaled_reward, *_ = scaled.step(np.full(4, 10, dtype=np.float32))
    plain = gym.make(ENV_ID)
    plain.reset(seed=0)
    _, plain_reward, *_ = plain.step(np.full(4, 10, dtype=np.float32))
    assert scaled_reward == pytest.approx(plain_reward / (10.0 * 10.0))
    custom = gym.make(ENV_ID, reward=lambda parts, weights, config: parts["shortage"] * 0 + 1.5)
    custom.reset(seed=0)
    assert custom.step(np.zeros(4, dtype=np.float32))[1] == 1.5


def test_config_errors_name_field_and_fix():
    with pytest.raises(ConfigError, match=r"Unknown field 'lead_time'.*Did you mean 'lead_times'"):
        gym.make(ENV_ID, lead_time=[1, 1, 1, 1])
    with pytest.raises(ConfigError, match=r"lead_times\[2\]=-1 is not allowed; it must be >= 0"):
        gym.make(ENV_ID, lead_times=[1, 1, -1, 1])
    with pytest.raises(
        ConfigError,
        match="holding_cost_basis='textbook' is not allowed; choose one of: 'local', 'echelon'",
    ):
        gym.make(ENV_ID, holding_cost_basis="textbook")
    with pytest.raises(ConfigError, match="list of 4 numbers"):
        gym.make(ENV_ID, holding_costs=[1, 2])
    with pytest.raises(
        ConfigError, match="demand='weibull' is not allowed; choose one of: 'poisson'"
    ):
        gym.make(ENV_ID, demand="weibull")
    with pytest.raises(ConfigError, match="preset='star' is not allowed"):
        gym.make(ENV_ID, preset="star")
    with pytest.raises(ConfigError, match="reward='profit' is not allowed"):
        gym.make(ENV_ID, reward="profit")
    with pytest.raises(ConfigError, match="needs demand_series"):
        gym.make(ENV_ID, demand="series")


def test_presets_build_and_are_documented():
    for name in PRESETS:
        config = InventoryConfig.preset(name)
        assert gym.make(ENV_ID, preset=name).unwrapped.config == config
    assert InventoryConfig.preset("serial") == InventoryConfig()
    assert InventoryConfig.preset("distribution").customer_stages == (1, 2, 3)
    assert "lead_times" in InventoryConfig.describe()


def test_demand_csv_good_and_bad_rows(tmp_path):
    good = tmp_path / "demand.csv"
    good.write_text("date,demand\n2024-01-01,4\n2024-01-02,6\n")
    env = gym.make(ENV_ID, demand="series", demand_series=str(good))
    env.reset(seed=0)
    demands = [env.step(np.zeros(4, dtype=np.float32))[4]["kpi"]["demand"] for _ in range(3)]
    assert demands == [4, 6, 4]  # replayed and cycled
    per_retailer = tmp_path / "retailers.csv"
    per_retailer.write_text("period,r1,r2,r3\n1,1,2,3\n")
    env = gym.make(ENV_ID, preset="distribution", demand="series", demand_series=str(per_retailer))
    env.reset(seed=0)
    np.testing.assert_array_equal(env.step(np.zeros(4))[4]["kpi"]["customer_demand"], [1, 2, 3])
    bad = tmp_path / "bad.csv"
    bad.write_text("demand\n3\nabc\n")
    with pytest.raises(DataError, match=r"line 3, column 'demand': 'abc' is not a number"):
        gym.make(ENV_ID, demand="series", demand_series=str(bad))
    negative = tmp_path / "negative.csv"
    negative.write_text("demand\n-1\n")
    with pytest.raises(DataError, match="must be finite and >= 0"):
        gym.make(ENV_ID, demand="series", demand_series=str(negative))
    with pytest.raises(DataError, match="does not exist"):
        gym.make(ENV_ID, demand="series", demand_series=str(tmp_path / "missing.csv"))
    wrong = tmp_path / "wrong.csv"
    wrong.write_text("a,b\n1,2\n")
    with pytest.raises(DataError, match="needs a 'demand' column"):
        gym.make(ENV_ID, demand="series", demand_series=str(wrong))


def test_demand_models_have_the_configured_moments():
    rng = np.random.default_rng(0)
    t = np.zeros(20_000, dtype=np.int64)
    for kind, mean, std in (("poisson", 5.0, 5.0**0.5), ("normal", 10.0, 2.5)):
        system = InventorySystem(InventoryConfig(demand=kind, demand_mean=mean), 1)
        draws = system.demand_model.sample(rng, t)
        assert draws.mean() == pytest.approx(mean, abs=4 * std / np.sqrt(t.size))
        assert draws.std() == pytest.approx(std, rel=0.05)
    seasonal = InventorySystem(
        InventoryConfig(demand="seasonal", seasonal_period=4), 1
    ).demand_model
    peaks = seasonal.expected(np.array([1, 3]))
    np.testing.assert_allclose(peaks[:, 0], [15.0, 5.0])


def test_metrics_from_a_known_episode():
    config = InventoryConfig(
        num_stages=1,
        lead_times=(1,),
        order_limits=(10.0,),
        holding_costs=(1.0,),
        fixed_order_costs=(0.0,),
    )
    kpis = {
        "demand": np.array([4.0, 6.0, 2.0, 8.0]),
        "customer_demand": np.array([[4.0], [6.0], [2.0], [8.0]]),
        "met_from_stock": np.array([4.0, 3.0, 2.0, 8.0]),
        "unmet": np.array([0.0, 3.0, 0.0, 0.0]),
        "total_cost": np.array([1.0, 2.0, 3.0, 4.0]),
        "holding_cost": np.array([1.0, 0.0, 3.0, 4.0]),
        "pipeline_cost": np.zeros(4),
        "shortage_cost": np.array([0.0, 2.0, 0.0, 0.0]),
        "ordering_cost": np.zeros(4),
        "on_hand": np.array([[1.0], [0.0], [3.0], [4.0]]),
        "orders": np.array([[4.0], [6.0], [2.0], [8.0]]),
    }
    metrics = episode_metrics(kpis, config)
    assert metrics["avg_cost"] == 2.5
    assert metrics["fill_rate"] == pytest.approx(17 / 20)
    assert metrics["cycle_service_level"] == 0.75
    assert metrics["avg_on_hand_0"] == 2.0
    assert metrics["bullwhip_0"] == pytest.approx(1.0)  # orders replicate demand


def test_render_shows_every_stage():
    env = gym.make(ENV_ID, render_mode="rgb_array")
    env.reset(seed=0)
    env.step(np.full(4, 10, dtype=np.float32))
    frame = env.render()
    assert frame.dtype == np.uint8 and frame.ndim == 3 and frame.shape[2] == 3
    assert (frame != 255).any()
    plain = gym.make(ENV_ID)
    plain.reset(seed=0)
    assert plain.render() is None


def test_config_object_and_fields_give_the_same_env():
    config = InventoryConfig(backorder_cost=25.0, demand="poisson", demand_mean=8.0)
    by_object = gym.make(ENV_ID, config=config)
    by_fields = gym.make(ENV_ID, backorder_cost=25.0, demand="poisson", demand_mean=8.0)
    assert by_object.unwrapped.config == by_fields.unwrapped.config == config
    overridden = gym.make(ENV_ID, config=config, backorder_cost=5.0).unwrapped.config
    assert overridden.backorder_cost == 5.0 and overridden.demand_mean == 8.0
    with pytest.raises(ConfigError, match="either config= or preset="):
        gym.make(ENV_ID, config=config, preset="serial")


def test_base_stock_actions_pass_the_checkers_and_order_the_gap_to_the_level():
    from gymnasium.utils.env_checker import check_env

    env = gym.make("fieldgym/MultiEchelonInventory-v1", action_type="base_stock")
    check_env(env.unwrapped, skip_render_check=True)
    env.reset(seed=0)
    system = env.unwrapped.system
    position = system.echelon_position()[0]
    levels = position + np.array([5.0, 0.0, -3.0, 2.5])
    orders = system.orders_from_action(levels[None])[0]
    np.testing.assert_allclose(orders, [5.0, 0.0, 0.0, 2.5])
    assert np.all(env.action_space.high > position)  # the limits leave room above the start


@pytest.mark.parametrize("action", [np.ones(3), np.ones(5), np.ones((2, 4)), np.float64(1.0)])
def test_an_action_of_the_wrong_shape_is_refused_not_read_past(action):
    """A length-3 action on the 4-stage chain reached the kernel, which read past it (issue 15)."""
    env = gym.make(ENV_ID)
    env.reset(seed=0)
    with pytest.raises(ActionError, match=r"has shape .*, but the action space's is \(4,\)"):
        env.step(action)
    vec = gym.make_vec(ENV_ID, num_envs=3)
    vec.reset(seed=0)
    with pytest.raises(ActionError, match=r"actions has shape \(3, 3\), .* is \(3, 4\)"):
        vec.step(np.ones((3, 3)))
    vec.step(np.ones((3, 4)))  # the right shape still steps


def test_lead_time_zero_arrives_in_the_period_it_ships_and_is_shipped_on_at_once():
    """Lead time 0 was refused; it now arrives before demand and can be shipped on."""
    env = gym.make(
        ENV_ID,
        num_stages=3,
        lead_times=[0, 0, 2],
        order_limits=[50, 50, 50],
        holding_costs=[1, 1, 1],
        fixed_order_costs=[0, 0, 0],
        demand="series",
        demand_series=[4.0],
        initial_inventory=[0, 0, 6],
    )
    obs, _ = env.reset(seed=0)
    assert block(env, obs, "pipeline").shape == (3, 2)  # as wide as the longest lead time
    system = env.unwrapped.system
    system.pipeline[:] = 0.0
    obs, *_ = env.step(np.array([3, 5, 0], dtype=np.float32))
    # stage 2 ships 5 to stage 1, which ships 3 of them on to stage 0, which sells them
    assert block(env, obs, "on_hand").tolist() == [0, 2, 1]
    assert block(env, obs, "backorders").tolist() == [1, 0, 0]
    assert block(env, obs, "pipeline").tolist() == [[0, 0], [0, 0], [0, 0]]
    obs, *_ = env.step(np.array([9, 0, 7], dtype=np.float32))  # stage 1 has 2 of 9: owes 7
    assert block(env, obs, "owed").tolist() == [7, 0, 0]
    assert block(env, obs, "pipeline")[2].tolist() == [0, 7]


def test_all_lead_times_zero_give_an_empty_pipeline_block():
    env = gym.make(ENV_ID, lead_times=[0, 0, 0, 0], action_type="base_stock")
    assert env.unwrapped.layout["pipeline"][1] == (4, 0)
    assert env.observation_space.shape == (3 * 4 + 0 + 4,)
    env.reset(seed=0)
    obs, *_ = env.step(np.full(4, 30.0, dtype=np.float32))
    assert env.observation_space.contains(obs)
    vec = gym.make_vec(ENV_ID, num_envs=2, lead_times=[0, 0, 0, 0])
    vec.reset(seed=0)
    assert vec.step(np.full((2, 4), 10.0, dtype=np.float32))[0].shape == (2, 16)


@pytest.mark.parametrize(
    ("network", "echelon", "local"),
    [
        ("serial", (3.0, 2.0, 2.0, 0.5), (7.5, 4.5, 2.5, 0.5)),  # h_i = sum_{j >= i} h'_j
        ("distribution", (1.0, 0.5, 0.25, 0.0), (1.0, 1.5, 1.25, 1.0)),  # retailer + warehouse
    ],
)
def test_echelon_holding_costs_are_charged_as_their_local_rates(network, echelon, local):
    """holding_cost_basis='echelon' converts textbook echelon rates to the rates charged."""
    common = dict(network=network, num_stages=4, lead_times=[1, 1, 2, 1])
    by_echelon = gym.make(ENV_ID, holding_costs=echelon, holding_cost_basis="echelon", **common)
    by_local = gym.make(ENV_ID, holding_costs=local, **common)
    assert by_echelon.unwrapped.config.local_holding_costs == local
    assert by_local.unwrapped.config.local_holding_costs == local  # the default basis
    for env in (by_echelon, by_local):
        env.reset(seed=3)
    by_local.action_space.seed(3)
    charged = np.zeros(2)
    for _ in range(20):
        action = by_local.action_space.sample()
        _, r_echelon, _, _, info = by_echelon.step(action)
        _, r_local, *_ = by_local.step(action)
        assert r_echelon == r_local
        charged += [info["kpi"]["holding_cost"], info["kpi"]["pipeline_cost"]]
    assert np.all(charged > 0)  # both rates were exercised
