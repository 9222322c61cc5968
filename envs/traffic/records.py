"""The columns of the records every traffic backend writes each step, and their indices.

The kernels write the records by the column indices below, all derived from
:data:`INT_KPIS` and :data:`NET_KPIS`, so the tables are the one place a column is named.
"""

from __future__ import annotations

INT_KPIS = (
    "queue",
    "vehicles",
    "wait_total",
    "wait_change",
    "delay",
    "discharged",
    "outgoing",
    "switched",
)
"""Columns of the per-intersection record of a step: halted and present vehicles on the
incoming lanes (end of step), accumulated waiting of the vehicles there (s), its decrease
over the step, halted vehicle-seconds on them during the step, vehicles discharged,
vehicles on the outgoing links (end), 1 if a change of phase started."""

NET_KPIS = (
    "generated",
    "entered",
    "exited",
    "halted_seconds",
    "vehicle_seconds",
    "in_network",
    "waiting_to_enter",
    "queue_total",
    "generated_total",
    "entered_total",
    "exited_total",
    "delay_seconds",
    "teleports",
    "waiting_seconds",
)
"""Columns of the network record of a step: vehicles generated, entered and exited during
the step; halted and present vehicle-seconds during the step; vehicles inside and
waiting to enter at its end; halted vehicles at its end; cumulative generated, entered,
exited since reset; vehicle-seconds lost against free flow during the step (built-in:
the halted vehicle-seconds, as moving vehicles move at free speed; SUMO: time loss);
vehicles SUMO teleported during the step (built-in: 0); vehicle-seconds spent waiting to
enter during the step (vehicles due to depart that found no room on their first link)."""

INT_QUEUE = INT_KPIS.index("queue")
INT_VEHICLES = INT_KPIS.index("vehicles")
INT_WAIT_TOTAL = INT_KPIS.index("wait_total")
INT_WAIT_CHANGE = INT_KPIS.index("wait_change")
INT_DELAY = INT_KPIS.index("delay")
INT_DISCHARGED = INT_KPIS.index("discharged")
INT_OUTGOING = INT_KPIS.index("outgoing")
INT_SWITCHED = INT_KPIS.index("switched")

NET_GENERATED = NET_KPIS.index("generated")
NET_ENTERED = NET_KPIS.index("entered")
NET_EXITED = NET_KPIS.index("exited")
NET_HALTED_SECONDS = NET_KPIS.index("halted_seconds")
NET_VEHICLE_SECONDS = NET_KPIS.index("vehicle_seconds")
NET_IN_NETWORK = NET_KPIS.index("in_network")
NET_WAITING_TO_ENTER = NET_KPIS.index("waiting_to_enter")
NET_QUEUE_TOTAL = NET_KPIS.index("queue_total")
NET_GENERATED_TOTAL = NET_KPIS.index("generated_total")
NET_ENTERED_TOTAL = NET_KPIS.index("entered_total")
NET_EXITED_TOTAL = NET_KPIS.index("exited_total")
NET_DELAY_SECONDS = NET_KPIS.index("delay_seconds")
NET_TELEPORTS = NET_KPIS.index("teleports")
NET_WAITING_SECONDS = NET_KPIS.index("waiting_seconds")
