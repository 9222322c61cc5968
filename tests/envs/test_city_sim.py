"""The built-in simulator of CityFlow networks (discrete vehicles on their own routes),
checked on tiny hand-built networks against hand calculations."""

from __future__ import annotations

import numpy as np
import pytest

from fieldgym.envs.traffic.city.model import (
    Intersection,
    LightPhase,
    Movement,
    Road,
    RoadNet,
    Trips,
)
from fieldgym.envs.traffic.city.system import CitySystem
from fieldgym.envs.traffic.config import TrafficConfig
from fieldgym.envs.traffic.records import INT_KPIS, NET_KPIS

NET = {name: k for k, name in enumerate(NET_KPIS)}
INT = {name: k for k, name in enumerate(INT_KPIS)}
SPEED = 10.0


def build(nodes, roads, signals):
    """A RoadNet from ``nodes`` (name -> virtual), ``roads`` ((start, end, length, lanes))
    and ``signals`` (name -> (movements ((in road, out road, lanes)), phases (movement
    indices))); roads are indices into ``roads``."""
    names = list(nodes)
    at = {name: k for k, name in enumerate(names)}
    road_objs = tuple(
        Road(
            id=f"{a}_{b}",
            start=at[a],
            end=at[b],
            points=((0.0, 0.0), (float(length), 0.0)),
            lane_speeds=(SPEED,) * lanes,
            lane_widths=(3.0,) * lanes,
        )
        for a, b, length, lanes in roads
    )
    inters = []
    for name in names:
        moves, phases = signals.get(name, ((), ()))
        movements = tuple(
            Movement(i, o, "go_straight", tuple((k, 0) for k in range(lanes)))
            for i, o, lanes in moves
        )
        light = tuple(LightPhase(30.0, tuple(p)) for p in phases)
        inters.append(Intersection(name, (0.0, 0.0), nodes[name], movements, light))
    return RoadNet(tuple(inters), road_objs)


def corridor(lengths, lanes=1, cross=100.0, third=False):
    """Signals X0..X{k-1} along a main road W -> X0 -> ... -> E (``lengths``, k + 1 roads),
    each crossed by N{i} -> X{i} -> S{i}; phase 0 lets the main road go, phase 1 the cross
    road. Roads: main 0..k, then per signal its cross in and out. ``third``: the last
    signal also has a right turn from the main road onto its cross road and a third
    phase with the right turn alone.
    """
    k = len(lengths) - 1
    nodes = {"W": True, "E": True}
    for i in range(k):
        nodes |= {f"X{i}": False, f"N{i}": True, f"S{i}": True}
    chain = ["W", *[f"X{i}" for i in range(k)], "E"]
    roads = [(a, b, length, lanes) for a, b, length in zip(chain, chain[1:], lengths, strict=False)]
    signals = {}
    for i in range(k):
        cin, cout = len(roads), len(roads) + 1
        roads += [(f"N{i}", f"X{i}", cross, 1), (f"X{i}", f"S{i}", cross, 1)]
        moves = [(i, i + 1, lanes), (cin, cout, 1)]
        phases = [[0], [1]]
        if third and i == k - 1:
            moves.append((i, cout, 1))
            phases = [[0, 2], [1], [2]]
        signals[f"X{i}"] = (moves, phases)
    return build(nodes, roads, signals)


def trips(routes, depart, max_speed=None):
    """Trips of vehicles with ``routes`` (lists of roads) departing at ``depart``, with top
    speeds ``max_speed`` (m/s; ``None``: none of their own)."""
    starts = np.cumsum([0] + [len(r) for r in routes])
    return Trips(
        depart=np.asarray(depart, dtype=np.float64),
        route_start=starts.astype(np.int64),
        roads=np.asarray([r for route in routes for r in route], dtype=np.int64),
        max_speed=None if max_speed is None else np.asarray(max_speed, dtype=np.float64),
    )


def config(**fields):
    return TrafficConfig(max_green=1000.0, **fields)


def run(system, actions, steps):
    """Step ``system`` with fixed ``actions`` ((B, I) or a function of the step)."""
    system.reset(np.random.default_rng(0))
    out = []
    for k in range(steps):
        act = actions(k) if callable(actions) else actions
        out.append(system.step(np.asarray(act), np.random.default_rng(0)))
    obs, rec_int, rec_net = (np.stack(parts) for parts in zip(*out, strict=True))
    return obs, rec_int, rec_net


