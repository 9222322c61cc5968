"""Circuit-search baselines: greedy, beam search and qiskit's state preparation.

Each plans with the environment's own dynamics through a :class:`~fieldgym.agents.quantum
.planning.Tracker`, which follows the episode from ``reset(seed)``; ``act`` checks the
observation it is given against the tracked state and raises if they differ. When a
plan is used up before the episode ends (the target was not reached), the policy acts
greedily for the remaining gates.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from fieldgym.agents.base import Policy
from fieldgym.agents.quantum.planning import Plan, Tracker, beam_search
from fieldgym.agents.quantum.stateprep import Reference, qiskit_reference
from fieldgym.agents.target import EnvTarget
from fieldgym.envs.core.errors import ConfigError


class _Planner(Policy):
    """A policy that replays a plan made at reset, then acts greedily."""

    def __init__(self, target: EnvTarget) -> None:
        super().__init__(target)
        self.tracker = Tracker(target)
        self.plan: list[int] = []
        self._next = 0

    def make_plan(self) -> list[int]:
        """The actions to replay from the start of an episode (none for pure greedy)."""
        return []

    def reset(self, seed: int | None = None) -> None:
        self.tracker.reset(seed)
        self.plan = self.make_plan()
        self._next = 0

    def act(self, observation: np.ndarray) -> Any:
        self.tracker.check(observation)
        if self._next < len(self.plan):
            self._next += 1
            return self.tracker.apply(self.plan[self._next - 1])
        return self.tracker.apply(self.tracker.greedy())


class GreedyCircuit(_Planner):
    """Each step, the gate whose result has the highest fidelity with the target.

    Ties go to single-qubit gates, then to the first action. Greedy can stall: from
    ``|00>`` no single gate raises the fidelity with the Bell state, so it keeps a gate
    that leaves the fidelity unchanged.
    """

    name = "greedy"


class BeamSearchCircuit(_Planner):
    """Beam search over gate sequences at each reset (:func:`~.planning.beam_search`).

    Args:
        target: The environment.
        width: States kept per level of the search.
        cnot_penalty: Score lost per two-qubit gate when ranking states.
    """

    name = "beam_search"

    def __init__(self, target: EnvTarget, width: int = 256, cnot_penalty: float = 0.01) -> None:
        super().__init__(target)
        self.width = width
        self.cnot_penalty = cnot_penalty
        self.last_search: Plan | None = None

    def make_plan(self) -> list[int]:
        config = self.tracker.env.config
        self.last_search = beam_search(
            self.tracker.system,
            self.width,
            self.tracker.remaining(),
            config.success_threshold,
            self.cnot_penalty,
        )
        return self.last_search.actions


class QiskitStatePreparation(_Planner):
    """qiskit's ``StatePreparation`` transpiled to the env's gates and coupling map.

    :attr:`reference` holds the transpiled circuit's gate, CNOT and depth counts and its
    fidelity as qiskit computes it (see :mod:`~fieldgym.agents.quantum.stateprep`); the
    policy replays it gate by gate (truncated if it exceeds ``max_gates``).

    Args:
        target: The environment.
        seed: qiskit's transpiler seed.
    """

    name = "qiskit_stateprep"

    def __init__(self, target: EnvTarget, seed: int = 0) -> None:
        super().__init__(target)
        self.reference: Reference = qiskit_reference(self.tracker.env.config, seed)
        if self.reference.actions is None:
            raise ConfigError(
                f"qiskit's circuit needs gates outside the env's gate set ({self.reference.counts}"
                "); give the env a universal set, e.g. with 'rz' and 'ry'."
            )

    def make_plan(self) -> list[int]:
        return list(self.reference.actions or ())
