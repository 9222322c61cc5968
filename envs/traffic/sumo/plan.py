"""Which SUMO lanes, edges and link states make up each intersection's lane groups and phases.

A generated grid (:mod:`.netgen`) keeps the built-in simulator's structure: twelve lane
groups (one per movement) and the config's phases. A user network has one lane group per
incoming lane of each traffic light and the green phases of the light's own program;
intersections with fewer lanes or phases than the largest are padded (an empty lane
group, or a phase index that keeps the current phase). A CityFlow network converted by
:mod:`fieldgym.envs.traffic.city.sumo` has the lane groups and phases of
:func:`~fieldgym.envs.traffic.city.signals.signal_layout` (:func:`city_plan`): one lane
group per movement, whose SUMO link indices :func:`city_links` fixes.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np

from fieldgym.envs.traffic.city.model import Road, RoadNet
from fieldgym.envs.traffic.city.signals import SignalLayout
from fieldgym.envs.traffic.config import TrafficConfig
from fieldgym.envs.traffic.network import GROUPS, phase_matrix


@dataclasses.dataclass
class SignalPlan:
    """The SUMO side of the intersections, in agent order.

    Attributes:
        tls: Traffic-light ids.
        names: Agent names.
        lanes: Per intersection, per lane group, the SUMO lane ids.
        incoming: Per intersection, the incoming edge ids.
        outgoing: Per intersection, the outgoing edge of each side N, E, S, W (or ``None``);
            on a CityFlow network, of each lane group (its movement's outbound road).
        phase_lanes: ``(I, P, G)`` 1 where a lane group is green in a phase.
        green_states: Per intersection, per phase, the link state string (``None`` until
            :meth:`bind` has read the controlled links of a generated network).
        generated: Whether the network is a generated grid (movement lane groups).
    """

    tls: list[str]
    names: list[str]
    lanes: list[list[list[str]]]
    incoming: list[list[str]]
    outgoing: list[list[str | None]]
    phase_lanes: np.ndarray
    green_states: list[list[str]] | None
    generated: bool

    def bind(self, links: dict[str, list]) -> None:
        """Build the link states of a generated grid's phases from its controlled links.

        Args:
            links: Traffic-light id -> ``trafficlight.getControlledLinks`` (per link
                index, a list of ``(in lane, out lane, via)``).
        """
        if not self.generated:
            return
        states = []
        for i, tls in enumerate(self.tls):
            group_of = {lane: g for g, lanes in enumerate(self.lanes[i]) for lane in lanes}
            per_phase = []
            for p in range(self.phase_lanes.shape[1]):
                green = self.phase_lanes[i, p]
                chars = []
                for link in links[tls]:
                    g = group_of.get(link[0][0]) if link else None
                    if g is None or not green[g]:
                        chars.append("r")
                        continue
                    # a left turn yields when the opposing through movement is green too
                    approach, turn = divmod(g, 3)
                    opposing = 3 * ((approach + 2) % 4) + 1
                    chars.append("g" if turn == 0 and green[opposing] else "G")
                per_phase.append("".join(chars))
            states.append(per_phase)
        self.green_states = states


def generated_plan(config: TrafficConfig, layout: dict) -> SignalPlan:
    """The plan of a generated grid from its ``layout.json`` content."""
    inters = layout["intersections"]
    green = phase_matrix(config.phases)
    return SignalPlan(
        tls=[inter["node"] for inter in inters],
        names=[f"tl_{inter['row']}_{inter['col']}" for inter in inters],
        lanes=[inter["lanes"] for inter in inters],
        incoming=[[e for e in inter["incoming"] if e is not None] for inter in inters],
        outgoing=[inter["outgoing"] for inter in inters],
        phase_lanes=np.broadcast_to(green, (len(inters), *green.shape)).copy(),
        green_states=None,
        generated=True,
    )


def generated_shape(config: TrafficConfig) -> tuple[list[str], np.ndarray]:
    """Agent names and phase lane groups of a generated grid, without generating it."""
    names = [f"tl_{r}_{c}" for r in range(config.rows) for c in range(config.cols)]
    green = phase_matrix(config.phases)
    return names, np.broadcast_to(green, (len(names), *green.shape)).copy()


def user_plan(net_file: str | Path, sumolib) -> SignalPlan:
    """The plan of a user network: one lane group per incoming lane, the program's greens."""
    net = sumolib.net.readNet(str(net_file), withPrograms=True)
    lights = sorted(net.getTrafficLights(), key=lambda t: t.getID())
    lanes, incoming, greens, phase_sets = [], [], [], []
    for light in lights:
        links = sorted(light.getConnections(), key=lambda c: c[2])
        order: list[str] = []
        for in_lane, _, _ in links:
            if in_lane.getID() not in order:
                order.append(in_lane.getID())
        program = next(iter(light.getPrograms().values()))
        states = [
            ph.state
            for ph in program.getPhases()
            if "y" not in ph.state.lower() and any(ch in "Gg" for ch in ph.state)
        ]
        states = list(dict.fromkeys(states))
        link_lane = {index: in_lane.getID() for in_lane, _, index in links}
        sets = [
            {order.index(link_lane[k]) for k, ch in enumerate(s) if ch in "Gg" and k in link_lane}
            for s in states
        ]
        lanes.append([[lane] for lane in order])
        incoming.append(list(dict.fromkeys(lane.rsplit("_", 1)[0] for lane in order)))
        greens.append(states)
        phase_sets.append(sets)
    groups = max(len(x) for x in lanes)
    phases = max(len(x) for x in greens)
    phase_lanes = np.zeros((len(lights), phases, groups), dtype=np.uint8)
    for i, sets in enumerate(phase_sets):
        for p, members in enumerate(sets):
            phase_lanes[i, p, sorted(members)] = 1
    for i in range(len(lights)):
        lanes[i] += [[] for _ in range(groups - len(lanes[i]))]
    return SignalPlan(
        tls=[light.getID() for light in lights],
        names=[light.getID() for light in lights],
        lanes=lanes,
        incoming=incoming,
        outgoing=[[None] * 4 for _ in lights],
        phase_lanes=phase_lanes,
        green_states=greens,
        generated=False,
    )


def sumo_lane(road: Road, lane: int) -> int:
    """SUMO's index of CityFlow lane ``lane`` of ``road``.

    CityFlow counts a road's lanes from the inside (lane 0 next to the centre line), SUMO
    from the right (lane 0 at the kerb).
    """
    return road.lanes - 1 - lane


def city_links(net: RoadNet, i: int) -> list[tuple[int, int, int, int, int]]:
    """The SUMO connections across intersection ``i`` of a CityFlow network, in link order.

    One per lane link, movements in file order and each movement's lane links in order
    (a repeated lane link is dropped): the position in this list is the connection's
    ``linkIndex`` at a signalized intersection.

    Returns:
        ``(movement, inbound road, SUMO from lane, outbound road, SUMO to lane)`` per link.
    """
    links, seen = [], set()
    for k, movement in enumerate(net.intersections[i].movements):
        inbound, outbound = net.roads[movement.inbound], net.roads[movement.outbound]
        for start, end in movement.lane_links:
            link = (
                movement.inbound,
                sumo_lane(inbound, start),
                movement.outbound,
                sumo_lane(outbound, end),
            )
            if link not in seen:
                seen.add(link)
                links.append((k, *link))
    return links


def city_states(net: RoadNet, layout: SignalLayout) -> list[list[str]]:
    """Per agent, per green phase, the link states of its program (:func:`city_links` order).

    ``G`` where the phase lets the link's movement go, ``r`` elsewhere (movements every
    phase lets go are ``G`` in every phase).
    :func:`fieldgym.envs.traffic.city.sumo.convert` makes the links that must give way to
    another green link in the same phase ``g`` in the network it writes (right of way by
    movement type, as CityFlow gives it: through movements before left turns before
    right turns), and :func:`city_plan` takes the states from there.
    """
    states = []
    for a, i in enumerate(layout.intersections):
        inter = net.intersections[int(i)]
        links = city_links(net, int(i))
        per_phase = []
        for p in range(int(layout.phase_counts[a])):
            green = set(inter.light_phases[int(layout.light_phase[a, p])].movements)
            per_phase.append("".join("G" if link[0] in green else "r" for link in links))
        states.append(per_phase)
    return states


def city_plan(
    net: RoadNet, layout: SignalLayout, green_states: list[list[str]] | None = None
) -> SignalPlan:
    """The plan of a CityFlow network converted to SUMO, in the agents' layout.

    Lane group ``g`` of agent ``a`` is its intersection's movement ``g``: its lanes are the
    SUMO lanes its lane links start from (a lane that serves two movements is in both
    groups), its outgoing edge is the movement's outbound road.

    Args:
        net: The network.
        layout: Its :func:`~fieldgym.envs.traffic.city.signals.signal_layout`.
        green_states: Per agent, per green phase, the link states (as the converted
            network's programs hold them); :func:`city_states` if ``None``.
    """
    groups = layout.num_groups
    lanes: list[list[list[str]]] = []
    incoming: list[list[str]] = []
    outgoing: list[list[str | None]] = []
    for i in layout.intersections:
        inter = net.intersections[int(i)]
        per_group: list[set[str]] = [set() for _ in inter.movements]
        for k, inbound, from_lane, _, _ in city_links(net, int(i)):
            per_group[k].add(f"{net.roads[inbound].id}_{from_lane}")
        lanes.append([sorted(g) for g in per_group] + [[] for _ in range(groups - len(per_group))])
        roads = [net.roads[m.inbound].id for m in inter.movements]
        incoming.append(list(dict.fromkeys(roads)))
        out: list[str | None] = [net.roads[m.outbound].id for m in inter.movements]
        outgoing.append(out + [None] * (groups - len(out)))
    return SignalPlan(
        tls=list(layout.names),
        names=list(layout.names),
        lanes=lanes,
        incoming=incoming,
        outgoing=outgoing,
        phase_lanes=layout.phase_lanes.copy(),
        green_states=city_states(net, layout) if green_states is None else green_states,
        generated=False,
    )


def read_layout(folder: Path) -> dict:
    """The ``layout.json`` of a generated network folder."""
    return json.loads((folder / "layout.json").read_text())


def transition_state(old: str, new: str, yellow: bool) -> str:
    """The link states between two greens: old greens not green next turn yellow (or red)."""
    out = []
    for a, b in zip(old, new, strict=True):
        if a in "Gg" and b not in "Gg":
            out.append("y" if yellow else "r")
        elif a in "Gg":
            out.append(a)
        else:
            out.append("r" if a in "yY" else a)
    return "".join(out)


__all__ = [
    "GROUPS",
    "SignalPlan",
    "city_plan",
    "generated_plan",
    "transition_state",
    "user_plan",
]
