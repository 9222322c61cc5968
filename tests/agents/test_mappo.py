"""MAPPO: GAE, the centralized critic's input and factorisation, save/load, determinism,
refusals."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch
from gymnasium import spaces
from pettingzoo import ParallelEnv
from stable_baselines3.common.buffers import RolloutBuffer

from fieldgym.agents.mappo import MAPPO, CentralCritic, _mlp, gae
from fieldgym.agents.multiagent import SharedAgentsVecEnv
from fieldgym.agents.target import ParallelTarget
from fieldgym.agents.training import Budget
from fieldgym.envs.core.errors import ConfigError

UAV = "fieldgym/UAVOffloading-v1"
SMALL = {"num_users": 12, "max_cycles": 12}
TINY = {"n_steps": 8, "n_epochs": 2, "n_minibatches": 2, "hidden": 16}


def test_gae_matches_a_hand_computed_example():
    # Three steps of one row; the episode terminates after the last one.
    rewards = np.array([[1.0], [0.0], [2.0]])
    values = np.array([[0.5], [0.2], [1.0]])
    next_values = np.array([[0.2], [1.0], [0.0]])
    ends = np.array([[0.0], [0.0], [1.0]])
    gamma, lam = 0.9, 0.8
    d0, d1, d2 = 1 + 0.9 * 0.2 - 0.5, 0 + 0.9 * 1.0 - 0.2, 2 + 0.0 - 1.0
    a2 = d2
    a1 = d1 + gamma * lam * a2
    a0 = d0 + gamma * lam * a1
    adv, ret = gae(rewards, values, next_values, ends, gamma, lam)
    np.testing.assert_allclose(adv[:, 0], [a0, a1, a2])
    np.testing.assert_allclose(ret[:, 0], [a0 + 0.5, a1 + 0.2, a2 + 1.0])
    # A truncation after step 0 bootstraps from the final state's value (here 3.0) and
    # stops the advantage from flowing back from step 1.
    adv, _ = gae(
        rewards, values, np.array([[3.0], [1.0], [0.0]]), np.array([[1.0], [0], [1]]), gamma, lam
    )
    assert adv[0, 0] == pytest.approx(1 + 0.9 * 3.0 - 0.5)
    assert adv[1, 0] == pytest.approx(a1)


def test_gae_matches_stable_baselines3_on_terminations():
    rng = np.random.default_rng(0)
    steps, rows, gamma, lam = 12, 3, 0.97, 0.9
    rewards = rng.normal(size=(steps, rows)).astype(np.float32)
    values = rng.normal(size=(steps, rows)).astype(np.float32)
    dones = rng.random((steps, rows)) < 0.2
    last_values = rng.normal(size=rows).astype(np.float32)
    buffer = RolloutBuffer(
        steps,
        spaces.Box(-1, 1, (1,)),
        spaces.Discrete(2),
        gamma=gamma,
        gae_lambda=lam,
        n_envs=rows,
    )
    starts = np.vstack([np.zeros((1, rows)), dones[:-1]])
    for t in range(steps):
        buffer.add(
            np.zeros((rows, 1)),
            np.zeros((rows, 1)),
            rewards[t],
            starts[t],
            torch.as_tensor(values[t]),
            torch.zeros(rows),
        )
    buffer.compute_returns_and_advantage(torch.as_tensor(last_values), dones[-1])
    following = np.vstack([values[1:], last_values[None]])
    next_values = np.where(dones, 0.0, following)
    adv, ret = gae(rewards, values, next_values, dones.astype(float), gamma, lam)
    np.testing.assert_allclose(adv, buffer.advantages, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(ret, buffer.returns, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("agent_id", [True, False])
def test_the_critic_sees_each_copys_global_state(agent_id):
    target = ParallelTarget(UAV, SMALL)
    agent = MAPPO(target, n_copies=2, hyperparams={**TINY, "n_steps": 15, "agent_id": agent_id})
    venv = SharedAgentsVecEnv(target.make, 2, with_state=True)
    venv.seed(5)
    agent._returns, agent._steps, agent._clock = np.zeros(2), 0, Budget(steps=15).start(agent)
    batch = agent.collect(venv, venv.reset(), torch.Generator().manual_seed(0))
    twins = [target.make() for _ in range(2)]
    observations = [twin.reset(seed=5 + c)[0] for c, twin in enumerate(twins)]
    agents, n = twins[0].possible_agents, 3
    state_dim = twins[0].state().size
    assert batch["states"].shape == (15, 2, state_dim)  # crosses one episode end (12 steps)
    assert batch["actor_in"].shape[:2] == (15, 6)
    for t in range(15):
        for c, twin in enumerate(twins):
            np.testing.assert_allclose(batch["states"][t, c], twin.state(), rtol=1e-6)
            for i, a in enumerate(agents):
                row = batch["actor_in"][t, c * n + i]
                np.testing.assert_allclose(row[: observations[c][a].size], observations[c][a])
                if agent_id:
                    np.testing.assert_array_equal(row[observations[c][a].size :], np.eye(n)[i])
            acts = {a: int(batch["actions"][t, c * n + i]) for i, a in enumerate(agents)}
            observations[c], *_ = twin.step(acts)
            if not twin.agents:
                observations[c], _ = twin.reset()
    # Ends only at the 12th step, and truncations bootstrap from the final state.
    assert batch["ends"][11].all() and not batch["ends"][:11].any()
    assert np.all(batch["next_values"][11] != 0.0)


def _perturbed(module: torch.nn.Module, seed: int) -> torch.nn.Module:
    """``module`` with every parameter moved off its initial value.

    (LayerNorm's initial 1s and 0s would hide a wrong use of its scale or shift.)
    """
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in module.parameters():
            p.add_(0.3 * torch.randn(p.shape, generator=gen))
    return module


@pytest.mark.parametrize("feature_norm", [True, False])
@pytest.mark.parametrize("n_agents", [0, 1, 3, 16])
def test_the_factorised_critic_is_the_plain_network_on_the_same_weights(feature_norm, n_agents):
    state_dim, hidden = 40, 16
    critic = _perturbed(CentralCritic(state_dim, n_agents, hidden, feature_norm), 0)
    plain = _mlp(state_dim + n_agents, 1, hidden, feature_norm)
    assert list(critic.state_dict()) == list(plain.state_dict())  # same checkpoints
    plain.load_state_dict(critic.state_dict())
    gen = torch.Generator().manual_seed(1)
    states = 3.0 * torch.randn(7, state_dim, generator=gen) + 5.0  # far from normalized
    state_index = torch.tensor([0, 0, 1, 2, 3, 4, 5, 6, 6, 2, 4])
    agent_index = torch.randint(0, max(n_agents, 1), (11,), generator=gen)
    one_hot = torch.eye(n_agents)[agent_index] if n_agents else torch.zeros(11, 0)
    factorised = critic.values(states, state_index, agent_index)
    reference = plain(torch.cat([states[state_index], one_hot], 1)).squeeze(-1)
    torch.testing.assert_close(factorised, reference, rtol=1e-5, atol=1e-5)
    # The same gradients too, so training follows the same path (up to rounding).
    weights = torch.linspace(-1.0, 1.0, 11)
    grads = torch.autograd.grad((weights * factorised).sum(), list(critic.parameters()))
    expected = torch.autograd.grad((weights * reference).sum(), list(plain.parameters()))
    for g, e in zip(grads, expected, strict=True):
        torch.testing.assert_close(g, e, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("agent_id", [True, False])
def test_the_rollout_and_update_values_are_the_plain_critics_on_state_and_one_hot(agent_id):
    target = ParallelTarget(UAV, SMALL)
    agent = MAPPO(target, n_copies=2, hyperparams={**TINY, "n_steps": 15, "agent_id": agent_id})
    _perturbed(agent.critic, 2)
    venv = SharedAgentsVecEnv(target.make, 2, with_state=True)
    venv.seed(5)
    agent._returns, agent._steps, agent._clock = np.zeros(2), 0, Budget(steps=15).start(agent)
    batch = agent.collect(venv, venv.reset(), torch.Generator().manual_seed(0))
    # The critic's input as it was built before the factorisation: every row its copy's
    # state, then (agent_id) the agent's one-hot.
    n = len(agent.agent_ids)
    plain_in = np.repeat(batch["states"], n, axis=1)
    if agent_id:
        one_hot = np.tile(np.eye(n, dtype=np.float32), (15, 2, 1))
        plain_in = np.concatenate([plain_in, one_hot], 2)
    with torch.no_grad():
        plain = agent.critic(torch.as_tensor(plain_in)).squeeze(-1).numpy()
    # Value normalization is still the identity: no update has run.
    np.testing.assert_allclose(batch["values"], plain, rtol=1e-5, atol=1e-5)
    # The update's path: rows of the flattened rollout, in any order and with repeats.
    states = torch.as_tensor(batch["states"].reshape(-1, agent.state_dim))
    rows = np.random.default_rng(0).integers(0, 15 * 2 * n, 60)
    with torch.no_grad():
        values = agent._row_values(states, rows).numpy()
    np.testing.assert_allclose(values, plain.ravel()[rows], rtol=1e-5, atol=1e-5)


def test_save_and_load_give_identical_actions(tmp_path):
    target = ParallelTarget(UAV, {**SMALL, "action_type": "continuous"})
    agent = MAPPO(target, n_copies=2, hyperparams=TINY).fit(100, seed=1)
    agent.save(tmp_path / "mappo")
    loaded = MAPPO.load(tmp_path / "mappo")
    env = target.make()
    observations, _ = env.reset(seed=3)
    while env.agents:
        actions = agent.act(observations, env.state())
        again = loaded.act(observations)
        for a, action in actions.items():
            assert env.action_space(a).contains(action)
            np.testing.assert_array_equal(action, again[a])
        observations, *_ = env.step(actions)


def test_training_is_deterministic_given_the_seed():
    target = ParallelTarget(UAV, SMALL)

    def trained(seed):
        return MAPPO(target, n_copies=2, hyperparams=TINY).fit(150, seed=seed)

    def returns(agent):  # the rows' seconds are wall times, not part of the determinism
        return [(row["step"], row["episode_return"]) for row in agent.learning_curve]

    first, second, other = trained(4), trained(4), trained(5)
    assert returns(first) == returns(second)
    for p, q in zip(first.actor.parameters(), second.actor.parameters(), strict=True):
        torch.testing.assert_close(p, q, rtol=0, atol=0)
    differs = [
        not torch.equal(p, q)
        for p, q in zip(first.critic.parameters(), other.critic.parameters(), strict=True)
    ]
    assert any(differs)


class _NoState(ParallelEnv):
    metadata = {"name": "no_state"}
    possible_agents = ["a", "b"]

    def observation_space(self, agent):
        return spaces.Box(0, 1, (2,))

    def action_space(self, agent):
        return spaces.Discrete(2)

    def reset(self, seed=None, options=None):
        self.agents = list(self.possible_agents)
        return {a: np.zeros(2, np.float32) for a in self.agents}, {a: {} for a in self.agents}


@dataclasses.dataclass(frozen=True)
class _NoStateTarget(ParallelTarget):
    def make(self, **extra):
        return _NoState()


def test_mappo_names_the_env_without_a_global_state():
    with pytest.raises(ConfigError, match=r"'tests:no_state' has no state\(\)"):
        MAPPO(_NoStateTarget("tests:no_state"))


def test_mappo_refuses_single_agent_ids_and_unknown_hyperparameters():
    from fieldgym.agents import EnvTarget

    with pytest.raises(ConfigError, match="multi-agent"):
        MAPPO(EnvTarget("fieldgym/EdgeOffloading-v1"))
    with pytest.raises(ConfigError, match="no hyperparameter"):
        MAPPO(ParallelTarget(UAV, SMALL), hyperparams={"learning_rate": 1.0})


def test_fit_writes_tensorboard_logs_into_log_dir(tmp_path):
    """``fit`` took ``log_dir`` and wrote nothing there."""
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    target = ParallelTarget(UAV, SMALL)
    agent = MAPPO(target, n_copies=2, hyperparams=TINY).fit(150, seed=0, log_dir=tmp_path)
    events = EventAccumulator(str(tmp_path / "mappo"))
    events.Reload()
    tags = set(events.Tags()["scalars"])
    assert {"charts/episodic_return", "losses/policy_loss", "losses/value_loss"} <= tags
    episodes = [row for row in agent.learning_curve if "episode_return" in row]
    assert len(episodes) >= 2
    logged = events.Scalars("charts/episodic_return")
    assert [e.value for e in logged] == pytest.approx([r["episode_return"] for r in episodes])
