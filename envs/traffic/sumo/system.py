"""The SUMO backend: the same observations, actions, rewards and records as the built-in.

SUMO and its Python bindings come from the ``sumo`` extra (PyPI wheels ``eclipse-sumo``,
``libsumo``, ``sumolib``, ``traci``); the SUMO binaries are found through the ``sumo``
module, so no SUMO installation or ``SUMO_HOME`` is needed. ``sumo_interface="libsumo"``
(default) runs SUMO inside the process, fastest but one simulation per process;
``"traci"`` runs it as a separate process, so several can share one.

Each decision step applies the same phase logic as the built-in simulator
(:func:`~fieldgym.envs.traffic.dynamics.decide`: min and max green, yellow, all red) by
setting the lights' link states, then advances SUMO tick by tick. Quantities per tick come
from the edges (halted and present vehicles, time loss from mean speeds, read as
:mod:`.reads` explains) and a simulation subscription (departed, arrived, teleported);
the arithmetic over the ticks is done once per decision. Observations come from the
lanes at the decision (a lane that serves two lane groups counts in both; the
intersection records count it once). The waiting time a vehicle accumulates on an intersection's
incoming links is counted from the decision at which it is first seen there (for the
``wait`` reward), read only at decisions; vehicles seen on an incoming link at one
decision and gone at the next were discharged.
"""

from __future__ import annotations

import contextlib
import hashlib
import weakref
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

from fieldgym.envs.core.errors import ConfigError
from fieldgym.envs.core.files import atomic_path
from fieldgym.envs.core.optional import require
from fieldgym.envs.traffic.config import TrafficConfig
from fieldgym.envs.traffic.dynamics import T_ENTERED, T_EXITED, decide
from fieldgym.envs.traffic.flows import read_flow_file, write_sumo_vehicles
from fieldgym.envs.traffic.network import build_network, movement_flows
from fieldgym.envs.traffic.records import INT, INT_KPIS, NET, NET_KPIS
from fieldgym.envs.traffic.render import render_lanes
from fieldgym.envs.traffic.sumo.netgen import generate
from fieldgym.envs.traffic.sumo.plan import (
    generated_plan,
    generated_shape,
    read_layout,
    transition_state,
    user_plan,
)
from fieldgym.envs.traffic.sumo.reads import HALTING, NUMBER, SPEED, reader
from fieldgym.envs.traffic.system import (
    TrafficSystem,
    observation_layout,
    signal_scalars,
    upper_bound,
)

PURPOSE = "The SUMO backend of the traffic environments (backend='sumo')"
_LIBSUMO: dict[str, Any] = {"owner": None}
"""The system running the process's one libsumo simulation (a weak reference)."""
DEPARTED, ARRIVED, TELEPORTED = 0x73, 0x79, 0x75
"""TraCI variable ids: the numbers of vehicles that departed, arrived and started a
teleport in the last step."""


def sumo_home() -> Path:
    """SUMO's folder (with ``bin/sumo``) from the ``eclipse-sumo`` wheel."""
    return Path(require("sumo", "sumo", PURPOSE).SUMO_HOME)


