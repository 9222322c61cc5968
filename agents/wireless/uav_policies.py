"""UAV baselines for ``fieldgym/UAVOffloading-v1``: centralized planners and a random walk.

* :class:`KMeansHover` (``kmeans_hover``): fly to the k-means centres of the users
  (``k`` = number of UAVs, each UAV to a centre by a minimum-distance assignment) and
  hover there.
* :class:`PSOPlacement` (``pso_placement``): particle-swarm search for the UAV positions
  that serve the most users (the environment's own association rule), then fly there and
  hover.
* :class:`RandomWalk` (``random_walk``): every UAV moves at random.

The planners read user positions from the environment's global ``state()`` (a planner's
privilege; learners see only their observations) and plan at the episode's first step,
or every ``replan_every`` steps.
"""

from __future__ import annotations

import numpy as np
from scipy.cluster.vq import kmeans2
from scipy.optimize import linear_sum_assignment

from fieldgym.agents.base import ParallelPolicy
from fieldgym.agents.target import ParallelTarget
from fieldgym.envs.core.errors import ConfigError
from fieldgym.envs.wireless.uav_channel import associate, pairwise
from fieldgym.envs.wireless.uav_config import UAVConfig
from fieldgym.envs.wireless.uav_env import MOVES


def decode_state(state: np.ndarray, config: UAVConfig) -> tuple[np.ndarray, np.ndarray]:
    """UAV positions ``(N, 2)`` and user positions ``(U, 2)`` in metres from ``state()``."""
    n, u = config.num_uavs, config.num_users
    uavs = state[: 2 * n].reshape(n, 2) * config.area_m
    users = state[2 * n : 2 * n + 2 * u].reshape(u, 2) * config.area_m
    return uavs.astype(np.float64), users.astype(np.float64)


def steer(position: np.ndarray, goal: np.ndarray, config: UAVConfig) -> np.ndarray | int:
    """The action that brings a UAV at ``position`` closest to ``goal`` in one step."""
    step = config.max_speed_mps * config.step_s
    if config.action_type == "discrete":
        after = position + MOVES * step
        return int(np.argmin(np.linalg.norm(after - goal, axis=1)))
    velocity = (goal - position) / step
    return (velocity / max(1.0, float(np.linalg.norm(velocity)))).astype(np.float32)


class UAVPlanner(ParallelPolicy):
    """Base of the planners: plan goals from the state, then steer each UAV to its goal.

    Args:
        target: A UAV environment.
        replan_every: Plan again every this many steps (0: only at the first step).
    """

    def __init__(self, target: ParallelTarget, replan_every: int = 0) -> None:
        super().__init__(target)
        config = target.config
        if not isinstance(config, UAVConfig):
            raise ConfigError(f"{type(self).__name__} acts in fieldgym/UAVOffloading-v1.")
        self.config: UAVConfig = config
        self.replan_every = replan_every
        self.rng = np.random.default_rng(0)
        self.goals: np.ndarray | None = None
        self.t = 0

    def reset(self, seed: int | None = None) -> None:
        self.rng = np.random.default_rng(seed)
        self.goals = None
        self.t = 0

    def plan(self, uavs: np.ndarray, users: np.ndarray) -> np.ndarray:
        """Goal positions ``(N, 2)`` for the UAVs."""
        raise NotImplementedError

    def act(self, observations: dict[str, np.ndarray], state: np.ndarray | None = None) -> dict:
        if state is None:
            raise ConfigError(f"{self.name} plans from the env's state(); pass it to act().")
        uavs, users = decode_state(state, self.config)
        if self.goals is None or (self.replan_every and self.t % self.replan_every == 0):
            self.goals = self.plan(uavs, users)
        self.t += 1
        agents = [f"uav_{i}" for i in range(self.config.num_uavs)]
        return {
            agent: steer(uavs[i], self.goals[i], self.config)
            for i, agent in enumerate(agents)
            if agent in observations
        }


