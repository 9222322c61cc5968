"""Traffic baselines as :class:`~fieldgym.agents.base.Policy` objects, and grid episodes.

A :class:`SignalPolicy` wraps a controller of :mod:`.controllers` for the single
intersection (``fieldgym/TrafficSignal-v1``). :func:`run_grid_episode` runs any
controller on every agent of ``fieldgym/TrafficGrid-v1`` and returns the episode's KPIs.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from fieldgym.agents.base import Policy
from fieldgym.agents.target import EnvTarget
from fieldgym.agents.traffic.controllers import CONTROLLERS, Controller, SignalInfo
from fieldgym.envs.core.errors import ConfigError
from fieldgym.envs.traffic.config import TrafficConfig


class SignalPolicy(Policy):
    """A classical signal controller, for the single intersection or every agent of a grid.

    With an :class:`~fieldgym.agents.target.EnvTarget` (``TrafficSignal-v1``), :meth:`act`
    takes one observation and returns a phase. With a multi-agent target
    (``fieldgym.agents.target.ParallelTarget`` of ``TrafficGrid-v1``), it takes the dict
    of the agents' observations and returns a dict of phases, as
    ``fieldgym.agents.evaluation.evaluate`` expects.

    Args:
        target: The environment.
        **params: The controller's parameters (e.g. ``cycle``, ``splits`` for fixed time).
    """

    controller: ClassVar[str] = ""
    acts_on: ClassVar[frozenset[str]] = frozenset({"single", "parallel"})

    def __init__(self, target: EnvTarget, **params: Any) -> None:
        super().__init__(target)
        if not isinstance(target.config, TrafficConfig):
            raise ConfigError(
                f"{type(self).__name__} is a traffic baseline; {target.id} is not a traffic "
                "environment."
            )
        env = target.make()
        try:
            system = env.unwrapped.system
            info = SignalInfo.from_system(system)
        finally:
            env.close()
        self.control: Controller = CONTROLLERS[self.controller](info, **params)
        self._index = np.zeros(1, dtype=np.int64)
        self._agents = {agent: k for k, agent in enumerate(system.agent_names)}

    def reset(self, seed: int | None = None) -> None:
        self.control.reset()

    def act(self, observation: Any, state: np.ndarray | None = None) -> Any:
        if self.target.kind == "parallel":  # the agents' observations, by name
            agents = list(observation)
            index = np.array([self._agents[a] for a in agents], dtype=np.int64)
            phases = self.control.act(np.stack([observation[a] for a in agents]), index)
            return {agent: int(p) for agent, p in zip(agents, phases, strict=True)}
        return int(self.control.act(np.asarray(observation)[None], self._index)[0])

    def act_batch(self, observations: np.ndarray) -> np.ndarray:
        """Phases for a batch of observations ``(B, D)`` (e.g. of the native vector env)."""
        index = np.zeros(len(observations), dtype=np.int64)
        return self.control.act(np.asarray(observations), index)


class FixedTimePolicy(SignalPolicy):
    """Fixed-time plan: Webster's cycle and splits by default (``cycle=``, ``splits=``)."""

    name = "fixed_time"
    controller = "fixed_time"


class MaxPressurePolicy(SignalPolicy):
    """Max-pressure control (``count="queue"`` or ``"vehicles"``)."""

    name = "max_pressure"
    controller = "max_pressure"


class SOTLPolicy(SignalPolicy):
    """Self-organizing traffic lights (``theta=`` vehicle-seconds, ``mu=`` vehicles)."""

    name = "sotl"
    controller = "sotl"


class ActuatedPolicy(SignalPolicy):
    """Vehicle-actuated control with gap-out (``gap=`` halted vehicles)."""

    name = "actuated"
    controller = "actuated"


def grid_controller(env: Any, name: str, **params: Any) -> Controller:
    """A controller for every agent of a ``TrafficGrid-v1`` env (one row per agent).

    ``name`` is ``fixed_time``, ``max_pressure``, ``sotl`` or ``actuated``.
    """
    if name not in CONTROLLERS:
        raise ConfigError(f"Unknown controller {name!r}; choose one of: {', '.join(CONTROLLERS)}.")
    return CONTROLLERS[name](SignalInfo.from_system(env.system), **params)


def run_grid_episode(env: Any, act: Any, seed: int) -> dict[str, np.ndarray]:
    """One episode of a ``TrafficGrid-v1`` env; the network KPIs per step, and rewards.

    Args:
        env: A ``TrafficGrid-v1`` env (its ``max_episode_steps`` sets the length).
        act: A :class:`Controller`, or a callable ``act(observations) -> actions`` on the
            dict of per-agent observations (e.g. a multi-agent learner).
        seed: The episode's seed.

    Returns:
        Network KPI name -> array with one row per step (as the metrics module takes them),
        plus ``reward`` (the sum over agents per step).
    """
    observations, _ = env.reset(seed=seed)
    agents = list(env.possible_agents)
    index = np.arange(len(agents))
    if isinstance(act, Controller):
        act.reset()
    kpis: dict[str, list] = {}
    rewards = []
    while env.agents:
        if isinstance(act, Controller):
            phases = act.act(np.stack([observations[a] for a in agents]), index)
            actions = {a: int(p) for a, p in zip(agents, phases, strict=True)}
        else:
            actions = act(observations)
        observations, reward, _, _, infos = env.step(actions)
        rewards.append(sum(reward.values()))
        for name, value in infos[agents[0]]["kpi"].items():
            if not name.startswith(("tls_", "approach")):
                kpis.setdefault(name, []).append(float(value))
    out = {name: np.asarray(values) for name, values in kpis.items()}
    out["reward"] = np.asarray(rewards)
    return out
