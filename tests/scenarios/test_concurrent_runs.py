"""Two runs of one run folder share its trials: each trial runs once."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from fieldgym.scenarios.plan.planner import load_scenario
from fieldgym.scenarios.plan.trials import expand
from fieldgym.scenarios.run import claims, store
from fieldgym.scenarios.run.runner import execute_trial, run_plan, store_record

ENV_ID = "fieldgym/MultiEchelonInventory-v1"
FIELDGYM = Path(sys.executable).with_name("fieldgym")
QUIET = {"progress": False, "log": lambda message: None}


def scenario(num_envs: int, episodes: int = 2) -> str:
    """``num_envs`` environments × the random policy: one trial each."""
    envs = "".join(
        f"  - id: {ENV_ID}\n    label: mean{k}\n    config: {{demand_mean: {5 + k}.0}}\n"
        for k in range(num_envs)
    )
    return (
        f"name: shared\nenvs:\n{envs}agents: [{{name: random}}]\n"
        f"evaluation: {{episodes: {episodes}}}\nworkers: 1\n"
    )


def fake_claim(run: Path, trial_id: str, pid: int, age: float = 0.0) -> Path:
    """A claim of ``trial_id`` by process ``pid`` of this host, last refreshed ``age`` s ago."""
    path = claims.claim_path(run, trial_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    holder = {"pid": pid, "host": claims.HOST, "token": "other", "since": "2025-01-01T00:00:00"}
    path.write_text(json.dumps(holder))
    if age:
        os.utime(path, (time.time() - age, time.time() - age))
    return path


def dead_pid() -> int:
    """The pid of a process that has ended."""
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


@pytest.mark.slow
def test_two_compares_of_one_folder_run_each_trial_once(tmp_path):
    path = tmp_path / "shared.yaml"
    path.write_text(scenario(6, episodes=12))  # about a second per trial
    runs = tmp_path / "runs"
    options = ["--runs", str(runs), "--workers", "1", "--quiet", "--no-tensorboard"]
    commands = [
        [str(FIELDGYM), "compare", str(path), *options, "--out", str(tmp_path / report)]
        for report in ("report_a", "report_b")
    ]
    processes = [
        subprocess.Popen(c, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for c in commands
    ]
    outputs = [p.communicate(timeout=600) for p in processes]
    for process, (_, err) in zip(processes, outputs, strict=True):
        assert process.returncode == 0, err
    ran = [int(re.search(r"ran (\d+) trial", out).group(1)) for out, _ in outputs]
    assert sum(ran) == 6, outputs  # without claims, both ran all 6
    assert sorted(p.name for p in (runs / store.TRIALS).glob("*.json")) == [
        f"mean{k}__random.json" for k in range(6)
    ]
    assert not list((runs / store.CLAIMS).iterdir())  # every claim released
    for report in ("report_a", "report_b"):  # each run waited for the other's trials
        assert "no result yet" not in (tmp_path / report / "index.html").read_text()


@pytest.mark.slow
def test_a_trial_claimed_by_a_live_run_is_left_to_it_and_waited_for(tmp_path, write_scenario):
    plan = load_scenario(write_scenario(scenario(2)))
    run = tmp_path / "run"
    claimed = expand(plan)[0]
    run.mkdir()
    store.mark_run(run, plan)
    path = fake_claim(run, claimed.trial_id, os.getppid())  # alive: the test's parent

    def other_run() -> None:  # finishes its trial after the run's own, then releases it
        own = store.trial_path(run, expand(plan)[1].trial_id)
        deadline = time.monotonic() + 300
        while not own.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        store_record(run, execute_trial(claimed, run))
        path.unlink()

    thread = threading.Thread(target=other_run)
    thread.start()
    logs: list[str] = []
    summary = run_plan(plan, run, progress=False, log=logs.append)
    thread.join()
    assert summary.ran == [t.trial_id for t in expand(plan)[1:]]
    assert summary.elsewhere == [claimed.trial_id] and summary.skipped == 1
    assert "1 being run by another run of this folder" in logs[0]
    assert any("waiting for 1 trial(s)" in line for line in logs)


@pytest.mark.slow
@pytest.mark.parametrize("holder", ["dead pid", "stale heartbeat"])
def test_a_claim_of_a_dead_run_is_taken_over(tmp_path, write_scenario, holder):
    plan = load_scenario(write_scenario(scenario(1)))
    run = tmp_path / "run"
    run.mkdir()
    store.mark_run(run, plan)
    trial_id = expand(plan)[0].trial_id
    if holder == "dead pid":
        fake_claim(run, trial_id, dead_pid())
    else:  # a live pid (reused, or another host's run) that stopped refreshing its claim
        fake_claim(run, trial_id, os.getppid(), age=claims.STALE + 5)
    summary = run_plan(plan, run, **QUIET)
    assert summary.ran == [trial_id] and not summary.elsewhere
    assert not claims.claim_path(run, trial_id).exists()


def test_claims_are_exclusive_and_released(tmp_path):
    with claims.Claims(tmp_path) as first, claims.Claims(tmp_path) as second:
        assert first.acquire("e__a")
        assert not second.acquire("e__a")  # held by a live run (here: the same process)
        assert set(claims.live_claims(tmp_path)) == {"e__a"}
        first.release("e__a")
        assert second.acquire("e__a")
        fake_claim(tmp_path, "e__b", dead_pid())
        assert first.acquire("e__b") and not second.acquire("e__b")
    assert not list((tmp_path / store.CLAIMS).iterdir())  # leaving releases what is held