@pytest.mark.parametrize("step_length", [1.0, 0.5])
def test_single_vehicle_takes_its_free_flow_time(step_length):
    """Alone on an empty route across a green signal: time in network = free-flow time."""
    net = corridor([100.0, 150.0])
    system = CitySystem(config(step_length=step_length), net, trips([[0, 1]], [3.0]), 1)
    _, rec_int, rec_net = run(system, np.zeros((1, 1)), 12)
    assert rec_net[:, 0, NET["vehicle_seconds"]].sum() == pytest.approx(100 / SPEED + 150 / SPEED)
    assert rec_net[:, 0, NET["generated"]].sum() == 1
    assert rec_net[-1, 0, NET["exited_total"]] == 1
    assert rec_net[:, 0, NET["halted_seconds"]].sum() == 0
    assert rec_net[:, 0, NET["waiting_seconds"]].sum() == 0
    assert rec_int[:, 0, 0, INT["discharged"]].sum() == 1
    travel = rec_net[:, 0, NET["vehicle_seconds"]] + rec_net[:, 0, NET["waiting_seconds"]]
    assert travel.sum() / rec_net[:, 0, NET["generated"]].sum() == pytest.approx(25.0)


@pytest.mark.parametrize(
    ("max_speed", "step_length", "seconds"),
    [
        (5.0, 1.0, 20.0 + 30.0),  # below the road's 10 m/s: its own speed
        (5.0, 0.5, 50.0),
        (4.0, 1.0, 25.0 + 38.0),  # 150 m at 4 m/s = 37.5 s: rounded up to whole ticks
        (4.0, 0.5, 25.0 + 37.5),
        (20.0, 1.0, 10.0 + 15.0),  # above the road's: the road's
        (np.inf, 1.0, 25.0),
    ],
)
def test_free_flow_time_is_at_the_slower_of_road_and_vehicle(max_speed, step_length, seconds):
    net = corridor([100.0, 150.0])
    demand = trips([[0, 1]], [3.0], max_speed=[max_speed])
    system = CitySystem(config(step_length=step_length), net, demand, 1)
    _, _, rec_net = run(system, np.zeros((1, 1)), 16)
    assert rec_net[-1, 0, NET["exited_total"]] == 1
    assert rec_net[:, 0, NET["vehicle_seconds"]].sum() == pytest.approx(seconds)
    assert rec_net[:, 0, NET["halted_seconds"]].sum() == 0


def test_a_slower_vehicle_ahead_holds_back_a_faster_one():
    """One road (FIFO): a vehicle cannot reach the end before the one that entered before
    it; behind a faster one, a slow vehicle keeps its own pace."""
    net = corridor([100.0, 150.0])
    slow_first = CitySystem(config(), net, trips([[0], [0]], [0.0, 5.0], [2.5, np.inf]), 1)
    _, _, rec_net = run(slow_first, lambda k: [[1]], 10)
    exited = rec_net[:, 0, NET["exited"]]
    assert exited[8] == 2 and exited.sum() == 2  # the slow one at 40 s, the fast one with it
    assert rec_net[:, 0, NET["vehicle_seconds"]].sum() == pytest.approx(40.0 + 35.0)
    assert rec_net[:, 0, NET["halted_seconds"]].sum() == 0  # held back, but moving
    fast_first = CitySystem(config(), net, trips([[0], [0]], [0.0, 5.0], [np.inf, 2.5]), 1)
    _, _, rec_net = run(fast_first, lambda k: [[1]], 10)
    exited = rec_net[:, 0, NET["exited"]]
    assert exited[2] == 1 and exited[9] == 1  # at 10 s, and at 45 s
    assert rec_net[:, 0, NET["vehicle_seconds"]].sum() == pytest.approx(10.0 + 40.0)


def test_route_ending_at_an_interior_intersection_leaves_there():
    """A route whose last road ends at a signal leaves when it reaches the end, even red."""
    net = corridor([100.0, 150.0])
    system = CitySystem(config(), net, trips([[0]], [0.0]), 1)
    _, rec_int, rec_net = run(system, lambda k: [[1]], 6)
    exited = rec_net[:, 0, NET["exited"]]
    assert exited[2] == 1 and exited.sum() == 1  # reaches the end at 10 s: step 2
    assert rec_net[:, 0, NET["vehicle_seconds"]].sum() == pytest.approx(10.0)
    assert rec_int[:, 0, 0, INT["discharged"]].sum() == 0
    assert rec_int[:, 0, 0, INT["outgoing"]].sum() == 0  # never on the next road
    assert rec_net[:, 0, NET["halted_seconds"]].sum() == 0


def busy_corridor(n=200, seed=0, third=False):
    net = corridor([200.0, 120.0, 60.0], lanes=2, third=third)
    rng = np.random.default_rng(seed)
    choices = [[0, 1, 2], [0, 1], [1, 2], [0], [3, 4], [5, 6], [1, 2], [2]]
    if third:
        choices += [[0, 1, 6], [1, 6]]
    routes = [choices[k] for k in rng.integers(len(choices), size=n)]
    depart = np.sort(rng.uniform(0, 300, size=n))
    return net, trips(routes, depart)


