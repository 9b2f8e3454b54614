"""The model's maths (layers 1 and 2, v2) against hand-computed values, simulation and invariants.

Values that v1 pinned are derived again by hand for v2 in the comments: the symmetric
discount, echoes by distinct source with the most reliable member's LR, and the exact
posterior over the event's date with deadlines that include their own day.
"""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import datetime, timedelta
from decimal import Decimal, localcontext

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from forecast.clock import parse_time
from forecast.decay import probability_within, rate_for_probability
from forecast.domain import Kind, Question
from forecast.event_dates import Calendar, Target
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
    source: str = "",
) -> Item:
    log_lr = np.log(lr) if isinstance(lr, list) else math.log(lr)
    return Item(
        report, (day, report), day, origin or f"report:{report}", r, analyst, log_lr, source
    )


NEXT = Target()  # the first deadline still ahead: the default


def event_item(q: Question, report: str, day: int, lr: float, target: Target = NEXT, **kw) -> Item:
    """An item on an event question: its LR on the days the report speaks to."""
    return replace(item(report, day, lr, **kw), cells=Calendar(q).mask(day, target))


def binary(prior: float = 0.5) -> Question:
    return Question("b", "state", Kind.BINARY, OPENED, prior=prior)


def event(
    prior: float = 0.3,
    alpha: float = 1.0,
    deadlines: tuple[str, ...] = ("2025-11-30", "2025-12-31"),
    created: str | None = None,
) -> Question:
    return Question(
        "e",
        "event",
        Kind.EVENT,
        OPENED,
        prior=prior,
        alpha=alpha,
        deadlines=tuple(parse_time(d) for d in deadlines),
        created_at=None if created is None else parse_time(created),
    )


def choice(*options: tuple[str, float]) -> Question:
    options = options or (("budapest", 0.5), ("elsewhere", 0.3), ("none", 0.2))
    return Question("c", "venue", Kind.CHOICE, OPENED, options=options)


def end(day: int) -> datetime:
    return OPENED + timedelta(days=day)


def odds(p: float) -> float:
    return p / (1 - p)


def prob(o: float) -> float:
    return o / (1 + o)


# --------------------------------------------------------------------------- layer 1


def test_reliability_discount_hand_values() -> None:
    # v2: LR 4 at r = 0.5 -> 1 / (1 - 0.5 (1 - 1/4)) = 1 / 0.625 = 1.6 (v1 gave 2.5)
    assert discounted_log_lr(math.log(4.0), 0.5) == pytest.approx(math.log(1.6))
    # LR 1/4 at r = 0.5 -> 1 - 0.5 (1 - 1/4) = 0.625 = 1 / 1.6: symmetric
    assert discounted_log_lr(math.log(0.25), 0.5) == pytest.approx(math.log(0.625))
    assert discounted_log_lr(math.log(4.0), 1.0) == pytest.approx(math.log(4.0))
    assert discounted_log_lr(math.log(4.0), 0.0) == 0.0


def test_weak_source_is_bounded_both_ways() -> None:
    # r = 0.3: the odds move by at most 1 / 0.7 for the claim and 0.7 against it.
    assert discounted_log_lr(math.log(1e-300), 0.3) == pytest.approx(math.log(0.7))
    assert discounted_log_lr(math.log(1e300), 0.3) == pytest.approx(-math.log(0.7))
    # The audit's case: r = 0.05, LR 1e6 multiplied the odds by 50,001 in v1.
    # v2: 1 / (1 - 0.05 (1 - 1e-6)) = 1.0526315...
    factor = math.exp(discounted_log_lr(math.log(1e6), 0.05))
    assert factor == pytest.approx(1 / (1 - 0.05 * (1 - 1e-6)))
    assert factor < 1 / 0.95


def _discount_exact(log_lr: float, r: float) -> float:
    """``-sign(x) log(1 - r + r e^-|x|)`` in 1000-digit decimal arithmetic: an independent oracle

    (enough digits for 1 - r + r e^-|x| to keep |x| down to the smallest subnormal)."""
    with localcontext() as ctx:
        ctx.prec = 1000
        x = Decimal(log_lr)
        inner = 1 - Decimal(r) + Decimal(r) * (-abs(x)).exp()
        return float(-Decimal(1).copy_sign(x) * inner.ln())


