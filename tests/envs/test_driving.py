"""The driving environment: config, physics of the built-in simulator, observations, metrics."""

from __future__ import annotations

import math
import sys

import gymnasium as gym
import numpy as np
import pytest

import fieldgym  # noqa: F401 - registers the ids
from fieldgym.envs.core.errors import ConfigError, MissingDependencyError
from fieldgym.envs.driving import control, sim
from fieldgym.envs.driving.backend import WorldState
from fieldgym.envs.driving.builtin import BuiltinBackend
from fieldgym.envs.driving.config import LEVELS, DrivingConfig
from fieldgym.envs.driving.metrics import episode_metrics

ID = "fieldgym/Driving-v1"


def test_config_rejects_typos_and_bad_values():
    with pytest.raises(ConfigError, match="Did you mean 'lanes'"):
        gym.make(ID, lane=3)
    with pytest.raises(ConfigError, match="observation_type"):
        DrivingConfig(observation_type="lidar")
    with pytest.raises(ConfigError, match="meta_speeds"):
        DrivingConfig(meta_speeds=(30.0, 20.0))
    with pytest.raises(ConfigError, match="reward_weights key"):
        DrivingConfig(reward_weights={"speeed": 1.0})


def test_carla_backend_without_carla_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "carla", None)  # as if the package were not installed
    env = gym.make(ID, backend="carla")
    with pytest.raises(MissingDependencyError, match=r"fieldgym\[carla\]"):
        env.reset(seed=0)


def footprint_overlap(a: np.ndarray, b: np.ndarray) -> bool:
    """Whether two others-rows (x, y, vx, vy, length, width) overlap, by the SAT kernel."""
    ha, hb = math.atan2(a[3], max(a[2], 0.1)), math.atan2(b[3], max(b[2], 0.1))
    return sim.overlap(a[0], a[1], ha, a[4], a[5], b[0], b[1], hb, b[4], b[5])


def test_separating_axes_agree_with_sampling():
    """The rectangle-intersection kernel against a brute-force point-sampling check."""
    rng = np.random.default_rng(0)

    def points(x, y, h, length, width):
        u, v = np.meshgrid(np.linspace(-0.5, 0.5, 41), np.linspace(-0.5, 0.5, 41))
        px, py = u.ravel() * length, v.ravel() * width
        return x + px * np.cos(h) - py * np.sin(h), y + px * np.sin(h) + py * np.cos(h)

    def inside(qx, qy, x, y, h, length, width):
        dx, dy = qx - x, qy - y
        u = dx * np.cos(h) + dy * np.sin(h)
        v = -dx * np.sin(h) + dy * np.cos(h)
        return (np.abs(u) <= length / 2) & (np.abs(v) <= width / 2)

    checked = 0
    for _ in range(300):
        a = (0.0, 0.0, rng.uniform(-1, 1), 5.0, 2.0)
        b = (rng.uniform(-6, 6), rng.uniform(-4, 4), rng.uniform(-1, 1), 4.5, 1.9)
        sampled = inside(*points(*a), *b).any() or inside(*points(*b), *a).any()
        exact = sim.overlap(*a, *b)
        if sampled:
            assert exact
        # sampling on a 41x41 grid can miss a sliver; require agreement away from contact
        elif exact:
            continue
        checked += 1
    assert checked > 200


def idm_ego(world, lane_y: float) -> tuple[float, float]:
    """A cautious ego: IDM behind its leader in its lane, the lane controller's steering."""
    ego = world.ego
    gap, v_lead = np.inf, 0.0
    for row in world.others:
        if abs(row[1] - ego[1]) < 3.0 and row[0] > ego[0]:
            g = row[0] - ego[0] - 0.5 * (row[4] + sim.EGO_LENGTH)
            if g < gap:
                gap, v_lead = g, row[2]
    acc = sim.idm(ego[3], 22.0, 2.0, 1.5, 2.0, 3.0, gap, v_lead)
    _, steer = control.meta_command(ego[1], ego[2], ego[3], lane_y, ego[3], 5.0, 0.1)
    return acc, steer


