"""The traffic metrics reported by the field, from one episode of per-step KPIs.

``avg_travel_time`` is CityFlow's average travel time (its engine's
``get_average_travel_time``, the headline of CoLight, PressLight, MPLight and LibSignal):
every vehicle due to depart so far counts, from its departure time to its arrival, or to
the episode's end if it has not arrived, time spent waiting to enter the network
included. So a policy cannot look good by keeping vehicles from finishing or from
entering. The other per-vehicle averages divide the vehicle-seconds inside the network
by the vehicles that entered it (``avg_time_in_network`` is the travel time without the
wait to enter); the vehicles still waiting to enter at the end are reported.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from fieldgym.envs.core.metrics import Metric, MetricTable
from fieldgym.envs.traffic.config import TrafficConfig

METRICS = MetricTable(
    headline="avg_waiting_time",
    metrics=(
        Metric("avg_waiting_time", "s/vehicle", False, "Halted seconds per vehicle that entered."),
        Metric(
            "avg_travel_time",
            "s/vehicle",
            False,
            "CityFlow's average travel time, waits to enter included.",
        ),
        Metric(
            "avg_time_in_network",
            "s/vehicle",
            False,
            "Seconds in the network per vehicle that entered.",
        ),
        Metric(
            "avg_delay",
            "s/vehicle",
            False,
            "Seconds lost against free flow per vehicle that entered.",
        ),
        Metric(
            "avg_queue",
            "vehicles",
            False,
            "Halted vehicles in the network, mean over decision steps.",
        ),
        Metric("throughput", "vehicles", True, "Vehicles that finished their trip."),
        Metric(
            "throughput_per_hour", "vehicles/h", True, "Vehicles that finished their trip per hour."
        ),
        Metric("entered", "vehicles", True, "Vehicles that entered the network."),
        Metric(
            "waiting_to_enter",
            "vehicles",
            False,
            "Vehicles still waiting to enter at the episode's end.",
        ),
        Metric("teleports", "count", False, "Vehicles SUMO teleported (jams)."),
    ),
)
"""The metrics :func:`episode_metrics` returns, and the headline a comparison ranks by."""


def episode_metrics(kpis: Mapping[str, np.ndarray], config: TrafficConfig) -> dict[str, float]:
    """Waiting time, travel time, delay, queue length and throughput of one episode.

    Args:
        kpis: Per-step KPI arrays of one episode, one row per decision step (as
            :class:`~fieldgym.envs.core.wrappers.RecordKPIs` gives them).
        config: The environment's config (for the step length).

    Returns:
        ``avg_waiting_time`` (halted seconds per vehicle), ``avg_travel_time`` (CityFlow's,
        module docstring), ``avg_time_in_network`` (seconds in the network per vehicle),
        ``avg_delay`` (seconds lost against free flow per vehicle), ``avg_queue`` (halted
        vehicles in the network, mean over decision steps),
        ``throughput`` (vehicles that finished their trip), ``throughput_per_hour``,
        ``entered``, ``waiting_to_enter`` (at the episode's end) and ``teleports`` (SUMO).
    """
    entered = float(np.sum(kpis["entered"]))
    per_vehicle = 1.0 / entered if entered > 0 else 0.0
    steps = len(kpis["entered"])
    hours = steps * config.delta_time / 3600.0
    exited = float(np.sum(kpis["exited"]))
    generated = float(np.sum(kpis["generated"]))
    travel = float(np.sum(kpis["vehicle_seconds"]) + np.sum(kpis["waiting_seconds"]))
    return {
        "avg_waiting_time": float(np.sum(kpis["halted_seconds"])) * per_vehicle,
        "avg_travel_time": travel / generated if generated > 0 else 0.0,
        "avg_time_in_network": float(np.sum(kpis["vehicle_seconds"])) * per_vehicle,
        "avg_delay": float(np.sum(kpis["delay_seconds"])) * per_vehicle,
        "avg_queue": float(np.mean(kpis["queue_total"])) if steps else 0.0,
        "throughput": exited,
        "throughput_per_hour": exited / hours if hours > 0 else 0.0,
        "entered": entered,
        "waiting_to_enter": float(np.asarray(kpis["waiting_to_enter"])[-1]) if steps else 0.0,
        "teleports": float(np.sum(kpis["teleports"])),
    }
