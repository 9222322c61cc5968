"""The runner: expand a plan into trials and run the unfinished ones in a process pool.

Each trial runs in a worker (a local process, or a Ray task, see
:mod:`fieldgym.scenarios.run.backends`): make the agent, fit it if it learns (TensorBoard logs
in the run folder, checkpoint evaluations on the way), save the trained model and
evaluate it on the plan's evaluation seeds. The runner then writes the trial's result
file atomically (see :mod:`fieldgym.scenarios.run.store`).
A trial whose result file exists with the same key is never run again, so rerunning a
scenario after a crash or a ``kill -9`` resumes where it stopped. Runs of one run folder
at once share its trials: each claims a trial before starting it and skips the ones
another live run has claimed, waiting for them at the end (and running those it leaves
unfinished), so every trial runs once (:mod:`fieldgym.scenarios.run.claims`).

A run folder the runner creates holds the marker :data:`~fieldgym.scenarios.run.store.MARKER`;
``fresh`` deletes only in a marked folder, and only what fieldgym writes there
(:func:`clear_run`).

While a learner trains, its worker keeps ``progress/<trial_id>.json`` in the run folder
up to date (steps and training seconds, twice a second); the parent reads these files
every second to show each running trial's steps, rate and time left on the progress
bar (:class:`ProgressMonitor`).

Workers are started with the ``spawn`` method (no state inherited from the parent) and
limit torch to one thread each, so ``workers`` processes use about ``workers`` cores.
If the parent is killed, each worker notices within half a second and exits, dropping
its unfinished trial (which reruns next time).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import os
import platform
import shutil
import sys
import threading
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from fieldgym.envs.core.errors import ConfigError, DataError, FieldgymError
from fieldgym.scenarios.plan.spec import Plan
from fieldgym.scenarios.plan.trials import Trial, expand
from fieldgym.scenarios.report.domains import domain_view
from fieldgym.scenarios.run import backends, claims, store

MODEL_CARD = "fieldgym_model.json"
"""File written next to a saved model: the agent, environment and budget it was trained with."""


class TrialsFailed(FieldgymError):
    """Some trials of a run raised; their tracebacks are in the run folder's ``errors/``."""


@dataclasses.dataclass
class RunSummary:
    """What :func:`run_plan` did.

    ``skipped`` counts the trials it did not run because they were finished: before it
    started, or meanwhile by another run of the folder (those are also in ``elsewhere``).
    """

    run_dir: Path
    total: int
    skipped: int
    ran: list[str]
    failed: dict[str, str]
    seconds: float
    elsewhere: list[str] = dataclasses.field(default_factory=list)


def machine() -> dict[str, Any]:
    """The machine a trial ran on, as reports show it."""
    return {
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpu_count": os.cpu_count(),
        "python": platform.python_version(),
        "hostname": platform.node(),
    }


