"""Training throughput of fieldgym's learners: today's defaults against the previous ones.

Run from the repository root::

    .venv/bin/python benchmarks/training_throughput.py [--quick] [--seconds 2.5]
        [--ids ID ...] [--algos ppo a2c dqn sac td3 shared_ppo mappo]
        [--configs new old tuned] [--no-sweep] [--no-profile] [--render]

For every single-agent id of :data:`fieldgym.envs.ENVS` with a ``vector_entry_point`` (ids
without one are listed as skipped) and every stable-baselines3 algorithm of
:class:`fieldgym.agents.sb3.SB3Agent` that can act on it (through SB3Agent's action
adapters), and for ``shared_ppo`` and ``mappo`` on :data:`MULTI_AGENT_IDS`, it measures
training steps per second of CPU time (``time.process_time``, ``torch.set_num_threads(1)``)
under up to three configurations:

* **new**: today's defaults (``SB3Agent(EnvTarget(id, {}), algo)``: its
  ``DEFAULT_N_ENVS`` and ``DEFAULT_HYPERPARAMS``; the class defaults of ``SharedPPO`` and
  ``MAPPO``);
* **old**: the defaults before the throughput work, hard-coded below (:data:`OLD_SB3`
  from commit :data:`OLD_SB3_COMMIT`, :data:`OLD_MULTI` from :data:`OLD_MULTI_COMMIT`);
* **tuned**: the id's entry of ``hyperparams/<algo>.yml``, as ``make_agent`` resolves it
  (:func:`fieldgym.agents.registry.resolved_params`), where the file has one.

Single-agent learners train on ``SB3Agent._training_env`` (native vector env ->
flattening -> action adapter -> ``GymnasiumVecEnv`` -> ``VecMonitor`` -> ``VecNormalize``),
the model built as ``SB3Agent.fit`` builds it; ``shared_ppo`` on ``SharedSB3.fit``'s
``VecMonitor(SharedAgentsVecEnv)``. Each model is warmed up untimed (on-policy: one
rollout, so numba compiles; off-policy: ``learn`` past ``learning_starts`` and eight
training rounds). Then ``model.learn(chunk, reset_num_timesteps=False)`` is timed in
chunks of about half a CPU second (whole rollouts / whole training rounds) until
``--seconds`` of CPU time are spent; steps/s = env steps (agent-steps for the multi-agent
learners: one per agent per step) / CPU seconds of ``learn``. ``mappo`` has its own
trainer, so it is timed through ``fit`` itself: after an untimed ``fit`` of one rollout,
each chunk is a ``fit(Budget(steps=...))`` less the CPU time of its set-up (a ``fit`` of
zero steps, median of three).

A ``VecEnvWrapper`` under ``VecMonitor`` times the base env's ``reset``/``step`` (the env
share). Where today's defaults miss the target, the report adds a cProfile of one chunk
(the calls that dominate) and, unless ``--no-sweep``, the same defaults with 2x and 4x the
copies (off-policy with ``gradient_steps`` scaled alike, so the update-to-data ratio stays),
which gives the per-id ``n_envs`` to recommend.

Writes ``reports/benchmarks/training_throughput.md`` and ``.json`` (``--out-dir``);
``--render`` rewrites the Markdown from the JSON without measuring.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import cProfile
import dataclasses
import datetime as dt
import gc
import json
import math
import os
import pstats
import shlex
import statistics
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from stable_baselines3.common.base_class import BaseAlgorithm
from stable_baselines3.common.on_policy_algorithm import OnPolicyAlgorithm
from stable_baselines3.common.vec_env import VecEnv, VecEnvWrapper, VecMonitor, VecNormalize

import fieldgym  # noqa: F401  (registers the ids)
from fieldgym.agents import hyperparams as tuned_files
from fieldgym.agents.mappo import MAPPO
from fieldgym.agents.multiagent import SharedAgentsVecEnv, SharedPPO
from fieldgym.agents.registry import resolved_params
from fieldgym.agents.sb3 import ALGORITHMS, SB3Agent
from fieldgym.agents.target import EnvTarget, ParallelTarget
from fieldgym.agents.training import Budget
from fieldgym.agents.vec import GymnasiumVecEnv
from fieldgym.envs import ENVS, PARALLEL_ENVS
from fieldgym.envs.core.errors import ConfigError

sys.path.insert(0, str(Path(__file__).resolve().parent))
import throughput as shared  # machine description and report helpers

ROOT = Path(__file__).resolve().parents[1]
SEED = 0

SINGLE_ALGOS = ("ppo", "a2c", "dqn", "sac", "td3")
MULTI_ALGOS = ("shared_ppo", "mappo")
MULTI_AGENT_IDS = ("fieldgym/TrafficGrid-v1", "fieldgym/UAVOffloading-v1")
CONFIGS = ("new", "old", "tuned")

TARGETS: dict[str, int] = {
    "ppo": 50_000,
    "a2c": 50_000,
    "dqn": 30_000,
    "sac": 5_000,
    "td3": 5_000,
    "shared_ppo": 20_000,
    "mappo": 20_000,
}
"""Issue 13's targets: env-steps (agent-steps for the multi-agent learners) per CPU second."""

