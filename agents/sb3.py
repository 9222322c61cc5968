"""stable-baselines3 learners (DQN, PPO, A2C, SAC, TD3) behind the :class:`Policy` interface.

Training runs on the environment's natively vectorized variant through
:class:`~fieldgym.agents.vec.GymnasiumVecEnv`; the action adapter an algorithm needs
(discretizer for DQN, relaxation for SAC/TD3) is applied here, never by the user.
Observations and rewards are normalized with ``VecNormalize`` (as rl-zoo does for
control tasks); the statistics are saved with the model and used by :meth:`act`.
A saved learner is a folder that loads without unpickling (:mod:`fieldgym.agents.model_files`).
"""

from __future__ import annotations

import contextlib
import copy
import difflib
import inspect
import warnings
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, ClassVar, Self

import numpy as np
import torch
from gymnasium import spaces
from stable_baselines3 import A2C, DQN, PPO, SAC, TD3
from stable_baselines3.common.base_class import BaseAlgorithm
from stable_baselines3.common.callbacks import BaseCallback, CallbackList
from stable_baselines3.common.utils import LinearSchedule
from stable_baselines3.common.vec_env import VecEnv, VecMonitor, VecNormalize

from fieldgym.agents import hyperparams as hyperparams_files
from fieldgym.agents import model_files, training
from fieldgym.agents.base import Policy
from fieldgym.agents.target import EnvTarget
from fieldgym.agents.training import Budget
from fieldgym.agents.vec import GymnasiumVecEnv
from fieldgym.envs.core.adapters import VECTOR_WRAPPERS, ActionCodec
from fieldgym.envs.core.config import check_count
from fieldgym.envs.core.errors import ConfigError
from fieldgym.envs.core.wrappers import flatten_observation

ALGORITHMS: dict[str, type[BaseAlgorithm]] = {
    "dqn": DQN,
    "ppo": PPO,
    "a2c": A2C,
    "sac": SAC,
    "td3": TD3,
}

SUPPORTED_ACTIONS: dict[str, tuple[type[spaces.Space], ...]] = {
    "dqn": (spaces.Discrete,),
    "ppo": (spaces.Box, spaces.Discrete, spaces.MultiDiscrete, spaces.MultiBinary),
    "a2c": (spaces.Box, spaces.Discrete, spaces.MultiDiscrete, spaces.MultiBinary),
    "sac": (spaces.Box,),
    "td3": (spaces.Box,),
}
"""The action spaces each algorithm accepts as they are (stable-baselines3's table)."""

_REPLAY = {"learning_starts": 1_000, "buffer_size": 200_000, "batch_size": 256, "train_freq": 1}
DEFAULT_HYPERPARAMS: dict[str, dict[str, Any]] = {
    "dqn": {
        **_REPLAY,
        "gradient_steps": 1,
        "target_update_interval": 10_000,
        "exploration_fraction": 0.3,
    },
    "ppo": {"n_steps": 32, "batch_size": 4096, "n_epochs": 2},
    "a2c": {"n_steps": 8},
    "sac": {**_REPLAY, "gradient_steps": 2, "policy_kwargs": {"net_arch": [64, 64]}},
    "td3": {**_REPLAY, "gradient_steps": 2, "policy_kwargs": {"net_arch": [64, 64]}},
}
"""Defaults that differ from stable-baselines3's, chosen for training throughput on CPU.

They train on :data:`DEFAULT_N_ENVS` copies with large batches and few epochs, so PPO and
A2C step >= 50,000, DQN >= 30,000 and SAC/TD3 >= 5,000 environment steps per CPU second
on the suite's ids (``benchmarks/training_throughput.py``). Off-policy learners make
``gradient_steps`` updates per vector step of all copies: an update-to-data ratio of
``gradient_steps / n_envs`` (1/256 for DQN, 1/64 for SAC and TD3), a knob the tuner
searches. The tuned entries of ``hyperparams/<algo>.yml`` override these per id
(:mod:`fieldgym.agents.hyperparams`).
"""

DEFAULT_N_ENVS: dict[str, int] = {"dqn": 256, "ppo": 256, "a2c": 256, "sac": 128, "td3": 128}
"""Copies of the environment each algorithm trains on unless told otherwise."""


