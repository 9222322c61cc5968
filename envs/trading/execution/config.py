"""Configuration of the optimal execution environment (Almgren and Chriss, 2000)."""

from __future__ import annotations

import dataclasses

from fieldgym.envs.core.config import EnvConfig, check_choice, check_number, doc
from fieldgym.envs.core.errors import ConfigError

LIQUIDITY = ("constant", "schedule", "stochastic")
ACTION_TYPES = ("discrete", "box")


@dataclasses.dataclass(frozen=True)
class ExecutionConfig(EnvConfig):
    """Sell ``initial_shares`` over ``periods`` equal periods spanning ``horizon`` days.

    Defaults are the numerical example of Almgren and Chriss (2000, section 4): a
    $50 stock with 30% annual volatility, one million shares to sell in five days.
    """

    initial_shares: float = dataclasses.field(
        default=1_000_000.0, metadata=doc("X: shares to sell, at the start of the episode")
    )
    initial_price: float = dataclasses.field(
        default=50.0, metadata=doc("S0: the arrival price, $ per share")
    )
    horizon: float = dataclasses.field(
        default=5.0, metadata=doc("T: days from arrival to the deadline")
    )
    periods: int = dataclasses.field(
        default=20,
        metadata=doc("N: trading periods of T/N days each, one decision per period (<= 1000)"),
    )
    volatility: float = dataclasses.field(
        default=0.95, metadata=doc("sigma: arithmetic price volatility, $ per share per sqrt(day)")
    )
    spread_cost: float = dataclasses.field(
        default=0.0625,
        metadata=doc("epsilon: fixed temporary cost, $ per share sold (half spread)"),
    )
    temporary_impact: float = dataclasses.field(
        default=2.5e-6,
        metadata=doc("eta: temporary impact, $ per share per (share/day) at liquidity 1"),
    )
    permanent_impact: float = dataclasses.field(
        default=2.5e-7, metadata=doc("gamma: permanent impact, $ per share per share sold")
    )
    risk_aversion: float = dataclasses.field(
        default=1e-6,
        metadata=doc("lambda: weight of the variance penalty, per $ (AC's E + lambda Var)"),
    )
    liquidity: str = dataclasses.field(
        default="constant",
        metadata=doc(
            "liquidity L dividing the temporary impact: 'constant' (1), 'schedule' (a "
            "deterministic U shape over each day) or 'stochastic' (a mean-reverting "
            "log-normal process the agent does not observe)"
        ),
    )
    liquidity_amplitude: float = dataclasses.field(
        default=0.5,
        metadata=doc("'schedule': L = 1 + a cos(2 pi u), u the fraction of the day elapsed"),
    )
    liquidity_volatility: float = dataclasses.field(
        default=0.5, metadata=doc("'stochastic': stationary std of log L")
    )
    liquidity_reversion: float = dataclasses.field(
        default=1.0, metadata=doc("'stochastic': mean-reversion rate of log L, per day")
    )
    action_type: str = dataclasses.field(
        default="discrete",
        metadata=doc("'discrete': one of `fractions`; 'box': any fraction in [0, 1]"),
    )
    fractions: tuple[float, ...] = dataclasses.field(
        default=(0.0, 0.02, 0.04, 0.06, 0.08, 0.1, 0.125, 0.15, 0.2, 0.25, 0.35, 0.5, 1.0),
        metadata=doc("'discrete': the fractions of the remaining shares action k sells"),
    )

    @property
    def tau(self) -> float:
        """Length of one period, days."""
        return self.horizon / self.periods

    def validate(self) -> None:
        for name in ("initial_shares", "initial_price", "horizon", "volatility"):
            check_number(name, getattr(self, name), low=0, low_inclusive=False)
        check_number("periods", self.periods, low=1, high=1000, integer=True)
        for name in ("spread_cost", "temporary_impact", "permanent_impact", "risk_aversion"):
            check_number(name, getattr(self, name), low=0)
        if self.temporary_impact - 0.5 * self.permanent_impact * self.tau <= 0:
            raise ConfigError(
                "temporary_impact must exceed permanent_impact * horizon / periods / 2 "
                "(Almgren-Chriss's eta-tilde > 0)."
            )
        check_choice("liquidity", self.liquidity, LIQUIDITY)
        check_number("liquidity_amplitude", self.liquidity_amplitude, low=0, high=0.95)
        check_number("liquidity_volatility", self.liquidity_volatility, low=0, high=3)
        check_number("liquidity_reversion", self.liquidity_reversion, low=0, low_inclusive=False)
        check_choice("action_type", self.action_type, ACTION_TYPES)
        if not isinstance(self.fractions, tuple) or len(self.fractions) < 2:
            raise ConfigError(f"fractions={self.fractions!r} must list at least two fractions.")
        for i, fraction in enumerate(self.fractions):
            check_number(f"fractions[{i}]", fraction, low=0, high=1)