OLD_SB3_COMMIT = "65e73b8"
"""The commit whose ``agents/sb3.py`` held :data:`OLD_SB3` (before the throughput defaults)."""
OLD_SB3_N_ENVS = 8
"""``SB3Agent``'s ``n_envs`` default at :data:`OLD_SB3_COMMIT`, for every algorithm."""
OLD_SB3: dict[str, dict[str, Any]] = {
    "dqn": {
        "learning_starts": 1_000,
        "buffer_size": 100_000,
        "exploration_fraction": 0.3,
        "train_freq": 4,
        "target_update_interval": 1_000,
    },
    "ppo": {"n_steps": 256, "batch_size": 256},
    "a2c": {},
    "sac": {"learning_starts": 1_000, "buffer_size": 100_000},
    "td3": {"learning_starts": 1_000, "buffer_size": 100_000},
}
"""``DEFAULT_HYPERPARAMS`` at :data:`OLD_SB3_COMMIT`: the whole keyword set given to SB3
(stable-baselines3's own defaults otherwise: PPO 10 epochs, A2C ``n_steps=5``, SAC/TD3
``net_arch=[256, 256]``, ``train_freq=1``, ``gradient_steps=1``)."""

OLD_MULTI_COMMIT = "16e6b96"
"""The commit whose ``agents/multiagent.py`` and ``agents/mappo.py`` held :data:`OLD_MULTI`."""
OLD_MULTI: dict[str, dict[str, Any]] = {
    "shared_ppo": {"n_copies": 4, "hyperparams": {"n_steps": 128, "batch_size": 256}},
    "mappo": {
        "n_copies": 4,
        "hyperparams": {
            "n_steps": 64,
            "n_epochs": 10,
            "n_minibatches": 2,
            "lr": 7e-4,
            "critic_lr": 7e-4,
            "gamma": 0.99,
            "gae_lambda": 0.95,
            "clip_range": 0.2,
            "value_clip": 0.2,
            "ent_coef": 0.01,
            "max_grad_norm": 10.0,
            "hidden": 64,
            "agent_id": True,
            "value_norm": True,
            "feature_norm": True,
        },
    },
}
"""``SharedPPO``'s ``n_copies`` and ``defaults``, and ``MAPPO``'s ``n_copies`` and
``DEFAULTS``, at :data:`OLD_MULTI_COMMIT` (the whole hyperparameter set, as given)."""

ANALYSIS: dict[tuple[str | None, str | None], str] = {
    ("fieldgym/UAVOffloading-v1", None): (
        "The UAV env has no form vectorized over copies: `SharedAgentsVecEnv` steps each "
        "copy's PettingZoo env in Python, and one copy-step (3 agents) is ~600–850 µs of "
        "small numpy calls on 3 × 40 arrays (`associate`, `_observations`, `_grid`, "
        "`propulsion_power`, `np.delete`). That is ~200–280 µs per agent-step before any "
        "learning, 4–5× the 50 µs the target allows, so no learner setting reaches it. It "
        "needs a batched UAV env (one numba/numpy step for all copies) and a bridge that "
        "steps it in one call: a change to `envs/wireless`, not to the defaults."
    ),
    ("fieldgym/TrafficGrid-v1", "mappo"): (
        "The grid env costs ~20–25 µs per agent-step (its per-copy Python step). MAPPO's "
        "critic takes the 528-dim global state plus the agent one-hot on every agent row, "
        "i.e. the same state 16 times per copy, so its first layer (544 × 64) dominates "
        "both the rollout's value pass and the update's forward/backward: two epochs put "
        "MAPPO at ~50–56 µs per agent-step, just short of the target (SB3's shared PPO, "
        "whose critic sees the 33-dim observation, makes it). One epoch would clear it but "
        "stops being PPO. Evaluating the state part of the critic once per copy (layer "
        "norm and the first layer's state block on the copy's state, then the one-hot's "
        "column per agent) would remove most of that cost: a change to `agents/mappo.py`'s "
        "network, not to its defaults."
    ),
    **{
        ("fieldgym/Driving-v1", algo): (
            "The driving env costs ~15–22 µs per copy-step at 256 copies (numba's "
            "`step_batch` plus the per-copy Python resets in `_reset_copies`): 75–100% of "
            "PPO/A2C's budget at 50,000 (20 µs) and half of DQN's at 30,000 (33 µs), before "
            "the learner's ~18–21 µs per step. Its per-copy cost falls with more copies "
            "(~9 µs at 1024), so more copies help PPO/A2C (the sweep), but the learner's "
            "share alone keeps them under 50,000; DQN at the same update-to-data ratio gains "
            "nothing. Reaching the targets here needs a cheaper env step (resets batched in "
            "numba) or a lower update-to-data ratio for DQN, not more copies."
        )
        for algo in ("ppo", "a2c", "dqn")
    },
    (None, "sac"): (
        "SAC is learner-bound: `sac.py:train` takes ~80% of the time. One gradient step "
        "(batch 256, [64, 64] nets: actor, two critics and their targets, the entropy "
        "coefficient, three Adam steps, the Polyak update) costs ~9–14 ms of small SB3/torch "
        "calls on one thread, and at `gradient_steps=2` per vector step of 128 copies (an "
        "update-to-data ratio of 1/64) that is ~140–220 µs per env step; TD3 (one critic "
        "loss, the actor every second step) is 1.5–2× faster. More copies at the same ratio "
        "only spread the per-vector-step rollout work (the sweep: +5–15%, more is a shared "
        "machine's noise); a sure 5,000 takes a lower update-to-data ratio (a tuned choice, "
        "per id) or a cheaper update: stable-baselines3's own JAX port, SBX (`sbx-rl`, same "
        "API), jit-compiles the whole update and is the library to try there (not measured "
        "here)."
    ),
    (None, "ppo"): (
        "Where the env is cheap, PPO's time is SB3's rollout (a policy forward per vector "
        "step, `VecNormalize`, the rollout buffer) and its two epochs; `torch.tanh`, the "
        "default activation of SB3's `MlpPolicy` for PPO/A2C, alone is ~15% of the own "
        "time. These ids sit within ~10–20% of 50,000 and move across it with the "
        "machine's load (compare the best chunk)."
    ),
    (None, "a2c"): (
        "As for PPO: with a cheap env the time is SB3's per-vector-step rollout work and "
        "the policy's tanh layers; A2C sits near 50,000 and moves with the machine's load."
    ),
    (None, "dqn"): (
        "DQN's time is the Q-network forward for every vector step (action selection) and "
        "one gradient step of batch 256 per vector step (`dqn.py:train`, ~60%); with 625 "
        "discretized actions (inventory) the output layer adds to both."
    ),
}
"""Causes of the misses found with the profiles (written with this benchmark); shown under
each missed case, by (id, algorithm), (id, any) or (any, algorithm)."""

