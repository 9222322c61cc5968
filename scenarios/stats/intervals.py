"""Summary statistics of a run: means with t-intervals, and gaps to a reference agent.

Intervals are Student-t intervals over every evaluation episode of every training seed of
an agent (``n = seeds × episodes``). Episodes of one trained model share its training
seed, so between-seed variation is reported beside them (``seed_sd``, the standard
deviation of the per-seed means). Gaps to the reference are paired: each episode is
compared with the reference's episode on the same evaluation seed (the same demand,
arrivals, ...), which removes most of the episode-to-episode noise.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats

CONFIDENCE = 0.95
METHOD = (
    "mean and 95% Student-t confidence interval over all evaluation episodes of all training "
    "seeds of an agent (n = seeds × episodes); seed sd is the standard deviation of the "
    "per-seed means; gaps to the reference are paired on evaluation seeds (t-interval of "
    "the per-episode differences, as a percentage of the reference's mean)"
)
"""The method, as the report states it."""


def t_interval(
    values: np.ndarray | pd.Series, confidence: float = CONFIDENCE
) -> tuple[float, float, float, int]:
    """Mean and two-sided t-interval of the finite ``values``: ``(mean, low, high, n)``.

    The interval is NaN with fewer than two values, and a point when they are all equal.
    """
    x = np.asarray(values, dtype=float)
    x = x[np.isfinite(x)]
    n = len(x)
    if n == 0:
        return math.nan, math.nan, math.nan, 0
    mean = float(x.mean())
    if n < 2:
        return mean, math.nan, math.nan, n
    half = float(stats.t.ppf(0.5 + confidence / 2, n - 1) * x.std(ddof=1) / math.sqrt(n))
    return mean, mean - half, mean + half, n


def summarize(results: pd.DataFrame, metrics: list[str] | tuple[str, ...]) -> pd.DataFrame:
    """Per environment, agent and metric: mean, 95% interval, counts and between-seed spread.

    Columns: ``env``, ``agent``, ``metric``, ``mean``, ``ci_low``, ``ci_high``, ``n``,
    ``n_seeds``, ``seed_sd``.

    Args:
        results: Episode rows as :func:`fieldgym.scenarios.run.store.load_results` gives them.
        metrics: Metric columns to summarize (absent ones are skipped).
    """
    rows = []
    for (env, agent), group in results.groupby(["env", "agent"], sort=False):
        seeds = group["train_seed"].nunique(dropna=False)
        for metric in metrics:
            if metric not in group:
                continue
            mean, low, high, n = t_interval(group[metric])
            per_seed = group.groupby("train_seed", dropna=False)[metric].mean()
            seed_sd = float(per_seed.std(ddof=1)) if len(per_seed) > 1 else math.nan
            rows.append(
                {
                    "env": env,
                    "agent": agent,
                    "metric": metric,
                    "mean": mean,
                    "ci_low": low,
                    "ci_high": high,
                    "n": n,
                    "n_seeds": int(seeds),
                    "seed_sd": seed_sd,
                }
            )
    return pd.DataFrame(rows)


def reference_gap(results: pd.DataFrame, reference: str, metric: str) -> pd.DataFrame:
    """Each agent's paired gap to ``reference`` on ``metric``, within one environment.

    Returns:
        One row per agent other than the reference: ``diff`` (mean difference, agent minus
        reference) with ``diff_low``/``diff_high``, the same as a percentage of the
        reference's mean (``pct``, ``pct_low``, ``pct_high``) and ``n`` pairs. Empty if the
        reference has no episodes.
    """
    ref = results[results["agent"] == reference].groupby("eval_seed")[metric].mean()
    if ref.empty:
        return pd.DataFrame()
    scale = abs(float(ref.mean())) or math.nan
    rows = []
    for agent, group in results.groupby("agent", sort=False):
        if agent == reference:
            continue
        diff = group[metric].to_numpy(float) - group["eval_seed"].map(ref).to_numpy(float)
        mean, low, high, n = t_interval(diff)
        rows.append(
            {
                "agent": agent,
                "reference": reference,
                "metric": metric,
                "diff": mean,
                "diff_low": low,
                "diff_high": high,
                "pct": 100 * mean / scale,
                "pct_low": 100 * low / scale,
                "pct_high": 100 * high / scale,
                "n": n,
            }
        )
    return pd.DataFrame(rows)
