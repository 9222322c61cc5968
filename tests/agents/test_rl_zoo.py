"""rl-zoo3 trains from the shipped hyperparameter files, as agents/hyperparams.py promises.

``python -m rl_zoo3.train ... --gym-packages fieldgym --conf-file hyperparams/ppo.yml``
runs in a subprocess with the network refused (rl-zoo3 imports the Hugging Face hub
client, which must stay offline), and rl-zoo3's reader skips fieldgym's variant keys.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import subprocess
import sys

import pytest
from stable_baselines3 import PPO

from fieldgym.agents import hyperparams

if importlib.util.find_spec("rl_zoo3") is None:  # not importorskip: see unpatched_gymnasium
    pytest.skip("rl_zoo3 is in the dev extra", allow_module_level=True)


@pytest.fixture
def unpatched_gymnasium():
    """Undo what importing rl_zoo3 does to gymnasium, for the tests after this one.

    rl_zoo3's ``gym_patches`` replaces ``gymnasium.wrappers.TimeLimit`` for the whole
    process with a TimeLimit that does not truncate an episode ending at the limit. An
    import at collection time leaked it into every test of the session (the vector-env
    contract test then disagreed with SyncVectorEnv on Driving).
    """
    import gymnasium.wrappers
    import gymnasium.wrappers.common

    saved = gymnasium.wrappers.TimeLimit, gymnasium.wrappers.common.TimeLimit
    yield
    gymnasium.wrappers.TimeLimit, gymnasium.wrappers.common.TimeLimit = saved


ENV_ID = "fieldgym/MultiEchelonInventory-v1"
SHIPPED = hyperparams.path_of("ppo")

OFFLINE = """
import runpy, socket, sys

def refuse(*args, **kwargs):
    raise OSError(f"rl-zoo3 tried to reach the network: {args!r}")

socket.socket.connect = socket.socket.connect_ex = refuse
socket.getaddrinfo = socket.create_connection = refuse
sys.argv = ["rl_zoo3.train", *sys.argv[1:]]
runpy.run_module("rl_zoo3.train", run_name="__main__")
"""
"""Runs rl-zoo3's train script with every network connection and name lookup refused."""


def shipped_entry() -> dict:
    found = hyperparams.lookup("ppo", ENV_ID, {})
    if found is None or found[0] != ENV_ID:
        pytest.skip(f"{SHIPPED} has no entry for {ENV_ID} yet")
    return found[1]


@pytest.mark.slow
def test_rl_zoo_trains_ppo_from_the_shipped_file_offline(tmp_path):
    entry = shipped_entry()
    env = {
        **os.environ,
        "HF_HUB_OFFLINE": "1",
        "HF_HUB_DISABLE_TELEMETRY": "1",
        "WANDB_MODE": "disabled",
    }
    args = ["--algo", "ppo", "--env", ENV_ID, "--gym-packages", "fieldgym"]
    args += ["--conf-file", str(SHIPPED), "-n", "1", "--log-folder", str(tmp_path)]
    args += ["--eval-freq", "-1", "--seed", "0", "--verbose", "0"]
    done = subprocess.run(
        [sys.executable, "-c", OFFLINE, *args],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert f"Loading hyperparameters from: {SHIPPED}" in done.stdout
    run = tmp_path / "ppo" / "fieldgym-MultiEchelonInventory-v1_1"
    model = PPO.load(run / "fieldgym-MultiEchelonInventory-v1.zip", device="cpu")
    assert model.n_envs == entry.get("n_envs", 1)
    for key in ("n_steps", "batch_size", "n_epochs", "gamma"):
        if key in entry:
            assert getattr(model, key) == entry[key], key
    normalized = (run / "fieldgym-MultiEchelonInventory-v1" / "vecnormalize.pkl").is_file()
    assert normalized == bool(entry.get("normalize", False))


def test_rl_zoo_reads_the_plain_id_beside_fieldgym_variant_keys(tmp_path, unpatched_gymnasium):
    from rl_zoo3.exp_manager import ExperimentManager

    plain = {"n_envs": 8, "policy": "MlpPolicy", "policy_kwargs": {"net_arch": [32]}}
    hyperparams.write_entry("ppo", ENV_ID, plain, "plain id", tmp_path)
    variant = hyperparams.variant_key(ENV_ID, {"preset": "distribution"})
    hyperparams.write_entry("ppo", variant, {"n_envs": 4}, "a variant", tmp_path)
    conf = hyperparams.path_of("ppo", tmp_path)
    manager = ExperimentManager(
        argparse.Namespace(), "ppo", ENV_ID, str(tmp_path / "logs"), config=str(conf)
    )
    read, _ = manager.read_hyperparameters()
    assert read == {**plain, "policy_kwargs": "dict(net_arch=[32])"}
