"""Training budgets: steps, seconds (on a fake clock), checkpoints and stopping early."""

from __future__ import annotations

import itertools

import pytest

from fieldgym.agents import EnvTarget, make_agent, training
from fieldgym.agents.target import ParallelTarget
from fieldgym.agents.training import Budget
from fieldgym.envs.core.errors import ConfigError

INVENTORY = EnvTarget("fieldgym/MultiEchelonInventory-v1")
SMALL_PPO = {"n_steps": 8, "batch_size": 32, "n_epochs": 1}


@pytest.fixture
def fake_clock(monkeypatch):
    """Wall time that advances 10 ms per reading, so seconds budgets are deterministic."""
    ticks = itertools.count()
    monkeypatch.setattr(training.time, "perf_counter", lambda: next(ticks) * 0.01)


@pytest.mark.parametrize(
    "kwargs",
    [{}, {"steps": -1}, {"seconds": 0}, {"seconds": float("inf")}, {"steps": 5, "checkpoints": 2}],
)
def test_bad_budgets_are_refused(kwargs):
    with pytest.raises(ConfigError):
        Budget(**kwargs)


@pytest.mark.parametrize("value", [1.5, "100", True])
def test_a_budget_is_a_whole_number_of_steps_or_a_budget(value):
    with pytest.raises(ConfigError, match="whole number"):
        Budget.of(value)


def test_a_step_budget_trains_that_many_steps():
    agent = make_agent("ppo", INVENTORY, n_envs=4, hyperparams=SMALL_PPO, tuned=False)
    agent.fit(Budget(steps=96), seed=0)
    assert agent.model.num_timesteps == 96


def test_a_seconds_budget_stops_training_and_drives_the_schedules(fake_clock):
    agent = make_agent(
        "dqn",
        INVENTORY,
        n_envs=4,
        tuned=False,
        hyperparams={"learning_starts": 8, "buffer_size": 500, "exploration_fraction": 0.5},
    )
    seen = []
    agent.fit(Budget(seconds=2.0, on_progress=lambda steps, s: seen.append((steps, s))), seed=0)
    steps, seconds = seen[-1]
    assert seconds >= 2.0 and steps == agent.model.num_timesteps > 0
    # exploration ran over the time budget, so it ended at its final rate
    assert agent.model.exploration_rate == pytest.approx(agent.model.exploration_final_eps)
    assert all(row["seconds"] <= seconds for row in agent.learning_curve)


def test_a_linear_learning_rate_falls_over_a_seconds_budget_for_on_policy_learners(fake_clock):
    # PPO's learn loop passes its own step cap to the progress update; the learner must
    # follow the share of time used instead, or the schedule would stay at its start
    start = 1e-3
    agent = make_agent(
        "ppo",
        INVENTORY,
        n_envs=4,
        tuned=False,
        hyperparams={**SMALL_PPO, "learning_rate": f"lin_{start}"},
    )
    agent.fit(Budget(seconds=2.0), seed=0)
    last_rate = agent.model.policy.optimizer.param_groups[0]["lr"]
    assert 0 < last_rate < 0.25 * start
    assert "_update_current_progress_remaining" not in vars(agent.model)  # not saved with it


def test_checkpoints_evaluate_on_schedule_and_their_time_is_not_counted(fake_clock):
    agent = make_agent("ppo", INVENTORY, n_envs=4, hyperparams=SMALL_PPO, tuned=False)

    def evaluate(policy):
        for _ in range(10_000):  # 100 s of the fake clock, which the budget must not count
            training.time.perf_counter()
        return float(len(policy.learning_curve))

    agent.fit(Budget(steps=320, checkpoints=4, evaluate=evaluate), seed=0)
    evals = [row for row in agent.learning_curve if "eval" in row]
    assert [row["step"] for row in evals] == [80, 160, 240, 320]
    assert all(row["seconds"] < 100 for row in evals)


def test_a_checkpoint_can_stop_training():
    agent = make_agent("ppo", INVENTORY, n_envs=4, hyperparams=SMALL_PPO, tuned=False)
    budget = Budget(steps=320, checkpoints=4, evaluate=lambda p: 0.0, on_checkpoint=lambda c: False)
    agent.fit(budget, seed=0)
    assert agent.model.num_timesteps < 320
    assert len([row for row in agent.learning_curve if "eval" in row]) == 1


@pytest.mark.parametrize(
    ("name", "target", "params"),
    [
        (
            "mappo",
            ParallelTarget("fieldgym/UAVOffloading-v1"),
            {"n_copies": 1, "hyperparams": {"n_steps": 8, "n_epochs": 1}},
        ),
        (
            "shared_ppo",
            ParallelTarget("fieldgym/UAVOffloading-v1"),
            {"n_copies": 1, "hyperparams": {"n_steps": 8, "batch_size": 24, "n_epochs": 1}},
        ),
        (
            "discrete_sac",
            EnvTarget("fieldgym/EdgeOffloading-v1"),
            {"n_envs": 2, "hyperparams": {"learning_starts": 4, "batch_size": 8}},
        ),
    ],
)
def test_every_kind_of_learner_takes_a_seconds_budget_with_checkpoints(
    name, target, params, fake_clock
):
    agent = make_agent(name, target, tuned=False, **params)
    agent.fit(Budget(seconds=0.5, checkpoints=2, evaluate=lambda p: 1.0), seed=0)
    evals = [row for row in agent.learning_curve if "eval" in row]
    assert len(evals) == 2 and evals[-1]["seconds"] >= 0.5
