"""Noisy mode: density matrices against qiskit's DensityMatrix and qiskit-aer, readout, patterns."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
from qiskit.circuit import library as lib
from qiskit.quantum_info import DensityMatrix, Kraus, Statevector, state_fidelity
from qiskit_aer import AerSimulator
from qiskit_aer.noise import ReadoutError, depolarizing_error

import fieldgym  # noqa: F401  (registers the ids)
from fieldgym.envs.quantum.dynamics import pauli_labels
from fieldgym.envs.quantum.gates import target_state

ENV_ID = "fieldgym/QuantumArchitectureSearch-v1"
GATES = ("h", "x", "y", "z", "s", "sdg", "t", "tdg", "sx", "rx", "ry", "rz", "cx", "cz")
QISKIT = {g: getattr(lib, f"{g.upper()}Gate") for g in GATES if g not in ("sdg", "tdg", "sx")}
QISKIT |= {"sdg": lib.SdgGate, "tdg": lib.TdgGate, "sx": lib.SXGate}
PATTERNS = [
    {"p1": 0.02, "p2": 0.08, "readout": 0.03},
    {"p1": [0.0, 0.05, 0.01], "p2": [0.1, 0.0], "readout": [0.1, 0.0, 0.02], "readout_1to0": 0.2},
]
FIELDS = {
    "num_qubits": 3,
    "target": "ghz",
    "gates": GATES,
    "rotation_angles": [0.4, -2.1],
    "noise": "depolarizing",
    "noise_patterns": PATTERNS,
    "max_gates": 40,
    "success_threshold": 1.0,
}


def noisy_env(pattern: int, **extra):
    env = gym.make(ENV_ID, **{**FIELDS, **extra}).unwrapped
    env.reset(seed=0, options={"noise_pattern": pattern})
    return env


def qiskit_gate(action):
    cls = QISKIT[action.gate]
    return cls() if action.angle is None else cls(action.angle)


@pytest.mark.parametrize("pattern", [0, 1])
def test_density_matrix_matches_qiskit_with_aer_depolarizing_channels(pattern):
    env = noisy_env(pattern)
    values = PATTERNS[pattern]
    rng = np.random.default_rng(pattern)
    expected = DensityMatrix.from_label("000")
    for a in rng.integers(env.action_space.n, size=40):
        env.step(int(a))
        action = env.actions[a]
        qubits = list(action.qubits)
        expected = expected.evolve(qiskit_gate(action), qargs=qubits)
        if action.two_qubit:
            p2 = values["p2"]
            pair = sorted(qubits)
            p = p2 if np.isscalar(p2) else p2[[(0, 1), (1, 2)].index(tuple(pair))]
        else:
            p1 = values["p1"]
            p = p1 if np.isscalar(p1) else p1[qubits[0]]
        channel = Kraus(depolarizing_error(p, len(qubits)).to_quantumchannel())
        expected = expected.evolve(channel, qargs=qubits)
    np.testing.assert_allclose(env.density_matrix(), expected.data, atol=1e-10, rtol=0)
    fidelity = state_fidelity(expected, Statevector(target_state(env.config)))
    assert env.fidelity == pytest.approx(fidelity, abs=1e-10)


@pytest.mark.parametrize("pattern", [0, 1])
def test_exported_circuit_on_aer_with_the_env_noise_model_gives_the_same_state(pattern):
    env = noisy_env(pattern)
    rng = np.random.default_rng(10 + pattern)
    for a in rng.integers(env.action_space.n, size=25):
        env.step(int(a))
    circuit = env.circuit()
    circuit.save_density_matrix()
    simulator = AerSimulator(method="density_matrix", noise_model=env.noise_model())
    result = simulator.run(circuit).result().data()["density_matrix"]
    np.testing.assert_allclose(env.density_matrix(), np.asarray(result), atol=1e-10, rtol=0)


def measured_expectation(rho: DensityMatrix, label: dict[int, str], confusion) -> float:
    """Rotate each measured qubit to Z, apply its readout error as a channel, average signs."""
    for q, letter in label.items():
        if letter == "X":
            rho = rho.evolve(lib.HGate(), [q])
        elif letter == "Y":
            rho = rho.evolve(lib.SdgGate(), [q]).evolve(lib.HGate(), [q])
        flips = confusion[q]  # flips[true][read] = P(read | true), qiskit-aer's convention
        kraus = []
        for true in (0, 1):
            for read in (0, 1):
                op = np.zeros((2, 2))
                op[read, true] = np.sqrt(flips[true][read])
                kraus.append(op)
        rho = rho.evolve(Kraus(kraus), [q])
    probabilities = rho.probabilities()
    signs = [(-1) ** sum((i >> q) & 1 for q in label) for i in range(len(probabilities))]
    return float(np.dot(signs, probabilities))


@pytest.mark.parametrize("pattern", [0, 1])
def test_observation_is_the_pauli_expectation_measured_with_readout_error(pattern):
    env = noisy_env(pattern)
    rng = np.random.default_rng(20 + pattern)
    for a in rng.integers(env.action_space.n, size=12):
        obs, *_ = env.step(int(a))
    readout = {  # the env's qiskit-aer NoiseModel: qubit -> P(read | true)
        tuple(e["gate_qubits"][0]): np.asarray(e["probabilities"])
        for e in env.noise_model().to_dict()["errors"]
        if e["type"] == "roerror"
    }
    values = PATTERNS[pattern]
    for q in range(3):
        e01 = values["readout"] if np.isscalar(values["readout"]) else values["readout"][q]
        e10 = values.get("readout_1to0", e01)
        if e01 or e10:
            np.testing.assert_allclose(
                readout[(q,)], ReadoutError([[1 - e01, e01], [e10, 1 - e10]]).probabilities
            )
    confusion = [readout.get((q,), np.eye(2)) for q in range(3)]
    rho = DensityMatrix(env.density_matrix())
    for k, label in enumerate(pauli_labels(3)):
        assert obs[k] == pytest.approx(measured_expectation(rho, label, confusion), abs=1e-6)


def test_noiseless_pattern_reproduces_the_ideal_statevector():
    ideal = gym.make(ENV_ID, **{**FIELDS, "noise": "none"}).unwrapped
    mixed = noisy_env(0, noise_patterns=[{}])
    ideal.reset(seed=0)
    rng = np.random.default_rng(3)
    for a in rng.integers(ideal.action_space.n, size=30):
        ideal_obs, *_ = ideal.step(int(a))
        mixed_obs, *_ = mixed.step(int(a))
    psi = ideal.statevector()
    np.testing.assert_allclose(mixed.density_matrix(), np.outer(psi, psi.conj()), atol=1e-12)
    np.testing.assert_allclose(mixed_obs, ideal_obs, atol=1e-6)


def test_noise_lowers_the_fidelity_of_the_bell_circuit_as_depolarizing_predicts():
    p2 = 0.05
    env = gym.make(ENV_ID, noise="depolarizing", noise_patterns=[{"p2": p2}]).unwrapped
    env.reset(seed=0)
    labels = [a.label for a in env.actions]
    env.step(labels.index("h(0)"))
    env.step(labels.index("cx(0,1)"))
    # (1 - p) |Bell><Bell| + p I/4 has fidelity 1 - p + p/4 with the Bell state
    assert env.fidelity == pytest.approx(1 - p2 + p2 / 4, abs=1e-12)


def test_noise_patterns_change_per_episode_or_on_request():
    fields = {**FIELDS, "noise_schedule": "per_episode"}
    env = gym.make(ENV_ID, **fields)
    drawn = {env.reset(seed=s)[1]["noise_pattern"] for s in range(20)}
    assert drawn == {0, 1}
    _, info = env.reset(seed=0, options={"noise_pattern": 1})
    assert info["noise_pattern"] == 1
    fixed = gym.make(ENV_ID, **{**FIELDS, "noise_pattern": 1})
    assert {fixed.reset(seed=s)[1]["noise_pattern"] for s in range(5)} == {1}
    models = [env.unwrapped.noise_model(k) for k in (0, 1)]
    assert models[0].to_dict() != models[1].to_dict()