@pytest.mark.parametrize("level", range(len(LEVELS)))
def test_idm_traffic_never_collides_or_passes_through(level):
    """On a straight highway no two vehicles overlap, and none swaps order with another
    while they are side by side (a pass-through), whatever the level."""
    config = DrivingConfig(vehicles=30, lanes=3, level=level)
    backend = BuiltinBackend(config)
    world = backend.reset(seed=level, level=level)
    lane_y = world.ego[1]
    steps = 0
    for _ in range(600):
        previous = world
        world = backend.step(*idm_ego(world, lane_y))
        assert not world.collided, f"the cautious ego collided at step {steps}"
        others = world.others
        for i in range(len(others)):
            for j in range(i + 1, len(others)):
                a, b = others[i], others[j]
                if abs(a[0] - b[0]) < 10 and abs(a[1] - b[1]) < 3:
                    assert not footprint_overlap(a, b), (i, j, a, b)
                before, after = previous.others[i], previous.others[j]
                side_by_side = abs(a[1] - b[1]) < 0.5 * (a[5] + b[5]) and abs(
                    before[1] - after[1]
                ) < 0.5 * (before[5] + after[5])
                moved = abs(a[0] - before[0]) < 20 and abs(b[0] - after[0]) < 20  # no recycling
                if side_by_side and moved:
                    assert np.sign(a[0] - b[0]) == np.sign(before[0] - after[0]), (i, j)
        steps += 1
    assert steps == 600


def test_ego_collision_is_detected_before_it_passes_through():
    """An ego flooring it into a slower vehicle ahead is stopped by a collision."""
    backend = BuiltinBackend(DrivingConfig(vehicles=1))
    world = backend.reset(seed=0, level=0)
    backend.sim[0, [sim.S_BEHIND, sim.S_AHEAD]] = 500.0  # no recycling in this test
    backend.veh[0, 1, [sim.C_X, sim.C_Y, sim.C_TY]] = [30.0, world.ego[1], world.ego[1]]
    backend.veh[0, 1, sim.C_V0] = 5.0
    backend.veh[0, 1, [sim.C_SPEED, sim.C_VX]] = 5.0
    hit_at = None
    for step in range(40):
        world = backend.step(5.0, 0.0)
        gap = world.others[0, 0] - world.ego[0]
        if world.collided:
            hit_at = step
            break
        assert gap > 0, "the ego passed through the vehicle ahead undetected"
    assert hit_at is not None
    assert footprint_overlap(np.r_[world.ego[:2], world.ego[3], 0.0, 5.0, 2.0], world.others[0])


def test_bicycle_model_turns_on_its_circle():
    """Constant speed and steering: the centre of gravity moves on a circle of radius
    lr / sin(beta), beta = atan(lr / (lf + lr) * tan(delta)) (kinematic bicycle model)."""
    config = DrivingConfig(vehicles=0, dt=0.01, max_steering=0.3, lanes=8, lane_width=6.0)
    backend = BuiltinBackend(config)
    backend.reset(seed=0, level=0)
    backend.veh[0, 0, sim.C_Y] = 20.0
    delta = 0.2
    beta = math.atan(sim.LR / (sim.LF + sim.LR) * math.tan(delta))
    radius = sim.LR / math.sin(beta)
    points = []
    for _ in range(150):
        world = backend.step(0.0, delta)
        points.append(world.ego[:2].copy())
    points = np.array(points)
    # fit the circle through the path: centre on the left of the start, at distance radius
    centre = np.array([0.0, 20.0]) + radius * np.array([-math.sin(beta), math.cos(beta)])
    distances = np.linalg.norm(points - centre, axis=1)
    np.testing.assert_allclose(distances, radius, rtol=0.01)


def test_idm_equilibrium_and_free_road():
    """IDM's steady state: no acceleration at the equilibrium gap
    s_e = (s0 + v T) / sqrt(1 - (v / v0)^4) behind a leader at the same speed; on a free
    road it accelerates below v0 and stops accelerating at v0."""
    v0, T, a, b, s0 = 30.0, 1.5, 1.0, 2.0, 2.0
    for v in (5.0, 15.0, 25.0):
        gap = (s0 + v * T) / math.sqrt(1 - (v / v0) ** 4)
        assert sim.idm(v, v0, T, a, b, s0, gap, v) == pytest.approx(0.0, abs=1e-9)
    assert sim.idm(10.0, v0, T, a, b, s0, np.inf, 0.0) > 0
    assert sim.idm(v0, v0, T, a, b, s0, np.inf, 0.0) == pytest.approx(0.0, abs=1e-12)


def test_meta_lane_change_reaches_the_next_lane_centre():
    env = gym.make(ID, vehicles=0, lanes=3).unwrapped
    env.reset(seed=0)
    start = env.world.ego[1]
    action = 0 if start < 8.0 else 2
    target = start + (4.0 if action == 0 else -4.0)
    env.step(action)
    for _ in range(5):
        _, _, terminated, _, _info = env.step(1)
        assert not terminated
    assert env.world.ego[1] == pytest.approx(target, abs=0.2)
    assert abs(env.world.ego[2]) < 0.05


