"""Every rule of the API, one test each, through ``Tracker`` on a fresh SQLite store.

A rule is tested by the message it gives (the analyst reads that line) and by what it
leaves behind: nothing. Each case runs on a small world (a binary, an event and a choice
question, one source, one report) and checks that the refused call stored no row at all.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from support import Clock

from forecast.api import Judgement, Tracker
from forecast.domain import ForecastError, Kind, NotFound, Question

OPENED = datetime(2025, 3, 1, tzinfo=UTC)
DEADLINE = datetime(2025, 3, 31, tzinfo=UTC)


@pytest.fixture
def clock() -> Clock:
    return Clock(OPENED + timedelta(hours=1))


@pytest.fixture
def world(tmp_path: Path, clock: Clock) -> Tracker:
    tracker = Tracker.open(str(tmp_path / "rules.db"), clock=clock, user="ann")
    tracker.add_question(Question("b", "Binary", Kind.BINARY, OPENED, prior=0.3))
    tracker.add_question(
        Question("e", "Event", Kind.EVENT, OPENED, prior=0.4, deadlines=(DEADLINE,))
    )
    tracker.add_question(
        Question("c", "Choice", Kind.CHOICE, OPENED, options=(("x", 0.5), ("y", 0.5)))
    )
    tracker.add_source("Wire", 0.8)
    clock.now = OPENED + timedelta(days=2)
    tracker.add_evidence("b", lr=2.0, source="Wire", published=OPENED + timedelta(days=1),
                         new_report_id="r1")  # fmt: skip
    return tracker


def refused(
    tracker: Tracker, call: Callable[[], object], message: str, error: type = ForecastError
) -> None:
    """``call`` is refused with ``message`` (a regular expression), and nothing is stored."""
    before = tracker.counts()
    with pytest.raises(error, match=message):
        call()
    assert tracker.counts() == before, "a refused call stored something"


DAY = timedelta(days=1)


# --------------------------------------------------------------------------- questions


def test_a_question_id_is_taken_once(world: Tracker) -> None:
    again = Question("b", "Binary again", Kind.BINARY, OPENED, prior=0.5)
    refused(world, lambda: world.add_question(again), "question 'b' already exists")


def test_a_question_creation_time_comes_from_the_store_clock(world: Tracker) -> None:
    typed = Question("new", "New", Kind.BINARY, OPENED, prior=0.5, created_at=OPENED)
    refused(world, lambda: world.add_question(typed), "its creation time comes from the store")


def test_a_question_of_an_unknown_kind_is_refused(world: Tracker) -> None:
    odd = replace(Question("new", "New", Kind.BINARY, OPENED, prior=0.5), kind="numeric")  # type: ignore[arg-type]
    refused(world, lambda: world.add_question(odd), "kind 'numeric' is not one of")


def test_an_event_question_needs_a_deadline(world: Tracker) -> None:
    bare = Question("new", "New", Kind.EVENT, OPENED, prior=0.5)
    refused(world, lambda: world.add_question(bare), "needs at least one deadline")


def test_choice_priors_sum_to_one(world: Tracker) -> None:
    bad = Question("new", "New", Kind.CHOICE, OPENED, options=(("x", 0.5), ("y", 0.6)))
    refused(world, lambda: world.add_question(bad), "the option priors must sum to 1")


# --------------------------------------------------------------------------- sources


@pytest.mark.parametrize("reliability", [1.5, -0.2])
def test_reliability_lies_in_zero_one(world: Tracker, reliability: float) -> None:
    # 0 is allowed: a source whose reports move nothing (the discount leaves LR 1).
    refused(
        world,
        lambda: world.add_source("Other", reliability),
        f"reliability must be between 0 and 1, not {reliability:g}",
    )


def test_a_rerating_needs_a_known_source_and_a_reason(world: Tracker) -> None:
    refused(world, lambda: world.update_source("Nobody", reliability=0.5, reason="x"),
            "no source 'Nobody'", NotFound)  # fmt: skip
    refused(world, lambda: world.update_source("Wire", reliability=0.5, reason=""),
            "a new version of a source needs a reason")  # fmt: skip


# --------------------------------------------------------------------------- evidence


def test_one_assessment_per_analyst_report_and_question(world: Tracker) -> None:
    again = lambda: world.add_evidence("b", lr=3.0, report_id="r1")  # noqa: E731
    refused(world, again, r"ann already assessed report r1 for b \(assessment .+\): correct")


def test_another_analyst_may_assess_the_same_report(world: Tracker) -> None:
    _, mine = world.add_evidence("b", lr=3.0, report_id="r1", analyst="bob")
    assert mine.analyst == "bob"


def test_a_report_before_the_question_opened_is_refused(world: Tracker) -> None:
    early = OPENED - DAY
    refused(world, lambda: world.add_evidence("b", lr=2.0, source="Wire", published=early),
            "predates question b .*the prior already covers it")  # fmt: skip


def test_a_report_after_an_events_last_deadline_is_refused(world: Tracker, clock: Clock) -> None:
    clock.now = DEADLINE + 5 * DAY
    late = DEADLINE + 2 * DAY
    refused(world, lambda: world.add_evidence("e", lr=2.0, source="Wire", published=late),
            "dated after the last deadline of e .*resolve the question instead")  # fmt: skip


def test_a_report_on_the_last_deadlines_day_still_counts(world: Tracker, clock: Clock) -> None:
    clock.now = DEADLINE + 5 * DAY
    report, _ = world.add_evidence("e", lr=2.0, source="Wire", published=DEADLINE)
    assert report.published == DEADLINE  # "by D" includes all of day D


def test_a_resolved_question_takes_no_more_evidence(world: Tracker, clock: Clock) -> None:
    world.resolve("b", "yes", OPENED + 3 * DAY)
    clock.now += DAY
    refused(world, lambda: world.add_evidence("b", lr=2.0, source="Wire",
                                              published=OPENED + 2 * DAY),
            "question b was resolved .*it takes no more evidence")  # fmt: skip


def test_a_report_cannot_be_published_after_it_was_logged(world: Tracker, clock: Clock) -> None:
    future = clock.now + DAY
    refused(world, lambda: world.add_evidence("b", lr=2.0, source="Wire", published=future),
            "is published .*, after it was logged")  # fmt: skip


def test_evidence_needs_a_known_source(world: Tracker) -> None:
    refused(world, lambda: world.add_evidence("b", lr=2.0, source="Nobody",
                                              published=OPENED + DAY),
            "no source 'Nobody': add it with `forecast source add`", NotFound)  # fmt: skip


def test_evidence_needs_a_known_question(world: Tracker) -> None:
    refused(world, lambda: world.add_evidence("zz", lr=2.0, source="Wire",
                                              published=OPENED + DAY),
            "no question 'zz'", NotFound)  # fmt: skip


def test_a_new_report_needs_its_source_and_publication(world: Tracker) -> None:
    refused(world, lambda: world.add_evidence("b", lr=2.0),
            "a new report needs a source and a published time")  # fmt: skip


def test_a_report_is_assessed_for_at_least_one_question_each_once(world: Tracker) -> None:
    at = {"source": "Wire", "published": OPENED + DAY}
    refused(world, lambda: world.log_evidence([], **at),
            "assess the report against at least one question")  # fmt: skip
    twice = [Judgement("b", lr=2.0), Judgement("b", lr=3.0)]
    refused(world, lambda: world.log_evidence(twice, **at),
            "each question can be assessed once per report")  # fmt: skip


def test_a_judgement_gives_exactly_one_measure(world: Tracker) -> None:
    both = Judgement("b", lr=2.0, strength="strong")
    refused(world, lambda: world.log_evidence([both], report_id="r1", analyst="bob"),
            "give exactly one of a likelihood ratio, a strength or likelihoods per "
            "option")  # fmt: skip


@pytest.mark.parametrize("lr", [0.0, -1.0])
def test_a_likelihood_ratio_is_positive(world: Tracker, lr: float) -> None:
    refused(world, lambda: world.add_evidence("b", lr=lr, report_id="r1", analyst="bob"),
            "must be greater than 0")  # fmt: skip


def test_an_existing_report_keeps_its_source_and_date(world: Tracker) -> None:
    refused(world, lambda: world.add_evidence("e", lr=2.0, report_id="r1", source="Other"),
            "report 'r1' is from 'Wire', not 'Other'")  # fmt: skip
    refused(world, lambda: world.add_evidence("e", lr=2.0, report_id="r1",
                                              published=OPENED + 2 * DAY),
            "report 'r1' was published 2025-03-02, not 2025-03-03")  # fmt: skip


def test_a_retracted_report_takes_no_more_assessments(world: Tracker) -> None:
    world.retract_report("r1", reason="fabricated")
    refused(world, lambda: world.add_evidence("e", lr=2.0, report_id="r1"),
            "report 'r1' was retracted")  # fmt: skip


def test_a_retraction_is_made_once(world: Tracker, clock: Clock) -> None:
    (a,) = world.history(["b"]).assessments
    world.correct_assessment(a.id, reason="misread", retract=True)
    refused(world, lambda: world.correct_assessment(a.id, reason="again", retract=True),
            rf"assessment '{a.id}' was already retracted on 2025-03-03 \(misread\)")  # fmt: skip
    clock.now += DAY
    world.retract_report("r1", reason="fabricated")
    refused(world, lambda: world.retract_report("r1", reason="still fabricated"),
            r"report 'r1' was already retracted on 2025-03-04 \(fabricated\)")  # fmt: skip


def test_corrections_and_retractions_say_why(world: Tracker) -> None:
    (a,) = world.history(["b"]).assessments
    refused(world, lambda: world.correct_assessment(a.id, lr=3.0, reason=" "),
            r"^a correction needs a reason$")  # fmt: skip
    refused(world, lambda: world.retract_report("r1", reason=""),
            r"^a retraction needs a reason$")  # fmt: skip
    refused(world, lambda: world.correct_assessment("nope", lr=3.0, reason="typo"),
            "no assessment 'nope'", NotFound)  # fmt: skip


# --------------------------------------------------------------------------- judgements


def test_a_choice_judgement_is_a_full_vector(world: Tracker) -> None:
    refused(world, lambda: world.judge("c", 0.4),
            "question c is a choice question: give OPTION=P for each")  # fmt: skip
    refused(world, lambda: world.judge("c", [("x", 0.5), ("z", 0.5)]),
            "question c has no option 'z'")  # fmt: skip
    refused(world, lambda: world.judge("c", [("x", 0.7), ("y", 0.5)]),
            "the probabilities must sum to 1")  # fmt: skip
    refused(world, lambda: world.judge("b", [("x", 1.0)]),
            "question b takes one probability, not a vector")  # fmt: skip


def test_a_resolved_or_waiting_question_takes_no_judgement(world: Tracker, clock: Clock) -> None:
    clock.now = DEADLINE + 3 * DAY
    refused(world, lambda: world.judge("e", 0.2),
            "question e is awaiting resolution .*resolve it instead")  # fmt: skip
    world.resolve("b", "no", OPENED + 4 * DAY)
    refused(world, lambda: world.judge("b", 0.2),
            "question b was resolved: it takes no more judgements")  # fmt: skip


def test_a_judgement_at_the_edge_of_double_precision_keeps_the_question_readable(
    world: Tracker,
) -> None:
    # 1 - 2^-53 from 41.7% (odds 5/7) is an LR of about 1.3e16 (log 37.07) at reliability 1:
    # every later read of the question failed with a math domain error in the discount.
    world.judge("b", 1 - 2**-53)
    high = world.state("b").headline.probability
    assert high == pytest.approx(1.0, abs=1e-15)
    # From there, 5e-324 would need an LR below the smallest double: refused, by name.
    refused(world, lambda: world.judge("b", 5e-324),
            "a judgement of 4.94066e-324 from 1 is beyond what a likelihood ratio")  # fmt: skip
    world.judge("b", 1e-300)  # an LR of about 1e-300 / 9e15, a subnormal: still carried
    assert world.state("b").headline.probability == pytest.approx(1e-300, rel=1e-6)


# --------------------------------------------------------------------------- resolutions


def test_a_question_is_resolved_once_then_corrected(world: Tracker) -> None:
    world.resolve("b", "yes", OPENED + 3 * DAY)
    refused(world, lambda: world.resolve("b", "no", OPENED + 3 * DAY),
            "question b is already resolved; a change of resolution is a correction")  # fmt: skip
    refused(world, lambda: world.resolve("c", "x", OPENED + 3 * DAY, correction=True),
            "question c has no resolution to correct")  # fmt: skip


def test_an_outcome_must_be_one_the_question_has(world: Tracker) -> None:
    refused(world, lambda: world.resolve("c", "z", OPENED + 3 * DAY), "'z'")


# --------------------------------------------------------------------------- reads


def test_a_read_far_in_the_future_is_a_typo(world: Tracker, clock: Clock) -> None:
    refused(world, lambda: world.state("b", as_of=clock.now + timedelta(days=3661)),
            "is more than ten years ahead")  # fmt: skip


def test_a_read_of_an_unknown_question(world: Tracker) -> None:
    refused(world, lambda: world.state("zz"), "no question 'zz'", NotFound)
