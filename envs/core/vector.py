"""The base of the suite's natively vectorized environments.

Every domain's vector env advances ``num_envs`` copies as one batch through the same
kernel as its single env, and ends episodes as Gymnasium's ``SyncVectorEnv`` does:

* Seeding: ``reset(seed=s)`` seeds copy ``i`` as a single env reset with ``seed=s + i``
  (a list gives each copy its own seed), and every copy draws from its own stream
  (:class:`~fieldgym.envs.core.streams.CopyStreams`), so copy ``i`` retraces that single
  env step for step, auto-resets included, whatever ``num_envs`` is.
* Same-step autoreset (``AutoresetMode.SAME_STEP``, the default): a copy that terminates
  or is truncated is reset within the step; the returned observation is the new
  episode's first and ``infos["final_obs"]`` holds the finished episode's last (rows of
  copies that did not finish are zeros, see ``infos["_final_obs"]``).
  ``infos["final_info"]`` holds the finished episodes' last-step infos (masked per key as
  SyncVectorEnv masks them) and the step's infos carry the reset copies' reset infos.
* Next-step autoreset (``gymnasium.make_vec(..., autoreset_mode=AutoresetMode.NEXT_STEP)``,
  what RLlib and other clients written for it expect): the step that ends an episode
  returns its last observation; the next step ignores that copy's action and returns the
  new episode's first observation and reset info, with reward 0 and neither flag set.

``gymnasium.make_vec(..., max_episode_steps=T)`` truncates every copy after ``T`` steps.
:class:`BatchVectorEnv` does that bookkeeping once; a domain writes only how to start
copies, observe them and advance the batch.
"""

from __future__ import annotations

from typing import Any, Self

import numpy as np
from gymnasium import spaces
from gymnasium.vector import AutoresetMode, VectorEnv
from gymnasium.vector.utils import batch_space

from fieldgym.envs.core.actions import check_action
from fieldgym.envs.core.streams import CopyStreams

AUTORESET_MODES = (AutoresetMode.SAME_STEP, AutoresetMode.NEXT_STEP)


class BatchVectorEnv(VectorEnv):
    """A vector env over a batch simulator, with same-step or next-step autoreset.

    Subclasses call :meth:`_set_spaces` in ``__init__`` and implement :meth:`_reset_copies`,
    :meth:`_observe_all` and :meth:`_advance`. Randomness must come from ``self.streams``
    (``self.streams.rows(mask)`` for the copies a reset starts), drawn with the copies as
    the first axis wherever the single env draws from its ``np_random``: copy ``i`` then
    retraces a single env seeded alike. A subclass's ``__init__`` takes
    ``autoreset_mode`` and hands it to :meth:`_set_spaces`.
    """

    metadata: dict[str, Any] = {"autoreset_mode": AutoresetMode.SAME_STEP, "render_modes": []}

    def __new__(cls, *args: Any, **kwargs: Any) -> Self:
        """Check ``num_envs`` first: every subclass sizes its simulator with it.

        Raises:
            ValueError: If ``num_envs`` is not a positive integer.
        """
        num_envs = kwargs.get("num_envs", args[0] if args else 1)
        if isinstance(num_envs, bool) or not isinstance(num_envs, int) or num_envs < 1:
            raise ValueError(f"num_envs must be a positive integer, got {num_envs!r}.")
        return super().__new__(cls)

    def _set_spaces(
        self,
        num_envs: int,
        observation_space: spaces.Space,
        action_space: spaces.Space,
        action_policy: str,
        autoreset_mode: AutoresetMode | str = AutoresetMode.SAME_STEP,
    ) -> None:
        """Set ``num_envs``, the batched spaces, the action policy and the autoreset mode.

        The batched spaces come from one copy's; ``action_policy`` is how :meth:`step`
        treats actions outside the space (see :mod:`fieldgym.envs.core.actions`). The
        copies' streams start from fresh entropy until ``reset(seed=...)`` seeds them.

        Raises:
            ValueError: If ``autoreset_mode`` is not same-step or next-step.
        """
        self.autoreset_mode = autoreset_mode_of(autoreset_mode)
        self.metadata = {**self.metadata, "autoreset_mode": self.autoreset_mode}
        self.streams = CopyStreams.seeded(None, num_envs)
        self._pending_states: dict[int, dict[str, Any]] = {}
        """Next-step mode: each copy to reset in the next step, its stream's state before."""
        self.num_envs = num_envs
        self.single_observation_space = observation_space
        self.single_action_space = action_space
        self.observation_space = batch_space(observation_space, num_envs)
        self.action_space = batch_space(action_space, num_envs)
        self.action_policy = action_policy

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
        self, *, seed: int | list[int | None] | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        """Reset every copy; ``seed=s`` seeds copy ``i`` with ``s + i``, as SyncVectorEnv does.

        A list of seeds (gymnasium's per-copy form) needs one seed per copy; ``None``
        keeps the copies' streams where they are (fresh entropy before the first seed).

        Raises:
            ValueError: If a list of seeds has not ``num_envs`` non-negative integers.
        """
        if seed is not None:
            self.streams = CopyStreams.seeded(seed, self.num_envs)
            super().reset(seed=seed if isinstance(seed, int) else None)
        self._pending_states = {}
        self._reset_copies(None)
        return self._observe(), self._reset_info()

    def step(
        self, actions: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]:
        actions = check_action(self.action_space, actions, self.action_policy, "actions")
        observations, rewards, terminated, truncated, infos = self._advance(actions)
        if self.autoreset_mode == AutoresetMode.NEXT_STEP:
            return self._end_next_step(observations, rewards, terminated, truncated, infos)
        finished = terminated | truncated
        if finished.any():
            final = np.zeros_like(observations)
            final[finished] = observations[finished]
            final_info = rows_of(infos, finished)
            self._reset_copies(finished)
            self._observe(observations, np.flatnonzero(finished))
            put_rows(infos, self._reset_info(), finished)
            infos["final_obs"], infos["_final_obs"] = final, finished.copy()
            infos["final_info"], infos["_final_info"] = final_info, finished.copy()
        return observations, rewards, terminated, truncated, infos

    def _end_next_step(
        self,
        observations: np.ndarray,
        rewards: np.ndarray,
        terminated: np.ndarray,
        truncated: np.ndarray,
        infos: dict[str, Any],
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]:
        """Next-step autoreset on top of the batch, which advances every copy.

        A copy that ends is reset at once so that the batch can advance it (its result
        is discarded), with its stream's state kept from before that reset. In the next
        step its stream goes back to that state and the copy is reset again: it draws
        what a single env's ``reset()`` after the episode draws.
        """
        if self._pending_states:
            pending = np.zeros(self.num_envs, dtype=bool)
            pending[list(self._pending_states)] = True
            for copy, state in self._pending_states.items():
                self.streams.stream(copy).bit_generator.state = state
            self._reset_copies(pending)
            self._observe(observations, np.flatnonzero(pending))
            rewards, terminated, truncated = rewards.copy(), terminated.copy(), truncated.copy()
            rewards[pending], terminated[pending], truncated[pending] = 0, False, False
            clear_rows(infos, pending)
            put_rows(infos, self._reset_info(), pending)
        finished = terminated | truncated
        self._pending_states = {
            int(c): self.streams.stream(int(c)).bit_generator.state
            for c in np.flatnonzero(finished)
        }
        if self._pending_states:
            self._reset_copies(finished)
        return observations, rewards, terminated, truncated, infos


