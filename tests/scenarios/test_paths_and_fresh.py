"""Runs and reports stay in their folders, and --fresh deletes only what fieldgym made."""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path

import pytest

from fieldgym.envs.core.errors import ConfigError
from fieldgym.scenarios.cli import main
from fieldgym.scenarios.plan.planner import load_scenario
from fieldgym.scenarios.plan.trials import expand
from fieldgym.scenarios.report.page import default_out
from fieldgym.scenarios.run import claims, store
from fieldgym.scenarios.run.runner import run_plan

ENV_ID = "fieldgym/MultiEchelonInventory-v1"
QUIET = {"progress": False, "log": lambda message: None}


def scenario(name: str = "paths") -> str:
    """One trial of the random policy, two 20-step episodes."""
    return (
        f"name: {name!r}\nenv: {{id: {ENV_ID}, label: serial}}\nagents: [{{name: random}}]\n"
        "evaluation: {episodes: 2, max_steps: 20}\nworkers: 1\n"
    )


def user_files(folder: Path) -> dict[str, str]:
    """A user's own files, in the folders a run folder also has; returns them by path."""
    files = {
        "models/thesis_model.zip": "weights",
        "trials/notes.txt": "trial notes",
        "tensorboard/mine/events": "logs",
        "errors/todo.txt": "todo",
        "plan.json": "{}",
    }
    for name, text in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text)
    return files


@pytest.mark.parametrize("name", ["..", ".", ".hidden", "run.", "a/b", "..."])
def test_names_that_are_not_plain_folder_names_are_refused(write_scenario, name):
    with pytest.raises(ConfigError, match=r"name: the name .*give a name such as") as info:
        load_scenario(write_scenario(scenario(name)))
    assert repr(name) in str(info.value)


def test_a_dot_dot_scenario_writes_nothing_into_the_current_folder(
    tmp_path, write_scenario, monkeypatch, capsys
):
    work = tmp_path / "work"
    (work / "runs").mkdir(parents=True)
    files = user_files(work)
    path = write_scenario(scenario(".."))
    monkeypatch.chdir(work)  # runs/.. and reports/.. are the current folder
    assert main(["compare", str(path), "--fresh", "--quiet"]) == 2
    assert "not a plain folder name" in capsys.readouterr().err
    for name, text in files.items():
        assert (work / name).read_text() == text
    assert sorted(p.name for p in work.iterdir()) == sorted(
        ["runs", "models", "trials", "tensorboard", "errors", "plan.json"]
    )


def test_paths_from_labels_and_names_must_stay_inside_their_folder(tmp_path, write_scenario):
    plan = load_scenario(write_scenario(scenario()))
    escaping = dataclasses.replace(plan, name="..")  # as an old or edited plan.json holds it
    with pytest.raises(ConfigError, match="not inside reports"):
        default_out(escaping)
    with pytest.raises(ConfigError, match="not inside runs"):
        store.default_run_dir(escaping)
    assert default_out(plan) == Path("reports") / "paths"
    for kind in (store.trial_path, store.model_path, store.log_path, store.error_path):
        with pytest.raises(ConfigError, match="plain folder names"):
            kind(tmp_path, "../../escaped")
        assert kind(tmp_path, "serial__random").resolve().is_relative_to(tmp_path.resolve())
    with pytest.raises(ConfigError):
        store.progress_path(tmp_path, "../x")
    with pytest.raises(ConfigError):
        claims.claim_path(tmp_path, "../x")
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "run" / "models").mkdir(parents=True)
    os.symlink(tmp_path / "elsewhere", tmp_path / "run" / "models" / "link")
    with pytest.raises(ConfigError):  # resolved: a symbolic link out of the folder is refused
        store.model_path(tmp_path / "run", "link")


@pytest.mark.slow
def test_fresh_deletes_only_what_fieldgym_wrote_in_a_folder_it_marked(tmp_path, write_scenario):
    plan = load_scenario(write_scenario(scenario()))
    run = tmp_path / "run"
    run_plan(plan, run, **QUIET)
    marker = json.loads((run / store.MARKER).read_text())
    assert marker["made_by"] == "fieldgym compare" and marker["scenario"] == "paths"
    (run / "notes.txt").write_text("mine")
    (run / "analysis").mkdir()
    (run / "analysis" / "plot.py").write_text("mine")
    first = store.read_json(store.trial_path(run, "serial__random"))["finished_at"]

    summary = run_plan(plan, run, fresh=True, **QUIET)
    assert summary.ran == ["serial__random"]
    assert (run / "notes.txt").read_text() == "mine"
    assert (run / "analysis" / "plot.py").read_text() == "mine"
    assert (run / store.MARKER).is_file()
    assert store.read_json(store.trial_path(run, "serial__random"))["finished_at"] >= first


def test_fresh_refuses_a_run_folder_made_before_the_marker(tmp_path, write_scenario):
    plan = load_scenario(write_scenario(scenario()))
    old = tmp_path / "old_run"
    old.mkdir()
    store.write_plan(old, plan)
    trial = expand(plan)[0]
    store.write_json_atomic(store.trial_path(old, trial.trial_id), {"trial_id": trial.trial_id})
    (old / "models" / trial.trial_id).mkdir(parents=True)
    with pytest.raises(ConfigError, match=r"older fieldgym.*delete the folder by hand.*--runs"):
        run_plan(plan, old, fresh=True, **QUIET)
    assert store.trial_path(old, trial.trial_id).exists()
    assert (old / "models" / trial.trial_id).is_dir()
    assert not (old / store.MARKER).exists()


def test_fresh_refuses_a_folder_of_user_files_and_deletes_nothing(tmp_path, write_scenario):
    plan = load_scenario(write_scenario(scenario()))
    home = tmp_path / "home"
    home.mkdir()
    files = user_files(home)  # looks like a run folder (plan.json, trials/), made by the user
    with pytest.raises(ConfigError, match="--fresh"):
        run_plan(plan, home, fresh=True, **QUIET)
    for name, text in files.items():
        assert (home / name).read_text() == text


def test_a_folder_of_other_files_is_not_used_as_a_run_folder(tmp_path, write_scenario):
    plan = load_scenario(write_scenario(scenario()))
    folder = tmp_path / "documents"
    folder.mkdir()
    (folder / "progress").mkdir()
    (folder / "progress" / "report.json").write_text("{}")
    with pytest.raises(ConfigError, match="not a run folder"):
        run_plan(plan, folder, **QUIET)
    assert (folder / "progress" / "report.json").read_text() == "{}"
    assert sorted(p.name for p in folder.iterdir()) == ["progress"]


def test_fresh_refuses_while_another_run_holds_trials(tmp_path, write_scenario):
    plan = load_scenario(write_scenario(scenario()))
    run = tmp_path / "run"
    run.mkdir()
    store.mark_run(run, plan)
    with claims.Claims(run) as other:  # another run (here: this process) is running a trial
        assert other.acquire("serial__random")
        with pytest.raises(ConfigError, match=r"another run .* before --fresh"):
            run_plan(plan, run, fresh=True, **QUIET)
        assert (run / store.CLAIMS / "serial__random.claim").exists()
