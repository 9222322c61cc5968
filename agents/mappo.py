"""MAPPO: PPO with shared decentralized actors and a centralized critic (Yu et al. 2022).

Every agent of every copy of a PettingZoo parallel env is one row of the
:class:`~fieldgym.agents.multiagent.SharedAgentsVecEnv` bridge, as for ``shared_ppo``. The
actor (one network for every agent) sees the agent's own observation; the critic sees the
copy's global ``env.state()``; both may also see a one-hot of the agent's index. The actor
alone acts, so execution stays decentralized. All agents of a copy share its state, so the
critic (:class:`CentralCritic`) evaluates the state's part of its first layer once per
copy rather than once per agent.

Training follows the MAPPO recipe: GAE, the clipped PPO objective with an entropy bonus,
minibatches over several epochs, separate Adam optimizers, layer-normalized inputs, value
normalization (running mean and variance of the returns) and clipped value updates.
Discrete and Box action spaces; Box actions are a diagonal Gaussian clipped to the bounds.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, ClassVar, Self

import numpy as np
import torch
from gymnasium import spaces
from torch import nn

from fieldgym.agents import model_files
from fieldgym.agents.base import ParallelPolicy, with_defaults
from fieldgym.agents.multiagent import SharedAgentsVecEnv, require_parallel
from fieldgym.agents.nets import RunningMoments, mlp
from fieldgym.agents.target import ParallelTarget
from fieldgym.agents.training import Budget, TrainingBar, episode_row
from fieldgym.envs.core.errors import ConfigError

DEFAULTS: dict[str, Any] = {
    "n_steps": 32,
    "n_epochs": 2,
    "n_minibatches": 2,
    "lr": 7e-4,
    "critic_lr": 7e-4,
    "gamma": 0.99,
    "gae_lambda": 0.95,
    "clip_range": 0.2,
    "value_clip": 0.2,
    "ent_coef": 0.01,
    "max_grad_norm": 10.0,
    "hidden": 64,
    "agent_id": True,
    "value_norm": True,
    "feature_norm": True,
}
"""Hyperparameters; ``n_steps`` is the rollout length per row, ``value_clip`` ``None`` to
turn value clipping off."""


def gae(
    rewards: np.ndarray,
    values: np.ndarray,
    next_values: np.ndarray,
    ends: np.ndarray,
    gamma: float,
    lam: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Generalized advantage estimation over a rollout of shape ``(steps, rows)``.

    Args:
        rewards: Reward of each step.
        values: Value of the state each step started from.
        next_values: Value of the state each step led to: ``0`` where the episode
            terminated, the final state's value where it was truncated.
        ends: Whether the episode ended at the step (the advantage does not flow back
            across it).
        gamma: Discount.
        lam: GAE lambda.

    Returns:
        ``(advantages, returns)`` with ``returns = advantages + values``.
    """
    advantages = np.zeros_like(rewards, dtype=np.float64)
    running = np.zeros(rewards.shape[1:], dtype=np.float64)
    for t in reversed(range(len(rewards))):
        delta = rewards[t] + gamma * next_values[t] - values[t]
        running = delta + gamma * lam * (1.0 - ends[t]) * running
        advantages[t] = running
    return advantages, advantages + values


def _mlp(n_in: int, n_out: int, hidden: int, feature_norm: bool = True) -> nn.Sequential:
    """MAPPO's network: tanh layers after a LayerNorm of the inputs (an identity without)."""
    first = nn.LayerNorm(n_in) if feature_norm else nn.Identity()
    return mlp(n_in, n_out, hidden, activation=nn.Tanh, first=first)


