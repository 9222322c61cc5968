"""One registry of agent names: learners, the random policy and each domain's baselines."""

from __future__ import annotations

import dataclasses
import difflib
import inspect
from collections.abc import Mapping
from typing import Any

from gymnasium.envs.registration import load_env_creator

from fieldgym.agents import hyperparams
from fieldgym.agents.base import Policy
from fieldgym.agents.target import EnvTarget, is_parallel
from fieldgym.envs.core.errors import ConfigError


@dataclasses.dataclass(frozen=True)
class AgentEntry:
    """A registered agent: where its class lives and what it is for.

    ``factory`` is an import path ``"module:Class"``, loaded only when the agent is made,
    so that listing agents never imports torch.
    """

    name: str
    factory: str
    kind: str
    description: str
    domains: tuple[str, ...] = ()
    """Domains the agent applies to; empty for every domain."""
    defaults: dict[str, Any] = dataclasses.field(default_factory=dict)
    parallel_factory: str | None = None
    """The class made instead of ``factory`` for multi-agent ids (``random`` has one)."""

    def factory_for(self, env_id: str) -> str:
        """The import path of the class made for ``env_id``."""
        return (self.parallel_factory if is_parallel(env_id) else None) or self.factory


AGENTS: dict[str, AgentEntry] = {}


def add(entry: AgentEntry) -> None:
    """Add an agent to the registry."""
    AGENTS[entry.name] = entry


def make_agent(name: str, target: EnvTarget, tuned: bool = True, **params: Any) -> Policy:
    """Create the agent ``name`` for ``target``, with ``params`` overriding its defaults.

    A learner's defaults are its class's, then the shipped tuned entry for the target
    (``hyperparams/<name>.yml``, see :mod:`fieldgym.agents.hyperparams`) unless
    ``tuned=False``; ``params`` override both (a ``hyperparams`` mapping key by key).

    Raises:
        ConfigError: On an unknown name (listing the valid ones), a target that is not an
            ``EnvTarget`` (an id string, say), or an agent that does not apply to the
            target's domain.
    """
    if not isinstance(name, str):
        raise ConfigError(
            f"agent name {name!r} is not a string; give a registered name such as 'ppo' "
            f"(agents: {', '.join(sorted(AGENTS))})."
        )
    if not isinstance(getattr(target, "id", None), str):
        raise ConfigError(
            f"make_agent({name!r}, {target!r}): the target must be an EnvTarget, such as "
            f"EnvTarget({target!r}) or EnvTarget(env_id, {{'preset': ...}}) "
            "(fieldgym.agents.EnvTarget; fieldgym.agents.target.make_target for any id)."
        )
    if name not in AGENTS:
        hint = difflib.get_close_matches(name, list(AGENTS), n=1)
        suggestion = f" Did you mean {hint[0]!r}?" if hint else ""
        raise ConfigError(
            f"Unknown agent {name!r}.{suggestion} Valid agents: {', '.join(sorted(AGENTS))}."
        )
    entry = AGENTS[name]
    if entry.domains and target.domain not in entry.domains:
        raise ConfigError(
            f"Agent {name!r} is a baseline for {', '.join(entry.domains)}, not for {target.id}; "
            f"agents for every domain: {', '.join(n for n, e in AGENTS.items() if not e.domains)}."
        )
    cls = load_env_creator(entry.factory_for(target.id))
    check_acts_on(name, cls, target.id)
    check_param_names(name, cls, params)
    return cls(target, **resolved_params(name, target, params, tuned))


def check_param_names(name: str, cls: type, params: dict[str, Any]) -> None:
    """Raise unless every key of ``params`` is a parameter of agent ``name``'s class.

    Raises:
        ConfigError: Naming the unknown parameter, the closest valid one and all of them.
    """
    accepted = keyword_parameters(cls)
    if accepted is None:
        return
    for key in params:
        if key not in accepted:
            hint = difflib.get_close_matches(key, sorted(accepted), n=1)
            suggestion = f" Did you mean {hint[0]!r}?" if hint else ""
            raise ConfigError(
                f"agent {name!r} has no parameter {key!r}.{suggestion} "
                f"Its parameters: {', '.join(sorted(accepted)) or 'none'}."
            )


def keyword_parameters(cls: type) -> set[str] | None:
    """Names the agent's constructor takes besides the target; ``None`` if it takes ``**kwargs``."""
    parameters = list(inspect.signature(cls.__init__).parameters.values())[2:]
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters):
        return None
    return {p.name for p in parameters if p.kind is not inspect.Parameter.VAR_POSITIONAL}


