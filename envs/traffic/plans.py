"""Fixed-time signal plans: the rule that runs a cycle of greens at the env's decisions.

Used by the fixed-time controller (:class:`fieldgym.agents.traffic.controllers.FixedTime`)
and by the intersections of a CityFlow network that the single-intersection env does not
control, which run their file's own plan (:class:`FocusedSystem`).
"""

from __future__ import annotations

import numpy as np

from fieldgym.envs.traffic.system import TrafficSystem


def fixed_cycle(
    current: np.ndarray,
    elapsed: np.ndarray,
    greens: np.ndarray,
    counts: np.ndarray,
    delta: float,
) -> np.ndarray:
    """The phase each intersection requests under a fixed cycle in phase order.

    A green ends at the decision nearest to its planned end (decisions come every
    ``delta`` seconds), and the next phase of the intersection's own ``counts`` follows.

    Args:
        current: ``(N,)`` green phase of each intersection.
        elapsed: ``(N,)`` seconds it has lasted.
        greens: ``(N, P)`` planned green of each phase, s.
        counts: ``(N,)`` phases of each intersection.
        delta: Seconds between decisions.
    """
    planned = greens[np.arange(len(current)), current]
    done = elapsed + delta / 2 > planned
    return np.where(done, (current + 1) % counts, current)


class FocusedSystem(TrafficSystem):
    """One intersection of a network as a one-intersection system; the others run a plan.

    The single-intersection env controls intersection ``index`` of a CityFlow network;
    every other signal follows its file's fixed-time plan (``plan_greens``). Observations,
    records and the lane data are those of ``index``; the network record stays whole.
    """

    def __init__(self, system: TrafficSystem, index: int) -> None:
        self.system = system
        self.index = index
        self.config = system.config
        self.num_copies = system.num_copies
        self.num_intersections = 1
        self.num_phases = system.num_phases
        self.phase_counts = system.phase_counts[index : index + 1]
        self.agent_names = [system.agent_names[index]]
        self.phase_lanes = system.phase_lanes[index : index + 1]
        self.layout = system.layout
        self.high = system.high[index : index + 1]
        self.outgoing_per_group = getattr(system, "outgoing_per_group", False)
        self.approach_length = system.approach_length[index : index + 1]
        self.plan_greens = system.plan_greens[index : index + 1]
        # the plan of every intersection of every copy, one row each (rows of _obs)
        self._greens = np.tile(system.plan_greens, (system.num_copies, 1))
        self._counts = np.tile(system.phase_counts, system.num_copies)
        self._obs: np.ndarray | None = None

    def reset(self, rng: np.random.Generator, mask: np.ndarray | None = None) -> np.ndarray:
        obs = self.system.reset(rng, mask)
        if self._obs is None or mask is None:
            self._obs = obs
        else:
            self._obs[mask] = obs[mask]
        return obs[:, self.index : self.index + 1]

    def step(
        self, actions: np.ndarray, rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if self._obs is None:
            raise RuntimeError("Call reset() before step().")
        system, layout = self.system, self.layout
        copies, n = self._obs.shape[:2]
        flat = self._obs.reshape(copies * n, -1)
        current = np.argmax(flat[:, layout["phase"][0]], axis=1)
        elapsed = flat[:, layout["elapsed"][0]][:, 0]
        planned = fixed_cycle(
            current, elapsed, self._greens, self._counts, self.config.delta_time
        ).reshape(copies, n)
        planned[:, self.index] = np.asarray(actions).reshape(copies)
        obs, rec_int, rec_net = system.step(planned, rng)
        self._obs = obs
        keep = slice(self.index, self.index + 1)
        return obs[:, keep], rec_int[:, keep], rec_net

    def close(self) -> None:
        self.system.close()

    def lane_flows(self) -> np.ndarray | None:
        flows = self.system.lane_flows()
        return None if flows is None else flows[self.index : self.index + 1]

    def lane_saturation(self) -> np.ndarray:
        return self.system.lane_saturation()[self.index : self.index + 1]

    def signal_states(self, copy: int = 0) -> np.ndarray:
        return self.system.signal_states(copy)[self.index : self.index + 1]

    def render(self, obs: np.ndarray) -> np.ndarray:
        """The whole network (``obs`` is the controlled intersection's; the rest is kept)."""
        return self.system.render(self._obs[0])
