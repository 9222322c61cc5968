"""Where a run's trials execute: a local process pool (the default) or a Ray cluster.

A backend takes the pending trials and yields ``(trial, outcome)`` as each one finishes,
the outcome being the trial's record or the exception it raised. The runner stores every
record itself (one writer, one results store), so resuming works the same whichever
backend ran the trials. Trials are taken one at a time as workers free up, from a list or
from a :class:`Source` (the runner's, which hands out only the trials it could claim, so
that two runs of one folder share the work; see :mod:`fieldgym.scenarios.run.claims`).

* ``local``: ``workers`` spawned processes on this machine, torch on one thread each.
* ``ray``: one Ray task per trial (one CPU each) on the cluster at ``address``
  (``"auto"`` for the cluster this machine joined with ``ray start``, ``None`` for a
  local instance started for the run). A task runs its trial in a scratch folder on
  its node and returns the record with the trained model and TensorBoard logs packed
  in a tar archive, unpacked into the run folder here, so the nodes need no shared
  file system. Ray core only (not RLlib, which pins an old Gymnasium).
"""

from __future__ import annotations

import concurrent.futures as cf
import io
import multiprocessing
import os
import shutil
import tarfile
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from fieldgym.envs.core.errors import ConfigError
from fieldgym.envs.core.optional import require
from fieldgym.scenarios.plan.trials import Trial

BACKENDS = ("local", "ray")
"""The execution backends, by name."""

Outcome = dict[str, Any] | BaseException
Work = Callable[[Trial, str], dict[str, Any]]
"""A function that runs one trial with the given run folder and returns its record."""
POLL_SECONDS = 1.0
"""How often a backend asks its source again while none of its trials can start."""


@runtime_checkable
class Source(Protocol):
    """Trials handed out one at a time, when a worker is free to start one."""

    def take(self) -> Any | None:
        """The next trial to start now, or ``None`` if none can start yet."""

    def exhausted(self) -> bool:
        """Whether no trial is left to start, now or later."""


class _ListSource:
    """A :class:`Source` of a list: every item, in order."""

    def __init__(self, items: Sequence[Any]) -> None:
        self.items = list(items)

    def take(self) -> Any | None:
        return self.items.pop(0) if self.items else None

    def exhausted(self) -> bool:
        return not self.items


def as_source(trials: Sequence[Any] | Source) -> Source:
    """``trials`` as a :class:`Source` (a list is handed out in order)."""
    return trials if isinstance(trials, Source) else _ListSource(trials)


def execute(
    backend: str,
    trials: Sequence[Trial] | Source,
    run_dir: Path,
    work: Work,
    workers: int | None,
    address: str | None = None,
    init: Callable[..., None] | None = None,
) -> Iterator[tuple[Trial, Outcome]]:
    """Run ``trials`` with ``work`` on ``backend``, yielding each outcome as it finishes.

    Args:
        backend: One of :data:`BACKENDS`.
        trials: The trials to run, or a :class:`Source` of them.
        run_dir: The run folder (models and logs go under it).
        work: Runs one trial (must be importable by name, for the worker processes).
        workers: Trials run at once (local: processes; Ray: tasks in flight, ``None``
            for as many as the cluster schedules).
        address: Ray's cluster address (Ray only).
        init: A function run once in each local worker process, with the parent's pid.

    Raises:
        ConfigError: On an unknown backend, or an address given for the local one.
    """
    if backend == "local":
        if address is not None:
            raise ConfigError(
                f"--address {address} is for the Ray backend; add --backend ray to use it."
            )
        return local_pool(trials, run_dir, work, workers or 1, init)
    if backend == "ray":
        return ray_cluster(trials, run_dir, work, workers, address)
    raise ConfigError(f"Unknown backend {backend!r}; backends: {', '.join(BACKENDS)}.")


