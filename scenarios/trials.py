"""Trials: the grid of a plan (environment × agent × training seed), one unit of work each."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

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

    @property
    def trial_id(self) -> str:
        """A readable unique id, also the stem of the trial's files: ``env__agent__s<seed>``."""
        seed = "" if self.seed is None else f"__s{self.seed}"
        return f"{self.env}__{self.agent}{seed}"

    def key(self) -> dict[str, Any]:
        """The trial's full description in plain JSON types (tuples become lists)."""
        return json.loads(json.dumps(dataclasses.asdict(self)))


def expand(plan: Plan) -> list[Trial]:
    """The plan's trials, longest training budgets first (so the pool's tail is short).

    Learners run once per training seed; baselines once per environment.
    """
    trials = []
    for env in plan.envs:
        for label in env.agents:
            agent = plan.agent(label)
            seeds: tuple[int | None, ...] = plan.seeds if agent.learns else (None,)
            for seed in seeds:
                trials.append(
                    Trial(
                        env=env.label,
                        env_id=env.id,
                        env_kwargs=dict(env.kwargs),
                        agent=agent.label,
                        agent_name=agent.name,
                        params=dict(agent.params),
                        train_steps=agent.train_steps,
                        learns=agent.learns,
                        seed=seed,
                        eval_seeds=plan.eval_seeds,
                        max_steps=plan.max_steps,
                    )
                )
    order = {id(t): k for k, t in enumerate(trials)}
    return sorted(trials, key=lambda t: (-t.train_steps, order[id(t)]))
