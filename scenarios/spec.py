"""Scenario files: the YAML schema, its validation, and the checked :class:`Plan`.

A scenario file says which environments, agents, seeds and evaluation protocol to run,
and what the report shows. Every mapping rejects unknown keys, and every error names the
file and the place of the mistake (``scenarios/x.yaml: unknown key 'seeds_' at
agents[1] ...``). Environment configs are built, and agent names and parameters
checked, when the file is loaded, so a typo stops the run before any training.

Schema::

    name: quickstart              # required; letters, digits, '_', '-', '.'; names the
                                  #   run folder (runs/<name>/) and report (reports/<name>/)
    description: "..."            # optional, shown in the report
    env:                          # one environment ...
      id: fieldgym/MultiEchelonInventory-v0
      preset: serial              # optional, passed to gymnasium.make as preset=
      config: {demand_mean: 8}    # optional config fields (checked by the env's config class)
      label: serial               # optional short name; default: preset, else the id's name
    envs: [{...}, {...}]          # ... or several (exactly one of env / envs)
    agents:                       # run on every environment unless `envs` restricts them
      - name: dqn                 # a registered agent (`fieldgym list`)
        label: dqn                # optional unique name in tables; default: name
        params: {learning_rate: 0.0005}   # optional keyword arguments of the agent
        train_steps: 30000        # learners: required, >= 1; baselines: absent or 0
        envs: [serial]            # optional: labels of the environments it runs on
    seeds: 3                      # training seeds: a count (0, 1, 2) or a list of ints
    evaluation:
      episodes: 10                # evaluation episodes per trial
      seed_start: 10000           # evaluation seeds are seed_start + k, k < episodes
      max_steps: null             # episode length; null keeps the registered TimeLimit
    report:
      reference: clark_scarf      # agent label the report compares against, or a
                                  #   mapping {env label: agent label}; optional
      metrics: [avg_cost, fill_rate]   # metric columns shown; default: the domain's list
      headline: avg_cost          # metric that ranks agents; default: the domain's
      suite: false                # true: add the cross-domain comparison (normalized
                                  #   scores pooled over environments, see scenarios/suite.py)
                                  #   and write leaderboard.md; every environment then needs
                                  #   a reference and an agent named `random`
    workers: 2                    # processes running trials in parallel

A trial is one (environment, agent, training seed). A baseline (an agent that does not
learn) acts the same whatever the training seed, so it runs one trial per environment
(its ``seed`` is ``None``); counting it once per seed would only duplicate rows and
shrink its confidence interval. Every trial of a scenario is evaluated on the same
evaluation seeds (common random numbers), which are disjoint from the training seeds.
"""

from __future__ import annotations

import dataclasses
import difflib
import importlib
import inspect
import types
import typing
from pathlib import Path
from typing import Annotated, Any

import yaml
from gymnasium.envs.registration import load_env_creator
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from fieldgym.agents.base import RandomPolicy
from fieldgym.agents.evaluation import metrics_function, run_episode
from fieldgym.agents.registry import AGENTS, check_acts_on
from fieldgym.agents.target import is_parallel, make_target
from fieldgym.envs import ENVS, PARALLEL_ENVS
from fieldgym.envs.core.errors import ConfigError
from fieldgym.scenarios import walk_forward
from fieldgym.scenarios.domains import domain_view
from fieldgym.scenarios.walk_forward import WalkForwardSpec

Label = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.-]+$", min_length=1)]
"""A name used in file names and tables."""


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
    envs: list[str] | None = None


class EvaluationSpec(_Strict):
    """The evaluation protocol: how many episodes, on which seeds, how long."""

    episodes: Annotated[int, Field(ge=1)] = 10
    seed_start: Annotated[int, Field(ge=0)] = 10_000
    max_steps: Annotated[int, Field(ge=1)] | None = None


class ReportSpec(_Strict):
    """What the report highlights."""

    reference: str | dict[str, str] | None = None
    metrics: list[str] | None = None
    headline: str | None = None
    suite: bool = False


class Scenario(_Strict):
    """A scenario file as written (see the module docstring for the schema)."""

    name: Label
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
    """The scenario's label for the environment; a walk-forward window's label adds ``.w<k>``."""
    window: dict[str, str] | None = None
    """A walk-forward window's dates (see :mod:`fieldgym.scenarios.walk_forward`)."""


@dataclasses.dataclass(frozen=True)
class AgentPlan:
    """An agent of a plan; ``learns`` comes from the agent's class."""

    label: str
    name: str
    params: dict[str, Any]
    train_steps: int
    learns: bool


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
        return cls(envs=envs, agents=agents, **scalars)


# Loading and checking.


