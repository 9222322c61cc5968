"""The market making environment, ``fieldgym/MarketMaking-v1``, and its vector form."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces
from gymnasium.vector import AutoresetMode

from fieldgym.envs.core.actions import check_action
from fieldgym.envs.core.rewards import RewardFn, resolve_reward, weighted_sum
from fieldgym.envs.core.vector import BatchVectorEnv, truncation
from fieldgym.envs.trading.common import first_copy, record_step
from fieldgym.envs.trading.making.config import MarketMakingConfig
from fieldgym.envs.trading.making.dynamics import RECORD, STEP, MakingSystem

PARTS = ("pnl", "inventory_penalty", "liquidation")


def pnl_reward(parts: Mapping[str, Any], weights: Mapping[str, float], config: Any) -> Any:
    """Change of wealth, minus the inventory penalty and the liquidation cost."""
    return weighted_sum(parts, weights)


REWARDS: dict[str, RewardFn] = {"pnl": pnl_reward}

OBSERVATION_SPACE = spaces.Box(
    np.array([0, -1, -10], np.float32), np.array([1, 1, 10], np.float32), dtype=np.float32
)


def action_space(config: MarketMakingConfig) -> spaces.Space:
    """Bid and ask distances (Box), or one of ``levels^2`` pairs of grid distances."""
    if config.action_type == "discrete":
        return spaces.Discrete(config.levels**2)
    bound = config.max_distance
    return spaces.Box(-bound, bound, (2,), np.float32)


def reward_parts(record: np.ndarray) -> dict[str, np.ndarray]:
    """The signed reward parts per copy (views of the record)."""
    return {part: record[:, RECORD.index(part)] for part in PARTS}


class MarketMakingEnv(gym.Env):
    """Quote a bid and an ask around a diffusing mid; fills arrive as Poisson processes.

    ## Description

    The Avellaneda and Stoikov (2008) dealer: the mid price is an arithmetic Brownian
    motion; a quote ``delta`` from the mid is hit with intensity ``A exp(-k delta)``. The
    dealer earns the distance on each fill and carries inventory risk; the inventory is
    liquidated at the mid at the horizon. Dynamics: :mod:`fieldgym.envs.trading.making.dynamics`.

    ## Action Space

    ``action_type="box"`` (default): ``Box(-D, D, (2,))``, the bid and ask distances from
    the mid (a negative distance quotes through the mid). ``"discrete"``:
    ``Discrete(levels^2)``, action ``i * levels + j`` quotes the ``i``-th and ``j``-th of
    ``levels`` distances in ``[0, D]``.

    ## Observation Space

    ``Box((3,), float32)``: fraction of the horizon left in [0, 1]; inventory over
    ``max_inventory`` in [-1, 1]; mid move since the start over ``sigma sqrt(T)``, clipped
    to [-10, 10].

    ## Rewards

    ``reward="pnl"``: the weighted sum of ``pnl`` (change of wealth, cash plus inventory at
    the mid), ``inventory_penalty`` (minus ``phi q^2 dt``) and ``liquidation`` (minus the
    cost of selling the final inventory). ``info["kpi"]``: the parts, ``value`` (wealth),
    inventory, fills, the quoted spread and the mid.

    ## Starting State

    No cash, no inventory, mid ``S0``.

    ## Episode End

    Terminates at the horizon (``steps`` decisions). The ``TimeLimit`` of registration
    (10000) never binds.

    ## Arguments

    ``gymnasium.make("fieldgym/MarketMaking-v1", config=None, **fields)``: ``fields`` are
    :class:`MarketMakingConfig` fields.

    ## Version History

    * v0: Initial version.
    * v1: Actions are checked at ``step`` (shape, dtype, finite values, bounds): an
      action outside the space raises ``ActionError`` unless ``action_policy="clip"``
      (v0 clipped or remapped it silently). Valid actions step exactly as in v0.
    """

    metadata = {"render_modes": []}

    def __init__(self, config: MarketMakingConfig | dict[str, Any] | None = None, **fields: Any):
        self.config = MarketMakingConfig.build(config, **fields)
        self.system = MakingSystem(self.config, 1)
        self.action_space = action_space(self.config)
        self.observation_space = OBSERVATION_SPACE
        self._reward = resolve_reward("pnl", REWARDS)
        self._weights: dict[str, float] = {}

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        super().reset(seed=seed)
        self.system.reset()
        return self.system.observe()[0], {}

    def step(self, action: Any) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        action = check_action(self.action_space, action, self.config.action_policy)
        observation, rewards, done, infos = record_step(
            self, np.asarray(action)[None], self.np_random, reward_parts, RECORD
        )
        reward, info = float(rewards[0]), first_copy(infos)
        return observation[0], reward, bool(done[0]), False, info


class MarketMakingVectorEnv(BatchVectorEnv):
    """``num_envs`` copies of :class:`MarketMakingEnv`, reset in the step that ends them."""

    def __init__(
        self,
        num_envs: int = 1,
        config: MarketMakingConfig | dict[str, Any] | None = None,
        max_episode_steps: int | None = 10_000,
        autoreset_mode: AutoresetMode | str = AutoresetMode.SAME_STEP,
        **fields: Any,
    ) -> None:
        self.max_episode_steps = max_episode_steps
        self.config = MarketMakingConfig.build(config, **fields)
        self.system = MakingSystem(self.config, num_envs)
        self._set_spaces(
            num_envs,
            OBSERVATION_SPACE,
            action_space(self.config),
            self.config.action_policy,
            autoreset_mode,
        )
        self._reward = resolve_reward("pnl", REWARDS)
        self._weights: dict[str, float] = {}

    def _reset_copies(self, mask: np.ndarray | None) -> None:
        self.system.reset(mask)

    def _observe_all(self) -> np.ndarray:
        return self.system.observe()

    def _advance(
        self, actions: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]:
        observations, rewards, done, infos = record_step(
            self, actions, self.streams, reward_parts, RECORD
        )
        terminated = done.copy()
        steps_taken = self.system.state[:, STEP]
        truncated = truncation(
            steps_taken, self.max_episode_steps
        )  # as TimeLimit: even if terminated
        return observations, rewards, terminated, truncated, infos
