"""What the simulated markets (optimal execution, market making) share.

A simulated market is a batch of ``B`` copies of one problem: a state array with a row per
copy, advanced by the market's own kernel, which fills a record (the step's reward parts
and KPIs) and the observations. Its single env is the batch of one copy and its vector
env the batch of ``num_envs``; both step through :meth:`SimulatedMarket._step_copies`, so
they cannot drift apart. A market describes itself once, in a :class:`Simulation`.

The columns of the state, the record and the observations are named by NamedTuple
classes; :func:`columns` turns one into the indices the kernels read.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Mapping
from typing import Any, ClassVar

import gymnasium as gym
import numpy as np
from gymnasium import spaces
from gymnasium.vector import AutoresetMode
from numba import njit

from fieldgym.envs.core.actions import check_action
from fieldgym.envs.core.config import EnvConfig
from fieldgym.envs.core.rewards import RewardFn, resolve_reward
from fieldgym.envs.core.vector import BatchVectorEnv, truncation

OBSERVATION_BOUND = 10.0
"""Observed price moves and impacts are clipped to [-10, 10]."""


@njit(cache=True, inline="always")
def price_move(price: float, initial: float, volatility: float, horizon: float) -> float:
    """The move since the start over ``volatility sqrt(horizon)``, clipped to the bound."""
    move = (price - initial) / (volatility * math.sqrt(horizon))
    return min(max(move, -OBSERVATION_BOUND), OBSERVATION_BOUND)


class SimulatedSystem:
    """``B`` copies of one simulated market: a state row per copy, reset, step and observe.

    A subclass names its tables (``state_columns``, ``record_columns`` and
    ``observation_columns``, from :func:`columns`) and the state column counting the
    steps of the episode (``elapsed_column``), sets ``observe_kernel`` (``(state, params,
    observation)``, filling the observations) and implements :meth:`_advance`.
    """

    state_columns: ClassVar[Any]
    record_columns: ClassVar[Any]
    observation_columns: ClassVar[Any]
    elapsed_column: ClassVar[int]
    observe_kernel: ClassVar[Callable[[np.ndarray, np.ndarray, np.ndarray], None]]

    def __init__(self, config: Any, num_copies: int, params: np.ndarray, start: np.ndarray) -> None:
        """``params``: the kernels' constants (:func:`as_record`); ``start``: a reset's row."""
        self.config = config
        self.num_copies = num_copies
        self.params = params
        self.start = start
        self.state = np.zeros((num_copies, len(self.state_columns)))
        self.record_shape = (num_copies, len(self.record_columns))
        self.observation_shape = (num_copies, len(self.observation_columns))

    def reset(self, rng: Any, mask: np.ndarray | None = None) -> np.ndarray:
        """Start new episodes in the copies of ``mask`` (all if ``None``); their indices.

        ``rng`` (a generator, or the streams of the copies reset) draws the random part
        of the start, if the market has one (:meth:`draw_start`).
        """
        index = np.arange(self.num_copies) if mask is None else np.flatnonzero(mask)
        self.state[index] = self.start
        self.draw_start(rng, index)
        return index

    def draw_start(self, rng: Any, index: np.ndarray) -> None:
        """Draw the random part of the start of the copies ``index`` (none by default)."""

    def step(self, actions: np.ndarray, rng: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Advance all copies one step; new arrays: observations, record, terminated ``(B,)``."""
        record = np.empty(self.record_shape)
        observation = np.empty(self.observation_shape, dtype=np.float32)
        terminated = np.empty(self.num_copies, dtype=bool)
        self._advance(actions, rng, record, observation, terminated)
        return observation, record, terminated

    def _advance(
        self,
        actions: np.ndarray,
        rng: Any,
        record: np.ndarray,
        observation: np.ndarray,
        terminated: np.ndarray,
    ) -> None:
        """Draw the step's shocks and advance every copy by a batch of actions, in place."""
        raise NotImplementedError

    def observe(self) -> np.ndarray:
        """New observations ``(B, len(observation_columns))``."""
        observation = np.empty(self.observation_shape, dtype=np.float32)
        self.observe_kernel(self.state, self.params, observation)
        return observation

    def elapsed(self) -> np.ndarray:
        """Steps each copy has taken in its episode."""
        return self.state[:, self.elapsed_column]