def run_plan(
    plan: Plan,
    run_dir: str | Path,
    workers: int | None = None,
    fresh: bool = False,
    progress: bool = True,
    log: Callable[[str], None] | None = None,
    backend: str = "local",
    address: str | None = None,
) -> RunSummary:
    """Run every unfinished trial of ``plan``, writing results into ``run_dir``.

    Args:
        plan: A checked scenario.
        run_dir: The run folder (created if needed).
        workers: Trials at once; default: the plan's ``workers`` (local), as many as the
            cluster schedules (Ray).
        fresh: Delete the run folder's previous results first (see :func:`clear_run`).
        progress: Show a progress bar over trials (on stderr).
        log: Where to write one-line status messages (default: stderr).
        backend: ``"local"`` (a process pool) or ``"ray"``; see
            :mod:`fieldgym.scenarios.run.backends`.
        address: The Ray cluster's address (``"auto"``, ``"HOST:PORT"``); ``None`` starts
            a local Ray instance for the run.

    Returns:
        A summary of the trials run, skipped and failed.

    Raises:
        TrialsFailed: If any trial raised; the others still ran and are stored.
        ConfigError: If ``run_dir`` holds files but is not a run folder, or ``fresh``
            would delete in a folder fieldgym did not mark (see :func:`clear_run`).
    """
    log = log or (lambda message: print(message, file=sys.stderr))
    start = time.perf_counter()
    run_dir = Path(run_dir)
    trials = expand(plan)  # refuses trials sharing an id before touching anything
    if fresh:
        clear_run(run_dir)
    open_run(run_dir, plan)
    (run_dir / store.TRIALS).mkdir(parents=True, exist_ok=True)
    store.remove_stale_temporaries(run_dir / store.TRIALS)
    _remove_stale_progress(run_dir)
    store.write_plan(run_dir, plan)

    done = store.finished_trials(run_dir)
    pending = [t for t in trials if done.get(t.trial_id) != t.key()]
    stale = sum(1 for t in pending if t.trial_id in done)
    if backend == "local" or workers is not None:
        workers = max(1, min(workers or plan.workers, len(pending) or 1))
    where = f"{workers} worker(s)" if workers else "the cluster"
    note = f" ({stale} changed since they ran)" if stale else ""
    others = claims.live_claims(run_dir)
    shared = sum(1 for t in pending if t.trial_id in others)
    if shared:
        holders = ", ".join(sorted({h.describe() for h in others.values()}))
        note += f" ({shared} being run by another run of this folder: {holders})"
    log(
        f"{plan.name}: {len(trials)} trials, {len(trials) - len(pending)} already finished, "
        f"running {len(pending)}{note} on {where} ({backend}); results in {run_dir}"
    )
    ran: list[str] = []
    failed: dict[str, str] = {}
    elsewhere: list[str] = []
    if pending:
        with (
            claims.Claims(run_dir) as held,
            tqdm(total=len(pending), desc=plan.name, unit="trial", disable=not progress) as bar,
            ProgressMonitor(
                run_dir,
                pending,
                bar,
                workers or 1,
                envs=len(plan.envs) > 1,
                active=progress and backend == "local",
            ) as monitor,
        ):

            def finished_elsewhere(trial: Trial) -> None:
                elsewhere.append(trial.trial_id)
                monitor.finished(trial)
                bar.update()

            queue = ClaimedTrials(run_dir, pending, held, finished_elsewhere, log)
            outcomes = backends.execute(
                backend, queue, run_dir, execute_trial, workers, address, init=_init_worker
            )
            for trial, outcome in outcomes:
                store.progress_path(run_dir, trial.trial_id).unlink(missing_ok=True)
                monitor.finished(trial)
                if isinstance(outcome, BaseException):
                    failed[trial.trial_id] = _record_failure(run_dir, trial, outcome)
                else:
                    store_record(run_dir, outcome)
                    ran.append(trial.trial_id)
                    store.error_path(run_dir, trial.trial_id).unlink(missing_ok=True)
                held.release(trial.trial_id)
                bar.update()
    summary = RunSummary(
        run_dir,
        len(trials),
        len(trials) - len(ran) - len(failed),
        ran,
        failed,
        time.perf_counter() - start,
        elsewhere,
    )
    if failed:
        first = next(iter(failed.items()))
        raise TrialsFailed(
            f"{len(failed)} of {len(pending)} trials failed "
            f"(tracebacks in {run_dir / store.ERRORS}); "
            f"first: {first[0]}: {first[1]}"
        )
    return summary


def open_run(run_dir: Path, plan: Plan) -> None:
    """Make ``run_dir`` a run folder: a new or empty one is created and marked.

    A folder holding files is used only if it is a run folder: marked, or made by an
    older fieldgym (it holds a ``plan.json`` or ``trials/``; such a folder is resumed,
    never marked, so ``fresh`` keeps refusing it).

    Raises:
        ConfigError: If ``run_dir`` is a file, or a folder of other files.
    """
    if run_dir.exists() and not run_dir.is_dir():
        raise ConfigError(f"{run_dir} is a file, not a run folder; pass --runs with a folder.")
    if not run_dir.exists() or not any(run_dir.iterdir()):
        run_dir.mkdir(parents=True, exist_ok=True)
        store.mark_run(run_dir, plan)
    elif not (store.is_marked(run_dir) or _made_before_marker(run_dir)):
        raise ConfigError(
            f"{run_dir} holds files but is not a run folder (no {store.MARKER} marker); "
            "fieldgym does not write its trials among other files. Pass --runs with a new "
            "or empty folder."
        )


