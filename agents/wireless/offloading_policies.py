"""Classical offloading policies acting on the observation of ``fieldgym/EdgeOffloading-v1``.

* :class:`AllLocal` (``all_local``): every task on its device.
* :class:`OffloadNearest` (``offload_nearest``): every task to the closest edge server.
* :class:`OffloadLeastLoaded` (``offload_least_loaded``): every task to the edge server
  with the shortest backlog.
* :class:`Greedy` (``greedy_delay`` and ``greedy_cost``): the action with the smallest
  predicted delay objective, or the smallest preference-weighted cost, for this task.

The prediction, :func:`predict_outcomes`, is this module's own model of the environment's
queues and channel (FIFO backlogs and the task's rate are in the observation, so it is
exact up to float32 rounding; a test holds it to the environment's realized outcomes).
It is myopic: it ignores what a choice does to later tasks.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from fieldgym.agents.base import Policy
from fieldgym.agents.target import EnvTarget
from fieldgym.envs.core.errors import ConfigError
from fieldgym.envs.wireless.offloading_config import OffloadingConfig
from fieldgym.envs.wireless.offloading_system import observation_layout


def blocks(observations: np.ndarray, config: OffloadingConfig) -> dict[str, np.ndarray]:
    """The named blocks of a batch of observations ``(B, D)``, as float64 ``(B, size)``."""
    observations = np.atleast_2d(np.asarray(observations, dtype=np.float64))
    return {name: observations[:, where] for name, (where, _) in observation_layout(config).items()}


def predict_outcomes(
    observations: np.ndarray, config: OffloadingConfig
) -> tuple[np.ndarray, np.ndarray]:
    """Predicted delay objective (s) and device energy (J) of every action, per observation.

    Returns:
        Two arrays ``(B, A)``: the delay objective (completion or drop time, plus
        ``late_penalty_s`` if the deadline is missed) and the device's energy.
    """
    obs = blocks(observations, config)
    size = obs["task"][:, 0] * 1e6
    cycles = obs["task"][:, 1] * 1e9
    deadline = obs["task"][:, 2]
    local_backlog, radio_backlog, device_hz = (obs["device"][:, i] for i in range(3))
    device_hz = device_hz * 1e9
    rates = obs["rate"] * 1e6
    drop = config.late_tasks == "drop"
    n = size.shape[0]
    delay = np.empty((n, config.num_actions))
    energy = np.empty((n, config.num_actions))

    def settle(begin: np.ndarray, compute: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        finish = begin + compute
        late = finish > deadline
        if drop:
            executed = np.where(late, np.clip(deadline - begin, 0.0, compute), compute)
            finish = np.where(late, deadline, finish)
        else:
            executed = compute
        return finish + config.late_penalty_s * late, executed

    delay[:, 0], executed = settle(local_backlog, cycles / device_hz)
    energy[:, 0] = config.switched_capacitance * device_hz**3 * executed

    def offload(rate: np.ndarray, extra: np.ndarray, server_free: np.ndarray, hz: float):
        tx = size / np.maximum(rate, 1e-300)
        arrival = radio_backlog + tx
        cut = drop & (arrival > deadline)
        begin = np.maximum(server_free, arrival + extra)
        objective, _ = settle(begin, cycles / hz)
        objective = np.where(cut, deadline + config.late_penalty_s, objective)
        sent = np.where(cut, np.clip(deadline - radio_backlog, 0.0, tx), tx)
        return objective, config.tx_power_w * sent

    zeros = np.zeros(n)
    for k, hz in enumerate(config.server_cpu_ghz):
        delay[:, 1 + k], energy[:, 1 + k] = offload(
            rates[:, k], zeros, obs["server_backlog"][:, k], hz * 1e9
        )
    if config.cloud:
        wire = config.cloud_latency_s + size / (config.backhaul_mbps * 1e6)
        delay[:, -1], energy[:, -1] = offload(
            rates.max(axis=1), wire, zeros, config.cloud_cpu_ghz * 1e9
        )
    return delay, energy


class OffloadingPolicy(Policy):
    """Base of the offloading baselines: observations in, actions out, batch or single.

    Subclasses implement :meth:`act_batch`.

    Raises:
        ConfigError: If the target is not an offloading environment.
    """

    def __init__(self, target: EnvTarget) -> None:
        super().__init__(target)
        config = target.config
        if not isinstance(config, OffloadingConfig):
            raise ConfigError(
                f"{type(self).__name__} acts in fieldgym/EdgeOffloading-v1, not in {target.id}."
            )
        self.config: OffloadingConfig = config

    def act_batch(self, observations: np.ndarray) -> np.ndarray:
        """Actions ``(B,)`` for a batch of observations ``(B, D)``."""
        raise NotImplementedError

    def act(self, observation: np.ndarray) -> Any:
        return int(self.act_batch(np.asarray(observation)[None])[0])


class AllLocal(OffloadingPolicy):
    """Every task runs on its own device (no transmission)."""

    name = "all_local"

    def act_batch(self, observations: np.ndarray) -> np.ndarray:
        return np.zeros(np.atleast_2d(observations).shape[0], dtype=np.int64)


class OffloadNearest(OffloadingPolicy):
    """Every task goes to the edge server closest to its device."""

    name = "offload_nearest"

    def act_batch(self, observations: np.ndarray) -> np.ndarray:
        position = blocks(observations, self.config)["position"]
        servers = np.asarray(self.config.server_positions, dtype=np.float64)
        distance = np.linalg.norm(position[:, None, :] - servers[None], axis=-1)
        return 1 + np.argmin(distance, axis=1)


class OffloadLeastLoaded(OffloadingPolicy):
    """Every task goes to the edge server with the shortest backlog (ties: the best rate)."""

    name = "offload_least_loaded"

    def act_batch(self, observations: np.ndarray) -> np.ndarray:
        obs = blocks(observations, self.config)
        return 1 + np.argmin(obs["server_backlog"] - 1e-9 * obs["rate"], axis=1)


class Greedy(OffloadingPolicy):
    """The action with the smallest predicted cost for the task at hand.

    Args:
        target: An offloading environment.
        objective: ``"cost"``: the preference-weighted sum of the scaled delay objective
            and energy (the scalar reward's cost, with the observed preference, or
            ``preference`` if given); ``"delay"``: the delay objective alone.
        preference: Fixed (delay, energy) weights that replace the observed ones.
    """

    def __init__(
        self,
        target: EnvTarget,
        objective: str = "cost",
        preference: tuple[float, float] | None = None,
    ) -> None:
        super().__init__(target)
        if objective not in ("cost", "delay"):
            raise ConfigError(f"objective={objective!r} is not allowed; use 'cost' or 'delay'.")
        self.objective = objective
        self.preference = None if preference is None else np.asarray(preference, dtype=float)
        self.name = f"greedy_{objective}"

    def act_batch(self, observations: np.ndarray) -> np.ndarray:
        delay, energy = predict_outcomes(observations, self.config)
        if self.objective == "delay":
            return np.argmin(delay + 1e-9 * energy, axis=1)
        weights = (
            blocks(observations, self.config)["preference"]
            if self.preference is None
            else np.broadcast_to(self.preference, (delay.shape[0], 2))
        )
        cost = (
            weights[:, :1] * delay / self.config.delay_scale_s
            + weights[:, 1:] * energy / self.config.energy_scale_j
        )
        return np.argmin(cost, axis=1)