def assign(uavs: np.ndarray, goals: np.ndarray) -> np.ndarray:
    """``goals`` reordered so that the total flying distance is the least."""
    rows, cols = linear_sum_assignment(pairwise(uavs, goals))
    return goals[cols[np.argsort(rows)]]


class KMeansHover(UAVPlanner):
    """Hover at the k-means centres of the users (k = number of UAVs)."""

    name = "kmeans_hover"

    def plan(self, uavs: np.ndarray, users: np.ndarray) -> np.ndarray:
        centres, _ = kmeans2(users, self.config.num_uavs, minit="++", seed=self.rng)
        return assign(uavs, centres)


class PSOPlacement(UAVPlanner):
    """Hover where a particle swarm finds that the UAVs serve the most users.

    Fitness: users served by UAVs under the environment's association rule, plus a
    1e-3 tie-break on their total rate (Mbit/s). Standard global-best PSO with inertia
    ``inertia`` and acceleration ``c1 = c2 = acceleration``; the swarm is seeded with the
    k-means centres so it starts no worse than k-means.

    Args:
        target: A UAV environment.
        particles: Swarm size.
        iterations: Velocity updates.
        inertia: Inertia weight.
        acceleration: Cognitive and social acceleration coefficients.
        replan_every: Plan again every this many steps (0: only at the first step).
    """

    name = "pso_placement"

    def __init__(
        self,
        target: ParallelTarget,
        particles: int = 20,
        iterations: int = 30,
        inertia: float = 0.7,
        acceleration: float = 1.5,
        replan_every: int = 0,
    ) -> None:
        super().__init__(target, replan_every)
        self.particles, self.iterations = particles, iterations
        self.inertia, self.acceleration = inertia, acceleration

    def fitness(self, positions: np.ndarray, users: np.ndarray) -> float:
        """Users served by UAVs at ``positions`` ``(N, 2)``, plus a tie-break on their rate."""
        serving, rates = associate(users, positions, self.config)
        on_uav = serving >= 0
        return float(on_uav.sum() + 1e-3 * rates[on_uav].sum())

    def plan(self, uavs: np.ndarray, users: np.ndarray) -> np.ndarray:
        n, area, rng = self.config.num_uavs, self.config.area_m, self.rng
        x = rng.uniform(0.0, area, (self.particles, n, 2))
        x[0], _ = kmeans2(users, n, minit="++", seed=rng)
        v = rng.normal(0.0, 0.05 * area, x.shape)
        best = x.copy()
        best_fit = np.array([self.fitness(p, users) for p in x])
        leader = best[np.argmax(best_fit)].copy()
        for _ in range(self.iterations):
            r1, r2 = rng.random(x.shape), rng.random(x.shape)
            v = (
                self.inertia * v
                + self.acceleration * r1 * (best - x)
                + self.acceleration * r2 * (leader - x)
            )
            x = np.clip(x + v, 0.0, area)
            fit = np.array([self.fitness(p, users) for p in x])
            better = fit > best_fit
            best[better], best_fit[better] = x[better], fit[better]
            leader = best[np.argmax(best_fit)].copy()
        return assign(uavs, leader)


class RandomWalk(ParallelPolicy):
    """Every UAV takes a uniformly random action each step."""

    name = "random_walk"

    def __init__(self, target: ParallelTarget) -> None:
        super().__init__(target)
        self.config = target.config
        self.rng = np.random.default_rng(0)

    def reset(self, seed: int | None = None) -> None:
        self.rng = np.random.default_rng(None if seed is None else seed + 1)

    def act(self, observations: dict[str, np.ndarray], state: np.ndarray | None = None) -> dict:
        if self.config.action_type == "discrete":
            return {a: int(self.rng.integers(len(MOVES))) for a in observations}
        return {a: self.rng.uniform(-1, 1, 2).astype(np.float32) for a in observations}
