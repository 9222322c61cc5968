"""RLlib as a client: PPO (new API stack) trains one iteration on fieldgym envs.

A single-agent id is given to RLlib as the string ``"fieldgym:<id>"``, so the env runner
that makes it (a remote Ray actor) imports fieldgym itself; fieldgym's native vector env
works there in next-step autoreset; TrafficGrid goes through RLlib's
``ParallelPettingZooEnv`` with one policy shared by every intersection.

Runs only where the ``rllib`` extra is installed. RLlib pins its gymnasium, so that is a
venv of its own: ``pip install -c constraints-rllib.txt -e ".[dev,rllib]"``. Ray runs
locally (no dashboard, one CPU per actor) and each run samples a few hundred steps.
"""

from __future__ import annotations

import math

import pytest

pytest.importorskip(
    "ray.rllib",
    reason='RLlib needs the rllib extra: pip install -c constraints-rllib.txt -e ".[dev,rllib]"',
    exc_type=ImportError,
)

import ray
from ray.rllib.algorithms.ppo import PPOConfig
from ray.rllib.core.rl_module.default_model_config import DefaultModelConfig
from ray.rllib.env.wrappers.pettingzoo_env import ParallelPettingZooEnv
from ray.tune.registry import register_env

import fieldgym

SINGLE_ID = "fieldgym/MultiEchelonInventory-v1"
GRID_ID = "fieldgym/TrafficGrid-v1"
GRID_NAME = "fieldgym_traffic_grid"
"""The name RLlib knows TrafficGrid's env creator by."""

BATCH = 128
"""Env steps sampled per iteration (for TrafficGrid, each step is one per intersection)."""


@pytest.fixture(scope="module")
def local_ray():
    ray.init(
        num_cpus=2,
        include_dashboard=False,
        log_to_driver=False,
        configure_logging=False,
        ignore_reinit_error=True,
    )
    yield
    ray.shutdown()


def tiny_ppo() -> PPOConfig:
    return (
        PPOConfig()
        .framework("torch")
        .training(
            train_batch_size_per_learner=BATCH,
            minibatch_size=64,
            num_epochs=1,
            lr=3e-4,
        )
        .rl_module(model_config=DefaultModelConfig(fcnet_hiddens=[16], vf_share_layers=True))
        .reporting(min_sample_timesteps_per_iteration=0, min_time_s_per_iteration=0)
        .debugging(seed=0, log_level="ERROR")
    )


def train_once(config: PPOConfig) -> dict:
    algo = config.build_algo()
    try:
        return algo.train()
    finally:
        algo.stop()


def check_learned(result: dict, module_id: str) -> None:
    """The iteration sampled env steps and updated ``module_id`` with finite losses."""
    assert result["env_runners"]["num_env_steps_sampled"] >= BATCH
    stats = result["learners"][module_id]
    for loss in ("total_loss", "policy_loss", "vf_loss"):
        assert math.isfinite(float(stats[loss])), (loss, stats[loss])
    assert stats["num_module_steps_trained"] > 0


def test_ppo_trains_on_a_single_agent_id_given_as_a_string(local_ray):
    # One remote env runner: it makes the env from the string alone, never having
    # imported fieldgym, which only the "fieldgym:" prefix brings in.
    config = (
        tiny_ppo()
        .environment(f"fieldgym:{SINGLE_ID}")
        .env_runners(num_env_runners=1, num_envs_per_env_runner=1, rollout_fragment_length=BATCH)
    )
    check_learned(train_once(config), "default_policy")


def test_ppo_trains_on_a_native_vector_env_in_next_step_autoreset(local_ray):
    """RLlib expects next-step autoreset: with it, episodes keep their every step.

    Native vector envs used to reset a copy in the step that ended its episode only, so
    RLlib on them lost a transition per episode. The kwargs in ``env_config`` reach
    ``gymnasium.make_vec`` and so the native env's constructor.
    """
    limit = 7
    config = (
        tiny_ppo()
        .environment(
            f"fieldgym:{SINGLE_ID}",
            env_config={"autoreset_mode": "NextStep", "max_episode_steps": limit},
        )
        .env_runners(
            num_env_runners=0,
            num_envs_per_env_runner=4,
            rollout_fragment_length=BATCH // 4,
            gym_env_vectorize_mode="vector_entry_point",
        )
    )
    result = train_once(config)
    check_learned(result, "default_policy")
    assert result["env_runners"]["episode_len_mean"] == limit


def test_ppo_trains_one_shared_policy_on_traffic_grid(local_ray):
    register_env(GRID_NAME, lambda env_config: ParallelPettingZooEnv(make_grid(env_config)))
    config = (
        tiny_ppo()
        .environment(GRID_NAME)
        .multi_agent(
            policies={"shared"},
            policy_mapping_fn=lambda agent_id, episode, **kwargs: "shared",
        )
        .env_runners(num_env_runners=0, rollout_fragment_length=BATCH)
    )
    result = train_once(config)
    check_learned(result, "shared")
    # Every intersection acted at every env step, and all of them through the one module.
    agents = len(fieldgym.make_parallel(GRID_ID).possible_agents)
    assert result["env_runners"]["num_module_steps_sampled"]["shared"] == agents * BATCH
    assert result["learners"]["shared"]["num_module_steps_trained"] >= agents * BATCH


def make_grid(env_config: dict):
    """TrafficGrid from RLlib's ``env_config`` (which a remote runner would unpickle)."""
    import fieldgym  # a remote env runner process has not imported it

    return fieldgym.make_parallel(GRID_ID, **dict(env_config))
