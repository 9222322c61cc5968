"""A batch of traffic networks behind one interface, for the built-in simulator and SUMO.

Both backends present the same surface to the environments: ``reset`` and ``step`` over
``B`` copies and ``I`` intersections, observations ``(B, I, D)`` laid out as
:func:`observation_layout` says, and records with the columns of
:data:`~fieldgym.envs.traffic.records.INT_KPIS` and
:data:`~fieldgym.envs.traffic.records.NET_KPIS`. :func:`make_system` picks the backend.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from fieldgym.envs.core.errors import ConfigError
from fieldgym.envs.core.streams import stream_of
from fieldgym.envs.traffic.config import MOVEMENTS, TrafficConfig
from fieldgym.envs.traffic.dynamics import (
    ARRIVAL_CONSTANT,
    ARRIVAL_POISSON,
    ARRIVAL_REPLAY,
    MODEL_CTM,
    MODEL_POINT,
    S_ARRIVAL,
    GridState,
    advance,
    new_state,
    observe,
)
from fieldgym.envs.traffic.network import GROUPS, Network, build_network, movement_flows
from fieldgym.envs.traffic.records import INT_KPIS, NET_KPIS


class ObservationBlocks(NamedTuple):
    """One number per block of an intersection's observation, in observation order.

    :func:`observation_layout` fills it with the blocks' sizes; :func:`block_starts` with
    where they start, which is how the kernels write the observations.
    """

    phase: int
    elapsed: int
    queue: int
    approaching: int
    outgoing: int


def observation_layout(
    num_phases: int, groups: int = GROUPS, outgoing: int = 4
) -> dict[str, tuple[slice, int]]:
    """Name -> (slice of an intersection's observation, size), in observation order.

    ``outgoing`` is 4 on grids and generated or user SUMO networks (one entry per side),
    ``groups`` on CityFlow networks (one entry per movement: its outbound road).
    """
    sizes = ObservationBlocks(
        phase=num_phases, elapsed=1, queue=groups, approaching=groups, outgoing=outgoing
    )
    layout, start = {}, 0
    for name, size in zip(sizes._fields, sizes, strict=True):
        layout[name] = (slice(start, start + size), size)
        start += size
    return layout


def block_starts(layout: dict[str, tuple[slice, int]]) -> ObservationBlocks:
    """Where each block of an :func:`observation_layout` starts (the kernels' argument)."""
    return ObservationBlocks(**{name: where.start for name, (where, _) in layout.items()})


def signal_scalars(config: TrafficConfig) -> np.ndarray:
    """The packed parameters :func:`~fieldgym.envs.traffic.dynamics.decide` reads.

    The first five ``S_*`` constants: tick, ticks per decision, lost ticks, min and max
    green; the built-in grid fills the rest of the row with its link and arrival models.
    """
    scalars = np.zeros(9)
    scalars[:5] = (
        config.step_length,
        round(config.delta_time / config.step_length),
        round(config.lost_time / config.step_length),
        config.min_green,
        config.max_green,
    )
    return scalars


def upper_bound(value: np.ndarray | float) -> np.ndarray:
    """``value`` as float32, rounded up so that float32 observations never exceed it."""
    high = np.asarray(value, dtype=np.float32)
    return np.where(np.isfinite(high), np.nextafter(high, np.float32(np.inf)), high)


class TrafficSystem:
    """What the environments need of a backend (see the module docstring).

    Attributes:
        config: The configuration.
        num_copies: ``B``.
        num_intersections: ``I``.
        num_phases: ``P``, green phases per intersection (the most any has).
        phase_counts: ``(I,)`` green phases of each intersection; actions ``>=`` its
            count keep the current phase (intersections with fewer are padded).
        agent_names: One name per intersection, ``tl_<row>_<col>`` on grids.
        phase_lanes: ``(I, P, G)`` 1 where a lane group is green in a phase.
        layout: The observation layout of one intersection.
        high: ``(I, D)`` upper bounds of the observations (lower bounds are 0).
    """

    config: TrafficConfig
    num_copies: int
    num_intersections: int
    num_phases: int
    phase_counts: np.ndarray
    agent_names: list[str]
    phase_lanes: np.ndarray
    layout: dict[str, tuple[slice, int]]
    high: np.ndarray

    @property
    def observation_size(self) -> int:
        """``D``, the length of one intersection's observation."""
        return self.high.shape[1]

    def reset(self, rng: np.random.Generator, mask: np.ndarray | None = None) -> np.ndarray:
        """Put the copies selected by ``mask`` (all if ``None``) in their starting state."""
        raise NotImplementedError

    def step(
        self, actions: np.ndarray, rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """One decision step of all copies: observations, intersection and network records."""
        raise NotImplementedError

    def close(self) -> None:
        """Release what the backend holds (a SUMO process); the built-in holds nothing."""

    def lane_flows(self) -> np.ndarray | None:
        """``(I, G)`` mean arrival rate per lane group, veh/h, or ``None`` if unknown."""
        return None

    def lane_saturation(self) -> np.ndarray:
        """``(I, G)`` saturation flow per lane group, veh/h (all its lanes)."""
        raise NotImplementedError

    def signal_states(self, copy: int = 0) -> np.ndarray:
        """``(I, G)`` signal of every lane group: 0 red, 1 yellow, 2 green."""
        raise NotImplementedError

    def render(self, obs: np.ndarray) -> np.ndarray:
        """An RGB picture of copy 0 given its observations ``(I, D)``."""
        from fieldgym.envs.traffic.render import render_network

        queues = obs[:, self.layout["queue"][0]]
        return render_network(self.config.rows, self.config.cols, queues, self.signal_states())


class BuiltinSystem(TrafficSystem):
    """``B`` copies of a network on the built-in simulator (:mod:`.dynamics`).

    Args:
        config: The network, demand and signal parameters.
        num_copies: ``B``.
        schedule: ``(E, T)`` arrivals per tick and entry to replay instead of
            ``entry_flows`` (from a flow file), or ``None``.
        lane_ratios: ``(L,)`` turning ratio of every lane group (from a flow file), or
            ``None`` for the config's ``turning_ratios``.

    Attributes:
        state: The copies' vehicles and signals (:class:`~.dynamics.GridState`).
        starts: Where each observation block starts (:func:`block_starts` of ``layout``).
    """

    def __init__(
        self,
        config: TrafficConfig,
        num_copies: int,
        schedule: np.ndarray | None = None,
        lane_ratios: np.ndarray | None = None,
    ) -> None:
        self.config = config
        self.num_copies = num_copies
        network = build_network(config)
        if lane_ratios is not None:
            network.lane_params[:, 2] = lane_ratios
        self.network: Network = network
        n, p = network.num_intersections, network.num_phases
        self.num_intersections, self.num_phases = n, p
        self.phase_counts = np.full(n, p, dtype=np.int64)
        self.agent_names = [f"tl_{r}_{c}" for r in range(config.rows) for c in range(config.cols)]
        self.phase_lanes = np.broadcast_to(network.green, (n, p, GROUPS)).copy()
        self.layout = observation_layout(p)
        self.starts = block_starts(self.layout)
        self.entry_rate = np.array([config.entry_flows[s] / 3600.0 for s in network.entry_side])
        self.profile = np.asarray(config.flow_profile, dtype=np.float64)
        self.schedule = np.zeros((len(network.entry_link), 1)) if schedule is None else schedule
        self.schedule_rates = (
            None
            if schedule is None
            else schedule.sum(axis=1) / (schedule.shape[1] * config.step_length)
        )
        if schedule is not None:
            arrival = ARRIVAL_REPLAY
        else:
            arrival = ARRIVAL_POISSON if config.arrivals == "poisson" else ARRIVAL_CONSTANT
        self.scalars = signal_scalars(config)
        self.scalars[5:] = (
            network.wave_ratio,
            MODEL_CTM if config.link_model == "ctm" else MODEL_POINT,
            arrival,
            config.profile_interval,
        )
        self.high = self._bounds()
        self.ticks = int(self.scalars[1])
        self._no_draws = np.zeros((num_copies, self.ticks, 0))
        self.state: GridState = new_state(
            num_copies, network.num_lanes, network.cells, len(network.entry_link), n
        )

    @property
    def cells(self) -> np.ndarray:
        """The state's ``(B, L, K)`` vehicles per cell or travel-time slot (settable)."""
        return self.state.cells

    @property
    def queue(self) -> np.ndarray:
        """The state's ``(B, L)`` vehicles queued at the stop lines (settable)."""
        return self.state.queue

    def _bounds(self) -> np.ndarray:
        network, config, layout = self.network, self.config, self.layout
        high = np.full((network.num_intersections, layout["outgoing"][0].stop), np.inf)
        high[:, layout["phase"][0]] = 1.0
        high[:, layout["elapsed"][0]] = config.max_green
        if config.link_model == "ctm":
            capacity = network.lane_capacity().reshape(-1, GROUPS)
            high[:, layout["queue"][0]] = capacity
            high[:, layout["approaching"][0]] = capacity
            # every link holds the same: one bound for all sides and agents (an exit side
            # observes 0), so that all agents share one observation space
            high[:, layout["outgoing"][0]] = capacity.reshape(-1, 4, 3).sum(axis=2).max()
        return upper_bound(high)

    def reset(self, rng: np.random.Generator, mask: np.ndarray | None = None) -> np.ndarray:
        index = slice(None) if mask is None else mask
        for array in self.state:
            array[index] = 0
        return self.observe()

    def observe(self) -> np.ndarray:
        """New observations ``(B, I, D)`` of the current state."""
        obs = np.empty((self.num_copies, self.num_intersections, self.high.shape[1]), np.float32)
        rec_int = np.zeros((self.num_copies, self.num_intersections, len(INT_KPIS)))
        rec_net = np.zeros((self.num_copies, len(NET_KPIS)))
        observe(self.state, self.network.out_link, self.starts, rec_int, rec_net, obs)
        return obs

    def step(
        self, actions: np.ndarray, rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        network = self.network
        obs = np.empty((self.num_copies, self.num_intersections, self.high.shape[1]), np.float32)
        rec_int = np.empty((self.num_copies, self.num_intersections, len(INT_KPIS)))
        rec_net = np.empty((self.num_copies, len(NET_KPIS)))
        actions = np.asarray(actions, dtype=np.int64).reshape(self.num_copies, -1)
        uniforms = (
            rng.random((self.num_copies, self.ticks, len(network.entry_link)))
            if self.scalars[S_ARRIVAL] == ARRIVAL_POISSON
            else self._no_draws
        )
        advance(
            self.state,
            actions,
            uniforms,
            network.lane_target,
            network.lane_params,
            network.entry_link,
            self.entry_rate,
            network.out_link,
            network.green,
            self.scalars,
            self.profile,
            self.schedule,
            self.starts,
            rec_int,
            rec_net,
            obs,
        )
        return obs, rec_int, rec_net

    def lane_flows(self) -> np.ndarray | None:
        """``(I, 12)`` mean arrival rate per lane group, veh/h (flow balance of the network)."""
        if self.schedule_rates is not None:
            rates = self.schedule_rates
        else:
            rates = self.entry_rate * float(np.mean(self.profile))
        flows = movement_flows(self.network, rates * 3600.0)
        return flows.reshape(self.num_intersections, GROUPS)

    def lane_saturation(self) -> np.ndarray:
        lanes = self.network.lane_params[:, 3]
        return (self.config.saturation_flow * lanes).reshape(self.num_intersections, GROUPS)

    def signal_states(self, copy: int = 0) -> np.ndarray:
        """``(I, G)`` signal of every lane group of copy ``copy``: 0 red, 1 yellow, 2 green."""
        states = np.zeros((self.num_intersections, GROUPS), dtype=np.int64)
        all_red = round(self.config.all_red_time / self.config.step_length)
        phase, clear = self.state.phase[copy], self.state.clear[copy]
        for i in range(self.num_intersections):
            lit = self.network.green[phase[i]] == 1
            if clear[i] == 0:
                states[i, lit] = 2
            elif clear[i] > all_red:
                states[i, lit] = 1
        return states

    def movement_names(self) -> list[str]:
        """Names of the lane groups of one intersection, in observation order."""
        return list(MOVEMENTS)


class SystemBatch(TrafficSystem):
    """Several one-copy systems (SUMO simulations) presented as one batch of copies.

    Copies are stepped one after the other, each drawing from its own stream (``rng`` is
    a :class:`~fieldgym.envs.core.streams.CopyStreams` in a vector env).
    """

    def __init__(self, systems: list[TrafficSystem]) -> None:
        first = systems[0]
        self.systems = systems
        self.config = first.config
        self.num_copies = len(systems)
        self.num_intersections, self.num_phases = first.num_intersections, first.num_phases
        self.phase_counts = first.phase_counts
        self.agent_names, self.phase_lanes = first.agent_names, first.phase_lanes
        self.layout, self.high = first.layout, first.high
        self._obs: np.ndarray | None = None

    def reset(self, rng: np.random.Generator, mask: np.ndarray | None = None) -> np.ndarray:
        rows = []
        for k, system in enumerate(self.systems):
            if mask is None or mask[k] or self._obs is None:
                rows.append(system.reset(stream_of(rng, k)))
            else:
                rows.append(self._obs[k : k + 1])
        self._obs = np.concatenate(rows)
        return self._obs.copy()

    def step(
        self, actions: np.ndarray, rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        actions = np.asarray(actions).reshape(self.num_copies, -1)
        parts = [s.step(actions[k : k + 1], stream_of(rng, k)) for k, s in enumerate(self.systems)]
        obs, rec_int, rec_net = (np.concatenate(p) for p in zip(*parts, strict=True))
        self._obs = obs.copy()
        return obs, rec_int, rec_net

    def close(self) -> None:
        for system in self.systems:
            system.close()

    def lane_flows(self) -> np.ndarray | None:
        return self.systems[0].lane_flows()

    def lane_saturation(self) -> np.ndarray:
        return self.systems[0].lane_saturation()

    def signal_states(self, copy: int = 0) -> np.ndarray:
        return self.systems[copy].signal_states()


def make_system(config: TrafficConfig, num_copies: int = 1) -> TrafficSystem:
    """The backend ``config.backend`` names, with ``num_copies`` copies.

    SUMO copies are separate simulations (:class:`SystemBatch`; TraCI for more than one).

    Flow files are read here (:mod:`fieldgym.envs.traffic.flows`); SUMO is imported only
    when chosen.
    """
    if config.roadnet_file is not None:
        return make_city_system(config, num_copies)
    if config.backend == "sumo":
        from fieldgym.envs.traffic.sumo.system import SumoSystem

        if num_copies == 1:
            return SumoSystem(config)
        check_sumo_copies(config, num_copies)
        return SystemBatch([SumoSystem(config) for _ in range(num_copies)])
    if config.flow_file is not None:
        from fieldgym.envs.traffic.flows import read_flow_file, replay_inputs

        demand = read_flow_file(config.flow_file, config)
        schedule, ratios = replay_inputs(demand, build_network(config), config)
        return BuiltinSystem(config, num_copies, schedule=schedule, lane_ratios=ratios)
    return BuiltinSystem(config, num_copies)


def check_sumo_copies(config: TrafficConfig, num_copies: int) -> None:
    """Raise :class:`ConfigError` if ``num_copies`` SUMO simulations cannot run side by side."""
    if config.sumo_interface == "libsumo" and num_copies > 1:
        raise ConfigError(
            f"{num_copies} SUMO copies need sumo_interface='traci': libsumo runs one "
            "simulation per process."
        )


def make_city_system(config: TrafficConfig, num_copies: int) -> TrafficSystem:
    """A CityFlow network (``roadnet_file``, ``flow_file``) on the config's backend."""
    from fieldgym.envs.traffic.city.files import read_flows, read_roadnet

    net = read_roadnet(config.roadnet_file)
    trips = read_flows(config.flow_file, net)
    if config.backend == "sumo":
        from fieldgym.envs.traffic.city.sumo import CitySumoSystem

        source = f"{config.roadnet_file} with {config.flow_file}"
        if num_copies == 1:
            return CitySumoSystem(config, net, trips, source)
        check_sumo_copies(config, num_copies)
        copies = [CitySumoSystem(config, net, trips, source) for _ in range(num_copies)]
        return SystemBatch(copies)
    from fieldgym.envs.traffic.city.system import CitySystem

    return CitySystem(config, net, trips, num_copies)