class SumoSystem(TrafficSystem):
    """One SUMO simulation of the config's network (generated grid or user files).

    :class:`fieldgym.envs.traffic.city.sumo.CitySumoSystem` runs a CityFlow network.
    """

    def __init__(self, config: TrafficConfig) -> None:
        self.config = config
        self.home = sumo_home()
        self.api = require(config.sumo_interface, "sumo", PURPOSE)
        self.plan = None
        if config.net_file is not None:
            sumolib = require("sumolib", "sumo", PURPOSE)
            self.plan = user_plan(config.net_file, sumolib)
            names, phase_lanes = self.plan.names, self.plan.phase_lanes
            counts = [len(states) for states in self.plan.green_states]
        else:
            names, phase_lanes = generated_shape(config)
            counts = [len(config.phases)] * len(names)
        self._setup(names, phase_lanes, counts)

    def _setup(self, names: list[str], phase_lanes: np.ndarray, counts, outgoing: int = 4) -> None:
        """Set the agents, their phases and lane groups, and the state of the signals.

        Args:
            names: Agent names.
            phase_lanes: ``(I, P, G)`` 1 where a lane group is green in a phase.
            counts: ``(I,)`` green phases of each agent.
            outgoing: Size of the observation's ``outgoing`` block (the plan's
                ``outgoing`` edges per intersection).
        """
        config = self.config
        self.num_copies = 1
        self.phase_counts = np.asarray(counts, dtype=np.int64)
        self.agent_names = list(names)
        self.phase_lanes = phase_lanes
        self.num_intersections, self.num_phases, groups = phase_lanes.shape
        self.layout = observation_layout(self.num_phases, groups, outgoing)
        size = self.layout["outgoing"][0].stop
        high = np.full((self.num_intersections, size), np.inf)
        high[:, : self.num_phases] = 1.0
        high[:, self.num_phases] = config.max_green
        self.high = upper_bound(high)
        self.scalars = signal_scalars(config)
        self.ticks = int(self.scalars[1])
        self.all_red_ticks = round(config.all_red_time / config.step_length)
        self.conn: Any = None
        self._label = f"fieldgym-{id(self)}"
        n = self.num_intersections
        self.phase = np.zeros((1, n), dtype=np.int64)
        self.next_phase = np.zeros((1, n), dtype=np.int64)
        self.clear = np.zeros((1, n), dtype=np.int64)
        self.elapsed = np.zeros((1, n))
        self.totals = np.zeros(3)

    def __getstate__(self) -> dict[str, Any]:
        raise TypeError("A SUMO-backed env cannot be pickled (it holds a running simulation).")

    # --- simulation lifecycle ------------------------------------------------------------

    def files(self) -> tuple[str, str]:
        """The network and route files (generating the grid on first use)."""
        if self.config.net_file is not None:
            return str(self.config.net_file), str(self.config.route_file)
        folder = generate(self.config, self.home)
        if self.plan is None:
            self.plan = generated_plan(self.config, read_layout(folder))
        routes = folder / "routes.rou.xml"
        flow_file = self.config.flow_file
        if flow_file is not None and Path(flow_file).suffix == ".json":
            digest = hashlib.sha1(Path(flow_file).read_bytes()).hexdigest()[:16]
            routes = folder / f"cityflow-{digest}.rou.xml"
            if not routes.is_file():
                demand = read_flow_file(flow_file, self.config)
                with atomic_path(routes, durable=False) as draft:
                    write_sumo_vehicles(demand, self.config, draft)
        elif flow_file is not None:
            routes = Path(flow_file)
        return str(folder / "net.net.xml"), str(routes)

    def _start(self, args: list[str]) -> None:
        if self.config.sumo_interface == "libsumo":
            owner = _LIBSUMO["owner"]() if _LIBSUMO["owner"] is not None else None
            if owner is not None and owner is not self and owner.conn is not None:
                raise ConfigError(
                    "libsumo runs one SUMO simulation per process and another env holds it; "
                    "close that env, or use sumo_interface='traci' for several simulations."
                )
            if self.conn is None:
                if owner is None and _LIBSUMO["owner"] is not None:
                    with contextlib.suppress(Exception):  # owner dropped without close()
                        self.api.close()
                self.api.start([str(self.home / "bin" / "sumo"), *args])
                _LIBSUMO["owner"] = weakref.ref(self)
                self.conn = self.api
            else:
                self.conn.load(args)
        elif self.conn is None:
            self.api.start([str(self.home / "bin" / "sumo"), *args], label=self._label)
            self.conn = self.api.getConnection(self._label)
        else:
            self.conn.load(args)

    def close(self) -> None:
        if self.conn is not None:
            try:
                self.conn.close()
            finally:
                self.conn = None

    def __del__(self) -> None:
        with contextlib.suppress(Exception):  # at interpreter shutdown
            self.close()

    def reset(self, rng: np.random.Generator, mask: np.ndarray | None = None) -> np.ndarray:
        net, routes = self.files()
        seed = int(rng.integers(0, 2**31 - 1))
        args = [
            "-n", net, "-r", routes,
            "--step-length", str(self.config.step_length),
            "--seed", str(seed),
            "--no-step-log", "true",
            "--no-warnings", "true",
            "--waiting-time-memory", "1000000",
            "--duration-log.disable", "true",
        ]  # fmt: skip
        self._start(args)
        conn, plan = self.conn, self.plan
        plan.bind({tls: conn.trafficlight.getControlledLinks(tls) for tls in plan.tls})
        self.edges = [e for e in conn.edge.getIDList() if not e.startswith(":")]
        self.edge_speed = np.array(
            [
                max(conn.lane.getMaxSpeed(f"{e}_{k}") for k in range(conn.edge.getLaneNumber(e)))
                for e in self.edges
            ]
        )
        subscribe = self.config.sumo_interface != "libsumo"
        self._read_edges = reader(conn.edge, self.edges, (NUMBER, HALTING, SPEED), subscribe)
        column = {edge: k for k, edge in enumerate(self.edges)}
        n, groups = self.num_intersections, self.phase_lanes.shape[2]
        self.incoming_of = {e: i for i, edges in enumerate(plan.incoming) for e in edges}
        self.incidence = np.zeros((n, len(self.edges)))  # intersection x incoming edge
        for edge, i in self.incoming_of.items():
            self.incidence[i, column[edge]] = 1.0
        out = [
            (i, side, column[edge])
            for i, sides in enumerate(plan.outgoing)
            for side, edge in enumerate(sides)
            if edge in column
        ]
        self.out_index = np.array(out, dtype=np.int64).reshape(-1, 3).T  # rows, sides, columns
        self.out_incidence = np.zeros((n, len(self.edges)))  # intersection x outgoing edge
        self.out_incidence[self.out_index[0], self.out_index[2]] = 1.0
        self.lanes = sorted({lane for i in plan.lanes for g in i for lane in g})
        lane_column = {lane: k for k, lane in enumerate(self.lanes)}
        self.grouping = np.zeros((n * groups, len(self.lanes)))  # lane group x lane
        for i, per_group in enumerate(plan.lanes):
            for g, group in enumerate(per_group):
                for lane in group:
                    self.grouping[i * groups + g, lane_column[lane]] = 1.0
        # intersection x lane: each incoming lane once, also where two lane groups share it
        self.lane_incidence = self.grouping.reshape(n, groups, len(self.lanes)).max(axis=1)
        self._read_lanes = reader(conn.lane, self.lanes, (NUMBER, HALTING), subscribe)
        conn.simulation.subscribe([DEPARTED, ARRIVED, TELEPORTED])
        for array in (self.phase, self.next_phase, self.clear, self.elapsed, self.totals):
            array[:] = 0
        self._shown = [""] * self.num_intersections
        self._transitions: dict[tuple[int, int, int, bool], str] = {}
        self._show_signals(range(self.num_intersections))
        self._tracked: list[dict[str, float]] = [{} for _ in range(self.num_intersections)]
        self._pending = 0.0
        self._edge_number = np.array(self._read_edges()[0], dtype=float)
        obs, _ = self._observe(np.zeros((1, self.num_intersections, len(INT_KPIS))))
        return obs

    # --- one decision step ---------------------------------------------------------------

    def _state_of(self, i: int) -> str:
        states, phase, clear = self.plan.green_states[i], self.phase[0, i], self.clear[0, i]
        if clear == 0:
            return states[phase]
        key = (i, int(phase), int(self.next_phase[0, i]), bool(clear > self.all_red_ticks))
        if key not in self._transitions:
            old, new = states[key[1]], states[key[2]]
            self._transitions[key] = transition_state(old, new, yellow=key[3])
        return self._transitions[key]

    def _show_signals(self, which: Iterable[int]) -> None:
        """Set the link states of the intersections ``which`` where they changed."""
        for i in which:
            state = self._state_of(i)
            if state != self._shown[i]:
                self.conn.trafficlight.setRedYellowGreenState(self.plan.tls[i], state)
                self._shown[i] = state

    def step(
        self, actions: np.ndarray, rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if self.conn is None:
            raise RuntimeError("Call reset() before step().")
        conn, dt = self.conn, self.config.step_length
        n = self.num_intersections
        wanted = np.asarray(actions, dtype=np.int64).reshape(1, n).copy()
        rec_int = np.zeros((1, n, len(INT_KPIS)))
        rec_net = np.zeros((1, len(NET_KPIS)))
        switched = np.zeros((1, n))
        decide(
            self.phase, self.next_phase, self.clear, self.elapsed, wanted, self.scalars,
            self.phase_counts, switched,
        )  # fmt: skip
        rec_int[0, :, INT.switched] = switched[0]
        rec_int[0, :, INT.wait_change] = self._wait
        sims, edges = [], []
        # signals change only while clearing and at the first tick (the previous step may
        # have ended a change); after the last clearing tick nothing changes
        changing = int(self.clear.max())
        clearing_now = np.flatnonzero(self.clear[0]).tolist()
        for k in range(self.ticks):
            if k == 0:
                self._show_signals(range(n))
            elif k <= changing:
                self._show_signals(clearing_now)
            conn.simulationStep()
            sims.append(conn.simulation.getSubscriptionResults())
            edges.append(self._read_edges())
            if k < changing:
                clearing = self.clear[0] > 0
                self.elapsed[0, ~clearing] += dt
                self.clear[0, clearing] -= 1
                done = clearing & (self.clear[0] == 0)
                self.phase[0, done] = self.next_phase[0, done]
            else:
                self.elapsed[0] += dt
        number, halted = self._tally(sims, edges, rec_int, rec_net)
        self._edge_number = number[-1]
        rec_net[0, NET.queue_total] = halted[-1].sum()
        pending = float(len(conn.simulation.getPendingVehicles()))
        rec_net[0, NET.generated] = rec_net[0, NET.entered] + pending - self._pending
        # pending vehicles are read once per decision: their waiting is the trapezoid
        rec_net[0, NET.waiting_seconds] = 0.5 * (pending + self._pending) * self.ticks * dt
        self._pending = pending
        self.totals += rec_net[0, NET.generated : NET.exited + 1]
        obs, rec_int = self._observe(rec_int)
        rec_net[0, NET.in_network] = self.totals[T_ENTERED] - self.totals[T_EXITED]
        rec_net[0, NET.waiting_to_enter] = pending
        rec_net[0, NET.generated_total : NET.exited_total + 1] = self.totals
        return obs, rec_int, rec_net

    def _tally(
        self, sims: list[dict], edges: list[list], rec_int: np.ndarray, rec_net: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Write the sums over the ticks of the edge and simulation readings into the records.

        Returns the vehicles and the halted vehicles on each edge, one row per tick.
        """
        dt = self.config.step_length
        number, halted, speed = np.array(edges, dtype=float).transpose(1, 0, 2)
        slow = np.clip(1.0 - speed / self.edge_speed, 0.0, None)
        counts = np.array([[sim[DEPARTED], sim[ARRIVED], sim[TELEPORTED]] for sim in sims])
        # running sums in tick order, as ticks would add them one by one
        rec_int[0, :, INT.delay] = np.cumsum((halted @ self.incidence.T) * dt, axis=0)[-1]
        rec_net[0, NET.halted_seconds] = np.cumsum(halted.sum(axis=1) * dt)[-1]
        loss = [float(np.dot(n, s)) * dt for n, s in zip(number, slow, strict=True)]
        rec_net[0, NET.delay_seconds] = np.cumsum(loss)[-1]
        departed, arrived, teleported = np.cumsum(counts, axis=0).T
        rec_net[0, NET.entered] = departed[-1]
        rec_net[0, NET.exited] = arrived[-1]
        rec_net[0, NET.teleports] = teleported[-1]
        inside = self.totals[T_ENTERED] + departed - self.totals[T_EXITED] - arrived
        rec_net[0, NET.vehicle_seconds] = np.cumsum(inside * dt)[-1]
        return number, halted

    def _observe(self, rec_int: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        conn, layout = self.conn, self.layout
        n, groups = self.num_intersections, self.phase_lanes.shape[2]
        lanes = np.array(self._read_lanes(), dtype=float).T
        per_group = (self.grouping @ lanes).reshape(n, groups, 2)
        per_intersection = self.lane_incidence @ lanes
        present, halted = per_group[..., 0], per_group[..., 1]
        obs = np.zeros((1, n, self.high.shape[1]), dtype=np.float32)
        obs[0, np.arange(n), self.phase[0]] = 1.0
        obs[0, :, self.num_phases] = self.elapsed[0]
        obs[0, :, layout["queue"][0]] = halted
        obs[0, :, layout["approaching"][0]] = present - halted
        out0 = layout["outgoing"][0].start
        rows, sides, columns = self.out_index
        obs[0, rows, out0 + sides] = self._edge_number[columns]
        # the waiting each vehicle accumulated on its current intersection's incoming links
        on_edge: list[dict[str, float]] = [{} for _ in range(n)]
        waited, on = conn.vehicle.getAccumulatedWaitingTime, conn.edge.getLastStepVehicleIDs
        for edge, i in self.incoming_of.items():
            vehicles = on(edge)
            on_edge[i].update(zip(vehicles, map(waited, vehicles), strict=True))
        wait = [0.0] * n
        for i in range(n):
            tracked, seen, total = self._tracked[i], {}, 0.0
            for vehicle, now in on_edge[i].items():
                first = seen[vehicle] = tracked.get(vehicle, now)
                total += now - first
            wait[i] = total
            rec_int[0, i, INT.discharged] = len(tracked.keys() - seen.keys())
            self._tracked[i] = seen
        self._wait = np.array(wait)
        rec_int[0, :, INT.queue] = per_intersection[:, 1]
        rec_int[0, :, INT.vehicles] = per_intersection[:, 0]
        rec_int[0, :, INT.wait_total] = self._wait
        rec_int[0, :, INT.wait_change] -= self._wait
        rec_int[0, :, INT.outgoing] = self.out_incidence @ self._edge_number
        return obs, rec_int

    # --- what baselines and render read --------------------------------------------------

    def lane_flows(self) -> np.ndarray | None:
        if self.config.net_file is not None:
            return None
        network = build_network(self.config)
        rates = np.array([self.config.entry_flows[s] for s in network.entry_side])
        flows = movement_flows(network, rates * float(np.mean(self.config.flow_profile)))
        return flows.reshape(self.num_intersections, -1)

    def lane_saturation(self) -> np.ndarray:
        groups = self.phase_lanes.shape[2]
        if self.config.net_file is not None:
            return np.full((self.num_intersections, groups), self.config.saturation_flow)
        lanes = np.tile(np.asarray(self.config.lanes, dtype=np.float64), 4)
        return np.tile(self.config.saturation_flow * lanes, (self.num_intersections, 1))

    def signal_states(self, copy: int = 0) -> np.ndarray:
        states = np.zeros(self.phase_lanes.shape[::2], dtype=np.int64)
        for i in range(self.num_intersections):
            lit = self.phase_lanes[i, self.phase[0, i]] == 1
            if self.clear[0, i] == 0:
                states[i, lit] = 2
            elif self.clear[0, i] > self.all_red_ticks:
                states[i, lit] = 1
        return states

    def render(self, obs: np.ndarray) -> np.ndarray:
        if self.config.net_file is None:
            return super().render(obs)
        return render_lanes(obs[:, self.layout["queue"][0]], self.signal_states())
