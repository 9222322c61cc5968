"""The cross-domain suite: run scores, anchors, the plan-time checks and the report."""

from __future__ import annotations

import dataclasses
import math
import re

import numpy as np
import pandas as pd
import pytest

from fieldgym.envs.core.errors import ConfigError, DataError
from fieldgym.scenarios.plan.planner import load_scenario
from fieldgym.scenarios.plan.spec import AgentPlan, EnvPlan, Plan
from fieldgym.scenarios.report import suite
from fieldgym.scenarios.report.page import write_report
from fieldgym.scenarios.report.tables import fmt
from fieldgym.scenarios.run.runner import run_plan
from fieldgym.scenarios.stats import aggregates as agg

# A hand-made plan: a cost task and a return task, a learner and random on both, one
# domain baseline per task (the reference), and a second baseline on the cost task.


def _env(label: str, headline: str, lower: bool, agents: tuple[str, ...], ref: str) -> EnvPlan:
    return EnvPlan(label, f"x/{label}-v0", {}, label, agents, ref, headline, lower, (headline,))


PLAN = Plan(
    name="hand",
    description="",
    source="hand.yaml",
    envs=(
        _env("costs", "avg_cost", True, ("ppo", "opt", "cheap", "rnd"), "opt"),
        _env("returns", "fidelity", False, ("ppo", "beam", "rnd"), "beam"),
    ),
    agents=(
        AgentPlan("ppo", "ppo", {}, 100, True),
        AgentPlan("opt", "clark_scarf", {}, 0, False),
        AgentPlan("cheap", "base_stock", {}, 0, False),
        AgentPlan("beam", "beam_search", {}, 0, False),
        AgentPlan("rnd", "random", {}, 0, False),
    ),
    seeds=(0, 1),
    eval_seeds=(100, 101),
    max_steps=None,
    workers=1,
    suite=True,
)

# (env, agent, training seed, headline values of the two evaluation episodes)
EPISODES = [
    ("costs", "rnd", None, [100.0, 120.0]),
    ("costs", "opt", None, [10.0, 30.0]),
    ("costs", "cheap", None, [40.0, 60.0]),
    ("costs", "ppo", 0, [60.0, 70.0]),
    ("costs", "ppo", 1, [20.0, math.nan]),  # a NaN episode is left out of the run's mean
    ("returns", "rnd", None, [0.2, 0.4]),
    ("returns", "beam", None, [0.9, 0.9]),
    ("returns", "ppo", 0, [0.6, 0.6]),
    ("returns", "ppo", 1, [1.0, 1.4]),
]


def _results(episodes: list = EPISODES) -> pd.DataFrame:
    rows = []
    for env, agent, seed, values in episodes:
        headline = PLAN.env(env).headline
        for eval_seed, value in zip(PLAN.eval_seeds, values, strict=True):
            rows.append(
                {"env": env, "agent": agent, "train_seed": seed, "eval_seed": eval_seed}
                | {headline: value}
            )
    table = pd.DataFrame(rows)
    table["train_seed"] = table["train_seed"].astype("Int64")
    return table


def _by_cell(table: pd.DataFrame) -> dict[tuple[str, str, int], float]:
    return {(r.agent, r.task, r.seed): r.score for r in table.itertuples()}


def test_run_scores_average_the_episodes_of_each_run():
    raw = suite.run_scores(PLAN, _results())
    assert list(raw.columns) == list(suite.SCORE_COLUMNS)
    scores = _by_cell(raw)
    expected = {
        (agent, env, suite.BASELINE_RUN if seed is None else seed): np.nanmean(values)
        for env, agent, seed, values in EPISODES
    }
    assert scores == pytest.approx(expected)
    assert (
        raw.loc[(raw["agent"] == "ppo") & (raw["seed"] == 1) & (raw["task"] == "costs")][
            "episodes"
        ].item()
        == 1
    )
    # Baselines count as one run per task, learners as one per training seed.
    assert raw.groupby(["task", "agent"]).size().to_dict() == {
        ("costs", "cheap"): 1,
        ("costs", "opt"): 1,
        ("costs", "ppo"): 2,
        ("costs", "rnd"): 1,
        ("returns", "beam"): 1,
        ("returns", "ppo"): 2,
        ("returns", "rnd"): 1,
    }


