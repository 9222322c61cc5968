"""CityFlow's road network and flow files: read and checked, or written.

:func:`read_roadnet` and :func:`read_flows` turn CityFlow's two JSON files (their format
is summarized in :mod:`.model`) into a :class:`~.model.RoadNet` and its
:class:`~.model.Trips`, and refuse a malformed file with a
:class:`~fieldgym.envs.core.errors.DataError` naming the file, the intersection, road or
flow, the field, and the fix. :func:`write_roadnet` and :func:`write_flows` write them
back (atomically) in a form CityFlow and the readers accept; reading what they wrote gives
the same network and trips.

What the readers take from the files, and what they leave:

* Virtual intersections (border nodes) keep only their point: CityFlow ignores their
  ``roadLinks``, ``trafficLight`` and ``width``, and so do the readers.
* ``availableRoadLinks`` are indices into the intersection's ``roadLinks``, as CityFlow
  reads them; ``roadLinkIndices`` (``0 .. n-1`` in CityFlow's own files) is only checked
  to be in range. A phase's road links are kept sorted, without repeats.
* Not kept: intersection ``width`` (CityFlow cuts that much off each end of a road at a
  non-virtual intersection; the reader checks that roads are long enough for it, the
  writer chooses widths itself), lane-link ``points`` (shapes), roadLink ``direction``
  and the flows' ``vehicle`` parameters other than ``maxSpeed`` (the writer writes
  CityFlow's defaults).
* A flow's ``vehicle.maxSpeed`` (m/s) becomes its vehicles'
  :attr:`~.model.Trips.max_speed`: both backends drive a vehicle at most at the smaller
  of it and the road's speed, as CityFlow does. A flow without ``vehicle``, or whose
  ``vehicle`` has no ``maxSpeed``, gives ``np.inf`` (the roads' limits govern); the
  writer writes the trip's speed, or for ``np.inf`` the fastest lane of the route's
  roads, which caps nothing.
* A route must list every road it drives: consecutive roads must meet at an
  intersection with a roadLink from one to the other. CityFlow itself fills gaps in a
  route with a shortest path; fieldgym refuses them, so both backends drive the same
  roads.
"""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from fieldgym.envs.core.errors import DataError
from fieldgym.envs.core.files import atomic_path
from fieldgym.envs.traffic.city.model import (
    TURNS,
    Intersection,
    LightPhase,
    Movement,
    Road,
    RoadNet,
    Trips,
)
from fieldgym.envs.traffic.flows import HORIZON

ROADNET = "a CityFlow road network (a JSON object with 'intersections' and 'roads')"
FLOWS = (
    "a CityFlow flow file (a JSON list of flows with 'route', 'startTime', 'endTime' and "
    "'interval')"
)
VEHICLE = {
    "length": 5.0,
    "width": 2.0,
    "maxPosAcc": 2.0,
    "maxNegAcc": 4.5,
    "usualPosAcc": 2.0,
    "usualNegAcc": 4.5,
    "minGap": 2.5,
    "maxSpeed": 11.111,
    "headwayTime": 1.5,
}
"""CityFlow's default vehicle (:func:`write_flows` sets ``maxSpeed`` per flow)."""
MAX_VEHICLES = 50_000_000
"""Most vehicles :func:`read_flows` expands (a guard against a tiny ``interval``)."""
MIN_WIDTH = 10.0
"""Least width :func:`write_roadnet` gives a non-virtual intersection, m (CityFlow's docs' own)."""


def _fail(path: Path, message: str) -> DataError:
    return DataError(f"{path}: {message}")


