"""Classical inventory policies acting on the environment's flat observation.

Every policy reads the blocks of the flat observation, as
:func:`fieldgym.envs.inventory.dynamics.observation_layout` lays them out: ``on_hand``,
``backorders`` (what a stage owes downstream), ``owed`` (what its supplier still owes it),
``pipeline`` and ``demand_history``. It computes order quantities and maps them to a valid
action with :func:`orders_to_actions`. :meth:`InventoryPolicy.act_batch` acts on a batch of
observations, e.g. those of the native vector environment.

* :class:`EchelonBaseStock` (``base_stock``): order up to given echelon base-stock levels.
* :class:`ClarkScarfPolicy` (``clark_scarf``): the optimal levels of a serial system.
* :class:`InstallationSS` (``s_S``): installation (s, S) policy per stage.
* :class:`BaseStockSearch` (``base_stock_search``): echelon base-stock levels tuned by
  simulation, the reference for systems Clark–Scarf does not cover.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self

import numpy as np
from scipy import stats

from fieldgym.agents.base import Policy
from fieldgym.agents.inventory.clark_scarf import ClarkScarfSolution, clark_scarf
from fieldgym.agents.inventory.search import demand_moments, search_levels, starting_levels
from fieldgym.agents.target import EnvTarget
from fieldgym.envs.core.errors import ConfigError
from fieldgym.envs.inventory.config import InventoryConfig
from fieldgym.envs.inventory.dynamics import observation_layout

if TYPE_CHECKING:
    from fieldgym.agents.training import Budget
from fieldgym.envs.inventory.echelon import (
    echelon_members,
    echelon_position,
    level_limits,
    supplied_by,
)


def orders_to_actions(orders: np.ndarray, config: InventoryConfig) -> np.ndarray:
    """Actions valid for the env's action space from order quantities ``(..., N)``.

    ``box``: the quantities clipped to ``[0, order_limits]``, as float32. ``discrete``: the
    nearest order level (level ``k`` orders ``k / (order_levels - 1) * order_limits``), as
    int64.
    """
    limits = np.asarray(config.order_limits, dtype=np.float64)
    quantities = np.clip(np.asarray(orders, dtype=np.float64), 0.0, limits)
    if config.action_type == "discrete":
        size = limits / (config.order_levels - 1)
        levels = np.clip(np.rint(quantities / size), 0, config.order_levels - 1)
        return levels.astype(np.int64)
    return quantities.astype(np.float32)


class InventoryPolicy(Policy):
    """Base of the classical policies: observation blocks in, valid actions out.

    Subclasses implement :meth:`orders`.

    Args:
        target: An inventory environment (``fieldgym/MultiEchelonInventory-v1``).

    Raises:
        ConfigError: If the target is not an inventory environment.
    """

    def __init__(self, target: EnvTarget) -> None:
        super().__init__(target)
        config = target.config
        if not isinstance(config, InventoryConfig):
            raise ConfigError(
                f"{type(self).__name__} is an inventory baseline; {target.id} is not an "
                "inventory environment."
            )
        self.config: InventoryConfig = config
        self.layout = observation_layout(config)
        self._members = echelon_members(config)
        self._supplied_by = supplied_by(config)

    def blocks(self, observations: np.ndarray) -> dict[str, np.ndarray]:
        """The named blocks of a batch of flat observations ``(B, D)``, as float64 arrays.

        Adds ``customer_backorders``: the ``backorders`` block minus what a stage owes the
        stages it supplies, i.e. the customer demand backordered at the stage.
        """
        observations = np.asarray(observations, dtype=np.float64)
        batch = len(observations)  # not -1: the pipeline block is empty when no lead time is > 0
        out = {
            name: observations[:, where].reshape(batch, *shape)
            for name, (where, shape) in self.layout.items()
        }
        owed_downstream = out["owed"] @ self._supplied_by.T
        out["customer_backorders"] = np.maximum(out["backorders"] - owed_downstream, 0.0)
        return out

    def echelon_position(self, blocks: dict[str, np.ndarray]) -> np.ndarray:
        """Echelon inventory position ``(B, N)`` of every stage.

        Stock on hand and in transit at the stage and every stage it supplies, directly or
        indirectly, plus what its supplier owes it, minus the echelon's customer backorders.
        """
        return echelon_position(
            blocks["on_hand"],
            blocks["pipeline"].sum(axis=-1),
            blocks["owed"],
            blocks["backorders"],
            self._members,
            self._supplied_by,
        )

    def installation_position(self, blocks: dict[str, np.ndarray]) -> np.ndarray:
        """Installation inventory position ``(B, N)``.

        On hand plus in transit plus what the supplier owes, minus what the stage owes
        downstream.
        """
        return (
            blocks["on_hand"]
            + blocks["pipeline"].sum(axis=-1)
            + blocks["owed"]
            - blocks["backorders"]
        )

    def orders(self, blocks: dict[str, np.ndarray]) -> np.ndarray:
        """Order quantities ``(B, N)`` from the observation blocks."""
        raise NotImplementedError

    def actions_from_orders(self, blocks: dict[str, np.ndarray], orders: np.ndarray) -> np.ndarray:
        """The env's actions ``(B, N)`` that order ``orders`` in the state of ``blocks``.

        With ``action_type="base_stock"`` the action is the echelon level that makes the
        environment order the (clipped) quantities: position plus order.
        """
        if self.config.action_type != "base_stock":
            return orders_to_actions(orders, self.config)
        limits = np.asarray(self.config.order_limits, dtype=np.float64)
        levels = self.echelon_position(blocks) + np.clip(orders, 0.0, limits)
        return np.clip(levels, 0.0, level_limits(self.config)).astype(np.float32)

    def act_batch(self, observations: np.ndarray) -> np.ndarray:
        """Actions ``(B, N)`` for a batch of observations ``(B, D)``."""
        blocks = self.blocks(observations)
        return self.actions_from_orders(blocks, self.orders(blocks))

    def act(self, observation: np.ndarray) -> np.ndarray:
        """The action for one observation (see :meth:`act_batch`)."""
        return self.act_batch(np.asarray(observation)[None])[0]


def _per_stage(name: str, values: float | Sequence[float], n: int) -> np.ndarray:
    """A per-stage float array from a scalar or a sequence of ``n`` values."""
    try:
        array = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise ConfigError(f"{name}={values!r}; give one finite number per stage ({n}).") from None
    if array.ndim == 0:
        array = np.full(n, float(array))
    if array.shape != (n,) or not np.all(np.isfinite(array)):
        raise ConfigError(f"{name}={values!r}; give one finite number per stage ({n}).")
    return array


class EchelonBaseStock(InventoryPolicy):
    """Order up to echelon base-stock levels (serial and distribution networks).

    Stage ``i`` orders ``max(0, levels[i] - echelon position of i)``, where the echelon of a
    stage is itself and every stage it supplies (the warehouse's echelon is the whole
    network).

    Args:
        target: An inventory environment.
        levels: Echelon base-stock level per stage, units (a scalar is used for every stage).

    Raises:
        ConfigError: If ``levels`` is missing or does not give one number per stage.
    """

    name = "base_stock"

    def __init__(self, target: EnvTarget, levels: float | Sequence[float] | None = None) -> None:
        super().__init__(target)
        if levels is None:
            raise ConfigError(
                "base_stock needs levels=[...] (one echelon base-stock level per stage); or use "
                "'clark_scarf' (optimal levels of a serial system) or 'base_stock_search' "
                "(levels tuned by simulation)."
            )
        self._levels = _per_stage("levels", levels, self.config.num_stages)

    @property
    def levels(self) -> np.ndarray:
        """Echelon base-stock level per stage."""
        return self._levels

    def orders(self, blocks: dict[str, np.ndarray]) -> np.ndarray:
        """``max(0, level - echelon position)`` per stage."""
        return np.maximum(self.levels - self.echelon_position(blocks), 0.0)


class ClarkScarfPolicy(EchelonBaseStock):
    """The optimal echelon base-stock policy of a serial system (Clark and Scarf, 1960).

    Levels from :func:`fieldgym.agents.inventory.clark_scarf.clark_scarf`; its expected cost
    per period is ``policy.solution.expected_cost``.

    Raises:
        ConfigError: If the system is not eligible (not serial, lost sales, fixed costs, ...).
    """

    name = "clark_scarf"

    def __init__(self, target: EnvTarget) -> None:
        solution = clark_scarf(target.config)
        super().__init__(target, levels=solution.levels)
        self.solution: ClarkScarfSolution = solution


class InstallationSS(InventoryPolicy):
    """Installation (s, S): a stage at or below ``s`` orders up to ``S``.

    The installation position of a stage is its on-hand stock plus its goods in transit
    plus what its supplier owes it, minus what it owes downstream (customers or stages).

    Default levels (a simple heuristic), with ``m`` and ``v`` the mean and variance of a
    stage's demand per period (the customer demand it serves), ``L`` its lead time, ``h``
    its holding cost, ``K`` its fixed order cost and ``p`` the backorder cost:
    ``s = m (L + 1) + z sqrt(v (L + 1))`` with ``z = Phi^-1(p / (p + h))`` (at most 3), and
    ``S = s + Q`` with the economic order quantity ``Q = sqrt(2 K m / h)``, capped at the
    order limit (``Q = 0`` without fixed cost, which makes it a base-stock policy).

    Args:
        target: An inventory environment.
        s: Reorder point per stage (a scalar for every stage), or ``None`` for the default.
        S: Order-up-to level per stage, or ``None`` for the default (``s + Q``).

    Raises:
        ConfigError: If a level does not give one number per stage, or ``S < s``.
    """

    name = "s_S"

    def __init__(
        self,
        target: EnvTarget,
        s: float | Sequence[float] | None = None,
        S: float | Sequence[float] | None = None,
    ) -> None:
        super().__init__(target)
        n = self.config.num_stages
        default_s, default_S = self.default_levels(self.config)
        self.s = default_s if s is None else _per_stage("s", s, n)
        self.S = (self.s - default_s + default_S) if S is None else _per_stage("S", S, n)
        if np.any(self.s > self.S):
            raise ConfigError(f"s_S needs S >= s at every stage; got s={self.s}, S={self.S}.")

    @staticmethod
    def default_levels(config: InventoryConfig) -> tuple[np.ndarray, np.ndarray]:
        """The heuristic ``(s, S)`` of the class docstring."""
        mean, std = demand_moments(config)
        customers = echelon_members(config)[:, list(config.customer_stages)].sum(axis=1)
        flow, variance = customers * mean, customers * std**2
        lead = np.asarray(config.lead_times, dtype=np.float64)
        holding = np.asarray(config.local_holding_costs, dtype=np.float64)
        p = config.backorder_cost
        ratio = np.where(p + holding > 0, p / np.maximum(p + holding, 1e-12), 0.5)
        z = np.minimum(stats.norm.ppf(np.clip(ratio, 1e-6, 1 - 1e-6)), 3.0)
        s = flow * (lead + 1) + z * np.sqrt(variance * (lead + 1))
        fixed = np.asarray(config.fixed_order_costs, dtype=np.float64)
        limits = np.asarray(config.order_limits, dtype=np.float64)
        eoq = np.sqrt(2 * fixed * flow / np.maximum(holding, 1e-12))
        batch = np.where(fixed > 0, np.minimum(eoq, limits), 0.0)
        return s, s + batch

    def orders(self, blocks: dict[str, np.ndarray]) -> np.ndarray:
        """``S - position`` at stages whose installation position is at or below ``s``, else 0."""
        position = self.installation_position(blocks)
        return np.where(position <= self.s, np.maximum(self.S - position, 0.0), 0.0)


class BaseStockSearch(EchelonBaseStock):
    """Echelon base-stock levels tuned by simulation (coordinate descent, common random numbers).

    The search (:func:`fieldgym.agents.inventory.search.search_levels`) starts from the
    heuristic levels of :func:`~fieldgym.agents.inventory.search.starting_levels` and moves
    one stage's level at a time, scoring every candidate on the same simulated demand
    (``num_copies`` copies of ``periods`` periods, the first ``warmup`` discarded) through
    the environment's own dynamics, halving the step until it reaches its smallest size.

    The search runs lazily, the first time the levels are needed (the first :meth:`act`),
    with ``seed``; :meth:`fit` runs it again with the seed it is given (the budget is
    ignored: the budget is set by the constructor's arguments). With the defaults it takes
    about a second on the presets.

    Args:
        target: An inventory environment.
        seed: Seed of the simulated demand.
        num_copies: Simulated copies per candidate.
        periods: Periods simulated per copy.
        warmup: Periods discarded at the start of each copy.
        start: Levels to start from (default: the heuristic levels).

    Attributes:
        search_cost: Mean cost per period of the levels found, on the search's own sample.
    """

    name = "base_stock_search"

    def __init__(
        self,
        target: EnvTarget,
        seed: int = 0,
        num_copies: int = 32,
        periods: int = 400,
        warmup: int = 100,
        start: Sequence[float] | None = None,
    ) -> None:
        n = target.config.num_stages if isinstance(target.config, InventoryConfig) else 1
        start_levels = None if start is None else _per_stage("start", start, n)
        super().__init__(target, levels=np.zeros(n) if start is None else start_levels)
        if not 0 <= warmup < periods:
            raise ConfigError(f"warmup={warmup} must be >= 0 and below periods={periods}.")
        self.seed = seed
        self.settings: dict[str, Any] = {
            "num_copies": num_copies,
            "periods": periods,
            "warmup": warmup,
        }
        self.start = start_levels
        self.search_cost: float | None = None
        self._searched = False

    @property
    def levels(self) -> np.ndarray:
        """The tuned echelon base-stock levels (searching first if not done yet)."""
        if not self._searched:
            self.search(self.seed)
        return self._levels

    def search(self, seed: int) -> np.ndarray:
        """Run the search with ``seed`` and keep the levels found."""
        start = starting_levels(self.config) if self.start is None else self.start
        self._levels, self.search_cost = search_levels(
            self.config, start, self._simulated_actions, seed=seed, **self.settings
        )
        self._searched = True
        return self._levels

    def _simulated_actions(self, observations: np.ndarray, levels: np.ndarray) -> np.ndarray:
        """Orders of the policy with ``levels`` (one row per copy), as the env executes them."""
        blocks = self.blocks(observations)
        orders = np.maximum(levels - self.echelon_position(blocks), 0.0)
        return self.actions_from_orders(blocks, orders)

    def fit(
        self,
        budget: int | Budget = 0,
        seed: int = 0,
        log_dir: str | Path | None = None,
        progress: bool = False,
    ) -> Self:
        """Run the search with ``seed``; its length is its own settings, not ``budget``.

        (``budget``, ``log_dir`` and ``progress`` are part of the learner interface; the
        search is a baseline's set-up, run whatever they say.)
        """
        self.search(seed)
        return self
