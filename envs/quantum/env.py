"""The quantum architecture search environment, ``fieldgym/QuantumArchitectureSearch-v1``."""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from fieldgym.envs.core.actions import check_action
from fieldgym.envs.core.errors import ConfigError
from fieldgym.envs.core.rewards import resolve_reward
from fieldgym.envs.quantum import export, noise
from fieldgym.envs.quantum.config import QuantumConfig
from fieldgym.envs.quantum.dynamics import CircuitSystem
from fieldgym.envs.quantum.reward import REWARDS, reward_parts, step_kpis
from fieldgym.envs.quantum.state import RECORD


def check_ready(system: CircuitSystem) -> None:
    """Refuse a task the empty circuit already solves (it would end before any gate)."""
    if system.initial_fidelity >= system.config.success_threshold:
        raise ConfigError(
            f"the target has fidelity {system.initial_fidelity:.4f} with |0...0>, already at "
            f"success_threshold={system.config.success_threshold}; choose another target."
        )


def observation_space(system: CircuitSystem) -> spaces.Box:
    """Expectations or amplitudes in [-1, 1], and the share of the gate budget in [0, 1]."""
    low = np.full(system.observation_size, -1.0, dtype=np.float32)
    low[system.observation_blocks.gates_used] = 0.0
    return spaces.Box(low, np.ones(system.observation_size, dtype=np.float32), dtype=np.float32)


def choose_patterns(
    config: QuantumConfig, rng: np.random.Generator, count: int, options: dict[str, Any] | None
) -> np.ndarray | None:
    """The noise pattern of each of ``count`` copies being reset (``None`` when ideal).

    ``options["noise_pattern"]`` wins; else ``per_episode`` draws ``count`` patterns from
    ``rng`` (in copy order) and ``fixed`` uses ``config.noise_pattern``.
    """
    if not config.noisy:
        return None
    chosen = (options or {}).get("noise_pattern")
    if chosen is not None:
        if not 0 <= int(chosen) < len(config.noise_patterns):
            raise ConfigError(
                f"options noise_pattern={chosen!r}; choose 0..{len(config.noise_patterns) - 1}."
            )
        return np.full(count, int(chosen), dtype=np.int64)
    if config.noise_schedule == "per_episode":
        return rng.integers(len(config.noise_patterns), size=count)
    return np.full(count, config.noise_pattern, dtype=np.int64)