def _load(path: Path, expected: str) -> Any:
    """The parsed JSON of ``path``; a DataError saying what was expected otherwise."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise _fail(path, f"cannot be read ({exc.strerror or exc}); check the path.") from exc
    except UnicodeDecodeError as exc:
        raise _fail(path, f"is not a text file; expected {expected}.") from exc
    if text.lstrip().startswith("<"):
        raise _fail(
            path,
            f"is an XML file (a SUMO network or route file?), not {expected}. SUMO files go "
            "to net_file and route_file with backend='sumo'.",
        )
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise _fail(
            path,
            f"is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}); "
            f"expected {expected}.",
        ) from exc


def _field(path: Path, obj: dict, key: str, where: str) -> Any:
    if key not in obj:
        raise _fail(path, f"{where} has no {key!r} field; CityFlow needs it.")
    return obj[key]


def _number(path: Path, obj: dict, key: str, where: str, low: float | None = None) -> float:
    """A finite number field; above ``low`` (strictly) when given."""
    value = _field(path, obj, key, where)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise _fail(path, f"{where} has {key}={value!r}; it must be a finite number.")
    if low is not None and value <= low:
        raise _fail(path, f"{where} has {key}={value!r}; it must be greater than {low:g}.")
    return float(value)


def _index(path: Path, obj: dict, key: str, where: str, size: int, what: str) -> int:
    value = _field(path, obj, key, where)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < size:
        raise _fail(
            path,
            f"{where} has {key}={value!r}, which is not a lane of {what} (it has {size} "
            f"lane(s), indices 0 to {size - 1}).",
        )
    return value


def _list(path: Path, obj: dict, key: str, where: str, least: int = 0) -> list:
    value = _field(path, obj, key, where)
    if not isinstance(value, list):
        raise _fail(path, f"{where} has {key}={_short(value)}; it must be a list.")
    if len(value) < least:
        raise _fail(
            path, f"{where} has {len(value)} item(s) in {key!r}; it needs at least {least}."
        )
    return value


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _point(path: Path, value: Any, where: str) -> tuple[float, float]:
    if not isinstance(value, dict):
        raise _fail(path, f"{where} is {_short(value)}; a point is an object {{'x': .., 'y': ..}}.")
    return _number(path, value, "x", where), _number(path, value, "y", where)


def _ids(path: Path, items: Any, kind: str) -> dict[str, int]:
    """Id -> position of the intersections or roads, each an object with a unique id."""
    if not isinstance(items, list):
        raise _fail(path, f"'{kind}s' is {_short(items)}; it must be a list; expected {ROADNET}.")
    ids: dict[str, int] = {}
    for k, item in enumerate(items):
        if not isinstance(item, dict):
            raise _fail(path, f"{kind}s[{k}] is {_short(item)}; each {kind} is a JSON object.")
        name = item.get("id")
        if not isinstance(name, str) or not name:
            raise _fail(path, f"{kind}s[{k}] has id={name!r}; every {kind} needs a string id.")
        if name in ids:
            raise _fail(
                path,
                f"{kind} id {name!r} is used twice ({kind}s[{ids[name]}] and {kind}s[{k}]); "
                "ids must be unique.",
            )
        ids[name] = k
    return ids


PACKAGE = Path(__file__).resolve().parents[3]
"""fieldgym's installed folder (its ``data/traffic`` holds the shipped examples)."""


def locate(path: str | Path) -> Path:
    """``path``, or the file of that relative path inside fieldgym's installed folder.

    A relative path is first looked for from the working folder; if nothing is there,
    inside fieldgym's folder, so ``data/traffic/grid2x2/roadnet.json`` names the shipped
    example from any working folder (as scenario files do).
    """
    path = Path(path)
    if path.is_absolute() or path.exists():
        return path
    shipped = PACKAGE / path
    return shipped if shipped.exists() else path


def read_roadnet(path: str | Path) -> RoadNet:
    """A CityFlow road network file, checked (module docstring).

    Raises:
        DataError: If the file is not a CityFlow road network, or any intersection or
            road is malformed, or no intersection is signalized
            (:attr:`~.model.Intersection.signalized`).
    """
    path = locate(path)
    data = _load(path, ROADNET)
    if isinstance(data, list):
        raise _fail(
            path,
            f"is a JSON list, the layout of a CityFlow flow file; expected {ROADNET}. Pass "
            "the flows as flow_file and the road network as roadnet_file.",
        )
    if not isinstance(data, dict) or "intersections" not in data or "roads" not in data:
        keys = sorted(data)[:5] if isinstance(data, dict) else type(data).__name__
        raise _fail(path, f"has {keys}; expected {ROADNET}.")
    inter_ids = _ids(path, data["intersections"], "intersection")
    road_ids = _ids(path, data["roads"], "road")
    if not road_ids:
        raise _fail(path, "has no roads; a road network needs roads between its intersections.")
    roads = tuple(_read_road(path, item, inter_ids) for item in data["roads"])
    widths: dict[int, float] = {}
    intersections = tuple(
        _read_intersection(path, k, item, roads, road_ids, widths)
        for k, item in enumerate(data["intersections"])
    )
    _check_widths(path, roads, intersections, widths)
    net = RoadNet(intersections=intersections, roads=roads)
    if not net.signals:
        raise _fail(path, _no_signal(intersections))
    return net


