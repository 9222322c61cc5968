"""Planning over gate sequences with the environment's own dynamics.

The circuit-search baselines know the task (target, gates, noise) and plan with
:class:`~fieldgym.envs.quantum.dynamics.CircuitSystem`, the batched dynamics the
environment itself steps, so a plan's fidelity is exactly what the environment reports.
:class:`Tracker` follows the environment through an episode: it resets a private copy
of the environment with the episode's seed (which fixes a per-episode noise pattern)
and replays the policy's own actions, checking each observation it is given against
its own.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from fieldgym.agents.target import EnvTarget
from fieldgym.envs.quantum.dynamics import CircuitSystem
from fieldgym.envs.quantum.env import QuantumArchitectureSearchEnv
from fieldgym.envs.quantum.state import COUNTERS, RECORD


def expand(system: CircuitSystem, rows: np.ndarray) -> CircuitSystem:
    """Every action applied to each copy ``rows`` of ``system``, as a new system.

    Copy ``i * A + a`` of the result is copy ``rows[i]`` followed by action ``a`` (``A``
    actions); its ``record[:, RECORD.fidelity]`` holds the successors' fidelities.
    """
    num_actions = len(system.actions)
    successors = system.spawn(len(rows) * num_actions)
    successors.load(system, np.repeat(np.asarray(rows, dtype=np.int64), num_actions))
    successors.step(np.tile(np.arange(num_actions), len(rows)))
    return successors


def greedy_choice(fidelity: np.ndarray, two_qubit: np.ndarray) -> int:
    """The action of highest fidelity; ties (to 1e-12) go to single-qubit gates, then order."""
    rounded = np.round(fidelity, 12)
    best = np.flatnonzero(rounded == rounded.max())
    single = best[~two_qubit[best]]
    return int(single[0] if single.size else best[0])


def state_keys(system: CircuitSystem, count: int) -> list[bytes]:
    """A key per copy, equal for states equal up to global phase (to 1e-9)."""
    states = system.states[:count]
    if system.noisy:
        flat = states.reshape(count, -1)
    else:
        pivot = np.argmax(np.round(np.abs(states), 9), axis=1)
        anchor = states[np.arange(count), pivot]
        flat = states * (np.abs(anchor) / anchor)[:, None].conj()
    rounded = np.round(np.concatenate((flat.real, flat.imag), axis=1), 9) + 0.0
    return [row.tobytes() for row in rounded]


@dataclasses.dataclass
class Plan:
    """A gate sequence found by search, with what the dynamics say it achieves."""

    actions: list[int]
    fidelity: float
    cnots: int
    solved: bool


def beam_search(
    start: CircuitSystem, width: int, depth: int, threshold: float, cnot_penalty: float
) -> Plan:
    """Breadth-first beam search over gate sequences from copy 0 of ``start``.

    Each level expands every kept state by every action, merges states equal up to
    global phase, and keeps the ``width`` best by fidelity minus ``cnot_penalty`` per
    two-qubit gate. The search stops at the first level where a state reaches
    ``threshold``, returning the one with the fewest two-qubit gates (then the highest
    fidelity); otherwise it returns the highest-fidelity sequence seen.
    """
    beam = start.spawn(1)
    beam.load(start, np.array([0]))
    first = int(start.counters[0, COUNTERS.gates])
    start_fidelity = start.record[0, RECORD.fidelity]
    start_cnots = start.counters[0, COUNTERS.cnots]
    best = Plan([], float(start_fidelity), int(start_cnots), False)
    for _ in range(depth):
        batch = expand(beam, np.arange(beam.num_copies))
        fidelity = batch.record[:, RECORD.fidelity]
        count = fidelity.size
        cnots = batch.counters[:count, COUNTERS.cnots]
        score = fidelity - cnot_penalty * cnots
        order = np.lexsort((np.arange(count), -score))
        solved = fidelity >= threshold
        if solved.any():
            rows = np.flatnonzero(solved)
            pick = rows[np.lexsort((-fidelity[rows], cnots[rows]))[0]]
            return _plan(batch, pick, first, True)
        keep, seen = [], set()
        keys = state_keys(batch, count)
        for row in order:
            if keys[row] not in seen:
                seen.add(keys[row])
                keep.append(row)
                if len(keep) == width:
                    break
        if fidelity[order[0]] > best.fidelity + 1e-12:
            best = _plan(batch, int(order[0]), first, False)
        beam = start.spawn(len(keep))
        beam.load(batch, np.asarray(keep))
    return best


def _plan(system: CircuitSystem, row: int, first: int, solved: bool) -> Plan:
    t = int(system.counters[row, COUNTERS.gates])
    return Plan(
        actions=system.history[row, first:t].tolist(),
        fidelity=float(system.record[row, RECORD.fidelity]),
        cnots=int(system.counters[row, COUNTERS.cnots]),
        solved=solved,
    )


class Tracker:
    """A private copy of the environment that follows the real one through an episode.

    Args:
        target: The environment the policy acts in.
    """

    def __init__(self, target: EnvTarget) -> None:
        self.env = QuantumArchitectureSearchEnv(config=target.config)
        self.system = self.env.system
        self.two_qubit = self.system.two_qubit
        self._observation: np.ndarray | None = None

    def reset(self, seed: int | None) -> None:
        """Reset like the real environment (the same seed gives the same noise pattern)."""
        self._observation, _ = self.env.reset(seed=seed)

    def check(self, observation: np.ndarray) -> None:
        """Raise if ``observation`` is not the tracked state's (the copy lost track)."""
        if self._observation is None or not np.allclose(
            np.asarray(observation, dtype=np.float32), self._observation, atol=1e-5
        ):
            raise RuntimeError(
                "the policy's copy of the environment does not match the observation: call "
                "policy.reset(seed) with the seed of env.reset(seed=...) before each episode, "
                "and act only on this policy's own actions."
            )

    def apply(self, action: int) -> int:
        """Advance the copy by ``action`` (the action the policy returns)."""
        self._observation = self.env.step(action)[0]
        return action

    def greedy(self) -> int:
        """The action with the best fidelity one gate ahead (:func:`greedy_choice`)."""
        successors = expand(self.system, np.array([0]))
        return greedy_choice(successors.record[:, RECORD.fidelity], self.two_qubit)

    def remaining(self) -> int:
        """Gates left in the budget."""
        return self.env.config.max_gates - int(self.system.counters[0, COUNTERS.gates])