def load_scenario(path: str | Path) -> Plan:
    """Read, validate and check a scenario file.

    Raises:
        ConfigError: On a missing file, bad YAML, an unknown or mistyped key, an unknown
            environment or agent, an invalid environment config field or agent
            parameter, or a reference to a label that does not exist. The message starts
            with the file's path.
    """
    path = Path(path)
    return plan_scenario(read_scenario(path), str(path))


def read_scenario(path: str | Path) -> Scenario:
    """Parse a scenario file and validate it against the schema (no registry checks)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the scenario file ({exc.strerror}).") from exc
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


def plan_scenario(scenario: Scenario, source: str = "<scenario>") -> Plan:
    """Check a validated scenario against the registries and resolve it into a :class:`Plan`.

    Builds each environment's config (a bad field fails here, naming ``source``), loads
    each agent's class to learn whether it learns and which parameters it takes, and
    runs two steps of a random policy per environment to learn the domain's metric names.
    """

    def fail(message: str) -> ConfigError:
        return ConfigError(f"{source}: {message}")

    groups = [e.default_label for e in _env_list(scenario, fail)]
    if len(set(groups)) != len(groups):
        raise fail(f"environment labels must be unique, got {groups}; give each env a 'label'.")
    entries = _windowed(_env_list(scenario, fail), fail)
    env_specs = [spec for spec, _, _ in entries]
    labels = [spec.default_label for spec in env_specs]
    agent_labels = [a.label or a.name for a in scenario.agents]
    if len(set(agent_labels)) != len(agent_labels):
        raise fail(
            f"agent labels must be unique, got {agent_labels}; give repeated agents a 'label'."
        )
    seeds = (
        tuple(range(scenario.seeds)) if isinstance(scenario.seeds, int) else tuple(scenario.seeds)
    )
    if len(set(seeds)) != len(seeds):
        raise fail(f"seeds must not repeat, got {list(seeds)}.")
    evaluation = scenario.evaluation
    eval_seeds = tuple(range(evaluation.seed_start, evaluation.seed_start + evaluation.episodes))
    if set(seeds) & set(eval_seeds):
        raise fail(
            f"training seeds {sorted(set(seeds) & set(eval_seeds))} are also evaluation seeds; "
            "move evaluation.seed_start above them."
        )

    agents = tuple(
        _check_agent(spec, label, i, fail)
        for i, (spec, label) in enumerate(zip(scenario.agents, agent_labels, strict=True))
    )
    for i, spec in enumerate(scenario.agents):
        for name in spec.envs or ():
            if name not in groups:
                raise fail(f"agents[{i}].envs: no environment labelled {name!r}; labels: {groups}.")
    envs = []
    for (spec, group, window), label in zip(entries, labels, strict=True):
        i = groups.index(group)
        where = f"envs[{i}] ({label})" if scenario.envs else "env"
        if window is not None and not scenario.envs:
            where = f"env ({label})"
        runs_here = tuple(
            a_label
            for a_spec, a_label in zip(scenario.agents, agent_labels, strict=True)
            if a_spec.envs is None or group in a_spec.envs
        )
        env = _check_env(spec, label, where, runs_here, scenario, fail, group)
        if window is not None:
            _check_walk_forward(env, agents, where, fail)
            env = dataclasses.replace(env, window=window)
        for agent in agents:
            if agent.label not in runs_here:
                continue
            entry = AGENTS[agent.name]
            if entry.domains and env.domain not in entry.domains:
                raise fail(
                    f"agent {agent.label!r} is a baseline for {', '.join(entry.domains)}, not for "
                    f"{where} ({spec.id}); restrict it with 'envs: [...]'."
                )
            try:
                check_acts_on(agent.name, load_env_creator(entry.factory_for(spec.id)), spec.id)
            except ConfigError as exc:
                raise fail(f"{where}: {exc} Restrict agents with 'envs: [...]'.") from exc
        envs.append(env)
    if scenario.report.suite:
        _check_suite(envs, agents, fail)
    return Plan(
        name=scenario.name,
        description=scenario.description.strip(),
        source=source,
        envs=tuple(envs),
        agents=agents,
        seeds=seeds,
        eval_seeds=eval_seeds,
        max_steps=evaluation.max_steps,
        workers=scenario.workers,
        suite=scenario.report.suite,
    )


def _windowed(specs: list[EnvSpec], fail: Any) -> list[tuple[EnvSpec, str, dict[str, str] | None]]:
    """``(spec, group label, window)`` per environment: walk-forward entries split per window."""
    out: list[tuple[EnvSpec, str, dict[str, str] | None]] = []
    for spec in specs:
        group = spec.default_label
        if spec.walk_forward is None:
            out.append((spec, group, None))
            continue
        try:
            config = make_target(spec.id, spec.kwargs).config if spec.id in ENVS else None
        except (ConfigError, TypeError, ValueError) as exc:
            raise fail(f"env {group!r}: {exc}") from exc
        fields = {f.name for f in dataclasses.fields(config)} if config is not None else set()
        if not set(walk_forward.RANGE_FIELDS) <= fields:
            raise fail(
                f"env {group!r}: walk_forward needs an environment with a date range "
                f"({', '.join(walk_forward.RANGE_FIELDS)} config fields), such as the trading "
                f"ids; {spec.id} has none."
            )
        try:
            dates = walk_forward.windows(spec.walk_forward)
        except (ConfigError, ValueError) as exc:
            raise fail(f"env {group!r}: walk_forward: {exc}") from exc
        for k, window in enumerate(dates):
            windowed = spec.model_copy(
                update={
                    "config": walk_forward.test_config(spec.config, window),
                    "label": f"{group}.w{k}",
                    "walk_forward": None,
                }
            )
            out.append((windowed, group, window))
    return out


def _check_walk_forward(env: EnvPlan, agents: tuple[AgentPlan, ...], where: str, fail: Any) -> None:
    """A walk-forward window's learners must train on the window's training range only."""
    for agent in agents:
        if agent.label not in env.agents or not agent.learns:
            continue
        accepted = _keyword_parameters(load_env_creator(AGENTS[agent.name].factory))
        if accepted is None or not set(walk_forward.TRAIN_RANGE) <= accepted:
            raise fail(
                f"{where}: learner {agent.label!r} cannot be confined to the training range "
                f"(it takes no {' / '.join(walk_forward.TRAIN_RANGE)}); on walk-forward "
                "environments use 'drl' with params {algo: ...}."
            )


def _check_suite(envs: list[EnvPlan], agents: tuple[AgentPlan, ...], fail: Any) -> None:
    """A suite normalizes each environment's scores between its random agent and its reference."""
    names = {a.label: a.name for a in agents}
    for env in envs:
        randoms = [a for a in env.agents if names[a] == "random"]
        if not randoms:
            raise fail(
                f"report.suite: no agent named 'random' runs on environment {env.label!r}, so "
                "its scores cannot be normalized (random = 0); add `- name: random` to the "
                "agents (without `envs`, or with this label in its `envs`)."
            )
        if env.reference is None:
            raise fail(
                f"report.suite: environment {env.label!r} has no reference agent, so its scores "
                "cannot be normalized (reference = 1); give `report.reference` as a mapping "
                f"{{{env.label}: AGENT, ...}} naming one of its agents: {', '.join(env.agents)}."
            )
        if env.reference in randoms:
            raise fail(
                f"report.suite: the reference of environment {env.label!r} is the random agent "
                f"{env.reference!r}; normalization needs a reference other than random."
            )