def _read_road(path: Path, item: dict, inter_ids: dict[str, int]) -> Road:
    where = f"road {item['id']!r}"
    ends = []
    for key in ("startIntersection", "endIntersection"):
        name = _field(path, item, key, where)
        if name not in inter_ids:
            raise _fail(
                path,
                f"{where} has {key} {_short(name)}, which is not an intersection of the file; "
                "name one of its intersections' ids.",
            )
        ends.append(inter_ids[name])
    points = tuple(
        _point(path, p, f"{where} points[{k}]")
        for k, p in enumerate(_list(path, item, "points", where, least=2))
    )
    lanes = _list(path, item, "lanes", where, least=1)
    speeds, widths = [], []
    for k, lane in enumerate(lanes):
        lane_where = f"{where} lanes[{k}]"
        if not isinstance(lane, dict):
            raise _fail(path, f"{lane_where} is {_short(lane)}; a lane is an object.")
        widths.append(_number(path, lane, "width", lane_where, low=0.0))
        speeds.append(_number(path, lane, "maxSpeed", lane_where, low=0.0))
    road = Road(
        id=item["id"],
        start=ends[0],
        end=ends[1],
        points=points,
        lane_speeds=tuple(speeds),
        lane_widths=tuple(widths),
    )
    if road.length <= 0.0:
        raise _fail(path, f"{where} has length 0 (all its points coincide); give distinct points.")
    return road


def _read_intersection(
    path: Path,
    k: int,
    item: dict,
    roads: tuple[Road, ...],
    road_ids: dict[str, int],
    widths: dict[int, float],
) -> Intersection:
    where = f"intersection {item['id']!r}"
    point = _point(path, _field(path, item, "point", where), f"{where} point")
    virtual = _field(path, item, "virtual", where)
    if not isinstance(virtual, bool):
        raise _fail(
            path,
            f"{where} has virtual={virtual!r}; it must be true (a border node) or false.",
        )
    for name in _list(path, item, "roads", where):
        if name not in road_ids:
            raise _fail(
                path,
                f"{where} lists road {_short(name)} in 'roads', which is not a road of the "
                "file; remove it or add the road.",
            )
    if virtual:
        return Intersection(item["id"], point, True, (), ())
    widths[k] = _number(path, item, "width", where, low=None)
    if widths[k] < 0:
        raise _fail(path, f"{where} has width={widths[k]:g}; it must be 0 or more (m).")
    movements = tuple(
        _read_link(path, k, f"{where} roadLinks[{j}]", link, roads, road_ids)
        for j, link in enumerate(_list(path, item, "roadLinks", where))
    )
    seen: dict[tuple[int, int], int] = {}
    for j, m in enumerate(movements):
        if (m.inbound, m.outbound) in seen:
            raise _fail(
                path,
                f"{where} roadLinks[{seen[m.inbound, m.outbound]}] and roadLinks[{j}] both go "
                f"from road {roads[m.inbound].id!r} to road {roads[m.outbound].id!r}; merge "
                "them into one roadLink.",
            )
        seen[m.inbound, m.outbound] = j
    phases = _read_light(path, where, item, len(movements))
    return Intersection(item["id"], point, False, movements, phases)


def _read_link(
    path: Path, k: int, where: str, link: Any, roads: tuple[Road, ...], road_ids: dict[str, int]
) -> Movement:
    if not isinstance(link, dict):
        raise _fail(path, f"{where} is {_short(link)}; a roadLink is an object.")
    turn = _field(path, link, "type", where)
    if turn not in TURNS:
        raise _fail(path, f"{where} has type={_short(turn)}; it must be one of {', '.join(TURNS)}.")
    ends = []
    for key, attr, verb in (("startRoad", "end", "end"), ("endRoad", "start", "start")):
        name = _field(path, link, key, where)
        if name not in road_ids:
            raise _fail(path, f"{where} has {key} {_short(name)}, which is not a road of the file.")
        road = roads[road_ids[name]]
        if getattr(road, attr) != k:
            raise _fail(
                path,
                f"{where} has {key} {name!r}, which does not {verb} at this intersection; a "
                "roadLink goes from a road ending at its intersection to a road starting there.",
            )
        ends.append(road_ids[name])
    lane_links = []
    for j, lane_link in enumerate(_list(path, link, "laneLinks", where, least=1)):
        lane_where = f"{where} laneLinks[{j}]"
        if not isinstance(lane_link, dict):
            raise _fail(path, f"{lane_where} is {_short(lane_link)}; a laneLink is an object.")
        start = roads[ends[0]]
        end = roads[ends[1]]
        lane_links.append(
            (
                _index(path, lane_link, "startLaneIndex", lane_where, start.lanes, repr(start.id)),
                _index(path, lane_link, "endLaneIndex", lane_where, end.lanes, repr(end.id)),
            )
        )
    return Movement(ends[0], ends[1], turn, tuple(lane_links))


