"""Echelons of an inventory network: who belongs to whose echelon, and echelon positions.

The echelon of a stage is the stage and every stage it supplies, directly or indirectly
(the warehouse's echelon is the whole distribution network; a serial chain's factory
echelon is the whole chain). The echelon inventory position is what echelon base-stock
policies order up to; the environment's ``action_type="base_stock"`` and the classical
policies compute it with the same function.
"""

from __future__ import annotations

import numpy as np

from fieldgym.envs.inventory.config import InventoryConfig


def echelon_members(config: InventoryConfig) -> np.ndarray:
    """``M[i, j] = 1`` if stage ``j`` is in stage ``i``'s echelon (``i`` and all it supplies)."""
    n = config.num_stages
    members = np.zeros((n, n))
    for j in range(n):
        members[list(config.supply_path(j)), j] = 1.0
    return members


def upstream_first(config: InventoryConfig) -> tuple[int, ...]:
    """The stages ordered so that every stage comes after its supplier (ties by index).

    Serial chain: ``N-1, ..., 0``; distribution network: the warehouse, then the retailers.
    """
    return tuple(sorted(range(config.num_stages), key=lambda i: len(config.supply_path(i))))


def supplied_by(config: InventoryConfig) -> np.ndarray:
    """``K[i, j] = 1`` if stage ``i`` is stage ``j``'s direct supplier."""
    n = config.num_stages
    matrix = np.zeros((n, n))
    for j, supplier in enumerate(config.suppliers):
        if supplier >= 0:
            matrix[supplier, j] = 1.0
    return matrix


def echelon_position(
    on_hand: np.ndarray,
    in_transit: np.ndarray,
    owed: np.ndarray,
    backorders: np.ndarray,
    members: np.ndarray,
    supplier_matrix: np.ndarray,
) -> np.ndarray:
    """Echelon inventory position ``(B, N)`` of every stage.

    Stock on hand and in transit at the stage and every stage it supplies, plus what its
    supplier owes it, minus the echelon's customer backorders (a stage's backorders less
    what it owes the stages it supplies).

    Args:
        on_hand: ``(B, N)`` units on hand at each stage.
        in_transit: ``(B, N)`` units in the pipeline to each stage.
        owed: ``(B, N)`` units each stage's supplier owes it.
        backorders: ``(B, N)`` units each stage owes downstream (stages and customers).
        members: :func:`echelon_members`.
        supplier_matrix: :func:`supplied_by`.
    """
    customer_backorders = np.maximum(backorders - owed @ supplier_matrix.T, 0.0)
    local = on_hand + in_transit - customer_backorders
    return local @ members.T + owed


def level_limits(config: InventoryConfig) -> np.ndarray:
    """Upper bounds of the echelon order-up-to levels of ``action_type="base_stock"``.

    Each echelon member can hold up to its order limit for each period of its lead time
    and one more, so the level of stage ``i`` is at most the sum of
    ``order_limits[j] * (lead_times[j] + 1)`` over its echelon.
    """
    per_stage = np.asarray(config.order_limits, float) * (np.asarray(config.lead_times) + 1)
    return echelon_members(config) @ per_stage
