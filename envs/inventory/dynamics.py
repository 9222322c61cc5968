"""The inventory system's dynamics, shared by the single and the vectorized environment.

:class:`InventorySystem` holds the state of ``B`` independent copies as arrays and
advances all of them with :func:`advance`, one compiled pure function. The single env
is ``B = 1`` of the same code, so single and vector envs cannot drift apart.

One period (one ``step``), for each copy, in this order:

1. Shipments due this period (shipped ``lead_times[i] >= 1`` periods ago) arrive and join
   the stage's on-hand stock.
2. Every stage places the order of the action, chosen on the observation at the end of
   the previous period, so before seeing this period's demand. Suppliers ship, upstream
   stages first: each stage's request (its new order plus what its supplier still owes
   it) is shipped from the supplier's on-hand stock; a supplier short of stock rations it
   in proportion to the requests, and the rest stays owed. The external supplier ships
   everything. Goods shipped to stage ``i`` arrive in step 1 of the period
   ``lead_times[i]`` later; with ``lead_times[i] = 0`` they join its on-hand stock at
   once, so it can ship them on, and a retailer sell them, in this period.
3. Customer demand arrives at customer-facing stages and is met from stock, backorders
   first; the rest is backordered or, with ``lost_sales``, lost.
4. Costs are charged on the end-of-period state: on-hand stock at the stage's local rate
   (``InventoryConfig.local_holding_costs``), goods in transit to a stage at its
   supplier's local rate (nothing for the external supplier), backorders, lost sales and
   fixed costs of the orders placed.

A retailer's order therefore has to cover ``lead_times[0] + 1`` periods of demand (its
protection interval), and an echelon base-stock level of serial stage ``i`` covers
``lead_times[0] + ... + lead_times[i] + 1`` periods.

Textbook serial systems (Snyder and Shen, *Fundamentals of Supply Chain Theory*, 2nd ed.,
ch. 6, and the ``stockpyl`` package's ``ssm_serial``: stages ``1..N`` with stage 1 the
retailer, periodic review, an order placed after period ``t``'s demand arrives before
period ``t + L``'s demand, so stage 1's protection interval is ``L_1``) are entered as:

=====================================================  =====================================
Textbook                                               Environment
=====================================================  =====================================
stage ``j`` (1 = retailer, ``N`` = most upstream)      stage ``j - 1``, ``network="serial"``
lead time of the retailer, ``L_1 >= 1``                ``lead_times[0] = L_1 - 1``
lead time ``L_j`` of stage ``j >= 2``                  ``lead_times[j - 1] = L_j``
echelon holding cost ``h'_j``                          ``holding_costs[j - 1] = h'_j`` with
                                                       ``holding_cost_basis="echelon"``
local holding cost ``h_j``                             ``holding_costs[j - 1] = h_j``
                                                       (``holding_cost_basis="local"``)
stockout cost ``p`` per unit backordered per period    ``backorder_cost = p``
demand ``N(mu, sigma^2)`` or Poisson(``mu``)           ``demand="normal"``, ``demand_mean``,
per period at stage 1                                  ``demand_std``; or ``"poisson"``
no fixed costs, no capacities                          ``fixed_order_costs`` 0, large
                                                       ``order_limits``
echelon base-stock level ``S_j``                       level ``j - 1``, the same number
                                                       (``action_type="base_stock"``,
                                                       agents ``base_stock``, ``clark_scarf``)
expected cost per period                               ``expected_cost`` +
                                                       ``demand_mean * local_holding_costs[1]``
                                                       (``ClarkScarfSolution.textbook_cost``)
=====================================================  =====================================

The optimal levels are the same in both. The costs differ by a constant, whatever the
policy: with the retailer's lead time one period shorter here, each unit spends one
period-end fewer at the retailer's supplier's rate (it is charged as stock in transit to
the retailer, at that rate, for ``L_1 - 1`` period-ends instead of ``L_1``), so the env's
cost per period is ``demand_mean * local_holding_costs[1]`` lower (0 for one stage).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from fieldgym.envs.core.errors import ActionError
from fieldgym.envs.inventory.config import InventoryConfig
from fieldgym.envs.inventory.demand import DemandModel
from fieldgym.envs.inventory.echelon import (
    echelon_members,
    echelon_position,
    supplied_by,
    upstream_first,
)

COST_PARTS = ("holding", "pipeline", "shortage", "ordering")
"""Column order of the cost array :func:`advance` writes; also the reward parts' names."""