def _read_light(path: Path, where: str, item: dict, links: int) -> tuple[LightPhase, ...]:
    if "trafficLight" not in item:
        raise _fail(
            path,
            f"{where} has no 'trafficLight' field; CityFlow needs one at a non-virtual "
            "intersection: add it with its lightphases, or set virtual to true.",
        )
    light = item["trafficLight"]
    if not isinstance(light, dict):
        raise _fail(path, f"{where} has trafficLight={_short(light)}; it must be an object.")
    for j, value in enumerate(light.get("roadLinkIndices", [])):
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < links:
            raise _fail(
                path,
                f"{where} trafficLight roadLinkIndices[{j}] is {value!r}, which is not one of "
                f"its {links} roadLinks (0 to {links - 1}).",
            )
    phases = []
    for j, phase in enumerate(_list(path, light, "lightphases", f"{where} trafficLight", 1)):
        phase_where = f"{where} trafficLight lightphases[{j}]"
        if not isinstance(phase, dict):
            raise _fail(path, f"{phase_where} is {_short(phase)}; a light phase is an object.")
        time = _number(path, phase, "time", phase_where, low=0.0)
        available = set()
        for value in _list(path, phase, "availableRoadLinks", phase_where):
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < links:
                raise _fail(
                    path,
                    f"{phase_where} lets roadLink {value!r} go, which is not one of the "
                    f"intersection's {links} roadLinks (indices 0 to {links - 1}).",
                )
            available.add(value)
        phases.append(LightPhase(time, tuple(sorted(available))))
    return tuple(phases)


def _check_widths(
    path: Path,
    roads: tuple[Road, ...],
    intersections: tuple[Intersection, ...],
    widths: dict[int, float],
) -> None:
    """Each road outlasts what CityFlow cuts off its ends (the non-virtual ends' widths)."""
    for road in roads:
        cut = widths.get(road.start, 0.0) + widths.get(road.end, 0.0)
        if road.length <= cut:
            raise _fail(
                path,
                f"road {road.id!r} is {road.length:g} m long, no longer than the widths of its "
                f"intersections {intersections[road.start].id!r} and "
                f"{intersections[road.end].id!r} ({cut:g} m together), which CityFlow cuts off "
                "its ends; make the road longer or the intersections narrower.",
            )


def _no_signal(intersections: tuple[Intersection, ...]) -> str:
    real = [inter for inter in intersections if not inter.virtual]
    if not real:
        return (
            "has no signalized intersection: every intersection is virtual (a border node). "
            "Set virtual to false on the intersections with traffic lights."
        )
    example = real[0]
    return (
        f"has no signalized intersection: none of its {len(real)} non-virtual intersections "
        "has a traffic light with at least two green phases (light phases letting different "
        f"roadLinks go); e.g. {example.id!r} has {len(example.light_phases)} light phase(s), "
        f"{len(example.green_phases)} of them green. Add light phases that let different "
        "roadLinks go (e.g. one per approach)."
    )


def read_flows(path: str | Path, net: RoadNet, horizon: float = HORIZON) -> Trips:
    """A CityFlow flow file on ``net``, expanded into its vehicles.

    A flow sends a vehicle at ``startTime`` and every ``interval`` seconds after, up to
    ``endTime`` inclusive; ``endTime: -1`` is open-ended. Vehicles departing after
    ``horizon`` seconds are dropped (so an open-ended flow runs up to ``horizon``). The
    vehicles are sorted by departure time; ties keep the file's order (flow, then
    vehicle). A vehicle's :attr:`~.model.Trips.max_speed` is its flow's
    ``vehicle.maxSpeed`` (``np.inf`` if the flow gives none).

    Raises:
        DataError: If the file is not a flow file, a route names an unknown road or two
            consecutive roads that no roadLink joins, a time is bad, or a ``vehicle`` is
            not an object or its ``maxSpeed`` not a positive finite number.
    """
    path = locate(path)
    data = _load(path, FLOWS)
    if isinstance(data, dict):
        hint = (
            "a road network (it has 'intersections' and 'roads'); pass it as roadnet_file "
            "and the flows as flow_file"
            if "intersections" in data or "roads" in data
            else "a JSON object"
        )
        raise _fail(path, f"is {hint}; expected {FLOWS}.")
    if not isinstance(data, list):
        raise _fail(path, f"holds {_short(data)}; expected {FLOWS}.")
    if not data:
        raise _fail(path, "has no flows; add at least one flow.")
    index = net.road_index()
    links = net.movement_of()
    routes: dict[tuple[str, ...], int] = {}
    checked: list[np.ndarray] = []
    times = np.empty((len(data), 3))
    speeds = np.empty(len(data))
    flow_route = np.empty(len(data), dtype=np.int64)
    for f, flow in enumerate(data):
        where = f"flow {f}"
        if not isinstance(flow, dict):
            raise _fail(path, f"{where} is {_short(flow)}; a flow is a JSON object.")
        key = _route_key(path, flow, where)
        if key not in routes:
            routes[key] = len(checked)
            checked.append(_route(path, key, where, net, index, links))
        flow_route[f] = routes[key]
        times[f] = _times(path, flow, where)
        speeds[f] = _max_speed(path, flow, where)
    open_ended = np.flatnonzero(times[:, 1] < 0)
    if len(open_ended) and not math.isfinite(horizon):
        raise _fail(
            path,
            f"flow {open_ended[0]} has endTime=-1 (no end), which needs a finite horizon; "
            f"read it with one (default {HORIZON:g} s).",
        )
    counts = _counts(times[:, 0], times[:, 1], times[:, 2], horizon)
    if counts.sum() > MAX_VEHICLES:
        f = int(np.argmax(counts))
        raise _fail(
            path,
            f"expands into {int(counts.sum()):,} vehicles, more than {MAX_VEHICLES:,} (flow "
            f"{f} alone {int(counts[f]):,}); check the intervals, or read with a shorter "
            "horizon.",
        )
    return _expand(checked, flow_route, times, counts, speeds)