def local_pool(
    trials: Sequence[Trial] | Source,
    run_dir: Path,
    work: Work,
    workers: int,
    init: Callable[..., None] | None = None,
) -> Iterator[tuple[Trial, Outcome]]:
    """Run the trials in ``workers`` spawned processes (no state inherited from the parent).

    A trial is taken from the source only when a worker is free, so the trials this run
    claims are the ones it is running.
    """
    source = as_source(trials)
    context = multiprocessing.get_context("spawn")
    with cf.ProcessPoolExecutor(
        workers, mp_context=context, initializer=init, initargs=(os.getpid(),) if init else ()
    ) as pool:
        running: dict[cf.Future[Any], Trial] = {}

        def fill() -> None:
            while len(running) < workers and (trial := source.take()) is not None:
                running[pool.submit(work, trial, str(run_dir))] = trial

        try:
            fill()
            while running or not source.exhausted():
                if not running:  # what is left is not ours to start yet: ask again soon
                    time.sleep(POLL_SECONDS)
                    fill()
                    continue
                done, _ = cf.wait(running, timeout=POLL_SECONDS, return_when=cf.FIRST_COMPLETED)
                finished = [(future, running.pop(future)) for future in done]
                fill()  # before handing the outcomes over, so no worker idles meanwhile
                for future, trial in finished:
                    error = future.exception()
                    yield trial, error if error is not None else future.result()
        finally:  # also when the consumer stops early (Ctrl-C): drop the queued trials
            pool.shutdown(wait=False, cancel_futures=True)


def ray_cluster(
    trials: Sequence[Trial] | Source,
    run_dir: Path,
    work: Work,
    workers: int | None,
    address: str | None,
) -> Iterator[tuple[Trial, Outcome]]:
    """Run each trial as a one-CPU Ray task; model and logs come back packed with the record."""
    ray = require("ray", "ray", "to run scenarios on a Ray cluster (--backend ray)")
    started_here = not ray.is_initialized()
    if started_here:
        try:
            ray.init(address=address, include_dashboard=False, log_to_driver=False)
        except ConnectionError as exc:
            raise ConfigError(
                f"No Ray cluster at address {address!r} ({exc}). Start one with "
                "`ray start --head` (then --address auto), join nodes with "
                "`ray start --address=HEAD_IP:6379`, or omit --address for a local instance."
            ) from exc
    task = ray.remote(num_cpus=1, max_retries=0)(_ray_task)
    source = as_source(trials)
    limit = workers or float("inf")
    running: dict[Any, Trial] = {}
    try:
        while running or not source.exhausted():
            while len(running) < limit and (trial := source.take()) is not None:
                running[task.remote(work, trial)] = trial
            if not running:  # what is left is not ours to start yet: ask again soon
                time.sleep(POLL_SECONDS)
                continue
            ready, _ = ray.wait(list(running), num_returns=1, timeout=POLL_SECONDS)
            if not ready:
                continue
            ref = ready[0]
            trial = running.pop(ref)
            try:
                record, archive = ray.get(ref)
            except Exception as exc:  # the trial's own exception, wrapped by Ray
                yield trial, getattr(exc, "cause", None) or exc
                continue
            unpack(archive, run_dir)
            yield trial, record
    finally:
        for ref in running:
            ray.cancel(ref, force=True)
        if started_here:
            ray.shutdown()


def _ray_task(work: Work, trial: Trial) -> tuple[dict[str, Any], bytes]:
    """Run on a Ray worker: the trial in a scratch run folder, its files packed as a tar."""
    import torch

    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory(prefix="fieldgym-trial-") as scratch:
        record = work(trial, scratch)
        return record, pack(Path(scratch))


def pack(folder: Path) -> bytes:
    """A gzip tar of everything under ``folder`` (paths relative to it)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                tar.add(path, arcname=str(path.relative_to(folder)))
    return buffer.getvalue()


def unpack(archive: bytes, run_dir: Path) -> None:
    """Unpack a trial's files into ``run_dir``, replacing each top-level trial folder whole.

    Files go to a scratch folder first and each ``<kind>/<trial_id>`` folder is renamed
    into place, so a killed run never leaves a half-written model under its final name.
    """
    with tempfile.TemporaryDirectory(dir=run_dir, prefix=".unpack-") as scratch:
        with tarfile.open(fileobj=io.BytesIO(archive), mode="r:gz") as tar:
            tar.extractall(scratch, filter="data")
        for kind in Path(scratch).iterdir():
            for item in kind.iterdir():
                dest = run_dir / kind.name / item.name
                dest.parent.mkdir(parents=True, exist_ok=True)
                shutil.rmtree(dest, ignore_errors=True)
                os.replace(item, dest)
