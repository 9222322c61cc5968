"""Time budgets, tuned parameters resolved at plan time, checkpoints, time to reference and
progress files."""

from __future__ import annotations

import dataclasses
import json
import math

import pytest
from tqdm import tqdm

from fieldgym.agents import EnvTarget, hyperparams, make_agent
from fieldgym.envs.core.errors import ConfigError
from fieldgym.scenarios.plan.planner import load_scenario
from fieldgym.scenarios.plan.spec import EnvPlan
from fieldgym.scenarios.plan.trials import Trial, expand
from fieldgym.scenarios.report.tables import time_to_reference, time_to_reference_table
from fieldgym.scenarios.run import runner, store

from .conftest import tiny_text


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("train_steps: 1000", "train_steps: 1000\n    train_seconds: 2", ["agents[2]", "not both"]),
        ("    train_steps: 1000\n", "", ["agents[2]", "train_steps (>= 1) or train_seconds"]),
        ("train_steps: 1000", "train_seconds: -1", ["agents[2].train_seconds", "greater than 0"]),
        ("train_steps: 1000", "train_seconds: .inf", ["agents[2].train_seconds", "finite"]),
        (
            "  - name: random\n",
            "  - name: random\n    train_seconds: 3\n",
            ["agents[1]", "does not learn; remove train_seconds"],
        ),
        (
            "  max_steps: 40",
            "  max_steps: 40\n  checkpoint_episodes: 4",
            ["checkpoint_episodes (4) exceeds evaluation.episodes (3)"],
        ),
    ],
)
def test_budget_errors_name_the_file_and_the_place(write_scenario, old, new, expected):
    path = write_scenario(tiny_text().replace(old, new, 1))
    with pytest.raises(ConfigError) as info:
        load_scenario(path)
    assert str(info.value).startswith(f"{path}: ")
    for part in expected:
        assert part in str(info.value), str(info.value)


def test_time_budgets_reach_the_trials_and_run_first(write_scenario):
    ppo = "  - name: ppo\n    train_seconds: 2.5\n"
    text = tiny_text().replace("    params: {n_envs: 4}\n", "    params: {n_envs: 4}\n" + ppo)
    plan = load_scenario(write_scenario(text))
    assert plan.agent("ppo").budget_text == "2.5 s" and plan.agent("dqn").budget_text[:5] == "1,000"
    trials = expand(plan)
    assert [t.agent for t in trials[:2]] == ["ppo", "ppo"]  # time budgets first
    assert trials[0].train_seconds == 2.5 and trials[0].train_steps == 0
    assert trials[0].key()["train_seconds"] == 2.5
    assert plan.checkpoints == 5 and plan.checkpoint_seeds == (10_000, 10_001, 10_002)
    dqn = next(t for t in trials if t.agent == "dqn")
    assert "train_seconds" not in dqn.key() and dqn.key()["checkpoints"] == 5
    baseline = next(t for t in trials if t.agent == "random").key()
    assert not {"train_seconds", "checkpoints", "checkpoint_seeds"} & set(baseline)


def test_tuned_entries_are_resolved_into_the_trial_key(write_scenario, tmp_path, monkeypatch):
    monkeypatch.setattr(hyperparams, "HYPERPARAMS_DIR", tmp_path / "hyperparams")
    key = "fieldgym/MultiEchelonInventory-v1"
    entry = {"n_envs": 8, "learning_rate": 0.001, "policy_kwargs": "dict(activation_fn=nn.Tanh)"}
    hyperparams.write_entry("dqn", key, entry, "a test entry")
    path = write_scenario(tiny_text())
    trial = next(t for t in expand(load_scenario(path)) if t.agent == "dqn")
    assert trial.params == {
        "algo": "dqn",
        "n_envs": 4,  # the scenario's params win
        "hyperparams": {"learning_rate": 0.001, "policy_kwargs": "dict(activation_fn=nn.Tanh)"},
    }
    assert json.loads(json.dumps(trial.key())) == trial.key()
    live = hyperparams.live_params(trial.params)
    assert live["hyperparams"]["policy_kwargs"]["activation_fn"].__name__ == "Tanh"

    hyperparams.write_entry("dqn", key, {**entry, "learning_rate": 0.002}, "retuned")
    again = next(t for t in expand(load_scenario(path)) if t.agent == "dqn")
    assert again.key() != trial.key()  # its stored result is now stale


def test_a_time_budget_stops_training_and_checkpoints_are_recorded(
    write_scenario, tmp_path, monkeypatch
):
    text = tiny_text().replace("train_steps: 1000", "train_seconds: 1.0")
    text = text.replace("  max_steps: 40", "  max_steps: 40\n  checkpoints: 2")
    trial = next(t for t in expand(load_scenario(write_scenario(text))) if t.learns)
    trial = dataclasses.replace(trial, checkpoint_seeds=trial.checkpoint_seeds[:1])
    seen = []

    def write_progress(path, steps, seconds):
        runner_write(path, steps, seconds)
        seen.append(json.loads(path.read_text()))

    runner_write = runner.write_progress
    monkeypatch.setattr(runner, "write_progress", write_progress)
    # A process's first fit spends ~2 s building torch and the env inside its budget; pay it here.
    make_agent("dqn", EnvTarget(trial.env_id, trial.env_kwargs), n_envs=4).fit(8)
    record = runner.execute_trial(trial, tmp_path / "run")

    assert 1.0 <= record["wall_time"]["fit"] < 30
    checkpoints = [p for p in record["curve"] if "eval" in p]
    assert len(checkpoints) == 2 and checkpoints[-1]["seconds"] >= 1.0
    assert 0.5 <= checkpoints[0]["seconds"] < 1.0 <= checkpoints[1]["seconds"] < 1.5
    assert all(math.isfinite(p["eval"]) and p["eval"] > 0 for p in checkpoints)  # avg_cost
    assert record["checkpoint_metric"] == {"name": "avg_cost", "lower_is_better": True}
    episodes = [p for p in record["curve"] if "episode_return" in p]
    assert episodes and all(p["seconds"] <= checkpoints[-1]["seconds"] for p in episodes)
    assert seen and seen[-1]["steps"] >= checkpoints[-1]["step"] > 0
    assert not store.progress_path(tmp_path / "run", trial.trial_id).exists()  # removed