def test_a_fully_trusted_extreme_report_keeps_its_full_weight() -> None:
    # The audit's crash: r = 1 and |log LR| > 37 gave log1p(-1), a math domain error on every
    # read of the question. At r = 1 the discount is the identity, so the term is x itself.
    for x in (37.0, 38.0, 40.0, 700.0, 800.0, -38.0, -800.0):
        assert discounted_log_lr(x, 1.0) == x
    # r just below 1: at most -log(1 - r) = 36.04 for r = 1 - 2^-52, 36.74 for 1 - 2^-53.
    assert discounted_log_lr(800.0, 1 - 2**-52) == pytest.approx(52 * math.log(2), rel=1e-12)
    g = np.array([0.0, -50.0, -900.0, 2.0])
    assert np.array_equal(discounted_log_lr(g, 1.0), g)


@given(
    st.floats(-800.0, 800.0),
    st.one_of(st.floats(0.0, 1.0), st.sampled_from([0.5, 1.0, 1 - 2**-53, 1 - 1e-9, 1e-9])),
)
def test_discount_matches_high_precision_arithmetic(log_lr: float, r: float) -> None:
    expected = _discount_exact(log_lr, r)
    assert discounted_log_lr(log_lr, r) == pytest.approx(expected, rel=1e-13, abs=1e-300)


def test_the_same_report_on_a_question_and_its_negation() -> None:
    # The audit's case: "Will X happen?" gave 0.990 and "Will X not happen?" 0.526 in v1.
    yes = compute(binary(0.5), [item("r", 1, 1e6, r=0.05)], end(2)).final
    no = compute(binary(0.5), [item("r", 1, 1e-6, r=0.05)], end(2)).final
    assert yes == pytest.approx(prob(1 / (1 - 0.05 * (1 - 1e-6))))
    assert yes + no == pytest.approx(1.0)


def test_binary_single_report() -> None:
    # prior 0.2 -> odds 1/4; LR 3 from r = 0.6: 1 / (1 - 0.6 * 2/3) = 5/3
    # posterior odds 5/12 -> p = 5/17
    traj = compute(binary(0.2), [item("r1", 2, 3.0, r=0.6)], end(3))
    assert traj.probability[0] == pytest.approx(0.2)
    assert traj.probability[1] == pytest.approx(0.2)  # before the report's day
    assert traj.probability[2] == pytest.approx(5 / 17)
    assert traj.final == pytest.approx(5 / 17)


def test_echo_cluster_counts_once_with_the_most_reliable_members_lr() -> None:
    # Reuters (r 0.9, LR 0.2) and NBC (r 0.8, LR 0.4) relay one White House official.
    # Item reliability 1 - 0.1 * 0.2 = 0.98; LR: Reuters' 0.2 (the most reliable member).
    # Factor 1 - 0.98 * 0.8 = 0.216; prior 0.5 -> p = 0.216 / 1.216
    items = [
        item("reuters", 4, 0.2, r=0.9, origin="wh", source="Reuters"),
        item("nbc", 5, 0.4, r=0.8, origin="wh", source="NBC"),
    ]
    traj = compute(binary(0.5), items, end(6))
    assert traj.final == pytest.approx(0.216 / 1.216)
    # Reuters alone: 1 - 0.9 * 0.8 = 0.28
    assert [m.report_id for m in traj.moves] == ["reuters", "nbc"]
    assert traj.moves[0].after == pytest.approx(0.28 / 1.28)
    # As independent reports: 0.28 * (1 - 0.8 * 0.6) = 0.1456, further than the echo
    apart_items = [item("reuters", 4, 0.2, r=0.9), item("nbc", 5, 0.4, r=0.8)]
    apart = compute(binary(0.5), apart_items, end(6))
    assert apart.final == pytest.approx(0.1456 / 1.1456)
    assert apart.final < traj.final


def test_a_weak_echo_cannot_argue_against_the_claim() -> None:
    # The audit's case: Reuters (r 0.9, LR 10) takes 0.2 to 0.695 in v1; a blog (r 0.1) echoing
    # it at LR 1.5 brought it down to 0.475. v2: Reuters alone: 1 / (1 - 0.9 * 0.9) = 1/0.19,
    # odds 0.25 / 0.19 -> 0.5682. With the blog: r = 1 - 0.1 * 0.9 = 0.91, LR still 10:
    # 1 / (1 - 0.91 * 0.9) = 1 / 0.181, odds 0.25 / 0.181 -> 0.5801: up, not down.
    reuters = item("reuters", 1, 10.0, r=0.9, origin="leak", source="Reuters")
    blog = item("blog", 2, 1.5, r=0.1, origin="leak", source="Blog")
    alone = compute(binary(0.2), [reuters], end(3)).final
    both = compute(binary(0.2), [reuters, blog], end(3)).final
    assert alone == pytest.approx(prob(0.25 / 0.19))
    assert both == pytest.approx(prob(0.25 / 0.181))
    # Even an echo that reads the claim the other way only adds credibility to it.
    against = item("blog", 2, 0.5, r=0.1, origin="leak", source="Blog")
    assert compute(binary(0.2), [reuters, against], end(3)).final == pytest.approx(both)


