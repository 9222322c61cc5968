"""The vector env's compiled step.

Meta-action control, simulation, observation, reward parts and KPIs of every copy in one
call, with the same compiled functions the single env uses.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from fieldgym.envs.driving import junction, sim
from fieldgym.envs.driving.backend import JUNCTION_FIELDS
from fieldgym.envs.driving.control import (
    apply_meta,
    lane_of,
    meta_command,
    nearest_speed,
    step_parts,
)
from fieldgym.envs.driving.observe import headway, observe

# Entries of the control parameter vector ``q`` (see :func:`control_params`).
Q_META, Q_SUBSTEPS, Q_PERIOD, Q_LO, Q_HI, Q_KIND = 0, 1, 2, 3, 4, 5
NQ = 6
N_JUNCTION = len(JUNCTION_FIELDS)


def control_params(config, kind: int) -> np.ndarray:
    """The control parameter vector of :func:`step_batch`."""
    q = np.zeros(NQ)
    q[Q_META] = 1.0 if config.action_type == "meta" else 0.0
    q[Q_SUBSTEPS] = config.substeps
    q[Q_PERIOD] = 1.0 / config.policy_frequency
    q[Q_LO], q[Q_HI] = config.speed_band
    q[Q_KIND] = kind
    return q


@njit(cache=True, error_model="numpy")
def start_controls(veh, mask, lane, speed_idx, prev_acc, p, speeds) -> None:
    """Target lane and speed, and last acceleration, of freshly reset copies."""
    for c in range(veh.shape[0]):
        if mask[c]:
            lane[c] = lane_of(veh[c, 0, sim.C_Y], p[sim.P_LW], int(p[sim.P_LANES]))
            speed_idx[c] = nearest_speed(speeds, veh[c, 0, sim.C_SPEED])
            prev_acc[c] = veh[c, 0, sim.C_ACC]


@njit(cache=True, error_model="numpy")
def observe_copy(veh, sim_, cross, c, p, po, kind, junc, out) -> None:
    """Copy ``c``'s observation into ``out``.

    ``junc`` is scratch space of the contract's ``JUNCTION_FIELDS`` length.
    """
    junction.features(sim_, c, p, junc)
    observe(
        kind,
        veh[c, 0, sim.C_X],
        veh[c, 0, sim.C_Y],
        veh[c, 0, sim.C_HEAD],
        veh[c, 0, sim.C_SPEED],
        veh[c, 1:, :6],
        cross[c],
        junc,
        po,
        out,
    )


@njit(cache=True, error_model="numpy")
def observe_rows(veh, sim_, cross, rows, p, po, kind, out) -> None:
    """Observations of the copies ``rows`` into ``out`` (``(B, D)`` float32)."""
    junc = np.empty(N_JUNCTION)
    for r in range(rows.shape[0]):
        observe_copy(veh, sim_, cross, rows[r], p, po, kind, junc, out[rows[r]])


@njit(cache=True, error_model="numpy")
def step_batch(
    veh, sim_, cross, p, q, po, speeds, actions, lane, speed_idx, prev_acc, obs, parts, kpi
):
    """One agent step of every copy: ``actions`` is ``(B,)`` meta-actions or ``(B, 2)``.

    Writes observations ``obs (B, D)``, reward parts ``parts (B, 6)`` and KPIs
    ``kpi (B, len(KPI_NAMES))``; the ego's collision flag is ``sim_[:, S_COLLIDED]``.
    """
    n = veh.shape[1]
    lanes, lw, dt = int(p[sim.P_LANES]), p[sim.P_LW], p[sim.P_DT]
    meta, substeps, kind = q[Q_META] > 0.5, int(q[Q_SUBSTEPS]), int(q[Q_KIND])
    scratch = np.empty((7, n))
    order = np.empty(n, dtype=np.int64)
    tab = np.empty((2, n + 1, lanes + 1), dtype=np.int64)
    junc = np.empty(N_JUNCTION)
    for c in range(veh.shape[0]):
        x0 = veh[c, 0, sim.C_X]
        lane0 = lane_of(veh[c, 0, sim.C_Y], lw, lanes)
        acc, steer = 0.0, 0.0
        if meta:
            lane[c], speed_idx[c] = apply_meta(
                int(actions[c, 0]), lane[c], speed_idx[c], lanes, speeds.shape[0]
            )
        else:
            acc, steer = float(actions[c, 0]), float(actions[c, 1])
        jerk = 0.0
        taken = 0
        red = 0.0
        for _ in range(substeps):
            taken += 1
            if meta:
                acc, steer = meta_command(
                    veh[c, 0, sim.C_Y],
                    veh[c, 0, sim.C_HEAD],
                    veh[c, 0, sim.C_SPEED],
                    lane[c] * lw,
                    speeds[speed_idx[c]],
                    p[sim.P_AMAX],
                    p[sim.P_STEER],
                )
            sim.advance_copy(veh, sim_, cross, c, p, acc, steer, scratch, order, tab)
            red += sim_[c, sim.S_RED]
            jerk += abs(veh[c, 0, sim.C_ACC] - prev_acc[c]) / dt
            prev_acc[c] = veh[c, 0, sim.C_ACC]
            if sim_[c, sim.S_COLLIDED] > 0.5:
                break
        jerk /= taken
        ex, ey, eh, ev = (
            veh[c, 0, sim.C_X],
            veh[c, 0, sim.C_Y],
            veh[c, 0, sim.C_HEAD],
            veh[c, 0, sim.C_SPEED],
        )
        lane1 = lane_of(ey, lw, lanes)
        collided = sim_[c, sim.S_COLLIDED] > 0.5
        step_parts(
            x0,
            ex,
            ev,
            ey,
            collided,
            lane0,
            lane1,
            jerk,
            red,
            q[Q_PERIOD],
            q[Q_LO],
            q[Q_HI],
            p[sim.P_VMAX],
            lw,
            parts[c],
        )
        others = veh[c, 1:, :6]
        kpi[c, 0] = ev
        kpi[c, 1] = ex - x0
        kpi[c, 2] = 1.0 if collided else 0.0
        kpi[c, 3] = sim_[c, sim.S_OFFROAD]
        kpi[c, 4] = lane1
        kpi[c, 5] = 1.0 if lane1 != lane0 else 0.0
        kpi[c, 6] = headway(ex, ey, eh, ev, others)
        kpi[c, 7] = jerk
        kpi[c, 8] = veh[c, 0, sim.C_ACC]
        kpi[c, 9] = ex
        kpi[c, 10] = ey
        kpi[c, 11] = red
        observe_copy(veh, sim_, cross, c, p, po, kind, junc, obs[c])
