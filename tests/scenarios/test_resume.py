"""A compare killed with SIGKILL resumes without losing or rerunning a finished trial."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from fieldgym.scenarios.cli import main
from fieldgym.scenarios.run import store

pytestmark = pytest.mark.slow  # a compare in a subprocess, killed with SIGKILL and resumed

ENV_ID = "fieldgym/MultiEchelonInventory-v1"
FIELDGYM = Path(sys.executable).with_name("fieldgym")


def scenario(num_envs: int) -> str:
    """``num_envs`` environments × the random policy: one trial each, about a second apiece."""
    envs = "".join(
        f"  - id: {ENV_ID}\n    label: mean{k}\n    config: {{demand_mean: {5 + k}.0}}\n"
        for k in range(num_envs)
    )
    return f"name: resume\nenvs:\n{envs}agents: [{{name: random}}]\nevaluation: {{episodes: 12}}\n"


def test_killed_compare_resumes_without_rerunning_finished_trials(tmp_path):
    path = tmp_path / "resume.yaml"
    path.write_text(scenario(5))
    runs, out = tmp_path / "runs", tmp_path / "report"
    trials = runs / store.TRIALS
    command = [str(FIELDGYM), "compare", str(path), "--runs", str(runs), "--out", str(out)]
    process = subprocess.Popen(
        [*command, "--workers", "1", "--quiet"],
        start_new_session=True,  # its own process group: the kill reaches the pool's workers too
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 120
        while not list(trials.glob("*.json")) and time.monotonic() < deadline:
            assert process.poll() is None, process.stderr.read().decode() if process.stderr else ""
            time.sleep(0.02)
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        if process.stderr:
            process.stderr.close()
    survivors = {p.name: p.stat().st_mtime_ns for p in trials.glob("*.json")}
    left_by_kill = {p.name for p in trials.iterdir() if not p.name.endswith(".json")}
    assert 1 <= len(survivors) < 5, survivors
    assert not (out / "index.html").exists()
    finished_at = {
        name: json.loads((trials / name).read_text())["finished_at"] for name in survivors
    }

    assert main(["compare", str(path), "--runs", str(runs), "--out", str(out), "--quiet"]) == 0
    after = {p.name: p.stat().st_mtime_ns for p in trials.glob("*.json")}
    assert sorted(after) == [f"mean{k}__random.json" for k in range(5)]
    for name, stamp in survivors.items():  # finished before the kill: not run again
        assert after[name] == stamp
        assert json.loads((trials / name).read_text())["finished_at"] == finished_at[name]
    assert {p.name for p in trials.iterdir() if not p.name.endswith(".json")} <= left_by_kill
    assert (out / "index.html").exists()
    assert len(store.load_results(runs)) == 5 * 12
