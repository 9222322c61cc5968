"""A CityFlow network and its trips in SUMO: conversion, and the SUMO backend that runs them.

:func:`convert` writes the :class:`~.model.RoadNet` as SUMO plain XML and builds the
network with ``netconvert``, guessing nothing:

* **nodes**: one per intersection at its point. A signalized intersection
  (:attr:`~.model.Intersection.signalized`) is a ``traffic_light`` node with its own
  program; another non-virtual one is a ``priority`` node: every movement may go at all
  times, as the model says, and where two cross or merge one gives way (the closest SUMO
  has to CityFlow, whose vehicles also give way at conflict points; ``right_before_left``
  and ``allway_stop`` would stop vehicles CityFlow does not stop). A virtual
  intersection is a ``dead_end`` (``priority`` if the file gives it movements).
* **edges**: one per road, with its id, ends, polyline (lanes lie to the right of it, as
  in CityFlow), lanes with their widths and speed limits (SUMO's lane order, see below),
  and its length set explicitly: ``netconvert`` draws lanes only up to the junction's
  border, but a vehicle drives the road's whole polyline length
  (:attr:`~.model.Road.length`).
* **connections**: exactly the lane links (SUMO lane = lanes - 1 - CityFlow lane, see
  :func:`~fieldgym.envs.traffic.sumo.plan.sumo_lane`); a road with no movement is
  declared a dead end so that ``netconvert`` adds none. At a signalized node the
  connections carry ``linkIndex`` in :func:`~fieldgym.envs.traffic.sumo.plan.city_links`
  order, and the node's program has one phase per green phase (the file's duration),
  ``G`` for the links of its movements and ``r`` for the others.
* **right of way**, at every node, by movement type as in CityFlow (whose
  ``RoadLinkType`` orders them): where two movements from different roads cross or
  merge, ``go_straight`` goes before ``turn_left`` before ``turn_right``
  (:data:`TURN_RANK`), the same on every approach, whichever roads ``netconvert`` would
  take for the major ones (on a grid of equal roads it picks one direction, and the
  through movements of the other would give way to the right turns merging into their
  roads). ``netconvert`` runs once to find which movements conflict (its junction
  ``foes``), and again with a ``prohibition`` per conflict of two types
  (:func:`right_of_way`); between movements of the same type its own right of way
  stays. A green link that must give way to another link green in the same phase (by
  the junction's ``response``, e.g. a right turn that is always green merging with a
  through movement) becomes ``g`` in the network written, as SUMO's own programs have
  it (:func:`give_way`), so that no two green links in conflict both go without
  looking. While a phase changes (yellow, all red), a link green in both phases that
  gives way in the next shows ``g`` already (:class:`CitySumoSystem`): with
  ``G`` to the last tick its vehicles would reach the stop line at full speed, unable
  to stop for the through vehicles that start there as the next phase begins, and
  those, with priority, do not look (without internal links two vehicles entering a
  lane in the same tick collide).
* **no internal links** (``--no-internal-links``): a vehicle passes from the end of one
  road to the start of the next, so its free-flow time is the sum of its roads'
  lengths over their speeds, the model's definition: its roads meet at the
  intersections' points, with no junction area in between. With internal links each
  junction would add its width (some 10-20 m, driven at the roads' speed or a lower
  turning speed) to every trip. Conflicts are resolved at the stop line (a vehicle
  waits there for a foe it must give way to), and vehicles do not occupy the junction.

The routes: one vehicle per trip with its roads, ``departLane="best"``, at full speed
from the start of its first road (``departSpeed="max"``, ``departPos="0"``) to the end
of its last (``arrivalPos="max"``, also where that road ends at an intersection), of
CityFlow's default size (5 m long, 2.5 m gap) and without SUMO's random dawdling or
speed spread (``sigma="0"``, ``speedDev="0"``). Its top speed is its own
(:attr:`~.model.Trips.max_speed`; one ``vType`` per distinct speed), so that it drives
at the smaller of that and the road's limit, as in CityFlow; a vehicle without one
(``inf``) gets :data:`TOP_SPEED`, above every road's, so that the roads' limits govern.
A vehicle that finds no room on its first road waits to enter (SUMO's insertion queue),
as in CityFlow. Alone on the network, a vehicle takes
its free-flow time plus one to two ticks: SUMO inserts it at the end of its departure
tick, so it first moves a tick later, and it arrives at the end of the tick in which
it reaches its last road's end; a change of speed limit along the way adds
``dv^2 / (2 a v)`` (a third of a second from 10 to 15 m/s).

Files go to a cache folder named by a hash of the network (and a route file named by a
hash of the trips), written under a temporary name and renamed, as :mod:`..sumo.netgen`
does. :class:`CitySumoSystem` runs them with the agents, lane groups and phases of
:func:`~.signals.signal_layout`, as the built-in simulator presents them.
"""

