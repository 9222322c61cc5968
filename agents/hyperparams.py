"""Tuned hyperparameters shipped in ``hyperparams/<agent>.yml``, in rl-zoo3's format.

Each file maps an environment key to the keyword arguments of one learner, as rl-zoo3's
``--conf-file`` does, so ``python -m rl_zoo3.train --algo ppo --env
fieldgym/MultiEchelonInventory-v1 --gym-packages fieldgym --conf-file hyperparams/ppo.yml``
reads the same entry fieldgym uses::

    # <how the entry was found: trials, budget, objective, date>
    fieldgym/MultiEchelonInventory-v1:
      n_envs: 256              # copies stepped together (n_copies for multi-agent learners)
      n_timesteps: 2000000     # rl-zoo3's training budget; fieldgym's CLI default for train
      policy: MlpPolicy
      normalize: true
      learning_rate: 0.0003    # every other key goes to the algorithm
      policy_kwargs: "dict(net_arch=[64, 64], activation_fn=nn.ReLU)"

A key may name a variant: ``fieldgym/MultiEchelonInventory-v1[preset=distribution]`` or
``fieldgym/TrafficSignal-v1[backend=sumo]`` applies where the environment's keyword
arguments have those values; the most specific matching key wins, the plain id otherwise.
(rl-zoo3 reads only plain ids.)

``policy_kwargs`` written as rl-zoo3's string is *parsed*, never evaluated: only
``dict(...)`` of literals, nested ``dict``/lists, and the activations of
:data:`ACTIVATIONS` are accepted. ``learning_rate: lin_0.001`` (or ``clip_range``,
``clip_range_vf``) is rl-zoo3's linear schedule: from 0.001 down to 0 at the end of
training, which under a seconds budget is the end of the time
(:func:`linear_start`).
"""

from __future__ import annotations

import ast
import functools
import inspect
import math
import re
from pathlib import Path
from typing import Any

import yaml

from fieldgym.envs.core.errors import ConfigError
from fieldgym.envs.core.files import atomic_path

HYPERPARAMS_DIR = Path(__file__).resolve().parents[1] / "hyperparams"
"""The shipped files (the ``hyperparams`` folder at the package's root)."""

ACTIVATIONS = ("ReLU", "Tanh", "ELU", "LeakyReLU", "SiLU", "GELU")
"""Activation classes of ``torch.nn`` a ``policy_kwargs`` string may name (``nn.ReLU``)."""

FILE_ONLY_KEYS = ("n_timesteps",)
"""Keys of an entry that are not agent parameters (rl-zoo3's budget)."""

SCHEDULED_KEYS = ("learning_rate", "clip_range", "clip_range_vf")
"""Hyperparameters that may be rl-zoo3's linear schedule ``"lin_<start>"``."""

_LINEAR_PREFIX = "lin_"

_KEY = re.compile(r"^(?P<id>[^\[\]]+?)(?:\[(?P<conditions>[^\[\]]*)\])?$")


def path_of(agent: str, folder: Path | None = None) -> Path:
    """The file of ``agent``'s entries."""
    return (folder or HYPERPARAMS_DIR) / f"{agent}.yml"


@functools.cache
def _read_cached(path: Path, mtime: float) -> dict[str, dict[str, Any]]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML ({exc}); fix the file.") from exc
    if not isinstance(data, dict) or not all(isinstance(v, dict) for v in data.values()):
        raise ConfigError(
            f"{path}: expected a mapping of environment ids to mappings of hyperparameters."
        )
    for key in data:
        parse_key(str(key), path)
    return data


def read(agent: str, folder: Path | None = None) -> dict[str, dict[str, Any]]:
    """Every entry of ``agent``'s file (empty if there is none)."""
    path = path_of(agent, folder)
    if not path.is_file():
        return {}
    return _read_cached(path, path.stat().st_mtime)