def test_faster_and_slower_step_the_target_speed():
    env = gym.make(ID, vehicles=0).unwrapped
    env.reset(seed=0)
    for _ in range(6):
        env.step(3)
    assert env.world.ego[3] == pytest.approx(max(env.config.meta_speeds), abs=0.5)
    for _ in range(8):
        env.step(4)
    assert env.world.ego[3] == pytest.approx(min(env.config.meta_speeds), abs=0.5)


@pytest.mark.parametrize("kind", ["kinematics", "occupancy_grid", "ttc"])
def test_observation_types_fit_their_space(kind):
    env = gym.make(ID, observation_type=kind)
    obs, _ = env.reset(seed=0)
    assert env.observation_space.contains(obs)
    for _ in range(5):
        obs, *_ = env.step(env.action_space.sample())
        assert env.observation_space.contains(obs)
    if kind == "occupancy_grid":
        ego = obs[2]
        columns = np.flatnonzero(ego.any(axis=0))
        centre = obs.shape[2] // 2
        assert columns.min() <= centre <= columns.max() + 1


def test_kinematics_sees_the_leader_it_should():
    env = gym.make(ID, vehicles=1).unwrapped
    env.reset(seed=0)
    backend = env.backend
    ego_y = backend.veh[0, 0, sim.C_Y]
    backend.sim[0, [sim.S_BEHIND, sim.S_AHEAD]] = 500.0  # no recycling in this test
    backend.veh[0, 1, [sim.C_X, sim.C_Y, sim.C_TY]] = [40.0, ego_y, ego_y]
    backend.veh[0, 1, [sim.C_SPEED, sim.C_VX]] = 20.0
    obs = env._observe(backend.state())
    assert obs[1, 0] == 1.0
    assert obs[1, 1] == pytest.approx(40.0 / env.config.perception_range)
    assert obs[1, 3] == pytest.approx((20.0 - env.config.ego_speed) / 20.0)


def test_levels_raise_density():
    windows = []
    for level in range(len(LEVELS)):
        backend = BuiltinBackend(DrivingConfig())
        backend.reset(seed=0, level=level)
        windows.append(backend.sim[0, sim.S_AHEAD] + backend.sim[0, sim.S_BEHIND])
    assert windows == sorted(windows, reverse=True)
    expected = DrivingConfig().vehicles / (LEVELS[0][0] * DrivingConfig().lanes) * 1000
    assert windows[0] == pytest.approx(expected)


def test_metrics_follow_the_leaderboard_definition():
    config = DrivingConfig(route_length=100.0)
    steps = 4
    kpis = {name: np.zeros(steps) for name in control.KPI_NAMES}
    kpis["distance"][:] = 20.0
    kpis["speed"][:] = 20.0
    kpis["headway"][:] = [0.5, 2.0, 2.0, 2.0]
    kpis["lane_change"][:] = [0, 1, 0, 1]
    clean = episode_metrics(kpis, config)
    assert clean["success"] == 1.0
    assert clean["driving_score"] == pytest.approx(0.8)
    assert clean["lane_changes"] == 2.0
    assert clean["headway_violations"] == pytest.approx(0.25)
    kpis["collided"][-1] = 1.0
    crashed = episode_metrics(kpis, config)
    assert crashed["collision"] == 1.0 and crashed["success"] == 0.0
    assert crashed["driving_score"] == pytest.approx(0.8 * 0.6)


def test_render_draws_the_ego():
    env = gym.make(ID, render_mode="rgb_array")
    env.reset(seed=0)
    image = env.render()
    assert image.ndim == 3 and image.dtype == np.uint8
    green = np.all(image == (40, 170, 60), axis=-1)
    assert green.sum() > 50
    assert abs(np.flatnonzero(green.any(axis=0)).mean() - image.shape[1] / 2) < 15


def test_vector_env_copies_are_independent_and_levels_apply():
    vector = gym.make_vec(ID, num_envs=4)
    obs, _ = vector.reset(seed=0)
    assert not np.array_equal(obs[0], obs[1])
    vector.unwrapped.set_level(0)
    vector.unwrapped._reset_copies(np.array([True, False, False, False]))
    assert vector.unwrapped.sim[0, sim.S_LEVEL] == 0
    assert vector.unwrapped.sim[1, sim.S_LEVEL] == DrivingConfig().level