@njit(cache=True, error_model="numpy")
def advance(
    on_hand: np.ndarray,
    owed: np.ndarray,
    backorders: np.ndarray,
    pipeline: np.ndarray,
    history: np.ndarray,
    orders: np.ndarray,
    demand: np.ndarray,
    supplier: np.ndarray,
    shipping_order: np.ndarray,
    lead: np.ndarray,
    customer: np.ndarray,
    stage_params: np.ndarray,
    backorder_cost: float,
    lost_sale_cost: float,
    lost_sales: bool,
    record: np.ndarray,
    observation: np.ndarray,
) -> None:
    """Advance every copy by one period, in place; write what happened and the new observation.

    State arrays are stage-major with the copies on the last axis, so every inner loop
    runs over copies and compiles to vector instructions.

    Args:
        on_hand: ``(N, B)`` units on hand per stage.
        owed: ``(N, B)`` units a stage ordered that its supplier has not shipped yet.
        backorders: ``(N, B)`` customer demand backordered at each stage.
        pipeline: ``(N, L, B)`` units in transit to each stage; slot ``k`` arrives in
            ``k + 1`` periods. ``L`` is the longest lead time, and may be 0.
        history: ``(C, H, B)`` past customer demand, oldest first; shifted by one period.
        orders: ``(B, N)`` requested order quantities, clipped here to [0, order limit].
        demand: ``(B, C)`` customer demand at each customer-facing stage; negative draws
            count as zero.
        supplier: ``(N,)`` supplier index of each stage, ``-1`` for the external supplier.
        shipping_order: ``(N,)`` the stages, each after its supplier
            (:func:`~fieldgym.envs.inventory.echelon.upstream_first`): the order shipments
            are made in, so that goods arriving with lead time 0 can be shipped on.
        lead: ``(N,)`` lead time of each stage, periods (>= 0).
        customer: ``(C,)`` indices of the customer-facing stages.
        stage_params: ``(N, 4)`` per stage: holding cost, holding cost of goods in transit
            to the stage (its supplier's rate), fixed cost per order, order limit.
        backorder_cost: Cost per unit backordered per period.
        lost_sale_cost: Cost per unit of lost demand.
        lost_sales: Unmet customer demand is lost (True) or backordered (False).
        record: ``(K, B)`` output, rows as :func:`record_columns` names them.
        observation: ``(D, B)`` float32 output, the observation after the period.
    """
    n_stages, n_copies = on_hand.shape
    n_slots = pipeline.shape[1]
    n_customers, n_history = history.shape[0], history.shape[1]
    row_on_hand = 8
    row_backorders = row_on_hand + n_stages
    row_orders = row_backorders + n_stages
    row_demand = row_orders + n_stages
    record[:8] = 0.0
    # 1. arrivals
    if n_slots > 0:
        for i in range(n_stages):
            for b in range(n_copies):
                on_hand[i, b] += pipeline[i, 0, b]
            for k in range(n_slots - 1):
                for b in range(n_copies):
                    pipeline[i, k, b] = pipeline[i, k + 1, b]
            for b in range(n_copies):
                pipeline[i, n_slots - 1, b] = 0.0
    # 2. shipments, upstream first; a short supplier rations in proportion to requests
    placed = record[row_orders : row_orders + n_stages]
    for i in range(n_stages):
        limit = stage_params[i, 3]
        for b in range(n_copies):
            placed[i, b] = min(max(orders[b, i], 0.0), limit)
    requested = np.zeros((n_stages, n_copies))
    for i in range(n_stages):
        s = supplier[i]
        if s >= 0:
            for b in range(n_copies):
                requested[s, b] += owed[i, b] + placed[i, b]
    share = np.ones((n_stages, n_copies))  # set for each stage once its own goods are in
    for i in shipping_order:
        s = supplier[i]
        slot = lead[i] - 1
        for b in range(n_copies):
            request = owed[i, b] + placed[i, b]
            shipped = request
            if s >= 0:
                shipped = request * share[s, b]
                on_hand[s, b] = max(on_hand[s, b] - shipped, 0.0)
            owed[i, b] = request - shipped
            if slot >= 0:
                pipeline[i, slot, b] += shipped
            else:
                on_hand[i, b] += shipped
        for b in range(n_copies):
            if requested[i, b] > on_hand[i, b]:
                share[i, b] = on_hand[i, b] / requested[i, b]
    # 3. customer demand, backorders served first; rows 0-2: met, unmet, lost
    for c in range(n_customers):
        i = customer[c]
        for k in range(n_history - 1):
            for b in range(n_copies):
                history[c, k, b] = history[c, k + 1, b]
        for b in range(n_copies):
            d = max(demand[b, c], 0.0)
            record[row_demand + c, b] = d
            history[c, n_history - 1, b] = d
            served = min(backorders[i, b], on_hand[i, b])
            backorders[i, b] -= served
            on_hand[i, b] -= served
            now = min(d, on_hand[i, b])
            on_hand[i, b] -= now
            record[0, b] += now
            record[1, b] += d - now
            if lost_sales:
                record[2, b] += d - now
            else:
                backorders[i, b] += d - now
    # 4. costs on the end-of-period state; rows 3-7: holding, pipeline, shortage, ordering, total
    for i in range(n_stages):
        holding, transit, fixed = stage_params[i, 0], stage_params[i, 1], stage_params[i, 2]
        for b in range(n_copies):
            in_transit = 0.0
            for k in range(n_slots):
                in_transit += pipeline[i, k, b]
            record[3, b] += holding * on_hand[i, b]
            record[4, b] += transit * in_transit
            record[5, b] += backorder_cost * backorders[i, b]
            if placed[i, b] > 0.0:
                record[6, b] += fixed
            record[row_on_hand + i, b] = on_hand[i, b]
            record[row_backorders + i, b] = backorders[i, b]
    for b in range(n_copies):
        record[5, b] += lost_sale_cost * record[2, b]
        record[7, b] = record[3, b] + record[4, b] + record[5, b] + record[6, b]
    observe(on_hand, owed, backorders, pipeline, history, supplier, observation)


