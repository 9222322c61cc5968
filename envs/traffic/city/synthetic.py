"""Synthetic CityFlow networks and flows: grids, a fieldgym config's grid, a non-grid city.

* :func:`grid_roadnet`: a ``rows × cols`` grid as CityFlow's own generator lays it out
  (intersection ``intersection_<x>_<y>``, ``x = 0 .. cols + 1`` west to east and ``y = 0
  .. rows + 1`` south to north, the outer ring virtual and the four corners left out;
  road ``road_<x>_<y>_<d>`` leaving ``(x, y)`` in direction ``d``, 0 east, 1 north, 2 west,
  3 south; lanes left-turn, then through, then right-turn, from the inside; the
  generator's 9-phase plan), with spacings that may differ between columns and rows.
* :func:`from_config`: the grid a :class:`~fieldgym.envs.traffic.config.TrafficConfig`
  describes, its ``phases`` as light phases, and :func:`config_trips` its demand;
  :func:`export_cityflow` writes both as CityFlow files.
* :func:`junction_network`: any network of two-way links between points (dead ends are
  virtual), each junction with one green per approach; :func:`nongrid_roadnet` is a
  T-junction next to a five-arm junction.
* :func:`border_trips`: flows from every entry road, split by turning ratios at the
  first intersection and then straight on to the border.
* :func:`write_examples` writes the files shipped under ``data/traffic/``
  (``python -m fieldgym.envs.traffic.city.synthetic [folder]``); :func:`example` finds them.

Turns are classified by angle: within 35° of straight ahead a movement goes straight,
otherwise it turns left or right; the way back (a U-turn) has no movement.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import numpy as np

from fieldgym.envs.core.errors import ConfigError
from fieldgym.envs.traffic.city.files import PACKAGE, make_trips, write_flows, write_roadnet
from fieldgym.envs.traffic.city.model import (
    TURNS,
    Intersection,
    LightPhase,
    Movement,
    Road,
    RoadNet,
    Trips,
)
from fieldgym.envs.traffic.config import SIDES, TrafficConfig

SPEED = 11.111
"""Speed limit of CityFlow's example grids, m/s (40 km/h)."""
LANE_WIDTH = 3.0
"""Lane width of CityFlow's example grids, m."""
GREEN = 30.0
"""Green phase of CityFlow's generated plans, s."""
CLEARANCE = 5.0
"""Clearance phase (right turns only) of CityFlow's generated plans, s."""
STRAIGHT = 35.0
"""Largest angle off straight ahead that is still ``go_straight``, degrees."""
STAGGER = 0.381966
"""Fraction of a headway by which regular flows of successive entry roads are offset."""
DATA = PACKAGE / "data" / "traffic"
"""The shipped example files (``data/traffic/README.md``)."""
EXAMPLES = {
    "grid2x2": "grid2x2",
    "grid2x2_unequal": "grid2x2_unequal",
    "nongrid": "nongrid",
    "grid2x2_interior": "grid2x2",
}
"""Example name -> the folder of its ``roadnet.json`` (its ``flow.json`` is in its own)."""

Plan = Callable[[tuple[Road, ...], list[Movement]], tuple[LightPhase, ...]]


def heading(road: Road, at_end: bool = True) -> int:
    """Direction of a road's last (or first) stretch: 0 east, 1 north, 2 west, 3 south."""
    a, b = (road.points[-2], road.points[-1]) if at_end else (road.points[0], road.points[1])
    return round(math.degrees(math.atan2(b[1] - a[1], b[0] - a[0])) / 90.0) % 4


def _turn(inbound: Road, outbound: Road) -> str | None:
    """The road link type from ``inbound`` onto ``outbound`` (None: a U-turn)."""
    if outbound.end == inbound.start and outbound.start == inbound.end:
        return None
    (ax, ay), (bx, by) = inbound.points[-2], inbound.points[-1]
    (cx, cy), (dx, dy) = outbound.points[0], outbound.points[1]
    u, v = (bx - ax, by - ay), (dx - cx, dy - cy)
    angle = math.degrees(math.atan2(u[0] * v[1] - u[1] * v[0], u[0] * v[0] + u[1] * v[1]))
    if abs(angle) <= STRAIGHT:
        return "go_straight"
    return "turn_left" if angle > 0 else "turn_right"


