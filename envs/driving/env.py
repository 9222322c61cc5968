"""The driving environment, ``fieldgym/Driving-v1``: a highway with IDM/MOBIL traffic."""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from fieldgym.envs.core.actions import check_action
from fieldgym.envs.core.errors import ConfigError
from fieldgym.envs.core.optional import require
from fieldgym.envs.core.rewards import resolve_reward
from fieldgym.envs.driving import control, observe
from fieldgym.envs.driving.backend import DrivingBackend, WorldState
from fieldgym.envs.driving.config import META_ACTIONS, OBSERVATION_TYPES, DrivingConfig
from fieldgym.envs.driving.reward import REWARDS
from fieldgym.envs.driving.state import CONTINUOUS, EGO


def action_space(config: DrivingConfig) -> spaces.Space:
    """``Discrete(5)`` meta-actions, or ``Box`` (acceleration m/s², steering rad)."""
    if config.action_type == "meta":
        return spaces.Discrete(len(META_ACTIONS))
    high = np.array([config.max_acceleration, config.max_steering], dtype=np.float32)
    return spaces.Box(-high, high, dtype=np.float32)


def observation_space(config: DrivingConfig) -> spaces.Box:
    """A float32 ``Box(-1, 1)`` of the shape of the config's observation type."""
    return spaces.Box(-1.0, 1.0, shape=observe.obs_shape(config), dtype=np.float32)


def make_backend(config: DrivingConfig) -> DrivingBackend:
    """The simulator the config names; CARLA is imported only when chosen."""
    if config.backend == "carla":
        require("carla", "carla", "The CARLA driving backend")
        from fieldgym.envs.driving.carla import CarlaBackend

        return CarlaBackend(config)
    from fieldgym.envs.driving.builtin import BuiltinBackend

    return BuiltinBackend(config)


