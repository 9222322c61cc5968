"""Configuration of the portfolio allocation environment."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from fieldgym.envs.core.config import check_choice, check_number, check_weights, doc
from fieldgym.envs.core.errors import ConfigError
from fieldgym.envs.trading.dated import DatedConfig

REWARD_PARTS = ("log_return", "differential_sharpe", "return", "risk")
REWARD_NAMES = ("log_return", "differential_sharpe", "mean_variance")


@dataclasses.dataclass(frozen=True)
class PortfolioConfig(DatedConfig):
    """Parameters of the portfolio allocation environment (days, fractions of wealth)."""

    tickers: tuple[str, ...] | None = dataclasses.field(
        default=None, metadata=doc("the N assets, columns of the source; None: all of them")
    )
    return_windows: tuple[int, ...] = dataclasses.field(
        default=(1, 5, 21),
        metadata=doc("observed per asset: log return over each of these trailing days"),
    )
    volatility_window: int = dataclasses.field(
        default=21,
        metadata=doc("observed per asset: std of daily log returns over these trailing days"),
    )
    window: int = dataclasses.field(
        default=0,
        metadata=doc("observed: the last `window` daily log returns of every asset (0: none)"),
    )
    cost_rate: float = dataclasses.field(
        default=0.001,
        metadata=doc(
            "proportional transaction cost: fraction of wealth per unit of turnover "
            "(sum over assets of |new weight - held weight|)"
        ),
    )
    cash_rate: float = dataclasses.field(
        default=0.0, metadata=doc("annual interest on cash, compounded over 252 days a year")
    )
    reward: str | Callable[..., Any] = dataclasses.field(
        default="log_return",
        metadata=doc(
            "'log_return' (log growth of wealth, net of costs), 'differential_sharpe' (Moody "
            "and Saffell's differential Sharpe ratio), 'mean_variance' (return minus "
            "risk_aversion/2 times the squared deviation from the running mean), or a "
            "callable reward(parts, weights, config)"
        ),
    )
    reward_weights: dict[str, float] = dataclasses.field(
        default_factory=lambda: {part: 1.0 for part in REWARD_PARTS},
        metadata=doc(f"weight of each reward part: {', '.join(REWARD_PARTS)}"),
    )
    risk_aversion: float = dataclasses.field(
        default=2.0, metadata=doc("'mean_variance': coefficient of the variance penalty")
    )
    turbulence_threshold: float | None = dataclasses.field(
        default=None,
        metadata=doc(
            "risk guard: move everything to cash on days whose turbulence (Mahalanobis "
            "distance of the day's returns from the trailing window) exceeds this; None: off"
        ),
    )
    turbulence_window: int = dataclasses.field(
        default=252, metadata=doc("risk guard: trailing days of the turbulence mean/covariance")
    )

    @property
    def warmup(self) -> int:
        """Rows of history the features need before the first decision."""
        days = [*self.return_windows, self.volatility_window, self.window]
        if self.turbulence_threshold is not None:
            days.append(self.turbulence_window + 1)
        return max(days)

    def validate(self) -> None:
        super().validate()
        if self.tickers is not None and (
            not self.tickers or not all(isinstance(t, str) for t in self.tickers)
        ):
            raise ConfigError(f"tickers={self.tickers!r} must be a non-empty list of symbols.")
        if self.source == "yfinance" and not self.tickers:
            raise ConfigError("source='yfinance' needs tickers=[...].")
        if not isinstance(self.return_windows, tuple):
            raise ConfigError(f"return_windows={self.return_windows!r} must be a list of days.")
        for i, days in enumerate(self.return_windows):
            check_number(f"return_windows[{i}]", days, low=1, integer=True)
        check_number("volatility_window", self.volatility_window, low=2, integer=True)
        check_number("window", self.window, low=0, integer=True)
        check_number("cost_rate", self.cost_rate, low=0, high=0.5)
        check_number("cash_rate", self.cash_rate, low=-0.5, high=1.0)
        if not callable(self.reward):
            check_choice("reward", self.reward, REWARD_NAMES)
        check_weights("reward_weights", self.reward_weights, REWARD_PARTS)
        check_number("risk_aversion", self.risk_aversion, low=0)
        if self.turbulence_threshold is not None:
            check_number("turbulence_threshold", self.turbulence_threshold, low=0)
        check_number("turbulence_window", self.turbulence_window, low=2, integer=True)
