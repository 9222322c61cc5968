"""Classical baselines and their evaluation run without torch, single- and multi-agent.

``ParallelTarget``, ``ParallelPolicy`` and ``evaluate_parallel`` used to live in
``agents/multiagent.py`` beside the learners, so evaluating a UAV planner imported torch
and stable-baselines3 (seconds of import time, and a dependency a planner does not need).
"""

from __future__ import annotations

import json
import subprocess
import sys

SCRIPT = """
import json, sys
from fieldgym.agents import make_agent
from fieldgym.agents.evaluation import evaluate
from fieldgym.agents.target import make_target

rows = {}
for env_id, agent, kwargs in [
    ("fieldgym/UAVOffloading-v1", "kmeans_hover", {"max_cycles": 3}),
    ("fieldgym/TrafficGrid-v1", "max_pressure", {"max_episode_steps": 2}),
    ("fieldgym/MultiEchelonInventory-v1", "clark_scarf", {"preset": "serial"}),
]:
    target = make_target(env_id, kwargs)
    table = evaluate(make_agent(agent, target), seeds=[0], max_steps=3)
    rows[env_id] = [target.kind, len(table)]
heavy = [m for m in ("torch", "stable_baselines3") if m in sys.modules]
print(json.dumps({"heavy": heavy, "rows": rows}))
"""


def test_classical_baselines_evaluate_without_importing_torch():
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr[-2000:]
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found["heavy"] == []
    assert found["rows"] == {
        "fieldgym/UAVOffloading-v1": ["parallel", 1],
        "fieldgym/TrafficGrid-v1": ["parallel", 1],
        "fieldgym/MultiEchelonInventory-v1": ["single", 1],
    }
