"""Tests of forecast.scoring: hand-computed values, scikit-learn as an oracle, bad input."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta, timezone

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.stats import binomtest
from sklearn.calibration import calibration_curve
from sklearn.metrics import brier_score_loss, log_loss

from forecast.domain import ForecastError
from forecast.scoring import (
    CHOICE_SCORES,
    SCORES,
    brier,
    brier_multi,
    calibration_table,
    improvement,
    log_score,
    log_score_multi,
    murphy,
    skill,
    summary,
    time_averaged,
)

# Any warning (a log(0), a 0/0) leaking out of the code under test is a failure.
pytestmark = pytest.mark.filterwarnings("error")

# conftest's autouse fixture only sets environment variables, so sharing it across
# Hypothesis examples is harmless.
hypothesis_settings = settings(
    deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

MACHINE_EPS = float(np.finfo(np.float64).eps)  # what sklearn's log_loss clips with


def random_binary(seed: int, n: int = 500, low: float = 0.0, high: float = 1.0):
    rng = np.random.default_rng(seed)
    p = rng.uniform(low, high, n)
    y = (rng.uniform(size=n) < p).astype(int)  # calibrated-ish, so both outcomes occur
    return y, p


def random_choice(seed: int, n: int, k: int):
    rng = np.random.default_rng(seed)
    p = rng.dirichlet(np.ones(k), size=n)
    p = np.clip(p, 0.01, None)
    p /= p.sum(axis=1, keepdims=True)  # bounded away from 0 for the log comparisons
    y = rng.integers(0, k, n)
    return y, p


binary_pairs = st.lists(st.tuples(st.integers(0, 1), st.floats(0.0, 1.0)), min_size=1, max_size=60)


# --------------------------------------------------------------------------- registry


def test_registries_map_names_to_binary_and_choice_scores():
    assert {"brier": brier, "log": log_score} == SCORES
    assert {"brier": brier_multi, "log": log_score_multi} == CHOICE_SCORES


# --------------------------------------------------------------------------- brier


def test_brier_hand_values():
    # (0.9-1)^2 = 0.01, (0.2-0)^2 = 0.04, (0.5-1)^2 = 0.25, (1-0)^2 = 1
    got = brier([1, 0, 1, 0], [0.9, 0.2, 0.5, 1.0])
    np.testing.assert_allclose(got, [0.01, 0.04, 0.25, 1.0], rtol=0, atol=1e-15)


def test_brier_accepts_booleans_as_outcomes():
    np.testing.assert_allclose(brier([True, False], [0.7, 0.7]), [0.09, 0.49])


def test_brier_broadcasts():
    # one outcome against several forecasts: (0.2-1)^2 = 0.64, (0.4-1)^2 = 0.36
    np.testing.assert_allclose(brier(1, [0.2, 0.4]), [0.64, 0.36])
    y = np.array([[0], [1], [1]])
    p = np.array([[0.1, 0.7]])
    got = brier(y, p)
    assert got.shape == (3, 2)
    np.testing.assert_array_equal(got, (p - y) ** 2)


def test_brier_mean_matches_sklearn_on_random_data():
    for seed in range(5):
        y, p = random_binary(seed)
        assert brier(y, p).mean() == pytest.approx(brier_score_loss(y, p), abs=1e-14)


@hypothesis_settings
@given(binary_pairs)
def test_brier_mean_matches_sklearn_hypothesis(pairs):
    y, p = map(np.array, zip(*pairs, strict=True))
    expected = brier_score_loss(y, p, labels=[0, 1])
    assert brier(y, p).mean() == pytest.approx(expected, abs=1e-12)


# --------------------------------------------------------------------------- log


def test_log_score_hand_values():
    # -ln 0.5 = 0.693147, -ln(1-0.2) = -ln 0.8 = 0.223144, -ln 0.9 = 0.105361
    got = log_score([1, 0, 1], [0.5, 0.2, 0.9])
    np.testing.assert_allclose(got, [math.log(2), -math.log(0.8), -math.log(0.9)])
    np.testing.assert_allclose(got, [0.693147, 0.223144, 0.105361], atol=1e-6)


def test_log_score_certain_and_wrong_is_infinite_without_warning():
    got = log_score([1, 0], [0.0, 1.0])  # the module's filterwarnings("error") guards this
    assert np.all(np.isposinf(got))


def test_log_score_eps_clips_both_sides():
    # eps = 0.01: a certain-and-wrong forecast scores -ln 0.01 = 4.60517
    got = log_score([1, 0, 1], [0.0, 1.0, 1.0], eps=0.01)
    np.testing.assert_allclose(got, [-math.log(0.01), -math.log(0.01), -math.log(0.99)])


def test_log_score_mean_matches_sklearn_on_random_data():
    for seed in range(5):
        y, p = random_binary(seed, low=0.01, high=0.99)
        assert log_score(y, p).mean() == pytest.approx(log_loss(y, p), rel=1e-12)


def test_log_score_with_machine_eps_matches_sklearn_at_zero_and_one():
    y = np.array([1, 0, 1, 0, 1, 0])
    p = np.array([0.0, 1.0, 1.0, 0.0, 0.3, 0.6])
    expected = log_loss(y, p, labels=[0, 1])
    assert log_score(y, p, eps=MACHINE_EPS).mean() == pytest.approx(expected, rel=1e-9)


@hypothesis_settings
@given(st.lists(st.tuples(st.integers(0, 1), st.floats(0.001, 0.999)), min_size=1, max_size=60))
def test_log_score_mean_matches_sklearn_hypothesis(pairs):
    y, p = map(np.array, zip(*pairs, strict=True))
    expected = log_loss(y, p, labels=[0, 1])
    assert log_score(y, p).mean() == pytest.approx(expected, rel=1e-10, abs=1e-12)


@hypothesis_settings
@given(binary_pairs)
def test_log_score_with_eps_matches_sklearn_hypothesis(pairs):
    y, p = map(np.array, zip(*pairs, strict=True))
    expected = log_loss(y, p, labels=[0, 1])
    got = log_score(y, p, eps=MACHINE_EPS).mean()
    assert got == pytest.approx(expected, rel=1e-9, abs=1e-12)


# --------------------------------------------------------------------------- perfect


@pytest.mark.parametrize("score", [brier, log_score])
def test_perfect_binary_forecast_scores_zero_and_best(score):
    y = np.array([0, 1, 1, 0])
    np.testing.assert_array_equal(score(y, y.astype(float)), 0.0)
    _, other = random_binary(1, n=4)
    assert np.all(score(y, other) >= 0.0)


@pytest.mark.parametrize("score", [brier_multi, log_score_multi])
def test_perfect_choice_forecast_scores_zero_and_best(score):
    k = np.array([0, 2, 1])
    onehot = np.eye(3)[k]
    np.testing.assert_array_equal(score(k, onehot), 0.0)
    _, other = random_choice(2, n=3, k=3)
    assert np.all(score(k, other) > 0.0)


# --------------------------------------------------------------------------- choice


def test_brier_multi_hand_values():
    # outcome 0, p = (0.5, 0.3, 0.2): 0.5^2 + 0.3^2 + 0.2^2 = 0.25 + 0.09 + 0.04 = 0.38
    # outcome 2, p = (0.7, 0.2, 0.1): 0.7^2 + 0.2^2 + 0.9^2 = 0.49 + 0.04 + 0.81 = 1.34
    got = brier_multi([0, 2], [[0.5, 0.3, 0.2], [0.7, 0.2, 0.1]])
    np.testing.assert_allclose(got, [0.38, 1.34], atol=1e-15)


def test_brier_multi_worst_case_is_two():
    assert brier_multi(1, [1.0, 0.0, 0.0]) == 2.0


def test_log_score_multi_hand_values():
    # -ln 0.5 = 0.693147, -ln 0.1 = 2.302585; 0 on the outcome is +inf
    got = log_score_multi([0, 2, 1], [[0.5, 0.3, 0.2], [0.7, 0.2, 0.1], [1.0, 0.0, 0.0]])
    np.testing.assert_allclose(got[:2], [0.693147, 2.302585], atol=1e-6)
    assert np.isposinf(got[2])


def test_choice_scores_broadcast():
    p = np.array([0.5, 0.3, 0.2])
    # one forecast vector, three outcomes: 0.38; 0.25+0.49+0.04 = 0.78; 0.25+0.09+0.64 = 0.98
    np.testing.assert_allclose(brier_multi([0, 1, 2], p), [0.38, 0.78, 0.98])
    stacked = np.stack([p, p[::-1]])[:, np.newaxis, :]  # shape (2, 1, 3)
    assert brier_multi([0, 1, 2], stacked).shape == (2, 3)
    assert log_score_multi([[0], [2]], stacked[:, 0, :]).shape == (2, 2)


@hypothesis_settings
@given(st.lists(st.tuples(st.integers(0, 1), st.floats(0.0, 1.0)), min_size=1, max_size=30))
def test_brier_multi_with_two_options_is_twice_binary_brier(pairs):
    y, p = map(np.array, zip(*pairs, strict=True))
    vectors = np.column_stack([1.0 - p, p])  # option 1 is YES
    np.testing.assert_allclose(brier_multi(y, vectors), 2.0 * brier(y, p), atol=1e-15)
    # 1 - p rounds where log1p(-p) does not: allow one rounding error in absolute terms
    np.testing.assert_allclose(log_score_multi(y, vectors), log_score(y, p), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("k", [3, 4, 6])
def test_brier_multi_matches_sklearn_multiclass_unscaled(k):
    # scikit-learn 1.9 keeps the 0-2 scale for three or more classes (scale_by_half="auto")
    y, p = random_choice(k, n=400, k=k)
    expected = brier_score_loss(y, p, labels=list(range(k)))
    assert brier_multi(y, p).mean() == pytest.approx(expected, abs=1e-14)


def test_brier_multi_with_two_columns_is_twice_sklearn():
    # ... but halves a two-column input: ours stays on the 0-2 scale, hence the factor 2
    y, p = random_choice(7, n=300, k=2)
    expected = brier_score_loss(y, p, labels=[0, 1])
    assert brier_multi(y, p).mean() == pytest.approx(2.0 * expected, abs=1e-14)


@pytest.mark.parametrize("k", [2, 3, 5])
def test_log_score_multi_matches_sklearn(k):
    y, p = random_choice(10 + k, n=400, k=k)
    expected = log_loss(y, p, labels=list(range(k)))
    assert log_score_multi(y, p).mean() == pytest.approx(expected, rel=1e-12)


@hypothesis_settings
@given(
    st.integers(3, 5).flatmap(
        lambda k: st.lists(
            st.tuples(
                st.integers(0, k - 1), st.lists(st.floats(0.05, 1.0), min_size=k, max_size=k)
            ),
            min_size=1,
            max_size=30,
        )
    )
)
def test_choice_scores_match_sklearn_hypothesis(rows):
    y = np.array([r[0] for r in rows])
    weights = np.array([r[1] for r in rows])
    p = weights / weights.sum(axis=1, keepdims=True)
    labels = list(range(p.shape[1]))
    assert brier_multi(y, p).mean() == pytest.approx(
        brier_score_loss(y, p, labels=labels), abs=1e-12
    )
    assert log_score_multi(y, p).mean() == pytest.approx(log_loss(y, p, labels=labels), rel=1e-10)


def test_choice_vectors_may_miss_one_by_rounding_only():
    assert brier_multi(0, [0.5, 0.5 + 5e-7]) == pytest.approx(0.5, abs=1e-5)
    with pytest.raises(ForecastError, match="sum to 1"):
        brier_multi(0, [0.5, 0.5 + 2e-6])


# --------------------------------------------------------------------------- skill


def test_skill_and_improvement_hand_values():
    # 1 - 0.1/0.25 = 0.6; 1 - 0.3/0.25 = -0.2; 1 - 0.25/0.25 = 0
    np.testing.assert_allclose(skill([0.1, 0.3, 0.25], 0.25), [0.6, -0.2, 0.0], atol=1e-15)
    # 0.25 - 0.1 = 0.15; 0.25 - 0.3 = -0.05
    np.testing.assert_allclose(improvement([0.1, 0.3], 0.25), [0.15, -0.05], atol=1e-15)


def test_skill_against_a_perfect_reference_is_nan_without_warning():
    got = skill([0.0, 0.2], [0.0, 0.0])
    assert np.all(np.isnan(got))


def test_skill_with_infinite_log_scores():
    got = skill([np.inf, 0.5, np.inf], [0.7, np.inf, np.inf])
    assert np.isneginf(got[0])
    assert got[1] == 1.0
    assert np.isnan(got[2])
    assert np.isnan(improvement(np.inf, np.inf))


def test_skill_of_evidence_over_prior_on_scores():
    # prior 0.5 on a YES question scores 0.25; the updated 0.8 scores 0.04: skill 1 - 0.16 = 0.84
    assert skill(brier(1, 0.8), brier(1, 0.5)) == pytest.approx(0.84)


# --------------------------------------------------------------------------- time average


def test_time_averaged_five_days_with_carry_forward():
    # Open Jan 1, resolved Jan 6: scored days Jan 1..5. Forecasts 0.6 on Jan 2, 0.8 on Jan 4.
    # Jan 1 has no forecast (not scored); Jan 2, 3 carry 0.6: (0.6-1)^2 = 0.16 each;
    # Jan 4, 5 carry 0.8: (0.8-1)^2 = 0.04 each. Mean (0.16*2 + 0.04*2) / 4 = 0.10.
    dates = ["2025-01-02", "2025-01-04"]
    got = time_averaged(brier, 1, dates, [0.6, 0.8], start="2025-01-01", end="2025-01-06")
    assert got.days == 4
    assert got.score == pytest.approx(0.10, abs=1e-15)
    # Resolved NO instead: 0.36*2 + 0.64*2 = 2.0, over 4 days = 0.5
    got = time_averaged(brier, 0, dates, [0.6, 0.8], start="2025-01-01", end="2025-01-06")
    assert got == (pytest.approx(0.5), 4)


def test_time_averaged_prior_stands_before_the_first_forecast():
    # As above, with prior 0.5 standing on Jan 1: (0.25 + 0.32 + 0.08) / 5 = 0.65 / 5 = 0.13
    score, days = time_averaged(
        brier,
        1,
        [date(2025, 1, 2), date(2025, 1, 4)],
        [0.6, 0.8],
        start=date(2025, 1, 1),
        end=date(2025, 1, 6),
        prior=0.5,
    )
    assert (score, days) == (pytest.approx(0.13, abs=1e-15), 5)


def test_time_averaged_same_day_revisions_and_out_of_window_forecasts():
    # Given unsorted. Sorted: Dec 30: 0.1, Jan 2: 0.3 then 0.6 (same day, later wins),
    # Jan 4: 0.8, Jan 9: 0.0 (after resolution, never stands). Window Jan 1..5, YES.
    # Jan 1 carries Dec 30's 0.1: 0.81; Jan 2, 3: 0.6 -> 0.16 each; Jan 4, 5: 0.8 -> 0.04.
    # Brier: (0.81 + 0.32 + 0.08) / 5 = 1.21 / 5 = 0.242
    dates = ["2025-01-04", "2024-12-30", "2025-01-02", "2025-01-02", "2025-01-09"]
    probs = [0.8, 0.1, 0.3, 0.6, 0.0]
    window = {"start": "2025-01-01", "end": "2025-01-06"}
    assert time_averaged(brier, 1, dates, probs, **window) == (pytest.approx(0.242), 5)
    # Log: (-ln 0.1 - 2 ln 0.6 - 2 ln 0.8) / 5 = (2.302585 + 1.021651 + 0.446287) / 5
    # = 0.754105; the certain-and-wrong 0.0 of Jan 9 stood on no day, so it is not inf.
    score, days = time_averaged(log_score, 1, dates, probs, **window)
    assert score == pytest.approx(0.754105, abs=1e-6)
    assert days == 5


def test_time_averaged_choice_with_prior():
    # Outcome option 2; window Jan 1..4. Prior (1/3, 1/3, 1/3) stands Jan 1, 2:
    # (1/3)^2 + (1/3)^2 + (2/3)^2 = 6/9 = 2/3 each. (0.2, 0.3, 0.5) stands Jan 3, 4:
    # 0.04 + 0.09 + 0.25 = 0.38 each. Mean (2 * 2/3 + 2 * 0.38) / 4 = 0.523333.
    score, days = time_averaged(
        brier_multi,
        2,
        ["2025-01-03"],
        [[0.2, 0.3, 0.5]],
        start="2025-01-01",
        end="2025-01-05",
        prior=[1 / 3, 1 / 3, 1 / 3],
    )
    assert days == 4
    assert score == pytest.approx((4 / 3 + 0.76) / 4, abs=1e-15)


def test_time_averaged_prior_only():
    # No forecasts: the prior 0.7 stands all 3 days; YES scores 0.09 each day.
    got = time_averaged(brier, 1, [], [], start="2025-01-01", end="2025-01-04", prior=0.7)
    assert got == (pytest.approx(0.09), 3)


def test_time_averaged_date_types_agree():
    # 01:00 at UTC+5 on Jan 2 is 20:00 UTC on Jan 1: that forecast stands from Jan 1.
    plus5 = timezone(timedelta(hours=5))
    aware = [datetime(2025, 1, 2, 1, 0, tzinfo=plus5), datetime(2025, 1, 3, 12, tzinfo=UTC)]
    as_text = ["2025-01-01", "2025-01-03"]
    as_numpy = np.array(as_text, dtype="datetime64[D]")
    window = {"start": np.datetime64("2025-01-01"), "end": datetime(2025, 1, 5, tzinfo=UTC)}
    results = {time_averaged(brier, 0, d, [0.2, 0.4], **window) for d in (aware, as_text, as_numpy)}
    # Jan 1, 2 at 0.2 (0.04), Jan 3, 4 at 0.4 (0.16): (0.08 + 0.32) / 4 = 0.1
    assert len(results) == 1
    assert results.pop() == (pytest.approx(0.1), 4)


@pytest.mark.parametrize(
    ("dates", "probs", "window", "message"),
    [
        (["2025-01-02"], [0.5], ("2025-01-05", "2025-01-05"), "must be after start"),
        (["2025-01-09"], [0.5], ("2025-01-01", "2025-01-05"), "no forecast stood"),
        ([], [], ("2025-01-01", "2025-01-05"), "no forecast stood"),
        (["2025-01-02", "2025-01-03"], [0.5], ("2025-01-01", "2025-01-05"), "2 forecast dates"),
        (["soon"], [0.5], ("2025-01-01", "2025-01-05"), "not an ISO date"),
        ([5], [0.5], ("2025-01-01", "2025-01-05"), "not a date"),
        (["2025-01-02"], [1.5], ("2025-01-01", "2025-01-05"), r"\[0, 1\]"),
    ],
)
def test_time_averaged_bad_input(dates, probs, window, message):
    with pytest.raises(ForecastError, match=message):
        time_averaged(brier, 1, dates, probs, start=window[0], end=window[1])


# --------------------------------------------------------------------------- calibration


def test_calibration_table_hand_values():
    # Two uniform bins [0, 0.5] and (0.5, 1].
    # Bin 1: 0.1, 0.15, 0.3 with outcomes 0, 1, 0: mean 0.55/3 = 0.183333, frequency 1/3.
    # Bin 2: 0.8, 0.9 with outcomes 1, 1: mean 0.85, frequency 1.
    # 90 % Clopper-Pearson: 1 of 3 -> lower solves 1 - (1-x)^3 = 0.05, x = 1 - 0.95^(1/3)
    # = 0.016952; upper solves the Beta(2, 2) cdf 3x^2 - 2x^3 = 0.95, x = 0.864650.
    # 2 of 2 -> lower solves x^2 = 0.05, x = 0.223607; upper is 1.
    table = calibration_table([0, 1, 0, 1, 1], [0.1, 0.15, 0.3, 0.8, 0.9], n_bins=2)
    np.testing.assert_array_equal(table.lower, [0.0, 0.5])
    np.testing.assert_array_equal(table.upper, [0.5, 1.0])
    np.testing.assert_array_equal(table.count, [3, 2])
    np.testing.assert_array_equal(table.positives, [1, 2])
    np.testing.assert_allclose(table.mean_forecast, [0.55 / 3, 0.85])
    np.testing.assert_allclose(table.observed_frequency, [1 / 3, 1.0])
    np.testing.assert_allclose(table.ci_lower, [1 - 0.95 ** (1 / 3), math.sqrt(0.05)])
    np.testing.assert_allclose(table.ci_upper, [0.864650, 1.0], atol=1e-6)
    assert table.interval == 0.9
    assert table.strategy == "uniform"


def test_calibration_table_edges_and_empty_bins():
    # A forecast on an inner edge (0.5) goes to the lower bin; 0 and 1 to the end bins;
    # with 4 bins, (0.25, 0.5] holds only 0.5 and (0.5, 0.75] is empty and left out.
    table = calibration_table([0, 1, 1, 0], [0.0, 0.5, 1.0, 0.25], n_bins=4)
    np.testing.assert_array_equal(table.lower, [0.0, 0.25, 0.75])
    np.testing.assert_array_equal(table.count, [2, 1, 1])
    np.testing.assert_array_equal(table.mean_forecast, [0.125, 0.5, 1.0])


@pytest.mark.parametrize("strategy", ["uniform", "quantile"])
@pytest.mark.parametrize("n_bins", [1, 2, 3, 5, 10, 17])
def test_calibration_table_matches_sklearn(strategy, n_bins):
    for seed in range(3):
        y, p = random_binary(100 + seed, n=300)
        p[:100] = np.round(p[:100], 1)  # ties and values exactly on uniform edges
        prob_true, prob_pred = calibration_curve(y, p, n_bins=n_bins, strategy=strategy)
        table = calibration_table(y, p, n_bins=n_bins, strategy=strategy)
        np.testing.assert_array_equal(table.observed_frequency, prob_true)
        np.testing.assert_array_equal(table.mean_forecast, prob_pred)
        assert table.count.sum() == y.size


@hypothesis_settings
@given(binary_pairs, st.integers(1, 12), st.sampled_from(["uniform", "quantile"]))
def test_calibration_table_matches_sklearn_hypothesis(pairs, n_bins, strategy):
    y, p = map(np.array, zip(*pairs, strict=True))
    prob_true, prob_pred = calibration_curve(y, p, n_bins=n_bins, strategy=strategy)
    table = calibration_table(y, p, n_bins=n_bins, strategy=strategy)
    np.testing.assert_array_equal(table.observed_frequency, prob_true)
    np.testing.assert_array_equal(table.mean_forecast, prob_pred)


@pytest.mark.parametrize("interval", [0.5, 0.9, 0.95])
def test_calibration_intervals_are_clopper_pearson(interval):
    y, p = random_binary(3, n=200)
    table = calibration_table(y, p, n_bins=8, interval=interval)
    for k, n, lo, hi in zip(
        table.positives, table.count, table.ci_lower, table.ci_upper, strict=True
    ):
        exact = binomtest(int(k), int(n)).proportion_ci(interval, method="exact")
        assert (lo, hi) == (pytest.approx(exact.low, abs=1e-9), pytest.approx(exact.high))
        assert lo <= k / n <= hi


def test_calibration_intervals_at_all_yes_and_all_no():
    # 0 of 4: [0, 1 - 0.05^(1/4)] = [0, 0.527129]; 4 of 4: [0.05^(1/4), 1] = [0.472871, 1]
    table = calibration_table([0, 0, 0, 0, 1, 1, 1, 1], [0.1] * 4 + [0.9] * 4, n_bins=2)
    np.testing.assert_allclose(table.ci_lower, [0.0, 0.05**0.25])
    np.testing.assert_allclose(table.ci_upper, [1 - 0.05**0.25, 1.0])


# --------------------------------------------------------------------------- murphy


def test_murphy_hand_values():
    # Forecasts 0.2, 0.2, 0.8, 0.8 with outcomes 0, 1, 1, 1; base rate 0.75.
    # Brier (0.04 + 0.64 + 0.04 + 0.04) / 4 = 0.19.
    # Groups: 0.2 -> frequency 0.5, 0.8 -> frequency 1 (two each).
    # reliability (2 * 0.3^2 + 2 * 0.2^2) / 4 = 0.065
    # resolution (2 * 0.25^2 + 2 * 0.25^2) / 4 = 0.0625
    # uncertainty 0.75 * 0.25 = 0.1875; 0.065 - 0.0625 + 0.1875 = 0.19
    m = murphy([0, 1, 1, 1], [0.2, 0.2, 0.8, 0.8])
    assert m.brier == pytest.approx(0.19)
    assert m.reliability == pytest.approx(0.065)
    assert m.resolution == pytest.approx(0.0625)
    assert m.uncertainty == pytest.approx(0.1875)
    assert m.residual == 0.0


def test_murphy_binned_hand_values():
    # One bin (n_bins=1) holding 0.2 and 0.6, outcomes 0 and 1: mean forecast 0.4,
    # frequency 0.5, base rate 0.5. Brier (0.04 + 0.16) / 2 = 0.1.
    # reliability (0.4 - 0.5)^2 = 0.01; resolution 0; uncertainty 0.25.
    # residual: spread -0.2, +0.2 against outcome deviations -0.5, +0.5:
    # [(0.04 - 2 * 0.1) + (0.04 - 2 * 0.1)] / 2 = -0.16; 0.01 - 0 + 0.25 - 0.16 = 0.1.
    m = murphy([0, 1], [0.2, 0.6], n_bins=1)
    assert m.reliability == pytest.approx(0.01)
    assert m.resolution == pytest.approx(0.0)
    assert m.uncertainty == pytest.approx(0.25)
    assert m.residual == pytest.approx(-0.16)
    assert m.brier == pytest.approx(0.1)


def identity_gap(m) -> float:
    return abs(m.reliability - m.resolution + m.uncertainty + m.residual - m.brier)


@pytest.mark.parametrize("seed", range(5))
def test_murphy_identity_exact_on_distinct_values(seed):
    y, p = random_binary(seed, n=1000)
    p = np.round(p * 20) / 20  # forecasts on a 5 % grid, as analysts give them
    m = murphy(y, p)
    assert m.residual == 0.0
    assert identity_gap(m) <= 1e-12
    assert m.brier == pytest.approx(brier_score_loss(y, p), abs=1e-14)


@pytest.mark.parametrize("strategy", ["uniform", "quantile"])
@pytest.mark.parametrize("n_bins", [1, 3, 10, 25])
def test_murphy_identity_with_bins_and_residual(strategy, n_bins):
    y, p = random_binary(n_bins, n=1000)
    m = murphy(y, p, n_bins=n_bins, strategy=strategy)
    assert m.residual != 0.0
    assert identity_gap(m) <= 1e-12
    # the bins are the calibration table's, so reliability can be rebuilt from it
    table = calibration_table(y, p, n_bins=n_bins, strategy=strategy)
    rebuilt = np.sum(table.count * (table.mean_forecast - table.observed_frequency) ** 2)
    assert m.reliability == pytest.approx(rebuilt / y.size, abs=1e-14)


@hypothesis_settings
@given(binary_pairs, st.none() | st.integers(1, 10))
def test_murphy_identity_hypothesis(pairs, n_bins):
    y, p = map(np.array, zip(*pairs, strict=True))
    m = murphy(y, p, n_bins=n_bins)
    assert identity_gap(m) <= 1e-12
    base_rate = y.mean()
    assert m.uncertainty == pytest.approx(base_rate * (1 - base_rate), abs=1e-15)
    assert m.uncertainty == pytest.approx(
        summary(y, p)["base_rate"] * (1 - summary(y, p)["base_rate"]), abs=1e-15
    )


# --------------------------------------------------------------------------- summary


def test_summary_hand_values():
    # Brier 0.19 (as in the Murphy example). Log: 2 * (-ln 0.8) for the 0/0.2 and 1/0.8
    # hits ... exactly: -ln 0.8 (y=0, p=0.2) - ln 0.2 (y=1, p=0.2) - 2 ln 0.8 = 2.278869 / 4
    # = 0.569717. Mean forecast 0.5; variance of (0.2, 0.2, 0.8, 0.8) = 0.3^2 = 0.09.
    got = summary([0, 1, 1, 1], [0.2, 0.2, 0.8, 0.8])
    assert got["count"] == 4
    assert got["brier"] == pytest.approx(0.19)
    assert got["log"] == pytest.approx((-3 * math.log(0.8) - math.log(0.2)) / 4)
    assert got["log"] == pytest.approx(0.569717, abs=1e-6)
    assert got["base_rate"] == 0.75
    assert got["mean_forecast"] == 0.5
    assert got["sharpness"] == pytest.approx(0.09)


def test_summary_agrees_with_the_per_forecast_scores():
    y, p = random_binary(9, low=0.02, high=0.98)
    got = summary(y, p)
    assert got["brier"] == pytest.approx(brier_score_loss(y, p), abs=1e-14)
    assert got["log"] == pytest.approx(log_loss(y, p), rel=1e-12)


# --------------------------------------------------------------------------- bad input


BINARY_BAD = [
    ([1], [1.2], r"forecasts must lie in \[0, 1\]; found 1.2"),
    ([1], [-0.1], r"forecasts must lie in \[0, 1\]; found -0.1"),
    ([1], [np.nan], "forecasts contain NaN or infinite"),
    ([1], [np.inf], "forecasts contain NaN or infinite"),
    ([np.nan], [0.5], "outcomes contain NaN or infinite"),
    ([2], [0.5], r"outcomes must be 0 \(NO\) or 1 \(YES\); found 2"),
    ([0.5], [0.5], r"outcomes must be 0 \(NO\) or 1 \(YES\); found 0.5"),
    ([1, 0, 1], [0.5, 0.5], "do not broadcast"),
    ([1], ["0.5"], "must be numbers"),
    ([1], [[0.5], [0.5, 0.2]], "regular array"),
]


@pytest.mark.parametrize("score", [brier, log_score, summary])
@pytest.mark.parametrize(("outcomes", "forecasts", "message"), BINARY_BAD)
def test_binary_bad_input_raises(score, outcomes, forecasts, message):
    with pytest.raises(ForecastError, match=message) as info:
        score(outcomes, forecasts)
    assert "\n" not in str(info.value)


CHOICE_BAD = [
    ([0], [[0.6, 0.6]], "must sum to 1; found a sum of 1.2"),
    ([0], [[0.5, 0.4]], "must sum to 1"),
    ([0], [[1.0]], "at least two options"),
    ([0], 1.0, "at least two options"),
    ([3], [[0.5, 0.3, 0.2]], "from 0 to 2; found 3"),
    ([-1], [[0.5, 0.5]], "found -1"),
    ([0.5], [[0.5, 0.5]], "whole numbers"),
    ([0], [[1.5, -0.5]], r"\[0, 1\]"),
    ([0], [[np.nan, 0.5]], "NaN"),
    ([0, 1, 1], [[0.5, 0.5], [0.5, 0.5]], "do not broadcast"),
]


@pytest.mark.parametrize("score", [brier_multi, log_score_multi])
@pytest.mark.parametrize(("outcomes", "forecasts", "message"), CHOICE_BAD)
def test_choice_bad_input_raises(score, outcomes, forecasts, message):
    with pytest.raises(ForecastError, match=message) as info:
        score(outcomes, forecasts)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(
    "call",
    [
        lambda: calibration_table([], []),
        lambda: murphy([], []),
        lambda: murphy([], [], n_bins=5),
        lambda: summary([], []),
    ],
)
def test_aggregates_of_nothing_raise(call):
    with pytest.raises(ForecastError, match="of no forecasts"):
        call()


def test_per_forecast_scores_of_nothing_are_empty():
    assert brier([], []).shape == (0,)
    assert log_score_multi(np.zeros(0, int), np.zeros((0, 3))).shape == (0,)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: calibration_table([1], [0.5], n_bins=0), "n_bins"),
        (lambda: calibration_table([1], [0.5], n_bins=2.5), "n_bins"),
        (lambda: calibration_table([1], [0.5], n_bins=True), "n_bins"),
        (lambda: calibration_table([1], [0.5], strategy="kmeans"), "strategy"),
        (lambda: calibration_table([1], [0.5], interval=1.0), "interval"),
        (lambda: murphy([1], [0.5], n_bins=-3), "n_bins"),
        (lambda: log_score([1], [0.5], eps=0.5), "eps"),
        (lambda: log_score([1], [0.5], eps=0.0), "eps"),
        (lambda: skill([-0.1], [0.2]), "non-negative"),
        (lambda: skill([np.nan], [0.2]), "NaN"),
        (lambda: improvement([0.1, 0.2], [0.1, 0.2, 0.3]), "do not broadcast"),
    ],
)
def test_bad_options_raise(call, message):
    with pytest.raises(ForecastError, match=message):
        call()
