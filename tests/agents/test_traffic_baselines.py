"""Traffic baselines: Webster's plan by hand, each controller's rule, and their ranking."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

import fieldgym
from fieldgym.agents import EnvTarget, evaluate, make_agent
from fieldgym.agents.traffic.controllers import SignalInfo, webster_plan
from fieldgym.agents.traffic.policies import grid_controller, run_grid_episode
from fieldgym.envs.core.errors import ConfigError
from fieldgym.envs.traffic.config import MOVEMENTS
from fieldgym.envs.traffic.metrics import episode_metrics

SIGNAL = "fieldgym/TrafficSignal-v1"


def info_of(**fields) -> SignalInfo:
    return SignalInfo.from_system(gym.make(SIGNAL, **fields).unwrapped.system)


def test_webster_cycle_and_splits_by_hand():
    info = info_of(min_green=5.0)
    config = info.config
    north, east, _, _ = config.entry_flows
    left, through, _ = config.turning_ratios
    s = config.saturation_flow
    # critical flow ratio of each phase: NS through, NS left, EW through, EW left
    y = np.array([north * through, north * left, east * through, east * left]) / s
    lost = 4 * config.yellow_time
    cycle = (1.5 * lost + 5) / (1 - y.sum())
    got_cycle, greens = webster_plan(info, 0)
    assert got_cycle == pytest.approx(cycle)
    np.testing.assert_allclose(greens, np.maximum((cycle - lost) * y / y.sum(), 5.0))
    # a given cycle and splits replace Webster's
    got_cycle, greens = webster_plan(info, 0, cycle=100.0, splits=[1, 1, 2, 0])
    np.testing.assert_allclose(greens, np.maximum((100.0 - lost) * np.array([1, 1, 2, 0]) / 4, 5))


def test_fixed_time_runs_its_plan():
    """Each green ends at the decision nearest its planned length, phases in cycle order."""
    target = EnvTarget(SIGNAL, {"min_green": 5.0})
    policy = make_agent("fixed_time", target, cycle=90.0, splits=[0.4, 0.1, 0.4, 0.1])
    env = target.make()
    config = env.unwrapped.config
    obs, _ = env.reset(seed=0)
    ended = []  # (phase, seconds of green) at each change
    for _ in range(200):
        action = policy.act(obs)
        phase, elapsed = int(obs[:4].argmax()), float(obs[4])
        if action != phase:
            ended.append((phase, elapsed))
        obs, *_ = env.step(action)
    planned = policy.control.greens[0]
    assert [p for p, _ in ended[:8]] == [0, 1, 2, 3, 0, 1, 2, 3]
    for phase, green in ended[1:]:  # the first green started at reset, not after a change
        assert (green - (config.delta_time - config.lost_time)) % config.delta_time == 0
        assert abs(green - planned[phase]) <= config.delta_time / 2


def test_controller_rules_on_crafted_observations():
    info = info_of()
    layout = info.layout
    obs = np.zeros((1, 33), dtype=np.float32)
    obs[0, 0] = 1.0  # phase 0 (NS through) is green
    obs[0, 4] = 20.0  # for 20 s
    queue = np.zeros(12)
    queue[MOVEMENTS.index("EL")] = 9.0
    queue[MOVEMENTS.index("NT")] = 4.0
    queue[MOVEMENTS.index("ST")] = 4.0
    obs[0, layout["queue"][0]] = queue
    index = np.zeros(1, dtype=np.int64)
    mp = grid_controller_like("max_pressure", info)
    assert mp.act(obs, index)[0] == 3  # EW left: 9 > NS through: 8
    obs[0, layout["queue"][0].start + MOVEMENTS.index("NT")] = 5.0
    assert mp.act(obs, index)[0] == 0  # ties and better keep the current phase
    act = grid_controller_like("actuated", info)
    assert act.act(obs, index)[0] == 0  # green queues remain: extend
    obs[0, layout["queue"][0].start + MOVEMENTS.index("NT")] = 0.0
    obs[0, layout["queue"][0].start + MOVEMENTS.index("ST")] = 0.5
    assert act.act(obs, index)[0] == 3  # gap-out: next phase with demand (EL)
    sotl = grid_controller_like("sotl", info, theta=100.0)
    assert sotl.act(obs, index)[0] == 0  # 9 red vehicles x 5 s = 45 < 100
    assert sotl.act(obs, index)[0] == 0  # 90 < 100
    assert sotl.act(obs, index)[0] == 3  # 135 >= 100: switch


def grid_controller_like(name, info, **params):
    from fieldgym.agents.traffic.controllers import CONTROLLERS

    return CONTROLLERS[name](info, **params)


def test_baselines_rank_on_the_single_intersection():
    """Max-pressure and fixed time beat random by a wide margin; max-pressure beats fixed."""
    target = EnvTarget(SIGNAL, {})
    waits = {}
    for name in ("random", "fixed_time", "max_pressure", "actuated", "sotl"):
        table = evaluate(make_agent(name, target), seeds=range(100, 103), max_steps=360)
        waits[name] = float(table["avg_waiting_time"].mean())
    assert waits["max_pressure"] < waits["fixed_time"] < waits["random"] / 2
    assert waits["actuated"] < waits["random"] / 2 and waits["sotl"] < waits["random"] / 2


def test_baselines_on_the_grid():
    env = fieldgym.make_parallel("fieldgym/TrafficGrid-v1", rows=2, cols=2, max_episode_steps=200)
    results = {}
    for name in ("fixed_time", "max_pressure"):
        kpis = run_grid_episode(env, grid_controller(env, name), seed=7)
        results[name] = episode_metrics(kpis, env.config)["avg_waiting_time"]
    rng = np.random.default_rng(0)
    kpis = run_grid_episode(env, lambda obs: {a: int(rng.integers(4)) for a in obs}, seed=7)
    results["random"] = episode_metrics(kpis, env.config)["avg_waiting_time"]
    assert results["max_pressure"] < results["fixed_time"] < results["random"]


def test_traffic_baselines_refuse_other_domains():
    with pytest.raises(ConfigError):
        make_agent("max_pressure", EnvTarget("fieldgym/MultiEchelonInventory-v1"))
    with pytest.raises(ConfigError, match="splits"):
        make_agent("fixed_time", EnvTarget(SIGNAL), splits=[1, 2])


def test_policies_act_on_native_vector_batches():
    target = EnvTarget(SIGNAL, {})
    policy = make_agent("max_pressure", target)
    vec = gym.make_vec(SIGNAL, num_envs=4)
    obs, _ = vec.reset(seed=0)
    for _ in range(10):
        actions = policy.act_batch(obs)
        assert actions.shape == (4,)
        obs, *_ = vec.step(actions)
    assert all(policy.act(obs[k]) == actions_k for k, actions_k in enumerate(policy.act_batch(obs)))


def test_scenario_file_and_report_view():
    from pathlib import Path

    from fieldgym.scenarios.plan.planner import load_scenario
    from fieldgym.scenarios.report.domains import domain_view

    root = Path(fieldgym.__file__).parent
    plan = load_scenario(root / "scenarios" / "traffic_single.yaml")
    assert plan.name == "traffic_single"
    view = domain_view("traffic")
    env = gym.make(SIGNAL)
    env.reset(seed=0)
    kpi = env.step(0)[4]["kpi"]
    assert view.levels_kpi in kpi and set(view.trace_kpis) <= set(kpi)
    metrics = episode_metrics({k: np.asarray([v]) for k, v in kpi.items()}, env.unwrapped.config)
    assert set(view.metrics) <= set(metrics)