def _lane_groups(lanes: tuple[int, int, int]) -> dict[str, range]:
    """Lanes of each turn, from the inside: left-turn lanes, through lanes, right-turn lanes."""
    left, through, right = lanes
    return {
        "turn_left": range(0, left),
        "go_straight": range(left, left + through),
        "turn_right": range(left + through, left + through + right),
    }


def _movements(
    roads: tuple[Road, ...], ins: list[int], outs: list[int], lanes: tuple[int, int, int]
) -> list[Movement]:
    """Every movement from roads ``ins`` onto roads ``outs`` but U-turns.

    A movement goes from its turn's lanes (:func:`_lane_groups`) onto every lane.
    """
    groups = _lane_groups(lanes)
    moves = []
    for a in ins:
        for b in outs:
            inbound, outbound = roads[a], roads[b]
            turn = _turn(inbound, outbound)
            if turn is not None:
                links = tuple((s, e) for s in groups[turn] for e in range(outbound.lanes))
                moves.append(Movement(a, b, turn, links))
    return moves


def _network(
    nodes: Sequence[tuple[str, tuple[float, float], bool]],
    links: Sequence[tuple[str, int, int]],
    lanes: tuple[int, int, int],
    speed: float,
    lane_width: float,
    plan: Plan,
    order: Callable[[tuple[Road, ...], Movement], tuple] | None = None,
) -> RoadNet:
    """A network of straight roads ``(id, start node, end node)`` between ``nodes``."""
    if min(lanes) < 1:
        raise ValueError(f"lanes={lanes!r}: every turn needs at least one lane")
    if speed <= 0 or lane_width <= 0:
        raise ValueError(f"speed={speed!r} and lane_width={lane_width!r} must be positive")
    n = sum(lanes)
    roads = tuple(
        Road(name, a, b, (nodes[a][1], nodes[b][1]), (speed,) * n, (lane_width,) * n)
        for name, a, b in links
    )
    ins: list[list[int]] = [[] for _ in nodes]
    outs: list[list[int]] = [[] for _ in nodes]
    for k, road in enumerate(roads):
        ins[road.end].append(k)
        outs[road.start].append(k)
    intersections = []
    for k, (name, point, virtual) in enumerate(nodes):
        if virtual:
            intersections.append(Intersection(name, point, True, (), ()))
            continue
        moves = _movements(roads, ins[k], outs[k], lanes)
        if order is not None:
            moves.sort(key=lambda m: order(roads, m))
        intersections.append(Intersection(name, point, False, tuple(moves), plan(roads, moves)))
    return RoadNet(tuple(intersections), roads)


def _spacing(value: float | Sequence[float], count: int, name: str) -> list[float]:
    values = [float(value)] * count if isinstance(value, int | float) else list(value)
    if len(values) != count or not all(math.isfinite(v) and v > 0 for v in values):
        raise ValueError(f"{name}={value!r}: give one positive distance or {count} of them (m)")
    return values


def grid_roadnet(
    rows: int,
    cols: int,
    col_spacing: float | Sequence[float] = 300.0,
    row_spacing: float | Sequence[float] = 300.0,
    lanes: tuple[int, int, int] = (1, 1, 1),
    speed: float = SPEED,
    lane_width: float = LANE_WIDTH,
    green: float = GREEN,
    clearance: float = CLEARANCE,
) -> RoadNet:
    """A CityFlow-style grid (module docstring) of ``rows × cols`` signalized intersections.

    Args:
        rows: Signalized intersections south to north (>= 1).
        cols: Signalized intersections west to east (>= 1).
        col_spacing: Distance between consecutive columns ``x = 0 .. cols + 1``, m: one
            for all, or ``cols + 1`` from west to east (the first and last are the border
            roads), so that the grid's roads may have unequal lengths.
        row_spacing: Distance between consecutive rows ``y = 0 .. rows + 1``, m: one or
            ``rows + 1`` from south to north.
        lanes: Lanes of every road for left turns, through and right turns.
        speed: Speed limit of every lane, m/s.
        lane_width: Width of every lane, m.
        green: Duration of the 8 green phases, s.
        clearance: Duration of phase 0, which lets only the right turns go, s.

    The light plan is CityFlow's generated one: phase 0 the right turns only
    (``clearance``), then (each with all right turns) east-west through, north-south
    through, east-west left, north-south left, then all of eastbound, westbound,
    northbound and southbound in turn; road links are listed by incoming road (eastbound,
    northbound, westbound, southbound) and then outgoing road in the same order.
    """
    return _grid(rows, cols, col_spacing, row_spacing, lanes, speed, lane_width,
                 _cityflow_plan(green, clearance), north_first=False)  # fmt: skip


