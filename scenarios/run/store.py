"""The results store: one JSON file per finished trial, written atomically.

Layout of a run folder (default ``runs/<scenario name>/``)::

    plan.json                 the checked scenario (see :class:`~fieldgym.scenarios.plan.spec.Plan`)
    trials/<trial_id>.json    one finished trial (see :func:`trial_record` in the runner)
    models/<trial_id>/        a trained learner, loadable with ``fieldgym backtest --model``
    tensorboard/<trial_id>/   its training logs (``tensorboard --logdir runs/<name>/tensorboard``)
    errors/<trial_id>.txt     the traceback of a trial that failed (removed when it succeeds)
    progress/<trial_id>.json  a running learner's steps and training seconds (removed when
                              it finishes; see :class:`.runner.ProgressMonitor`)
    claims/<trial_id>.claim   the run running the trial now (see :mod:`.claims`)
    .fieldgym-run             the marker of a run folder fieldgym made (:data:`MARKER`)

A trial file exists only once the trial has finished: it is written to a temporary file
in a hidden folder next to it, flushed to disk and renamed over the final name
(:func:`atomic_path`), so a run killed at any moment leaves either the whole file or
none; no reader looks into the hidden folders. Metric values may be NaN (for example a
bullwhip ratio under constant demand); they are stored as JSON ``NaN``, which Python's
``json`` and pandas read back.

Every path under a run folder named after a trial is checked to stay inside its folder
(:func:`inside`), and ``--fresh`` deletes only the folders above, in a folder holding
the :data:`MARKER` (see :func:`fieldgym.scenarios.run.runner.clear_run`).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import time
from pathlib import Path
from typing import Any

import pandas as pd

from fieldgym.envs.core.errors import ConfigError, DataError
from fieldgym.envs.core.files import TMP_SUFFIX, atomic_path
from fieldgym.scenarios.plan.spec import Plan
from fieldgym.scenarios.plan.trials import expand

FORMAT = 1
"""Version of the trial file layout."""
PLAN = "plan.json"
TRIALS = "trials"
MODELS = "models"
TENSORBOARD = "tensorboard"
ERRORS = "errors"
PROGRESS = "progress"
CLAIMS = "claims"
MARKER = ".fieldgym-run"
"""The file marking a run folder made by fieldgym (``--fresh`` deletes only in such folders)."""
KINDS = (TRIALS, MODELS, TENSORBOARD, ERRORS, PROGRESS, CLAIMS)
"""The folders fieldgym writes in a run folder: all that ``--fresh`` deletes, with the plan."""
KEY_COLUMNS = ("trial_id", "env", "env_id", "agent", "agent_name", "train_seed")
"""Columns that identify a trial in :func:`load_results` and :func:`load_curves`."""


def write_json_atomic(path: str | Path, data: Any, durable: bool = True) -> None:
    """Write ``data`` as JSON to ``path`` with :func:`atomic_path`.

    ``durable=False`` skips the fsyncs, for files rewritten often that need not survive
    a power cut (progress).
    """
    with atomic_path(path, durable) as tmp, open(tmp, "w", encoding="utf-8") as handle:
        json.dump(data, handle, indent=1)


def write_text_atomic(path: str | Path, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` with :func:`atomic_path`."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def remove_stale_temporaries(folder: str | Path, older_than: float = 60.0) -> int:
    """Delete temporaries left by a killed writer (older than ``older_than`` seconds).

    Those of :func:`atomic_path` (hidden folders) and of older versions (hidden files).
    """
    count = 0
    now = time.time()
    for tmp in Path(folder).glob(f".*{TMP_SUFFIX}"):
        try:
            if now - tmp.stat().st_mtime > older_than:
                if tmp.is_dir() and not tmp.is_symlink():
                    shutil.rmtree(tmp)
                else:
                    tmp.unlink()
                count += 1
        except FileNotFoundError:
            pass
    return count


def inside(folder: str | Path, *parts: str) -> Path:
    """``folder`` joined with ``parts``, checked to stay inside ``folder``.

    Both are resolved (``..`` and symbolic links followed) and compared, so a name
    derived from a scenario can never write or delete outside the folder meant for it.

    Raises:
        ConfigError: If the path resolves to ``folder`` itself or outside it.
    """
    path = Path(folder).joinpath(*parts)
    base = Path(folder).resolve()
    resolved = path.resolve()
    if resolved == base or not resolved.is_relative_to(base):
        raise ConfigError(
            f"{path} is not inside {folder}; fieldgym writes only inside its run and report "
            "folders. Scenario names and labels must be plain folder names (no '.', '..', "
            "'/' or hidden names)."
        )
    return path


def trial_path(run_dir: str | Path, trial_id: str) -> Path:
    """Where the result of ``trial_id`` is stored."""
    return inside(Path(run_dir) / TRIALS, f"{trial_id}.json")


def progress_path(run_dir: str | Path, trial_id: str) -> Path:
    """Where a running trial reports its progress."""
    return inside(Path(run_dir) / PROGRESS, f"{trial_id}.json")


def model_path(run_dir: str | Path, trial_id: str) -> Path:
    """Where a trial's trained model is saved."""
    return inside(Path(run_dir) / MODELS, trial_id)


