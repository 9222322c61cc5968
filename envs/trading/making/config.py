"""Configuration of the market making environment (Avellaneda and Stoikov, 2008)."""

from __future__ import annotations

import dataclasses

from fieldgym.envs.core.config import EnvConfig, check_choice, check_number, doc

ACTION_TYPES = ("box", "discrete")


@dataclasses.dataclass(frozen=True)
class MarketMakingConfig(EnvConfig):
    """A dealer quoting one bid and one ask around a diffusing mid price until ``horizon``.

    Defaults are Avellaneda and Stoikov's simulation (section 4): ``S0 = 100``, ``sigma =
    2``, ``T = 1``, ``dt = 0.005``, ``A = 140``, ``k = 1.5``.
    """

    initial_price: float = dataclasses.field(default=100.0, metadata=doc("S0: initial mid, $"))
    volatility: float = dataclasses.field(
        default=2.0, metadata=doc("sigma: mid-price volatility, $ per sqrt(time unit)")
    )
    horizon: float = dataclasses.field(default=1.0, metadata=doc("T: time units to the end"))
    steps: int = dataclasses.field(
        default=200, metadata=doc("decisions per episode; dt = T / steps (<= 10000)")
    )
    arrival_rate: float = dataclasses.field(
        default=140.0, metadata=doc("A: fill intensity at zero distance, per time unit")
    )
    decay: float = dataclasses.field(
        default=1.5, metadata=doc("k: intensity A exp(-k delta) decays with distance delta, per $")
    )
    max_inventory: int = dataclasses.field(
        default=50, metadata=doc("no bid fills at +max_inventory, no ask fills at -max_inventory")
    )
    inventory_penalty: float = dataclasses.field(
        default=0.0,
        metadata=doc("phi: running penalty phi q^2 dt on the inventory q, $ per share^2 per time"),
    )
    liquidation_cost: float = dataclasses.field(
        default=0.0,
        metadata=doc("$ per share paid to liquidate the inventory at the mid at the horizon"),
    )
    max_distance: float = dataclasses.field(
        default=4.0, metadata=doc("quotes are at most this far from the mid, either side, $")
    )
    action_type: str = dataclasses.field(
        default="box",
        metadata=doc(
            "'box': (bid distance, ask distance) in [-max_distance, max_distance]; "
            "'discrete': a grid of `levels` distances in [0, max_distance] per side"
        ),
    )
    levels: int = dataclasses.field(
        default=9, metadata=doc("'discrete': distances per side (levels^2 actions)")
    )

    @property
    def dt(self) -> float:
        """Length of one step, time units."""
        return self.horizon / self.steps

    def validate(self) -> None:
        for name in ("initial_price", "volatility", "horizon", "arrival_rate", "decay"):
            check_number(name, getattr(self, name), low=0, low_inclusive=False)
        check_number("steps", self.steps, low=1, high=10_000, integer=True)
        check_number("max_inventory", self.max_inventory, low=1, integer=True)
        check_number("inventory_penalty", self.inventory_penalty, low=0)
        check_number("liquidation_cost", self.liquidation_cost, low=0)
        check_number("max_distance", self.max_distance, low=0, low_inclusive=False)
        check_choice("action_type", self.action_type, ACTION_TYPES)
        check_number("levels", self.levels, low=2, high=100, integer=True)