def test_a_more_reliable_echo_replaces_the_weaker_reading() -> None:
    # Blog (r 0.5, LR 4) first, then Reuters (r 0.9, LR 2) on the same origin: the item's LR
    # becomes Reuters' 2, its reliability 1 - 0.5 * 0.1 = 0.95: 1 / (1 - 0.95 * 0.5) = 1/0.525
    blog = item("blog", 1, 4.0, r=0.5, origin="o", source="Blog")
    reuters = item("reuters", 2, 2.0, r=0.9, origin="o", source="Reuters")
    assert compute(binary(0.5), [blog, reuters], end(3)).final == pytest.approx(prob(1 / 0.525))


def test_a_source_repeating_itself_adds_no_reliability() -> None:
    # Reuters twice on one origin, LR 10 then 4: reliability stays 0.9, and the tied readings
    # keep the strongest, 10 (the milder telling does not pull the claim back):
    # factor 1 / (1 - 0.9 (1 - 1/10)) = 1 / 0.19
    a = item("r1", 1, 10.0, r=0.9, origin="o", source="Reuters")
    b = item("r2", 2, 4.0, r=0.9, origin="o", source="Reuters")
    traj = compute(binary(0.5), [a, b], end(3))
    assert traj.final == pytest.approx(prob(1 / 0.19))
    assert traj.moves[1].after == traj.moves[1].before
    # The stronger telling second: it replaces the first (1 / (1 - 0.9 * 3/4) = 1 / 0.325)
    milder = item("r2", 2, 1.5, r=0.9, origin="o", source="Reuters")
    stronger = item("r3", 3, 4.0, r=0.9, origin="o", source="Reuters")
    traj = compute(binary(0.5), [milder, stronger], end(4))
    assert traj.final == pytest.approx(prob(1 / 0.325))


def test_analysts_on_one_report_are_averaged_in_log_space() -> None:
    # LRs 2 and 8 at r = 0.5: factors 1 / (1 - 0.5/2) = 4/3 and 1 / (1 - 0.5 * 7/8) = 16/9;
    # the mean of the logs: sqrt(64/27)
    items = [item("r1", 1, 2.0, r=0.5, analyst="maria"), item("r1", 1, 8.0, r=0.5, analyst="ivan")]
    traj = compute(binary(0.5), items, end(2))
    assert traj.final == pytest.approx(prob(math.sqrt(64 / 27)))
    assert len(traj.moves) == 1  # one report counts once


def test_each_analyst_reads_the_most_reliable_member_they_assessed() -> None:
    # maria assessed both echoes (Reuters r 0.9 LR 3, blog r 0.3 LR 9); ivan only the blog (LR 5).
    # Item reliability 1 - 0.1 * 0.7 = 0.93. maria's LR: 3 (Reuters); ivan's: 5.
    # factors 1 / (1 - 0.93 * 2/3) = 1 / 0.38 and 1 / (1 - 0.93 * 4/5) = 1 / 0.256
    items = [
        item("reuters", 1, 3.0, r=0.9, origin="o", source="Reuters", analyst="maria"),
        item("blog", 2, 9.0, r=0.3, origin="o", source="Blog", analyst="maria"),
        item("blog", 2, 5.0, r=0.3, origin="o", source="Blog", analyst="ivan"),
    ]
    expected = math.sqrt(1 / 0.38 * 1 / 0.256)
    assert compute(binary(0.5), items, end(3)).final == pytest.approx(prob(expected))


