"""What an agent acts on: an environment id with its keyword arguments."""

from __future__ import annotations

import dataclasses
from functools import cached_property
from typing import Any

import gymnasium as gym

from fieldgym.envs import ENVS, PARALLEL_ENVS


@dataclasses.dataclass(frozen=True)
class EnvTarget:
    """An environment id and the keyword arguments it is made with.

    Agents and evaluation build their environments from it, so a scenario, a script and
    a saved agent all describe the environment the same way.

    Args:
        id: A registered id, e.g. ``"fieldgym/MultiEchelonInventory-v1"``.
        kwargs: Keyword arguments for ``gymnasium.make`` (config fields, ``preset``, ...).
    """

    id: str
    kwargs: dict[str, Any] = dataclasses.field(default_factory=dict)

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

    @cached_property
    def config(self) -> Any:
        """The environment's config object (``env.unwrapped.config``; ``None`` for foreign ids)."""
        env = self.make()
        try:
            return getattr(env.unwrapped, "config", None)
        finally:
            env.close()

    @property
    def domain(self) -> str:
        """The domain the id belongs to (``"inventory"``, ...), or ``""`` for a foreign id."""
        entry = ENVS.get(self.id)
        return entry.domain if entry else ""


def is_parallel(env_id: str) -> bool:
    """Whether ``env_id`` names a multi-agent (PettingZoo parallel) env.

    A multi-agent id of the suite, or a foreign env's ``"module:function"`` (for example
    ``"mpe2.simple_spread_v3:parallel_env"``).
    """
    return env_id in PARALLEL_ENVS or (":" in env_id and env_id not in ENVS)


def make_target(env_id: str, kwargs: dict[str, Any] | None = None) -> Any:
    """The target of an id: an :class:`EnvTarget`, or a ``ParallelTarget`` for a multi-agent id."""
    if is_parallel(env_id):
        from fieldgym.agents.multiagent import ParallelTarget  # imports torch: only when needed

        return ParallelTarget(env_id, dict(kwargs or {}))
    return EnvTarget(env_id, dict(kwargs or {}))