CHUNK_SECONDS = 0.5
"""CPU seconds one timed ``learn`` call aims at."""
SWEEP_FACTORS = (2, 4)
"""Multiples of the default copies tried where today's defaults miss the target."""
PROFILE_TOP = 12


class StepTimer(VecEnvWrapper):
    """Adds up the CPU time spent in the wrapped ``VecEnv``'s ``reset`` and ``step_wait``."""

    def __init__(self, venv: VecEnv) -> None:
        super().__init__(venv)
        self.cpu_seconds = 0.0

    def reset(self) -> Any:
        cpu = time.process_time()
        observations = self.venv.reset()
        self.cpu_seconds += time.process_time() - cpu
        return observations

    def step_wait(self) -> Any:
        cpu = time.process_time()
        result = self.venv.step_wait()
        self.cpu_seconds += time.process_time() - cpu
        return result


class EnvClock:
    """CPU time inside ``SharedAgentsVecEnv``'s ``reset``, ``step_wait`` and ``states``.

    For ``mappo``, whose ``fit`` builds its bridge itself: while :meth:`patched` is
    active, the class's methods are wrapped with the clock (and restored afterwards).
    """

    METHODS = ("reset", "step_wait", "states")

    def __init__(self) -> None:
        self.cpu_seconds = 0.0

    @contextlib.contextmanager
    def patched(self) -> Iterator[None]:
        originals = {name: getattr(SharedAgentsVecEnv, name) for name in self.METHODS}

        def timed(method: Callable[..., Any]) -> Callable[..., Any]:
            def wrapper(*args: Any, **kwargs: Any) -> Any:
                cpu = time.process_time()
                try:
                    return method(*args, **kwargs)
                finally:
                    self.cpu_seconds += time.process_time() - cpu

            return wrapper

        for name, method in originals.items():
            setattr(SharedAgentsVecEnv, name, timed(method))
        try:
            yield
        finally:
            for name, method in originals.items():
                setattr(SharedAgentsVecEnv, name, method)


@dataclasses.dataclass
class Trainer:
    """One learner ready to train, behind the few calls the measurement needs.

    ``run(n)`` trains about ``n`` more steps (whole units) and returns the steps done;
    ``overhead`` is CPU time each ``run`` spends outside training (taken off).
    """

    copies: int
    rows: int
    """Steps per vector step: copies, times the agents for multi-agent learners."""
    unit: int
    """Steps of the smallest ``run``: one rollout, or one round of ``train_freq`` steps."""
    warm_up: Callable[[], None]
    run: Callable[[int], int]
    close: Callable[[], None]
    settings: dict[str, Any]
    timer: StepTimer | EnvClock | None = None
    overhead: float = 0.0


def model_trainer(
    model: BaseAlgorithm, timer: StepTimer | None, copies: int, settings: dict[str, Any]
) -> Trainer:
    """A :class:`Trainer` around an SB3 model (on- or off-policy)."""
    rows = model.n_envs
    if isinstance(model, OnPolicyAlgorithm):
        unit = model.n_steps * rows
        warm = unit
    else:
        freq = model.train_freq
        if freq.unit.value != "step":
            raise RuntimeError(f"train_freq in {freq.unit.value}s is not supported here")
        unit = freq.frequency * rows
        warm = unit * (math.ceil(model.learning_starts / unit) + 8)

    def run(steps: int) -> int:
        before = model.num_timesteps
        model.learn(steps, reset_num_timesteps=False)
        return model.num_timesteps - before

    return Trainer(
        copies=copies,
        rows=rows,
        unit=unit,
        warm_up=lambda: run(warm) and None,
        run=run,
        close=lambda: model.get_env().close(),
        settings=settings,
        timer=timer,
    )