def test_choice_posterior_hand_values() -> None:
    # likelihoods (2, 1, 1) at r = 0.8: P(report | k) ∝ 0.8 l_k + 0.2 * 2 = (2, 1.2, 1.2),
    # so relative factors (5/3, 1, 1); weights (0.5 * 5/3, 0.3, 0.2) / (4/3)
    traj = compute(choice(), [item("r1", 1, [2.0, 1.0, 1.0], r=0.8)], end(2))
    np.testing.assert_allclose(traj.final, [0.625, 0.225, 0.15])
    np.testing.assert_allclose(traj.probability[0], [0.5, 0.3, 0.2])
    assert traj.probability.sum(axis=1) == pytest.approx(np.ones(len(traj.days)))


def test_choice_does_not_depend_on_the_likelihoods_scale() -> None:
    # The audit's case: x=4 gave 0.464 and the equivalent y=0.25, z=0.25 gave 0.419 in v1.
    q = choice(("x", 0.3), ("y", 0.3), ("z", 0.4))
    a = compute(q, [item("r", 1, [4.0, 1.0, 1.0], r=0.6)], end(2)).final
    b = compute(q, [item("r", 1, [1.0, 0.25, 0.25], r=0.6)], end(2)).final
    np.testing.assert_allclose(a, b, rtol=1e-12)
    # by hand: factor for x = 4 / (0.6 + 0.4 * 4) = 4 / 2.2 against 1 for y and z
    w = np.array([0.3 * 4 / 2.2, 0.3, 0.4])
    np.testing.assert_allclose(a, w / w.sum())


def test_echo_reliability() -> None:
    assert echo_reliability([0.9, 0.8]) == pytest.approx(0.98)
    assert echo_reliability([0.0, 0.0]) == 0.0


# --------------------------------------------------------------------------- layer 2

# Deadlines 2025-11-30 and 2025-12-31 from 2025-10-16: day indices 45 and 76. "By D" includes
# day D, so the prior covers days 0..45: 46 days. Alpha 1: S(x) = b / (b + x) and
# b / (b + 46) = 0.7 -> b = 0.7 * 46 / 0.3.
B = 0.7 * 46 / 0.3


def test_event_prior_and_silence_hand_values() -> None:
    traj = compute(event(), [], end(46))
    assert traj.probability[0] == pytest.approx(0.3)
    # day t rules out days before t: P(by D1) = 1 - (b + t) / (b + 46)
    assert traj.probability[5] == pytest.approx(1 - (B + 5) / (B + 46))
    assert traj.ladder[0, 1] == pytest.approx(1 - B / (B + 77))
    assert traj.ladder[5, 1] == pytest.approx(1 - (B + 5) / (B + 77))


def test_a_deadline_includes_its_own_day() -> None:
    # On 2025-11-30 (day 45) the event can still happen that day: 1 - (b + 45) / (b + 46).
    traj = compute(event(), [], end(46))
    assert traj.ladder[45, 0] == pytest.approx(1 / (B + 46))
    # The next day the first rung is past, and the headline follows the second: nothing reads
    # 0 while a later rung is live.
    assert traj.ladder[46, 0] == 0.0
    assert traj.probability[46] == pytest.approx(1 - (B + 46) / (B + 77))
    assert traj.probability[46] == traj.ladder[46, 1]


def test_event_report_multiplies_the_odds_of_the_next_deadline() -> None:
    # day 5: odds of D1 = (S5 - S46) / S46 = 41 / (b + 5); LR 0.5 (r 1) -> 20.5 / (b + 5).
    # day 6: 0.5 * 40 / (b + 6). D2 on day 6: (0.5 (S6 - S46) + S46 - S77) / S6.
    q = event()
    traj = compute(q, [event_item(q, "r1", 5, 0.5)], end(6))
    assert traj.probability[5] == pytest.approx(prob(20.5 / (B + 5)))
    assert traj.probability[6] == pytest.approx(prob(20 / (B + 6)))

    def s(x: float) -> float:
        return B / (B + x)

    # D2 on day 6: the halved days 6..45 and the untouched 46..76 over everything left
    left = 0.5 * (s(6) - s(46)) + s(46)
    assert traj.ladder[6, 1] == pytest.approx((left - s(77)) / left)
    move = traj.moves[0]
    assert move.before == pytest.approx(prob(41 / (B + 5)))
    assert move.after == pytest.approx(prob(20.5 / (B + 5)))
    assert move.increment == pytest.approx(math.log(0.5))


