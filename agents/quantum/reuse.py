"""Probabilistic policy reuse (PPR) for DQN across device noise patterns.

A DQN that starts on a new noise pattern reuses a policy learned on an old one: at each
step of data collection, with probability ``psi`` it takes the old policy's greedy action,
otherwise its own epsilon-greedy action (Fernández and Veloso's pi-reuse, as used by Ye
and Chen for continual quantum architecture search). ``psi`` starts at
``reuse_probability`` and decays by ``reuse_decay`` per environment step. The learner
updates its own Q-network from every transition, reused or not.

:class:`FirstSolution` measures the experiment's score: the training steps until the
learner's greedy policy first solves the task (one deterministic episode every
``check_every`` steps).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Self

import numpy as np
from stable_baselines3 import DQN
from stable_baselines3.common.base_class import BaseAlgorithm
from stable_baselines3.common.callbacks import BaseCallback

from fieldgym.agents.sb3 import SB3Agent, train_model
from fieldgym.agents.target import EnvTarget
from fieldgym.agents.training import Budget
from fieldgym.envs.core.errors import ConfigError


class ReuseDQN(DQN):
    """DQN whose behaviour policy follows ``source`` with a decaying probability.

    Args:
        *args: DQN's positional arguments.
        source: The reused (past) model, acting greedily on the same observations; ``None``
            for plain DQN.
        reuse_probability: ``psi`` at step 0.
        reuse_decay: Factor applied to ``psi`` per environment step.
        **kwargs: DQN's keyword arguments.
    """

    def __init__(
        self,
        *args: Any,
        source: BaseAlgorithm | None = None,
        reuse_probability: float = 1.0,
        reuse_decay: float = 0.999,
        **kwargs: Any,
    ) -> None:
        self.source = source
        self.reuse_probability = reuse_probability
        self.reuse_decay = reuse_decay
        self.reused_steps = 0
        super().__init__(*args, **kwargs)
        self._reuse_rng = np.random.default_rng(self.seed)

    def reuse_now(self) -> float:
        """The current probability of following the source policy."""
        return self.reuse_probability * self.reuse_decay**self.num_timesteps

    def _sample_action(
        self, learning_starts: int, action_noise: Any = None, n_envs: int = 1
    ) -> tuple[np.ndarray, np.ndarray]:
        action, buffer_action = super()._sample_action(learning_starts, action_noise, n_envs)
        if self.source is None:
            return action, buffer_action
        reuse = self._reuse_rng.random(n_envs) < self.reuse_now()
        if reuse.any():
            old, _ = self.source.predict(self._last_obs, deterministic=True)
            action = np.where(reuse, old, action)
            buffer_action = action
            self.reused_steps += int(reuse.sum())
        return action, buffer_action

    def _excluded_save_params(self) -> list[str]:
        return [*super()._excluded_save_params(), "source", "_reuse_rng"]


class FirstSolution(BaseCallback):
    """Stops training when the greedy policy first solves the task; records that step.

    Args:
        target: The task (a fresh env is made for each check).
        check_every: Environment steps between checks.
        stop: End training at the first solution.
    """

    def __init__(self, target: EnvTarget, check_every: int = 250, stop: bool = True) -> None:
        super().__init__()
        self.target = target
        self.check_every = check_every
        self.stop = stop
        self.solved_at: int | None = None
        self._next = 0

    def solves(self) -> bool:
        """One greedy episode in a fresh env: did it reach the success threshold?"""
        env = self.target.make()
        obs, _ = env.reset(seed=0)
        done, terminated = False, False
        while not done:
            action, _ = self.model.predict(obs[None], deterministic=True)
            obs, _, terminated, truncated, _ = env.step(int(action[0]))
            done = terminated or truncated
        env.close()
        return bool(terminated)

    def _on_step(self) -> bool:
        if self.num_timesteps < self._next:
            return True
        self._next = self.num_timesteps + self.check_every
        if self.solved_at is None and self.solves():
            self.solved_at = self.num_timesteps
            return not self.stop
        return True


class PolicyReuseDQN(SB3Agent):
    """DQN with probabilistic policy reuse of a saved DQN (``fieldgym train``/``save``).

    Observations are not normalized (``normalize=False``), so the source and the learner
    read the same observations. With ``source=None`` it is plain DQN with the same
    settings, the from-scratch arm of the experiment.

    Args:
        target: The new task (e.g. the same circuit under another noise pattern).
        source: Folder of a saved DQN agent trained on an old task, or ``None``.
        reuse_probability: Initial probability of following the source policy.
        reuse_decay: Decay of that probability per environment step.
        check_every: Steps between greedy checks for :attr:`solved_at` (0: no checks).
        n_envs: Copies of the environment stepped together while training.
        hyperparams: DQN keyword arguments over fieldgym's DQN defaults.
    """

    name = "dqn_reuse"

    def __init__(
        self,
        target: EnvTarget,
        source: str | Path | None = None,
        reuse_probability: float = 1.0,
        reuse_decay: float = 0.999,
        check_every: int = 0,
        n_envs: int = 4,
        hyperparams: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(target, "dqn", n_envs=n_envs, normalize=False, hyperparams=hyperparams)
        if not 0.0 <= reuse_probability <= 1.0 or not 0.0 < reuse_decay <= 1.0:
            raise ConfigError(
                f"reuse_probability={reuse_probability} must be in [0, 1] and "
                f"reuse_decay={reuse_decay} in (0, 1]."
            )
        self.name = "dqn_reuse" if source else "dqn_scratch"
        self.source = source
        self.reuse_probability = reuse_probability
        self.reuse_decay = reuse_decay
        self.check_every = check_every
        self.solved_at: int | None = None
        self.reused_steps = 0
        self._source_model: BaseAlgorithm | None = None

    def _algorithm(self) -> tuple[type[BaseAlgorithm], dict[str, Any]]:
        """:class:`ReuseDQN`, following the source model :meth:`fit` read (none in ``load``)."""
        reuse = {"reuse_probability": self.reuse_probability, "reuse_decay": self.reuse_decay}
        return ReuseDQN, {"source": self._source_model, **reuse}

    def _extra_params(self) -> dict[str, Any]:
        """The reuse settings, saved in the card by :meth:`SB3Agent.save`."""
        return {
            "source": None if self.source is None else str(self.source),
            "reuse_probability": self.reuse_probability,
            "reuse_decay": self.reuse_decay,
            "check_every": self.check_every,
        }

    def fit(
        self,
        budget: int | Budget,
        seed: int = 0,
        log_dir: str | Path | None = None,
        progress: bool = False,
    ) -> Self:
        """Train with reuse of :attr:`source`; :attr:`solved_at` is set if checks are on."""
        budget = Budget.of(budget)  # a bad budget fails before anything is loaded or made
        self._source_model = None
        if self.source is not None:
            old = SB3Agent.load(self.source, self.target)
            if old.normalize or old.algo != "dqn":
                raise ConfigError(f"{self.source} must hold a DQN trained with normalize=False.")
            self._source_model = old.model
        env = self._training_env(self.n_envs)
        self.stats = env
        checker = FirstSolution(self.target, self.check_every) if self.check_every else None
        callbacks = [checker] if checker is not None else []
        train_model(self, env, budget, seed, log_dir, progress, self.name, callbacks)
        self.solved_at = checker.solved_at if checker else None
        self.reused_steps = self.model.reused_steps
        self.stats.training = False
        return self
