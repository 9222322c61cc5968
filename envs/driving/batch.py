"""The vector env's compiled step.

Meta-action control, simulation, observation, reward parts and KPIs of every copy in one
call, with the same compiled functions the single env uses.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from fieldgym.envs.driving import junction, sim
from fieldgym.envs.driving.control import (
    apply_meta,
    lane_of,
    meta_command,
    nearest_speed,
    step_kpis,
    step_parts,
)
from fieldgym.envs.driving.observe import observe
from fieldgym.envs.driving.state import (
    CONTINUOUS,
    CONTROL,
    JUNCTION,
    META_ACTION,
    OTHER,
    PARAM,
    SCRATCH,
    SIM,
    VEH,
)


def control_params(config, kind: int) -> np.ndarray:
    """The control parameter vector of :func:`step_batch` (:class:`.state.ControlColumns`)."""
    q = np.zeros(len(CONTROL))
    q[CONTROL.meta] = 1.0 if config.action_type == "meta" else 0.0
    q[CONTROL.substeps] = config.substeps
    q[CONTROL.period] = 1.0 / config.policy_frequency
    q[CONTROL.band_low], q[CONTROL.band_high] = config.speed_band
    q[CONTROL.kind] = kind
    return q


@njit(cache=True, error_model="numpy")
def start_controls(veh, mask, lane, speed_idx, prev_acc, p, speeds) -> None:
    """Target lane and speed, and last acceleration, of freshly reset copies."""
    for c in range(veh.shape[0]):
        if mask[c]:
            lane[c] = lane_of(veh[c, 0, VEH.y], p[PARAM.lane_width], int(p[PARAM.lanes]))
            speed_idx[c] = nearest_speed(speeds, veh[c, 0, VEH.speed])
            prev_acc[c] = veh[c, 0, VEH.acceleration]


@njit(cache=True, error_model="numpy")
def observe_copy(veh, sim_, cross, c, p, po, kind, junc, out) -> None:
    """Copy ``c``'s observation into ``out``.

    ``junc`` is scratch space of the contract's ``JUNCTION_FIELDS`` length.
    """
    junction.features(sim_, c, p, junc)
    observe(
        kind,
        veh[c, 0, VEH.x],
        veh[c, 0, VEH.y],
        veh[c, 0, VEH.heading],
        veh[c, 0, VEH.speed],
        veh[c, 1:, : len(OTHER)],
        cross[c],
        junc,
        po,
        out,
    )


@njit(cache=True, error_model="numpy")
def observe_rows(veh, sim_, cross, rows, p, po, kind, out) -> None:
    """Observations of the copies ``rows`` into ``out`` (``(B, D)`` float32)."""
    junc = np.empty(len(JUNCTION))
    for r in range(rows.shape[0]):
        observe_copy(veh, sim_, cross, rows[r], p, po, kind, junc, out[rows[r]])


@njit(cache=True, error_model="numpy")
def step_batch(
    veh, sim_, cross, p, q, po, speeds, actions, lane, speed_idx, prev_acc, obs, parts, kpi
):
    """One agent step of every copy.

    ``actions`` is ``(B, len(META_ACTION))`` meta-actions or ``(B, len(CONTINUOUS))``.
    Writes observations ``obs (B, D)``, reward parts ``parts (B, len(PART_NAMES))`` and KPIs
    ``kpi (B, len(KPI_NAMES))``; the ego's collision flag is ``sim_[:, SIM.collided]``.
    """
    n = veh.shape[1]
    lanes, lw, dt = int(p[PARAM.lanes]), p[PARAM.lane_width], p[PARAM.dt]
    meta, substeps = q[CONTROL.meta] > 0.5, int(q[CONTROL.substeps])
    kind = int(q[CONTROL.kind])
    scratch = np.empty((len(SCRATCH), n))
    order = np.empty(n, dtype=np.int64)
    tab = np.empty((2, n + 1, lanes + 1), dtype=np.int64)
    junc = np.empty(len(JUNCTION))
    for c in range(veh.shape[0]):
        x0 = veh[c, 0, VEH.x]
        lane0 = lane_of(veh[c, 0, VEH.y], lw, lanes)
        acc, steer = 0.0, 0.0
        if meta:
            lane[c], speed_idx[c] = apply_meta(
                int(actions[c, META_ACTION.action]), lane[c], speed_idx[c], lanes, speeds.shape[0]
            )
        else:
            acc = float(actions[c, CONTINUOUS.acceleration])
            steer = float(actions[c, CONTINUOUS.steering])
        jerk = 0.0
        taken = 0
        red = 0.0
        for _ in range(substeps):
            taken += 1
            if meta:
                acc, steer = meta_command(
                    veh[c, 0, VEH.y],
                    veh[c, 0, VEH.heading],
                    veh[c, 0, VEH.speed],
                    lane[c] * lw,
                    speeds[speed_idx[c]],
                    p[PARAM.max_acceleration],
                    p[PARAM.max_steering],
                )
            sim.advance_copy(veh, sim_, cross, c, p, acc, steer, scratch, order, tab)
            red += sim_[c, SIM.red_light]
            jerk += abs(veh[c, 0, VEH.acceleration] - prev_acc[c]) / dt
            prev_acc[c] = veh[c, 0, VEH.acceleration]
            if sim_[c, SIM.collided] > 0.5:
                break
        jerk /= taken
        ex, ey, eh, ev = (
            veh[c, 0, VEH.x],
            veh[c, 0, VEH.y],
            veh[c, 0, VEH.heading],
            veh[c, 0, VEH.speed],
        )
        lane1 = lane_of(ey, lw, lanes)
        collided = sim_[c, SIM.collided] > 0.5
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
            q[CONTROL.period],
            q[CONTROL.band_low],
            q[CONTROL.band_high],
            p[PARAM.max_speed],
            lw,
            parts[c],
        )
        step_kpis(
            x0,
            ex,
            ey,
            eh,
            ev,
            veh[c, 0, VEH.acceleration],
            veh[c, 1:, : len(OTHER)],
            collided,
            sim_[c, SIM.offroad] > 0.5,
            lane0,
            lane1,
            jerk,
            red,
            kpi[c],
        )
        observe_copy(veh, sim_, cross, c, p, po, kind, junc, obs[c])