def _env_list(scenario: Scenario, fail: Any) -> list[EnvSpec]:
    if (scenario.env is None) == (scenario.envs is None):
        raise fail("give exactly one of 'env' (one environment) or 'envs' (a list).")
    return [scenario.env] if scenario.env is not None else list(scenario.envs or [])


def _check_agent(spec: AgentSpec, label: str, index: int, fail: Any) -> AgentPlan:
    where = f"agents[{index}]"
    if spec.name not in AGENTS:
        hint = difflib.get_close_matches(spec.name, list(AGENTS), n=1)
        suggestion = f" Did you mean {hint[0]!r}?" if hint else ""
        raise fail(
            f"{where}: unknown agent {spec.name!r}.{suggestion} "
            f"Valid agents: {', '.join(sorted(AGENTS))}."
        )
    entry = AGENTS[spec.name]
    try:
        cls = load_env_creator(entry.factory)
    except (ImportError, AttributeError) as exc:
        raise fail(
            f"{where}: agent {spec.name!r} cannot be loaded from {entry.factory} ({exc})."
        ) from exc
    accepted = _keyword_parameters(cls)
    if accepted is not None:
        for key in spec.params:
            if key not in accepted:
                hint = difflib.get_close_matches(key, sorted(accepted), n=1)
                suggestion = f" Did you mean {hint[0]!r}?" if hint else ""
                raise fail(
                    f"{where}.params: agent {spec.name!r} has no parameter {key!r}.{suggestion} "
                    f"Its parameters: {', '.join(sorted(accepted)) or 'none'}."
                )
    learns = bool(getattr(cls, "learns", False))
    steps = spec.train_steps or 0
    if learns and steps < 1:
        raise fail(f"{where}: {spec.name!r} is a learner; give its budget as train_steps (>= 1).")
    if not learns and steps > 0:
        raise fail(f"{where}: {spec.name!r} does not learn; remove train_steps (or set it to 0).")
    return AgentPlan(label, spec.name, dict(spec.params), steps, learns)


