"""Execution backends: the same trials and results store on a local pool or on Ray."""

from __future__ import annotations

import json

import pytest

from fieldgym.envs.core.errors import ConfigError
from fieldgym.scenarios.plan.planner import load_scenario
from fieldgym.scenarios.run import backends, store
from fieldgym.scenarios.run.runner import TrialsFailed, run_plan

BASELINES = """
name: ray
description: Baselines on a local Ray instance.
env:
  id: fieldgym/MultiEchelonInventory-v1
  label: serial
agents:
  - name: clark_scarf
  - name: random
  - name: s_S
    label: broken
    params: {s: [1.0], S: [0.5]}
seeds: 1
evaluation:
  episodes: 2
  max_steps: 20
workers: 2
"""


@pytest.mark.slow
def test_ray_backend_stores_results_like_the_local_pool_and_resumes(tmp_path, write_scenario):
    pytest.importorskip("ray")
    plan = load_scenario(write_scenario(BASELINES))
    quiet = {"progress": False, "log": lambda message: None}
    with pytest.raises(TrialsFailed, match="broken"):
        run_plan(plan, tmp_path / "ray", backend="ray", **quiet)
    ray_records = {r["trial_id"]: r for r in store.load_trials(tmp_path / "ray")}
    assert sorted(ray_records) == ["serial__clark_scarf", "serial__random"]
    assert (tmp_path / "ray" / store.ERRORS / "serial__broken.txt").exists()

    with pytest.raises(TrialsFailed):
        run_plan(plan, tmp_path / "local", **quiet)
    local_records = {r["trial_id"]: r for r in store.load_trials(tmp_path / "local")}
    for trial_id, record in ray_records.items():  # same episodes, whichever backend ran them
        assert record["episodes"] == local_records[trial_id]["episodes"]

    with pytest.raises(TrialsFailed):  # resume: only the failed trial runs again
        summary_dir = tmp_path / "ray"
        run_plan(plan, summary_dir, backend="ray", **quiet)
    again = json.loads(store.trial_path(tmp_path / "ray", "serial__random").read_text())
    assert again["finished_at"] == ray_records["serial__random"]["finished_at"]


def test_backend_choices_are_checked(tmp_path):
    with pytest.raises(ConfigError, match=r"Unknown backend 'dask'.*local, ray"):
        backends.execute("dask", [], tmp_path, lambda trial, run_dir: {}, 1)
    with pytest.raises(ConfigError, match="--backend ray"):
        backends.execute("local", [], tmp_path, lambda trial, run_dir: {}, 1, address="auto")


def test_pack_and_unpack_replace_trial_folders_whole(tmp_path):
    node = tmp_path / "node"
    (node / "models" / "t1").mkdir(parents=True)
    (node / "models" / "t1" / "model.zip").write_bytes(b"new")
    (node / "tensorboard" / "t1" / "ppo_1").mkdir(parents=True)
    (node / "tensorboard" / "t1" / "ppo_1" / "events").write_text("log")
    run = tmp_path / "run"
    (run / "models" / "t1").mkdir(parents=True)
    (run / "models" / "t1" / "stale.zip").write_bytes(b"old")
    backends.unpack(backends.pack(node), run)
    assert sorted(p.name for p in (run / "models" / "t1").iterdir()) == ["model.zip"]
    assert (run / "models" / "t1" / "model.zip").read_bytes() == b"new"
    assert (run / "tensorboard" / "t1" / "ppo_1" / "events").read_text() == "log"
    assert not list(run.glob(".unpack-*"))