def clear_run(run_dir: Path) -> None:
    """Delete a run folder's results, for ``fresh``: only what fieldgym writes there.

    That is the folders of :data:`~fieldgym.scenarios.run.store.KINDS` and ``plan.json``,
    in a folder holding the marker (one the runner made); anything else in the folder
    stays. A new or empty folder has nothing to delete.

    Raises:
        ConfigError: If the folder holds no marker (fieldgym did not make it, or an older
            fieldgym did: delete it by hand, or pass a new ``--runs`` folder), or another
            run is running trials in it.
    """
    if not run_dir.exists() or (run_dir.is_dir() and not any(run_dir.iterdir())):
        return
    if not store.is_marked(run_dir):
        if run_dir.is_dir() and _made_before_marker(run_dir):
            raise ConfigError(
                f"{run_dir} was made by an older fieldgym, without the {store.MARKER} marker "
                "that --fresh needs before it deletes anything; delete the folder by hand, "
                "or pass --runs with a new folder."
            )
        raise ConfigError(
            f"{run_dir} is not a run folder (no {store.MARKER} marker: fieldgym did not make "
            "it); refusing to delete anything in it for --fresh. Pass --runs with a new or "
            "empty folder."
        )
    running = claims.live_claims(run_dir)
    if running:
        holders = ", ".join(sorted({h.describe() for h in running.values()}))
        raise ConfigError(
            f"{run_dir}: another run ({holders}) is running {len(running)} trial(s) in it; "
            "let it finish, or stop it, before --fresh."
        )
    for name in store.KINDS:
        shutil.rmtree(run_dir / name, ignore_errors=True)
    (run_dir / store.PLAN).unlink(missing_ok=True)


def _made_before_marker(run_dir: Path) -> bool:
    """Whether ``run_dir`` is a run folder of a fieldgym that did not mark them."""
    return (run_dir / store.PLAN).is_file() or (run_dir / store.TRIALS).is_dir()


def _remove_stale_progress(run_dir: Path) -> None:
    """Delete progress files left by killed runs (a live run's trials keep theirs)."""
    live = claims.live_claims(run_dir)
    for path in (run_dir / store.PROGRESS).glob("*.json"):
        if path.stem not in live:
            path.unlink(missing_ok=True)
    store.remove_stale_temporaries(run_dir / store.PROGRESS)


class ClaimedTrials:
    """The run's unfinished trials as a :class:`~fieldgym.scenarios.run.backends.Source`.

    :meth:`take` hands out the first trial this run could claim, in plan order; trials
    another live run holds wait for their claim to end. A trial whose result turns out
    to be stored once it is claimed (another run finished it) is reported to
    ``finished_elsewhere`` instead of being run; one another run left unfinished (it
    failed or was killed) runs here.
    """

    def __init__(
        self,
        run_dir: Path,
        trials: list[Trial],
        held: claims.Claims,
        finished_elsewhere: Callable[[Trial], None],
        log: Callable[[str], None],
    ) -> None:
        self.run_dir = run_dir
        self.waiting = list(trials)
        self.held = held
        self.finished_elsewhere = finished_elsewhere
        self.log = log
        self.told = False

    def take(self) -> Trial | None:
        """The next trial to run here (claimed), or ``None`` while the rest are held elsewhere."""
        for trial in list(self.waiting):
            if not self.held.acquire(trial.trial_id):
                continue
            self.waiting.remove(trial)
            if store.finished_key(self.run_dir, trial.trial_id) == trial.key():
                self.held.release(trial.trial_id)
                self.finished_elsewhere(trial)
                continue
            return trial
        if self.waiting and not self.told:
            self.told = True
            self.log(
                f"waiting for {len(self.waiting)} trial(s) another run of {self.run_dir} is "
                "running; any it leaves unfinished run here."
            )
        return None

    def exhausted(self) -> bool:
        """Whether every trial was handed out or finished elsewhere."""
        return not self.waiting


