"""Flow files: CityFlow JSON and SUMO route files, replayed on a matching grid."""

from __future__ import annotations

import json

import numpy as np
import pytest

import fieldgym
from fieldgym.envs.core.errors import DataError
from fieldgym.envs.traffic.config import TrafficConfig
from fieldgym.envs.traffic.flows import read_cityflow, read_sumo_routes, replay_inputs
from fieldgym.envs.traffic.network import build_network

W, N = 3, 0
THROUGH, LEFT = 1, 0


def cityflow_file(tmp_path, flows):
    vehicle = {"length": 5.0, "width": 2.0, "maxSpeed": 16.67, "minGap": 2.5}
    data = [{"vehicle": vehicle, **flow} for flow in flows]
    path = tmp_path / "flow.json"
    path.write_text(json.dumps(data))
    return path


# CityFlow's own 1 x 2 test case: eastbound through, and eastbound then left at the second
ROUTES = [
    {"route": ["road_0_1_0", "road_1_1_0", "road_2_1_0"], "interval": 2.0, "startTime": 0,
     "endTime": 10},
    {"route": ["road_0_1_0", "road_1_1_0", "road_2_1_1"], "interval": 2.0, "startTime": 0,
     "endTime": 10},
]  # fmt: skip


def test_cityflow_routes_become_paths_schedule_and_ratios(tmp_path):
    config = TrafficConfig(rows=1, cols=2)
    demand = read_cityflow(cityflow_file(tmp_path, ROUTES), config)
    assert len(demand.departures) == 12  # t = 0, 2, ..., 10 for each flow
    assert demand.paths[0] == [(0, W, THROUGH), (1, W, THROUGH)]
    assert demand.paths[6] == [(0, W, THROUGH), (1, W, LEFT)]
    network = build_network(config)
    schedule, ratios = replay_inputs(demand, network, config)
    west_entry = list(network.entry_link).index(4 * 0 + W)
    np.testing.assert_array_equal(np.flatnonzero(schedule[west_entry]), [0, 2, 4, 6, 8, 10])
    assert schedule.sum() == 12 and schedule[west_entry, 0] == 2
    np.testing.assert_allclose(ratios[12 * 0 + 3 * W : 12 * 0 + 3 * W + 3], [0, 1, 0])
    np.testing.assert_allclose(ratios[12 * 1 + 3 * W : 12 * 1 + 3 * W + 3], [0.5, 0.5, 0])
    untouched = 12 * 1 + 3 * N
    np.testing.assert_allclose(ratios[untouched : untouched + 3], config.turning_ratios)


def test_replayed_vehicles_all_finish(tmp_path):
    env = fieldgym.make_parallel(
        "fieldgym/TrafficGrid-v1",
        rows=1,
        cols=2,
        flow_file=str(cityflow_file(tmp_path, ROUTES)),
        max_episode_steps=60,
    )
    env.reset(seed=0)
    while env.agents:
        *_, infos = env.step({"tl_0_0": 2, "tl_0_1": 2})  # east-west through green
    kpi = infos["tl_0_0"]["kpi"]
    assert kpi["generated_total"] == pytest.approx(12)
    # the six left-turners at the second intersection are served when max green forces
    # the east-west left phase
    assert kpi["exited_total"] == pytest.approx(12, abs=1e-6)


def test_sumo_route_file_with_vehicles_flows_and_distributions(tmp_path):
    path = tmp_path / "demand.rou.xml"
    path.write_text(
        """<routes>
  <route id="east" edges="left0A0 A0B0 B0right0"/>
  <routeDistribution id="mix">
    <route id="m1" edges="left0A0 A0B0 B0right0" probability="3"/>
    <route id="m2" edges="left0A0 A0B0 B0top1" probability="1"/>
  </routeDistribution>
  <vehicle id="v" depart="3"><route edges="top0A0 A0B0 B0bottom1"/></vehicle>
  <flow id="f" route="east" begin="0" end="60" vehsPerHour="720"/>
  <flow id="g" route="mix" begin="0" end="10" period="exp(0.5)"/>
</routes>"""
    )
    config = TrafficConfig(rows=1, cols=2)
    demand = read_sumo_routes(path, config)
    # the vehicle: from the north at A0, turns left (east), then right (south) at B0
    assert demand.paths[0] == [(0, N, LEFT), (1, W, 2)]
    assert demand.departures[0] == 3.0
    flow = [t for t, p in zip(demand.departures, demand.paths, strict=True) if p == demand.paths[1]]
    assert len(flow) == 12 + 10  # every 5 s for 60 s, and the distribution's share each s
    weights = np.array(demand.weights[13:])
    assert weights.sum() == pytest.approx(0.5 * 10)  # Poisson at its mean rate, 10 s
    network = build_network(config)
    _, ratios = replay_inputs(demand, network, config)
    at_b0_from_west = ratios[12 + 3 * W : 12 + 3 * W + 3]
    left = 0.5 * 10 * 0.25
    total = 12 + 0.5 * 10 + 1
    np.testing.assert_allclose(at_b0_from_west, [left / total, (total - left - 1) / total,
                                                 1 / total])  # fmt: skip


def test_flow_files_that_do_not_fit_the_grid(tmp_path):
    small = TrafficConfig(rows=1, cols=1)
    with pytest.raises(DataError, match="1 x 1 grid"):
        read_cityflow(cityflow_file(tmp_path, ROUTES), small)
    bad = [{"route": ["road_0_1_0", "road_3_3_0"], "interval": 1, "startTime": 0, "endTime": 0}]
    with pytest.raises(DataError, match="does not start where"):
        read_cityflow(cityflow_file(tmp_path, bad), TrafficConfig(rows=1, cols=2))
    uturn = [{"route": ["road_0_1_0", "road_1_1_2"], "interval": 1, "startTime": 0, "endTime": 0}]
    with pytest.raises(DataError, match="U-turn"):
        read_cityflow(cityflow_file(tmp_path, uturn), TrafficConfig(rows=1, cols=1))
    with pytest.raises(DataError, match="does not exist"):
        fieldgym.make_parallel("fieldgym/TrafficGrid-v1", flow_file=str(tmp_path / "none.json"))


def test_cityflow_replay_on_sumo(tmp_path):
    pytest.importorskip("libsumo", reason="needs the 'sumo' extra")
    import gymnasium as gym

    flows = [{"route": ["road_1_0_1", "road_1_1_1"], "interval": 5.0, "startTime": 0,
              "endTime": 100}]  # fmt: skip
    path = cityflow_file(tmp_path, flows)  # northbound through a single intersection
    env = gym.make("fieldgym/TrafficSignal-v1", backend="sumo", flow_file=str(path))
    try:
        env.reset(seed=0)
        for _ in range(40):  # 200 s of north-south green
            *_, info = env.step(0)
        assert info["kpi"]["entered_total"] == 21
        assert info["kpi"]["exited_total"] == 21
    finally:
        env.close()