def parse_key(key: str, where: Path | str = "") -> tuple[str, dict[str, str]]:
    """``"id[a=1,b=x]"`` -> ``("id", {"a": "1", "b": "x"})``.

    Raises:
        ConfigError: On a malformed key.
    """
    match = _KEY.match(key.strip())
    conditions: dict[str, str] = {}
    if match and match["conditions"]:
        for part in match["conditions"].split(","):
            name, sep, value = part.partition("=")
            if not sep or not name.strip():
                match = None
                break
            conditions[name.strip()] = value.strip()
    if not match:
        raise ConfigError(
            f"{where}: bad key {key!r}; write an env id, optionally with a variant "
            f"'id[field=value,...]' such as 'fieldgym/TrafficSignal-v1[backend=sumo]'."
        )
    return match["id"].strip(), conditions


def linear_text(start: float) -> str:
    """rl-zoo3's text of a linear schedule from ``start`` to 0 (:func:`linear_start` reads it)."""
    return f"{_LINEAR_PREFIX}{start}"


def linear_start(key: str, value: Any, where: str = "") -> float | None:
    """The start of ``value`` if it is rl-zoo3's linear schedule ``"lin_<start>"``, else ``None``.

    The schedule falls linearly from ``<start>`` to 0 over training (stable-baselines3's
    ``progress_remaining``, which fieldgym keeps as the share of the budget left, time or
    steps). Other text is left for the algorithm to judge.

    Raises:
        ConfigError: On ``"lin_..."`` whose start is not a positive number, or given for
            a key that takes no schedule.
    """
    if not (isinstance(value, str) and value.startswith(_LINEAR_PREFIX)):
        return None
    prefix = f"{where}: " if where else ""
    if key not in SCHEDULED_KEYS:
        raise ConfigError(
            f"{prefix}{key}={value!r}: only {', '.join(SCHEDULED_KEYS)} take a linear "
            f"schedule; give {key} a number."
        )
    try:
        start = float(value.removeprefix(_LINEAR_PREFIX))
    except ValueError:
        start = math.nan
    if not (math.isfinite(start) and start > 0):
        raise ConfigError(
            f"{prefix}{key}={value!r} is not a linear schedule; write 'lin_<start>' with a "
            f"positive start, such as 'lin_0.0003' (it falls to 0 by the end of training)."
        )
    return start


def variant_key(env_id: str, conditions: dict[str, Any] | None = None) -> str:
    """The file key of ``env_id`` under ``conditions`` (the plain id without any)."""
    if not conditions:
        return env_id
    inner = ",".join(f"{k}={_as_text(v)}" for k, v in sorted(conditions.items()))
    return f"{env_id}[{inner}]"


def _as_text(value: Any) -> str:
    """A keyword argument's value as a key condition compares it."""
    if isinstance(value, str):
        return value
    return yaml.safe_dump(value, default_flow_style=True).strip().removesuffix("...").strip()


def lookup(
    agent: str, env_id: str, env_kwargs: dict[str, Any], folder: Path | None = None
) -> tuple[str, dict[str, Any]] | None:
    """The most specific entry of ``agent``'s file for ``env_id`` made with ``env_kwargs``."""
    best: tuple[int, str, dict[str, Any]] | None = None
    for key, entry in read(agent, folder).items():
        key_id, conditions = parse_key(str(key))
        if key_id != env_id:
            continue
        if any(
            name not in env_kwargs or _as_text(env_kwargs[name]) != value
            for name, value in conditions.items()
        ):
            continue
        if best is None or len(conditions) > best[0]:
            best = (len(conditions), str(key), entry)
    return None if best is None else (best[1], dict(best[2]))


