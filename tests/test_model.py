"""The model's maths (layers 1 and 2) against hand-computed values, simulation and invariants."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from forecast.decay import probability_within, rate_for_probability
from forecast.domain import Kind, Question, parse_time
from forecast.scales import SCALE, lr_to_strength, strength_to_lr
from forecast.trajectory import compute, explain
from forecast.updating import Item, discounted_log_lr, echo_reliability

OPENED = parse_time("2025-10-16")


def item(
    report: str,
    day: int,
    lr: float | list[float],
    *,
    r: float = 1.0,
    origin: str | None = None,
    analyst: str = "a",
) -> Item:
    log_lr = np.log(lr) if isinstance(lr, list) else math.log(lr)
    return Item(report, (day, report), float(day), origin or f"report:{report}", r, analyst, log_lr)


def binary(prior: float = 0.5) -> Question:
    return Question("b", "state", Kind.BINARY, OPENED, prior=prior)


def event(
    prior: float = 0.3,
    alpha: float = 1.0,
    deadlines: tuple[str, ...] = ("2025-11-30", "2025-12-31"),
) -> Question:
    return Question(
        "e",
        "event",
        Kind.EVENT,
        OPENED,
        prior=prior,
        alpha=alpha,
        deadlines=tuple(parse_time(d) for d in deadlines),
    )


def end(day: int) -> datetime:
    return OPENED + timedelta(days=day)


# --------------------------------------------------------------------------- layer 1


def test_reliability_discount_hand_values() -> None:
    # log(1 + 0.5 * (4 - 1)) = log(2.5)
    assert discounted_log_lr(math.log(4.0), 0.5) == pytest.approx(math.log(2.5))
    assert discounted_log_lr(math.log(4.0), 1.0) == pytest.approx(math.log(4.0))
    assert discounted_log_lr(math.log(4.0), 0.0) == 0.0


def test_weak_source_cannot_move_odds_beyond_one_over_one_minus_r() -> None:
    # LR -> 0 against the claim: the odds fall by at most a factor 1 - r = 0.7.
    assert discounted_log_lr(math.log(1e-300), 0.3) == pytest.approx(math.log(0.7))


def test_binary_single_report() -> None:
    # prior 0.2 -> odds 0.25; LR 3 from a source of r = 0.6: factor 1 + 0.6 * 2 = 2.2
    # posterior odds 0.55 -> p = 0.55 / 1.55 = 0.354838...
    traj = compute(binary(0.2), [item("r1", 2, 3.0, r=0.6)], end(3))
    assert traj.probability[0] == pytest.approx(0.2)
    assert traj.probability[1] == pytest.approx(0.2)  # before the report's day
    assert traj.probability[2] == pytest.approx(0.55 / 1.55)
    assert traj.final == pytest.approx(0.55 / 1.55)


def test_echo_cluster_counts_once_with_combined_reliability() -> None:
    # Reuters (r 0.9, LR 0.2) and NBC (r 0.8, LR 0.4) relay one White House official.
    # Item reliability 1 - 0.1 * 0.2 = 0.98, LR sqrt(0.2 * 0.4) = 0.28284...
    # log-odds: log(1 + 0.98 * (0.28284 - 1)) = log(0.297186...)
    items = [item("reuters", 4, 0.2, r=0.9, origin="wh"), item("nbc", 5, 0.4, r=0.8, origin="wh")]
    traj = compute(binary(0.5), items, end(6))
    odds = 1 + 0.98 * (math.sqrt(0.08) - 1)
    assert traj.final == pytest.approx(odds / (1 + odds))
    # As independent reports they would have moved it much further.
    apart = compute(
        binary(0.5), [item("reuters", 4, 0.2, r=0.9), item("nbc", 5, 0.4, r=0.8)], end(6)
    )
    indep = (1 + 0.9 * (0.2 - 1)) * (1 + 0.8 * (0.4 - 1))
    assert apart.final == pytest.approx(indep / (1 + indep))
    assert apart.final < traj.final
    # The first report alone moves it by log(0.28); the echo adds the rest of the item.
    assert [m.report_id for m in traj.moves] == ["reuters", "nbc"]
    assert traj.moves[0].after == pytest.approx(0.28 / 1.28)


def test_analysts_on_one_report_are_averaged_in_log_space() -> None:
    # LRs 2 and 8 at r = 0.5: terms log 1.5 and log 4.5, mean = log sqrt(6.75)
    items = [item("r1", 1, 2.0, r=0.5, analyst="maria"), item("r1", 1, 8.0, r=0.5, analyst="ivan")]
    traj = compute(binary(0.5), items, end(2))
    odds = math.sqrt(1.5 * 4.5)
    assert traj.final == pytest.approx(odds / (1 + odds))
    assert len(traj.moves) == 1  # one report counts once


def test_choice_posterior_hand_values() -> None:
    q = Question(
        "c",
        "venue",
        Kind.CHOICE,
        OPENED,
        options=(("budapest", 0.5), ("elsewhere", 0.3), ("none", 0.2)),
    )
    # likelihoods relative to 1: budapest 2, others 1, at r = 0.8 -> factors 1.8, 1, 1
    traj = compute(q, [item("r1", 1, [2.0, 1.0, 1.0], r=0.8)], end(2))
    weights = np.array([0.5 * 1.8, 0.3, 0.2])
    np.testing.assert_allclose(traj.final, weights / weights.sum())
    np.testing.assert_allclose(traj.probability[0], [0.5, 0.3, 0.2])
    assert traj.probability.sum(axis=1) == pytest.approx(np.ones(len(traj.days)))


def test_echo_reliability() -> None:
    assert echo_reliability([0.9, 0.8]) == pytest.approx(0.98)
    assert echo_reliability([0.0, 0.0]) == 0.0


# --------------------------------------------------------------------------- layer 2


def test_event_decay_hand_values() -> None:
    # prior 0.3 for D = 45 days, alpha 1: (b / (b + 45)) = 0.7 -> b = 105.
    # day 5: 1 - 110 / 150 = 0.2667; ladder at day 0 for D2 = 76: 1 - 105 / 181
    traj = compute(event(), [], end(5))
    assert traj.probability[0] == pytest.approx(0.3)
    assert traj.probability[5] == pytest.approx(1 - 110 / 150)
    assert traj.ladder[0, 1] == pytest.approx(1 - 105 / 181)
    assert traj.ladder[5, 1] == pytest.approx(1 - 110 / 181)


def test_event_report_multiplies_the_odds_then_decay_continues() -> None:
    # day 5: p = 4/15, odds 4/11; LR 0.5 -> odds 2/11, p = 2/13.
    # New rate s with s / (s + 40) = 11/13 -> s = 220; day 6: 1 - 221/260 = 0.15
    traj = compute(event(), [item("r1", 5, 0.5)], end(6))
    assert traj.probability[5] == pytest.approx(2 / 13)
    assert traj.probability[6] == pytest.approx(1 - 221 / 260)
    assert traj.ladder[6, 1] == pytest.approx(1 - 221 / 291)
    move = traj.moves[0]
    assert move.before == pytest.approx(4 / 15)
    assert move.after == pytest.approx(2 / 13)


def test_event_alpha_two_hand_values() -> None:
    # alpha 2: (b / (b + 45))^2 = 0.7 -> b = 45 sqrt(.7) / (1 - sqrt(.7)); day 10 from the formula
    s = math.sqrt(0.7)
    b = 45 * s / (1 - s)
    traj = compute(event(alpha=2.0), [], end(10))
    assert traj.probability[10] == pytest.approx(1 - ((b + 10) / (b + 45)) ** 2)


def test_event_closed_form_matches_simulation() -> None:
    # Draw the rate from the prior, an event time from the rate, and check the conditional
    # probability of an event in (t, D] given none by t against the closed form.
    rng = np.random.default_rng(20251016)
    alpha, deadline, t = 1.7, 45.0, 20.0
    b = rate_for_probability(math.log(0.3 / 0.7), deadline, alpha)
    rate = rng.gamma(alpha, 1.0 / b, size=2_000_000)
    when = rng.exponential(1.0 / rate)
    alive = when > t
    simulated = np.mean(when[alive] <= deadline)
    se = math.sqrt(simulated * (1 - simulated) / alive.sum())
    exact = float(probability_within(np.array(b + t), np.array(deadline - t), alpha))
    assert abs(simulated - exact) < 4 * se
    assert np.mean(when <= deadline) == pytest.approx(0.3, abs=4 * math.sqrt(0.21 / 2e6))


def test_event_after_a_passed_deadline_uses_the_next_one() -> None:
    q = event(deadlines=("2025-10-20", "2025-10-31"))
    traj = compute(q, [item("r1", 6, 2.0)], end(8))
    assert traj.ladder[6, 0] == 0.0  # the first deadline (day 4) has passed
    before = traj.moves[0].ladder_after
    # the report doubled the odds of the second deadline at day 6
    s_before_ladder = compute(q, [], end(6)).ladder[6, 1]
    odds = s_before_ladder / (1 - s_before_ladder) * 2
    assert before[1] == pytest.approx(odds / (1 + odds))


def test_explain_waterfall_and_leave_one_out() -> None:
    items = [item("r1", 1, 3.0, r=0.9), item("r2", 3, 0.5, r=0.6)]
    contributions = explain(binary(0.4), items, end(4))
    final = compute(binary(0.4), items, end(4)).final
    assert sum(c.points for c in contributions) == pytest.approx(final - 0.4)
    only_r2 = compute(binary(0.4), items[1:], end(4)).final
    assert contributions[0].without == pytest.approx(only_r2)


# --------------------------------------------------------------------------- scale


def test_kass_raftery_scale() -> None:
    assert strength_to_lr("strong-for") == pytest.approx(math.exp(4))
    assert strength_to_lr("Strong Against") == pytest.approx(math.exp(-4))
    assert strength_to_lr("neutral") == 1.0
    for word, lr in SCALE.items():
        assert lr_to_strength(lr) == word


# --------------------------------------------------------------------------- invariants

lrs = st.floats(min_value=1e-4, max_value=1e4)
rels = st.floats(min_value=0.0, max_value=1.0)
days = st.integers(min_value=0, max_value=14)


@settings(max_examples=200, deadline=None)
@given(
    prior=st.floats(0.01, 0.99),
    lr1=lrs,
    lr2=lrs,
    r=rels,
    day=days,
    kind=st.sampled_from(["binary", "event"]),
)
def test_final_probability_is_monotone_in_lr(
    prior: float, lr1: float, lr2: float, r: float, day: int, kind: str
) -> None:
    q = binary(prior) if kind == "binary" else event(prior)
    lo, hi = sorted([lr1, lr2])
    p_lo = compute(q, [item("r", day, lo, r=r)], end(14)).final
    p_hi = compute(q, [item("r", day, hi, r=r)], end(14)).final
    assert p_lo <= p_hi + 1e-12


@settings(max_examples=200, deadline=None)
@given(prior=st.floats(0.01, 0.99), lr=lrs, day=days, kind=st.sampled_from(["binary", "event"]))
def test_reliability_zero_changes_nothing(prior: float, lr: float, day: int, kind: str) -> None:
    q = binary(prior) if kind == "binary" else event(prior)
    with_report = compute(q, [item("r", day, lr, r=0.0)], end(14))
    without = compute(q, [], end(14))
    np.testing.assert_allclose(with_report.probability, without.probability, rtol=1e-12)


@settings(max_examples=200, deadline=None)
@given(
    prior=st.floats(0.01, 0.99),
    alpha=st.floats(0.2, 20.0),
    reports=st.lists(st.tuples(days, lrs, rels), max_size=6),
)
def test_deadline_ladder_is_coherent(
    prior: float, alpha: float, reports: list[tuple[int, float, float]]
) -> None:
    q = event(prior, alpha, deadlines=("2025-10-25", "2025-11-30", "2025-12-31"))
    items = [item(f"r{i}", d, lr, r=r) for i, (d, lr, r) in enumerate(reports)]
    ladder = compute(q, items, end(14)).ladder
    assert np.all(np.diff(ladder, axis=1) >= -1e-12)
    assert np.all((ladder >= 0) & (ladder <= 1))


@settings(max_examples=100, deadline=None)
@given(prior=st.floats(0.01, 0.99), lr=lrs, r=rels)
def test_bounded_by_one_over_one_minus_r(prior: float, lr: float, r: float) -> None:
    p = compute(binary(prior), [item("r", 1, lr, r=r)], end(2)).final
    odds_ratio = (p / (1 - p)) / (prior / (1 - prior))
    assert odds_ratio >= (1 - r) * (1 - 1e-9)
