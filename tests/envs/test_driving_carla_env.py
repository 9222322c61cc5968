"""``fieldgym/Driving-v1`` with ``backend="carla"`` end to end, on the ``carla`` test double.

The fake client module replaces ``carla`` in ``sys.modules``, so the environment builds
the real :class:`CarlaBackend` from a real ``DrivingConfig`` (checking the config fields
the backend reads) and runs whole episodes on the fake road, whose 3.5 m lanes differ
from the config's default lane width.
"""

from __future__ import annotations

import sys

import gymnasium as gym
import numpy as np
import pytest

import fieldgym  # noqa: F401  (registers the environments)
from fieldgym.envs.driving.carla import CarlaBackend
from fieldgym.envs.driving.carla.fake import FakeServer, make_fake_carla


@pytest.fixture
def server(monkeypatch):
    server = FakeServer()
    monkeypatch.setitem(sys.modules, "carla", make_fake_carla(server))
    return server


@pytest.mark.parametrize("preset_fields", [{}, {"action_type": "continuous"}])
def test_driving_env_runs_on_the_carla_backend(server, preset_fields):
    env = gym.make("fieldgym/Driving-v1", backend="carla", vehicles=12, **preset_fields)
    try:
        obs, _ = env.reset(seed=0)
        backend = env.unwrapped.backend
        assert isinstance(backend, CarlaBackend)
        config = env.unwrapped.config
        assert server.settings.synchronous_mode
        assert server.settings.fixed_delta_seconds == pytest.approx(config.dt)
        assert backend.ego_speed == config.ego_speed
        assert backend.desired_speed == config.desired_speed
        world = env.unwrapped.world
        assert world.ego[3] == pytest.approx(config.ego_speed, abs=0.2)
        assert world.lane_width == config.lane_width
        lane = world.ego[1] / config.lane_width
        assert lane == pytest.approx(round(lane))  # on a lane centre of the config's width
        assert env.observation_space.contains(obs)
        env.action_space.seed(0)
        for _ in range(15):
            obs, reward, terminated, truncated, info = env.step(env.action_space.sample())
            assert env.observation_space.contains(obs)
            assert np.isfinite(reward)
            assert all(np.isfinite(v) for v in info["kpi"].values())
            if terminated or truncated:
                obs, _ = env.reset()
        assert len(server.actors) > 0
    finally:
        env.close()
    assert server.actors == {}
    assert server.settings.synchronous_mode is False
