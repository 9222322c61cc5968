"""Scenario files: the YAML schema, its validation, and the checked :class:`Plan`.

A scenario file says which environments, agents, seeds and evaluation protocol to run,
and what the report shows. Every mapping rejects unknown keys, and every error names the
file and the place of the mistake (``scenarios/x.yaml: unknown key 'seeds_' at
agents[1] ...``). Environment configs are built, and agent names and parameters
checked, when the file is loaded (:mod:`fieldgym.scenarios.plan.planner` turns the validated
file into the plan), so a typo stops the run before any training.

Schema::

    name: quickstart              # required; a plain folder name (see below); names the
                                  #   run folder (runs/<name>/) and report (reports/<name>/)
    description: "..."            # optional, shown in the report
    env:                          # one environment ...
      id: fieldgym/MultiEchelonInventory-v1
      preset: serial              # optional, passed to gymnasium.make as preset=
      config: {demand_mean: 8}    # optional config fields (checked by the env's config class)
      label: serial               # optional short name; default: preset, else the id's name
    envs: [{...}, {...}]          # ... or several (exactly one of env / envs)
    agents:                       # run on every environment unless `envs` restricts them
      - name: dqn                 # a registered agent (`fieldgym list`)
        label: dqn                # optional unique name in tables; default: name
        params: {learning_rate: 0.0005}   # optional keyword arguments of the agent, over
                                  #   its defaults and its tuned entry for each env
                                  #   (hyperparams/<name>.yml, learners only)
        train_steps: 30000        # learners: exactly one of train_steps (>= 1) ...
        train_seconds: 60         # ... or train_seconds (> 0, training wall time, checkpoint
                                  #   evaluations excluded); baselines: neither (or steps 0)
        envs: [serial]            # optional: labels of the environments it runs on
    seeds: 3                      # training seeds: a count (0, 1, 2) or a list of ints
    evaluation:
      episodes: 10                # evaluation episodes per trial
      seed_start: 10000           # evaluation seeds are seed_start + k, k < episodes
      max_steps: null             # episode length; null keeps the registered TimeLimit
      checkpoints: 5              # learners evaluate at k/n of their budget, k = 1..n (0: never)
      checkpoint_episodes: 5      # on the first evaluation seeds; default min(5, episodes)
    report:
      reference: clark_scarf      # agent label the report compares against, or a
                                  #   mapping {env label: agent label}; optional
      metrics: [avg_cost, fill_rate]   # metric columns shown; default: the domain's list
      headline: avg_cost          # metric that ranks agents; default: the domain's
      suite: false                # true: add the cross-domain comparison (normalized
                                  #   scores pooled over environments, see report/suite.py)
                                  #   and write leaderboard.md; every environment then needs
                                  #   a reference and an agent named `random`
    workers: 2                    # processes running trials in parallel

Names and labels become folder and file names, so each must be a plain folder name:
letters, digits, ``_``, ``-`` and ``.``, starting with a letter or digit and not ending
in ``.`` (so never ``.``, ``..`` or a hidden name). Labels (of environments and agents,
given or defaulted) join into trial ids (``<env>__<agent>__s<seed>``, see
:attr:`fieldgym.scenarios.plan.trials.Trial.trial_id`), so they also hold no ``__`` and do not
end in ``_``: every trial then has an id of its own.

A trial is one (environment, agent, training seed). A baseline (an agent that does not
learn) acts the same whatever the training seed, so it runs one trial per environment
(its ``seed`` is ``None``); counting it once per seed would only duplicate rows and
shrink its confidence interval. Every trial of a scenario is evaluated on the same
evaluation seeds (common random numbers), which are disjoint from the training seeds.

A learner's trial records the constructor parameters it was made with: the planner
resolves its defaults, the tuned entry for the environment and the file's ``params``
(:func:`fieldgym.agents.registry.resolved_params`), so editing ``hyperparams/<name>.yml``
makes the stored trials it changes stale. At each checkpoint a learner is evaluated on
the first ``checkpoint_episodes`` evaluation seeds by the domain's headline metric (its
mean); the report draws these curves and, where the scenario has a reference, the
training time each learner needed to come within 5% of the reference.
"""