def test_vehicles_are_conserved_at_every_step():
    net, trip = busy_corridor()
    system = CitySystem(config(), net, trip, 2)
    rng = np.random.default_rng(1)
    obs, _, rec_net = run(system, lambda k: rng.integers(2, size=(2, 2)), 120)
    r = rec_net
    assert np.all(r[..., NET["generated_total"]] == np.cumsum(r[..., NET["generated"]], axis=0))
    assert np.all(r[..., NET["entered_total"]] == np.cumsum(r[..., NET["entered"]], axis=0))
    assert np.all(r[..., NET["exited_total"]] == np.cumsum(r[..., NET["exited"]], axis=0))
    gen, ent, ext = (r[..., NET[c]] for c in ("generated_total", "entered_total", "exited_total"))
    assert np.all(gen == ent + r[..., NET["waiting_to_enter"]])
    assert np.all(ent == ext + r[..., NET["in_network"]])
    assert np.all(r[..., NET["delay_seconds"]] == r[..., NET["halted_seconds"]])
    assert np.all(r[..., NET["teleports"]] == 0)
    state = system.state
    assert np.array_equal(state.road_count.sum(axis=1), r[-1, :, NET["in_network"]])
    assert np.all(state.road_count >= 0) and np.all(state.road_count <= system.arrays.road_storage)
    assert r[-1, 0, NET["exited_total"]] == 200  # everyone got through
    assert np.all(obs >= 0) and np.all(obs <= system.high)


def test_records_match_the_vehicles():
    """Per intersection: queue, wait and delay agree with the queued vehicles' own clocks."""
    net, trip = busy_corridor()
    system = CitySystem(config(), net, trip, 1)
    rng = np.random.default_rng(2)
    obs, rec_int, rec_net = run(system, lambda k: rng.integers(2, size=(1, 2)), 40)
    # delay = wait_end - wait_start + waits discharged >= 0; wait_change telescopes
    assert np.all(rec_int[..., INT["delay"]] >= 0)
    wait = rec_int[..., INT["wait_total"]]
    assert np.allclose(-np.cumsum(rec_int[..., INT["wait_change"]], axis=0), wait)
    halted = rec_int[..., INT["delay"]].sum(axis=-1)
    assert np.all(halted <= rec_net[..., NET["halted_seconds"]] + 1e-9)
    assert np.array_equal(rec_int[..., INT["queue"]].sum(axis=-1), rec_net[..., NET["queue_total"]])
    queue = obs[..., system.layout["queue"][0]].sum(axis=-1)
    assert np.array_equal(queue, rec_int[..., INT["queue"]])
    state, arrays = system.state, system.arrays
    queued = state.status[0] == 3
    now = state.clock[0]
    for i in range(2):
        mine = np.isin(arrays.route_move[state.pos[0]], arrays.group_move[i]) & queued
        assert wait[-1, 0, i] == pytest.approx(float((now - state.time[0, mine]).sum()))


def test_queue_discharges_at_saturation_flow():
    """40 vehicles queued on a 2-lane approach: 2 x 1800 veh/h = 5 per 5 s step of green."""
    net = corridor([300.0, 1000.0], lanes=2)
    system = CitySystem(config(), net, trips([[0, 1]] * 40, [0.0] * 40), 1)
    actions = lambda k: [[1]] if k < 16 else [[0]]  # noqa: E731
    _, rec_int, _ = run(system, actions, 26)
    discharged = rec_int[:, 0, 0, INT["discharged"]]
    assert discharged[:16].sum() == 0
    assert rec_int[15, 0, 0, INT["queue"]] == 40  # all at the stop line, red
    # switch: 3 s yellow, then the credit of 2 lanes full: 2 + 1
    assert discharged[16] == 3
    assert np.all(discharged[17:23] == 2 * 1800 / 3600 * 5)
    assert discharged.sum() == 40


def test_spillback_and_waiting_to_enter():
    """A 2-vehicle road held red at its end blocks the signal before it, which then blocks
    the entry: vehicles wait to enter the full first road."""
    net = corridor([96.0, 16.0, 100.0])  # storage at 1 / 8 m: 12, 2, 12
    system = CitySystem(config(jam_density=0.125), net, trips([[0, 1, 2]] * 20, [0.0] * 20), 1)
    hold = lambda k: [[0, 1]] if k < 30 else [[0, 0]]  # noqa: E731
    _, rec_int, rec_net = run(system, hold, 60)
    assert rec_int[:30, 0, 0, INT["discharged"]].sum() == 2  # then the short road is full
    assert rec_int[29, 0, 0, INT["queue"]] == 12
    assert rec_int[29, 0, 0, INT["vehicles"]] == 12
    assert rec_int[29, 0, 1, INT["queue"]] == 2
    assert rec_int[29, 0, 0, INT["outgoing"]] == 2
    assert rec_net[29, 0, NET["waiting_to_enter"]] == 6
    assert rec_net[29, 0, NET["waiting_seconds"]] == pytest.approx(6 * 5.0)
    assert np.all(np.diff(rec_net[:, 0, NET["waiting_to_enter"]][:30]) <= 0)
    assert rec_net[-1, 0, NET["exited_total"]] == 20


