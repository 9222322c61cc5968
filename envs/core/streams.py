"""One random stream per copy of a vector env, drawn as one batch.

Gymnasium seeds copy ``i`` of a vector env made with ``reset(seed=s)`` as a single env
reset with ``seed=s + i``. :class:`CopyStreams` keeps one numpy ``Generator`` per copy,
seeded as Gymnasium seeds a single env, and each batched draw fills row ``i`` exactly as
``generators[i].<method>(params[i], size=size[1:])`` would. A batch simulator that draws
its copies' randomness with a leading copy axis (``rng.random((copies, k))``) therefore
gives copy ``i`` the draws of the single env seeded alike, whatever the number of copies.

The rows are filled in one numba loop that calls each copy's bit generator through its C
interface and numba's ports of numpy's distributions, which numba keeps bit-identical to
numpy's. A batch draw so costs about what one numpy draw of the same size costs, where a
Python loop over copies would cost a microsecond or more per copy and draw.
"""

from __future__ import annotations

import ctypes
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from gymnasium.utils import seeding
from numba import njit, types
from numba.core import cgutils
from numba.extending import intrinsic
from numba.np.random.distributions import random_poisson, random_standard_normal
from numba.np.random.generator_core import next_double
from numba.np.random.random_methods import random_bounded_uint64_fill

_BIT_GENERATOR = types.NumPyRandomBitGeneratorType("bit_generator")


@intrinsic
def _bit_generator(typingctx, state, next_uint64, next_uint32, next_double_fn):
    """Numba's bit-generator struct for a C state address and its three functions."""
    signature = _BIT_GENERATOR(types.uintp, types.uintp, types.uintp, types.uintp)

    def codegen(context, builder, sig, args):
        struct = cgutils.create_struct_proxy(_BIT_GENERATOR)(context, builder)
        struct.parent = cgutils.get_null_value(context.get_value_type(types.pyobject))
        struct.state_address = args[0]
        struct.state = args[0]
        struct.fnptr_next_uint64 = args[1]
        struct.fnptr_next_uint32 = args[2]
        struct.fnptr_next_double = args[3]
        struct.bit_generator = context.get_constant(types.uintp, 0)
        return struct._getvalue()

    return signature, codegen


UNIFORM, STANDARD_NORMAL = 0, 1
"""The parameter-free draws of :func:`_fill`."""


@njit(cache=True)
def _fill(handles, draw, out):
    for i in range(out.shape[0]):
        bits = _bit_generator(handles[i, 0], handles[i, 1], handles[i, 2], handles[i, 3])
        for j in range(out.shape[1]):
            if draw == UNIFORM:
                out[i, j] = next_double(bits)
            else:
                out[i, j] = random_standard_normal(bits)


@njit(cache=True)
def _poisson(handles, lam, out):
    for i in range(out.shape[0]):
        bits = _bit_generator(handles[i, 0], handles[i, 1], handles[i, 2], handles[i, 3])
        for j in range(out.shape[1]):
            out[i, j] = random_poisson(bits, lam[i, j])


@njit(cache=True)
def _integers(handles, low, span, out):
    for i in range(out.shape[0]):
        bits = _bit_generator(handles[i, 0], handles[i, 1], handles[i, 2], handles[i, 3])
        out[i] = random_bounded_uint64_fill(bits, low, span, out.shape[1], np.int64)


def _address(function: Any) -> int:
    return ctypes.cast(function, ctypes.c_void_p).value


def _handles(generators: Sequence[np.random.Generator]) -> np.ndarray:
    """Per generator: its state's address and its three ``next_*`` functions' addresses."""
    rows = []
    for generator in generators:
        c = generator.bit_generator.ctypes
        rows.append(
            (
                c.state_address,
                _address(c.next_uint64),
                _address(c.next_uint32),
                _address(c.next_double),
            )
        )
    return np.array(rows, dtype=np.uintp).reshape(len(rows), 4)


