"""Trial ids: one per trial, so no result overwrites another's and none reruns forever."""

from __future__ import annotations

import dataclasses
import itertools
import re

import pytest

from fieldgym.envs.core.errors import ConfigError
from fieldgym.scenarios.plan.planner import load_scenario
from fieldgym.scenarios.plan.spec import SEPARATOR, name_problem
from fieldgym.scenarios.plan.trials import Trial, expand

ENV_ID = "fieldgym/MultiEchelonInventory-v1"

TRICKY = [
    "a", "b", "s", "s0", "s1", "a_b", "a-b", "a.b", "a.w0", "0", "10", "A", "x1_",
    "a_", "_a", "a__b", "a___b", "a__s0", "b__s", "__", "_", "a__", "__s0", "s0__a",
    "a.", ".a", ".", "..", "a/b", "a b", "",
]  # fmt: skip
"""Labels that joined naively could meet in one id, valid or not."""


def trial(env: str, agent: str, seed: int | None) -> Trial:
    return Trial(
        env=env,
        env_id=ENV_ID,
        env_kwargs={},
        agent=agent,
        agent_name="random",
        params={},
        train_steps=0,
        learns=seed is not None,
        seed=seed,
        eval_seeds=(10_000,),
        max_steps=None,
    )


def test_valid_labels_never_share_a_trial_id():
    valid = [label for label in TRICKY if name_problem(label) is None]
    assert valid == ["a", "b", "s", "s0", "s1", "a_b", "a-b", "a.b", "a.w0", "0", "10", "A"]
    seeds = [None, 0, 1, 10, 100]
    ids: dict[str, tuple[str, str, int | None]] = {}
    for env, agent, seed in itertools.product(valid, valid, seeds):
        trial_id = trial(env, agent, seed).trial_id
        assert ids.setdefault(trial_id, (env, agent, seed)) == (env, agent, seed), trial_id
        parts = trial_id.split(SEPARATOR)  # the id splits back into its parts
        assert parts[:2] == [env, agent]
        assert parts[2:] == ([] if seed is None else [f"s{seed}"])
    assert len(ids) == len(valid) ** 2 * len(seeds)


def test_labels_that_could_make_ids_meet_are_refused():
    for label in ["a__b", "a___b", "a__s0", "b__s", "a__", "s0__a"]:
        assert "holds '__'" in name_problem(label)
    for label in ["x1_", "a_"]:  # 'a_' + '__' + 'b' == 'a' + '__' + '_b'
        assert "ends with '_'" in name_problem(label)
    for label in ["_a", "_", "__", "__s0", ".a", ".", "..", "a.", "a/b", "a b", ""]:
        assert "plain folder name" in name_problem(label)


def test_ids_of_valid_scenarios_keep_their_form():
    assert trial("serial", "random", None).trial_id == "serial__random"
    assert trial("serial", "dqn", 3).trial_id == "serial__dqn__s3"
    assert trial("spx.w0", "drl_ppo", 0).trial_id == "spx.w0__drl_ppo__s0"


@pytest.mark.parametrize(
    ("entry", "where"),
    [
        ("  - {name: random, label: a__b}", "agents[1].label"),
        ("  - {name: random, label: rand_}", "agents[1].label"),
    ],
)
def test_scenario_labels_holding_the_separator_are_refused(write_scenario, entry, where):
    text = (
        f"name: ids\nenv: {{id: {ENV_ID}, label: serial}}\n"
        f"agents:\n  - {{name: clark_scarf}}\n{entry}\n"
    )
    with pytest.raises(ConfigError, match=rf"{re.escape(where)}: the label .*trial ids.*a label"):
        load_scenario(write_scenario(text))


def test_an_env_label_from_its_preset_is_checked_too(write_scenario):
    text = f"name: ids\nenv: {{id: {ENV_ID}, preset: serial__x}}\nagents: [{{name: random}}]\n"
    with pytest.raises(ConfigError, match=r"env: its label 'serial__x' \(from its preset\)"):
        load_scenario(write_scenario(text))


def test_trials_sharing_an_id_are_refused_not_overwritten(write_scenario):
    text = (
        f"name: ids\nenvs:\n  - {{id: {ENV_ID}, label: e}}\n  - {{id: {ENV_ID}, label: f}}\n"
        "agents: [{name: random, label: r}, {name: clark_scarf, label: c}]\n"
    )
    plan = load_scenario(write_scenario(text))
    # As a plan.json written before labels were checked may hold: ('e__x', 'c') and
    # ('e', 'x__c') both join to 'e__x__c'.
    envs = (
        dataclasses.replace(plan.envs[0], label="e__x", agents=("c",)),
        dataclasses.replace(plan.envs[1], label="e", agents=("x__c",)),
    )
    agents = (plan.agents[1], dataclasses.replace(plan.agents[1], label="x__c"))
    old = dataclasses.replace(plan, envs=envs, agents=agents)
    with pytest.raises(ConfigError, match="would share the id 'e__x__c'"):
        expand(old)
