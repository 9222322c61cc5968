"""Named columns and typed constants for numba kernels.

A kernel's arrays are indexed by position; here each position gets its name from one
table, a NamedTuple class listing the columns in order, so no index is written by hand.
A kernel's constants travel as a typed NamedTuple turned into a one-row structured array,
which numba passes as cheaply as a plain array (a NamedTuple argument costs microseconds
a call to type).
"""

from __future__ import annotations

import typing
from typing import Any, TypeVar

import numpy as np

Table = TypeVar("Table", bound=tuple)


def columns(table: type[Table]) -> Table:
    """The column of each field of ``table``, a NamedTuple class naming an array's columns.

    ``columns(StateColumns).price`` is the index of the ``price`` column, and ``._fields``
    the names in column order. A kernel reads a module-level result as constants.
    """
    return table(*range(len(table._fields)))


def as_record(params: tuple[Any, ...]) -> np.ndarray:
    """``params``, a NamedTuple of floats and ints, as a structured array of one row.

    Kernels take their constants so (and read ``params[0].tau``): numba takes such an
    array as fast as a plain one, where a NamedTuple argument costs microseconds a call.
    """
    types = typing.get_type_hints(type(params))
    fields = [(name, np.int64 if types[name] is int else np.float64) for name in params._fields]
    return np.array([tuple(params)], np.dtype(fields))