def test_a_scheduled_event_does_not_decay_away() -> None:
    # The audit's case: "summit set for 15 December" (LR 20) lifted P(by Dec 31) to 0.87 in v1,
    # and silence took it to 0.18 on 14 December. v2 points the report at the date itself:
    # day 60 (2025-12-15) times 20. On day t <= 60 the odds of D2 are
    # (S(t) - S(77) + 19 (S(60) - S(61))) / S(77). Silence rules out the *other* days, and
    # the scheduled day's own probability rises as it comes.
    q = event()
    summit = event_item(q, "r", 30, 20.0, Target(around=parse_time("2025-12-15")))
    traj = compute(q, [summit], end(60))

    def s(x: float) -> float:
        return B / (B + x)

    def p_by_d2(t: int) -> float:
        inside = s(t) - s(77) + 19 * (s(60) - s(61))
        return inside / (inside + s(77))

    def p_on_the_day(t: int) -> float:  # P(first on Dec 15 | not before day t)
        return 20 * (s(60) - s(61)) / (s(t) + 19 * (s(60) - s(61)))

    for t in (30, 45, 59, 60):
        assert traj.ladder[t, 1] == pytest.approx(p_by_d2(t))
    assert p_on_the_day(30) < p_on_the_day(59) < p_on_the_day(60)
    # An announcement both governments confirm (LR 2000): on the 14th the summit still
    # carries P(by Dec 31), and "when" names the day.
    sure = event_item(q, "r", 30, 2000.0, Target(around=parse_time("2025-12-15")))
    traj = compute(q, [sure], end(59))
    inside = s(59) - s(77) + 1999 * (s(60) - s(61))
    assert traj.ladder[59, 1] == pytest.approx(inside / (inside + s(77)))
    assert traj.ladder[30, 1] > 0.9 and traj.ladder[59, 1] > 0.9  # v1: 0.18 by the 14th
    w = traj.when()
    assert w is not None and w.median == parse_time("2025-12-15")
    assert w.p50 == (parse_time("2025-12-15"), parse_time("2025-12-15"))


def test_a_report_by_a_later_deadline() -> None:
    # --by 2025-12-31: days 0..76 times 4 (r 1). On day 10, D2's odds are 4 (S10 - S77) / S77.
    q = event()
    report = event_item(q, "r", 10, 4.0, Target(by=parse_time("2025-12-31")))
    traj = compute(q, [report], end(10))

    def s(x: float) -> float:
        return B / (B + x)

    assert traj.ladder[10, 1] == pytest.approx(prob(4 * (s(10) - s(77)) / s(77)))
    # D1 is inside the same days, so its odds do not move: (S10 - S46) / (S46 - S77 + S77 / 4)
    inner = 4 * (s(10) - s(46))
    assert traj.ladder[10, 0] == pytest.approx(inner / (inner + 4 * (s(46) - s(77)) + s(77)))


def test_a_prior_holds_when_it_is_stated() -> None:
    # The audit's case: created 30 days after its opening, prior 0.30 showed 22.6% at once.
    # v2 anchors the prior on the day it was stated (day 30): P(by D1 on day 30) = 0.3.
    q = event(created="2025-11-15")
    traj = compute(q, [], end(35))
    assert traj.probability[30] == pytest.approx(0.3)
    assert traj.probability[0] == pytest.approx(0.3)  # nothing before the prior was stated
    # from there the horizon is days 30..45: 16 days; b' / (b' + 16) = 0.7
    b = 0.7 * 16 / 0.3
    assert traj.probability[35] == pytest.approx(1 - (b + 5) / (b + 16))


def test_event_alpha_two_hand_values() -> None:
    # alpha 2: (b / (b + 46))^2 = 0.7 -> b = 46 sqrt(.7) / (1 - sqrt(.7)); day 10 from the formula
    s = math.sqrt(0.7)
    b = 46 * s / (1 - s)
    traj = compute(event(alpha=2.0), [], end(10))
    assert traj.probability[10] == pytest.approx(1 - ((b + 10) / (b + 46)) ** 2)


