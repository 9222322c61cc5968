"""Search spaces of ``fieldgym tune``, and where fieldgym's defaults sit in each.

Each space maps an Optuna trial to an agent's keyword arguments, after rl-zoo3's
``hyperparams_opt.py``, with the number of copies and the off-policy update-to-data ratio
among the knobs. ``rows`` is the number of training rows per copy (the agents of a
multi-agent copy, else 1), so a PPO batch size always divides the rollout. Names of
sampled values are those of the hyperparameter file where they match one (n_envs,
n_steps, ...).

:func:`default_point` gives the sampled values that reproduce the learner's untuned
defaults (:data:`fieldgym.agents.sb3.DEFAULT_HYPERPARAMS` over stable-baselines3's own),
as near as the space holds them: every study runs that point first, so a tuned entry is
the defaults unless some trial beat them on the validation seeds.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

from fieldgym.agents import hyperparams


def _width(trial: Any) -> int:
    return {"small": 64, "medium": 256}[trial.suggest_categorical("net_arch", ["small", "medium"])]


def _gamma(trial: Any) -> float:
    return 1.0 - trial.suggest_float("one_minus_gamma", 1e-4, 0.1, log=True)


def _learning_rate(trial: Any) -> float | str:
    """A learning rate, constant or rl-zoo3's linear schedule from it down to 0."""
    rate = trial.suggest_float("learning_rate", 1e-5, 3e-3, log=True)
    linear = trial.suggest_categorical("lr_schedule", ["constant", "linear"]) == "linear"
    return hyperparams.linear_text(rate) if linear else rate


def _actor_critic(
    trial: Any, rows: int, copies: Sequence[int], n_steps: Sequence[int], epochs: Sequence[int]
) -> tuple[int, dict[str, Any]]:
    """Copies and SB3 keyword arguments of A2C (no ``epochs``) or PPO."""
    n_envs = trial.suggest_categorical("n_envs", copies)
    steps = trial.suggest_categorical("n_steps", n_steps)
    width = _width(trial)
    activation = trial.suggest_categorical("activation_fn", ["tanh", "relu"])
    hp: dict[str, Any] = {
        "n_steps": steps,
        "gamma": _gamma(trial),
        "gae_lambda": 1.0 - trial.suggest_float("one_minus_gae_lambda", 1e-3, 0.2, log=True),
        "learning_rate": _learning_rate(trial),
        "ent_coef": trial.suggest_float("ent_coef", 1e-8, 0.1, log=True),
        "max_grad_norm": trial.suggest_float("max_grad_norm", 0.3, 2.0),
        "policy_kwargs": hyperparams.parse_policy_kwargs(
            {
                "net_arch": {"pi": [width, width], "vf": [width, width]},
                "activation_fn": {"tanh": "Tanh", "relu": "ReLU"}[activation],
            }
        ),
    }
    if epochs:  # PPO: minibatches of an exact share of the rollout
        minibatches = trial.suggest_categorical("n_minibatches", [1, 2, 4, 8, 16])
        hp["batch_size"] = steps * n_envs * rows // minibatches
        hp["n_epochs"] = trial.suggest_categorical("n_epochs", epochs)
        hp["clip_range"] = trial.suggest_categorical("clip_range", [0.1, 0.2, 0.3])
    return n_envs, hp


def _off_policy(trial: Any) -> tuple[int, dict[str, Any]]:
    """Copies and SB3 keyword arguments shared by DQN, SAC and TD3.

    The update-to-data ratio ``utd`` (gradient updates per environment transition) is
    the sampled knob; ``gradient_steps`` follows from it, the copies and ``train_freq``.
    """
    n_envs = trial.suggest_categorical("n_envs", [32, 64, 128, 256, 512])
    train_freq = trial.suggest_categorical("train_freq", [1, 2, 4, 8])
    utd = trial.suggest_float("utd", 1 / 1024, 1 / 4, log=True)
    width = _width(trial)
    return n_envs, {
        "gamma": _gamma(trial),
        "learning_rate": trial.suggest_float("learning_rate", 1e-5, 3e-3, log=True),
        "batch_size": trial.suggest_categorical("batch_size", [64, 128, 256, 512, 1024, 2048]),
        "train_freq": train_freq,
        "gradient_steps": max(1, round(utd * n_envs * train_freq)),
        "policy_kwargs": {"net_arch": [width, width]},
    }