def resolved_params(
    name: str, target: Any, params: dict[str, Any], tuned: bool = True
) -> dict[str, Any]:
    """The keyword arguments :func:`make_agent` gives agent ``name``'s class.

    The registry's defaults, the tuned entry (for learners, when ``tuned``), then
    ``params``; a scenario's planner resolves them once, so a trial records them.
    """
    given = params.get("hyperparams")
    if given is not None and not isinstance(given, Mapping):
        raise ConfigError(
            f"agent {name!r}: hyperparams={given!r} is not a mapping; give the algorithm's "
            "keyword arguments by name, such as {'learning_rate': 0.0003}."
        )
    entry = AGENTS[name]
    merged = dict(entry.defaults)
    if tuned and entry.kind == "learner":
        cls = load_env_creator(entry.factory_for(target.id))
        # A learner wrapping another's algorithm (``drl``: its ``algo``) uses that file.
        named_by = getattr(cls, "hyperparams_named_by", None)
        file = name
        if named_by is not None:
            file = str({**merged, **params}.get(named_by, _default_of(cls, named_by)))
        found = hyperparams.tuned_params(file, cls, target.id, dict(target.kwargs))
        merged = hyperparams.merge(merged, found)
    return hyperparams.merge(merged, params)


def _default_of(cls: type, parameter: str) -> Any:
    return inspect.signature(cls).parameters[parameter].default


def check_acts_on(name: str, cls: type, env_id: str) -> None:
    """Raise if the agent's class cannot act in ``env_id`` (single- vs multi-agent).

    Raises:
        ConfigError: Naming the agents that do apply.
    """
    kind = "parallel" if is_parallel(env_id) else "single"
    if kind in getattr(cls, "acts_on", frozenset({"single"})):
        return
    others = [
        n
        for n, e in AGENTS.items()
        if not e.domains and kind in getattr(_load(e.factory_for(env_id)), "acts_on", ())
    ]
    what = "a multi-agent (PettingZoo) id" if kind == "parallel" else "a single-agent id"
    raise ConfigError(
        f"Agent {name!r} cannot act in {env_id}, {what}. "
        f"Learners and policies for every domain that can: {', '.join(others) or 'none'}."
    )


def _load(factory: str) -> Any:
    try:
        return load_env_creator(factory)
    except (ImportError, AttributeError):
        return None


def agents_for(domain: str) -> list[str]:
    """Names of the agents that apply to ``domain``."""
    return [name for name, e in AGENTS.items() if not e.domains or domain in e.domains]


for _algo, _text in (
    ("dqn", "Deep Q-network (stable-baselines3); non-discrete actions are discretized"),
    ("ppo", "Proximal policy optimization (stable-baselines3)"),
    ("a2c", "Advantage actor-critic (stable-baselines3)"),
    ("sac", "Soft actor-critic (stable-baselines3); discrete actions are relaxed"),
    ("td3", "Twin delayed DDPG (stable-baselines3); discrete actions are relaxed"),
):
    add(
        AgentEntry(
            _algo, "fieldgym.agents.sb3:SB3Agent", "learner", _text, defaults={"algo": _algo}
        )
    )
add(
    AgentEntry(
        "random",
        "fieldgym.agents.base:RandomPolicy",
        "baseline",
        "Uniformly random actions",
        parallel_factory="fieldgym.agents.base:RandomParallelPolicy",
    )
)
for _name, _factory, _text in (
    (
        "shared_ppo",
        "fieldgym.agents.multiagent:SharedPPO",
        "PPO with one policy shared by every agent of a PettingZoo parallel env",
    ),
    (
        "shared_dqn",
        "fieldgym.agents.multiagent:SharedDQN",
        "DQN with one Q-network shared by every agent (independent Q-learners); Discrete actions",
    ),
    (
        "mappo",
        "fieldgym.agents.mappo:MAPPO",
        "Multi-agent PPO: shared actors, a centralized critic on the env's global state()",
    ),
):
    add(AgentEntry(_name, _factory, "learner", _text))
add(
    AgentEntry(
        "discrete_sac",
        "fieldgym.agents.discrete_sac:DiscreteSAC",
        "learner",
        "Soft actor-critic for discrete actions (Christodoulou 2019); Box actions discretized",
    )
)
