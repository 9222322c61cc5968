"""The single-intersection signal environment, ``fieldgym/TrafficSignal-v1``."""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from fieldgym.envs.core.actions import check_action
from fieldgym.envs.core.errors import ConfigError
from fieldgym.envs.core.rewards import resolve_reward
from fieldgym.envs.traffic.config import TrafficConfig
from fieldgym.envs.traffic.plans import FocusedSystem
from fieldgym.envs.traffic.records import INT_KPIS
from fieldgym.envs.traffic.reward import REWARDS, reward_parts, scalar_kpis
from fieldgym.envs.traffic.system import TrafficSystem, make_system


def check_single(config: TrafficConfig) -> None:
    """Raise :class:`ConfigError` unless ``config`` describes one intersection."""
    if config.num_intersections != 1 and config.net_file is None:
        raise ConfigError(
            f"TrafficSignal-v1 controls one intersection, but rows={config.rows}, "
            f"cols={config.cols}. For a network use "
            "fieldgym.make_parallel('fieldgym/TrafficGrid-v1', ...)."
        )


def single_system(config: TrafficConfig, num_copies: int) -> TrafficSystem:
    """The backend of the single-intersection env: one intersection, or one of a city.

    With ``roadnet_file`` the agent controls ``config.intersection`` (which may be left
    unset if the file has one signal); the network's other signals run their file's plan.

    Raises:
        ConfigError: If the network has several signals and none (or an unknown one) is
            chosen, or (without ``roadnet_file``) if it has more than one signal.
    """
    check_single(config)
    system = make_system(config, num_copies)
    if config.roadnet_file is None:
        if system.num_intersections != 1:
            system.close()
            raise ConfigError(
                f"The network has {system.num_intersections} signals; TrafficSignal-v1 "
                "controls one. Use fieldgym.make_parallel('fieldgym/TrafficGrid-v1', ...)."
            )
        return system
    names = system.agent_names
    if config.intersection is None and len(names) == 1:
        return system
    if config.intersection not in names:
        system.close()
        shown = ", ".join(names[:8]) + (", ..." if len(names) > 8 else "")
        raise ConfigError(
            f"intersection={config.intersection!r}: choose the signal TrafficSignal-v1 "
            f"controls among the {len(names)} of {config.roadnet_file!r} ({shown}), or use "
            "fieldgym.make_parallel('fieldgym/TrafficGrid-v1', ...) to control them all."
        )
    return FocusedSystem(system, names.index(config.intersection))


