"""fieldgym tune on tiny budgets: a study runs, resumes, prunes and writes its best entry."""

from __future__ import annotations

import optuna
import pytest
from optuna.trial import TrialState

from fieldgym.agents import EnvTarget, hyperparams, make_agent
from fieldgym.agents.sb3 import SB3Agent
from fieldgym.agents.target import make_target
from fieldgym.envs.core.errors import ConfigError
from fieldgym.scenarios import tune
from fieldgym.scenarios.cli import main

ENV_ID = "fieldgym/MultiEchelonInventory-v1"
TINY = dict(validation_seeds=range(50_000, 50_002), checkpoints=2, max_steps=10)
TINY_ARGS = ["--validation-seeds", "50000:50002", "--checkpoints", "2", "--max-steps", "10"]
UAV = ("fieldgym/UAVOffloading-v1", {"num_users": 12, "max_cycles": 12})


@pytest.fixture
def in_tmp(tmp_path, monkeypatch):
    """Run in a scratch folder: studies and summaries go to its runs/tune/."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.slow
def test_a_study_runs_resumes_on_two_workers_and_writes_its_best_entry(in_tmp, capsys):
    argv = ["tune", ENV_ID, "--agent", "ppo", "--seconds", "0.5", *TINY_ARGS, "--quiet"]
    assert main([*argv, "--trials", "2"]) == 0
    spec = tune.prepare(ENV_ID, "ppo", 4, 0.5, **TINY)
    first = [(t.number, t.state, t.datetime_start) for t in tune.open_study(spec).trials]
    assert [state for _, state, _ in first] == [TrialState.COMPLETE] * 2
    out = in_tmp / "runs" / "tune" / "ppo__fieldgym_MultiEchelonInventory-v1"
    assert (out / "history.png").is_file()
    summary = (out / "summary.md").read_text()
    assert "objective: avg_cost (minimize) on validation seeds 50000..50001" in summary
    assert "## Best trial" in summary and "## Parameter importances" in summary
    assert (in_tmp / "runs" / "tune" / f"{out.name}.journal").is_file()

    # A second run with more trials runs only the missing two, in two spawned workers.
    assert main([*argv, "--trials", "4", "--workers", "2", "--write-to", "hp"]) == 0
    study = tune.open_study(spec)
    assert len(study.trials) == 4 and len(tune.finished(study)) == 4
    assert [(t.number, t.state, t.datetime_start) for t in study.trials[:2]] == first
    assert f"under {ENV_ID!r}" in capsys.readouterr().out

    text = (in_tmp / "hp" / "ppo.yml").read_text()
    assert text.startswith(
        "# fieldgym tune: 4 trials (0 pruned) × 0.5 s CPU each, objective avg_cost "
        "(minimize) on validation seeds 50000..50001 (2 episodes), best "
    )
    assert f"the defaults (trial 0) scored {study.trials[0].value:.6g}" in text
    assert study.trials[0].user_attrs["defaults"] and study.trials[0].params == (
        tune.default_point("ppo")
    )
    assert "# fieldgym tune fieldgym/MultiEchelonInventory-v1 --agent ppo" in text
    key, entry = hyperparams.lookup("ppo", ENV_ID, {}, folder=in_tmp / "hp")
    assert key == ENV_ID
    assert entry["n_timesteps"] == study.best_trial.user_attrs["steps"] > 0
    assert entry["policy"] == "MlpPolicy" and entry["normalize"] is True
    assert entry["n_steps"] * entry["n_envs"] % entry["batch_size"] == 0
    params = hyperparams.agent_params(SB3Agent, entry)
    policy = make_agent("ppo", EnvTarget(ENV_ID), tuned=False, **params)
    best = tune.best_params(study, spec)
    assert policy.n_envs == best["n_envs"]
    assert policy.hyperparams == {**policy.hyperparams, **best["hyperparams"]}


@pytest.mark.slow
def test_a_pruner_stops_trials_at_their_first_checkpoint(in_tmp):
    always = optuna.pruners.ThresholdPruner(upper=0.0)  # every cost is above 0
    spec = tune.prepare(ENV_ID, "a2c", 2, 0.3, **{**TINY, "checkpoints": 3}, pruner=always)
    study = tune.run(spec, progress=False)
    assert [t.state for t in study.trials] == [TrialState.PRUNED] * 2
    assert all(list(t.intermediate_values) == [0] for t in study.trials)
    summary = tune.summarize(study, spec)
    assert "2 pruned" in summary and "Best trial" not in summary
    with pytest.raises(ConfigError, match="no complete trial"):
        tune.write_best(study, spec, "fieldgym tune ...", in_tmp / "hp")


def test_a_trial_on_several_training_seeds_scores_their_mean(in_tmp, monkeypatch):
    seen = []
    fit = SB3Agent.fit

    def recording_fit(self, budget, seed=None, **kwargs):
        seen.append(seed)
        return fit(self, budget, seed=seed, **kwargs)

    monkeypatch.setattr(SB3Agent, "fit", recording_fit)
    spec = tune.prepare(ENV_ID, "a2c", 2, 0.2, **TINY, seed=7, train_seeds=3)
    assert spec.setup()["train_seeds"] == 3
    assert "train_seeds" not in tune.prepare(ENV_ID, "a2c", 2, 0.2, study="one", **TINY).setup()
    study = tune.run(spec, progress=False)
    assert [t.state for t in study.trials] == [TrialState.COMPLETE] * 2
    assert seen[1:] == [7, 8, 9, 10, 11, 12]  # the first is the worker's warm-up fit
    for trial in study.trials:
        values = trial.user_attrs["seed_values"]
        assert len(values) == 3 and trial.value == pytest.approx(sum(values) / 3)
        # the pruner saw the first seed's checkpoints only
        assert trial.intermediate_values[1] == values[0]
    summary = tune.summarize(study, spec)
    assert "(2 episodes), mean of 3 training seeds" in summary
    assert "(per training seed: " in summary
    with pytest.raises(ConfigError, match=r"validation seeds \[50000, 50001\] are also training"):
        tune.prepare(ENV_ID, "a2c", 2, 0.2, **TINY, seed=49_996, train_seeds=3)


@pytest.mark.parametrize("agent", sorted(tune.SPACES))
def test_every_search_space_gives_a_configuration_its_learner_trains_with(agent, recwarn):
    env_id, kwargs = UAV if agent in ("shared_ppo", "mappo") else (ENV_ID, {})
    target = make_target(env_id, kwargs)
    rows = len(target.make().possible_agents) if agent in ("shared_ppo", "mappo") else 1
    trial = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=3)).ask()
    params = tune.SPACES[agent](trial, rows)
    assert tune.SPACES[agent](optuna.trial.FixedTrial(trial.params), rows) == params
    make_agent(agent, target, tuned=False, **params).fit(1)
    assert not [w for w in recwarn if "mini-batch" in str(w.message)]


def test_a_linear_learning_rate_is_written_as_rl_zoos_schedule_and_read_back(tmp_path):
    point = {**tune.default_point("ppo"), "lr_schedule": "linear"}
    params = tune.SPACES["ppo"](optuna.trial.FixedTrial(point))
    assert params["hyperparams"]["learning_rate"] == "lin_0.0003"
    entry = {"n_envs": params["n_envs"], **params["hyperparams"]}
    hyperparams.write_entry("ppo", ENV_ID, entry, "a test", folder=tmp_path)
    assert "learning_rate: lin_0.0003\n" in (tmp_path / "ppo.yml").read_text()
    read = hyperparams.agent_params(SB3Agent, hyperparams.read("ppo", tmp_path)[ENV_ID])
    agent = make_agent("ppo", EnvTarget(ENV_ID), tuned=False, **read)
    model = agent._build_model(agent._training_env(agent.n_envs))
    assert model.lr_schedule(1.0) == pytest.approx(3e-4)
    assert model.lr_schedule(0.25) == pytest.approx(0.75e-4)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--agent", "ppx"], "Unknown agent 'ppx'. Did you mean 'ppo'?"),
        (["--agent", "clark_scarf"], "'clark_scarf' does not learn: there is nothing to tune"),
        (["--agent", "discrete_sac"], "no search space for 'discrete_sac'; it tunes ppo, a2c"),
        (["--agent", "ppo", "--seconds", "0"], "--seconds: 0 is not allowed; give seconds above 0"),
        (["--agent", "ppo", "--trials", "0"], "--trials: 0 is not allowed; give 1 or more"),
        (["--agent", "ppo", "--storage", "nosuchdb://x"], "--storage 'nosuchdb://x' does not open"),
        (["--agent", "ppo", "--validation-seeds", "10005:10007"], "are also `fieldgym backtest`'s"),
        (["--agent", "ppo", "--validation-seeds", "1"], "validation seeds [1] are also training"),
    ],
)
def test_bad_arguments_fail_with_one_clear_line(in_tmp, capsys, argv, message):
    base = {"--trials": "2", "--seconds": "1"}
    for flag, value in zip(argv[::2], argv[1::2], strict=True):
        base[flag] = value
    flags = [part for pair in base.items() for part in pair]
    assert main(["tune", ENV_ID, *flags, "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("fieldgym: error: ") and message in err and err.count("\n") == 1
    assert not (in_tmp / "runs").exists()  # refused before any study or training


def test_scenario_targets_keep_validation_off_their_evaluation_seeds(in_tmp, capsys):
    args = ["tune", "quickstart", "--agent", "ppo", "--trials", "1", "--seconds", "1"]
    assert main([*args, "--validation-seeds", "10003:10006"]) == 2
    err = capsys.readouterr().err
    assert "validation seeds [10003, 10004, 10005] are also" in err
    assert "quickstart.yaml's evaluation seeds 10000..10009" in err


def test_dated_market_data_without_a_validation_range_and_ray_clusters_with_a_file_are_refused(
    in_tmp, capsys
):
    assert main(["tune", "fieldgym/StockTrading-v1", "--agent", "ppo", "--trials", "1",
                 "--seconds", "1"]) == 2  # fmt: skip
    assert "give --validation-dates START:END" in capsys.readouterr().err
    with pytest.raises(ConfigError, match="reaches into the scenario's test range"):
        tune.prepare("trading_stock", "ppo", 1, 1.0, validation_dates="2012-01-03:2015-06-30")
    with pytest.raises(ConfigError, match="applies to dated market data"):
        tune.prepare(ENV_ID, "ppo", 1, 1.0, validation_dates="2012-01-03:2014-06-30")
    spec = tune.prepare(ENV_ID, "ppo", 1, 1.0)
    with pytest.raises(ConfigError, match="cannot share; give a database URL"):
        tune.run(spec, backend="ray", address="10.0.0.1:6379")


def test_a_study_resumed_with_another_setup_is_refused(in_tmp):
    tune.prepare(ENV_ID, "ppo", 1, 1.0, storage="sqlite:///tune.db")
    with pytest.raises(ConfigError, match=r"another setup \(seconds: 1.0 -> 2.0\)"):
        tune.prepare(ENV_ID, "ppo", 1, 2.0, storage="sqlite:///tune.db")


@pytest.mark.slow
def test_dated_market_data_tunes_on_a_validation_range_before_the_test_dates(in_tmp, monkeypatch):
    monkeypatch.setattr(hyperparams, "HYPERPARAMS_DIR", in_tmp / "hp")
    spec = tune.prepare("trading_stock", "dqn", 1, 0.5, checkpoints=1)
    # trading_stock tests on 2015-01-02..2018-12-31: validation is as long, just before it
    assert spec.validation_dates == ("2011-01-03", "2015-01-01")
    assert (spec.env_kwargs["mode"], spec.validation_seeds) == ("backtest", (50_000,))
    learner = tune.trial_agent(spec, {"n_envs": 2})
    assert learner.train_target.kwargs["end"] == "2011-01-02"  # trains before validation
    study = tune.run(spec, progress=False)
    assert len(tune.finished(study)) == 1
    tune.write_best(study, spec, "fieldgym tune trading_stock --agent dqn ...")
    written = (in_tmp / "hp" / "dqn.yml").read_text()
    assert "fieldgym/StockTrading-v1[source=arch_sp500]:" in written  # the scenario's data
    assert "the validation backtest 2011-01-03..2015-01-01" in written
    # the drl learner of a trading scenario uses its algorithm's entry
    hyperparams.write_entry("a2c", "fieldgym/StockTrading-v1", {"n_envs": 3, "n_steps": 7}, "")
    test_target = EnvTarget("fieldgym/StockTrading-v1", {"mode": "backtest", "start": "2015-01-02"})
    drl = make_agent("drl", test_target, algo="a2c")
    assert (drl.n_envs, drl.hyperparams["n_steps"]) == (3, 7)
    assert make_agent("drl", test_target, algo="ppo").n_envs == 256  # no ppo entry there


def test_studies_of_different_envs_draw_different_random_trials(in_tmp):
    """TPE's first trials are random; one seed for every study made them all the same."""
    import optuna

    def first_random_point(env_id):
        spec = tune.prepare(env_id, "ppo", 2, 1.0)
        study = optuna.create_study(sampler=optuna.samplers.TPESampler(
            seed=tune.sampler_seed(spec, worker=0, done=1)))  # fmt: skip
        return study.ask().suggest_float("learning_rate", 1e-5, 1e-2, log=True)

    assert first_random_point(ENV_ID) == first_random_point(ENV_ID)
    assert first_random_point(ENV_ID) != first_random_point("fieldgym/OptimalExecution-v1")