@njit(cache=True)
def observe(
    on_hand: np.ndarray,
    owed: np.ndarray,
    backorders: np.ndarray,
    pipeline: np.ndarray,
    history: np.ndarray,
    supplier: np.ndarray,
    out: np.ndarray,
) -> None:
    """Write every copy's flat observation to ``out`` ``(D, B)`` (see :func:`observation_layout`).

    State arrays are stage-major, as :func:`advance` takes them.
    """
    n_stages, n_copies = on_hand.shape
    n_slots = pipeline.shape[1]
    n_customers, n_history = history.shape[0], history.shape[1]
    for i in range(n_stages):
        for b in range(n_copies):
            out[i, b] = on_hand[i, b]
            out[n_stages + i, b] = backorders[i, b]
            out[2 * n_stages + i, b] = owed[i, b]
    for i in range(n_stages):
        s = supplier[i]
        if s >= 0:
            for b in range(n_copies):
                out[n_stages + s, b] += owed[i, b]
        for k in range(n_slots):
            row = 3 * n_stages + i * n_slots + k
            for b in range(n_copies):
                out[row, b] = pipeline[i, k, b]
    start = 3 * n_stages + n_stages * n_slots
    for c in range(n_customers):
        for k in range(n_history):
            for b in range(n_copies):
                out[start + c * n_history + k, b] = history[c, k, b]