def agent_params(cls: type, entry: dict[str, Any], where: str = "") -> dict[str, Any]:
    """An entry as keyword arguments of the learner class ``cls``.

    ``n_envs`` goes to the constructor's ``n_envs`` (or ``n_copies``), ``normalize`` and
    ``policy`` to the parameters of those names where the class has them; the other keys
    (``n_timesteps`` excepted) form the ``hyperparams`` mapping.

    Raises:
        ConfigError: If a constructor key has no parameter to go to.
    """
    accepted = set(inspect.signature(cls).parameters)
    params: dict[str, Any] = {}
    hyperparams: dict[str, Any] = {}
    for key, value in entry.items():
        if key in FILE_ONLY_KEYS:
            continue
        if key == "n_envs":
            name = "n_envs" if "n_envs" in accepted else "n_copies"
            if name not in accepted:
                raise ConfigError(f"{where}: {cls.__name__} has no number of copies to set.")
            params[name] = int(value)
        elif key in ("normalize", "policy"):
            if key not in accepted:
                raise ConfigError(f"{where}: {cls.__name__} takes no {key!r}; drop it.")
            params[key] = value
        elif key == "policy_kwargs":
            hyperparams[key] = parse_policy_kwargs(value, where)
        else:
            hyperparams[key] = value
    if hyperparams:
        params["hyperparams"] = hyperparams
    return params


def merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """Agent parameters ``base`` with ``override`` on top; ``hyperparams`` merge key by key."""
    merged = {**base, **override}
    if "hyperparams" in base and "hyperparams" in override:
        merged["hyperparams"] = {**base["hyperparams"], **(override["hyperparams"] or {})}
    return merged


def json_params(params: dict[str, Any]) -> dict[str, Any]:
    """Agent parameters in JSON types: ``policy_kwargs`` as rl-zoo3's text (parsed, so checked).

    The form a scenario's trial keys store; :func:`live_params` is its inverse.
    """
    algo = params.get("hyperparams")
    if not (isinstance(algo, dict) and algo.get("policy_kwargs") is not None):
        return dict(params)
    parsed = parse_policy_kwargs(algo["policy_kwargs"], "policy_kwargs")
    return {**params, "hyperparams": {**algo, "policy_kwargs": policy_kwargs_text(parsed)}}


def live_params(params: dict[str, Any]) -> dict[str, Any]:
    """:func:`json_params`'s inverse: a ``policy_kwargs`` text becomes the mapping again."""
    algo = params.get("hyperparams")
    if not (isinstance(algo, dict) and isinstance(algo.get("policy_kwargs"), str)):
        return dict(params)
    parsed = parse_policy_kwargs(algo["policy_kwargs"], "policy_kwargs")
    return {**params, "hyperparams": {**algo, "policy_kwargs": parsed}}


def tuned_params(agent: str, cls: type, env_id: str, env_kwargs: dict[str, Any]) -> dict[str, Any]:
    """The shipped entry of ``agent`` for the environment, as ``cls``'s keyword arguments."""
    found = lookup(agent, env_id, env_kwargs)
    if found is None:
        return {}
    key, entry = found
    return agent_params(cls, entry, where=f"{path_of(agent)} [{key}]")


def parse_policy_kwargs(value: Any, where: str = "") -> dict[str, Any]:
    """``policy_kwargs`` from a mapping or rl-zoo3's ``"dict(...)"`` string, without eval.

    Raises:
        ConfigError: On anything but ``dict(...)`` of literals and :data:`ACTIVATIONS`.
    """
    if isinstance(value, dict):
        return {k: _activation(v, where) if k == "activation_fn" else v for k, v in value.items()}
    if not isinstance(value, str):
        raise ConfigError(f"{where}: policy_kwargs must be a mapping or a 'dict(...)' string.")
    try:
        tree = ast.parse(value.strip(), mode="eval").body
    except SyntaxError as exc:
        raise ConfigError(f"{where}: policy_kwargs {value!r} is not 'dict(...)': {exc}") from exc
    return _dict_call(tree, value, where)


