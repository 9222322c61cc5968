"""The multi-agent signal network, ``fieldgym/TrafficGrid-v1`` (a PettingZoo ParallelEnv)."""

from __future__ import annotations

from typing import Any

import numpy as np
from gymnasium import spaces
from gymnasium.utils import seeding
from pettingzoo import ParallelEnv

from fieldgym.envs.core.actions import check_agent_actions
from fieldgym.envs.core.errors import ConfigError, ResetNeededError
from fieldgym.envs.core.rewards import resolve_reward
from fieldgym.envs.core.window import FrameWindow
from fieldgym.envs.traffic.config import TrafficConfig
from fieldgym.envs.traffic.records import NET_KPIS
from fieldgym.envs.traffic.reward import (
    REWARDS,
    TLS_KPIS,
    approach_queue,
    int_columns,
    reward_parts,
)
from fieldgym.envs.traffic.system import make_system


class TrafficGridEnv(ParallelEnv):
    """One agent per signalized intersection of an arterial or a grid.

    ## Description

    The network of :class:`~fieldgym.envs.traffic.env.TrafficSignalEnv`, with ``rows ×
    cols`` intersections joined by links (default: the ``grid4x4`` preset, with the cell
    transmission model, so queues take space and spill back into upstream intersections).
    Vehicles discharged by one intersection travel to the next and choose their movement
    there by the turning ratios. Created with
    ``fieldgym.make_parallel("fieldgym/TrafficGrid-v1", **fields)``.

    ## Agents

    ``tl_<row>_<col>`` (row 0 is the north edge; built-in and generated SUMO networks), the
    traffic-light ids of a user SUMO network, or the ids of the signalized intersections
    of a CityFlow network (``roadnet_file``, ``flow_file``; on either backend). All agents
    act at once every ``delta_time`` seconds.

    ## Action Space

    Per agent ``Discrete(P)``, the green phase wanted next (a missing action keeps the
    current phase).

    ## Observation Space

    Per agent the observation of :class:`~fieldgym.envs.traffic.env.TrafficSignalEnv` for
    its intersection (``env.layout`` maps the blocks): phase, elapsed green, halted and
    moving vehicles per lane group, vehicles on the outgoing links. :meth:`state` is every
    agent's observation concatenated (for centralized critics); ``state_space`` bounds it.

    ## Rewards

    Per agent, the named reward of its own intersection (``reward``, as in the single
    env); ``infos[agent]["reward_parts"]`` holds the parts and ``infos[agent]["kpi"]`` the
    intersection's and the network's quantities of the step.

    ## Starting State

    An empty network, every intersection in phase 0 for 0 seconds.

    ## Episode End

    All agents are truncated after ``max_episode_steps`` decisions (default 720: one hour);
    nothing terminates.

    ## Arguments

    ``fieldgym.make_parallel("fieldgym/TrafficGrid-v1", config=None, preset=None,
    render_mode=None, max_episode_steps=720, **fields)``: presets ``"grid4x4"`` (the
    default), ``"arterial"`` (1 × 5) and ``"single"``; ``fields`` as in
    :class:`~fieldgym.envs.traffic.config.TrafficConfig`.

    ## Version History

    * v0: Initial version.
    * v1: Actions are checked at ``step`` (shape, dtype, finite values, bounds): an
      action outside the space raises ``ActionError`` unless ``action_policy="clip"``
      (v0 clipped or remapped it silently). Valid actions step exactly as in v0.
    """

    metadata = {
        "name": "fieldgym_traffic_grid_v0",
        "render_modes": ["human", "rgb_array"],
        "render_fps": 4,
        "is_parallelizable": True,
    }

    def __init__(
        self,
        config: TrafficConfig | dict[str, Any] | None = None,
        preset: str | None = None,
        render_mode: str | None = None,
        max_episode_steps: int | None = 720,
        **fields: Any,
    ) -> None:
        default = None if config or "roadnet_file" in fields else "grid4x4"
        self.config = TrafficConfig.make(config, preset or default, fields)
        if self.config.intersection is not None:
            raise ConfigError(
                f"intersection={self.config.intersection!r} chooses the signal of "
                "TrafficSignal-v1; TrafficGrid-v1 controls every signal of the network, so "
                "leave it unset."
            )
        if render_mode not in (None, *self.metadata["render_modes"]):
            raise ConfigError(f"render_mode={render_mode!r}; choose None, 'human' or 'rgb_array'.")
        self.render_mode = render_mode
        self._window = FrameWindow(self.metadata["name"], self.metadata["render_fps"])
        self.max_episode_steps = max_episode_steps
        self.system = make_system(self.config, num_copies=1)
        self.layout = self.system.layout
        self.possible_agents = list(self.system.agent_names)
        self.agents: list[str] = []
        high = self.system.high
        self._observation_spaces = {
            agent: spaces.Box(np.zeros_like(high[k]), high[k], dtype=np.float32)
            for k, agent in enumerate(self.possible_agents)
        }
        self._action_spaces = {
            agent: spaces.Discrete(self.system.num_phases) for agent in self.possible_agents
        }
        flat = high.reshape(-1)
        self.state_space = spaces.Box(np.zeros_like(flat), flat, dtype=np.float32)
        self._reward = resolve_reward(self.config.reward, REWARDS)
        self._np_random: np.random.Generator | None = None
        self._obs: np.ndarray | None = None
        self._steps = 0

    def observation_space(self, agent: str) -> spaces.Box:
        return self._observation_spaces[agent]

    def action_space(self, agent: str) -> spaces.Discrete:
        return self._action_spaces[agent]

    @property
    def np_random(self) -> np.random.Generator:
        """The generator of the simulation's randomness, seeded by :meth:`reset`."""
        if self._np_random is None:
            self._np_random, _ = seeding.np_random()
        return self._np_random

    def reset(
        self, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[dict[str, np.ndarray], dict[str, dict[str, Any]]]:
        if seed is not None:
            self._np_random, _ = seeding.np_random(seed)
        self.agents = list(self.possible_agents)
        self._steps = 0
        self._obs = self.system.reset(self.np_random)
        return self._per_agent(self._obs[0]), {agent: {} for agent in self.agents}

    def step(self, actions: dict[str, Any]) -> tuple[dict, dict, dict, dict, dict]:
        if not self.agents:
            raise ResetNeededError(
                "No episode is running (step() before reset(), or after the episode ended): "
                "call reset() first."
            )
        actions = check_agent_actions(
            actions, self.agents, self.action_space, self.config.action_policy
        )
        chosen = np.array([[actions[agent] for agent in self.possible_agents]], dtype=np.int64)
        obs, rec_int, rec_net = self.system.step(chosen, self.np_random)
        self._obs = obs
        self._steps += 1
        parts = reward_parts(int_columns(rec_int[0]))
        rewards = np.asarray(self._reward(parts, self.config.reward_weights, self.config))
        truncated = self.max_episode_steps is not None and self._steps >= self.max_episode_steps
        network = dict(zip(NET_KPIS, rec_net[0].tolist(), strict=True))
        queues = approach_queue(obs[0], self.layout)
        columns = {name: np.broadcast_to(v, rewards.shape).tolist() for name, v in parts.items()}
        infos = {}
        for k, agent in enumerate(self.possible_agents):
            kpi = dict(network)
            kpi.update(zip(TLS_KPIS, rec_int[0, k].tolist(), strict=True))
            kpi["approach_queue"] = queues[k]
            infos[agent] = {
                "reward_parts": {name: values[k] for name, values in columns.items()},
                "kpi": kpi,
            }
        agents = self.agents
        observations = self._per_agent(obs[0])
        reward_dict = {agent: float(rewards[k]) for k, agent in enumerate(self.possible_agents)}
        terminations = dict.fromkeys(agents, False)
        truncations = dict.fromkeys(agents, truncated)
        if truncated:
            self.agents = []
        return observations, reward_dict, terminations, truncations, infos

    def state(self) -> np.ndarray:
        """Every agent's observation, concatenated in ``possible_agents`` order."""
        if self._obs is None:
            raise RuntimeError("Call reset() before state().")
        return self._obs[0].reshape(-1).copy()

    def render(self) -> np.ndarray | None:
        if self.render_mode is None or self._obs is None:
            return None
        frame = self.system.render(self._obs[0])
        if self.render_mode == "human":
            self._window.show(frame)
            return None
        return frame

    def close(self) -> None:
        self._window.close()
        self.system.close()

    def _per_agent(self, obs: np.ndarray) -> dict[str, np.ndarray]:
        return {agent: obs[k] for k, agent in enumerate(self.possible_agents)}