from __future__ import annotations

import dataclasses
import difflib
import re
import typing
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError
from pydantic_core import PydanticCustomError

from fieldgym.envs.core.errors import ConfigError
from fieldgym.scenarios.plan.walk_forward import WalkForwardSpec

SEPARATOR = "__"
"""What joins the labels of a trial into its id; no label holds it."""


def name_problem(value: str, label: bool = True) -> str | None:
    """Why ``value`` cannot name a scenario (``label=False``) or label an env or agent, or ``None``.

    A name is a plain folder name: letters, digits, ``_``, ``-`` and ``.``, starting with
    a letter or digit (never ``.``, ``..`` or hidden) and not ending in ``.`` (which
    Windows drops). A label also holds no :data:`SEPARATOR` and does not end in ``_``,
    so labels join into trial ids that split back into them (no two trials share an id).
    """
    if not re.fullmatch(r"[A-Za-z0-9_.-]+", value):
        return "is not a plain folder name: use only letters, digits, '_', '-' and '.'"
    if not value[0].isalnum():
        return f"is not a plain folder name: it starts with {value[0]!r}, not a letter or digit"
    if value.endswith("."):
        return "is not a plain folder name: it ends with '.'"
    if label and SEPARATOR in value:
        return f"holds {SEPARATOR!r}, which joins labels into trial ids"
    if label and value.endswith("_"):
        return "ends with '_', which would run into the '__' joining labels into trial ids"
    return None


def _checked(label: bool) -> AfterValidator:
    kind, example = ("label", "variant_2") if label else ("name", "my_scenario")

    def check(value: str) -> str:
        problem = name_problem(value, label)
        if problem is not None:
            raise PydanticCustomError(
                f"plain_{kind}", f"the {kind} {problem}; give a {kind} such as {example!r}"
            )
        return value

    return AfterValidator(check)


