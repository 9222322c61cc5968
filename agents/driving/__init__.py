"""Driving baselines and the curriculum learner, registered in the agent registry.

* ``idm_mobil``: the ego driven by IDM (longitudinal) and MOBIL (lane changes) from the
  kinematics observation (:class:`~fieldgym.agents.driving.policies.IDMMobilPolicy`).
* ``constant_speed``: keep the lane and the starting speed
  (:class:`~fieldgym.agents.driving.policies.ConstantSpeedPolicy`).
* ``ppo_curriculum`` (and ``dqn_curriculum``, ``sac_curriculum``): a stable-baselines3
  learner trained under the traffic curriculum
  (:class:`~fieldgym.agents.driving.curriculum.CurriculumAgent`).

Only the registry is imported here; the policies load when an agent is made.
"""

from __future__ import annotations

from fieldgym.agents.registry import AgentEntry, add

_MODULE = "fieldgym.agents.driving.policies"

add(
    AgentEntry(
        "idm_mobil",
        f"{_MODULE}:IDMMobilPolicy",
        "baseline",
        "IDM car following and MOBIL lane changes as the ego's controller (kinematics obs)",
        domains=("driving",),
    )
)
add(
    AgentEntry(
        "constant_speed",
        f"{_MODULE}:ConstantSpeedPolicy",
        "baseline",
        "Keep the starting lane and speed (meta: always idle)",
        domains=("driving",),
    )
)
for _algo in ("ppo", "dqn", "sac"):
    add(
        AgentEntry(
            f"{_algo}_curriculum",
            "fieldgym.agents.driving.curriculum:CurriculumAgent",
            "learner",
            f"{_algo.upper()} trained under the traffic curriculum (levels 0 up to the env's "
            "level, advanced on a success-rate rule, collision penalty phased in)",
            domains=("driving",),
            defaults={"algo": _algo},
        )
    )