from __future__ import annotations

import hashlib
import itertools
import math
import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from pathlib import Path
from xml.sax.saxutils import quoteattr

import numpy as np

from fieldgym.envs.core.errors import DataError, FieldgymError
from fieldgym.envs.core.files import atomic_folder, atomic_path
from fieldgym.envs.core.optional import require
from fieldgym.envs.traffic.city.model import RoadNet, Trips
from fieldgym.envs.traffic.city.signals import (
    SignalLayout,
    approach_length,
    movement_flows,
    observation_high,
    saturation,
    signal_layout,
)
from fieldgym.envs.traffic.config import TrafficConfig
from fieldgym.envs.traffic.render import render_lanes
from fieldgym.envs.traffic.sumo.netgen import cache_root, run_tool
from fieldgym.envs.traffic.sumo.plan import city_links, city_plan, city_states
from fieldgym.envs.traffic.sumo.system import PURPOSE, SumoSystem, sumo_home

VERSION = "city-2"
"""Part of every cache key: change it when the files written change."""
TOP_SPEED = 100.0
"""Top speed of vehicles without their own, m/s: above every road's limit, so that the
roads' limits govern."""
NETCONVERT_OPTIONS = (
    "--no-turnarounds", "true",
    "--tls.guess", "false",
    "--roundabouts.guess", "false",
    "--no-internal-links", "true",
    "--offset.disable-normalization", "true",
    "--no-warnings", "true",
)  # fmt: skip
"""Build exactly what the plain files say (module docstring)."""
TURN_RANK = {"go_straight": 3, "turn_left": 2, "turn_right": 1}
"""CityFlow's right of way between movements that cross or merge (its ``RoadLinkType``):
the higher goes first."""


def _xy(points) -> str:
    return " ".join(f"{x:.2f},{y:.2f}" for x, y in points)


def net_key(net: RoadNet) -> str:
    """A short hash of the network's content (its converted files depend on nothing else)."""
    return hashlib.sha1((VERSION + repr(net)).encode()).hexdigest()[:16]


def trips_key(trips: Trips) -> str:
    """A short hash of the trips' content (their top speeds included)."""
    digest = hashlib.sha1(VERSION.encode())
    for array, dtype in (
        (trips.depart, np.float64),
        (trips.route_start, np.int64),
        (trips.roads, np.int64),
        (trips.max_speed, np.float64),
    ):
        digest.update(np.ascontiguousarray(array, dtype=dtype).tobytes())
    return digest.hexdigest()[:16]


