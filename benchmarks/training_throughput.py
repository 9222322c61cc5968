"""SB3 training steps per second on fieldgym's native vector envs vs SB3's ``DummyVecEnv``.

Run from the repository root::

    .venv/bin/python benchmarks/training_throughput.py [--quick] [--copies 8 64]
        [--steps 8192] [--min-pairs 2] [--algos ppo dqn] [--ids ID ...]

For every id of :data:`fieldgym.envs.ENVS` that has a ``vector_entry_point`` (ids without
one are listed in the report and skipped), every algorithm of ``--algos`` that can act on
the id (DQN through the discretizing adapter where SB3Agent would use it) and every
number of copies ``n`` of ``--copies``, it trains the same learning problem two ways:

* **native**: the env :class:`fieldgym.agents.sb3.SB3Agent` itself trains on (its
  ``_training_env``): ``gymnasium.make_vec`` -> flattening -> vector action adapter ->
  :class:`~fieldgym.agents.vec.GymnasiumVecEnv` -> ``VecMonitor`` -> ``VecNormalize``;
* **DummyVecEnv**: ``n`` single envs ``gymnasium.make(id)`` -> flattening -> the single-env
  action adapter of the same kind -> SB3's ``DummyVecEnv`` -> ``VecMonitor`` ->
  ``VecNormalize`` (same normalization settings).

Both models use SB3Agent's hyperparameters (:data:`~fieldgym.agents.sb3.DEFAULT_HYPERPARAMS`),
the same seed, ``device="cpu"`` and ``torch.set_num_threads(1)``. Each model is warmed up
once, untimed (:func:`warm_up`: numba compiles; DQN gets past ``learning_starts``). Then
``model.learn(chunk, reset_num_timesteps=False)`` is timed in pairs (native, Dummy; the
next pair in the other order), ``--steps`` env steps per way in all, in chunks of one PPO
rollout (``n_steps`` x copies) or 2,048 DQN steps, at least ``--min-pairs`` pairs.
Training steps per second = env steps done / time of ``learn``, by the process's CPU
time (``time.process_time``; everything is single-threaded, so other processes' load
barely changes it) and by wall time. The ratio native / DummyVecEnv is taken per pair
(two runs back to back) and its median reported. A ``VecEnvWrapper`` between the base
``VecEnv`` and ``VecMonitor`` times the env's ``reset``/``step`` (the "env share").

Writes ``reports/benchmarks/training_throughput.md`` and ``.json``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import os
import shlex
import statistics
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
import torch
from stable_baselines3.common.base_class import BaseAlgorithm
from stable_baselines3.common.vec_env import (
    DummyVecEnv,
    VecEnv,
    VecEnvWrapper,
    VecMonitor,
    VecNormalize,
)

import fieldgym  # noqa: F401  (registers the ids)
from fieldgym.agents.sb3 import ALGORITHMS, SB3Agent
from fieldgym.agents.target import EnvTarget
from fieldgym.agents.vec import GymnasiumVecEnv
from fieldgym.envs import ENVS
from fieldgym.envs.core.adapters import DiscretizeAction, NormalizeAction, RelaxAction
from fieldgym.envs.core.errors import ConfigError
from fieldgym.envs.core.wrappers import flatten_observation

sys.path.insert(0, str(Path(__file__).resolve().parent))
import throughput as shared  # machine description and report helpers

ROOT = Path(__file__).resolve().parents[1]
SINGLE_WRAPPERS: dict[str, type[gym.ActionWrapper]] = {
    "discretize": DiscretizeAction,
    "relax": RelaxAction,
    "normalize": NormalizeAction,
}
"""The single-env wrapper of each adapter kind (the vector ones are in ``VECTOR_WRAPPERS``)."""
WAYS = ("native", "dummy")
SEED = 0


class StepTimer(VecEnvWrapper):
    """Adds up the wall and CPU time spent in the ``VecEnv``'s ``reset`` and ``step_wait``.

    (``step_async`` of both base envs only stores the actions, so it is not timed.)
    """

    def __init__(self, venv: VecEnv) -> None:
        super().__init__(venv)
        self.seconds = 0.0
        self.cpu_seconds = 0.0

    def reset(self) -> Any:
        wall, cpu = time.perf_counter(), time.process_time()
        observations = self.venv.reset()
        self.seconds += time.perf_counter() - wall
        self.cpu_seconds += time.process_time() - cpu
        return observations

    def step_wait(self) -> Any:
        wall, cpu = time.perf_counter(), time.process_time()
        result = self.venv.step_wait()
        self.seconds += time.perf_counter() - wall
        self.cpu_seconds += time.process_time() - cpu
        return result


def native_env(agent: SB3Agent, copies: int) -> tuple[VecNormalize, StepTimer]:
    """SB3Agent's own training env, with a :class:`StepTimer` put under its ``VecMonitor``."""
    env = agent._training_env(copies)
    monitor = env.venv
    if not isinstance(monitor, VecMonitor) or not isinstance(monitor.venv, GymnasiumVecEnv):
        raise RuntimeError(
            "SB3Agent._training_env is no longer VecNormalize(VecMonitor(GymnasiumVecEnv)); "
            "update native_env() in this benchmark."
        )
    timer = StepTimer(monitor.venv)
    monitor.venv = timer
    return env, timer


