"""The intersection scenario of the built-in driving simulator (presets ``intersection``
and ``intersection_yield``): checkers, determinism, traffic physics, lights, baselines."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import fieldgym  # noqa: F401 - registers the ids
from fieldgym.agents import EnvTarget, evaluate, make_agent
from fieldgym.envs.core.errors import ConfigError
from fieldgym.envs.driving import control, junction, layout, sim
from fieldgym.envs.driving.builtin import BuiltinBackend
from fieldgym.envs.driving.config import DrivingConfig
from fieldgym.envs.driving.metrics import episode_metrics
from fieldgym.envs.driving.render import LIGHTS
from fieldgym.envs.driving.traffic import overlap

ID = "fieldgym/Driving-v1"
PRESETS = ("intersection", "intersection_yield")


@pytest.mark.parametrize("preset", PRESETS)
def test_presets_pass_gymnasium_and_sb3_checkers(preset):
    from stable_baselines3.common.env_checker import check_env as sb3_check_env

    check_env(gym.make(ID, preset=preset).unwrapped, skip_render_check=True)
    with pytest.warns(UserWarning, match="unconventional shape"):  # (N, 5) kinematics rows
        sb3_check_env(gym.make(ID, preset=preset))


@pytest.mark.parametrize("preset", PRESETS)
def test_same_seed_same_trajectory(preset):
    def rollout():
        env = gym.make(ID, preset=preset)
        env.action_space.seed(3)
        obs, _ = env.reset(seed=7)
        trace = [obs]
        for _ in range(40):
            obs, reward, terminated, truncated, _ = env.step(env.action_space.sample())
            trace += [obs, np.array([reward])]
            if terminated or truncated:
                obs, _ = env.reset()
                trace.append(obs)
        return np.concatenate([np.ravel(t) for t in trace])

    np.testing.assert_array_equal(rollout(), rollout())


@pytest.mark.parametrize(
    "kwargs",
    [{"preset": "intersection"}, {"preset": "intersection_yield", "action_type": "continuous"}],
)
def test_random_actions_keep_observations_finite_and_in_bounds(kwargs):
    env = gym.make(ID, **kwargs)
    env.action_space.seed(0)
    obs, _ = env.reset(seed=0)
    for _ in range(300):
        obs, reward, terminated, truncated, _ = env.step(env.action_space.sample())
        assert np.all(np.isfinite(obs)) and env.observation_space.contains(obs)
        assert np.isfinite(reward)
        if terminated or truncated:
            obs, _ = env.reset()


def test_lane_bound_observations_are_refused_at_an_intersection():
    for kind in ("occupancy_grid", "ttc"):
        with pytest.raises(ConfigError, match="choose 'kinematics'"):
            DrivingConfig.preset("intersection", observation_type=kind)
    with pytest.raises(ConfigError, match="intersection_control"):
        DrivingConfig.preset("intersection", intersection_control="roundabout")


def test_signal_cycle_gives_each_road_green_yellow_then_red_with_all_red_between():
    config = DrivingConfig.preset("intersection", signal_times=(20.0, 10.0, 4.0, 2.0))
    p = layout.params(config)
    assert junction.cycle(p) == 42.0
    states = {
        t: (junction.light(t, p, 0)[0], junction.light(t, p, 1)[0]) for t in np.arange(0, 42, 0.5)
    }
    g, y, r = junction.GREEN, junction.YELLOW, junction.RED
    assert states[0.0] == (g, r) and states[19.5] == (g, r)
    assert states[20.0] == (y, r) and states[23.5] == (y, r)
    assert states[24.0] == (r, r) and states[25.5] == (r, r)  # all red
    assert states[26.0] == (r, g) and states[35.5] == (r, g)
    assert states[36.0] == (r, y) and states[40.0] == (r, r)
    assert not any(a != r and b != r for a, b in states.values())  # never both open
    assert junction.light(30.0, p, 0)[1] == pytest.approx(12.0)  # main red: 12 s to green


def footprint_hit(row_a, heading_a, row_b, heading_b) -> bool:
    return overlap(*row_a[:2], heading_a, *row_a[4:6], *row_b[:2], heading_b, *row_b[4:6])


@pytest.mark.parametrize("control_kind", ["signal", "yield"])
def test_traffic_never_collides_and_never_enters_on_red(control_kind):
    """Over long rollouts (the ego parked, so traffic flows through the intersection all
    along): no main-road or crossing vehicle overlaps another, and no main-road vehicle's
    front crosses the stop line on red; traffic flows both ways, and main-road vehicles
    do wait at the line."""
    config = DrivingConfig.preset("intersection", intersection_control=control_kind, ego_speed=0.0)
    backend = BuiltinBackend(config)
    stop = config.intersection_distance
    passed = crossed = waited = 0
    for seed in range(4):
        backend.reset(seed=seed, level=config.level)
        for _ in range(500):
            veh, cross = backend.veh[0], backend.cross[0]
            front = veh[1:, sim.C_X] + 0.5 * veh[1:, sim.C_LEN]
            cross_y = cross[:, layout.X_Y].copy()
            t = backend.sim[0, sim.S_TIME] + backend.sim[0, sim.S_PHASE]
            light = junction.light(t, backend.p, 0)[0]
            waited += int(
                np.sum((front < stop) & (front > stop - 8) & (veh[1:, sim.C_SPEED] < 0.1))
            )
            world = backend.step(0.0, 0.0)
            assert not world.collided
            new_front = veh[1:, sim.C_X] + 0.5 * veh[1:, sim.C_LEN]
            entered = (front <= stop) & (new_front > stop)
            passed += int(entered.sum())
            if control_kind == "signal":
                assert not (entered.any() and light == junction.RED)
            moved = cross[:, layout.X_Y] - cross_y
            mid = 0.5 * (config.lanes - 1) * config.lane_width
            crossed += int(
                np.sum(
                    (np.abs(moved) < 10)
                    & ((cross_y - mid) * moved < 0)
                    & ((cross[:, layout.X_Y] - mid) * moved > 0)
                )
            )
            others = [(row, np.arctan2(row[3], max(row[2], 0.1))) for row in world.others]
            others += [(row, row[6]) for row in world.crossing]
            for i in range(len(others)):
                for j in range(i + 1, len(others)):
                    (a, ha), (b, hb) = others[i], others[j]
                    if abs(a[0] - b[0]) < 8 and abs(a[1] - b[1]) < 8:
                        assert not footprint_hit(a, ha, b, hb), (seed, a, b)
    assert passed > 40 and crossed > 40 and waited > 50


def test_ego_running_a_red_light_is_counted_and_penalised():
    """The ego floors it on an empty road into a red light: one red light in the KPIs,
    the reward part and the metrics (CARLA's 0.7 penalty); on green none."""
    env = gym.make(
        ID,
        preset="intersection",
        vehicles=0,
        crossing_vehicles=0,
        action_type="continuous",
        max_episode_steps=100,
    ).unwrapped
    for phase, expected in ((25.0, 1.0), (0.0, 0.0)):  # main red from 24 s to 42 s
        env.reset(seed=0)
        env.backend.sim[0, sim.S_PHASE] = phase
        kpis = {name: [] for name in control.KPI_NAMES}
        parts = []
        for _ in range(60):
            _, _, terminated, _, info = env.step(np.array([5.0, 0.0], dtype=np.float32))
            for name in kpis:
                kpis[name].append(info["kpi"][name])
            parts.append(info["reward_parts"]["red_light"])
            assert not terminated
            if info["kpi"]["x"] > env.config.intersection_distance + 20:
                break
        assert sum(kpis["red_light"]) == expected
        assert sum(parts) == -expected
        metrics = episode_metrics({k: np.asarray(v) for k, v in kpis.items()}, env.config)
        assert metrics["red_lights"] == expected
        assert metrics["driving_score"] == pytest.approx(
            metrics["route_completion"] * 0.7**expected
        )


def test_kinematics_sees_crossing_vehicles_and_the_light():
    env = gym.make(ID, preset="intersection").unwrapped
    env.reset(seed=0)
    backend = env.backend
    cfg = env.config
    backend.veh[0, 0, sim.C_X] = 100.0
    ex, ey = backend.veh[0, 0, sim.C_X], backend.veh[0, 0, sim.C_Y]
    backend.cross[0, :, layout.X_Y] = 1000.0  # all far away but one
    backend.cross[0, 0, [layout.X_X, layout.X_Y, layout.X_VY]] = [ex + 30.0, ey - 20.0, 8.0]
    backend.sim[0, sim.S_PHASE] = 30.0 - backend.sim[0, sim.S_TIME]  # main red, 12 s left
    obs = env._observe(backend.state())
    rows = 1 + cfg.observed_vehicles
    assert obs.shape == (rows + cfg.observed_crossing + 1, 5)
    np.testing.assert_allclose(
        obs[rows],
        [
            1.0,
            30.0 / cfg.perception_range,
            -20.0 / cfg.perception_range,
            -cfg.ego_speed / 20.0,
            8.0 / 20.0,
        ],
        rtol=1e-6,
    )
    assert not obs[rows + 1 :, 0][:-1].any()
    last = obs[-1]
    assert last[1] == pytest.approx((cfg.intersection_distance - ex - 2.5) / cfg.perception_range)
    assert (last[2], last[3]) == (junction.RED, junction.GREEN)
    assert last[4] == pytest.approx(12.0 / 42.0)


def test_render_draws_the_crossing_road_its_vehicles_and_the_light():
    env = gym.make(ID, preset="intersection", render_mode="rgb_array")
    env.reset(seed=0)
    u = env.unwrapped
    u.backend.veh[0, 0, sim.C_X] = 100.0  # the intersection in view
    u.backend.cross[0, 0, layout.X_Y] = -8.0  # a crossing vehicle in view
    u.world = u.backend.state()
    image = env.render()
    assert image.ndim == 3 and image.dtype == np.uint8
    for colour in ((200, 120, 40), LIGHTS[float(u.world.junction[1])]):  # vehicle, light
        assert np.all(image == colour, axis=-1).sum() > 4


@pytest.mark.parametrize("preset", PRESETS)
def test_idm_mobil_stops_for_red_and_yields_without_collisions(preset):
    """The classical baseline over 25 seeded episodes: no collision, no red light, and it
    does get through the intersection in most episodes (it is not safe by standing)."""
    target = EnvTarget(ID, {"preset": preset})
    table = evaluate(make_agent("idm_mobil", target), seeds=range(100, 125))
    assert table["collision"].sum() == 0
    assert table["red_lights"].sum() == 0
    through = table["distance"] > target.config.intersection_distance + 20
    assert through.mean() >= 0.8
