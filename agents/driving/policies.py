"""Classical driving policies acting on the driving environment's observation.

Both read the ego row of the observation (lateral position, speed, heading) and, for
``idm_mobil``, the nearest vehicles of the ``kinematics`` observation, de-scaled with the
environment's config. Lateral control reuses the environment's own lane controller
(:func:`fieldgym.envs.driving.control.meta_command`).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from fieldgym.agents.base import Policy
from fieldgym.agents.target import EnvTarget
from fieldgym.envs.core.errors import ConfigError
from fieldgym.envs.driving import sim
from fieldgym.envs.driving.config import DrivingConfig
from fieldgym.envs.driving.control import lane_of, meta_command, nearest_speed
from fieldgym.envs.driving.observe import HEADING_SCALE, REL_SPEED

LANE_LEFT, IDLE, LANE_RIGHT, FASTER, SLOWER = range(5)


def driving_config(target: EnvTarget) -> DrivingConfig:
    """The target's config, or a ConfigError if it is not a driving environment."""
    config = target.config
    if not isinstance(config, DrivingConfig):
        raise ConfigError(f"{target.id} is not a driving environment.")
    return config


def ego_state(obs: np.ndarray, config: DrivingConfig) -> tuple[float, float, float]:
    """The ego's lateral position (m), speed (m/s) and heading (rad) from the observation."""
    if config.observation_type == "kinematics":
        feats = np.asarray(obs)[0, 1:4]
    elif config.observation_type == "ttc":
        feats = np.asarray(obs)[15:18]
    else:
        raise ConfigError("occupancy_grid observations do not carry the ego's lateral position.")
    lanes, lw = config.lanes, config.lane_width
    y = float(feats[0]) * 0.5 * lanes * lw + 0.5 * (lanes - 1) * lw
    return y, float(feats[1]) * config.max_speed, float(feats[2]) * HEADING_SCALE


class ConstantSpeedPolicy(Policy):
    """Keep the starting lane at the starting speed.

    Meta-actions: always ``idle``. Continuous: no acceleration, and the environment's
    lane controller's steering toward the starting lane's centre.
    """

    name = "constant_speed"

    def __init__(self, target: EnvTarget) -> None:
        super().__init__(target)
        self.config = driving_config(target)
        if self.config.action_type == "continuous" and self.config.observation_type not in (
            "kinematics",
            "ttc",
        ):
            raise ConfigError("constant_speed steers from kinematics or ttc observations.")
        self.lane: int | None = None

    def reset(self, seed: int | None = None) -> None:
        self.lane = None

    def act(self, observation: np.ndarray) -> Any:
        cfg = self.config
        if cfg.action_type == "meta":
            return IDLE
        y, speed, heading = ego_state(observation, cfg)
        if self.lane is None:
            self.lane = lane_of(y, cfg.lane_width, cfg.lanes)
        _, steer = meta_command(
            y,
            heading,
            speed,
            self.lane * cfg.lane_width,
            speed,
            cfg.max_acceleration,
            cfg.max_steering,
        )
        return np.array([0.0, steer], dtype=np.float32)


