"""fieldgym's environments, one subpackage per domain, and the shared layer in ``core``.

Every domain subpackage (any folder here but ``core``) is imported below; importing one
adds its ids to the catalogue (:data:`ENVS`, :data:`PARALLEL_ENVS`) with
:func:`fieldgym.envs.core.registration.add`. A new domain needs no edit here.
"""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

from fieldgym.envs.core.numba_cache import clear_stale
from fieldgym.envs.core.registration import ENVS, PARALLEL_ENVS, make_parallel, register_envs

__all__ = ["DOMAINS", "ENVS", "PARALLEL_ENVS", "make_parallel", "register_envs"]

DOMAINS: tuple[str, ...] = tuple(
    sorted(m.name for m in pkgutil.iter_modules(__path__) if m.ispkg and m.name != "core")
)
"""The domain subpackages, each of which registers its ids when imported."""

clear_stale(Path(__file__).parent)  # numba's cache must not outlive a change of the kernels
for _domain in DOMAINS:
    importlib.import_module(f"{__name__}.{_domain}")