class ProgressMonitor:
    """Shows the running trials' progress files on the run's bar, polled every second.

    The postfix names each running learner with its steps, rate and time left, then a
    rough time left for the whole run: the training left of the running and pending
    trials, spread over the workers. A trial's rate is measured between two reads (its
    first seconds include building the model), a pending trial's is that of its
    environment and agent's other trials; evaluations and trials of a rate not yet
    seen are not counted (the ETA is then shown as a lower bound, ``≥``). Only the
    local backend's workers write where the parent reads: a Ray task runs in a scratch
    folder on its node, so a Ray run's bar only counts finished trials (``active=False``).
    """

    POLL_SECONDS = 1.0

    def __init__(
        self,
        run_dir: Path,
        trials: list[Trial],
        bar: Any,
        workers: int,
        envs: bool,
        active: bool = True,
    ) -> None:
        self.run_dir = run_dir
        self.trials = [t for t in trials if t.learns]
        self.bar = bar
        self.workers = workers
        self.active = active
        self.envs = envs
        """Whether to name the environment of each trial (the plan has several)."""
        self.last: dict[str, tuple[int, float]] = {}
        """Trial id -> its steps and training seconds at the last read."""
        self.rates: dict[str, float] = {}
        """Trial id -> its steps per training second between its last two reads."""
        self.done: set[str] = set()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, name="fieldgym-progress", daemon=True)

    def __enter__(self) -> ProgressMonitor:
        if self.active and self.trials:
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()
            self.bar.set_postfix_str("")

    def finished(self, trial: Trial) -> None:
        """Count ``trial`` as done."""
        self.done.add(trial.trial_id)

    def _poll(self) -> None:
        while not self._stop.wait(self.POLL_SECONDS):
            self.bar.set_postfix_str(self.describe())

    def describe(self) -> str:
        """``dqn s1 45,000/100,000 steps 12,300/s ETA 0:04 | run ETA ~2:10``."""
        parts, left, unknown = [], 0.0, False
        for trial in [t for t in self.trials if t.trial_id not in self.done]:
            done = self._read(trial)
            if done is not None:
                steps, seconds = done
                before = self.last.get(trial.trial_id)
                if before is not None and seconds > before[1] and steps > before[0]:
                    self.rates[trial.trial_id] = (steps - before[0]) / (seconds - before[1])
                self.last[trial.trial_id] = done
                parts.append(self._running(trial, steps, seconds))
            remaining = self._seconds_left(trial, done)
            unknown |= remaining is None
            left += remaining or 0.0
        eta = f"{'≥' if unknown else '~'}{tqdm.format_interval(left / self.workers)}"
        return " | ".join([*parts, f"run ETA {eta}"])

    def _read(self, trial: Trial) -> tuple[int, float] | None:
        try:
            data = store.read_json(store.progress_path(self.run_dir, trial.trial_id))
            return int(data["steps"]), float(data["seconds"])
        except (DataError, KeyError, TypeError, ValueError):
            return None

    def _running(self, trial: Trial, steps: int, seconds: float) -> str:
        name = f"{trial.env}/{trial.agent}" if self.envs else trial.agent
        rate = self.rates.get(trial.trial_id)
        if trial.train_seconds:
            done = f"{steps:,} steps {seconds:.0f}/{trial.train_seconds:g} s"
        else:
            done = f"{steps:,}/{trial.train_steps:,} steps"
        speed = f" {rate:,.0f}/s" if rate else ""
        left = self._seconds_left(trial, (steps, seconds))
        eta = f" ETA {tqdm.format_interval(left)}" if left is not None else ""
        return f"{name} s{trial.seed} {done}{speed}{eta}"

    def _seconds_left(self, trial: Trial, done: tuple[int, float] | None) -> float | None:
        """Training seconds ``trial`` has left, ``None`` while its rate is unknown."""
        steps, seconds = done or (0, 0.0)
        if trial.train_seconds:
            return max(0.0, trial.train_seconds - seconds)
        rate = self._rate(trial)
        return max(0.0, (trial.train_steps - steps) / rate) if rate else None

    def _rate(self, trial: Trial) -> float | None:
        """``trial``'s rate, else the mean of its environment and agent's other trials'."""
        if trial.trial_id in self.rates:
            return self.rates[trial.trial_id]
        same = [
            self.rates[t.trial_id]
            for t in self.trials
            if (t.env, t.agent) == (trial.env, trial.agent) and t.trial_id in self.rates
        ]
        return sum(same) / len(same) if same else None


