"""What trading reports show: wealth over the backtest (an equity curve) and the field's metrics.

Every trading environment reports ``value`` each step: wealth starting at 1 for the
portfolio and single-stock environments, marked-to-market wealth relative to the arrival
value for execution, and marked-to-market wealth for market making. The levels plot of
the report draws it over the first evaluation episode of each agent: an equity curve.
"""

from __future__ import annotations

from typing import Any

from fieldgym.scenarios.report.domains import DomainView, SectionInput


def report_sections(run: SectionInput) -> Any:
    """Backtest detail and walk-forward windows: :func:`.report.sections` (imported when used)."""
    from fieldgym.scenarios.report.views.trading.report import sections  # the report modules

    return sections(run)


VIEW = DomainView(
    metrics=(
        "sharpe",
        "annual_return",
        "annual_volatility",
        "sortino",
        "calmar",
        "max_drawdown",
        "cumulative_return",
        "turnover",
        "hit_rate",
        "cost_bps",
        "shortfall",
        "shortfall_bps",
        "risk_bps",
        "pnl",
        "inventory_std",
        "fills",
    ),
    trace_kpis=(
        "value",
        "return",
        "turnover",
        "weights",
        "position",
        "remaining",
        "liquidity",
        "inventory",
        "date",
    ),
    levels_kpi="value",
    levels_label="wealth (equity curve)",
    levels_series="wealth",
    time_label="trading step",
    sections=report_sections,
)
