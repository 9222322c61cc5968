"""The traffic curriculum: its success-rate rule and its single and vector wrappers."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

import fieldgym  # noqa: F401 - registers the ids
from fieldgym.envs.core.errors import ConfigError
from fieldgym.envs.driving.curriculum import Curriculum, CurriculumSchedule, VectorCurriculum

ID = "fieldgym/Driving-v1"


def test_schedule_rule_exactly():
    schedule = CurriculumSchedule(target_level=2, window=4, threshold=0.8)
    outcomes = [True, True, True, False, True, True, True, True]
    advanced = [schedule.record(o) for o in outcomes]
    # windows: (T,T,T,F)=0.75 no; (T,T,F,T)=0.75 no; (T,F,T,T) no; (F,T,T,T) no;
    # (T,T,T,T)=1.0 at the eighth episode: advance
    assert advanced == [False] * 7 + [True]
    assert schedule.level == 1 and schedule.collision_scale == 0.5
    assert schedule.history == [(0, 0), (8, 1)]
    for _ in range(4):
        schedule.record(True)
    assert schedule.level == 2 and schedule.collision_scale == 1.0
    for _ in range(8):
        assert not schedule.record(True)  # never beyond the env's own level
    assert schedule.level == 2


def test_schedule_rejects_bad_arguments():
    with pytest.raises(ConfigError):
        CurriculumSchedule(target_level=1, start_level=2)
    with pytest.raises(ConfigError):
        CurriculumSchedule(target_level=1, threshold=1.5)


def test_single_env_wrapper_advances_levels_and_scales_the_collision_penalty():
    env = Curriculum(gym.make(ID, max_episode_steps=3), window=1, threshold=1.0)
    assert env.unwrapped.level == 0
    levels = []
    for seed in range(6):
        env.reset(seed=seed)
        done = False
        while not done:
            # 'slower' keeps the ego behind its leader: short episodes end without collision
            _, reward, terminated, truncated, info = env.step(4)
            done = terminated or truncated
            parts, weights = info["reward_parts"], env.unwrapped.config.reward_weights
            plain = sum(weights[k] * v for k, v in parts.items())
            scale = env.schedule.collision_scale if not done else None
            if scale is not None:
                expected = plain + (scale - 1) * weights["collision"] * parts["collision"]
                assert reward == pytest.approx(expected)
        levels.append(env.unwrapped.level)
    assert levels[-1] == env.unwrapped.config.level
    assert levels == sorted(levels)


def test_collision_penalty_is_scaled_on_a_collision():
    env = Curriculum(
        gym.make(ID, vehicles=0, action_type="continuous", max_episode_steps=50),
        window=5,
        threshold=1.0,
    )
    env.reset(seed=0)
    for _ in range(50):  # steer off the road: a road-edge collision
        _, reward, terminated, _, info = env.step(np.array([0.0, 0.1], dtype=np.float32))
        if terminated:
            break
    assert terminated and info["reward_parts"]["collision"] == -1.0
    weights = env.unwrapped.config.reward_weights
    plain = sum(weights[k] * v for k, v in info["reward_parts"].items())
    assert reward == pytest.approx(plain - (0.25 - 1.0) * weights["collision"])


def test_vector_wrapper_advances_on_finished_copies():
    vector = VectorCurriculum(
        gym.make_vec(ID, num_envs=4, max_episode_steps=2), window=4, threshold=0.5
    )
    vector.reset(seed=0)
    assert vector.unwrapped.level == 0
    for _ in range(6):
        _, _rewards, _terminated, _truncated, infos = vector.step(np.full(4, 4))
    assert vector.schedule.episodes >= 8
    assert vector.unwrapped.level >= 1
    assert infos["curriculum_level"] == vector.schedule.level
