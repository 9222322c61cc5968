"""hyperparams/<agent>.yml: lookup, safe parsing, writing, and make_agent's use of them."""

from __future__ import annotations

import inspect

import pytest
from gymnasium.envs.registration import load_env_creator
from torch import nn

from fieldgym.agents import EnvTarget, hyperparams, make_agent
from fieldgym.agents.registry import AGENTS
from fieldgym.agents.sb3 import ALGORITHMS
from fieldgym.envs.core.errors import ConfigError

INVENTORY = "fieldgym/MultiEchelonInventory-v1"


@pytest.fixture
def folder(tmp_path, monkeypatch):
    monkeypatch.setattr(hyperparams, "HYPERPARAMS_DIR", tmp_path)
    (tmp_path / "ppo.yml").write_text(
        "# a header\n\n"
        "# found by hand\n"
        f"{INVENTORY}:\n  n_envs: 16\n  n_timesteps: 1000\n  gamma: 0.9\n  n_steps: 8\n"
        "  policy_kwargs: 'dict(net_arch=[32], activation_fn=nn.ReLU)'\n\n"
        f"{INVENTORY}[preset=distribution]:\n  n_envs: 32\n  gamma: 0.95\n"
    )
    return tmp_path


def test_the_most_specific_variant_wins(folder):
    assert hyperparams.lookup("ppo", INVENTORY, {})[1]["n_envs"] == 16
    key, entry = hyperparams.lookup("ppo", INVENTORY, {"preset": "distribution"})
    assert key == f"{INVENTORY}[preset=distribution]" and entry["n_envs"] == 32
    assert hyperparams.lookup("ppo", INVENTORY, {"preset": "serial"})[1]["n_envs"] == 16
    assert hyperparams.lookup("ppo", "fieldgym/Driving-v1", {}) is None
    assert hyperparams.lookup("a2c", INVENTORY, {}) is None


def test_make_agent_uses_the_entry_and_explicit_params_override_it_key_by_key(folder):
    agent = make_agent("ppo", EnvTarget(INVENTORY), hyperparams={"gamma": 0.5})
    assert agent.n_envs == 16
    assert agent.hyperparams["gamma"] == 0.5 and agent.hyperparams["n_steps"] == 8
    assert agent.hyperparams["policy_kwargs"] == {"net_arch": [32], "activation_fn": nn.ReLU}
    assert make_agent("ppo", EnvTarget(INVENTORY), n_envs=2).n_envs == 2
    untuned = make_agent("ppo", EnvTarget(INVENTORY), tuned=False)
    assert untuned.n_envs == 256 and untuned.hyperparams["n_steps"] == 32


@pytest.mark.parametrize(
    "text",
    [
        "dict(x=__import__('os').system('true'))",
        "os.system('true')",
        "dict(activation_fn=nn.Module)",
        "dict(activation_fn=torch.nn.functional.relu)",
        "dict(**kwargs)",
        "lambda: 1",
    ],
)
def test_policy_kwargs_strings_are_parsed_never_evaluated(text):
    with pytest.raises(ConfigError, match=r"policy_kwargs|activation_fn"):
        hyperparams.parse_policy_kwargs(text)


def test_policy_kwargs_round_trip_through_rl_zoos_string():
    kwargs = {"net_arch": {"pi": [64, 64], "vf": [64]}, "activation_fn": nn.Tanh, "ortho": False}
    text = hyperparams.policy_kwargs_text(kwargs)
    assert text == "dict(net_arch=dict(pi=[64, 64], vf=[64]), activation_fn=nn.Tanh, ortho=False)"
    assert hyperparams.parse_policy_kwargs(text) == kwargs


@pytest.mark.parametrize("key", ["id[preset]", "id[=x]", "a[b]c", ""])
def test_bad_keys_are_refused(key):
    with pytest.raises(ConfigError, match="bad key"):
        hyperparams.parse_key(key)


def test_writing_an_entry_keeps_the_others_and_their_comments(folder):
    hyperparams.write_entry(
        "ppo", f"{INVENTORY}[preset=distribution]", {"n_envs": 64}, "tuned\nby a test", folder
    )
    hyperparams.write_entry("ppo", "fieldgym/Driving-v1", {"n_envs": 8}, "new", folder)
    text = (folder / "ppo.yml").read_text()
    assert text.startswith("# a header\n\n# found by hand\n")
    assert "# tuned\n# by a test\n" in text and "# new\n" in text
    entries = hyperparams.read("ppo", folder)
    assert entries[INVENTORY]["gamma"] == 0.9
    assert entries[f"{INVENTORY}[preset=distribution]"] == {"n_envs": 64}
    assert entries["fieldgym/Driving-v1"] == {"n_envs": 8}


def test_writing_an_entry_uses_a_temporary_no_other_writer_uses(folder):
    """It wrote through one fixed ``.ppo.yml.tmp``: two concurrent ``--write`` runs shared it."""
    other_writers = folder / ".ppo.yml.tmp"
    other_writers.write_text("half of another writer's file")
    hyperparams.write_entry("ppo", "fieldgym/Driving-v1", {"n_envs": 8}, "new", folder)
    assert other_writers.read_text() == "half of another writer's file"
    assert hyperparams.read("ppo", folder)["fieldgym/Driving-v1"] == {"n_envs": 8}


def test_an_entry_with_a_key_the_class_cannot_take_is_refused(folder):
    (folder / "shared_ppo.yml").write_text("fieldgym/UAVOffloading-v1:\n  normalize: true\n")
    from fieldgym.agents.target import ParallelTarget

    with pytest.raises(ConfigError, match="normalize"):
        make_agent("shared_ppo", ParallelTarget("fieldgym/UAVOffloading-v1"))


def test_every_shipped_entry_is_accepted_by_its_learner():
    files = sorted(hyperparams.HYPERPARAMS_DIR.glob("*.yml"))
    assert files, "hyperparams/ ships no file"
    for path in files:
        agent = path.stem
        assert agent in AGENTS, f"{path}: no agent named {agent!r}"
        for key, entry in hyperparams.read(agent).items():
            env_id, _ = hyperparams.parse_key(key)
            cls = load_env_creator(AGENTS[agent].factory_for(env_id))
            params = hyperparams.agent_params(cls, entry, where=f"{path} [{key}]")
            algo = ALGORITHMS.get(agent)
            if algo is not None:  # every other key must be a keyword of the SB3 algorithm
                unknown = set(params.get("hyperparams", {})) - set(
                    inspect.signature(algo).parameters
                )
                assert not unknown, f"{path} [{key}]: {unknown} are not {algo.__name__} arguments"
            assert "n_timesteps" in entry, f"{path} [{key}]: rl-zoo3 needs n_timesteps"
