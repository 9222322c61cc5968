"""Classical driving policies acting on the driving environment's observation.

Both read the ego row of the observation (lateral position, speed, heading) and, for
``idm_mobil``, the nearest vehicles of the ``kinematics`` observation (at an intersection
also the crossing vehicles and the intersection's row), de-scaled with the environment's
config. Lateral control reuses the environment's own lane controller
(:func:`fieldgym.envs.driving.control.meta_command`).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from fieldgym.agents.base import Policy
from fieldgym.agents.target import EnvTarget
from fieldgym.envs.core.config import check_number
from fieldgym.envs.core.errors import ConfigError
from fieldgym.envs.driving import sim
from fieldgym.envs.driving.config import DrivingConfig
from fieldgym.envs.driving.control import K_SPEED, lane_of, meta_command, nearest_speed
from fieldgym.envs.driving.junction import GREEN, RED, YELLOW, travel_time
from fieldgym.envs.driving.layout import B_STOP, GAP_MARGIN, NO_CHANGE, STOP_MARGIN
from fieldgym.envs.driving.observe import HEADING_SCALE, REL_SPEED, TTC_FEATURES, TTC_LANES
from fieldgym.envs.driving.state import EGO_FEATURE, JUNCTION_ROW, KIN

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
        feats = np.asarray(obs)[0, KIN.presence + 1 :]  # the ego row: presence, its features
    elif config.observation_type == "ttc":
        feats = np.asarray(obs)[TTC_LANES * len(TTC_FEATURES) :]  # after the lane blocks
    else:
        raise ConfigError("occupancy_grid observations do not carry the ego's lateral position.")
    lanes, lw = config.lanes, config.lane_width
    y = float(feats[EGO_FEATURE.lateral]) * 0.5 * lanes * lw + 0.5 * (lanes - 1) * lw
    speed = float(feats[EGO_FEATURE.speed]) * config.max_speed
    return y, speed, float(feats[EGO_FEATURE.heading]) * HEADING_SCALE


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

    At an intersection it drives as the simulator's own drivers do (see
    :mod:`fieldgym.envs.driving.junction`): the stop line is a standing obstacle on red,
    on yellow when it can still stop braking at ``B_STOP``, while the way past the
    crossing is blocked, and, unsignalized, until its gap acceptance finds no observed
    crossing vehicle whose time in its lane overlaps its own time in that vehicle's lane
    (each widened by ``gap_margin`` s); a crossing vehicle in its lane is a standing
    obstacle; no lane changes within ``NO_CHANGE`` m of the line. With meta-actions there,
    the target speed stays such that stopping from the next decision on (one ``slower``
    per decision) still ends before the line when it waits, and behind its leader were
    that one to brake at ``B_STOP``.

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
        gap_margin: float = 1.5 * GAP_MARGIN,
    ) -> None:
        super().__init__(target)
        if v0 is not None:
            check_number("v0", v0, low=0.0, low_inclusive=False)
        for name, value in (("a", a), ("b", b), ("b_safe", b_safe)):
            check_number(name, value, low=0.0, low_inclusive=False)
        for name, value in (("T", T), ("s0", s0), ("gap_margin", gap_margin)):
            check_number(name, value, low=0.0)
        check_number("politeness", politeness)
        check_number("threshold", threshold)
        check_number("cooldown", cooldown, low=0, integer=True)
        cfg = self.config = driving_config(target)
        if cfg.observation_type != "kinematics":
            raise ConfigError("idm_mobil reads the other vehicles from kinematics observations.")
        self.v0 = float(v0) if v0 is not None else float(cfg.speed_band[1])
        self.T, self.a, self.b, self.s0 = T, a, b, s0
        self.politeness, self.threshold, self.b_safe = politeness, threshold, b_safe
        self.cooldown = cooldown
        self.gap_margin = gap_margin
        self.speeds = np.asarray(cfg.meta_speeds, dtype=np.float64)
        below = self.speeds <= self.v0 + 1e-9
        self.desired = int(np.flatnonzero(below)[-1]) if below.any() else 0
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
        """Rows ``(dx, y, vx, vy)`` of the observed vehicles on the ego's road."""
        cfg = self.config
        rows = np.asarray(obs)[1 : cfg.observed_vehicles + 1]
        rows = rows[rows[:, KIN.presence] > 0.5]
        dx = rows[:, KIN.x] * cfg.perception_range
        oy = y + rows[:, KIN.y] * cfg.lanes * cfg.lane_width
        vx = rows[:, KIN.vx] * REL_SPEED + speed * math.cos(heading)
        vy = rows[:, KIN.vy] * REL_SPEED + speed * math.sin(heading)
        return np.stack([dx, oy, vx, vy], axis=1)

    def _crossing(self, obs: np.ndarray, y: float, speed: float, heading: float):
        """The crossing vehicles, the stop line and the light the observation shows.

        Returns rows ``(dx, y, vy)`` of the observed crossing vehicles, the distance from
        the ego's front to the stop line (m; inf when out of range) and the ego's light.
        """
        cfg = self.config
        rows = np.asarray(obs)
        n = cfg.observed_vehicles
        cross = rows[n + 1 : n + 1 + cfg.observed_crossing]
        cross = cross[cross[:, KIN.presence] > 0.5]
        rng = cfg.perception_range
        table = np.stack(
            [
                cross[:, KIN.x] * rng,
                y + cross[:, KIN.y] * rng,
                cross[:, KIN.vy] * REL_SPEED + speed * math.sin(heading),
            ],
            axis=1,
        )
        junction = rows[-1]
        line = float(junction[JUNCTION_ROW.to_stop_line])
        to_line = math.inf if line >= 1.0 else line * rng
        return table, to_line, float(junction[JUNCTION_ROW.ego_light])

    def _neighbours(self, cars: np.ndarray, lane_y: float) -> tuple[float, float, float, float]:
        """Gap and speed of the leader and of the follower in the lane at ``lane_y``.

        A vehicle counts in every lane its centre is within half a lane and a metre of,
        and in the next lane it moves toward, so one changing lanes counts in both.
        """
        lw = self.config.lane_width
        half_len = 0.5 * (sim.EGO_LENGTH + 5.0)
        lead_gap, lead_v, foll_gap, foll_v = math.inf, 0.0, math.inf, 0.0
        for dx, oy, vx, vy in cars:
            off = lane_y - oy
            toward = abs(vy) > 0.3 and off * vy > 0 and abs(off) < 1.5 * lw
            if abs(off) >= 0.5 * lw + 1.0 and not toward:
                continue
            gap = abs(dx) - half_len
            if dx > 0 and gap < lead_gap:
                lead_gap, lead_v = gap, vx
            elif dx <= 0 and gap < foll_gap:
                foll_gap, foll_v = gap, vx
        return lead_gap, lead_v, foll_gap, foll_v

    def _profile(self, speed: float, step: int, delay: int, horizon: float = 20.0) -> np.ndarray:
        """Distances the ego's centre covers (m) at every ``dt`` over ``horizon`` s.

        Meta-actions: the target speed holds for ``delay`` decisions, then moves by
        ``step`` (+1 faster, -1 slower) at each decision, within the desired speed; the
        env's speed controller tracks it. Continuous: IDM on a free road (``step`` >= 0)
        or braking at ``B_STOP`` (``step`` < 0).
        """
        cfg = self.config
        dt, substeps = cfg.dt, cfg.substeps
        steps = int(horizon / dt)
        out = np.empty(steps + 1)
        out[0], x, v = 0.0, 0.0, speed
        idx = self.speed_idx if self.speed_idx is not None else 0
        for k in range(steps):
            if cfg.action_type == "meta":
                if k % substeps == 0 and k // substeps >= delay:
                    idx = min(max(idx + step, 0), max(self.desired, idx if step < 0 else 0))
                acc = K_SPEED * (self.speeds[idx] - v)
            else:
                acc = -B_STOP if step < 0 else self.idm(v, math.inf, 0.0)
            acc = min(max(acc, -cfg.max_acceleration), cfg.max_acceleration)
            x += v * dt
            v = min(max(v + acc * dt, 0.0), cfg.max_speed)
            out[k + 1] = x
        return out

    def _time_to(self, profile: np.ndarray, distance: float) -> float:
        """Seconds until ``profile`` covers ``distance`` (inf if it never does)."""
        if distance <= 0.0:
            return 0.0
        k = int(np.searchsorted(profile, distance))
        return k * self.config.dt if k < len(profile) else math.inf

    def _stops_within(self, speed: float, distance: float, delay: int, hold: int = 0) -> bool:
        """Whether the ego stops within ``distance`` m, slowing from ``delay`` decisions on.

        Meta-actions: the target speed changed by ``hold`` holds until then.
        """
        if self.config.action_type != "meta":
            return speed * speed <= 2.0 * B_STOP * max(distance, 0.0)
        saved = self.speed_idx
        self.speed_idx = min(max(saved + hold, 0), len(self.speeds) - 1)
        try:
            covered = self._profile(speed, -1, delay, horizon=30.0)[-1]
        finally:
            self.speed_idx = saved
        return covered <= distance

    def _conflict(self, cross: np.ndarray, y: float, speed: float, signal: bool) -> bool:
        """Gap acceptance: whether going now meets an observed crossing vehicle."""
        cfg = self.config
        lw = cfg.lane_width
        top = (cfg.lanes - 0.5) * lw
        go = self._profile(speed, 1, 0)
        half_len, half_w = 0.5 * sim.EGO_LENGTH, 0.5 * sim.EGO_WIDTH + 0.5
        for dx, cy, vy in cross:
            d = math.copysign(1.0, vy) if abs(vy) > 0.3 else (1.0 if cy < y else -1.0)
            s = d * cy
            near_main = -0.5 * lw if d > 0 else -top
            if signal and s + 2.5 <= near_main - STOP_MARGIN:
                continue  # it stops at its red
            lo, hi = sorted((d * (y - half_w), d * (y + half_w)))
            out_i = hi - (s - 2.5)
            out_j = dx + 1.5 + half_len
            if out_i <= 0.0 or out_j <= 0.0:
                continue
            v_i = abs(vy)
            cruise = max(v_i, cfg.crossing_speed)
            t_in_i = travel_time(lo - (s + 2.5), v_i, 2.0, cruise)
            t_out_i = travel_time(out_i, v_i, 2.0, cruise)
            t_in_j = self._time_to(go, dx - 1.5 - half_len)
            t_out_j = self._time_to(go, out_j)
            if t_in_j < t_out_i + self.gap_margin and t_in_i < t_out_j + self.gap_margin:
                return True
        return False

    def _junction_rules(self, obs, y, speed, heading, lead_gap, lead_v):
        """What the intersection asks of the ego (nothing elsewhere).

        Returns the gap to the standing obstacle it puts ahead (inf for none), whether the
        ego waits at the stop line, the distance to the line (m) and whether lane changes
        are banned here.
        """
        cfg = self.config
        if cfg.scenario != "intersection":
            return math.inf, False, math.inf, False
        cross, to_line, light = self._crossing(obs, y, speed, heading)
        lw = cfg.lane_width
        beyond = to_line + STOP_MARGIN + 2 * lw  # the far edge of the crossing
        gap = math.inf
        for dx, cy, _ in cross:  # crossing vehicles standing in the ego's lane
            if abs(cy - y) < 2.5 + 0.5 * sim.EGO_WIDTH + 0.5 and dx > 0:
                gap = min(gap, max(dx - 1.5 - 0.5 * sim.EGO_LENGTH, 0.0))
        wait = False
        if 0.0 <= to_line < math.inf:
            signal = cfg.intersection_control == "signal"
            can_stop = self._stops_within(speed, to_line - 1.0, 0)
            if signal and light in (RED, YELLOW):
                wait = can_stop
            elif can_stop:
                blocked = lead_gap < beyond + sim.EGO_LENGTH + self.s0 and lead_v < 5.0
                wait = blocked or self._conflict(cross, y, speed, signal and light == GREEN)
            if wait:
                gap = min(gap, to_line)
        banned = -beyond - sim.EGO_LENGTH < to_line < NO_CHANGE
        return gap, wait, to_line, banned

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
        stop_gap, wait, to_line, banned = self._junction_rules(
            observation, y, speed, heading, lead_gap, lead_v
        )
        if math.isfinite(stop_gap):
            acc = min(acc, self.idm(speed, stop_gap, 0.0))
        change = 0
        self.wait = max(self.wait - 1, 0)
        if self.wait == 0 and abs(y - self.lane * lw) < 0.5 and not banned:
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
        room = math.inf
        if cfg.scenario == "intersection":  # stop-and-go: keep every stop feasible
            room = lead_gap + lead_v * lead_v / (2.0 * B_STOP) - 1.0
            if wait:
                room = min(room, to_line - 1.0)
        return self._meta_action(speed, acc, change, room)

    def _meta_action(self, speed: float, acc: float, change: int, room: float):
        """The meta-action that follows IDM's ``acc`` and keeps a stop feasible.

        Stopping from the next decision on must fit within ``room`` m.
        """
        period = 1.0 / self.config.policy_frequency
        limit = 1
        if math.isfinite(room):  # the largest change of target after which stopping fits
            limit = -1
            for step in (1, 0):
                if self._stops_within(speed, room, 1, hold=step):
                    limit = step
                    break
        reach = nearest_speed(self.speeds, max(speed + acc * period, 0.0))
        slow = acc < -0.5 and reach < self.speed_idx
        if self.speed_idx > 0 and (slow or limit < 0):
            self.lane -= change
            self.speed_idx -= 1
            return SLOWER
        if change:
            return LANE_LEFT if change > 0 else LANE_RIGHT
        if acc > 0.3 and self.speed_idx < self.desired and limit > 0:
            self.speed_idx += 1
            return FASTER
        if self.speed_idx > self.desired:
            self.speed_idx -= 1
            return SLOWER
        return IDLE
