"""What the inventory kernels read and write: state, parameters, and the rows of their outputs.

The compiled kernels of :mod:`fieldgym.envs.inventory.dynamics` take
:class:`InventoryState` and :class:`InventoryParams`, and write the per-step record and
the observation at the rows :class:`RecordRows` and :class:`ObservationRows` give. The
fields of those two are the one table of each output's names, in order;
:func:`record_columns` and :func:`observation_layout` add each part's width and name the
outputs' parts for the environments, and the rows are derived from them.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from fieldgym.envs.inventory.config import REWARD_PARTS, InventoryConfig
from fieldgym.envs.inventory.echelon import upstream_first

COST_PARTS = REWARD_PARTS
"""The cost parts of the record (``<part>_cost``): the reward parts, each a cost."""


class InventoryState(NamedTuple):
    """The state of ``B`` copies, changed in place by the kernels.

    Arrays are stage-major with the copies on the last axis, so that every inner loop of
    the kernels runs over copies and compiles to vector instructions.

    Attributes:
        on_hand: ``(N, B)`` units on hand per stage.
        owed: ``(N, B)`` units a stage ordered that its supplier has not shipped yet.
        backorders: ``(N, B)`` demand a stage owes downstream, backordered.
        pipeline: ``(N, L, B)`` units in transit to each stage; slot ``k`` arrives in
            ``k + 1`` periods. ``L`` is the longest lead time, and may be 0.
        history: ``(C, H, B)`` past customer demand, oldest first.
        t: ``(B,)`` int64 periods since each copy's reset.
    """

    on_hand: np.ndarray
    owed: np.ndarray
    backorders: np.ndarray
    pipeline: np.ndarray
    history: np.ndarray
    t: np.ndarray


def empty_state(config: InventoryConfig, num_copies: int) -> InventoryState:
    """A zero :class:`InventoryState` of ``num_copies`` copies of the configured system."""
    n, b = config.num_stages, num_copies
    return InventoryState(
        on_hand=np.zeros((n, b)),
        owed=np.zeros((n, b)),
        backorders=np.zeros((n, b)),
        pipeline=np.zeros((n, max(config.lead_times), b)),
        history=np.zeros((len(config.customer_stages), config.demand_history, b)),
        t=np.zeros(b, dtype=np.int64),
    )


class RecordRows(NamedTuple):
    """First row of each quantity in the per-step record ``(K, B)``, in row order.

    Its fields are the record's names; :func:`record_columns` gives their widths. The
    cost parts are consecutive, in :data:`COST_PARTS` order, so that the reward reads them
    as one block.
    """

    met_from_stock: int
    unmet: int
    lost: int
    holding_cost: int
    pipeline_cost: int
    shortage_cost: int
    ordering_cost: int
    total_cost: int
    on_hand: int
    backorders: int
    orders: int
    customer_demand: int


class ObservationRows(NamedTuple):
    """First row of each block of the flat observation ``(D, B)``, in observation order.

    Its fields are the blocks' names; :func:`observation_layout` gives their shapes, each
    block laid out row-major.
    """

    on_hand: int
    backorders: int
    owed: int
    pipeline: int
    demand_history: int


class InventoryParams(NamedTuple):
    """The fixed parameters of the system, shared by all copies.

    Attributes:
        supplier: ``(N,)`` supplier index of each stage, ``-1`` for the external supplier.
        shipping_order: ``(N,)`` the stages, each after its supplier
            (:func:`~fieldgym.envs.inventory.echelon.upstream_first`): the order shipments
            are made in, so that goods arriving with lead time 0 can be shipped on.
        lead: ``(N,)`` lead time of each stage, periods (>= 0).
        customer: ``(C,)`` indices of the customer-facing stages.
        holding_cost: ``(N,)`` cost per unit on hand per period (the local rate).
        transit_cost: ``(N,)`` cost per unit in transit to the stage per period (its
            supplier's local rate; 0 for the external supplier).
        fixed_order_cost: ``(N,)`` cost per order placed.
        order_limit: ``(N,)`` largest order per period.
        backorder_cost: Cost per unit backordered per period.
        lost_sale_cost: Cost per unit of lost demand.
        lost_sales: Unmet customer demand is lost (True) or backordered (False).
    """

    supplier: np.ndarray
    shipping_order: np.ndarray
    lead: np.ndarray
    customer: np.ndarray
    holding_cost: np.ndarray
    transit_cost: np.ndarray
    fixed_order_cost: np.ndarray
    order_limit: np.ndarray
    backorder_cost: float
    lost_sale_cost: float
    lost_sales: bool


def record_columns(config: InventoryConfig) -> dict[str, slice | int]:
    """Name -> column (or slice of columns) of the per-step record, in :class:`RecordRows` order.

    ``on_hand``, ``backorders`` and ``orders`` have one column per stage,
    ``customer_demand`` one per customer-facing stage, the rest one per copy.
    """
    n = config.num_stages
    widths = {"on_hand": n, "backorders": n, "orders": n}
    widths["customer_demand"] = len(config.customer_stages)
    columns: dict[str, slice | int] = {}
    start = 0
    for name in RecordRows._fields:
        if name in widths:
            columns[name] = slice(start, start + widths[name])
            start += widths[name]
        else:
            columns[name] = start
            start += 1
    return columns


def observation_layout(config: InventoryConfig) -> dict[str, tuple[slice, tuple[int, ...]]]:
    """Name -> (slice of the flat observation, shape of the block), in observation order."""
    n = config.num_stages
    shapes = {
        "on_hand": (n,),
        "backorders": (n,),
        "owed": (n,),
        "pipeline": (n, max(config.lead_times)),
        "demand_history": (len(config.customer_stages), config.demand_history),
    }
    layout, start = {}, 0
    for name in ObservationRows._fields:
        size = int(np.prod(shapes[name]))
        layout[name] = (slice(start, start + size), shapes[name])
        start += size
    return layout


def record_rows(columns: dict[str, slice | int]) -> RecordRows:
    """The first row of each quantity of a record with these :func:`record_columns`."""
    return RecordRows(**{n: c.start if isinstance(c, slice) else c for n, c in columns.items()})


def observation_rows(layout: dict[str, tuple[slice, tuple[int, ...]]]) -> ObservationRows:
    """The first row of each block of an observation with this :func:`observation_layout`."""
    return ObservationRows(**{name: where.start for name, (where, _) in layout.items()})


def inventory_params(config: InventoryConfig) -> InventoryParams:
    """The kernels' parameters of the configured system."""
    supplier = np.asarray(config.suppliers, dtype=np.int64)
    holding = np.asarray(config.local_holding_costs, dtype=np.float64)
    return InventoryParams(
        supplier=supplier,
        shipping_order=np.asarray(upstream_first(config), dtype=np.int64),
        lead=np.asarray(config.lead_times, dtype=np.int64),
        customer=np.asarray(config.customer_stages, dtype=np.int64),
        holding_cost=holding,
        transit_cost=np.where(supplier >= 0, holding[supplier], 0.0),
        fixed_order_cost=np.asarray(config.fixed_order_costs, dtype=np.float64),
        order_limit=np.asarray(config.order_limits, dtype=np.float64),
        backorder_cost=float(config.backorder_cost),
        lost_sale_cost=float(config.lost_sale_cost),
        lost_sales=bool(config.lost_sales),
    )
