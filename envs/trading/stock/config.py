"""Configuration of the single-stock trading environment."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from typing import Any

from fieldgym.envs.core.config import check_choice, check_number, check_weights, doc
from fieldgym.envs.core.errors import ConfigError
from fieldgym.envs.trading.dated import DatedConfig

FILLS = ("next_open", "next_close", "next_open_or_close")
REWARD_PARTS = ("log_return", "pnl", "differential_sharpe")
INDICATOR_PATTERN = re.compile(r"^(rsi_\d+|macd|volatility_\d+|sma_ratio_\d+|overnight)$")
"""Indicator names: ``rsi_<days>``, ``macd``, ``volatility_<days>``, ``sma_ratio_<days>``,
``overnight``."""


@dataclasses.dataclass(frozen=True)
class StockConfig(DatedConfig):
    """Parameters of the single-stock trading environment (bars, fractions of wealth)."""

    source: str = dataclasses.field(
        default="arch_sp500",
        metadata=doc(
            "price source: 'arch_sp500', 'arch_nasdaq' (daily OHLCV), 'skfolio_sp500' (closes "
            "only: use fill='next_close'), 'yfinance' (needs ticker) or a .csv/.parquet path: "
            "OHLCV bars of one ticker or a long file (date, ticker, fields) for opens, or a "
            "wide file of closes (use fill='next_close')"
        ),
    )
    ticker: str | None = dataclasses.field(
        default=None, metadata=doc("the traded column of the source; None: its first column")
    )
    fill: str = dataclasses.field(
        default="next_open",
        metadata=doc(
            "where the decision taken after bar t's close is filled: bar t+1's open "
            "('next_open'), its close ('next_close'), or its open unless that open is stale "
            "(equal to bar t's close, copied data) and then its close ('next_open_or_close')"
        ),
    )
    positions: tuple[float, ...] = dataclasses.field(
        default=(-1.0, 0.0, 1.0),
        metadata=doc(
            "the target positions action k chooses, as fractions of wealth held in the asset "
            "(negative: short); default short, flat, long"
        ),
    )
    cost_rate: float = dataclasses.field(
        default=0.001, metadata=doc("commission: fraction of the traded value")
    )
    slippage: float = dataclasses.field(
        default=0.0005,
        metadata=doc("fill price moves against the trade by this fraction of the price"),
    )
    window: int = dataclasses.field(
        default=30, metadata=doc("observed: the last `window` daily log returns (close to close)")
    )
    indicators: tuple[str, ...] = dataclasses.field(
        default=("rsi_14", "macd", "volatility_21"),
        metadata=doc(
            "observed indicators, from past bars only: rsi_<days> (Wilder RSI / 100 - 0.5), "
            "macd ((EMA12 - EMA26) / close), volatility_<days> (std of daily log returns), "
            "sma_ratio_<days> (close / SMA - 1), overnight (log open / previous close)"
        ),
    )
    initial_value: float = dataclasses.field(
        default=10_000.0, metadata=doc("wealth at the start of an episode, currency units")
    )
    reward: str | Callable[..., Any] = dataclasses.field(
        default="log_return",
        metadata=doc(
            "'log_return' (log growth of wealth after costs and slippage), 'pnl' (change of "
            "wealth, currency), 'differential_sharpe', or a callable reward(parts, weights, "
            "config)"
        ),
    )
    reward_weights: dict[str, float] = dataclasses.field(
        default_factory=lambda: {part: 1.0 for part in REWARD_PARTS},
        metadata=doc(f"weight of each reward part: {', '.join(REWARD_PARTS)}"),
    )

    @property
    def warmup(self) -> int:
        """Bars of history the features need before the first decision."""
        days = [self.window, 35]  # MACD's slow EMA settles within about 26 bars
        for name in self.indicators:
            digits = re.findall(r"\d+", name)
            if digits:
                days.append(int(digits[0]) + 1)
        return max(days)

    def validate(self) -> None:
        super().validate()
        if self.ticker is not None and not isinstance(self.ticker, str):
            raise ConfigError(f"ticker={self.ticker!r} must be a symbol or None.")
        if self.source == "yfinance" and not self.ticker:
            raise ConfigError("source='yfinance' needs ticker='...'.")
        check_choice("fill", self.fill, FILLS)
        if self.fill != "next_close" and self.source == "skfolio_sp500":
            raise ConfigError(
                "skfolio_sp500 has closes only, no opens: use fill='next_close', or a source "
                "with opens (arch_sp500, arch_nasdaq, yfinance)."
            )
        if not isinstance(self.positions, tuple) or len(self.positions) < 2:
            raise ConfigError(f"positions={self.positions!r} must list at least two positions.")
        for i, position in enumerate(self.positions):
            check_number(f"positions[{i}]", position, low=-10, high=10)
        check_number("cost_rate", self.cost_rate, low=0, high=0.5)
        check_number("slippage", self.slippage, low=0, high=0.5)
        check_number("window", self.window, low=1, integer=True)
        if not isinstance(self.indicators, tuple):
            raise ConfigError(f"indicators={self.indicators!r} must be a list of names.")
        for name in self.indicators:
            if not isinstance(name, str) or not INDICATOR_PATTERN.match(name):
                raise ConfigError(
                    f"indicators: {name!r} is not an indicator; use rsi_<days>, macd, "
                    "volatility_<days>, sma_ratio_<days> or overnight."
                )
        if "overnight" in self.indicators and self.source == "skfolio_sp500":
            raise ConfigError("The 'overnight' indicator needs opens; skfolio_sp500 has none.")
        check_number("initial_value", self.initial_value, low=0, low_inclusive=False)
        if not callable(self.reward):
            check_choice("reward", self.reward, REWARD_PARTS)
        check_weights("reward_weights", self.reward_weights, REWARD_PARTS)
