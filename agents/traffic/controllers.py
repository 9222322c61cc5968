"""Classical signal controllers acting on the traffic environments' observations.

A controller acts on a batch of intersection observations ``(N, D)`` (rows of the
single env's copies, or the agents of a grid) and returns the phase each one requests.
It reads the blocks of the observation by the environment's layout (``phase``,
``elapsed``, ``queue``, ``approaching``, ``outgoing``) and knows which lane groups each
phase serves (``phase_lanes``); the environment enforces yellow, min and max green.

* :class:`FixedTime`: a fixed cycle, Webster's optimal cycle and green splits by default.
* :class:`MaxPressure`: the phase of largest pressure (Varaiya 2013).
* :class:`SOTL`: self-organizing traffic lights (Gershenson 2005; Cools et al. 2013).
* :class:`Actuated`: vehicle-actuated control, a green ends when its queues clear (gap-out).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from fieldgym.envs.core.errors import ConfigError
from fieldgym.envs.traffic.config import TrafficConfig
from fieldgym.envs.traffic.plans import fixed_cycle
from fieldgym.envs.traffic.system import TrafficSystem

MAX_CYCLE = 180.0
"""Longest cycle Webster's formula may give, s (the usual practical limit)."""


@dataclasses.dataclass(frozen=True)
class SignalInfo:
    """What a controller knows of the network: the config, layout, phases and flows.

    Attributes:
        config: The environment's config.
        layout: Name -> (slice, size) of an intersection's observation.
        phase_lanes: ``(I, P, G)`` 1 where a lane group is green in a phase.
        phase_counts: ``(I,)`` green phases of each intersection (the rest is padding).
        flows: ``(I, G)`` mean arrival rate per lane group, veh/h (``None``: unknown).
        saturation: ``(I, G)`` saturation flow per lane group, veh/h.
        downstream: ``(I, G, O)`` weight of each entry of the ``outgoing`` block in a lane
            group's downstream count (max pressure's): on grids a third of the link its
            movement leaves by (the link's three lane groups share it), on CityFlow
            networks its outbound road; all zero where unknown (user SUMO networks).
        approach_length: ``(I, G)`` length of each lane group's incoming link, m.
        plan_greens: ``(I, P)`` the network file's own green times, s (``None``: no file).
    """

    config: TrafficConfig
    layout: dict[str, tuple[slice, int]]
    phase_lanes: np.ndarray
    phase_counts: np.ndarray
    flows: np.ndarray | None
    saturation: np.ndarray
    downstream: np.ndarray
    approach_length: np.ndarray
    plan_greens: np.ndarray | None = None

    @classmethod
    def from_system(cls, system: TrafficSystem) -> SignalInfo:
        """The info of a backend (built-in or SUMO, grid or CityFlow network)."""
        n, _, groups = system.phase_lanes.shape
        outgoing = system.layout["outgoing"][1]
        downstream = np.zeros((n, groups, outgoing))
        if getattr(system, "outgoing_per_group", False):
            downstream[:] = np.eye(groups)  # each lane group observes its own outbound road
        elif groups == 12:
            for g in range(groups):
                approach, movement = divmod(g, 3)
                downstream[:, g, (approach + 1 + movement) % 4] = 1.0 / 3.0
        length = getattr(system, "approach_length", None)
        if length is None:
            length = np.full((n, groups), system.config.link_length)
        return cls(
            config=system.config,
            layout=system.layout,
            phase_lanes=system.phase_lanes.astype(np.float64),
            phase_counts=np.asarray(system.phase_counts, dtype=np.int64),
            flows=system.lane_flows(),
            saturation=system.lane_saturation(),
            downstream=downstream,
            approach_length=np.asarray(length, dtype=np.float64),
            plan_greens=getattr(system, "plan_greens", None),
        )

    @property
    def num_phases(self) -> int:
        """Green phases per intersection (the most any has)."""
        return self.phase_lanes.shape[1]