def sb3_trainer(agent: SB3Agent) -> Trainer:
    """``SB3Agent``'s own training env and model, with a :class:`StepTimer` under ``VecMonitor``."""
    env = agent._training_env(agent.n_envs)
    monitor = env.venv
    if not isinstance(env, VecNormalize) or not isinstance(monitor, VecMonitor):
        raise RuntimeError(
            "SB3Agent._training_env is no longer VecNormalize(VecMonitor(GymnasiumVecEnv)); "
            "update sb3_trainer() in this benchmark."
        )
    if not isinstance(monitor.venv, GymnasiumVecEnv):
        raise RuntimeError("SB3Agent's base VecEnv is no longer a GymnasiumVecEnv.")
    timer = StepTimer(monitor.venv)
    monitor.venv = timer
    env.seed(SEED)
    settings = copy.deepcopy({"n_envs": agent.n_envs, **agent.hyperparams})
    model = ALGORITHMS[agent.algo](
        agent.policy, env, seed=SEED, device="cpu", verbose=0, **agent.hyperparams
    )
    return model_trainer(model, timer, agent.n_envs, settings)


def shared_ppo_trainer(agent: SharedPPO) -> Trainer:
    """The model ``SharedSB3.fit`` builds, with a :class:`StepTimer` under ``VecMonitor``."""
    timer = StepTimer(SharedAgentsVecEnv(agent.target.make, agent.n_copies))
    venv = VecMonitor(timer)
    venv.seed(SEED)
    settings = copy.deepcopy({"n_copies": agent.n_copies, **agent.hyperparams})
    model = agent.algorithm(
        "MlpPolicy", venv, seed=SEED, device="cpu", verbose=0, **agent.hyperparams
    )
    return model_trainer(model, timer, agent.n_copies, settings)


def mappo_trainer(agent: MAPPO) -> Trainer:
    """``MAPPO.fit`` itself, one ``fit`` per chunk, less its set-up (a ``fit`` of 0 steps)."""
    env = agent.target.make()
    n_agents = len(env.possible_agents)
    env.close()
    rows = agent.n_copies * n_agents
    unit = agent.hp["n_steps"] * rows
    clock = EnvClock()

    def run(steps: int) -> int:
        with clock.patched():
            return agent.fit(Budget(steps=steps), seed=SEED)._steps

    trainer = Trainer(
        copies=agent.n_copies,
        rows=rows,
        unit=unit,
        warm_up=lambda: None,
        run=run,
        close=lambda: None,
        settings={"n_copies": agent.n_copies, **agent.hp},
        timer=clock,
    )

    def warm_up() -> None:
        agent.fit(unit, seed=SEED)
        setups = []
        for _ in range(3):
            cpu = time.process_time()
            agent.fit(Budget(steps=0), seed=SEED)
            setups.append(time.process_time() - cpu)
        trainer.overhead = statistics.median(setups)

    trainer.warm_up = warm_up
    return trainer


def config_params(algo: str, env_id: str, config: str) -> dict[str, Any] | None:
    """Keyword arguments of the learner's class under ``config`` (``None``: no tuned entry).

    ``old`` returns ``{"replace": ...}`` for the SB3 learners: their hyperparameters are
    set whole, not merged over today's defaults.
    """
    target = ParallelTarget(env_id) if algo in MULTI_ALGOS else EnvTarget(env_id, {})
    if config == "new":
        return {"algo": algo} if algo in SINGLE_ALGOS else {}
    if config == "tuned":
        if tuned_files.lookup(algo, env_id, {}) is None:
            return None
        return resolved_params(algo, target, {})
    if algo in SINGLE_ALGOS:
        return {"algo": algo, "n_envs": OLD_SB3_N_ENVS, "replace": OLD_SB3[algo]}
    if algo == "shared_ppo":
        old = OLD_MULTI[algo]
        return {"n_copies": old["n_copies"], "replace": old["hyperparams"]}
    return copy.deepcopy(OLD_MULTI[algo])


def make_trainer(algo: str, env_id: str, params: dict[str, Any]) -> Trainer:
    """The :class:`Trainer` of ``algo`` on ``env_id`` made with ``params``."""
    params = copy.deepcopy(params)
    replace = params.pop("replace", None)
    if algo in SINGLE_ALGOS:
        agent = SB3Agent(EnvTarget(env_id, {}), **params)
        if replace is not None:
            agent.hyperparams = copy.deepcopy(replace)
        return sb3_trainer(agent)
    target = ParallelTarget(env_id)
    if algo == "shared_ppo":
        shared_agent = SharedPPO(target, **params)
        if replace is not None:
            shared_agent.hyperparams = copy.deepcopy(replace)
        return shared_ppo_trainer(shared_agent)
    return mappo_trainer(MAPPO(target, **params))


def round_to(steps: float, unit: int) -> int:
    """``steps`` rounded to a whole number of ``unit``, at least one."""
    return max(unit, unit * round(steps / unit))