class CentralCritic(nn.Sequential):
    """The centralized value ``V(state, agent)``: ``_mlp`` on ``[state, one_hot(agent)]``.

    Called as a module it is that plain network on the concatenated input (``n_agents``
    one-hot columns after the ``state_dim`` state columns; ``n_agents=0``: no one-hot).
    :meth:`values`, which training uses, computes the same function of the same parameters
    (the checkpoint keys are the plain network's) without repeating a copy's state on each
    of its agents' rows. It runs the plain LayerNorm and first layer once per state, on
    agent 0's input ``x_0 = [s, e_0]``, and moves the result to agent ``i``:

    * The inputs ``[s, e_i]`` of one state differ only in where the one-hot's 1 is, so they
      share the LayerNorm's mean ``mu`` and standard deviation ``sigma`` (one 1 and
      ``n - 1`` zeros beside ``s`` whatever ``i``). With the LayerNorm's scale
      ``g = [g_s, g_e]``, ``norm([s, e_i]) - norm(x_0) = [0, (e_i - e_0) * g_e] / sigma``.
    * The first layer (weight ``W = [W_s, W_e]``) is linear, so its pre-activation for
      agent ``i`` is agent 0's plus ``(u_i - u_0) / sigma``, where ``u_i = W_e[:, i] g_i``
      (the one-hot's column of the first layer, scaled by the LayerNorm).
    * Without ``feature_norm`` the same holds with ``g = 1`` and ``sigma = 1``.

    So the ``(state_dim + n_agents) x hidden`` product runs once per copy (and step)
    instead of once per agent; the rest of the network (tanh, hidden layer, tanh, output)
    runs on each agent's row.
    """

    def __init__(
        self, state_dim: int, n_agents: int, hidden: int, feature_norm: bool = True
    ) -> None:
        super().__init__(*_mlp(state_dim + n_agents, 1, hidden, feature_norm))
        self.state_dim, self.n_agents = state_dim, n_agents

    def values(
        self, states: torch.Tensor, state_index: torch.Tensor, agent_index: torch.Tensor
    ) -> torch.Tensor:
        """Values of rows, each an agent in a state, with each state's part computed once.

        Row ``k`` is agent ``agent_index[k]`` in ``states[state_index[k]]``: the result is
        ``self(cat([states[state_index], one_hot(agent_index)], 1))[:, 0]``.

        Args:
            states: Distinct global states, shape ``(m, state_dim)``.
            state_index: For each row, the index of its state in ``states``.
            agent_index: For each row, its agent's index (ignored without one-hot).

        Returns:
            One value per row (normalized, as the network outputs it).
        """
        norm, first = self[0], self[1]
        x0 = states  # agent 0's input
        if self.n_agents:
            e0 = torch.eye(1, self.n_agents).expand(len(states), -1)
            x0 = torch.cat([states, e0], 1)
        h = first(norm(x0))[state_index]
        if self.n_agents:
            u = first.weight[:, self.state_dim :]
            if isinstance(norm, nn.LayerNorm):
                u = u * norm.weight[self.state_dim :]
                centred = x0 - x0.mean(1, keepdim=True)  # (torch's var is slow on small arrays)
                inv_sigma = torch.rsqrt(centred.square().mean(1, keepdim=True) + norm.eps)
                h = h + (u.T - u[:, 0])[agent_index] * inv_sigma[state_index]
            else:
                h = h + (u.T - u[:, 0])[agent_index]
        for layer in list(self)[2:]:  # tanh, hidden layer, tanh, output layer
            h = layer(h)
        return h.squeeze(-1)


class Actor(nn.Module):
    """The shared policy: categorical logits, or a Gaussian mean with a learned log-std."""

    def __init__(
        self, n_in: int, action_space: spaces.Space, hidden: int, feature_norm: bool = True
    ) -> None:
        super().__init__()
        self.discrete = isinstance(action_space, spaces.Discrete)
        n_out = int(action_space.n) if self.discrete else int(np.prod(action_space.shape))
        self.net = _mlp(n_in, n_out, hidden, feature_norm)
        with torch.no_grad():
            self.net[-1].weight.mul_(0.01)
            self.net[-1].bias.zero_()
        self.log_std = nn.Parameter(torch.full((n_out,), -0.5), requires_grad=not self.discrete)

    def dist(self, x: torch.Tensor) -> torch.distributions.Distribution:
        out = self.net(x)
        if self.discrete:
            return torch.distributions.Categorical(logits=out)
        return torch.distributions.Normal(out, self.log_std.exp())

    def log_prob(self, d: torch.distributions.Distribution, a: torch.Tensor) -> torch.Tensor:
        return d.log_prob(a) if self.discrete else d.log_prob(a).sum(-1)

    def entropy(self, d: torch.distributions.Distribution) -> torch.Tensor:
        return d.entropy() if self.discrete else d.entropy().sum(-1)