def webster_plan(
    info: SignalInfo, intersection: int, cycle: float | None = None, splits=None
) -> tuple[float, np.ndarray]:
    """The cycle and the green time of each phase of one intersection.

    Webster (1958): with ``y_p`` the largest flow ratio (flow / saturation flow) among the
    lane groups phase ``p`` serves, ``Y = sum_p y_p`` and ``L`` the lost time per cycle
    (yellow and all red of every change), the cycle of least delay is
    ``C = (1.5 L + 5) / (1 - Y)`` and the effective green ``C - L`` is shared in
    proportion to ``y_p``. The cycle is capped at :data:`MAX_CYCLE` (also when ``Y >= 1``);
    greens are kept within ``[min_green, max_green]``.

    Args:
        info: The network.
        intersection: Index of the intersection.
        cycle: A cycle length in seconds instead of Webster's.
        splits: Shares of the effective green per phase instead of ``y_p / Y``.

    Returns:
        The cycle, and the greens ``(P,)`` (0 for the phases an intersection lacks).
    """
    config = info.config
    phases = int(info.phase_counts[intersection])
    lost = phases * config.lost_time
    if info.flows is not None:
        flows, capacity = info.flows[intersection], info.saturation[intersection]
        ratio = np.divide(flows, capacity, out=np.zeros_like(flows), where=capacity > 0)
        lanes = info.phase_lanes[intersection, :phases] > 0
        critical = np.array(
            [ratio[lanes[p]].max() if lanes[p].any() else 0.0 for p in range(phases)]
        )
    else:
        critical = np.ones(phases)
    total = float(critical.sum())
    if cycle is None:
        cycle = MAX_CYCLE if total >= 0.95 else (1.5 * lost + 5.0) / (1.0 - total)
        cycle = min(cycle, MAX_CYCLE)
    if splits is None:
        shares = critical / total if total > 0 else np.full(phases, 1.0 / phases)
    else:
        shares = np.asarray(splits, dtype=np.float64)
        if shares.shape != (phases,) or np.any(shares < 0) or shares.sum() <= 0:
            raise ConfigError(f"splits={splits!r} must be {phases} non-negative shares.")
        shares = shares / shares.sum()
    greens = np.zeros(info.num_phases)
    greens[:phases] = np.clip((cycle - lost) * shares, config.min_green, config.max_green)
    return float(cycle), greens


class Controller:
    """Base of the controllers: the observation's blocks and the phases' lane groups."""

    def __init__(self, info: SignalInfo) -> None:
        self.info = info
        self.delta = info.config.delta_time

    def reset(self) -> None:
        """Forget per-episode state."""

    def block(self, obs: np.ndarray, name: str) -> np.ndarray:
        """The block ``name`` of a batch of observations ``(N, D)``, as float64."""
        return np.asarray(obs[:, self.info.layout[name][0]], dtype=np.float64)

    def current(self, obs: np.ndarray) -> np.ndarray:
        """The green phase of each row."""
        return np.argmax(self.block(obs, "phase"), axis=1)

    def next_with_demand(
        self, current: np.ndarray, demand: np.ndarray, lanes: np.ndarray
    ) -> np.ndarray:
        """The first phase after ``current`` (in cycle order) with demand on its lanes.

        Args:
            current: ``(N,)`` current phases.
            demand: ``(N, G)`` vehicles per lane group.
            lanes: ``(N, P, G)`` phase lane groups of each row's intersection.
        """
        served = np.einsum("npg,ng->np", lanes, demand)
        served = np.where(lanes.any(axis=2), served, 0.0)  # padded phases serve nothing
        out = current.copy()
        phases = lanes.shape[1]
        for n in range(len(current)):
            for step in range(1, phases):
                p = (current[n] + step) % phases
                if served[n, p] > 1e-9:
                    out[n] = p
                    break
        return out

    def act(self, obs: np.ndarray, intersections: np.ndarray) -> np.ndarray:
        """The phase each row requests; ``intersections[n]`` is row ``n``'s intersection."""
        raise NotImplementedError


class FixedTime(Controller):
    """A fixed cycle in phase order: Webster's cycle and splits, or the network file's plan.

    The env decides every ``delta_time`` seconds, so a green ends at the decision nearest
    to its planned end. ``cycle`` (s) and ``splits`` (shares of the effective green per
    phase) apply to every intersection; ``plan="file"`` runs the green times of a CityFlow
    network's own light plan instead of Webster's.
    """

    def __init__(
        self, info: SignalInfo, cycle: float | None = None, splits=None, plan: str = "webster"
    ) -> None:
        super().__init__(info)
        if plan not in ("webster", "file"):
            raise ConfigError(f"plan={plan!r} is not allowed; use 'webster' or 'file'.")
        if plan == "file":
            if info.plan_greens is None:
                raise ConfigError(
                    "plan='file' runs a CityFlow network's own light plan; this network has "
                    "none (set roadnet_file), so use plan='webster'."
                )
            if cycle is not None or splits is not None:
                raise ConfigError("cycle and splits shape Webster's plan; plan='file' takes none.")
            self.greens = np.asarray(info.plan_greens, dtype=np.float64)
            return
        plans = [webster_plan(info, i, cycle, splits) for i in range(info.phase_lanes.shape[0])]
        self.greens = np.stack([g for _, g in plans])

    def act(self, obs: np.ndarray, intersections: np.ndarray) -> np.ndarray:
        return fixed_cycle(
            self.current(obs),
            self.block(obs, "elapsed")[:, 0],
            self.greens[intersections],
            self.info.phase_counts[intersections],
            self.delta,
        )


