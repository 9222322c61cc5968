"""The quantum architecture search env against qiskit as the oracle, plus config and episodes."""

from __future__ import annotations

import math

import gymnasium as gym
import numpy as np
import pytest
from qiskit import QuantumCircuit, qasm2
from qiskit.circuit import library as lib
from qiskit.providers.fake_provider import GenericBackendV2
from qiskit.quantum_info import Operator, Pauli, Statevector

import fieldgym  # noqa: F401  (registers the ids)
from fieldgym.envs.core.errors import ConfigError
from fieldgym.envs.core.wrappers import RecordKPIs
from fieldgym.envs.quantum import PRESETS, QuantumConfig
from fieldgym.envs.quantum.dynamics import pauli_labels
from fieldgym.envs.quantum.gates import Action, action_table, backend_edges, target_state
from fieldgym.envs.quantum.metrics import episode_metrics

ENV_ID = "fieldgym/QuantumArchitectureSearch-v1"
QISKIT_GATES = {
    "h": lib.HGate,
    "x": lib.XGate,
    "y": lib.YGate,
    "z": lib.ZGate,
    "s": lib.SGate,
    "sdg": lib.SdgGate,
    "t": lib.TGate,
    "tdg": lib.TdgGate,
    "sx": lib.SXGate,
    "rx": lib.RXGate,
    "ry": lib.RYGate,
    "rz": lib.RZGate,
    "cx": lib.CXGate,
    "cz": lib.CZGate,
}
ALL_GATES = tuple(QISKIT_GATES)
CONFIGS = [
    {},
    {"num_qubits": 3, "target": "ghz", "coupling": "ring", "gates": ALL_GATES},
    {"num_qubits": 4, "target": "w", "coupling": "all", "gates": ("h", "ry", "rz", "cz", "cx")},
    {
        "num_qubits": 5,
        "target": "random",
        "target_seed": 3,
        "coupling": [[0, 2], [2, 4], [4, 1], [1, 3]],
        "directed": True,
        "gates": ALL_GATES,
        "rotation_angles": [0.3, -1.1, math.pi],
        "observation": "amplitudes",
    },
]


def qiskit_gate(action):
    cls = QISKIT_GATES[action.gate]
    return cls() if action.angle is None else cls(action.angle)


def random_episode(env, seed: int, steps: int):
    """Random actions without ending the episode (success threshold out of reach)."""
    env.reset(seed=seed)
    rng = np.random.default_rng(seed)
    chosen = rng.integers(env.action_space.n, size=steps)
    for a in chosen:
        env.step(int(a))
    return chosen


def test_gate_matrices_equal_qiskit_operators():
    config = QuantumConfig(num_qubits=2, gates=ALL_GATES, rotation_angles=(0.7, -2.0))
    for action in action_table(config):
        expected = Operator(qiskit_gate(action)).data
        np.testing.assert_allclose(action.matrix(), expected, atol=1e-15)


@pytest.mark.parametrize("fields", CONFIGS)
def test_random_circuits_match_qiskit_statevector(fields):
    env = gym.make(ENV_ID, max_gates=60, success_threshold=1.0, **fields).unwrapped
    for seed in range(3):
        chosen = random_episode(env, seed, 60)
        expected = Statevector.from_label("0" * env.config.num_qubits)
        for a in chosen:
            action = env.actions[a]
            expected = expected.evolve(qiskit_gate(action), qargs=list(action.qubits))
        np.testing.assert_allclose(env.statevector(), expected.data, atol=1e-10, rtol=0)


@pytest.mark.parametrize("fields", CONFIGS)
def test_exported_circuit_reproduces_fidelity_counts_and_depth(fields):
    env = RecordKPIs(gym.make(ENV_ID, max_gates=25, success_threshold=1.0, **fields))
    random_episode(env, 11, 25)
    inner = env.unwrapped
    circuit = inner.circuit()
    target = target_state(inner.config)
    kpi = {name: values[-1] for name, values in env.episode().items()}
    parsed = qasm2.loads(inner.qasm(), custom_instructions=qasm2.LEGACY_CUSTOM_INSTRUCTIONS)
    for built in (circuit, parsed):
        fidelity = abs(np.vdot(target, Statevector(built).data)) ** 2
        assert fidelity == pytest.approx(kpi["fidelity"], abs=1e-10)
    summary = inner.circuit_summary()
    assert summary["gates"] == kpi["gates"] == 25 == sum(summary["counts"].values())
    assert summary["cnots"] == kpi["cnots"] == circuit.num_nonlocal_gates()
    assert summary["depth"] == kpi["depth"] == circuit.depth()


@pytest.mark.parametrize("fields", CONFIGS[:3])
def test_pauli_observation_equals_qiskit_expectations(fields):
    env = gym.make(ENV_ID, max_gates=30, success_threshold=1.0, **fields).unwrapped
    n = env.config.num_qubits
    random_episode(env, 5, 13)
    obs = env.system.observe()[0]
    state = Statevector(env.circuit())
    for k, label in enumerate(pauli_labels(n)):
        text = "".join(label.get(q, "I") for q in reversed(range(n)))  # qiskit: qubit 0 last
        assert obs[k] == pytest.approx(state.expectation_value(Pauli(text)).real, abs=1e-6)
    assert obs[-1] == pytest.approx(13 / 30)