Name = Annotated[str, _checked(label=False)]
"""A scenario's name: the run and report folders' name (see :func:`name_problem`)."""
Label = Annotated[str, _checked(label=True)]
"""An environment's or agent's label: in trial ids, file names and tables."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class EnvSpec(_Strict):
    """One environment: a registered id, an optional preset and config fields."""

    id: str
    preset: str | None = None
    config: dict[str, Any] = Field(default_factory=dict)
    label: Label | None = None
    walk_forward: WalkForwardSpec | None = None

    @property
    def kwargs(self) -> dict[str, Any]:
        """Keyword arguments for ``gymnasium.make`` (the config fields and the preset)."""
        return {**self.config, **({"preset": self.preset} if self.preset else {})}

    @property
    def default_label(self) -> str:
        """The label when none is given: the preset, else the id without its namespace."""
        return self.label or self.preset or self.id.rsplit("/", 1)[-1]


class AgentSpec(_Strict):
    """One agent entry: a registered name, its parameters and its training budget."""

    name: str
    label: Label | None = None
    params: dict[str, Any] = Field(default_factory=dict)
    train_steps: Annotated[int, Field(ge=0)] | None = None
    train_seconds: Annotated[float, Field(gt=0, allow_inf_nan=False)] | None = None
    envs: list[str] | None = None


class EvaluationSpec(_Strict):
    """The evaluation protocol: how many episodes, on which seeds, how long."""

    episodes: Annotated[int, Field(ge=1)] = 10
    seed_start: Annotated[int, Field(ge=0)] = 10_000
    max_steps: Annotated[int, Field(ge=1)] | None = None
    checkpoints: Annotated[int, Field(ge=0)] = 5
    checkpoint_episodes: Annotated[int, Field(ge=1)] | None = None


class ReportSpec(_Strict):
    """What the report highlights."""

    reference: str | dict[str, str] | None = None
    metrics: list[str] | None = None
    headline: str | None = None
    suite: bool = False


class Scenario(_Strict):
    """A scenario file as written (see the module docstring for the schema)."""

    name: Name
    description: str = ""
    env: EnvSpec | None = None
    envs: Annotated[list[EnvSpec], Field(min_length=1)] | None = None
    agents: Annotated[list[AgentSpec], Field(min_length=1)]
    seeds: (
        Annotated[int, Field(ge=1)]
        | Annotated[list[Annotated[int, Field(ge=0)]], Field(min_length=1)]
    ) = 3
    evaluation: EvaluationSpec = Field(default_factory=EvaluationSpec)
    report: ReportSpec = Field(default_factory=ReportSpec)
    workers: Annotated[int, Field(ge=1)] = 2


# The checked, resolved form of a scenario.


@dataclasses.dataclass(frozen=True)
class EnvPlan:
    """An environment of a plan, with the report settings resolved for its domain."""

    label: str
    id: str
    kwargs: dict[str, Any]
    domain: str
    agents: tuple[str, ...]
    """Labels of the agents that run on it, in scenario order."""
    reference: str | None
    headline: str
    lower_is_better: bool
    metrics: tuple[str, ...]
    group: str = ""
    """The scenario's label for the environment; a part of a domain hook's split (see
    :mod:`fieldgym.scenarios.plan.hooks`) adds its own, a walk-forward window ``.w<k>``."""
    window: dict[str, str] | None = None
    """A part's data from its hook's split: a walk-forward window's dates (see
    :mod:`fieldgym.scenarios.plan.walk_forward`)."""
    params: dict[str, dict[str, Any]] = dataclasses.field(default_factory=dict)
    """Learner label -> the constructor parameters it is made with here, resolved and in
    JSON types (see :func:`fieldgym.scenarios.plan.planner.resolve_params`)."""


@dataclasses.dataclass(frozen=True)
class AgentPlan:
    """An agent of a plan; ``learns`` comes from the agent's class.

    ``params`` are the scenario file's; a learner's budget is ``train_steps`` or, with
    ``train_steps`` 0, ``train_seconds``.
    """

    label: str
    name: str
    params: dict[str, Any]
    train_steps: int
    learns: bool
    train_seconds: float | None = None

    @property
    def budget_text(self) -> str:
        """``"30,000 steps"``, ``"60 s"``, or ``"–"`` for a baseline."""
        if not self.learns:
            return "–"
        return f"{self.train_seconds:g} s" if self.train_seconds else f"{self.train_steps:,} steps"


@dataclasses.dataclass(frozen=True)
class Plan:
    """A checked scenario: everything the runner and the report need, JSON-serializable.

    The run folder keeps it as ``plan.json``, so ``fieldgym report RUN_DIR`` works
    without the scenario file (and without importing the agents).
    """

    name: str
    description: str
    source: str
    envs: tuple[EnvPlan, ...]
    agents: tuple[AgentPlan, ...]
    seeds: tuple[int, ...]
    eval_seeds: tuple[int, ...]
    max_steps: int | None
    workers: int
    suite: bool = False
    """Whether the report adds the cross-domain comparison and ``leaderboard.md``."""
    checkpoints: int = 0
    """Evaluations of each learner during training (see :class:`EvaluationSpec`)."""
    checkpoint_seeds: tuple[int, ...] = ()
    """The evaluation seeds checkpoints evaluate on (the first of ``eval_seeds``)."""

    def env(self, label: str) -> EnvPlan:
        """The environment with ``label``."""
        return next(e for e in self.envs if e.label == label)

    def agent(self, label: str) -> AgentPlan:
        """The agent with ``label``."""
        return next(a for a in self.agents if a.label == label)

    def to_dict(self) -> dict[str, Any]:
        """A plain-JSON form; :meth:`from_dict` reads it back."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Plan:
        """The plan written by :meth:`to_dict`."""
        envs = tuple(
            EnvPlan(**{**e, "agents": tuple(e["agents"]), "metrics": tuple(e["metrics"])})
            for e in data["envs"]
        )
        agents = tuple(AgentPlan(**a) for a in data["agents"])
        scalars = {k: v for k, v in data.items() if k not in ("envs", "agents")}
        scalars["seeds"] = tuple(scalars["seeds"])
        scalars["eval_seeds"] = tuple(scalars["eval_seeds"])
        scalars["checkpoint_seeds"] = tuple(scalars.get("checkpoint_seeds", ()))
        return cls(envs=envs, agents=agents, **scalars)