def _grid(
    rows: int,
    cols: int,
    col_spacing: float | Sequence[float],
    row_spacing: float | Sequence[float],
    lanes: tuple[int, int, int],
    speed: float,
    lane_width: float,
    plan: Plan,
    north_first: bool,
) -> RoadNet:
    """The grid, in CityFlow's order or (``north_first``) in fieldgym's.

    fieldgym's order lists intersections and roads by rows north to south and movements by
    approach (N, E, S, W), then left, through, right; CityFlow's by rows south to north and
    movements by incoming, then outgoing road.
    """
    if not (isinstance(rows, int) and isinstance(cols, int) and rows >= 1 and cols >= 1):
        raise ValueError(f"rows={rows!r}, cols={cols!r}: a grid needs at least 1 x 1")
    xs = np.concatenate([[0.0], np.cumsum(_spacing(col_spacing, cols + 1, "col_spacing"))])
    ys = np.concatenate([[0.0], np.cumsum(_spacing(row_spacing, rows + 1, "row_spacing"))])
    xs, ys = xs - xs[1], ys - ys[1]
    corners = {(0, 0), (0, rows + 1), (cols + 1, 0), (cols + 1, rows + 1)}
    y_order = range(rows + 1, -1, -1) if north_first else range(rows + 2)
    cells = [(x, y) for y in y_order for x in range(cols + 2) if (x, y) not in corners]
    node = {cell: k for k, cell in enumerate(cells)}

    def inside(x: int, y: int) -> bool:
        return 1 <= x <= cols and 1 <= y <= rows

    nodes = [
        (f"intersection_{x}_{y}", (float(xs[x]), float(ys[y])), not inside(x, y)) for x, y in cells
    ]
    links = []
    for x, y in cells:
        for d, (dx, dy) in enumerate(((1, 0), (0, 1), (-1, 0), (0, -1))):
            other = (x + dx, y + dy)
            if other in node and (inside(x, y) or inside(*other)):
                links.append((f"road_{x}_{y}_{d}", node[x, y], node[other]))

    def order(roads: tuple[Road, ...], m: Movement) -> tuple:
        d_in = heading(roads[m.inbound])
        if north_first:
            return (3 - d_in, TURNS.index(m.turn))
        return (d_in, heading(roads[m.outbound], at_end=False))

    return _network(nodes, links, lanes, speed, lane_width, plan, order)


def _cityflow_plan(green: float, clearance: float) -> Plan:
    def plan(roads: tuple[Road, ...], moves: list[Movement]) -> tuple[LightPhase, ...]:
        rights = {k for k, m in enumerate(moves) if m.turn == "turn_right"}

        def phase(time: float, directions: set[int], turns: set[str]) -> LightPhase:
            chosen = {
                k
                for k, m in enumerate(moves)
                if heading(roads[m.inbound]) in directions and m.turn in turns
            }
            return LightPhase(time, tuple(sorted(chosen | rights)))

        through, left = {"go_straight"}, {"turn_left"}
        return (
            LightPhase(clearance, tuple(sorted(rights))),
            phase(green, {0, 2}, through),
            phase(green, {1, 3}, through),
            phase(green, {0, 2}, left),
            phase(green, {1, 3}, left),
            *(phase(green, {d}, through | left) for d in (0, 2, 1, 3)),
        )

    return plan


