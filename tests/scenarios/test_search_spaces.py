"""Every search space holds its learner's untuned defaults: a study's first trial runs them."""

from __future__ import annotations

import inspect

import optuna
import pytest

from fieldgym.agents import make_agent
from fieldgym.agents.sb3 import ALGORITHMS
from fieldgym.agents.target import make_target
from fieldgym.scenarios.search_spaces import SPACES, default_point

UAV = ("fieldgym/UAVOffloading-v1", {"num_users": 12, "max_cycles": 12})
INVENTORY = ("fieldgym/MultiEchelonInventory-v1", {})

# Defaults the spaces cannot hold exactly, with how far their point may sit from them.
NEAREST = {"ent_coef": 1e-7, "gae_lambda": 1.01e-3}


def resolved_defaults(policy, agent: str) -> dict:
    """The untuned learner's hyperparameters, stable-baselines3's own defaults included."""
    if agent == "mappo":
        return dict(policy.hp)
    algo = ALGORITHMS["ppo" if agent == "shared_ppo" else agent]
    own = {
        name: p.default
        for name, p in inspect.signature(algo).parameters.items()
        if p.default is not inspect.Parameter.empty
    }
    return {**own, **policy.hyperparams}


@pytest.mark.parametrize("agent", sorted(SPACES))
def test_the_default_point_reproduces_the_untuned_learner(agent):
    env_id, kwargs = UAV if agent in ("shared_ppo", "mappo") else INVENTORY
    target = make_target(env_id, kwargs)
    rows = len(target.make().possible_agents) if agent in ("shared_ppo", "mappo") else 1
    untuned = make_agent(agent, target, tuned=False)
    params = SPACES[agent](optuna.trial.FixedTrial(default_point(agent, rows)), rows)
    copies = params.get("n_envs", params.get("n_copies"))
    assert copies == getattr(untuned, "n_envs", getattr(untuned, "n_copies", None))
    defaults = resolved_defaults(untuned, agent)
    compared = 0
    for name, value in params["hyperparams"].items():
        if name == "policy_kwargs":
            continue
        expected = defaults[name]
        if name == "target_update_interval":  # drawn in vector steps of the copies
            assert abs(value - expected) < copies
        elif isinstance(expected, str):  # SAC's ent_coef and target_entropy: "auto"
            assert value == expected, name
        elif name == "batch_size" and agent == "shared_ppo":  # a power-of-two minibatch count
            assert 2**-0.5 <= value / expected <= 2**0.5
        else:
            assert value == pytest.approx(expected, rel=1e-6, abs=NEAREST.get(name, 0.0)), name
        compared += 1
    assert compared >= 6