def ppo_space(trial: Any, rows: int = 1) -> dict[str, Any]:
    """PPO: 64..1024 copies, short rollouts, large minibatches, few epochs."""
    n, hp = _actor_critic(
        trial, rows, [64, 128, 256, 512, 1024], [8, 16, 32, 64, 128], [1, 2, 4, 8]
    )
    return {"n_envs": n, "hyperparams": hp}


def a2c_space(trial: Any, rows: int = 1) -> dict[str, Any]:
    """A2C: 64..1024 copies, rollouts of 4..32 steps."""
    n, hp = _actor_critic(trial, rows, [64, 128, 256, 512, 1024], [4, 8, 16, 32], [])
    return {"n_envs": n, "hyperparams": hp}


def dqn_space(trial: Any, rows: int = 1) -> dict[str, Any]:
    """DQN: the off-policy knobs plus exploration and the target network's period."""
    n, hp = _off_policy(trial)
    hp["exploration_fraction"] = trial.suggest_float("exploration_fraction", 0.05, 0.5)
    hp["exploration_final_eps"] = trial.suggest_float("exploration_final_eps", 0.0, 0.2)
    # SB3 counts the period in env steps but updates once per vector step of the n copies:
    # draw it in vector steps, so it is never shorter than one.
    every = trial.suggest_int("target_update_vector_steps", 1, 200, log=True)
    hp["target_update_interval"] = every * n
    return {"n_envs": n, "hyperparams": hp}


def td3_space(trial: Any, rows: int = 1) -> dict[str, Any]:
    """TD3: the off-policy knobs plus the Polyak coefficient ``tau``."""
    n, hp = _off_policy(trial)
    hp["tau"] = trial.suggest_float("tau", 1e-3, 0.08, log=True)
    return {"n_envs": n, "hyperparams": hp}


def sac_space(trial: Any, rows: int = 1) -> dict[str, Any]:
    """SAC: TD3's knobs plus the entropy bonus: its coefficient's start and its target.

    SAC learns its entropy coefficient, by default from 1.0 towards an entropy of
    ``-dim(A)``. Starting it at 1.0 can drown a sparse or deceptive reward in entropy
    bonus (on the Bell preparation, where one Hadamard earns half the fidelity at once,
    SAC stayed at 0.5 until the start was lowered); a higher target (0) keeps it
    exploring longer.
    """
    spec = td3_space(trial, rows)
    start = trial.suggest_categorical("ent_coef_start", [0.01, 0.1, 1.0])
    spec["hyperparams"]["ent_coef"] = "auto" if start == 1.0 else f"auto_{start}"
    spec["hyperparams"]["target_entropy"] = trial.suggest_categorical(
        "target_entropy", ["auto", 0.0]
    )
    return spec


def shared_ppo_space(trial: Any, rows: int = 1) -> dict[str, Any]:
    """Shared PPO: 4..64 copies of the multi-agent env (each copy one row per agent)."""
    n, hp = _actor_critic(trial, rows, [4, 8, 16, 32, 64], [32, 64, 128, 256], [1, 2, 5, 10])
    return {"n_copies": n, "hyperparams": hp}


def mappo_space(trial: Any, rows: int = 1) -> dict[str, Any]:
    """MAPPO: its own keys (:data:`fieldgym.agents.mappo.DEFAULTS`)."""
    return {
        "n_copies": trial.suggest_categorical("n_envs", [4, 8, 16, 32, 64]),
        "hyperparams": {
            "n_steps": trial.suggest_categorical("n_steps", [32, 64, 128]),
            "n_epochs": trial.suggest_categorical("n_epochs", [2, 5, 10, 15]),
            "n_minibatches": trial.suggest_categorical("n_minibatches", [1, 2, 4]),
            "lr": trial.suggest_float("lr", 1e-4, 3e-3, log=True),
            "critic_lr": trial.suggest_float("critic_lr", 1e-4, 3e-3, log=True),
            "gamma": _gamma(trial),
            "gae_lambda": 1.0 - trial.suggest_float("one_minus_gae_lambda", 1e-3, 0.2, log=True),
            "clip_range": trial.suggest_categorical("clip_range", [0.1, 0.2, 0.3]),
            "ent_coef": trial.suggest_float("ent_coef", 1e-5, 0.05, log=True),
            "hidden": trial.suggest_categorical("hidden", [64, 128, 256]),
        },
    }