class IDMMobilPolicy(Policy):
    """The ego driven by IDM and MOBIL, like the surrounding traffic.

    IDM (desired speed ``v0``, time headway ``T``, acceleration ``a``, comfortable braking
    ``b``, minimum gap ``s0``) follows the leader in the target lane; MOBIL (politeness
    ``politeness``, threshold ``threshold``, safe braking ``b_safe``) picks lane changes,
    at most one per ``cooldown`` decisions. Continuous actions apply the IDM acceleration
    and the lane controller's steering; meta-actions step the target speed toward the
    speed IDM would reach by the next decision, and a lane change comes first unless IDM
    brakes.

    Args:
        target: A driving environment with ``observation_type="kinematics"``.
    """

    name = "idm_mobil"

    def __init__(
        self,
        target: EnvTarget,
        v0: float | None = None,
        T: float = 1.5,
        a: float = 1.5,
        b: float = 2.0,
        s0: float = 2.0,
        politeness: float = 0.3,
        threshold: float = 0.2,
        b_safe: float = 4.0,
        cooldown: int = 3,
    ) -> None:
        super().__init__(target)
        cfg = self.config = driving_config(target)
        if cfg.observation_type != "kinematics":
            raise ConfigError("idm_mobil reads the other vehicles from kinematics observations.")
        self.v0 = float(v0) if v0 is not None else float(cfg.speed_band[1])
        self.T, self.a, self.b, self.s0 = T, a, b, s0
        self.politeness, self.threshold, self.b_safe = politeness, threshold, b_safe
        self.cooldown = cooldown
        self.speeds = np.asarray(cfg.meta_speeds, dtype=np.float64)
        self.reset()

    def reset(self, seed: int | None = None) -> None:
        self.lane: int | None = None
        self.speed_idx: int | None = None
        self.wait = 0

    def idm(self, v: float, gap: float, v_lead: float) -> float:
        """IDM acceleration of the ego (``gap`` = inf: free road)."""
        free = 1.0 - (v / self.v0) ** 4
        if not math.isfinite(gap):
            return self.a * free
        s_star = self.s0 + max(
            0.0, v * self.T + v * (v - v_lead) / (2 * math.sqrt(self.a * self.b))
        )
        return max(self.a * (free - (s_star / max(gap, 0.1)) ** 2), -sim.B_MAX)

    def _vehicles(self, obs: np.ndarray, y: float, speed: float, heading: float) -> np.ndarray:
        """Rows ``(dx, y, vx)`` of the observed vehicles."""
        cfg = self.config
        rows = np.asarray(obs)[1:]
        rows = rows[rows[:, 0] > 0.5]
        dx = rows[:, 1] * cfg.perception_range
        oy = y + rows[:, 2] * cfg.lanes * cfg.lane_width
        vx = rows[:, 3] * REL_SPEED + speed * math.cos(heading)
        return np.stack([dx, oy, vx], axis=1)

    def _neighbours(self, cars: np.ndarray, lane_y: float) -> tuple[float, float, float, float]:
        """Gap and speed of the leader and of the follower in the lane at ``lane_y``."""
        half_len = 0.5 * (sim.EGO_LENGTH + 5.0)
        lead_gap, lead_v, foll_gap, foll_v = math.inf, 0.0, math.inf, 0.0
        for dx, oy, vx in cars:
            if abs(oy - lane_y) >= 0.5 * self.config.lane_width:
                continue
            gap = abs(dx) - half_len
            if dx > 0 and gap < lead_gap:
                lead_gap, lead_v = gap, vx
            elif dx <= 0 and gap < foll_gap:
                foll_gap, foll_v = gap, vx
        return lead_gap, lead_v, foll_gap, foll_v

    def act(self, observation: np.ndarray) -> Any:
        cfg = self.config
        lw = cfg.lane_width
        y, speed, heading = ego_state(observation, cfg)
        if self.lane is None:
            self.lane = lane_of(y, lw, cfg.lanes)
            self.speed_idx = nearest_speed(self.speeds, speed)
        cars = self._vehicles(observation, y, speed, heading)
        lead_gap, lead_v, _, _ = self._neighbours(cars, self.lane * lw)
        acc = self.idm(speed, lead_gap, lead_v)
        change = 0
        self.wait = max(self.wait - 1, 0)
        if self.wait == 0 and abs(y - self.lane * lw) < 0.5:
            best = self.threshold
            for side in (-1, 1):
                lane = self.lane + side
                if not 0 <= lane < cfg.lanes:
                    continue
                gap, v_lead, f_gap, f_v = self._neighbours(cars, lane * lw)
                if gap < 2.0 or f_gap < 2.0:
                    continue
                follower = 0.0
                if math.isfinite(f_gap):
                    after = self.idm(f_v, f_gap, speed) if f_v > 0 else 0.0
                    if after < -self.b_safe:
                        continue
                    follower = min(after, 0.0)
                gain = self.idm(speed, gap, v_lead) - acc + self.politeness * follower
                gain += 0.1 if side < 0 else -0.1  # keep right
                if gain > best:
                    best, change = gain, side
        if change:
            self.lane += change
            self.wait = self.cooldown
        if cfg.action_type == "continuous":
            _, steer = meta_command(
                y, heading, speed, self.lane * lw, speed, cfg.max_acceleration, cfg.max_steering
            )
            return np.array(
                [np.clip(acc, -cfg.max_acceleration, cfg.max_acceleration), steer], dtype=np.float32
            )
        period = 1.0 / cfg.policy_frequency
        below = self.speeds <= self.v0 + 1e-9
        desired = int(np.flatnonzero(below)[-1]) if below.any() else 0
        reach = nearest_speed(self.speeds, max(speed + acc * period, 0.0))
        if acc < -0.5 and self.speed_idx > 0 and reach < self.speed_idx:
            self.lane -= change
            self.speed_idx -= 1
            return SLOWER
        if change:
            return LANE_LEFT if change > 0 else LANE_RIGHT
        if acc > 0.3 and self.speed_idx < desired:
            self.speed_idx += 1
            return FASTER
        if self.speed_idx > desired:
            self.speed_idx -= 1
            return SLOWER
        return IDLE
