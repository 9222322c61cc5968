"""Circuit-search baselines, registered in the agent registry.

* ``greedy``: the gate with the best immediate fidelity
  (:class:`~fieldgym.agents.quantum.policies.GreedyCircuit`).
* ``beam_search``: beam search over gate sequences with the env's dynamics
  (:class:`~fieldgym.agents.quantum.policies.BeamSearchCircuit`).
* ``qiskit_stateprep``: qiskit's ``StatePreparation`` transpiled to the env's gates and
  coupling map, the reference gate and CNOT counts
  (:class:`~fieldgym.agents.quantum.policies.QiskitStatePreparation`).
* ``dqn_reuse``: DQN with probabilistic policy reuse of a DQN saved on another noise
  pattern (:class:`~fieldgym.agents.quantum.reuse.PolicyReuseDQN`; learner).

Only the registry is imported here; the policies (and qiskit) load when an agent is made.
"""

from __future__ import annotations

from fieldgym.agents.registry import AgentEntry, add

_MODULE = "fieldgym.agents.quantum.policies"

for _name, _cls, _text in (
    ("greedy", "GreedyCircuit", "Circuit search: the gate with the best immediate fidelity"),
    ("beam_search", "BeamSearchCircuit", "Circuit search: beam search over gate sequences"),
    (
        "qiskit_stateprep",
        "QiskitStatePreparation",
        "qiskit's StatePreparation transpiled to the env's gates and coupling map",
    ),
):
    add(AgentEntry(_name, f"{_MODULE}:{_cls}", "baseline", _text, domains=("quantum",)))
add(
    AgentEntry(
        "dqn_reuse",
        "fieldgym.agents.quantum.reuse:PolicyReuseDQN",
        "learner",
        "DQN with probabilistic reuse of a saved DQN (source=FOLDER) across noise patterns",
        domains=("quantum",),
    )
)
