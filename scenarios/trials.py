"""Trials: the grid of a plan (environment × agent × training seed), one unit of work each."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from fieldgym.scenarios import walk_forward
from fieldgym.scenarios.spec import Plan


@dataclasses.dataclass(frozen=True)
class Trial:
    """One environment, one agent and one training seed (``None`` for a baseline).

    Everything a worker process needs to run it; :meth:`key` is what makes a stored
    result valid for it (a result stored under the same id with another key is stale).
    """

    env: str
    env_id: str
    env_kwargs: dict[str, Any]
    agent: str
    agent_name: str
    params: dict[str, Any]
    train_steps: int
    learns: bool
    seed: int | None
    eval_seeds: tuple[int, ...]
    max_steps: int | None
    validation_kwargs: dict[str, Any] | None = None
    """A walk-forward window's validation backtest, evaluated besides the test (``env_kwargs``)."""

    @property
    def trial_id(self) -> str:
        """A readable unique id, also the stem of the trial's files: ``env__agent__s<seed>``."""
        seed = "" if self.seed is None else f"__s{self.seed}"
        return f"{self.env}__{self.agent}{seed}"

    def key(self) -> dict[str, Any]:
        """The trial's full description in plain JSON types (tuples become lists).

        ``validation_kwargs`` appears only when set, so trials stored before it existed
        keep their keys.
        """
        key = json.loads(json.dumps(dataclasses.asdict(self)))
        if key["validation_kwargs"] is None:
            del key["validation_kwargs"]
        return key


def expand(plan: Plan) -> list[Trial]:
    """The plan's trials, longest training budgets first (so the pool's tail is short).

    Learners run once per training seed; baselines once per environment. On a
    walk-forward window, learners train on the window's training range only, and every
    trial is also evaluated on the window's validation range.
    """
    trials = []
    for env in plan.envs:
        for label in env.agents:
            agent = plan.agent(label)
            seeds: tuple[int | None, ...] = plan.seeds if agent.learns else (None,)
            params = dict(agent.params)
            if env.window is not None and agent.learns:
                params.update(walk_forward.training_params(env.window))
            validation = (
                walk_forward.validation_kwargs(dict(env.kwargs), env.window)
                if env.window is not None
                else None
            )
            for seed in seeds:
                trials.append(
                    Trial(
                        env=env.label,
                        env_id=env.id,
                        env_kwargs=dict(env.kwargs),
                        agent=agent.label,
                        agent_name=agent.name,
                        params=dict(params),
                        train_steps=agent.train_steps,
                        learns=agent.learns,
                        seed=seed,
                        eval_seeds=plan.eval_seeds,
                        max_steps=plan.max_steps,
                        validation_kwargs=validation,
                    )
                )
    order = {id(t): k for k, t in enumerate(trials)}
    return sorted(trials, key=lambda t: (-t.train_steps, order[id(t)]))
