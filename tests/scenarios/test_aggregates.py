"""Cross-domain aggregates against rliable's definitions, worked out by hand on tiny tables."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from fieldgym.envs.core.errors import DataError
from fieldgym.scenarios.stats import aggregates as ag

# 4 runs x 3 tasks, worked through in test_aggregates_by_hand.
HAND = np.array(
    [
        [0.0, 1.0, 2.0],
        [0.5, 1.5, 9.0],
        [1.0, 0.5, 2.0],
        [-2.0, 1.0, 3.0],
    ]
)


def table(scores: dict[str, np.ndarray], tasks: list[str] | None = None) -> pd.DataFrame:
    """A score table from ``{agent: (runs, tasks)}``; seeds are the row numbers."""
    rows = []
    for agent, matrix in scores.items():
        names = tasks or [f"t{j}" for j in range(matrix.shape[1])]
        for (i, j), value in np.ndenumerate(matrix):
            rows.append({"agent": agent, "task": names[j], "seed": i, "score": value})
    return pd.DataFrame(rows)


# --- normalization -------------------------------------------------------------------


def test_normalize_returns_maps_random_to_zero_and_reference_to_one():
    # random 10, reference 30: (s - 10) / 20.
    assert ag.normalize(10.0, 10.0, 30.0, False) == 0.0
    assert ag.normalize(30.0, 10.0, 30.0, False) == 1.0
    assert ag.normalize(20.0, 10.0, 30.0, False) == 0.5
    assert ag.normalize(40.0, 10.0, 30.0, False) == 1.5
    out = ag.normalize(np.array([10.0, 50.0]), 10.0, 30.0, False)
    np.testing.assert_allclose(out, [0.0, 2.0])


def test_normalize_costs_lower_than_reference_score_above_one():
    # random cost 100, reference cost 40: (s - 100) / (40 - 100) = (100 - s) / 60.
    assert ag.normalize(100.0, 100.0, 40.0, True) == 0.0
    assert ag.normalize(40.0, 100.0, 40.0, True) == 1.0
    assert ag.normalize(20.0, 100.0, 40.0, True) == pytest.approx(80 / 60)
    assert ag.normalize(130.0, 100.0, 40.0, True) == pytest.approx(-0.5)


def test_normalize_errors_name_the_task_and_both_values():
    with pytest.raises(DataError, match=r"'inventory/serial'.*12\.5.*12\.5"):
        ag.normalize(3.0, 12.5, 12.5, True, task="inventory/serial")
    # A reference no better than random would rank agents backwards.
    with pytest.raises(DataError, match=r"'queue'.*reference score 50\.0.*random score 40\.0"):
        ag.normalize(3.0, 40.0, 50.0, True, task="queue")
    with pytest.raises(DataError, match="higher is better"):
        ag.normalize(3.0, 40.0, 30.0, False, task="q")
    with pytest.raises(DataError, match="finite"):
        ag.normalize(3.0, np.nan, 30.0, False, task="q")


def test_normalize_table_per_task_and_missing_anchors():
    raw = pd.DataFrame(
        {
            "agent": ["ppo", "ppo", "dqn"],
            "task": ["returns", "costs", "costs"],
            "seed": [0, 0, 0],
            "score": [20, 70, 40],
        }
    )
    anchors = {
        "returns": ag.Anchors(random=10.0, reference=30.0, lower_is_better=False),
        "costs": ag.Anchors(random=100.0, reference=40.0, lower_is_better=True),
    }
    out = ag.normalize_table(raw, anchors)
    np.testing.assert_allclose(out["score"], [0.5, 0.5, 1.0])
    np.testing.assert_allclose(out["raw_score"], [20, 70, 40])
    with pytest.raises(DataError, match=r"anchors for task\(s\) \['costs'\]"):
        ag.normalize_table(raw, {"returns": anchors["returns"]})


# --- score table ---------------------------------------------------------------------


def test_to_score_dict_layout_sorted_by_seed_in_task_order():
    rows = table({"a": np.array([[1.0, 2.0], [3.0, 4.0]]), "b": np.array([[5.0, 6.0]])})
    shuffled = rows.sample(frac=1.0, random_state=3)
    out = ag.to_score_dict(shuffled, tasks=["t1", "t0"])
    np.testing.assert_array_equal(out["a"], [[2.0, 1.0], [4.0, 3.0]])
    np.testing.assert_array_equal(out["b"], [[6.0, 5.0]])  # agents may have other run counts


def test_to_score_dict_says_what_is_missing():
    rows = table({"a": np.ones((3, 2)), "b": np.ones((2, 2))})
    holes = rows.drop(rows[(rows.agent == "a") & (rows.task == "t1") & (rows.seed == 2)].index)
    with pytest.raises(DataError, match=r"agent 'a' lacks \(task, seed\) cells \[\('t1', 2\)\]"):
        ag.to_score_dict(holes)
    no_task = rows[~((rows.agent == "b") & (rows.task == "t0"))]
    with pytest.raises(DataError, match=r"agent 'b' has no runs on task\(s\) \['t0'\]"):
        ag.to_score_dict(no_task)
    with pytest.raises(DataError, match=r"more than one score.*average the episodes"):
        ag.to_score_dict(pd.concat([rows, rows.iloc[:1]]))
    bad = rows.copy()
    bad.loc[0, "score"] = np.nan
    with pytest.raises(DataError, match="non-finite"):
        ag.to_score_dict(bad)
    with pytest.raises(DataError, match=r"lacks column\(s\) \['seed'\]"):
        ag.to_score_dict(rows.drop(columns="seed"))


# --- aggregate metrics ---------------------------------------------------------------


def test_aggregates_by_hand():
    # Task means: (0 + .5 + 1 - 2)/4 = -0.125, (1 + 1.5 + .5 + 1)/4 = 1, (2 + 9 + 2 + 3)/4 = 4.
    assert ag.mean(HAND) == pytest.approx((-0.125 + 1 + 4) / 3)  # 1.625
    assert ag.median(HAND) == pytest.approx(1.0)  # median of task means
    # All 12 sorted: -2 0 .5 .5 1 1 1 1.5 2 2 3 9; trim 3 from each end: .5 1 1 1 1.5 2 -> 7/6.
    assert ag.iqm(HAND) == pytest.approx(7 / 6)
    # min(x, 1) row sums: 2, 2.5, 2.5, 0 -> mean 7/12; gap = 1 - 7/12.
    assert ag.optimality_gap(HAND) == pytest.approx(5 / 12)
    # gamma = 2: min(x, 2) row sums 3, 4, 3.5, 1 -> 11.5/12.
    assert ag.optimality_gap(HAND, gamma=2.0) == pytest.approx(2 - 11.5 / 12)
    # The median is over task means, not over all runs: task means 3, 1, 2 -> 2, while the
    # nine runs sorted 0 0 1 1 1 2 2 2 9 have median 1.
    skew = np.array([[0.0, 1.0, 2.0], [0.0, 1.0, 2.0], [9.0, 1.0, 2.0]])
    assert ag.median(skew) == pytest.approx(2.0)
    assert np.median(skew) == pytest.approx(1.0)


def test_rliable_test_tables():
    # rliable's own test matrices. x: task means 1.5, 1.5; all eight in {1, 2}, four each,
    # trimmed 2 per end -> 1 1 2 2 -> 1.5. y: task means 2, 2; six values trimmed 1 per end.
    x = np.array([[1, 2], [2, 2], [1, 1], [2, 1]], dtype=float)
    y = np.array([[1, 1], [2, 2], [3, 3]], dtype=float)
    assert (ag.median(x), ag.mean(x), ag.iqm(x)) == (1.5, 1.5, 1.5)
    assert (ag.median(y), ag.mean(y), ag.iqm(y)) == (2.0, 2.0, 2.0)
    # Task 0: x = 1,2,1,2 against y = 1,2,3. x = 1 scores 0.5 (tie) + 0 + 0, x = 2 scores
    # 1 + 0.5 + 0, twice each: 4 of 12 pairs. Task 1 holds the same values: 1/3 overall.
    assert ag.probability_of_improvement(x, y) == pytest.approx(1 / 3)


def test_probability_of_improvement_by_enumeration():
    x = np.array([[1.0, 0.0], [2.0, 5.0], [3.0, 5.0]])
    y = np.array([[2.0, 5.0], [2.0, 6.0]])
    # Task 0: x = 1 loses both, x = 2 ties both (0.5 + 0.5), x = 3 wins both: 3/6.
    # Task 1: x = 0 loses both, each x = 5 ties 5 (0.5) and loses to 6: 1/6.
    expected = (3 / 6 + 1 / 6) / 2
    assert ag.probability_of_improvement(x, y) == pytest.approx(expected)
    # The same by brute force over every pair, and by scipy's Mann-Whitney U (what rliable
    # calls) divided by the number of pairs.
    brute = np.mean(
        [
            np.mean([(a > b) + 0.5 * (a == b) for a, b in itertools.product(x[:, t], y[:, t])])
            for t in range(2)
        ]
    )
    u = [stats.mannwhitneyu(x[:, t], y[:, t], alternative="greater").statistic for t in range(2)]
    assert expected == pytest.approx(brute) == pytest.approx(np.mean(u) / 6)
    assert ag.probability_of_improvement(y, x) == pytest.approx(1 - expected)
    assert ag.probability_of_improvement(x, x) == 0.5  # rliable's value for equal arrays
    with pytest.raises(DataError, match="tasks"):
        ag.probability_of_improvement(x, y[:, :1])


def test_performance_profile_counts():
    scores = np.array([[0.2, 1.5], [0.9, 1.0], [1.1, -0.3]])
    # > 0: 0.2 1.5 0.9 1.0 1.1 (5 of 6); > 1 (strict): 1.5 1.1; > 1.5: none; > -1: all.
    profile = ag.performance_profile(scores, [-1.0, 0.0, 1.0, 1.5])
    np.testing.assert_allclose(profile, [1.0, 5 / 6, 2 / 6, 0.0])


def test_metrics_on_a_batch_equal_the_metric_of_each_matrix():
    batch = np.random.default_rng(0).normal(size=(5, 6, 4))
    for name, fn in ag.AGGREGATES.items():
        np.testing.assert_allclose(fn(batch), [fn(m) for m in batch], err_msg=name)
    np.testing.assert_allclose(
        ag.probability_of_improvement(batch, batch[::-1]),
        [ag.probability_of_improvement(a, b) for a, b in zip(batch, batch[::-1], strict=True)],
    )
    with pytest.raises(DataError, match="shape"):
        ag.mean(np.ones(3))


# --- stratified bootstrap ------------------------------------------------------------


def test_resampling_stays_within_each_task_and_draws_tasks_independently():
    runs, tasks = 6, 3
    scores = np.arange(runs)[:, None] + 100.0 * np.arange(tasks)  # value = run + 100 * task
    chunks = list(ag.bootstrap_resamples(scores, 500, np.random.default_rng(1), chunk=128))
    assert [len(c) for c in chunks] == [128, 128, 128, 116]
    sample = np.concatenate(chunks)
    assert sample.shape == (500, runs, tasks)
    drawn_runs = sample - 100.0 * np.arange(tasks)
    assert np.all((drawn_runs >= 0) & (drawn_runs < runs))  # every value from its own task
    # Whole-row resampling would pick the same runs for every task; stratified does not.
    assert np.mean(np.all(drawn_runs[:, :, 0] == drawn_runs[:, :, 1], axis=1)) < 0.01
    # Draws are with replacement: some replicate repeats a run.
    assert any(len(set(r[:, 0])) < runs for r in drawn_runs)


def test_constant_task_contributes_zero_width():
    # Task 0 is always 0 and task 1 always 1: every stratified replicate has task means 0
    # and 1, so mean, median and IQM intervals collapse to the point (pooling runs across
    # tasks, as an unstratified bootstrap would, would not).
    scores = np.array([[0.0, 1.0]] * 5)
    est = ag.interval_estimates({"a": scores}, reps=300, seed=3).set_index("metric")
    for metric in ("mean", "median", "iqm"):
        assert est.loc[metric, "low"] == est.loc[metric, "high"] == pytest.approx(0.5)
    # With one varying task, the interval of the mean is half that task's own interval.
    rng = np.random.default_rng(4)
    varying = rng.normal(size=(8, 1))
    both = np.hstack([varying, np.full((8, 1), 3.0)])
    point, low, high = ag.stratified_bootstrap(
        ag.mean, both, reps=400, rng=np.random.default_rng(5)
    )
    sample = np.concatenate(list(ag.bootstrap_resamples(both, 400, np.random.default_rng(5))))
    assert np.all(sample[:, :, 1] == 3.0)
    one = ag.mean(sample[:, :, :1])
    np.testing.assert_allclose([low, high], (np.percentile(one, [2.5, 97.5]) + 3.0) / 2)
    assert point == pytest.approx((varying.mean() + 3.0) / 2)
    # Runs of different tasks are not paired: with task 1 the mirror of task 0, resampling
    # whole rows would give a mean of exactly 0 every time; stratified resampling does not.
    mirror = np.hstack([np.arange(6.0)[:, None], -np.arange(6.0)[:, None]])
    _, low, high = ag.stratified_bootstrap(ag.mean, mirror, reps=300)
    assert high - low > 1.0


def random_scores(rng: np.random.Generator, runs: int, tasks: int = 5) -> np.ndarray:
    return rng.normal(1.0, 0.5, size=(runs, tasks)) + np.linspace(-0.5, 0.5, tasks)


def test_intervals_contain_the_point_and_shrink_with_more_runs():
    rng = np.random.default_rng(11)
    scores = {"few": random_scores(rng, 5), "many": random_scores(rng, 80)}
    est = ag.interval_estimates(scores, reps=500, seed=0)
    assert list(est.columns) == ["agent", "metric", "point", "low", "high", "runs", "tasks"]
    assert len(est) == 2 * len(ag.METRICS)
    assert np.all(est["low"] <= est["point"]) and np.all(est["point"] <= est["high"])
    width = (est["high"] - est["low"]).to_numpy().reshape(2, -1)
    # 16 times the runs: widths should shrink about 4-fold; demand at least 2-fold.
    assert np.all(width[1] < width[0] / 2)


def test_intervals_reproducible_and_independent_of_other_agents():
    rng = np.random.default_rng(12)
    scores = {"a": random_scores(rng, 6), "b": random_scores(rng, 6)}
    first = ag.interval_estimates(scores, reps=200, seed=7)
    pd.testing.assert_frame_equal(first, ag.interval_estimates(scores, reps=200, seed=7))
    alone = ag.interval_estimates({"b": scores["b"]}, reps=200, seed=7)
    pd.testing.assert_frame_equal(
        first[first.agent == "b"].reset_index(drop=True), alone.reset_index(drop=True)
    )
    other = ag.interval_estimates(scores, reps=200, seed=8)
    assert not np.allclose(first["low"], other["low"])
    with pytest.raises(ValueError, match="unknown metric"):
        ag.interval_estimates(scores, metrics=("mode",))


def test_interval_coverage_of_the_mean():
    # 95% percentile intervals of the mean over 10 runs x 3 tasks of N(mu_t, 1) data cover
    # the true mean (the average of mu_t) in about 93-95% of repetitions.
    rng = np.random.default_rng(21)
    mu = np.array([0.0, 1.0, 2.0])
    hits = 0
    trials = 400
    for _ in range(trials):
        scores = rng.normal(mu, 1.0, size=(10, 3))
        _, low, high = ag.stratified_bootstrap(ag.mean, scores, reps=400, rng=rng)
        hits += low <= mu.mean() <= high
    assert 0.88 <= hits / trials <= 0.99


def test_improvement_estimates_every_ordered_pair():
    rng = np.random.default_rng(13)
    scores = {
        "a": random_scores(rng, 5) + 0.5,
        "b": random_scores(rng, 4),
        "c": rng.normal(size=(3, 5)),
    }
    est = ag.improvement_estimates(scores, reps=300, seed=0)
    assert sorted(zip(est.x, est.y, strict=True)) == sorted(itertools.permutations("abc", 2))
    for row in est.itertuples():
        expected = ag.probability_of_improvement(scores[row.x], scores[row.y])
        assert row.point == pytest.approx(expected)
        assert 0 <= row.low <= row.point <= row.high <= 1
    ab = est.set_index(["x", "y"])
    assert ab.loc[("a", "b"), "low"] == pytest.approx(1 - ab.loc[("b", "a"), "high"])
    pd.testing.assert_frame_equal(est, ag.improvement_estimates(scores, reps=300, seed=0))


def test_profile_estimates_bands_and_shape():
    rng = np.random.default_rng(14)
    scores = {"a": random_scores(rng, 6), "b": random_scores(rng, 3) - 0.5}
    taus = np.linspace(-3, 4, 15)
    prof = ag.profile_estimates(scores, taus, reps=300, seed=0)
    assert list(prof.columns) == ["agent", "tau", "fraction", "low", "high"]
    for agent, part in prof.groupby("agent"):
        np.testing.assert_allclose(part["fraction"], ag.performance_profile(scores[agent], taus))
        assert np.all(np.diff(part["fraction"]) <= 0)  # non-increasing in tau
        assert np.all((part["low"] <= part["fraction"]) & (part["fraction"] <= part["high"]))
        assert part["fraction"].iloc[0] == 1.0 and part["fraction"].iloc[-1] == 0.0
    taus = ag.default_taus(scores)
    assert taus[0] <= 0 and taus[-1] >= 1 and len(taus) == 101
