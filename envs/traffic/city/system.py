"""``B`` copies of a CityFlow network on the built-in simulator (:mod:`.kernel`).

:class:`CitySystem` presents a :class:`~.model.RoadNet` and its :class:`~.model.Trips` as a
:class:`~fieldgym.envs.traffic.system.TrafficSystem`: the agents, lane groups and phases
of :func:`~.signals.signal_layout`, observations laid out by
:func:`~fieldgym.envs.traffic.system.observation_layout` with one outgoing entry per lane
group (the vehicles on its outbound road), and the records of
:data:`~fieldgym.envs.traffic.records.INT_KPIS` and
:data:`~fieldgym.envs.traffic.records.NET_KPIS`.

The trips are replayed as given: the dynamics draw nothing, so the generator the
interface passes to :meth:`~CitySystem.reset` and :meth:`~CitySystem.step` is unused and
every copy given the same actions runs the same.
"""

from __future__ import annotations

import itertools
import math

import numpy as np

from fieldgym.envs.traffic.city.kernel import CityNet, advance, new_state, observe, reset_state
from fieldgym.envs.traffic.city.model import RoadNet, Trips
from fieldgym.envs.traffic.city.signals import (
    approach_length,
    movement_flows,
    observation_high,
    saturation,
    signal_layout,
)
from fieldgym.envs.traffic.config import TrafficConfig
from fieldgym.envs.traffic.records import INT_KPIS, NET_KPIS
from fieldgym.envs.traffic.render import render_lanes
from fieldgym.envs.traffic.system import (
    TrafficSystem,
    block_starts,
    observation_layout,
    signal_scalars,
)


def road_storage(length: float, lanes: int, jam_density: float) -> int:
    """Vehicles a road holds: ``max(1, floor(length * lanes * jam_density))``."""
    return max(1, math.floor(length * lanes * jam_density + 1e-9))


def free_flow_ticks(length: float, speed: float, dt: float) -> int:
    """Ticks a vehicle takes along a road at free speed: ``max(1, ceil(length / speed / dt))``.

    ``speed`` is the smaller of the road's speed and the vehicle's own top speed.
    """
    return max(1, math.ceil(length / speed / dt - 1e-9))


def route_ticks(
    lengths: np.ndarray, speeds: np.ndarray, max_speed: np.ndarray, dt: float
) -> np.ndarray:
    """:func:`free_flow_ticks` of many (road, vehicle) pairs at once.

    Args:
        lengths: Length of each road driven, m.
        speeds: Its speed, m/s.
        max_speed: The top speed of the vehicle driving it, m/s (``inf``: none).
        dt: The tick, s.
    """
    speed = np.minimum(speeds, max_speed)
    return np.maximum(np.ceil(lengths / speed / dt - 1e-9), 1).astype(np.int64)


