"""Trials: the grid of a plan (environment × agent × training seed), one unit of work each."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from fieldgym.envs.core.errors import ConfigError
from fieldgym.scenarios.plan import hooks
from fieldgym.scenarios.plan.spec import SEPARATOR, Plan


@dataclasses.dataclass(frozen=True)
class Trial:
    """One environment, one agent and one training seed (``None`` for a baseline).

    Everything a worker process needs to run it; :meth:`key` is what makes a stored
    result valid for it (a result stored under the same id with another key is stale).
    ``params`` are the resolved constructor parameters (see
    :func:`fieldgym.scenarios.plan.planner.resolve_params`). A learner trains for
    ``train_steps`` or, when it is 0, ``train_seconds``, and evaluates ``checkpoints``
    times on the way, on ``checkpoint_seeds``.
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
    """The environment kwargs of an evaluation besides the test, named by a domain hook
    (:mod:`fieldgym.scenarios.plan.hooks`): a walk-forward window's validation backtest."""
    train_seconds: float | None = None
    checkpoints: int = 0
    checkpoint_seeds: tuple[int, ...] = ()

    @property
    def trial_id(self) -> str:
        """A readable unique id, also the stem of the trial's files: ``env__agent__s<seed>``.

        The labels are joined with :data:`~fieldgym.scenarios.plan.spec.SEPARATOR`, which no
        label holds, nor starts or ends a label (:func:`~.spec.name_problem`),
        so the id splits back into its parts: two trials of a plan share an id only if
        they share environment, agent and seed (:func:`expand` checks it anyway).
        """
        parts = [self.env, self.agent, *(() if self.seed is None else (f"s{self.seed}",))]
        return SEPARATOR.join(parts)

    def key(self) -> dict[str, Any]:
        """The trial's full description in plain JSON types (tuples become lists).

        The fields of :data:`OPTIONAL_FIELDS` appear only when set, so trials stored
        before they existed keep their keys.
        """
        key = json.loads(json.dumps(dataclasses.asdict(self)))
        for name, unset in OPTIONAL_FIELDS.items():
            if key[name] == unset:
                del key[name]
        return key


OPTIONAL_FIELDS: dict[str, Any] = {
    "validation_kwargs": None,
    "train_seconds": None,
    "checkpoints": 0,
    "checkpoint_seeds": [],
}
"""Fields of :class:`Trial` left out of its key at these values (added after the first runs)."""


def expand(plan: Plan) -> list[Trial]:
    """The plan's trials, longest training budgets first (so the pool's tail is short).

    Time budgets come first, largest first, then step budgets, largest first: a known
    long duration is best started early, and seconds and steps compare only through a
    rate no plan knows. Learners run once per training seed; baselines once per
    environment. On a part of a domain hook's split, the hook adds learners' parameters
    and an extra evaluation: on a walk-forward window, learners train on the window's
    training range only, and every trial is also evaluated on its validation range.

    Raises:
        ConfigError: If two trials would share an id (possible only with labels that
            scenario files now refuse, in the ``plan.json`` of an older run folder).
    """
    trials = []
    for env in plan.envs:
        for label in env.agents:
            agent = plan.agent(label)
            seeds: tuple[int | None, ...] = plan.seeds if agent.learns else (None,)
            params = dict(env.params.get(label, agent.params))
            validation = None
            if env.window is not None:  # a part of a domain hook's split
                hook = hooks.part_hook(env.domain)
                if agent.learns:
                    params.update(hook.training_params(env.window))
                validation = hook.extra_evaluation(dict(env.kwargs), env.window)
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
                        train_seconds=agent.train_seconds,
                        checkpoints=plan.checkpoints if agent.learns else 0,
                        checkpoint_seeds=plan.checkpoint_seeds if agent.learns else (),
                    )
                )
    _check_unique(trials)
    order = {id(t): k for k, t in enumerate(trials)}
    return sorted(trials, key=lambda t: (-(t.train_seconds or 0.0), -t.train_steps, order[id(t)]))


def _check_unique(trials: list[Trial]) -> None:
    """Refuse two trials with one id: one result would overwrite the other's."""
    seen: dict[str, Trial] = {}
    for trial in trials:
        other = seen.setdefault(trial.trial_id, trial)
        if other is not trial:
            raise ConfigError(
                f"trials ({other.env}, {other.agent}, seed {other.seed}) and ({trial.env}, "
                f"{trial.agent}, seed {trial.seed}) would share the id {trial.trial_id!r}; "
                f"relabel them: labels must not hold {SEPARATOR!r} nor end with '_'."
            )
