"""Scenario files: schema, error messages that name the file and the key, and the plan."""

from __future__ import annotations

from pathlib import Path

import pytest

from fieldgym.agents.registry import AGENTS, AgentEntry
from fieldgym.envs.core.errors import ConfigError
from fieldgym.scenarios.plan.planner import load_scenario
from fieldgym.scenarios.plan.spec import Plan

REPO = Path(__file__).resolve().parents[2]
ENV_ID = "fieldgym/MultiEchelonInventory-v1"


def test_tiny_scenario_resolves_into_a_plan(write_scenario, tiny):
    plan = load_scenario(write_scenario(tiny))
    assert plan.name == "tiny"
    assert [e.label for e in plan.envs] == ["serial"]
    env = plan.envs[0]
    assert env.kwargs == {"demand_mean": 8.0}
    assert env.reference == "clark_scarf"
    assert env.headline == "avg_cost" and env.lower_is_better
    assert env.metrics[0] == "avg_cost" and "fill_rate" in env.metrics
    assert plan.seeds == (0, 1)
    assert plan.eval_seeds == (10_000, 10_001, 10_002)
    assert plan.max_steps == 40
    assert [a.learns for a in plan.agents] == [False, False]
    assert Plan.from_dict(plan.to_dict()) == plan


def test_packaged_scenarios_are_valid():
    quickstart = load_scenario(REPO / "scenarios" / "quickstart.yaml")
    assert {a.name for a in quickstart.agents} == {"dqn", "ppo", "sac", "clark_scarf", "random"}
    assert len(quickstart.seeds) == 3 and quickstart.workers == 2
    bench = load_scenario(REPO / "benchmarks" / "inventory_learning.yaml")
    refs = {e.label: e.reference for e in bench.envs}
    assert refs == {"serial": "clark_scarf", "distribution": "base_stock_search"}
    assert bench.env("distribution").kwargs == {"preset": "distribution"}
    assert "clark_scarf" not in bench.env("distribution").agents


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "seeds: 2",
            "seeds_: 2",
            ["unknown key 'seeds_' at the top level", "Did you mean 'seeds'"],
        ),
        (
            "  - name: random",
            "  - name: random\n    seeds_: 3",
            ["unknown key 'seeds_' at agents[1]"],
        ),
        ("  episodes: 3", "  episode: 3", ["unknown key 'episode' at evaluation", "'episodes'"]),
        ("  id: f", "  idd: f", ["unknown key 'idd' at env", "missing key 'id' at env"]),
        ("  episodes: 3", "  episodes: three", ["evaluation.episodes", "valid integer", "'three'"]),
        (
            "  max_steps: 40",
            "  max_steps: 0",
            ["evaluation.max_steps", "greater than or equal to 1"],
        ),
        ("name: tiny", "name: tiny run", ["name", "not a plain folder name"]),
        ("workers: 2", "workers: 2\nenvs: []", ["envs", "at least 1 item"]),
    ],
)
def test_schema_errors_name_the_file_and_the_key(write_scenario, tiny, old, new, expected):
    path = write_scenario(tiny.replace(old, new, 1))
    with pytest.raises(ConfigError) as info:
        load_scenario(path)
    message = str(info.value)
    assert message.startswith(f"{path}: ")
    for part in expected:
        assert part in message


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("{demand_mean: 8.0}", "{demand_mean_: 8.0}", ["env:", "'demand_mean_'", "'demand_mean'"]),
        ("{demand_mean: 8.0}", "{demand: weird}", ["env:", "demand='weird' is not allowed"]),
        (f"  id: {ENV_ID}", "  id: fieldgym/MultiEchelonInventry-v1", ["unknown environment id"]),
        ("  - name: random", "  - name: randm", ["agents[1]", "unknown agent 'randm'", "'random'"]),
        (
            "  - name: random",
            "  - name: random\n    train_steps: 10",
            ["agents[1]", "does not learn"],
        ),
        (
            "  - name: random",
            "  - name: random\n    params: {colour: 1}",
            ["agents[1].params", "'colour'"],
        ),
        (
            "  reference: clark_scarf",
            "  reference: base_stock",
            ["report.reference", "'base_stock'"],
        ),
        (
            "  reference: clark_scarf",
            "  reference: {nope: random}",
            ["no environment labelled 'nope'"],
        ),
        (
            "  reference: clark_scarf",
            "  headline: avg_cst",
            ["unknown metric 'avg_cst'", "'avg_cost'"],
        ),
        ("seeds: 2", "seeds: [0, 1, 0]", ["seeds must not repeat"]),
        ("seeds: 2", "seeds: [10001]", ["also evaluation seeds"]),
    ],
)
def test_semantic_errors_name_the_file_and_the_place(write_scenario, tiny, old, new, expected):
    path = write_scenario(tiny.replace(old, new, 1))
    with pytest.raises(ConfigError) as info:
        load_scenario(path)
    message = str(info.value)
    assert message.startswith(f"{path}: ")
    for part in expected:
        assert part in message, message


def test_a_learner_needs_a_budget(write_scenario, tiny):
    path = write_scenario(tiny.replace("  - name: random", "  - name: random\n  - name: ppo"))
    with pytest.raises(ConfigError, match=r"agents\[2\]: 'ppo' is a learner; give its budget"):
        load_scenario(path)


def test_a_baseline_of_another_domain_is_refused(write_scenario, tiny, monkeypatch):
    entry = AgentEntry("signals", "fieldgym.agents.base:RandomPolicy", "baseline", "", ("traffic",))
    monkeypatch.setitem(AGENTS, "signals", entry)
    path = write_scenario(tiny.replace("  - name: random", "  - name: signals"))
    with pytest.raises(ConfigError, match="'signals' is a baseline for traffic, not for env"):
        load_scenario(path)


def test_env_and_envs_are_exclusive(write_scenario, tiny):
    text = tiny + f"envs:\n  - id: {ENV_ID}\n"
    with pytest.raises(ConfigError, match="exactly one of 'env'"):
        load_scenario(write_scenario(text))


def test_env_labels_must_be_unique(write_scenario):
    text = f"""
    name: twice
    envs:
      - id: {ENV_ID}
      - id: {ENV_ID}
        config: {{demand_mean: 5.0}}
    agents: [{{name: random}}]
    """
    with pytest.raises(ConfigError, match="environment labels must be unique"):
        load_scenario(write_scenario(text))


def test_unreadable_files_are_config_errors(tmp_path, write_scenario, tiny):
    with pytest.raises(ConfigError, match="cannot read the scenario file"):
        load_scenario(tmp_path / "missing.yaml")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_scenario(write_scenario("name: [unclosed\n"))
    with pytest.raises(ConfigError, match="must be a mapping"):
        load_scenario(write_scenario("- just\n- a list\n"))


def test_a_binary_file_is_a_config_error(tmp_path):
    path = tmp_path / "binary.yaml"
    path.write_bytes(bytes(range(256)))
    with pytest.raises(ConfigError, match=r"binary.yaml: not a text file \(byte 128 is not UTF-8"):
        load_scenario(path)
