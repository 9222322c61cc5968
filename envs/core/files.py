"""Writing files whole: a reader sees the old file or the new one, never a part.

The one atomic writer of fieldgym, used by run stores, reports and the tuned
hyperparameter files (it lives in the lowest layer so every layer can use it).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

TMP_SUFFIX = ".tmp"
"""The suffix of :func:`atomic_path`'s hidden scratch folders (stale ones can be swept)."""


@contextlib.contextmanager
def atomic_path(path: str | Path, durable: bool = True) -> Iterator[Path]:
    """A temporary path to write ``path`` at; when the block ends, it replaces ``path`` whole.

    Readers of ``path`` see the old file or the new one, never a part. The temporary file
    has ``path``'s name (writers that go by the extension, such as matplotlib's
    ``savefig``, see it) in a hidden folder next to ``path``, ``.<name>.<random>.tmp/``,
    so ``os.replace`` moves it within one file system, atomically (POSIX and Windows).
    ``durable`` fsyncs the file before the rename and the folder after, so the new file
    survives a power cut. If the block raises, ``path`` is left as it was.

    Example::

        with atomic_path(out / "results.csv") as tmp:
            table.to_csv(tmp, index=False)
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    scratch = tempfile.mkdtemp(dir=path.parent, prefix=f".{path.name}.", suffix=TMP_SUFFIX)
    tmp = Path(scratch) / path.name
    try:
        yield tmp
        if durable:
            _fsync(tmp, os.O_RDWR)
        os.replace(tmp, path)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    if durable:
        _fsync_dir(path.parent)


def _fsync_dir(folder: Path) -> None:
    if os.name == "posix":
        _fsync(folder, os.O_RDONLY)


def _fsync(path: Path, flags: int) -> None:
    fd = os.open(path, flags)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_folder(path: str | Path) -> Iterator[Path]:
    """A temporary folder to build ``path`` in; when the block ends, it becomes ``path``.

    For caches built once and read by many processes (SUMO networks): the folder is
    renamed into place whole, so a reader sees no folder or a complete one. If another
    process put ``path`` in place first, this build is dropped and theirs kept; if the
    block raises, nothing is left behind.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(dir=path.parent, prefix=f".{path.name}.", suffix=TMP_SUFFIX))
    try:
        yield work
        try:
            work.rename(path)
        except OSError:  # another process finished first
            shutil.rmtree(work, ignore_errors=True)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
