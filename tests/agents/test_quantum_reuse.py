"""Probabilistic policy reuse: the behaviour policy follows the source with probability psi."""

from __future__ import annotations

import numpy as np
import pytest

import fieldgym  # noqa: F401  (registers the env ids)
from fieldgym.agents import EnvTarget, make_agent
from fieldgym.agents.quantum.reuse import FirstSolution, PolicyReuseDQN

ENV_ID = "fieldgym/QuantumArchitectureSearch-v1"
TINY = {"learning_starts": 10_000, "buffer_size": 1_000, "batch_size": 16}


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    """A (barely trained) DQN saved on one noise pattern."""
    target = EnvTarget(ENV_ID, {"preset": "bell_noisy"})
    agent = make_agent("dqn", target, n_envs=2, normalize=False, hyperparams=TINY).fit(100)
    folder = tmp_path_factory.mktemp("source")
    agent.save(folder)
    return folder, agent


def new_task() -> EnvTarget:
    return EnvTarget(ENV_ID, {"preset": "bell_noisy", "noise_patterns": [{"p1": [0.1, 0.0]}]})


def test_full_reuse_collects_exactly_the_source_policys_actions(source):
    folder, old = source
    agent = make_agent(
        "dqn_reuse", new_task(), source=str(folder), reuse_probability=1.0, reuse_decay=1.0,
        n_envs=2, hyperparams=TINY,
    ).fit(120, seed=1)  # fmt: skip
    buffer = agent.model.replay_buffer
    count = buffer.pos
    observations = buffer.observations[:count].reshape(count * 2, -1)
    expected, _ = old.model.predict(observations, deterministic=True)
    np.testing.assert_array_equal(buffer.actions[:count].reshape(-1), expected)
    assert agent.reused_steps == 120


def test_without_a_source_or_with_psi_zero_nothing_is_reused(source):
    folder, _ = source
    scratch = PolicyReuseDQN(new_task(), n_envs=2, hyperparams=TINY).fit(60)
    assert scratch.name == "dqn_scratch" and scratch.reused_steps == 0
    never = PolicyReuseDQN(
        new_task(), source=str(folder), reuse_probability=0.0, n_envs=2, hyperparams=TINY
    ).fit(60)
    assert never.reused_steps == 0
    decaying = PolicyReuseDQN(
        new_task(), source=str(folder), reuse_probability=1.0, reuse_decay=0.9,
        n_envs=2, hyperparams=TINY,
    ).fit(60)  # fmt: skip
    assert 0 < decaying.reused_steps < 60  # psi = 0.9^t: the first steps, then few


class Scripted:
    """A stand-in model that plays fixed action labels."""

    def __init__(self, env, labels):
        names = [a.label for a in env.unwrapped.actions]
        self.plan = [names.index(label) for label in labels]
        self.k = 0

    def predict(self, obs, deterministic=True):
        action = self.plan[min(self.k, len(self.plan) - 1)]
        self.k += 1
        return np.array([action]), None


def test_first_solution_checks_one_greedy_episode():
    target = EnvTarget(ENV_ID, {"preset": "bell"})
    env = target.make()
    checker = FirstSolution(target)
    checker.model = Scripted(env, ["h(0)", "cx(0,1)"])
    assert checker.solves()
    checker.model = Scripted(env, ["h(0)", "cx(1,0)"])
    assert not checker.solves()  # cx(1,0) after h(0) does not give the Bell state