def plain_files(
    net: RoadNet, folder: Path, rules: Sequence[tuple[int, int, int, int]] = ()
) -> list[str]:
    """Write the plain XML of ``net`` into ``folder``; the ``netconvert`` arguments to read it.

    ``rules`` (:func:`right_of_way`) become ``prohibition`` elements: the movement
    ``rule[2] -> rule[3]`` gives way to ``rule[0] -> rule[1]`` (road indices).
    """
    nodes = ["<nodes>"]
    for inter in net.intersections:
        x, y = inter.point
        if inter.signalized:
            kind = f'type="traffic_light" tl={quoteattr(inter.id)}'
        elif inter.virtual and not inter.movements:
            kind = 'type="dead_end"'
        else:
            kind = 'type="priority"'
        nodes.append(f'  <node id={quoteattr(inter.id)} x="{x:.2f}" y="{y:.2f}" {kind}/>')
    nodes.append("</nodes>")
    edges = ["<edges>"]
    for road in net.roads:
        edges.append(
            f"  <edge id={quoteattr(road.id)} from={quoteattr(net.intersections[road.start].id)} "
            f'to={quoteattr(net.intersections[road.end].id)} numLanes="{road.lanes}" '
            f'speed="{road.speed:.4f}" length="{road.length:.4f}" shape="{_xy(road.points)}">'
        )
        for k in range(road.lanes):
            lane = road.lanes - 1 - k  # SUMO lane k is CityFlow lane lanes - 1 - k
            edges.append(
                f'    <lane index="{k}" speed="{road.lane_speeds[lane]:.4f}" '
                f'width="{road.lane_widths[lane]:.4f}"/>'
            )
        edges.append("  </edge>")
    edges.append("</edges>")
    connections, programs = ["<connections>"], ["<tlLogics>"]
    leaving = set()
    states = {}
    if net.signals:
        states = dict(zip(net.signals, city_states(net, signal_layout(net)), strict=True))
    for i, inter in enumerate(net.intersections):
        links = city_links(net, i)
        for _, inbound, from_lane, outbound, to_lane in links:
            leaving.add(inbound)
            connections.append(
                f"  <connection from={quoteattr(net.roads[inbound].id)} "
                f"to={quoteattr(net.roads[outbound].id)} "
                f'fromLane="{from_lane}" toLane="{to_lane}"/>'
            )
        if i not in states:
            continue
        programs.append(f'  <tlLogic id={quoteattr(inter.id)} type="static" programID="0">')
        for k, state in zip(inter.green_phases, states[i], strict=True):
            duration = max(float(inter.light_phases[k].time), 1.0)
            programs.append(f'    <phase duration="{duration:g}" state="{state}"/>')
        programs.append("  </tlLogic>")
        for index, (_, inbound, from_lane, outbound, to_lane) in enumerate(links):
            programs.append(
                f"  <connection from={quoteattr(net.roads[inbound].id)} "
                f'to={quoteattr(net.roads[outbound].id)} fromLane="{from_lane}" '
                f'toLane="{to_lane}" tl={quoteattr(inter.id)} linkIndex="{index}"/>'
            )
    for k, road in enumerate(net.roads):
        if k not in leaving:  # a dead end: netconvert would otherwise add connections
            connections.append(f"  <connection from={quoteattr(road.id)}/>")
    ids = [road.id for road in net.roads]
    for a, b, c, d in rules:
        connections.append(
            f"  <prohibition prohibitor={quoteattr(f'{ids[a]}->{ids[b]}')} "
            f"prohibited={quoteattr(f'{ids[c]}->{ids[d]}')}/>"
        )
    connections.append("</connections>")
    programs.append("</tlLogics>")
    files = {"plain.nod.xml": nodes, "plain.edg.xml": edges, "plain.con.xml": connections}
    files["plain.tll.xml"] = programs
    for name, lines in files.items():
        (folder / name).write_text('<?xml version="1.0" encoding="UTF-8"?>\n' + "\n".join(lines))
    return [
        "--node-files", str(folder / "plain.nod.xml"),
        "--edge-files", str(folder / "plain.edg.xml"),
        "--connection-files", str(folder / "plain.con.xml"),
        "--tllogic-files", str(folder / "plain.tll.xml"),
    ]  # fmt: skip


def junction_links(root: ET.Element) -> dict[str, list[tuple[str, str, int]]]:
    """Per junction of a ``.net.xml``, its links in junction link order.

    The order of the ``request`` rows and of the ``response`` and ``foes`` bits (reversed):
    the incoming lanes in ``incLanes`` order, each lane's connections in file order.

    Returns:
        Junction id -> ``(from road, to road, tl link index or -1)`` per link.
    """
    by_lane: dict[str, list[ET.Element]] = {}
    for conn in root.iter("connection"):
        by_lane.setdefault(f"{conn.get('from')}_{conn.get('fromLane')}", []).append(conn)
    return {
        junction.get("id"): [
            (c.get("from"), c.get("to"), int(c.get("linkIndex", -1)))
            for lane in junction.get("incLanes", "").split()
            for c in by_lane.get(lane, [])
        ]
        for junction in root.iter("junction")
    }