def global_state(env: Any, env_id: str) -> np.ndarray:
    """``env.state()`` as a flat float array, or a :class:`ConfigError` naming the env."""
    try:
        state = env.state()
    except (AttributeError, NotImplementedError) as error:
        raise ConfigError(
            f"mappo's centralized critic needs the global state, but {env_id!r} has no "
            f"state() ({type(error).__name__}); use shared_ppo, which needs none."
        ) from error
    return np.asarray(state, dtype=np.float32).ravel()


class MAPPO(ParallelPolicy):
    """Multi-agent PPO with a centralized critic on ``env.state()``.

    Args:
        target: A multi-agent environment whose ``state()`` is available.
        n_copies: Copies of the environment stepped together while training.
        hyperparams: Overrides of :data:`DEFAULTS`.
    """

    name = "mappo"
    learns: ClassVar[bool] = True

    def __init__(
        self,
        target: ParallelTarget,
        n_copies: int = 32,
        hyperparams: dict[str, Any] | None = None,
    ) -> None:
        require_parallel(target, "mappo")
        hp = with_defaults("mappo", hyperparams, DEFAULTS)
        super().__init__(target)
        self.n_copies = n_copies
        self.hp = hp
        env = target.make()
        env.reset(seed=0)
        self.agent_ids: list[str] = list(env.possible_agents)
        self.state_dim = global_state(env, target.id).size
        self.obs_dim = int(np.prod(env.observation_space(self.agent_ids[0]).shape))
        self.action_space = env.action_space(self.agent_ids[0])
        env.close()
        if not isinstance(self.action_space, spaces.Discrete | spaces.Box):
            raise ConfigError(f"mappo acts in Discrete or Box spaces, not {self.action_space}.")
        self._build()
        self.trained = False
        self._returns, self._steps = np.zeros(n_copies), 0

    def _build(self) -> None:
        """New actor, critic and value normalizer (from torch's current random state)."""
        n_id = len(self.agent_ids) if self.hp["agent_id"] else 0
        hidden, norm = self.hp["hidden"], self.hp["feature_norm"]
        self.actor = Actor(self.obs_dim + n_id, self.action_space, hidden, norm)
        self.critic = CentralCritic(self.state_dim, n_id, hidden, norm)
        self.value_norm = RunningMoments()

    # -- inputs ---------------------------------------------------------------------------

    def _with_id(self, x: np.ndarray, agent_index: np.ndarray) -> np.ndarray:
        x = np.asarray(x, np.float32).reshape(len(agent_index), -1)
        if not self.hp["agent_id"]:
            return x
        return np.concatenate([x, np.eye(len(self.agent_ids), dtype=np.float32)[agent_index]], 1)

    def _value(self, states: np.ndarray) -> np.ndarray:
        """Denormalized values of every agent of the copies whose states are ``states``.

        One state per copy in; out in the bridge's row order (copy-major), shape
        ``(len(states) * n_agents,)``.
        """
        n = len(self.agent_ids)
        rows = np.arange(len(states) * n)
        copy, agent = torch.as_tensor(rows // n), torch.as_tensor(rows % n)
        with torch.no_grad():
            v = self.critic.values(torch.as_tensor(states), copy, agent)
        v = v.numpy().astype(np.float64)
        return self.value_norm.denormalize(v) if self.hp["value_norm"] else v

    def _row_values(self, states: torch.Tensor, rows: np.ndarray) -> torch.Tensor:
        """The critic's (normalized) values of some rows of a flattened rollout.

        Row ``r`` is agent ``r % n_agents`` in ``states[r // n_agents]`` (a state per step
        and copy); the distinct states among ``rows`` go through the critic's first layer
        once.
        """
        n = len(self.agent_ids)
        used, state_index = np.unique(rows // n, return_inverse=True)
        agent_index = torch.as_tensor(rows % n)
        return self.critic.values(states[used], torch.as_tensor(state_index), agent_index)

    def _copy_states(self, venv: SharedAgentsVecEnv) -> np.ndarray:
        """Each copy's global state, shape ``(copies, state_dim)``.

        The bridge gives one per row, i.e. each copy's repeated for its agents.
        """
        return np.ascontiguousarray(venv.states()[:: len(self.agent_ids)])

    def _env_action(self, a: np.ndarray) -> np.ndarray:
        if isinstance(self.action_space, spaces.Box):
            return np.clip(a, self.action_space.low, self.action_space.high)
        return a.astype(np.int64)

    # -- training -------------------------------------------------------------------------

    def collect(self, venv: SharedAgentsVecEnv, obs: np.ndarray, gen: torch.Generator) -> dict:
        """One rollout of ``n_steps`` on the bridge, starting from ``obs``.

        Returns arrays of shape ``(n_steps, rows, ...)``: ``actor_in``, ``actions``,
        ``log_probs``, ``values``, ``next_values``, ``rewards``, ``ends``; ``states`` of
        shape ``(n_steps, copies, state_dim)``, each copy's ``state()`` (the critic's input
        for all its agents, row ``c * n_agents + i`` being agent ``i`` of copy ``c``); plus
        ``last_obs`` to continue from.
        """
        rows, n = venv.num_envs, len(self.agent_ids)
        index = np.arange(rows) % n
        keys = ("actor_in", "states", "actions", "log_probs", "values", "next_values")
        buf: dict[str, list] = {k: [] for k in (*keys, "rewards", "ends")}
        states = self._copy_states(venv)
        values = self._value(states)
        for _ in range(self.hp["n_steps"]):
            actor_in = self._with_id(obs, index)
            with torch.no_grad():
                d = self.actor.dist(torch.as_tensor(actor_in))
                if self.actor.discrete:
                    probs = d.probs
                    a = torch.multinomial(probs, 1, generator=gen).squeeze(-1)
                else:
                    noise = torch.randn(d.mean.shape, generator=gen)
                    a = d.mean + d.stddev * noise
                logp = self.actor.log_prob(d, a)
            actions = a.numpy()
            obs, rewards, dones, infos = venv.step(self._env_action(actions))
            next_states = self._copy_states(venv)
            next_values = self._value(next_states)
            bootstrap = next_values.copy()
            ended = np.flatnonzero(dones[::n])  # copies whose episode ended (and were reset)
            if ended.size:  # their rows: the final state's value if truncated, else 0
                rows_of = (ended[:, None] * n + np.arange(n)).ravel()
                final = self._value(np.stack([infos[c * n]["terminal_state"] for c in ended]))
                truncated = [infos[r].get("TimeLimit.truncated", False) for r in rows_of]
                bootstrap[rows_of] = np.where(truncated, final, 0.0)
            for key, value in zip(
                (*keys, "rewards", "ends"),
                (actor_in, states, actions, logp.numpy(), values, bootstrap, rewards, dones),
                strict=True,
            ):
                buf[key].append(value)
            states, values = next_states, next_values
            self._track(rewards, dones)
        out = {k: np.stack(v) for k, v in buf.items()}
        out["last_obs"] = obs
        return out

    def _track(self, rewards: np.ndarray, dones: np.ndarray) -> None:
        """Team return per copy (mean over agents, summed over steps) for the curve."""
        n = len(self.agent_ids)
        self._returns += rewards.reshape(-1, n).mean(1)
        self._steps += len(rewards)
        for c in np.flatnonzero(dones.reshape(-1, n).all(1)):
            self.learning_curve.append(episode_row(self._steps, self._returns[c], self._clock))
            self._returns[c] = 0.0

    def update(self, batch: dict, rng: np.random.Generator) -> dict[str, float]:
        """PPO epochs over minibatches of one rollout; returns the last losses."""
        hp = self.hp
        adv, returns = gae(
            batch["rewards"],
            batch["values"],
            batch["next_values"],
            batch["ends"].astype(np.float64),
            hp["gamma"],
            hp["gae_lambda"],
        )
        old_values = batch["values"]
        if hp["value_norm"]:
            old_values = self.value_norm.normalize(old_values)
            self.value_norm.update(returns)
            returns = self.value_norm.normalize(returns)
        # Flat row (t * copies + c) * n_agents + i: agent i in flat state t * copies + c.
        states = torch.as_tensor(batch["states"].reshape(-1, self.state_dim))
        flat = {
            "actor_in": batch["actor_in"].reshape(-1, batch["actor_in"].shape[-1]),
            "actions": batch["actions"].reshape(adv.size, *batch["actions"].shape[2:]),
            "log_probs": batch["log_probs"].ravel(),
            "adv": (adv.ravel() - adv.mean()) / (adv.std() + 1e-8),
            "returns": returns.ravel(),
            "old_values": old_values.ravel(),
        }
        t = {k: torch.as_tensor(v, dtype=torch.float32) for k, v in flat.items()}
        if self.actor.discrete:
            t["actions"] = torch.as_tensor(flat["actions"], dtype=torch.int64)
        size = len(flat["adv"])
        info: dict[str, float] = {}
        for _ in range(hp["n_epochs"]):
            for mb in np.array_split(rng.permutation(size), hp["n_minibatches"]):
                d = self.actor.dist(t["actor_in"][mb])
                ratio = (self.actor.log_prob(d, t["actions"][mb]) - t["log_probs"][mb]).exp()
                a = t["adv"][mb]
                clipped = ratio.clamp(1 - hp["clip_range"], 1 + hp["clip_range"])
                policy_loss = -torch.min(ratio * a, clipped * a).mean()
                entropy = self.actor.entropy(d).mean()
                self.actor_opt.zero_grad()
                (policy_loss - hp["ent_coef"] * entropy).backward()
                nn.utils.clip_grad_norm_(self.actor.parameters(), hp["max_grad_norm"])
                self.actor_opt.step()

                v = self._row_values(states, mb)
                target = t["returns"][mb]
                value_loss = (v - target) ** 2
                if hp["value_clip"] is not None:
                    old = t["old_values"][mb]
                    v_clip = old + (v - old).clamp(-hp["value_clip"], hp["value_clip"])
                    value_loss = torch.max(value_loss, (v_clip - target) ** 2)
                self.critic_opt.zero_grad()
                value_loss.mean().backward()
                nn.utils.clip_grad_norm_(self.critic.parameters(), hp["max_grad_norm"])
                self.critic_opt.step()
                info = {
                    "policy_loss": float(policy_loss.detach()),
                    "value_loss": float(value_loss.detach().mean()),
                    "entropy": float(entropy.detach()),
                }
        return info

    def fit(
        self,
        budget: int | Budget,
        seed: int = 0,
        log_dir: str | Path | None = None,
        progress: bool = False,
    ) -> Self:
        """Train within ``budget``: agent-steps (rows of the bridge, all copies) or a Budget.

        Whole rollouts are run: a step budget is met or passed by less than one rollout.

        Training is deterministic given ``seed``: it seeds the networks, the sampling of
        actions, the minibatch order and the copies (``seed + c`` for copy ``c``). With
        ``log_dir``, TensorBoard logs go to ``log_dir/mappo``: each finished episode's return
        and each update's losses, by agent-steps.
        """
        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            torch.manual_seed(seed)
            self._build()
            self.learning_curve = []
            gen = torch.Generator().manual_seed(seed)
            rng = np.random.default_rng(seed)
            self.actor_opt = torch.optim.Adam(self.actor.parameters(), lr=self.hp["lr"], eps=1e-5)
            self.critic_opt = torch.optim.Adam(
                self.critic.parameters(), lr=self.hp["critic_lr"], eps=1e-5
            )
            venv = SharedAgentsVecEnv(self.target.make, self.n_copies, with_state=True)
            venv.seed(seed)
            obs = venv.reset()
            self._returns = np.zeros(self.n_copies)
            self._steps = 0
            self._clock = Budget.of(budget).start(self)
            self.losses: list[dict[str, float]] = []
            self.trained = True  # checkpoints act with the networks as they are
            bar = TrainingBar(self._clock, progress)
            writer = _writer(log_dir)
            logged = 0
            while self._clock.tick(self._steps):
                batch = self.collect(venv, obs, gen)
                obs = batch["last_obs"]
                self.losses.append(self.update(batch, rng))
                bar.update(self._steps)
                if writer is not None:
                    logged = _log_update(writer, self, logged)
            bar.close()
            self._clock.finish()
            venv.close()
            if writer is not None:
                writer.close()
        finally:
            torch.set_num_threads(threads)
        return self

    # -- acting, saving -------------------------------------------------------------------

    def act(self, observations: dict[str, np.ndarray], state: np.ndarray | None = None) -> dict:
        """Greedy actions (the mode, or the clipped mean) for every agent; ``state`` unused."""
        if not self.trained:
            raise RuntimeError("mappo has not been trained or loaded: call fit() or load().")
        agents = list(observations)
        index = np.array([self.agent_ids.index(a) for a in agents])
        x = self._with_id(np.stack([observations[a] for a in agents]), index)
        with torch.no_grad():
            d = self.actor.dist(torch.as_tensor(x))
            a = d.probs.argmax(-1) if self.actor.discrete else d.mean
        actions = self._env_action(a.numpy())
        return {agent: actions[k] for k, agent in enumerate(agents)}

    def save(self, path: str | Path) -> None:
        """Write ``model.pt`` (networks, value normalizer) and ``agent.json`` into ``path``."""
        if not self.trained:
            raise RuntimeError("mappo has not been trained: nothing to save.")
        folder = Path(path)
        folder.mkdir(parents=True, exist_ok=True)
        norm = {"mean": self.value_norm.mean, "var": self.value_norm.var}
        norm["count"] = self.value_norm.count
        torch.save(
            {"actor": self.actor.state_dict(), "critic": self.critic.state_dict(), "norm": norm},
            folder / "model.pt",
        )
        meta = {
            "algo": "mappo",
            "env_id": self.target.id,
            "env_kwargs": self.target.kwargs,
            "n_copies": self.n_copies,
            "hyperparams": self.hp,
        }
        (folder / "agent.json").write_text(json.dumps(meta, indent=2, default=str))

    @classmethod
    def load(
        cls, path: str | Path, target: ParallelTarget | None = None, *, trust_pickle: bool = False
    ) -> Self:
        """Read an agent written by :meth:`save`; ``target`` defaults to its training env.

        ``model.pt`` is read with ``torch.load(weights_only=True)`` (tensors only), so
        nothing is unpickled; ``trust_pickle`` is accepted for the common interface and
        changes nothing.
        """
        folder = Path(path)
        meta = json.loads((folder / "agent.json").read_text())
        target = target or ParallelTarget(meta["env_id"], meta["env_kwargs"])
        agent = cls(target, meta["n_copies"], meta["hyperparams"])
        blob = model_files.load_tensors(folder / "model.pt")
        agent.actor.load_state_dict(blob["actor"])
        agent.critic.load_state_dict(blob["critic"])
        for key, value in blob["norm"].items():
            setattr(agent.value_norm, key, float(value))
        agent.trained = True
        return agent


def _writer(log_dir: str | Path | None) -> Any:
    """A TensorBoard writer into ``log_dir/mappo``, or ``None`` without a ``log_dir``."""
    if log_dir is None:
        return None
    from torch.utils.tensorboard import SummaryWriter

    return SummaryWriter(str(Path(log_dir) / "mappo"))


def _log_update(writer: Any, learner: MAPPO, logged: int) -> int:
    """Write the episodes finished since row ``logged`` and the last update's losses.

    Returns the number of learning-curve rows written so far.
    """
    rows = learner.learning_curve
    for row in rows[logged:]:
        if "episode_return" in row:
            writer.add_scalar("charts/episodic_return", row["episode_return"], row["step"])
    for name, value in learner.losses[-1].items():
        writer.add_scalar(f"losses/{name}", value, learner._steps)
    return len(rows)
