"""Registration of fieldgym's environment ids with Gymnasium, and :func:`make_parallel`.

Single-agent ids are Gymnasium ids (``gymnasium.make``); multi-agent ids are PettingZoo
``ParallelEnv`` ids kept in :data:`PARALLEL_ENVS` and created with :func:`make_parallel`.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any

import gymnasium as gym


@dataclass(frozen=True)
class EnvEntry:
    """One environment id of the suite, with what ``fieldgym list`` shows of it."""

    id: str
    entry_point: str
    vector_entry_point: str | None = None
    max_episode_steps: int | None = None
    domain: str = ""
    metrics: str = ""
    """Import path of the domain's ``episode_metrics(kpis, config)`` function."""


ENVS: dict[str, EnvEntry] = {}
"""Every single-agent id of the suite."""

PARALLEL_ENVS: dict[str, EnvEntry] = {}
"""Every multi-agent (PettingZoo parallel) id of the suite."""


def add(entry: EnvEntry, parallel: bool = False) -> None:
    """Add an id to the suite's catalogue; :func:`register_envs` registers it with Gymnasium."""
    (PARALLEL_ENVS if parallel else ENVS)[entry.id] = entry


def register_envs() -> None:
    """Register every single-agent id with Gymnasium; calling it again changes nothing."""
    for entry in ENVS.values():
        if entry.id in gym.registry:
            continue
        gym.register(
            id=entry.id,
            entry_point=entry.entry_point,
            vector_entry_point=entry.vector_entry_point,
            max_episode_steps=entry.max_episode_steps,
        )


def make_parallel(env_id: str, **kwargs: Any) -> Any:
    """Create a multi-agent (PettingZoo ``ParallelEnv``) environment by id.

    Raises:
        gymnasium.error.UnregisteredEnv: If ``env_id`` is not a multi-agent id.
    """
    if env_id not in PARALLEL_ENVS:
        close = difflib.get_close_matches(env_id, list(PARALLEL_ENVS) + list(ENVS), n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        single = " It is a single-agent id: use gymnasium.make." if env_id in ENVS else ""
        raise gym.error.UnregisteredEnv(
            f"{env_id!r} is not a multi-agent fieldgym id.{single}{hint} "
            f"Multi-agent ids: {', '.join(PARALLEL_ENVS) or 'none yet'}."
        )
    return gym.envs.registration.load_env_creator(PARALLEL_ENVS[env_id].entry_point)(**kwargs)
