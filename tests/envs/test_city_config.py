"""The config fields of CityFlow networks: what goes with roadnet_file and what does not."""

from __future__ import annotations

import gymnasium as gym
import pytest

import fieldgym
from fieldgym.envs.core.errors import ConfigError, DataError
from fieldgym.envs.traffic.config import TrafficConfig

CITY = {"roadnet_file": "roadnet.json", "flow_file": "flow.json"}


def test_a_road_network_needs_its_cityflow_flow_file():
    with pytest.raises(ConfigError, match="needs its CityFlow flow file"):
        TrafficConfig(roadnet_file="roadnet.json")
    with pytest.raises(ConfigError, match="needs its CityFlow flow file"):
        TrafficConfig(roadnet_file="roadnet.json", flow_file="routes.rou.xml")


@pytest.mark.parametrize(
    ("field", "value"),
    [("rows", 2), ("cols", 3), ("link_length", 200.0), ("entry_flows", (1.0, 1.0, 1.0, 1.0))],
)
def test_grid_fields_are_refused_beside_a_road_network(field, value):
    with pytest.raises(ConfigError, match=f"{field}=.*describes the generated grid"):
        TrafficConfig(**CITY, **{field: value})


def test_a_grid_preset_is_refused_beside_a_road_network():
    with pytest.raises(ConfigError, match="rows=4"):
        TrafficConfig.make(None, "grid4x4", CITY)


def test_roadnet_and_a_sumo_network_exclude_each_other():
    with pytest.raises(ConfigError, match="exclude each other"):
        TrafficConfig(**CITY, backend="sumo", net_file="a.net.xml", route_file="a.rou.xml")


def test_intersection_needs_a_road_network():
    with pytest.raises(ConfigError, match="give roadnet_file too"):
        TrafficConfig(intersection="intersection_1_1")


def test_the_grid_env_refuses_a_chosen_intersection():
    with pytest.raises(ConfigError, match="controls every signal"):
        fieldgym.make_parallel("fieldgym/TrafficGrid-v1", **CITY, intersection="x")


def test_a_missing_road_network_file_is_named(tmp_path):
    with pytest.raises(DataError, match=r"missing\.json"):
        gym.make(
            "fieldgym/TrafficSignal-v1",
            roadnet_file=str(tmp_path / "missing.json"),
            flow_file=str(tmp_path / "flow.json"),
        )
