"""The shared layer: configs, rewards, action adapters, flattening, KPIs, optional imports."""

from __future__ import annotations

import dataclasses

import gymnasium as gym
import numpy as np
import pytest
from gymnasium import spaces

from fieldgym.envs.core.adapters import (
    ActionCodec,
    DiscretizeAction,
    RelaxAction,
    VectorDiscretizeAction,
    VectorRelaxAction,
)
from fieldgym.envs.core.config import EnvConfig, check_number, doc
from fieldgym.envs.core.errors import ConfigError, MissingDependencyError
from fieldgym.envs.core.optional import require
from fieldgym.envs.core.rewards import resolve_reward, weighted_sum
from fieldgym.envs.core.vector import BatchVectorEnv, truncation
from fieldgym.envs.core.wrappers import RecordKPIs, flatten_observation


@dataclasses.dataclass(frozen=True)
class ToyConfig(EnvConfig):
    speed: float = dataclasses.field(default=1.0, metadata=doc("metres per second"))
    lanes: tuple[int, ...] = (1, 2)

    def validate(self) -> None:
        check_number("speed", self.speed, low=0)


@dataclasses.dataclass(frozen=True)
class ToyWithPresets(ToyConfig):
    pass


ToyWithPresets.presets = {"fast": {"speed": 9.0}}


def test_presets_build_with_overrides_and_bad_names_are_named():
    assert ToyWithPresets.make(None, "fast", {}).speed == 9.0
    assert ToyWithPresets.make(None, "fast", {"lanes": [5]}).lanes == (5,)
    with pytest.raises(ConfigError, match=r"preset='slow'.*fast"):
        ToyWithPresets.make(None, "slow", {})
    with pytest.raises(ConfigError, match="ToyConfig has no presets; remove preset='fast'"):
        ToyConfig.make(None, "fast", {})
    with pytest.raises(ConfigError, match="either config= or preset="):
        ToyWithPresets.make({"speed": 1.0}, "fast", {})


def test_config_unknown_field_names_it_and_lists_valid_ones():
    with pytest.raises(
        ConfigError, match=r"Unknown field 'sped'.*Did you mean 'speed'.*speed, lanes"
    ):
        ToyConfig.build(sped=2.0)


def test_config_invalid_value_names_field_value_and_rule():
    with pytest.raises(ConfigError, match=r"speed=-1.0 is not allowed; it must be >= 0"):
        ToyConfig.build(speed=-1.0)


def test_config_from_object_mapping_and_overrides():
    base = ToyConfig(speed=2.0)
    assert ToyConfig.build(base) is base
    assert ToyConfig.build(base, speed=3.0).speed == 3.0
    built = ToyConfig.build({"lanes": [3, 4]})
    assert built.lanes == (3, 4)  # YAML lists become tuples
    with pytest.raises(dataclasses.FrozenInstanceError):
        built.speed = 5.0  # type: ignore[misc]
    with pytest.raises(ConfigError, match="must be a ToyConfig or a mapping"):
        ToyConfig.build(42)  # type: ignore[arg-type]
    assert "metres per second" in ToyConfig.describe()


def test_reward_by_name_or_callable():
    registry = {"total": lambda parts, weights, config: weighted_sum(parts, weights)}
    fn = resolve_reward("total", registry)
    assert fn({"a": 2.0, "b": -1.0}, {"a": 0.5}, None) == pytest.approx(0.0)
    custom = lambda parts, weights, config: 7.0  # noqa: E731
    assert resolve_reward(custom, registry) is custom
    with pytest.raises(ConfigError, match="'totl' is not a known reward; choose one of: total"):
        resolve_reward("totl", registry)


def test_discretize_box_grid_and_corners():
    codec = ActionCodec(
        spaces.Box(np.array([0.0, -1.0]), np.array([10.0, 1.0])), "discretize", [3, 2]
    )
    assert codec.agent_space == spaces.Discrete(6)
    decoded = codec.decode(np.arange(6))
    np.testing.assert_allclose(decoded, [[0, -1], [0, 1], [5, -1], [5, 1], [10, -1], [10, 1]])


def test_discretize_multidiscrete_is_a_bijection():
    codec = ActionCodec(spaces.MultiDiscrete([2, 3, 4]), "discretize")
    decoded = codec.decode(np.arange(24))
    assert len({tuple(row) for row in decoded}) == 24
    assert decoded.max(axis=0).tolist() == [1, 2, 3]


def test_discretize_refuses_unbounded_or_huge_spaces():
    with pytest.raises(ConfigError, match="finite bounds"):
        ActionCodec(spaces.Box(-np.inf, np.inf, (2,)), "discretize")
    with pytest.raises(ConfigError, match="fewer levels"):
        ActionCodec(spaces.Box(0, 1, (10,)), "discretize", 5)


def test_relax_decodes_by_argmax():
    codec = ActionCodec(spaces.Discrete(3, start=1), "relax")
    assert codec.agent_space.shape == (3,)
    assert codec.decode_one(np.array([0.1, 0.9, -0.5])) == 2
    multi = ActionCodec(spaces.MultiDiscrete([2, 3]), "relax")
    np.testing.assert_array_equal(multi.decode_one(np.array([0.0, 1.0, 0.2, 0.9, -1.0])), [1, 1])


