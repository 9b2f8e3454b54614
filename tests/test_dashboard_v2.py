"""The dashboard on model v2: what an event report points to, "I am now at P", the date
distribution of an event question, and headlines that are the engine's own numbers."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest
from dashboard_support import STORY_DAY, counts, errors, run_app, submit, texts
from streamlit.testing.v1 import AppTest

from dashboards import frames, text
from forecast.api import JUDGEMENT_SOURCE, Tracker
from forecast.clock import day_start, end_of_day
from forecast.domain import Assessment, Kind, Question

EVENT = "putin-trump-meeting"  # deadlines 2025-11-30 and 2025-12-31
BINARY = "russia-ceasefire-line"
CHOICE = "summit-venue"
AFTER_FIRST = date(2025, 12, 5)  # past the event question's first deadline, before its last
JUDGEMENT_MODE = "A probability judgement (I am now at P)"
FUTURE = "summit-ahead"  # the ``ahead`` fixture's question


@pytest.fixture
def tracker(db: Path) -> Tracker:
    return Tracker.open(str(db))


@pytest.fixture
def ahead(tracker: Tracker) -> str:
    """An event question whose deadlines are still ahead today (knowledge time is the
    server's clock: the demo's deadlines have passed, so "now" judgements need this)."""
    today = day_start(tracker.now())
    tracker.add_question(
        Question(
            FUTURE,
            "Will the summit take place?",
            Kind.EVENT,
            today - timedelta(days=5),
            prior=0.4,
            deadlines=(today + timedelta(days=30), today + timedelta(days=60)),
        )
    )
    return FUTURE


def odds(p: float) -> float:
    return p / (1.0 - p)


def assessment_of(tracker: Tracker, title: str) -> Assessment:
    """The assessment stored with the report titled ``title`` (one question per report)."""
    report = next(r for r in tracker.reports() if r.title == title)
    (found,) = [a for a in tracker.history(None).assessments if a.report_id == report.id]
    return found


def shown_lr(at: AppTest) -> float:
    metric = next(m for m in at.metric if m.label == "Implied likelihood ratio")
    return float(metric.value)


# --------------------------------------------------------------------------- event targets


def event_report(at: AppTest, title: str, lr: str = "20") -> None:
    """Fill the report fields and the event question's likelihood ratio."""
    at.selectbox(key="log_source_0").set_value("Reuters")
    at.date_input(key="log_date_0").set_value(date(2025, 10, 22))
    at.time_input(key="log_time_0").set_value(time(9, 30))
    at.text_input(key="log_title_0").input(title)
    at.text_input(key=f"log_lr_{EVENT}_0").input(lr)


def event_log_page() -> AppTest:
    at = run_app("log_evidence", as_of=STORY_DAY)
    at.multiselect(key="log_questions").set_value([EVENT]).run()
    return at


def test_an_event_report_points_to_the_next_deadline_by_default(db: Path, tracker: Tracker) -> None:
    at = event_log_page()
    assert at.radio(key=f"log_target_{EVENT}_0").value == "the next deadline"
    event_report(at, "default target")
    submit(at, "log_save")
    assert not errors(at)
    a = assessment_of(tracker, "default target")
    assert (a.by, a.around, a.within) == (None, None, 0)


def test_an_event_report_can_point_by_a_later_deadline(db: Path, tracker: Tracker) -> None:
    at = event_log_page()
    event_report(at, "by the last deadline")
    at.radio(key=f"log_target_{EVENT}_0").set_value("by deadline …")
    at.selectbox(key=f"log_by_{EVENT}_0").set_value(datetime(2025, 12, 31, tzinfo=UTC))
    submit(at, "log_save")
    assert not errors(at)
    a = assessment_of(tracker, "by the last deadline")
    assert (a.by, a.around, a.within) == (datetime(2025, 12, 31, tzinfo=UTC), None, 0)


def test_an_event_report_can_point_around_a_date(db: Path, tracker: Tracker) -> None:
    at = event_log_page()
    event_report(at, "summit set for 15 December")
    at.radio(key=f"log_target_{EVENT}_0").set_value("around a date")
    at.date_input(key=f"log_around_{EVENT}_0").set_value(date(2025, 12, 15))
    at.text_input(key=f"log_within_{EVENT}_0").input("2")
    before = counts(tracker)
    submit(at, "log_preview")
    assert not errors(at) and counts(tracker) == before, "a preview stores nothing"
    submit(at, "log_save")
    assert not errors(at)
    a = assessment_of(tracker, "summit set for 15 December")
    assert (a.by, a.around, a.within) == (None, datetime(2025, 12, 15, tzinfo=UTC), 2)


