"""Shared fixtures: tiny scenario files and one small finished run reused by several tests."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from fieldgym.scenarios.cli import main

ENV_ID = "fieldgym/MultiEchelonInventory-v1"

TINY = f"""
name: tiny
description: A tiny run for the tests.
env:
  id: {ENV_ID}
  label: serial
  config: {{demand_mean: 8.0}}
agents:
  - name: clark_scarf
  - name: random
seeds: 2
evaluation:
  episodes: 3
  max_steps: 40
report:
  reference: clark_scarf
workers: 2
"""

LEARNER = """
  - name: dqn
    train_steps: 1000
    params: {n_envs: 4}
"""
"""A learner entry for TINY: 1000 steps on 4 copies finish 10 training episodes of 100 steps."""


@pytest.fixture
def tiny() -> str:
    """The YAML text of the tiny scenario (two baselines, 3 short evaluation episodes)."""
    return TINY


@pytest.fixture
def write_scenario(tmp_path: Path) -> Callable[[str, str], Path]:
    """Write a scenario file (YAML text, dedented) into the test's folder and return its path."""

    def write(text: str, name: str = "scenario.yaml") -> Path:
        path = tmp_path / name
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        return path

    return write


def tiny_text() -> str:
    """TINY with the DQN entry (LEARNER) after the baselines."""
    return TINY.replace("  - name: random\n", "  - name: random\n" + LEARNER.lstrip("\n"))


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One finished ``fieldgym compare`` of TINY with DQN: its folders."""
    root = tmp_path_factory.mktemp("tiny")
    scenario = root / "tiny.yaml"
    scenario.write_text(tiny_text(), encoding="utf-8")
    runs, out = root / "runs", root / "report"
    status = main(["compare", str(scenario), "--runs", str(runs), "--out", str(out), "--quiet"])
    assert status == 0
    return {"scenario": scenario, "runs": runs, "out": out, "root": root}
