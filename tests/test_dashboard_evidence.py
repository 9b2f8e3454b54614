"""The Evidence page: correct, retract, judge a report again and fix or retract a report
from the browser, each a new version or a new assessment of the same report (never a second
report that would count twice), through the same API rules as the CLI."""

from __future__ import annotations

from pathlib import Path

import pytest
from dashboard_support import STORY_DAY, errors, run_app, submit, texts
from streamlit.testing.v1 import AppTest

from forecast.api import Tracker

QID = "putin-trump-meeting"
REPORT = "reuters-trump-drops-meeting"


@pytest.fixture
def tracker(db: Path) -> Tracker:
    return Tracker.open(str(db))


def page(tracker: Tracker, *, analyst: str = "maria") -> tuple[AppTest, str]:
    """The page on the demo's summit question, with maria's judgement of Reuters' report
    picked; returns it and that assessment's id."""
    (a,) = [
        e.assessment
        for e in tracker.evidence(QID)
        if e.report.id == REPORT and e.assessment.analyst == analyst
    ]
    at = run_app("evidence", as_of=STORY_DAY, q=QID)
    at.selectbox(key="evidence_pick").set_value(a.id).run()
    return at, a.id


def test_the_table_lists_what_counts_with_echoes(db: Path, tracker: Tracker) -> None:
    at = run_app("evidence", as_of=STORY_DAY, q=QID)
    table = at.dataframe[0].value
    assert len(table) == len(tracker.evidence(QID)) > 5
    row = table[(table["report"] == REPORT) & (table["analyst"] == "maria")].iloc[0]
    assert (row["status"], row["source"]) == ("counts", "Reuters")
    assert row["echoes"] == 1  # the NBC report of the same White House official
    everything = run_app("evidence", as_of=STORY_DAY).dataframe[0].value
    assert len(everything) == len(tracker.evidence())


def test_a_correction_from_the_browser_is_a_new_version(db: Path, tracker: Tracker) -> None:
    at, aid = page(tracker)
    at.text_input(key="evidence_correct_lr_0").input("0.5")
    at.text_input(key="evidence_correct_reason_0").input("overrated the leak")
    submit(at, "evidence_correct")
    assert not errors(at)
    versions = [a for a in tracker.history([QID]).assessments if a.id == aid]
    assert [(v.version, v.lr, v.reason) for v in versions][-1] == (2, 0.5, "overrated the leak")
    assert f"Assessment {aid} is now version 2: LR 0.5." in texts(at, unescaped=True)


def test_a_correction_needs_a_reason_and_stores_nothing_without(
    db: Path, tracker: Tracker
) -> None:
    at, _ = page(tracker)
    before = tracker.counts()
    at.text_input(key="evidence_correct_lr_0").input("0.5")
    submit(at, "evidence_correct")
    assert errors(at) == ["a correction needs a reason"]
    assert tracker.counts() == before


def test_retracting_a_judgement_and_then_its_report(db: Path, tracker: Tracker) -> None:
    at, aid = page(tracker)
    at.text_input(key="evidence_retract_reason_0").input("misread the source")
    submit(at, "evidence_retract")
    assert not errors(at)
    statuses = {e.assessment.id: e.status for e in tracker.evidence(QID)}
    assert statuses[aid] == "retracted"
    # ivan's judgement of the same report still counts; retract the report itself.
    at, other = page(tracker, analyst="ivan")
    at.text_input(key="evidence_retract_report_reason_0").input("the outlet withdrew it")
    submit(at, "evidence_retract_report")
    assert not errors(at)
    statuses = {e.assessment.id: e.status for e in tracker.evidence(QID)}
    assert (statuses[aid], statuses[other]) == ("retracted", "report retracted")
    assert {r.id: r.retracted for r in tracker.reports()}[REPORT]


def test_judging_the_same_report_again_adds_an_assessment_not_a_report(
    db: Path, tracker: Tracker
) -> None:
    at, _ = page(tracker)
    before = tracker.counts()
    at.selectbox(key="evidence_again_question_0").set_value("russia-ceasefire-line").run()
    at.text_input(key="evidence_again_lr_0").input("0.7")
    at.text_input(key="evidence_again_analyst_0").input("olga")
    submit(at, "evidence_again")
    assert not errors(at)
    after = tracker.counts()
    assert (after["reports"], after["assessments"]) == (
        before["reports"],
        before["assessments"] + 1,
    )
    (mine,) = [e for e in tracker.evidence("russia-ceasefire-line") if e.report.id == REPORT]
    assert (mine.assessment.analyst, mine.assessment.lr) == ("olga", 0.7)


def test_a_second_judgement_by_the_same_analyst_is_refused_by_its_rule(
    db: Path, tracker: Tracker
) -> None:
    at, aid = page(tracker)
    before = tracker.counts()
    at.text_input(key="evidence_again_lr_0").input("0.7")
    at.text_input(key="evidence_again_analyst_0").input("maria")
    submit(at, "evidence_again")
    assert errors(at) == [
        f"maria already assessed report {REPORT} for {QID} (assessment {aid}): "
        "correct that one instead"
    ]
    assert tracker.counts() == before


def test_editing_a_report_keeps_the_old_version(db: Path, tracker: Tracker) -> None:
    at, _ = page(tracker)
    at.text_input(key="evidence_title_0").input("Trump shelves a near-term Putin meeting")
    at.text_input(key="evidence_edit_reason_0").input("the headline was updated")
    submit(at, "evidence_edit")
    assert not errors(at)
    versions = [r for r in tracker.history(None).reports if r.id == REPORT]
    assert [v.title for v in versions] == [
        "Trump drops plans to meet Putin soon",
        "Trump shelves a near-term Putin meeting",
    ]


def test_a_viewer_gets_the_table_and_no_form(
    db: Path, tracker: Tracker, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FORECAST_DASHBOARD_MODE", "viewer")
    at = run_app("evidence", as_of=STORY_DAY, q=QID)
    assert len(at.dataframe) == 1
    assert not [b for b in at.button if str(b.key).startswith("evidence_")]


def test_a_reports_page_lists_its_judgements_for_every_question(
    db: Path, tracker: Tracker
) -> None:
    """The question page's reader links to ?report=ID: every judgement of that report."""
    at = run_app("evidence", as_of=STORY_DAY, report=REPORT)
    table = at.dataframe[0].value
    expected = [e for e in tracker.evidence() if e.report.id == REPORT]
    assert sorted(table["assessment"]) == sorted(e.assessment.id for e in expected)
    assert len(set(table["question"])) > 1  # one report, several questions
    assert f"The judgements of report {REPORT}" in texts(at, unescaped=True)


def test_the_question_pages_reader_links_to_its_reports_judgements(db: Path) -> None:
    at = run_app("question", as_of=STORY_DAY, q=QID)
    reader = at.selectbox(key="report_pick").value  # the reader opens on the latest report
    links = [
        link.proto.query_string for link in at.get("page_link") if "evidence" in link.proto.page
    ]
    assert f"report={reader}" in links