def from_config(config: TrafficConfig, green: float = GREEN) -> RoadNet:
    """The grid a fieldgym config describes, as a CityFlow road network.

    Its ``rows × cols`` intersections (fieldgym's ``(r, c)``, row 0 north, is
    ``intersection_<c + 1>_<rows - r>``), listed north to south like fieldgym's, with
    virtual border nodes; every road ``link_length`` long (border roads too), with
    ``lanes`` (left, through, right) lanes at ``speed_limit``. Movements are listed in
    fieldgym's lane-group order (``NL, NT, NR, EL, ...``). The light plan is the
    config's ``phases`` in order, ``green`` seconds each, each followed by a clearance
    phase of ``yellow_time + all_red_time`` (none if that is 0) that lets go only what
    every phase lets go (usually nothing).

    Raises:
        ConfigError: If the config reads its network from a file (``roadnet_file`` or
            ``net_file``) instead of describing a grid.
    """
    for name in ("roadnet_file", "net_file"):
        if getattr(config, name, None) is not None:
            raise ConfigError(
                f"{name}={getattr(config, name)!r}: from_config builds the grid a config "
                "describes; a network file is read as it is (read_roadnet for CityFlow)."
            )
    spacing = float(config.link_length)

    def plan(roads: tuple[Road, ...], moves: list[Movement]) -> tuple[LightPhase, ...]:
        names = [SIDES[3 - heading(roads[m.inbound])] + "LTR"[TURNS.index(m.turn)] for m in moves]
        greens = [{k for k, name in enumerate(names) if name in phase} for phase in config.phases]
        common = tuple(sorted(set.intersection(*greens)))
        phases = []
        for chosen in greens:
            phases.append(LightPhase(green, tuple(sorted(chosen))))
            if config.lost_time > 0:
                phases.append(LightPhase(float(config.lost_time), common))
        return tuple(phases)

    return _grid(config.rows, config.cols, spacing, spacing, tuple(config.lanes),
                 float(config.speed_limit), LANE_WIDTH, plan, north_first=True)  # fmt: skip


def junction_network(
    points: Mapping[str, tuple[float, float]],
    links: Sequence[tuple[str, str]],
    lanes: tuple[int, int, int] = (1, 1, 1),
    speed: float = SPEED,
    lane_width: float = LANE_WIDTH,
    green: float = GREEN,
    clearance: float = CLEARANCE,
) -> RoadNet:
    """A network of two-way links between named points.

    Every link ``(a, b)`` is two straight roads, ``road_<a>_<b>`` and ``road_<b>_<a>``. A
    point with one link is a virtual border node; every other point is a junction whose
    light plan is a clearance phase (the right turns only, ``clearance`` seconds), then
    one green per approach in road order (its left turns and through, with all right
    turns, ``green`` seconds; an approach with only right turns gets none).
    """
    names = list(points)
    index = {name: k for k, name in enumerate(names)}
    degree = dict.fromkeys(names, 0)
    roads = []
    for a, b in links:
        if a not in index or b not in index or a == b:
            raise ValueError(f"link {(a, b)!r} must join two different points of {names}")
        degree[a] += 1
        degree[b] += 1
        roads += [(f"road_{a}_{b}", index[a], index[b]), (f"road_{b}_{a}", index[b], index[a])]
    nodes = [(name, tuple(map(float, points[name])), degree[name] == 1) for name in names]
    return _network(nodes, roads, lanes, speed, lane_width, _split_plan(green, clearance))


def _split_plan(green: float, clearance: float) -> Plan:
    def plan(roads: tuple[Road, ...], moves: list[Movement]) -> tuple[LightPhase, ...]:
        rights = {k for k, m in enumerate(moves) if m.turn == "turn_right"}
        phases = [LightPhase(clearance, tuple(sorted(rights)))]
        for inbound in dict.fromkeys(m.inbound for m in moves):
            own = {k for k, m in enumerate(moves) if m.inbound == inbound} - rights
            if own:
                phases.append(LightPhase(green, tuple(sorted(own | rights))))
        return tuple(phases)

    return plan


