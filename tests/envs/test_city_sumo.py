"""A CityFlow network on SUMO: conversion, free-flow travel, route ends, phases, errors.

The network is built here (:func:`city`): a west-east street through two signalized
intersections A and B and an unsignalized junction C, north and south arms at A and B.
Every simulation is at most a few hundred simulated seconds.
"""

from __future__ import annotations

import dataclasses
import xml.etree.ElementTree as ET

import numpy as np
import pytest

pytest.importorskip("sumo", reason="the SUMO backend needs the 'sumo' extra (eclipse-sumo)")
pytest.importorskip("libsumo", reason="the SUMO backend needs the 'sumo' extra (libsumo)")

from fieldgym.envs.core.errors import DataError
from fieldgym.envs.traffic.city.files import read_roadnet
from fieldgym.envs.traffic.city.model import (
    Intersection,
    LightPhase,
    Movement,
    Road,
    RoadNet,
    Trips,
)
from fieldgym.envs.traffic.city.signals import signal_layout
from fieldgym.envs.traffic.city.sumo import TURN_RANK, CitySumoSystem, convert, trips_key
from fieldgym.envs.traffic.city.synthetic import example
from fieldgym.envs.traffic.config import TrafficConfig
from fieldgym.envs.traffic.sumo.plan import transition_state

L = 300.0
EW = {"speeds": (15.0, 15.0, 15.0), "widths": (3.0, 3.5, 4.0)}  # CityFlow lane 0 first
NS = {"speeds": (10.0, 10.0), "widths": (3.5, 3.5)}
NB = {"speeds": (10.0, 8.0), "widths": (3.5, 3.2)}  # B's north arm: lanes of two speeds
POINTS = {
    "A": (0.0, 0.0),
    "B": (L, 0.0),
    "C": (2 * L, 0.0),
    "W": (-L, 0.0),
    "E": (3 * L, 0.0),
    "NA": (0.0, L),
    "SA": (0.0, -L),
    "NB": (L, L),
    "SB": (L, -L),
}
ARMS = {"A": ("NA", "B", "SA", "W"), "B": ("NB", "C", "SB", "A")}
"""Neighbours of the signalized intersections by side N, E, S, W."""
PHASES = ((1, 1), (0, 1), (1, 0), (0, 0))
"""Green phases (turn, sides E-W 1 or N-S 0): E-W through, E-W left, N-S through, N-S left."""


def city() -> RoadNet:
    """The test network (module docstring), as the CityFlow readers would give it.

    Movements of A and B in CityFlow's order per approach N, E, S, W: left, through,
    right. E-W roads have three lanes (left, through, right), N-S roads two (left;
    through and right share lane 1); lanes differ in width, and those of B's north arm
    in speed limit. Light phases: a 5 s right-turn clearance, then E-W
    through, E-W left, N-S through, N-S left, every one with the right turns.
    """
    names = list(POINTS)
    pairs = [("W", "A"), ("A", "B"), ("B", "C"), ("C", "E")]
    pairs += [("NA", "A"), ("A", "SA"), ("NB", "B"), ("B", "SB")]
    roads: list[Road] = []
    for u, v in pairs:
        kind = EW if POINTS[u][1] == POINTS[v][1] else NB if "NB" in (u, v) else NS
        for a, b in ((u, v), (v, u)):
            points = [POINTS[a], POINTS[b]]
            if {a, b} == {"B", "C"}:  # a curved road
                points.insert(1, (1.5 * L, 0.25 * L))
            roads.append(
                Road(
                    id=f"{a}_{b}",
                    start=names.index(a),
                    end=names.index(b),
                    points=tuple(points),
                    lane_speeds=kind["speeds"],
                    lane_widths=kind["widths"],
                )
            )
    index = {road.id: k for k, road in enumerate(roads)}
    inters = []
    for name in names:
        if name == "C":
            movements = tuple(
                Movement(index[f"{a}_C"], index[f"C_{b}"], "go_straight", ((0, 0), (1, 1), (2, 2)))
                for a, b in (("B", "E"), ("E", "B"))
            )
            inters.append(Intersection(name, POINTS[name], False, movements, ()))
            continue
        if name not in ARMS:
            inters.append(Intersection(name, POINTS[name], True, (), ()))
            continue
        arms = ARMS[name]
        movements, turn_side = [], []
        for side in range(4):
            inbound = roads[index[f"{arms[side]}_{name}"]]
            for turn in range(3):
                outbound = roads[index[f"{name}_{arms[(side + 1 + turn) % 4]}"]]
                start = min(turn, inbound.lanes - 1)
                end = {0: 0, 1: min(1, outbound.lanes - 1), 2: outbound.lanes - 1}[turn]
                kind = ("turn_left", "go_straight", "turn_right")[turn]
                movements.append(
                    Movement(index[inbound.id], index[outbound.id], kind, ((start, end),))
                )
                turn_side.append((turn, side))
        rights = tuple(k for k, (turn, _) in enumerate(turn_side) if turn == 2)
        light = [LightPhase(5.0, rights)]
        for (turn, sides), time in zip(PHASES, (30.0, 15.0, 30.0, 15.0), strict=True):
            lets = [k for k, (t, s) in enumerate(turn_side) if t == turn and s % 2 == sides]
            light.append(LightPhase(time, tuple(sorted(lets + list(rights)))))
        inters.append(Intersection(name, POINTS[name], False, tuple(movements), tuple(light)))
    return RoadNet(tuple(inters), tuple(roads))