def test_batch_equals_single_runs_and_masked_reset():
    net, trip = busy_corridor(n=150, seed=3)
    rng = np.random.default_rng(4)
    plan = rng.integers(2, size=(50, 3, 2))
    batch = CitySystem(config(), net, trip, 3)
    together = run(batch, lambda k: plan[k], 50)
    for b in range(3):
        single = CitySystem(config(), net, trip, 1)
        alone = run(single, lambda k, b=b: plan[k, b : b + 1], 50)
        for x, y in zip(together, alone, strict=True):
            assert np.array_equal(x[:, b], y[:, 0])
    assert not np.array_equal(together[2][:, 0], together[2][:, 1])  # the actions matter
    # reset copy 1 only: it restarts, the others go on
    before = batch.step(plan[0], rng)
    obs = batch.reset(rng, np.array([False, True, False]))
    fresh = CitySystem(config(), net, trip, 1)
    assert np.array_equal(obs[1], fresh.reset(rng)[0])
    assert np.array_equal(obs[[0, 2]], before[0][[0, 2]])
    after = batch.step(plan[1], rng)
    again = fresh.step(plan[1, 1:2], rng)
    for x, y in zip(after, again, strict=True):
        assert np.array_equal(x[1], y[0])
    assert after[2][0, NET["generated_total"]] > after[2][1, NET["generated_total"]]


def test_padded_phases_keep_the_current_and_max_green_stays_among_own_phases():
    net, trip = busy_corridor(third=True)
    system = CitySystem(TrafficConfig(min_green=10.0, max_green=15.0), net, trip, 1)
    assert system.num_phases == 3 and list(system.phase_counts) == [2, 3]
    assert system.layout["queue"][1] == 3
    obs, rec_int, _ = run(system, [[2, 2]], 40)
    phases = obs[:, 0, :, :3].argmax(axis=-1)
    assert set(phases[:, 0]) == {0, 1}  # X0 has two phases: 2 keeps, max_green cycles 0, 1
    assert set(phases[:, 1]) == {0, 2}  # X1 takes 2, then max_green moves on to 0
    switched = rec_int[:, 0, :, INT["switched"]]
    # a green never lasts past 15 s: 0 ends at step 3, then 3 s yellow and 12 s of 1
    assert np.array_equal(np.flatnonzero(switched[:, 0])[:3], [3, 6, 9])
    padded = system.layout_info.movements[0] < 0
    assert padded.sum() == 1
    for block in ("queue", "approaching", "outgoing"):
        values = obs[:, 0, 0, system.layout[block][0]]
        assert np.all(values[:, padded] == 0)
    assert np.all(system.phase_lanes[0, 2] == 0)


def test_observations_stay_within_bounds_and_interface():
    net, trip = busy_corridor(n=400, seed=5)
    system = CitySystem(config(jam_density=0.2), net, trip, 2)
    rng = np.random.default_rng(6)
    obs, _, _ = run(system, lambda k: rng.integers(2, size=(2, 2)), 80)
    high = system.high
    assert obs.dtype == np.float32 and obs.shape[2:] == (2, system.observation_size)
    assert np.all(obs >= 0) and np.all(obs <= high)
    assert obs[..., system.layout["queue"][0]].max() > 0
    assert np.all(high[:, :2] <= 1.0 + 1e-6)
    assert np.all(np.isfinite(high))
    assert system.agent_names == ["X0", "X1"]
    assert system.approach_length.tolist() == [[200.0, 100.0], [120.0, 100.0]]
    assert system.lane_saturation().tolist() == [[3600.0, 1800.0], [3600.0, 1800.0]]
    flows = system.lane_flows()
    assert flows.shape == (2, 2) and np.all(flows > 0)
    states = system.signal_states()
    assert states.shape == (2, 2) and set(np.unique(states)) <= {0, 1, 2}
    image = system.render(obs[-1, 0])
    assert image.ndim == 3 and image.dtype == np.uint8
    assert system.outgoing_per_group and system.plan_greens.shape == (2, 2)


def test_a_route_without_a_movement_is_refused():
    net = corridor([100.0, 150.0])
    with pytest.raises(ValueError, match="no movement connects"):
        CitySystem(config(), net, trips([[0, 3]], [0.0]), 1)
