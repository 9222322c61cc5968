"""Noise and coupling from a qiskit backend's calibration (a fake device)."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
from qiskit.providers.fake_provider import GenericBackendV2
from qiskit.quantum_info import average_gate_fidelity
from qiskit_aer import AerSimulator
from qiskit_aer.noise import depolarizing_error

import fieldgym  # noqa: F401  (registers the ids)
from fieldgym.envs.core.errors import ConfigError
from fieldgym.envs.quantum.device import device_config
from fieldgym.envs.quantum.gates import undirected_pairs

LINE = [[a, b] for k in range(4) for a, b in ((k, k + 1), (k + 1, k))]  # 0-1-2-3-4
QUBITS = [3, 2, 1]  # physical qubits in the env's order: renumbered 0, 1, 2


@pytest.fixture(scope="module")
def device():
    return GenericBackendV2(num_qubits=5, coupling_map=LINE, seed=11)


def test_depolarizing_channels_have_the_device_gate_errors(device):
    config = device_config(device, QUBITS, target="ghz")
    (pattern,) = config.noise_patterns
    target = device.target
    for k, q in enumerate(QUBITS):  # qiskit's own fidelity of the channel = 1 - sx error
        fidelity = average_gate_fidelity(depolarizing_error(pattern["p1"][k], 1))
        assert fidelity == pytest.approx(1 - target["sx"][(q,)].error, abs=1e-12)
        assert pattern["readout"][k] == target["measure"][(q,)].error
    pairs = undirected_pairs(config)
    assert len(pairs) == len(pattern["p2"]) > 0
    for (a, b), p in zip(pairs, pattern["p2"], strict=True):
        pa, pb = QUBITS[a], QUBITS[b]
        calibrated = [target["cx"][w].error for w in ((pa, pb), (pb, pa)) if w in target["cx"]]
        fidelity = average_gate_fidelity(depolarizing_error(p, 2))
        assert fidelity == pytest.approx(1 - np.mean(calibrated), abs=1e-12)
    edges = {tuple(e) for e in device.coupling_map.get_edges()}
    assert {(QUBITS[a], QUBITS[b]) for a, b in config.coupling} == {(3, 2), (2, 3), (2, 1), (1, 2)}
    assert edges >= {(QUBITS[a], QUBITS[b]) for a, b in config.coupling}


def test_env_on_the_device_config_matches_aer_with_its_noise_model(device):
    env = gym.make(
        "fieldgym/QuantumArchitectureSearch-v1",
        config=device_config(device, QUBITS, target="ghz", max_gates=40),
    ).unwrapped
    env.reset(seed=0)
    rng = np.random.default_rng(3)
    for a in rng.integers(env.action_space.n, size=20):
        env.step(int(a))
    circuit = env.circuit()
    circuit.save_density_matrix()
    simulator = AerSimulator(method="density_matrix", noise_model=env.noise_model())
    result = simulator.run(circuit).result().data()["density_matrix"]
    np.testing.assert_allclose(env.density_matrix(), np.asarray(result), atol=1e-10, rtol=0)


def test_unconnected_qubits_are_refused(device):
    edges = {tuple(e) for e in device.coupling_map.get_edges()}
    far = next((a, b) for a in range(5) for b in range(5) if a != b and (a, b) not in edges)
    with pytest.raises(ConfigError, match="share no coupling pair"):
        device_config(device, list(far))