SPACES: dict[str, Callable[[Any, int], dict[str, Any]]] = {
    "ppo": ppo_space,
    "a2c": a2c_space,
    "dqn": dqn_space,
    "sac": sac_space,
    "td3": td3_space,
    "shared_ppo": shared_ppo_space,
    "mappo": mappo_space,
}
"""The search space of each agent ``fieldgym tune`` can tune."""


def _nearest(value: float, choices: Sequence[int]) -> int:
    """The choice nearest ``value`` on a log scale (the spaces' choices are powers of two)."""
    return min(choices, key=lambda c: abs(math.log(c / value)))


_SB3_SHARED = {  # stable-baselines3's own defaults the spaces search
    "one_minus_gamma": 0.01,  # gamma 0.99
    "net_arch": "small",  # [64, 64]
}
_ACTOR_CRITIC = {
    **_SB3_SHARED,
    "activation_fn": "tanh",
    "max_grad_norm": 0.5,
    "ent_coef": 1e-8,
    "lr_schedule": "constant",
}
_OFF_POLICY = {**_SB3_SHARED, "batch_size": 256, "train_freq": 1}


def default_point(agent: str, rows: int = 1) -> dict[str, Any]:
    """The sampled values of ``agent``'s space that give its untuned defaults.

    Where the space cannot hold a default exactly it takes the nearest value in it: an
    entropy coefficient of 0 becomes the space's floor 1e-8, A2C's ``gae_lambda`` of 1
    becomes 0.999, and a shared PPO's minibatch count the nearest power of two.
    """
    if agent == "ppo":  # 256 copies x 32 steps in 2 minibatches of 4096, 2 epochs
        return {
            **_ACTOR_CRITIC,
            "n_envs": 256,
            "n_steps": 32,
            "one_minus_gae_lambda": 0.05,
            "learning_rate": 3e-4,
            "n_minibatches": 2,
            "n_epochs": 2,
            "clip_range": 0.2,
        }
    if agent == "a2c":
        return {
            **_ACTOR_CRITIC,
            "n_envs": 256,
            "n_steps": 8,
            "one_minus_gae_lambda": 1e-3,
            "learning_rate": 7e-4,
        }
    if agent == "shared_ppo":  # 32 copies x 128 steps x rows, minibatches of 4096
        return {
            **_ACTOR_CRITIC,
            "n_envs": 32,
            "n_steps": 128,
            "one_minus_gae_lambda": 0.05,
            "learning_rate": 3e-4,
            "n_minibatches": _nearest(32 * 128 * rows / 4096, [1, 2, 4, 8, 16]),
            "n_epochs": 2,
            "clip_range": 0.2,
        }
    if agent == "dqn":  # 256 copies, one update per vector step, target every 10,000 steps
        return {
            **_OFF_POLICY,
            "n_envs": 256,
            "utd": 1 / 256,
            "learning_rate": 1e-4,
            "exploration_fraction": 0.3,
            "exploration_final_eps": 0.05,
            "target_update_vector_steps": round(10_000 / 256),
        }
    if agent in ("sac", "td3"):  # 128 copies, two updates per vector step
        point = {
            **_OFF_POLICY,
            "n_envs": 128,
            "utd": 2 / 128,
            "learning_rate": 3e-4 if agent == "sac" else 1e-3,
            "tau": 0.005,
        }
        if agent == "sac":  # ent_coef="auto": learned from 1.0 towards -dim(A)
            point.update({"ent_coef_start": 1.0, "target_entropy": "auto"})
        return point
    if agent == "mappo":
        from fieldgym.agents.mappo import DEFAULTS

        return {
            "n_envs": 32,
            "n_steps": DEFAULTS["n_steps"],
            "n_epochs": DEFAULTS["n_epochs"],
            "n_minibatches": DEFAULTS["n_minibatches"],
            "lr": DEFAULTS["lr"],
            "critic_lr": DEFAULTS["critic_lr"],
            "one_minus_gamma": 1.0 - DEFAULTS["gamma"],
            "one_minus_gae_lambda": 1.0 - DEFAULTS["gae_lambda"],
            "clip_range": DEFAULTS["clip_range"],
            "ent_coef": DEFAULTS["ent_coef"],
            "hidden": DEFAULTS["hidden"],
        }
    raise KeyError(agent)