def record_columns(config: InventoryConfig) -> dict[str, slice | int]:
    """Name -> column (or slice of columns) of the per-step record :func:`advance` writes."""
    n, c = config.num_stages, len(config.customer_stages)
    names = ("met_from_stock", "unmet", "lost", *(f"{p}_cost" for p in COST_PARTS), "total_cost")
    columns: dict[str, slice | int] = {name: k for k, name in enumerate(names)}
    start = len(names)
    for name, width in (("on_hand", n), ("backorders", n), ("orders", n), ("customer_demand", c)):
        columns[name] = slice(start, start + width)
        start += width
    return columns


def mean_flow(config: InventoryConfig, customer_means: np.ndarray) -> np.ndarray:
    """Mean units per period flowing through each stage: the demand of the customers it serves."""
    flow = np.zeros(config.num_stages)
    for customer, mean in zip(config.customer_stages, customer_means, strict=True):
        for stage in config.supply_path(customer):
            flow[stage] += mean
    return flow


def observation_layout(config: InventoryConfig) -> dict[str, tuple[slice, tuple[int, ...]]]:
    """Name -> (slice of the flat observation, shape of the block), in observation order."""
    n = config.num_stages
    blocks = {
        "on_hand": (n,),
        "backorders": (n,),
        "owed": (n,),
        "pipeline": (n, max(config.lead_times)),
        "demand_history": (len(config.customer_stages), config.demand_history),
    }
    layout, start = {}, 0
    for name, shape in blocks.items():
        size = int(np.prod(shape))
        layout[name] = (slice(start, start + size), shape)
        start += size
    return layout


