"""The cross-domain figures: each writes a PNG, and input it cannot draw says why."""

from __future__ import annotations

from pathlib import Path

import matplotlib.image as mpimg
import numpy as np
import pandas as pd
import pytest

from fieldgym.envs.core.errors import DataError
from fieldgym.scenarios.report import suite_plots as sp
from fieldgym.scenarios.stats import aggregates as ag

TASKS = ["inventory/serial", "traffic/grid", "wireless/offload"]
PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def scores() -> pd.DataFrame:
    """A normalized score table: 3 agents x 3 tasks, 4 runs each (2 for ``random``)."""
    rng = np.random.default_rng(0)
    rows = [
        {"agent": agent, "task": task, "seed": seed, "score": rng.normal(center, 0.3)}
        for agent, center, runs in (("ppo", 1.2, 4), ("dqn", 0.7, 4), ("random", 0.0, 2))
        for task in TASKS
        for seed in range(runs)
    ]
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def curves() -> pd.DataFrame:
    """Learning curves of 2 agents x 2 tasks x 3 seeds; seeds log at shifted steps."""
    rng = np.random.default_rng(1)
    rows = [
        {
            "agent": agent,
            "task": task,
            "seed": seed,
            "step": step + 13 * seed,
            "value": gain * np.log1p(step) / 9 + rng.normal(0, 0.05),
        }
        for agent, gain in (("ppo", 1.0), ("dqn", 0.8))
        for task in TASKS[:2]
        for seed in range(3)
        for step in range(0, 5000, 250)
    ]
    return pd.DataFrame(rows)


def assert_png(path: Path, expected: Path) -> np.ndarray:
    assert path == expected
    data = path.read_bytes()
    assert data.startswith(PNG) and len(data) > 5000
    image = mpimg.imread(path)
    assert image.std() > 0.01  # not a blank canvas
    return image


def test_intervals(scores, tmp_path):
    estimates = ag.interval_estimates(ag.to_score_dict(scores), reps=100)
    out = sp.intervals(estimates, tmp_path / "intervals.png")
    assert_png(out, tmp_path / "intervals.png")
    one = sp.intervals(estimates[estimates.metric == "iqm"], tmp_path / "iqm.png")
    # One panel is narrower than four.
    assert assert_png(one, tmp_path / "iqm.png").shape[1] < mpimg.imread(out).shape[1]
    with pytest.raises(DataError, match=r"lacks column\(s\) \['high'\]"):
        sp.intervals(estimates.drop(columns="high"), tmp_path / "x.png")
    with pytest.raises(DataError, match="no rows"):
        sp.intervals(estimates.iloc[:0], tmp_path / "x.png")
    assert not (tmp_path / "x.png").exists()


def test_profiles(scores, tmp_path):
    profiles = ag.profile_estimates(ag.to_score_dict(scores), reps=100)
    assert_png(sp.profiles(profiles, tmp_path / "p.png"), tmp_path / "p.png")
    with pytest.raises(DataError, match=r"lacks column\(s\) \['fraction'\]"):
        sp.profiles(profiles.rename(columns={"fraction": "frac"}), tmp_path / "x.png")
    with pytest.raises(DataError, match="must be a pandas DataFrame"):
        sp.profiles({"ppo": [1.0]}, tmp_path / "x.png")


def test_score_heatmap_including_a_missing_cell(scores, tmp_path):
    assert_png(sp.score_heatmap(scores, tmp_path / "h.png"), tmp_path / "h.png")
    holey = scores[~((scores.agent == "random") & (scores.task == TASKS[0]))]
    out = sp.score_heatmap(holey, tmp_path / "holey.png", agents=["random", "ppo", "dqn"])
    assert_png(out, tmp_path / "holey.png")
    with pytest.raises(DataError, match=r"lacks column\(s\) \['score'\]"):
        sp.score_heatmap(scores.drop(columns="score"), tmp_path / "x.png")
    nan = scores.assign(score=np.nan)
    with pytest.raises(DataError, match="no finite score"):
        sp.score_heatmap(nan, tmp_path / "x.png")


def test_task_learning_curves(curves, tmp_path):
    out = sp.task_learning_curves(curves, tmp_path / "lc.png", ylabel="normalized return")
    assert_png(out, tmp_path / "lc.png")
    # Seeds whose step ranges do not overlap still draw (each inside its own range).
    apart = curves.assign(step=curves["step"] + 10_000 * curves["seed"])
    assert_png(sp.task_learning_curves(apart, tmp_path / "a.png", band="sd"), tmp_path / "a.png")
    with pytest.raises(DataError, match=r"lacks column\(s\) \['step'\]"):
        sp.task_learning_curves(curves.drop(columns="step"), tmp_path / "x.png")
    with pytest.raises(ValueError, match="band must be"):
        sp.task_learning_curves(curves, tmp_path / "x.png", band="iqr")
    with pytest.raises(DataError, match="no finite value"):
        sp.task_learning_curves(curves.assign(value=np.nan), tmp_path / "x.png")


def test_band_is_the_t_interval_over_seeds():
    # Three seeds at one step, values 1, 2, 3: mean 2, sd 1, 95% t half-width
    # t(0.975, 2) / sqrt(3) = 4.3027 / 1.7321 = 2.4841.
    stack = np.array([[1.0], [2.0], [3.0]])
    mean, half = sp._band(stack, "ci")
    assert mean[0] == pytest.approx(2.0) and half[0] == pytest.approx(2.4841, abs=1e-4)
    assert sp._band(stack, "sd")[1][0] == pytest.approx(1.0)
    assert sp._band(stack, "se")[1][0] == pytest.approx(1 / np.sqrt(3))
    # A seed missing at a step (NaN) is left out; one seed gives no band.
    mean, half = sp._band(np.array([[1.0, np.nan], [3.0, 5.0]]), "sd")
    assert mean[1] == 5.0 and np.isnan(half[1]) and half[0] == pytest.approx(np.sqrt(2))
