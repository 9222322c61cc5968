"""Report files are replaced whole: a reader or a failed write never sees a part of one."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest

from fieldgym.scenarios.plan.planner import load_scenario
from fieldgym.scenarios.report.page import write_report
from fieldgym.scenarios.run import store
from fieldgym.scenarios.run.runner import run_plan

ENV_ID = "fieldgym/MultiEchelonInventory-v1"
SCENARIO = f"""
name: atomic
env: {{id: {ENV_ID}, label: serial}}
agents: [{{name: clark_scarf}}, {{name: random}}]
evaluation: {{episodes: 2, max_steps: 20}}
report: {{reference: clark_scarf}}
workers: 1
"""


@pytest.fixture
def run(tmp_path, write_scenario) -> Path:
    """A finished run of two baselines."""
    folder = tmp_path / "run"
    run_plan(load_scenario(write_scenario(SCENARIO)), folder, progress=False, log=lambda m: None)
    return folder


def test_atomic_path_replaces_whole_or_not_at_all(tmp_path):
    path = tmp_path / "out" / "table.csv"
    store.write_text_atomic(path, "old\n")
    with store.atomic_path(path) as tmp:
        assert tmp.name == "table.csv" and tmp.parent.parent == path.parent
        tmp.write_text("new, half")
        assert path.read_text() == "old\n"  # readers see the old file meanwhile
        tmp.write_text("new\n")
    assert path.read_text() == "new\n"
    with pytest.raises(OSError, match="disk full"), store.atomic_path(path) as tmp:
        tmp.write_text("ne")
        raise OSError("disk full")
    assert path.read_text() == "new\n"
    assert sorted(p.name for p in path.parent.iterdir()) == ["table.csv"]  # no temporaries


@pytest.mark.slow
def test_every_report_file_is_renamed_into_place(run, tmp_path, monkeypatch):
    replaced: set[Path] = set()
    real = os.replace

    def spy(src, dst, **kwargs):
        replaced.add(Path(dst).resolve())
        return real(src, dst, **kwargs)

    monkeypatch.setattr(os, "replace", spy)
    out = tmp_path / "report"
    write_report(run, out)
    files = {p.resolve() for p in out.rglob("*") if p.is_file()}
    assert {p.name for p in files} >= {"index.html", "results.md", "results.csv", "episodes.csv"}
    assert any(p.suffix == ".png" for p in files)
    assert files <= replaced, sorted(p.name for p in files - replaced)


@pytest.mark.slow
def test_a_failed_report_write_keeps_the_previous_file_whole(run, tmp_path, monkeypatch):
    out = tmp_path / "report"
    write_report(run, out)
    before = (out / "results.csv").read_text()

    def broken_to_csv(self, path, *args, **kwargs):  # dies halfway, as a full disk would
        Path(path).write_text("env,agent\nserial,")
        raise OSError("disk full")

    monkeypatch.setattr(pd.DataFrame, "to_csv", broken_to_csv)
    with pytest.raises(OSError, match="disk full"):
        write_report(run, out)
    assert (out / "results.csv").read_text() == before
    assert not [p for p in out.iterdir() if p.name.startswith(".")]
