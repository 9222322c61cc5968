"""A config accepts exactly the reward names its env's reward registry resolves.

An env without a ``reward`` config field (execution, market making) has one reward.
"""

from __future__ import annotations

import dataclasses
import re
import sys

import gymnasium as gym
import pytest

from fieldgym.envs import ENVS
from fieldgym.envs.core.errors import ConfigError


def _registry_and_config(env_id: str) -> tuple[set[str], type]:
    env = gym.make(env_id)
    try:
        unwrapped = env.unwrapped
        registry = sys.modules[type(unwrapped).__module__].__dict__.get("REWARDS")
        return set(registry or ()), type(unwrapped.config)
    finally:
        env.close()


def _accepted(config_type: type) -> set[str]:
    """The reward names ``config_type`` accepts, as its error message lists them."""
    with pytest.raises(ConfigError) as refused:
        config_type.build(reward="no_such_reward")
    choices = str(refused.value).split("choose one of:", 1)[1]
    return set(re.findall(r"'([a-z_]+)'", choices))


@pytest.mark.parametrize("env_id", sorted(ENVS))
def test_config_and_registry_name_the_same_rewards(env_id: str) -> None:
    registry, config_type = _registry_and_config(env_id)
    assert registry, f"{env_id}'s env module has no REWARDS registry"
    if "reward" not in {field.name for field in dataclasses.fields(config_type)}:
        assert len(registry) == 1
        return
    assert _accepted(config_type) == registry
    for name in registry:
        assert config_type.build(reward=name).reward == name
