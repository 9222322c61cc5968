"""The built-in simulator as a :class:`~fieldgym.envs.driving.backend.DrivingBackend`.

One copy of the batch simulator of :mod:`.sim`; the vector env drives the same kernels
over many copies, so both move vehicles identically.
"""

from __future__ import annotations

import numpy as np

from fieldgym.envs.driving import junction, sim
from fieldgym.envs.driving.backend import EGO_FIELDS, WorldState
from fieldgym.envs.driving.config import LEVELS, DrivingConfig
from fieldgym.envs.driving.state import CONTINUOUS, JUNCTION, OTHER, SIM, VEH

EGO_COLUMNS = [getattr(VEH, name) for name in EGO_FIELDS]
"""Columns of ``veh`` that make ``WorldState.ego`` (the contract's ``EGO_FIELDS``)."""


class BuiltinBackend:
    """The numba highway simulator for one episode at a time.

    ``WorldState.others`` holds every simulated vehicle (the simulated window of road
    around the ego, :data:`~fieldgym.envs.driving.config.LEVELS` sets its length);
    observations apply ``perception_range`` themselves. With an intersection,
    ``WorldState.crossing`` holds every crossing vehicle and ``WorldState.junction`` the
    stop line and the lights.

    Args:
        config: The environment's config.
    """

    def __init__(self, config: DrivingConfig) -> None:
        self.config = config
        self.p = sim.params(config)
        self.levels = sim.level_table(LEVELS)
        self.veh = np.zeros((1, config.vehicles + 1, sim.NF))
        self.sim = np.zeros((1, sim.NS))
        crossing = config.crossing_vehicles if config.scenario == "intersection" else 0
        self.cross = np.zeros((1, crossing, sim.NX))
        self._junction = np.zeros(len(JUNCTION))
        self._command = np.zeros((len(CONTINUOUS), 1))

    def reset(self, seed: int | None, level: int) -> WorldState:
        if seed is None:
            seed = int(np.random.SeedSequence().generate_state(1)[0] >> 1)
        sim.reset(
            self.veh,
            self.sim,
            self.cross,
            np.ones(1, dtype=np.bool_),
            self.p,
            np.array([seed], dtype=np.int64),
            np.array([level], dtype=np.int64),
            self.levels,
        )
        return self.state()

    def step(self, acceleration: float, steering: float) -> WorldState:
        acc, steer = self._command[CONTINUOUS.acceleration], self._command[CONTINUOUS.steering]
        acc[0], steer[0] = acceleration, steering
        sim.advance(self.veh, self.sim, self.cross, self.p, acc, steer)
        return self.state()

    def state(self) -> WorldState:
        """The world as it is now."""
        veh, scalars = self.veh[0], self.sim[0]
        junction.features(self.sim, 0, self.p, self._junction)
        return WorldState(
            ego=veh[0, EGO_COLUMNS],
            others=veh[1:, : len(OTHER)].copy(),
            ego_length=sim.EGO_LENGTH,
            ego_width=sim.EGO_WIDTH,
            lanes=self.config.lanes,
            lane_width=self.config.lane_width,
            time=float(scalars[SIM.time]),
            collided=bool(scalars[SIM.collided]),
            lane_invasion=bool(scalars[SIM.offroad]),
            crossing=junction.crossing_rows(self.cross[0]),
            junction=self._junction.copy(),
            red_light=bool(scalars[SIM.red_light]),
        )

    def close(self) -> None:
        """Nothing to release."""
