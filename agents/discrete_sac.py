"""Soft actor-critic for discrete actions (Christodoulou, 2019), in the CleanRL spirit.

stable-baselines3 and sb3-contrib have no discrete SAC, so it is written out here, top to
bottom, behind the :class:`~fieldgym.agents.base.Policy` interface. With ``|A|`` actions:

* two soft Q-networks output ``Q(s, .)`` for every action at once, with Polyak-averaged
  targets; the soft state value is an exact expectation over the policy,
  ``V(s') = sum_a pi(a|s') [min(Q1', Q2')(s', a) - alpha log pi(a|s')]``;
* the policy is a categorical over the actions; its loss is
  ``E_s sum_a pi(a|s) [alpha log pi(a|s) - min(Q1, Q2)(s, a)]``, again an exact
  expectation, so no reparameterization is needed;
* the temperature ``alpha`` is tuned automatically towards the target entropy
  ``target_entropy_scale * log|A|`` (a share of the uniform policy's entropy).

Training steps the environment's vectorized form (``EnvTarget.make_vec``), observations
are normalized with running statistics saved with the model, and TensorBoard logs use
CleanRL's keys (``charts/episodic_return``, ``losses/qf_loss``, ``losses/alpha``, ...).
Non-discrete action spaces go through the discretizer adapter, as for DQN.
"""

from __future__ import annotations

import copy
import json
import time
from pathlib import Path
from typing import Any, ClassVar, Self

import numpy as np
import torch
import torch.nn.functional as F
from gymnasium import spaces
from torch import nn

from fieldgym.agents import model_files
from fieldgym.agents.base import Policy, with_defaults
from fieldgym.agents.nets import RunningMoments, mlp
from fieldgym.agents.target import EnvTarget
from fieldgym.agents.training import Budget, TrainingBar, episode_row
from fieldgym.envs.core.adapters import VECTOR_WRAPPERS, ActionCodec
from fieldgym.envs.core.wrappers import flatten_observation

DEFAULTS: dict[str, Any] = {
    "learning_rate": 3e-4,
    "buffer_size": 100_000,
    "batch_size": 128,
    "learning_starts": 1_000,
    "gamma": 0.99,
    "tau": 0.005,
    "gradient_steps": 1,
    "target_entropy_scale": 0.89,
    "hidden": 64,
}
"""Hyperparameters; ``gradient_steps`` updates follow each step of the ``n_envs`` copies.

CleanRL's values, but with smaller networks and batches (``hidden`` 64, ``batch_size``
128) for CPU budgets; ``target_entropy_scale`` 0.89 is CleanRL's default."""