def _max_speed(path: Path, flow: dict, where: str) -> float:
    """A flow's ``vehicle.maxSpeed``, m/s, checked; ``inf`` if it gives none."""
    vehicle = flow.get("vehicle")
    if vehicle is None:
        return math.inf
    if not isinstance(vehicle, dict):
        raise _fail(
            path,
            f"{where} has vehicle={_short(vehicle)}; it must be a JSON object (CityFlow's "
            "vehicle parameters, e.g. {'maxSpeed': 11.111}).",
        )
    if "maxSpeed" not in vehicle:
        return math.inf
    return _number(path, vehicle, "maxSpeed", f"{where} vehicle", low=0.0)


def _route_key(path: Path, flow: dict, where: str) -> tuple[str, ...]:
    route = _field(path, flow, "route", where)
    if not isinstance(route, list) or not all(isinstance(name, str) for name in route):
        raise _fail(path, f"{where} has route={_short(route)}; it must be a list of road ids.")
    if not route:
        raise _fail(path, f"{where} has an empty route; list the roads it drives, in order.")
    return tuple(route)


def _route(
    path: Path,
    key: tuple[str, ...],
    where: str,
    net: RoadNet,
    index: dict[str, int],
    links: dict[tuple[int, int], tuple[int, int]],
) -> np.ndarray:
    """Road indices of a route, checked: known roads, each joined to the next by a roadLink."""
    roads = []
    for k, name in enumerate(key):
        if name not in index:
            raise _fail(
                path,
                f"{where} has road {name!r} (route[{k}]), which is not a road of the road "
                "network; use the road ids of its roadnet file.",
            )
        roads.append(index[name])
    for k, (a, b) in enumerate(itertools.pairwise(roads)):
        if (a, b) in links:
            continue
        first, second = net.roads[a], net.roads[b]
        ends = net.intersections[first.end]
        if first.end != second.start:
            raise _fail(
                path,
                f"{where}: route[{k}] road {first.id!r} ends at intersection {ends.id!r}, but "
                f"route[{k + 1}] road {second.id!r} starts at intersection "
                f"{net.intersections[second.start].id!r}; consecutive roads must meet. List "
                "every road the vehicles drive (CityFlow fills such gaps with a shortest path; "
                "fieldgym does not).",
            )
        kind = "a virtual (border) intersection, which has" if ends.virtual else "which has"
        raise _fail(
            path,
            f"{where}: route[{k}] road {first.id!r} and route[{k + 1}] road {second.id!r} meet "
            f"at intersection {ends.id!r}, {kind} no roadLink from one to the other; fix the "
            "route, or add the roadLink to the road network.",
        )
    return np.asarray(roads, dtype=np.int64)


def _times(path: Path, flow: dict, where: str) -> tuple[float, float, float]:
    """``(startTime, endTime, interval)`` of a flow, checked (``endTime`` -1: open-ended)."""
    start = _number(path, flow, "startTime", where)
    end = _number(path, flow, "endTime", where)
    interval = _number(path, flow, "interval", where)
    if start < 0:
        raise _fail(path, f"{where} has startTime={start:g}; it must be 0 or more (s).")
    if end != -1 and end < start:
        raise _fail(
            path,
            f"{where} has endTime={end:g} before startTime={start:g}; give an endTime at or "
            "after startTime, or -1 for a flow without end.",
        )
    if interval <= 0 and (end == -1 or end > start):
        raise _fail(
            path,
            f"{where} has interval={interval:g} with endTime={end:g} after startTime="
            f"{start:g}; the interval between its vehicles must be greater than 0 (s).",
        )
    return start, end, interval