@pytest.mark.parametrize(
    ("around", "within", "message"),
    [
        (None, "2", "pick the date the report points to"),
        (date(2025, 12, 15), "2.5", "give or take must be a whole number of days, not 2.5"),
        (date(2025, 12, 15), "400", "within must be a whole number of days from 0 to 366"),
        (date(2026, 3, 1), "0", "around 2026-03-01 is outside putin-trump-meeting's days"),
    ],
)
def test_a_bad_event_target_shows_the_message_and_stores_nothing(
    db: Path, tracker: Tracker, around: date | None, within: str, message: str
) -> None:
    at = event_log_page()
    event_report(at, "should not be stored")
    at.radio(key=f"log_target_{EVENT}_0").set_value("around a date")
    if around is not None:
        at.date_input(key=f"log_around_{EVENT}_0").set_value(around)
    at.text_input(key=f"log_within_{EVENT}_0").input(within)
    before = counts(tracker)
    submit(at, "log_save")
    assert any(message in e for e in errors(at)), errors(at)
    assert counts(tracker) == before


def test_error_messages_quoting_user_text_are_escaped(db: Path, tracker: Tracker) -> None:
    at = run_app("log_evidence", as_of=STORY_DAY)
    at.multiselect(key="log_questions").set_value([BINARY]).run()
    at.selectbox(key="log_source_0").set_value("Reuters")
    at.text_input(key=f"log_lr_{BINARY}_0").input("**2**")
    submit(at, "log_save")
    (shown,) = [e.value for e in at.error]
    assert r"\*\*2\*\*" in shown, "Markdown in the quoted value must not render"


# --------------------------------------------------------------------------- I am now at P


def judgement_page(qid: str) -> AppTest:
    at = run_app("log_evidence", as_of=STORY_DAY)
    at.radio(key="log_mode").set_value(JUDGEMENT_MODE).run()
    at.selectbox(key="judge_question").set_value(qid).run()
    assert not at.exception, at.exception
    return at


@pytest.mark.parametrize("qid", [BINARY, FUTURE])
def test_a_judgement_shows_its_implied_lr_then_saving_stores_it(
    db: Path, tracker: Tracker, ahead: str, qid: str
) -> None:
    at = judgement_page(qid)
    at.text_input(key=f"judge_p_{qid}_0").input("0.3")
    at.text_area(key="judge_why_0").input("Back-channel talks resumed.")
    before = counts(tracker)
    submit(at, "judge_preview")
    assert not errors(at)
    assert counts(tracker)["assessments"] == before["assessments"], "a preview stores nothing"
    # By hand: LR = odds(P) / odds(where it stands now). An event question stands at its
    # headline, P(by the first deadline still open) today, as the engine states it.
    stands = float(tracker.state(qid).probability)  # type: ignore[arg-type]
    expected = odds(0.3) / odds(stands)
    assert shown_lr(at) == pytest.approx(expected, rel=1e-3)
    table = at.dataframe[-1].value
    assert table["now"][0] == pytest.approx(100 * stands)
    assert table["after"][0] == pytest.approx(30.0)

    submit(at, "judge_save")
    assert not errors(at)
    assert "Logged judgement" in texts(at)
    after = counts(tracker)
    assert after["assessments"] == before["assessments"] + 1
    assert after["reports"] == before["reports"] + 1
    report = next(r for r in tracker.reports() if r.source == JUDGEMENT_SOURCE)
    (a,) = [a for a in tracker.history(None).assessments if a.report_id == report.id]
    assert (a.question_id, a.judged, a.analyst) == (qid, 0.3, "tester")
    assert a.lr == pytest.approx(expected, rel=1e-6)
    assert a.rationale == "Back-channel talks resumed."
    assert float(tracker.state(qid).probability) == pytest.approx(0.3)  # type: ignore[arg-type]
    assert at.text_input(key=f"judge_p_{qid}_1").value == "", "the form is fresh again"