def adapter_kind(algo: str, space: spaces.Space) -> str | None:
    """The action adapter ``algo`` needs on ``space``, or ``None``.

    ``"discretize"``, ``"relax"`` or ``"normalize"`` (a Box not already [-1, 1]).

    Raises:
        ConfigError: If no adapter can bridge the two.
    """
    if isinstance(space, spaces.Box) and isinstance(space, SUPPORTED_ACTIONS[algo]):
        unit = np.all(space.low == -1.0) and np.all(space.high == 1.0)
        return None if unit else "normalize"
    if isinstance(space, SUPPORTED_ACTIONS[algo]):
        return None
    if algo == "dqn" and isinstance(space, spaces.Box | spaces.MultiDiscrete):
        return "discretize"
    if algo in ("sac", "td3") and isinstance(space, spaces.Discrete | spaces.MultiDiscrete):
        return "relax"
    raise ConfigError(f"{algo} cannot act in {space}, and no fieldgym adapter bridges the two.")


SET_BY_FIELDGYM = frozenset({"policy", "env", "seed", "device", "verbose", "tensorboard_log"})
"""Keywords of an SB3 algorithm that fieldgym gives itself (``policy`` via the learner's own
parameter), so not hyperparameters."""


def check_hyperparams(algorithm: type[BaseAlgorithm], hyperparams: dict[str, Any]) -> None:
    """Raise unless every key of ``hyperparams`` is a keyword argument of ``algorithm``.

    Caught when the learner is made (a scenario checks it before any trial runs), not when
    the model is built at the start of training.

    Raises:
        ConfigError: Naming the unknown key, the closest valid one and where to look; or
            on a malformed linear schedule (``"lin_<start>"``).
    """
    parameters = inspect.signature(algorithm.__init__).parameters
    accepted = sorted(set(parameters) - SET_BY_FIELDGYM - {"self"})
    for key, value in hyperparams.items():
        hyperparams_files.linear_start(key, value, "hyperparams")
        if key not in accepted:
            hint = difflib.get_close_matches(key, accepted, n=1)
            suggestion = f" Did you mean {hint[0]!r}?" if hint else ""
            given = " (fieldgym sets it)" if key in SET_BY_FIELDGYM else ""
            raise ConfigError(
                f"hyperparams: {key!r}{given} is not a keyword argument of stable-baselines3's "
                f"{algorithm.__name__}.{suggestion} Valid: {', '.join(accepted)}."
            )


def algorithm_kwargs(hyperparams: dict[str, Any]) -> dict[str, Any]:
    """``hyperparams`` as an SB3 algorithm takes them: a copy, schedules made callable.

    A copy because SB3 writes into what it is given (A2C adds RMSprop to
    ``policy_kwargs``); each ``"lin_<start>"`` becomes SB3's ``LinearSchedule`` from
    ``<start>`` to 0.
    """
    kwargs = copy.deepcopy(hyperparams)
    for key, value in hyperparams.items():
        start = hyperparams_files.linear_start(key, value)
        if start is not None:
            kwargs[key] = LinearSchedule(start, 0.0, 1.0)
    return kwargs


def check_learner_options(algo: str, n_envs: Any, levels: Any, policy: Any) -> None:
    """Raise unless ``n_envs`` (or ``None``), ``levels`` and ``policy`` can build ``algo``'s model.

    Checked when the learner is made, not when the model is built at the start of training.

    Raises:
        ConfigError: Naming the parameter, the value and what is allowed.
    """
    if n_envs is not None:
        check_count("n_envs", n_envs, 1)
    check_count("levels", levels, 2)
    aliases = sorted(ALGORITHMS[algo].policy_aliases)
    if isinstance(policy, str) and policy not in aliases:
        hint = difflib.get_close_matches(policy, aliases, n=1)
        suggestion = f" Did you mean {hint[0]!r}?" if hint else ""
        raise ConfigError(
            f"policy={policy!r} is not a stable-baselines3 {ALGORITHMS[algo].__name__} policy."
            f"{suggestion} Give one of: {', '.join(aliases)} (or a policy class)."
        )