def _record_failure(run_dir: Path, trial: Trial, exc: BaseException) -> str:
    store.write_text_atomic(
        store.error_path(run_dir, trial.trial_id), "".join(traceback.format_exception(exc))
    )
    return " ".join(f"{type(exc).__name__}: {exc}".split())


def _init_worker(parent: int) -> None:
    """Keep each worker on one core, and make it exit when the parent process is gone.

    torch would otherwise use every core in each worker. A pool's workers wait on a
    queue that never closes when the parent is killed (``kill -9``), so a watcher thread
    ends the worker instead, even mid-trial (an unfinished trial has no result file, and
    reruns).
    """
    import torch

    torch.set_num_threads(1)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, name="fieldgym-parent-watch", daemon=True).start()


def run_trial(trial: Trial, run_dir: str | Path) -> dict[str, Any]:
    """Run one trial and store its result; returns the stored record."""
    record = execute_trial(trial, run_dir)
    store_record(run_dir, record)
    return record


def store_record(run_dir: str | Path, record: dict[str, Any]) -> None:
    """Write a trial's record as ``trials/<trial_id>.json`` (atomically), marking it finished."""
    store.write_json_atomic(store.trial_path(run_dir, record["trial_id"]), record)


def execute_trial(trial: Trial, run_dir: str | Path) -> dict[str, Any]:
    """Run one trial and return its record, without storing it.

    Fits the agent if it learns, saves the model under ``models/<trial_id>/`` (with a
    :data:`MODEL_CARD`) and its TensorBoard logs under ``tensorboard/<trial_id>/``, and
    evaluates it. The caller stores the record (:func:`store_record`), which marks the
    trial finished.
    """
    from fieldgym.agents.evaluation import declared_metrics
    from fieldgym.agents.target import make_target
    from fieldgym.agents.training import Budget

    run_dir = Path(run_dir)
    start = time.perf_counter()
    target = make_target(trial.env_id, trial.env_kwargs)
    policy = trial_agent(trial, target)
    fit_seconds, model, log_dir = 0.0, None, None
    if policy.learns and (trial.train_steps or trial.train_seconds):
        log_dir = store.log_path(run_dir, trial.trial_id)
        shutil.rmtree(log_dir, ignore_errors=True)
        progress = store.progress_path(run_dir, trial.trial_id)
        budget = Budget(
            steps=trial.train_steps or None,
            seconds=trial.train_seconds,
            checkpoints=trial.checkpoints,
            evaluate=functools.partial(checkpoint_score, trial=trial),
            on_progress=functools.partial(write_progress, progress),
        )
        try:
            policy.fit(budget, seed=int(trial.seed or 0), log_dir=log_dir, progress=False)
        finally:
            progress.unlink(missing_ok=True)
        fit_seconds = time.perf_counter() - start
        model = store.model_path(run_dir, trial.trial_id)
        save_model(policy, model, card=model_card(trial))
    checkpoint_metric = None
    if policy.learns and trial.checkpoints:
        declared = declared_metrics(trial.env_id)
        checkpoint_metric = {
            "name": declared.headline,
            "lower_is_better": declared.headline_lower_is_better,
        }
    evaluated = time.perf_counter()
    table, episodes = evaluate_trial(policy, trial)
    validation = validate_trial(policy, trial)
    table = table.drop(columns=["agent", "env_id"]).rename(columns={"seed": "eval_seed"})
    record = {
        "format": store.FORMAT,
        "trial_id": trial.trial_id,
        "key": trial.key(),
        "episodes": table.to_dict("records"),
        **({"validation": validation} if validation is not None else {}),
        "curve": [{k: float(v) for k, v in row.items()} for row in policy.learning_curve],
        **({"checkpoint_metric": checkpoint_metric} if checkpoint_metric else {}),
        # single-agent only: a multi-agent episode records its KPIs without the rewards
        "trace": trace(episodes[0], target.domain) if target.kind == "single" else None,
        "wall_time": {
            "fit": fit_seconds,
            "evaluate": time.perf_counter() - evaluated,
            "total": time.perf_counter() - start,
        },
        "model": str(model.relative_to(run_dir)) if model else None,
        "log_dir": str(log_dir.relative_to(run_dir)) if log_dir else None,
        "finished_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "pid": os.getpid(),
    }
    return _plain(record)