def test_save_without_a_preview_of_the_same_inputs_only_previews(
    db: Path, tracker: Tracker
) -> None:
    at = judgement_page(BINARY)
    at.text_input(key=f"judge_p_{BINARY}_0").input("0.3")
    submit(at, "judge_preview")
    at.text_input(key=f"judge_p_{BINARY}_0").input("0.25")  # changed after the preview
    before = counts(tracker)
    submit(at, "judge_save")
    assert counts(tracker)["assessments"] == before["assessments"]
    assert "press Save again" in texts(at, unescaped=True)
    assert shown_lr(at) == pytest.approx(
        odds(0.25) / odds(float(tracker.state(BINARY).probability)),  # type: ignore[arg-type]
        rel=1e-3,
    )
    submit(at, "judge_save")  # now it was seen: stored
    assert counts(tracker)["assessments"] == before["assessments"] + 1


def test_a_choice_judgement_shows_each_options_likelihood(db: Path, tracker: Tracker) -> None:
    # linked, the venue reads no summit 100% today (the summit is past its deadlines), which
    # no judgement can move (tests/test_links.py); on its own evidence it can be judged
    tracker.unlink(CHOICE, reason="judged on its own here")
    at = judgement_page(CHOICE)
    wanted = {"budapest": 0.5, "elsewhere": 0.2, "no-summit": 0.3}
    for name, p in wanted.items():
        at.text_input(key=f"judge_p_{CHOICE}_{name}_0").input(str(p))
    submit(at, "judge_preview")
    assert not errors(at)
    now = tracker.state(CHOICE).probability
    assert isinstance(now, dict)
    table = at.dataframe[-1].value.set_index("of")
    for name, p in wanted.items():
        assert table.loc[name, "likelihood"] == pytest.approx(p / now[name], rel=1e-6)
        assert table.loc[name, "after"] == pytest.approx(100 * p)


@pytest.mark.parametrize(
    ("typed", "message"),
    [("", "type the probability you are now at"), ("1.5", "probability"), ("x", "a number")],
)
def test_a_bad_judgement_shows_the_message_and_stores_nothing(
    db: Path, tracker: Tracker, typed: str, message: str
) -> None:
    at = judgement_page(BINARY)
    at.text_input(key=f"judge_p_{BINARY}_0").input(typed)
    before = counts(tracker)
    submit(at, "judge_preview")
    submit(at, "judge_save")
    assert any(message in e for e in errors(at)), errors(at)
    assert counts(tracker) == before


