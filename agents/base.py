"""The one interface shared by learned and classical policies, single- and multi-agent."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Self

import numpy as np

from fieldgym.agents.target import EnvTarget, ParallelTarget, Target
from fieldgym.envs.core.errors import ConfigError

if TYPE_CHECKING:
    from fieldgym.agents.training import Budget


class Policy:
    """A policy for one environment: ``act(observation) -> action``.

    Classical baselines implement :meth:`act` (and :meth:`reset` if they keep state over
    an episode). Learners also implement :meth:`fit`, :meth:`save` and :meth:`load`.
    Evaluation treats both alike.

    Args:
        target: The environment the policy acts in.
    """

    name: ClassVar[str] = "policy"
    learns: ClassVar[bool] = False
    acts_on: ClassVar[frozenset[str]] = frozenset({"single"})
    """The kinds of environment the policy acts in: ``"single"`` (Gymnasium ids) and/or
    ``"parallel"`` (PettingZoo multi-agent ids, one dict of observations per step)."""

    def __init__(self, target: Target) -> None:
        self.target = target
        self.learning_curve: list[dict[str, float]] = []
        """Rows ``{"step", "episode_return"}`` recorded while fitting (empty for baselines)."""

    def reset(self, seed: int | None = None) -> None:
        """Forget any per-episode state; called before each episode."""

    def act(self, observation: np.ndarray) -> Any:
        """The action to take on ``observation`` (one observation, not a batch)."""
        raise NotImplementedError

    def fit(
        self,
        budget: int | Budget,
        seed: int = 0,
        log_dir: str | Path | None = None,
        progress: bool = False,
    ) -> Self:
        """Learn within ``budget``: steps or a :class:`~fieldgym.agents.training.Budget`.

        Classical policies learn nothing.
        """
        return self

    def save(self, path: str | Path) -> None:
        """Write the policy to the folder ``path``."""
        raise NotImplementedError(f"{type(self).__name__} has nothing to save.")

    @classmethod
    def load(cls, path: str | Path, target: EnvTarget, *, trust_pickle: bool = False) -> Self:
        """Read a policy written by :meth:`save`, without unpickling anything.

        ``trust_pickle=True`` lets a learner read a model in a pickle-based format
        (stable-baselines3's ``model.zip``); unpickling runs code from the file, so pass it
        only for files from a trusted source.
        """
        raise NotImplementedError(f"{cls.__name__} cannot be loaded.")


class RandomPolicy(Policy):
    """Uniformly random actions from the environment's action space (the score floor)."""

    name = "random"

    def __init__(self, target: EnvTarget) -> None:
        super().__init__(target)
        env = target.make()
        self.action_space = env.action_space
        env.close()

    def reset(self, seed: int | None = None) -> None:
        if seed is not None:
            self.action_space.seed(seed)

    def act(self, observation: np.ndarray) -> Any:
        return self.action_space.sample()


class ParallelPolicy(Policy):
    """A policy for every agent of a parallel env at once.

    Subclasses implement :meth:`act` on the dict of observations; ``state`` is the
    env's ``state()`` (global information a centralized planner may use).
    """

    acts_on: ClassVar[frozenset[str]] = frozenset({"parallel"})

    def act(self, observations: dict[str, np.ndarray], state: np.ndarray | None = None) -> dict:
        raise NotImplementedError


class RandomParallelPolicy(ParallelPolicy):
    """Uniformly random actions for every agent."""

    name = "random"

    def __init__(self, target: ParallelTarget) -> None:
        super().__init__(target)
        env = target.make()
        try:
            self.spaces = {a: env.action_space(a) for a in env.possible_agents}
        finally:
            env.close()

    def reset(self, seed: int | None = None) -> None:
        for k, space in enumerate(self.spaces.values()):
            space.seed(None if seed is None else seed + 7919 * k)

    def act(self, observations: dict[str, np.ndarray], state: np.ndarray | None = None) -> dict:
        return {agent: self.spaces[agent].sample() for agent in observations}


def with_defaults(
    agent: str, hyperparams: dict[str, Any] | None, defaults: dict[str, Any]
) -> dict[str, Any]:
    """``defaults`` overridden by ``hyperparams``, refusing names the agent does not have.

    Raises:
        ConfigError: Naming the unknown hyperparameters and the valid ones.
    """
    unknown = set(hyperparams or {}) - set(defaults)
    if unknown:
        raise ConfigError(
            f"{agent} has no hyperparameter {sorted(unknown)}; valid: {sorted(defaults)}."
        )
    return {**defaults, **(hyperparams or {})}
