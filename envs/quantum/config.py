"""Configuration and named presets of the quantum architecture search environment."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Mapping
from typing import Any

from fieldgym.envs.core.config import (
    EnvConfig,
    check_choice,
    check_number,
    check_weights,
    doc,
)
from fieldgym.envs.core.errors import ConfigError
from fieldgym.envs.quantum.reward import REWARDS

TARGETS = ("bell", "ghz", "w", "statevector", "random")
SINGLE_QUBIT_GATES = ("h", "x", "y", "z", "s", "sdg", "t", "tdg", "sx")
ROTATION_GATES = ("rx", "ry", "rz")
TWO_QUBIT_GATES = ("cx", "cz")
GATES = SINGLE_QUBIT_GATES + ROTATION_GATES + TWO_QUBIT_GATES
COUPLINGS = ("line", "ring", "all")
OBSERVATIONS = ("pauli", "amplitudes")
NOISES = ("none", "depolarizing")
NOISE_SCHEDULES = ("fixed", "per_episode")
PATTERN_KEYS = ("p1", "p2", "readout", "readout_1to0")
REWARD_PARTS = ("fidelity", "success", "gate", "cnot")

MAX_GATES = 200
"""The largest ``max_gates`` allowed; the registered ``TimeLimit`` (a backstop) equals it."""
MAX_QUBITS = {"none": 10, "depolarizing": 6}
"""Largest ``num_qubits`` per noise mode (statevector: 2^n amplitudes; density matrix: 4^n)."""

PI = math.pi
W_ANGLE = 2 * math.acos(1 / math.sqrt(3))
"""The RY angle taking |0> to sqrt(1/3)|0> + sqrt(2/3)|1> (the W-3 preset's grid holds it)."""


@dataclasses.dataclass(frozen=True)
class QuantumConfig(EnvConfig):
    """A state-preparation task: the target state, the gates, the device and the reward.

    Qubits are numbered from 0; amplitudes are indexed as qiskit does (qubit 0 is the
    least significant bit of the basis index), so states equal qiskit's ``Statevector``.
    """

    num_qubits: int = dataclasses.field(
        default=2, metadata=doc("number of qubits n (1-10 ideal, 1-6 noisy)")
    )
    target: str = dataclasses.field(
        default="bell",
        metadata=doc(
            "state to prepare: 'bell' ((|00>+|11>)/sqrt2 on qubits 0, 1), 'ghz' "
            "((|0..0>+|1..1>)/sqrt2), 'w' (equal superposition of the n one-hot states), "
            "'statevector' (target_state) or 'random' (Haar-random from target_seed)"
        ),
    )
    target_state: tuple[Any, ...] | None = dataclasses.field(
        default=None,
        metadata=doc(
            "'statevector': 2^n amplitudes, each a number, a complex string such as "
            "'0.5-0.5j', or a [real, imag] pair; normalized to unit length"
        ),
    )
    target_seed: int = dataclasses.field(
        default=0, metadata=doc("'random': seed of the Haar-random target state")
    )
    gates: tuple[str, ...] = dataclasses.field(
        default=("h", "x", "y", "z", "s", "t", "cx"),
        metadata=doc(
            f"gate set; single-qubit {', '.join(SINGLE_QUBIT_GATES)}; rotations "
            f"{', '.join(ROTATION_GATES)} (one action per angle of rotation_angles); "
            f"two-qubit {', '.join(TWO_QUBIT_GATES)} on the coupling map's edges"
        ),
    )
    rotation_angles: tuple[float, ...] = dataclasses.field(
        default=(PI / 4, PI / 2, 3 * PI / 4, PI, -PI / 4, -PI / 2, -3 * PI / 4),
        metadata=doc("angles of the rotation gates' actions, radians (qiskit's RX/RY/RZ)"),
    )
    coupling: str | tuple[tuple[int, int], ...] = dataclasses.field(
        default="line",
        metadata=doc(
            "qubit pairs two-qubit gates act on: 'line' (i, i+1), 'ring' (line plus (n-1, 0)), "
            "'all' (every pair) or a list of [control, target] pairs, e.g. a qiskit backend's "
            "coupling map (fieldgym.envs.quantum.gates.backend_edges)"
        ),
    )
    directed: bool = dataclasses.field(
        default=False,
        metadata=doc(
            "CNOT only in the listed direction of each pair (True) or both directions (False); "
            "CZ is symmetric and gets one action per pair either way"
        ),
    )
    observation: str = dataclasses.field(
        default="pauli",
        metadata=doc(
            "'pauli': expectations of X, Y, Z per qubit and of the 9 two-qubit Pauli products "
            "per pair; 'amplitudes': real and imaginary parts of the 2^n amplitudes (ideal only)"
        ),
    )
    max_gates: int = dataclasses.field(
        default=20,
        metadata=doc(
            f"gate budget: the episode is truncated after this many gates (1-{MAX_GATES})"
        ),
    )
    success_threshold: float = dataclasses.field(
        default=0.99,
        metadata=doc("fidelity with the target that ends the episode as solved, in (0, 1]"),
    )
    reward: str | Callable[..., Any] = dataclasses.field(
        default="dense",
        metadata=doc(
            "'dense' (weighted sum of every part), 'sparse' (the same without the fidelity "
            "improvement) or a callable reward(parts, weights, config)"
        ),
    )
    reward_weights: dict[str, float] = dataclasses.field(
        default_factory=lambda: {"fidelity": 1.0, "success": 1.0, "gate": 0.01, "cnot": 0.01},
        metadata=doc(
            "weight of each reward part: fidelity (improvement this step), success (1 when the "
            "threshold is reached), gate (-1 per gate), cnot (-1 per two-qubit gate)"
        ),
    )
    noise: str = dataclasses.field(
        default="none",
        metadata=doc(
            "'none' (ideal statevector) or 'depolarizing' (density matrix with depolarizing "
            "noise after every gate and readout error on the observation; see noise_patterns)"
        ),
    )
    noise_patterns: tuple[dict[str, Any], ...] = dataclasses.field(
        default=({"p1": 0.001, "p2": 0.01, "readout": 0.01},),
        metadata=doc(
            "noise patterns, each a mapping: p1 (depolarizing probability after a single-qubit "
            "gate; one number or one per qubit), p2 (after a two-qubit gate; one number or one "
            "per coupling pair), readout (probability of reading 1 for 0; one number or one "
            "per qubit), readout_1to0 (of reading 0 for 1; default: readout); "
            "fieldgym.envs.quantum.device.device_config takes one from a qiskit backend's "
            "calibration"
        ),
    )
    noise_pattern: int = dataclasses.field(
        default=0,
        metadata=doc(
            "index of the pattern used with noise_schedule='fixed' (reset options "
            "{'noise_pattern': k} switch it for one episode)"
        ),
    )
    noise_schedule: str = dataclasses.field(
        default="fixed",
        metadata=doc(
            "'fixed' (noise_pattern every episode) or 'per_episode' (a pattern drawn uniformly "
            "at each reset from the env's random generator)"
        ),
    )

    @property
    def dimension(self) -> int:
        """The number of amplitudes, 2^n."""
        return 2**self.num_qubits

    @property
    def noisy(self) -> bool:
        """Whether the state is a density matrix under a noise model."""
        return self.noise != "none"

    def validate(self) -> None:
        check_choice("noise", self.noise, NOISES)
        check_number(
            "num_qubits", self.num_qubits, low=1, high=MAX_QUBITS[self.noise], integer=True
        )
        n = self.num_qubits
        check_choice("target", self.target, TARGETS)
        if self.target in ("bell", "ghz", "w") and n < 2:
            raise ConfigError(f"target={self.target!r} needs num_qubits >= 2, got {n}.")
        if self.target == "statevector":
            if self.target_state is None:
                raise ConfigError("target='statevector' needs target_state: 2^n amplitudes.")
            if len(self.target_state) != 2**n:
                raise ConfigError(
                    f"target_state has {len(self.target_state)} amplitudes; num_qubits={n} "
                    f"needs {2**n}."
                )
        check_number("target_seed", self.target_seed, low=0, integer=True)
        if not isinstance(self.gates, tuple) or not self.gates:
            raise ConfigError(f"gates={self.gates!r} is not allowed; give a list of gate names.")
        for k, gate in enumerate(self.gates):
            check_choice(f"gates[{k}]", gate, GATES)
        if len(set(self.gates)) != len(self.gates):
            raise ConfigError(f"gates={list(self.gates)} repeats a gate.")
        if any(g in ROTATION_GATES for g in self.gates):
            if not isinstance(self.rotation_angles, tuple) or not self.rotation_angles:
                raise ConfigError("rotation gates need rotation_angles: a list of radians.")
            for k, angle in enumerate(self.rotation_angles):
                check_number(f"rotation_angles[{k}]", angle)
        self._validate_coupling()
        check_choice("observation", self.observation, OBSERVATIONS)
        if self.noisy and self.observation == "amplitudes":
            raise ConfigError(
                "observation='amplitudes' is for the ideal statevector; with noise the state is "
                "a density matrix: use observation='pauli'."
            )
        check_number("max_gates", self.max_gates, low=1, high=MAX_GATES, integer=True)
        check_number(
            "success_threshold", self.success_threshold, low=0, high=1, low_inclusive=False
        )
        if not callable(self.reward):
            check_choice("reward", self.reward, REWARDS)
        check_weights("reward_weights", self.reward_weights, REWARD_PARTS)
        check_choice("noise_schedule", self.noise_schedule, NOISE_SCHEDULES)
        self._validate_patterns()

    def _validate_coupling(self) -> None:
        n = self.num_qubits
        if isinstance(self.coupling, str):
            check_choice("coupling", self.coupling, COUPLINGS)
        else:
            if not isinstance(self.coupling, tuple):
                raise ConfigError(
                    f"coupling={self.coupling!r} is not allowed; use 'line', 'ring', 'all' or "
                    "a list of [control, target] pairs."
                )
            for k, edge in enumerate(self.coupling):
                pair = tuple(edge) if isinstance(edge, list | tuple) else ()
                if len(pair) != 2:
                    raise ConfigError(f"coupling[{k}]={edge!r} is not a pair of qubits.")
                for q in pair:
                    check_number(f"coupling[{k}]", q, low=0, high=n - 1, integer=True)
                if pair[0] == pair[1]:
                    raise ConfigError(f"coupling[{k}]={edge!r} joins a qubit to itself.")
        if not isinstance(self.directed, bool):
            raise ConfigError(f"directed={self.directed!r} is not allowed; use true or false.")
        has_two = any(g in TWO_QUBIT_GATES for g in self.gates)
        if has_two and (n < 2 or (not isinstance(self.coupling, str) and not self.coupling)):
            raise ConfigError(
                "two-qubit gates need at least two qubits and one coupling pair; remove "
                f"{[g for g in self.gates if g in TWO_QUBIT_GATES]} from gates or add pairs."
            )

    def _validate_patterns(self) -> None:
        if not isinstance(self.noise_patterns, tuple) or not self.noise_patterns:
            raise ConfigError("noise_patterns must be a non-empty list of mappings.")
        for k, pattern in enumerate(self.noise_patterns):
            where = f"noise_patterns[{k}]"
            if not isinstance(pattern, Mapping):
                raise ConfigError(f"{where}={pattern!r} must be a mapping of {PATTERN_KEYS}.")
            for key, value in pattern.items():
                check_choice(f"{where} key", key, PATTERN_KEYS)
                values = value if isinstance(value, list | tuple) else (value,)
                for v in values:
                    check_number(f"{where}[{key!r}]", v, low=0, high=1)
        check_number(
            "noise_pattern",
            self.noise_pattern,
            low=0,
            high=len(self.noise_patterns) - 1,
            integer=True,
        )


PRESETS: dict[str, dict[str, Any]] = {
    # The Bell state on two qubits with H, X, Y, Z, S, T and CNOT on one pair: the task
    # of the deep-Q-learning architecture-search papers. Solved by H then CNOT.
    "bell": {},
    # GHZ states on a line of 3 and 4 qubits: n - 1 CNOTs suffice.
    "ghz3": {"num_qubits": 3, "target": "ghz"},
    "ghz4": {"num_qubits": 4, "target": "ghz", "max_gates": 30},
    # The W state on 3 qubits: X, CNOT and RY on a grid that holds the angle
    # 2 arccos(1/sqrt3) a W state needs (|0> -> sqrt(1/3)|0> + sqrt(2/3)|1>) and +-pi/4
    # (controlled-H from RY(pi/4) CNOT RY(-pi/4)).
    "w3": {
        "num_qubits": 3,
        "target": "w",
        "gates": ("x", "ry", "cx"),
        "rotation_angles": (PI / 4, -PI / 4, PI / 2, -PI / 2, W_ANGLE, -W_ANGLE),
        "max_gates": 30,
    },
    # Noisy Bell and GHZ-3: depolarizing noise and readout error, success at 0.95.
    "bell_noisy": {"noise": "depolarizing", "success_threshold": 0.95},
    "ghz3_noisy": {
        "num_qubits": 3,
        "target": "ghz",
        "noise": "depolarizing",
        "success_threshold": 0.95,
    },
    "ghz4_noisy": {
        "num_qubits": 4,
        "target": "ghz",
        "max_gates": 30,
        "noise": "depolarizing",
        "success_threshold": 0.95,
    },
}
"""Field values of the named presets; ``"bell"`` is the default config."""
QuantumConfig.presets = PRESETS