def _counts(start: np.ndarray, end: np.ndarray, interval: np.ndarray, horizon: float) -> np.ndarray:
    """Vehicles of each flow departing at most ``horizon`` seconds in."""
    last = np.where(end < 0, horizon, np.minimum(end, horizon))
    span = last - start
    step = np.where(interval > 0, interval, 1.0)
    counts = np.where(interval > 0, np.floor(span / step + 1e-9) + 1, 1)
    return np.where(span < 0, 0, counts).astype(np.int64)


def _expand(
    routes: Sequence[np.ndarray],
    flow_route: np.ndarray,
    times: np.ndarray,
    counts: np.ndarray,
    speeds: np.ndarray,
) -> Trips:
    """The vehicles of flows, vectorized, sorted by departure (stable).

    Flow ``f`` sends ``counts[f]`` vehicles at ``startTime + n * interval`` on
    ``routes[flow_route[f]]``, with top speed ``speeds[f]``.
    """
    flows = np.repeat(np.arange(len(counts)), counts)
    n = np.arange(len(flows)) - (np.cumsum(counts) - counts)[flows]
    depart = times[flows, 0] + n * times[flows, 2]
    order = np.argsort(depart, kind="stable")
    depart, vehicle_flow = depart[order], flows[order]
    vehicle_route = flow_route[vehicle_flow]
    lengths = np.array([len(r) for r in routes], dtype=np.int64)
    offsets = np.cumsum(lengths) - lengths
    all_roads = np.concatenate(routes) if routes else np.zeros(0, dtype=np.int64)
    sizes = lengths[vehicle_route]
    route_start = np.zeros(len(depart) + 1, dtype=np.int64)
    np.cumsum(sizes, out=route_start[1:])
    # position in all_roads of each road of each route: +1 along a route, a jump at the next
    step = np.ones(route_start[-1], dtype=np.int64)
    begin = offsets[vehicle_route]
    if len(begin):
        step[0] = begin[0]
        step[route_start[1:-1]] = begin[1:] - (begin[:-1] + sizes[:-1] - 1)
    position = np.cumsum(step)
    return Trips(
        depart=np.asarray(depart, dtype=np.float64),
        route_start=route_start,
        roads=np.asarray(all_roads[position], dtype=np.int64),
        max_speed=np.asarray(speeds, dtype=np.float64)[vehicle_flow],
    )


def make_trips(
    routes: Sequence[Sequence[int]],
    start: Sequence[float],
    end: Sequence[float],
    interval: Sequence[float],
    horizon: float = math.inf,
    max_speed: float | Sequence[float] = math.inf,
) -> Trips:
    """Trips of flows given as arrays, expanded as :func:`read_flows` expands a file.

    Flow ``f`` drives ``routes[f]`` (road indices, unchecked) from ``start[f]`` to
    ``end[f]`` (``-1``: open-ended) every ``interval[f]`` seconds, its vehicles at most
    at ``max_speed[f]`` m/s (one number: every flow's; ``inf``: the roads' limits
    govern); vehicles after ``horizon`` are dropped. For code that builds trips
    (:mod:`.synthetic`).

    Raises:
        ValueError: If a flow is open-ended and ``horizon`` infinite, or a ``max_speed``
            is not positive or there is not one per flow.
    """
    times = np.column_stack(
        [np.asarray(start, float), np.asarray(end, float), np.asarray(interval, float)]
    ).reshape(-1, 3)
    if not math.isfinite(horizon) and (times[:, 1] < 0).any():
        raise ValueError("open-ended flows (end -1) need a finite horizon")
    speeds = np.asarray(max_speed, dtype=np.float64)
    if speeds.ndim == 0:
        speeds = np.full(len(times), float(speeds))
    if speeds.shape != (len(times),) or not (speeds > 0).all():
        raise ValueError(
            f"max_speed={_short(max_speed)}: give one positive speed (m/s, inf for none) or "
            f"one per flow ({len(times)})"
        )
    counts = _counts(times[:, 0], times[:, 1], times[:, 2], horizon)
    arrays = [np.asarray(r, dtype=np.int64) for r in routes]
    return _expand(arrays, np.arange(len(arrays), dtype=np.int64), times, counts, speeds)


