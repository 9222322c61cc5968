"""UAVOffloading-v1: PettingZoo's API and seed tests, channel physics, association, render."""

from __future__ import annotations

import math

import numpy as np
import pytest
from pettingzoo.test import parallel_api_test, parallel_seed_test, render_test
from pettingzoo.utils.conversions import parallel_to_aec

import fieldgym
from fieldgym.envs.core.errors import ConfigError, ResetNeededError
from fieldgym.envs.wireless.uav_channel import (
    air_to_ground_loss_db,
    associate,
    los_probability,
    propulsion_power,
    rate_mbps,
)
from fieldgym.envs.wireless.uav_config import UAVConfig
from fieldgym.envs.wireless.uav_metrics import episode_metrics, jain_fairness

ENV_ID = "fieldgym/UAVOffloading-v1"
SMALL = {"num_users": 12, "max_cycles": 30}


@pytest.mark.parametrize("action_type", ["discrete", "continuous"])
def test_pettingzoo_parallel_api(action_type):
    env = fieldgym.make_parallel(ENV_ID, action_type=action_type, **SMALL)
    parallel_api_test(env, num_cycles=40)


def test_pettingzoo_parallel_seed():
    parallel_seed_test(lambda: fieldgym.make_parallel(ENV_ID, **SMALL), num_cycles=40)


def test_make_parallel_rejects_single_agent_ids_and_bad_fields():
    with pytest.raises(Exception, match="single-agent id"):
        fieldgym.make_parallel("fieldgym/EdgeOffloading-v1")
    with pytest.raises(ConfigError, match="Did you mean 'num_uavs'"):
        fieldgym.make_parallel(ENV_ID, num_uav=2)


def test_los_probability_and_path_loss_by_hand():
    config = UAVConfig()
    # straight below: elevation 90 degrees, P_LoS = 1 / (1 + 9.61 exp(-0.16 (90 - 9.61)))
    expected = 1 / (1 + 9.61 * math.exp(-0.16 * (90 - 9.61)))
    assert los_probability(0.0, config) == pytest.approx(expected)
    assert los_probability(5000.0, config) < 0.1  # near the horizon: mostly NLoS
    # 300 m away at 100 m altitude: free space at 2 GHz plus the LoS-weighted excess
    d = math.hypot(300, 100)
    fspl = 20 * math.log10(4 * math.pi * 2e9 * d / 299_792_458.0)
    p = 1 / (1 + 9.61 * math.exp(-0.16 * (math.degrees(math.atan2(100, 300)) - 9.61)))
    assert air_to_ground_loss_db(300.0, config) == pytest.approx(fspl + p * 1 + (1 - p) * 20)
    # Shannon over 1 MHz, noise -174 dBm/Hz + 60 dB + 7 dB figure = -107 dBm
    snr = 10 ** ((20 - 100 + 107) / 10)
    assert rate_mbps(100.0, 20.0, config) == pytest.approx(math.log2(1 + snr))


def test_propulsion_power_matches_zeng_2019():
    hover = propulsion_power(0.0)
    assert hover == pytest.approx(79.86 + 88.63)  # P0 + Pi
    speeds = np.linspace(0, 30, 61)
    power = propulsion_power(speeds)
    best = speeds[np.argmin(power)]
    assert 8 < best < 14 and power.min() < hover  # the U-shaped curve, minimum near 10 m/s


def test_association_maximizes_uav_served_users_under_capacity_and_rate():
    config = UAVConfig(num_uavs=1, num_users=3, uav_capacity=2, base_stations=[[5000, 5000]])
    users = np.array([[0.0, 0.0], [10.0, 0.0], [20.0, 0.0]])
    serving, rates = associate(users, np.array([[0.0, 0.0]]), config)
    assert (serving >= 0).sum() == 2  # capacity binds
    assert serving[0] == 0 and serving[1] == 0  # the two best rates win the tie-break
    assert serving[2] == -2 and rates[2] == 0  # the base station is too far
    far = associate(np.array([[900.0, 900.0]]), np.array([[0.0, 0.0]]), config)
    assert far[0][0] == -2  # below min_rate_mbps from the UAV