def _dict_call(node: ast.AST, text: str, where: str) -> dict[str, Any]:
    if not (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "dict"
        and not node.args
    ):
        raise ConfigError(
            f"{where}: policy_kwargs {text!r}: only dict(name=value, ...) is read; "
            f"values are literals, dict(...) or nn.<{'|'.join(ACTIVATIONS)}>."
        )
    out: dict[str, Any] = {}
    for keyword in node.keywords:
        value = keyword.value
        if isinstance(value, ast.Call):
            out[str(keyword.arg)] = _dict_call(value, text, where)
        elif isinstance(value, ast.Attribute):
            out[str(keyword.arg)] = _activation(ast.unparse(value), where)
        else:
            try:
                out[str(keyword.arg)] = ast.literal_eval(value)
            except ValueError as exc:
                raise ConfigError(
                    f"{where}: policy_kwargs {text!r}: {ast.unparse(value)!r} is not a literal."
                ) from exc
    return out


def _activation(name: Any, where: str) -> Any:
    """``"nn.ReLU"`` (or ``"ReLU"``) -> ``torch.nn.ReLU``, for :data:`ACTIVATIONS` only."""
    if not isinstance(name, str):
        return name
    short = name.removeprefix("nn.").removeprefix("torch.nn.")
    if short not in ACTIVATIONS:
        raise ConfigError(
            f"{where}: activation_fn {name!r} is not one of nn.{', nn.'.join(ACTIVATIONS)}."
        )
    from torch import nn

    return getattr(nn, short)


def policy_kwargs_text(policy_kwargs: dict[str, Any]) -> str:
    """``policy_kwargs`` as rl-zoo3's string (activations as ``nn.Name``)."""

    def text(value: Any) -> str:
        if isinstance(value, dict):
            return "dict(" + ", ".join(f"{k}={text(v)}" for k, v in value.items()) + ")"
        if isinstance(value, type):
            return f"nn.{value.__name__}"
        return repr(value)

    return text(policy_kwargs)


def write_entry(
    agent: str,
    key: str,
    entry: dict[str, Any],
    provenance: str,
    folder: Path | None = None,
) -> Path:
    """Put ``entry`` under ``key`` in ``agent``'s file, with ``provenance`` as its comment.

    Other entries, and the comment lines just above each, are kept as written; the file
    is replaced atomically (two concurrent writers cannot clobber each other's
    temporary file; the last to finish wins).
    """
    parse_key(key)
    path = path_of(agent, folder)
    path.parent.mkdir(parents=True, exist_ok=True)
    blocks = _blocks(path.read_text(encoding="utf-8") if path.is_file() else "")
    body = dict(entry)
    if isinstance(body.get("policy_kwargs"), dict):
        body["policy_kwargs"] = policy_kwargs_text(body["policy_kwargs"])
    comment = "".join(f"# {line}\n" for line in provenance.strip().splitlines())
    text = comment + yaml.safe_dump(
        {key: body}, sort_keys=False, default_flow_style=False, width=1000
    )
    blocks[key] = text
    header = blocks.pop("", "")
    out = header + "\n".join(v.rstrip("\n") + "\n" for v in blocks.values())
    with atomic_path(path) as tmp:
        tmp.write_text(out, encoding="utf-8")
    return path


def _blocks(text: str) -> dict[str, str]:
    """A hyperparameter file cut into its entries, each with the comment lines just above it.

    The key ``""`` holds the rest: comments followed by a blank line (the file's header).
    """
    blocks: dict[str, str] = {}
    pending = ""
    current: str | None = None
    for line in text.splitlines(keepends=True):
        if line.startswith("#"):
            pending += line
        elif not line.strip():
            owner = current if current is not None else ""
            blocks[owner] = blocks.get(owner, "") + pending + ("\n" if owner == "" else "")
            pending, current = "", None
        elif line[0] in " \t" and current is not None:
            blocks[current] += line
        else:
            current = str(yaml.safe_load(line.split(":", 1)[0].strip() or "''"))
            blocks[current] = pending + line
            pending = ""
    if pending:
        blocks[""] = blocks.get("", "") + pending
    return blocks
