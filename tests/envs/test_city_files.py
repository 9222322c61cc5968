"""CityFlow files: reading and checking, writing, synthetic networks and the shipped examples."""

from __future__ import annotations

import dataclasses
import json
import time

import numpy as np
import pytest

from fieldgym.envs.core.errors import ConfigError, DataError
from fieldgym.envs.traffic.city.files import (
    make_trips,
    read_flows,
    read_roadnet,
    write_flows,
    write_roadnet,
)
from fieldgym.envs.traffic.city.model import RoadNet, Trips
from fieldgym.envs.traffic.city.signals import signal_layout
from fieldgym.envs.traffic.city.synthetic import (
    DATA,
    EXAMPLES,
    SPEED,
    border_trips,
    config_trips,
    example,
    export_cityflow,
    from_config,
    grid_roadnet,
    nongrid_roadnet,
    write_examples,
)
from fieldgym.envs.traffic.config import FOUR_PHASES, TrafficConfig


def same_trips(a: Trips, b: Trips) -> bool:
    """Same departures and routes, and the same top speeds where both are finite (an inf is
    written as the route's fastest lane, which caps nothing)."""
    finite = np.isfinite(a.max_speed) & np.isfinite(b.max_speed)
    return (
        np.array_equal(a.depart, b.depart)
        and np.array_equal(a.route_start, b.route_start)
        and np.array_equal(a.roads, b.roads)
        and np.array_equal(a.max_speed[finite], b.max_speed[finite])
    )


def roads_of(net, trips, v):
    return [net.roads[r].id for r in trips.route(v)]


@pytest.fixture(scope="module")
def grid():
    return grid_roadnet(2, 2)


def dump(tmp_path, data, name="roadnet.json"):
    path = tmp_path / name
    path.write_text(json.dumps(data))
    return path


def flow(route, start=0.0, end=None, interval=1.0):
    return {"vehicle": {"length": 5.0}, "route": route, "interval": interval,
            "startTime": start, "endTime": start if end is None else end}  # fmt: skip


# --- synthetic networks ---------------------------------------------------------------------


def test_grid_has_cityflow_counts_names_and_plan(grid):
    assert len(grid.intersections) == 12  # 4 x 4 positions less the 4 corners
    assert sum(inter.virtual for inter in grid.intersections) == 8
    assert len(grid.roads) == 24
    assert [grid.intersections[i].id for i in grid.signals] == [
        "intersection_1_1", "intersection_2_1", "intersection_1_2", "intersection_2_2",
    ]  # fmt: skip
    assert {road.lanes for road in grid.roads} == {3}
    for i in grid.signals:
        inter = grid.intersections[i]
        assert len(inter.movements) == 12
        assert len(inter.light_phases) == 9
        assert inter.green_phases == tuple(range(1, 9))  # phase 0: right turns only
        assert inter.light_phases[0].time == 5.0
        rights = {k for k, m in enumerate(inter.movements) if m.turn == "turn_right"}
        assert set(inter.light_phases[0].movements) == rights
        for phase in inter.light_phases[1:]:
            assert phase.time == 30.0 and len(set(phase.movements) - rights) == 2
    first = grid.intersections[grid.signals[0]].movements[0]
    assert grid.roads[first.inbound].id == "road_0_1_0"  # eastbound in, straight on
    assert (grid.roads[first.outbound].id, first.turn) == ("road_1_1_0", "go_straight")
    assert first.lane_links == ((1, 0), (1, 1), (1, 2))


def test_unequal_spacings_read_back_as_road_lengths(tmp_path):
    net = grid_roadnet(2, 2, col_spacing=(200, 400, 250), row_spacing=(300, 150, 350))
    back = read_roadnet(write_roadnet(net, tmp_path / "roadnet.json"))
    length = {road.id: road.length for road in back.roads}
    assert length["road_0_1_0"] == 200 and length["road_1_1_0"] == 400
    assert length["road_2_1_0"] == 250 and length["road_1_2_3"] == 150
    assert length["road_1_0_1"] == 300 and length["road_1_2_1"] == 350
    with pytest.raises(ValueError, match="col_spacing"):
        grid_roadnet(2, 2, col_spacing=(200, 400))