def test_collision_avoidance_cancels_moves_that_break_separation():
    env = fieldgym.make_parallel(ENV_ID, num_uavs=2, min_separation_m=30.0, **SMALL)
    env.reset(seed=0)
    env.uavs = np.array([[500.0, 500.0], [540.0, 500.0]])
    _, _, _, _, infos = env.step({"uav_0": 2, "uav_1": 4})  # east meets west
    np.testing.assert_array_equal(env.uavs, [[500.0, 500.0], [540.0, 500.0]])
    assert infos["uav_0"]["reward_parts"]["collision"] == -1.0
    assert infos["uav_0"]["kpi"]["collisions"].tolist() == [1.0, 1.0]
    free = fieldgym.make_parallel(
        ENV_ID, num_uavs=2, min_separation_m=30.0, collision_avoidance=False, **SMALL
    )
    free.reset(seed=0)
    free.uavs = np.array([[500.0, 500.0], [540.0, 500.0]])
    free.step({"uav_0": 2, "uav_1": 4})
    assert np.linalg.norm(free.uavs[0] - free.uavs[1]) == pytest.approx(0.0)


def test_speed_limit_and_shared_reward():
    env = fieldgym.make_parallel(
        ENV_ID, action_type="continuous", shared_reward=True, num_uavs=2, **SMALL
    )
    env.reset(seed=1)
    before = env.uavs.copy()
    _, rewards, _, _, _ = env.step({"uav_0": np.array([1.0, 1.0]), "uav_1": np.zeros(2)})
    moved = np.linalg.norm(env.uavs - before, axis=1)
    assert moved[0] <= 20.0 + 1e-9 and moved[1] == 0.0  # 20 m/s for 1 s at most
    assert rewards["uav_0"] == rewards["uav_1"]


def test_state_render_and_metrics():
    env = fieldgym.make_parallel(ENV_ID, render_mode="rgb_array", **SMALL)
    env.reset(seed=2)
    assert env.state_space.contains(env.state())
    image = env.render()
    assert image.shape == (400, 400, 3) and image.dtype == np.uint8
    assert len(np.unique(image.reshape(-1, 3), axis=0)) > 3  # users, UAVs, station drawn
    rows: dict[str, list] = {}
    while env.agents:
        _, _, _, _, infos = env.step({a: 0 for a in env.agents})
        for name, value in infos["uav_0"]["kpi"].items():
            rows.setdefault(name, []).append(value)
    metrics = episode_metrics({k: np.asarray(v) for k, v in rows.items()}, env.config)
    assert 0.0 <= metrics["association_share"] <= metrics["served_share"] <= 1.0
    assert metrics["avg_energy_j"] == pytest.approx(propulsion_power(0.0))  # hovering
    assert metrics["collisions"] == 0.0


def test_jain_fairness_extremes():
    assert jain_fairness(np.ones(5)) == pytest.approx(1.0)
    assert jain_fairness(np.array([1.0, 0, 0, 0])) == pytest.approx(0.25)


def test_pettingzoo_render_test_in_every_mode():
    """PettingZoo's render_test makes the env with render_mode="human" first (issue 15)."""
    render_test(lambda render_mode: parallel_to_aec(
        fieldgym.make_parallel(ENV_ID, render_mode=render_mode, **SMALL)))  # fmt: skip


def test_step_without_a_running_episode_is_a_reset_needed_error():
    env = fieldgym.make_parallel(ENV_ID, **SMALL)
    with pytest.raises(ResetNeededError, match=r"step\(\) before reset\(\).*call reset\(\) first"):
        env.step({agent: 0 for agent in env.possible_agents})
    assert issubclass(ResetNeededError, RuntimeError)  # what these envs raised before
