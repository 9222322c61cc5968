"""Walk-forward scenarios: windows, training confined to the past, selection on validation."""

from __future__ import annotations

import pandas as pd
import pytest

from fieldgym.agents import make_agent
from fieldgym.agents.target import make_target
from fieldgym.envs.core.errors import ConfigError
from fieldgym.scenarios.plan.planner import load_scenario
from fieldgym.scenarios.plan.trials import expand
from fieldgym.scenarios.report.page import write_report
from fieldgym.scenarios.run import store
from fieldgym.scenarios.run.runner import run_plan

WALK = """
name: walk
description: Two rolling windows on the S&P 500.
env:
  id: fieldgym/StockTrading-v1
  label: spx
  config: {source: arch_sp500}
  walk_forward: {first: "2000-01-01", last: "2004-12-31", train_years: 2,
                 validation_months: 12, test_months: 12}
agents:
  - name: drl
    label: ppo
    params: {algo: ppo, n_envs: 2, hyperparams: {n_steps: 32, batch_size: 32}}
    train_steps: 64
  - name: buy_and_hold
seeds: 2
evaluation:
  episodes: 1
  max_steps: 300
report:
  reference: {spx: buy_and_hold}
  headline: sharpe
workers: 2
"""


def test_windows_confine_training_to_the_past_and_validate_before_the_test(write_scenario):
    plan = load_scenario(write_scenario(WALK))
    assert [e.label for e in plan.envs] == ["spx.w0", "spx.w1"]
    assert all(e.group == "spx" and e.reference == "buy_and_hold" for e in plan.envs)
    for trial in expand(plan):
        window = plan.env(trial.env).window
        stamp = {k: pd.Timestamp(v) for k, v in window.items()}
        assert stamp["train_end"] < stamp["validation_start"] <= stamp["validation_end"]
        assert stamp["validation_end"] < stamp["test_start"] <= stamp["test_end"]
        assert (trial.env_kwargs["start"], trial.env_kwargs["end"]) == (
            window["test_start"],
            window["test_end"],
        )
        validation = trial.validation_kwargs
        assert (validation["start"], validation["end"]) == (
            window["validation_start"],
            window["validation_end"],
        )
        if trial.learns:
            assert trial.params["train_end"] == window["train_end"]
            learner = make_agent(
                trial.agent_name, make_target(trial.env_id, trial.env_kwargs), **trial.params
            )
            assert pd.Timestamp(learner.train_target.kwargs["end"]) < stamp["validation_start"]
        else:
            assert "train_end" not in trial.params
    assert plan.envs[1].window["test_start"] > plan.envs[0].window["test_start"]


@pytest.mark.slow
def test_report_selects_each_window_seed_on_validation(tmp_path, write_scenario):
    plan = load_scenario(write_scenario(WALK))
    run_plan(plan, tmp_path / "run", progress=False, log=lambda message: None)
    records = store.load_trials(tmp_path / "run")
    assert all("validation" in r for r in records)
    text = (write_report(tmp_path / "run", tmp_path / "report").parent / "results.md").read_text()
    assert "## Walk-forward" in text
    for window in ("spx.w0", "spx.w1"):  # the seed with the best validation Sharpe is shown
        ppo = [r for r in records if r["key"]["env"] == window and r["key"]["agent"] == "ppo"]
        best = max(ppo, key=lambda r: r["validation"][0]["sharpe"])
        test = best["episodes"][0]["sharpe"]
        assert f"(seed {best['key']['seed']})" in text
        assert f"{test:.3g}"[:4] in text


def test_walk_forward_needs_a_dated_env_and_range_aware_learners(write_scenario):
    inventory = WALK.replace("fieldgym/StockTrading-v1", "fieldgym/MultiEchelonInventory-v1")
    inventory = inventory.replace("config: {source: arch_sp500}", "config: {}")
    with pytest.raises(ConfigError, match="walk_forward needs an environment with a date range"):
        load_scenario(write_scenario(inventory, "inventory.yaml"))
    plain = WALK.replace("name: drl", "name: ppo").replace(
        "params: {algo: ppo, n_envs: 2, hyperparams: {n_steps: 32, batch_size: 32}}", ""
    )
    with pytest.raises(ConfigError, match="use 'drl'"):
        load_scenario(write_scenario(plain, "plain.yaml"))