def dummy_env(agent: SB3Agent, copies: int) -> tuple[VecNormalize, StepTimer]:
    """The same learning problem as :func:`native_env` on SB3's ``DummyVecEnv``."""
    codec = agent.codec

    def make() -> gym.Env:
        env = flatten_observation(agent.target.make())
        return SINGLE_WRAPPERS[codec.kind](env, agent.levels) if codec is not None else env

    timer = StepTimer(DummyVecEnv([make] * copies))
    env = VecNormalize(
        VecMonitor(timer),
        norm_obs=agent.normalize,
        norm_reward=agent.normalize,
        gamma=agent.hyperparams.get("gamma", 0.99),
    )
    return env, timer


def budgets(agent: SB3Agent, copies: int, steps: int, min_pairs: int) -> tuple[int, int]:
    """Env steps of one timed ``learn`` (a chunk) and the number of timed pairs.

    A PPO chunk is one rollout (``n_steps`` x ``copies``), a DQN chunk 2,048 steps (64
    vector steps if that is more); there are ``steps / chunk`` pairs, at least ``min_pairs``.
    """
    if agent.algo in ("ppo", "a2c"):
        chunk = agent.hyperparams.get("n_steps", 2048 if agent.algo == "ppo" else 5) * copies
    else:
        chunk = max(2048, 64 * copies)
    return chunk, max(min_pairs, round(steps / chunk))


