"""Saved learners load without unpickling; pickle-format folders only with trust_pickle."""

from __future__ import annotations

import json
import pathlib
import pickle

import numpy as np
import pytest
import torch
from torch import nn

from fieldgym.agents import EnvTarget, make_agent, model_files
from fieldgym.agents.model_files import UnpicklingWarning
from fieldgym.agents.multiagent import SharedPPO
from fieldgym.agents.sb3 import SB3Agent
from fieldgym.agents.target import ParallelTarget
from fieldgym.agents.trading.learner import TradingLearner
from fieldgym.envs.core.errors import ConfigError
from fieldgym.scenarios.cli import main

ENV_ID = "fieldgym/MultiEchelonInventory-v1"
SAFE_FILES = ["agent.json", "policy.pt", "vecnormalize.npz"]
TINY = {
    "ppo": {
        "n_steps": 16,
        "batch_size": 32,
        "policy_kwargs": {"net_arch": [32, 32], "activation_fn": nn.ReLU},
    },
    "dqn": {"learning_starts": 50, "buffer_size": 1_000},
    "sac": {"learning_starts": 50, "buffer_size": 1_000},
}
UAV_ID = "fieldgym/UAVOffloading-v1"
UAV_SMALL = {"num_users": 12, "max_cycles": 12}