class BudgetCallback(BaseCallback):
    """Runs a :class:`Clock` inside a stable-baselines3 ``learn``.

    Records each finished training episode in ``curve`` (step, seconds, return), shows
    the bar, ticks the clock (which runs the checkpoints) and stops ``learn`` when the
    budget is spent. With a seconds budget it sets the model's projected total steps
    from the rate so far, so SB3's schedules see the share of time left.
    """

    def __init__(self, clock: training.Clock, curve: list[dict[str, float]], show: bool) -> None:
        super().__init__()
        self.clock = clock
        self.curve = curve
        self.bar = training.TrainingBar(clock, show)

    def _on_step(self) -> bool:
        steps = self.num_timesteps
        for info in self.locals.get("infos", ()):
            if "episode" in info:
                self.curve.append(training.episode_row(steps, info["episode"]["r"], self.clock))
        self.bar.update(steps)
        keep_going = self.clock.tick(steps)
        fraction = self.clock.fraction(steps)
        if self.clock.budget.seconds is not None and 0 < fraction < 1:
            self.model._total_timesteps = max(
                self.model.num_timesteps + 1, round(self.model.num_timesteps / fraction)
            )
        return keep_going

    def _on_training_end(self) -> None:
        self.bar.close()


def train_model(
    agent: Any,
    venv: VecEnv,
    budget: Budget,
    seed: int,
    log_dir: str | Path | None,
    progress: bool,
    name: str,
    callbacks: Sequence[BaseCallback] = (),
) -> None:
    """Build ``agent.model`` anew on ``venv`` and train it within ``budget``.

    The opening every SB3-based ``fit`` shares: one torch thread, the copies and the
    model seeded with ``seed`` (the copies first, as SB3 does), the budget's clock started
    after that set-up (it is not training), then ``model.learn`` with the budget's
    callback (checkpoints, the learning curve in ``agent.learning_curve``, the progress
    bar) before ``callbacks``, and the final checkpoint. ``agent`` provides
    ``_build_model(venv, seed, log_dir)``; TensorBoard logs are named ``name``.
    """
    torch.set_num_threads(1)
    venv.seed(seed)
    agent.model = agent._build_model(venv, seed, log_dir)
    clock = budget.start(agent)
    callback = CallbackList([BudgetCallback(clock, agent.learning_curve, progress), *callbacks])
    with _progress_from_projected_total(agent.model):
        agent.model.learn(clock.budget.step_cap, callback=callback, tb_log_name=name)
    clock.finish()


@contextlib.contextmanager
def _progress_from_projected_total(model: BaseAlgorithm) -> Iterator[None]:
    """Within the block, ``model``'s training progress is taken from ``model._total_timesteps``.

    :class:`BudgetCallback` projects that total from the share of a seconds budget used,
    and off-policy SB3 reads it; on-policy SB3 (PPO, A2C) passes ``learn``'s own
    ``total_timesteps`` (the budget's step cap) instead, so without this their schedules
    (``"lin_<start>"``) would not move under a seconds budget. With a steps budget the
    two totals are equal. The override is an attribute of the instance, removed on exit
    (it must not be saved with the model).
    """
    update = model._update_current_progress_remaining
    model._update_current_progress_remaining = lambda num_timesteps, _total: update(  # type: ignore[method-assign]
        num_timesteps, model._total_timesteps
    )
    try:
        yield
    finally:
        del model._update_current_progress_remaining


