"""Demand from files: CityFlow flow JSON and SUMO route files, replayed on a matching grid.

This module replays a flow file on the config's generated grid (its ``link_length``,
turning by movement shares). To run a CityFlow city as it is (its own roads and lengths,
every vehicle on its own route), give its road network too: ``roadnet_file``
(:mod:`fieldgym.envs.traffic.city`).

A flow file lists vehicles (or flows of vehicles) with departure times and routes. Its
routes are read as paths through the ``rows × cols`` grid of the config: the entry link
(intersection and side) and, at every intersection crossed, the movement (left, through,
right). The file must fit the grid: a route leaving it, or an intersection outside it,
is a :class:`~fieldgym.envs.core.errors.DataError`.

* CityFlow (the format of the public Hangzhou, Jinan and Manhattan datasets): roads are
  ``road_<x>_<y>_<d>``, leaving intersection ``(x, y)`` (1-based, ``y`` to the north,
  ``0`` and ``cols + 1`` / ``rows + 1`` the virtual boundary nodes) in direction ``d``
  (0 east, 1 north, 2 west, 3 south). A flow repeats every ``interval`` seconds from
  ``startTime`` to ``endTime`` (``-1``: for :data:`HORIZON` seconds).
* SUMO (``.rou.xml``) with the edge names ``netgenerate`` gives a grid (``A0B0``,
  ``top0A0``, ...): ``vehicle``, ``flow`` (``period``, ``vehsPerHour``, ``probability``,
  ``number``; random headways are replayed at their mean rate) and route distributions
  (each route weighted by its probability).

The built-in simulator replays the departures as arrivals at the entry links (a fluid:
a route distribution contributes fractions of vehicles) and turns vehicles by the
movement shares the file's routes show at each approach (approaches no route crosses
keep the config's ``turning_ratios``). The SUMO backend runs a SUMO route file as it is,
and a CityFlow file converted to SUMO vehicles with explicit routes.
"""

from __future__ import annotations

import dataclasses
import json
import math
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np

from fieldgym.envs.core.errors import DataError
from fieldgym.envs.traffic.config import TrafficConfig
from fieldgym.envs.traffic.network import GROUPS, OFFSETS, Network

HORIZON = 86_400.0
"""Seconds an open-ended flow (CityFlow ``endTime: -1``, SUMO flow without end) lasts."""
CITYFLOW_HEADING = {0: 1, 1: 0, 2: 3, 3: 2}
"""CityFlow direction (0 east, 1 north, 2 west, 3 south) -> side it leaves by (N=0 ...)."""


@dataclasses.dataclass
class Demand:
    """Vehicles of a flow file as paths through the grid.

    Attributes:
        departures: Departure time of each vehicle, s.
        weights: Each vehicle's weight (1, or a route's probability in a distribution).
        paths: Each vehicle's crossings ``(intersection, approach, movement)``, in order.
    """

    departures: list[float] = dataclasses.field(default_factory=list)
    weights: list[float] = dataclasses.field(default_factory=list)
    paths: list[list[tuple[int, int, int]]] = dataclasses.field(default_factory=list)

    def add(self, time: float, path: list[tuple[int, int, int]], weight: float = 1.0) -> None:
        """Add one vehicle (or a weighted share of one)."""
        self.departures.append(float(time))
        self.weights.append(float(weight))
        self.paths.append(path)


def _movement(approach: int, out_side: int, where: str) -> int:
    movement = (out_side - approach - 1) % 4
    if movement == 3:
        raise DataError(f"{where}: a U-turn, which the grid's intersections do not allow.")
    return movement


def _intersection(config: TrafficConfig, r: int, c: int, where: str) -> int:
    if not (0 <= r < config.rows and 0 <= c < config.cols):
        raise DataError(
            f"{where} lies outside the {config.rows} x {config.cols} grid of the config; "
            "set rows and cols to the flow file's grid."
        )
    return r * config.cols + c


def read_cityflow(path: Path, config: TrafficConfig) -> Demand:
    """A CityFlow flow JSON as a :class:`Demand` (see the module docstring)."""
    try:
        flows = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise DataError(f"{path}: not a readable CityFlow flow file ({exc}).") from exc
    demand = Demand()
    for k, flow in enumerate(flows):
        where = f"{path.name} flow {k}"
        try:
            roads = [_cityflow_road(name, where) for name in flow["route"]]
            start, end = float(flow["startTime"]), float(flow["endTime"])
            interval = float(flow.get("interval", 1.0))
        except (KeyError, TypeError, ValueError) as exc:
            raise DataError(f"{where}: missing or bad field ({exc}).") from exc
        path_ = _cityflow_path(roads, config, where)
        end = start + HORIZON if end < 0 else end
        count = 1 if interval <= 0 else math.floor((end - start) / interval + 1e-9) + 1
        for n in range(max(count, 1)):
            demand.add(start + n * max(interval, 0.0), path_)
    return demand


