"""Pieces the home-grown learners share: their networks and running statistics.

stable-baselines3 brings its own; these serve :mod:`~fieldgym.agents.mappo` and
:mod:`~fieldgym.agents.discrete_sac`.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from torch import nn


def mlp(
    n_in: int,
    n_out: int,
    hidden: int,
    activation: type[nn.Module] = nn.ReLU,
    first: nn.Module | None = None,
) -> nn.Sequential:
    """Two hidden layers of ``hidden`` units; ``first`` (a LayerNorm, say) runs before them.

    ``first`` takes index 0 of the ``Sequential`` when given, so checkpoints' keys
    (``"1.weight"`` or ``"0.weight"`` for the first linear layer) depend on it.
    """
    layers = [] if first is None else [first]
    layers += [
        nn.Linear(n_in, hidden),
        activation(),
        nn.Linear(hidden, hidden),
        activation(),
        nn.Linear(hidden, n_out),
    ]
    return nn.Sequential(*layers)


class RunningMoments:
    """Running mean and variance over batches of samples (Chan et al.'s parallel merge).

    Args:
        size: ``None`` for scalar statistics, where every element of a batch is a sample
            and the moments are Python floats; or the length of vector samples, the rows of
            a ``(n, size)`` batch, with array moments.
    """

    def __init__(self, size: int | None = None) -> None:
        self.size = size
        self.mean: Any = 0.0 if size is None else np.zeros(size)
        self.var: Any = 1.0 if size is None else np.ones(size)
        self.count = 1e-4

    def update(self, batch: np.ndarray) -> None:
        """Fold a batch of samples into the statistics."""
        batch = np.asarray(batch)
        if self.size is None:
            mean, var, n = float(np.mean(batch)), float(np.var(batch)), batch.size
        else:
            mean, var, n = batch.mean(axis=0), batch.var(axis=0), batch.shape[0]
        delta, total = mean - self.mean, self.count + n
        self.mean = self.mean + delta * n / total
        self.var = (self.var * self.count + var * n + delta**2 * self.count * n / total) / total
        self.count = total

    def std(self) -> Any:
        """The standard deviation, kept away from 0."""
        return math.sqrt(self.var + 1e-8) if self.size is None else np.sqrt(self.var + 1e-8)

    def normalize(self, x: Any) -> Any:
        """``x`` standardized with the running moments."""
        return (x - self.mean) / self.std()

    def denormalize(self, x: Any) -> Any:
        """The inverse of :meth:`normalize`."""
        return x * self.std() + self.mean
