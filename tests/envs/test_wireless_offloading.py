"""EdgeOffloading-v1: hand-computed delay and energy, queues, drops, rewards and config."""

from __future__ import annotations

import math

import gymnasium as gym
import numpy as np
import pytest

from fieldgym.envs.core.errors import ConfigError
from fieldgym.envs.wireless import OffloadingConfig
from fieldgym.envs.wireless.offloading_metrics import episode_metrics

ENV_ID = "fieldgym/EdgeOffloading-v1"

# One device 100 m from one server, no fading, fixed 1 Mbit tasks of 1000 cycles/bit.
FIXED = {
    "num_users": 1,
    "user_positions": [[0.0, 0.0]],
    "server_positions": [[100.0, 0.0]],
    "server_cpu_ghz": [10.0],
    "cloud": False,
    "device_cpu_ghz": [1.0, 1.0],
    "switched_capacitance": 1e-27,
    "tx_power_w": 0.1,
    "bandwidth_mhz": 1.0,
    "noise_dbm_hz": -174.0,
    "path_loss_db_1km": 128.1,
    "path_loss_exponent": 3.76,
    "fading": False,
    "size_distribution": "fixed",
    "task_size_mbit": [1.0, 1.0],
    "cycles_distribution": "fixed",
    "cycles_per_bit": [1000.0, 1000.0],
    "deadline_s": [3.0, 3.0],
    "arrival_rate": 0.5,
}


def block(env: gym.Env, observation: np.ndarray, name: str) -> np.ndarray:
    where, _ = env.unwrapped.layout[name]
    return observation[where]


def test_one_task_delay_and_energy_by_hand():
    size, cycles = 1e6, 1e9  # bits, cycles
    # local: C / f and k * C * f**2
    local_delay, local_energy = cycles / 1e9, 1e-27 * cycles * (1e9) ** 2
    assert (local_delay, local_energy) == (1.0, 1.0)
    # uplink: path loss 128.1 + 37.6 log10(0.1 km) = 90.5 dB; noise -174 dBm/Hz over 1 MHz
    gain = 10 ** (-90.5 / 10)
    noise_w = 10 ** ((-174 - 30) / 10) * 1e6
    snr = 0.1 * gain / noise_w
    assert 10 * math.log10(snr) == pytest.approx(43.5, abs=0.01)  # 20 dBm - 90.5 dB + 114 dBm
    rate = 1e6 * math.log2(1 + snr)
    offload_delay = size / rate + cycles / 10e9
    offload_energy = 0.1 * size / rate

    env = gym.make(ENV_ID, **FIXED)
    obs, _ = env.reset(seed=0)
    assert block(env, obs, "rate")[0] == pytest.approx(rate / 1e6, rel=1e-6)
    _, reward, _, _, info = env.step(0)
    kpi = info["kpi"]
    assert kpi["delay"] == pytest.approx(local_delay)
    assert kpi["energy"] == pytest.approx(local_energy)
    assert kpi["compute_time"] == pytest.approx(1.0) and kpi["tx_time"] == 0.0
    np.testing.assert_allclose(info["vector_reward"], [-local_delay, -local_energy], rtol=1e-6)

    env.reset(seed=0)
    _, reward, _, _, info = env.step(1)
    kpi = info["kpi"]
    assert kpi["delay"] == pytest.approx(offload_delay)
    assert kpi["energy"] == pytest.approx(offload_energy)
    assert kpi["tx_time"] == pytest.approx(size / rate)
    assert kpi["queue_time"] == pytest.approx(0.0, abs=1e-12)
    config = env.unwrapped.config
    expected = -(
        0.5 * offload_delay / config.delay_scale_s + 0.5 * offload_energy / config.energy_scale_j
    )
    assert reward == pytest.approx(expected)


def test_second_task_waits_for_the_first_in_the_device_queue():
    env = gym.make(ENV_ID, **FIXED)
    env.reset(seed=3)
    obs, *_ = env.step(0)  # 1 s of work; the next task arrives after an exponential gap
    backlog = block(env, obs, "device")[0]
    assert 0.0 <= backlog < 1.0
    _, _, _, _, info = env.step(0)
    assert info["kpi"]["queue_time"] == pytest.approx(backlog, abs=1e-6)
    assert info["kpi"]["delay"] == pytest.approx(backlog + 1.0, abs=1e-6)


def test_server_queue_is_fifo_and_shared():
    env = gym.make(ENV_ID, **{**FIXED, "server_cpu_ghz": [1.0]})  # 1 s per task at the server
    env.reset(seed=5)
    obs, *_ = env.step(1)
    backlog = block(env, obs, "server_backlog")[0]
    _, _, _, _, info = env.step(1)
    tx = info["kpi"]["tx_time"]
    # the task waits for the radio (free: transmissions are short), then for the server
    assert info["kpi"]["delay"] == pytest.approx(max(backlog, tx) + 1.0, abs=1e-6)


def test_late_task_is_dropped_at_its_deadline_with_partial_energy():
    env = gym.make(ENV_ID, **{**FIXED, "deadline_s": [0.4, 0.4], "late_penalty_s": 2.0})
    env.reset(seed=0)
    obs, _, _, _, info = env.step(0)  # needs 1 s, has 0.4 s
    kpi = info["kpi"]
    assert kpi["dropped"] == 1.0 and kpi["missed"] == 1.0
    assert kpi["delay"] == pytest.approx(0.4)
    assert kpi["delay_objective"] == pytest.approx(2.4)
    assert kpi["energy"] == pytest.approx(1e-27 * (1e9) ** 3 * 0.4)  # k f^3 t for 0.4 s
    # the CPU is free at the deadline: what is left of 0.4 s after the gap
    assert block(env, obs, "device")[0] <= 0.4 + 1e-6