def warm_up(agent: SB3Agent, model: BaseAlgorithm, copies: int) -> int:
    """Untimed warm-up of one model; returns the env steps it took.

    On-policy: 8 vector steps of random actions through the whole env stack with the
    normalization statistics frozen (numba compiles), then one policy forward pass.
    Off-policy: ``learn`` past ``learning_starts`` (at least 2,048 steps), so the timed runs
    are in the steady state with gradient steps.
    """
    env = model.get_env()
    if agent.algo in ("ppo", "a2c"):
        env.training = False
        env.reset()
        env.action_space.seed(SEED)
        for _ in range(8):
            env.step(np.stack([env.action_space.sample() for _ in range(copies)]))
        env.training = True
        model.predict(env.reset())
        return 8 * copies
    model.learn(-(-max(2 * agent.hyperparams.get("learning_starts", 100), 2048) // copies) * copies)
    return model.num_timesteps


def build(agent: SB3Agent, way: str, copies: int) -> tuple[BaseAlgorithm, StepTimer]:
    """A model of ``agent``'s algorithm and hyperparameters on one way of vectorizing."""
    env, timer = (native_env if way == "native" else dummy_env)(agent, copies)
    env.seed(SEED)
    model = ALGORITHMS[agent.algo](
        agent.policy, env, seed=SEED, device="cpu", verbose=0, **agent.hyperparams
    )
    return model, timer


def timed_learn(model: BaseAlgorithm, timer: StepTimer, steps: int) -> dict[str, float]:
    """Time ``model.learn(steps)`` continuing from where the model is, and its env time."""
    env_wall, env_cpu, done_before = timer.seconds, timer.cpu_seconds, model.num_timesteps
    wall, cpu = time.perf_counter(), time.process_time()
    model.learn(steps, reset_num_timesteps=False)
    return {
        "steps": model.num_timesteps - done_before,
        "seconds": time.perf_counter() - wall,
        "cpu_seconds": time.process_time() - cpu,
        "env_seconds": timer.seconds - env_wall,
        "env_cpu_seconds": timer.cpu_seconds - env_cpu,
    }


def measure_case(env_id: str, algo: str, copies: int, steps: int, min_pairs: int) -> dict[str, Any]:
    """Both ways of one id x algorithm x copies: warm-up, then alternating timed pairs."""
    agent = SB3Agent(EnvTarget(env_id), algo, n_envs=copies)
    chunk, pairs = budgets(agent, copies, steps, min_pairs)
    models = {way: build(agent, way, copies) for way in WAYS}
    warmup = max([warm_up(agent, model, copies) for model, _ in models.values()])
    runs: dict[str, list[dict[str, float]]] = {way: [] for way in WAYS}
    for r in range(pairs):
        for way in WAYS if r % 2 == 0 else WAYS[::-1]:
            model, timer = models[way]
            runs[way].append(timed_learn(model, timer, chunk))
    for model, _ in models.values():
        model.get_env().close()
    return {
        "env_id": env_id,
        "algo": algo,
        "adapter": agent.codec.kind if agent.codec is not None else None,
        "copies": copies,
        "warmup_steps": warmup,
        "chunk_steps": chunk,
        "pairs": pairs,
        "runs": runs,
        **summarize(runs),
    }


def summarize(runs: dict[str, list[dict[str, float]]]) -> dict[str, Any]:
    """Medians per way, and the ratios native / DummyVecEnv of the back-to-back pairs.

    ``ratio`` is by process CPU time (what another process's load does not change),
    ``wall_ratio`` by wall time; shares and µs per step are by CPU time.
    """
    out: dict[str, Any] = {}
    for way in WAYS:
        rs = runs[way]
        out[f"{way}_steps_per_second"] = statistics.median(r["steps"] / r["seconds"] for r in rs)
        out[f"{way}_cpu_steps_per_second"] = statistics.median(
            r["steps"] / r["cpu_seconds"] for r in rs
        )
        out[f"{way}_cpu_share_of_wall"] = statistics.median(
            r["cpu_seconds"] / r["seconds"] for r in rs
        )
        out[f"{way}_env_share"] = statistics.median(
            r["env_cpu_seconds"] / r["cpu_seconds"] for r in rs
        )
        out[f"{way}_rest_us_per_step"] = statistics.median(
            1e6 * (r["cpu_seconds"] - r["env_cpu_seconds"]) / r["steps"] for r in rs
        )
    pairs = list(zip(runs["native"], runs["dummy"], strict=True))
    for key, clock in (
        ("ratio", "cpu_seconds"),
        ("wall_ratio", "seconds"),
        ("env_only_ratio", "env_cpu_seconds"),
    ):
        ratios = [(b[clock] / b["steps"]) / (a[clock] / a["steps"]) for a, b in pairs]
        out[key] = statistics.median(ratios)
        out[f"{key}_min"] = min(ratios)
        out[f"{key}_max"] = max(ratios)
    return out


def plan(ids: Sequence[str], algos: Sequence[str]) -> tuple[list[tuple[str, str]], list[dict]]:
    """The (id, algorithm) pairs to run, and the skipped ones with the reason."""
    pairs, skipped = [], []
    for env_id in ids:
        if ENVS[env_id].vector_entry_point is None:
            skipped.append({"env_id": env_id, "algo": "all", "reason": "no vector_entry_point"})
            continue
        for algo in algos:
            try:
                SB3Agent(EnvTarget(env_id), algo)
            except ConfigError as exc:
                skipped.append({"env_id": env_id, "algo": algo, "reason": str(exc)})
                continue
            pairs.append((env_id, algo))
    return pairs, skipped


def machine() -> dict[str, Any]:
    """``throughput.machine()`` plus the learner's packages and torch's thread count."""
    from importlib.metadata import version

    mach = shared.machine()
    for package in ("stable-baselines3", "torch"):
        mach[package] = version(package)
    mach["torch_threads"] = torch.get_num_threads()
    mach["load_average"] = [round(x, 2) for x in os.getloadavg()]
    return mach


def pct(value: float) -> str:
    """A share as a whole percentage."""
    return f"{100 * value:.0f}%"


def markdown(report: dict[str, Any]) -> str:
    """The Markdown report."""
    s, mach = report["settings"], report["machine"]
    lines = [
        "# Training throughput: native vector envs vs `DummyVecEnv`",
        "",
        f"Measured {report['date']} by `benchmarks/training_throughput.py`"
        f"{' (quick run)' if s['quick'] else ''}; {report['wall_seconds']:.0f} s in all. "
        "Regenerate from the repository root with:",
        "",
        "```",
        report["command"],
        "```",
        "",
        "Each row trains one learning problem two ways in the same process: **native** is "
        "the env `SB3Agent` trains on (`make_vec` → flattening → vector action adapter → "
        "`GymnasiumVecEnv` → `VecMonitor` → `VecNormalize`); **Dummy** is SB3's `DummyVecEnv` "
        "of single `gymnasium.make` envs with the single-env adapter of the same kind, then "
        "the same `VecMonitor` → `VecNormalize`. Both use `SB3Agent`'s hyperparameters "
        f"(PPO `n_steps=256, batch_size=256`; DQN `learning_starts=1000, train_freq=4`), seed "
        f"{SEED}, CPU, `torch.set_num_threads(1)`. Each model is warmed up untimed (PPO: 8 "
        "vector steps of random actions, so numba compiles; DQN: `learn` past "
        "`learning_starts`). Then `learn(chunk, reset_num_timesteps=False)` is timed in "
        "pairs, native and Dummy back to back, the next pair in the other order: a chunk "
        "is one PPO rollout (256 × copies steps) or 2,048 DQN steps (64 vector steps if "
        f"more), about {s['steps']:,} timed steps per way in all and at least "
        f"{s['min_pairs']} pairs. Steps/s = env steps / time of `learn`, median over the "
        "pairs, by the process's CPU time (`time.process_time`) and by wall time.",
        "",
        "**Read the ratios, not the absolute numbers.** The machine was shared with other "
        f"developers' jobs while this ran (1-, 5-, 15-min load average "
        f"{report['load_average_start']} at the start, {mach['load_average']} at the end, on "
        f"{mach['cores']} cores), so this process got only part of a core and absolute "
        "steps/s are noisy, wall-time ones most. Each ratio is native / Dummy of two runs "
        "made back to back, median over the pairs (min–max beside it), so a load change "
        "mostly hits both sides of a ratio. The headline ratio is by CPU time, which other "
        "processes' load barely changes (everything here is single-threaded). The "
        "wall-time ratio is beside it; where the two differ, the process got a different "
        "share of a core in the two runs of a pair (`*_cpu_share_of_wall` in the JSON).",
        "",
        "*Env share*: the part of `learn`'s CPU time spent inside the base `VecEnv`'s "
        "`reset`/`step` (timed by a wrapper under `VecMonitor`; for native this includes the "
        "adapter and `GymnasiumVecEnv`'s info dicts, for Dummy the Python loop over single "
        "envs and their wrappers). *Env-only native / Dummy*: the same ratio counting that "
        "env time alone, i.e. how much faster the stepping itself is. *Rest µs/step*: the "
        "CPU time outside the base `VecEnv` (policy inference, buffers, gradient updates, "
        "`VecMonitor`, `VecNormalize`, info handling) per env step; the learning problem is "
        "the same on both sides, so it should be close, and any gap is part of the gain "
        "that the env time does not explain (not investigated further).",
        "",
        "## Ratios",
        "",
        "| id | algo (adapter) | copies | pairs × chunk | steps/s by CPU time, native / "
        "Dummy | native / Dummy (CPU) | min–max | steps/s by wall time, native / Dummy | "
        "native / Dummy (wall) | min–max | env share native / Dummy | env-only native / "
        "Dummy | rest µs/step native / Dummy |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for c in report["cases"]:
        algo = c["algo"].upper() + (f" ({c['adapter']})" if c["adapter"] else "")
        lines.append(
            f"| `{c['env_id']}` | {algo} | {c['copies']} | {c['pairs']} × {c['chunk_steps']:,} | "
            f"{shared.fmt(c['native_cpu_steps_per_second'])} / "
            f"{shared.fmt(c['dummy_cpu_steps_per_second'])} | **{c['ratio']:.2f}×** | "
            f"{c['ratio_min']:.2f}–{c['ratio_max']:.2f} | "
            f"{shared.fmt(c['native_steps_per_second'])} / "
            f"{shared.fmt(c['dummy_steps_per_second'])} | {c['wall_ratio']:.2f}× | "
            f"{c['wall_ratio_min']:.2f}–{c['wall_ratio_max']:.2f} | "
            f"{pct(c['native_env_share'])} / {pct(c['dummy_env_share'])} | "
            f"{c['env_only_ratio']:.1f}× | {c['native_rest_us_per_step']:.0f} / "
            f"{c['dummy_rest_us_per_step']:.0f} |"
        )
    lines += [
        "",
        "## Summary",
        "",
        "Geometric mean of the per-id ratios (median ratios of the table).",
        "",
        "| algo | copies | ids | native / Dummy, CPU (geometric mean) | lowest | highest | "
        "native / Dummy, wall (geometric mean) | env-only (geometric mean) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for g in report["summary"]:
        lines.append(
            f"| {g['algo'].upper()} | {g['copies']} | {g['ids']} | **{g['geomean']:.2f}×** | "
            f"{g['min']:.2f}× | {g['max']:.2f}× | {g['wall_geomean']:.2f}× | "
            f"{g['env_only_geomean']:.2f}× |"
        )
    lines += ["", "## Skipped", ""]
    if report["skipped"]:
        lines += [
            f"- `{k['env_id']}` {k['algo'].upper()}: {k['reason']}" for k in report["skipped"]
        ]
    else:
        lines.append("Nothing: every id has a `vector_entry_point` and every algorithm ran.")
    lines += [
        "",
        "## Machine",
        "",
        f"- Platform: {mach['platform']}",
        f"- CPU: {mach['cpu']}, {mach['cores']} cores ({mach['cores_usable']} usable), "
        f"torch threads {mach['torch_threads']}",
        f"- Python {mach['python']}, numpy {mach['numpy']}, numba {mach['numba']}, gymnasium "
        f"{mach['gymnasium']}, stable-baselines3 {mach['stable-baselines3']}, torch "
        f"{mach['torch']}, fieldgym {mach['fieldgym']}",
    ]
    return "\n".join(lines) + "\n"


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The command line; ``--quick`` changes the defaults of the others."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="short run: 8 copies, fewer steps")
    parser.add_argument("--copies", type=int, nargs="+", help="copies per way (8 64; quick 8)")
    parser.add_argument("--steps", type=int, help="timed env steps per way (8192; quick 4096)")
    parser.add_argument("--min-pairs", type=int, help="least timed pairs per case (2; quick 1)")
    parser.add_argument("--algos", nargs="+", default=["ppo", "dqn"], choices=sorted(ALGORITHMS))
    parser.add_argument("--ids", nargs="+", help="ids to run (every registered one)")
    parser.add_argument(
        "--out-dir", type=Path, default=ROOT / "reports" / "benchmarks", help="report folder"
    )
    args = parser.parse_args(argv)
    args.copies = args.copies or ([8] if args.quick else [8, 64])
    args.steps = args.steps or (4096 if args.quick else 8192)
    args.min_pairs = args.min_pairs or (1 if args.quick else 2)
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Measure every case, then write the Markdown and JSON reports."""
    args = parse_args(argv)
    torch.set_num_threads(1)
    began, load_start = time.perf_counter(), [round(x, 2) for x in os.getloadavg()]
    pairs, skipped = plan(args.ids or list(ENVS), args.algos)
    cases = []
    for env_id, algo in pairs:
        for copies in args.copies:
            shared.log(f"{env_id} {algo} {copies} copies")
            cases.append(measure_case(env_id, algo, copies, args.steps, args.min_pairs))
            c = cases[-1]
            shared.log(
                f"  native {shared.fmt(c['native_steps_per_second'])} steps/s, Dummy "
                f"{shared.fmt(c['dummy_steps_per_second'])} steps/s (wall); ratio CPU "
                f"{c['ratio']:.2f}, wall {c['wall_ratio']:.2f}"
            )
            gc.collect()
    summary = []
    for algo in args.algos:
        for copies in args.copies:
            group = [c for c in cases if (c["algo"], c["copies"]) == (algo, copies)]
            if not group:
                continue
            mean = {
                key: float(np.exp(np.mean(np.log([c[key] for c in group]))))
                for key in ("ratio", "wall_ratio", "env_only_ratio")
            }
            summary.append(
                {
                    "algo": algo,
                    "copies": copies,
                    "ids": len(group),
                    "geomean": mean["ratio"],
                    "min": min(c["ratio"] for c in group),
                    "max": max(c["ratio"] for c in group),
                    "wall_geomean": mean["wall_ratio"],
                    "env_only_geomean": mean["env_only_ratio"],
                }
            )
    given = sys.argv[1:] if argv is None else list(argv)
    report = {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "command": shlex.join([".venv/bin/python", "benchmarks/training_throughput.py", *given]),
        "wall_seconds": time.perf_counter() - began,
        "load_average_start": load_start,
        "settings": {k: v for k, v in vars(args).items() if k != "out_dir"},
        "machine": machine(),
        "cases": cases,
        "summary": summary,
        "skipped": skipped,
    }
    args.out_dir.mkdir(parents=True, exist_ok=True)
    (args.out_dir / "training_throughput.json").write_text(json.dumps(report, indent=2) + "\n")
    (args.out_dir / "training_throughput.md").write_text(markdown(report))
    shared.log(f"wrote {args.out_dir / 'training_throughput.md'} and training_throughput.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
