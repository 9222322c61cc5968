"""Scenarios on multi-agent (PettingZoo) ids: planned, run and reported like single-agent ones."""

from __future__ import annotations

import json

import pytest

from fieldgym.agents import make_agent
from fieldgym.agents.target import make_target
from fieldgym.envs.core.errors import ConfigError
from fieldgym.scenarios.plan.planner import load_scenario
from fieldgym.scenarios.report.page import write_report
from fieldgym.scenarios.run import store
from fieldgym.scenarios.run.runner import run_plan

UAV = "fieldgym/UAVOffloading-v1"

SCENARIO = f"""
name: uav
description: Multi-agent baselines on the UAV id.
env:
  id: {UAV}
  config: {{num_users: 20}}
agents:
  - name: kmeans_hover
  - name: random
seeds: 1
evaluation:
  episodes: 2
report:
  reference: kmeans_hover
workers: 1
"""


@pytest.mark.slow
def test_multiagent_scenario_runs_and_reports(tmp_path, write_scenario):
    plan = load_scenario(write_scenario(SCENARIO))
    (env,) = plan.envs
    assert env.domain == "wireless" and env.headline == "association_share"
    summary = run_plan(plan, tmp_path / "run", progress=False, log=lambda message: None)
    assert sorted(summary.ran) == ["UAVOffloading-v1__kmeans_hover", "UAVOffloading-v1__random"]
    record = json.loads(
        store.trial_path(tmp_path / "run", "UAVOffloading-v1__kmeans_hover").read_text()
    )
    shares = [row["association_share"] for row in record["episodes"]]
    assert len(shares) == 2 and all(0.0 <= s <= 1.0 for s in shares)
    assert record["trace"] is None  # multi-agent episodes keep no per-step trace
    report = write_report(tmp_path / "run", tmp_path / "report")
    text = (report.parent / "results.md").read_text()
    assert "kmeans_hover" in text and "association_share" in text


def test_single_agent_learner_on_a_multiagent_id_is_refused_with_the_alternatives(
    write_scenario,
):
    text = SCENARIO.replace("  - name: random\n", "  - name: dqn\n    train_steps: 100\n")
    with pytest.raises(ConfigError, match=r"'dqn' cannot act in .*UAVOffloading.*shared_ppo"):
        load_scenario(write_scenario(text))


def test_random_is_made_for_either_kind_of_id():
    parallel = make_agent("random", make_target(UAV, {"num_users": 20}))
    env = parallel.target.make()
    observations, _ = env.reset(seed=0)
    actions = parallel.act(observations, env.state())
    assert set(actions) == set(env.agents)
    assert all(env.action_space(a).contains(actions[a]) for a in actions)
    with pytest.raises(ConfigError, match=r"kmeans_hover.*single-agent id"):
        make_agent("kmeans_hover", make_target("fieldgym/EdgeOffloading-v1"))