@dataclasses.dataclass(frozen=True)
class Simulation:
    """A simulated market, as its single and vector envs are built from it.

    Attributes:
        config: The config class (``config.build(config, **fields)``).
        system: The batch of copies, ``system(config, num_copies)``.
        action_space: One copy's action space under a config.
        observation_space: One copy's observation space.
        reward: The reward's name in ``rewards``.
        rewards: The reward functions, by name.
        weights: The reward parts' weights (1 for a part not listed).
        reward_parts: The signed reward parts per copy, from a batch of records.
    """

    config: type[EnvConfig]
    system: type[SimulatedSystem]
    action_space: Callable[[Any], spaces.Space]
    observation_space: spaces.Box
    reward: str
    rewards: Mapping[str, RewardFn]
    weights: Mapping[str, float]
    reward_parts: Callable[[np.ndarray], dict[str, np.ndarray]]


class SimulatedMarket:
    """What the single and the vector env of a simulated market share.

    A subclass sets ``simulation``; ``__init__`` calls :meth:`_build`.
    """

    simulation: ClassVar[Simulation]
    config: Any
    system: SimulatedSystem

    def _build(
        self, config: EnvConfig | dict[str, Any] | None, fields: dict[str, Any], num_copies: int
    ) -> None:
        """Set the config, ``num_copies`` copies of the system, the reward and its weights."""
        simulation = self.simulation
        self.config = simulation.config.build(config, **fields)
        self.system = simulation.system(self.config, num_copies)
        self._reward = resolve_reward(simulation.reward, simulation.rewards)
        self._weights = dict(simulation.weights)

    def _step_copies(
        self, actions: np.ndarray, rng: Any
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]:
        """One step of the batch; ``rng`` is the single env's ``np_random`` or the streams.

        Returns:
            Observations, rewards ``(B,)``, terminated flags ``(B,)`` and the infos
            (``reward_parts``; ``kpi``: the record's columns by name), one row per copy.
        """
        observations, record, terminated = self.system.step(actions, rng)
        parts = self.simulation.reward_parts(record)
        rewards = np.asarray(self._reward(parts, self._weights, self.config))
        table = self.system.record_columns
        kpis = {name: record[:, column] for name, column in zip(table._fields, table, strict=True)}
        return observations, rewards, terminated, {"reward_parts": parts, "kpi": kpis}


class SimulatedEnv(SimulatedMarket, gym.Env):
    """The single env of a simulated market: its batch of one copy."""

    metadata = {"render_modes": []}

    def __init__(self, config: EnvConfig | dict[str, Any] | None = None, **fields: Any):
        self._build(config, fields, 1)
        self.action_space = self.simulation.action_space(self.config)
        self.observation_space = self.simulation.observation_space
        self.observation_names = self.system.observation_columns._fields

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        super().reset(seed=seed)
        self.system.reset(self.np_random)
        return self.system.observe()[0], {}

    def step(self, action: Any) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        action = check_action(self.action_space, action, self.config.action_policy)
        observations, rewards, terminated, infos = self._step_copies(
            np.asarray(action)[None], self.np_random
        )
        info = {
            key: {name: float(value[0]) for name, value in group.items()}
            for key, group in infos.items()
        }
        return observations[0], float(rewards[0]), bool(terminated[0]), False, info


class SimulatedVectorEnv(SimulatedMarket, BatchVectorEnv):
    """The vector env of a simulated market: ``num_envs`` copies advanced as one batch.

    Copy ``i`` draws its shocks from its own stream, so it retraces a single env seeded
    ``s + i`` (see :class:`~fieldgym.envs.core.vector.BatchVectorEnv`).
    """

    def __init__(
        self,
        num_envs: int,
        config: EnvConfig | dict[str, Any] | None,
        max_episode_steps: int | None,
        autoreset_mode: AutoresetMode | str,
        **fields: Any,
    ) -> None:
        self.max_episode_steps = max_episode_steps
        self._build(config, fields, num_envs)
        self._set_spaces(
            num_envs,
            self.simulation.observation_space,
            self.simulation.action_space(self.config),
            self.config.action_policy,
            autoreset_mode,
        )

    def _reset_copies(self, mask: np.ndarray | None) -> None:
        self.system.reset(self.streams.rows(mask), mask)

    def _observe_all(self) -> np.ndarray:
        return self.system.observe()

    def _advance(
        self, actions: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]:
        observations, rewards, terminated, infos = self._step_copies(actions, self.streams)
        # as TimeLimit: truncated at the limit even if terminated
        truncated = truncation(self.system.elapsed(), self.max_episode_steps)
        return observations, rewards, terminated, truncated, infos
