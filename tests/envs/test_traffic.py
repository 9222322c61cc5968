"""The built-in traffic simulator and its environments, checked against hand calculations."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
from pettingzoo.test import parallel_api_test, parallel_seed_test, render_test
from pettingzoo.utils.conversions import parallel_to_aec

import fieldgym
from fieldgym.envs.core.errors import ConfigError, ResetNeededError
from fieldgym.envs.core.wrappers import RecordKPIs
from fieldgym.envs.traffic.config import MOVEMENTS, TrafficConfig
from fieldgym.envs.traffic.metrics import episode_metrics
from fieldgym.envs.traffic.network import build_network
from fieldgym.envs.traffic.records import INT_KPIS
from fieldgym.envs.traffic.system import BuiltinSystem

NT, ET = MOVEMENTS.index("NT"), MOVEMENTS.index("ET")
SIGNAL = "fieldgym/TrafficSignal-v1"
GRID = "fieldgym/TrafficGrid-v1"


def single(**fields) -> gym.Env:
    return gym.make(SIGNAL, disable_env_checker=True, **fields).unwrapped


@pytest.mark.parametrize(
    "fields",
    [
        {},
        {"link_model": "ctm"},
        {"rows": 3, "cols": 3, "link_model": "ctm", "entry_flows": (900.0,) * 4},
        {"rows": 1, "cols": 4, "link_model": "point", "arrivals": "constant"},
    ],
)
def test_vehicles_are_conserved_at_every_step(fields):
    """Generated = exited + inside + waiting to enter, and entered = exited + inside."""
    env = fieldgym.make_parallel(GRID, max_episode_steps=None, **fields)
    env.reset(seed=0)
    rng = np.random.default_rng(0)
    for _ in range(300):
        actions = {agent: int(rng.integers(4)) for agent in env.agents}
        *_, infos = env.step(actions)
        kpi = next(iter(infos.values()))["kpi"]
        inside = float(kpi["in_network"])
        assert kpi["generated_total"] == pytest.approx(
            kpi["exited_total"] + inside + kpi["waiting_to_enter"], abs=1e-6
        )
        assert kpi["entered_total"] == pytest.approx(kpi["exited_total"] + inside, abs=1e-6)
        system = env.system
        assert inside == pytest.approx(system.cells.sum() + system.queue.sum(), abs=1e-6)
        assert np.all(system.cells >= -1e-9) and np.all(system.queue >= -1e-9)
    assert kpi["exited_total"] > 100  # vehicles did flow through


def test_queue_discharges_at_saturation_flow():
    """A standing queue of 20 on NT, alone and green: s * lanes * t / 3600 per step."""
    lanes = (1, 2, 1)
    env = single(entry_flows=(0.0,) * 4, lanes=lanes, saturation_flow=1800.0, min_green=10.0)
    env.reset(seed=0)
    env.system.queue[0, NT] = 20.0
    per_step = 1800.0 * lanes[1] * env.config.delta_time / 3600.0  # 5 vehicles
    remaining = 20.0
    for _ in range(6):
        _, _, _, _, info = env.step(0)  # phase 0 (NS through) stays green
        expected = min(remaining, per_step)
        assert info["kpi"]["tls_discharged"] == pytest.approx(expected)
        remaining -= expected
        assert info["kpi"]["tls_queue"] == pytest.approx(remaining)
    assert remaining == 0.0


def test_ctm_stop_line_discharges_at_capacity_from_a_jam():
    """A jammed link (cell transmission) discharges at saturation flow, and queues hold."""
    env = single(entry_flows=(0.0,) * 4, link_model="ctm")
    env.reset(seed=0)
    network = env.system.network
    jam = network.lane_params[NT, 1]
    env.system.cells[0, NT, :] = jam
    capacity_per_step = env.config.saturation_flow * env.config.delta_time / 3600.0
    discharged = []
    for _ in range(6):
        _, _, _, _, info = env.step(0)
        discharged.append(float(info["kpi"]["tls_discharged"]))
    np.testing.assert_allclose(discharged, capacity_per_step)
    # with the signal red, nothing leaves and the standing vehicles count as halted
    env.reset(seed=0)
    env.system.cells[0, ET, :] = jam
    _, _, _, _, info = env.step(0)
    assert info["kpi"]["tls_discharged"] == 0.0
    assert info["kpi"]["tls_queue"] == pytest.approx(jam * network.cells)


def test_min_green_yellow_and_max_green():
    config = {"entry_flows": (0.0,) * 4, "min_green": 10.0, "max_green": 30.0}
    env = single(**config)
    obs, _ = env.reset(seed=0)
    layout = env.layout
    env.system.queue[0, NT] = 50.0
    env.system.queue[0, ET] = 50.0
    # before min green (0 s then 5 s of green) a request for phase 2 is ignored
    for elapsed in (5.0, 10.0):
        obs, _, _, _, info = env.step(2)
        assert obs[layout["phase"][0]].argmax() == 0
        assert obs[layout["elapsed"][0]][0] == elapsed
        assert info["kpi"]["tls_switched"] == 0.0
    # now the change starts: 3 s of yellow with no discharge, then 2 s of green for ET
    obs, _, _, _, info = env.step(2)
    assert info["kpi"]["tls_switched"] == 1.0
    assert obs[layout["phase"][0]].argmax() == 2
    green_seconds = env.config.delta_time - env.config.yellow_time
    assert obs[layout["elapsed"][0]][0] == green_seconds
    assert env.system.queue[0, NT] == pytest.approx(50.0 - 5.0)  # 10 s of NT green before
    assert env.system.queue[0, ET] == pytest.approx(50.0 - 0.5 * green_seconds)
    # keep asking for phase 2: a green may not exceed max_green, then phase 3 follows
    elapsed = [green_seconds]
    phases = [2]
    for _ in range(12):
        obs, _, _, _, info = env.step(2)
        elapsed.append(float(obs[layout["elapsed"][0]][0]))
        phases.append(int(obs[layout["phase"][0]].argmax()))
    assert max(elapsed) <= env.config.max_green
    first_change = phases.index(3)
    assert elapsed[first_change - 1] + env.config.delta_time > env.config.max_green


def test_little_law_in_free_flow():
    """Steady fluid flow, never stopped: vehicles inside = arrival rate x free-flow time."""
    env = single(
        entry_flows=(720.0, 0.0, 0.0, 0.0),
        turning_ratios=(0.0, 1.0, 0.0),
        arrivals="constant",
        phases=(("NT", "ST"), ("ET", "WT")),
    )
    env.reset(seed=0)
    network = build_network(env.config)
    for _ in range(20):
        _, _, _, _, info = env.step(0)
    rate = 720.0 / 3600.0
    assert info["kpi"]["in_network"] == pytest.approx(rate * network.free_flow_time)
    assert info["kpi"]["halted_seconds"] == 0.0
    assert info["kpi"]["exited"] == pytest.approx(rate * env.config.delta_time)


def test_fixed_cycle_delay_matches_deterministic_queueing():
    """Uniform arrivals, fixed red R and green: total delay per cycle = q R^2 / (2 (1 - q/s)).

    This is the first (uniform) term of Webster's delay formula (fluid queueing).
    """
    q, s = 0.2, 0.5  # vehicles per second: arrivals and saturation flow of NT
    env = single(
        entry_flows=(3600 * q, 0.0, 0.0, 0.0),
        turning_ratios=(0.0, 1.0, 0.0),
        arrivals="constant",
        phases=(("NT",), ("ET",)),
        yellow_time=0.0,
        min_green=0.0,
        max_green=200.0,
    )
    env.reset(seed=0)
    red_steps, green_steps = 8, 8  # 40 s red, 40 s green: q R < (s - q) G, queue clears
    plan = ([1] * red_steps + [0] * green_steps) * 12
    recorder = RecordKPIs(env)
    recorder.reset(seed=0)
    for action in plan:
        recorder.step(action)
    halted = recorder.episode()["halted_seconds"].reshape(12, -1).sum(axis=1)
    red = red_steps * env.config.delta_time
    expected = q * red**2 / (2 * (1 - q / s))
    assert halted[-1] == pytest.approx(expected, rel=0.01)
    assert halted[-1] == pytest.approx(halted[-2])  # periodic regime


def test_time_varying_and_poisson_arrivals():
    profile = TrafficConfig(arrivals="constant", flow_profile=(1.0, 0.0), profile_interval=100.0)
    env = single(config=profile)
    env.reset(seed=0)
    generated = [float(env.step(0)[4]["kpi"]["generated"]) for _ in range(40)]
    per_step = sum(profile.entry_flows) / 3600 * profile.delta_time
    np.testing.assert_allclose(generated[:20], per_step)
    np.testing.assert_allclose(generated[20:40], 0.0)
    env = single(arrivals="poisson")
    env.reset(seed=1)
    counts = np.array([float(env.step(0)[4]["kpi"]["generated"]) for _ in range(2000)])
    mean = sum(env.config.entry_flows) / 3600 * env.config.delta_time
    # Poisson: the count over 2000 steps has variance = mean * 2000
    assert abs(counts.sum() - 2000 * mean) < 5 * np.sqrt(2000 * mean)
    assert np.var(counts) == pytest.approx(mean, rel=0.15)


def test_ctm_queues_spill_back_into_the_upstream_intersection():
    """East-west traffic into an intersection kept red for it: the link fills, then blocks."""
    env = fieldgym.make_parallel(
        GRID,
        rows=1,
        cols=2,
        link_model="ctm",
        entry_flows=(0.0, 0.0, 0.0, 1800.0),
        turning_ratios=(0.0, 1.0, 0.0),
        arrivals="constant",
    )
    env.reset(seed=0)
    west, east = env.possible_agents
    network = env.system.network
    link = network.out_link[0, 1]  # from the west intersection into the east one
    capacity = network.lane_capacity()[3 * link + 1]  # all go through: one lane group fills
    for _ in range(200):
        *_, infos = env.step({west: 2, east: 0})  # west: EW green; east: NS green only
    downstream = env.system.cells[0, 3 * link + 1].sum()
    assert downstream == pytest.approx(capacity, rel=0.05)
    assert infos[west]["kpi"]["tls_discharged"] == pytest.approx(0.0, abs=1e-6)
    assert infos[west]["kpi"]["tls_queue"] > 20  # the queue has spilled back upstream


def test_vector_env_copies_are_independent_and_reset_alone():
    vec = gym.make_vec(SIGNAL, num_envs=3, max_episode_steps=4)
    obs, _ = vec.reset(seed=0)
    assert obs.shape == (3, 33)
    for _ in range(3):
        obs, _, _, truncated, _ = vec.step(np.array([0, 1, 2]))
        assert not truncated.any()
    assert len({obs[k].tobytes() for k in range(3)}) == 3
    obs, _rewards, _terminated, truncated, infos = vec.step(np.array([0, 1, 2]))
    assert truncated.all()
    assert np.all(obs[:, vec.unwrapped.layout["queue"][0]] == 0)  # new episodes start empty
    assert infos["final_obs"].shape == (3, 33)


def test_rewards_by_name_and_callable():
    env = single(reward="queue")
    env.reset(seed=0)
    for _ in range(30):
        _, reward, _, _, info = env.step(1)
    assert reward == pytest.approx(-info["kpi"]["tls_queue"])
    assert info["reward_parts"]["pressure"] == pytest.approx(
        -abs(info["kpi"]["tls_vehicles"] - info["kpi"]["tls_outgoing"])
    )
    weights = {"queue": 0.5, "wait": 0.0, "pressure": 0.0, "delay": 2.0, "throughput": 1.0}
    env = single(reward="combined", reward_weights=weights)
    env.reset(seed=0)
    _, reward, _, _, info = env.step(0)
    parts = info["reward_parts"]
    assert reward == pytest.approx(sum(weights[k] * parts[k] for k in parts))
    env = single(reward=lambda parts, weights, config: parts["throughput"] * 0 + 7.0)
    env.reset(seed=0)
    assert env.step(0)[1] == 7.0


def test_config_errors_name_the_field():
    with pytest.raises(ConfigError, match="max_green"):
        TrafficConfig(min_green=30.0, max_green=20.0)
    with pytest.raises(ConfigError, match="turning_ratios"):
        TrafficConfig(turning_ratios=(0.5, 0.5, 0.5))
    with pytest.raises(ConfigError, match="Did you mean 'min_green'"):
        gym.make(SIGNAL, min_gren=5.0)
    with pytest.raises(ConfigError, match="TrafficGrid"):
        gym.make(SIGNAL, rows=2, cols=2)
    with pytest.raises(ConfigError, match="XX"):
        TrafficConfig(phases=(("NT",), ("XX",)))


def test_render_shows_the_network():
    env = gym.make(SIGNAL, render_mode="rgb_array")
    env.reset(seed=0)
    for _ in range(20):
        env.step(0)
    image = env.render()
    assert image.dtype == np.uint8 and image.ndim == 3
    grid = fieldgym.make_parallel(GRID, rows=2, cols=3, render_mode="rgb_array")
    grid.reset(seed=0)
    assert grid.render().shape[1] > grid.render().shape[0]  # three columns, two rows


def test_grid_is_a_pettingzoo_parallel_env():
    parallel_api_test(fieldgym.make_parallel(GRID, rows=2, cols=2), num_cycles=50)
    parallel_seed_test(lambda: fieldgym.make_parallel(GRID, rows=2, cols=2), num_cycles=50)


def test_grid_state_and_agents():
    env = fieldgym.make_parallel(GRID, preset="arterial", max_episode_steps=3)
    observations, _ = env.reset(seed=0)
    assert env.possible_agents == [f"tl_0_{c}" for c in range(5)]
    state = env.state()
    assert env.state_space.contains(state)
    np.testing.assert_array_equal(state, np.concatenate([observations[a] for a in env.agents]))
    for _ in range(3):
        *_, truncations, infos = env.step({a: 0 for a in env.agents})
    assert all(truncations.values()) and env.agents == []
    assert set(infos["tl_0_0"]["kpi"]) >= {f"tls_{k}" for k in INT_KPIS}


def test_grid_of_one_matches_the_single_env():
    """The same config in TrafficGrid-v1 and TrafficSignal-v1: the same trajectory."""
    grid = fieldgym.make_parallel(GRID, preset="single")
    signal = single()
    obs_g, _ = grid.reset(seed=5)
    obs_s, _ = signal.reset(seed=5)
    for action in [0, 0, 2, 2, 1, 3, 0] * 10:
        obs_g, rewards, *_ = grid.step({"tl_0_0": action})
        obs_s, reward, *_ = signal.step(action)
        np.testing.assert_array_equal(obs_g["tl_0_0"], obs_s)
        assert rewards["tl_0_0"] == reward


def test_episode_metrics_from_a_recorded_episode():
    env = RecordKPIs(gym.make(SIGNAL, max_episode_steps=100))
    env.reset(seed=0)
    env.action_space.seed(0)
    done = False
    while not done:
        *_, terminated, truncated, _ = env.step(env.action_space.sample())
        done = terminated or truncated
    kpis = env.episode()
    metrics = episode_metrics(kpis, env.unwrapped.config)
    entered = kpis["entered_total"][-1]
    assert metrics["entered"] == pytest.approx(entered)
    assert metrics["throughput"] == pytest.approx(kpis["exited_total"][-1])
    # travel time = waiting + free-flow time of the part of the trip done so far
    assert metrics["avg_travel_time"] > metrics["avg_waiting_time"] > 0
    assert metrics["avg_delay"] == metrics["avg_waiting_time"]  # built-in: moving = free speed
    assert metrics["teleports"] == 0.0


def test_builtin_system_batch_copies_do_not_interact():
    """Deterministic arrivals: each copy of a batch equals the same system run alone."""
    config = TrafficConfig(link_model="ctm", arrivals="constant", entry_flows=(900.0,) * 4)
    batch = BuiltinSystem(config, 2)
    alone = [BuiltinSystem(config, 1), BuiltinSystem(config, 1)]
    rng = np.random.default_rng(3)
    batch.reset(rng)
    for system in alone:
        system.reset(rng)
    for k in range(120):
        actions = np.array([[k // 3 % 4], [k // 5 % 4]])
        obs_b, _int_b, net_b = batch.step(actions, rng)
        for copy, system in enumerate(alone):
            obs_a, _int_a, net_a = system.step(actions[copy : copy + 1], rng)
            np.testing.assert_array_equal(obs_b[copy], obs_a[0])
            np.testing.assert_array_equal(net_b[copy], net_a[0])
    assert not np.array_equal(obs_b[0], obs_b[1])


def test_pettingzoo_render_test_in_every_mode():
    """PettingZoo's render_test makes the env with render_mode="human" first (issue 15)."""
    render_test(lambda render_mode: parallel_to_aec(
        fieldgym.make_parallel(GRID, rows=2, cols=2, render_mode=render_mode)))  # fmt: skip


def test_grid_step_without_a_running_episode_is_a_reset_needed_error():
    env = fieldgym.make_parallel(GRID, rows=1, cols=2)
    with pytest.raises(ResetNeededError, match=r"step\(\) before reset\(\).*call reset\(\) first"):
        env.step({agent: 0 for agent in env.possible_agents})
    env.reset(seed=0)
    env.agents = []  # as at the end of an episode
    with pytest.raises(ResetNeededError, match="after the episode ended"):
        env.step({agent: 0 for agent in env.possible_agents})
