"""Driving baselines and learners: what they do, and how they rank."""

from __future__ import annotations

import numpy as np
import pytest

from fieldgym.agents import EnvTarget, evaluate, make_agent
from fieldgym.envs.core.errors import ConfigError

ID = "fieldgym/Driving-v1"
SEEDS = range(500, 508)


def test_idm_mobil_is_safe_and_beats_the_naive_baselines():
    target = EnvTarget(ID)
    scores = {}
    for name in ("idm_mobil", "constant_speed", "random"):
        table = evaluate(make_agent(name, target), seeds=SEEDS)
        scores[name] = table.mean(numeric_only=True)
    assert scores["idm_mobil"]["success"] == 1.0
    assert scores["idm_mobil"]["driving_score"] > scores["constant_speed"]["driving_score"]
    assert scores["idm_mobil"]["driving_score"] > scores["random"]["driving_score"]


def test_idm_mobil_drives_with_continuous_actions():
    target = EnvTarget(ID, {"preset": "continuous", "max_episode_steps": 100})
    table = evaluate(make_agent("idm_mobil", target), seeds=range(500, 504))
    assert table["success"].mean() == 1.0
    assert table["avg_speed"].mean() > 10.0


def test_idm_mobil_on_an_empty_road_reaches_its_desired_speed_in_lane():
    target = EnvTarget(ID, {"vehicles": 0})
    table, episodes = evaluate(
        make_agent("idm_mobil", target, v0=30.0), seeds=[1], keep_episodes=True
    )
    speed = episodes[0].kpis["speed"]
    assert speed[-1] == pytest.approx(30.0, abs=1.0)
    assert table["lane_changes"].iloc[0] <= 1  # at most one move to the right lane


def test_constant_speed_keeps_lane_and_speed():
    for action_type in ("meta", "continuous"):
        target = EnvTarget(ID, {"vehicles": 0, "action_type": action_type})
        _, episodes = evaluate(make_agent("constant_speed", target), seeds=[3], keep_episodes=True)
        kpis = episodes[0].kpis
        np.testing.assert_allclose(kpis["speed"], 25.0, atol=0.05)
        assert kpis["lane_change"].sum() == 0
        assert np.abs(np.diff(kpis["y"])).max() < 0.05


def test_idm_mobil_needs_kinematics():
    with pytest.raises(ConfigError, match="kinematics"):
        make_agent("idm_mobil", EnvTarget(ID, {"observation_type": "occupancy_grid"}))


@pytest.mark.parametrize(
    ("name", "kwargs", "params"),
    [
        ("dqn", {}, {"n_envs": 2, "hyperparams": {"learning_starts": 50}}),
        (
            "ppo",
            {"action_type": "continuous"},
            {"n_envs": 2, "hyperparams": {"n_steps": 64, "batch_size": 64}},
        ),
        (
            "sac",
            {"action_type": "continuous"},
            {"n_envs": 2, "hyperparams": {"learning_starts": 50}},
        ),
        (
            "ppo_curriculum",
            {},
            {
                "n_envs": 2,
                "window": 2,
                "threshold": 0.5,
                "hyperparams": {"n_steps": 64, "batch_size": 64},
            },
        ),
    ],
)
def test_learners_train_and_act(name, kwargs, params):
    target = EnvTarget(ID, kwargs)
    agent = make_agent(name, target, **params).fit(200, seed=0)
    env = target.make()
    obs, _ = env.reset(seed=0)
    action = agent.act(obs)
    assert env.action_space.contains(np.asarray(action, dtype=env.action_space.dtype))
    if name == "ppo_curriculum":
        assert agent.level_history[0] == (0, 0)
        assert agent.name == "ppo_curriculum"


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"T": -1.0}, r"T=-1.0 is not allowed; it must be >= 0"),
        ({"a": 0.0}, r"a=0.0 is not allowed; it must be > 0"),
        ({"v0": "fast"}, r"v0='fast' is not allowed; it must be a number"),
        ({"cooldown": 1.5}, r"cooldown=1.5 is not allowed; it must be an integer"),
    ],
)
def test_idm_mobil_refuses_bad_parameters(params, message):
    with pytest.raises(ConfigError, match=message):
        make_agent("idm_mobil", EnvTarget("fieldgym/Driving-v1"), **params)
