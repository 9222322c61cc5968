"""The inventory system's dynamics, shared by the single and the vectorized environment.

:class:`InventorySystem` holds the state of ``B`` independent copies as arrays and
advances all of them with :func:`advance`, one compiled pure function. The single env
is ``B = 1`` of the same code, so single and vector envs cannot drift apart.

One period, for each copy, in this order:

1. Shipments due this period arrive and join the stage's on-hand stock.
2. Each stage's request (its new order plus what its supplier still owes it) is shipped
   from the supplier's on-hand stock; a supplier short of stock rations it in proportion
   to the requests, and the rest stays owed. The external supplier ships everything.
   Shipped goods arrive ``lead_times[i]`` periods later.
3. Customer demand arrives at customer-facing stages and is met from stock, backorders
   first; the rest is backordered or, with ``lost_sales``, lost.
4. Costs are charged on the end-of-period state.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from fieldgym.envs.inventory.config import InventoryConfig
from fieldgym.envs.inventory.demand import DemandModel

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

    Args:
        on_hand: ``(B, N)`` units on hand per stage.
        owed: ``(B, N)`` units a stage ordered that its supplier has not shipped yet.
        backorders: ``(B, N)`` customer demand backordered at each stage.
        pipeline: ``(B, N, L)`` units in transit to each stage; slot ``k`` arrives in
            ``k + 1`` periods.
        history: ``(B, C, H)`` past customer demand, oldest first; shifted by one period.
        orders: ``(B, N)`` requested order quantities, clipped here to [0, order limit].
        demand: ``(B, C)`` customer demand at each customer-facing stage; negative draws
            count as zero.
        supplier: ``(N,)`` supplier index of each stage, ``-1`` for the external supplier.
        lead: ``(N,)`` lead time of each stage, periods (>= 1).
        customer: ``(C,)`` indices of the customer-facing stages.
        stage_params: ``(N, 4)`` per stage: holding cost, holding cost of goods in transit
            to the stage (its supplier's rate), fixed cost per order, order limit.
        backorder_cost: Cost per unit backordered per period.
        lost_sale_cost: Cost per unit of lost demand.
        lost_sales: Unmet customer demand is lost (True) or backordered (False).
        record: ``(B, K)`` output, columns as :func:`record_columns` names them.
        observation: ``(B, D)`` float32 output, the observation after the period.
    """
    n_copies, n_stages = on_hand.shape
    n_slots = pipeline.shape[2]
    n_customers, n_history = history.shape[1], history.shape[2]
    requested = np.zeros(n_stages)
    share = np.ones(n_stages)
    col_on_hand = 8
    col_backorders = col_on_hand + n_stages
    col_orders = col_backorders + n_stages
    col_demand = col_orders + n_stages
    for b in range(n_copies):
        # 1. arrivals
        for i in range(n_stages):
            on_hand[b, i] += pipeline[b, i, 0]
            for k in range(n_slots - 1):
                pipeline[b, i, k] = pipeline[b, i, k + 1]
            pipeline[b, i, n_slots - 1] = 0.0
        # 2. shipments, rationed in proportion to requests when a supplier is short
        for i in range(n_stages):
            order = min(max(orders[b, i], 0.0), stage_params[i, 3])
            record[b, col_orders + i] = order
            requested[i] = 0.0
        for i in range(n_stages):
            if supplier[i] >= 0:
                requested[supplier[i]] += owed[b, i] + record[b, col_orders + i]
        for s in range(n_stages):
            share[s] = 1.0
            if requested[s] > on_hand[b, s]:
                share[s] = on_hand[b, s] / requested[s]
        for i in range(n_stages):
            request = owed[b, i] + record[b, col_orders + i]
            s = supplier[i]
            shipped = request
            if s >= 0:
                shipped = request * share[s]
                on_hand[b, s] = max(on_hand[b, s] - shipped, 0.0)
            owed[b, i] = request - shipped
            pipeline[b, i, lead[i] - 1] += shipped
        # 3. customer demand, backorders served first
        met = 0.0
        unmet = 0.0
        lost = 0.0
        for c in range(n_customers):
            i = customer[c]
            d = max(demand[b, c], 0.0)
            record[b, col_demand + c] = d
            for k in range(n_history - 1):
                history[b, c, k] = history[b, c, k + 1]
            history[b, c, n_history - 1] = d
            served = min(backorders[b, i], on_hand[b, i])
            backorders[b, i] -= served
            on_hand[b, i] -= served
            now = min(d, on_hand[b, i])
            on_hand[b, i] -= now
            met += now
            unmet += d - now
            if lost_sales:
                lost += d - now
            else:
                backorders[b, i] += d - now
        # 4. costs on the end-of-period state
        holding = 0.0
        transit = 0.0
        ordering = 0.0
        backordered = 0.0
        for i in range(n_stages):
            holding += stage_params[i, 0] * on_hand[b, i]
            in_transit = 0.0
            for k in range(n_slots):
                in_transit += pipeline[b, i, k]
            transit += stage_params[i, 1] * in_transit
            if record[b, col_orders + i] > 0.0:
                ordering += stage_params[i, 2]
            backordered += backorders[b, i]
            record[b, col_on_hand + i] = on_hand[b, i]
            record[b, col_backorders + i] = backorders[b, i]
        shortage = backorder_cost * backordered + lost_sale_cost * lost
        record[b, 0] = met
        record[b, 1] = unmet
        record[b, 2] = lost
        record[b, 3] = holding
        record[b, 4] = transit
        record[b, 5] = shortage
        record[b, 6] = ordering
        record[b, 7] = holding + transit + shortage + ordering
        write_observation(b, on_hand, owed, backorders, pipeline, history, supplier, observation)