def trips(net: RoadNet, routes: list[list[str]], departs: list[float]) -> Trips:
    index = net.road_index()
    roads = [index[road] for route in routes for road in route]
    start = np.cumsum([0] + [len(route) for route in routes])
    return Trips(np.asarray(departs, dtype=float), start, np.asarray(roads))


def free_flow_time(net: RoadNet, route: list[str]) -> float:
    """The route's free-flow time: its roads' lengths over their speeds, s."""
    index = net.road_index()
    return sum(net.roads[index[r]].length / net.roads[index[r]].speed for r in route)


def all_routes(net: RoadNet) -> list[list[str]]:
    """Every route from a virtual intersection to a virtual intersection."""
    onward: dict[int, list[int]] = {}
    for inter in net.intersections:
        for m in inter.movements:
            onward.setdefault(m.inbound, []).append(m.outbound)
    virtual = [inter.virtual for inter in net.intersections]
    routes, stack = [], [[k] for k, r in enumerate(net.roads) if virtual[r.start]]
    while stack:
        route = stack.pop()
        if virtual[net.roads[route[-1]].end]:
            routes.append([net.roads[k].id for k in route])
        else:
            stack.extend([*route, nxt] for nxt in onward.get(route[-1], []))
    return sorted(routes)


def system(net: RoadNet, demand: Trips, **fields) -> CitySumoSystem:
    return CitySumoSystem(TrafficConfig(backend="sumo", **fields), net, demand)


def run_until_empty(sim: CitySumoSystem, limit: float = 1000.0) -> dict[str, float]:
    """Step SUMO tick by tick (signals as they are) until every vehicle arrived."""
    conn, arrived = sim.conn, {}
    while conn.simulation.getMinExpectedNumber() > 0 and conn.simulation.getTime() < limit:
        conn.simulationStep()
        for vehicle in conn.simulation.getArrivedIDList():
            arrived[vehicle] = conn.simulation.getTime()
    return arrived


