"""A stable-baselines3 learner trained under the driving curriculum.

:class:`CurriculumAgent` is :class:`~fieldgym.agents.sb3.SB3Agent` whose training vector
env is wrapped in :class:`~fieldgym.envs.driving.curriculum.VectorCurriculum`: training
starts at ``start_level`` with a scaled-down collision penalty and advances to the
environment's own level on the success-rate rule. Evaluation, saving and loading are the
plain learner's, on the environment as configured.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fieldgym.agents.sb3 import SB3Agent
from fieldgym.agents.target import EnvTarget
from fieldgym.envs.driving.curriculum import VectorCurriculum


class CurriculumAgent(SB3Agent):
    """An SB3 learner (``algo``) trained with the traffic curriculum.

    Args:
        target: A driving environment; its ``level`` is the curriculum's last level.
        algo: ``ppo``, ``dqn``, ``sac``, ... as for :class:`SB3Agent`.
        start_level: The first traffic level.
        window: Episodes (over all training copies) the success rate is measured on.
        threshold: Success rate that advances a level.
        collision_scales: Collision-penalty multiplier per stage before the last
            (``None`` or empty: traffic curriculum only).
        n_envs, normalize, levels, policy, hyperparams: As for :class:`SB3Agent`.
    """

    def __init__(
        self,
        target: EnvTarget,
        algo: str,
        start_level: int = 0,
        window: int = 50,
        threshold: float = 0.8,
        collision_scales: Sequence[float] | None = (0.25, 0.5, 0.75),
        n_envs: int | None = None,
        normalize: bool = True,
        levels: int = 5,
        policy: str = "MlpPolicy",
        hyperparams: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(target, algo, n_envs, normalize, levels, policy, hyperparams)
        self.name = f"{algo}_curriculum"
        self.schedule_args = {
            "start_level": start_level,
            "window": window,
            "threshold": threshold,
            "collision_scales": collision_scales,
        }
        self.curriculum: VectorCurriculum | None = None

    def _extra_params(self) -> dict[str, Any]:
        """The curriculum's settings, saved in the card by :meth:`SB3Agent.save`."""
        return dict(self.schedule_args)

    def _vector_env(self, n_envs: int) -> VectorCurriculum:
        self.curriculum = VectorCurriculum(super()._vector_env(n_envs), **self.schedule_args)
        return self.curriculum

    @property
    def level_history(self) -> list[tuple[int, int]]:
        """``(training episodes so far, level)`` at the start and at every advance."""
        return list(self.curriculum.schedule.history) if self.curriculum else []