def nongrid_roadnet(**kwargs: float | tuple[int, int, int]) -> RoadNet:
    """A T-junction and a five-arm junction 300 m apart, with six border nodes.

    The T-junction ``junction_t`` has arms west and south; the five-arm junction
    ``junction_five`` has arms east, north, south and north-east (a diagonal, whose
    movements turn by 45° and 135°). Border roads are 200 to 300 m long. ``kwargs`` go to
    :func:`junction_network`.
    """
    points = {
        "junction_t": (0.0, 0.0),
        "junction_five": (300.0, 0.0),
        "west": (-250.0, 0.0),
        "south": (0.0, -200.0),
        "east": (550.0, 0.0),
        "north": (300.0, 300.0),
        "south_five": (300.0, -250.0),
        "northeast": (480.0, 180.0),
    }
    links = [
        ("west", "junction_t"),
        ("south", "junction_t"),
        ("junction_t", "junction_five"),
        ("junction_five", "east"),
        ("junction_five", "north"),
        ("junction_five", "south_five"),
        ("junction_five", "northeast"),
    ]
    return junction_network(points, links, **kwargs)  # type: ignore[arg-type]


def _eighth(seconds: float) -> float:
    """``seconds`` rounded to 1/8 s (at least 1/8), so regular departures are exact floats."""
    return max(round(seconds * 8) / 8, 0.125)


def _routes(
    net: RoadNet,
    onward: dict[int, list[Movement]],
    entry: int,
    ratios: Sequence[float],
    crossings: int | None,
) -> list[tuple[list[int], float]]:
    """Routes from ``entry`` and their shares (``onward``: road -> movements from it).

    Split by ``ratios`` at the first intersection, straight on after it (split again where
    there is no straight on); equally where the ratios of the turns there are all 0.
    """
    done: list[tuple[list[int], float]] = []
    stack: list[tuple[list[int], float]] = [([entry], 1.0)]
    while stack:
        route, share = stack.pop()
        options = onward.get(route[-1], [])
        if (
            not options
            or len(route) > len(net.roads)
            or (crossings is not None and len(route) > crossings)
        ):
            done.append((route, share))
            continue
        straight = [m for m in options if m.turn == "go_straight"]
        if len(route) > 1 and straight:
            stack.append(([*route, straight[0].outbound], share))
            continue
        weight = {t: ratios[TURNS.index(t)] for t in {m.turn for m in options}}
        total = sum(weight.values())
        for m in reversed(options):
            count = sum(1 for o in options if o.turn == m.turn)
            part = weight[m.turn] / total / count if total > 0 else 1.0 / len(options)
            if part > 0:
                stack.append(([*route, m.outbound], share * part))
    return sorted(done)


def border_trips(
    net: RoadNet,
    rate: float | Mapping[str, float],
    turning_ratios: Sequence[float] = (0.25, 0.6, 0.15),
    duration: float = 900.0,
    profile: Sequence[float] = (1.0,),
    profile_interval: float = 900.0,
    crossings: int | None = None,
    rng: np.random.Generator | None = None,
    max_speed: float = math.inf,
) -> Trips:
    """Vehicles entering ``net`` on every entry road (from a virtual node) for ``duration`` s.

    Each entry road sends ``rate`` vehicles per hour (one number, or entry road id ->
    rate; missing roads send none), times ``profile[p]`` in the ``p``-th period of
    ``profile_interval`` seconds (cycled). At the first intersection its vehicles split by
    ``turning_ratios`` (left, through, right; renormalized over the turns there are, equal
    shares if those are all 0);
    after it they go straight on to the border (splitting again where there is no
    straight on). With ``crossings``, routes end after crossing that many intersections,
    possibly inside the network.

    Without ``rng`` every route of every period is one regular flow: a headway of 3600 /
    its rate (rounded to 1/8 s), as CityFlow's own generated flows, starting a fraction of
    a headway into the period that differs between entry roads (half a headway for the
    first, then staggered by :data:`STAGGER`); with ``rng`` departures are Poisson at the
    same rates. Every vehicle's own top speed is ``max_speed``, m/s (``inf``: the roads'
    limits govern; :attr:`~.model.Trips.max_speed`).
    """
    entries = [
        k
        for k, road in enumerate(net.roads)
        if net.intersections[road.start].virtual and not net.intersections[road.end].virtual
    ]
    onward: dict[int, list[Movement]] = {}
    for inter in net.intersections:
        for m in inter.movements:
            onward.setdefault(m.inbound, []).append(m)
    flows = []  # (start, definition order, route, end, interval)
    periods = math.ceil(duration / profile_interval)
    for position, entry in enumerate(entries):
        lag = (0.5 + position * STAGGER) % 1.0
        entry_rate = rate if isinstance(rate, int | float) else rate.get(net.roads[entry].id, 0)
        for route, share in _routes(net, onward, entry, turning_ratios, crossings):
            for p in range(periods):
                per_hour = entry_rate * share * profile[p % len(profile)]
                begin, finish = p * profile_interval, min((p + 1) * profile_interval, duration)
                if per_hour <= 0:
                    continue
                if rng is None:
                    step = _eighth(3600.0 / per_hour)
                    first = begin + _eighth(step * lag)
                    if first < finish:
                        count = math.ceil((finish - first) / step)
                        flows.append((first, len(flows), route, first + (count - 1) * step, step))
                    continue
                t = begin + rng.exponential(3600.0 / per_hour)
                while t < finish:
                    flows.append((t, len(flows), route, t, 1.0))
                    t += rng.exponential(3600.0 / per_hour)
    flows.sort(key=lambda f: (f[0], f[1]))
    return make_trips(
        [f[2] for f in flows],
        [f[0] for f in flows],
        [f[3] for f in flows],
        [f[4] for f in flows],
        max_speed=max_speed,
    )


