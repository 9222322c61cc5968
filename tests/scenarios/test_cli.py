"""The fieldgym command end to end on tiny budgets, and the report folder it writes."""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest

from fieldgym.scenarios.cli import main, make_target, parse_seeds, resolve_scenario

ENV_ID = "fieldgym/MultiEchelonInventory-v1"


def test_list_shows_environments_with_spaces_and_agents(capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    assert ENV_ID in out and "domain: inventory" in out
    assert re.search(r"action:\s+Box\(0\.0, 40\.0, \(4,\), float32\)", out)
    assert re.search(r"clark_scarf\s+baseline\s+inventory", out)
    assert re.search(r"random\s+baseline\s+all domains", out)
    assert re.search(r"dqn\s+learner", out)


@pytest.mark.slow
def test_compare_writes_the_report_folder(tiny_run):
    out = tiny_run["out"]
    assert {"index.html", "results.md", "results.csv", "episodes.csv"} <= {
        p.name for p in out.iterdir()
    }
    pngs = {p.name for p in out.glob("*.png")}
    expected = {"serial_levels.png", "serial_costs.png", "serial_avg_cost.png"}
    assert expected | {"serial_learning_curves.png"} == pngs
    html = (out / "index.html").read_text()
    assert (
        set(re.findall(r"<img src='([^']+)'", html)) == pngs
    )  # every plot shown, by relative path
    assert f"fieldgym report {tiny_run['runs']} --out {out}" in html
    assert "CPUs" in html and "Student-t" in html and "Budgets" in html
    assert "vs clark_scarf" in html and "A tiny run for the tests." in html
    # the training logs travel with the report
    assert f"tensorboard --logdir {out / 'tensorboard'}" in html
    assert any((out / "tensorboard" / "serial__dqn__s1").rglob("events.out.tfevents.*"))

    results = pd.read_csv(out / "results.csv")
    assert {"env", "agent", "metric", "mean", "ci_low", "ci_high", "n", "seed_sd"} <= set(
        results.columns
    )
    cost = results[results["metric"] == "avg_cost"].set_index("agent")
    assert (cost["ci_low"] <= cost["mean"]).all() and (cost["mean"] <= cost["ci_high"]).all()
    assert cost.loc["clark_scarf", "mean"] < cost.loc["random", "mean"]
    assert cost.loc["random", "n"] == 3
    gap = results[results["metric"] == "avg_cost vs clark_scarf (%)"].set_index("agent")
    assert gap.loc["random", "mean"] > 0
    episodes = pd.read_csv(out / "episodes.csv")
    assert len(episodes) == 3 * 4
    assert (episodes["length"] == 40).all()
    markdown = (out / "results.md").read_text()
    assert "| # | agent |" in markdown and "### Ranking by avg_cost (lower is better)" in markdown
    # the budget in steps as well, and where the learner's parameters came from
    row = next(line for line in markdown.splitlines() if line.startswith("| dqn | dqn |"))
    assert "| 1k |" in row and "n_envs=4 over tuned entries, else defaults" in row


@pytest.mark.slow
def test_report_regenerates_the_same_tables(tiny_run, tmp_path, capsys):
    again = tmp_path / "again"
    assert main(["report", str(tiny_run["runs"]), "--out", str(again)]) == 0
    assert str(again / "index.html") in capsys.readouterr().out
    first = pd.read_csv(tiny_run["out"] / "results.csv")
    pd.testing.assert_frame_equal(first, pd.read_csv(again / "results.csv"))
    assert len(list(again.glob("*.png"))) == len(list(tiny_run["out"].glob("*.png")))


@pytest.mark.slow
def test_a_report_into_a_users_folder_leaves_its_other_files(tiny_run, tmp_path):
    """The report replaced OUT/tensorboard whole, deleting logs it had not written."""
    out = tmp_path / "mine"
    theirs = out / "tensorboard" / "their_experiment" / "events"
    theirs.parent.mkdir(parents=True)
    theirs.write_text("their logs")
    for _ in range(2):  # written twice: the second replaces its own copy
        assert main(["report", str(tiny_run["runs"]), "--out", str(out)]) == 0
    assert theirs.read_text() == "their logs"
    assert any((out / "tensorboard" / "serial__dqn__s1").rglob("events.out.tfevents.*"))


@pytest.mark.slow
def test_compare_again_reuses_every_trial(tiny_run, capsys):
    scenario, runs, out = tiny_run["scenario"], tiny_run["runs"], tiny_run["out"]
    assert main(["compare", str(scenario), "--runs", str(runs), "--out", str(out), "--quiet"]) == 0
    assert "ran 0 trial(s), reused 4" in capsys.readouterr().out


def test_backtest_a_baseline_prints_and_writes_the_metrics(tmp_path, capsys):
    csv = tmp_path / "out" / "episodes.csv"
    args = [
        "backtest",
        ENV_ID,
        "--agent",
        "clark_scarf",
        "--seeds",
        "0:3",
        "7",
        "--max-steps",
        "20",
    ]
    assert main([*args, "--set", "demand_mean=6", "--csv", str(csv)]) == 0
    out = capsys.readouterr().out
    assert "clark_scarf on fieldgym/MultiEchelonInventory-v1 over 4 episodes" in out
    assert re.search(r"avg_cost\s+\d", out)
    table = pd.read_csv(csv)
    assert list(table["seed"]) == [0, 1, 2, 7] and (table["length"] == 20).all()


def test_train_then_backtest_the_saved_model(tmp_path, capsys):
    model = tmp_path / "model"
    args = ["train", ENV_ID, "--agent", "dqn", "--steps", "200", "--seed", "1", "--out", str(model)]
    assert main([*args, "--set", "demand_mean=8", "--param", "n_envs=2", "--quiet"]) == 0
    assert (model / "fieldgym_model.json").is_file() and (model / "learning_curve.csv").is_file()
    assert "fieldgym backtest --model" in capsys.readouterr().out
    csv = tmp_path / "bt.csv"
    assert main(["backtest", "--model", str(model), "--seeds", "5", "6", "--csv", str(csv)]) == 0
    assert "over 2 episodes" in capsys.readouterr().out
    table = pd.read_csv(csv)
    assert list(table["seed"]) == [5, 6] and table["avg_cost"].gt(0).all()


def test_train_for_a_number_of_seconds(tmp_path, capsys):
    model = tmp_path / "model"
    args = ["train", ENV_ID, "--agent", "ppo", "--seconds", "0.5", "--out", str(model), "--quiet"]
    params = ["--param", "n_envs=4", "--param", "hyperparams={n_steps: 8, batch_size: 32}"]
    assert main([*args, *params]) == 0
    assert "within 0.5 s" in capsys.readouterr().out
    curve = pd.read_csv(model / "learning_curve.csv")
    assert list(curve.columns) == ["step", "seconds", "episode_return"]
    assert json.loads((model / "fieldgym_model.json").read_text())["train_seconds"] == 0.5


@pytest.mark.slow
def test_backtest_a_model_from_a_run(tiny_run, capsys):
    model = tiny_run["runs"] / "models" / "serial__dqn__s0"
    assert main(["backtest", "--model", str(model), "--seeds", "3", "--max-steps", "10"]) == 0
    assert re.search(r"length\s+10\.0", capsys.readouterr().out)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["compare", "{typo}"], "unknown key 'seeds_'"),
        (["compare", "no/such/file.yaml"], "no such scenario file"),
        (
            ["train", ENV_ID, "--agent", "random", "--steps", "5", "--out", "{tmp}"],
            "does not learn",
        ),
        (["train", ENV_ID, "--agent", "ppo", "--out", "{tmp}"], "--steps N, --seconds S or both"),
        (["train", ENV_ID, "--agent", "ppo", "--seconds", "-1", "--out", "{tmp}"], "seconds"),
        (["backtest", ENV_ID, "--agent", "clark_scarf", "--set", "demand_men=3"], "'demand_men'"),
        (["backtest", ENV_ID, "--agent", "clark_scarf", "--set", "novalue"], "is not KEY=VALUE"),
        (["backtest", "fieldgym/Nope-v0", "--agent", "random"], "Unknown environment id"),
        (["backtest", "fieldgym/TrafficGrid-v1", "--agent", "random"], "Unknown environment id"),
        (["tune", "fieldgym/Nope-v0", "--agent", "ppo", "--trials", "1", "--seconds", "1"], "Ids:"),
        (["backtest", ENV_ID, "--agent", "nope"], "Unknown agent 'nope'"),
        (["backtest", "--model", "{tmp}"], "holds no model saved by fieldgym"),
        (["backtest", ENV_ID, "--agent", "random", "--seeds", "x"], "--seeds 'x'"),
        (["report", "{tmp}"], "is not a run folder"),
        # Misuses that printed a traceback (issue 15), all refused before any work.
        (["backtest", ENV_ID, "--agent", "clark_scarf", "--param", "bogus=1"], "'bogus'"),
        (["backtest", ENV_ID, "--agent", "clark_scarf", "--seeds", "-1"], "seeds are 0 or more"),
        (["backtest", ENV_ID, "--agent", "clark_scarf", "--max-steps", "0"], "give 1 or more"),
        (["backtest", ENV_ID, "--agent", "clark_scarf", "--csv", "{tmp}"], "is a folder"),
        (["backtest", ENV_ID, "--agent", "clark_scarf", "--csv", "{file}/x.csv"], "cannot be"),
        (["train", ENV_ID, "--agent", "ppo", "--steps", "9", "--out", "{file}/m"], "cannot be"),
        (["train", ENV_ID, "--agent", "ppo", "--steps", "x", "--out", "{tmp}"], "whole number"),
        (
            ["train", ENV_ID, "--agent", "ppo", "--steps", "9", "--seed", "-2", "--out", "{tmp}"],
            "seeds are 0 or more",
        ),
        (
            [
                "train",
                ENV_ID,
                "--agent",
                "ppo",
                "--steps",
                "9",
                "--out",
                "{tmp}",
                "--param",
                "hyperparams={{n_step: 3}}",
            ],
            "Did you mean 'n_steps'?",
        ),
        (
            [
                "train",
                ENV_ID,
                "--agent",
                "ppo",
                "--steps",
                "9",
                "--out",
                "{tmp}",
                "--param",
                "algo=ppx",
            ],
            "algo='ppx' is not allowed",
        ),
        (["tune", ENV_ID, "--agent", "ppo", "--trials", "0", "--seconds", "1"], "give 1 or more"),
        (["compare", "{typo}", "--workers", "0"], "give 1 or more"),
        (["compare", "{good}", "--runs", "{tmp}/runs", "--out", "{file}/r"], "cannot be created"),
        (["backtest", ENV_ID, "--agent"], "expected one argument"),
        (["fly"], "invalid choice: 'fly'"),
    ],
)
def test_errors_print_one_line_and_exit_2(argv, message, tmp_path, write_scenario, tiny, capsys):
    typo = write_scenario(tiny.replace("seeds: 2", "seeds_: 2"))
    good = write_scenario(tiny, "good.yaml")
    file = tmp_path / "a_file"
    file.write_text("not a folder")
    argv = [a.format(typo=typo, good=good, tmp=tmp_path, file=file) for a in argv]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("fieldgym: error: ") and message in err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_helpers_parse_seeds_and_find_packaged_scenarios():
    assert parse_seeds(["1:4", "9,11"]) == [1, 2, 3, 9, 11]
    assert resolve_scenario("quickstart").name == "quickstart.yaml"
    assert resolve_scenario("quickstart").is_file()
    grid = make_target("fieldgym/TrafficGrid-v1", None, ["rows=2"], multi_agent=True)
    assert type(grid).__name__ == "ParallelTarget" and grid.kwargs == {"rows": 2}


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ("{hyperparams: {learning_rat: 0.001}}", "Did you mean 'learning_rate'?"),
        ("{hyperparams: {seed: 3}}", "'seed' (fieldgym sets it)"),
        ("{algo: ppx}", "algo='ppx' is not allowed"),
        ("{n_env: 4}", "has no parameter 'n_env'. Did you mean 'n_envs'?"),
    ],
)
def test_a_scenario_with_a_bad_learner_parameter_fails_before_any_trial(
    params, message, tmp_path, write_scenario, tiny, capsys
):
    """Typos inside params.hyperparams and a bad algo failed every trial at run time."""
    learner = f"\n  - name: ppo\n    train_steps: 100\n    params: {params}\n"
    path = write_scenario(tiny.replace("  - name: random\n", "  - name: random" + learner))
    assert main(["compare", str(path), "--runs", str(tmp_path / "runs")]) == 2
    err = capsys.readouterr().err
    assert message in err and "'ppo'" in err
    assert not (tmp_path / "runs" / "trials").exists()