@pytest.mark.parametrize(
    "kwargs",
    [
        {"preset": "merge"},
        {"preset": "continuous"},
        {"observation_type": "occupancy_grid"},
        {"observation_type": "ttc", "lanes": 4, "vehicles": 12},
        {"preset": "intersection"},
        {"preset": "intersection_yield"},
        {"preset": "intersection", "action_type": "continuous", "policy_frequency": 5.0},
    ],
)
def test_vector_copy_retraces_the_single_env_in_every_variant(kwargs):
    single = gym.make(ID, max_episode_steps=30, **kwargs)
    vector = gym.make_vec(ID, num_envs=1, max_episode_steps=30, **kwargs)
    obs, _ = single.reset(seed=11)
    vobs, _ = vector.reset(seed=11)
    np.testing.assert_array_equal(vobs[0], obs)
    single.action_space.seed(11)
    for _ in range(70):
        action = single.action_space.sample()
        obs, reward, terminated, truncated, info = single.step(action)
        vobs, vreward, vterm, vtrunc, vinfo = vector.step(np.asarray(action)[None])
        if terminated or truncated:
            np.testing.assert_array_equal(vinfo["final_obs"][0], obs)
            obs, _ = single.reset()
        np.testing.assert_array_equal(vobs[0], obs)
        assert vreward[0] == pytest.approx(reward)
        assert vinfo["kpi"]["red_light"][0] == info["kpi"]["red_light"]
        assert (vterm[0], vtrunc[0]) == (terminated, truncated)


def test_merge_ramp_vehicles_merge_or_wait_and_never_collide():
    """On-ramp vehicles join lane 0 when MOBIL's safety criterion allows, never drive past
    the ramp's end, and never overlap another vehicle."""
    config = DrivingConfig(scenario="merge", vehicles=24)
    backend = BuiltinBackend(config)
    merged = 0
    for seed in range(3):
        world = backend.reset(seed=seed, level=2)
        lane_y = world.ego[1]
        on_ramp = set(np.flatnonzero(world.others[:, 1] < -0.5 * config.lane_width))
        assert len(on_ramp) == config.vehicles // 6
        for _ in range(100):
            world = backend.step(*idm_ego(world, lane_y))
            assert not world.collided
            others = world.others
            ramp_now = others[:, 1] < -0.5 * config.lane_width - 1.0
            assert np.all(others[ramp_now, 0] + 0.5 * others[ramp_now, 4] <= sim.RAMP_END + 0.5)
            for i in range(len(others)):
                for j in range(i + 1, len(others)):
                    if (
                        abs(others[i, 0] - others[j, 0]) < 10
                        and abs(others[i, 1] - others[j, 1]) < 3
                    ):
                        assert not footprint_overlap(others[i], others[j])
        merged += sum(abs(world.others[i, 1]) < 0.5 for i in on_ramp)
    assert merged > 0


class ScriptedBackend:
    """A stand-in for any DrivingBackend (as CARLA is): the ego drives straight at 20 m/s,
    one vehicle stands 60 m ahead in the ego's lane, reported only while in range."""

    def __init__(self) -> None:
        self.t = 0.0

    def state(self) -> WorldState:
        ego = np.array([20.0 * self.t, 4.0, 0.0, 20.0, 0.0, 0.0])
        others = np.array([[60.0, 4.0, 0.0, 0.0, 4.5, 1.8]])
        if abs(others[0, 0] - ego[0]) > 100.0:
            others = np.zeros((0, 6))
        return WorldState(ego, others, 5.0, 2.0, 3, 4.0, self.t, False, False)

    def reset(self, seed, level):
        self.t = 0.0
        return self.state()

    def step(self, acceleration, steering):
        self.t += 0.2
        return self.state()

    def close(self) -> None:
        pass


@pytest.mark.parametrize("kind", ["kinematics", "occupancy_grid", "ttc"])
def test_env_runs_on_any_backend_from_world_states_only(monkeypatch, kind):
    """Observations, reward and KPIs come from WorldState alone, as with CARLA."""
    import fieldgym.envs.driving.env as driving_env

    monkeypatch.setattr(driving_env, "make_backend", lambda config: ScriptedBackend())
    env = gym.make(ID, observation_type=kind)
    obs, _ = env.reset(seed=0)
    assert env.observation_space.contains(obs)
    _, _, _, _, info = env.step(1)
    assert info["kpi"]["distance"] == pytest.approx(20.0)
    assert info["kpi"]["headway"] == pytest.approx((60.0 - 20.0 - 4.75) / 20.0)
    for _ in range(10):  # the standing vehicle falls out of range: no rows at all
        obs, *_ = env.step(1)
        assert env.observation_space.contains(obs)
