"""fieldgym's agents: stable-baselines3 learners, baselines, and evaluation.

Each domain's baselines live in a subpackage (``agents/<domain>/``) that registers them
when imported; every subpackage is imported below, so a new domain needs no edit here.

``make_agent(name, EnvTarget(id, kwargs))`` creates any registered agent (a
``ParallelTarget`` for a multi-agent id; ``make_target(id)`` picks the kind); every agent
is a :class:`Policy` with ``act(observation)``; :func:`evaluate` (single- or multi-agent)
runs one over fixed seeds. None of this imports torch; the learners do when made.
"""

from __future__ import annotations

import importlib
import pkgutil

from fieldgym.agents.base import ParallelPolicy, Policy, RandomPolicy
from fieldgym.agents.evaluation import evaluate, run_episode
from fieldgym.agents.registry import AGENTS, agents_for, make_agent
from fieldgym.agents.target import EnvTarget, ParallelTarget, make_target

__all__ = [
    "AGENTS",
    "EnvTarget",
    "ParallelPolicy",
    "ParallelTarget",
    "Policy",
    "RandomPolicy",
    "agents_for",
    "evaluate",
    "make_agent",
    "make_target",
    "run_episode",
]

for _module in pkgutil.iter_modules(__path__):
    if _module.ispkg:
        importlib.import_module(f"{__name__}.{_module.name}")