def test_event_day_cells_match_a_simulation_of_the_lomax_law() -> None:
    # Draw the rate from the Gamma prior, an event time from the rate, and compare the daily
    # cells of the prior (and the conditional ladder on day 20) with the simulated frequencies.
    rng = np.random.default_rng(20251016)
    alpha = 1.7
    q = event(alpha=alpha)
    b = rate_for_probability(math.log(0.3 / 0.7), 46.0, alpha)
    rate = rng.gamma(alpha, 1.0 / b, size=2_000_000)
    day = np.floor(rng.exponential(1.0 / rate))
    cells = np.exp(Calendar(q).prior())
    simulated = np.bincount(np.minimum(day, 77).astype(int), minlength=78) / len(day)
    se = np.sqrt(cells * (1 - cells) / len(day))
    assert np.all(np.abs(simulated - cells) < 5 * se + 1e-12)
    alive = day >= 20
    traj = compute(q, [], end(20))
    sim_ladder = [np.mean(day[alive] <= 45), np.mean(day[alive] <= 76)]
    np.testing.assert_allclose(traj.ladder[20], sim_ladder, atol=4 * math.sqrt(0.25 / alive.sum()))
    exact = float(probability_within(np.array(b + 20), np.array(46.0 - 20), alpha))
    assert traj.ladder[20, 0] == pytest.approx(exact)


def test_event_after_a_passed_deadline_uses_the_next_one() -> None:
    q = event(deadlines=("2025-10-20", "2025-10-31"))
    traj = compute(q, [event_item(q, "r1", 6, 2.0)], end(8))
    assert traj.ladder[6, 0] == 0.0  # the first deadline (day 4) has passed
    before = compute(q, [], end(6)).ladder[6, 1]
    # the report doubled the odds of the second deadline on day 6
    assert traj.moves[0].ladder_after[1] == pytest.approx(prob(2 * odds(before)))
    assert traj.moves[0].after == pytest.approx(prob(2 * odds(before)))


def test_explain_waterfall_and_leave_one_out() -> None:
    items = [item("r1", 1, 3.0, r=0.9), item("r2", 3, 0.5, r=0.6)]
    contributions = explain(binary(0.4), items, end(4))
    final = compute(binary(0.4), items, end(4)).final
    assert sum(c.points for c in contributions) == pytest.approx(final - 0.4)
    only_r2 = compute(binary(0.4), items[1:], end(4)).final
    assert contributions[0].without == pytest.approx(only_r2)


def test_when_on_the_prior() -> None:
    # alpha 1, b = 107.33: the median day m is the first with 1 - b / (b + m + 1) >= 0.5,
    # i.e. m + 1 >= b: m = 107, after the last deadline (day 76): no median inside the ladder.
    traj = compute(event(), [], end(0))
    w = traj.when()
    assert w is not None
    assert w.median is None and w.p50 is None
    assert w.beyond == pytest.approx(B / (B + 77))
    assert w.probability.sum() + w.beyond == pytest.approx(1.0)
    # a near-certain prior: P(by D1) = 0.99 -> the median is early
    sure = compute(event(prior=0.99), [], end(0)).when()
    assert sure is not None and sure.median is not None and sure.p90 is not None
    assert sure.median <= parse_time("2025-11-30")


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
priors = st.floats(0.01, 0.99)


def _item_for(q: Question, name: str, day: int, lr: float, **kw) -> Item:
    return event_item(q, name, day, lr, **kw) if q.kind is Kind.EVENT else item(name, day, lr, **kw)


@settings(max_examples=200, deadline=None)
@given(prior=priors, lr1=lrs, lr2=lrs, r=rels, day=days, kind=st.sampled_from(["binary", "event"]))
def test_final_probability_is_monotone_in_lr(
    prior: float, lr1: float, lr2: float, r: float, day: int, kind: str
) -> None:
    q = binary(prior) if kind == "binary" else event(prior)
    lo, hi = sorted([lr1, lr2])
    p_lo = compute(q, [_item_for(q, "r", day, lo, r=r)], end(14)).final
    p_hi = compute(q, [_item_for(q, "r", day, hi, r=r)], end(14)).final
    assert p_lo <= p_hi + 1e-12


@settings(max_examples=200, deadline=None)
@given(prior=priors, lr=lrs, day=days, kind=st.sampled_from(["binary", "event"]))
def test_reliability_zero_changes_nothing(prior: float, lr: float, day: int, kind: str) -> None:
    q = binary(prior) if kind == "binary" else event(prior)
    with_report = compute(q, [_item_for(q, "r", day, lr, r=0.0)], end(14))
    without = compute(q, [], end(14))
    np.testing.assert_allclose(with_report.probability, without.probability, rtol=1e-12)


