"""Model folders that load without running code from them.

fieldgym's stable-baselines3 learners save a folder of these files, none of them a pickle
(the multi-agent ones, which do not normalize, write no ``vecnormalize.npz``):

* ``agent.json`` (:data:`CARD`): what rebuilds the learner: its class and agent name,
  ``algo``, the env id and kwargs, ``n_envs`` (``n_copies``), ``normalize``, ``policy``,
  ``levels``, the hyperparameters in JSON form (``policy_kwargs`` as rl-zoo3's text, see
  :func:`fieldgym.agents.hyperparams.json_params`) and :data:`FORMAT_VERSION`;
* ``policy.pt`` (:data:`WEIGHTS`): the SB3 policy's ``state_dict``, written with
  ``torch.save`` and read with ``torch.load(..., weights_only=True)`` (tensors only);
* ``vecnormalize.npz`` (:data:`NORMALIZATION`): the ``VecNormalize`` statistics and
  settings, read with ``numpy.load(..., allow_pickle=False)``.

Loading rebuilds the SB3 model from the card as ``fit`` builds it and fills it with the
weights. Folders in SB3's own format (``model.zip``, ``vecnormalize.pkl``: pickles, which
run code when read) load only when the caller passes ``trust_pickle=True``
(:func:`require_trust`).
"""

from __future__ import annotations

import json
import os
import pickle
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import torch
from stable_baselines3.common.running_mean_std import RunningMeanStd
from stable_baselines3.common.vec_env import VecNormalize

from fieldgym.envs.core.errors import ConfigError

CARD = "agent.json"
"""The JSON card of a saved learner."""

WEIGHTS = "policy.pt"
"""The policy's ``state_dict`` (tensors only)."""

NORMALIZATION = "vecnormalize.npz"
"""The ``VecNormalize`` statistics (numeric arrays only)."""

PICKLED = ("model.zip", "vecnormalize.pkl")
"""stable-baselines3's own files, which unpickle (run code) when read."""

FORMAT_VERSION = 1
"""The version of the safe format written in the card's ``format_version``."""

NORMALIZATION_SETTINGS = ("clip_obs", "clip_reward", "gamma", "epsilon")
NORMALIZATION_SWITCHES = ("norm_obs", "norm_reward")


class UnpicklingWarning(UserWarning):
    """A model is being loaded by unpickling (``trust_pickle=True``): that runs its code."""


def write_card(folder: Path, card: dict[str, Any]) -> None:
    """Write ``card`` (with :data:`FORMAT_VERSION`) as ``folder / agent.json``.

    Raises:
        ConfigError: If a value is not JSON (numpy numbers and paths are converted).
    """
    card = {"format_version": FORMAT_VERSION, **card}
    try:
        text = json.dumps(card, indent=2, default=_json_default, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise ConfigError(
            f"Cannot write {folder / CARD}: {exc}. Hyperparameters and env kwargs of a saved "
            "learner must be JSON values (numbers, strings, lists, mappings)."
        ) from exc
    (folder / CARD).write_text(text)


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    raise TypeError(f"{value!r} ({type(value).__name__}) is not a JSON value")


def read_card(folder: Path) -> dict[str, Any]:
    """The card of a saved learner (plain JSON; nothing in it is evaluated).

    Raises:
        ConfigError: If the folder holds no card or the card is not a JSON object.
    """
    path = folder / CARD
    if not path.is_file():
        foreign = [name for name in PICKLED if (folder / name).is_file()]
        what = f" (it holds {', '.join(foreign)} but no {CARD})" if foreign else ""
        raise ConfigError(
            f"{str(folder)!r} holds no saved fieldgym agent{what}; give a folder written by "
            f"a learner's save(), `fieldgym train` or a run's models/<trial>."
        )
    try:
        card = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path} is not valid JSON: {exc}.") from exc
    if not isinstance(card, dict):
        raise ConfigError(f"{path} must hold a JSON object.")
    return card


def is_safe(folder: Path, card: dict[str, Any]) -> bool:
    """Whether ``folder`` is in the safe format (``format_version`` and ``policy.pt``).

    Raises:
        ConfigError: On a card of a newer format, or a safe card without its weights.
    """
    version = card.get("format_version")
    if version is None:
        return False
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise ConfigError(
            f"{folder / CARD} has format_version {version!r}; this fieldgym reads up to "
            f"{FORMAT_VERSION}: upgrade fieldgym."
        )
    if not (folder / WEIGHTS).is_file():
        raise ConfigError(f"{str(folder)!r} is incomplete: {WEIGHTS} is missing.")
    return True


def require_trust(folder: Path, trust_pickle: bool, files: tuple[str, ...]) -> None:
    """Refuse to unpickle ``files`` of ``folder`` unless ``trust_pickle``; then warn.

    Raises:
        ConfigError: Without ``trust_pickle``, naming the folder and the fix; with it, if a
            file is missing.
    """
    if not trust_pickle:
        raise ConfigError(
            f"{str(folder)!r} holds a model in stable-baselines3's pickle format "
            f"({', '.join(files)}) without fieldgym's safe files ({WEIGHTS}, "
            f"format_version in {CARD}). Unpickling runs code from the files, so fieldgym "
            f"does not do it by default. Re-save the model with this fieldgym (train it "
            f"again, or load it once trusted and call save()), or, only if the folder comes "
            f"from a trusted source, pass trust_pickle=True (`--trust-pickle` on the command "
            f"line)."
        )
    missing = [name for name in files if not (folder / name).is_file()]
    if missing:
        raise ConfigError(f"{str(folder)!r} holds no {', '.join(missing)}: nothing to load.")
    warnings.warn(
        f"Loading {', '.join(files)} from {str(folder)!r} by unpickling (trust_pickle=True): "
        f"unpickling runs code from the files; load only models from a trusted source.",
        UnpicklingWarning,
        stacklevel=3,
    )