class DiscreteSAC(Policy):
    """Discrete soft actor-critic on a fieldgym (or any Gymnasium) environment.

    Args:
        target: The environment to learn.
        n_envs: Copies stepped together while training.
        train_env_kwargs: Environment fields that differ while training only, e.g.
            ``{"preference_sampling": "uniform"}`` to train one preference-conditioned
            policy that is then evaluated at fixed preferences.
        levels: Grid points per dimension when a ``Box`` action space is discretized.
        hyperparams: Overrides of :data:`DEFAULTS`.
    """

    name = "discrete_sac"
    learns: ClassVar[bool] = True

    def __init__(
        self,
        target: EnvTarget,
        n_envs: int = 4,
        train_env_kwargs: dict[str, Any] | None = None,
        levels: int = 5,
        hyperparams: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(target)
        self.hp = with_defaults("discrete_sac", hyperparams, DEFAULTS)
        self.n_envs = n_envs
        self.train_env_kwargs = dict(train_env_kwargs or {})
        self.levels = levels
        probe = flatten_observation(target.make())
        self.observation_space = probe.observation_space
        env_actions = probe.unwrapped.action_space
        probe.close()
        self.codec = (
            None
            if isinstance(env_actions, spaces.Discrete)
            else ActionCodec(env_actions, "discretize", levels)
        )
        self.action_start = int(env_actions.start) if self.codec is None else 0
        self.num_actions = int((self.codec.agent_space if self.codec else env_actions).n)
        size = int(np.prod(self.observation_space.shape))
        hidden = int(self.hp["hidden"])
        self.actor = mlp(size, self.num_actions, hidden)
        self.qf1, self.qf2 = (
            mlp(size, self.num_actions, hidden),
            mlp(size, self.num_actions, hidden),
        )
        self.normalizer = RunningMoments(size)
        self.log_alpha = torch.zeros(1, requires_grad=True)
        self.trained = False

    def _scaled(self, observations: np.ndarray) -> np.ndarray:
        """Observations standardized with the running moments, clipped to ±10, as float32."""
        return np.clip(self.normalizer.normalize(observations), -10.0, 10.0).astype(np.float32)

    def _policy(self, obs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Action probabilities and their logs, ``(n, |A|)`` each."""
        logits = self.actor(obs)
        return F.softmax(logits, dim=1), F.log_softmax(logits, dim=1)

    def fit(
        self,
        budget: int | Budget,
        seed: int = 0,
        log_dir: str | Path | None = None,
        progress: bool = False,
    ) -> Self:
        """Train within ``budget``: environment steps (over all copies) or a Budget."""
        torch.set_num_threads(1)
        budget = Budget.of(budget)
        torch.manual_seed(seed)
        rng = np.random.default_rng(seed)
        hp = self.hp
        train_target = EnvTarget(self.target.id, {**self.target.kwargs, **self.train_env_kwargs})
        raw = train_target.make_vec(self.n_envs)
        raw_space = raw.single_observation_space  # final observations come unflattened
        envs = flatten_observation(raw)
        if self.codec is not None:
            envs = VECTOR_WRAPPERS["discretize"](envs, self.levels)
        writer = None
        if log_dir is not None:
            from torch.utils.tensorboard import SummaryWriter

            writer = SummaryWriter(str(Path(log_dir) / "discrete_sac"))
        qf1_target = _clone(self.qf1)
        qf2_target = _clone(self.qf2)
        q_optimizer = torch.optim.Adam(
            [*self.qf1.parameters(), *self.qf2.parameters()], lr=hp["learning_rate"]
        )
        actor_optimizer = torch.optim.Adam(self.actor.parameters(), lr=hp["learning_rate"])
        alpha_optimizer = torch.optim.Adam([self.log_alpha], lr=hp["learning_rate"])
        target_entropy = hp["target_entropy_scale"] * np.log(self.num_actions)

        size = self.normalizer.mean.size
        capacity = int(hp["buffer_size"])
        buffer = {
            "obs": np.zeros((capacity, size), dtype=np.float32),
            "next_obs": np.zeros((capacity, size), dtype=np.float32),
            "actions": np.zeros(capacity, dtype=np.int64),
            "rewards": np.zeros(capacity, dtype=np.float32),
            "dones": np.zeros(capacity, dtype=np.float32),
        }
        stored, cursor = 0, 0
        obs, _ = envs.reset(seed=seed)
        obs = np.asarray(obs, dtype=np.float32).reshape(self.n_envs, -1)
        returns = np.zeros(self.n_envs)
        clock = budget.start(self)  # after the set-up, which is not training
        bar = TrainingBar(clock, progress)
        start, step = time.perf_counter(), 0
        self.trained = True  # checkpoints act with the networks as they are
        while clock.tick(step):
            self.normalizer.update(obs)
            if step < hp["learning_starts"]:
                actions = rng.integers(self.num_actions, size=self.n_envs)
            else:
                with torch.no_grad():
                    probs, _ = self._policy(torch.as_tensor(self._scaled(obs)))
                actions = torch.distributions.Categorical(probs=probs).sample().numpy()
            next_obs, rewards, terminated, truncated, infos = envs.step(
                actions + (self.action_start if self.codec is None else 0)
            )
            next_obs = np.asarray(next_obs, dtype=np.float32).reshape(self.n_envs, -1)
            real_next = next_obs.copy()
            done = np.logical_or(terminated, truncated)
            if "final_obs" in infos:
                for i in np.flatnonzero(done):
                    real_next[i] = spaces.flatten(raw_space, infos["final_obs"][i])
            rows = (cursor + np.arange(self.n_envs)) % capacity
            buffer["obs"][rows] = obs
            buffer["next_obs"][rows] = real_next
            buffer["actions"][rows] = actions
            buffer["rewards"][rows] = rewards
            buffer["dones"][rows] = terminated
            cursor, stored = (cursor + self.n_envs) % capacity, min(stored + self.n_envs, capacity)
            returns += rewards
            step += self.n_envs
            for i in np.flatnonzero(done):
                self.learning_curve.append(episode_row(step, returns[i], clock))
                if writer:
                    writer.add_scalar("charts/episodic_return", returns[i], step)
                returns[i] = 0.0
            obs = next_obs
            bar.update(step)
            if step < hp["learning_starts"]:
                continue
            for _ in range(int(hp["gradient_steps"])):
                batch = rng.integers(stored, size=int(hp["batch_size"]))
                b_obs = torch.as_tensor(self._scaled(buffer["obs"][batch]))
                b_next = torch.as_tensor(self._scaled(buffer["next_obs"][batch]))
                b_actions = torch.as_tensor(buffer["actions"][batch])[:, None]
                b_rewards = torch.as_tensor(buffer["rewards"][batch])
                b_dones = torch.as_tensor(buffer["dones"][batch])
                alpha = self.log_alpha.exp().item()
                # soft Q targets: an exact expectation over the next state's policy
                with torch.no_grad():
                    next_probs, next_log_pi = self._policy(b_next)
                    next_q = torch.min(qf1_target(b_next), qf2_target(b_next))
                    next_v = (next_probs * (next_q - alpha * next_log_pi)).sum(dim=1)
                    q_target = b_rewards + (1.0 - b_dones) * hp["gamma"] * next_v
                q1 = self.qf1(b_obs).gather(1, b_actions).squeeze(1)
                q2 = self.qf2(b_obs).gather(1, b_actions).squeeze(1)
                qf_loss = F.mse_loss(q1, q_target) + F.mse_loss(q2, q_target)
                q_optimizer.zero_grad()
                qf_loss.backward()
                q_optimizer.step()
                # policy: minimize E_s sum_a pi(a|s) [alpha log pi(a|s) - min Q(s, a)]
                probs, log_pi = self._policy(b_obs)
                with torch.no_grad():
                    min_q = torch.min(self.qf1(b_obs), self.qf2(b_obs))
                actor_loss = (probs * (alpha * log_pi - min_q)).sum(dim=1).mean()
                actor_optimizer.zero_grad()
                actor_loss.backward()
                actor_optimizer.step()
                # temperature: drive the policy's entropy towards the target
                entropy = -(probs.detach() * log_pi.detach()).sum(dim=1)
                alpha_loss = (self.log_alpha.exp() * (entropy - target_entropy)).mean()
                alpha_optimizer.zero_grad()
                alpha_loss.backward()
                alpha_optimizer.step()
                with torch.no_grad():
                    for net, tgt in ((self.qf1, qf1_target), (self.qf2, qf2_target)):
                        for p, tp in zip(net.parameters(), tgt.parameters(), strict=True):
                            tp.mul_(1.0 - hp["tau"]).add_(hp["tau"] * p)
            if writer and step % (100 * self.n_envs) < self.n_envs:
                writer.add_scalar("losses/qf_loss", qf_loss.item(), step)
                writer.add_scalar("losses/actor_loss", actor_loss.item(), step)
                writer.add_scalar("losses/alpha", alpha, step)
                writer.add_scalar("losses/entropy", entropy.mean().item(), step)
                writer.add_scalar("charts/SPS", step / (time.perf_counter() - start), step)
        bar.close()
        clock.finish()
        envs.close()
        if writer:
            writer.close()
        return self

    def probabilities(self, observation: np.ndarray) -> np.ndarray:
        """The policy's action probabilities for one observation."""
        flat = np.asarray(observation, dtype=np.float64).reshape(1, -1)
        with torch.no_grad():
            probs, _ = self._policy(torch.as_tensor(self._scaled(flat)))
        return probs[0].numpy()

    def act(self, observation: np.ndarray) -> Any:
        if not self.trained:
            raise RuntimeError("discrete_sac has not been trained or loaded: call fit() or load().")
        if not isinstance(observation, np.ndarray):
            observation = spaces.flatten(self.observation_space, observation)
        action = int(np.argmax(self.probabilities(observation)))
        if self.codec is not None:
            return self.codec.decode_one(action)
        return action + self.action_start

    def save(self, path: str | Path) -> None:
        """Write ``model.pt`` (networks, temperature, statistics) and ``agent.json``."""
        if not self.trained:
            raise RuntimeError("discrete_sac has not been trained: nothing to save.")
        folder = Path(path)
        folder.mkdir(parents=True, exist_ok=True)
        state = {
            "actor": self.actor.state_dict(),
            "qf1": self.qf1.state_dict(),
            "qf2": self.qf2.state_dict(),
            "log_alpha": self.log_alpha.detach(),
            "obs_mean": torch.as_tensor(self.normalizer.mean),
            "obs_var": torch.as_tensor(self.normalizer.var),
        }
        torch.save(state, folder / "model.pt")
        meta = {
            "algo": "discrete_sac",
            "env_id": self.target.id,
            "env_kwargs": self.target.kwargs,
            "n_envs": self.n_envs,
            "train_env_kwargs": self.train_env_kwargs,
            "levels": self.levels,
            "hyperparams": self.hp,
        }
        (folder / "agent.json").write_text(json.dumps(meta, indent=2, default=str))

    @classmethod
    def load(
        cls, path: str | Path, target: EnvTarget | None = None, *, trust_pickle: bool = False
    ) -> Self:
        """Read an agent written by :meth:`save`; ``target`` defaults to its training env.

        ``model.pt`` is read with ``torch.load(weights_only=True)`` (tensors only), so
        nothing is unpickled; ``trust_pickle`` is accepted for the common interface and
        changes nothing.
        """
        folder = Path(path)
        meta = json.loads((folder / "agent.json").read_text())
        target = target or EnvTarget(meta["env_id"], meta["env_kwargs"])
        agent = cls(
            target,
            n_envs=meta["n_envs"],
            train_env_kwargs=meta["train_env_kwargs"],
            levels=meta["levels"],
            hyperparams=meta["hyperparams"],
        )
        state = model_files.load_tensors(folder / "model.pt")
        for name in ("actor", "qf1", "qf2"):
            getattr(agent, name).load_state_dict(state[name])
        agent.log_alpha = state["log_alpha"].clone().requires_grad_(True)
        agent.normalizer.mean = state["obs_mean"].numpy()
        agent.normalizer.var = state["obs_var"].numpy()
        agent.trained = True
        return agent


def _clone(net: nn.Module) -> nn.Module:
    """A copy of ``net`` with its own parameters (a target network)."""
    twin = copy.deepcopy(net)
    for p in twin.parameters():
        p.requires_grad_(False)
    return twin
