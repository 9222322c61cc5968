"""Typed, frozen, validated configuration dataclasses.

Every environment has one config class derived from :class:`EnvConfig`. Each field
carries its meaning and unit in ``metadata["doc"]``; :meth:`EnvConfig.build` turns
keyword arguments (from ``gymnasium.make`` or a scenario file) into a config and
rejects unknown fields with the list of valid ones.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import types
from collections.abc import Iterable, Mapping
from typing import Any, ClassVar, Self

import numpy as np

from fieldgym.envs.core.actions import ACTION_POLICIES
from fieldgym.envs.core.errors import ConfigError


def doc(text: str) -> dict[str, str]:
    """Field metadata holding a field's meaning and unit, shown by :meth:`EnvConfig.describe`."""
    return {"doc": text}


@dataclasses.dataclass(frozen=True)
class EnvConfig:
    """Base class of environment configs: frozen, typed and checked on construction.

    Subclasses are ``@dataclasses.dataclass(frozen=True)`` and override :meth:`validate`,
    which raises :class:`ConfigError` naming the field, the value and what is allowed.
    Lists given for tuple fields (as YAML produces) are converted to tuples.

    Every config has :attr:`action_policy` (keyword-only, after the subclass's fields).
    """

    action_policy: str = dataclasses.field(
        default="raise",
        kw_only=True,
        metadata=doc(
            "what step does with a finite action outside the action space: 'raise' an "
            "ActionError naming the element and bounds, or 'clip' it into the space. "
            "Wrong shapes, dtypes and NaN raise under both (fieldgym.envs.core.actions)"
        ),
    )

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if isinstance(value, list):
                object.__setattr__(self, f.name, tuple(value))
        check_choice("action_policy", self.action_policy, ACTION_POLICIES)
        self.validate()

    def validate(self) -> None:
        """Check field values; subclasses raise :class:`ConfigError` on a bad one."""

    @classmethod
    def field_names(cls) -> list[str]:
        """The names of the config's fields, in declaration order."""
        return [f.name for f in dataclasses.fields(cls)]

    @classmethod
    def check_keys(cls, keys: Iterable[str], where: str = "") -> None:
        """Raise :class:`ConfigError` if any key is not a field of this config."""
        valid = cls.field_names()
        for key in keys:
            if key not in valid:
                hint = difflib.get_close_matches(key, valid, n=1)
                suggestion = f" Did you mean {hint[0]!r}?" if hint else ""
                place = f" in {where}" if where else ""
                raise ConfigError(
                    f"Unknown field {key!r} for {cls.__name__}{place}.{suggestion} "
                    f"Valid fields: {', '.join(valid)}."
                )

    presets: ClassVar[Mapping[str, Mapping[str, Any]]] = types.MappingProxyType({})
    """Named field values a subclass offers (its module's ``PRESETS``, attached to it)."""

    @classmethod
    def preset(cls, name: str, **overrides: Any) -> Self:
        """The preset ``name`` (see :attr:`presets`), with optional field overrides."""
        if not cls.presets:
            raise ConfigError(f"{cls.__name__} has no presets; remove preset={name!r}.")
        check_choice("preset", name, cls.presets)
        return cls.build(cls.presets[name], **overrides)

    @classmethod
    def build(cls, config: Self | Mapping[str, Any] | None = None, **overrides: Any) -> Self:
        """Build a config from a config object or mapping plus keyword overrides.

        Args:
            config: A config of this class, a mapping of its fields, or ``None`` for defaults.
            **overrides: Field values that replace those of ``config``.

        Raises:
            ConfigError: On an unknown field, a config of another class, or an invalid value.
        """
        if config is None:
            base = cls()
        elif isinstance(config, cls):
            base = config
        elif isinstance(config, Mapping):
            cls.check_keys(config)
            base = cls(**config)
        else:
            raise ConfigError(
                f"config must be a {cls.__name__} or a mapping of its fields, "
                f"got {type(config).__name__}."
            )
        cls.check_keys(overrides)
        return dataclasses.replace(base, **overrides) if overrides else base

    @classmethod
    def make(
        cls, config: Self | Mapping[str, Any] | None, preset: str | None, fields: Mapping[str, Any]
    ) -> Self:
        """The config an env is made with: a config object or mapping, or a preset, plus fields.

        Raises:
            ConfigError: If both ``config`` and ``preset`` are given, or as :meth:`build`.
        """
        if preset is None:
            return cls.build(config, **fields)
        if config is not None:
            raise ConfigError("Give either config= or preset=, not both.")
        return cls.preset(preset, **fields)

    def to_dict(self) -> dict[str, Any]:
        """The config as a plain dict (tuples become lists), e.g. for YAML or JSON."""
        out: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            out[f.name] = list(value) if isinstance(value, tuple) else value
        return out

    @classmethod
    def describe(cls) -> str:
        """A table of the fields with their defaults and meaning, for docs and ``fieldgym list``."""
        lines = []
        for f in dataclasses.fields(cls):
            default = f.default if f.default is not dataclasses.MISSING else f.default_factory()
            lines.append(f"{f.name} = {default!r}: {f.metadata.get('doc', '')}")
        return "\n".join(lines)