def test_from_config_default_is_one_signal_with_the_config_phases():
    config = TrafficConfig()
    net = from_config(config)
    assert len(net.signals) == 1 and len(net.intersections) == 5 and len(net.roads) == 8
    inter = net.intersections[net.signals[0]]
    assert inter.id == "intersection_1_1" and len(inter.movements) == 12
    assert {road.length for road in net.roads} == {config.link_length}
    assert {road.speed for road in net.roads} == {config.speed_limit}
    greens = [inter.light_phases[k] for k in inter.green_phases]
    assert len(greens) == len(config.phases) == 4
    # movements in fieldgym's lane-group order NL, NT, NR, EL, ..., so phases map by name
    names = [s + t for s in "NESW" for t in "LTR"]
    for phase, wanted in zip(greens, FOUR_PHASES, strict=True):
        assert {names[k] for k in phase.movements} == set(wanted)
    assert signal_layout(net).phase_counts.tolist() == [4]


def test_from_config_refuses_a_config_with_a_network_file():
    config = TrafficConfig(roadnet_file="city/roadnet.json", flow_file="city/flow.json")
    with pytest.raises(ConfigError, match=r"roadnet_file='city/roadnet\.json'"):
        from_config(config)


def test_from_config_grid_lists_intersections_north_first():
    net = from_config(TrafficConfig(rows=2, cols=3, lanes=(1, 2, 1)))
    assert [net.intersections[i].id for i in net.signals] == [
        "intersection_1_2", "intersection_2_2", "intersection_3_2",
        "intersection_1_1", "intersection_2_1", "intersection_3_1",
    ]  # fmt: skip
    inter = net.intersections[net.signals[0]]
    assert [m.lanes for m in inter.movements] == [1, 2, 1] * 4


def test_nongrid_network_has_a_t_and_a_five_arm_junction(tmp_path):
    net = nongrid_roadnet()
    signals = [net.intersections[i] for i in net.signals]
    assert [(s.id, len(s.movements)) for s in signals] == [
        ("junction_t", 6), ("junction_five", 20),
    ]  # fmt: skip
    assert signal_layout(net).phase_counts.tolist() == [3, 5]
    assert read_roadnet(write_roadnet(net, tmp_path / "roadnet.json")) == net


# --- round trips ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "make",
    [
        lambda: grid_roadnet(1, 1),
        lambda: grid_roadnet(3, 2, col_spacing=(100, 250, 120), lanes=(2, 1, 1)),
        lambda: from_config(TrafficConfig(rows=2, cols=2, all_red_time=1.0)),
        nongrid_roadnet,
    ],
)
def test_roadnet_round_trip(tmp_path, make):
    net = make()
    assert read_roadnet(write_roadnet(net, tmp_path / "roadnet.json")) == net
    assert not list(tmp_path.glob(".*"))  # the atomic writer left no scratch behind


@pytest.mark.parametrize("rng", [None, np.random.default_rng(3)])
@pytest.mark.parametrize("group", [True, False])
def test_trips_round_trip(tmp_path, grid, rng, group):
    trips = border_trips(grid, 400.0, duration=600.0, profile=(1.0, 0.5), profile_interval=300,
                         rng=rng)  # fmt: skip
    path = write_flows(trips, grid, tmp_path / "flow.json", group=group)
    assert same_trips(read_flows(path, grid), trips)
    flows = json.loads(path.read_text())
    assert flows[0]["vehicle"]["maxSpeed"] == grid.roads[0].speed
    if group and rng is None:  # regular headways: one flow per route and period
        assert len(flows) < trips.num_vehicles / 5
    else:
        assert len(flows) <= trips.num_vehicles


@pytest.mark.parametrize("group", [True, False])
def test_vehicle_max_speeds_round_trip(tmp_path, grid, group):
    """Finite top speeds come back exactly; inf is written as the route's fastest lane."""
    fast = grid.road_index()["road_0_1_0"]  # one entry road at 15 m/s, the others 11.111
    roads = list(grid.roads)
    roads[fast] = dataclasses.replace(roads[fast], lane_speeds=(15.0,) * 3)
    net = RoadNet(grid.intersections, tuple(roads))
    base = border_trips(net, 400.0, duration=600.0)
    # by entry road (then grouping can keep its flows): 8.5, 16.67 or none; none on the fast
    entries, entry = np.unique(base.roads[base.route_start[:-1]], return_inverse=True)
    speeds = np.array([8.5, 16.67, np.inf])[entry % 3]
    speeds[entries[entry] == fast] = np.inf
    trips = Trips(base.depart, base.route_start, base.roads, max_speed=speeds)
    path = write_flows(trips, net, tmp_path / "flow.json", group=group)
    back = read_flows(path, net)
    assert same_trips(trips, back)
    lanes = np.array([15.0 if trips.route(v)[0] == fast else SPEED for v in range(len(speeds))])
    assert np.array_equal(back.max_speed, np.where(np.isinf(speeds), lanes, speeds))
    again = write_flows(back, net, tmp_path / "again.json", group=group)
    assert again.read_bytes() == path.read_bytes()  # finite speeds: exact both ways
    flows = json.loads(path.read_text())
    assert {f["vehicle"]["maxSpeed"] for f in flows} == {8.5, 16.67, 15.0, SPEED}
    assert all(f["vehicle"]["length"] == 5.0 for f in flows)  # CityFlow's other defaults
    if group:  # one flow per route, speed and regular run: still far fewer than vehicles
        assert len(flows) < trips.num_vehicles / 2