class SB3Agent(Policy):
    """A stable-baselines3 algorithm trained on a fieldgym environment.

    Args:
        target: The environment to learn.
        algo: One of ``dqn``, ``ppo``, ``a2c``, ``sac``, ``td3``.
        n_envs: Copies of the environment stepped together while training; default
            :data:`DEFAULT_N_ENVS` of the algorithm.
        normalize: Normalize observations and rewards with running statistics.
        levels: Grid points per action dimension when DQN needs a discretized ``Box``.
        policy: The SB3 policy class name.
        hyperparams: Keyword arguments for the SB3 algorithm, over :data:`DEFAULT_HYPERPARAMS`.
    """

    learns: ClassVar[bool] = True

    def __init__(
        self,
        target: EnvTarget,
        algo: str,
        n_envs: int | None = None,
        normalize: bool = True,
        levels: int = 5,
        policy: str = "MlpPolicy",
        hyperparams: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(target)
        if algo not in ALGORITHMS:
            raise ConfigError(
                f"algo={algo!r} is not allowed; choose one of: {', '.join(ALGORITHMS)}."
            )
        check_learner_options(algo, n_envs, levels, policy)
        self.name = algo
        self.algo = algo
        self.n_envs = DEFAULT_N_ENVS[algo] if n_envs is None else n_envs
        self.normalize = normalize
        self.levels = levels
        self.policy = policy
        check_hyperparams(ALGORITHMS[algo], hyperparams or {})
        self.hyperparams = copy.deepcopy({**DEFAULT_HYPERPARAMS[algo], **(hyperparams or {})})
        self.model: BaseAlgorithm | None = None
        self.stats: VecNormalize | None = None
        probe = flatten_observation(target.make())
        self.observation_space = probe.observation_space
        env_actions = probe.unwrapped.action_space
        probe.close()
        kind = adapter_kind(algo, env_actions)
        self.codec = ActionCodec(env_actions, kind, levels) if kind else None

    def _vector_env(self, n_envs: int) -> Any:
        """The natively vectorized env the learner trains on (subclasses may wrap it)."""
        return self.target.make_vec(n_envs)

    def _training_env(self, n_envs: int) -> VecNormalize:
        venv = flatten_observation(self._vector_env(n_envs))
        if self.codec is not None:
            venv = VECTOR_WRAPPERS[self.codec.kind](venv, self.levels)
        env = VecMonitor(GymnasiumVecEnv(venv))
        return VecNormalize(
            env,
            norm_obs=self.normalize,
            norm_reward=self.normalize,
            gamma=self.hyperparams.get("gamma", 0.99),
        )

    def _algorithm(self) -> tuple[type[BaseAlgorithm], dict[str, Any]]:
        """The SB3 class :meth:`fit` trains and keyword arguments it adds (subclasses' hook)."""
        return ALGORITHMS[self.algo], {}

    def _build_model(
        self, env: VecEnv, seed: int | None = None, log_dir: str | Path | None = None
    ) -> BaseAlgorithm:
        """The SB3 model on ``env``: the one :meth:`fit` trains and :meth:`load` fills."""
        algorithm, extra = self._algorithm()
        return algorithm(
            self.policy,
            env,
            seed=seed,
            device="cpu",
            verbose=0,
            tensorboard_log=None if log_dir is None else str(log_dir),
            **extra,
            **algorithm_kwargs(self.hyperparams),
        )

    def fit(
        self,
        budget: int | Budget,
        seed: int = 0,
        log_dir: str | Path | None = None,
        progress: bool = False,
    ) -> Self:
        """Train within ``budget``: environment steps (over all copies) or a :class:`Budget`.

        TensorBoard logs go to ``log_dir`` when given; :attr:`learning_curve` collects the
        training episodes' returns (in the environment's own reward units) and the
        budget's checkpoint evaluations. The policy can act during training (checkpoints
        evaluate it), with the normalization statistics of the moment.
        """
        budget = Budget.of(budget)  # a bad budget fails before the copies are made
        env = self._training_env(self.n_envs)
        self.stats = env  # checkpoints normalize with the statistics of the moment
        train_model(self, env, budget, seed, log_dir, progress, self.algo)
        self.stats.training = False
        return self

    def act(self, observation: np.ndarray) -> Any:
        if self.model is None or self.stats is None:
            raise RuntimeError(
                f"{self.algo} has not been trained or loaded: call fit() or load() first."
            )
        flat = (
            spaces.flatten(self.observation_space, observation)
            if not isinstance(observation, np.ndarray)
            else observation
        )
        normalized = self.stats.normalize_obs(np.asarray(flat, dtype=np.float32)[None])
        action, _ = self.model.predict(normalized, deterministic=True)
        return action[0] if self.codec is None else self.codec.decode_one(action[0])

    def _extra_params(self) -> dict[str, Any]:
        """A subclass's own constructor arguments, saved in the card's ``extra`` (JSON)."""
        return {}

    def save(self, path: str | Path) -> None:
        """Write the learner into the folder ``path`` in a format that loads without unpickling.

        Files: ``policy.pt`` (the SB3 policy's ``state_dict``, ``torch.save``),
        ``vecnormalize.npz`` (the normalization statistics and settings) and ``agent.json``
        (the card: class, agent name, algo, env id and kwargs, ``n_envs``, ``normalize``,
        ``policy``, ``levels``, hyperparameters in JSON form, a subclass's own arguments
        under ``extra``, and ``format_version``). See :mod:`fieldgym.agents.model_files`.

        Raises:
            ConfigError: If a hyperparameter or env kwarg is not a JSON value.
        """
        if self.model is None or self.stats is None:
            raise RuntimeError(f"{self.algo} has not been trained: nothing to save.")
        folder = Path(path)
        folder.mkdir(parents=True, exist_ok=True)
        hyperparams = hyperparams_files.json_params({"hyperparams": self.hyperparams})
        card = {
            "class": f"{type(self).__module__}:{type(self).__qualname__}",
            "agent": self.name,
            "algo": self.algo,
            "env_id": self.target.id,
            "env_kwargs": self.target.kwargs,
            "n_envs": self.n_envs,
            "normalize": self.normalize,
            "policy": self.policy,
            "levels": self.levels,
            "hyperparams": hyperparams["hyperparams"],
            "extra": self._extra_params(),
        }
        model_files.write_card(folder, card)
        model_files.save_weights(self.model.policy, folder / model_files.WEIGHTS)
        model_files.save_normalization(self.stats, folder / model_files.NORMALIZATION)

    @classmethod
    def _read_card(cls, folder: Path) -> dict[str, Any]:
        """The folder's card (a subclass may add what an old format kept elsewhere)."""
        return model_files.read_card(folder)

    @classmethod
    def _init_kwargs(cls, card: dict[str, Any]) -> dict[str, Any]:
        """The constructor's keyword arguments (after ``target``) recorded in ``card``.

        The learner's settings and the card's ``extra``, each kept where the class's
        constructor has a parameter of that name, so a base class loads a subclass's
        folder (``SB3Agent.load`` on a ``drl`` model) without its training-only arguments.
        """
        hyperparams = card.get("hyperparams")
        if hyperparams is not None:
            hyperparams = hyperparams_files.live_params({"hyperparams": hyperparams})
            hyperparams = hyperparams["hyperparams"]
        recorded = {
            "algo": card.get("algo"),
            "n_envs": card.get("n_envs"),
            "normalize": card.get("normalize", True),
            "levels": card.get("levels", 5),
            "policy": card.get("policy", "MlpPolicy"),
            "hyperparams": hyperparams,
            **(card.get("extra") or {}),
        }
        accepted = inspect.signature(cls).parameters
        return {name: value for name, value in recorded.items() if name in accepted}

    @classmethod
    def load(
        cls, path: str | Path, target: EnvTarget | None = None, *, trust_pickle: bool = False
    ) -> Self:
        """Read a learner written by :meth:`save`; ``target`` defaults to its training env.

        The SB3 model is rebuilt from ``agent.json`` as :meth:`fit` builds it and filled with
        ``policy.pt`` (read with ``torch.load(weights_only=True)``); the statistics come from
        ``vecnormalize.npz`` (``allow_pickle=False``). Nothing in the folder is unpickled or
        evaluated. A folder in stable-baselines3's pickle format (``model.zip``,
        ``vecnormalize.pkl``: an older fieldgym's or a foreign one) is refused unless
        ``trust_pickle=True``, which unpickles it after a warning: unpickling runs code from
        the files, so pass it only for files from a trusted source.

        Raises:
            ConfigError: On a folder that is not a saved learner, a pickle-format folder
                without ``trust_pickle``, or files that do not fit the rebuilt model.
        """
        folder = Path(path)
        card = cls._read_card(folder)
        safe = model_files.is_safe(folder, card)
        if not safe:
            model_files.require_trust(folder, trust_pickle, model_files.PICKLED)
        if "env_id" not in card or "algo" not in card:
            raise ConfigError(f"{folder / model_files.CARD} lacks env_id or algo.")
        target = target or EnvTarget(card["env_id"], card.get("env_kwargs") or {})
        try:
            agent = cls(target, **cls._init_kwargs(card))
        except TypeError as exc:
            raise ConfigError(
                f"{folder / model_files.CARD} does not fit {cls.__name__}: {exc}"
            ) from exc
        stats = agent._training_env(1)
        if safe:
            try:
                with warnings.catch_warnings():
                    # Built on one copy, PPO notes its batch no longer divides the rollout.
                    warnings.filterwarnings("ignore", "You have specified a mini-batch size")
                    agent.model = agent._build_model(stats)
            except (TypeError, ValueError, AssertionError) as exc:
                raise ConfigError(
                    f"{folder / model_files.CARD}: cannot rebuild the {agent.algo} model: {exc}"
                ) from exc
            model_files.load_weights(agent.model.policy, folder / model_files.WEIGHTS)
            model_files.load_normalization(stats, folder / model_files.NORMALIZATION)
            agent.stats = stats
        else:
            algorithm = ALGORITHMS[agent.algo]
            agent.model = algorithm.load(folder / model_files.PICKLED[0], device="cpu")
            agent.stats = VecNormalize.load(str(folder / model_files.PICKLED[1]), stats)
            agent.hyperparams.update(model_files.network_hyperparams(agent.model))
        agent.stats.training = False
        return agent
