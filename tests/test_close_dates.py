"""A close date on every question: binary and choice questions say when they are to be
resolved by, and then await resolution, count days left and come up as near, as event
questions do with their last deadline."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from support import Clock

from forecast.api import AWAITING, Tracker
from forecast.clock import parse_time
from forecast.domain import ForecastError, Kind, Question
from forecast.reports import render, weekly

OPENED = datetime(2026, 11, 1, tzinfo=UTC)
CLOSES = datetime(2026, 11, 30, tzinfo=UTC)
DAY = timedelta(days=1)


@pytest.fixture
def clock() -> Clock:
    return Clock(OPENED + timedelta(hours=1))


@pytest.fixture
def world(tmp_path: Path, clock: Clock) -> Tracker:
    tracker = Tracker.open(str(tmp_path / "close.db"), clock=clock, user="ann")
    tracker.add_question(Question("b", "Cut?", Kind.BINARY, OPENED, prior=0.3, closes=CLOSES))
    options = (("x", 0.6), ("y", 0.4))
    tracker.add_question(
        Question("c", "Who?", Kind.CHOICE, OPENED, options=options, closes=CLOSES + 10 * DAY)
    )
    tracker.add_question(
        Question("e", "Meet?", Kind.EVENT, OPENED, prior=0.4, deadlines=(CLOSES + 20 * DAY,))
    )
    tracker.add_question(Question("n", "No close", Kind.BINARY, OPENED, prior=0.5))
    return tracker


def test_days_left_and_awaiting_count_the_close_day_in(world: Tracker) -> None:
    on_the_day = CLOSES + timedelta(hours=23, minutes=59)
    day_after = CLOSES + DAY
    assert world.state("b", as_of=CLOSES - 3 * DAY).days_left == 3
    state = world.state("b", as_of=on_the_day)
    assert (state.days_left, state.status_label) == (0, "open")  # "by D" includes D
    state = world.state("b", as_of=day_after)
    assert (state.days_left, state.status_label) == (-1, AWAITING)
    assert world.state("c", as_of=day_after).days_left == 9
    assert world.state("e", as_of=day_after).days_left == 19  # an event: its last deadline
    assert world.state("n", as_of=day_after).days_left is None
    assert world.state("n", as_of=day_after).status_label == "open"


def test_the_json_carries_the_close(world: Tracker) -> None:
    data = world.state("b", as_of=CLOSES - DAY).to_json()
    assert (data["closes"], data["days_left"]) == ("2026-11-30", 1)
    assert world.state("e", as_of=OPENED + DAY).to_json()["closes"] == "2026-12-20"
    assert world.state("n", as_of=OPENED + DAY).to_json()["closes"] is None


def test_a_closed_question_takes_no_judgement_but_its_resolution(
    world: Tracker, clock: Clock
) -> None:
    clock.now = CLOSES + DAY
    with pytest.raises(ForecastError, match="question b is awaiting resolution"):
        world.judge("b", 0.5)
    world.resolve("b", "yes", CLOSES)
    assert world.state("b").status_label == "resolved"


@pytest.mark.parametrize(
    ("question", "message"),
    [
        (
            Question("x", "X", Kind.EVENT, OPENED, prior=0.4, deadlines=(CLOSES,), closes=CLOSES),
            "an event question closes with its last deadline: give deadlines, not a close date",
        ),
        (
            Question("x", "X", Kind.BINARY, OPENED, prior=0.4, closes=OPENED),
            "close date 2026-11-01 is not after the opened date 2026-11-01",
        ),
    ],
)
def test_close_date_rules_say_why(world: Tracker, question: Question, message: str) -> None:
    before = world.counts()
    with pytest.raises(ForecastError, match=message):
        world.add_question(question)
    assert world.counts() == before


def test_the_weekly_report_lists_closes_that_are_near(world: Tracker, clock: Clock) -> None:
    clock.now = parse_time("2026-11-23T12:00:00Z")
    stats = weekly.build(world, "2026-W47")  # ends on Sunday 2026-11-22
    near = {line.question.id: line for line in stats.near_deadline}
    assert set(near) == {"b"}  # c closes in 18 days, e's deadline is in 28: beyond 14
    assert (near["b"].days, near["b"].probability) == (8, pytest.approx(0.3))
    clock.now = parse_time("2026-12-07T12:00:00Z")
    stats = weekly.build(world, "2026-W49")  # ends on Sunday 2026-12-06
    near = {line.question.id: line for line in stats.near_deadline}
    assert (near["b"].days, near["c"].days) == (-6, 4)  # b passed: awaiting resolution
    assert near["c"].probability == {"x": pytest.approx(0.6), "y": pytest.approx(0.4)}
    page = render.markdown(stats)
    assert "Cut? (b): its close date, 2026-11-30, passed 6 days before the end of" in page
    assert "Who? (c): x 60.0%, y 40.0% by 2026-12-10 (its close date), 4 days after" in page


def test_the_close_date_survives_export_and_import(world: Tracker, tmp_path: Path) -> None:
    copy = Tracker.open(str(tmp_path / "copy.db"), user="bob")
    copy.import_scenario(world.export_scenario())
    assert copy.question("b").closes == CLOSES
    assert copy.question("c").closes == CLOSES + 10 * DAY
    assert copy.question("e").closes is None and copy.question("e").close == CLOSES + 20 * DAY


def test_a_judgement_after_the_close_date_is_refused_by_name(
    world: Tracker, clock: Clock
) -> None:
    clock.now = CLOSES + DAY + timedelta(hours=1)
    with pytest.raises(ForecastError) as caught:
        world.judge("b", 0.6, rationale="late")
    assert str(caught.value) == (
        "question b is awaiting resolution (its close date has passed): resolve it instead"
    )
