"""The SUMO backend: same interface as the built-in, conservation, seeding, and rankings.

Runs only where the ``sumo`` extra is installed; every simulation is a few hundred
simulated seconds.
"""

from __future__ import annotations

import sys

import gymnasium as gym
import numpy as np
import pytest

pytest.importorskip("sumo", reason="the SUMO backend needs the 'sumo' extra (eclipse-sumo)")
pytest.importorskip("libsumo", reason="the SUMO backend needs the 'sumo' extra (libsumo)")

import fieldgym
from fieldgym.agents import EnvTarget, evaluate, make_agent
from fieldgym.envs.core.errors import ConfigError, MissingDependencyError

SIGNAL = "fieldgym/TrafficSignal-v1"


def sumo_env(**fields) -> gym.Env:
    return gym.make(SIGNAL, backend="sumo", disable_env_checker=True, **fields)


def rollout(env: gym.Env, seed: int, steps: int) -> tuple[np.ndarray, list[float]]:
    obs, _ = env.reset(seed=seed)
    observations, rewards = [obs], []
    for k in range(steps):
        obs, reward, *_ = env.step((k // 3) % 4)
        observations.append(obs)
        rewards.append(reward)
    return np.stack(observations), rewards


def test_same_spaces_and_layout_as_the_builtin():
    builtin = gym.make(SIGNAL).unwrapped
    env = sumo_env()
    try:
        assert env.observation_space.shape == builtin.observation_space.shape
        assert env.action_space == builtin.action_space
        assert env.unwrapped.layout == builtin.layout
        obs, _ = env.reset(seed=0)
        assert env.observation_space.contains(obs)
        _, _, _, _, info = env.step(0)
        assert set(info["kpi"]) == builtin_kpis()
        assert set(info["reward_parts"]) == {"queue", "wait", "pressure", "delay", "throughput"}
    finally:
        env.close()


def builtin_kpis() -> set[str]:
    env = gym.make(SIGNAL)
    env.reset(seed=0)
    return set(env.step(0)[4]["kpi"])


def test_vehicles_are_conserved_and_phase_rules_hold():
    env = sumo_env(min_green=10.0)
    try:
        obs, _ = env.reset(seed=0)
        layout = env.unwrapped.layout
        for k in range(60):
            wanted = (k // 2) % 4  # asks for a change every 10 s
            obs, _, _, _, info = env.step(wanted)
            kpi = info["kpi"]
            assert (
                kpi["generated_total"]
                == kpi["exited_total"] + kpi["in_network"] + kpi["waiting_to_enter"]
            )
            assert kpi["entered_total"] == kpi["exited_total"] + kpi["in_network"]
            elapsed = float(obs[layout["elapsed"][0]][0])
            assert elapsed <= env.unwrapped.config.max_green
            if kpi["tls_switched"]:
                green = env.unwrapped.config.delta_time - env.unwrapped.config.lost_time
                assert elapsed == green  # yellow first, then the new green
        assert kpi["exited_total"] > 20
    finally:
        env.close()


def test_same_seed_same_trajectory():
    env = sumo_env()
    try:
        first = rollout(env, 3, 40)
        second = rollout(env, 3, 40)
        other = rollout(env, 4, 40)
    finally:
        env.close()
    np.testing.assert_array_equal(first[0], second[0])
    assert first[1] == second[1]
    assert first[1] != other[1]


def test_both_backends_rank_the_baselines_alike():
    """Fixed time, max-pressure and random, by average waiting time (600 simulated s)."""
    waits = {}
    for backend in ("builtin", "sumo"):
        target = EnvTarget(SIGNAL, {"backend": backend})
        for name in ("random", "fixed_time", "max_pressure"):
            table = evaluate(make_agent(name, target), seeds=[11], max_steps=120)
            waits[backend, name] = float(table["avg_waiting_time"].mean())
    for backend in ("builtin", "sumo"):
        order = sorted(("random", "fixed_time", "max_pressure"), key=lambda n: waits[backend, n])
        assert order == ["max_pressure", "fixed_time", "random"], waits


def test_traci_runs_several_simulations_and_libsumo_only_one():
    a = sumo_env(sumo_interface="traci")
    b = sumo_env(sumo_interface="traci")
    try:
        a.reset(seed=0)
        b.reset(seed=0)
        assert np.array_equal(a.step(0)[0], b.step(0)[0])
    finally:
        a.close()
        b.close()
    first = sumo_env()
    second = sumo_env()
    try:
        first.reset(seed=0)
        with pytest.raises(ConfigError, match="traci"):
            second.reset(seed=0)
    finally:
        first.close()
        second.close()


def test_grid_on_sumo_is_a_parallel_env():
    from pettingzoo.test import parallel_api_test

    env = fieldgym.make_parallel(
        "fieldgym/TrafficGrid-v1", backend="sumo", rows=1, cols=2, max_episode_steps=30
    )
    try:
        assert env.possible_agents == ["tl_0_0", "tl_0_1"]
        parallel_api_test(env, num_cycles=30)
        assert env.state().shape == env.state_space.shape
    finally:
        env.close()


def test_user_network_files(tmp_path):
    """A SUMO network given as files: one lane group per lane, the program's green phases."""
    generator = sumo_env()
    generator.unwrapped.system.files()  # generate the default intersection
    net, routes = generator.unwrapped.system.files()
    env = sumo_env(net_file=net, route_file=routes)
    try:
        system = env.unwrapped.system
        assert system.num_phases == 4  # netgenerate's program: two through and two left greens
        assert system.phase_lanes.shape[2] == 12  # twelve incoming lanes
        obs, _ = env.reset(seed=0)
        for _ in range(20):
            obs, _, _, _, info = env.step(1)
        assert env.observation_space.contains(obs)
        assert info["kpi"]["exited_total"] > 0
        assert env.render() is None
    finally:
        env.close()


def test_missing_sumo_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "sumo", None)
    with pytest.raises(MissingDependencyError, match=r"fieldgym\[sumo\]"):
        gym.make(SIGNAL, backend="sumo")


def test_sumo_scenario_file_is_valid():
    from pathlib import Path

    from fieldgym.envs.traffic.config import TrafficConfig
    from fieldgym.scenarios.plan.spec import read_scenario

    root = Path(fieldgym.__file__).parent
    scenario = read_scenario(root / "scenarios" / "traffic_single_sumo.yaml")
    config = TrafficConfig.build(scenario.env.config)
    assert config.backend == "sumo" and config.sumo_interface == "traci"


def test_vector_env_of_sumo_copies():
    with pytest.raises(ConfigError, match="traci"):
        gym.make_vec(SIGNAL, num_envs=2, backend="sumo")
    vec = gym.make_vec(
        SIGNAL, num_envs=2, backend="sumo", sumo_interface="traci", max_episode_steps=3
    )
    try:
        obs, _ = vec.reset(seed=0)
        assert obs.shape == (2, 33)
        for _ in range(3):
            obs, rewards, _, truncated, infos = vec.step(np.array([0, 2]))
            assert rewards.shape == (2,)
        assert truncated.all() and infos["final_obs"].shape == (2, 33)
        assert np.all(obs[:, vec.unwrapped.layout["queue"][0]] == 0)
    finally:
        vec.close()


def test_getter_and_subscription_reads_agree():
    """libsumo reads edges and lanes by getters, TraCI by subscriptions: the same values."""
    from fieldgym.envs.traffic.sumo.reads import HALTING, NUMBER, SPEED, reader

    env = sumo_env()
    try:
        env.reset(seed=0)
        for k in range(30):
            env.step((k // 3) % 4)
        system = env.unwrapped.system
        conn = system.conn
        variables = (NUMBER, HALTING, SPEED)
        by_getter = reader(conn.edge, system.edges, variables, subscribe=False)
        by_subscription = reader(conn.edge, system.edges, variables, subscribe=True)
        lanes_by_getter = reader(conn.lane, system.lanes, variables, subscribe=False)
        lanes_by_subscription = reader(conn.lane, system.lanes, variables, subscribe=True)
        for _ in range(5):
            conn.simulationStep()
            edges = by_getter()
            assert edges == by_subscription()
            assert lanes_by_getter() == lanes_by_subscription()
        assert sum(edges[0]) > 0 and sum(edges[1]) > 0  # vehicles, some halted
    finally:
        env.close()


def test_libsumo_and_traci_give_the_same_trajectory():
    """The two interfaces read SUMO differently (getters, subscriptions): same steps."""
    runs = []
    for interface in ("libsumo", "traci"):
        env = sumo_env(sumo_interface=interface)
        try:
            obs, _ = env.reset(seed=5)
            steps = [obs]
            for k in range(40):
                obs, reward, _, _, info = env.step((k // 3) % 4)
                steps += [obs, reward, info["kpi"]]
            runs.append(steps)
        finally:
            env.close()
    libsumo_run, traci_run = runs
    for a, b in zip(libsumo_run, traci_run, strict=True):
        if isinstance(a, dict):
            assert a.keys() == b.keys()
            for key in a:
                np.testing.assert_array_equal(a[key], b[key], err_msg=key)
        else:
            np.testing.assert_array_equal(a, b)


def test_a_new_episode_starts_with_nothing_to_discharge():
    """Vehicles of the previous simulation are not counted after a reset (reload)."""
    env = sumo_env()
    try:
        env.reset(seed=0)
        for _ in range(60):
            env.step(0)
        assert env.unwrapped.system.conn.vehicle.getIDCount() > 0
        env.reset(seed=1)
        _, _, _, _, info = env.step(0)
        assert info["kpi"]["tls_discharged"] == 0
        assert info["reward_parts"]["throughput"] == 0
    finally:
        env.close()