def measure(trainer: Trainer, seconds: float) -> dict[str, Any]:
    """Warm up, then time ``run`` until ``seconds`` of CPU time; rates by CPU and wall time."""
    began = time.process_time()
    trainer.warm_up()
    warm_cpu = time.process_time() - began
    steps, cpu, wall, env_cpu = 0, 0.0, 0.0, 0.0
    rates: list[float] = []
    size = trainer.unit
    while cpu < seconds:
        env_before = trainer.timer.cpu_seconds if trainer.timer else 0.0
        w, c = time.perf_counter(), time.process_time()
        done = trainer.run(size)
        dc = time.process_time() - c - trainer.overhead
        dw = time.perf_counter() - w - trainer.overhead
        steps, cpu, wall = steps + done, cpu + dc, wall + dw
        env_cpu += (trainer.timer.cpu_seconds - env_before) if trainer.timer else 0.0
        rates.append(done / dc)
        size = round_to(done / dc * min(CHUNK_SECONDS, max(seconds - cpu, 0.1)), trainer.unit)
    return {
        "copies": trainer.copies,
        "rows": trainer.rows,
        "settings": trainer.settings,
        "warmup_cpu_seconds": warm_cpu,
        "steps": steps,
        "chunks": len(rates),
        "cpu_seconds": cpu,
        "wall_seconds": wall,
        "steps_per_second": steps / cpu,
        "wall_steps_per_second": steps / wall,
        "chunk_rate_min": min(rates),
        "chunk_rate_max": max(rates),
        "chunk_rates": rates,
        "cpu_share_of_wall": cpu / wall,
        "env_share": env_cpu / cpu if trainer.timer else None,
        "env_us_per_step": 1e6 * env_cpu / steps if trainer.timer else None,
        "us_per_step": 1e6 * cpu / steps,
        "load_average": round(os.getloadavg()[0], 2),
    }


def short(filename: str) -> str:
    """A profile entry's file without the site-packages or repository prefix."""
    for marker in ("site-packages/", "/work/main/"):
        if marker in filename:
            filename = filename.split(marker, 1)[1]
    if filename.startswith(str(ROOT)):
        filename = "fieldgym" + filename[len(str(ROOT)) :]
    return filename


def label(key: tuple[str, int, str]) -> str:
    filename, line, name = key
    return name if filename == "~" else f"{short(filename)}:{line}({name})"


WRAPPER_FRAMES = {"_wrapped_call_impl", "_call_impl", "<module>", "<lambda>", "exec", "run"}


def profile(trainer: Trainer, seconds: float) -> dict[str, Any]:
    """cProfile of about ``seconds`` of training (the trainer is already warmed up).

    Returns the entries with the largest cumulative time (outer frames that hold nearly
    all of it, and torch's ``Module.__call__`` frames, left out) and the largest own time,
    each with its share of the profiled total.
    """
    c = time.process_time()
    done = trainer.run(trainer.unit)
    rate = done / max(time.process_time() - c, 1e-9)
    profiler = cProfile.Profile()
    profiler.enable()
    trainer.run(round_to(rate * seconds, trainer.unit))
    profiler.disable()
    stats = pstats.Stats(profiler)
    total = max(v[3] for v in stats.stats.values())  # type: ignore[attr-defined]
    entries = stats.stats.items()  # type: ignore[attr-defined]
    cumulative = sorted(
        (
            (ct, key)
            for key, (_, _, _, ct, _) in entries
            if ct < 0.9 * total
            and key[2] not in WRAPPER_FRAMES
            and not key[0].endswith("training_throughput.py")
        ),
        reverse=True,
    )[:PROFILE_TOP]
    own = sorted(
        (
            (tt, key)
            for key, (_, _, tt, _, _) in entries
            if not key[0].endswith("training_throughput.py")
        ),
        reverse=True,
    )[:PROFILE_TOP]
    return {
        "profiled_seconds": total,
        "cumulative": [{"call": label(k), "share": t / total} for t, k in cumulative],
        "own": [{"call": label(k), "share": t / total} for t, k in own],
    }


def reason(case: dict[str, Any], target: int) -> str:
    """Why today's defaults miss: where the CPU time per step goes against the target's."""
    m = case["new"]
    budget = 1e6 / target
    unit = "agent-step" if case["algo"] in MULTI_ALGOS else "step"
    text = (
        f"{m['us_per_step']:.1f} µs of CPU per {unit} against the {budget:.1f} µs the target allows"
    )
    if m["env_us_per_step"] is not None:
        rest = m["us_per_step"] - m["env_us_per_step"]
        text += (
            f": the env (the base `VecEnv`'s step/reset"
            f"{', and `states()`' if case['algo'] == 'mappo' else ''}) takes "
            f"{m['env_us_per_step']:.1f} µs "
            f"({100 * m['env_share']:.0f}%), the learner (policy, buffers, updates, "
            f"wrappers) {rest:.1f} µs"
        )
        if m["env_us_per_step"] >= budget:
            text += "; the env alone costs more than the target allows"
    return text + "."


def plan(
    ids: Sequence[str], algos: Sequence[str]
) -> tuple[list[tuple[str, str]], list[dict[str, str]]]:
    """The (id, algorithm) pairs to run, and the skipped ones with the reason."""
    pairs, skipped = [], []
    for env_id in ids:
        if env_id in PARALLEL_ENVS:
            pairs += [(env_id, a) for a in algos if a in MULTI_ALGOS]
            continue
        if env_id not in ENVS:
            skipped.append({"env_id": env_id, "algo": "all", "reason": "not a registered id"})
            continue
        if ENVS[env_id].vector_entry_point is None:
            skipped.append({"env_id": env_id, "algo": "all", "reason": "no vector_entry_point"})
            continue
        for algo in (a for a in algos if a in SINGLE_ALGOS):
            try:
                SB3Agent(EnvTarget(env_id, {}), algo)
            except ConfigError as exc:
                skipped.append({"env_id": env_id, "algo": algo, "reason": str(exc)})
                continue
            pairs.append((env_id, algo))
    return pairs, skipped


def adapter(env_id: str, algo: str) -> str | None:
    if algo not in SINGLE_ALGOS:
        return None
    codec = SB3Agent(EnvTarget(env_id, {}), algo).codec
    return codec.kind if codec is not None else None


