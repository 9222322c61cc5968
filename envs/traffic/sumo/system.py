"""The SUMO backend: the same observations, actions, rewards and records as the built-in.

SUMO and its Python bindings come from the ``sumo`` extra (PyPI wheels ``eclipse-sumo``,
``libsumo``, ``sumolib``, ``traci``); the SUMO binaries are found through the ``sumo``
module, so no SUMO installation or ``SUMO_HOME`` is needed. ``sumo_interface="libsumo"``
(default) runs SUMO inside the process, fastest but one simulation per process;
``"traci"`` runs it as a separate process, so several can share one.

Each decision step applies the same phase logic as the built-in simulator
(:func:`~fieldgym.envs.traffic.dynamics.decide`: min and max green, yellow, all red) by
setting the lights' link states, then advances SUMO tick by tick. Quantities per tick come
from edge subscriptions (halted and present vehicles, time loss from mean speeds);
observations from lane subscriptions at the decision. The waiting time a vehicle
accumulates on an intersection's incoming links is counted from the decision at which it
is first seen there (for the ``wait`` reward); vehicles seen on an incoming link at one
decision and gone at the next were discharged.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import weakref
from pathlib import Path
from typing import Any

import numpy as np

from fieldgym.envs.core.errors import ConfigError
from fieldgym.envs.core.optional import require
from fieldgym.envs.traffic.config import TrafficConfig
from fieldgym.envs.traffic.dynamics import INT_KPIS, NET_KPIS, decide
from fieldgym.envs.traffic.flows import read_flow_file, write_sumo_vehicles
from fieldgym.envs.traffic.network import build_network, movement_flows
from fieldgym.envs.traffic.render import render_lanes
from fieldgym.envs.traffic.sumo.netgen import generate
from fieldgym.envs.traffic.sumo.plan import (
    generated_plan,
    generated_shape,
    read_layout,
    transition_state,
    user_plan,
)
from fieldgym.envs.traffic.system import TrafficSystem, observation_layout, upper_bound

PURPOSE = "The SUMO backend of the traffic environments (backend='sumo')"
_LIBSUMO: dict[str, Any] = {"owner": None}
"""The system running the process's one libsumo simulation (a weak reference)."""
NUMBER, HALTING, SPEED = 0x10, 0x14, 0x11
"""TraCI variable ids: vehicles, halted vehicles and mean speed of the last step."""
ROAD, WAITED = 0x50, 0x87
"""TraCI variable ids: a vehicle's edge and its accumulated waiting time."""
DEPARTED, ARRIVED, TELEPORTED = 0x74, 0x79, 0x75
"""TraCI variable ids: vehicles that departed, arrived and started a teleport this step."""


def sumo_home() -> Path:
    """SUMO's folder (with ``bin/sumo``) from the ``eclipse-sumo`` wheel."""
    return Path(require("sumo", "sumo", PURPOSE).SUMO_HOME)