class MaxPressure(Controller):
    """Serve the phase whose movements have the largest total pressure.

    A movement's pressure is its halted vehicles (``count="queue"``) or all its vehicles
    (``"vehicles"``) minus the vehicles downstream of it (:attr:`SignalInfo.downstream`);
    the current phase is kept on ties.
    """

    def __init__(self, info: SignalInfo, count: str = "queue") -> None:
        super().__init__(info)
        if count not in ("queue", "vehicles"):
            raise ConfigError(f"count={count!r} is not allowed; use 'queue' or 'vehicles'.")
        self.count = count

    def act(self, obs: np.ndarray, intersections: np.ndarray) -> np.ndarray:
        upstream = self.block(obs, "queue")
        if self.count == "vehicles":
            upstream = upstream + self.block(obs, "approaching")
        downstream = np.einsum(
            "ngo,no->ng", self.info.downstream[intersections], self.block(obs, "outgoing")
        )
        weight = upstream - downstream
        lanes = self.info.phase_lanes[intersections]
        pressure = np.einsum("npg,ng->np", lanes, weight)
        current = self.current(obs)
        best = np.argmax(pressure, axis=1)
        rows = np.arange(len(current))
        keep = pressure[rows, current] >= pressure[rows, best] - 1e-9
        return np.where(keep, current, best)


class SOTL(Controller):
    """Self-organizing traffic lights: switch when red demand has built up enough.

    Each step the counter adds the vehicles waiting or approaching on red lane groups
    times ``delta_time``; once the green has lasted ``min_green`` and the counter reaches
    ``theta`` (vehicle-seconds), the light moves on to the next phase with demand, unless
    a small platoon (at least one and fewer than ``mu`` vehicles) is within ``omega``
    metres of the stop line on green. The observation counts the moving vehicles of a
    whole link, so those within ``omega`` are estimated as that count times
    ``omega / length`` of the link (vehicles spread evenly along it).
    """

    def __init__(
        self, info: SignalInfo, theta: float = 300.0, mu: float = 3.0, omega: float = 50.0
    ) -> None:
        super().__init__(info)
        self.theta, self.mu = theta, mu
        self.near = np.minimum(omega / info.approach_length, 1.0)
        self.kappa = np.zeros(0)
        self.last = np.zeros(0, dtype=np.int64)

    def reset(self) -> None:
        self.kappa = np.zeros(0)
        self.last = np.zeros(0, dtype=np.int64)

    def act(self, obs: np.ndarray, intersections: np.ndarray) -> np.ndarray:
        current = self.current(obs)
        if self.kappa.shape != current.shape:
            self.kappa = np.zeros(len(current))
            self.last = current.copy()
        self.kappa[current != self.last] = 0.0
        lanes = self.info.phase_lanes[intersections]
        rows = np.arange(len(current))
        green = lanes[rows, current]
        queue, approaching = self.block(obs, "queue"), self.block(obs, "approaching")
        demand = queue + approaching
        self.kappa += ((1.0 - green) * demand).sum(axis=1) * self.delta
        platoon = (green * approaching * self.near[intersections]).sum(axis=1)
        ready = self.block(obs, "elapsed")[:, 0] >= self.info.config.min_green
        crossing = (platoon >= 1.0) & (platoon < self.mu)
        switch = ready & (self.kappa >= self.theta) & ~crossing
        wanted = np.where(switch, self.next_with_demand(current, demand, lanes), current)
        self.last = current
        return wanted


class Actuated(Controller):
    """Vehicle-actuated control: extend a green while its queues last (gap-out).

    After ``min_green`` the green ends as soon as its lane groups hold at most ``gap``
    vehicles halted or within ``detector`` metres of the stop line (the detectors see a
    gap), and the next phase with demand follows; ``max_green`` is enforced by the
    environment. The moving vehicles within ``detector`` metres are estimated as the
    link's moving vehicles times ``detector / length`` of the link.
    """

    def __init__(self, info: SignalInfo, gap: float = 1.0, detector: float = 50.0) -> None:
        super().__init__(info)
        self.gap = gap
        self.near = np.minimum(detector / info.approach_length, 1.0)

    def act(self, obs: np.ndarray, intersections: np.ndarray) -> np.ndarray:
        current = self.current(obs)
        lanes = self.info.phase_lanes[intersections]
        rows = np.arange(len(current))
        queue, approaching = self.block(obs, "queue"), self.block(obs, "approaching")
        near = self.near[intersections]
        detected = (lanes[rows, current] * (queue + near * approaching)).sum(axis=1)
        ready = self.block(obs, "elapsed")[:, 0] >= self.info.config.min_green
        demand = queue + approaching
        gap_out = ready & (detected <= self.gap)
        return np.where(gap_out, self.next_with_demand(current, demand, lanes), current)


CONTROLLERS: dict[str, type[Controller]] = {
    "fixed_time": FixedTime,
    "max_pressure": MaxPressure,
    "sotl": SOTL,
    "actuated": Actuated,
}
"""Registry name -> controller class."""
