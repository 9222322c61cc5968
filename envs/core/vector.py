"""The base of the suite's natively vectorized environments.

Every domain's vector env advances ``num_envs`` copies as one batch through the same
kernel as its single env, and ends episodes the same way: a copy that terminates or is
truncated is reset within the step (``AutoresetMode.SAME_STEP``); the returned
observation is the new episode's first and ``infos["final_obs"]`` holds the finished
episode's last (rows of copies that did not finish are zeros, see ``infos["_final_obs"]``).
:class:`BatchVectorEnv` does that bookkeeping once; a domain writes only how to start
copies, observe them and advance the batch.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from gymnasium import spaces
from gymnasium.vector import AutoresetMode, VectorEnv
from gymnasium.vector.utils import batch_space


class BatchVectorEnv(VectorEnv):
    """A vector env over a batch simulator, with same-step autoreset.

    Subclasses call :meth:`_set_spaces` in ``__init__`` and implement :meth:`_reset_copies`,
    :meth:`_observe_all` and :meth:`_advance`. Randomness must come from ``self.np_random``,
    drawn in copy order as the single env draws it, so copy 0 retraces a single env
    seeded alike.
    """

    metadata: dict[str, Any] = {"autoreset_mode": AutoresetMode.SAME_STEP, "render_modes": []}

    def _set_spaces(
        self, num_envs: int, observation_space: spaces.Space, action_space: spaces.Space
    ) -> None:
        """Set ``num_envs`` and the single and batched spaces from one copy's spaces."""
        if not isinstance(num_envs, int) or num_envs < 1:
            raise ValueError(f"num_envs must be a positive integer, got {num_envs!r}.")
        self.num_envs = num_envs
        self.single_observation_space = observation_space
        self.single_action_space = action_space
        self.observation_space = batch_space(observation_space, num_envs)
        self.action_space = batch_space(action_space, num_envs)

    def _reset_copies(self, mask: np.ndarray | None) -> None:
        """Start new episodes in the copies where ``mask`` is true (all if ``None``)."""
        raise NotImplementedError

    def _observe_all(self) -> np.ndarray:
        """The batch of observations, as a new array."""
        raise NotImplementedError

    def _observe(self, out: np.ndarray | None = None, rows: np.ndarray | None = None) -> np.ndarray:
        """The batch of observations; with ``out`` and ``rows``, refresh only those rows.

        The default refreshes ``rows`` from :meth:`_observe_all`; override it where a
        subset can be observed more cheaply.
        """
        observations = self._observe_all()
        if out is None:
            return observations
        out[rows] = observations[rows]
        return out

    def _advance(
        self, actions: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]:
        """Advance every copy one step, without resetting any.

        Returns:
            ``(observations, rewards, terminated, truncated, infos)`` as ``step`` returns
            them before autoreset; ``observations`` must be a new array the caller may edit.
        """
        raise NotImplementedError

    def _reset_info(self) -> dict[str, Any]:
        """The ``infos`` that ``reset`` returns (empty unless overridden)."""
        return {}

    def reset(
        self, *, seed: int | list[int] | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        """Reset every copy; a list of seeds seeds the batch with its first element."""
        if isinstance(seed, list):
            seed = seed[0]
        super().reset(seed=seed)
        self._reset_copies(None)
        return self._observe(), self._reset_info()

    def step(
        self, actions: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]:
        observations, rewards, terminated, truncated, infos = self._advance(actions)
        finished = terminated | truncated
        if finished.any():
            final = np.zeros_like(observations)
            final[finished] = observations[finished]
            infos["final_obs"] = final
            infos["_final_obs"] = finished.copy()
            self._reset_copies(finished)
            self._observe(observations, np.flatnonzero(finished))
        return observations, rewards, terminated, truncated, infos


def truncation(elapsed: np.ndarray, max_episode_steps: int | None) -> np.ndarray:
    """Which copies reached the step limit (none when the limit is ``None``)."""
    if max_episode_steps is None:
        return np.zeros(len(elapsed), dtype=bool)
    return np.asarray(elapsed) >= max_episode_steps
