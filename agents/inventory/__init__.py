"""Classical inventory baselines, registered in the agent registry.

* ``base_stock``: echelon base-stock policy with given levels
  (:class:`~fieldgym.agents.inventory.policies.EchelonBaseStock`).
* ``clark_scarf``: the optimal echelon base-stock policy of a serial system, with its exact
  expected cost (:class:`~fieldgym.agents.inventory.policies.ClarkScarfPolicy`).
* ``s_S``: installation (s, S) policy (:class:`~fieldgym.agents.inventory.policies.InstallationSS`).
* ``base_stock_search``: echelon base-stock levels tuned by simulation
  (:class:`~fieldgym.agents.inventory.policies.BaseStockSearch`), the reference for
  distribution networks and other systems Clark–Scarf does not cover.

Only the registry is imported here; the policies (and scipy) load when an agent is made.
"""

from __future__ import annotations

from fieldgym.agents.registry import AgentEntry, add

_MODULE = "fieldgym.agents.inventory.policies"

for _name, _cls, _text in (
    ("base_stock", "EchelonBaseStock", "Echelon base-stock policy with given levels=[...]"),
    (
        "clark_scarf",
        "ClarkScarfPolicy",
        "Optimal echelon base-stock levels of a serial system (Clark-Scarf), exact cost",
    ),
    ("s_S", "InstallationSS", "Installation (s, S) policy per stage; heuristic defaults"),
    (
        "base_stock_search",
        "BaseStockSearch",
        "Echelon base-stock levels tuned by simulation (common random numbers)",
    ),
):
    add(AgentEntry(_name, f"{_MODULE}:{_cls}", "baseline", _text, domains=("inventory",)))
