"""Keeping numba's on-disk cache of the environments' kernels in step with their sources.

numba's ``cache=True`` keys a compiled kernel on the file that defines it: when a kernel
calls a function of another module (``envs/driving/sim.py`` calls
``envs/driving/junction.py``) and only that module changes, the stale machine code is
loaded and the old behaviour runs, silently. :func:`clear_stale` drops every cached kernel
under a folder as soon as any of its Python sources changed, so the next call compiles
afresh. It runs once when :mod:`fieldgym.envs` is imported.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

STAMP = "fieldgym-sources.sha256"
"""The file, in the folder's own ``__pycache__``, holding the digest of its sources."""


def sources_digest(folder: Path) -> str:
    """A digest of every ``.py`` file below ``folder`` (paths and contents)."""
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*.py")):
        digest.update(str(path.relative_to(folder)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def clear_stale(folder: str | Path) -> bool:
    """Delete numba's cache files below ``folder`` if its sources changed since last time.

    Returns whether any ``*.nbi`` or ``*.nbc`` file was deleted. A read-only installation
    (no writable ``__pycache__``) is left as it is.
    """
    folder = Path(folder)
    current = sources_digest(folder)
    stamp = folder / "__pycache__" / STAMP
    try:
        if stamp.read_text().strip() == current:
            return False
    except OSError:
        pass
    deleted = False
    for pattern in ("*.nbi", "*.nbc"):
        for cached in folder.rglob(f"__pycache__/{pattern}"):
            try:
                cached.unlink()
                deleted = True
            except OSError:
                pass
    try:
        stamp.parent.mkdir(exist_ok=True)
        stamp.write_text(current + "\n")
    except OSError:
        pass
    return deleted
