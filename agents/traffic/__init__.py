"""Classical traffic-signal baselines, registered in the agent registry.

* ``fixed_time``: a fixed plan, Webster's cycle and splits by default.
* ``max_pressure``: the phase of largest pressure (Varaiya).
* ``sotl``: self-organizing traffic lights (Gershenson; Cools et al.).
* ``actuated``: vehicle-actuated control with gap-out.

``random`` (uniform phases) is registered for every domain. Only the registry is
imported here; the policies load when an agent is made.
"""

from __future__ import annotations

from fieldgym.agents.registry import AgentEntry, add

_MODULE = "fieldgym.agents.traffic.policies"

for _name, _cls, _text in (
    ("fixed_time", "FixedTimePolicy", "Fixed-time signal plan; Webster's cycle and splits"),
    ("max_pressure", "MaxPressurePolicy", "Max-pressure signal control (Varaiya)"),
    ("sotl", "SOTLPolicy", "Self-organizing traffic lights (SOTL)"),
    ("actuated", "ActuatedPolicy", "Vehicle-actuated signal control with gap-out"),
):
    add(AgentEntry(_name, f"{_MODULE}:{_cls}", "baseline", _text, domains=("traffic",)))