def config_trips(
    config: TrafficConfig, duration: float = 3600.0, rng: np.random.Generator | None = None
) -> Trips:
    """The demand of a config on :func:`from_config`'s network (:func:`border_trips`).

    Each entry road sends the config's ``entry_flows`` of the side it enters from, times
    ``flow_profile``, split by ``turning_ratios`` at its first intersection and straight on
    after it (fieldgym's own grid applies the turning ratios at every intersection).
    """
    net = from_config(config)
    rates = {}
    for road in net.roads:
        if net.intersections[road.start].virtual:
            rates[road.id] = float(config.entry_flows[3 - heading(road)])
    return border_trips(net, rates, config.turning_ratios, duration, config.flow_profile,
                        config.profile_interval, rng=rng)  # fmt: skip


def export_cityflow(
    config: TrafficConfig,
    folder: str | Path,
    duration: float = 3600.0,
    rng: np.random.Generator | None = None,
) -> tuple[Path, Path]:
    """Write a config's grid and demand as CityFlow's ``roadnet.json`` and ``flow.json``.

    Returns:
        The two paths (:func:`from_config`, :func:`config_trips`).
    """
    folder = Path(folder)
    net = from_config(config)
    roadnet = write_roadnet(net, folder / "roadnet.json")
    flow = write_flows(config_trips(config, duration, rng), net, folder / "flow.json")
    return roadnet, flow


def write_examples(folder: str | Path = DATA) -> list[Path]:
    """Write the example files shipped under ``data/traffic/`` (its README says what they are).

    Returns:
        The files written.
    """
    folder = Path(folder)
    grid = grid_roadnet(2, 2)
    unequal = grid_roadnet(2, 2, col_spacing=(200.0, 400.0, 250.0), row_spacing=(300, 150, 350))
    nongrid = nongrid_roadnet()
    written = []
    for name, net, crossings in (
        ("grid2x2", grid, None),
        ("grid2x2_unequal", unequal, None),
        ("nongrid", nongrid, None),
        ("grid2x2_interior", grid, 1),
    ):
        if EXAMPLES[name] == name:
            written.append(write_roadnet(net, folder / name / "roadnet.json"))
        trips = border_trips(net, 300.0, duration=900.0, crossings=crossings)
        written.append(write_flows(trips, net, folder / name / "flow.json"))
    return written


def example(name: str) -> tuple[Path, Path]:
    """The ``(roadnet.json, flow.json)`` paths of a shipped example (:data:`EXAMPLES`)."""
    if name not in EXAMPLES:
        raise ValueError(f"example {name!r} is not one of {', '.join(EXAMPLES)}")
    return DATA / EXAMPLES[name] / "roadnet.json", DATA / name / "flow.json"


if __name__ == "__main__":
    for path in write_examples(sys.argv[1] if len(sys.argv) > 1 else DATA):
        print(path)