def test_conversion_matches_the_road_network(tmp_path):
    sumolib = pytest.importorskip("sumolib")
    net = city()
    net_file, route_file = convert(net, trips(net, [["W_A", "A_B"]], [0.0]), tmp_path)
    sumo_net = sumolib.net.readNet(str(net_file), withPrograms=True)
    edges = {e.getID(): e for e in sumo_net.getEdges()}
    assert set(edges) == {road.id for road in net.roads}
    for road in net.roads:
        edge = edges[road.id]
        assert edge.getFromNode().getID() == net.intersections[road.start].id
        assert edge.getToNode().getID() == net.intersections[road.end].id
        assert edge.getLaneNumber() == road.lanes
        assert abs(edge.getLength() - road.length) < 1.0
        for k, lane in enumerate(edge.getLanes()):  # SUMO lane k is CityFlow lane lanes-1-k
            assert lane.getSpeed() == pytest.approx(road.lane_speeds[road.lanes - 1 - k])
            assert lane.getWidth() == pytest.approx(road.lane_widths[road.lanes - 1 - k])
            assert abs(lane.getLength() - road.length) < 1.0
    assert abs(edges["B_C"].getLength() - 2 * np.hypot(0.5 * L, 0.25 * L)) < 1.0
    # connections: exactly the lane links, lanes counted from the right
    expected, movement_of = set(), {}
    for inter in net.intersections:
        for k, m in enumerate(inter.movements):
            inbound, outbound = net.roads[m.inbound], net.roads[m.outbound]
            for start, end in m.lane_links:
                link = (
                    inbound.id,
                    outbound.id,
                    inbound.lanes - 1 - start,
                    outbound.lanes - 1 - end,
                )
                expected.add(link)
                movement_of[link] = k
    found, link_index = set(), {}
    for edge in edges.values():
        for connections in edge.getOutgoing().values():
            for c in connections:
                link = (
                    edge.getID(),
                    c.getTo().getID(),
                    c.getFromLane().getIndex(),
                    c.getToLane().getIndex(),
                )
                found.add(link)
                if c.getTLSID():
                    assert c.getTLSID() == c.getJunction().getID()
                    link_index[c.getTLSID(), c.getTLLinkIndex()] = movement_of[link]
    assert found == expected
    # node types and the signals' own programs: one phase per green phase
    types = {node.getID(): node.getType() for node in sumo_net.getNodes()}
    assert types == {
        **{name: "dead_end" for name in ("W", "E", "NA", "SA", "NB", "SB")},
        "A": "traffic_light",
        "B": "traffic_light",
        "C": "priority",
    }
    for inter in net.intersections:
        if not inter.signalized:
            continue
        program = sumo_net.getTLS(inter.id).getPrograms()["0"]
        phases = program.getPhases()
        assert len(phases) == len(inter.green_phases) == 4
        for phase, k in zip(phases, inter.green_phases, strict=True):
            assert phase.duration == inter.light_phases[k].time
            green = set(inter.light_phases[k].movements)
            for index, char in enumerate(phase.state):
                assert (char in "Gg") == (link_index[inter.id, index] in green)
    assert route_file.parent == net_file.parent


def test_same_inputs_same_files(tmp_path):
    net = city()
    demand = trips(net, [["W_A", "A_B"]], [0.0])
    first = convert(net, demand, tmp_path)
    stamp = first[0].stat().st_mtime_ns
    assert convert(city(), trips(net, [["W_A", "A_B"]], [0.0]), tmp_path) == first
    assert first[0].stat().st_mtime_ns == stamp  # not converted again
    other = convert(net, trips(net, [["W_A", "A_B", "B_C"]], [0.0]), tmp_path)
    assert other[0] == first[0] and other[1] != first[1]  # same network, other trips
    assert len(list(tmp_path.iterdir())) == 1  # no temporary folders left


@pytest.mark.parametrize("step_length", [1.0, 0.5])
def test_one_vehicle_drives_at_free_flow(step_length):
    """Each vehicle alone, every light green: SUMO's travel time is the free-flow time.

    SUMO inserts a vehicle at the end of its departure step and it first moves one step
    later, and it arrives at the end of the step in which it reaches the end of its last
    road: the travel time lies within [free flow + 1, free flow + 2] steps. A change of
    speed limit along the route costs a little more, ``dv^2 / (2 a v)``: 0.32 s to
    accelerate from 10 to 15 m/s at SUMO's 2.6 m/s^2, 0.19 s to brake back at 4.5 m/s^2.
    No time is lost in the junctions: they have no internal lanes.
    """
    net = city()
    routes = [
        ["W_A", "A_B", "B_C", "C_E"],
        ["E_C", "C_B", "B_A", "A_W"],
        ["NA_A", "A_B", "B_SB"],  # 10, 15, 10 m/s: a left turn, then a right turn
        ["SB_B", "B_C", "C_E"],
    ]
    departs = [0.0, 100.0, 200.0, 300.0]
    sim = system(net, trips(net, routes, departs), step_length=step_length, delta_time=5.0)
    try:
        sim.reset(np.random.default_rng(0))
        for tls in sim.plan.tls:
            links = len(sim.conn.trafficlight.getRedYellowGreenState(tls))
            sim.conn.trafficlight.setRedYellowGreenState(tls, "G" * links)
        arrived = run_until_empty(sim)
    finally:
        sim.close()
    for v, (route, depart) in enumerate(zip(routes, departs, strict=True)):
        free = free_flow_time(net, route)
        extra = arrived[str(v)] - depart - free
        speeds = {net.roads[net.road_index()[r]].speed for r in route}
        slack = 0.55 if len(speeds) > 1 else 0.0
        assert step_length - 1e-6 <= extra <= 2 * step_length + slack, (route, extra)