def test_grouping_keeps_vehicles_of_different_speeds_apart(tmp_path, grid):
    """One route every 5 s, speeds alternating: two flows of 10 s, not one of 5 s."""
    route = [grid.road_index()["road_0_1_0"]]
    trips = make_trips([route, route], [0.0, 5.0], [20.0, 25.0], [10.0, 10.0],
                       max_speed=[9.0, 12.0])  # fmt: skip
    path = write_flows(trips, grid, tmp_path / "flow.json")
    flows = [(f["startTime"], f["interval"], f["vehicle"]["maxSpeed"])
             for f in json.loads(path.read_text())]  # fmt: skip
    assert flows == [(0.0, 10.0, 9.0), (5.0, 10.0, 12.0)]
    back = read_flows(path, grid)
    assert same_trips(back, trips) and back.max_speed.tolist() == [9.0, 12.0] * 3


def test_flows_without_a_max_speed_give_inf(tmp_path, grid):
    data = [
        flow(["road_0_1_0"]),  # a vehicle object without maxSpeed
        {"route": ["road_1_0_1"], "interval": 1.0, "startTime": 1.0, "endTime": 1.0},
        dict(flow(["road_0_2_0"], 2.0, 4.0, 2.0), vehicle={"maxSpeed": 9}),
    ]
    trips = read_flows(dump(tmp_path, data, "flow.json"), grid)
    assert trips.max_speed.tolist() == [np.inf, np.inf, 9.0, 9.0]
    made = make_trips([[0], [1]], [0.0, 1.0], [0.0, 3.0], [1.0, 2.0], max_speed=[np.inf, 5.0])
    assert made.max_speed.tolist() == [np.inf, 5.0, 5.0]
    assert make_trips([[0]], [0.0], [2.0], [1.0]).max_speed.tolist() == [np.inf] * 3
    with pytest.raises(ValueError, match="max_speed"):
        make_trips([[0]], [0.0], [0.0], [1.0], max_speed=0.0)
    with pytest.raises(ValueError, match="max_speed"):
        Trips(np.zeros(2), np.arange(3), np.zeros(2, dtype=np.int64), max_speed=np.ones(3))


def test_grouping_falls_back_when_ties_would_reorder(tmp_path, grid):
    index = grid.road_index()
    a, b = [index["road_0_1_0"]], [index["road_1_0_1"]]
    # b departs first at 0; at t = 2 the file's order puts a before b
    trips = Trips(
        depart=np.array([0.0, 2.0, 2.0, 4.0, 4.0]),
        route_start=np.arange(6),
        roads=np.array(b + a + b + b + a),
    )
    path = write_flows(trips, grid, tmp_path / "flow.json")
    assert same_trips(read_flows(path, grid), trips)


def test_export_cityflow_writes_a_config_grid_and_its_demand(tmp_path):
    config = TrafficConfig(rows=1, cols=2)
    roadnet, flow_file = export_cityflow(config, tmp_path, duration=900.0)
    net = read_roadnet(roadnet)
    assert net == from_config(config)
    trips = read_flows(flow_file, net)
    assert same_trips(trips, config_trips(config, 900.0))
    entries = {roads_of(net, trips, v)[0] for v in range(trips.num_vehicles)}
    assert len(entries) == 6  # 2 from the north, 2 from the south, 1 east, 1 west
    # entry_flows (700, 400, 700, 400) veh/h for a quarter of an hour
    assert abs(trips.num_vehicles - (2 * 700 + 2 * 700 + 400 + 400) / 4) < 30
    for v in range(trips.num_vehicles):  # every route drives on to the border
        assert net.intersections[net.roads[trips.route(v)[-1]].end].virtual


