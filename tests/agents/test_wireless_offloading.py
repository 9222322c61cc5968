"""Offloading baselines, the greedy policy's model, Pareto fronts and hypervolumes."""

from __future__ import annotations

import copy

import gymnasium as gym
import numpy as np
import pandas as pd
import pytest

from fieldgym.agents import EnvTarget, evaluate, make_agent
from fieldgym.agents.wireless.offloading_policies import predict_outcomes
from fieldgym.agents.wireless.pareto import (
    hypervolume,
    hypervolume_table,
    objective_points,
    pareto_front,
    sweep,
)
from fieldgym.envs.core.errors import ConfigError
from fieldgym.envs.wireless.offloading_dynamics import TASK

ENV_ID = "fieldgym/EdgeOffloading-v1"


@pytest.mark.parametrize("late_tasks", ["drop", "complete"])
def test_greedy_model_predicts_the_envs_outcome_of_every_action(late_tasks):
    env = gym.make(ENV_ID, late_tasks=late_tasks).unwrapped
    observation, _ = env.reset(seed=2)
    rng = np.random.default_rng(0)
    missed = 0.0
    for _ in range(80):
        delay, energy = predict_outcomes(observation, env.config)
        for action in range(env.action_space.n):
            clone = copy.deepcopy(env)
            _, _, _, _, info = clone.step(action)
            kpi = info["kpi"]
            assert delay[0, action] == pytest.approx(kpi["delay_objective"], abs=1e-5)
            assert energy[0, action] == pytest.approx(kpi["energy"], rel=1e-5, abs=1e-9)
        # a mix of actions, biased to local, builds queues and some drops
        action = 0 if rng.random() < 0.5 else int(rng.integers(env.action_space.n))
        observation, _, _, _, info = env.step(action)
        missed += info["kpi"]["missed"]
    assert missed > 0  # the late-task branches were exercised


def test_fixed_baselines_choose_what_they_say():
    target = EnvTarget(ENV_ID)
    env = target.make().unwrapped
    observation, _ = env.reset(seed=0)
    nearest = make_agent("offload_nearest", target)
    least = make_agent("offload_least_loaded", target)
    local = make_agent("all_local", target)
    system = env.system
    servers = np.asarray(env.config.server_positions)
    for _ in range(50):
        user = int(system.task[0, TASK.user])
        distance = np.linalg.norm(servers - system.user_xy[0, user], axis=1)
        assert nearest.act(observation) == 1 + int(np.argmin(distance))
        assert least.act(observation) == 1 + int(np.argmin(system.server[0]))
        assert local.act(observation) == 0
        observation, *_ = env.step(least.act(observation))


def test_greedy_cost_beats_all_local_and_random_on_its_own_objective():
    target = EnvTarget(ENV_ID, {"preference": (0.5, 0.5)})
    scores = {
        name: evaluate(make_agent(name, target), range(3), max_steps=150)[
            "avg_weighted_cost"
        ].mean()
        for name in ("greedy_cost", "all_local", "random", "offload_nearest")
    }
    assert scores["greedy_cost"] < min(v for k, v in scores.items() if k != "greedy_cost")


def test_baselines_refuse_other_envs():
    with pytest.raises(ConfigError):
        make_agent("greedy_cost", EnvTarget("fieldgym/MultiEchelonInventory-v1"))


def test_pareto_front_and_hypervolume_against_a_staircase_by_hand():
    points = np.array([[1.0, 2.0], [2.0, 1.0], [1.5, 1.5], [3.0, 3.0], [2.0, 2.0]])
    front = pareto_front(points)
    np.testing.assert_array_equal(front, [[1.0, 2.0], [1.5, 1.5], [2.0, 1.0]])
    ref = np.array([4.0, 4.0])
    # rectangles between consecutive front points, up to the reference point
    by_hand = sum(
        (nxt - x) * (ref[1] - y) for (x, y), nxt in zip(front, [*front[1:, 0], ref[0]], strict=True)
    )
    assert hypervolume(front, ref) == pytest.approx(by_hand) == pytest.approx(8.25)
    assert hypervolume(points, ref) == pytest.approx(8.25)  # dominated points add nothing


def test_preference_sweep_traces_a_delay_energy_trade_off():
    target = EnvTarget(ENV_ID)
    table = sweep(
        lambda t: make_agent("greedy_cost", t),
        target,
        seeds=[0, 1],
        weights=(0.0, 1.0),
        max_steps=150,
    )
    config = target.config
    points = objective_points(table, config.delay_scale_s, config.energy_scale_j)
    energy_first = points.set_index("w_delay")["energy"]
    delay_first = points.set_index("w_delay")["delay"]
    assert energy_first[0.0] < energy_first[1.0]  # w = 0 cares only about energy
    assert delay_first[1.0] < delay_first[0.0]
    local = sweep(
        lambda t: make_agent("all_local", t),
        target,
        seeds=[0, 1],
        weights=(0.0, 1.0),
        max_steps=150,
    )
    both = objective_points(pd.concat([table, local]), config.delay_scale_s, config.energy_scale_j)
    hv = hypervolume_table(both).set_index("agent")["hypervolume"]
    assert hv["greedy_cost"] > hv["all_local"]


def test_the_offloading_scenario_file_loads_and_checks():
    from pathlib import Path

    from fieldgym.scenarios.plan.planner import load_scenario

    path = Path(__file__).resolve().parents[2] / "scenarios" / "wireless_offloading.yaml"
    plan = load_scenario(path)
    assert [e.kwargs["preference"] for e in plan.envs] == [[0.8, 0.2], [0.5, 0.5], [0.2, 0.8]]
    assert plan.env("balanced").headline == "avg_weighted_cost"
    assert plan.agent("sac_conditioned").learns