def test_single_and_vector_adapters_agree():
    env = gym.make("fieldgym/MultiEchelonInventory-v1")
    vec = gym.make_vec("fieldgym/MultiEchelonInventory-v1", num_envs=4)
    single = DiscretizeAction(env, 3)
    vector = VectorDiscretizeAction(vec, 3)
    assert single.action_space == vector.single_action_space == spaces.Discrete(81)
    actions = np.array([0, 5, 40, 80])
    np.testing.assert_array_equal(
        vector.actions(actions), np.stack([single.action(a) for a in actions])
    )
    discrete_env = gym.make("fieldgym/MultiEchelonInventory-v1", action_type="discrete")
    relaxed = RelaxAction(discrete_env)
    discrete_vec = VectorRelaxAction(
        gym.make_vec("fieldgym/MultiEchelonInventory-v1", num_envs=2, action_type="discrete")
    )
    scores = np.random.default_rng(0).uniform(-1, 1, size=(2, relaxed.action_space.shape[0]))
    np.testing.assert_array_equal(
        discrete_vec.actions(scores), np.stack([relaxed.action(s) for s in scores])
    )


class DictObsEnv(gym.Env):
    observation_space = spaces.Dict({"a": spaces.Box(0, 1, (2,)), "b": spaces.Discrete(3)})
    action_space = spaces.Discrete(2)

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        return {"a": np.array([0.25, 0.5], dtype=np.float32), "b": 2}, {}

    def step(self, action):
        obs, _ = self.reset()
        return obs, 1.0, False, False, {"kpi": {"x": float(action)}, "reward_parts": {"r": 1.0}}


def test_flatten_dict_observation_and_record_kpis():
    env = RecordKPIs(flatten_observation(DictObsEnv()))
    obs, _ = env.reset()
    np.testing.assert_allclose(obs, [0.25, 0.5, 0, 0, 1])
    env.step(1)
    env.step(0)
    episode = env.episode()
    np.testing.assert_array_equal(episode["x"], [1.0, 0.0])
    np.testing.assert_array_equal(episode["reward_part/r"], [1.0, 1.0])
    np.testing.assert_array_equal(episode["reward"], [1.0, 1.0])
    env.reset()
    assert env.episode()["reward"].size == 0
    box_env = gym.make("fieldgym/MultiEchelonInventory-v1")
    assert flatten_observation(box_env) is box_env


def test_require_names_the_extra():
    with pytest.raises(MissingDependencyError, match=r"pip install 'fieldgym\[carla\]'"):
        require("no_such_module_xyz", extra="carla", purpose="The CARLA backend")
    assert require("math", extra="none", purpose="x").sqrt(4.0) == 2.0


class _Countdown(BatchVectorEnv):
    """Copy ``i`` terminates after ``i + 1`` steps; the observation is the step count."""

    def __init__(self, num_envs: int) -> None:
        self._set_spaces(num_envs, spaces.Box(0, 10, (1,), np.float32), spaces.Discrete(2), "raise")
        self.count = np.zeros(num_envs, dtype=np.int64)
        self.resets = np.zeros(num_envs, dtype=np.int64)

    def _reset_copies(self, mask: np.ndarray | None) -> None:
        rows = slice(None) if mask is None else mask
        self.count[rows] = 0
        self.resets[rows] += 1

    def _observe_all(self) -> np.ndarray:
        return self.count[:, None].astype(np.float32)

    def _advance(self, actions: np.ndarray) -> tuple:
        self.count += 1
        terminated = self.count >= np.arange(1, self.num_envs + 1)
        truncated = truncation(self.count, 2) & ~terminated
        return self._observe_all(), np.ones(self.num_envs), terminated, truncated, {}


def test_batch_vector_env_resets_finished_copies_within_the_step():
    env = _Countdown(3)
    observations, _ = env.reset(seed=[5, 6, 7])
    assert observations[:, 0].tolist() == [0, 0, 0]
    assert env.metadata["autoreset_mode"] == gym.vector.AutoresetMode.SAME_STEP
    observations, _, terminated, truncated, infos = env.step(np.zeros(3, dtype=np.int64))
    assert terminated.tolist() == [True, False, False] and not truncated.any()
    assert observations[:, 0].tolist() == [0, 1, 1]  # copy 0 starts over in the same step
    assert infos["_final_obs"].tolist() == [True, False, False]
    assert infos["final_obs"][:, 0].tolist() == [1, 0, 0]  # unfinished rows are zeros
    observations, _, terminated, truncated, infos = env.step(np.zeros(3, dtype=np.int64))
    assert terminated.tolist() == [True, True, False] and truncated.tolist() == [False] * 2 + [True]
    assert infos["final_obs"][:, 0].tolist() == [1, 2, 2]
    assert observations[:, 0].tolist() == [0, 0, 0]
    assert env.resets.tolist() == [3, 2, 2]
    assert truncation(np.array([5]), None).tolist() == [False]
    with pytest.raises(ValueError, match="num_envs"):
        _Countdown(0)


def test_numba_cache_is_cleared_when_any_source_changes(tmp_path):
    from fieldgym.envs.core.numba_cache import clear_stale

    package = tmp_path / "domain"
    (package / "__pycache__").mkdir(parents=True)
    (package / "sim.py").write_text("def advance(): return helper()\n")
    (package / "helper.py").write_text("def helper(): return 1\n")
    cached = [
        package / "__pycache__" / name
        for name in ("sim.advance-1.py311.nbi", "sim.advance-1.py311.1.nbc")
    ]
    for path in cached:
        path.write_bytes(b"compiled")
    clear_stale(package)  # first sight: no stamp yet, so nothing is trusted
    for path in cached:
        path.write_bytes(b"compiled")
    assert clear_stale(package) is False  # unchanged sources keep the cache
    assert all(p.exists() for p in cached)
    (package / "helper.py").write_text("def helper(): return 2\n")  # another file changes
    assert clear_stale(package) is True
    assert not any(p.exists() for p in cached)
    assert (package / "sim.py").exists()
