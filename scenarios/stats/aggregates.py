"""Cross-domain aggregates with stratified bootstrap intervals (Agarwal et al., 2021).

Scores are first normalized per task so that tasks of different domains can be pooled:
the random agent maps to 0 and the task's reference baseline to 1 (:func:`normalize`).
A *score table* is a DataFrame with one row per run: ``agent``, ``task``, ``seed`` (the
run) and ``score`` (normalized). :func:`to_score_dict` turns it into the layout of the
rliable library, ``{agent: array (runs, tasks)}``, which must be a full matrix per agent
(different agents may have different numbers of runs).

The definitions follow rliable (``rliable/metrics.py`` and ``rliable/library.py``), which
cannot be installed beside pandas 3 (it pins ``arch < 8``), so they are computed here with
numpy and scipy:

* mean: the mean over tasks of the per-task mean over runs;
* median: the median over tasks of the per-task mean over runs;
* IQM: the 25% trimmed mean of all runs × tasks scores pooled (``scipy.stats.trim_mean``);
* optimality gap: ``gamma - mean(min(score, gamma))`` over all runs × tasks;
* probability of improvement P(X > Y): per task, the Mann–Whitney U statistic over all
  pairs of runs, ``P(x > y) + P(x = y) / 2``, averaged over tasks;
* performance profile at ``tau``: the fraction of all runs × tasks scores above ``tau``.

Intervals are percentile intervals of a stratified bootstrap: every replicate draws, for
each task independently, as many runs as there are, with replacement, from that task's
runs only (so tasks never mix). Two-agent statistics resample each agent independently.
Each agent (or pair) gets its own random stream derived from ``seed`` and its name, so an
agent's interval does not change when other agents are added to the table.

Every statistic accepts a batch of matrices, shape ``(..., runs, tasks)``; for one matrix
it returns a float (or a 1-D array for profiles).
"""

from __future__ import annotations

import itertools
import math
import zlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from fieldgym.envs.core.errors import DataError
from fieldgym.scenarios.stats.intervals import CONFIDENCE

REPS = 2000
METRICS = ("median", "iqm", "mean", "optimality_gap")
"""The aggregate metrics, in the order the report shows them."""
COLUMNS = ("agent", "task", "seed", "score")
"""The columns of a score table."""
BUDGET = 4_000_000
"""Most array elements one bootstrap chunk may hold (bounds memory, not results)."""
METHOD = (
    "scores normalized per task (random agent = 0, the task's reference baseline = 1); "
    "interquartile mean, median and mean of per-task means, and optimality gap (gamma = 1) "
    "as defined by Agarwal et al. (2021), with 95% percentile intervals of a stratified "
    "bootstrap (runs resampled with replacement within each task); probability of "
    "improvement is the Mann-Whitney U statistic averaged over tasks; performance profiles "
    "are the fraction of runs x tasks with a normalized score above tau"
)
"""The method, as the report states it."""


@dataclass(frozen=True)
class Anchors:
    """The two raw scores that fix a task's normalization.

    Attributes:
        random: The random agent's raw score (maps to 0).
        reference: The reference baseline's raw score (maps to 1).
        lower_is_better: Whether the raw score is a cost.
        reference_agent: The reference baseline's name, for the report.
    """

    random: float
    reference: float
    lower_is_better: bool
    reference_agent: str = ""


def normalize(
    score: float | np.ndarray | pd.Series,
    random_score: float,
    reference_score: float,
    lower_is_better: bool,
    task: str = "task",
) -> float | np.ndarray:
    """Map raw scores linearly so that random = 0 and the reference = 1.

    The map ``(score - random) / (reference - random)`` serves returns and costs alike: for
    a cost the denominator is negative, so a cost below the reference's gives more than 1
    and a cost above the random agent's gives less than 0.

    Raises:
        DataError: The anchors are not finite, equal, or in the wrong order (a reference
            no better than random would rank agents backwards). The message names the task.
    """
    random_score, reference_score = float(random_score), float(reference_score)
    where = f"cannot normalize task {task!r}"
    if not (math.isfinite(random_score) and math.isfinite(reference_score)):
        raise DataError(
            f"{where}: random score {random_score} and reference score {reference_score} "
            "must both be finite"
        )
    if reference_score == random_score:
        raise DataError(
            f"{where}: the reference score equals the random score ({reference_score} = "
            f"{random_score}), so the scale 0..1 is undefined; choose another reference"
        )
    if (reference_score < random_score) != lower_is_better:
        sense = "lower" if lower_is_better else "higher"
        raise DataError(
            f"{where}: the reference score {reference_score} is not better than the random "
            f"score {random_score} ({sense} is better), so normalized scores would rank "
            "agents backwards; choose another reference or check lower_is_better"
        )
    out = (np.asarray(score, dtype=float) - random_score) / (reference_score - random_score)
    return float(out) if out.ndim == 0 else out