# --- shipped examples -----------------------------------------------------------------------


@pytest.mark.parametrize("name", list(EXAMPLES))
def test_shipped_examples_load(name):
    roadnet, flow_file = example(name)
    assert roadnet.stat().st_size < 200_000 and flow_file.stat().st_size < 200_000
    net = read_roadnet(roadnet)
    trips = read_flows(flow_file, net)
    assert len(net.signals) >= 2 and trips.num_vehicles > 300
    assert trips.depart.max() < 900.0


def test_shipped_examples_are_what_write_examples_writes(tmp_path):
    for path in write_examples(tmp_path):
        shipped = DATA / path.relative_to(tmp_path)
        assert shipped.read_bytes() == path.read_bytes(), f"regenerate {shipped}"


def test_routes_may_end_at_an_interior_intersection(tmp_path, grid):
    path = dump(tmp_path, [flow(["road_0_1_0", "road_1_1_0"]), flow(["road_1_1_1"], start=3)],
                "flow.json")  # fmt: skip
    trips = read_flows(path, grid)
    assert roads_of(grid, trips, 0) == ["road_0_1_0", "road_1_1_0"]
    assert roads_of(grid, trips, 1) == ["road_1_1_1"]
    roadnet, flow_file = example("grid2x2_interior")
    net = read_roadnet(roadnet)
    trips = read_flows(flow_file, net)
    ends = [net.intersections[net.roads[trips.route(v)[-1]].end] for v in range(trips.num_vehicles)]
    assert sum(not inter.virtual for inter in ends) > trips.num_vehicles / 2


# --- flows: expansion -----------------------------------------------------------------------


def test_flows_expand_sorted_and_stable(tmp_path, grid):
    path = dump(tmp_path, [flow(["road_0_1_0"], 0, 10, 5), flow(["road_1_0_1"], 5, 5),
                           flow(["road_0_2_0"], 2.5, 12.5, 2.5)], "flow.json")  # fmt: skip
    trips = read_flows(path, grid)
    np.testing.assert_array_equal(trips.depart, [0, 2.5, 5, 5, 5, 7.5, 10, 10, 12.5])
    firsts = [roads_of(grid, trips, v)[0] for v in range(trips.num_vehicles)]
    assert firsts[2:5] == ["road_0_1_0", "road_1_0_1", "road_0_2_0"]  # ties in file order
    assert trips.route_start.tolist() == list(range(10))


def test_open_ended_flow_runs_to_the_horizon(tmp_path, grid):
    path = dump(tmp_path, [flow(["road_0_1_0"], 0, -1, 10), flow(["road_1_0_1"], 150, 200, 10)],
                "flow.json")  # fmt: skip
    trips = read_flows(path, grid, horizon=100.0)
    assert trips.num_vehicles == 11 and trips.depart[-1] == 100.0  # the later flow dropped
    assert read_flows(path, grid).num_vehicles == 8641 + 6  # HORIZON = 86 400 s


def test_reading_a_city_sized_flow_file_is_fast(tmp_path):
    net = grid_roadnet(4, 4)
    trips = border_trips(net, 250.0, duration=3600.0, rng=np.random.default_rng(0))
    path = write_flows(trips, net, tmp_path / "flow.json", group=False)  # one flow per vehicle
    started = time.perf_counter()
    assert read_flows(path, net).num_vehicles == trips.num_vehicles > 3000
    assert time.perf_counter() - started < 1.0


# --- road network errors --------------------------------------------------------------------


@pytest.fixture
def net_json(tmp_path):
    """A 1 x 1 grid as CityFlow JSON: intersection_1_1 is the signal, index 2."""
    return json.loads(write_roadnet(grid_roadnet(1, 1), tmp_path / "good.json").read_text())


def road(data, name):
    return next(r for r in data["roads"] if r["id"] == name)


def signal(data):
    return next(i for i in data["intersections"] if i["id"] == "intersection_1_1")


def _no_phases(data):
    signal(data)["trafficLight"]["lightphases"] = signal(data)["trafficLight"]["lightphases"][:1]


