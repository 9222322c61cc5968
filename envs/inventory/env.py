"""The multi-echelon inventory environment, ``fieldgym/MultiEchelonInventory-v1``."""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from fieldgym.envs.core.actions import check_action
from fieldgym.envs.core.errors import ConfigError
from fieldgym.envs.core.rewards import resolve_reward
from fieldgym.envs.inventory.config import InventoryConfig
from fieldgym.envs.inventory.dynamics import InventorySystem
from fieldgym.envs.inventory.echelon import level_limits
from fieldgym.envs.inventory.render import render_levels
from fieldgym.envs.inventory.reward import REWARDS, reward_parts, step_kpis


def action_space(config: InventoryConfig) -> spaces.Space:
    """Order quantities (``box``), levels (``discrete``) or echelon levels (``base_stock``)."""
    if config.action_type == "discrete":
        return spaces.MultiDiscrete([config.order_levels] * config.num_stages)
    if config.action_type == "base_stock":
        return spaces.Box(0.0, level_limits(config).astype(np.float32), dtype=np.float32)
    return spaces.Box(0.0, np.asarray(config.order_limits, dtype=np.float32), dtype=np.float32)


def observation_space(system: InventorySystem) -> spaces.Box:
    """Non-negative float32 quantities; see the observation table of the env docstring."""
    return spaces.Box(0.0, np.inf, shape=(system.observation_size,), dtype=np.float32)


class MultiEchelonInventoryEnv(gym.Env):
    """Periodic-review inventory control of a serial chain or a distribution network.

    ## Description

    A supply network of ``N`` stages faces random customer demand. Every period each
    stage orders from its supplier; goods arrive after the stage's lead time. The agent
    places all the orders and pays holding, in-transit, shortage and fixed ordering
    costs. With a serial chain, normal demand, backorders and no fixed costs this is the
    system of Clark and Scarf (1960), where echelon base-stock policies are optimal and
    their cost is known exactly (``fieldgym.agents.inventory.clark_scarf``). The order of
    events in a period is given in :mod:`fieldgym.envs.inventory.dynamics`, with a table
    of what to enter for a textbook serial system (the retailer orders before seeing the
    period's demand, so a textbook lead time ``L_1`` is entered as ``lead_times[0] = L_1 -
    1``; echelon holding costs with ``holding_cost_basis="echelon"``).

    ## Action Space

    ``action_type="box"``: ``Box(0, order_limits, (N,), float32)``, the units each stage
    orders. ``action_type="discrete"``: ``MultiDiscrete([order_levels] * N)``, level ``k``
    orders ``k / (order_levels - 1) * order_limits[i]`` units. ``action_type="base_stock"``:
    ``Box(0, level_limits, (N,), float32)``, an echelon order-up-to level per stage; the
    stage orders ``max(0, level - echelon inventory position)`` (at most its order limit),
    the form of the optimal policy of a serial chain (Clark and Scarf), so a learner has
    to find N numbers that depend on the state rather than N quantities.

    ## Observation Space

    A ``Box(0, inf, (D,), float32)``; ``env.unwrapped.layout`` maps each block's name to
    its slice. ``L`` is the longest lead time (0 if every lead time is 0: the block is
    empty), ``C`` the customer-facing stages and ``H`` = ``demand_history``.

    | Block            | Size  | Meaning                                                     |
    |------------------|-------|-------------------------------------------------------------|
    | `on_hand`        | N     | units on hand per stage, end of last period                 |
    | `backorders`     | N     | units a stage owes downstream (customers or other stages)   |
    | `owed`           | N     | units a stage ordered that its supplier has not shipped     |
    | `pipeline`       | N × L | units in transit per stage; column k arrives in k+1 periods |
    | `demand_history` | C × H | customer demand of the last H periods, oldest first         |

    ## Rewards

    Minus the period's cost, a weighted sum of four parts (``reward_weights``):
    ``holding`` (on-hand stock), ``pipeline`` (goods in transit, at the shipper's rate),
    ``shortage`` (backorders per period, or lost sales) and ``ordering`` (fixed cost per
    order). ``reward="scaled_cost"`` divides it by a fixed scale for learners; a callable
    ``reward(parts, weights, config)`` replaces it. ``info["reward_parts"]`` holds the
    parts and ``info["kpi"]`` the raw quantities of the period.

    ## Starting State

    Each stage holds two periods of its mean flow on hand, and every pipeline slot one
    period of mean flow (``initial_inventory`` overrides on-hand). Nothing is owed.

    ## Episode End

    The episode never terminates; it is truncated by the ``TimeLimit`` set at
    registration (100 periods; ``gymnasium.make(..., max_episode_steps=T)`` changes it).

    ## Arguments

    ``gymnasium.make("fieldgym/MultiEchelonInventory-v1", config=None, preset=None,
    render_mode=None, **fields)``: ``preset`` is ``"serial"`` (the default values) or
    ``"distribution"``; ``fields`` are :class:`InventoryConfig` fields, each documented
    there with its unit.

    ## Version History

    * v0: Initial version.
    * v1: Actions are checked at ``step`` (shape, dtype, finite values, bounds): an
      action outside the space raises ``ActionError`` unless ``action_policy="clip"``
      (v0 clipped or remapped it silently). Valid actions step exactly as in v0. New in
      v1 and additive: lead times of 0 and ``holding_cost_basis="echelon"``.
    """

    metadata = {"render_modes": ["rgb_array"], "render_fps": 4}

    def __init__(
        self,
        config: InventoryConfig | dict[str, Any] | None = None,
        preset: str | None = None,
        render_mode: str | None = None,
        **fields: Any,
    ) -> None:
        self.config = InventoryConfig.make(config, preset, fields)
        if render_mode not in (None, *self.metadata["render_modes"]):
            raise ConfigError(f"render_mode={render_mode!r}; choose None or 'rgb_array'.")
        self.render_mode = render_mode
        self.system = InventorySystem(self.config, num_copies=1)
        self.layout = self.system.layout
        self.action_space = action_space(self.config)
        self.observation_space = observation_space(self.system)
        self._reward = resolve_reward(self.config.reward, REWARDS)

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        super().reset(seed=seed)
        self.system.reset()
        return self.system.observe()[0], {}

    def step(self, action: np.ndarray) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        system = self.system
        action = check_action(self.action_space, action, self.config.action_policy)
        observation, record = system.step(
            system.orders_from_action(np.asarray(action)[None]), self.np_random
        )
        parts = reward_parts(record, system.columns)
        reward = float(self._reward(parts, self.config.reward_weights, self.config)[0])
        info = {
            "reward_parts": {name: float(value[0]) for name, value in parts.items()},
            "kpi": {name: value[0] for name, value in step_kpis(record, system.columns).items()},
        }
        return observation[0], reward, False, False, info

    def render(self) -> np.ndarray | None:
        if self.render_mode != "rgb_array":
            return None
        obs = self.system.observe()[0]
        block = {name: obs[where].reshape(shape) for name, (where, shape) in self.layout.items()}
        return render_levels(block["on_hand"], block["backorders"], block["pipeline"].sum(axis=1))