def sweep(env_id: str, algo: str, seconds: float) -> list[dict[str, Any]]:
    """Today's defaults with more copies (``gradient_steps`` scaled alike), until the target."""
    out = []
    base = SB3Agent(EnvTarget(env_id, {}), algo)
    for factor in SWEEP_FACTORS:
        params: dict[str, Any] = {"algo": algo, "n_envs": factor * base.n_envs}
        if "gradient_steps" in base.hyperparams:
            params["hyperparams"] = {"gradient_steps": factor * base.hyperparams["gradient_steps"]}
        trainer = make_trainer(algo, env_id, params)
        shared.log(f"    sweep x{factor}: {params}")
        result = {"factor": factor, "params": params, **measure(trainer, seconds)}
        trainer.close()
        out.append(result)
        shared.log(f"      {shared.fmt(result['steps_per_second'])} steps/s")
        gc.collect()
        if result["steps_per_second"] >= TARGETS[algo]:
            break
    return out


def run_case(
    env_id: str, algo: str, configs: Sequence[str], args: argparse.Namespace
) -> dict[str, Any]:
    """Every configuration of one id x algorithm, then a profile and sweep if it misses."""
    case: dict[str, Any] = {
        "env_id": env_id,
        "algo": algo,
        "adapter": adapter(env_id, algo),
        "target": TARGETS[algo],
    }
    trainers: dict[str, Trainer] = {}
    for config in configs:
        params = config_params(algo, env_id, config)
        if params is None:
            case[config] = None
            continue
        trainer = make_trainer(algo, env_id, params)
        case[config] = measure(trainer, args.seconds)
        shared.log(
            f"  {config}: {shared.fmt(case[config]['steps_per_second'])} steps/s "
            f"({trainer.copies} copies, load {case[config]['load_average']})"
        )
        if config == "new":
            trainers[config] = trainer
        else:
            trainer.close()
        gc.collect()
    new, old = case.get("new"), case.get("old")
    case["ratio"] = new["steps_per_second"] / old["steps_per_second"] if new and old else None
    case["met"] = new["steps_per_second"] >= TARGETS[algo] if new else None
    if case.get("tuned"):
        case["tuned_met"] = case["tuned"]["steps_per_second"] >= TARGETS[algo]
    if new and not case["met"]:
        case["reason"] = reason(case, TARGETS[algo])
        if args.profile:
            shared.log("  profiling")
            case["profile"] = profile(trainers["new"], args.profile_seconds)
        if args.sweep and algo in SINGLE_ALGOS:
            case["sweep"] = sweep(env_id, algo, args.seconds)
    for trainer in trainers.values():
        trainer.close()
    return case


# --- the report -----------------------------------------------------------------------------


def rate(m: dict[str, Any] | None) -> str:
    return "" if not m else shared.fmt(m["steps_per_second"])


def cell(m: dict[str, Any] | None, bold: bool = False) -> str:
    """``rate (copies)``, blank without a measurement."""
    if not m:
        return ""
    text = shared.fmt(m["steps_per_second"])
    return f"{f'**{text}**' if bold else text} ({m['copies']})"


def verdict(case: dict[str, Any]) -> str:
    """``met``, ``missed``, or ``missed`` with a note where the best chunk meets the target."""
    if case["met"] is None:
        return ""
    if case["met"]:
        return "met"
    best = case["new"]["chunk_rate_max"] >= case["target"]
    return "**missed**" + (" (best chunk meets it)" if best else "")


def short_id(env_id: str) -> str:
    return env_id.removeprefix("fieldgym/")


def table(cases: list[dict[str, Any]], unit: str) -> list[str]:
    lines = [
        f"| id | algo (adapter) | old: {unit}/s (copies) | new: {unit}/s (copies) | "
        f"new / old | tuned: {unit}/s (copies) | target | new meets it? | best chunk (new) | "
        f"env share (new) | CPU share of wall (new) |",
        "|---|---|---:|---:|---:|---:|---:|---|---:|---:|---:|",
    ]
    for c in cases:
        algo = c["algo"] + (f" ({c['adapter']})" if c["adapter"] else "")
        new, old, tuned = c.get("new"), c.get("old"), c.get("tuned")
        share = "" if not new or new["env_share"] is None else f"{100 * new['env_share']:.0f}%"
        ratio = "" if c["ratio"] is None else f"{c['ratio']:.1f}×"
        below = " below" if tuned and tuned["steps_per_second"] < c["target"] else ""
        wall_share = "" if not new else f"{100 * new['cpu_share_of_wall']:.0f}%"
        lines.append(
            f"| {short_id(c['env_id'])} | {algo} | {cell(old)} | {cell(new, bold=True)} | "
            f"{ratio} | {cell(tuned)}{below} | "
            f"{shared.fmt(c['target'])} | {verdict(c)} | "
            f"{'' if not new else shared.fmt(new['chunk_rate_max'])} | {share} | "
            f"{wall_share} |"
        )
    return lines


def settings_text(settings: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in settings.items())