def test_a_vehicle_drives_at_most_at_its_own_top_speed(tmp_path):
    """Every light green, each vehicle alone: at the slower of its own top speed and the
    road's, within [free flow + 1, free flow + 2] steps (no speed change along the route
    when its own speed is below every road's)."""
    net = city()
    route = ["W_A", "A_B", "B_C", "C_E"]  # 15 m/s all along
    speeds = [9.0, 20.0, np.inf]
    demand = dataclasses.replace(
        trips(net, [route] * 3, [0.0, 200.0, 400.0]), max_speed=np.array(speeds)
    )
    assert trips_key(demand) != trips_key(trips(net, [route] * 3, [0.0, 200.0, 400.0]))
    text = convert(net, demand, tmp_path)[1].read_text()
    assert text.count("<vType ") == 3
    assert 'id="city_9.0" length="5" minGap="2.5" maxSpeed="9.0"' in text
    assert 'id="city" length="5" minGap="2.5" maxSpeed="100"' in text
    assert '<vehicle id="0" type="city_9.0"' in text and '<vehicle id="2" type="city"' in text
    sim = system(net, demand, delta_time=5.0)
    try:
        sim.reset(np.random.default_rng(0))
        for tls in sim.plan.tls:
            links = len(sim.conn.trafficlight.getRedYellowGreenState(tls))
            sim.conn.trafficlight.setRedYellowGreenState(tls, "G" * links)
        arrived = run_until_empty(sim)
    finally:
        sim.close()
    length = sum(net.roads[net.road_index()[r]].length for r in route)
    for v, (speed, depart) in enumerate(zip(speeds, [0.0, 200.0, 400.0], strict=True)):
        extra = arrived[str(v)] - depart - length / min(speed, 15.0)
        assert 1.0 - 1e-6 <= extra <= 2.0, (speed, extra)


def test_a_route_ends_at_the_end_of_its_last_road():
    """A route ending at an interior intersection ends at its stop line, red or green."""
    net = city()
    route = ["W_A", "A_B"]
    sim = system(net, trips(net, [route], [0.0]))
    try:
        sim.reset(np.random.default_rng(0))
        conn = sim.conn
        b = sim.agent_names.index("B")
        conn.trafficlight.setRedYellowGreenState("B", sim.plan.green_states[b][2])  # N-S
        last = (None, 0.0, np.inf)
        while conn.simulation.getMinExpectedNumber() > 0:
            conn.simulationStep()
            if "0" in conn.vehicle.getIDList():
                speed = conn.vehicle.getSpeed("0")
                last = (conn.vehicle.getRoadID("0"), conn.vehicle.getLanePosition("0"), speed)
                assert speed > 14.0  # never slows down for B's red light
        arrival = conn.simulation.getTime()
    finally:
        sim.close()
    assert last[0] == "A_B" and last[1] > L - 16.0  # within one step of the road's end
    assert arrival - free_flow_time(net, route) in (1.0, 2.0)


