"""The market making environment, ``fieldgym/MarketMaking-v1``, and its vector form."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from gymnasium import spaces
from gymnasium.vector import AutoresetMode

from fieldgym.envs.core.rewards import RewardFn, weighted_sum
from fieldgym.envs.trading.making.config import MarketMakingConfig
from fieldgym.envs.trading.making.dynamics import RECORD, MakingSystem
from fieldgym.envs.trading.simulated import (
    OBSERVATION_BOUND,
    SimulatedEnv,
    SimulatedVectorEnv,
    Simulation,
)

PARTS = ("pnl", "inventory_penalty", "liquidation")


def pnl_reward(parts: Mapping[str, Any], weights: Mapping[str, float], config: Any) -> Any:
    """Change of wealth, minus the inventory penalty and the liquidation cost."""
    return weighted_sum(parts, weights)


REWARDS: dict[str, RewardFn] = {"pnl": pnl_reward}

OBSERVATION_SPACE = spaces.Box(
    np.array([0, -1, -OBSERVATION_BOUND], np.float32),
    np.array([1, 1, OBSERVATION_BOUND], np.float32),
    dtype=np.float32,
)


def action_space(config: MarketMakingConfig) -> spaces.Space:
    """Bid and ask distances (Box), or one of ``levels^2`` pairs of grid distances."""
    if config.action_type == "discrete":
        return spaces.Discrete(config.levels**2)
    bound = config.max_distance
    return spaces.Box(-bound, bound, (2,), np.float32)


def reward_parts(record: np.ndarray) -> dict[str, np.ndarray]:
    """The signed reward parts per copy (views of the record)."""
    return {part: record[:, getattr(RECORD, part)] for part in PARTS}


MAKING = Simulation(
    config=MarketMakingConfig,
    system=MakingSystem,
    action_space=action_space,
    observation_space=OBSERVATION_SPACE,
    reward="pnl",
    rewards=REWARDS,
    weights={},
    reward_parts=reward_parts,
)


class MarketMakingEnv(SimulatedEnv):
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

    simulation = MAKING


class MarketMakingVectorEnv(SimulatedVectorEnv):
    """``num_envs`` copies of :class:`MarketMakingEnv`, reset in the step that ends them."""

    simulation = MAKING

    def __init__(
        self,
        num_envs: int = 1,
        config: MarketMakingConfig | dict[str, Any] | None = None,
        max_episode_steps: int | None = 10_000,
        autoreset_mode: AutoresetMode | str = AutoresetMode.SAME_STEP,
        **fields: Any,
    ) -> None:
        super().__init__(num_envs, config, max_episode_steps, autoreset_mode, **fields)