def test_amplitude_observation_is_the_statevector():
    env = gym.make(ENV_ID, **CONFIGS[3], max_gates=30, success_threshold=1.0).unwrapped
    random_episode(env, 2, 9)
    obs, dim = env.system.observe()[0], env.config.dimension
    psi = env.statevector()
    np.testing.assert_allclose(obs[:dim] + 1j * obs[dim : 2 * dim], psi, atol=1e-6)


def test_named_targets_equal_qiskit_preparations():
    ghz = QuantumCircuit(4)
    ghz.h(0)
    for q in range(3):
        ghz.cx(q, q + 1)
    bell = QuantumCircuit(3)
    bell.h(0)
    bell.cx(0, 1)
    w = np.zeros(8)
    w[[1, 2, 4]] = 1 / math.sqrt(3)
    for fields, expected in (
        ({"num_qubits": 4, "target": "ghz"}, Statevector(ghz).data),
        ({"num_qubits": 3, "target": "bell"}, Statevector(bell).data),
        ({"num_qubits": 3, "target": "w"}, w),
        ({"target": "statevector", "target_state": ["0.5", "0.5j", [0, 0.5], -0.5]}, None),
    ):
        state = target_state(QuantumConfig(**fields))
        if expected is None:  # parsed forms, normalized
            expected = np.array([0.5, 0.5j, 0.5j, -0.5])
        np.testing.assert_allclose(state, expected, atol=1e-15)
    unnormalized = QuantumConfig(target="statevector", target_state=(1, 0, 0, 1))
    np.testing.assert_allclose(target_state(unnormalized), Statevector(bell.copy()).data[:4])


def test_random_target_is_a_unit_vector_fixed_by_its_seed():
    states = [
        target_state(QuantumConfig(num_qubits=3, target="random", target_seed=s)) for s in (1, 1, 2)
    ]
    assert np.linalg.norm(states[0]) == pytest.approx(1.0)
    np.testing.assert_array_equal(states[0], states[1])
    assert abs(np.vdot(states[0], states[2])) < 0.99


def test_bell_is_solved_by_h_then_cnot_and_rewards_telescope():
    env = RecordKPIs(gym.make(ENV_ID))
    env.reset(seed=0)
    labels = [a.label for a in env.unwrapped.actions]
    _, _, terminated, _, _ = env.step(labels.index("h(0)"))
    assert not terminated
    _, reward, terminated, truncated, info = env.step(labels.index("cx(0,1)"))
    assert (terminated, truncated) == (True, False)
    assert info["reward_parts"] == {"fidelity": 0.75, "success": 1.0, "gate": -1.0, "cnot": -1.0}
    assert reward == pytest.approx(0.75 + 1.0 - 0.01 - 0.01)
    episode = env.episode()
    assert episode["reward_part/fidelity"].sum() == pytest.approx(1.0 - 0.5)  # F_T - F_0
    metrics = episode_metrics(episode, env.unwrapped.config)
    assert metrics == {
        "success": 1.0,
        "final_fidelity": pytest.approx(1.0),
        "max_fidelity": pytest.approx(1.0),
        "gates": 2.0,
        "cnots": 1.0,
        "depth": 2.0,
        "steps_to_solution": 2.0,
    }


def test_w3_preset_holds_the_textbook_w_circuit_whose_fidelity_dips_to_zero():
    """RY(W) on q0, a controlled Hadamard q0->q1 (RY(pi/4) CX RY(-pi/4)), CX q1->q2, CX
    q0->q1, X q0: seven gates of the preset's grid prepare W exactly, and qiskit agrees; the
    fidelity falls to 0 on the sixth gate, a valley a fidelity-greedy search cannot cross."""
    env = RecordKPIs(gym.make(ENV_ID, preset="w3"))
    env.reset(seed=0)
    labels = [a.label for a in env.unwrapped.actions]
    w_rotation = Action("ry", (0,), 2 * math.acos(1 / math.sqrt(3))).label
    circuit = [w_rotation, "ry(0.25pi)(1)", "cx(0,1)", "ry(-0.25pi)(1)"]
    circuit += ["cx(1,2)", "cx(0,1)", "x(0)"]
    ends = [env.step(labels.index(label))[2] for label in circuit]
    assert ends == [False] * 6 + [True]
    fidelities = env.episode()["fidelity"]
    assert fidelities[5] == pytest.approx(0.0, abs=1e-12)
    assert fidelities[-1] == pytest.approx(1.0)
    circuit_out = env.unwrapped.circuit()  # qiskit simulates the exported circuit
    w_state = np.zeros(8)
    w_state[[1, 2, 4]] = 1 / math.sqrt(3)  # |001> + |010> + |100>
    prepared = Statevector.from_label("000").evolve(circuit_out)
    assert circuit_out.size() == 7
    assert prepared.equiv(Statevector(w_state))