class CitySystem(TrafficSystem):
    """``B`` copies of a CityFlow network and its trips on the built-in simulator.

    Args:
        config: Signal timing (``step_length``, ``delta_time``, ``yellow_time``,
            ``all_red_time``, ``min_green``, ``max_green``) and road parameters
            (``saturation_flow``, ``jam_density``); the grid fields are not used.
        net: The road network.
        trips: The vehicles and their routes (replayed: no randomness).
        num_copies: ``B``.

    Attributes:
        layout_info: The :class:`~.signals.SignalLayout` of the agents.
        approach_length: ``(I, G)`` length of each lane group's inbound road, m (0 padding).
        plan_greens: ``(I, P)`` the file's duration of each green phase, s (0 padding).
        outgoing_per_group: ``True``: the outgoing block has one entry per lane group.
        arrays: The network and trips as the kernel's flat arrays (:class:`~.kernel.CityNet`).
        state: The copies' vehicles, queues and signals (:class:`~.kernel.CityState`).
        starts: Where each observation block starts
            (:func:`~fieldgym.envs.traffic.system.block_starts` of ``layout``).

    Raises:
        ValueError: If a route takes two roads that no movement connects, or a road has no
            lane or a non-positive speed.
    """

    outgoing_per_group = True

    def __init__(self, config: TrafficConfig, net: RoadNet, trips: Trips, num_copies: int) -> None:
        self.config = config
        self.net_model = net
        self.trips = trips
        self.num_copies = num_copies
        layout = signal_layout(net)
        self.layout_info = layout
        n, p, g = layout.phase_lanes.shape
        self.num_intersections, self.num_phases = n, p
        self.phase_counts = layout.phase_counts.copy()
        self.agent_names = list(layout.names)
        self.phase_lanes = layout.phase_lanes.copy()
        self.plan_greens = layout.plan_greens.copy()
        self.layout = observation_layout(p, g, outgoing=g)
        self.starts = block_starts(self.layout)
        self.approach_length = approach_length(net, layout)
        self.arrays = self._arrays()
        self.scalars = signal_scalars(config)
        self.all_red_ticks = round(config.all_red_time / config.step_length)
        self.high = observation_high(net, layout, self.layout, config)
        self.state = new_state(self.arrays, num_copies)
        reset_state(self.state, self.arrays)

    # --- static arrays -------------------------------------------------------------------

    def _arrays(self) -> CityNet:
        config, net, trips, layout = self.config, self.net_model, self.trips, self.layout_info
        dt, per_tick = config.step_length, config.saturation_flow / 3600.0 * config.step_length
        for road in net.roads:
            if road.lanes < 1 or road.speed <= 0.0:
                raise ValueError(f"road {road.id!r} needs at least one lane and a positive speed")
        lanes = np.array([road.lanes for road in net.roads], dtype=np.float64)
        ticks = [free_flow_ticks(road.length, road.speed, dt) for road in net.roads]
        storage = [road_storage(r.length, r.lanes, config.jam_density) for r in net.roads]
        # movements of all intersections, numbered in file order
        agent_of = {int(i): a for a, i in enumerate(layout.intersections)}
        moves, index = [], {}
        for i, inter in enumerate(net.intersections):
            for k, movement in enumerate(inter.movements):
                index[(movement.inbound, movement.outbound)] = len(moves)
                moves.append((movement, agent_of.get(i, -1), k))
        move_lanes = np.array([max(1, m.lanes) for m, _, _ in moves], dtype=np.float64)
        group_move = np.full(layout.movements.shape, -1, dtype=np.int64)
        for m, (_, a, k) in enumerate(moves):
            if a >= 0:
                group_move[a, k] = m
        # trips, by departure (stable)
        order = np.argsort(np.asarray(trips.depart, dtype=np.float64), kind="stable")
        route_road, route_move, route_start = [], [], []
        for v in order:
            route = [int(r) for r in trips.route(int(v))]
            route_start.append(len(route_road))
            for a, b in itertools.pairwise(route):
                if (a, b) not in index:
                    raise ValueError(
                        f"vehicle {int(v)}'s route goes from road {net.roads[a].id!r} to "
                        f"{net.roads[b].id!r}, which no movement connects"
                    )
                route_road.append(a)
                route_move.append(index[(a, b)])
            route_road.append(route[-1])
            route_move.append(-1)
        depart = np.asarray(trips.depart, dtype=np.float64)[order]
        depart_tick = np.maximum(np.ceil(depart / dt - 1e-9), 0).astype(np.int64)
        first = {route_road[s] for s in route_start}
        road_length = np.array([road.length for road in net.roads])
        road_speed = np.array([road.speed for road in net.roads])
        roads_driven = np.asarray(route_road, dtype=np.int64)
        sizes = np.diff(np.asarray(trips.route_start, dtype=np.int64))[order]
        vehicle_speed = np.repeat(trips.max_speed[order], sizes)  # one per route position
        position_ticks = route_ticks(
            road_length[roads_driven], road_speed[roads_driven], vehicle_speed, dt
        )

        def csr(roads_of: list[list[int]]) -> tuple[np.ndarray, np.ndarray]:
            ptr = np.cumsum([0] + [len(r) for r in roads_of]).astype(np.int64)
            flat = [r for roads in roads_of for r in roads]
            return ptr, np.asarray(flat, dtype=np.int64)

        agents = [int(i) for i in layout.intersections]
        in_ptr, in_roads = csr([[k for k, r in enumerate(net.roads) if r.end == i] for i in agents])
        out_ptr, out_roads = csr(
            [[k for k, r in enumerate(net.roads) if r.start == i] for i in agents]
        )

        def int_array(values) -> np.ndarray:
            return np.asarray(values, dtype=np.int64)

        return CityNet(
            road_ticks=int_array(ticks),
            road_storage=int_array(storage),
            road_rate=lanes * per_tick,
            road_cap=lanes,
            entry_roads=int_array(sorted(first)),
            mv_out=int_array([m.outbound for m, _, _ in moves]),
            mv_in=int_array([m.inbound for m, _, _ in moves]),
            mv_rate=move_lanes * per_tick,
            mv_cap=move_lanes,
            mv_agent=int_array([a for _, a, _ in moves]),
            mv_group=int_array([k for _, _, k in moves]),
            route_road=int_array(route_road),
            route_move=int_array(route_move),
            route_ticks=position_ticks,
            route_start=int_array(route_start),
            depart_tick=depart_tick,
            group_move=group_move,
            in_ptr=in_ptr,
            in_roads=in_roads,
            out_ptr=out_ptr,
            out_roads=out_roads,
            phase_lanes=np.ascontiguousarray(self.phase_lanes),
            phase_counts=self.phase_counts.astype(np.int64),
        )

    # --- the interface -------------------------------------------------------------------

    def _buffers(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        b, n = self.num_copies, self.num_intersections
        obs = np.zeros((b, n, self.high.shape[1]), dtype=np.float32)
        return obs, np.zeros((b, n, len(INT_KPIS))), np.zeros((b, len(NET_KPIS)))

    def reset(self, rng: np.random.Generator, mask: np.ndarray | None = None) -> np.ndarray:
        """Empty the network of the copies ``mask`` selects (all if ``None``), clock 0.

        Returns the observations of all copies. ``rng`` is unused (the trips are replayed).
        """
        reset_state(self.state, self.arrays, mask)
        obs, rec_int, rec_net = self._buffers()
        dt = self.config.step_length
        observe(self.state, self.arrays, self.starts, dt, rec_int, rec_net, obs)
        return obs

    def step(
        self, actions: np.ndarray, rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """One decision step of all copies; ``rng`` is unused (the trips are replayed)."""
        obs, rec_int, rec_net = self._buffers()
        actions = np.ascontiguousarray(
            np.asarray(actions, dtype=np.int64).reshape(self.num_copies, self.num_intersections)
        )
        advance(self.state, self.arrays, actions, self.scalars, self.starts, rec_int, rec_net, obs)
        return obs, rec_int, rec_net

    def lane_flows(self) -> np.ndarray | None:
        """``(I, G)`` mean rate of the trips through each lane group, veh/h."""
        return movement_flows(self.net_model, self.trips, self.layout_info)

    def lane_saturation(self) -> np.ndarray:
        return saturation(self.layout_info, self.config)

    def signal_states(self, copy: int = 0) -> np.ndarray:
        """``(I, G)`` signal of every lane group of copy ``copy``: 0 red, 1 yellow, 2 green.

        While a change clears, lane groups green in both phases stay green (they go).
        """
        state = self.state
        states = np.zeros(self.phase_lanes.shape[::2], dtype=np.int64)
        for i in range(self.num_intersections):
            lit = self.phase_lanes[i, state.phase[copy, i]] == 1
            clear = state.clear[copy, i]
            if clear == 0:
                states[i, lit] = 2
            else:
                kept = lit & (self.phase_lanes[i, state.next_phase[copy, i]] == 1)
                if clear > self.all_red_ticks:
                    states[i, lit] = 1
                states[i, kept] = 2
        return states

    def render(self, obs: np.ndarray) -> np.ndarray:
        return render_lanes(obs[:, self.layout["queue"][0]], self.signal_states())