class DrivingEnv(gym.Env):
    """Highway driving among IDM/MOBIL traffic, on the built-in simulator or CARLA.

    ## Description

    The ego vehicle drives on a straight road of ``lanes`` lanes among ``vehicles``
    surrounding vehicles. They follow their leaders with the intelligent driver model and
    change lanes with MOBIL, with drivers' parameters (desired speed, time headway,
    acceleration, politeness) drawn per vehicle; the traffic ``level`` sets density, the
    spread of desired speeds and the share of aggressive drivers (``LEVELS`` in
    :mod:`fieldgym.envs.driving.config`). The ego moves by a kinematic bicycle model;
    footprints are oriented rectangles. The agent decides ``policy_frequency`` times per
    simulated second; between decisions the simulator runs ``1 / (dt * policy_frequency)``
    steps of ``dt``. The ego's task is to drive fast and safely to the horizon.
    ``scenario="merge"`` adds an on-ramp right of lane 0 between 80 m and 280 m from the
    ego's start, whose vehicles (one in six) merge into lane 0 as soon as it is safe for
    the vehicle they cut in front of, the ego included, and wait at the ramp's end if not.
    ``scenario="intersection"`` adds a two-lane road crossing at right angles just past a
    stop line ``intersection_distance`` m ahead of the ego's start, with
    ``crossing_vehicles`` vehicles of its own (IDM along their lane). With
    ``intersection_control="signal"`` fixed-cycle lights (``signal_times``, offset at
    random per episode) govern both roads and every driver stops on red and, when it can,
    on yellow; the ego's front crossing the stop line on red is a red-light infraction
    (``info["kpi"]["red_light"]``, the ``red_light`` reward part, CARLA's 0.7 driving-score
    penalty). With ``"yield"`` the crossing road has priority and drivers on the ego's
    road enter only when their gap acceptance finds room
    (:mod:`fieldgym.envs.driving.junction`). Collisions count with crossing vehicles too.
    Everything the agent sees and is scored on is computed from the backend's ``WorldState``
    (:mod:`fieldgym.envs.driving.backend`), so it means the same on CARLA
    (``backend="carla"``).

    ## Action Space

    ``action_type="meta"``: ``Discrete(5)``: 0 lane left, 1 idle, 2 lane right, 3 faster,
    4 slower. A controller then tracks the target lane's centre and the target speed
    (``meta_speeds``, stepped by faster/slower). ``action_type="continuous"``:
    ``Box([-max_acceleration, -max_steering], [max_acceleration, max_steering])``:
    acceleration (m/s²) and front-wheel steering angle (rad, positive to the left), held
    between decisions.

    ## Observation Space

    A ``Box(-1, 1, float32)`` whose layout ``observation_type`` chooses:

    | Type             | Shape            | Content                                           |
    |------------------|------------------|---------------------------------------------------|
    | `kinematics`     | (N + 1, 5)       | row 0, ego: 1, lateral position on the road,      |
    |                  |                  | speed / max_speed, heading / (pi/4), offset from  |
    |                  |                  | its lane's centre / half a lane; rows 1..N, the N |
    |                  |                  | nearest vehicles in range: presence, dx / range,  |
    |                  |                  | dy / road width, dvx / 20, dvy / 20               |
    | `occupancy_grid` | (3, lanes, W)    | per lane and cell of `grid_cell` m over           |
    |                  |                  | [-range, range): vehicle present, its relative    |
    |                  |                  | speed / 20, the ego's own cells                   |
    | `ttc`            | (18,)            | per lane right of, at, left of the ego: lane      |
    |                  |                  | exists, front gap / range, front time to          |
    |                  |                  | collision / ttc_horizon, rear gap, rear time to   |
    |                  |                  | collision; then ego lateral position, speed,      |
    |                  |                  | heading                                           |

    ``N = observed_vehicles``, ``range = perception_range``, ``W = 2 range / grid_cell``.

    At an intersection only ``kinematics`` is defined; it has ``N + C + 2`` rows
    (``C = observed_crossing``): after the ``N`` vehicles of the ego's road, the ``C``
    nearest crossing vehicles within ``range`` (presence, dx / range, dy / range,
    dvx / 20, dvy / 20), then the intersection: 1, distance from the ego's front to the
    stop line / range, the ego's light and the crossing road's light (1 green, 0.5 yellow,
    -1 red, 0 unsignalized), seconds until the ego's light changes / cycle.

    ## Rewards

    A weighted sum (``reward_weights``) of seven parts, each in [-1, 1]: ``progress``
    (distance driven over ``speed_band[1]`` times the decision period), ``speed`` (1 inside
    ``speed_band``, 0 at 10 m/s below it and at ``max_speed``), ``lane_keeping`` (minus
    the offset from the lane centre), ``collision`` (-1), ``lane_change`` (-1 per change),
    ``comfort`` (minus the mean absolute jerk over 10 m/s³) and ``red_light`` (-1 when the
    ego ran a red light; 0 without an intersection). ``info["reward_parts"]``
    holds the parts, ``info["kpi"]`` the step's raw quantities (speed, distance,
    collision, lane, headway, jerk, red lights run, ...).

    ## Starting State

    The ego starts at ``ego_speed`` in a random lane; the traffic is spread over the road
    around it at the level's density, each driver at 80% of its desired speed.

    ## Episode End

    The episode terminates when the ego hits a vehicle or the road edge, and is truncated
    by the ``TimeLimit`` (40 decisions; ``max_episode_steps`` changes it).

    ## Arguments

    ``gymnasium.make("fieldgym/Driving-v1", config=None, preset=None, render_mode=None,
    **fields)``: ``preset`` is one of ``highway`` (the defaults), ``dense``, ``continuous``,
    ``merge``, ``intersection``, ``intersection_yield``; ``fields`` are
    :class:`DrivingConfig` fields, documented there with units.
    ``reset(options={"level": k})`` starts one episode at another traffic level;
    :meth:`set_level` changes it for every later episode (the curriculum does).

    ## Version History

    * v0: Initial version.
    * v1: Actions are checked at ``step`` (shape, dtype, finite values, bounds): an
      action outside the space raises ``ActionError`` unless ``action_policy="clip"``
      (v0 clipped or remapped it silently). Valid actions step exactly as in v0.
    """

    metadata = {"render_modes": ["rgb_array"], "render_fps": 10}

    def __init__(
        self,
        config: DrivingConfig | dict[str, Any] | None = None,
        preset: str | None = None,
        render_mode: str | None = None,
        **fields: Any,
    ) -> None:
        self.config = DrivingConfig.make(config, preset, fields)
        if render_mode not in (None, *self.metadata["render_modes"]):
            raise ConfigError(f"render_mode={render_mode!r}; choose None or 'rgb_array'.")
        self.render_mode = render_mode
        self.action_space = action_space(self.config)
        self.observation_space = observation_space(self.config)
        self._reward = resolve_reward(self.config.reward, REWARDS)
        self._kind = OBSERVATION_TYPES.index(self.config.observation_type)
        self._po = observe.obs_params(self.config)
        self._speeds = np.asarray(self.config.meta_speeds, dtype=np.float64)
        self._parts = np.zeros(len(control.PART_NAMES))
        self._kpis = np.zeros(len(control.KPI_NAMES))
        self.level = self.config.level
        self.backend: DrivingBackend | None = None
        self.world: WorldState | None = None
        self.lane = 0
        self.speed_idx = 0
        self.prev_acc = 0.0

    def set_level(self, level: int) -> None:
        """Use traffic level ``level`` from the next reset on."""
        self.level = int(level)

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        super().reset(seed=seed)
        if self.backend is None:
            self.backend = make_backend(self.config)
        level = int((options or {}).get("level", self.level))
        backend_seed = int(self.np_random.integers(2**31 - 1))
        self.world = world = self.backend.reset(backend_seed, level)
        ego = world.ego
        self.lane = control.lane_of(ego[EGO.y], self.config.lane_width, self.config.lanes)
        self.speed_idx = control.nearest_speed(self._speeds, ego[EGO.speed])
        self.prev_acc = float(ego[EGO.acceleration])
        return self._observe(world), {"level": level}

    def _observe(self, world: WorldState) -> np.ndarray:
        out = np.empty(self.observation_space.shape, dtype=np.float32)
        e = world.ego
        observe.observe(
            self._kind,
            e[EGO.x],
            e[EGO.y],
            e[EGO.heading],
            e[EGO.speed],
            world.others,
            world.crossing,
            world.junction,
            self._po,
            out.reshape(-1),
        )
        return out

    def step(self, action: Any) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        if self.world is None or self.backend is None:
            raise RuntimeError("Call reset() before step().")
        cfg = self.config
        action = check_action(self.action_space, action, cfg.action_policy)
        lw, lanes, dt = cfg.lane_width, cfg.lanes, cfg.dt
        world = self.world
        x0 = float(world.ego[EGO.x])
        lane0 = control.lane_of(world.ego[EGO.y], lw, lanes)
        meta = cfg.action_type == "meta"
        if meta:
            self.lane, self.speed_idx = control.apply_meta(
                int(action), self.lane, self.speed_idx, lanes, len(self._speeds)
            )
        else:
            acc = float(action[CONTINUOUS.acceleration])
            steer = float(action[CONTINUOUS.steering])
        jerk, taken, red = 0.0, 0, 0
        for _ in range(cfg.substeps):
            taken += 1
            if meta:
                e = world.ego
                acc, steer = control.meta_command(
                    e[EGO.y],
                    e[EGO.heading],
                    e[EGO.speed],
                    self.lane * lw,
                    self._speeds[self.speed_idx],
                    cfg.max_acceleration,
                    cfg.max_steering,
                )
            world = self.backend.step(acc, steer)
            jerk += abs(world.ego[EGO.acceleration] - self.prev_acc) / dt
            self.prev_acc = float(world.ego[EGO.acceleration])
            red += int(world.red_light)
            if world.collided:
                break
        self.world = world
        jerk /= taken
        e = world.ego
        lane1 = control.lane_of(e[EGO.y], lw, lanes)
        control.step_parts(
            x0,
            e[EGO.x],
            e[EGO.speed],
            e[EGO.y],
            world.collided,
            lane0,
            lane1,
            jerk,
            red,
            1.0 / cfg.policy_frequency,
            cfg.speed_band[0],
            cfg.speed_band[1],
            cfg.max_speed,
            lw,
            self._parts,
        )
        parts = dict(zip(control.PART_NAMES, self._parts.tolist(), strict=True))
        reward = float(self._reward(parts, cfg.reward_weights, cfg))
        control.step_kpis(
            x0,
            e[EGO.x],
            e[EGO.y],
            e[EGO.heading],
            e[EGO.speed],
            e[EGO.acceleration],
            world.others,
            world.collided,
            world.lane_invasion,
            lane0,
            lane1,
            jerk,
            red,
            self._kpis,
        )
        kpi = dict(zip(control.KPI_NAMES, self._kpis.tolist(), strict=True))
        info = {"reward_parts": parts, "kpi": kpi}
        return self._observe(world), reward, bool(world.collided), False, info

    def render(self) -> np.ndarray | None:
        if self.render_mode != "rgb_array" or self.world is None:
            return None
        from fieldgym.envs.driving.render import render_world
        from fieldgym.envs.driving.sim import RAMP_END, RAMP_START

        scenario = self.config.scenario
        ramp = (RAMP_START, RAMP_END) if scenario == "merge" else None
        return render_world(
            self.world, self.config.perception_range, ramp, scenario == "intersection"
        )

    def close(self) -> None:
        if self.backend is not None:
            self.backend.close()
            self.backend = None
