"""The base of the suite's natively vectorized environments.

Every domain's vector env advances ``num_envs`` copies as one batch through the same
kernel as its single env, and ends episodes the same way: a copy that terminates or is
truncated is reset within the step (``AutoresetMode.SAME_STEP``); the returned
observation is the new episode's first and ``infos["final_obs"]`` holds the finished
episode's last (rows of copies that did not finish are zeros, see ``infos["_final_obs"]``).
``infos["final_info"]`` holds the finished episodes' last-step infos (masked per key as
SyncVectorEnv masks them) and the step's infos carry the reset copies' reset infos.
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


class BatchVectorEnv(VectorEnv):
    """A vector env over a batch simulator, with same-step autoreset.

    Subclasses call :meth:`_set_spaces` in ``__init__`` and implement :meth:`_reset_copies`,
    :meth:`_observe_all` and :meth:`_advance`. Randomness must come from ``self.np_random``,
    drawn as the single env draws it, so that with ``num_envs=1`` the vector env retraces a
    single env seeded alike (step for step, auto-resets included).

    Seeding differs from ``SyncVectorEnv``: the copies share one random stream, so with
    several copies copy ``i`` does *not* retrace a single env seeded ``s + i``. Traces are
    still fixed by the seed and the number of copies.
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
    ) -> None:
        """Set ``num_envs``, the batched spaces and the action policy.

        The batched spaces come from one copy's; ``action_policy`` is how :meth:`step`
        treats actions outside the space (see :mod:`fieldgym.envs.core.actions`).
        """
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
        self, *, seed: int | list[int] | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        """Reset every copy, seeding the batch's one stream with ``seed``.

        A list of seeds (gymnasium's per-copy form) needs one seed per copy. The list
        ``[s, s + 1, ...]`` that ``SyncVectorEnv`` derives from ``seed=s`` seeds as ``s``;
        any other list seeds the stream from all of its entries.

        Raises:
            ValueError: If a list of seeds has not ``num_envs`` non-negative integers.
        """
        if isinstance(seed, list | tuple):
            seed = batch_seed(list(seed), self.num_envs)
        super().reset(seed=seed)
        self._reset_copies(None)
        return self._observe(), self._reset_info()

    def step(
        self, actions: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]:
        actions = check_action(self.action_space, actions, self.action_policy, "actions")
        observations, rewards, terminated, truncated, infos = self._advance(actions)
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


def batch_seed(seeds: list[Any], num_envs: int) -> int:
    """The one seed of a batch's stream, from gymnasium's list of per-copy seeds."""
    valid = all(isinstance(s, int | np.integer) and not isinstance(s, bool) for s in seeds)
    if len(seeds) != num_envs or not valid or min(seeds, default=0) < 0:
        raise ValueError(
            f"seed={seeds!r}: give one non-negative integer per copy ({num_envs}), "
            "or a single integer."
        )
    if [int(s) for s in seeds] == list(range(int(seeds[0]), int(seeds[0]) + num_envs)):
        return int(seeds[0])
    return int(np.random.SeedSequence([int(s) for s in seeds]).generate_state(1)[0])


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
