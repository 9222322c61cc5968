"""Training budgets: how long a learner trains, what it evaluates on the way, who is told.

Every learner's ``fit(budget, ...)`` takes either a number of environment steps or a
:class:`Budget`: steps, seconds of training wall time, or both (training stops at
whichever comes first). A budget may also ask for *checkpoints*: evaluations of the
policy at evenly spaced fractions of the budget (the last one at its end), each a
:class:`Checkpoint` appended to the learner's ``learning_curve`` as a row
``{"step", "seconds", "eval"}`` and handed to ``on_checkpoint``, which may stop training
(a tuner's pruner does). Seconds count training only: the clock pauses while a checkpoint
evaluates, so a time budget buys the same training whatever the evaluation costs.

A learner drives a :class:`Clock` (``budget.start(policy)``) from its own loop: ``tick``
with the steps done so far after every vector step (or rollout), and stop when it
returns ``False``. Stable-baselines3 learners do it through
:class:`fieldgym.agents.sb3.BudgetCallback`,
which also keeps SB3's schedules (exploration, learning rate, clip range) running over
the time budget: with seconds, ``progress_remaining`` is the share of time left.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable
from typing import Any

from tqdm.auto import tqdm

from fieldgym.envs.core.errors import ConfigError

UNBOUNDED_STEPS = 10**15
"""The step cap handed to a trainer when only seconds bound the training."""

PROGRESS_EVERY = 0.5
"""Seconds between two calls of ``on_progress``."""


@dataclasses.dataclass(frozen=True)
class Checkpoint:
    """One evaluation while training: after ``step`` env steps and ``seconds`` of training."""

    index: int
    step: int
    seconds: float
    value: float


@dataclasses.dataclass
class Budget:
    """How long to train, and what to do on the way.

    Args:
        steps: Environment steps over all copies (agent-steps for multi-agent learners).
        seconds: Seconds of training wall time (checkpoint evaluations excluded).
        checkpoints: Evaluations at fractions ``k / checkpoints`` of the budget, k = 1..n.
        evaluate: ``evaluate(policy) -> float``, the checkpoint's score (required with
            ``checkpoints``).
        on_checkpoint: Called with each :class:`Checkpoint`; returning ``False`` stops
            training (the learner keeps what it has learned).
        on_progress: ``on_progress(steps, seconds)``, at most every
            :data:`PROGRESS_EVERY` seconds and once at the end.
        cpu_time: Count ``seconds`` as this process's CPU time instead of wall time. A
            single-threaded trainer on a quiet core gets the same from both; on a shared
            machine CPU time keeps budgets comparable (the tuner uses it).
    """

    steps: int | None = None
    seconds: float | None = None
    checkpoints: int = 0
    evaluate: Callable[[Any], float] | None = None
    on_checkpoint: Callable[[Checkpoint], bool] | None = None
    on_progress: Callable[[int, float], None] | None = None
    cpu_time: bool = False

    def __post_init__(self) -> None:
        if self.steps is None and self.seconds is None:
            raise ConfigError("A training budget needs steps, seconds or both; it has neither.")
        if self.steps is not None and self.steps < 0:
            raise ConfigError(f"Training steps must be >= 0, not {self.steps}.")
        if self.seconds is not None and not (self.seconds > 0 and math.isfinite(self.seconds)):
            raise ConfigError(f"Training seconds must be a finite number > 0, not {self.seconds}.")
        if self.checkpoints < 0:
            raise ConfigError(f"checkpoints must be >= 0, not {self.checkpoints}.")
        if self.checkpoints and self.evaluate is None:
            raise ConfigError("A budget with checkpoints needs an evaluate function.")

    @classmethod
    def of(cls, value: int | Budget) -> Budget:
        """``value`` as a budget (an int is a number of steps)."""
        if isinstance(value, Budget):
            return value
        if isinstance(value, bool) or not isinstance(value, int | float) or value != int(value):
            raise ConfigError(
                f"A training budget is a whole number of steps or a Budget: {value!r}"
            )
        return cls(steps=int(value))

    @property
    def step_cap(self) -> int:
        """The steps to hand a trainer's loop (unbounded when only seconds bound it)."""
        return UNBOUNDED_STEPS if self.steps is None else self.steps

    def describe(self) -> str:
        """``"30,000 steps"``, ``"60 s"`` or both."""
        parts = []
        if self.steps is not None:
            parts.append(f"{self.steps:,} steps")
        if self.seconds is not None:
            parts.append(f"{self.seconds:g} s" + (" of CPU time" if self.cpu_time else ""))
        return " or ".join(parts)

    def start(self, policy: Any) -> Clock:
        """A running clock for one ``fit`` of ``policy``."""
        return Clock(self, policy)


