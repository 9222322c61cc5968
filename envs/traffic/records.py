"""The columns of the records every traffic backend writes each step, and their indices.

Each record's columns are named once, by a NamedTuple class (:class:`IntersectionRecord`,
:class:`NetworkRecord`); the kernels and the Python code index the records by name
through :data:`INT` and :data:`NET` (``rec_int[b, i, INT.queue]``), and the KPI names
(:data:`INT_KPIS`, :data:`NET_KPIS`) are the classes' fields, in column order.
"""

from __future__ import annotations

from typing import NamedTuple

from fieldgym.envs.core.tables import columns


class IntersectionRecord(NamedTuple):
    """The columns of the per-intersection record of a step, in order.

    Halted and present vehicles on the incoming lanes (end of step), accumulated waiting
    of the vehicles there (s), its decrease over the step, halted vehicle-seconds on
    them during the step, vehicles discharged, vehicles on the outgoing links (end), 1
    if a change of phase started.
    """

    queue: int
    vehicles: int
    wait_total: int
    wait_change: int
    delay: int
    discharged: int
    outgoing: int
    switched: int


class NetworkRecord(NamedTuple):
    """The columns of the network record of a step, in order.

    Vehicles generated, entered and exited during the step; halted and present
    vehicle-seconds during the step; vehicles inside and waiting to enter at its end;
    halted vehicles at its end; cumulative generated, entered, exited since reset;
    vehicle-seconds lost against free flow during the step (built-in: the halted
    vehicle-seconds, as moving vehicles move at free speed; SUMO: time loss); vehicles
    SUMO teleported during the step (built-in: 0); vehicle-seconds spent waiting to
    enter during the step (vehicles due to depart that found no room on their first
    link).
    """

    generated: int
    entered: int
    exited: int
    halted_seconds: int
    vehicle_seconds: int
    in_network: int
    waiting_to_enter: int
    queue_total: int
    generated_total: int
    entered_total: int
    exited_total: int
    delay_seconds: int
    teleports: int
    waiting_seconds: int


INT_KPIS = IntersectionRecord._fields
"""The per-intersection KPI names, in column order."""
NET_KPIS = NetworkRecord._fields
"""The network KPI names, in column order."""

INT = columns(IntersectionRecord)
"""The column of each per-intersection KPI: ``INT.queue`` ..."""
NET = columns(NetworkRecord)
"""The column of each network KPI: ``NET.generated`` ..."""
