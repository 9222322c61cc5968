"""Reading values of a fixed list of SUMO edges or lanes, the cheapest way per interface.

With libsumo, SUMO runs in the process and a getter is a plain function call: cheaper
than a subscription, which SUMO evaluates and stores at every tick and Python converts
to dicts at every read. With TraCI a getter is a round trip over a socket, so one
subscription read per tick is cheaper. Both return the same values (a test checks).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

NUMBER, HALTING, SPEED = 0x10, 0x14, 0x11
"""TraCI variable ids: vehicles, halted vehicles and mean speed of the last step."""
GETTERS = {
    NUMBER: "getLastStepVehicleNumber",
    HALTING: "getLastStepHaltingNumber",
    SPEED: "getLastStepMeanSpeed",
}
"""The getter of each variable (the same name in the edge and the lane domain)."""

Reader = Callable[[], list[list[Any]]]
"""Per variable, its value for each object after the last tick."""


def reader(domain: Any, ids: Sequence[str], variables: Sequence[int], subscribe: bool) -> Reader:
    """A function reading ``variables`` of the objects ``ids`` of ``domain``.

    Args:
        domain: ``conn.edge`` or ``conn.lane``.
        ids: The objects, in the order of the values returned.
        variables: Variable ids among :data:`GETTERS`.
        subscribe: Read through a subscription (TraCI) instead of getters (libsumo). The
            subscription is made here, so call this again after loading a simulation.
    """
    ids = list(ids)
    if not subscribe:
        getters = [getattr(domain, GETTERS[v]) for v in variables]
        return lambda: [list(map(get, ids)) for get in getters]
    for x in ids:
        domain.subscribe(x, list(variables))

    def read() -> list[list[Any]]:
        results = domain.getAllSubscriptionResults()
        return [[results[x][v] for x in ids] for v in variables]

    return read
