"""fieldgym's environments, one subpackage per domain, and the shared layer in ``core``."""

from __future__ import annotations

from fieldgym.envs import inventory  # noqa: F401  (adds the domain's ids to the catalogue)
from fieldgym.envs.core.registration import ENVS, PARALLEL_ENVS, make_parallel, register_envs

__all__ = ["ENVS", "PARALLEL_ENVS", "make_parallel", "register_envs"]
