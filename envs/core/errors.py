"""Error types shared by every fieldgym environment.

Each error says what is wrong and how to fix it, so a user never has to read the
source to understand a message.
"""

from __future__ import annotations


class FieldgymError(Exception):
    """Base class of every error fieldgym raises on purpose."""


class ConfigError(FieldgymError, ValueError):
    """A configuration field is unknown, or its value is not allowed."""


class DataError(FieldgymError, ValueError):
    """Input data (a CSV file, an array) is malformed."""


class ActionError(FieldgymError, ValueError):
    """An action does not fit the environment's action space (its shape, say)."""


class MissingDependencyError(FieldgymError, ImportError):
    """An optional dependency is not installed; the message names the extra to install."""


class ResetNeededError(FieldgymError, RuntimeError):
    """``step`` with no episode running: before ``reset``, or after the episode ended.

    A ``RuntimeError`` too, as multi-agent envs raised before; single-agent envs get
    gymnasium's own ``ResetNeeded`` from its ``OrderEnforcing`` wrapper.
    """