def test_complete_mode_runs_late_tasks_to_the_end():
    env = gym.make(ENV_ID, **{**FIXED, "deadline_s": [0.4, 0.4], "late_tasks": "complete"})
    env.reset(seed=0)
    _, _, _, _, info = env.step(0)
    kpi = info["kpi"]
    assert kpi["dropped"] == 0.0 and kpi["missed"] == 1.0
    assert kpi["delay"] == pytest.approx(1.0)
    assert kpi["energy"] == pytest.approx(1.0)


def test_cloud_adds_backhaul_and_has_no_queue():
    fields = {**FIXED, "cloud": True, "cloud_cpu_ghz": 20.0, "cloud_latency_s": 0.3}
    fields["backhaul_mbps"] = 100.0
    env = gym.make(ENV_ID, **fields)
    obs, _ = env.reset(seed=0)
    rate = block(env, obs, "rate")[0] * 1e6
    _, _, _, _, info = env.step(2)
    expected = 1e6 / rate + 0.3 + 1e6 / 100e6 + 1e9 / 20e9
    assert info["kpi"]["delay"] == pytest.approx(expected, rel=1e-6)
    assert info["kpi"]["to_cloud"] == 1.0


def test_chebyshev_reward_takes_the_worse_weighted_objective():
    env = gym.make(ENV_ID, **FIXED, reward="chebyshev", preference=[0.3, 0.7])
    env.reset(seed=0)
    _, reward, _, _, info = env.step(0)
    parts = info["reward_parts"]
    assert reward == pytest.approx(min(0.3 * parts["delay"], 0.7 * parts["energy"]))


def test_preference_drawn_per_episode_lies_on_the_simplex_and_is_observed():
    env = gym.make(ENV_ID, preference_sampling="uniform")
    seen = []
    for seed in range(20):
        obs, info = env.reset(seed=seed)
        w = block(env, obs, "preference")
        assert w.sum() == pytest.approx(1.0) and np.all(w >= 0)
        np.testing.assert_allclose(w, info["preference"], rtol=1e-6)
        seen.append(w[0])
    assert np.std(seen) > 0.15  # uniform on [0, 1] has std 0.29


def test_reward_space_and_heterogeneous_servers_set_the_spaces():
    env = gym.make(ENV_ID, server_cpu_ghz=[1, 2, 4, 8], server_positions=[[0, 0]] * 4)
    assert env.action_space.n == 6  # local, 4 servers, cloud
    assert env.unwrapped.reward_space.shape == (2,)
    assert env.observation_space.shape == (3 + 3 + 4 + 4 + 2 + 2,)


@pytest.mark.parametrize(
    ("fields", "match"),
    [
        ({"arival_rate": 2.0}, "Did you mean 'arrival_rate'"),
        ({"preference": [0.5, 0.6]}, "sum to 1"),
        ({"server_cpu_ghz": [1.0, 2.0]}, "server_positions"),
        ({"size_distribution": "gamma"}, "uniform"),
        ({"deadline_s": [2.0, 1.0]}, "low <= high"),
        ({"user_positions": [[0, 0]]}, "one \\(x, y\\) pair per device"),
    ],
)
def test_bad_config_names_the_field(fields, match):
    with pytest.raises(ConfigError, match=match):
        OffloadingConfig.build(**fields)


def test_metrics_from_a_random_episode_are_consistent():
    env = gym.make(ENV_ID, max_episode_steps=300)
    env.reset(seed=0)
    env.action_space.seed(0)
    rows: dict[str, list] = {}
    rewards = []
    done = False
    while not done:
        _, reward, terminated, truncated, info = env.step(env.action_space.sample())
        rewards.append(reward)
        for name, value in info["kpi"].items():
            rows.setdefault(name, []).append(value)
        done = terminated or truncated
    kpis = {name: np.asarray(values) for name, values in rows.items()}
    metrics = episode_metrics(kpis, env.unwrapped.config)
    assert metrics["avg_weighted_cost"] == pytest.approx(-np.mean(rewards))
    assert metrics["drop_rate"] + metrics["deadline_met_rate"] == pytest.approx(1.0)
    assert metrics["avg_delay"] == pytest.approx(
        metrics["avg_tx_time"] + metrics["avg_queue_time"] + metrics["avg_compute_time"]
    )
    assert 0.0 < metrics["offload_share"] < 1.0


def test_vector_reward_wrapper_returns_the_objectives_like_mo_gymnasium():
    from fieldgym.envs.wireless.offloading_env import VectorReward

    env = VectorReward(gym.make(ENV_ID, **FIXED))
    env.reset(seed=0)
    _, reward, _, _, info = env.step(0)
    assert env.reward_space.shape == (2,) and env.reward_space.contains(reward)
    np.testing.assert_allclose(reward, [-1.0, -1.0], rtol=1e-6)  # 1 s and 1 J, computed above
    assert info["scalar_reward"] == pytest.approx(-(0.5 * 1.0 / 0.2 + 0.5 * 1.0 / 0.5))