def crossings(net: RoadNet, phase: int, seconds: float = 90.0) -> set[tuple[str, str, str]]:
    """Movements ``(intersection, from road, to road)`` vehicles crossed while every signal
    was asked to show ``phase`` (after the first decision, which may still show yellow).
    """
    routes = all_routes(net)
    departs = np.arange(0.0, seconds - 20.0, 1.0)
    chosen = [routes[k % len(routes)] for k in range(len(departs))]
    sim = system(net, trips(net, chosen, departs.tolist()), min_green=0.0, max_green=1000.0)
    ends = {road.id: net.intersections[road.end].id for road in net.roads}
    seen: set[tuple[str, str, str]] = set()
    try:
        sim.reset(np.random.default_rng(0))
        conn = sim.conn
        before: dict[str, str] = {}
        for step in range(int(seconds / sim.config.delta_time)):
            sim.step(np.full((1, sim.num_intersections), phase), np.random.default_rng(0))
            now = {v: conn.vehicle.getRoadID(v) for v in conn.vehicle.getIDList()}
            if step > 0:
                for v, road in now.items():
                    old = before.get(v)
                    if old is not None and old != road:
                        seen.add((ends[old], old, road))
            before = now
    finally:
        sim.close()
    return seen


@pytest.mark.parametrize("phase", range(4))
def test_a_phase_lets_exactly_its_movements_go(phase):
    net = city()
    layout = signal_layout(net)
    green, fed = set(), set()
    for a, i in enumerate(layout.intersections):
        inter = net.intersections[i]
        always = set.intersection(*(set(p.movements) for p in inter.light_phases))
        for g, m in enumerate(inter.movements):
            key = (inter.id, net.roads[m.inbound].id, net.roads[m.outbound].id)
            if layout.phase_lanes[a, phase, g]:
                green.add(key)
                if g not in always and net.intersections[net.roads[m.inbound].start].virtual:
                    fed.add(key)
    crossed = {c for c in crossings(net, phase) if c[0] in layout.names}
    assert crossed <= green  # only green movements cross
    assert fed <= crossed  # and the phase's own movements fed from outside all do


def test_layout_observations_and_signal_info():
    net = city()
    layout = signal_layout(net)
    routes = [["NA_A", "A_SA"], ["NA_A", "A_W"], ["W_A", "A_B", "B_C", "C_E"]]
    demand = trips(net, routes * 12, np.arange(36.0).tolist())  # each every 3 s
    sim = system(net, demand)
    try:
        assert sim.agent_names == ["A", "B"] == layout.names
        np.testing.assert_array_equal(sim.phase_lanes, layout.phase_lanes)
        np.testing.assert_array_equal(sim.phase_counts, [4, 4])
        assert sim.layout["outgoing"][1] == sim.layout["queue"][1] == 12
        # the largest inbound road, C_B (335 m, 3 lanes), holds at most 3 * 45 vehicles
        assert sim.high[0, sim.layout["queue"][0]] == pytest.approx(135.0)
        assert sim.outgoing_per_group
        np.testing.assert_array_equal(sim.plan_greens, [[30, 15, 30, 15]] * 2)
        np.testing.assert_allclose(sim.approach_length[0, :3], L)
        assert sim.lane_saturation()[0, 0] == 1800.0  # one lane per movement here
        flows = sim.lane_flows()
        assert flows.shape == (2, 12)
        # 12 vehicles a movement over 36 s (35 s of departures and one headway)
        assert flows[0, 1] == pytest.approx(1200.0)  # N through at A
        assert flows[1, 3 * 3 + 1] == pytest.approx(1200.0)  # W through at B
        assert flows[0, 0] == 0.0
        rng = np.random.default_rng(0)
        obs = sim.reset(rng)
        assert obs.shape == (1, 2, sim.observation_size)
        for _ in range(8):  # N-S red: a queue builds on the shared N lane at A
            obs, rec_int, _ = sim.step(np.zeros((1, 2), dtype=np.int64), rng)
            assert np.all(obs <= sim.high)
        queue = obs[0, 0, sim.layout["queue"][0]]
        # N through (group 1) and N right (group 2) share SUMO lane NA_A_0: both count it
        assert queue[1] == queue[2] > 0
        incoming = ("NA_A", "B_A", "SA_A", "W_A")
        assert rec_int[0, 0, 0] == sum(map(sim.conn.edge.getLastStepHaltingNumber, incoming))
        outgoing = obs[0, 0, sim.layout["outgoing"][0]]
        assert outgoing[3 * 3 + 1] == sim.conn.edge.getLastStepVehicleNumber("A_B")
        assert rec_int[0, 0, 6] == sum(
            sim.conn.edge.getLastStepVehicleNumber(e) for e in ("A_NA", "A_B", "A_SA", "A_W")
        )
        assert sim.render(obs[0]).ndim == 3
    finally:
        sim.close()


