"""An adapter from a Gymnasium ``VectorEnv`` to stable-baselines3's ``VecEnv``.

stable-baselines3 trains on its own ``VecEnv`` type and rejects Gymnasium vector envs.
:class:`GymnasiumVecEnv` lets it train on fieldgym's natively vectorized environments
(and on Gymnasium's sync/async vector envs in same-step autoreset mode).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium.vector import AutoresetMode, VectorEnv
from stable_baselines3.common.vec_env import VecEnv
from stable_baselines3.common.vec_env.base_vec_env import VecEnvIndices, VecEnvStepReturn

from fieldgym.envs.core.errors import ConfigError


class GymnasiumVecEnv(VecEnv):
    """Present a Gymnasium ``VectorEnv`` with same-step autoreset as an SB3 ``VecEnv``.

    SB3's contract: ``step_wait`` returns the next observations (for a finished copy, the
    first observation of its new episode), and the finished episode's last observation
    is in ``infos[i]["terminal_observation"]``; ``infos[i]["TimeLimit.truncated"]`` tells
    a truncation from a termination. Gymnasium's ``AutoresetMode.SAME_STEP`` gives exactly
    that, with the last observation in ``infos["final_obs"]``.

    Only the keys SB3 reads are copied into the per-copy info dicts, so a step costs
    little beyond the vector env's own step.

    Args:
        env: A Gymnasium vector env whose ``metadata["autoreset_mode"]`` is ``SAME_STEP``.
    """

    def __init__(self, env: VectorEnv) -> None:
        mode = env.metadata.get("autoreset_mode")
        if mode != AutoresetMode.SAME_STEP:
            raise ConfigError(
                f"GymnasiumVecEnv needs a vector env with AutoresetMode.SAME_STEP, got {mode}; "
                "create it with gymnasium.make_vec(..., vector_kwargs={'autoreset_mode': "
                "AutoresetMode.SAME_STEP}) or use a fieldgym native vector env."
            )
        self.env = env
        super().__init__(env.num_envs, env.single_observation_space, env.single_action_space)
        self._actions: np.ndarray | None = None

    def reset(self) -> np.ndarray:
        seed = self._seeds[0]
        observations, _ = self.env.reset(seed=seed)
        self._reset_seeds()
        self._reset_options()
        return observations

    def step_async(self, actions: np.ndarray) -> None:
        self._actions = actions

    def step_wait(self) -> VecEnvStepReturn:
        observations, rewards, terminated, truncated, infos = self.env.step(self._actions)
        dones = np.logical_or(terminated, truncated)
        per_copy: list[dict[str, Any]] = [{} for _ in range(self.num_envs)]
        if dones.any():
            final = infos.get("final_obs")
            for i in np.flatnonzero(dones):
                per_copy[i]["terminal_observation"] = (
                    final[i] if final is not None else observations[i]
                )
                per_copy[i]["TimeLimit.truncated"] = bool(truncated[i] and not terminated[i])
        return observations, np.asarray(rewards, dtype=np.float32), dones, per_copy

    def close(self) -> None:
        self.env.close()

    def get_attr(self, attr_name: str, indices: VecEnvIndices = None) -> list[Any]:
        value = getattr(self.env.unwrapped, attr_name)
        return [value for _ in self._get_indices(indices)]

    def set_attr(self, attr_name: str, value: Any, indices: VecEnvIndices = None) -> None:
        setattr(self.env.unwrapped, attr_name, value)

    def env_method(
        self,
        method_name: str,
        *method_args: Any,
        indices: VecEnvIndices = None,
        **method_kwargs: Any,
    ) -> list[Any]:
        result = getattr(self.env.unwrapped, method_name)(*method_args, **method_kwargs)
        return [result for _ in self._get_indices(indices)]

    def env_is_wrapped(
        self, wrapper_class: type[gym.Wrapper], indices: VecEnvIndices = None
    ) -> list[bool]:
        return [False for _ in self._get_indices(indices)]

    def get_images(self) -> Sequence[np.ndarray | None]:
        return [None for _ in range(self.num_envs)]