def record(
    agent: str, seed: int | None, episodes: list[float], curve: list[tuple], env: str = "serial"
) -> dict:
    """A stored trial of ``agent`` with avg_cost ``episodes`` on seeds 100.. and a curve."""
    return {
        "trial_id": f"{env}__{agent}",
        "key": {"env": env, "agent": agent, "seed": seed, "checkpoint_seeds": [100, 101]},
        "episodes": [{"eval_seed": 100 + k, "avg_cost": v} for k, v in enumerate(episodes)],
        "curve": [{"step": s, "seconds": t, "eval": v} for s, t, v in curve],
        **({"checkpoint_metric": {"name": "avg_cost", "lower_is_better": True}} if curve else {}),
    }


def test_time_to_reference_takes_the_first_checkpoint_within_5_percent():
    env = EnvPlan(
        "serial", "x", {}, "inventory", ("ppo", "opt"), "opt", "avg_cost", True, ("avg_cost",)
    )
    records = [
        record("opt", None, [10.0, 12.0, 100.0], []),  # 11 on the checkpoint seeds 100, 101
        record("ppo", 0, [], [(10, 1.0, 20.0), (20, 2.0, 11.6), (30, 3.0, 11.5), (40, 4.0, 9.0)]),
        record("ppo", 1, [], [(10, 1.5, 30.0), (20, 3.0, 20.0)]),
        record("ppo", 2, [], [(10, 0.5, 11.0)]),
        record("ppo", 3, [], [(10, 0.5, 1.0)], env="other"),
    ]
    times = time_to_reference(records, env).set_index("train_seed")
    assert list(times.index) == [0, 1, 2]
    assert times.loc[0, "reference"] == pytest.approx(11.0)
    assert (times.loc[0, "seconds"], times.loc[0, "step"]) == (3.0, 30)  # 11.5 <= 11.55
    assert math.isnan(times.loc[1, "seconds"])
    assert times.loc[2, "seconds"] == 0.5
    table = time_to_reference_table(env, times.reset_index())
    assert table.header == ["agent", "seed 0", "seed 1", "seed 2", "median", "reached"]
    assert table.rows == [
        ["ppo", "3.00 s (30 steps)", "not reached", "0.500 s (10 steps)", "3.00 s", "2/3"]
    ]

    higher = dataclasses.replace(env, lower_is_better=False)
    returns = [record("opt", None, [-100.0, -100.0], [])]
    returns.append(record("ppo", 0, [], [(10, 1.0, -106.0), (20, 2.0, -104.0)]))
    returns[-1]["checkpoint_metric"]["lower_is_better"] = False
    assert time_to_reference(returns, higher)["seconds"].tolist() == [2.0]
    assert time_to_reference(records, dataclasses.replace(env, reference=None)).empty


def test_progress_monitor_shows_steps_rate_and_time_left(tmp_path):
    base = dict(env_id="x", env_kwargs={}, agent_name="dqn", params={}, learns=True, max_steps=None)
    steps = Trial("serial", agent="dqn", train_steps=100_000, seed=1, eval_seeds=(), **base)
    timed = dataclasses.replace(steps, agent="ppo", train_steps=0, train_seconds=60.0, seed=0)
    waiting = dataclasses.replace(steps, seed=2)

    def report(trial: Trial, steps: int, seconds: float) -> None:
        path = store.progress_path(tmp_path, trial.trial_id)
        store.write_json_atomic(path, {"steps": steps, "seconds": seconds}, durable=False)

    with tqdm(disable=True) as bar:
        monitor = runner.ProgressMonitor(tmp_path, [steps, timed, waiting], bar, 2, envs=False)
        assert monitor.describe() == "run ETA ≥00:30"  # no file yet: the time budget, 2 workers
        report(steps, 100, 2.0)  # the first seconds include building the model
        report(timed, 100, 19.0)
        assert monitor.describe().startswith("dqn s1 100/100,000 steps | ppo s0 100 steps")
        report(steps, 45_000, 6.5)
        report(timed, 125, 20.0)
        parts = monitor.describe().split(" | ")
    assert parts[0] == "dqn s1 45,000/100,000 steps 9,978/s ETA 00:05"
    assert parts[1] == "ppo s0 125 steps 20/60 s 25/s ETA 00:40"
    # 5.5 s + 40 s left of the running trials, 10 s of the waiting one, on 2 workers
    assert parts[2] == "run ETA ~00:27"
    monitor.finished(steps)
    assert "dqn s1" not in monitor.describe()


@pytest.mark.slow
def test_the_report_shows_checkpoints_and_time_to_reference(tiny_run):
    records = store.load_trials(tiny_run["runs"])
    learner = next(r for r in records if r["key"]["agent"] == "dqn")
    assert len([p for p in learner["curve"] if "eval" in p]) == 5
    assert learner["key"]["checkpoint_seeds"] == [10_000, 10_001, 10_002]
    html = (tiny_run["out"] / "index.html").read_text()
    assert "Time to reference: within 5% of clark_scarf" in html
    assert "training wall time" in html
    assert not any((tiny_run["runs"] / store.PROGRESS).glob("*.json"))  # each one removed