def test_netconvert_errors_and_bad_routes_are_data_errors(tmp_path):
    net = city()
    a = net.intersections[0]
    bad_link = dataclasses.replace(a.movements[0], lane_links=((5, 0),))  # no lane 5
    bad = dataclasses.replace(
        net,
        intersections=(
            dataclasses.replace(a, movements=(bad_link, *a.movements[1:])),
            *net.intersections[1:],
        ),
    )
    demand = trips(net, [["W_A"]], [0.0])
    with pytest.raises(DataError, match=r"roadnet\.json.*netconvert.*fromLane"):
        convert(bad, demand, tmp_path, source="roadnet.json")
    assert list(tmp_path.iterdir()) == []  # nothing half-written left
    with pytest.raises(DataError, match="no road link"):
        convert(net, trips(net, [["W_A", "A_W"]], [0.0]), tmp_path, source="flow.json")


def test_libsumo_and_traci_run_the_city_alike():
    net = city()
    routes = all_routes(net)
    demand = trips(net, [routes[k % len(routes)] for k in range(60)], np.arange(60.0).tolist())
    runs = []
    for interface in ("libsumo", "traci"):
        sim = system(net, demand, sumo_interface=interface)
        rng = np.random.default_rng(0)
        try:
            steps = [sim.reset(rng)]
            for k in range(20):
                steps += list(sim.step(np.full((1, 2), (k // 4) % 4), rng))
                assert np.all(steps[-3] <= sim.high)
        finally:
            sim.close()
        runs.append(steps)
    for a, b in zip(*runs, strict=True):
        np.testing.assert_array_equal(a, b)
    assert runs[0][-1][0, 10] > 0  # vehicles left the network


# --- right of way --------------------------------------------------------------------------


def unsignalized_a() -> RoadNet:
    """:func:`city` with A a junction without signal (a ``priority`` node)."""
    net = city()
    a = dataclasses.replace(net.intersections[0], light_phases=())
    return dataclasses.replace(net, intersections=(a, *net.intersections[1:]))


NETWORKS = {
    "city": city,
    "city, A unsignalized": unsignalized_a,
    **{name: lambda name=name: read_roadnet(example(name)[0]) for name in ("grid2x2", "nongrid")},
    "grid2x2_unequal": lambda: read_roadnet(example("grid2x2_unequal")[0]),
}


def junction_logic(net_file) -> dict[str, dict]:
    """Per junction of a converted network: its ``links`` ``(from road, to road, tl link
    index or -1)`` in junction link order (incoming lanes in ``incLanes`` order, each
    lane's connections in file order), per link the links it must give way to
    (``response``) and those it conflicts with (``foes``), and its program's ``states``.
    """
    root = ET.parse(net_file).getroot()
    by_lane: dict[str, list] = {}
    for c in root.iter("connection"):
        link = (c.get("from"), c.get("to"), int(c.get("linkIndex", -1)))
        by_lane.setdefault(f"{c.get('from')}_{c.get('fromLane')}", []).append(link)
    programs = {
        t.get("id"): [p.get("state") for p in t.iter("phase")] for t in root.iter("tlLogic")
    }
    logic = {}
    for junction in root.iter("junction"):
        if junction.get("type") == "internal":
            continue
        links = [
            link for lane in junction.get("incLanes").split() for link in by_lane.get(lane, [])
        ]
        bits = {"response": {}, "foes": {}}
        for request in junction.iter("request"):
            for name, rows in bits.items():
                rows[int(request.get("index"))] = {
                    j for j, bit in enumerate(reversed(request.get(name))) if bit == "1"
                }
        logic[junction.get("id")] = {
            "links": links,
            **bits,
            "states": programs.get(junction.get("id"), []),
        }
    return logic


def turn_of(net: RoadNet) -> dict[tuple[str, str, str], str]:
    """``(intersection, from road, to road)`` -> the movement's CityFlow type."""
    return {
        (inter.id, net.roads[m.inbound].id, net.roads[m.outbound].id): m.turn
        for inter in net.intersections
        for m in inter.movements
    }


@pytest.mark.parametrize("name", NETWORKS)
def test_right_of_way_follows_the_movement_types(tmp_path, name):
    """Where two movements from different roads cross or merge, the one of the lower type
    gives way to the other (go_straight over turn_left over turn_right, as CityFlow), at
    signals and at junctions without, whatever the roads."""
    net = NETWORKS[name]()
    net_file, _ = convert(net, trips(net, [[net.roads[0].id]], [0.0]), tmp_path)
    turns = turn_of(net)
    checked = 0
    for junction, logic in junction_logic(net_file).items():
        links = logic["links"]
        for i, foes in logic["foes"].items():
            for j in foes:
                (a, b, _), (c, d, _) = links[i], links[j]
                one, other = turns[junction, a, b], turns[junction, c, d]
                if a == c or one == other:
                    continue
                checked += 1
                yields = TURN_RANK[one] < TURN_RANK[other]
                assert (j in logic["response"][i]) == yields, (junction, links[i], links[j])
    assert checked > 0 or name == "city"


@pytest.mark.parametrize("name", NETWORKS)
def test_green_links_in_conflict_never_both_have_priority(tmp_path, name):
    """In every phase, of two green links in conflict one is ``g`` and gives way to the
    other (SUMO's junction logic says so): two ``G`` foes would both go at full speed."""
    net = NETWORKS[name]()
    net_file, _ = convert(net, trips(net, [[net.roads[0].id]], [0.0]), tmp_path)
    pairs = 0
    for logic in junction_logic(net_file).values():
        tl = [k for *_, k in logic["links"]]
        for state in logic["states"]:
            for i, foes in logic["foes"].items():
                for j in foes:
                    if i < j and state[tl[i]] in "Gg" and state[tl[j]] in "Gg":
                        pairs += 1
                        assert (state[tl[i]] == "g" and j in logic["response"][i]) or (
                            state[tl[j]] == "g" and i in logic["response"][j]
                        ), (state, logic["links"][i], logic["links"][j])
            for i, gives_way in logic["response"].items():  # g only where it gives way
                if state[tl[i]] == "g":
                    assert any(state[tl[j]] in "Gg" for j in gives_way), state
    assert pairs > 0


@pytest.mark.parametrize("name", ["grid2x2", "grid2x2_unequal"])
def test_through_phases_give_both_approaches_right_of_way(tmp_path, name):
    """In each through phase of the grid's 4-arm intersections, the through links of both
    approaches are ``G`` and the green turns that cross or merge with them ``g`` (the right
    turns into the roads they enter); the other green turns ``G``. The same, east-west and
    north-south, whichever roads netconvert would take for the major ones."""
    net = NETWORKS[name]()
    net_file, _ = convert(net, trips(net, [[net.roads[0].id]], [0.0]), tmp_path)
    turns = turn_of(net)
    signals = {inter.id: inter for inter in net.intersections if inter.signalized}
    seen = 0
    for junction, logic in junction_logic(net_file).items():
        if junction not in signals:
            continue
        inter = signals[junction]
        links = logic["links"]
        tl = {k: i for i, (*_, k) in enumerate(links)}  # tl link index -> junction order
        kinds = [turns[junction, a, b] for a, b, _ in links]
        patterns = []
        for state in logic["states"]:
            through = [
                k for k, char in enumerate(state) if char in "Gg" and kinds[tl[k]] == "go_straight"
            ]
            roads = {links[tl[k]][0] for k in through}
            if len(roads) != 2:
                continue
            seen += 1
            assert all(state[k] == "G" for k in through), state
            crossing = {
                k
                for k in range(len(state))
                if tl[k] in set().union(*(logic["foes"][tl[t]] for t in through))
            }
            for k, char in enumerate(state):
                if char in "Gg" and kinds[tl[k]] != "go_straight":
                    assert char == ("g" if k in crossing else "G"), (state, links[tl[k]])
            patterns.append(
                sorted((kinds[tl[k]], char) for k, char in enumerate(state) if char in "Gg")
            )
        assert len(patterns) == 2 and patterns[0] == patterns[1]  # east-west, north-south
        assert any(char == "g" for _, char in patterns[0])  # the right turns merging
        assert len(inter.green_phases) == len(logic["states"])
    assert seen == 2 * len(signals)


def test_a_link_that_gives_way_next_gives_way_during_the_change(monkeypatch):
    """While a phase changes, a link green in both phases that gives way in the next (an
    always-green right turn merging with the through movement the next phase lets go)
    shows ``g`` already: its vehicles slow down in time to stop for the foes starting from
    the stop line. The other links show the change as on generated grids."""
    net = read_roadnet(example("grid2x2")[0])
    demand = trips(net, [["road_0_1_0", "road_1_1_0"]], [0.0])
    sim = system(net, demand, min_green=0.0, max_green=1000.0)  # 3 s yellow, 1 s ticks
    try:
        rng = np.random.default_rng(0)
        sim.reset(rng)
        a = sim.agent_names.index("intersection_1_1")
        old, new = sim.plan.green_states[a][1], sim.plan.green_states[a][0]  # N-S, E-W through
        actions = np.full((1, sim.num_intersections), 1)
        sim.step(actions, rng)
        shown = []
        step = sim.conn.simulationStep

        def record() -> None:
            shown.append(sim.conn.trafficlight.getRedYellowGreenState("intersection_1_1"))
            step()

        monkeypatch.setattr(sim.conn, "simulationStep", record)
        actions[0, a] = 0
        sim.step(actions, rng)
    finally:
        monkeypatch.undo()
        sim.close()
    plain = transition_state(old, new, yellow=True)
    early = [k for k, (x, y) in enumerate(zip(old, new, strict=True)) if x == "G" and y == "g"]
    assert early  # the right turns of the north-south roads
    change = "".join("g" if k in early else char for k, char in enumerate(plain))
    assert change != plain
    assert shown == [change] * 3 + [new] * 2


def test_right_turns_and_through_vehicles_starting_do_not_collide(monkeypatch):
    """A stream of right turns, green in every phase, merges with through vehicles that
    queue at red and start when their phase begins (the right turns then give way): none
    collide. (Showing the right turns ``G`` until the through movement's green, a right
    turn at its stop line in that tick cannot stop, and the through vehicle starting does
    not look: two collisions in these 300 s.)"""
    net = read_roadnet(example("grid2x2")[0])
    right = ["road_1_0_1", "road_1_1_0", "road_2_1_0"]  # at intersection_1_1
    through = ["road_0_1_0", "road_1_1_0", "road_2_1_0"]
    chosen = [(t, right) for t in np.arange(0.0, 240.0, 2.5)]
    chosen += [(t, through) for t in np.arange(0.5, 240.0, 2.0)]
    chosen.sort(key=lambda c: c[0])
    demand = trips(net, [route for _, route in chosen], [t for t, _ in chosen])
    sim = system(net, demand, min_green=0.0, max_green=1000.0)
    colliding = []
    try:
        rng = np.random.default_rng(0)
        sim.reset(rng)
        step = sim.conn.simulationStep

        def counted() -> None:
            step()
            colliding.append(sim.conn.simulation.getCollidingVehiclesNumber())

        monkeypatch.setattr(sim.conn, "simulationStep", counted)
        for k in range(60):  # north-south and east-west through, 15 s each
            sim.step(np.full((1, sim.num_intersections), (k // 3) % 2), rng)
    finally:
        monkeypatch.undo()
        sim.close()
    assert len(colliding) == 300 and sum(colliding) == 0
