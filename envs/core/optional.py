"""Lazy imports of optional dependencies.

A backend's dependency is imported only when the backend is chosen; a missing one
raises :class:`MissingDependencyError` naming the pip extra that installs it.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from fieldgym.envs.core.errors import MissingDependencyError


def require(module: str, extra: str, purpose: str) -> ModuleType:
    """Import ``module`` or explain how to install it.

    Args:
        module: Dotted module name, e.g. ``"carla"``.
        extra: The fieldgym extra that provides it, e.g. ``"carla"``.
        purpose: What the module is needed for, shown in the error.

    Returns:
        The imported module.

    Raises:
        MissingDependencyError: If the module cannot be imported.
    """
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise MissingDependencyError(
            f"{purpose} needs the optional package {module!r}, which is not installed "
            f"({exc}). Install it with: pip install 'fieldgym[{extra}]'"
        ) from exc