# Checks used by the configs' ``validate`` methods. Each names field, value and rule.


def check_choice(name: str, value: Any, choices: Iterable[Any]) -> None:
    """Require ``value`` to be one of ``choices``."""
    choices = tuple(choices)
    if value not in choices:
        raise ConfigError(
            f"{name}={value!r} is not allowed; choose one of: {', '.join(map(repr, choices))}."
        )


def check_number(
    name: str,
    value: Any,
    *,
    low: float | None = None,
    high: float | None = None,
    low_inclusive: bool = True,
    integer: bool = False,
) -> None:
    """Require a finite number (an integer if ``integer``) within the given bounds."""
    kind = "an integer" if integer else "a number"
    is_number = isinstance(value, int | float) and not isinstance(value, bool)
    if not is_number or (integer and not float(value).is_integer()) or not math.isfinite(value):
        raise ConfigError(f"{name}={value!r} is not allowed; it must be {kind}.")
    if low is not None and (value < low or (not low_inclusive and value == low)):
        op = ">=" if low_inclusive else ">"
        raise ConfigError(f"{name}={value!r} is not allowed; it must be {op} {low}.")
    if high is not None and value > high:
        raise ConfigError(f"{name}={value!r} is not allowed; it must be <= {high}.")


def check_count(name: str, value: Any, low: int, hint: str = "") -> int:
    """``value`` as an int, after requiring a whole number >= ``low``.

    Unlike :func:`check_number` with ``integer=True`` (config fields, where YAML may write
    ``4.0``), only Python and NumPy integers pass: counts given to code (copies, steps,
    levels) must not be floats. ``hint`` is added to the error.
    """
    if not isinstance(value, int | np.integer) or isinstance(value, bool) or value < low:
        raise ConfigError(f"{name}={value!r} is not allowed; give a whole number >= {low}{hint}.")
    return int(value)


def check_sequence(
    name: str,
    value: Any,
    length: int,
    *,
    low: float | None = None,
    low_inclusive: bool = True,
    integer: bool = False,
    each: str = "",
) -> None:
    """Require a tuple of ``length`` numbers, each passing :func:`check_number`.

    ``each`` says what one number stands for in the error (``"stage"`` gives "one per
    stage").
    """
    if not isinstance(value, tuple) or len(value) != length:
        per = f" (one per {each})" if each else ""
        raise ConfigError(
            f"{name}={value!r} is not allowed; it must be a list of {length} numbers{per}."
        )
    for i, item in enumerate(value):
        check_number(f"{name}[{i}]", item, low=low, low_inclusive=low_inclusive, integer=integer)


def check_weights(name: str, value: Any, parts: Iterable[str]) -> None:
    """Require a mapping from reward-part names to finite weights."""
    parts = tuple(parts)
    if not isinstance(value, Mapping):
        raise ConfigError(f"{name} must be a mapping from reward part to weight; parts: {parts}.")
    for key, weight in value.items():
        check_choice(f"{name} key", key, parts)
        check_number(f"{name}[{key!r}]", weight)