def test_score_table_normalizes_costs_and_returns_between_random_and_reference():
    scores, anchors = suite.score_table(PLAN, _results())
    assert anchors["costs"] == agg.Anchors(110.0, 20.0, True, "opt")
    assert anchors["returns"] == agg.Anchors(pytest.approx(0.3), pytest.approx(0.9), False, "beam")
    got = _by_cell(scores)
    # Costs: (cost - 110) / (20 - 110); returns: (r - 0.3) / (0.9 - 0.3).
    for (agent, task, seed), raw in _by_cell(suite.run_scores(PLAN, _results())).items():
        a = anchors[task]
        assert got[(agent, task, seed)] == pytest.approx(
            (raw - a.random) / (a.reference - a.random)
        )
    assert got[("rnd", "costs", -1)] == 0 and got[("opt", "costs", -1)] == 1
    assert got[("rnd", "returns", -1)] == pytest.approx(0)
    assert got[("beam", "returns", -1)] == pytest.approx(1)
    assert got[("ppo", "costs", 0)] == pytest.approx(0.5)  # cost 65: halfway
    assert got[("ppo", "costs", 1)] == pytest.approx(1.0)  # cost 20: the reference's
    assert got[("cheap", "costs", -1)] > got[("ppo", "costs", 0)]  # cheaper is higher
    assert got[("ppo", "returns", 1)] == pytest.approx(1.5)  # 1.2: above the reference
    assert set(scores["raw_score"]) >= {110.0, 20.0}


def test_a_task_without_its_random_or_reference_result_is_named():
    no_random = [e for e in EPISODES if e[:2] != ("returns", "rnd")]
    with pytest.raises(DataError, match=r"task 'returns'.*random agent 'rnd' has no finite"):
        suite.score_table(PLAN, _results(no_random))
    no_reference = [e for e in EPISODES if e[:2] != ("costs", "opt")]
    with pytest.raises(DataError, match=r"task 'costs'.*reference agent 'opt'"):
        suite.score_table(PLAN, _results(no_reference))
    without = _env("returns", "fidelity", False, ("ppo", "beam"), "beam")
    plan = dataclasses.replace(PLAN, envs=(PLAN.envs[0], without))
    with pytest.raises(DataError, match=r"task 'returns'.*no agent named 'random'"):
        suite.score_table(plan, _results())
    backwards = [(*e[:3], [500.0, 500.0]) if e[:2] == ("costs", "opt") else e for e in EPISODES]
    with pytest.raises(DataError, match=r"task 'costs'.*not better than the random"):
        suite.score_table(PLAN, _results(backwards))


def test_compare_pools_the_agents_on_every_task_and_the_reference(tmp_path):
    colors = {a.label: "C0" for a in PLAN.agents}
    c = suite.compare(PLAN, _results(), pd.DataFrame(), tmp_path, colors, reps=200)
    assert c.tasks == ["costs", "returns"] and c.pooled == ["ppo", "rnd", suite.REFERENCE]
    est = c.estimates.set_index(["agent", "metric"])["point"]
    # ppo's runs: costs (0.5, 1.0), returns (0.5, 1.5); per-task means 0.75 and 1.0.
    assert est[("ppo", "mean")] == pytest.approx(0.875)
    assert est[("ppo", "median")] == pytest.approx(0.875)
    assert est[("ppo", "optimality_gap")] == pytest.approx(1 - (0.5 + 1 + 0.5 + 1) / 4)
    assert est[(suite.REFERENCE, "mean")] == pytest.approx(1)
    assert est[("rnd", "iqm")] == pytest.approx(0)
    poi = c.improvement.set_index(["x", "y"])["point"]
    # Per task, P(ppo > reference): costs 0 of 2 runs (one tie: half), returns 1 of 2.
    assert poi[("ppo", suite.REFERENCE)] == pytest.approx(((0 + 0.5) / 2 + 1 / 2) / 2)
    assert poi[("ppo", "rnd")] == 1
    names = {name for _, name in c.figures}
    assert names == {suite.FIGURES[k] for k in ("intervals", "profiles", "heatmap")}
    assert any("No curves figure" in note for note in c.notes)  # no learning curves given

    # A task that cannot be anchored is left out with a note; the other still pools.
    no_random = [e for e in EPISODES if e[:2] != ("returns", "rnd")]
    c = suite.compare(PLAN, _results(no_random), pd.DataFrame(), tmp_path, colors, reps=50)
    assert c.tasks == ["costs"] and "ppo" in c.pooled
    assert any("Task 'returns' is left out" in note for note in c.notes)


SUITE = """
name: tiny_suite
envs:
  - id: fieldgym/MultiEchelonInventory-v1
    preset: serial
  - id: fieldgym/OptimalExecution-v1
    label: execution
agents:
  - name: a2c
    train_steps: 300
    params: {n_envs: 2}
  - name: clark_scarf
    envs: [serial]
  - name: almgren_chriss
    envs: [execution]
  - name: twap
    envs: [execution]
  - name: random
seeds: 2
evaluation:
  episodes: 2
  max_steps: 30
report:
  reference: {serial: clark_scarf, execution: almgren_chriss}
  suite: true
workers: 2
"""


