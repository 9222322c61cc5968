"""Indicators of the single-stock environment, each computed from past bars only.

Every function returns one value per bar ``t`` that depends on bars ``0..t`` only
(recursive exponential averages with ``adjust=False`` and trailing windows ending at
``t``); values before an indicator has enough history are 0.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from fieldgym.envs.trading.market import log_returns, return_window, trailing_volatility


def rsi(close: np.ndarray, days: int) -> np.ndarray:
    """Wilder's relative strength index over ``days`` bars, scaled to [-0.5, 0.5]."""
    change = pd.Series(close).diff()
    gain = change.clip(lower=0).ewm(alpha=1 / days, adjust=False).mean()
    loss = (-change.clip(upper=0)).ewm(alpha=1 / days, adjust=False).mean()
    total = (gain + loss).to_numpy()
    out = np.where(total > 0, gain.to_numpy() / np.where(total > 0, total, 1.0), 0.5) - 0.5
    out[:days] = 0.0
    return np.nan_to_num(out)


def macd(close: np.ndarray) -> np.ndarray:
    """MACD line, ``(EMA12 - EMA26) / close``: scale-free."""
    series = pd.Series(close)
    fast = series.ewm(span=12, adjust=False).mean()
    slow = series.ewm(span=26, adjust=False).mean()
    return ((fast - slow) / series).to_numpy()


def sma_ratio(close: np.ndarray, days: int) -> np.ndarray:
    """``close / SMA(days) - 1``, the SMA of bars ``t - days + 1 .. t``."""
    sma = pd.Series(close).rolling(days, min_periods=days).mean().to_numpy()
    return np.nan_to_num(close / sma - 1.0)


def overnight(open_: np.ndarray, close: np.ndarray) -> np.ndarray:
    """``log(open[t] / close[t - 1])``: the gap into bar ``t``."""
    out = np.zeros_like(close)
    out[1:] = np.log(open_[1:] / close[:-1])
    return out


def stock_features(
    close: np.ndarray, open_: np.ndarray | None, window: int, indicators: tuple[str, ...]
) -> tuple[np.ndarray, list[str]]:
    """``(T, window + len(indicators))`` features of one asset and their names.

    The first ``window`` columns are the last daily log returns, oldest first; then one
    column per indicator, in the order given.
    """
    daily = log_returns(close[:, None])
    blocks = [return_window(daily, window)]
    for name in indicators:
        days = int(name.rsplit("_", 1)[1]) if name[-1].isdigit() else 0
        if name.startswith("rsi_"):
            column = rsi(close, days)
        elif name == "macd":
            column = macd(close)
        elif name.startswith("volatility_"):
            column = trailing_volatility(daily, days)[:, 0]
        elif name.startswith("sma_ratio_"):
            column = sma_ratio(close, days)
        else:
            if open_ is None:
                raise ValueError("the overnight indicator needs opens")
            column = overnight(open_, close)
        blocks.append(np.asarray(column)[:, None])
    return np.concatenate(blocks, axis=1), [
        *(f"return_lag{window - k}" for k in range(window)),
        *indicators,
    ]