ROADNET_ERRORS = {
    "unknown intersection": (
        lambda d: road(d, "road_1_1_0").update(startIntersection="intersection_9_9"),
        ["road 'road_1_1_0'", "startIntersection 'intersection_9_9'", "not an intersection"],
    ),
    "duplicate road": (
        lambda d: d["roads"].append(dict(road(d, "road_1_1_0"))),
        ["road id 'road_1_1_0' is used twice"],
    ),
    "one point": (
        lambda d: road(d, "road_1_1_0")["points"].pop(),
        ["road 'road_1_1_0'", "points", "at least 2"],
    ),
    "no lanes": (
        lambda d: road(d, "road_1_1_0").update(lanes=[]),
        ["road 'road_1_1_0'", "lanes", "at least 1"],
    ),
    "zero speed": (
        lambda d: road(d, "road_1_1_0")["lanes"][1].update(maxSpeed=0),
        ["road 'road_1_1_0' lanes[1]", "maxSpeed=0", "greater than 0"],
    ),
    "negative width": (
        lambda d: road(d, "road_0_1_0")["lanes"][0].update(width=-3),
        ["road 'road_0_1_0' lanes[0]", "width=-3"],
    ),
    "zero length": (
        lambda d: road(d, "road_1_1_0").update(points=[{"x": 5, "y": 5}, {"x": 5, "y": 5}]),
        ["road 'road_1_1_0'", "length 0"],
    ),
    "too short for the widths": (
        lambda d: road(d, "road_1_1_0")["points"][1].update(x=8.0),
        ["road 'road_1_1_0'", "widths", "intersection_1_1"],
    ),
    "NaN point": (
        lambda d: road(d, "road_1_1_0")["points"][0].update(x=float("nan")),
        ["road 'road_1_1_0' points[0]", "x=nan", "finite"],
    ),
    "link from a road not ending here": (
        lambda d: signal(d)["roadLinks"][0].update(startRoad="road_1_1_2"),
        ["intersection 'intersection_1_1' roadLinks[0]", "startRoad 'road_1_1_2'", "does not end"],
    ),
    "link to an unknown road": (
        lambda d: signal(d)["roadLinks"][1].update(endRoad="road_x"),
        ["intersection 'intersection_1_1' roadLinks[1]", "endRoad 'road_x'", "not a road"],
    ),
    "lane index out of range": (
        lambda d: signal(d)["roadLinks"][0]["laneLinks"][0].update(startLaneIndex=3),
        ["roadLinks[0] laneLinks[0]", "startLaneIndex=3", "'road_0_1_0'", "3 lane(s)"],
    ),
    "bad turn": (
        lambda d: signal(d)["roadLinks"][0].update(type="u_turn"),
        ["roadLinks[0]", "type='u_turn'", "go_straight"],
    ),
    "phase with an unknown road link": (
        lambda d: signal(d)["trafficLight"]["lightphases"][2]["availableRoadLinks"].append(12),
        [
            "intersection 'intersection_1_1' trafficLight lightphases[2]",
            "roadLink 12",
            "12 roadLinks",
        ],
    ),
    "phase of no time": (
        lambda d: signal(d)["trafficLight"]["lightphases"][0].update(time=0),
        ["lightphases[0]", "time=0", "greater than 0"],
    ),
    "roadLinkIndices out of range": (
        lambda d: signal(d)["trafficLight"]["roadLinkIndices"].append(40),
        ["intersection 'intersection_1_1'", "roadLinkIndices[12] is 40"],
    ),
    "no traffic light": (
        lambda d: signal(d).pop("trafficLight"),
        ["intersection 'intersection_1_1'", "no 'trafficLight' field"],
    ),
    "virtual not a bool": (
        lambda d: signal(d).update(virtual="no"),
        ["intersection 'intersection_1_1'", "virtual='no'"],
    ),
    "no signal": (_no_phases, ["no signalized intersection", "'intersection_1_1' has 1 light"]),
    "all virtual": (
        lambda d: signal(d).update(virtual=True),
        ["no signalized intersection", "every intersection is virtual"],
    ),
    "duplicate intersection": (
        lambda d: d["intersections"][0].update(id="intersection_1_1"),
        ["intersection id 'intersection_1_1' is used twice"],
    ),
}


@pytest.mark.parametrize("case", list(ROADNET_ERRORS))
def test_bad_roadnets_name_file_and_culprit(tmp_path, net_json, case):
    change, phrases = ROADNET_ERRORS[case]
    change(net_json)
    path = dump(tmp_path, net_json, "city_roadnet.json")
    with pytest.raises(DataError) as info:
        read_roadnet(path)
    message = str(info.value)
    assert message.startswith(str(path))
    for phrase in phrases:
        assert phrase in message, message