def test_the_entry_key_names_every_config_field_it_was_tuned_with(in_tmp):
    """The key held the preset only: a study tuned with --set action_type=base_stock wrote
    an entry that applied to the preset's box actions too."""
    spec = tune.prepare(ENV_ID, "ppo", 2, 1.0, preset="serial", sets=["action_type=base_stock"])
    assert spec.key == f"{ENV_ID}[action_type=base_stock,preset=serial]"
    assert tune.prepare(ENV_ID, "ppo", 2, 1.0).key == ENV_ID


def test_study_names_stay_inside_the_tune_folder():
    assert tune.slug("ppo__fieldgym/TrafficSignal-v1[preset=x]") == (
        "ppo__fieldgym_TrafficSignal-v1_preset_x"
    )
    assert tune.slug("../x") == "x" and tune.slug(".hidden") == "hidden"
    for name in ("..", ".", "../.."):
        with pytest.raises(ConfigError, match="names no file"):
            tune.slug(name)


def test_a_storage_file_that_cannot_be_written_fails_with_one_clear_line(in_tmp, capsys):
    (in_tmp / "a_file").write_text("not a folder\n")
    argv = ["--agent", "ppo", "--trials", "1", "--seconds", "1", "--quiet"]
    assert main(["tune", ENV_ID, *argv, "--storage", "a_file/study.journal"]) == 2
    err = capsys.readouterr().err
    assert "a_file/study.journal': the journal file cannot be written (a part of its" in err
    assert err.count("\n") == 1
    assert main(["tune", ENV_ID, *argv, "--storage", str(in_tmp)]) == 2
    assert "is a folder; give a journal file name" in capsys.readouterr().err
