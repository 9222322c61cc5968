"""MAPPO and shared PPO on MPE simple spread (mpe2), against a random policy.

A check of the multi-agent learners against a known task outside the suite: PettingZoo's
(mpe2) ``simple_spread_v3`` with 3 agents and 3 landmarks, discrete actions and 25-step
episodes. ``mappo`` (centralized critic on ``state()``) and ``shared_ppo`` (independent
learners sharing one network, IPPO-style) train for the same budget of agent-steps on one
thread; each greedy policy and a random one then play the same evaluation episodes.

Besides the return in PettingZoo's units, every evaluation episode is scored in the units of
the published MAPPO results (Yu et al. 2022's MPE, see reports/marl_mpe/README.md): there
each agent receives the team's summed reward, where an agent's reward is minus the sum over
landmarks of the closest agent's distance, minus one per agent it overlaps *including
itself*. Per step that is ``-(3 * D + 3 + 2 * P)`` with ``D`` the sum of the landmarks'
closest-agent distances and ``P`` the number of overlapping pairs of agents; the episode's
value is its sum over the 25 steps. It is computed here from the world's positions.

Run: ``.venv/bin/python benchmarks/marl_mpe.py`` (15 minutes on one busy core).
Writes reports/marl_mpe/results.md, results.json and learning_curves.csv.
"""

from __future__ import annotations

import argparse
import itertools
import json
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from scipy.optimize import linear_sum_assignment

from fieldgym.agents.base import ParallelPolicy, RandomParallelPolicy
from fieldgym.agents.mappo import MAPPO
from fieldgym.agents.multiagent import SharedPPO
from fieldgym.agents.target import ParallelTarget

ENV_ID = "mpe2.simple_spread_v3:parallel_env"
ROOT = Path(__file__).resolve().parents[1]
MOVES = np.array([[0, 0], [-1, 0], [1, 0], [0, -1], [0, 1]], float)
"""simple_spread's discrete actions: no-op, left, right, down, up."""


class Matching(ParallelPolicy):
    """A scripted reference: agents split the landmarks by minimum-cost matching.

    Each step, agents and landmarks are matched to minimize the summed distance (all of
    it read from the agents' observations: velocity, position, landmark offsets); each agent
    pushes in the direction closest to ``offset - velocity`` (a damped approach).
    """

    name = "scripted_matching"

    def act(self, observations: dict[str, np.ndarray], state: np.ndarray | None = None) -> dict:
        agents = list(observations)
        vel = np.array([observations[a][0:2] for a in agents])
        pos = np.array([observations[a][2:4] for a in agents])
        marks = pos[0] + observations[agents[0]][4 : 4 + 2 * len(agents)].reshape(-1, 2)
        rows, cols = linear_sum_assignment(np.linalg.norm(pos[:, None] - marks[None], axis=-1))
        actions = {}
        for i, j in zip(rows, cols, strict=True):
            push = marks[j] - pos[i] - 0.5 * vel[i]
            actions[agents[i]] = int(np.argmax(MOVES @ push)) if np.linalg.norm(push) > 0.05 else 0
        return actions


def spread_scores(env) -> tuple[float, int, int]:
    """``(D, P, covered)``: landmark distance sum, overlapping agent pairs, covered landmarks."""
    world = env.unwrapped.world
    pos = np.array([a.state.p_pos for a in world.agents])
    marks = np.array([m.state.p_pos for m in world.landmarks])
    closest = np.linalg.norm(marks[:, None] - pos[None], axis=-1).min(axis=1)
    pairs = sum(
        np.linalg.norm(pos[i] - pos[j]) < world.agents[i].size + world.agents[j].size
        for i, j in itertools.combinations(range(len(pos)), 2)
    )
    return float(closest.sum()), int(pairs), int((closest < 0.1).sum())


