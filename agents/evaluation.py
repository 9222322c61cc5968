"""Evaluation: run a policy over fixed seeds and tabulate the domain's metrics."""

from __future__ import annotations

import dataclasses
import importlib
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd
from gymnasium.envs.registration import load_env_creator

from fieldgym.agents.base import ParallelPolicy, Policy
from fieldgym.agents.target import catalogue_entry
from fieldgym.envs.core.config import check_count
from fieldgym.envs.core.errors import ConfigError
from fieldgym.envs.core.metrics import GENERIC, MetricTable
from fieldgym.envs.core.wrappers import RecordKPIs


@dataclasses.dataclass
class Episode:
    """One evaluated episode: its seed, return, length and per-step KPI arrays."""

    seed: int
    episode_return: float
    length: int
    kpis: dict[str, np.ndarray]


def metrics_function(env_id: str) -> Callable[[dict[str, np.ndarray], Any], dict[str, float]]:
    """The domain's ``episode_metrics(kpis, config)`` for a single- or multi-agent id."""
    entry = catalogue_entry(env_id)
    if entry is None or not entry.metrics:
        return lambda kpis, config: {}
    return load_env_creator(entry.metrics)


def declared_metrics(env_id: str) -> MetricTable:
    """The declared metrics of a single- or multi-agent id: its domain's ``METRICS``.

    An id whose domain declares none (or a foreign id) gets :data:`GENERIC`, return and
    length, the return being the headline.
    """
    entry = catalogue_entry(env_id)
    if entry is None or not entry.metrics:
        return GENERIC
    return importlib.import_module(entry.metrics.split(":")[0]).METRICS


def check_seeds(seeds: Any) -> list[int]:
    """``seeds`` as a list of ints, after checking it is a non-empty collection of seeds.

    A seed is a whole number of 0 or more (a Python or NumPy integer, or a float such as
    ``3.0``).

    Raises:
        ConfigError: On a count or a string instead of a collection, an empty one, or an
            element that is not a whole number of 0 or more.
    """
    example = "such as range(10000, 10010) or [0, 1, 2]"
    if isinstance(seeds, str | bytes | Mapping) or not isinstance(seeds, Iterable):
        raise ConfigError(f"seeds={seeds!r} is not a collection of seeds; give one, {example}.")
    out = []
    for seed in seeds:
        number = isinstance(seed, int | float | np.integer | np.floating)
        if not number or isinstance(seed, bool) or not float(seed).is_integer() or seed < 0:
            raise ConfigError(
                f"seeds: {seed!r} is not a seed; seeds are whole numbers of 0 or more, {example}."
            )
        out.append(int(seed))
    if not out:
        raise ConfigError(f"seeds is empty: give at least one seed, {example}.")
    return out


def check_max_steps(max_steps: Any) -> int | None:
    """``max_steps`` (``None`` or a whole number of 1 or more) as an int or ``None``.

    Raises:
        ConfigError: On anything else.
    """
    if max_steps is None:
        return None
    return check_count("max_steps", max_steps, 1, " (None keeps the registered limit)")


def run_episode(policy: Policy, seed: int, max_steps: int | None = None) -> Episode:
    """Run one episode of ``policy`` in a new environment reset with ``seed``."""
    extra = {} if max_steps is None else {"max_episode_steps": max_steps}
    env = RecordKPIs(policy.target.make(**extra))
    try:
        observation, _ = env.reset(seed=seed)
        policy.reset(seed)
        done = False
        while not done:
            observation, _, terminated, truncated, _ = env.step(policy.act(observation))
            done = terminated or truncated
        kpis = env.episode()
    finally:
        env.close()
    return Episode(seed, float(kpis["reward"].sum()), len(kpis["reward"]), kpis)


def evaluate(
    policy: Policy | ParallelPolicy,
    seeds: Iterable[int],
    max_steps: int | None = None,
    keep_episodes: bool = False,
) -> pd.DataFrame | tuple[pd.DataFrame, list[Episode]]:
    """Evaluate a single- or multi-agent ``policy`` on one episode per seed.

    Args:
        policy: Any policy (learned or classical) of a single- or multi-agent target.
        seeds: Seeds of the evaluation episodes; the same seeds give the same demand,
            arrivals, ... for every policy (common random numbers).
        max_steps: Episode length; ``None`` keeps the registered ``TimeLimit`` (or a
            multi-agent env's own end).
        keep_episodes: Also return the :class:`Episode` objects (per-step KPIs, for plots).

    Returns:
        A DataFrame with one row per episode: ``agent``, ``env_id``, ``seed``,
        ``episode_return``, ``length`` and the domain's metrics (and the episodes if asked).
        A multi-agent episode's return is the team's (:func:`run_parallel_episode`).

    Raises:
        ConfigError: On seeds that are not a non-empty collection of whole numbers of 0 or
            more, or a ``max_steps`` that is not ``None`` or 1 or more.
    """
    seeds = check_seeds(seeds)
    max_steps = check_max_steps(max_steps)
    run = run_parallel_episode if policy.target.kind == "parallel" else run_episode
    episodes = [run(policy, seed, max_steps) for seed in seeds]  # type: ignore[arg-type]
    table = episode_table(policy, episodes)
    return (table, episodes) if keep_episodes else table


def episode_table(policy: Policy | ParallelPolicy, episodes: list[Episode]) -> pd.DataFrame:
    """The table of ``policy``'s episodes, single- or multi-agent.

    One row per episode: ``agent``, ``env_id``, ``seed``, ``episode_return``, ``length``
    and the domain's metrics of its KPIs.
    """
    metrics = metrics_function(policy.target.id)
    config = policy.target.config
    return pd.DataFrame(
        [
            {
                "agent": policy.name,
                "env_id": policy.target.id,
                "seed": episode.seed,
                "episode_return": episode.episode_return,
                "length": episode.length,
                **metrics(episode.kpis, config),
            }
            for episode in episodes
        ]
    )


def run_parallel_episode(
    policy: ParallelPolicy, seed: int, max_steps: int | None = None
) -> Episode:
    """One episode of a multi-agent policy, in a new env reset with ``seed``.

    It ends when the env's agents are done, or after ``max_steps`` steps. Its return is
    the team's: the mean reward over agents, summed over steps.
    """
    env = policy.target.make()
    try:
        observations, _ = env.reset(seed=seed)
        policy.reset(seed)
        kpis: dict[str, list] = {}
        team_return, length = 0.0, 0
        while env.agents and (max_steps is None or length < max_steps):
            actions = policy.act(observations, env.state())
            observations, rewards, _, _, infos = env.step(actions)
            team_return += float(np.mean(list(rewards.values())))
            length += 1
            first = next(iter(infos.values()), {})
            for name, value in first.get("kpi", {}).items():
                kpis.setdefault(name, []).append(np.copy(value))
    finally:
        env.close()
    return Episode(seed, team_return, length, {name: np.asarray(v) for name, v in kpis.items()})
