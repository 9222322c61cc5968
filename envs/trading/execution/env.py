"""The optimal execution environment, ``fieldgym/OptimalExecution-v1``, and its vector form."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from gymnasium import spaces
from gymnasium.vector import AutoresetMode

from fieldgym.envs.core.rewards import RewardFn, weighted_sum
from fieldgym.envs.trading.execution.config import ExecutionConfig
from fieldgym.envs.trading.execution.dynamics import RECORD, ExecutionSystem
from fieldgym.envs.trading.simulated import (
    OBSERVATION_BOUND,
    SimulatedEnv,
    SimulatedVectorEnv,
    Simulation,
)


def cost_reward(parts: Mapping[str, Any], weights: Mapping[str, float], config: Any) -> Any:
    """Minus the period's shortfall and risk penalty, in bps of the arrival value."""
    return weighted_sum(parts, weights)


REWARDS: dict[str, RewardFn] = {"cost": cost_reward}


def reward_parts(record: np.ndarray) -> dict[str, np.ndarray]:
    """``shortfall`` and ``risk``, negative, in basis points of ``X * S0``, per copy."""
    return {"shortfall": -record[:, RECORD.shortfall_bps], "risk": -record[:, RECORD.risk_bps]}


def action_space(config: ExecutionConfig) -> spaces.Space:
    """``Discrete(len(fractions))`` or ``Box(0, 1, (1,))``: a fraction of the remaining shares."""
    if config.action_type == "discrete":
        return spaces.Discrete(len(config.fractions))
    return spaces.Box(0.0, 1.0, (1,), np.float32)


OBSERVATION_SPACE = spaces.Box(
    np.array([0, 0, -OBSERVATION_BOUND, -OBSERVATION_BOUND], np.float32),
    np.array([1, 1, OBSERVATION_BOUND, OBSERVATION_BOUND], np.float32),
    dtype=np.float32,
)

EXECUTION = Simulation(
    config=ExecutionConfig,
    system=ExecutionSystem,
    action_space=action_space,
    observation_space=OBSERVATION_SPACE,
    reward="cost",
    rewards=REWARDS,
    weights={"shortfall": 1.0, "risk": 1.0},
    reward_parts=reward_parts,
)


class OptimalExecutionEnv(SimulatedEnv):
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

    simulation = EXECUTION


class OptimalExecutionVectorEnv(SimulatedVectorEnv):
    """``num_envs`` copies of :class:`OptimalExecutionEnv` advanced as one batch.

    Finished copies reset in the same step (by default; ``AutoresetMode.SAME_STEP``); copy ``i``
    draws its shocks from its own stream, so it retraces a single env seeded ``s + i``
    (see :class:`~fieldgym.envs.core.vector.BatchVectorEnv`).
    """

    simulation = EXECUTION

    def __init__(
        self,
        num_envs: int = 1,
        config: ExecutionConfig | dict[str, Any] | None = None,
        max_episode_steps: int | None = 1000,
        autoreset_mode: AutoresetMode | str = AutoresetMode.SAME_STEP,
        **fields: Any,
    ) -> None:
        super().__init__(num_envs, config, max_episode_steps, autoreset_mode, **fields)
