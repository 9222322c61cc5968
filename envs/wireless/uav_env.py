"""Cooperating UAVs offloading cellular traffic, ``fieldgym/UAVOffloading-v1`` (PettingZoo)."""

from __future__ import annotations

from typing import Any

import numpy as np
from gymnasium import spaces
from gymnasium.utils import seeding
from pettingzoo import ParallelEnv

from fieldgym.envs.core.actions import check_agent_actions
from fieldgym.envs.core.errors import ConfigError, ResetNeededError
from fieldgym.envs.core.window import FrameWindow
from fieldgym.envs.wireless.uav_channel import associate, pairwise, propulsion_power
from fieldgym.envs.wireless.uav_config import UAVConfig
from fieldgym.envs.wireless.uav_render import render_map

MOVES = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [0.0, -1.0], [-1.0, 0.0]])
"""Discrete actions: stay, north, east, south, west (unit vectors)."""


class UAVOffloadingEnv(ParallelEnv):
    """UAVs placed by reinforcement learning to serve ground users a base station cannot.

    ## Description

    ``N`` rotary-wing UAVs (one agent each) fly over an area with ground users (static
    or moving by random waypoints, starting around hotspots) and terrestrial base
    stations. Each step the UAVs move under a speed limit and a minimum separation
    (with ``collision_avoidance``, moves that would break it are cancelled); then users
    are associated to maximize the number served by UAVs, each at no less than
    ``min_rate_mbps`` and at most ``uav_capacity`` per UAV, over an air-to-ground channel
    with line-of-sight probability (Al-Hourani); the others fall back to a base station
    if it gives them the minimum rate. This follows multi-agent RL for offloading
    cellular traffic to cooperating UAVs (trajectories and association under QoS).

    ## Action Space

    ``action_type="discrete"``: ``Discrete(5)``, stay or fly north/east/south/west at
    the speed limit. ``"continuous"``: ``Box(-1, 1, (2,))``, the velocity as a share of
    the speed limit (its norm is clipped to 1).

    ## Observation Space

    Per agent, a ``Box(-1, 1, (D,), float32)`` (``env.layout`` maps blocks to slices):

    | Block            | Size    | Meaning                                                  |
    |------------------|---------|----------------------------------------------------------|
    | `position`       | 2       | own (x, y) / area side                                    |
    | `others`         | 2(N-1)  | other UAVs' positions relative to own, / area side        |
    | `users`          | G*G     | share of all users in each cell of a G x G grid           |
    | `unserved`       | G*G     | share of users in each cell not served by any UAV         |
    | `load`           | 1       | users this UAV serves / uav_capacity                      |

    ``state()`` (for centralized critics) holds every UAV's and user's position / area
    side, and per user whether a UAV and whether a base station serves it.

    ## Rewards

    Per UAV, the weighted sum (``reward_weights``) of ``served`` (users it serves /
    ``uav_capacity``), ``energy`` (minus its propulsion energy over one step / the hover
    energy) and ``collision`` (minus its collisions or cancelled moves). With
    ``shared_reward`` every UAV gets the team's mean. ``infos[agent]["reward_parts"]``
    has its parts, ``infos[agent]["kpi"]`` the step's system-wide quantities.

    ## Starting State

    Users are drawn around ``hotspots`` random centres; UAVs uniformly in the area, at
    least ``min_separation_m`` apart.

    ## Episode End

    Every agent is truncated after ``max_cycles`` steps; nothing terminates.

    ## Arguments

    ``fieldgym.make_parallel("fieldgym/UAVOffloading-v1", config=None, render_mode=None,
    **fields)``: ``fields`` are :class:`UAVConfig` fields, documented there with units.

    ## Version History

    * v0: Initial version.
    * v1: Actions are checked at ``step`` (shape, dtype, finite values, bounds): an
      action outside the space raises ``ActionError`` unless ``action_policy="clip"``
      (v0 clipped or remapped it silently). Valid actions step exactly as in v0.
    """

    metadata = {
        "name": "uav_offloading_v0",
        "render_modes": ["human", "rgb_array"],
        "render_fps": 5,
    }

    def __init__(
        self,
        config: UAVConfig | dict[str, Any] | None = None,
        render_mode: str | None = None,
        **fields: Any,
    ) -> None:
        self.config = UAVConfig.build(config, **fields)
        if render_mode not in (None, *self.metadata["render_modes"]):
            raise ConfigError(f"render_mode={render_mode!r}; choose None, 'human' or 'rgb_array'.")
        self.render_mode = render_mode
        self._window = FrameWindow(self.metadata["name"], self.metadata["render_fps"])
        c = self.config
        self.possible_agents = [f"uav_{i}" for i in range(c.num_uavs)]
        self.agents: list[str] = []
        g = c.density_grid
        sizes = {
            "position": 2,
            "others": 2 * (c.num_uavs - 1),
            "users": g * g,
            "unserved": g * g,
            "load": 1,
        }
        self.layout, start = {}, 0
        for name, size in sizes.items():
            self.layout[name] = slice(start, start + size)
            start += size
        self._observation_space = spaces.Box(-1.0, 1.0, (start,), np.float32)
        if c.action_type == "discrete":
            self._action_space: spaces.Space = spaces.Discrete(len(MOVES))
        else:
            self._action_space = spaces.Box(-1.0, 1.0, (2,), np.float32)
        self.state_space = spaces.Box(0.0, 1.0, (2 * c.num_uavs + 4 * c.num_users,), np.float32)
        self.np_random, _ = seeding.np_random(None)
        self.hover_power = float(propulsion_power(0.0))
        self.t = 0

    def observation_space(self, agent: str) -> spaces.Box:
        return self._observation_space

    def action_space(self, agent: str) -> spaces.Space:
        return self._action_space

    # -- episode ------------------------------------------------------------------------

    def reset(
        self, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[dict[str, np.ndarray], dict[str, dict]]:
        if seed is not None:
            self.np_random, _ = seeding.np_random(seed)
        c, rng = self.config, self.np_random
        self.agents = list(self.possible_agents)
        self.t = 0
        if c.hotspots > 0:
            centres = rng.uniform(0.15, 0.85, (c.hotspots, 2)) * c.area_m
            which = rng.integers(c.hotspots, size=c.num_users)
            users = centres[which] + rng.normal(0.0, c.hotspot_spread_m, (c.num_users, 2))
        else:
            users = rng.uniform(0.0, c.area_m, (c.num_users, 2))
        self.users = np.clip(users, 0.0, c.area_m)
        self.waypoints = rng.uniform(0.0, c.area_m, (c.num_users, 2))
        self.user_speed = rng.uniform(*c.user_speed_mps, size=c.num_users)
        self.uavs = self._spread_uavs(rng)
        self.speed = np.zeros(c.num_uavs)
        self.collisions = np.zeros(c.num_uavs)
        self.serving, self.rates = associate(self.users, self.uavs, c)
        return self._observations(), {a: {} for a in self.agents}

    def _spread_uavs(self, rng: np.random.Generator) -> np.ndarray:
        c = self.config
        uavs = np.empty((c.num_uavs, 2))
        for i in range(c.num_uavs):
            for _ in range(1000):
                uavs[i] = rng.uniform(0.0, c.area_m, 2)
                if i == 0 or pairwise(uavs[i : i + 1], uavs[:i]).min() >= c.min_separation_m:
                    break
        return uavs

    def step(self, actions: dict[str, Any]) -> tuple[dict, dict, dict, dict, dict]:
        c = self.config
        if not self.agents:
            raise ResetNeededError(
                "No episode is running (step() before reset(), or after the episode ended): "
                "call reset() first."
            )
        self._move_uavs(
            check_agent_actions(actions, self.agents, self.action_space, c.action_policy)
        )
        if c.user_mobility == "random_waypoint":
            self._move_users()
        self.serving, self.rates = associate(self.users, self.uavs, c)
        self.t += 1
        parts = self._reward_parts()
        team = {name: float(np.mean(value)) for name, value in parts.items()}
        weights = c.reward_weights
        rewards, infos = {}, {}
        kpi = self._kpi()
        for i, agent in enumerate(self.agents):
            own = {name: float(value[i]) for name, value in parts.items()}
            chosen = team if c.shared_reward else own
            rewards[agent] = float(sum(weights.get(k, 1.0) * v for k, v in chosen.items()))
            infos[agent] = {"reward_parts": own, "kpi": kpi}
        done = self.t >= c.max_cycles
        observations = self._observations()
        terminations = {a: False for a in self.agents}
        truncations = {a: done for a in self.agents}
        if done:
            self.agents = []
        return observations, rewards, terminations, truncations, infos

    # -- dynamics -----------------------------------------------------------------------

    def _move_uavs(self, actions: dict[str, Any]) -> None:
        """Move every UAV by its action, checked by :meth:`step` (one per agent, in its space)."""
        c = self.config
        step = c.max_speed_mps * c.step_s
        velocity = np.zeros((c.num_uavs, 2))
        for i, agent in enumerate(self.possible_agents):
            action = actions[agent]
            if c.action_type == "discrete":
                velocity[i] = MOVES[int(action)]
            else:
                v = np.asarray(action, dtype=np.float64)
                velocity[i] = v / max(1.0, float(np.linalg.norm(v)))
        proposed = np.clip(self.uavs + velocity * step, 0.0, c.area_m)
        self.collisions = np.zeros(c.num_uavs)
        if c.num_uavs > 1:
            if c.collision_avoidance:
                moving = np.ones(c.num_uavs, dtype=bool)
                for _ in range(c.num_uavs):
                    near = self._too_close(proposed)
                    clash = near.any(axis=1) & moving
                    if not clash.any():
                        break
                    self.collisions[clash] += 1.0
                    proposed[clash] = self.uavs[clash]
                    moving &= ~clash
            else:
                self.collisions = self._too_close(proposed).sum(axis=1).astype(np.float64)
        self.speed = np.linalg.norm(proposed - self.uavs, axis=1) / c.step_s
        self.uavs = proposed

    def _too_close(self, positions: np.ndarray) -> np.ndarray:
        near = pairwise(positions, positions) < self.config.min_separation_m
        np.fill_diagonal(near, False)
        return near

    def _move_users(self) -> None:
        c = self.config
        heading = self.waypoints - self.users
        distance = np.linalg.norm(heading, axis=1)
        reach = self.user_speed * c.step_s
        arrived = distance <= reach
        step = np.where(arrived, 1.0, reach / np.maximum(distance, 1e-12))[:, None]
        self.users = self.users + heading * step
        n = int(arrived.sum())
        if n:
            self.waypoints[arrived] = self.np_random.uniform(0.0, c.area_m, (n, 2))
            self.user_speed[arrived] = self.np_random.uniform(*c.user_speed_mps, size=n)

    # -- rewards, observations, KPIs ------------------------------------------------------

    def _served_per_uav(self) -> np.ndarray:
        return np.bincount(self.serving[self.serving >= 0], minlength=self.config.num_uavs)

    def _reward_parts(self) -> dict[str, np.ndarray]:
        return {
            "served": self._served_per_uav() / self.config.uav_capacity,
            "energy": -propulsion_power(self.speed) / self.hover_power,
            "collision": -self.collisions,
        }

    def _kpi(self) -> dict[str, Any]:
        c = self.config
        return {
            "association_share": float(np.mean(self.serving >= 0)),
            "served_share": float(np.mean(self.serving >= -1)),
            "user_rate": self.rates.copy(),
            "uav_users": self._served_per_uav().astype(np.float64),
            "energy": propulsion_power(self.speed) * c.step_s,
            "collisions": self.collisions.copy(),
        }

    def _grid(self, mask: np.ndarray) -> np.ndarray:
        c = self.config
        g = c.density_grid
        cells = np.clip((self.users[mask] / c.area_m * g).astype(np.int64), 0, g - 1)
        counts = np.zeros((g, g))
        np.add.at(counts, (cells[:, 1], cells[:, 0]), 1.0)
        return counts.ravel() / c.num_users

    def _observations(self) -> dict[str, np.ndarray]:
        c = self.config
        users = self._grid(np.ones(c.num_users, dtype=bool))
        unserved = self._grid(self.serving < 0)
        load = self._served_per_uav() / c.uav_capacity
        out = {}
        for i, agent in enumerate(self.agents):
            own = self.uavs[i] / c.area_m
            blocks = {
                "position": own,
                "others": (np.delete(self.uavs, i, axis=0) / c.area_m - own).ravel(),
                "users": users,
                "unserved": unserved,
                "load": [load[i]],
            }
            obs = np.concatenate([blocks[name] for name in self.layout])
            out[agent] = obs.astype(np.float32)
        return out

    def state(self) -> np.ndarray:
        c = self.config
        return np.concatenate(
            (
                (self.uavs / c.area_m).ravel(),
                (self.users / c.area_m).ravel(),
                (self.serving >= 0).astype(np.float64),
                (self.serving == -1).astype(np.float64),
            )
        ).astype(np.float32)

    def render(self) -> np.ndarray | None:
        if self.render_mode is None:
            return None
        frame = render_map(self.config, self.users, self.serving, self.uavs)
        if self.render_mode == "human":
            self._window.show(frame)
            return None
        return frame

    def close(self) -> None:
        self._window.close()