def normalize_table(raw: pd.DataFrame, anchors: Mapping[str, Anchors]) -> pd.DataFrame:
    """Normalize a table of raw scores (columns of :data:`COLUMNS`) task by task.

    Returns:
        A copy with ``score`` normalized and the raw value kept in ``raw_score``.

    Raises:
        DataError: A column is missing, a task has no anchors, or :func:`normalize` fails.
    """
    _require_columns(raw, COLUMNS, "score table")
    missing = sorted(set(raw["task"]) - set(anchors))
    if missing:
        raise DataError(f"no normalization anchors for task(s) {missing}")
    out = raw.copy()
    out["raw_score"] = out["score"].to_numpy(dtype=float)
    values = out["raw_score"].to_numpy(copy=True)
    tasks = out["task"].to_numpy()
    for task in pd.unique(tasks):
        a, rows = anchors[task], tasks == task
        values[rows] = normalize(values[rows], a.random, a.reference, a.lower_is_better, task)
    out["score"] = values
    return out


def _require_columns(table: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise DataError(f"{what} lacks column(s) {missing}; it has {list(table.columns)}")
    if table.empty:
        raise DataError(f"{what} is empty")


def to_score_dict(table: pd.DataFrame, tasks: Sequence[str] | None = None) -> dict[str, np.ndarray]:
    """Arrange a score table as ``{agent: array (runs, tasks)}``, runs sorted by seed.

    Args:
        table: Columns of :data:`COLUMNS`, one row per agent, task and seed.
        tasks: The tasks (matrix columns) in order; default: their order of first
            appearance in ``table``. Rows of other tasks are left out.

    Raises:
        DataError: A column is missing, a score is not finite, an (agent, task, seed) cell
            appears twice (average episodes per seed first), or an agent lacks a task or
            some seeds on some tasks; the message lists what is missing.
    """
    _require_columns(table, COLUMNS, "score table")
    tasks = list(pd.unique(table["task"])) if tasks is None else list(tasks)
    table = table[table["task"].isin(tasks)]
    bad = table[~np.isfinite(table["score"].to_numpy(dtype=float))]
    if not bad.empty:
        cells = list(bad[["agent", "task", "seed"]].itertuples(index=False, name=None))
        raise DataError(f"non-finite scores in cells (agent, task, seed) {cells[:10]}")
    dup = table[table.duplicated(["agent", "task", "seed"], keep=False)]
    if not dup.empty:
        cells = sorted(set(dup[["agent", "task", "seed"]].itertuples(index=False, name=None)))
        raise DataError(
            f"cells (agent, task, seed) with more than one score: {cells[:10]}; "
            "average the episodes of each run first"
        )
    out, problems = {}, []
    for agent, rows in table.groupby("agent", sort=False):
        grid = rows.pivot(index="seed", columns="task", values="score")
        absent = [t for t in tasks if t not in grid.columns]
        if absent:
            problems.append(f"agent {agent!r} has no runs on task(s) {absent}")
            continue
        grid = grid[tasks].sort_index()
        holes = [(t, s) for t in tasks for s in grid.index[grid[t].isna()]]
        if holes:
            problems.append(f"agent {agent!r} lacks (task, seed) cells {holes[:10]}")
            continue
        out[str(agent)] = grid.to_numpy(dtype=float)
    if problems:
        raise DataError(
            "the score table is not a full runs x tasks matrix per agent: " + "; ".join(problems)
        )
    if not out:
        raise DataError(f"the score table has no rows for tasks {tasks}")
    return out


def _matrix(scores: np.ndarray) -> np.ndarray:
    a = np.asarray(scores, dtype=float)
    if a.ndim < 2 or a.shape[-1] == 0 or a.shape[-2] == 0:
        raise DataError(f"scores must be a non-empty (runs, tasks) matrix, got shape {a.shape}")
    return a


def _out(value: np.ndarray) -> float | np.ndarray:
    return float(value) if np.ndim(value) == 0 else value


def mean(scores: np.ndarray) -> float | np.ndarray:
    """Mean over tasks of the per-task mean score."""
    return _out(_matrix(scores).mean(axis=-2).mean(axis=-1))


def median(scores: np.ndarray) -> float | np.ndarray:
    """Median over tasks of the per-task mean score (not the median of all runs)."""
    return _out(np.median(_matrix(scores).mean(axis=-2), axis=-1))


def iqm(scores: np.ndarray) -> float | np.ndarray:
    """Interquartile mean: 25% trimmed from each end of all runs × tasks scores pooled."""
    a = _matrix(scores)
    return _out(stats.trim_mean(a.reshape(*a.shape[:-2], -1), 0.25, axis=-1))


def optimality_gap(scores: np.ndarray, gamma: float = 1.0) -> float | np.ndarray:
    """``gamma`` minus the mean of all scores clipped above at ``gamma`` (lower is better)."""
    return _out(gamma - np.minimum(_matrix(scores), gamma).mean(axis=(-2, -1)))


AGGREGATES: dict[str, Callable[[np.ndarray], float | np.ndarray]] = {
    "median": median,
    "iqm": iqm,
    "mean": mean,
    "optimality_gap": optimality_gap,
}


def probability_of_improvement(x: np.ndarray, y: np.ndarray) -> float | np.ndarray:
    """P(X > Y): per task, ``P(x > y) + P(x = y) / 2`` over all pairs of runs, averaged.

    ``x`` and ``y`` are ``(..., runs, tasks)`` with the same tasks; their run counts may
    differ. Per task this is the Mann–Whitney U statistic of ``x`` divided by the number
    of pairs, so ``P(X > Y) + P(Y > X) = 1``.
    """
    a, b = _matrix(x), _matrix(y)
    if a.shape[-1] != b.shape[-1]:
        raise DataError(f"x has {a.shape[-1]} tasks and y has {b.shape[-1]}")
    left, right = a[..., :, None, :], b[..., None, :, :]
    per_task = ((left > right) + 0.5 * (left == right)).mean(axis=(-3, -2))
    return _out(per_task.mean(axis=-1))


def performance_profile(scores: np.ndarray, taus: Sequence[float] | np.ndarray) -> np.ndarray:
    """Fraction of all runs × tasks scores strictly above each ``tau``: shape ``(..., taus)``."""
    a = _matrix(scores)
    flat = a.reshape(*a.shape[:-2], -1)
    return np.stack([(flat > tau).mean(axis=-1) for tau in np.asarray(taus, float)], axis=-1)


def default_taus(score_dict: Mapping[str, np.ndarray], n: int = 101) -> np.ndarray:
    """``n`` thresholds over the central 95% of all scores pooled, widened to hold 0 and 1."""
    pooled = np.concatenate([np.ravel(s) for s in score_dict.values()])
    low, high = np.percentile(pooled, [2.5, 97.5])
    return np.linspace(min(0.0, float(low)), max(1.0, float(high)), n)


def rng_for(seed: int, *names: str) -> np.random.Generator:
    """A generator determined by ``seed`` and the names (agents) it serves."""
    return np.random.default_rng([int(seed), *(zlib.crc32(str(n).encode()) for n in names)])


def bootstrap_resamples(
    scores: np.ndarray, reps: int, rng: np.random.Generator, chunk: int | None = None
) -> Iterator[np.ndarray]:
    """Stratified resamples of a ``(runs, tasks)`` matrix, in chunks ``(k, runs, tasks)``.

    In each replicate every task's column is refilled with ``runs`` draws, with
    replacement, from that column only, independently of the other tasks.
    """
    a = _matrix(scores)
    runs, tasks = a.shape
    chunk = chunk or max(1, BUDGET // a.size)
    columns = np.arange(tasks)
    for start in range(0, reps, chunk):
        k = min(chunk, reps - start)
        yield a[rng.integers(0, runs, size=(k, runs, tasks)), columns]


def stratified_bootstrap(
    statistic: Callable[..., np.ndarray | float],
    *scores: np.ndarray,
    reps: int = REPS,
    confidence: float = CONFIDENCE,
    rng: np.random.Generator | None = None,
    cost: int | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Point estimate and percentile interval of ``statistic`` over stratified resamples.

    Args:
        statistic: Takes one batch ``(k, runs, tasks)`` per matrix and returns ``(k,)`` or
            ``(k, m)`` values; called unbatched on the data for the point estimate.
        *scores: The ``(runs, tasks)`` matrices, each resampled independently.
        reps: Bootstrap replicates.
        confidence: Coverage of the two-sided interval.
        rng: The random stream (default: a fresh one seeded 0).
        cost: Array elements one replicate of ``statistic`` touches (sets the chunk size).

    Returns:
        ``(point, low, high)``, each shaped like the statistic of one matrix.
    """
    if reps < 1:
        raise ValueError(f"reps must be at least 1, got {reps}")
    rng = rng if rng is not None else np.random.default_rng(0)
    mats = [_matrix(s) for s in scores]
    chunk = max(1, BUDGET // (cost or sum(m.size for m in mats)))
    streams = [bootstrap_resamples(m, reps, rng, chunk) for m in mats]
    values = np.concatenate([np.asarray(statistic(*batch)) for batch in zip(*streams, strict=True)])
    tail = 100 * (1 - confidence) / 2
    low, high = np.percentile(values, [tail, 100 - tail], axis=0)
    return np.asarray(statistic(*mats), dtype=float), low, high


def interval_estimates(
    score_dict: Mapping[str, np.ndarray],
    metrics: Sequence[str] = METRICS,
    reps: int = REPS,
    confidence: float = CONFIDENCE,
    seed: int = 0,
) -> pd.DataFrame:
    """Each agent's aggregate metrics with stratified bootstrap intervals.

    Returns:
        One row per agent and metric: ``agent``, ``metric``, ``point``, ``low``, ``high``,
        ``runs``, ``tasks``. All metrics of an agent share its bootstrap replicates.
    """
    unknown = [m for m in metrics if m not in AGGREGATES]
    if unknown:
        raise ValueError(f"unknown metric(s) {unknown}; choose from {list(AGGREGATES)}")

    def statistic(batch: np.ndarray) -> np.ndarray:
        return np.stack([np.asarray(AGGREGATES[m](batch)) for m in metrics], axis=-1)

    frames = []
    for agent, scores in score_dict.items():
        point, low, high = stratified_bootstrap(
            statistic, scores, reps=reps, confidence=confidence, rng=rng_for(seed, agent)
        )
        runs, tasks = np.shape(scores)
        frame = {"agent": agent, "metric": list(metrics), "point": point, "low": low}
        frames.append(pd.DataFrame({**frame, "high": high, "runs": runs, "tasks": tasks}))
    return pd.concat(frames, ignore_index=True)


def improvement_estimates(
    score_dict: Mapping[str, np.ndarray],
    reps: int = REPS,
    confidence: float = CONFIDENCE,
    seed: int = 0,
) -> pd.DataFrame:
    """P(X > Y) with a stratified bootstrap interval for every ordered pair of agents.

    Each unordered pair is bootstrapped once (X and Y resampled independently) and its
    reverse reported as ``1 - p`` with the interval mirrored, which is exact since
    ``P(X > Y) + P(Y > X) = 1`` on every replicate.

    Returns:
        Columns ``x``, ``y``, ``point``, ``low``, ``high``.
    """
    rows = []
    for x, y in itertools.combinations(score_dict, 2):
        a, b = _matrix(score_dict[x]), _matrix(score_dict[y])
        if a.shape[1] != b.shape[1]:
            raise DataError(f"agents {x!r} and {y!r} have {a.shape[1]} and {b.shape[1]} tasks")
        point, low, high = stratified_bootstrap(
            probability_of_improvement,
            a,
            b,
            reps=reps,
            confidence=confidence,
            rng=rng_for(seed, x, y),
            cost=2 * a.shape[0] * b.shape[0] * a.shape[1],
        )
        p, lo, hi = float(point), float(low), float(high)
        rows.append({"x": x, "y": y, "point": p, "low": lo, "high": hi})
        rows.append({"x": y, "y": x, "point": 1 - p, "low": 1 - hi, "high": 1 - lo})
    return pd.DataFrame(rows, columns=["x", "y", "point", "low", "high"])


def profile_estimates(
    score_dict: Mapping[str, np.ndarray],
    taus: Sequence[float] | np.ndarray | None = None,
    reps: int = REPS,
    confidence: float = CONFIDENCE,
    seed: int = 0,
) -> pd.DataFrame:
    """Performance profiles with stratified bootstrap bands.

    Args:
        score_dict: ``{agent: (runs, tasks)}``.
        taus: Thresholds (default :func:`default_taus`).
        reps: Bootstrap replicates.
        confidence: Coverage of the pointwise bands.
        seed: Seed of the random streams.

    Returns:
        One row per agent and threshold: ``agent``, ``tau``, ``fraction``, ``low``, ``high``.
    """
    taus = default_taus(score_dict) if taus is None else np.asarray(taus, dtype=float)
    frames = []
    for agent, scores in score_dict.items():
        point, low, high = stratified_bootstrap(
            lambda batch: performance_profile(batch, taus),
            scores,
            reps=reps,
            confidence=confidence,
            rng=rng_for(seed, agent),
        )
        frames.append(
            pd.DataFrame({"agent": agent, "tau": taus, "fraction": point, "low": low, "high": high})
        )
    return pd.concat(frames, ignore_index=True)