class Touch:
    """A pickle whose loading creates ``marker`` (code run by unpickling, no os.system)."""

    def __init__(self, marker: pathlib.Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (pathlib.Path.touch, (self.marker,))


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A tiny fit of ppo, dqn and sac (module-wide: each test copies what it changes)."""
    agents = {}
    for algo, hyperparams in TINY.items():
        normalize = algo != "dqn"  # dqn: saved and loaded without observation statistics
        agent = make_agent(
            algo, EnvTarget(ENV_ID), n_envs=2, normalize=normalize, hyperparams=hyperparams
        )
        agents[algo] = agent.fit(200, seed=0)
    # One step of the plain env compiles its action check, which numba's cache loads with
    # pickle: done here, before a test forbids pickle.load (else the test fails when it
    # is the first in its process to step the env).
    env = EnvTarget(ENV_ID).make()
    observation, _ = env.reset(seed=0)
    env.step(agents["ppo"].act(observation))
    return agents


def assert_same_actions(agent, loaded, target, steps=5):
    env = target.make()
    observation, _ = env.reset(seed=3)
    for _ in range(steps):
        np.testing.assert_array_equal(loaded.act(observation), agent.act(observation))
        observation, *_ = env.step(agent.act(observation))


def write_pickle_format(agent: SB3Agent, folder: pathlib.Path) -> None:
    """``agent`` as an older fieldgym saved it: model.zip, vecnormalize.pkl, agent.json."""
    folder.mkdir(parents=True, exist_ok=True)
    agent.model.save(folder / "model.zip")
    agent.stats.save(str(folder / "vecnormalize.pkl"))
    meta = {
        "algo": agent.algo,
        "normalize": agent.normalize,
        "levels": agent.levels,
        "policy": agent.policy,
        "env_id": agent.target.id,
        "env_kwargs": agent.target.kwargs,
    }
    (folder / "agent.json").write_text(json.dumps(meta))


@pytest.mark.parametrize("algo", sorted(TINY))
def test_save_then_load_acts_identically_without_pickles(algo, trained, tmp_path, monkeypatch):
    agent = trained[algo]
    agent.save(tmp_path / algo)
    assert sorted(p.name for p in (tmp_path / algo).iterdir()) == SAFE_FILES
    card = json.loads((tmp_path / algo / "agent.json").read_text())
    assert card["format_version"] == model_files.FORMAT_VERSION
    assert (card["algo"], card["n_envs"], card["env_id"]) == (algo, 2, ENV_ID)
    torch_loads = []
    real_load = torch.load
    monkeypatch.setattr(
        model_files.torch,
        "load",
        lambda *a, **k: torch_loads.append(k) or real_load(*a, **k),
    )
    monkeypatch.setattr(pickle, "load", lambda *a, **k: pytest.fail("pickle.load was called"))
    loaded = SB3Agent.load(tmp_path / algo)
    assert torch_loads and all(k.get("weights_only") is True for k in torch_loads)
    assert loaded.hyperparams == agent.hyperparams  # policy_kwargs' activation included
    assert loaded.n_envs == agent.n_envs and not loaded.stats.training
    assert loaded.stats.norm_obs == agent.stats.norm_obs == (algo != "dqn")
    if agent.stats.norm_obs:
        np.testing.assert_array_equal(loaded.stats.obs_rms.mean, agent.stats.obs_rms.mean)
        np.testing.assert_array_equal(loaded.stats.obs_rms.var, agent.stats.obs_rms.var)
    assert_same_actions(agent, loaded, EnvTarget(ENV_ID))


def test_shared_ppo_round_trip_acts_identically(tmp_path):
    target = ParallelTarget(UAV_ID, UAV_SMALL)
    hyperparams = {"n_steps": 16, "batch_size": 32, "policy_kwargs": {"net_arch": [16]}}
    agent = make_agent("shared_ppo", target, n_copies=2, hyperparams=hyperparams).fit(200)
    agent.save(tmp_path / "shared")
    assert sorted(p.name for p in (tmp_path / "shared").iterdir()) == ["agent.json", "policy.pt"]
    loaded = SharedPPO.load(tmp_path / "shared")
    assert loaded.hyperparams == agent.hyperparams and loaded.n_copies == 2
    env = target.make()
    observations, _ = env.reset(seed=0)
    while env.agents:
        actions = agent.act(observations)
        assert {a: int(v) for a, v in loaded.act(observations).items()} == {
            a: int(v) for a, v in actions.items()
        }
        observations, *_ = env.step(actions)


def test_trading_learner_round_trip_keeps_its_training_range(tmp_path):
    backtest = {"tickers": ["AAPL", "KO"], "mode": "backtest", "start": "2019-01-02"}
    target = EnvTarget("fieldgym/PortfolioAllocation-v1", {**backtest, "end": "2019-03-29"})
    agent = make_agent(
        "drl", target, algo="ppo", train_start="2016-01-04", n_envs=2,
        hyperparams={"n_steps": 32, "batch_size": 64},
    ).fit(128, seed=0)  # fmt: skip
    agent.save(tmp_path / "drl")
    assert sorted(p.name for p in (tmp_path / "drl").iterdir()) == SAFE_FILES
    loaded = TradingLearner.load(tmp_path / "drl")
    assert (loaded.train_start, loaded.train_end) == ("2016-01-04", None)
    assert loaded.train_target == agent.train_target
    assert_same_actions(agent, loaded, target)
    plain = SB3Agent.load(tmp_path / "drl")  # the base class reads a subclass's folder
    assert_same_actions(agent, plain, target, steps=2)


def test_pickle_format_is_refused_unless_trusted_then_resaved_safely(trained, tmp_path):
    agent = trained["ppo"]
    old = tmp_path / "old"
    write_pickle_format(agent, old)
    with pytest.raises(ConfigError, match=r"old.*pickle format.*trust_pickle=True"):
        SB3Agent.load(old)
    with pytest.warns(UnpicklingWarning, match="unpickling runs code"):
        loaded = SB3Agent.load(old, trust_pickle=True)
    assert_same_actions(agent, loaded, EnvTarget(ENV_ID))
    loaded.save(tmp_path / "new")  # the card records the network read from model.zip
    again = SB3Agent.load(tmp_path / "new")
    assert_same_actions(agent, again, EnvTarget(ENV_ID))


def test_a_folder_with_only_a_pickled_shared_model_is_refused_unless_trusted(tmp_path):
    target = ParallelTarget(UAV_ID, UAV_SMALL)
    agent = make_agent(
        "shared_ppo", target, n_copies=2, hyperparams={"n_steps": 16, "batch_size": 32}
    ).fit(100)
    agent.model.save(tmp_path / "model.zip")
    meta = {"env_id": UAV_ID, "env_kwargs": UAV_SMALL, "n_copies": 2}
    (tmp_path / "agent.json").write_text(json.dumps(meta))
    with pytest.raises(ConfigError, match="trust_pickle=True"):
        SharedPPO.load(tmp_path)
    with pytest.warns(UnpicklingWarning, match="unpickling runs code"):
        loaded = SharedPPO.load(tmp_path, trust_pickle=True)
    observations, _ = target.make().reset(seed=0)
    assert {a: int(v) for a, v in loaded.act(observations).items()} == {
        a: int(v) for a, v in agent.act(observations).items()
    }


def test_a_crafted_pickle_runs_nothing_without_trust(trained, tmp_path):
    marker = tmp_path / "pwned"
    payload = pickle.dumps(Touch(marker))
    probe = tmp_path / "probe"
    pickle.loads(pickle.dumps(Touch(probe)))
    assert probe.exists()  # the payload would run if unpickled
    old = tmp_path / "crafted"
    write_pickle_format(trained["dqn"], old)
    (old / "vecnormalize.pkl").write_bytes(payload)
    with pytest.raises(ConfigError, match="trust_pickle"):
        SB3Agent.load(old)
    safe = tmp_path / "safe"  # pickles left beside the safe files are never read
    trained["dqn"].save(safe)
    (safe / "vecnormalize.pkl").write_bytes(payload)
    (safe / "model.zip").write_bytes(payload)
    SB3Agent.load(safe)
    assert not marker.exists()


def test_weights_and_statistics_files_refuse_pickled_objects(trained, tmp_path):
    marker = tmp_path / "pwned"
    folder = tmp_path / "weights"
    trained["sac"].save(folder)
    state = torch.load(folder / "policy.pt", weights_only=True)
    torch.save({**state, "extra": Touch(marker)}, folder / "policy.pt")
    with pytest.raises(ConfigError, match="only tensors are accepted"):
        SB3Agent.load(folder)
    assert not marker.exists()

    folder = tmp_path / "stats"
    trained["sac"].save(folder)
    with np.load(folder / "vecnormalize.npz") as data:
        arrays = dict(data)
    arrays["obs_mean"] = np.array([Touch(marker)], dtype=object)
    with (folder / "vecnormalize.npz").open("wb") as handle:
        np.savez(handle, **arrays)
    with pytest.raises(ConfigError, match=r"not a numeric \.npz"):
        SB3Agent.load(folder)
    assert not marker.exists()


def test_cli_backtest_needs_trust_pickle_for_a_pickle_format_model(trained, tmp_path, capsys):
    model = tmp_path / "model"
    args = ["train", ENV_ID, "--agent", "dqn", "--steps", "100", "--out", str(model), "--quiet"]
    assert main([*args, "--param", "n_envs=2", "--param", "hyperparams={learning_starts: 50}"]) == 0
    agent = SB3Agent.load(model)
    for name in SAFE_FILES:
        (model / name).unlink()
    write_pickle_format(agent, model)
    backtest = ["backtest", "--model", str(model), "--seeds", "1", "--max-steps", "5"]
    assert main(backtest) == 2
    assert "--trust-pickle" in capsys.readouterr().err
    with pytest.warns(UnpicklingWarning):
        assert main([*backtest, "--trust-pickle"]) == 0
    assert "over 1 episodes" in capsys.readouterr().out
