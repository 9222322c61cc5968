"""The built-in simulator of CityFlow networks: discrete vehicles, each on its own route.

:func:`advance` moves ``B`` independent copies of a road network (:mod:`.model`) through
one decision step (``delta_time`` seconds in ticks of ``dt = step_length``). It is a
mesoscopic model: every vehicle is simulated, but along a road it moves at free speed and
it waits only in the queue of the movement it takes at the road's end (a vertical queue
that still occupies the road: roads have a storage and spill back).

One decision, per agent (signalized intersection), as on generated grids
(:func:`~fieldgym.envs.traffic.dynamics.decide`): min and max green, then a change shows
``yellow_time + all_red_time`` of clearance before the new green. During the clearance a
movement green in both the old and the new phase keeps going (CityFlow's right turns, and
SUMO's transition states); the others stop. Non-signalized intersections let every
movement go at all times; virtual (border) intersections are where routes start and end.

One tick ``t``, per copy, in this order:

1. Road ends: moving vehicles whose free-flow time on their road is over reach its end.
   A vehicle's free-flow time on a road is ``max(1, ceil(length / min(speed, max_speed)
   / dt))`` ticks, its speed there the smaller of the road's and its own top speed
   (:attr:`~.model.Trips.max_speed`), as in CityFlow. A road is FIFO: a vehicle reaches
   the end no earlier than the one that entered before it, so a fast vehicle catches up
   with a slow one and follows it (a single-lane queueing approximation; CityFlow's
   car-following does not overtake within a lane either). On its last road a vehicle
   leaves the network (wherever the road ends); otherwise it joins the FIFO queue of the
   movement onto its next road.
2. Discharge: a movement of ``n`` lanes holds a credit that grows by
   ``n * saturation_flow / 3600 * dt`` a tick, capped at ``n``; while green, while its
   outbound road has room (fewer vehicles than its storage ``max(1, floor(length * lanes
   * jam_density))``) and while the credit is at least 1, it sends its first queued
   vehicle onto the outbound road (spending 1). Movements are served in a fixed order,
   so under spillback the first takes the room.
3. Departures: vehicles whose departure time has come (``ceil(depart / dt)``) join the
   entry buffer (FIFO) of their first road: they are generated.
4. Entering: each entry buffer sends vehicles onto the start of its road as a movement
   does (credit of the road's lanes, room on the road); the others keep waiting.
5. Accounting: queued vehicles are halted for the tick (moving ones move at free speed);
   vehicles on the roads and in the entry buffers are counted for the tick.
6. Signals count down the clearance (then the new phase is green) or add a tick of green.

A vehicle that reaches a road's end at tick ``t`` and is sent on at ``t`` never halts; a
vehicle entering at tick ``t`` is in the network at the end of ticks ``t`` to ``t' - 1``
when it leaves at ``t'``: its time in the network is its free-flow time when nothing
stops it or holds it back. A queued vehicle's waiting at its intersection is ``(now -
joined) * dt``; a movement's waiting account is the sum over its queue, and a discharged
vehicle takes exactly its own away, so the records' ``delay`` (halted vehicle-seconds in
the step) is ``wait_end - wait_start + waits discharged`` without a per-tick sweep.

Vehicles live in preallocated ``(B, V)`` arrays and in singly linked lists (``next``)
with head and tail per road (moving vehicles), per movement (queue) and per entry buffer
(a vehicle is in at most one list). Nothing is random: the trips are replayed.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit

from fieldgym.envs.traffic.dynamics import S_DELTA, S_DT, decide
from fieldgym.envs.traffic.records import INT, NET

# vehicle status
PENDING, BUFFERED, MOVING, QUEUED, ARRIVED = 0, 1, 2, 3, 4
# columns of CityState.totals
T_GENERATED, T_ENTERED, T_EXITED, T_QUEUED = 0, 1, 2, 3
EPS = 1e-9


class CityNet(NamedTuple):
    """The network and trips as flat arrays, shared by all copies.

    ``R`` roads, ``M`` movements of all intersections, ``I`` agents with ``G`` lane
    groups, ``V`` vehicles.

    Attributes:
        road_ticks: ``(R,)`` free-flow ticks of each road (at the road's speed).
        road_storage: ``(R,)`` vehicles a road holds.
        road_rate: ``(R,)`` entry credit gained a tick (lanes × saturation flow × dt).
        road_cap: ``(R,)`` entry credit cap (lanes).
        entry_roads: Roads that are some vehicle's first road.
        mv_out: ``(M,)`` outbound road of each movement.
        mv_in: ``(M,)`` inbound road of each movement.
        mv_rate: ``(M,)`` discharge credit gained a tick.
        mv_cap: ``(M,)`` discharge credit cap (lanes).
        mv_agent: ``(M,)`` agent controlling the movement, ``-1`` if it always goes.
        mv_group: ``(M,)`` its lane group at that agent.
        route_road: Road of each route position (all routes concatenated).
        route_move: Movement taken at the end of that road, ``-1`` on the last road.
        route_ticks: Free-flow ticks of that road for that vehicle (at the smaller of the
            road's speed and the vehicle's own).
        route_start: ``(V,)`` first route position of each vehicle.
        depart_tick: ``(V,)`` tick of each vehicle's departure, ascending.
        group_move: ``(I, G)`` movement of each lane group, ``-1`` for padding.
        in_ptr: ``(I + 1,)`` agent ``i``'s incoming roads are
            ``in_roads[in_ptr[i]:in_ptr[i + 1]]``.
        in_roads: Incoming roads of all agents.
        out_ptr: As ``in_ptr``, for the outgoing roads.
        out_roads: Outgoing roads of all agents.
        phase_lanes: ``(I, P, G)`` 1 where a lane group is green in a phase.
        phase_counts: ``(I,)`` green phases of each agent.
    """

    road_ticks: np.ndarray
    road_storage: np.ndarray
    road_rate: np.ndarray
    road_cap: np.ndarray
    entry_roads: np.ndarray
    mv_out: np.ndarray
    mv_in: np.ndarray
    mv_rate: np.ndarray
    mv_cap: np.ndarray
    mv_agent: np.ndarray
    mv_group: np.ndarray
    route_road: np.ndarray
    route_move: np.ndarray
    route_ticks: np.ndarray
    route_start: np.ndarray
    depart_tick: np.ndarray
    group_move: np.ndarray
    in_ptr: np.ndarray
    in_roads: np.ndarray
    out_ptr: np.ndarray
    out_roads: np.ndarray
    phase_lanes: np.ndarray
    phase_counts: np.ndarray


class CityState(NamedTuple):
    """The state of ``B`` copies (changed in place by :func:`advance`).

    Attributes:
        status: ``(B, V)`` int8, ``PENDING``, ``BUFFERED``, ``MOVING``, ``QUEUED`` or
            ``ARRIVED``.
        pos: ``(B, V)`` route position (index into ``route_road``) of each vehicle.
        time: ``(B, V)`` moving: the tick it reaches its road's end (never before the
            vehicle ahead of it); queued: the tick it joined the queue.
        next: ``(B, V)`` the next vehicle in the vehicle's list, ``-1`` at the tail.
        road_head: ``(B, R)`` first moving vehicle on each road (``-1``: none).
        road_tail: ``(B, R)`` last moving vehicle on each road.
        road_count: ``(B, R)`` vehicles on each road, moving and queued.
        road_credit: ``(B, R)`` entry credit of each road.
        buf_head: ``(B, R)`` first vehicle waiting to enter each road.
        buf_tail: ``(B, R)`` last vehicle waiting to enter each road.
        mv_head: ``(B, M)`` first vehicle in each movement's queue.
        mv_tail: ``(B, M)`` last vehicle in each movement's queue.
        mv_queue: ``(B, M)`` vehicles queued for each movement.
        mv_joined: ``(B, M)`` sum of the ticks at which they joined the queue.
        mv_moving: ``(B, M)`` moving vehicles on the inbound road that take the movement.
        mv_credit: ``(B, M)`` discharge credit of each movement.
        phase: ``(B, I)`` green phase (the old one while a change is under way).
        next_phase: ``(B, I)`` phase after the change under way.
        clear: ``(B, I)`` ticks of yellow and all red left (0: green).
        elapsed: ``(B, I)`` seconds the current green has lasted.
        clock: ``(B,)`` ticks since reset.
        next_depart: ``(B,)`` the next vehicle to depart.
        totals: ``(B, 4)`` vehicles generated, entered, exited since reset; queued now.
    """

    status: np.ndarray
    pos: np.ndarray
    time: np.ndarray
    next: np.ndarray
    road_head: np.ndarray
    road_tail: np.ndarray
    road_count: np.ndarray
    road_credit: np.ndarray
    buf_head: np.ndarray
    buf_tail: np.ndarray
    mv_head: np.ndarray
    mv_tail: np.ndarray
    mv_queue: np.ndarray
    mv_joined: np.ndarray
    mv_moving: np.ndarray
    mv_credit: np.ndarray
    phase: np.ndarray
    next_phase: np.ndarray
    clear: np.ndarray
    elapsed: np.ndarray
    clock: np.ndarray
    next_depart: np.ndarray
    totals: np.ndarray


LIST_ENDS = frozenset(
    ("next", "road_head", "road_tail", "buf_head", "buf_tail", "mv_head", "mv_tail")
)
"""The :class:`CityState` fields that link vehicles into lists: ``-1`` (none) at reset."""


def new_state(net: CityNet, num_copies: int) -> CityState:
    """An empty state of ``num_copies`` copies (call :func:`reset_state` before use)."""
    b, v = num_copies, len(net.depart_tick)
    r, m, i = len(net.road_ticks), len(net.mv_out), len(net.phase_counts)

    def ints(*shape: int) -> np.ndarray:
        return np.zeros(shape, dtype=np.int64)

    return CityState(
        status=np.zeros((b, v), dtype=np.int8),
        pos=ints(b, v),
        time=ints(b, v),
        next=ints(b, v),
        road_head=ints(b, r),
        road_tail=ints(b, r),
        road_count=ints(b, r),
        road_credit=np.zeros((b, r)),
        buf_head=ints(b, r),
        buf_tail=ints(b, r),
        mv_head=ints(b, m),
        mv_tail=ints(b, m),
        mv_queue=ints(b, m),
        mv_joined=ints(b, m),
        mv_moving=ints(b, m),
        mv_credit=np.zeros((b, m)),
        phase=ints(b, i),
        next_phase=ints(b, i),
        clear=ints(b, i),
        elapsed=np.zeros((b, i)),
        clock=ints(b),
        next_depart=ints(b),
        totals=ints(b, 4),
    )


def reset_state(state: CityState, net: CityNet, mask: np.ndarray | None = None) -> None:
    """Empty the network of the copies selected by ``mask`` (all if ``None``).

    Clock 0, every vehicle still to depart, phase 0 green, full credits: every field is
    reset to its :data:`LIST_ENDS` or credit value, or else 0.
    """
    rows = slice(None) if mask is None else np.asarray(mask)
    credits = {"road_credit": net.road_cap, "mv_credit": net.mv_cap}
    for name, array in zip(state._fields, state, strict=True):
        array[rows] = credits.get(name, -1 if name in LIST_ENDS else 0)


@njit(cache=True)
def _push(nxt, head, tail, b, key, v):
    """Append vehicle ``v`` to the list ``key`` of copy ``b`` (a road, movement or buffer)."""
    nxt[b, v] = -1
    last = tail[b, key]
    if last >= 0:
        nxt[b, last] = v
    else:
        head[b, key] = v
    tail[b, key] = v


@njit(cache=True)
def _pop(nxt, head, tail, b, key):
    """Remove and return the first vehicle of the list ``key`` of copy ``b`` (not empty)."""
    v = head[b, key]
    following = nxt[b, v]
    head[b, key] = following
    if following < 0:
        tail[b, key] = -1
    return v


@njit(cache=True)
def _enter_road(state, route_ticks, route_move, b, v, road, pos, t):
    """Vehicle ``v`` of copy ``b`` starts road ``road`` (route position ``pos``) at tick ``t``.

    It reaches the end after its free-flow ticks, but not before the vehicle ahead (FIFO).
    """
    state.status[b, v] = MOVING
    state.pos[b, v] = pos
    arrive = t + route_ticks[pos]
    ahead = state.road_tail[b, road]
    if ahead >= 0 and state.time[b, ahead] > arrive:
        arrive = state.time[b, ahead]
    state.time[b, v] = arrive
    _push(state.next, state.road_head, state.road_tail, b, road, v)
    state.road_count[b, road] += 1
    m = route_move[pos]
    if m >= 0:
        state.mv_moving[b, m] += 1


@njit(cache=True)
def _green(phase_lanes, phase, next_phase, clear, b, a, g):
    """Whether lane group ``g`` of agent ``a`` of copy ``b`` may go this tick."""
    if phase_lanes[a, phase[b, a], g] == 0:
        return False
    # while clearing, only what stays green in the next phase keeps going
    return clear[b, a] == 0 or phase_lanes[a, next_phase[b, a], g] == 1


@njit(cache=True)
def _tick(state, net, b, dt, rec_int, rec_net, discharged_wait):
    """One tick of copy ``b`` (steps 1-5 of the module docstring)."""
    t = state.clock[b]
    totals, nxt = state.totals, state.next
    # 1. road ends
    for r in range(state.road_head.shape[1]):
        while state.road_head[b, r] >= 0 and state.time[b, state.road_head[b, r]] <= t:
            v = _pop(nxt, state.road_head, state.road_tail, b, r)
            m = net.route_move[state.pos[b, v]]
            if m < 0:
                state.status[b, v] = ARRIVED
                state.road_count[b, r] -= 1
                totals[b, T_EXITED] += 1
                rec_net[b, NET.exited] += 1.0
            else:
                state.mv_moving[b, m] -= 1
                state.status[b, v] = QUEUED
                state.time[b, v] = t
                _push(nxt, state.mv_head, state.mv_tail, b, m, v)
                state.mv_queue[b, m] += 1
                state.mv_joined[b, m] += t
                totals[b, T_QUEUED] += 1
    # 2. discharge
    for m in range(state.mv_head.shape[1]):
        credit = min(state.mv_credit[b, m] + net.mv_rate[m], net.mv_cap[m])
        a = net.mv_agent[m]
        if (
            state.mv_queue[b, m] > 0
            and credit >= 1.0 - EPS
            and (
                a < 0
                or _green(
                    net.phase_lanes, state.phase, state.next_phase, state.clear, b, a,
                    net.mv_group[m],
                )
            )
        ):  # fmt: skip
            out = net.mv_out[m]
            storage = net.road_storage[out]
            while (
                credit >= 1.0 - EPS
                and state.mv_head[b, m] >= 0
                and state.road_count[b, out] < storage
            ):
                v = _pop(nxt, state.mv_head, state.mv_tail, b, m)
                joined = state.time[b, v]
                state.mv_queue[b, m] -= 1
                state.mv_joined[b, m] -= joined
                totals[b, T_QUEUED] -= 1
                state.road_count[b, net.mv_in[m]] -= 1
                if a >= 0:
                    rec_int[b, a, INT.discharged] += 1.0
                    discharged_wait[a] += (t - joined) * dt
                _enter_road(
                    state, net.route_ticks, net.route_move, b, v, out, state.pos[b, v] + 1, t
                )
                credit -= 1.0
        state.mv_credit[b, m] = credit
    # 3. departures
    n_vehicles = net.depart_tick.shape[0]
    v = state.next_depart[b]
    while v < n_vehicles and net.depart_tick[v] <= t:
        pos = net.route_start[v]
        state.status[b, v] = BUFFERED
        state.pos[b, v] = pos
        _push(nxt, state.buf_head, state.buf_tail, b, net.route_road[pos], v)
        totals[b, T_GENERATED] += 1
        rec_net[b, NET.generated] += 1.0
        v += 1
    state.next_depart[b] = v
    # 4. entering
    for k in range(net.entry_roads.shape[0]):
        road = net.entry_roads[k]
        credit = min(state.road_credit[b, road] + net.road_rate[road], net.road_cap[road])
        storage = net.road_storage[road]
        while (
            credit >= 1.0 - EPS
            and state.buf_head[b, road] >= 0
            and state.road_count[b, road] < storage
        ):
            v = _pop(nxt, state.buf_head, state.buf_tail, b, road)
            _enter_road(state, net.route_ticks, net.route_move, b, v, road, state.pos[b, v], t)
            totals[b, T_ENTERED] += 1
            rec_net[b, NET.entered] += 1.0
            credit -= 1.0
        state.road_credit[b, road] = credit
    # 5. accounting
    rec_net[b, NET.halted_seconds] += totals[b, T_QUEUED] * dt
    rec_net[b, NET.vehicle_seconds] += (totals[b, T_ENTERED] - totals[b, T_EXITED]) * dt
    rec_net[b, NET.waiting_seconds] += (totals[b, T_GENERATED] - totals[b, T_ENTERED]) * dt


@njit(cache=True)
def _wait_total(mv_queue, mv_joined, clock, group_move, b, i, dt):
    """Waiting accumulated by the vehicles queued at agent ``i``'s lane groups, s."""
    now = clock[b]
    total = 0
    for g in range(group_move.shape[1]):
        m = group_move[i, g]
        if m >= 0:
            total += now * mv_queue[b, m] - mv_joined[b, m]
    return total * dt