def network_hyperparams(model: Any) -> dict[str, Any]:
    """What an SB3 model read from a pickle says about its network, as hyperparameters.

    ``policy_kwargs`` (and ``use_sde``): a learner loaded with ``trust_pickle=True`` records
    them, so that saving it again writes a card that rebuilds the same network.
    """
    params: dict[str, Any] = {}
    policy_kwargs = {k: v for k, v in (model.policy_kwargs or {}).items() if k != "use_sde"}
    if policy_kwargs:
        params["policy_kwargs"] = policy_kwargs
    if getattr(model, "use_sde", False):
        params["use_sde"] = True
    return params


def save_weights(module: torch.nn.Module, path: Path) -> None:
    """Write ``module``'s ``state_dict`` with ``torch.save`` (tensors only)."""
    torch.save(module.state_dict(), path)


def load_tensors(path: Path) -> Any:
    """``torch.load(path, weights_only=True)``: tensors and plain containers, never objects.

    Raises:
        ConfigError: If the file holds anything else (a pickled object) or is unreadable.
    """
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except (pickle.UnpicklingError, RuntimeError, EOFError, OSError, ValueError) as exc:
        raise ConfigError(
            f"{path} is not a weights file fieldgym can read safely (only tensors are "
            f"accepted, never pickled objects): {str(exc).splitlines()[0]}"
        ) from exc


def load_weights(module: torch.nn.Module, path: Path) -> None:
    """Fill ``module`` with the ``state_dict`` in ``path`` (read by :func:`load_tensors`).

    Raises:
        ConfigError: If the file is not a mapping of names to tensors, or does not fit
            ``module`` (another architecture or environment).
    """
    state = load_tensors(path)
    if not (
        isinstance(state, dict)
        and all(isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in state.items())
    ):
        raise ConfigError(f"{path} must hold a state_dict (a mapping of names to tensors).")
    try:
        module.load_state_dict(state)
    except RuntimeError as exc:
        raise ConfigError(
            f"{path} does not fit the network rebuilt from {path.parent / CARD} (another "
            f"architecture or observation/action space?): {str(exc).splitlines()[0]}"
        ) from exc


def save_normalization(stats: VecNormalize, path: Path) -> None:
    """Write the statistics and settings of ``stats`` as an ``.npz`` of numeric arrays.

    The observation statistics (``obs_*``) are there when ``stats`` normalizes observations.
    """
    arrays = {
        "ret_mean": stats.ret_rms.mean,
        "ret_var": stats.ret_rms.var,
        "ret_count": np.asarray(stats.ret_rms.count, dtype=np.float64),
        **{name: np.asarray(getattr(stats, name), np.float64) for name in NORMALIZATION_SETTINGS},
        **{name: np.asarray(getattr(stats, name), np.bool_) for name in NORMALIZATION_SWITCHES},
    }
    if stats.norm_obs:
        obs_rms = vars(stats).get("obs_rms")
        if not isinstance(obs_rms, RunningMeanStd):
            raise ConfigError("Only VecNormalize over one Box observation can be saved.")
        arrays |= {
            "obs_mean": obs_rms.mean,
            "obs_var": obs_rms.var,
            "obs_count": np.asarray(obs_rms.count, dtype=np.float64),
        }
    with path.open("wb") as handle:
        np.savez(handle, **arrays)


def load_normalization(stats: VecNormalize, path: Path) -> None:
    """Set ``stats`` (a fresh ``VecNormalize``) from :func:`save_normalization`'s file.

    Read with ``allow_pickle=False``; ``stats`` is left in evaluation mode.

    Raises:
        ConfigError: On a missing or non-numeric entry, or statistics of another shape.
    """
    if not path.is_file():
        raise ConfigError(f"{str(path.parent)!r} is incomplete: {path.name} is missing.")
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {name: np.array(data[name]) for name in data.files}
    except (ValueError, OSError, EOFError) as exc:
        raise ConfigError(f"{path} is not a numeric .npz file: {exc}") from exc
    names = ["ret_mean", "ret_var", "ret_count", *NORMALIZATION_SETTINGS, *NORMALIZATION_SWITCHES]
    norm_obs = "norm_obs" in arrays and bool(arrays["norm_obs"])
    if norm_obs:
        names += ["obs_mean", "obs_var", "obs_count"]
    missing = [name for name in names if name not in arrays]
    if missing:
        raise ConfigError(f"{path} lacks {', '.join(missing)}.")
    if any(arrays[name].dtype.kind not in "biuf" for name in names):
        raise ConfigError(f"{path} must hold numeric arrays only.")
    if norm_obs:
        shape = stats.observation_space.shape
        if arrays["obs_mean"].shape != shape or arrays["obs_var"].shape != shape:
            raise ConfigError(
                f"{path} normalizes observations of shape {arrays['obs_mean'].shape}, but the "
                f"environment's are {shape}."
            )
        stats.obs_rms = RunningMeanStd(shape=shape)
        stats.obs_rms.mean = arrays["obs_mean"].astype(np.float64)
        stats.obs_rms.var = arrays["obs_var"].astype(np.float64)
        stats.obs_rms.count = float(arrays["obs_count"])
    stats.ret_rms.mean = arrays["ret_mean"].astype(np.float64)
    stats.ret_rms.var = arrays["ret_var"].astype(np.float64)
    stats.ret_rms.count = float(arrays["ret_count"])
    for name in NORMALIZATION_SETTINGS:
        setattr(stats, name, float(arrays[name]))
    for name in NORMALIZATION_SWITCHES:
        setattr(stats, name, bool(arrays[name]))
    stats.training = False
