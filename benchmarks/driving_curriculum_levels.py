"""When does the curriculum learner of ``scenarios/driving_curriculum.yaml`` advance?

Run from the repository root (about 4 minutes on 2 cores)::

    .venv/bin/python benchmarks/driving_curriculum_levels.py

Trains ``ppo_curriculum`` with the scenario's environment, parameters, budget and seeds
(the runner does not keep the level history) and writes the training episode and step at
which each traffic level started to ``reports/driving_curriculum/levels.md``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import torch

from fieldgym.agents import EnvTarget, make_agent
from fieldgym.scenarios.plan.planner import load_scenario

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    torch.set_num_threads(1)
    plan = load_scenario(ROOT / "scenarios" / "driving_curriculum.yaml")
    env = plan.envs[0]
    agent_plan = plan.agent("ppo_curriculum")
    target = EnvTarget(env.id, env.kwargs)
    lines = [
        "# Curriculum levels during training",
        "",
        "Written by `benchmarks/driving_curriculum_levels.py` (same environment, parameters, "
        f"budget of {agent_plan.train_steps:,} steps and seeds as `ppo_curriculum` in "
        "`scenarios/driving_curriculum.yaml`).",
        "",
        "| seed | level | started at training episode | ≈ training step |",
        "|---|---:|---:|---:|",
    ]
    for seed in plan.seeds:
        agent = make_agent(agent_plan.name, target, **agent_plan.params)
        agent.fit(agent_plan.train_steps, seed=seed)
        curve = agent.learning_curve
        for episode, level in agent.level_history:
            step = curve[min(episode, len(curve)) - 1]["step"] if episode > 0 else 0
            lines.append(f"| {seed} | {level} | {episode:,} | {step:,} |")
        print(f"seed {seed}: {agent.level_history}", file=sys.stderr)
    out = ROOT / "reports" / "driving_curriculum"
    out.mkdir(parents=True, exist_ok=True)
    (out / "levels.md").write_text("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