def log_path(run_dir: str | Path, trial_id: str) -> Path:
    """Where a trial's TensorBoard logs go."""
    return inside(Path(run_dir) / TENSORBOARD, trial_id)


def error_path(run_dir: str | Path, trial_id: str) -> Path:
    """Where the traceback of a failed trial is kept."""
    return inside(Path(run_dir) / ERRORS, f"{trial_id}.txt")


def default_run_dir(plan: Plan) -> Path:
    """The run folder when none is given: ``runs/<scenario name>/`` (checked to be inside)."""
    return inside("runs", plan.name)


def mark_run(run_dir: str | Path, plan: Plan) -> bool:
    """Mark ``run_dir`` (an existing, new or empty folder) as made by fieldgym.

    The marker is created exclusively (a second runner leaves the first one's). Returns
    whether this call created it.
    """
    path = Path(run_dir) / MARKER
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except FileExistsError:
        return False
    data = {
        "made_by": "fieldgym compare",
        "format": FORMAT,
        "scenario": plan.name,
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(data, handle, indent=1)
    return True


def is_marked(run_dir: str | Path) -> bool:
    """Whether fieldgym made ``run_dir`` (it holds the :data:`MARKER`)."""
    return (Path(run_dir) / MARKER).is_file()


def read_json(path: str | Path) -> Any:
    """Read a JSON file of the store.

    Raises:
        DataError: If the file is missing or not valid JSON (it names the file).
    """
    try:
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)
    except FileNotFoundError as exc:
        raise DataError(f"{path}: no such file.") from exc
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DataError(f"{path}: not a valid results file ({exc}).") from exc


def write_plan(run_dir: str | Path, plan: Plan) -> None:
    """Keep the plan in the run folder, for ``fieldgym report``."""
    write_json_atomic(Path(run_dir) / PLAN, plan.to_dict())


def read_plan(run_dir: str | Path) -> Plan:
    """The plan kept in a run folder.

    Raises:
        DataError: If ``run_dir`` is not a run folder written by ``fieldgym compare``.
    """
    path = Path(run_dir) / PLAN
    if not path.is_file():
        raise DataError(
            f"{run_dir} is not a run folder (no {PLAN}); "
            "run `fieldgym compare SCENARIO.yaml` first."
        )
    try:
        return Plan.from_dict(read_json(path))
    except (KeyError, TypeError) as exc:
        raise DataError(f"{path}: not a plan written by this version of fieldgym ({exc}).") from exc


def load_trials(run_dir: str | Path, current_only: bool = True) -> list[dict[str, Any]]:
    """The records of the finished trials, sorted by trial id.

    Args:
        run_dir: A run folder.
        current_only: Keep only the trials of the folder's current plan whose stored key
            matches (results of an older version of the scenario are left out). Without a
            plan in the folder every trial is kept.

    Raises:
        DataError: If a trial file cannot be read.
    """
    folder = Path(run_dir) / TRIALS
    records = [read_json(path) for path in sorted(folder.glob("*.json"))]
    if current_only and (Path(run_dir) / PLAN).is_file():
        keys = {t.trial_id: t.key() for t in expand(read_plan(run_dir))}
        records = [r for r in records if keys.get(r.get("trial_id")) == r.get("key")]
    return records