class InventorySystem:
    """``B`` copies of one inventory system: state arrays, reset, step and observation.

    Args:
        config: The system's parameters.
        num_copies: ``B``, the number of independent copies.
    """

    def __init__(self, config: InventoryConfig, num_copies: int) -> None:
        self.config = config
        self.num_copies = num_copies
        n, customers = config.num_stages, config.customer_stages
        self.supplier = np.asarray(config.suppliers, dtype=np.int64)
        self.shipping_order = np.asarray(upstream_first(config), dtype=np.int64)
        self.lead = np.asarray(config.lead_times, dtype=np.int64)
        self.customer = np.asarray(customers, dtype=np.int64)
        holding = np.asarray(config.local_holding_costs, dtype=np.float64)
        self.order_limits = np.asarray(config.order_limits, dtype=np.float64)
        self.stage_params = np.stack(
            (
                holding,
                np.where(self.supplier >= 0, holding[self.supplier], 0.0),
                np.asarray(config.fixed_order_costs, dtype=np.float64),
                self.order_limits,
            ),
            axis=1,
        )
        self.level_size = self.order_limits / (config.order_levels - 1)
        self._members = echelon_members(config)
        self._supplied_by = supplied_by(config)
        self.columns = record_columns(config)
        self.record_width = self.columns["customer_demand"].stop
        self.demand_model = DemandModel(config)
        self.layout = observation_layout(config)
        self.observation_size = self.layout["demand_history"][0].stop
        flow = mean_flow(config, self.demand_model.long_run_mean())
        self.initial_on_hand = (
            np.asarray(config.initial_inventory, dtype=np.float64)
            if config.initial_inventory is not None
            else 2.0 * flow
        )
        self.initial_pipeline = np.zeros((n, max(config.lead_times)))
        for i, lead in enumerate(config.lead_times):
            self.initial_pipeline[i, :lead] = flow[i]
        # The kernels work on stage-major buffers (copies last); the attributes below are
        # copy-major views of them, (B, ...), which is how everything else reads the state.
        self._on_hand = np.zeros((n, num_copies))
        self._owed = np.zeros((n, num_copies))
        self._backorders = np.zeros((n, num_copies))
        self._pipeline = np.zeros((*self.initial_pipeline.shape, num_copies))
        self._history = np.zeros((len(customers), config.demand_history, num_copies))
        self.on_hand = self._on_hand.T
        self.owed = self._owed.T
        self.backorders = self._backorders.T
        self.pipeline = self._pipeline.transpose(2, 0, 1)
        self.history = self._history.transpose(2, 0, 1)
        self.t = np.zeros(num_copies, dtype=np.int64)

    def reset(self, mask: np.ndarray | None = None) -> None:
        """Put the copies selected by ``mask`` (all if ``None``) in the starting state."""
        index = slice(None) if mask is None else mask
        self.on_hand[index] = self.initial_on_hand
        self.owed[index] = 0.0
        self.backorders[index] = 0.0
        self.pipeline[index] = self.initial_pipeline
        self.t[index] = 0
        self.history[index] = self.demand_model.expected(self.t)[index][..., None]

    def orders_from_action(self, action: np.ndarray) -> np.ndarray:
        """Requested order quantities ``(B, N)`` from a batch of actions of the configured type.

        ``base_stock`` actions are echelon order-up-to levels: a stage orders the gap
        between its level and its echelon inventory position (never less than 0).
        Quantities outside [0, order_limits] are clipped by :func:`advance`.

        Raises:
            ActionError: If the batch is not ``(B, N)``: the kernel indexes it by copy and
                stage, and would read past a smaller array.
        """
        action = np.asarray(action, dtype=np.float64)
        expected = (self.num_copies, self.config.num_stages)
        if action.shape != expected:
            per_copy = "one action" if self.num_copies == 1 else f"{self.num_copies} actions"
            raise ActionError(
                f"Inventory actions have shape {action.shape[1:] or action.shape}, but this "
                f"chain has {expected[1]} stages: give {per_copy} of {expected[1]} values "
                "(one per stage, in the order of the config's stages)."
            )
        if self.config.action_type == "discrete":
            return action * self.level_size
        if self.config.action_type == "base_stock":
            return np.maximum(action - self.echelon_position(), 0.0)
        return action

    def echelon_position(self) -> np.ndarray:
        """Echelon inventory position ``(B, N)`` of every stage of every copy."""
        return echelon_position(
            self.on_hand,
            self.pipeline.sum(axis=-1),
            self.owed,
            self.backorders,
            self._members,
            self._supplied_by,
        )

    def step(self, orders: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """Advance all copies one period with the given order quantities ``(B, N)``.

        Returns:
            New arrays: the observations ``(B, D)`` after the period, and the period's
            record ``(B, K)``, columns as :attr:`columns` names them (both are transposed
            views of copy-last buffers).
        """
        demand = self.demand_model.sample(rng, self.t)
        record = np.empty((self.record_width, self.num_copies))
        observation = np.empty((self.observation_size, self.num_copies), dtype=np.float32)
        advance(
            self._on_hand,
            self._owed,
            self._backorders,
            self._pipeline,
            self._history,
            np.asarray(orders, dtype=np.float64),
            demand,
            self.supplier,
            self.shipping_order,
            self.lead,
            self.customer,
            self.stage_params,
            float(self.config.backorder_cost),
            float(self.config.lost_sale_cost),
            self.config.lost_sales,
            record,
            observation,
        )
        self.t += 1
        return observation.T, record.T

    def observe(self) -> np.ndarray:
        """New flat float32 observations ``(B, D)``, laid out as :attr:`layout` says."""
        out = np.empty((self.observation_size, self.num_copies), dtype=np.float32)
        observe(
            self._on_hand,
            self._owed,
            self._backorders,
            self._pipeline,
            self._history,
            self.supplier,
            out,
        )
        return out.T