@pytest.mark.parametrize(
    ("text", "phrase"),
    [
        ('<?xml version="1.0"?><net version="1.20"></net>', "XML file (a SUMO network"),
        ('[{"route": ["a"], "startTime": 0, "endTime": 0, "interval": 1}]', "flow file"),
        ('{"intersections": [], "roads": [}', "not valid JSON (line 1"),
        ('{"nodes": [], "edges": []}', "expected a CityFlow road network"),
        ('{"intersections": [], "roads": []}', "has no roads"),
    ],
)
def test_files_that_are_not_roadnets(tmp_path, text, phrase):
    path = tmp_path / "roadnet.json"
    path.write_text(text)
    with pytest.raises(DataError, match=r"roadnet\.json") as info:
        read_roadnet(path)
    assert phrase in str(info.value)
    with pytest.raises(DataError, match="cannot be read"):
        read_roadnet(tmp_path / "missing.json")


# --- flow errors ----------------------------------------------------------------------------

FLOW_ERRORS = {
    "unknown road": (
        [flow(["road_0_1_0"]), flow(["road_0_1_0", "road_9_9_9"])],
        ["flow 1", "road 'road_9_9_9' (route[1])", "not a road"],
    ),
    "disconnected roads": (
        [flow(["road_0_1_0", "road_2_1_0"])],
        [
            "flow 0",
            "'road_0_1_0' ends at intersection 'intersection_1_1'",
            "'road_2_1_0' starts at intersection 'intersection_2_1'",
        ],
    ),
    "no road link (a U-turn)": (
        [flow(["road_0_1_0", "road_1_1_2"])],
        [
            "flow 0",
            "'road_0_1_0'",
            "'road_1_1_2'",
            "intersection 'intersection_1_1'",
            "no roadLink",
        ],
    ),
    "through a virtual node": (
        [flow(["road_1_1_2", "road_0_1_0"])],
        ["intersection 'intersection_0_1', a virtual (border) intersection"],
    ),
    "empty route": ([flow([])], ["flow 0", "empty route"]),
    "route not a list": ([flow("road_0_1_0")], ["flow 0", "route='road_0_1_0'"]),
    "zero interval": (
        [flow(["road_0_1_0"], 0, 100, 0)],
        ["flow 0", "interval=0", "greater than 0"],
    ),
    "negative start": ([flow(["road_0_1_0"], -5, 10)], ["flow 0", "startTime=-5"]),
    "end before start": ([flow(["road_0_1_0"], 50, 10)], ["flow 0", "endTime=10 before"]),
    "NaN time": (
        [flow(["road_0_1_0"]), flow(["road_0_1_0"], float("nan"))],
        ["flow 1", "startTime=nan", "finite"],
    ),
    "missing interval": (
        [{"route": ["road_0_1_0"], "startTime": 0, "endTime": 0}],
        ["flow 0", "no 'interval' field"],
    ),
    "zero maxSpeed": (
        [flow(["road_0_1_0"]), dict(flow(["road_0_1_0"]), vehicle={"maxSpeed": 0})],
        ["flow 1 vehicle", "maxSpeed=0", "greater than 0"],
    ),
    "text maxSpeed": (
        [dict(flow(["road_0_1_0"]), vehicle={"maxSpeed": "fast"})],
        ["flow 0 vehicle", "maxSpeed='fast'", "finite number"],
    ),
    "infinite maxSpeed": (
        [dict(flow(["road_0_1_0"]), vehicle={"maxSpeed": float("inf")})],
        ["flow 0 vehicle", "maxSpeed=inf", "finite number"],
    ),
    "vehicle not an object": (
        [dict(flow(["road_0_1_0"]), vehicle="car")],
        ["flow 0", "vehicle='car'", "JSON object"],
    ),
    "no flows": ([], ["has no flows"]),
    "a road network": ({"intersections": [], "roads": []}, ["a road network", "roadnet_file"]),
}


@pytest.mark.parametrize("case", list(FLOW_ERRORS))
def test_bad_flows_name_file_flow_and_roads(tmp_path, grid, case):
    data, phrases = FLOW_ERRORS[case]
    path = dump(tmp_path, data, "city_flow.json")
    with pytest.raises(DataError) as info:
        read_flows(path, grid)
    message = str(info.value)
    assert message.startswith(str(path))
    for phrase in phrases:
        assert phrase in message, message
