"""Multi-agent learning on PettingZoo parallel environments, with parameter sharing.

What a multi-agent policy acts on (:class:`~fieldgym.agents.target.ParallelTarget`), the
policy interface (:class:`~fieldgym.agents.base.ParallelPolicy`) and its evaluation
(:func:`~fieldgym.agents.evaluation.evaluate`) import no torch; they live beside
their single-agent twins. Here are the learners:

* :class:`SharedAgentsVecEnv`: a ``ParallelEnv`` -> stable-baselines3 ``VecEnv`` bridge in
  which every agent of every copy is one row, so one network acts for all agents
  (parameter sharing). A copy resets as a whole when its episode ends.
* :class:`SharedPPO` (``shared_ppo``): PPO trained on that bridge (independent learners
  sharing one network, IPPO-style). :mod:`fieldgym.agents.mappo` trains MAPPO on the same
  bridge, with a critic on the global ``state()``.

A target's id is a fieldgym multi-agent id, or a foreign env given as ``"module:function"``
(e.g. ``"mpe2.simple_spread_v3:parallel_env"``) returning a PettingZoo ``ParallelEnv``.

The bridge needs every agent to act every step (no agent leaves mid-episode) and all
agents to share one observation and one action space, as parameter sharing requires.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, ClassVar, Self

import gymnasium as gym
import numpy as np
from stable_baselines3 import DQN, PPO
from stable_baselines3.common.vec_env import VecEnv, VecMonitor
from stable_baselines3.common.vec_env.base_vec_env import VecEnvIndices, VecEnvStepReturn

from fieldgym.agents import model_files
from fieldgym.agents.base import ParallelPolicy
from fieldgym.agents.hyperparams import json_params, live_params
from fieldgym.agents.sb3 import algorithm_kwargs, check_hyperparams, train_model
from fieldgym.agents.target import ParallelTarget, is_parallel
from fieldgym.agents.training import Budget
from fieldgym.envs import PARALLEL_ENVS
from fieldgym.envs.core.errors import ConfigError


def require_parallel(target: Any, learner: str) -> None:
    """Raise a :class:`ConfigError` naming ``learner`` unless ``target`` is multi-agent."""
    if not is_parallel(target.id):
        raise ConfigError(
            f"{learner} learns multi-agent (PettingZoo parallel) ids, not {target.id!r}; "
            f"give a ParallelTarget of one of: {', '.join(PARALLEL_ENVS) or 'none'}, "
            f"or of a foreign env as 'module:function'."
        )


class SharedAgentsVecEnv(VecEnv):
    """``n_copies`` parallel envs as one SB3 ``VecEnv`` with one row per (copy, agent).

    Row ``c * n_agents + i`` is agent ``possible_agents[i]`` of copy ``c``. When a copy's
    episode ends (every agent terminated or truncated), its rows carry
    ``terminal_observation`` and ``TimeLimit.truncated`` and the copy is reset in the
    same step, as SB3 expects of a ``VecEnv``.

    With ``with_state``, :meth:`states` gives each row its copy's global ``state()`` (for a
    centralized critic) and an ending copy's rows also carry ``terminal_state``.

    Args:
        make_env: Builds one ``ParallelEnv``.
        n_copies: Independent copies stepped together.
        with_state: Record the copies' ``state()`` at episode ends.
    """

    def __init__(
        self, make_env: Callable[[], Any], n_copies: int, with_state: bool = False
    ) -> None:
        self.with_state = with_state
        self.envs = [make_env() for _ in range(n_copies)]
        first = self.envs[0]
        self.agent_ids: list[str] = list(first.possible_agents)
        spaces_ = {a: (first.observation_space(a), first.action_space(a)) for a in self.agent_ids}
        obs_space, act_space = spaces_[self.agent_ids[0]]
        for agent, (o, a) in spaces_.items():
            if o != obs_space or a != act_space:
                raise ConfigError(
                    f"parameter sharing needs one observation and action space for all agents; "
                    f"{agent} has {o} and {a}, {self.agent_ids[0]} has {obs_space} and {act_space}."
                )
        self.n_agents = len(self.agent_ids)
        super().__init__(n_copies * self.n_agents, obs_space, act_space)
        self._actions: np.ndarray | None = None

    def states(self) -> np.ndarray:
        """Each row's copy's global ``state()`` now, shape ``(num_envs, state_dim)``."""
        return np.repeat(
            np.stack([np.asarray(env.state(), np.float32) for env in self.envs]),
            self.n_agents,
            axis=0,
        )

    def _stack(self, per_copy: Sequence[dict[str, np.ndarray]]) -> np.ndarray:
        return np.stack([obs[a] for obs in per_copy for a in self.agent_ids])

    def reset(self) -> np.ndarray:
        seed = self._seeds[0] if self._seeds else None
        out = []
        for c, env in enumerate(self.envs):
            observations, _ = env.reset(seed=None if seed is None else seed + c)
            out.append(observations)
        self._reset_seeds()
        self._reset_options()
        return self._stack(out)

    def step_async(self, actions: np.ndarray) -> None:
        self._actions = np.asarray(actions)

    def step_wait(self) -> VecEnvStepReturn:
        n = self.n_agents
        observations, rewards, dones, infos = [], [], [], []
        for c, env in enumerate(self.envs):
            acts = {a: self._actions[c * n + i] for i, a in enumerate(self.agent_ids)}
            obs, rew, term, trunc, info = env.step(acts)
            missing = set(self.agent_ids) - set(obs)
            if missing:
                raise ConfigError(
                    f"agents {sorted(missing)} left mid-episode; the bridge needs all."
                )
            done = not env.agents
            row_infos = [dict(info.get(a, {})) for a in self.agent_ids]
            if done:
                final_state = np.asarray(env.state(), np.float32) if self.with_state else None
                for i, a in enumerate(self.agent_ids):
                    row_infos[i]["terminal_observation"] = obs[a]
                    row_infos[i]["TimeLimit.truncated"] = bool(trunc[a] and not term[a])
                    if final_state is not None:
                        row_infos[i]["terminal_state"] = final_state
                obs, _ = env.reset()
            observations.append(obs)
            rewards.extend(rew[a] for a in self.agent_ids)
            dones.extend([done] * n)
            infos.extend(row_infos)
        return (
            self._stack(observations),
            np.asarray(rewards, dtype=np.float32),
            np.asarray(dones, dtype=bool),
            infos,
        )

    def close(self) -> None:
        for env in self.envs:
            env.close()

    def get_attr(self, attr_name: str, indices: VecEnvIndices = None) -> list[Any]:
        return [
            getattr(self.envs[i // self.n_agents], attr_name) for i in self._get_indices(indices)
        ]

    def set_attr(self, attr_name: str, value: Any, indices: VecEnvIndices = None) -> None:
        for i in self._get_indices(indices):
            setattr(self.envs[i // self.n_agents], attr_name, value)

    def env_method(
        self, method_name: str, *method_args: Any, indices: VecEnvIndices = None, **kwargs: Any
    ) -> list[Any]:
        return [
            getattr(self.envs[i // self.n_agents], method_name)(*method_args, **kwargs)
            for i in self._get_indices(indices)
        ]

    def env_is_wrapped(
        self, wrapper_class: type[gym.Wrapper], indices: VecEnvIndices = None
    ) -> list[bool]:
        return [False for _ in self._get_indices(indices)]


class SharedSB3(ParallelPolicy):
    """A stable-baselines3 algorithm with one network shared by all agents, on the bridge.

    Every agent of every copy is one row of :class:`SharedAgentsVecEnv`, so the agents
    learn independently (each treats the others as part of its environment) through one
    set of parameters. Subclasses name the algorithm.

    Args:
        target: A multi-agent environment.
        n_copies: Copies of the environment stepped together while training.
        hyperparams: Keyword arguments of the SB3 algorithm.
    """

    name = "shared_sb3"
    learns: ClassVar[bool] = True
    algorithm: ClassVar[Any] = PPO
    defaults: ClassVar[dict[str, Any]] = {}

    def __init__(
        self,
        target: ParallelTarget,
        n_copies: int = 32,
        hyperparams: dict[str, Any] | None = None,
    ) -> None:
        require_parallel(target, self.name)
        super().__init__(target)
        self.n_copies = n_copies
        check_hyperparams(self.algorithm, hyperparams or {})
        self.hyperparams = {**self.defaults, **(hyperparams or {})}
        self.model: Any = None

    def _build_model(
        self, venv: VecEnv, seed: int | None = None, log_dir: str | Path | None = None
    ) -> Any:
        """The SB3 model on the bridge ``venv``: the one :meth:`fit` trains, :meth:`load` fills."""
        return self.algorithm(
            "MlpPolicy",
            venv,
            seed=seed,
            device="cpu",
            verbose=0,
            tensorboard_log=None if log_dir is None else str(log_dir),
            **algorithm_kwargs(self.hyperparams),
        )

    def fit(
        self,
        budget: int | Budget,
        seed: int = 0,
        log_dir: str | Path | None = None,
        progress: bool = False,
    ) -> Self:
        """Train within ``budget``: agent-steps (rows of the bridge, all copies) or a Budget."""
        budget = Budget.of(budget)  # a bad budget fails before the copies are made
        venv = VecMonitor(SharedAgentsVecEnv(self.target.make, self.n_copies))
        train_model(self, venv, budget, seed, log_dir, progress, self.name)
        venv.close()
        return self

    def act(self, observations: dict[str, np.ndarray], state: np.ndarray | None = None) -> dict:
        if self.model is None:
            raise RuntimeError(f"{self.name} has not been trained or loaded: call fit() or load().")
        agents = list(observations)
        batch = np.stack([observations[a] for a in agents])
        actions, _ = self.model.predict(batch, deterministic=True)
        return dict(zip(agents, actions, strict=True))

    def save(self, path: str | Path) -> None:
        """Write the learner into the folder ``path`` in a format that loads without unpickling.

        Files: ``policy.pt`` (the SB3 policy's ``state_dict``, ``torch.save``) and
        ``agent.json`` (the card: class, agent name, env id and kwargs, ``n_copies``,
        hyperparameters in JSON form, ``format_version``); see
        :mod:`fieldgym.agents.model_files`.
        """
        if self.model is None:
            raise RuntimeError(f"{self.name} has not been trained: nothing to save.")
        folder = Path(path)
        folder.mkdir(parents=True, exist_ok=True)
        card = {
            "class": f"{type(self).__module__}:{type(self).__qualname__}",
            "agent": self.name,
            "env_id": self.target.id,
            "env_kwargs": self.target.kwargs,
            "n_copies": self.n_copies,
            "hyperparams": json_params({"hyperparams": self.hyperparams})["hyperparams"],
        }
        model_files.write_card(folder, card)
        model_files.save_weights(self.model.policy, folder / model_files.WEIGHTS)

    @classmethod
    def load(
        cls, path: str | Path, target: ParallelTarget | None = None, *, trust_pickle: bool = False
    ) -> Self:
        """Read a learner written by :meth:`save`; ``target`` defaults to its training env.

        The model is rebuilt from ``agent.json`` as :meth:`fit` builds it and filled with
        ``policy.pt`` (``torch.load(weights_only=True)``); nothing is unpickled or evaluated.
        A folder holding only stable-baselines3's ``model.zip`` (a pickle: an older
        fieldgym's or a foreign one) is refused unless ``trust_pickle=True``, which unpickles
        it after a warning; pass it only for files from a trusted source.

        Raises:
            ConfigError: On a folder that is not a saved learner, a ``model.zip`` folder
                without ``trust_pickle``, or weights that do not fit the rebuilt model.
        """
        folder = Path(path)
        card = model_files.read_card(folder)
        safe = model_files.is_safe(folder, card)
        if not safe:
            model_files.require_trust(folder, trust_pickle, model_files.PICKLED[:1])
        if "env_id" not in card:
            raise ConfigError(f"{folder / model_files.CARD} lacks env_id.")
        target = target or ParallelTarget(card["env_id"], card.get("env_kwargs") or {})
        hyperparams = card.get("hyperparams")
        if hyperparams is not None:
            hyperparams = live_params({"hyperparams": hyperparams})["hyperparams"]
        agent = cls(target, card.get("n_copies", 32), hyperparams)
        if not safe:
            agent.model = cls.algorithm.load(folder / model_files.PICKLED[0], device="cpu")
            agent.hyperparams.update(model_files.network_hyperparams(agent.model))
            return agent
        venv = VecMonitor(SharedAgentsVecEnv(target.make, 1))
        try:
            with warnings.catch_warnings():
                # Built on one copy, PPO notes its batch no longer divides the rollout.
                warnings.filterwarnings("ignore", "You have specified a mini-batch size")
                agent.model = agent._build_model(venv)
        except (TypeError, ValueError, AssertionError) as exc:
            raise ConfigError(
                f"{folder / model_files.CARD}: cannot rebuild the {agent.name} model: {exc}"
            ) from exc
        finally:
            venv.close()
        model_files.load_weights(agent.model.policy, folder / model_files.WEIGHTS)
        return agent


class SharedPPO(SharedSB3):
    """PPO with one policy shared by all agents (parameter-shared independent PPO)."""

    name = "shared_ppo"
    algorithm = PPO
    defaults: ClassVar[dict[str, Any]] = {"n_steps": 128, "batch_size": 4096, "n_epochs": 2}


class SharedDQN(SharedSB3):
    """DQN with one Q-network shared by all agents: independent Q-learners sharing parameters.

    Discrete actions only. Each agent's transitions go to one replay buffer.
    """

    name = "shared_dqn"
    algorithm = DQN
    defaults: ClassVar[dict[str, Any]] = {
        "learning_starts": 1000,
        "buffer_size": 100_000,
        "train_freq": 1,
        "gradient_steps": 2,
        "target_update_interval": 1000,
        "exploration_fraction": 0.3,
    }