def evaluate_trial(
    policy: Any, trial: Trial, seeds: tuple[int, ...] | None = None
) -> tuple[Any, list[Any]]:
    """The trial's evaluation table and its episodes, on ``seeds`` (default: the trial's)."""
    from fieldgym.agents.evaluation import evaluate

    seeds = trial.eval_seeds if seeds is None else seeds
    return evaluate(policy, seeds, max_steps=trial.max_steps, keep_episodes=True)


def checkpoint_score(policy: Any, trial: Trial) -> float:
    """A checkpoint's value: the domain's headline metric, its mean on the checkpoint seeds."""
    from fieldgym.agents.evaluation import declared_metrics

    table, _ = evaluate_trial(policy, trial, trial.checkpoint_seeds)
    return float(table[declared_metrics(trial.env_id).headline].mean())


def write_progress(path: Path, steps: int, seconds: float) -> None:
    """A running trial's ``Budget.on_progress``: its steps and training seconds, in ``path``."""
    store.write_json_atomic(path, {"steps": int(steps), "seconds": float(seconds)}, durable=False)


def trial_agent(trial: Trial, target: Any) -> Any:
    """The trial's agent on ``target``, made with the parameters the plan resolved."""
    from fieldgym.agents import hyperparams, make_agent

    return make_agent(
        trial.agent_name, target, tuned=False, **hyperparams.live_params(trial.params)
    )


def validate_trial(policy: Any, trial: Trial) -> list[dict[str, Any]] | None:
    """The trial's episodes on the extra evaluation its domain hook names, else ``None``.

    That is a walk-forward window's validation range (``Trial.validation_kwargs``, see
    :mod:`fieldgym.scenarios.plan.hooks`). A learner acts with its trained network on
    that environment; a baseline is made anew for it (it learns nothing, and reads only
    the prices up to each decision).
    """
    if trial.validation_kwargs is None:
        return None
    from fieldgym.agents import evaluate
    from fieldgym.agents.target import make_target

    target = make_target(trial.env_id, trial.validation_kwargs)
    if policy.learns:
        policy.target = target
    else:
        policy = trial_agent(trial, target)
    table = evaluate(policy, trial.eval_seeds, max_steps=trial.max_steps)
    return (
        table.drop(columns=["agent", "env_id"])
        .rename(columns={"seed": "eval_seed"})
        .to_dict("records")
    )


def trace(episode: Any, domain: str) -> dict[str, Any]:
    """The domain's per-step KPIs of one episode, for the report's per-step plots.

    Numbers as lists rounded to 4 decimals; text KPIs (the market envs' dates) as text.
    """
    kept = [name for name in domain_view(domain).trace_kpis if name in episode.kpis]
    kpis = {}
    for name in kept:
        values = np.asarray(episode.kpis[name])
        numeric = values.dtype.kind in "biuf"
        kpis[name] = np.round(values.astype(float), 4).tolist() if numeric else values.tolist()
    kpis["reward"] = np.round(np.asarray(episode.kpis["reward"], dtype=float), 4).tolist()
    return {"seed": episode.seed, "kpis": kpis}


def model_card(trial: Trial) -> dict[str, Any]:
    """What a saved model was trained on, so ``fieldgym backtest --model`` can rebuild it."""
    return {
        "agent": trial.agent_name,
        "params": trial.params,
        "env_id": trial.env_id,
        "env_kwargs": trial.env_kwargs,
        "train_steps": trial.train_steps,
        **({"train_seconds": trial.train_seconds} if trial.train_seconds else {}),
        "seed": trial.seed,
    }


def save_model(policy: Any, folder: Path, card: dict[str, Any]) -> None:
    """Save ``policy`` into ``folder`` with its model card, replacing any previous model whole.

    The model is written to a temporary sibling folder that is renamed into place, so a
    killed run never leaves a half-written model under the final name.
    """
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = folder.with_name(f".{folder.name}.{os.getpid()}.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    policy.save(tmp)
    store.write_json_atomic(tmp / MODEL_CARD, _plain(card))
    shutil.rmtree(folder, ignore_errors=True)
    os.replace(tmp, folder)


def _plain(value: Any) -> Any:
    """``value`` with numpy scalars and arrays as Python numbers and lists (for JSON)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    return value
