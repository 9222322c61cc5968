"""Trial expansion, and the results store's atomic writes and readers."""

from __future__ import annotations

import json
import math
import os
import time

import pytest

from fieldgym.envs.core.errors import DataError
from fieldgym.scenarios.plan.spec import AgentPlan, EnvPlan, Plan
from fieldgym.scenarios.plan.trials import Trial, expand
from fieldgym.scenarios.run import store

ENV_ID = "fieldgym/MultiEchelonInventory-v1"


def make_plan() -> Plan:
    """Two environments; a learner on both, a baseline on each, 3 training seeds."""

    def env(label: str, agents: tuple[str, ...]) -> EnvPlan:
        return EnvPlan(
            label,
            ENV_ID,
            {"preset": label},
            "inventory",
            agents,
            None,
            "avg_cost",
            True,
            ("avg_cost",),
        )

    return Plan(
        name="grid",
        description="",
        source="grid.yaml",
        envs=(
            env("serial", ("ppo", "clark_scarf")),
            env("distribution", ("ppo", "base_stock_search", "random")),
        ),
        agents=(
            AgentPlan("clark_scarf", "clark_scarf", {}, 0, False),
            AgentPlan("ppo", "ppo", {"n_envs": 2}, 500, True),
            AgentPlan("base_stock_search", "base_stock_search", {}, 0, False),
            AgentPlan("random", "random", {}, 0, False),
        ),
        seeds=(0, 1, 2),
        eval_seeds=(100, 101),
        max_steps=None,
        workers=2,
    )


def test_expand_runs_learners_per_seed_and_baselines_once():
    trials = expand(make_plan())
    ids = [t.trial_id for t in trials]
    assert len(ids) == len(set(ids)) == 2 * 3 + 3
    assert ids[:6] == [f"{env}__ppo__s{s}" for env in ("serial", "distribution") for s in range(3)]
    assert set(ids[6:]) == {
        "serial__clark_scarf",
        "distribution__base_stock_search",
        "distribution__random",
    }
    baseline = next(t for t in trials if t.agent == "random")
    assert baseline.seed is None and not baseline.learns
    learner = trials[0]
    assert learner.params == {"n_envs": 2} and learner.train_steps == 500
    assert all(t.eval_seeds == (100, 101) for t in trials)
    assert learner.key()["eval_seeds"] == [100, 101]  # plain JSON types


def test_write_json_atomic_replaces_whole_or_not_at_all(tmp_path):
    path = tmp_path / "trials" / "a.json"
    store.write_json_atomic(path, {"value": 1, "nan": math.nan})
    assert store.read_json(path)["value"] == 1
    assert math.isnan(store.read_json(path)["nan"])
    with pytest.raises(TypeError):
        store.write_json_atomic(path, {"value": object()})  # fails half-way through json.dump
    assert store.read_json(path)["value"] == 1  # the old file is intact
    assert sorted(p.name for p in path.parent.iterdir()) == ["a.json"]  # no temporary left
    assert oct(path.stat().st_mode & 0o777) == oct(0o644)


def test_stale_temporaries_are_removed_and_never_read(tmp_path):
    folder = tmp_path / "trials"
    folder.mkdir()
    tmp = folder / ".x.json.abc.tmp"
    tmp.write_text('{"trial_id": "x"')  # half-written, as a killed writer leaves it
    fresh = folder / ".y.json.def.tmp"
    fresh.write_text("{")
    old = time.time() - 3600
    os.utime(tmp, (old, old))
    assert store.finished_trials(tmp_path) == {}
    assert store.remove_stale_temporaries(folder) == 1
    assert not tmp.exists() and fresh.exists()  # a recent one may belong to a live writer


def fake_record(trial: Trial, values: list[float]) -> dict:
    return {
        "format": store.FORMAT,
        "trial_id": trial.trial_id,
        "key": trial.key(),
        "episodes": [
            {"eval_seed": s, "episode_return": -v, "length": 10, "avg_cost": v}
            for s, v in zip(trial.eval_seeds, values, strict=True)
        ],
        "curve": [{"step": 10.0, "episode_return": -5.0}, {"step": 20.0, "episode_return": -4.0}]
        if trial.learns
        else [],
        "trace": None,
        "wall_time": {"fit": 1.0, "evaluate": 0.5, "total": 1.5},
    }


def test_load_results_and_curves_read_the_current_trials(tmp_path):
    plan = make_plan()
    store.write_plan(tmp_path, plan)
    trials = expand(plan)
    for k, trial in enumerate(trials):
        store.write_json_atomic(
            store.trial_path(tmp_path, trial.trial_id), fake_record(trial, [k, k + 0.5])
        )
    stale = fake_record(trials[0], [9.0, 9.0])
    stale["key"]["train_steps"] = 1  # written by an older version of the scenario
    store.write_json_atomic(store.trial_path(tmp_path, trials[0].trial_id), stale)

    results = store.load_results(tmp_path)
    assert len(results) == 2 * (len(trials) - 1)
    assert trials[0].trial_id not in set(results["trial_id"])
    assert list(results.columns[:7]) == [*store.KEY_COLUMNS, "eval_seed"]
    assert str(results["train_seed"].dtype) == "Int64"
    assert results.loc[results["agent"] == "random", "train_seed"].isna().all()
    row = results[(results["trial_id"] == trials[1].trial_id) & (results["eval_seed"] == 101)]
    assert row["avg_cost"].item() == 1.5 and row["env"].item() == "serial"

    assert len(store.load_results(tmp_path, current_only=False)) == 2 * len(trials)
    curves = store.load_curves(tmp_path)
    assert set(curves["agent"]) == {"ppo"} and len(curves) == 2 * 5
    assert set(store.finished_trials(tmp_path)) == {t.trial_id for t in trials}


def test_corrupt_trial_files_are_reported_with_their_name(tmp_path):
    store.write_plan(tmp_path, make_plan())
    bad = store.trial_path(tmp_path, "serial__clark_scarf")
    bad.parent.mkdir()
    bad.write_text("{not json")
    assert "serial__clark_scarf" not in store.finished_trials(tmp_path)  # so it reruns
    with pytest.raises(DataError, match=r"serial__clark_scarf\.json"):
        store.load_results(tmp_path)


def test_read_plan_needs_a_run_folder(tmp_path):
    with pytest.raises(DataError, match="is not a run folder"):
        store.read_plan(tmp_path)
    plan = make_plan()
    store.write_plan(tmp_path, plan)
    assert store.read_plan(tmp_path) == plan
    assert json.loads((tmp_path / store.PLAN).read_text())["name"] == "grid"