class QuantumArchitectureSearchEnv(gym.Env):
    """Build a circuit gate by gate that prepares a target quantum state.

    ## Description

    Starting from ``|0...0>`` on ``n`` qubits, the agent appends one gate per step (a
    single-qubit gate on one qubit, a rotation by a fixed angle, or a CNOT/CZ on a pair of
    the coupling map) until the state's fidelity with the target reaches
    ``success_threshold`` or the gate budget is spent. This is the quantum architecture
    search task of Kuo et al. (2021) and of Ye and Chen's continual-learning variant with
    changing device noise. The ideal state is a statevector; with ``noise="depolarizing"``
    it is a density matrix, each gate followed by depolarizing noise, and the observed
    expectations suffer readout error (:mod:`fieldgym.envs.quantum.noise`). Each step
    applies one precomputed gate matrix to the current state
    (:mod:`fieldgym.envs.quantum.dynamics`); the circuit is never re-simulated. The built
    circuit exports to qiskit: :meth:`circuit`, :meth:`qasm`, :meth:`circuit_summary`.

    ## Action Space

    ``Discrete(A)``: action ``k`` applies ``env.unwrapped.actions[k]`` (gate, qubits and
    angle; :func:`fieldgym.envs.quantum.gates.action_table` gives the order).

    ## Observation Space

    ``Box(-1, 1, (D,), float32)`` with the last entry in [0, 1].

    | Block (``pauli``)        | Size          | Meaning                                      |
    |--------------------------|---------------|----------------------------------------------|
    | single-qubit Paulis      | 3n            | <X_q>, <Y_q>, <Z_q> for q = 0..n-1            |
    | two-qubit Paulis         | 9 n(n-1)/2    | <P_i Q_j> for i < j, P, Q in X, Y, Z          |
    | gate budget used         | 1             | gates applied / max_gates                    |

    | Block (``amplitudes``)   | Size          | Meaning                                      |
    |--------------------------|---------------|----------------------------------------------|
    | real parts               | 2^n           | Re <i|psi>, basis index i as in qiskit       |
    | imaginary parts          | 2^n           | Im <i|psi>                                   |
    | gate budget used         | 1             | gates applied / max_gates                    |

    In noisy mode the Pauli expectations are those a device would measure (readout error
    included, no shot noise).

    ## Rewards

    A weighted sum (``reward_weights``) of ``fidelity`` (fidelity after minus before the
    gate), ``success`` (1 on reaching the threshold), ``gate`` (-1 per gate) and ``cnot``
    (-1 per two-qubit gate). ``reward="sparse"`` drops the fidelity part; a callable
    ``reward(parts, weights, config)`` replaces it. ``info["reward_parts"]`` holds the parts
    and ``info["kpi"]`` the fidelity, gates, two-qubit gates, depth and success so far.

    ## Starting State

    ``|0...0>`` with no gates. In noisy mode the episode's noise pattern is
    ``noise_pattern``, one drawn per episode (``noise_schedule="per_episode"``), or
    ``reset(options={"noise_pattern": k})``.

    ## Episode End

    Terminated when the fidelity reaches ``success_threshold``; truncated after
    ``max_gates`` gates. The registered ``TimeLimit`` (200 steps, the largest allowed
    ``max_gates``) is only a backstop.

    ## Arguments

    ``gymnasium.make("fieldgym/QuantumArchitectureSearch-v1", config=None, preset=None,
    **fields)``: ``preset`` is one of ``bell`` (the defaults), ``ghz3``, ``ghz4``, ``w3``,
    ``bell_noisy``, ``ghz3_noisy``; ``fields`` are :class:`QuantumConfig` fields.

    ## Version History

    * v0: Initial version.
    * v1: Actions are checked at ``step`` (shape, dtype, finite values, bounds): an
      action outside the space raises ``ActionError`` unless ``action_policy="clip"``
      (v0 clipped or remapped it silently). Valid actions step exactly as in v0.
    """

    metadata = {"render_modes": []}

    def __init__(
        self,
        config: QuantumConfig | dict[str, Any] | None = None,
        preset: str | None = None,
        **fields: Any,
    ) -> None:
        self.config = QuantumConfig.make(config, preset, fields)
        self.system = CircuitSystem(self.config, num_copies=1)
        check_ready(self.system)
        self.actions = self.system.actions
        self.action_space = spaces.Discrete(len(self.actions))
        self.observation_space = observation_space(self.system)
        self._reward = resolve_reward(self.config.reward, REWARDS)
        self._action = np.zeros(1, dtype=np.int64)

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        super().reset(seed=seed)
        self.system.reset(patterns=choose_patterns(self.config, self.np_random, 1, options))
        info = {"noise_pattern": int(self.system.pattern[0])} if self.config.noisy else {}
        return self.system.observe()[0], info

    def step(self, action: int) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        self._action[0] = check_action(self.action_space, action, self.config.action_policy)
        observation, record = self.system.step(self._action)
        columns = record[0].tolist()
        threshold = self.config.success_threshold
        parts = reward_parts(columns, threshold)
        reward = float(self._reward(parts, self.config.reward_weights, self.config))
        terminated = columns[RECORD.fidelity] >= threshold
        truncated = not terminated and columns[RECORD.gates] >= self.config.max_gates
        info = {"reward_parts": parts, "kpi": step_kpis(columns, threshold)}
        return observation[0], reward, terminated, truncated, info

    # -- the state and the circuit ----------------------------------------------------------

    @property
    def fidelity(self) -> float:
        """The current fidelity with the target (under the noise model in noisy mode)."""
        return float(self.system.fidelity()[0])

    def statevector(self) -> np.ndarray:
        """A copy of the current statevector (ideal mode; qiskit's amplitude order)."""
        if self.config.noisy:
            raise ConfigError("in noisy mode the state is a density matrix: use density_matrix().")
        return self.system.states[0].copy()

    def density_matrix(self) -> np.ndarray:
        """A copy of the current density matrix (``|psi><psi|`` in ideal mode)."""
        if self.config.noisy:
            return self.system.states[0].copy()
        psi = self.system.states[0]
        return np.outer(psi, psi.conj())

    def circuit_actions(self) -> list[int]:
        """The action indices applied since the last reset."""
        return self.system.circuit_actions(0)

    def circuit(self) -> Any:
        """The gates applied since the last reset as a ``qiskit.QuantumCircuit``."""
        return export.to_circuit(self.actions, self.circuit_actions(), self.config.num_qubits)

    def qasm(self, version: int = 2) -> str:
        """The circuit as OpenQASM 2 (default) or 3."""
        return export.to_qasm(self.circuit(), version)

    def circuit_summary(self) -> dict[str, Any]:
        """The circuit's gates, two-qubit gates (``cnots``), depth, gate counts and fidelity."""
        return {**export.summary(self.circuit()), "fidelity": self.fidelity}

    def noise_model(self, pattern: int | None = None) -> Any:
        """The episode's (or ``pattern``'s) noise as a qiskit-aer ``NoiseModel``."""
        if not self.config.noisy:
            raise ConfigError("the environment is ideal (noise='none'): there is no noise model.")
        k = int(self.system.pattern[0]) if pattern is None else pattern
        return noise.noise_model(self.config, self.actions, k)
