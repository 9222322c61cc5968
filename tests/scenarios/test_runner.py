"""The runner: trials in a process pool, results stored once, finished trials never rerun."""

from __future__ import annotations

import json

import pytest

from fieldgym.scenarios.plan.planner import load_scenario
from fieldgym.scenarios.report.page import write_report
from fieldgym.scenarios.run import store
from fieldgym.scenarios.run.runner import MODEL_CARD, TrialsFailed, run_plan


@pytest.mark.slow
def test_run_stores_each_trial_and_skips_finished_ones(tmp_path, write_scenario, tiny):
    plan = load_scenario(write_scenario(tiny))
    run = tmp_path / "run"
    logs: list[str] = []
    summary = run_plan(plan, run, progress=False, log=logs.append)
    assert sorted(summary.ran) == ["serial__clark_scarf", "serial__random"]
    assert summary.skipped == 0 and not summary.failed
    assert "2 trials, 0 already finished, running 2" in logs[0]
    record = json.loads(store.trial_path(run, "serial__random").read_text())
    assert [e["eval_seed"] for e in record["episodes"]] == [10_000, 10_001, 10_002]
    assert all(e["length"] == 40 for e in record["episodes"])
    assert set(record["trace"]["kpis"]) >= {"on_hand", "orders", "total_cost", "reward"}
    assert len(record["trace"]["kpis"]["on_hand"]) == 40
    assert record["trace"]["seed"] == 10_000 and record["model"] is None
    assert record["wall_time"]["total"] > 0

    stamps = {p.name: p.stat().st_mtime_ns for p in (run / store.TRIALS).glob("*.json")}
    again = run_plan(plan, run, progress=False, log=logs.append)
    assert again.ran == [] and again.skipped == 2
    assert stamps == {p.name: p.stat().st_mtime_ns for p in (run / store.TRIALS).glob("*.json")}

    changed = load_scenario(write_scenario(tiny.replace("episodes: 3", "episodes: 2")))
    third = run_plan(changed, run, progress=False, log=logs.append)
    assert sorted(third.ran) == ["serial__clark_scarf", "serial__random"]
    assert "(2 changed since they ran)" in logs[-1]
    assert len(store.load_results(run)) == 2 * 2


@pytest.mark.slow
def test_failed_trials_are_reported_and_the_others_kept(tmp_path, write_scenario, tiny):
    text = tiny.replace("  - name: clark_scarf\n", "  - name: base_stock\n").replace(
        "  reference: clark_scarf", "  reference: random"
    )
    plan = load_scenario(write_scenario(text))
    run = tmp_path / "run"
    with pytest.raises(TrialsFailed, match="1 of 2 trials failed") as info:
        run_plan(plan, run, progress=False, log=lambda message: None)
    assert "base_stock needs levels" in str(info.value)
    assert "ConfigError" in (run / store.ERRORS / "serial__base_stock.txt").read_text()
    assert list(store.load_results(run)["agent"].unique()) == ["random"]
    index = write_report(run, tmp_path / "report")
    assert "serial__base_stock" in index.read_text() and "no result yet" in index.read_text()


def test_fresh_refuses_to_delete_a_folder_that_is_not_a_run(tmp_path, write_scenario, tiny):
    plan = load_scenario(write_scenario(tiny))
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "thesis.tex").write_text("...")
    with pytest.raises(Exception, match="not a run folder"):
        run_plan(plan, precious, fresh=True, progress=False, log=lambda message: None)
    assert (precious / "thesis.tex").exists()


@pytest.mark.slow
def test_learner_trials_save_model_logs_and_curve(tiny_run):
    runs = tiny_run["runs"]
    for seed in (0, 1):
        trial_id = f"serial__dqn__s{seed}"
        record = json.loads(store.trial_path(runs, trial_id).read_text())
        assert record["model"] == f"models/{trial_id}" and record["wall_time"]["fit"] > 0
        card = json.loads((runs / record["model"] / MODEL_CARD).read_text())
        assert card["agent"] == "dqn" and card["seed"] == seed and card["train_steps"] == 1000
        assert any((runs / record["log_dir"]).rglob("events.out.tfevents.*"))
        assert len(record["curve"]) >= 4 and record["curve"][-1]["step"] <= 1000
    curves = store.load_curves(runs)
    assert set(curves["trial_id"]) == {"serial__dqn__s0", "serial__dqn__s1"}
    assert not list((runs / store.MODELS).glob(".*.tmp"))
