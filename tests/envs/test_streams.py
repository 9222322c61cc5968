"""CopyStreams against numpy: row i of every batched draw is what copy i's generator gives.

The single env draws from a numpy ``Generator`` seeded by gymnasium; a vector env's copy
``i`` must draw the same numbers from a ``CopyStreams`` row whatever the number of copies.
"""

from __future__ import annotations

import numpy as np
import pytest
from gymnasium.utils import seeding

from fieldgym.envs.core.streams import CopyStreams, stream_of

SEED = 7


def singles(num_copies: int, seed: int = SEED) -> list[np.random.Generator]:
    """The generators of single envs reset with ``seed + i``, as gymnasium seeds them."""
    return [seeding.np_random(seed + i)[0] for i in range(num_copies)]


DRAWS = {
    "random": (lambda rng, n: rng.random((n, 3, 2)), lambda g: g.random((1, 3, 2))[0]),
    "standard_normal": (lambda rng, n: rng.standard_normal(n), lambda g: g.standard_normal(1)[0]),
    "normal": (
        lambda rng, n: rng.normal(np.array([1.0, -2.0]), 0.3, (n, 2)),
        lambda g: g.normal(np.array([1.0, -2.0]), 0.3, size=(1, 2))[0],
    ),
    "poisson (small and large means)": (
        lambda rng, n: rng.poisson(np.array([0.0, 0.7, 5.0, 20.0, 300.0]), size=(n, 5)),
        lambda g: g.poisson(np.array([0.0, 0.7, 5.0, 20.0, 300.0]), size=(1, 5))[0],
    ),
    "integers (32-bit range)": (
        lambda rng, n: rng.integers(3, 1000, size=n),
        lambda g: g.integers(3, 1000, size=1)[0],
    ),
    "integers (64-bit range)": (
        lambda rng, n: rng.integers(0, 2**40, size=(n, 2)),
        lambda g: g.integers(0, 2**40, size=2),
    ),
    "integers (one value)": (
        lambda rng, n: rng.integers(4, 5, size=n),
        lambda g: g.integers(4, 5, size=1)[0],
    ),
}


@pytest.mark.parametrize("num_copies", [1, 5, 64])
def test_every_draw_gives_row_i_what_copy_is_generator_gives(num_copies):
    streams, generators = CopyStreams.seeded(SEED, num_copies), singles(num_copies)
    for _ in range(3):  # interleaved, so every draw starts where the last one left off
        for name, (batched, single) in DRAWS.items():
            want = np.stack([np.asarray(single(g)) for g in generators])
            np.testing.assert_array_equal(batched(streams, num_copies), want, err_msg=name)


def test_per_copy_parameters_are_used_row_by_row():
    streams, generators = CopyStreams.seeded(SEED, 3), singles(3)
    lam = np.array([[1.0, 50.0], [2.0, 60.0], [3.0, 70.0]])
    want = np.stack([g.poisson(lam[i]) for i, g in enumerate(generators)])
    np.testing.assert_array_equal(streams.poisson(lam, (3, 2)), want)


def test_rows_draw_from_the_chosen_copies_only():
    streams, generators = CopyStreams.seeded(SEED, 4), singles(4)
    chosen = np.array([True, False, False, True])
    got = streams.rows(chosen).random((2, 3))
    np.testing.assert_array_equal(got, np.stack([generators[0].random(3), generators[3].random(3)]))
    untouched = streams.random((4, 1))[[1, 2], 0]  # copies 1 and 2 did not draw
    np.testing.assert_array_equal(untouched, [generators[1].random(), generators[2].random()])


def test_seeding_as_sync_vector_env_seeds_its_copies():
    listed = CopyStreams.seeded([3, 99, 4], 3).random((3, 2))
    want = np.stack([g.random(2) for g in (singles(1, 3)[0], singles(1, 99)[0], singles(1, 4)[0])])
    np.testing.assert_array_equal(listed, want)
    fresh = CopyStreams.seeded(None, 2).random((2, 4))
    assert not np.array_equal(fresh[0], fresh[1])
    assert stream_of(CopyStreams.seeded(5, 2), 1).random() == singles(1, 6)[0].random()
    generator = np.random.default_rng(0)
    assert stream_of(generator, 3) is generator


@pytest.mark.parametrize("bad", [[1, 2], [1, -2, 3], [1, 2.5, 3], [True, 1, 2], -1])
def test_bad_seeds_are_refused(bad):
    with pytest.raises(ValueError, match="non-negative integer"):
        CopyStreams.seeded(bad, 3)


def test_a_size_without_the_copies_first_is_refused():
    with pytest.raises(ValueError, match="first axis must be the copies"):
        CopyStreams.seeded(0, 3).random((2, 3))
    with pytest.raises(ValueError, match=r"high .* must be greater than low"):
        CopyStreams.seeded(0, 3).integers(5, 5, size=3)
