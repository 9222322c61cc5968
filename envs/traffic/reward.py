"""Named rewards of the traffic-signal environments, their parts, and the per-step KPIs.

Every part is computed per intersection from the step's record (see
:data:`~fieldgym.envs.traffic.records.INT_KPIS`), signed so that more is better:

* ``queue``: minus the halted vehicles on the incoming lanes at the end of the step;
* ``wait``: the decrease over the step of the waiting time accumulated on the incoming
  lanes by the vehicles on them (sumo-rl's "diff-waiting-time"), seconds;
* ``pressure``: minus the absolute difference between the vehicles on the incoming and on
  the outgoing links (PressLight's pressure);
* ``delay``: minus the vehicle-seconds lost on the incoming lanes during the step;
* ``throughput``: vehicles discharged by the intersection during the step.

A named reward is its part times its weight; ``combined`` is the weighted sum of all
parts (the paper's reward combines queue, delay, waiting time and throughput).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from fieldgym.envs.core.rewards import RewardFn, weighted_sum
from fieldgym.envs.traffic.config import REWARD_PARTS, SIDES
from fieldgym.envs.traffic.records import INT_KPIS, NET_KPIS

TLS_KPIS = tuple(f"tls_{name}" for name in INT_KPIS)
"""Names of the intersection KPIs in ``info["kpi"]``."""


def int_columns(rec_int: np.ndarray) -> dict[str, np.ndarray]:
    """The intersection record's columns by name, arrays of its leading shape."""
    return {name: rec_int[..., k] for k, name in enumerate(INT_KPIS)}


def reward_parts(columns: Mapping[str, Any]) -> dict[str, Any]:
    """The signed reward parts from the intersection record's columns (floats or arrays)."""
    return {
        "queue": -columns["queue"],
        "wait": columns["wait_change"],
        "pressure": -abs(columns["vehicles"] - columns["outgoing"]),
        "delay": -columns["delay"],
        "throughput": columns["discharged"],
    }


class PartReward:
    """The reward that is one part times its weight (a class, so that envs pickle)."""

    def __init__(self, part: str) -> None:
        self.part = part

    def __call__(self, parts: Mapping[str, Any], weights: Mapping[str, float], config: Any) -> Any:
        return weights.get(self.part, 1.0) * parts[self.part]


def combined_reward(parts: Mapping[str, Any], weights: Mapping[str, float], config: Any) -> Any:
    """The weighted sum of every part."""
    return weighted_sum(parts, weights)


REWARDS: dict[str, RewardFn] = {part: PartReward(part) for part in REWARD_PARTS}
REWARDS["combined"] = combined_reward


def approach_queue(obs: np.ndarray, layout: dict[str, Any]) -> np.ndarray:
    """Halted vehicles per approach N, E, S, W on grids; in total on other networks.

    Grids (built-in or generated for SUMO) have three lane groups per side and one
    outgoing entry per side; a user SUMO network's lane groups are lanes and a CityFlow
    network's are movements, in no fixed order of sides, so one total is given.
    """
    queue = obs[..., layout["queue"][0]]
    if queue.shape[-1] == 3 * len(SIDES) and layout["outgoing"][1] == len(SIDES):
        return queue.reshape(*queue.shape[:-1], 4, 3).sum(axis=-1)
    return queue.sum(axis=-1, keepdims=True)


def step_kpis(
    rec_int: np.ndarray, rec_net: np.ndarray, obs: np.ndarray, layout: dict[str, Any]
) -> dict[str, np.ndarray]:
    """Raw per-step quantities of a batch, arrays with the records' leading axes.

    Network quantities (``NET_KPIS``) have the network record's leading shape (``(B,)``);
    intersection quantities (``INT_KPIS``, prefixed ``tls_``) and ``approach_queue`` (halted
    vehicles per approach N, E, S, W) the intersection record's (``(B, I)``, with a
    trailing axis of 4 for ``approach_queue``).
    """
    kpis = {name: rec_net[..., k] for k, name in enumerate(NET_KPIS)}
    for k, name in enumerate(TLS_KPIS):
        kpis[name] = rec_int[..., k]
    kpis["approach_queue"] = approach_queue(obs, layout)
    return kpis


def scalar_kpis(
    row_int: list[float], row_net: list[float], obs: np.ndarray, layout: dict[str, Any]
) -> dict[str, Any]:
    """The KPIs of one intersection and its network as floats (one copy; fast path)."""
    kpis: dict[str, Any] = dict(zip(NET_KPIS, row_net, strict=True))
    kpis.update(zip(TLS_KPIS, row_int, strict=True))
    kpis["approach_queue"] = approach_queue(obs, layout)
    return kpis