def _keyword_parameters(cls: type) -> set[str] | None:
    """Names the agent's constructor takes besides the target; ``None`` if it takes ``**kwargs``."""
    parameters = list(inspect.signature(cls.__init__).parameters.values())[2:]
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters):
        return None
    return {p.name for p in parameters if p.kind is not inspect.Parameter.VAR_POSITIONAL}


def _check_env(
    spec: EnvSpec,
    label: str,
    where: str,
    agents: tuple[str, ...],
    scenario: Scenario,
    fail: Any,
    group: str | None = None,
) -> EnvPlan:
    if spec.id not in ENVS and spec.id not in PARALLEL_ENVS:  # evaluation needs fieldgym metrics
        ids = [*ENVS, *PARALLEL_ENVS]
        hint = difflib.get_close_matches(spec.id, ids, n=1)
        suggestion = f" Did you mean {hint[0]!r}?" if hint else ""
        raise fail(
            f"{where}: unknown environment id {spec.id!r}.{suggestion} Ids: {', '.join(ids)}."
        )
    target = make_target(spec.id, spec.kwargs)
    try:
        _ = target.config
        metric_names = _metric_names(target)
    except (ConfigError, TypeError, ValueError) as exc:
        raise fail(f"{where}: {exc}") from exc
    if not agents:
        raise fail(f"{where}: no agent runs on environment {label!r} (check the agents' envs).")
    report = scenario.report
    group = group or label
    reference = (
        report.reference.get(group) if isinstance(report.reference, dict) else report.reference
    )
    if isinstance(report.reference, dict):
        env_labels = {e.default_label for e in _env_list(scenario, fail)}
        for key in report.reference:
            if key not in env_labels:
                raise fail(
                    f"report.reference: no environment labelled {key!r}; "
                    f"labels: {sorted(env_labels)}."
                )
    if reference is not None and reference not in agents:
        raise fail(
            f"report.reference: {reference!r} is not an agent run on {label!r}; "
            f"its agents: {', '.join(agents)}."
        )
    view = domain_view(target.domain)
    default_headline, lower_is_better = headline_of(spec.id)
    headline = report.headline or default_headline
    for name in [headline, *(report.metrics or [])]:
        if name not in metric_names:
            hint = difflib.get_close_matches(name, metric_names, n=1)
            suggestion = f" Did you mean {hint[0]!r}?" if hint else ""
            raise fail(
                f"report: unknown metric {name!r} for {spec.id}.{suggestion} "
                f"Metrics: {', '.join(metric_names)}."
            )
    if report.headline and report.headline != default_headline:
        lower_is_better = view.lower_is_better(report.headline)
    chosen = report.metrics or [m for m in view.metrics if m in metric_names]
    metrics = tuple(dict.fromkeys([headline, *chosen]))
    return EnvPlan(
        label=label,
        id=spec.id,
        kwargs=spec.kwargs,
        domain=target.domain,
        agents=agents,
        reference=reference,
        headline=headline,
        lower_is_better=lower_is_better,
        metrics=metrics,
        group=group,
    )


def _metric_names(target: Any) -> list[str]:
    """The columns evaluation reports for ``target``.

    Learned from two steps of a random policy, or from a whole episode of a multi-agent
    id (its episodes cannot be cut short).
    """
    if is_parallel(target.id):
        from fieldgym.agents.multiagent import RandomParallelPolicy, run_parallel_episode
        from fieldgym.agents.multiagent import metrics_function as parallel_metrics

        kpis = run_parallel_episode(RandomParallelPolicy(target), seed=0)[2]
        metrics = parallel_metrics(target.id)(kpis, target.config)
    else:
        episode = run_episode(RandomPolicy(target), seed=0, max_steps=2)
        metrics = metrics_function(target.id)(episode.kpis, target.config)
    return ["episode_return", "length", *metrics]


def headline_of(env_id: str) -> tuple[str, bool]:
    """The domain's headline metric and whether lower is better, from its metrics module.

    A domain's metrics module declares ``HEADLINE`` and ``LOWER_IS_BETTER``; without them
    (or for a foreign id) the headline is the episode return, higher being better.
    """
    entry = ENVS.get(env_id) or PARALLEL_ENVS.get(env_id)
    if entry is None or not entry.metrics:
        return "episode_return", False
    module: types.ModuleType = importlib.import_module(entry.metrics.split(":")[0])
    return getattr(module, "HEADLINE", "episode_return"), bool(
        getattr(module, "LOWER_IS_BETTER", False)
    )


__all__ = [
    "AgentPlan",
    "AgentSpec",
    "EnvPlan",
    "EnvSpec",
    "EvaluationSpec",
    "Plan",
    "ReportSpec",
    "Scenario",
    "headline_of",
    "load_scenario",
    "parse_scenario",
    "plan_scenario",
    "read_scenario",
]