def play(policy: ParallelPolicy, seeds: list[int]) -> pd.DataFrame:
    """One greedy episode per seed, scored in PettingZoo's and the reference's units."""
    rows = []
    for seed in seeds:
        env = policy.target.make()
        observations, _ = env.reset(seed=seed)
        policy.reset(seed)
        team, dist, pairs, ref, steps = 0.0, 0.0, 0, 0.0, 0
        while env.agents:
            observations, rewards, *_ = env.step(policy.act(observations, env.state()))
            d, p, covered = spread_scores(env)
            team += float(np.mean(list(rewards.values())))
            dist, pairs, steps = dist + d, pairs + p, steps + 1
            ref -= 3 * d + 3 + 2 * p
        rows.append(
            {
                "agent": policy.name,
                "seed": seed,
                "return_pettingzoo": team,
                "return_reference_units": ref,
                "mean_distance_sum": dist / steps,
                "collision_pairs": pairs,
                "covered_at_end": covered,
            }
        )
    return pd.DataFrame(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=750_000, help="agent-steps per learner")
    parser.add_argument("--copies", type=int, default=16)
    parser.add_argument("--local-ratio", type=float, default=0.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--episodes", type=int, default=100)
    parser.add_argument("--out", type=Path, default=ROOT / "reports" / "marl_mpe")
    args = parser.parse_args()
    torch.set_num_threads(1)
    args.out.mkdir(parents=True, exist_ok=True)
    env_kwargs = {
        "N": 3,
        "local_ratio": args.local_ratio,
        "max_cycles": 25,
        "continuous_actions": False,
    }
    target = ParallelTarget(ENV_ID, env_kwargs)
    hyper = {
        "mappo": {"n_steps": 25, "n_epochs": 10, "n_minibatches": 4, "lr": 7e-4},
        "shared_ppo": {
            "n_steps": 25,
            "batch_size": 25 * 3 * args.copies // 4,
            "n_epochs": 10,
            "learning_rate": 7e-4,
            "ent_coef": 0.01,
            "gae_lambda": 0.95,
            "max_grad_norm": 10.0,
        },
    }
    learners = {
        "mappo": MAPPO(target, n_copies=args.copies, hyperparams=hyper["mappo"]),
        "shared_ppo": SharedPPO(target, n_copies=args.copies, hyperparams=hyper["shared_ppo"]),
    }
    eval_seeds = list(range(10_000, 10_000 + args.episodes))
    tables = [play(p, eval_seeds) for p in (RandomParallelPolicy(target), Matching(target))]
    timing, curves = {}, []
    for name, learner in learners.items():
        start = time.perf_counter()
        # SB3's progress bar needs rich, which is not installed: tqdm for mappo only.
        learner.fit(args.steps, seed=args.seed, progress=name == "mappo")
        timing[name] = time.perf_counter() - start
        curve = pd.DataFrame(learner.learning_curve).assign(agent=name)
        curves.append(curve)
        tables.append(play(learner, eval_seeds))
        print(name, f"{timing[name]:.0f} s", tables[-1].mean(numeric_only=True).round(2).to_dict())
    table = pd.concat(tables, ignore_index=True)
    binned = pd.concat([bin_curve(c, args.steps) for c in curves], ignore_index=True)
    binned.to_csv(args.out / "learning_curves.csv", index=False)
    write(table, timing, curves, args, env_kwargs, hyper)


def bin_curve(curve: pd.DataFrame, total: int, bins: int = 50) -> pd.DataFrame:
    """Training episodes' mean return per ``total / bins`` agent-steps (one row per bin).

    ``shared_ppo`` records one episode per agent (SB3's monitor), ``mappo`` one per copy
    (the mean over agents); with ``local_ratio`` 0 all agents share the reward, so both are
    the team's return.
    """
    edges = np.linspace(0, total, bins + 1)
    group = pd.cut(curve["step"], edges, labels=edges[1:].astype(int), include_lowest=True)
    out = curve.groupby(group, observed=True)["episode_return"].agg(["mean", "count"])
    out = out.reset_index().rename(
        columns={"step": "up_to_step", "mean": "episode_return", "count": "episodes"}
    )
    return out.assign(agent=curve["agent"].iloc[0])


def write(table, timing, curves, args, env_kwargs, hyper) -> None:
    """results.json (every episode) and results.md (means with 95% intervals)."""
    summary = {}
    for name, group in table.groupby("agent", sort=False):
        cols = [c for c in group.columns if c not in ("agent", "seed")]
        summary[name] = {
            c: {
                "mean": float(group[c].mean()),
                "ci95": float(1.96 * group[c].std(ddof=1) / np.sqrt(len(group))),
            }
            for c in cols
        }
    final = {str(c["agent"].iloc[0]): float(c["episode_return"].tail(200).mean()) for c in curves}
    meta = {
        "env": ENV_ID,
        "env_kwargs": env_kwargs,
        "agent_steps_per_learner": args.steps,
        "copies": args.copies,
        "train_seed": args.seed,
        "eval_episodes": args.episodes,
        "hyperparams": hyper,
        "train_seconds": timing,
        "last_200_training_episodes_return_pettingzoo": final,
        "summary": summary,
    }
    (args.out / "results.json").write_text(json.dumps(meta, indent=2))
    lines = [
        "# MAPPO and shared PPO on mpe2 simple_spread_v3: measured",
        "",
        f"Env `{ENV_ID}` with {env_kwargs}; {args.steps:,} agent-steps per learner "
        f"({args.steps // 3:,} env steps) over {args.copies} copies, train seed {args.seed}, "
        f"one thread; greedy evaluation on {args.episodes} episodes (seeds {10_000}..).",
        "Written by `benchmarks/marl_mpe.py`; see README.md for the published reference.",
        "",
        "| agent | return (PettingZoo) | return (reference units) | mean D per step "
        "| collision pairs / ep | landmarks covered at end | train s |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, s in summary.items():

        def cell(key: str, s=s) -> str:
            return f"{s[key]['mean']:.2f} ± {s[key]['ci95']:.2f}"

        lines.append(
            f"| {name} | {cell('return_pettingzoo')} | {cell('return_reference_units')} | "
            f"{cell('mean_distance_sum')} | {cell('collision_pairs')} | "
            f"{cell('covered_at_end')} | {timing.get(name, 0.0):.0f} |"
        )
    lines += [
        "",
        "± is a 95% interval over evaluation episodes (one training seed: it does not cover "
        "the spread between training runs).",
        "Return (PettingZoo): mean over agents of the episode's summed reward; with "
        "local_ratio 0 every agent gets −D per step, so it equals −25 × mean D.",
        "Return (reference units): Σ_t −(3·D_t + 3 + 2·P_t), the per-agent episode reward "
        "of the published MAPPO MPE (shared team reward, self-overlap counted).",
        "",
        "Training curve (PettingZoo units, mean of the last 200 training episodes, "
        "stochastic actions): " + ", ".join(f"{k} {v:.2f}" for k, v in final.items()) + ".",
    ]
    (args.out / "results.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
