"""The Edit question page: a new version of a question from the browser, with a preview
of how a model change moves the forecast, through the same API rules as the CLI."""

from __future__ import annotations

from pathlib import Path

import pytest
from dashboard_support import STORY_DAY, errors, run_app, submit, texts

from forecast.api import Tracker

QID = "russia-ceasefire-line"


@pytest.fixture
def tracker(db: Path) -> Tracker:
    return Tracker.open(str(db))


def key(field: str, qid: str = QID) -> str:
    return f"edit_question_{field}_{qid}_0"


def test_a_title_edit_is_a_new_version(db: Path, tracker: Tracker) -> None:
    at = run_app("edit_question", as_of=STORY_DAY, q=QID)
    assert at.text_input(key=key("title")).value == tracker.question(QID).title
    at.text_input(key=key("title")).input("Ceasefire on the current line by year end?")
    at.text_input(key=key("reason")).input("clearer wording")
    submit(at, "edit_question_save")
    assert not errors(at)
    versions = tracker.question_versions(QID)
    assert [(v.version, v.title, v.reason) for v in versions][-1] == (
        2,
        "Ceasefire on the current line by year end?",
        "clearer wording",
    )
    assert versions[-1].prior == versions[0].prior  # only the changed field was sent
    shown = texts(at, unescaped=True)
    assert f"Question {QID} is now version 2:" in shown
    table = at.dataframe[0].value
    assert list(table["what"]) == ["created", "edited"]


def test_a_prior_change_previews_the_move_and_stores_nothing(db: Path, tracker: Tracker) -> None:
    before = tracker.counts()
    now = tracker.state(QID).probability
    expected = tracker.edit_question(QID, reason="r", prior=0.2, preview=True)
    at = run_app("edit_question", as_of=STORY_DAY, q=QID)
    at.text_input(key=key("prior")).input("20%")
    at.text_input(key=key("reason")).input("a lower base rate")
    submit(at, "edit_question_preview")
    assert not errors(at)
    shown = texts(at, unescaped=True)
    assert f"Question {QID} would become version 2:" in shown
    assert "**model change**: the forecast is computed anew from the opening" in shown
    after = dict(expected.now)["yes"]
    assert f"yes: {100 * now:.1f}% → {100 * after:.1f}%" in shown
    assert tracker.counts() == before


def test_an_edit_without_a_reason_is_refused_and_stores_nothing(
    db: Path, tracker: Tracker
) -> None:
    before = tracker.counts()
    at = run_app("edit_question", as_of=STORY_DAY, q=QID)
    at.text_input(key=key("title")).input("Another title")
    submit(at, "edit_question_save")
    assert errors(at) == ["an edit needs a reason: say why the question changes"]
    assert tracker.counts() == before


def test_nothing_changed_says_so(db: Path, tracker: Tracker) -> None:
    at = run_app("edit_question", as_of=STORY_DAY, q=QID)
    at.text_input(key=key("reason")).input("r")
    submit(at, "edit_question_save")
    assert "Nothing to save: change a field first." in texts(at)
    assert [v.version for v in tracker.question_versions(QID)] == [1]