def finished_trials(run_dir: str | Path) -> dict[str, dict[str, Any]]:
    """Stored trial keys by trial id; unreadable files are left out (their trial reruns)."""
    out = {}
    for path in (Path(run_dir) / TRIALS).glob("*.json"):
        try:
            record = read_json(path)
            out[record["trial_id"]] = record["key"]
        except (DataError, KeyError, TypeError):
            continue
    return out


def finished_key(run_dir: str | Path, trial_id: str) -> dict[str, Any] | None:
    """The key stored for ``trial_id``; ``None`` if it has no readable result."""
    try:
        return read_json(trial_path(run_dir, trial_id))["key"]
    except (DataError, KeyError, TypeError):
        return None


def _trial_columns(record: dict[str, Any]) -> dict[str, Any]:
    key = record["key"]
    return {
        "trial_id": record["trial_id"],
        "env": key["env"],
        "env_id": key["env_id"],
        "agent": key["agent"],
        "agent_name": key["agent_name"],
        "train_seed": key["seed"],
    }


def results_table(records: list[dict[str, Any]]) -> pd.DataFrame:
    """The episode rows of trial records (see :func:`load_results`)."""
    rows = []
    for record in records:
        head = _trial_columns(record)
        rows.extend({**head, **episode} for episode in record["episodes"])
    table = pd.DataFrame(rows, columns=None if rows else [*KEY_COLUMNS, "eval_seed"])
    table["train_seed"] = table["train_seed"].astype("Int64")
    return table


def curves_table(records: list[dict[str, Any]], value: str = "episode_return") -> pd.DataFrame:
    """The learning-curve rows of trial records that hold ``value`` (see :func:`load_curves`).

    A learner's curve mixes two kinds of rows: training episodes (``episode_return``)
    and checkpoint evaluations (``eval``, the domain's headline metric).
    """
    rows = []
    for record in records:
        head = _trial_columns(record)
        points = (p for p in record.get("curve") or [] if value in p)
        rows.extend({**head, **point} for point in points)
    table = pd.DataFrame(rows, columns=None if rows else [*KEY_COLUMNS, "step", "seconds", value])
    table["train_seed"] = table["train_seed"].astype("Int64")
    return table


def load_results(run_dir: str | Path, current_only: bool = True) -> pd.DataFrame:
    """Every evaluated episode of a run: one row per trial and evaluation episode.

    Columns: ``trial_id``, ``env`` (label), ``env_id``, ``agent`` (label), ``agent_name``,
    ``train_seed`` (nullable: ``<NA>`` for baselines), ``eval_seed``, ``episode_return``,
    ``length``, then the domain's metrics. See :func:`load_trials` for ``current_only``.
    """
    return results_table(load_trials(run_dir, current_only))


def load_curves(
    run_dir: str | Path, current_only: bool = True, value: str = "episode_return"
) -> pd.DataFrame:
    """The learning curves of a run: one row per trial and training episode.

    Columns: the trial columns of :func:`load_results`, then ``step`` (environment steps
    so far), ``seconds`` (training wall time so far; absent in runs stored before it)
    and ``episode_return``, as the learner recorded them during ``fit``. With
    ``value="eval"``, the checkpoint evaluations instead (see :func:`curves_table`).
    """
    return curves_table(load_trials(run_dir, current_only), value)


def first_traces(records: list[dict[str, Any]], env: str, agents: list[str]) -> dict[str, Any]:
    """Each of ``agents``' trace on the environment labelled ``env``.

    The trace of the agent's trial with the lowest training seed (baselines, which have
    none, first); agents without a trace are left out.
    """
    traces: dict[str, Any] = {}
    ordered = sorted(
        (r for r in records if r["key"]["env"] == env),
        key=lambda r: (r["key"]["seed"] is not None, r["key"]["seed"] or 0),
    )
    for record in ordered:
        traces.setdefault(record["key"]["agent"], record.get("trace"))
    return {a: traces[a] for a in agents if traces.get(a)}