def _bits(request: ET.Element, name: str) -> list[int]:
    """The links (junction link order) whose bit is set in a ``request``'s ``name``."""
    return [j for j, bit in enumerate(reversed(request.get(name, ""))) if bit == "1"]


def right_of_way(net: RoadNet, net_file: Path) -> list[tuple[int, int, int, int]]:
    """CityFlow's right of way between the movements that ``netconvert`` found in conflict.

    Two movements of an intersection cross or merge where ``netconvert`` made a link of
    one a foe of a link of the other (its ``foes`` bits). CityFlow lets the movement of
    the higher type go first: ``go_straight`` over ``turn_left`` over ``turn_right``
    (:data:`TURN_RANK`, its ``RoadLinkType``), whatever the roads; between movements of
    the same type, and between two movements from the same road, ``netconvert``'s right
    of way stays.

    Returns:
        ``(prohibitor inbound, prohibitor outbound, prohibited inbound, prohibited
        outbound)`` road indices: the second movement gives way to the first.
    """
    root = ET.parse(net_file).getroot()
    links = junction_links(root)
    index = net.road_index()
    inter_of = {inter.id: inter for inter in net.intersections}
    rules = set()
    for junction in root.iter("junction"):
        inter = inter_of.get(junction.get("id"))
        if inter is None or not inter.movements:
            continue
        rank = {}
        for m in inter.movements:
            rank.setdefault((m.inbound, m.outbound), TURN_RANK.get(m.turn, 0))
        mine = [(index[a], index[b]) for a, b, _ in links[junction.get("id")]]
        for request in junction.iter("request"):
            one = mine[int(request.get("index"))]
            for j in _bits(request, "foes"):
                other = mine[j]
                if one[0] != other[0] and rank[one] > rank[other]:
                    rules.add((*one, *other))
    # SUMO reads "from->to": an id with "->" in it would be read wrongly (left to netconvert)
    rules = {r for r in rules if not any("->" in net.roads[k].id for k in r)}
    return sorted(rules)


def give_way(net_file: Path) -> set[tuple[str, str, int, int]]:
    """Make the green links that must give way to a link green with them ``g``, in place.

    ``netconvert`` writes, per junction, which of its links each link must give way to
    (``response``, in :func:`junction_links` order). A link that is green together with
    one it must give way to becomes ``g`` (green without priority) in that phase; SUMO's
    own programs are built that way.

    Returns:
        The network's connections ``(from road, to road, from lane, to lane)``.
    """
    tree = ET.parse(net_file)
    root = tree.getroot()
    found = {
        (c.get("from"), c.get("to"), int(c.get("fromLane")), int(c.get("toLane")))
        for c in root.iter("connection")
    }
    links = junction_links(root)
    changed = False
    programs = {tl.get("id"): tl for tl in root.iter("tlLogic")}
    for junction in root.iter("junction"):
        program = programs.get(junction.get("id"))
        if junction.get("type") != "traffic_light" or program is None:
            continue
        link_of = [k for *_, k in links[junction.get("id")]]  # junction order -> tl index
        yields: dict[int, list[int]] = {}
        for request in junction.iter("request"):
            mine = link_of[int(request.get("index"))]
            if mine >= 0:
                yields[mine] = [link_of[j] for j in _bits(request, "response")]
        for phase in program.iter("phase"):
            state = list(phase.get("state"))
            for k, foes in yields.items():
                if state[k] == "G" and any(state[j] in "Gg" for j in foes if j >= 0):
                    state[k] = "g"
                    changed = True
            phase.set("state", "".join(state))
    if changed:
        tree.write(net_file, encoding="UTF-8", xml_declaration=True)
    return found


def read_states(net_file: str | Path, layout: SignalLayout) -> list[list[str]]:
    """The green phases' link states of the agents' programs in a converted network."""
    programs = {}
    for _, element in ET.iterparse(net_file):
        if element.tag == "tlLogic":
            programs[element.get("id")] = [p.get("state") for p in element.iter("phase")]
            element.clear()
    return [programs[name] for name in layout.names]