def test_budget_truncates_and_unsolved_episode_has_no_steps_to_solution():
    env = RecordKPIs(gym.make(ENV_ID, max_gates=3, reward="sparse"))
    env.reset(seed=0)
    z0 = [a.label for a in env.unwrapped.actions].index("z(0)")  # leaves |00> unchanged
    ends = [env.step(z0)[2:4] for _ in range(3)]
    assert ends == [(False, False), (False, False), (False, True)]
    metrics = episode_metrics(env.episode(), env.unwrapped.config)
    assert metrics["success"] == 0.0 and math.isnan(metrics["steps_to_solution"])
    assert metrics["final_fidelity"] == pytest.approx(0.5)
    assert env.rewards == pytest.approx([-0.01] * 3)  # sparse: no fidelity part


def test_coupling_maps_give_the_two_qubit_actions():
    def pairs(**fields):
        config = QuantumConfig(num_qubits=4, gates=("cx", "cz"), **fields)
        return [(a.gate, a.qubits) for a in action_table(config)]

    line = pairs(coupling="line")
    assert [q for g, q in line if g == "cx"] == [(0, 1), (1, 0), (1, 2), (2, 1), (2, 3), (3, 2)]
    assert [q for g, q in line if g == "cz"] == [(0, 1), (1, 2), (2, 3)]
    assert ("cz", (0, 3)) in pairs(coupling="ring")
    assert len(pairs(coupling="all")) == 12 + 6
    directed = pairs(coupling=[[1, 0], [2, 3]], directed=True)
    assert directed == [("cx", (1, 0)), ("cx", (2, 3)), ("cz", (0, 1)), ("cz", (2, 3))]


def test_backend_coupling_map_restricts_cnots_to_its_edges():
    backend = GenericBackendV2(5, coupling_map=[[0, 1], [1, 2], [2, 3], [3, 4]], seed=1)
    edges = backend_edges(backend, qubits=[2, 3, 4])
    assert sorted(edges) == [(0, 1), (1, 2)]
    env = gym.make(ENV_ID, num_qubits=3, target="ghz", coupling=edges, directed=True).unwrapped
    cx = [a.qubits for a in env.actions if a.gate == "cx"]
    assert sorted(cx) == [(0, 1), (1, 2)]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"gates": ["h", "cnot"]}, "gates[1]='cnot' is not allowed"),
        ({"num_qubits": 1}, "needs num_qubits >= 2"),
        ({"target": "statevector", "target_state": [1, 0]}, "needs 4"),
        ({"observation": "amplitudes", "noise": "depolarizing"}, "use observation='pauli'"),
        ({"coupling": [[0, 0]]}, "joins a qubit to itself"),
        ({"max_gates": 500}, "max_gates=500"),
        ({"reward_weights": {"fidelty": 1.0}}, "'fidelty' is not allowed"),
        ({"target": "statevector", "target_state": [1, 0, 0, 0]}, "already at"),
        ({"noise_patterns": [{"p3": 0.1}]}, "'p3' is not allowed"),
        ({"max_gate": 5}, "Did you mean 'max_gates'?"),
    ],
)
def test_invalid_configs_are_refused_with_the_reason(fields, message):
    with pytest.raises(ConfigError, match=message.replace("[", r"\[").replace("(", r"\(")):
        gym.make(ENV_ID, **fields)


def test_presets_build_and_step():
    for name in PRESETS:
        env = gym.make(ENV_ID, preset=name)
        obs, _ = env.reset(seed=0)
        assert env.observation_space.contains(obs)
        assert env.observation_space.contains(env.step(0)[0])


@pytest.mark.parametrize(
    "fields",
    [
        {},
        {
            "preset": "bell_noisy",
            "noise_schedule": "per_episode",
            "noise_patterns": [{"p1": 0.01}, {"p2": 0.05}],
        },
    ],
)
def test_vector_copy_retraces_single_env_through_terminations(fields):
    """The registry's check, also resetting the single env when an episode terminates."""
    single = gym.make(ENV_ID, **fields)
    vector = gym.make_vec(ENV_ID, num_envs=1, **fields)
    obs, _ = single.reset(seed=7)
    vobs, _ = vector.reset(seed=7)
    np.testing.assert_array_equal(vobs[0], obs)
    single.action_space.seed(7)
    ends = 0
    for _ in range(300):
        action = single.action_space.sample()
        obs, reward, terminated, truncated, _ = single.step(action)
        vobs, vreward, vterm, vtrunc, vinfo = vector.step(np.array([action]))
        assert (vterm[0], vtrunc[0]) == (terminated, truncated)
        assert vreward[0] == pytest.approx(reward, abs=1e-12)
        if terminated or truncated:
            ends += terminated
            np.testing.assert_array_equal(vinfo["final_obs"][0], obs)
            obs, _ = single.reset()
        np.testing.assert_array_equal(vobs[0], obs)
    assert ends > 0  # the check covered terminations
