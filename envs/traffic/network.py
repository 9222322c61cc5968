"""The road network as arrays: intersections, links, lane groups, entries and phases.

Intersection ``i = r * cols + c`` (row ``r`` counted from the north). Its incoming link
from side ``a`` (``N=0, E=1, S=2, W=3``) is link ``k = 4 * i + a``, split into the lane
groups ``l = 3 * k + m`` of movement ``m`` (``0`` left, ``1`` through, ``2`` right). A
vehicle of approach ``a`` leaves through side ``(a + 1 + m) % 4``: left, through and right
in right-hand traffic. It then enters the neighbour across that side on its link from
the opposite side, or leaves the network at the grid's edge. Links on the grid's edge
whose side has no neighbour are entry links, fed from outside.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from fieldgym.envs.core.errors import ConfigError
from fieldgym.envs.traffic.config import MOVEMENTS, TrafficConfig

GROUPS = 12
"""Lane groups (movements) per intersection."""
OFFSETS = ((-1, 0), (0, 1), (1, 0), (0, -1))
"""(row, column) step across each side N, E, S, W."""


@dataclasses.dataclass(frozen=True)
class Network:
    """Topology and parameters of a grid network, as arrays the dynamics kernel reads.

    Attributes:
        rows: Intersections north to south.
        cols: Intersections west to east.
        lane_target: ``(L,)`` link each lane group discharges into, ``-1`` to leave.
        lane_params: ``(L, 4)`` per lane group: capacity per tick (vehicles), capacity of a
            cell (vehicles), turning ratio, number of lanes.
        entry_link: ``(E,)`` link fed by each entry.
        entry_side: ``(E,)`` side each entry link enters from (index into entry_flows).
        out_link: ``(I, 4)`` link a vehicle leaving intersection ``i`` by side ``d``
            enters, ``-1`` at the grid's edge.
        green: ``(P, 12)`` 1 where the movement is green in the phase.
        cells: Cells (``ctm``) or travel-time slots (``point``) per lane group.
        wave_ratio: Backward-wave speed over free-flow speed (``ctm``).
        free_flow_time: Seconds from a link's start to its stop line at free flow.
    """

    rows: int
    cols: int
    lane_target: np.ndarray
    lane_params: np.ndarray
    entry_link: np.ndarray
    entry_side: np.ndarray
    out_link: np.ndarray
    green: np.ndarray
    cells: int
    wave_ratio: float
    free_flow_time: float

    @property
    def num_intersections(self) -> int:
        """``rows * cols``."""
        return self.rows * self.cols

    @property
    def num_lanes(self) -> int:
        """Lane groups in the network, ``12 * I``."""
        return GROUPS * self.num_intersections

    @property
    def num_phases(self) -> int:
        """Green phases per intersection."""
        return self.green.shape[0]

    def lane_capacity(self) -> np.ndarray:
        """``(L,)`` vehicles a lane group holds at jam density (``ctm``)."""
        return self.lane_params[:, 1] * self.cells


def neighbour(config: TrafficConfig, i: int, side: int) -> int:
    """The intersection across ``side`` of intersection ``i``, or ``-1`` outside the grid."""
    r, c = divmod(i, config.cols)
    dr, dc = OFFSETS[side]
    r, c = r + dr, c + dc
    if 0 <= r < config.rows and 0 <= c < config.cols:
        return r * config.cols + c
    return -1


def phase_matrix(phases: tuple[tuple[str, ...], ...]) -> np.ndarray:
    """``(P, 12)`` uint8: 1 where a movement is green in a phase."""
    green = np.zeros((len(phases), GROUPS), dtype=np.uint8)
    for p, phase in enumerate(phases):
        for movement in phase:
            green[p, MOVEMENTS.index(movement)] = 1
    return green


def build_network(config: TrafficConfig) -> Network:
    """The arrays of the network ``config`` describes.

    Raises:
        ConfigError: If the link model cannot represent the numbers (a ``ctm`` cell that
            cannot hold a vehicle's saturation flow, or a backward wave faster than traffic).
    """
    n = config.num_intersections
    dt = config.step_length
    cells = max(1, round(config.link_length / (config.speed_limit * dt)))
    cell_length = config.link_length / cells
    speed = cell_length / dt
    flow = config.saturation_flow / 3600.0  # vehicles per second per lane
    critical = flow / speed  # vehicles per metre per lane at capacity
    wave_ratio = 1.0
    if config.link_model == "ctm":
        if critical >= config.jam_density / 2:
            raise ConfigError(
                f"jam_density={config.jam_density} is too low for saturation_flow="
                f"{config.saturation_flow} at {speed:.2f} m/s: the cell transmission model "
                "needs a backward wave no faster than traffic (jam density >= 2 x capacity "
                "density); raise jam_density or speed_limit, or use link_model='point'."
            )
        wave_ratio = critical / (config.jam_density - critical)
    lane_target = np.full(GROUPS * n, -1, dtype=np.int64)
    lane_params = np.zeros((GROUPS * n, 4))
    out_link = np.full((n, 4), -1, dtype=np.int64)
    entry_link, entry_side = [], []
    for i in range(n):
        for side in range(4):
            j = neighbour(config, i, side)
            if j >= 0:
                out_link[i, side] = 4 * j + (side + 2) % 4
            else:
                entry_link.append(4 * i + side)
                entry_side.append(side)
    for i in range(n):
        for a in range(4):
            for m in range(3):
                lane = GROUPS * i + 3 * a + m
                lane_target[lane] = out_link[i, (a + 1 + m) % 4]
                lanes = config.lanes[m]
                lane_params[lane] = (
                    flow * lanes * dt,
                    config.jam_density * cell_length * lanes,
                    config.turning_ratios[m],
                    lanes,
                )
    return Network(
        rows=config.rows,
        cols=config.cols,
        lane_target=lane_target,
        lane_params=lane_params,
        entry_link=np.asarray(entry_link, dtype=np.int64),
        entry_side=np.asarray(entry_side, dtype=np.int64),
        out_link=out_link,
        green=phase_matrix(config.phases),
        cells=cells,
        wave_ratio=wave_ratio,
        free_flow_time=cells * dt,
    )


def movement_flows(network: Network, entry_rates: np.ndarray) -> np.ndarray:
    """Mean arrival rate ``(L,)`` at every lane group, from the entry rates ``(E,)``.

    Solves the flow balance ``x = e + T x`` of the network (each lane group's discharge
    splits over the downstream link's lane groups by turning ratio), in the units of
    ``entry_rates``. Used for Webster's cycle on networks of more than one intersection.
    """
    lanes = network.num_lanes
    ratio = network.lane_params[:, 2]
    link_inflow = np.zeros((lanes, lanes))  # lane -> lane transfer matrix
    for lane in range(lanes):
        target = network.lane_target[lane]
        if target >= 0:
            for m in range(3):
                link_inflow[3 * target + m, lane] = ratio[3 * target + m]
    external = np.zeros(lanes)
    for e, link in enumerate(network.entry_link):
        for m in range(3):
            external[3 * link + m] += entry_rates[e] * ratio[3 * link + m]
    return np.linalg.solve(np.eye(lanes) - link_inflow, external)