def vehicle_type(max_speed: float) -> str:
    """The ``vType`` id of vehicles of top speed ``max_speed``: ``city`` for ``inf``."""
    return "city" if math.isinf(max_speed) else f"city_{float(max_speed)!r}"


def write_routes(net: RoadNet, trips: Trips, path: Path, source: str) -> None:
    """Write one vehicle per trip (module docstring).

    One ``vType`` per distinct top speed (:func:`vehicle_type`; ``maxSpeed`` the speed, or
    :data:`TOP_SPEED` for ``inf``), each vehicle of its own.

    Raises:
        DataError: If a route drives between two roads that no road link connects.
    """
    links = {(m.inbound, m.outbound) for inter in net.intersections for m in inter.movements}
    ids = [road.id for road in net.roads]
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', "<routes>"]
    speeds = np.asarray(trips.max_speed, dtype=np.float64).tolist()
    type_of = {}
    for speed in sorted(set(speeds), key=lambda s: (not math.isinf(s), s)):  # inf first
        type_of[speed] = vehicle_type(speed)
        top = f"{TOP_SPEED:g}" if math.isinf(speed) else repr(speed)
        lines.append(
            f'  <vType id="{type_of[speed]}" length="5" minGap="2.5" maxSpeed="{top}" '
            'speedDev="0" sigma="0"/>'
        )
    types = [type_of[speed] for speed in speeds]
    for v in np.argsort(trips.depart, kind="stable").tolist():  # SUMO reads them in order
        route = [int(r) for r in trips.route(v)]
        for a, b in itertools.pairwise(route):
            if (a, b) not in links:
                raise DataError(
                    f"{source}: vehicle {v} drives from road {ids[a]!r} onto {ids[b]!r}, which "
                    "no road link of the road network connects."
                )
        edges = " ".join(ids[r] for r in route)
        lines.append(
            f'  <vehicle id="{v}" type="{types[v]}" depart="{float(trips.depart[v]):.3f}" '
            'departLane="best" departPos="0" departSpeed="max" arrivalPos="max">'
            f"<route edges={quoteattr(edges)}/></vehicle>"
        )
    lines.append("</routes>")
    path.write_text("\n".join(lines) + "\n")


def _netconvert(args: list[str], output: Path, source: str, home: Path | None) -> None:
    try:
        run_tool(
            home or sumo_home(),
            "netconvert",
            [*args, *NETCONVERT_OPTIONS, "--output-file", str(output)],
        )
    except FieldgymError as exc:
        raise DataError(f"{source} could not be converted for SUMO: {exc}") from None


def convert(
    net: RoadNet,
    trips: Trips,
    folder: str | Path | None = None,
    source: str = "the road network",
    home: Path | None = None,
) -> tuple[Path, Path]:
    """SUMO files for a CityFlow network and its trips (module docstring), cached.

    Args:
        net: The road network.
        trips: Its trips.
        folder: The cache folder (fieldgym's SUMO cache if ``None``): the network goes to
            ``folder/city-<hash of net>/net.net.xml``, the routes next to it to
            ``trips-<hash of trips>.rou.xml``; existing files are reused.
        source: The input file(s) named in errors.
        home: SUMO's folder (from the ``eclipse-sumo`` wheel if ``None``).

    Returns:
        The network file and the route file.

    Raises:
        DataError: If ``netconvert`` rejects the network (its message quoted), or a
            route drives between two roads no road link connects.
    """
    for road in net.roads:
        if not road.id or re.search(r"\s", road.id):
            raise DataError(f"{source}: road id {road.id!r} is empty or has white space.")
    root = Path(folder) if folder is not None else cache_root()
    target = root / f"city-{net_key(net)}"
    net_file = target / "net.net.xml"
    if not net_file.is_file():
        with atomic_folder(target) as work:
            built = work / "net.net.xml"
            args = plain_files(net, work)
            _netconvert(args, built, source, home)
            rules = right_of_way(net, built)
            if rules:  # again, with CityFlow's right of way
                _netconvert(plain_files(net, work, rules), built, source, home)
            found = give_way(built)
            expected = {
                (net.roads[a].id, net.roads[b].id, from_lane, to_lane)
                for i in range(len(net.intersections))
                for _, a, from_lane, b, to_lane in city_links(net, i)
            }
            if found != expected:
                missing = sorted(expected - found)[:5]
                raise DataError(
                    f"{source} could not be converted for SUMO: netconvert built "
                    f"{len(found)} lane links instead of {len(expected)} (missing, "
                    f"from road, to road, SUMO lanes counted from the right: {missing})."
                )
            for name in ("plain.nod.xml", "plain.edg.xml", "plain.con.xml", "plain.tll.xml"):
                (work / name).unlink(missing_ok=True)
    routes = target / f"trips-{trips_key(trips)}.rou.xml"
    if not routes.is_file():
        with atomic_path(routes, durable=False) as draft:
            write_routes(net, trips, draft, source)
    return net_file, routes