class Clock:
    """The running state of a :class:`Budget` during one ``fit``."""

    def __init__(self, budget: Budget, policy: Any) -> None:
        self.budget = budget
        self.policy = policy
        self.checkpoints: list[Checkpoint] = []
        self.stopped = False
        """True once ``on_checkpoint`` asked to stop."""
        self._now = time.process_time if budget.cpu_time else time.perf_counter
        self._started = self._now()
        self._paused = 0.0
        self._last_progress = -math.inf
        self._steps = 0

    @property
    def seconds(self) -> float:
        """Training wall seconds so far (checkpoint evaluations excluded)."""
        return self._now() - self._started - self._paused

    def fraction(self, steps: int) -> float:
        """The share of the budget used after ``steps`` (the larger of steps and time)."""
        shares = [0.0]
        if self.budget.steps is not None:
            shares.append(steps / self.budget.steps if self.budget.steps else 1.0)
        if self.budget.seconds is not None:
            shares.append(self.seconds / self.budget.seconds)
        return max(shares)

    def tick(self, steps: int) -> bool:
        """Account for ``steps`` done so far; ``False`` once training should stop.

        Runs the checkpoints that have come due and tells ``on_progress``.
        """
        self._steps = steps
        fraction = self.fraction(steps)
        n = self.budget.checkpoints
        while n and len(self.checkpoints) < n and fraction >= (len(self.checkpoints) + 1) / n:
            if not self._checkpoint(steps):
                self.stopped = True
                break
            fraction = self.fraction(steps)
        now = time.perf_counter()
        if self.budget.on_progress and now - self._last_progress >= PROGRESS_EVERY:
            self._last_progress = now
            self.budget.on_progress(steps, self.seconds)
        return not self.stopped and fraction < 1.0

    def finish(self) -> None:
        """Run a last checkpoint if training stopped before the schedule's end, and report."""
        n = self.budget.checkpoints
        if n and not self.stopped and len(self.checkpoints) < n:
            self._checkpoint(self._steps)
        if self.budget.on_progress:
            self.budget.on_progress(self._steps, self.seconds)

    def _checkpoint(self, steps: int) -> bool:
        seconds = self.seconds
        began = self._now()
        assert self.budget.evaluate is not None
        value = float(self.budget.evaluate(self.policy))
        self._paused += self._now() - began
        point = Checkpoint(len(self.checkpoints), steps, seconds, value)
        self.checkpoints.append(point)
        self.policy.learning_curve.append({"step": steps, "seconds": seconds, "eval": value})
        return self.budget.on_checkpoint is None or self.budget.on_checkpoint(point) is not False


class TrainingBar:
    """A tqdm bar over a budget's steps, or its seconds when steps do not bound it."""

    def __init__(self, clock: Clock, show: bool, unit: str = "step") -> None:
        self.clock = clock
        by_steps = clock.budget.steps is not None
        self.bar = tqdm(
            total=clock.budget.steps if by_steps else clock.budget.seconds,
            desc="training",
            unit=unit if by_steps else "s",
            disable=not show,
            leave=False,
        )
        self.by_steps = by_steps

    def update(self, steps: int) -> None:
        """Move the bar to ``steps`` done (or the clock's seconds)."""
        done = steps if self.by_steps else round(self.clock.seconds, 1)
        self.bar.update(done - self.bar.n)
        if not self.by_steps:
            self.bar.set_postfix_str(f"{steps:,} steps", refresh=False)

    def close(self) -> None:
        """Close the bar."""
        self.bar.close()


def episode_row(step: int, episode_return: float, clock: Clock) -> dict[str, float]:
    """A learning-curve row for one finished training episode."""
    return {"step": step, "seconds": clock.seconds, "episode_return": float(episode_return)}
