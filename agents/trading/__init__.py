"""Trading baselines, registered in the agent registry (domain ``trading``).

Only the registry is imported here; the policies (and skfolio) load when an agent is made.
"""

from __future__ import annotations

from fieldgym.agents.registry import AgentEntry, add

_BASELINES = (
    ("buy_and_hold", "baselines:BuyAndHold", "Buy on the first day and hold (1/N for portfolios)"),
    ("equal_weight", "portfolio:EqualWeight", "1/N in every asset, rebalanced every k days"),
    ("min_variance", "portfolio:MinimumVariance", "Minimum-variance weights (skfolio MeanRisk)"),
    ("max_sharpe", "portfolio:MaximumSharpe", "Maximum-Sharpe mean-variance (skfolio MeanRisk)"),
    ("hrp", "portfolio:HierarchicalRiskParity", "Hierarchical risk parity (skfolio)"),
    ("twap", "execution:TWAP", "Time-weighted average price: X/N shares per period"),
    (
        "almgren_chriss",
        "execution:AlmgrenChriss",
        "Almgren-Chriss optimal static schedule for the env's liquidity",
    ),
    ("avellaneda_stoikov", "making:AvellanedaStoikov", "Avellaneda-Stoikov quotes (CARA gamma)"),
)

for _name, _where, _text in _BASELINES:
    add(
        AgentEntry(
            _name, f"fieldgym.agents.trading.{_where}", "baseline", _text, domains=("trading",)
        )
    )
add(
    AgentEntry(
        "drl",
        "fieldgym.agents.trading.learner:TradingLearner",
        "learner",
        "Any SB3 algorithm (params: algo=ppo|sac|a2c|td3|dqn) trained on the dates before its "
        "backtest, in training mode",
        domains=("trading",),
    )
)
