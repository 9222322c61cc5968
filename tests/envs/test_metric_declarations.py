"""Every metric an id's evaluation reports is declared by its domain, and nothing more."""

from __future__ import annotations

import collections

import pytest

from fieldgym.agents.evaluation import declared_metrics
from fieldgym.agents.target import make_target
from fieldgym.envs import ENVS, PARALLEL_ENVS
from fieldgym.envs.core.metrics import GENERIC, Metric, MetricTable
from fieldgym.scenarios.plan.planner import _metric_names

IDS = sorted([*ENVS, *PARALLEL_ENVS])


@pytest.fixture(scope="module")
def reported() -> dict[str, list[str]]:
    """The columns evaluation reports, per id (on the default config)."""
    return {env_id: _metric_names(make_target(env_id)) for env_id in IDS}


@pytest.mark.parametrize("env_id", IDS)
def test_every_reported_metric_is_declared(env_id: str, reported: dict[str, list[str]]) -> None:
    declared = declared_metrics(env_id)
    assert declared is not GENERIC, f"{env_id}'s metrics module declares no METRICS"
    undeclared = [name for name in reported[env_id] if declared.get(name) is None]
    assert not undeclared, f"{env_id} reports undeclared metrics {undeclared}"
    assert declared.headline in reported[env_id]


def test_every_declared_metric_is_reported(reported: dict[str, list[str]]) -> None:
    """No stale declaration: each is reported by some id of its domain (families too)."""
    ids_of = collections.defaultdict(list)
    for env_id in IDS:
        ids_of[id(declared_metrics(env_id))].append(env_id)
    for ids in ids_of.values():
        columns = [c for env_id in ids for c in reported[env_id]]
        for metric in declared_metrics(ids[0]).metrics:
            assert any(metric.matches(c) for c in columns), f"{metric.name} of {ids} never reported"


def test_directions_of_the_field() -> None:
    """Spot checks of each domain's directions, as the field reads them."""
    cases = {
        "fieldgym/MultiEchelonInventory-v1": {"avg_cost": True, "fill_rate": False},
        "fieldgym/StockTrading-v1": {"sharpe": False, "max_drawdown": False, "turnover": True},
        "fieldgym/OptimalExecution-v1": {"cost_bps": True, "completion": False},
        "fieldgym/TrafficSignal-v1": {"avg_waiting_time": True, "throughput": False},
        "fieldgym/UAVOffloading-v1": {"association_share": False, "served_share": False},
        "fieldgym/Driving-v1": {"driving_score": False, "length": False, "collision": True},
        "fieldgym/QuantumArchitectureSearch-v1": {"final_fidelity": False, "gates": True},
    }
    for env_id, lower in cases.items():
        declared = declared_metrics(env_id)
        assert {name: declared.lower_is_better(name) for name in lower} == lower, env_id


def test_families_match_numbered_columns_only() -> None:
    family = Metric("bullwhip_{i}", "ratio", False, "")
    assert family.matches("bullwhip_0") and family.matches("bullwhip_12")
    assert not family.matches("bullwhip_") and not family.matches("bullwhip_x")
    assert not family.matches("bullwhip") and not Metric("fills", "count", True, "").matches("fill")


def test_a_table_refuses_an_undeclared_headline_and_repeats() -> None:
    fills = Metric("fills", "count", True, "")
    with pytest.raises(ValueError, match="headline 'pnl'"):
        MetricTable(headline="pnl", metrics=(fills,))
    with pytest.raises(ValueError, match="declared twice"):
        MetricTable(headline="fills", metrics=(fills, fills))
    with pytest.raises(KeyError, match="'pnl' is not declared"):
        MetricTable(headline="fills", metrics=(fills,))["pnl"]