@njit(cache=True)
def advance(state, net, actions, scalars, at, rec_int, rec_net, obs):
    """Advance every copy by one decision step, in place; write the records and observations.

    Args:
        state: :class:`CityState` of ``B`` copies.
        net: :class:`CityNet`.
        actions: ``(B, I)`` requested phases.
        scalars: Packed parameters, indexed by :mod:`~fieldgym.envs.traffic.dynamics`'s
            ``S_*`` constants (``S_DT``, ``S_DELTA``, ``S_LOST``, ``S_MIN``, ``S_MAX``).
        at: Where each observation block starts
            (:class:`~fieldgym.envs.traffic.system.ObservationBlocks`).
        rec_int: ``(B, I, len(INT_KPIS))`` output, the step's intersection record.
        rec_net: ``(B, len(NET_KPIS))`` output, the step's network record.
        obs: ``(B, I, D)`` float32 output, the observations after the step.
    """
    n_copies, n_int = state.phase.shape
    dt = scalars[S_DT]
    ticks = int(scalars[S_DELTA])
    switched = np.zeros((n_copies, n_int))
    decide(
        state.phase, state.next_phase, state.clear, state.elapsed, actions, scalars,
        net.phase_counts, switched,
    )  # fmt: skip
    discharged_wait = np.zeros(n_int)
    for b in range(n_copies):
        rec_int[b] = 0.0
        rec_net[b] = 0.0
        for i in range(n_int):
            start = _wait_total(
                state.mv_queue, state.mv_joined, state.clock, net.group_move, b, i, dt
            )
            rec_int[b, i, INT.wait_change] = start
            discharged_wait[i] = -start
            rec_int[b, i, INT.switched] = switched[b, i]
        for _ in range(ticks):
            _tick(state, net, b, dt, rec_int, rec_net, discharged_wait)
            for i in range(n_int):
                if state.clear[b, i] > 0:
                    state.clear[b, i] -= 1
                    if state.clear[b, i] == 0:
                        state.phase[b, i] = state.next_phase[b, i]
                else:
                    state.elapsed[b, i] += dt
            state.clock[b] += 1
        # delay = wait_end - wait_start + waits discharged; observe adds wait_end
        for i in range(n_int):
            rec_int[b, i, INT.delay] = discharged_wait[i]
    observe(state, net, at, dt, rec_int, rec_net, obs)