def test_suite_plan_needs_a_random_and_a_reference_agent_on_every_env(write_scenario):
    plan = load_scenario(write_scenario(SUITE))
    assert plan.suite and Plan.from_dict(plan.to_dict()) == plan
    no_random = SUITE.replace("  - name: random\n", "  - name: random\n    envs: [serial]\n")
    with pytest.raises(ConfigError, match=r"no agent named 'random' runs on environment 'execu"):
        load_scenario(write_scenario(no_random))
    no_reference = SUITE.replace(", execution: almgren_chriss", "")
    with pytest.raises(ConfigError, match=r"environment 'execution' has no reference agent"):
        load_scenario(write_scenario(no_reference))
    random_reference = SUITE.replace("execution: almgren_chriss", "execution: random")
    with pytest.raises(ConfigError, match=r"reference of environment 'execution' is the random"):
        load_scenario(write_scenario(random_reference))
    # Without suite: true neither is required.
    plain = no_reference.replace("  suite: true\n", "")
    assert not load_scenario(write_scenario(plain)).suite
    old = {k: v for k, v in plan.to_dict().items() if k != "suite"}  # a plan.json from before
    assert Plan.from_dict(old).suite is False


@pytest.mark.slow
def test_tiny_suite_runs_and_reports_the_comparison(tmp_path, write_scenario):
    plan = load_scenario(write_scenario(SUITE))
    run = tmp_path / "run"
    summary = run_plan(plan, run, progress=False, log=lambda message: None)
    assert not summary.failed and summary.total == 2 * 2 + 2 + 3  # learners, randoms, refs
    index = write_report(run, tmp_path / "report", tensorboard=False)
    out = index.parent
    for name in suite.FIGURES.values():
        assert (out / name).stat().st_size > 1000, name
    board = (out / "leaderboard.md").read_text()
    assert f"fieldgym compare {plan.source} --runs {run} --out {out}" in board
    assert "- Date: generated" in board and "- Machine: " in board and " CPUs" in board
    for name in suite.FIGURES.values():
        assert f"]({name})" in board
    assert "| a2c | a2c | learner | 300 steps |" in board  # the budget per agent
    # The anchors are the random agent's and the reference's mean headline per task.
    episodes = pd.read_csv(out / "episodes.csv")
    for task, headline, reference in (
        ("serial", "avg_cost", "clark_scarf"),
        ("execution", "cost_bps", "almgren_chriss"),
    ):
        rows = episodes[episodes["env"] == task]
        rnd = rows.loc[rows["agent"] == "random", headline].mean()
        ref = rows.loc[rows["agent"] == reference, headline].mean()
        line = next(x for x in board.splitlines() if x.startswith(f"| {task} | fieldgym/"))
        assert f"| {headline} (lower is better) |" in line and f"| {reference} |" in line
        assert f"| {fmt(rnd)} |" in line and line.endswith(f"| {fmt(ref)} |")
    table = board.split("### Mean normalized score per task")[1].split("###")[0]
    assert re.search(r"\| random \| 0\.00 \(1\) \| 0\.00 \(1\) \|", table)
    assert re.search(r"\| clark_scarf \| 1\.00 \(1\) \| – \|", table)
    assert re.search(r"\| a2c \| -?\d+\.\d\d \(2\) \| -?\d+\.\d\d \(2\) \|", table)
    aggregate = board.split("### Aggregate")[1].split("###")[0]
    assert "| a2c | 2 × 2 |" in aggregate and "| reference | 1 × 2 |" in aggregate
    assert "P(row > column) | " in board
    html = index.read_text()
    assert "Cross-domain comparison" in html and "suite_intervals.png" in html
    assert "## Cross-domain comparison" in (out / "results.md").read_text()


def test_compare_without_results_leaves_notes_instead_of_failing(tmp_path):
    empty = pd.DataFrame(columns=["env", "agent", "train_seed", "eval_seed", "avg_cost"])
    c = suite.compare(PLAN, empty, pd.DataFrame(), tmp_path, {}, reps=10)
    assert c.tasks == [] and c.pooled == [] and c.figures == []
    assert any("Task 'costs' is left out" in n for n in c.notes)
    assert any("Task 'returns' is left out" in n for n in c.notes)
    assert suite.tables(PLAN, c) == [] and not list(tmp_path.glob("*.png"))