def write_roadnet(net: RoadNet, path: str | Path, width: float | None = None) -> Path:
    """Write ``net`` as a CityFlow road network file (atomically); returns the path.

    Non-virtual intersections get ``width`` (default: the widest incident road's lanes
    together, at least :data:`MIN_WIDTH`), capped at 0.3 times their shortest road so
    that CityFlow's cuts leave every road a length. Lane links get a simple shape (stop
    line, into the box, out of it, next road's start), roadLinks the ``direction`` of their
    incoming road (0 east, 1 north, 2 west, 3 south), and traffic lights
    ``roadLinkIndices`` ``0 .. n-1``, as CityFlow's generator writes them.
    """
    widths = _widths(net, width)
    incident: list[list[str]] = [[] for _ in net.intersections]
    for road in net.roads:  # CityFlow's generator lists incoming roads, then outgoing ones
        incident[road.end].append(road.id)
    for road in net.roads:
        incident[road.start].append(road.id)
    intersections = [
        _intersection_json(net, i, widths[i], incident[i]) for i in range(len(net.intersections))
    ]
    roads = [_road_json(net, road) for road in net.roads]
    text = (
        '{"intersections": [\n'
        + ",\n".join(_dumps(item) for item in intersections)
        + '\n],\n"roads": [\n'
        + ",\n".join(_dumps(item) for item in roads)
        + "\n]}\n"
    )
    return _write(path, text)


def _dumps(item: Any) -> str:
    return json.dumps(item, separators=(",", ":"))


def _write(path: str | Path, text: str) -> Path:
    path = Path(path)
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return path


def _widths(net: RoadNet, width: float | None) -> list[float]:
    widths = [0.0] * len(net.intersections)
    incident: list[list[Road]] = [[] for _ in net.intersections]
    for road in net.roads:
        incident[road.start].append(road)
        incident[road.end].append(road)
    for i, inter in enumerate(net.intersections):
        if inter.virtual or not incident[i]:
            continue
        wanted = width
        if wanted is None:
            wanted = max(MIN_WIDTH, max(sum(road.lane_widths) for road in incident[i]))
        widths[i] = min(wanted, 0.3 * min(road.length for road in incident[i]))
    return widths


def _unit(a: tuple[float, float], b: tuple[float, float]) -> tuple[float, float]:
    length = math.dist(a, b) or 1.0
    return (b[0] - a[0]) / length, (b[1] - a[1]) / length


def _direction(road: Road) -> int:
    """The heading of a road's last stretch: 0 east, 1 north, 2 west, 3 south."""
    dx, dy = _unit(road.points[-2], road.points[-1])
    return round(math.degrees(math.atan2(dy, dx)) / 90.0) % 4


def _lane_end(road: Road, lane: int, cut: float, at_end: bool) -> tuple[float, float]:
    """Where a lane meets the intersection box.

    That is ``cut`` m in from the road's end (or start), shifted right of the centre line
    to the middle of the lane (lane 0 innermost).
    """
    a, b = (road.points[-2], road.points[-1]) if at_end else (road.points[0], road.points[1])
    ux, uy = _unit(a, b)
    x, y = (b[0] - ux * cut, b[1] - uy * cut) if at_end else (a[0] + ux * cut, a[1] + uy * cut)
    shift = sum(road.lane_widths[:lane]) + road.lane_widths[lane] / 2
    return x + uy * shift, y - ux * shift


def _lane_link_points(net: RoadNet, m: Movement, lanes: tuple[int, int], width: float) -> list:
    inbound, outbound = net.roads[m.inbound], net.roads[m.outbound]
    a = _lane_end(inbound, lanes[0], width, at_end=True)
    b = _lane_end(outbound, lanes[1], width, at_end=False)
    ua = _unit(inbound.points[-2], inbound.points[-1])
    ub = _unit(outbound.points[0], outbound.points[1])
    half = width / 2
    points = [
        a,
        (a[0] + ua[0] * half, a[1] + ua[1] * half),
        (b[0] - ub[0] * half, b[1] - ub[1] * half),
        b,
    ]
    return [{"x": round(x, 2), "y": round(y, 2)} for x, y in points]


