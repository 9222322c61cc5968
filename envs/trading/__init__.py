"""Trading and portfolios on real prices; optimal execution and market making simulated."""

from __future__ import annotations

from fieldgym.envs.core.registration import EnvEntry, add
from fieldgym.envs.trading.execution.config import ExecutionConfig
from fieldgym.envs.trading.making.config import MarketMakingConfig
from fieldgym.envs.trading.portfolio.config import PortfolioConfig
from fieldgym.envs.trading.stock.config import StockConfig

__all__ = ["ExecutionConfig", "MarketMakingConfig", "PortfolioConfig", "StockConfig"]

add(
    EnvEntry(
        id="fieldgym/PortfolioAllocation-v1",
        entry_point="fieldgym.envs.trading.portfolio.env:PortfolioAllocationEnv",
        vector_entry_point="fieldgym.envs.trading.portfolio.vector:PortfolioAllocationVectorEnv",
        max_episode_steps=252,
        domain="trading",
        metrics="fieldgym.envs.trading.metrics:episode_metrics",
    )
)
add(
    EnvEntry(
        id="fieldgym/StockTrading-v1",
        entry_point="fieldgym.envs.trading.stock.env:StockTradingEnv",
        vector_entry_point="fieldgym.envs.trading.stock.vector:StockTradingVectorEnv",
        max_episode_steps=252,
        domain="trading",
        metrics="fieldgym.envs.trading.metrics:episode_metrics",
    )
)
add(
    EnvEntry(
        id="fieldgym/OptimalExecution-v1",
        entry_point="fieldgym.envs.trading.execution.env:OptimalExecutionEnv",
        vector_entry_point="fieldgym.envs.trading.execution.env:OptimalExecutionVectorEnv",
        max_episode_steps=1000,
        domain="trading",
        metrics="fieldgym.envs.trading.execution.metrics:episode_metrics",
    )
)
add(
    EnvEntry(
        id="fieldgym/MarketMaking-v1",
        entry_point="fieldgym.envs.trading.making.env:MarketMakingEnv",
        vector_entry_point="fieldgym.envs.trading.making.env:MarketMakingVectorEnv",
        max_episode_steps=10_000,
        domain="trading",
        metrics="fieldgym.envs.trading.making.metrics:episode_metrics",
    )
)
