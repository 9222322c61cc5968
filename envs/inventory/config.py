"""Configuration and named presets of the multi-echelon inventory environment."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from fieldgym.envs.core.config import (
    EnvConfig,
    check_choice,
    check_number,
    check_sequence,
    check_weights,
    doc,
)
from fieldgym.envs.core.errors import ConfigError

NETWORKS = ("serial", "distribution")
DEMANDS = ("poisson", "normal", "seasonal", "series")
ACTION_TYPES = ("box", "discrete", "base_stock")
HOLDING_COST_BASES = ("local", "echelon")
REWARD_PARTS = ("holding", "pipeline", "shortage", "ordering")
"""The reward parts: minus each cost of the period (the record's ``<part>_cost`` columns)."""


@dataclasses.dataclass(frozen=True)
class InventoryConfig(EnvConfig):
    """Parameters of a multi-echelon inventory system (units, periods and money).

    Stage 0 is the customer-facing retailer of a serial chain (stage ``i`` is supplied by
    stage ``i + 1``; the last stage by an unlimited external supplier). In a distribution
    network, stage 0 is the warehouse (supplied externally) and stages ``1..N-1`` are
    retailers it supplies, each facing its own customers.
    """

    network: str = dataclasses.field(
        default="serial", metadata=doc("'serial' chain or 'distribution' (one warehouse)")
    )
    num_stages: int = dataclasses.field(
        default=4,
        metadata=doc("number of stages, warehouse included (>= 1; >= 2 for distribution)"),
    )
    lead_times: tuple[int, ...] = dataclasses.field(
        default=(2, 2, 2, 2),
        metadata=doc(
            "periods from a stage's supplier shipping to the goods arriving, per stage (>= 0; "
            "0: they arrive in the period they ship, before customer demand, and can be "
            "shipped on in that period). Stage 0 of a serial chain orders before seeing the "
            "period's demand, so its protection interval is lead_times[0] + 1: a textbook "
            "serial system with lead times L_1..L_N is entered as (L_1 - 1, L_2, ..., L_N); "
            "see the event order in fieldgym.envs.inventory.dynamics"
        ),
    )
    order_limits: tuple[float, ...] = dataclasses.field(
        default=(40.0, 40.0, 40.0, 40.0),
        metadata=doc("largest order a stage may place in one period, units (the action's bound)"),
    )
    holding_costs: tuple[float, ...] = dataclasses.field(
        default=(2.0, 1.5, 1.0, 0.5),
        metadata=doc(
            "cost per unit on hand per period, per stage; goods in transit to a stage are "
            "charged at its supplier's rate (nothing for the external supplier). The rates "
            "are local or echelon rates as holding_cost_basis says"
        ),
    )
    holding_cost_basis: str = dataclasses.field(
        default="local",
        metadata=doc(
            "'local': holding_costs are the rates charged at each stage; 'echelon': they are "
            "echelon rates h'_i (the value a stage adds), as textbooks print them, and the "
            "rate charged at stage i is the sum of h'_j over i and every stage upstream of it "
            "on its supply path (serial chain, stage 0 = retailer: h_i = sum over j >= i of "
            "h'_j). local_holding_costs gives the charged rates"
        ),
    )
    backorder_cost: float = dataclasses.field(
        default=10.0, metadata=doc("cost per unit of customer demand backordered, per period")
    )
    lost_sales: bool = dataclasses.field(
        default=False,
        metadata=doc("customer demand not met from stock is lost (True) or backordered (False)"),
    )
    lost_sale_cost: float = dataclasses.field(
        default=20.0, metadata=doc("cost per unit of lost customer demand (lost_sales only)")
    )
    fixed_order_costs: tuple[float, ...] = dataclasses.field(
        default=(0.0, 0.0, 0.0, 0.0),
        metadata=doc("cost per order placed (any positive order), per stage"),
    )
    demand: str = dataclasses.field(
        default="normal",
        metadata=doc(
            "customer demand per period: 'poisson', 'normal' (truncated at 0), 'seasonal', 'series'"
        ),
    )
    demand_mean: float = dataclasses.field(
        default=10.0, metadata=doc("mean demand per period at each customer-facing stage, units")
    )
    demand_std: float = dataclasses.field(
        default=2.5,
        metadata=doc("standard deviation of demand per period ('normal', 'seasonal'), units"),
    )
    seasonal_amplitude: float = dataclasses.field(
        default=0.5,
        metadata=doc("'seasonal': relative swing of the mean, mean*(1 + a*sin(2*pi*t/period))"),
    )
    seasonal_period: int = dataclasses.field(
        default=52, metadata=doc("'seasonal': periods in one season cycle")
    )
    demand_series: tuple[float, ...] | tuple[tuple[float, ...], ...] | str | None = (
        dataclasses.field(
            default=None,
            metadata=doc(
                "'series': demand per period, a list (all retailers), a list of rows (one column "
                "per retailer) or a CSV path with a 'demand' column or one column per retailer; "
                "replayed from the episode's first period and cycled"
            ),
        )
    )
    action_type: str = dataclasses.field(
        default="box",
        metadata=doc(
            "'box': order quantities; 'discrete': order levels per stage; 'base_stock': "
            "echelon order-up-to levels (each stage orders what lifts its echelon inventory "
            "position to its level, at most its order limit)"
        ),
    )
    order_levels: int = dataclasses.field(
        default=11,
        metadata=doc("'discrete': evenly spaced order levels from 0 to order_limits (>= 2)"),
    )
    demand_history: int = dataclasses.field(
        default=4, metadata=doc("periods of past demand per retailer in the observation (>= 1)")
    )
    initial_inventory: tuple[float, ...] | None = dataclasses.field(
        default=None,
        metadata=doc(
            "units on hand per stage at reset; default: two periods of the stage's mean flow"
        ),
    )
    reward: str | Callable[..., Any] = dataclasses.field(
        default="cost",
        metadata=doc(
            "'cost' (minus the weighted cost), 'scaled_cost' (the same divided by the mean "
            "demand per period times the largest unit cost) or a callable "
            "reward(parts, weights, config)"
        ),
    )
    reward_weights: dict[str, float] = dataclasses.field(
        default_factory=lambda: {part: 1.0 for part in REWARD_PARTS},
        metadata=doc(f"weight of each reward part: {', '.join(REWARD_PARTS)}"),
    )

    @property
    def customer_stages(self) -> tuple[int, ...]:
        """Indices of the stages that face customer demand."""
        if self.network == "serial":
            return (0,)
        return tuple(range(1, self.num_stages))

    @property
    def suppliers(self) -> tuple[int, ...]:
        """Each stage's supplier index, ``-1`` for the external supplier."""
        n = self.num_stages
        if self.network == "serial":
            return (*range(1, n), -1)
        return tuple([-1] + [0] * (n - 1))

    def supply_path(self, stage: int) -> tuple[int, ...]:
        """``stage`` and every stage upstream of it, in order up to the most upstream one."""
        path = []
        while stage >= 0:
            path.append(stage)
            stage = self.suppliers[stage]
        return tuple(path)

    @property
    def local_holding_costs(self) -> tuple[float, ...]:
        """The holding cost per unit on hand per period charged at each stage.

        ``holding_costs`` itself with ``holding_cost_basis="local"``; with ``"echelon"``,
        each stage's rate is the sum of the echelon rates along its :meth:`supply_path`.
        """
        if self.holding_cost_basis == "local":
            return self.holding_costs
        return tuple(
            float(sum(self.holding_costs[j] for j in self.supply_path(i)))
            for i in range(self.num_stages)
        )

    def validate(self) -> None:
        check_choice("network", self.network, NETWORKS)
        check_number("num_stages", self.num_stages, low=1, integer=True)
        n = self.num_stages
        if self.network == "distribution" and n < 2:
            raise ConfigError(
                "num_stages must be >= 2 for a distribution network (warehouse + retailers)."
            )
        check_sequence("lead_times", self.lead_times, n, low=0, integer=True, each="stage")
        check_sequence(
            "order_limits", self.order_limits, n, low=0, low_inclusive=False, each="stage"
        )
        check_sequence("holding_costs", self.holding_costs, n, low=0, each="stage")
        check_choice("holding_cost_basis", self.holding_cost_basis, HOLDING_COST_BASES)
        check_sequence("fixed_order_costs", self.fixed_order_costs, n, low=0, each="stage")
        check_number("backorder_cost", self.backorder_cost, low=0)
        check_number("lost_sale_cost", self.lost_sale_cost, low=0)
        if not isinstance(self.lost_sales, bool):
            raise ConfigError(f"lost_sales={self.lost_sales!r} is not allowed; use true or false.")
        check_choice("demand", self.demand, DEMANDS)
        check_number("demand_mean", self.demand_mean, low=0)
        check_number("demand_std", self.demand_std, low=0)
        check_number("seasonal_amplitude", self.seasonal_amplitude, low=0, high=1)
        check_number("seasonal_period", self.seasonal_period, low=1, integer=True)
        if self.demand == "series" and self.demand_series is None:
            raise ConfigError(
                "demand='series' needs demand_series: a list of values or a CSV path."
            )
        check_choice("action_type", self.action_type, ACTION_TYPES)
        check_number("order_levels", self.order_levels, low=2, integer=True)
        check_number("demand_history", self.demand_history, low=1, integer=True)
        if self.initial_inventory is not None:
            check_sequence("initial_inventory", self.initial_inventory, n, low=0, each="stage")
        if not callable(self.reward):
            check_choice("reward", self.reward, ("cost", "scaled_cost"))
        check_weights("reward_weights", self.reward_weights, REWARD_PARTS)


PRESETS: dict[str, dict[str, Any]] = {
    # A four-stage beer-game chain (retailer, wholesaler, distributor, factory) with
    # normal demand, backorders and no fixed costs: the setting where Clark and Scarf's
    # echelon base-stock policy is optimal, so learners can be scored against the optimum.
    "serial": {},
    # One warehouse supplying three retailers with Poisson demand; the warehouse pays a
    # fixed cost per order, so base-stock is no longer optimal and (s, S) has a role.
    "distribution": {
        "network": "distribution",
        "num_stages": 4,
        "lead_times": (3, 1, 1, 1),
        "order_limits": (60.0, 20.0, 20.0, 20.0),
        "holding_costs": (0.5, 1.0, 1.0, 1.0),
        "backorder_cost": 9.0,
        "fixed_order_costs": (20.0, 0.0, 0.0, 0.0),
        "demand": "poisson",
        "demand_mean": 5.0,
    },
}
"""Field values of the named presets; ``"serial"`` is the default config."""
InventoryConfig.presets = PRESETS
