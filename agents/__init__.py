"""fieldgym's agents: stable-baselines3 learners, baselines, and evaluation.

``make_agent(name, EnvTarget(id, kwargs))`` creates any registered agent; every agent is a
:class:`Policy` with ``act(observation)``; :func:`evaluate` runs one over fixed seeds.
"""

from __future__ import annotations

from fieldgym.agents import inventory  # noqa: F401  (registers the inventory baselines)
from fieldgym.agents.base import Policy, RandomPolicy
from fieldgym.agents.evaluation import evaluate, run_episode
from fieldgym.agents.registry import AGENTS, agents_for, make_agent
from fieldgym.agents.target import EnvTarget

__all__ = [
    "AGENTS",
    "EnvTarget",
    "Policy",
    "RandomPolicy",
    "agents_for",
    "evaluate",
    "make_agent",
    "run_episode",
]
