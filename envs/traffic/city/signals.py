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
import math

import numpy as np

from fieldgym.envs.traffic.city.model import RoadNet, Trips
from fieldgym.envs.traffic.config import TrafficConfig
from fieldgym.envs.traffic.system import upper_bound

VEHICLE_SPACE = 7.5
"""Metres from one stopped vehicle's front to the next: SUMO's vehicle type here (5 m
long, 2.5 m gap) and CityFlow's default vehicle; the built-in's jam density is per lane."""


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
        phase_lanes=phase_lanes,
        phase_counts=counts,
        light_phase=light_phase,
        plan_greens=plan_greens,
    )


def approach_length(net: RoadNet, layout: SignalLayout) -> np.ndarray:
    """``(I, G)`` length of each lane group's inbound road, m (0 for padding)."""
    lengths = np.array([road.length for road in net.roads] + [0.0])
    return lengths[layout.inbound]  # padding (-1) reads the appended 0


def saturation(layout: SignalLayout, config: TrafficConfig) -> np.ndarray:
    """``(I, G)`` saturation flow of each lane group, veh/h.

    ``saturation_flow`` times the incoming lanes its lane links start from (0 for padding).
    """
    return config.saturation_flow * layout.lanes.astype(np.float64)


def movement_flows(net: RoadNet, trips: Trips, layout: SignalLayout) -> np.ndarray:
    """``(I, G)`` mean rate of the trips' vehicles through each lane group, veh/h.

    Vehicles taking the movement over the departures' span, widened by one mean headway
    (so that a flow of one vehicle every ``h`` seconds gives ``3600 / h``); one hour if
    fewer than two vehicles or all depart at once.
    """
    index = {}
    for a, i in enumerate(layout.intersections):
        for g, m in enumerate(net.intersections[int(i)].movements):
            index[(m.inbound, m.outbound)] = (a, g)
    counts = np.zeros(layout.movements.shape)
    roads = np.asarray(trips.roads, dtype=np.int64)
    within = np.ones(len(roads), dtype=bool)  # a road followed by another of the same route
    within[np.asarray(trips.route_start[1:], dtype=np.int64) - 1] = False
    pairs = zip(roads[:-1][within[:-1]].tolist(), roads[1:][within[:-1]].tolist(), strict=True)
    for pair in pairs:
        if pair in index:
            counts[index[pair]] += 1
    n = trips.num_vehicles
    span = float(np.max(trips.depart) - np.min(trips.depart)) if n else 0.0
    hours = span * n / (n - 1) / 3600.0 if n > 1 and span > 0 else 1.0
    return counts / hours


def observation_high(
    net: RoadNet, layout: SignalLayout, blocks: dict[str, tuple[slice, int]], config: TrafficConfig
) -> np.ndarray:
    """``(I, D)`` upper bounds of the agents' observations, the same on both backends.

    Phase 1, elapsed ``max_green``. A lane holds at most ``floor(length / s) + 1``
    vehicles with ``s`` the smaller of :data:`VEHICLE_SPACE` and ``1 / jam_density``
    (their fronts ``s`` apart from its start to its end; the built-in simulator's storage
    is below it, SUMO can reach it). The lane-group blocks are bounded by the largest room
    of the agents' inbound (queue, approaching) and outbound (outgoing) roads: one bound
    per block, shared by all agents and lane groups, so that all agents share one
    observation space.

    Args:
        net: The road network.
        layout: Its agents' lane groups.
        blocks: The observation layout (:func:`~fieldgym.envs.traffic.system.observation_layout`).
        config: ``max_green`` and ``jam_density``.
    """
    space = min(VEHICLE_SPACE, 1.0 / config.jam_density)
    room = np.array([road.lanes * (math.floor(road.length / space) + 1) for road in net.roads])
    real = layout.inbound >= 0
    p = layout.num_phases
    high = np.zeros((len(layout.names), blocks["outgoing"][0].stop))
    high[:, :p] = 1.0
    high[:, p] = config.max_green
    high[:, blocks["queue"][0]] = room[layout.inbound[real]].max()
    high[:, blocks["approaching"][0]] = room[layout.inbound[real]].max()
    high[:, blocks["outgoing"][0]] = room[layout.outbound[real]].max()
    return upper_bound(high)