def markdown(report: dict[str, Any]) -> str:
    """The Markdown report."""
    s, mach = report["settings"], report["machine"]
    single = [c for c in report["cases"] if c["algo"] in SINGLE_ALGOS]
    multi = [c for c in report["cases"] if c["algo"] in MULTI_ALGOS]
    loads = [c[k]["load_average"] for c in report["cases"] for k in CONFIGS if c.get(k)]
    lines = [
        "# Training throughput: today's defaults against the previous ones",
        "",
        f"Measured {report['date']} by `benchmarks/training_throughput.py`"
        f"{' (quick run)' if s['quick'] else ''}; {report['wall_seconds'] / 60:.1f} min of "
        f"wall time in all. Regenerate from the repository root with:",
        "",
        "```",
        report["command"],
        "```",
        "",
        "**Load.** The machine has "
        f"{mach['cores']} cores shared with other jobs. Load average (1 min) "
        f"{report['load_average_start'][0]} at the start, {report['load_average_end'][0]} at "
        f"the end, {min(loads, default=0):.2f}–{max(loads, default=0):.2f} over the "
        "measurements. Rates are by the process's CPU time (`time.process_time`, everything "
        "on one thread: `torch.set_num_threads(1)`), which counts only this process's work; "
        "but on this 2-core VM a busy neighbour still slows it (shared caches, stolen "
        "cycles): the same case moved by up to ±30% between a run at load 4–5 and a quiet "
        "one. The *CPU share of wall* column shows the share of a core the process got, and "
        "*best chunk* the least disturbed rate; read near misses with both.",
        "",
        "**What is measured.** Steps per CPU second of `model.learn` (env steps over all "
        "copies; agent-steps, one per agent per step, for `shared_ppo` and `mappo`) after an "
        "untimed warm-up (on-policy: one rollout, so numba compiles; off-policy: past "
        "`learning_starts` and eight training rounds), in chunks of about "
        f"{CHUNK_SECONDS} CPU s (whole rollouts / training rounds) until {s['seconds']} CPU s "
        "are spent. Single-agent learners train on `SB3Agent`'s own env "
        "(`SB3Agent(EnvTarget(id, {}), algo)._training_env`: native vector env → flattening → "
        "action adapter → `GymnasiumVecEnv` → `VecMonitor` → `VecNormalize`) and model, "
        "`shared_ppo` on `SharedSB3.fit`'s bridge, `mappo` through its own `fit` (set-up "
        "time taken off). *Env share*: the CPU time inside the base `VecEnv`'s "
        "`reset`/`step` (a wrapper under `VecMonitor`; for `mappo` the bridge's "
        "`reset`/`step_wait`/`states`), the rest being policy inference, buffers, gradient "
        "updates and the SB3 wrappers. *Best chunk*: the fastest of the timed chunks, "
        "closest to what a quiet machine gives; the verdict uses the overall rate.",
        "",
        f"**Configurations.** *old*: the defaults before the throughput work, `agents/sb3.py` "
        f"at {OLD_SB3_COMMIT} (every algorithm {OLD_SB3_N_ENVS} copies; DQN "
        "`learning_starts=1000, buffer_size=100k, train_freq=4, target_update_interval=1000`; "
        "PPO `n_steps=256, batch_size=256` and SB3's 10 epochs; A2C SB3's defaults, "
        "`n_steps=5`; SAC/TD3 `learning_starts=1000, buffer_size=100k` and SB3's `[256, 256]` "
        "nets, one gradient step per vector step) and `SharedPPO`/`MAPPO` at "
        f"{OLD_MULTI_COMMIT} (4 copies; shared PPO `n_steps=128, batch_size=256`, 10 epochs; "
        "MAPPO `n_steps=64`, 10 epochs, 2 minibatches). *new*: today's defaults "
        "(`DEFAULT_N_ENVS`, `DEFAULT_HYPERPARAMS`, the multi-agent classes' defaults; "
        "settings in the JSON). *tuned*: the id's entry of `hyperparams/<algo>.yml` as "
        "`make_agent` resolves it (read when the case ran), blank where there is none, "
        "*below* where it is under the target: the tuner picks what learns best in its "
        "CPU-time budget, which need not be the fastest.",
        "",
        "## Single-agent learners (env-steps per CPU second)",
        "",
        *table(single, "steps"),
        "",
        "## Multi-agent learners (agent-steps per CPU second)",
        "",
        *table(multi, "agent-steps"),
        "",
        "## Summary",
        "",
        "| algo | target | ids | met | new / old (geometric mean) | lowest new | highest new |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for algo in [*SINGLE_ALGOS, *MULTI_ALGOS]:
        group = [c for c in report["cases"] if c["algo"] == algo and c.get("new")]
        if not group:
            continue
        ratios = [c["ratio"] for c in group if c["ratio"]]
        mean = f"{math.exp(np.mean(np.log(ratios))):.1f}×" if ratios else ""
        news = [c["new"]["steps_per_second"] for c in group]
        lines.append(
            f"| {algo} | {shared.fmt(TARGETS[algo])} | {len(group)} | "
            f"{sum(bool(c['met']) for c in group)} | {mean} | {shared.fmt(min(news))} | "
            f"{shared.fmt(max(news))} |"
        )
    missed = [c for c in report["cases"] if c.get("met") is False]
    lines += ["", "## Where today's defaults miss", ""]
    if not missed:
        lines.append("Nowhere: every measured id meets its target.")
    for c in missed:
        lines += [
            f"### {short_id(c['env_id'])}, {c['algo']}",
            "",
            f"{rate(c['new'])} against {shared.fmt(c['target'])}: {c['reason']}",
            "",
            f"Settings: {settings_text(c['new']['settings'])}.",
            "",
        ]
        note = next(
            (
                ANALYSIS[key]
                for key in ((c["env_id"], c["algo"]), (c["env_id"], None), (None, c["algo"]))
                if key in ANALYSIS
            ),
            None,
        )
        if note:
            lines += [f"Analysis: {note}", ""]
        for sw in c.get("sweep", []):
            extra = sw["params"].get("hyperparams", {})
            lines.append(
                f"- ×{sw['factor']} copies ({sw['params']['n_envs']}"
                f"{', ' + settings_text(extra) if extra else ''}): "
                f"{rate(sw)} steps/s"
                f"{' (meets the target)' if sw['steps_per_second'] >= c['target'] else ''}"
            )
        if c.get("sweep"):
            lines.append("")
        if c.get("profile"):
            p = c["profile"]
            lines += [
                f"cProfile of one chunk ({p['profiled_seconds']:.1f} s under the profiler, "
                "which inflates Python-heavy calls): largest cumulative times, then largest "
                "own times, as shares of the profiled total.",
                "",
                "| cumulative | share | own time | share |",
                "|---|---:|---|---:|",
            ]
            for a, b in zip(p["cumulative"], p["own"], strict=False):
                lines.append(
                    f"| `{a['call']}` | {100 * a['share']:.0f}% | `{b['call']}` | "
                    f"{100 * b['share']:.0f}% |"
                )
            lines.append("")
    lines += ["## Skipped", ""]
    if report["skipped"]:
        lines += [f"- `{k['env_id']}` {k['algo']}: {k['reason']}" for k in report["skipped"]]
    else:
        lines.append("Nothing.")
    lines += [
        *shared.machine_section(mach),
        f"- stable-baselines3 {mach['stable-baselines3']}, torch {mach['torch']} "
        f"({mach['torch_threads']} thread)",
    ]
    return "\n".join(lines) + "\n"


def machine() -> dict[str, Any]:
    """``throughput.machine()`` plus the learner's packages and torch's thread count."""
    from importlib.metadata import version

    mach = shared.machine()
    for package in ("stable-baselines3", "torch"):
        mach[package] = version(package)
    mach["torch_threads"] = torch.get_num_threads()
    return mach


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The command line; ``--quick`` changes the defaults of the others."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument(
        "--quick", action="store_true", help="short run: 1 s per measurement, no sweep"
    )
    parser.add_argument("--seconds", type=float, help="CPU seconds per measurement (2.5; quick 1)")
    parser.add_argument(
        "--profile-seconds", type=float, default=1.5, help="CPU seconds profiled where missed"
    )
    parser.add_argument(
        "--algos",
        nargs="+",
        default=[*SINGLE_ALGOS, *MULTI_ALGOS],
        choices=[*SINGLE_ALGOS, *MULTI_ALGOS],
    )
    parser.add_argument(
        "--ids", nargs="+", help="ids to run (every single-agent id, and MULTI_AGENT_IDS)"
    )
    parser.add_argument("--configs", nargs="+", default=list(CONFIGS), choices=CONFIGS)
    parser.add_argument("--no-sweep", dest="sweep", action="store_false", help="no copies sweep")
    parser.add_argument("--no-profile", dest="profile", action="store_false", help="no cProfile")
    parser.add_argument(
        "--out-dir", type=Path, default=ROOT / "reports" / "benchmarks", help="report folder"
    )
    parser.add_argument(
        "--render", action="store_true", help="only rewrite the Markdown from the JSON"
    )
    args = parser.parse_args(argv)
    args.seconds = args.seconds or (1.0 if args.quick else 2.5)
    if args.quick:
        args.sweep = False
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Measure every case, then write the Markdown and JSON reports."""
    args = parse_args(argv)
    if args.render:
        report = json.loads((args.out_dir / "training_throughput.json").read_text())
        (args.out_dir / "training_throughput.md").write_text(markdown(report))
        return 0
    torch.set_num_threads(1)
    began, load_start = time.perf_counter(), [round(x, 2) for x in os.getloadavg()]
    pairs, skipped = plan(args.ids or [*ENVS, *MULTI_AGENT_IDS], args.algos)
    cases = []
    for env_id, algo in pairs:
        shared.log(f"{env_id} {algo}")
        cases.append(run_case(env_id, algo, args.configs, args))
        gc.collect()
    given = sys.argv[1:] if argv is None else list(argv)
    report = {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "command": shlex.join([".venv/bin/python", "benchmarks/training_throughput.py", *given]),
        "wall_seconds": time.perf_counter() - began,
        "load_average_start": load_start,
        "load_average_end": [round(x, 2) for x in os.getloadavg()],
        "settings": {k: v for k, v in vars(args).items() if k not in ("out_dir", "render")},
        "targets": TARGETS,
        "old_defaults": {
            "sb3_commit": OLD_SB3_COMMIT,
            "sb3_n_envs": OLD_SB3_N_ENVS,
            "sb3": OLD_SB3,
            "multi_commit": OLD_MULTI_COMMIT,
            "multi": OLD_MULTI,
        },
        "machine": machine(),
        "cases": cases,
        "skipped": skipped,
    }
    args.out_dir.mkdir(parents=True, exist_ok=True)
    (args.out_dir / "training_throughput.json").write_text(
        json.dumps(report, indent=2, default=str) + "\n"
    )
    (args.out_dir / "training_throughput.md").write_text(markdown(report))
    shared.log(f"wrote {args.out_dir / 'training_throughput.md'} and training_throughput.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