@njit(cache=True)
def write_observation(
    b: int,
    on_hand: np.ndarray,
    owed: np.ndarray,
    backorders: np.ndarray,
    pipeline: np.ndarray,
    history: np.ndarray,
    supplier: np.ndarray,
    out: np.ndarray,
) -> None:
    """Write copy ``b``'s flat observation to ``out[b]`` (layout: :func:`observation_layout`)."""
    n_stages = on_hand.shape[1]
    n_slots = pipeline.shape[2]
    n_customers, n_history = history.shape[1], history.shape[2]
    for i in range(n_stages):
        out[b, i] = on_hand[b, i]
        out[b, n_stages + i] = backorders[b, i]
        out[b, 2 * n_stages + i] = owed[b, i]
    for i in range(n_stages):
        if supplier[i] >= 0:
            out[b, n_stages + supplier[i]] += owed[b, i]
        for k in range(n_slots):
            out[b, 3 * n_stages + i * n_slots + k] = pipeline[b, i, k]
    start = 3 * n_stages + n_stages * n_slots
    for c in range(n_customers):
        for k in range(n_history):
            out[b, start + c * n_history + k] = history[b, c, k]


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
    """Write every copy's flat observation to ``out`` ``(B, D)``."""
    for b in range(on_hand.shape[0]):
        write_observation(b, on_hand, owed, backorders, pipeline, history, supplier, out)


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
    suppliers = config.suppliers
    for stage, mean in zip(config.customer_stages, customer_means, strict=True):
        while stage >= 0:
            flow[stage] += mean
            stage = suppliers[stage]
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
        self.lead = np.asarray(config.lead_times, dtype=np.int64)
        self.customer = np.asarray(customers, dtype=np.int64)
        holding = np.asarray(config.holding_costs, dtype=np.float64)
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
        shape = (num_copies, n)
        self.on_hand = np.zeros(shape)
        self.owed = np.zeros(shape)
        self.backorders = np.zeros(shape)
        self.pipeline = np.zeros((num_copies, *self.initial_pipeline.shape))
        self.history = np.zeros((num_copies, len(customers), config.demand_history))
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

        Quantities outside [0, order_limits] are clipped by :func:`advance`.
        """
        if self.config.action_type == "discrete":
            return np.asarray(action, dtype=np.float64) * self.level_size
        return np.asarray(action, dtype=np.float64)

    def step(self, orders: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """Advance all copies one period with the given order quantities ``(B, N)``.

        Returns:
            New arrays: the observations ``(B, D)`` after the period, and the period's
            record ``(B, K)``, columns as :attr:`columns` names them.
        """
        demand = self.demand_model.sample(rng, self.t)
        record = np.empty((self.num_copies, self.record_width))
        observation = np.empty((self.num_copies, self.observation_size), dtype=np.float32)
        advance(
            self.on_hand,
            self.owed,
            self.backorders,
            self.pipeline,
            self.history,
            orders,
            demand,
            self.supplier,
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
        return observation, record

    def observe(self) -> np.ndarray:
        """New flat float32 observations ``(B, D)``, laid out as :attr:`layout` says."""
        out = np.empty((self.num_copies, self.observation_size), dtype=np.float32)
        observe(
            self.on_hand,
            self.owed,
            self.backorders,
            self.pipeline,
            self.history,
            self.supplier,
            out,
        )
        return out