class CitySumoSystem(SumoSystem):
    """One SUMO simulation of a CityFlow network and its trips, in the built-in's layout.

    The agents are the signalized intersections (their ids), the lane groups their
    movements and the phases their green phases (:func:`~.signals.signal_layout`); the
    ``outgoing`` block has one entry per lane group: the vehicles on its outbound road.
    Halted and moving vehicles of a lane group are those on its lanes: a lane that
    serves two movements counts its vehicles in both groups (the intersection records
    count each lane once).

    Args:
        config: The signal timing (``delta_time``, yellow, all red, min and max green),
            ``step_length``, ``saturation_flow`` and ``sumo_interface``; its grid and
            demand fields are not used.
        net: The road network.
        trips: The vehicles to run.
        source: The input file(s), named in errors.
    """

    outgoing_per_group = True

    def __init__(
        self, config: TrafficConfig, net: RoadNet, trips: Trips, source: str = "the road network"
    ) -> None:
        self.config = config
        self.home = sumo_home()
        self.api = require(config.sumo_interface, "sumo", PURPOSE)
        self.net, self.trips, self.source = net, trips, source
        self.city = signal_layout(net)
        self.net_file, self.route_file = convert(net, trips, source=source, home=self.home)
        self.plan = city_plan(net, self.city, read_states(self.net_file, self.city))
        self._setup(
            self.city.names, self.city.phase_lanes, self.city.phase_counts, self.city.num_groups
        )
        self.plan_greens = self.city.plan_greens.copy()
        self.approach_length = approach_length(net, self.city)
        self.high = observation_high(net, self.city, self.layout, config)

    def files(self) -> tuple[str, str]:
        """The converted network and route files (converted again if the cache was cleared)."""
        if not (self.net_file.is_file() and self.route_file.is_file()):
            self.net_file, self.route_file = convert(
                self.net, self.trips, source=self.source, home=self.home
            )
        return str(self.net_file), str(self.route_file)

    def lane_flows(self) -> np.ndarray:
        """``(I, G)`` mean rate of the trips through each movement, veh/h."""
        return movement_flows(self.net, self.trips, self.city)

    def lane_saturation(self) -> np.ndarray:
        return saturation(self.city, self.config)

    def render(self, obs: np.ndarray) -> np.ndarray:
        return render_lanes(obs[:, self.layout["queue"][0]], self.signal_states())

    def _state_of(self, i: int) -> str:
        """The link states shown: :class:`SumoSystem`'s, but ``g`` early (module docstring).

        While a phase changes, a link green in both phases that gives way in the next
        (``g``) gives way already (``g``, not ``G``).
        """
        if self.clear[0, i] == 0:
            return super()._state_of(i)
        key = (
            i,
            int(self.phase[0, i]),
            int(self.next_phase[0, i]),
            bool(self.clear[0, i] > self.all_red_ticks),
        )
        if key not in self._transitions:
            shown = super()._state_of(i)
            new = self.plan.green_states[i][key[2]]
            self._transitions[key] = "".join(
                "g" if a == "G" and b == "g" else a for a, b in zip(shown, new, strict=True)
            )
        return self._transitions[key]


__all__ = ["CitySumoSystem", "convert"]