def _cityflow_road(name: str, where: str) -> tuple[int, int, int]:
    match = re.fullmatch(r"road_(\d+)_(\d+)_([0-3])", name)
    if match is None:
        raise DataError(f"{where}: road {name!r} is not named road_<x>_<y>_<direction>.")
    return int(match[1]), int(match[2]), int(match[3])


def _cityflow_path(roads: list, config: TrafficConfig, where: str) -> list[tuple[int, int, int]]:
    crossings = []
    for k, (x, y, d) in enumerate(roads):
        side_out = CITYFLOW_HEADING[d]
        dr, dc = OFFSETS[side_out]
        r_to, c_to = config.rows - y + dr, x - 1 + dc
        if k + 1 < len(roads):
            nx, ny, nd = roads[k + 1]
            if (config.rows - ny, nx - 1) != (r_to, c_to):
                raise DataError(f"{where}: road {k + 1} does not start where road {k} ends.")
            i = _intersection(config, r_to, c_to, f"{where}: intersection_{nx}_{ny}")
            approach = (side_out + 2) % 4
            crossings.append((i, approach, _movement(approach, CITYFLOW_HEADING[nd], where)))
        elif k == 0:
            raise DataError(f"{where}: a route needs at least two roads.")
    return crossings


def sumo_edge_names(config: TrafficConfig) -> dict[str, tuple[int, int]]:
    """Incoming edge id of a netgenerate grid -> (intersection, side it enters from)."""
    if config.cols > 26:
        raise DataError("netgenerate names at most 26 columns (A..Z); use cols <= 26.")
    rows = config.rows

    def node(r: int, c: int) -> str:
        return f"{chr(65 + c)}{rows - 1 - r}"

    fringe = {0: "top{c}", 1: "right{y}", 2: "bottom{c}", 3: "left{y}"}
    names = {}
    for i in range(config.num_intersections):
        r, c = divmod(i, config.cols)
        for side in range(4):
            dr, dc = OFFSETS[side]
            if 0 <= r + dr < rows and 0 <= c + dc < config.cols:
                other = node(r + dr, c + dc)
            else:
                other = fringe[side].format(c=c, y=rows - 1 - r)
            names[other + node(r, c)] = (i, side)
    return names


def edges_to_path(edges: list[str], incoming: dict, where: str) -> list[tuple[int, int, int]]:
    """Crossings of a SUMO route given as edge ids of a netgenerate grid."""
    crossings = []
    for k in range(len(edges) - 1):
        if edges[k] not in incoming:
            raise DataError(f"{where}: edge {edges[k]!r} is not an edge into the grid.")
        i, approach = incoming[edges[k]]
        nxt = incoming.get(edges[k + 1])
        side_out = _exit_side(edges[k + 1]) if nxt is None else (nxt[1] + 2) % 4
        crossings.append((i, approach, _movement(approach, side_out, where)))
    return crossings


def _exit_side(edge: str) -> int:
    """The side an exit edge ``<node><fringe>`` leaves by, from its fringe node's name."""
    for side, prefix in ((0, "top"), (1, "right"), (2, "bottom"), (3, "left")):
        if re.search(prefix + r"\d+$", edge):
            return side
    raise DataError(f"edge {edge!r} is neither an edge into the grid nor an exit edge.")


def read_sumo_routes(path: Path, config: TrafficConfig) -> Demand:
    """A SUMO route file on a netgenerate grid as a :class:`Demand`."""
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError) as exc:
        raise DataError(f"{path}: not a readable SUMO route file ({exc}).") from exc
    incoming = sumo_edge_names(config)
    routes: dict[str, list[tuple[list[str], float]]] = {}
    for route in root.iter("route"):
        if route.get("id"):
            routes[route.get("id")] = [(route.get("edges", "").split(), 1.0)]
    for dist in root.iter("routeDistribution"):
        members = [
            (r.get("edges", "").split(), float(r.get("probability", 1.0)))
            for r in dist.iter("route")
        ]
        total = sum(p for _, p in members) or 1.0
        routes[dist.get("id")] = [(edges, p / total) for edges, p in members]
    demand = Demand()
    for element in root:
        if element.tag not in ("vehicle", "flow"):
            continue
        where = f"{path.name} {element.tag} {element.get('id')!r}"
        nested = element.find("route")
        if nested is not None:
            choices = [(nested.get("edges", "").split(), 1.0)]
        elif element.get("route") in routes:
            choices = routes[element.get("route")]
        else:
            raise DataError(f"{where}: no route (from/to trips cannot be replayed).")
        paths = [(edges_to_path(edges, incoming, where), p) for edges, p in choices]
        for time, weight in _departures(element, where):
            for path_, p in paths:
                demand.add(time, path_, weight * p)
    return demand


