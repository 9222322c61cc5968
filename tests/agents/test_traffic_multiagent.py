"""The traffic grid with the agent layer's multi-agent tools: baselines and shared PPO."""

from __future__ import annotations

import numpy as np
import pytest

from fieldgym.agents import make_agent
from fieldgym.agents.base import RandomParallelPolicy
from fieldgym.agents.evaluation import evaluate
from fieldgym.agents.multiagent import SharedAgentsVecEnv
from fieldgym.agents.target import ParallelTarget

GRID = "fieldgym/TrafficGrid-v1"


def test_grid_baselines_through_evaluate():
    target = ParallelTarget(GRID, {"rows": 2, "cols": 2, "max_episode_steps": 150})
    tables = {
        name: evaluate(make_agent(name, target), seeds=[5, 6])
        for name in ("fixed_time", "max_pressure")
    }
    tables["random"] = evaluate(RandomParallelPolicy(target), seeds=[5, 6])
    waits = {name: float(t["avg_waiting_time"].mean()) for name, t in tables.items()}
    assert waits["max_pressure"] < waits["fixed_time"] < waits["random"]
    assert (tables["max_pressure"]["length"] == 150).all()


def test_the_bridge_sees_one_row_per_intersection():
    target = ParallelTarget(GRID, {"rows": 2, "cols": 3})
    venv = SharedAgentsVecEnv(target.make, 2)
    obs = venv.reset()
    assert obs.shape == (2 * 6, 33)
    venv.step_async(np.zeros(12, dtype=np.int64))
    obs, rewards, dones, _ = venv.step_wait()
    assert obs.shape == (12, 33) and rewards.shape == (12,) and not dones.any()
    venv.close()


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_shared_ppo_trains_and_acts_on_the_grid():
    target = ParallelTarget(
        GRID, {"rows": 2, "cols": 2, "max_episode_steps": 40, "reward_weights": {"wait": 0.01}}
    )
    agent = make_agent(
        "shared_ppo", target, n_copies=1, hyperparams={"n_steps": 64, "batch_size": 64}
    )
    agent.fit(256, seed=0)
    table = evaluate(agent, seeds=[1])
    assert table["length"].iloc[0] == 40
    assert np.isfinite(table["avg_waiting_time"]).all()