class SumoSystem(TrafficSystem):
    """One SUMO simulation of the config's network (generated grid or user files)."""

    def __init__(self, config: TrafficConfig) -> None:
        self.config = config
        self.num_copies = 1
        self.home = sumo_home()
        self.api = require(config.sumo_interface, "sumo", PURPOSE)
        self.plan = None
        if config.net_file is not None:
            sumolib = require("sumolib", "sumo", PURPOSE)
            self.plan = user_plan(config.net_file, sumolib)
            names, phase_lanes = self.plan.names, self.plan.phase_lanes
            self.phase_counts = [len(states) for states in self.plan.green_states]
        else:
            names, phase_lanes = generated_shape(config)
            self.phase_counts = [len(config.phases)] * len(names)
        self.agent_names = names
        self.phase_lanes = phase_lanes
        self.num_intersections, self.num_phases, groups = phase_lanes.shape
        self.layout = observation_layout(self.num_phases, groups)
        size = self.layout["outgoing"][0].stop
        high = np.full((self.num_intersections, size), np.inf)
        high[:, : self.num_phases] = 1.0
        high[:, self.num_phases] = config.max_green
        self.high = upper_bound(high)
        self.scalars = np.zeros(9)
        self.scalars[:5] = (
            config.step_length,
            round(config.delta_time / config.step_length),
            round(config.lost_time / config.step_length),
            config.min_green,
            config.max_green,
        )
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
                draft = routes.with_suffix(f".{os.getpid()}.tmp")
                write_sumo_vehicles(demand, self.config, draft)
                draft.replace(routes)
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
        self.edge_speed = np.array([conn.lane.getMaxSpeed(f"{e}_0") for e in self.edges])
        for edge in self.edges:
            conn.edge.subscribe(edge, [NUMBER, HALTING, SPEED])
        column = {edge: k for k, edge in enumerate(self.edges)}
        n, groups = self.num_intersections, self.phase_lanes.shape[2]
        self.incoming_of = {e: i for i, edges in enumerate(plan.incoming) for e in edges}
        self.incidence = np.zeros((n, len(self.edges)))  # intersection x incoming edge
        for edge, i in self.incoming_of.items():
            self.incidence[i, column[edge]] = 1.0
        self.out_columns = [
            [column.get(edge, -1) if edge is not None else -1 for edge in sides]
            for sides in plan.outgoing
        ]
        self.lanes = sorted({lane for i in plan.lanes for g in i for lane in g})
        lane_column = {lane: k for k, lane in enumerate(self.lanes)}
        self.grouping = np.zeros((n * groups, len(self.lanes)))  # lane group x lane
        for i, per_group in enumerate(plan.lanes):
            for g, group in enumerate(per_group):
                for lane in group:
                    self.grouping[i * groups + g, lane_column[lane]] = 1.0
        for lane in self.lanes:
            conn.lane.subscribe(lane, [NUMBER, HALTING])
        conn.simulation.subscribe([DEPARTED, ARRIVED, TELEPORTED])
        first = conn.edge.getSubscriptionResults(self.edges[0])
        self._keys = {var: k for k, var in enumerate(first)}
        for array in (self.phase, self.next_phase, self.clear, self.elapsed, self.totals):
            array[:] = 0
        self._shown = [""] * self.num_intersections
        self._show_signals()
        self._tracked: list[dict[str, float]] = [{} for _ in range(self.num_intersections)]
        self._pending = 0.0
        self._edge_number = np.array(
            [conn.edge.getAllSubscriptionResults()[e][NUMBER] for e in self.edges]
        )
        obs, _ = self._observe(np.zeros((1, self.num_intersections, len(INT_KPIS))))
        return obs

    # --- one decision step ---------------------------------------------------------------

    def _state_of(self, i: int) -> str:
        states = self.plan.green_states[i]
        old = states[self.phase[0, i]]
        if self.clear[0, i] == 0:
            return old
        new = states[self.next_phase[0, i]]
        return transition_state(old, new, yellow=self.clear[0, i] > self.all_red_ticks)

    def _show_signals(self) -> None:
        for i, tls in enumerate(self.plan.tls):
            state = self._state_of(i)
            if state != self._shown[i]:
                self.conn.trafficlight.setRedYellowGreenState(tls, state)
                self._shown[i] = state

    def step(
        self, actions: np.ndarray, rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if self.conn is None:
            raise RuntimeError("Call reset() before step().")
        conn, dt = self.conn, self.config.step_length
        n = self.num_intersections
        wanted = np.asarray(actions, dtype=np.int64).reshape(1, n).copy()
        wanted[wanted >= np.asarray(self.phase_counts)] = -1  # a padded phase keeps the current
        rec_int = np.zeros((1, n, len(INT_KPIS)))
        rec_net = np.zeros((1, len(NET_KPIS)))
        switched = np.zeros((1, n))
        decide(
            self.phase, self.next_phase, self.clear, self.elapsed, wanted, self.scalars,
            self.num_phases, switched,
        )  # fmt: skip
        rec_int[0, :, 7] = switched[0]
        rec_int[0, :, 3] = self._wait
        for _ in range(self.ticks):
            self._show_signals()
            conn.simulationStep()
            sim = conn.simulation.getSubscriptionResults()
            for vehicle in sim[DEPARTED]:
                conn.vehicle.subscribe(vehicle, [ROAD, WAITED])
            results = conn.edge.getAllSubscriptionResults()
            values = np.array([list(results[e].values()) for e in self.edges])
            number = values[:, self._keys[NUMBER]]
            halted = values[:, self._keys[HALTING]]
            slow = np.clip(1.0 - values[:, self._keys[SPEED]] / self.edge_speed, 0.0, None)
            halted_total = float(halted.sum())
            rec_int[0, :, 4] += (self.incidence @ halted) * dt
            rec_net[0, 3] += halted_total * dt
            rec_net[0, 11] += float(np.dot(number, slow)) * dt
            rec_net[0, 1] += len(sim[DEPARTED])
            rec_net[0, 2] += sim[ARRIVED]
            rec_net[0, 12] += sim[TELEPORTED]
            inside = self.totals[1] + rec_net[0, 1] - self.totals[2] - rec_net[0, 2]
            rec_net[0, 4] += inside * dt
            clearing = self.clear[0] > 0
            self.elapsed[0, ~clearing] += dt
            self.clear[0, clearing] -= 1
            done = clearing & (self.clear[0] == 0)
            self.phase[0, done] = self.next_phase[0, done]
            rec_net[0, 7] = halted_total
        self._edge_number = number
        pending = float(len(conn.simulation.getPendingVehicles()))
        rec_net[0, 0] = rec_net[0, 1] + pending - self._pending
        self._pending = pending
        self.totals += rec_net[0, :3]
        obs, rec_int = self._observe(rec_int)
        rec_net[0, 5] = self.totals[1] - self.totals[2]
        rec_net[0, 6] = pending
        rec_net[0, 8:11] = self.totals
        return obs, rec_int, rec_net

    def _observe(self, rec_int: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        conn, layout = self.conn, self.layout
        n, groups = self.num_intersections, self.phase_lanes.shape[2]
        results = conn.lane.getAllSubscriptionResults()
        lanes = np.array([[results[lane][NUMBER], results[lane][HALTING]] for lane in self.lanes])
        per_group = (self.grouping @ lanes).reshape(n, groups, 2)
        present, halted = per_group[..., 0], per_group[..., 1]
        obs = np.zeros((1, n, self.high.shape[1]), dtype=np.float32)
        obs[0, np.arange(n), self.phase[0]] = 1.0
        obs[0, :, self.num_phases] = self.elapsed[0]
        obs[0, :, layout["queue"][0]] = halted
        obs[0, :, layout["approaching"][0]] = present - halted
        out0 = layout["outgoing"][0].start
        for i, columns in enumerate(self.out_columns):
            for side, k in enumerate(columns):
                if k >= 0:
                    obs[0, i, out0 + side] = self._edge_number[k]
        # the waiting each vehicle accumulated on its current intersection's incoming links
        on_edge: list[dict[str, float]] = [{} for _ in range(n)]
        for vehicle, values in conn.vehicle.getAllSubscriptionResults().items():
            i = self.incoming_of.get(values[ROAD])
            if i is not None:
                on_edge[i][vehicle] = values[WAITED]
        self._wait = np.zeros(n)
        for i in range(n):
            tracked, seen = self._tracked[i], {}
            for vehicle, waited in on_edge[i].items():
                seen[vehicle] = tracked.get(vehicle, waited)
                self._wait[i] += waited - seen[vehicle]
            rec_int[0, i, 5] = sum(1 for v in tracked if v not in seen)
            self._tracked[i] = seen
        rec_int[0, :, 0] = halted.sum(axis=1)
        rec_int[0, :, 1] = present.sum(axis=1)
        rec_int[0, :, 2] = self._wait
        rec_int[0, :, 3] -= self._wait
        rec_int[0, :, 6] = obs[0, :, out0 : out0 + 4].sum(axis=1)
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
