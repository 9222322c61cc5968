"""From a validated scenario to a checked :class:`~fieldgym.scenarios.plan.spec.Plan`.

:func:`plan_scenario` resolves what the schema cannot check alone: it builds every
environment's config, loads every agent's class (does it learn, which parameters it
takes, which ids it acts on), resolves each agent's parameters on each environment
(defaults, tuned entry, the file's ``params``), splits entries that turn a domain hook
on (trading's walk-forward windows) into parts, resolves labels and references, and
checks the report's metrics against what each environment reports. Every error names
the scenario file and the place of the mistake.
"""

from __future__ import annotations

import dataclasses
import difflib
from pathlib import Path
from typing import Any

from gymnasium.envs.registration import load_env_creator

from fieldgym.agents import hyperparams
from fieldgym.agents.base import RandomParallelPolicy, RandomPolicy
from fieldgym.agents.evaluation import declared_metrics, evaluate
from fieldgym.agents.registry import (
    AGENTS,
    check_acts_on,
    check_param_names,
    make_agent,
    resolved_params,
)
from fieldgym.agents.target import make_target
from fieldgym.envs import ENVS, PARALLEL_ENVS
from fieldgym.envs.core.errors import ConfigError
from fieldgym.scenarios.plan import hooks
from fieldgym.scenarios.plan.spec import (
    AgentPlan,
    AgentSpec,
    EnvPlan,
    EnvSpec,
    Plan,
    Scenario,
    name_problem,
    read_scenario,
)
from fieldgym.scenarios.report.domains import domain_view


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
    for i, spec in enumerate(_env_list(scenario, fail)):
        if spec.label is None and (problem := name_problem(spec.default_label)) is not None:
            where = f"envs[{i}]" if scenario.envs else "env"
            origin = "preset" if spec.preset else "id"
            raise fail(
                f"{where}: its label {spec.default_label!r} (from its {origin}) {problem}; "
                "give the environment a 'label' such as 'variant_2'."
            )
    entries = _split(_env_list(scenario, fail), fail)
    env_specs = [spec for spec, _, _ in entries]
    labels = [spec.default_label for spec in env_specs]
    if len(set(labels)) != len(labels):
        raise fail(
            f"environment labels must be unique, got {labels} (a walk-forward environment's "
            "windows are labelled '<label>.w<k>'); give the environments other labels."
        )
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
    checkpoint_episodes = evaluation.checkpoint_episodes or min(5, evaluation.episodes)
    if checkpoint_episodes > evaluation.episodes:
        raise fail(
            f"evaluation.checkpoint_episodes ({checkpoint_episodes}) exceeds "
            f"evaluation.episodes ({evaluation.episodes}); checkpoints evaluate on the first "
            "evaluation seeds."
        )

    agents = tuple(
        _check_agent(spec, label, i, fail)
        for i, (spec, label) in enumerate(zip(scenario.agents, agent_labels, strict=True))
    )
    for i, spec in enumerate(scenario.agents):
        if spec.label is None and (problem := name_problem(spec.name)) is not None:
            raise fail(
                f"agents[{i}]: its label {spec.name!r} (from its name) {problem}; "
                "give the agent a 'label' such as 'variant_2'."
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
            hooks.part_hook(env.domain).check(env, agents, where, fail)
            env = dataclasses.replace(env, window=window)
        params: dict[str, dict[str, Any]] = {}
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
            try:
                if agent.learns:
                    params[agent.label] = resolve_params(agent, spec.id, spec.kwargs)
            except ConfigError as exc:
                raise fail(f"{where}: agent {agent.label!r}: {exc}") from exc
        envs.append(dataclasses.replace(env, params=params))
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
        checkpoints=evaluation.checkpoints,
        checkpoint_seeds=eval_seeds[:checkpoint_episodes] if evaluation.checkpoints else (),
    )


def _split(specs: list[EnvSpec], fail: Any) -> list[tuple[EnvSpec, str, dict[str, str] | None]]:
    """``(spec, group label, part)`` per environment.

    Entries that turn a domain hook on (:mod:`fieldgym.scenarios.plan.hooks`) are split
    into the hook's parts; the others have no part (``None``).
    """
    out: list[tuple[EnvSpec, str, dict[str, str] | None]] = []
    for spec in specs:
        group = spec.default_label
        hook = hooks.hook_of(spec)
        if hook is None:
            out.append((spec, group, None))
        else:
            out += [(part, group, data) for part, data in hook.split(spec, group, fail)]
    return out


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
    try:
        check_param_names(spec.name, cls, spec.params)
    except ConfigError as exc:
        raise fail(f"{where}.params: {exc}") from exc
    learns = bool(getattr(cls, "learns", False))
    steps, seconds = spec.train_steps or 0, spec.train_seconds
    if learns and steps and seconds:
        raise fail(
            f"{where}: give {spec.name!r} one budget, train_steps or train_seconds, not both."
        )
    if learns and not (steps or seconds):
        raise fail(
            f"{where}: {spec.name!r} is a learner; give its budget as train_steps (>= 1) "
            "or train_seconds (> 0)."
        )
    if not learns and (steps or seconds):
        budget = "train_seconds" if seconds else "train_steps (or set it to 0)"
        raise fail(f"{where}: {spec.name!r} does not learn; remove {budget}.")
    return AgentPlan(label, spec.name, dict(spec.params), steps, learns, seconds)


def resolve_params(agent: AgentPlan, env_id: str, env_kwargs: dict[str, Any]) -> dict[str, Any]:
    """The constructor parameters learner ``agent`` is made with on the environment.

    Its registry defaults, its tuned entry for the environment, then the scenario's
    ``params`` (:func:`~fieldgym.agents.registry.resolved_params`), in JSON types: a
    ``policy_kwargs`` in the SB3 ``hyperparams`` becomes rl-zoo3's text
    (``"dict(net_arch=[64, 64], activation_fn=nn.ReLU)"``), parsed and so checked here;
    the worker parses it back (:func:`fieldgym.agents.hyperparams.live_params`).
    Baselines are left to the worker's ``make_agent``: they have no tuned entries, and
    their registry defaults are what makes them that baseline, so their trial keys keep
    the file's ``params`` only.

    The learner is made once with them, so that a bad ``algo`` or a hyperparameter its
    algorithm does not take fails the plan, not every trial at run time.

    Raises:
        ConfigError: On a bad tuned entry, ``policy_kwargs``, ``algo`` or hyperparameter.
    """
    target = make_target(env_id, env_kwargs)
    params = resolved_params(agent.name, target, agent.params)
    try:
        make_agent(agent.name, target, tuned=False, **params)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"its params {agent.params} do not make a {agent.name}: {exc}") from exc
    return hyperparams.json_params(params)


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
    declared = declared_metrics(spec.id)
    headline = report.headline or declared.headline
    for name in [headline, *(report.metrics or [])]:
        if name not in metric_names:
            hint = difflib.get_close_matches(name, metric_names, n=1)
            suggestion = f" Did you mean {hint[0]!r}?" if hint else ""
            raise fail(
                f"report: unknown metric {name!r} for {spec.id}.{suggestion} "
                f"Metrics: {', '.join(metric_names)}."
            )
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
        lower_is_better=declared.lower_is_better(headline),
        metrics=metrics,
        group=group,
    )


def _metric_names(target: Any) -> list[str]:
    """The columns evaluation reports for ``target``.

    Learned from two steps of a random policy.
    """
    random = RandomParallelPolicy(target) if target.kind == "parallel" else RandomPolicy(target)
    table = evaluate(random, [0], max_steps=2)
    return [column for column in table.columns if column not in ("agent", "env_id", "seed")]
