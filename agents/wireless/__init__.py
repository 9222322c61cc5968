"""Wireless baselines, registered in the agent registry.

Offloading (``fieldgym/EdgeOffloading-v1``, :mod:`.offloading_policies`): ``all_local``,
``offload_nearest``, ``offload_least_loaded``, ``greedy_delay`` and ``greedy_cost``.
Only the registry is imported here; the policies load when an agent is made.
"""

from __future__ import annotations

from fieldgym.agents.registry import AgentEntry, add

_OFFLOADING = "fieldgym.agents.wireless.offloading_policies"

for _name, _factory, _text, _defaults in (
    ("all_local", f"{_OFFLOADING}:AllLocal", "Every task computed on its device", {}),
    ("offload_nearest", f"{_OFFLOADING}:OffloadNearest", "Every task to the closest server", {}),
    (
        "offload_least_loaded",
        f"{_OFFLOADING}:OffloadLeastLoaded",
        "Every task to the server with the shortest backlog",
        {},
    ),
    (
        "greedy_delay",
        f"{_OFFLOADING}:Greedy",
        "Per task, the place with the smallest predicted delay",
        {"objective": "delay"},
    ),
    (
        "greedy_cost",
        f"{_OFFLOADING}:Greedy",
        "Per task, the place with the smallest predicted preference-weighted cost",
        {"objective": "cost"},
    ),
):
    add(AgentEntry(_name, _factory, "baseline", _text, domains=("wireless",), defaults=_defaults))

_UAV = "fieldgym.agents.wireless.uav_policies"
for _name, _cls, _text in (
    ("kmeans_hover", "KMeansHover", "UAVs hover at the k-means centres of the users"),
    ("pso_placement", "PSOPlacement", "UAVs hover where particle swarm serves the most users"),
    ("random_walk", "RandomWalk", "UAVs move at random"),
):
    add(AgentEntry(_name, f"{_UAV}:{_cls}", "baseline", _text, domains=("wireless",)))
