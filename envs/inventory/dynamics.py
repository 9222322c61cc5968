"""The inventory system's dynamics, shared by the single and the vectorized environment.

:class:`InventorySystem` holds the state of ``B`` independent copies
(:class:`~fieldgym.envs.inventory.state.InventoryState`) and advances all of them with
:func:`advance`, one compiled function. The single env is ``B = 1`` of the same code, so
single and vector envs cannot drift apart.

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
from fieldgym.envs.inventory.echelon import echelon_members, echelon_position, supplied_by
from fieldgym.envs.inventory.state import (
    InventoryParams,
    InventoryState,
    ObservationRows,
    RecordRows,
    empty_state,
    inventory_params,
    observation_layout,
    observation_rows,
    record_columns,
    record_rows,
)


@njit(cache=True, error_model="numpy")
def advance(
    state: InventoryState,
    params: InventoryParams,
    rows: RecordRows,
    observation_rows: ObservationRows,
    orders: np.ndarray,
    demand: np.ndarray,
    record: np.ndarray,
    observation: np.ndarray,
) -> None:
    """Advance every copy by one period, in place; write what happened and the new observation.

    Args:
        state: The copies' state (copies on the last axis), advanced in place.
        params: The system's parameters.
        rows: Where each quantity of ``record`` goes.
        observation_rows: Where each block of ``observation`` goes.
        orders: ``(B, N)`` requested order quantities, clipped here to [0, order limit].
        demand: ``(B, C)`` customer demand at each customer-facing stage; negative draws
            count as zero.
        record: ``(K, B)`` output, rows as ``rows`` says.
        observation: ``(D, B)`` float32 output, the observation after the period.
    """
    on_hand, owed, backorders = state.on_hand, state.owed, state.backorders
    pipeline, history, supplier = state.pipeline, state.history, params.supplier
    n_stages, n_copies = on_hand.shape
    n_slots = pipeline.shape[1]
    n_customers, n_history = history.shape[0], history.shape[1]
    for row in (
        rows.met_from_stock,
        rows.unmet,
        rows.lost,
        rows.holding_cost,
        rows.pipeline_cost,
        rows.shortage_cost,
        rows.ordering_cost,
    ):
        record[row] = 0.0
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
    placed = record[rows.orders : rows.orders + n_stages]
    for i in range(n_stages):
        limit = params.order_limit[i]
        for b in range(n_copies):
            placed[i, b] = min(max(orders[b, i], 0.0), limit)
    requested = np.zeros((n_stages, n_copies))
    for i in range(n_stages):
        s = supplier[i]
        if s >= 0:
            for b in range(n_copies):
                requested[s, b] += owed[i, b] + placed[i, b]
    share = np.ones((n_stages, n_copies))  # set for each stage once its own goods are in
    for i in params.shipping_order:
        s = supplier[i]
        slot = params.lead[i] - 1
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
    # 3. customer demand, backorders served first
    for c in range(n_customers):
        i = params.customer[c]
        for k in range(n_history - 1):
            for b in range(n_copies):
                history[c, k, b] = history[c, k + 1, b]
        for b in range(n_copies):
            d = max(demand[b, c], 0.0)
            record[rows.customer_demand + c, b] = d
            history[c, n_history - 1, b] = d
            served = min(backorders[i, b], on_hand[i, b])
            backorders[i, b] -= served
            on_hand[i, b] -= served
            now = min(d, on_hand[i, b])
            on_hand[i, b] -= now
            record[rows.met_from_stock, b] += now
            record[rows.unmet, b] += d - now
            if params.lost_sales:
                record[rows.lost, b] += d - now
            else:
                backorders[i, b] += d - now
    # 4. costs on the end-of-period state
    for i in range(n_stages):
        holding, transit = params.holding_cost[i], params.transit_cost[i]
        fixed = params.fixed_order_cost[i]
        for b in range(n_copies):
            in_transit = 0.0
            for k in range(n_slots):
                in_transit += pipeline[i, k, b]
            record[rows.holding_cost, b] += holding * on_hand[i, b]
            record[rows.pipeline_cost, b] += transit * in_transit
            record[rows.shortage_cost, b] += params.backorder_cost * backorders[i, b]
            if placed[i, b] > 0.0:
                record[rows.ordering_cost, b] += fixed
            record[rows.on_hand + i, b] = on_hand[i, b]
            record[rows.backorders + i, b] = backorders[i, b]
    for b in range(n_copies):
        record[rows.shortage_cost, b] += params.lost_sale_cost * record[rows.lost, b]
        record[rows.total_cost, b] = (
            record[rows.holding_cost, b]
            + record[rows.pipeline_cost, b]
            + record[rows.shortage_cost, b]
            + record[rows.ordering_cost, b]
        )
    for b in range(n_copies):
        state.t[b] += 1
    observe(state, params, observation_rows, observation)


@njit(cache=True)
def observe(
    state: InventoryState, params: InventoryParams, rows: ObservationRows, out: np.ndarray
) -> None:
    """Write every copy's flat observation to ``out`` ``(D, B)``, blocks at ``rows``.

    The ``backorders`` block counts what a stage owes the stages it supplies as well as
    its customers.
    """
    on_hand, owed, backorders = state.on_hand, state.owed, state.backorders
    pipeline, history = state.pipeline, state.history
    n_stages, n_copies = on_hand.shape
    n_slots = pipeline.shape[1]
    n_customers, n_history = history.shape[0], history.shape[1]
    for i in range(n_stages):
        for b in range(n_copies):
            out[rows.on_hand + i, b] = on_hand[i, b]
            out[rows.backorders + i, b] = backorders[i, b]
            out[rows.owed + i, b] = owed[i, b]
    for i in range(n_stages):
        s = params.supplier[i]
        if s >= 0:
            for b in range(n_copies):
                out[rows.backorders + s, b] += owed[i, b]
        for k in range(n_slots):
            row = rows.pipeline + i * n_slots + k
            for b in range(n_copies):
                out[row, b] = pipeline[i, k, b]
    for c in range(n_customers):
        for k in range(n_history):
            for b in range(n_copies):
                out[rows.demand_history + c * n_history + k, b] = history[c, k, b]


@njit(cache=True)
def advance_tuples(
    state: tuple,
    params: tuple,
    rows: tuple,
    observation_rows: tuple,
    orders: np.ndarray,
    demand: np.ndarray,
    record: np.ndarray,
    observation: np.ndarray,
) -> None:
    """:func:`advance`, its NamedTuple arguments given as plain tuples of their fields.

    numba types a plain tuple argument in compiled code, but a NamedTuple in Python, at
    some 10 µs a call, as long as a whole step of 64 copies: :class:`InventorySystem`
    calls the kernels through this function and :func:`observe_tuples`.
    """
    advance(
        InventoryState(*state),
        InventoryParams(*params),
        RecordRows(*rows),
        ObservationRows(*observation_rows),
        orders,
        demand,
        record,
        observation,
    )


@njit(cache=True)
def observe_tuples(state: tuple, params: tuple, rows: tuple, out: np.ndarray) -> None:
    """:func:`observe`, its NamedTuple arguments as plain tuples (see :func:`advance_tuples`)."""
    observe(InventoryState(*state), InventoryParams(*params), ObservationRows(*rows), out)


def mean_flow(config: InventoryConfig, customer_means: np.ndarray) -> np.ndarray:
    """Mean units per period flowing through each stage: the demand of the customers it serves."""
    flow = np.zeros(config.num_stages)
    for customer, mean in zip(config.customer_stages, customer_means, strict=True):
        for stage in config.supply_path(customer):
            flow[stage] += mean
    return flow


class InventorySystem:
    """``B`` copies of one inventory system: state arrays, reset, step and observation.

    Args:
        config: The system's parameters.
        num_copies: ``B``, the number of independent copies.
    """

    def __init__(self, config: InventoryConfig, num_copies: int) -> None:
        self.config = config
        self.num_copies = num_copies
        self.params = inventory_params(config)
        self.level_size = self.params.order_limit / (config.order_levels - 1)
        self._members = echelon_members(config)
        self._supplied_by = supplied_by(config)
        self.columns = record_columns(config)
        self.record_rows = record_rows(self.columns)
        self.record_width = sum(
            1 if isinstance(c, int) else c.stop - c.start for c in self.columns.values()
        )
        self.demand_model = DemandModel(config)
        self.layout = observation_layout(config)
        self.observation_rows = observation_rows(self.layout)
        self.observation_size = sum(int(np.prod(shape)) for _, shape in self.layout.values())
        flow = mean_flow(config, self.demand_model.long_run_mean())
        self.initial_on_hand = (
            np.asarray(config.initial_inventory, dtype=np.float64)
            if config.initial_inventory is not None
            else 2.0 * flow
        )
        self.initial_pipeline = np.zeros((config.num_stages, max(config.lead_times)))
        for i, lead in enumerate(config.lead_times):
            self.initial_pipeline[i, :lead] = flow[i]
        # The kernels work on the stage-major arrays of the state (copies last); the
        # attributes below are copy-major views of them, (B, ...), which is how everything
        # else reads the state.
        self.state = empty_state(config, num_copies)
        self.on_hand = self.state.on_hand.T
        self.owed = self.state.owed.T
        self.backorders = self.state.backorders.T
        self.pipeline = self.state.pipeline.transpose(2, 0, 1)
        self.history = self.state.history.transpose(2, 0, 1)
        self.t = self.state.t
        # The kernels' arguments as plain tuples (see advance_tuples); the state's arrays
        # are changed in place, never replaced, so the tuples stay valid.
        self._plain_state = tuple(self.state)
        self._plain_params = tuple(self.params)
        self._plain_record_rows = tuple(self.record_rows)
        self._plain_observation_rows = tuple(self.observation_rows)

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
        advance_tuples(
            self._plain_state,
            self._plain_params,
            self._plain_record_rows,
            self._plain_observation_rows,
            np.asarray(orders, dtype=np.float64),
            demand,
            record,
            observation,
        )
        return observation.T, record.T

    def observe(self) -> np.ndarray:
        """New flat float32 observations ``(B, D)``, laid out as :attr:`layout` says."""
        out = np.empty((self.observation_size, self.num_copies), dtype=np.float32)
        observe_tuples(self._plain_state, self._plain_params, self._plain_observation_rows, out)
        return out.T
