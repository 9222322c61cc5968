"""Drawdowns and portfolio weights over the backtest, from a trading run's stored traces.

The scenario report (``fieldgym report``) draws each agent's equity curve (the ``value``
levels plot). This script adds, from the same run folder, per environment:

* ``<env>_drawdowns.png``: each agent's drawdown, ``value / running max - 1``;
* ``<env>_weights.png``: each agent's portfolio weights over the backtest (stacked, cash on
  top), for portfolio runs.

Run after ``fieldgym compare``::

    .venv/bin/python benchmarks/trading_report_plots.py RUN_DIR REPORT_DIR
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np


def traces(run_dir: Path) -> dict[str, dict[str, dict]]:
    """Environment label -> agent label -> the trace of its lowest-seed trial."""
    out: dict[str, dict[str, tuple]] = {}
    for path in sorted((run_dir / "trials").glob("*.json")):
        record = json.loads(path.read_text())
        key, trace = record["key"], record.get("trace")
        if not trace:
            continue
        seed = key["seed"] if key["seed"] is not None else -1
        current = out.setdefault(key["env"], {}).get(key["agent"])
        if current is None or seed < current[0]:
            out[key["env"]][key["agent"]] = (seed, trace)
    return {env: {a: t for a, (_, t) in agents.items()} for env, agents in out.items()}


def drawdowns(agents: dict[str, dict], path: Path) -> None:
    """One line per agent: drawdown of wealth over the backtest."""
    fig, ax = plt.subplots(figsize=(8, 3.6))
    for agent, trace in agents.items():
        value = np.asarray(trace["kpis"]["value"], dtype=float)
        ax.plot(value / np.maximum.accumulate(value) - 1.0, linewidth=1.0, label=agent)
    ax.set_xlabel("trading day")
    ax.set_ylabel("drawdown")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, ncol=4)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def weights(agents: dict[str, dict], path: Path) -> bool:
    """One panel per agent: stacked weights (assets, then cash). False if none has weights."""
    agents = {a: t for a, t in agents.items() if "weights" in t["kpis"]}
    if not agents:
        return False
    cols = 2
    rows = math.ceil(len(agents) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(10, 2.6 * rows), squeeze=False, sharex=True)
    for ax, (agent, trace) in zip(axes.flat, agents.items(), strict=False):
        w = np.asarray(trace["kpis"]["weights"], dtype=float)
        ax.stackplot(np.arange(len(w)), w.T, linewidth=0)
        ax.set_ylim(0, 1)
        ax.set_title(agent, fontsize=9)
    for ax in axes.flat[len(agents) :]:
        ax.set_visible(False)
    fig.supxlabel("trading day")
    fig.supylabel("weight (cash on top)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("run_dir", type=Path)
    parser.add_argument("report_dir", type=Path)
    args = parser.parse_args()
    args.report_dir.mkdir(parents=True, exist_ok=True)
    for env, agents in traces(args.run_dir).items():
        drawdowns(agents, args.report_dir / f"{env}_drawdowns.png")
        weights(agents, args.report_dir / f"{env}_weights.png")
        print(f"wrote {env}_drawdowns.png and {env}_weights.png to {args.report_dir}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