def autoreset_mode_of(mode: AutoresetMode | str) -> AutoresetMode:
    """The :class:`AutoresetMode` named by ``mode`` (the enum or its value, as in YAML).

    Raises:
        ValueError: If ``mode`` names neither same-step nor next-step autoreset.
    """
    for known in AUTORESET_MODES:
        if mode == known or mode == known.value:
            return known
    names = ", ".join(f"AutoresetMode.{m.name} ({m.value!r})" for m in AUTORESET_MODES)
    raise ValueError(
        f"autoreset_mode={mode!r} is not supported by fieldgym's native vector envs; "
        f"use one of {names}, or gymnasium.make_vec(..., vectorization_mode='sync') for others."
    )


def rows_of(infos: dict[str, Any], rows: np.ndarray) -> dict[str, Any]:
    """The ``rows`` (a mask over copies) of batched ``infos``, as SyncVectorEnv batches them.

    Each array keeps its shape with the other copies' rows zeroed, and each key ``k``
    gets a mask ``_k`` (gymnasium's layout of ``infos["final_info"]``). Nested dicts are
    handled alike; values that are not per copy are kept as they are.
    """
    out: dict[str, Any] = {}
    for key, value in infos.items():
        if key.startswith("_"):
            continue
        if isinstance(value, dict):
            out[key] = rows_of(value, rows)
        else:
            out[key] = _rows(np.asarray(value), rows, np.zeros_like(value))
        out[f"_{key}"] = rows.copy()
    return out


def put_rows(infos: dict[str, Any], source: dict[str, Any], rows: np.ndarray) -> None:
    """Overwrite the ``rows`` of ``infos`` with those of ``source``, in place.

    Used for the reset infos of auto-reset copies: their step returns the new episode's
    first observation, so it returns that episode's reset info too (as SyncVectorEnv
    does). A key ``infos`` lacks is added, zero in the other rows, with its ``_key`` mask.
    """
    for key, value in source.items():
        if isinstance(value, dict):
            put_rows(infos.setdefault(key, {}), value, rows)
            continue
        value = np.asarray(value)
        current = infos.get(key)
        if current is None or np.shape(current) != value.shape:
            infos[f"_{key}"] = rows.copy()
            current = np.zeros_like(value)
        infos[key] = _rows(value, rows, np.array(current, copy=True))


def clear_rows(infos: dict[str, Any], rows: np.ndarray) -> None:
    """Empty the ``rows`` of batched ``infos`` in place (zeros, and a false ``_key`` mask).

    That is how SyncVectorEnv leaves a copy's rows for the keys its info lacks.
    """
    for key in [k for k in infos if not k.startswith("_")]:
        value = infos[key]
        if isinstance(value, dict):
            clear_rows(value, rows)
        else:
            infos[key] = _rows(np.zeros_like(value), rows, np.array(value, copy=True))
        mask = np.asarray(infos.get(f"_{key}", np.ones(len(rows), dtype=bool)), dtype=bool)
        infos[f"_{key}"] = mask & ~rows


def _rows(value: np.ndarray, rows: np.ndarray, into: np.ndarray) -> np.ndarray:
    """``into`` with ``value``'s ``rows`` copied in (``value`` itself if it is not per copy)."""
    if value.ndim == 0 or len(value) != len(rows):
        return value
    into[rows] = value[rows]
    return into


def truncation(elapsed: np.ndarray, max_episode_steps: int | None) -> np.ndarray:
    """Which copies reached the step limit (none when the limit is ``None``)."""
    if max_episode_steps is None:
        return np.zeros(len(elapsed), dtype=bool)
    return np.asarray(elapsed) >= max_episode_steps