class TrafficSignalEnv(gym.Env):
    """Control the signal of one four-arm intersection.

    ## Description

    Vehicles arrive on four entry links (Poisson or steady, optionally time-varying, or
    replayed from a flow file), travel to the stop line, queue in the lane group of their
    turning movement (left, through, right) and discharge at saturation flow while their
    movement is green. Every ``delta_time`` seconds the agent chooses the next green phase;
    the signal keeps a phase for ``min_green`` and at most ``max_green`` seconds, and shows
    yellow (and all red) between phases. The built-in simulator (default) is described in
    :mod:`fieldgym.envs.traffic.dynamics`; ``backend="sumo"`` runs the same intersection,
    generated with netgenerate, in SUMO (:mod:`fieldgym.envs.traffic.sumo`).

    With ``roadnet_file`` and ``flow_file`` (CityFlow files, :mod:`fieldgym.envs.traffic.city`)
    the intersection is ``intersection``, one of a city's signals, on either backend:
    its lane groups are its movements and its phases the file's green phases; vehicles
    drive their own routes and the other signals run the file's fixed-time plan.

    ## Action Space

    ``Discrete(P)``: the green phase wanted for the next ``delta_time`` seconds, an index
    into ``phases`` (default: four phases with protected lefts).

    ## Observation Space

    A ``Box(0, high, (P + 29,), float32)``; ``env.unwrapped.layout`` maps each block to its
    slice. Lane groups are ordered ``NL, NT, NR, EL, ET, ER, SL, ST, SR, WL, WT, WR``.

    | Block         | Size | Meaning                                                        |
    |---------------|------|----------------------------------------------------------------|
    | `phase`       | P    | one-hot green phase                                            |
    | `elapsed`     | 1    | seconds the current green has lasted (<= max_green)            |
    | `queue`       | 12   | halted vehicles per lane group                                 |
    | `approaching` | 12   | moving vehicles per lane group (on the link, not yet queued)   |
    | `outgoing`    | 4    | vehicles on the link leaving by side N, E, S, W (0 at an exit) |

    Queues are unbounded with ``link_model="point"`` and bounded by the link's storage
    with ``"ctm"``.

    ## Rewards

    Chosen by ``reward``: ``"wait"`` (default: the decrease of the waiting time accumulated
    by the vehicles on the incoming lanes), ``"queue"``, ``"pressure"``, ``"delay"``,
    ``"throughput"``, ``"combined"`` (the weighted sum of all) or a callable
    ``reward(parts, weights, config)``; see :mod:`fieldgym.envs.traffic.reward`.
    ``info["reward_parts"]`` holds every part and ``info["kpi"]`` the raw quantities of
    the step (vehicles generated, entered, exited, halted vehicle-seconds, ...).

    ## Starting State

    An empty network, phase 0 green for 0 seconds.

    ## Episode End

    The episode never terminates; it is truncated by the ``TimeLimit`` set at registration
    (720 steps, one hour with the default ``delta_time`` of 5 s).

    ## Arguments

    ``gymnasium.make("fieldgym/TrafficSignal-v1", config=None, preset=None,
    render_mode=None, **fields)``: ``preset`` is ``"single"`` (the default values);
    ``fields`` are :class:`~fieldgym.envs.traffic.config.TrafficConfig` fields, each
    documented there with its unit (``backend="sumo"`` for SUMO).

    ## Version History

    * v0: Initial version.
    * v1: Actions are checked at ``step`` (shape, dtype, finite values, bounds): an
      action outside the space raises ``ActionError`` unless ``action_policy="clip"``
      (v0 clipped or remapped it silently). Valid actions step exactly as in v0.
    """

    metadata = {"render_modes": ["rgb_array"], "render_fps": 4}

    def __init__(
        self,
        config: TrafficConfig | dict[str, Any] | None = None,
        preset: str | None = None,
        render_mode: str | None = None,
        **fields: Any,
    ) -> None:
        self.config = TrafficConfig.make(config, preset, fields)
        if render_mode not in (None, *self.metadata["render_modes"]):
            raise ConfigError(f"render_mode={render_mode!r}; choose None or 'rgb_array'.")
        self.render_mode = render_mode
        self.system = single_system(self.config, num_copies=1)
        self.layout = self.system.layout
        self.action_space = spaces.Discrete(self.system.num_phases)
        self.observation_space = spaces.Box(
            np.zeros_like(self.system.high[0]), self.system.high[0], dtype=np.float32
        )
        self._reward = resolve_reward(self.config.reward, REWARDS)
        self._obs: np.ndarray | None = None
        self._action = np.zeros((1, 1), dtype=np.int64)

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        super().reset(seed=seed)
        self._obs = self.system.reset(self.np_random)
        return self._obs[0, 0], {}

    def step(self, action: int) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        self._action[0, 0] = check_action(self.action_space, action, self.config.action_policy)
        obs, rec_int, rec_net = self.system.step(self._action, self.np_random)
        self._obs = obs
        row = rec_int[0, 0].tolist()
        parts = reward_parts(dict(zip(INT_KPIS, row, strict=True)))
        reward = float(self._reward(parts, self.config.reward_weights, self.config))
        kpis = scalar_kpis(row, rec_net[0].tolist(), obs[0, 0], self.layout)
        return obs[0, 0], reward, False, False, {"reward_parts": parts, "kpi": kpis}

    def render(self) -> np.ndarray | None:
        if self.render_mode != "rgb_array" or self._obs is None:
            return None
        return self.system.render(self._obs[0])

    def close(self) -> None:
        self.system.close()
