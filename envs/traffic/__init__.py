"""Traffic-signal control: one intersection, arterials and grids, built-in or on SUMO.

* ``fieldgym/TrafficSignal-v1`` (:mod:`.env`, natively vectorized in :mod:`.vector`): one
  intersection, a Gymnasium env.
* ``fieldgym/TrafficGrid-v1`` (:mod:`.grid`): one agent per intersection of an arterial
  or a grid, a PettingZoo ``ParallelEnv`` made by ``fieldgym.make_parallel``.

Both run the built-in simulator (:mod:`.dynamics`, :mod:`.links`, on the arrays of
:mod:`.network`) or SUMO (:mod:`.sumo`, ``backend="sumo"``) behind one interface
(:mod:`.system`); demand comes from the config or from a flow file (:mod:`.flows`).
Rewards and KPIs: :mod:`.reward`; the reported metrics: :mod:`.metrics`; every field:
:class:`~fieldgym.envs.traffic.config.TrafficConfig`.
"""

from __future__ import annotations

from fieldgym.envs.core.registration import EnvEntry, add
from fieldgym.envs.traffic.config import PRESETS, TrafficConfig

__all__ = ["PRESETS", "TrafficConfig"]

add(
    EnvEntry(
        id="fieldgym/TrafficSignal-v1",
        entry_point="fieldgym.envs.traffic.env:TrafficSignalEnv",
        vector_entry_point="fieldgym.envs.traffic.vector:TrafficSignalVectorEnv",
        max_episode_steps=720,
        domain="traffic",
        metrics="fieldgym.envs.traffic.metrics:episode_metrics",
    )
)
add(
    EnvEntry(
        id="fieldgym/TrafficGrid-v1",
        entry_point="fieldgym.envs.traffic.grid:TrafficGridEnv",
        max_episode_steps=720,
        domain="traffic",
        metrics="fieldgym.envs.traffic.metrics:episode_metrics",
    ),
    parallel=True,
)
