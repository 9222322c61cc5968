"""The agents' view of a CityFlow network: lane groups, phases and bounds, for both backends.

Each signalized intersection (:attr:`~.model.Intersection.signalized`) is an agent. Its
lane groups are its movements (road links) in file order and its phases its green phases
in file order, padded to the largest of any agent so that all agents share one
observation and action space: a padded lane group is always empty and never green, a
padded phase keeps the current one (``phase_counts``).

The built-in simulator (:mod:`.system`) and SUMO (:mod:`fieldgym.envs.traffic.sumo`) both
present this layout, so controllers and learners see the same intersection on either.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from fieldgym.envs.traffic.city.model import RoadNet


@dataclasses.dataclass(frozen=True)
class SignalLayout:
    """Lane groups and phases of the agents of a :class:`~.model.RoadNet`.

    Attributes:
        intersections: ``(I,)`` index in ``net.intersections`` of each agent.
        names: Agent names, the intersections' ids.
        movements: ``(I, G)`` movement index of each lane group in its intersection's
            ``movements``, ``-1`` for padding.
        inbound: ``(I, G)`` road index the lane group's vehicles come from, ``-1``.
        outbound: ``(I, G)`` road index the lane group's vehicles go onto, ``-1``.
        lanes: ``(I, G)`` lanes serving the lane group (0 for padding).
        outbound_lanes: ``(I, G)`` lanes of the road the lane group feeds (0 for padding).
        phase_lanes: ``(I, P, G)`` uint8, 1 where a lane group is green in a phase.
        phase_counts: ``(I,)`` green phases of each agent.
        light_phase: ``(I, P)`` index into the intersection's ``light_phases`` of each
            green phase, ``-1`` for padding.
        plan_greens: ``(I, P)`` the file's duration of each green phase, s (0 padding).
    """

    intersections: np.ndarray
    names: list[str]
    movements: np.ndarray
    inbound: np.ndarray
    outbound: np.ndarray
    lanes: np.ndarray
    outbound_lanes: np.ndarray
    phase_lanes: np.ndarray
    phase_counts: np.ndarray
    light_phase: np.ndarray
    plan_greens: np.ndarray

    @property
    def num_groups(self) -> int:
        """``G``."""
        return self.movements.shape[1]

    @property
    def num_phases(self) -> int:
        """``P``."""
        return self.phase_lanes.shape[1]


def signal_layout(net: RoadNet) -> SignalLayout:
    """The agents' lane groups and phases (module docstring).

    Raises:
        ValueError: If the network has no signalized intersection (the file readers
            raise a :class:`~fieldgym.envs.core.errors.DataError` naming the file first).
    """
    agents = net.signals
    if not agents:
        raise ValueError("the road network has no signalized intersection")
    groups = max(len(net.intersections[i].movements) for i in agents)
    phases = max(len(net.intersections[i].green_phases) for i in agents)
    n = len(agents)
    movements = np.full((n, groups), -1, dtype=np.int64)
    inbound = np.full((n, groups), -1, dtype=np.int64)
    outbound = np.full((n, groups), -1, dtype=np.int64)
    lanes = np.zeros((n, groups), dtype=np.int64)
    outbound_lanes = np.zeros((n, groups), dtype=np.int64)
    phase_lanes = np.zeros((n, phases, groups), dtype=np.uint8)
    light_phase = np.full((n, phases), -1, dtype=np.int64)
    plan_greens = np.zeros((n, phases))
    counts = np.zeros(n, dtype=np.int64)
    for a, i in enumerate(agents):
        inter = net.intersections[i]
        for g, movement in enumerate(inter.movements):
            movements[a, g] = g
            inbound[a, g] = movement.inbound
            outbound[a, g] = movement.outbound
            lanes[a, g] = movement.lanes
            outbound_lanes[a, g] = net.roads[movement.outbound].lanes
        greens = inter.green_phases
        counts[a] = len(greens)
        for p, k in enumerate(greens):
            light_phase[a, p] = k
            plan_greens[a, p] = inter.light_phases[k].time
            phase_lanes[a, p, list(inter.light_phases[k].movements)] = 1
    return SignalLayout(
        intersections=np.asarray(agents, dtype=np.int64),
        names=[net.intersections[i].id for i in agents],
        movements=movements,
        inbound=inbound,
        outbound=outbound,
        lanes=lanes,
        outbound_lanes=outbound_lanes,
        phase_lanes=phase_lanes,
        phase_counts=counts,
        light_phase=light_phase,
        plan_greens=plan_greens,
    )