# Loading and checking.


def read_scenario(path: str | Path) -> Scenario:
    """Parse a scenario file and validate it against the schema (no registry checks)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the scenario file ({exc.strerror}).") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"{path}: not a text file (byte {exc.start} is not UTF-8); a scenario is a YAML "
            "text file."
        ) from exc
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {' '.join(str(exc).split())}") from exc
    return parse_scenario(data, str(path))


def parse_scenario(data: Any, source: str = "<scenario>") -> Scenario:
    """Validate a mapping (a parsed scenario file) against the schema."""
    if not isinstance(data, dict):
        raise ConfigError(
            f"{source}: a scenario file must be a mapping of keys, got {type(data).__name__}."
        )
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(f"{source}: {describe_errors(exc)}") from None


def describe_errors(exc: ValidationError) -> str:
    """Pydantic's errors in one line, each naming the key and where it is.

    The branches of a union (``seeds: 3`` or ``seeds: [0, 1]``) fail separately in
    pydantic; their messages are merged into one per place.
    """
    messages: list[str] = []
    values: dict[str, tuple[list[str], Any]] = {}
    for error in exc.errors():
        loc = tuple(error["loc"])
        kind = error["type"]
        if kind == "extra_forbidden":
            key, where, model = loc[-1], _place(loc[:-1]), _model_at(loc[:-1])
            valid = sorted(model.model_fields) if model else []
            hint = difflib.get_close_matches(str(key), valid, n=1)
            suggestion = f" Did you mean {hint[0]!r}?" if hint else ""
            messages.append(
                f"unknown key {key!r} at {where}.{suggestion} Valid keys: {', '.join(valid)}."
            )
        elif kind == "missing":
            messages.append(f"missing key {loc[-1]!r} at {_place(loc[:-1])}.")
        else:
            place = _place(_value_loc(loc))
            if place not in values:
                values[place] = ([], error["input"])
                messages.append(place)  # filled in below, keeping the order
            values[place][0].append(error["msg"])
    for k, message in enumerate(messages):
        if message in values:
            texts, given = values[message]
            messages[k] = f"{message}: {' or '.join(texts)} (got {given!r})."
    return " ".join(messages)


def _value_loc(loc: tuple[Any, ...]) -> tuple[Any, ...]:
    """Drop pydantic's union-branch names (``int``, ``list[int]``, ...) from a location."""
    return tuple(p for p in loc if isinstance(p, int) or p in _ALL_FIELDS)


def _place(loc: tuple[Any, ...]) -> str:
    if not loc:
        return "the top level"
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _model_at(loc: tuple[Any, ...]) -> type[BaseModel] | None:
    model: type[BaseModel] | None = Scenario
    for part in loc:
        if isinstance(part, str) and model is not None and part in model.model_fields:
            model = _nested_model(model.model_fields[part].annotation)
    return model


def _nested_model(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _nested_model(arg)
        if found is not None:
            return found
    return None


def _all_fields(model: type[BaseModel]) -> set[str]:
    names = set(model.model_fields)
    for field in model.model_fields.values():
        nested = _nested_model(field.annotation)
        if nested is not None and nested is not model:
            names |= _all_fields(nested)
    return names


_ALL_FIELDS = _all_fields(Scenario)


__all__ = [
    "AgentPlan",
    "AgentSpec",
    "EnvPlan",
    "EnvSpec",
    "EvaluationSpec",
    "Plan",
    "ReportSpec",
    "Scenario",
    "name_problem",
    "parse_scenario",
    "read_scenario",
]