@njit(cache=True)
def observe(state, net, at, dt, rec_int, rec_net, obs):
    """Write the end-of-step state of every copy to the records and the observations.

    The observation of agent ``i`` has the blocks of
    :func:`~fieldgym.envs.traffic.system.observation_layout`, each starting where ``at``
    says: the one-hot green phase (P), the seconds of green so far, then per lane group the
    halted (queued) vehicles, the moving vehicles on its inbound road that will take it,
    and the vehicles on its outbound road (G each).
    """
    phase, mv_queue, road_count = state.phase, state.mv_queue, state.road_count
    totals = state.totals
    group_move, in_ptr, out_ptr = net.group_move, net.in_ptr, net.out_ptr
    n_copies, n_int = phase.shape
    n_groups = group_move.shape[1]
    n_phases = at.elapsed - at.phase
    for b in range(n_copies):
        for i in range(n_int):
            for p in range(n_phases):
                obs[b, i, at.phase + p] = 1.0 if phase[b, i] == p else 0.0
            obs[b, i, at.elapsed] = state.elapsed[b, i]
            queue = 0.0
            for g in range(n_groups):
                m = group_move[i, g]
                halted, moving, outgoing = 0.0, 0.0, 0.0
                if m >= 0:
                    halted = float(mv_queue[b, m])
                    moving = float(state.mv_moving[b, m])
                    outgoing = float(road_count[b, net.mv_out[m]])
                obs[b, i, at.queue + g] = halted
                obs[b, i, at.approaching + g] = moving
                obs[b, i, at.outgoing + g] = outgoing
                queue += halted
            vehicles = 0.0
            for k in range(in_ptr[i], in_ptr[i + 1]):
                vehicles += road_count[b, net.in_roads[k]]
            outgoing_i = 0.0
            for k in range(out_ptr[i], out_ptr[i + 1]):
                outgoing_i += road_count[b, net.out_roads[k]]
            wait = _wait_total(mv_queue, state.mv_joined, state.clock, group_move, b, i, dt)
            rec_int[b, i, INT.queue] = queue
            rec_int[b, i, INT.vehicles] = vehicles
            rec_int[b, i, INT.wait_total] = wait
            rec_int[b, i, INT.wait_change] -= wait
            rec_int[b, i, INT.delay] += wait
            rec_int[b, i, INT.outgoing] = outgoing_i
        generated = totals[b, T_GENERATED]
        entered = totals[b, T_ENTERED]
        exited = totals[b, T_EXITED]
        rec_net[b, NET.in_network] = entered - exited
        rec_net[b, NET.waiting_to_enter] = generated - entered
        rec_net[b, NET.queue_total] = totals[b, T_QUEUED]
        rec_net[b, NET.generated_total] = generated
        rec_net[b, NET.entered_total] = entered
        rec_net[b, NET.exited_total] = exited
        rec_net[b, NET.delay_seconds] = rec_net[b, NET.halted_seconds]
        rec_net[b, NET.teleports] = 0.0
