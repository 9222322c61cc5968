"""The optimal execution environment, ``fieldgym/OptimalExecution-v1``, and its vector form."""

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
from fieldgym.envs.trading.execution.config import ExecutionConfig
from fieldgym.envs.trading.execution.dynamics import (
    OBSERVATION,
    PERIOD,
    RECORD,
    ExecutionSystem,
)

PARTS = ("shortfall", "risk")


def cost_reward(parts: Mapping[str, Any], weights: Mapping[str, float], config: Any) -> Any:
    """Minus the period's shortfall and risk penalty, in bps of the arrival value."""
    return weighted_sum(parts, weights)


REWARDS: dict[str, RewardFn] = {"cost": cost_reward}


def reward_parts(record: np.ndarray) -> dict[str, np.ndarray]:
    """``shortfall`` and ``risk``, negative, in basis points of ``X * S0``, per copy."""
    return {"shortfall": -record[:, 1], "risk": -record[:, 2]}


def action_space(config: ExecutionConfig) -> spaces.Space:
    """``Discrete(len(fractions))`` or ``Box(0, 1, (1,))``: a fraction of the remaining shares."""
    if config.action_type == "discrete":
        return spaces.Discrete(len(config.fractions))
    return spaces.Box(0.0, 1.0, (1,), np.float32)


OBSERVATION_SPACE = spaces.Box(
    np.array([0, 0, -10, -10], np.float32), np.array([1, 1, 10, 10], np.float32), dtype=np.float32
)


class OptimalExecutionEnv(gym.Env):
    """Sell a block of shares before a deadline under Almgren-Chriss market impact.

    ## Description

    ``X`` shares must be sold within ``T`` days, in ``N`` periods. Selling fast pays
    temporary impact (``epsilon + eta/L * rate``, with ``L`` the liquidity) and moves the
    price down permanently (``gamma`` per share); selling slowly leaves the position exposed
    to an arithmetic Brownian price. Liquidity is constant, follows a deterministic
    intraday U shape, or is a hidden mean-reverting process. The order of events is in
    :mod:`fieldgym.envs.trading.execution.dynamics`; defaults are Almgren and Chriss's
    (2000) example.

    ## Action Space

    ``action_type="discrete"`` (default): ``Discrete(len(fractions))``, action ``k`` sells
    ``fractions[k]`` of the remaining shares; ``"box"``: ``Box(0, 1, (1,))``, the fraction
    itself. The last period sells whatever remains.

    ## Observation Space

    ``Box((4,), float32)``:

    | Index | Name             | Meaning                                              |
    |-------|------------------|------------------------------------------------------|
    | 0     | `time_left`      | fraction of the periods left, in [0, 1]              |
    | 1     | `inventory_left` | fraction of the shares left, in [0, 1]               |
    | 2     | `price_move`     | (S - S0) / (sigma sqrt(T)), clipped to [-10, 10]      |
    | 3     | `last_impact`    | last period's impact per share / TWAP's, clipped      |

    The liquidity itself is never observed.

    ## Rewards

    ``reward="cost"``: the weighted sum of ``shortfall`` (minus the period's implementation
    shortfall against the arrival price) and ``risk`` (minus ``lambda sigma^2 tau x^2``),
    both in basis points of ``X * S0``. The episode return is minus ``IS + lambda *
    Var`` of a static schedule, Almgren and Chriss's objective. ``info["kpi"]``: shortfall
    ($ and bps), risk (bps), shares sold and left, price, execution price, liquidity and
    ``value`` (cash plus shares left at the price, over ``X * S0``).

    ## Starting State

    ``X`` shares at price ``S0``; the hidden log liquidity starts from its stationary law.

    ## Episode End

    Terminates when every share is sold (at the latest after ``N`` periods). The
    ``TimeLimit`` of registration (1000) never binds since ``N <= 1000``.

    ## Arguments

    ``gymnasium.make("fieldgym/OptimalExecution-v1", config=None, **fields)``: ``fields``
    are :class:`ExecutionConfig` fields.

    ## Version History

    * v0: Initial version.
    * v1: Actions are checked at ``step`` (shape, dtype, finite values, bounds): an
      action outside the space raises ``ActionError`` unless ``action_policy="clip"``
      (v0 clipped or remapped it silently). Valid actions step exactly as in v0.
    """

    metadata = {"render_modes": []}

    def __init__(self, config: ExecutionConfig | dict[str, Any] | None = None, **fields: Any):
        self.config = ExecutionConfig.build(config, **fields)
        self.system = ExecutionSystem(self.config, 1)
        self.action_space = action_space(self.config)
        self.observation_space = OBSERVATION_SPACE
        self.observation_names = OBSERVATION
        self._reward = resolve_reward("cost", REWARDS)
        self._weights = {"shortfall": 1.0, "risk": 1.0}

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        super().reset(seed=seed)
        self.system.reset(self.np_random)
        return self.system.observe()[0], {}

    def step(self, action: Any) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        action = check_action(self.action_space, action, self.config.action_policy)
        observation, rewards, done, infos = record_step(
            self, np.asarray(action)[None], self.np_random, reward_parts, RECORD
        )
        reward, info = float(rewards[0]), first_copy(infos)
        return observation[0], reward, bool(done[0, 0]), False, info


class OptimalExecutionVectorEnv(BatchVectorEnv):
    """``num_envs`` copies of :class:`OptimalExecutionEnv` advanced as one batch.

    Finished copies reset in the same step (by default; ``AutoresetMode.SAME_STEP``); copy ``i``
    draws its shocks from its own stream, so it retraces a single env seeded ``s + i``
    (see :class:`~fieldgym.envs.core.vector.BatchVectorEnv`).
    """

    def __init__(
        self,
        num_envs: int = 1,
        config: ExecutionConfig | dict[str, Any] | None = None,
        max_episode_steps: int | None = 1000,
        autoreset_mode: AutoresetMode | str = AutoresetMode.SAME_STEP,
        **fields: Any,
    ) -> None:
        self.max_episode_steps = max_episode_steps
        self.config = ExecutionConfig.build(config, **fields)
        self.system = ExecutionSystem(self.config, num_envs)
        self._set_spaces(
            num_envs,
            OBSERVATION_SPACE,
            action_space(self.config),
            self.config.action_policy,
            autoreset_mode,
        )
        self._reward = resolve_reward("cost", REWARDS)
        self._weights = {"shortfall": 1.0, "risk": 1.0}

    def _reset_copies(self, mask: np.ndarray | None) -> None:
        self.system.reset(self.streams.rows(mask), mask)

    def _observe_all(self) -> np.ndarray:
        return self.system.observe()

    def _advance(
        self, actions: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]:
        observations, rewards, done, infos = record_step(
            self, actions, self.streams, reward_parts, RECORD
        )
        terminated = done[:, 0].copy()
        steps_taken = self.system.state[:, PERIOD]
        truncated = truncation(
            steps_taken, self.max_episode_steps
        )  # as TimeLimit: even if terminated
        return observations, rewards, terminated, truncated, infos
