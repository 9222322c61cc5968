"""Domain hooks: a domain's own steps in the generic plan, read through one interface.

The planner, the trial expansion and the runner know no domain. A domain that needs more
than "train on the environment, evaluate on the environment" registers an
:class:`EnvHook` in :data:`HOOKS`, turned on by a field of a scenario's environment entry
(:class:`~fieldgym.scenarios.plan.spec.EnvSpec`): the hook splits the entry into parts
(each planned as an environment of its own, labelled ``<label>.<part>``), checks the
agents that run on a part, confines the learners' training and names an extra
evaluation that the runner records besides the test (``Trial.validation_kwargs``). The
domain's report section shows what the parts add (its view's ``sections``).

Trading's walk-forward backtests are the one hook so far
(:mod:`fieldgym.scenarios.plan.walk_forward`): rolling windows of dates, learners
trained on each window's training range, every agent also evaluated on its validation
range, so the report can select seeds on validation and show their test scores.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from fieldgym.scenarios.plan import walk_forward


@dataclasses.dataclass(frozen=True)
class EnvHook:
    """One domain's extension of the plan.

    Attributes:
        field: The environment entry's field that turns the hook on (its value is the
            hook's own settings, validated by the scenario schema).
        split: ``split(spec, label, fail)``: the parts of the entry ``spec`` labelled
            ``label``, as ``(part's EnvSpec, part's data)`` pairs; the data (plain JSON
            strings) is kept in the plan as ``EnvPlan.window``. ``fail(message)`` makes
            the error to raise.
        check: ``check(env, agents, where, fail)``: refuse agents that cannot run on a
            part (``env`` is its :class:`~fieldgym.scenarios.plan.spec.EnvPlan`).
        training_params: ``training_params(part)``: parameters added to a learner's on a
            part.
        extra_evaluation: ``extra_evaluation(kwargs, part)``: the environment kwargs of an
            evaluation every trial on the part also runs.
    """

    field: str
    split: Callable[[Any, str, Callable[[str], Exception]], list[tuple[Any, dict[str, str]]]]
    check: Callable[[Any, tuple[Any, ...], str, Callable[[str], Exception]], None]
    training_params: Callable[[dict[str, str]], dict[str, Any]]
    extra_evaluation: Callable[[dict[str, Any], dict[str, str]], dict[str, Any]]


HOOKS: dict[str, EnvHook] = {
    "trading": EnvHook(
        field="walk_forward",
        split=walk_forward.split,
        check=walk_forward.check_learners,
        training_params=walk_forward.training_params,
        extra_evaluation=walk_forward.validation_kwargs,
    )
}
"""Domain name -> its hook."""


def hook_of(spec: Any) -> EnvHook | None:
    """The hook an environment entry turns on (``None`` when it sets no hook's field)."""
    return next((h for h in HOOKS.values() if getattr(spec, h.field, None) is not None), None)


def part_hook(domain: str) -> EnvHook:
    """The hook that split an environment of ``domain`` into parts."""
    return HOOKS[domain]
