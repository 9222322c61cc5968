"""Claims: which run of a run folder is running which trial, so that runs share the work.

Two ``fieldgym compare`` of one run folder (two terminals, or two machines on a shared
disk) would otherwise each run every unfinished trial. Before a runner starts a trial, it
claims it: it creates ``claims/<trial_id>.claim`` with ``O_CREAT | O_EXCL``, which of
several runners exactly one succeeds in, and writes its pid, host and a token of its own
into it. It deletes the claim once the trial's result is stored or its failure recorded.
Another runner skips a trial claimed by a live run, and takes it over if that run stops
without finishing it.

A claim is live while its runner refreshes it (:class:`Claims` touches its claims every
:data:`HEARTBEAT` seconds) and, on the runner's own host, while its pid is alive. So a
claim of a run killed on this host (``kill -9``, a crash) is taken over at once, and one
of another host, or of a pid since reused, once it is :data:`STALE` seconds old. Taking
over is exclusive too: the runner first creates ``claims/<trial_id>.claim.takeover``
with ``O_EXCL``, checks under it that the claim is still dead, and only then replaces it.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import json
import os
import platform
import threading
import time
import uuid
from pathlib import Path
from typing import Any

from fieldgym.scenarios.run import store

HEARTBEAT = 10.0
"""Seconds between the refreshes of a runner's claims."""
STALE = 120.0
"""A claim not refreshed for this many seconds is dead, whoever made it."""
HOST = platform.node()
_SUFFIX = ".claim"
_TAKEOVER = ".takeover"

_HELD: set[str] = set()
"""The tokens of the :class:`Claims` open in this process (runs in threads share a pid)."""


@dataclasses.dataclass(frozen=True)
class Holder:
    """The run holding a claim, as its claim file says."""

    pid: int
    host: str
    token: str
    since: str = ""

    def describe(self) -> str:
        """``pid 4242 on node-1``."""
        return f"pid {self.pid} on {self.host}"


class Claims:
    """One runner's claims on a run folder; as a context manager, it refreshes and releases them.

    Use :meth:`acquire` before starting a trial and :meth:`release` once it is stored;
    leaving the ``with`` block releases what is still held (an interrupted run).
    """

    def __init__(self, run_dir: str | Path) -> None:
        self.run_dir = Path(run_dir)
        self.token = uuid.uuid4().hex
        self.held: dict[str, Path] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name="fieldgym-claims", daemon=True)

    def __enter__(self) -> Claims:
        (self.run_dir / store.CLAIMS).mkdir(parents=True, exist_ok=True)
        _HELD.add(self.token)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        for trial_id in list(self.held):
            self.release(trial_id)
        _HELD.discard(self.token)

    def acquire(self, trial_id: str) -> bool:
        """Claim ``trial_id`` for this run; ``False`` if a live run holds it."""
        path = claim_path(self.run_dir, trial_id)
        for _ in range(3):  # the holder may release it between our attempts
            if self._create(path):
                break
            holder = read_holder(path)
            if is_live(path, holder):
                return False
            if path.exists():
                if not self._take_over(path):
                    return False
                break
        else:
            return False
        with self._lock:
            self.held[trial_id] = path
        return True

    def release(self, trial_id: str) -> None:
        """Delete this run's claim of ``trial_id`` (left alone if another run took it over)."""
        with self._lock:
            path = self.held.pop(trial_id, None)
        if path is not None and getattr(read_holder(path), "token", None) == self.token:
            path.unlink(missing_ok=True)

    def _create(self, path: Path) -> bool:
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            return False
        holder = {
            "pid": os.getpid(),
            "host": HOST,
            "token": self.token,
            "since": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        }
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(holder, handle)
        return True

    def _take_over(self, path: Path) -> bool:
        """Replace the dead claim at ``path`` with ours, unless another run is doing it."""
        lock = path.with_name(path.name + _TAKEOVER)
        try:
            os.close(os.open(lock, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644))
        except FileExistsError:
            if _age(lock) > STALE:  # left by a run killed while taking over
                lock.unlink(missing_ok=True)
            return False
        try:
            if is_live(path, read_holder(path)):  # another run took it over first
                return False
            path.unlink(missing_ok=True)
            return self._create(path)
        finally:
            lock.unlink(missing_ok=True)

    def _beat(self) -> None:
        while not self._stop.wait(HEARTBEAT):
            with self._lock:
                paths = list(self.held.values())
            for path in paths:
                with contextlib.suppress(FileNotFoundError):
                    os.utime(path)


def claim_path(run_dir: str | Path, trial_id: str) -> Path:
    """Where the claim of ``trial_id`` is."""
    return store.inside(Path(run_dir) / store.CLAIMS, f"{trial_id}{_SUFFIX}")


def read_holder(path: Path) -> Holder | None:
    """The holder a claim file names; ``None`` if it is gone, or not written yet or whole."""
    try:
        data: Any = json.loads(path.read_text(encoding="utf-8"))
        return Holder(int(data["pid"]), str(data["host"]), str(data["token"]), str(data["since"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def is_live(path: Path, holder: Holder | None) -> bool:
    """Whether the claim at ``path`` belongs to a run still running (see the module docstring)."""
    age = _age(path)
    if age is None:
        return False
    if holder is None:  # being written (or its writer died before writing: STALE ends it)
        return age < STALE
    if holder.token in _HELD:
        return True
    if age >= STALE:
        return False
    if holder.host != HOST:
        return True
    return holder.pid != os.getpid() and pid_alive(holder.pid)


def live_claims(run_dir: str | Path) -> dict[str, Holder]:
    """The trials of ``run_dir`` that a live run holds, with their holders."""
    out = {}
    for path in (Path(run_dir) / store.CLAIMS).glob(f"*{_SUFFIX}"):
        holder = read_holder(path)
        if holder is not None and is_live(path, holder):
            out[path.name[: -len(_SUFFIX)]] = holder
    return out


def pid_alive(pid: int) -> bool:
    """Whether a process ``pid`` runs on this host (assumed so where this cannot be asked)."""
    if pid <= 0:
        return False
    if os.name != "posix":  # os.kill(pid, 0) would end it on Windows: the heartbeat decides
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, another user's
        return True
    return True


def _age(path: Path) -> float | None:
    try:
        return time.time() - path.stat().st_mtime
    except FileNotFoundError:
        return None