def _intersection_json(net: RoadNet, i: int, width: float, incident: list[str]) -> dict:
    inter = net.intersections[i]
    links = [
        {
            "type": m.turn,
            "startRoad": net.roads[m.inbound].id,
            "endRoad": net.roads[m.outbound].id,
            "direction": _direction(net.roads[m.inbound]),
            "laneLinks": [
                {
                    "startLaneIndex": start,
                    "endLaneIndex": end,
                    "points": _lane_link_points(net, m, (start, end), width),
                }
                for start, end in m.lane_links
            ],
        }
        for m in inter.movements
    ]
    phases = [
        {"time": phase.time, "availableRoadLinks": list(phase.movements)}
        for phase in inter.light_phases
    ]
    return {
        "id": inter.id,
        "point": {"x": inter.point[0], "y": inter.point[1]},
        "width": width,
        "roads": incident,
        "roadLinks": links,
        "trafficLight": {"roadLinkIndices": list(range(len(links))), "lightphases": phases},
        "virtual": inter.virtual,
    }


def _road_json(net: RoadNet, road: Road) -> dict:
    return {
        "id": road.id,
        "points": [{"x": x, "y": y} for x, y in road.points],
        "lanes": [
            {"width": w, "maxSpeed": s}
            for w, s in zip(road.lane_widths, road.lane_speeds, strict=True)
        ],
        "startIntersection": net.intersections[road.start].id,
        "endIntersection": net.intersections[road.end].id,
    }


def write_flows(
    trips: Trips,
    net: RoadNet,
    path: str | Path,
    vehicle: dict | None = None,
    group: bool = True,
) -> Path:
    """Write ``trips`` as a CityFlow flow file on ``net`` (atomically); returns the path.

    With ``group``, the vehicles of one route and one top speed departing at a regular
    headway become one flow (``interval`` the headway), as long as reading the file back
    gives the same trips in the same order; otherwise (or without ``group``) every
    vehicle is a flow of its own (``startTime == endTime``, ``interval`` 1). ``vehicle``
    is CityFlow's vehicle object of every flow (default :data:`VEHICLE`), with
    ``maxSpeed`` set per flow: the vehicles' :attr:`~.model.Trips.max_speed`, or where
    that is ``inf`` the fastest lane of the route's roads (which caps nothing, so reading
    the file back drives the trips the same).

    Raises:
        ValueError: If a route holds a road index ``net`` does not have.
    """
    if len(trips.roads) and (trips.roads.min() < 0 or trips.roads.max() >= len(net.roads)):
        raise ValueError("the trips use road indices that the road network does not have")
    if vehicle is None:
        vehicle = VEHICLE
    road_speed = np.array([road.speed for road in net.roads])
    flows = _grouped(trips) if group else None
    if flows is None:
        flows = [
            (v, float(trips.depart[v]), float(trips.depart[v]), 1.0)
            for v in range(trips.num_vehicles)
        ]

    def speed(v: int) -> float:
        own = float(trips.max_speed[v])
        return own if math.isfinite(own) else float(road_speed[trips.route(v)].max())

    items = [
        {
            "vehicle": dict(vehicle, maxSpeed=speed(v)),
            "route": [net.roads[r].id for r in trips.route(v)],
            "interval": interval,
            "startTime": start,
            "endTime": end,
        }
        for v, start, end, interval in flows
    ]
    return _write(path, "[\n" + ",\n".join(_dumps(item) for item in items) + "\n]\n")


def _grouped(trips: Trips) -> list[tuple[int, float, float, float]] | None:
    """Flows ``(first vehicle, start, end, interval)`` of the regular runs of each route.

    Vehicles of one route with different top speeds are in different flows. None if
    reading them back would not reproduce ``trips`` exactly.
    """
    by_route: dict[tuple[float, tuple[int, ...]], list[int]] = {}
    speeds = trips.max_speed.tolist()
    for v in range(trips.num_vehicles):
        by_route.setdefault((speeds[v], tuple(trips.route(v).tolist())), []).append(v)
    flows = []
    for vehicles in by_route.values():
        times = trips.depart[vehicles].tolist()
        i = 0
        while i < len(times):
            j, step = i + 1, 1.0
            if j < len(times) and times[j] > times[i]:
                step = times[j] - times[i]
                while j < len(times) and times[i] + (j - i) * step == times[j]:
                    j += 1
            flows.append((vehicles[i], times[i], times[j - 1], step if j - i > 1 else 1.0))
            i = j
    flows.sort()
    again = make_trips(
        [trips.route(v) for v, *_ in flows],
        [f[1] for f in flows],
        [f[2] for f in flows],
        [f[3] for f in flows],
        max_speed=[speeds[f[0]] for f in flows],
    )
    same = (
        np.array_equal(again.depart, trips.depart)
        and np.array_equal(again.route_start, trips.route_start)
        and np.array_equal(again.roads, trips.roads)
        and np.array_equal(again.max_speed, trips.max_speed)
    )
    return flows if same else None