def _departures(element: ET.Element, where: str) -> list[tuple[float, float]]:
    """(time, weight) of the vehicles of a ``vehicle`` or ``flow`` element."""
    if element.tag == "vehicle":
        return [(float(element.get("depart", 0.0)), 1.0)]
    begin = float(element.get("begin", 0.0))
    end = float(element.get("end", begin + HORIZON))
    if element.get("number") is not None:
        number = int(element.get("number"))
        step = (end - begin) / max(number, 1)
        return [(begin + n * step, 1.0) for n in range(number)]
    if element.get("vehsPerHour") is not None:
        period = 3600.0 / float(element.get("vehsPerHour"))
        return [(t, 1.0) for t in np.arange(begin, end, period)]
    if element.get("probability") is not None:  # one vehicle per second with probability p
        p = float(element.get("probability"))
        return [(t, p) for t in np.arange(begin, end, 1.0)]
    period_text = element.get("period", "")
    rate = re.fullmatch(r"exp\(([\d.eE+-]+)\)", period_text)
    if rate is not None:  # Poisson: replayed at its mean rate, one share per second
        return [(t, float(rate[1])) for t in np.arange(begin, end, 1.0)]
    if period_text:
        return [(t, 1.0) for t in np.arange(begin, end, float(period_text))]
    raise DataError(f"{where}: a flow needs number, vehsPerHour, probability or period.")


def read_flow_file(path: str | Path, config: TrafficConfig) -> Demand:
    """A CityFlow ``.json`` or a SUMO route file (``.xml``), by the file's suffix."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"flow_file={str(path)!r} does not exist.")
    if path.suffix == ".json":
        return read_cityflow(path, config)
    return read_sumo_routes(path, config)


def replay_inputs(demand: Demand, network: Network, config: TrafficConfig):
    """The built-in simulator's arrival schedule ``(E, T)`` and lane turning ratios ``(L,)``.

    Arrivals are placed at the tick of their departure; turning ratios are the movement
    shares of the file's vehicles at each approach.
    """
    entry_of = {int(link): e for e, link in enumerate(network.entry_link)}
    finite = [t for t in demand.departures if math.isfinite(t)]
    ticks = int(max(finite, default=0.0) / config.step_length) + 1
    schedule = np.zeros((len(network.entry_link), ticks))
    counts = np.zeros(network.num_lanes)
    for time, weight, path in zip(demand.departures, demand.weights, demand.paths, strict=True):
        if not path:
            continue
        i, approach, _ = path[0]
        link = 4 * i + approach
        if link not in entry_of:
            raise DataError(
                f"a route starts at intersection {i} from side {'NESW'[approach]}, which is "
                "not an entry link of the grid."
            )
        schedule[entry_of[link], int(time / config.step_length)] += weight
        for i, approach, movement in path:
            counts[GROUPS * i + 3 * approach + movement] += weight
    ratios = network.lane_params[:, 2].copy()
    per_link = counts.reshape(-1, 3)
    seen = per_link.sum(axis=1) > 0
    ratios.reshape(-1, 3)[seen] = per_link[seen] / per_link[seen].sum(axis=1, keepdims=True)
    return schedule, ratios


def write_sumo_vehicles(demand: Demand, config: TrafficConfig, out: Path) -> None:
    """A SUMO route file with one vehicle per :class:`Demand` vehicle (whole weights only)."""
    names = {value: key for key, value in sumo_edge_names(config).items()}
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', "<routes>"]
    lines.append(
        f'  <vType id="car" length="5" minGap="2.5" maxSpeed="{config.speed_limit:.2f}" '
        'speedDev="0"/>'
    )
    order = np.argsort(demand.departures, kind="stable")
    for n in order:
        path, weight = demand.paths[n], demand.weights[n]
        if not path or weight < 1.0:
            continue
        edges = [names[(i, a)] for i, a, _ in path]
        i, a, m = path[-1]
        out_side = (a + 1 + m) % 4
        r, c = divmod(i, config.cols)
        dr, dc = OFFSETS[out_side]
        rr, cc = r + dr, c + dc
        if 0 <= rr < config.rows and 0 <= cc < config.cols:
            raise DataError("a route ends inside the grid; routes must end at an exit link.")
        node = f"{chr(65 + c)}{config.rows - 1 - r}"
        fringe = {0: f"top{c}", 1: f"right{config.rows - 1 - r}", 2: f"bottom{c}"}
        edges.append(node + fringe.get(out_side, f"left{config.rows - 1 - r}"))
        lines.append(
            f'  <vehicle id="v{n}" type="car" depart="{demand.departures[n]:.2f}" '
            f'departLane="best" departSpeed="max" arrivalPos="1">'
            f'<route edges="{" ".join(edges)}"/></vehicle>'
        )
    lines.append("</routes>")
    out.write_text("\n".join(lines) + "\n")