@settings(max_examples=200, deadline=None)
@given(prior=priors, reports=st.lists(st.tuples(days, lrs, rels), max_size=6))
def test_a_question_and_its_negation_sum_to_one(
    prior: float, reports: list[tuple[int, float, float]]
) -> None:
    yes = [item(f"r{i}", d, lr, r=r) for i, (d, lr, r) in enumerate(reports)]
    no = [item(f"r{i}", d, 1 / lr, r=r) for i, (d, lr, r) in enumerate(reports)]
    p = compute(binary(prior), yes, end(14)).probability
    p_not = compute(binary(1 - prior), no, end(14)).probability
    np.testing.assert_allclose(p + p_not, 1.0, rtol=1e-9)


@settings(max_examples=200, deadline=None)
@given(
    likelihoods=st.lists(lrs, min_size=3, max_size=3),
    scale=st.floats(1e-3, 1e3),
    r=rels,
)
def test_choice_is_invariant_to_the_likelihoods_baseline(
    likelihoods: list[float], scale: float, r: float
) -> None:
    q = choice()
    a = compute(q, [item("r", 1, likelihoods, r=r)], end(2)).final
    b = compute(q, [item("r", 1, [x * scale for x in likelihoods], r=r)], end(2)).final
    np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)


@settings(max_examples=200, deadline=None)
@given(prior=priors, lr=st.floats(1e-300, 1e300), r=st.floats(0.0, 0.999))
def test_bounded_by_one_minus_r_both_ways(prior: float, lr: float, r: float) -> None:
    p = compute(binary(prior), [item("r", 1, lr, r=r)], end(2)).final
    odds_ratio = odds(p) / odds(prior)
    assert (1 - r) * (1 - 1e-9) <= odds_ratio <= (1 + 1e-9) / (1 - r)


@settings(max_examples=200, deadline=None)
@given(prior=priors, lr1=lrs, r1=rels, lr2=lrs, fraction=st.floats(0.0, 0.999))
def test_a_less_reliable_echo_never_pulls_the_claim_back(
    prior: float, lr1: float, r1: float, lr2: float, fraction: float
) -> None:
    first = item("a", 1, lr1, r=r1, origin="o", source="A")
    echo = item("b", 2, lr2, r=r1 * fraction, origin="o", source="B")
    alone = compute(binary(prior), [first], end(3)).final
    both = compute(binary(prior), [first, echo], end(3)).final
    if lr1 >= 1:
        assert both >= alone - 1e-12
    else:
        assert both <= alone + 1e-12


@settings(max_examples=100, deadline=None)
@given(prior=priors, lr=lrs, r=rels, kind=st.sampled_from(["binary", "event"]))
def test_a_source_repeating_itself_changes_nothing(
    prior: float, lr: float, r: float, kind: str
) -> None:
    q = binary(prior) if kind == "binary" else event(prior)
    once = [_item_for(q, "a", 1, lr, r=r, origin="o", source="S")]
    twice = [*once, _item_for(q, "b", 2, lr, r=r, origin="o", source="S")]
    np.testing.assert_allclose(
        compute(q, once, end(5)).probability, compute(q, twice, end(5)).probability, rtol=1e-12
    )


@settings(max_examples=200, deadline=None)
@given(
    prior=priors,
    alpha=st.floats(0.2, 20.0),
    reports=st.lists(st.tuples(days, lrs, rels, st.integers(0, 3)), max_size=6),
    at=st.integers(0, 80),
)
def test_date_vector_sums_to_one_and_matches_the_ladder(
    prior: float, alpha: float, reports: list[tuple[int, float, float, int]], at: int
) -> None:
    q = event(prior, alpha, deadlines=("2025-10-25", "2025-11-30", "2025-12-31"))
    targets = [
        Target(),
        Target(by=parse_time("2025-12-31")),
        Target(around=parse_time("2025-11-10"), within=3),
        Target(around=parse_time("2025-10-20")),
    ]
    items = [
        event_item(q, f"r{i}", d, lr, targets[k], r=r) for i, (d, lr, r, k) in enumerate(reports)
    ]
    traj = compute(q, items, end(at))
    ladder = traj.ladder
    assert np.all(np.diff(ladder, axis=1) >= -1e-12)
    assert np.all((ladder >= 0) & (ladder <= 1))
    w = traj.when()
    assert w is not None
    assert w.probability.sum() + w.beyond == pytest.approx(1.0)
    cdf = np.cumsum(w.probability)
    for k, deadline in enumerate(q.deadlines):
        index = (deadline - end(at)).days
        expected = cdf[index] if index >= 0 else 0.0
        assert ladder[-1, k] == pytest.approx(expected, abs=1e-9)
