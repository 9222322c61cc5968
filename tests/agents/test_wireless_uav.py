"""UAV baselines: k-means hovering, particle-swarm placement and the random walk."""

from __future__ import annotations

import numpy as np
import pytest

from fieldgym.agents import make_agent
from fieldgym.agents.evaluation import evaluate
from fieldgym.agents.target import ParallelTarget
from fieldgym.agents.wireless.uav_policies import decode_state, steer
from fieldgym.envs.wireless.uav_channel import associate

ENV_ID = "fieldgym/UAVOffloading-v1"


def test_planners_serve_tight_hotspots_completely():
    # three tight hotspots, one per UAV, capacity to spare: hovering over each centre
    # puts every user within ~3 spreads (45 m) of a UAV, well inside its 10 Mbit/s range
    fields = {
        "num_users": 30,
        "hotspots": 3,
        "hotspot_spread_m": 15.0,
        "uav_capacity": 15,
        "user_mobility": "static",
        "base_stations": [],
        "max_cycles": 5,
    }
    target = ParallelTarget(ENV_ID, fields)
    env = target.make()
    env.reset(seed=4)
    uavs, users = decode_state(env.state(), env.config)
    for name in ("kmeans_hover", "pso_placement"):
        planner = make_agent(name, target)
        planner.reset(0)
        goals = planner.plan(uavs, users)
        serving, _ = associate(users, goals, env.config)
        assert (serving >= 0).mean() == pytest.approx(1.0), name


def test_pso_is_no_worse_than_its_swarm_start():
    target = ParallelTarget(ENV_ID, {"user_mobility": "static"})
    env = target.make()
    env.reset(seed=1)
    uavs, users = decode_state(env.state(), env.config)
    pso = make_agent("pso_placement", target, iterations=0)
    pso.reset(3)
    start = pso.fitness(pso.plan(uavs, users), users)
    pso = make_agent("pso_placement", target, iterations=20)
    pso.reset(3)
    assert pso.fitness(pso.plan(uavs, users), users) >= start


def test_steer_moves_toward_the_goal_within_the_speed_limit():
    target = ParallelTarget(ENV_ID, {"action_type": "continuous"})
    config = target.config
    velocity = steer(np.array([0.0, 0.0]), np.array([300.0, 400.0]), config)
    np.testing.assert_allclose(velocity, [0.6, 0.8], rtol=1e-6)
    discrete = ParallelTarget(ENV_ID).config
    assert steer(np.array([0.0, 0.0]), np.array([0.0, 300.0]), discrete) == 1  # north
    assert steer(np.array([0.0, 0.0]), np.array([5.0, 0.0]), discrete) == 0  # close: stay


def test_kmeans_hovering_beats_the_random_walk():
    target = ParallelTarget(ENV_ID, {"max_cycles": 60})
    share = {
        name: evaluate(make_agent(name, target), [0, 1])["association_share"].mean()
        for name in ("kmeans_hover", "random_walk")
    }
    assert share["kmeans_hover"] > share["random_walk"] + 0.1