class CopyStreams:
    """One ``Generator`` per copy; batched draws whose row ``i`` comes from copy ``i``.

    The methods take numpy's arguments, with ``size`` required and its first axis the
    copies: ``size[0]`` must equal ``len(self)``. Parameters broadcast to ``size``.
    """

    def __init__(
        self, generators: Sequence[np.random.Generator], handles: np.ndarray | None = None
    ) -> None:
        self.generators = list(generators)
        self._handles = _handles(self.generators) if handles is None else handles

    @classmethod
    def seeded(cls, seed: int | Sequence[int | None] | None, num_copies: int) -> CopyStreams:
        """Streams seeded as ``SyncVectorEnv`` seeds its copies.

        ``seed=s`` seeds copy ``i`` with ``s + i``; a list gives each copy its own seed
        (``None`` for fresh entropy); ``None`` seeds every copy from fresh entropy.

        Raises:
            ValueError: If a list has not ``num_copies`` entries, or a seed is not a
                non-negative integer.
        """
        if seed is None:
            seeds: list[Any] = [None] * num_copies
        elif isinstance(seed, Sequence):
            seeds = list(seed)
        else:
            seeds = [seed + i for i in range(num_copies)] if _is_seed(seed) else [seed]
        if len(seeds) != num_copies or not all(s is None or _is_seed(s) for s in seeds):
            raise ValueError(
                f"seed={seed!r}: give one non-negative integer (or None) per copy "
                f"({num_copies}), or a single integer."
            )
        return cls([seeding.np_random(None if s is None else int(s))[0] for s in seeds])

    def __len__(self) -> int:
        return len(self.generators)

    def stream(self, copy: int) -> np.random.Generator:
        """Copy ``copy``'s own generator, for draws made one copy at a time."""
        return self.generators[copy]

    def rows(self, mask: np.ndarray | None) -> CopyStreams:
        """The streams of the copies where ``mask`` is true (all if ``None``), in copy order."""
        if mask is None:
            return self
        index = np.flatnonzero(mask)
        return CopyStreams([self.generators[i] for i in index], self._handles[index])

    def random(self, size: int | tuple[int, ...]) -> np.ndarray:
        out, shape = self._out(size, np.float64)
        _fill(self._handles, UNIFORM, out)
        return out.reshape(shape)

    def standard_normal(self, size: int | tuple[int, ...]) -> np.ndarray:
        out, shape = self._out(size, np.float64)
        _fill(self._handles, STANDARD_NORMAL, out)
        return out.reshape(shape)

    def normal(self, loc: Any, scale: Any, size: int | tuple[int, ...]) -> np.ndarray:
        # numpy computes loc + scale * z per element, z its standard normal: the same here
        return loc + scale * self.standard_normal(size)

    def poisson(self, lam: Any, size: int | tuple[int, ...]) -> np.ndarray:
        out, shape = self._out(size, np.int64)
        _poisson(self._handles, self._per_row(lam, shape), out)
        return out.reshape(shape)

    def integers(self, low: int, high: int | None = None, size: Any = None) -> np.ndarray:
        """Integers in ``[low, high)`` (``[0, low)`` without ``high``), as numpy draws them."""
        if high is None:
            low, high = 0, low
        low, high = int(low), int(high)
        if high <= low:
            raise ValueError(f"integers: high ({high}) must be greater than low ({low}).")
        out, shape = self._out(size, np.int64)
        _integers(self._handles, low, high - 1 - low, out)  # a span of 0 draws nothing
        return out.reshape(shape)

    def _out(self, size: Any, dtype: type) -> tuple[np.ndarray, tuple[int, ...]]:
        shape = (int(size),) if isinstance(size, int | np.integer) else tuple(size)
        if not shape or shape[0] != len(self.generators):
            raise ValueError(f"size={size!r}: the first axis must be the copies ({len(self)}).")
        return np.empty((shape[0], math.prod(shape[1:])), dtype), shape

    def _per_row(self, value: Any, shape: tuple[int, ...]) -> np.ndarray:
        """``value`` broadcast to ``shape`` as ``(copies, elements)``, without a copy if it can."""
        full = np.broadcast_to(np.asarray(value, dtype=np.float64), shape)
        return full if full.ndim == 2 else full.reshape(shape[0], -1)


def _is_seed(value: Any) -> bool:
    return isinstance(value, int | np.integer) and not isinstance(value, bool) and value >= 0


def stream_of(rng: np.random.Generator | CopyStreams, copy: int) -> np.random.Generator:
    """Copy ``copy``'s generator: a vector env's stream, or a single env's own generator."""
    return rng.stream(copy) if isinstance(rng, CopyStreams) else rng