def test_a_viewer_is_not_offered_the_judgement_form(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FORECAST_DASHBOARD_MODE", "viewer")
    at = run_app("log_evidence", as_of=STORY_DAY)
    assert "Not available" in texts(at)
    assert not at.radio, "the write page stops before any form"


# --------------------------------------------------------------------------- when


def test_the_question_page_shows_the_date_distribution(db: Path, tracker: Tracker) -> None:
    at = run_app("question", as_of=STORY_DAY, q=EVENT)
    s = tracker.state(EVENT, as_of=end_of_day(STORY_DAY))
    w = s.when()
    assert w is not None
    shown = texts(at, unescaped=True)
    assert "When" in shown
    assert f"Not by the last deadline (2025-12-31): {100 * w.beyond:.1f}%" in shown
    median = "after the last deadline" if w.median is None else w.median.date().isoformat()
    assert f"Median date: {median}" in shown
    chart = next(
        c for c in at.get("vega_lite_chart") if '"p"' in c.proto.spec and "first" in c.proto.spec
    )
    assert chart is not None
    data = frames.when(s)
    assert data["p"].sum() == pytest.approx(1.0 - w.beyond)
    assert data["date"].iloc[0].date() == STORY_DAY and data["date"].iloc[-1].date() == date(
        2025, 12, 31
    )


def test_a_scheduled_summit_shows_in_the_date_distribution(
    db: Path, tracker: Tracker, ahead: str
) -> None:
    today = day_start(tracker.now())
    summit = today + timedelta(days=40)  # between the two deadlines
    tracker.add_source("Both governments", 0.99, "official")
    tracker.add_evidence(
        ahead,
        source="Both governments",
        published=tracker.now(),
        title="Summit set",
        lr=200.0,
        around=summit,
        within=1,
    )
    w = tracker.state(ahead).when()
    assert w is not None and w.median is not None and w.p50 is not None
    assert abs((w.median - summit).days) <= 1
    at = run_app("question", as_of=None, q=ahead)
    shown = texts(at, unescaped=True)
    assert f"Median date: {w.median.date().isoformat()}" in shown
    p50 = f"{w.p50[0].date().isoformat()} to {w.p50[1].date().isoformat()}"
    assert f"50% interval: {p50}" in shown
    assert f": {100 * w.beyond:.1f}%" in shown


# --------------------------------------------------------------------------- headlines


def test_after_the_first_deadline_the_headline_is_the_engines(db: Path, tracker: Tracker) -> None:
    s = tracker.state(EVENT, as_of=end_of_day(AFTER_FIRST))
    headline = float(s.probability)  # type: ignore[arg-type]
    assert headline > 0.0, "a later rung is live: nothing reads 0"
    at = run_app(None, as_of=AFTER_FIRST)
    row = at.dataframe[0].value.set_index("id").loc[EVENT]
    assert row["probability"] == pytest.approx(100 * headline)
    assert row["of"] == "by 2025-12-31"
    assert row["deadline"] == date(2025, 12, 31)
    at = run_app("question", as_of=AFTER_FIRST, q=EVENT)
    assert at.metric[0].value == text.pct(headline)
    assert "2025-12-31" in at.metric[0].label.replace("\\", "")
    assert "Passed without the event: by 2025-11-30" in texts(at, unescaped=True)


def test_on_the_deadline_day_the_headline_is_still_that_deadlines(
    db: Path, tracker: Tracker
) -> None:
    # "By D" includes all of day D: the engine's headline on 2025-11-30 is P(by 2025-11-30).
    day = date(2025, 11, 30)
    s = tracker.state(EVENT, as_of=end_of_day(day))
    h = s.headline
    assert h.label == "by 2025-11-30"
    assert h.probability == pytest.approx(float(s.probability))  # type: ignore[arg-type]
    series = s.headline_series()
    assert series == pytest.approx(s.trajectory.probability)
    at = run_app(None, as_of=day)
    row = at.dataframe[0].value.set_index("id").loc[EVENT]
    assert (row["of"], row["days_left"]) == ("by 2025-11-30", 0)


def test_markers_sit_on_the_line_one_per_day(db: Path, tracker: Tracker) -> None:
    """Same-day reports share one marker, at the value the line shows for that day (after
    all of them), and it says how many there are and names each."""
    s = tracker.state(EVENT, as_of=end_of_day(AFTER_FIRST))
    marks = frames.markers(s)
    line = dict(zip(s.trajectory.days, s.headline_series(), strict=True))
    by_day: dict[object, list[str]] = {}
    for move in s.trajectory.moves:
        published = s.reports[move.report_id].published
        by_day.setdefault(day_start(published), []).append(move.report_id)
    assert len(marks) == len(by_day) < len(s.trajectory.moves)  # the demo has busy days
    for _, row in marks.iterrows():
        day = row["date"].tz_localize("UTC").to_pydatetime()
        ids = by_day[day]
        assert row["p"] == pytest.approx(float(line[day]), abs=1e-12)
        assert (row["report"], row["reports"]) == (ids[0], len(ids))
        assert row["label"] == (str(len(ids)) if len(ids) > 1 else "")
        titles = [text.clip(s.reports[i].title, 60) for i in ids]
        if len(ids) > 1:
            assert row["title"].startswith(f"1. {titles[0]} | 2. {titles[1]}")


def test_the_when_summary_reads_the_engine(db: Path, tracker: Tracker) -> None:
    s = tracker.state(EVENT, as_of=end_of_day(STORY_DAY))
    w = s.when()
    assert w is not None
    lines = frames.when_summary(s)
    assert lines[-1] == f"Not by the last deadline (2025-12-31): {100 * w.beyond:.1f}%"
    assert frames.when_summary(tracker.state(BINARY)) == []
    past = tracker.state(EVENT, as_of=end_of_day(date(2026, 2, 1)))
    assert frames.when_summary(past) == ["No day is left before the last deadline (2025-12-31)."]
    assert re.match(r"Median date: ", lines[0])
