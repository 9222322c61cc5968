"""What an agent acts on: an environment id with its keyword arguments.

:class:`EnvTarget` names a single-agent (Gymnasium) id, :class:`ParallelTarget` a
multi-agent (PettingZoo parallel) one; both are a :class:`Target`, with one ``config``,
``domain`` and ``kind``. Nothing here imports torch, so classical baselines and their
evaluation run without it.
"""

from __future__ import annotations

import dataclasses
from functools import cached_property
from typing import Any, ClassVar

import gymnasium as gym
from gymnasium.envs.registration import load_env_creator

from fieldgym.envs import ENVS, PARALLEL_ENVS, make_parallel
from fieldgym.envs.core.registration import EnvEntry


@dataclasses.dataclass(frozen=True)
class Target:
    """An environment id and the keyword arguments it is made with.

    Agents and evaluation build their environments from it, so a scenario, a script and
    a saved agent all describe the environment the same way.

    Args:
        id: A registered id, e.g. ``"fieldgym/MultiEchelonInventory-v1"``.
        kwargs: Keyword arguments the env is made with (config fields, ``preset``, ...).
    """

    id: str
    kwargs: dict[str, Any] = dataclasses.field(default_factory=dict)

    kind: ClassVar[str] = ""
    """``"single"`` (Gymnasium) or ``"parallel"`` (PettingZoo), as ``Policy.acts_on`` says."""

    def make(self, **extra: Any) -> Any:
        """A new environment."""
        raise NotImplementedError

    @cached_property
    def config(self) -> Any:
        """The environment's config object (``None`` for a foreign id).

        Read once from a new env, which is closed again (it may hold a simulator: SUMO's
        libsumo runs one simulation per process).
        """
        env = self.make()
        try:
            return getattr(env.unwrapped, "config", None)
        finally:
            env.close()

    @property
    def domain(self) -> str:
        """The domain the id belongs to (``"inventory"``, ...), or ``""`` for a foreign id."""
        entry = catalogue_entry(self.id)
        return entry.domain if entry else ""


@dataclasses.dataclass(frozen=True)
class EnvTarget(Target):
    """A single-agent id: made with ``gymnasium.make`` (see :class:`Target`)."""

    kind: ClassVar[str] = "single"

    def make(self, **extra: Any) -> gym.Env:
        """A new single environment (with the registered ``TimeLimit``)."""
        return gym.make(self.id, **{**self.kwargs, **extra})

    def make_vec(self, num_envs: int) -> gym.vector.VectorEnv:
        """``num_envs`` copies that reset in the step that ends an episode (same-step autoreset).

        The id's natively vectorized env when it has one, else a sync vector env of
        single envs in ``AutoresetMode.SAME_STEP``.
        """
        if gym.spec(self.id).vector_entry_point is not None:
            return gym.make_vec(self.id, num_envs=num_envs, **self.kwargs)
        return gym.make_vec(
            self.id,
            num_envs=num_envs,
            vectorization_mode="sync",
            vector_kwargs={"autoreset_mode": gym.vector.AutoresetMode.SAME_STEP},
            **self.kwargs,
        )


@dataclasses.dataclass(frozen=True)
class ParallelTarget(Target):
    """A multi-agent id, made as a PettingZoo ``ParallelEnv`` (see :class:`Target`).

    A fieldgym id (``fieldgym.make_parallel``) or a foreign parallel env given as
    ``"module:function"`` (``"mpe2.simple_spread_v3:parallel_env"``), whose domain is ``""``.
    """

    kind: ClassVar[str] = "parallel"

    def make(self, **extra: Any) -> Any:
        """A new PettingZoo ``ParallelEnv``."""
        if self.id not in PARALLEL_ENVS and ":" in self.id:
            return load_env_creator(self.id)(**{**self.kwargs, **extra})
        return make_parallel(self.id, **{**self.kwargs, **extra})


def catalogue_entry(env_id: str) -> EnvEntry | None:
    """The suite's entry of a single- or multi-agent id (``None`` for a foreign id)."""
    return ENVS.get(env_id) or PARALLEL_ENVS.get(env_id)


def is_parallel(env_id: str) -> bool:
    """Whether ``env_id`` names a multi-agent (PettingZoo parallel) env.

    A multi-agent id of the suite, or a foreign env's ``"module:function"`` (for example
    ``"mpe2.simple_spread_v3:parallel_env"``).
    """
    return env_id in PARALLEL_ENVS or (":" in env_id and env_id not in ENVS)


def make_target(env_id: str, kwargs: dict[str, Any] | None = None) -> Target:
    """The target of an id: a :class:`ParallelTarget` if multi-agent, else an :class:`EnvTarget`."""
    kind = ParallelTarget if is_parallel(env_id) else EnvTarget
    return kind(env_id, dict(kwargs or {}))
