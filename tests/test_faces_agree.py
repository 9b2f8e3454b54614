"""One question on one date reads the same in every face.

The demo's summit question is an event question with deadlines 2025-11-30 and 2025-12-31.
On 2025-12-07 its first deadline has passed, so its headline is P(by 2025-12-31): the
read model says so, and the CLI (text and JSON), the dashboard's overview frame and the
weekly report must print that number with that label, never P(by 2025-11-30) and never
an unlabelled number.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from dashboards import frames
from forecast import clock
from forecast.api import Tracker
from forecast.cli import main
from forecast.reports import weekly

QUESTION = "putin-trump-meeting"
DAY = date(2025, 12, 7)  # a Sunday: the end of ISO week 2025-W49
WEEK = "2025-W49"


@pytest.fixture
def demo(db: Path) -> Tracker:
    return Tracker.open(str(db))


def test_an_event_past_its_first_deadline_reads_the_same_everywhere(
    demo: Tracker, capsys: pytest.CaptureFixture[str]
) -> None:
    state = demo.state(QUESTION, as_of=clock.end_of_day(DAY))
    h = state.headline
    assert h.label == "by 2025-12-31"
    assert h.probability == pytest.approx(state.deadline_probabilities()[1][1])
    assert state.next_deadline == state.question.deadlines[1]
    shown = f"{h.probability:.1%} {h.label}"

    def cli(*args: str) -> str:
        assert main(["--db", demo.store.url, *args, "--as-of", DAY.isoformat()]) == 0
        return capsys.readouterr().out

    assert shown in cli("show", QUESTION)
    listed = cli("question", "list")
    assert shown in next(row for row in listed.splitlines() if row.startswith(QUESTION))
    data = json.loads(cli("show", QUESTION, "--json"))
    assert data["headline"] == {"probability": pytest.approx(h.probability), "of": h.label}

    table = frames.overview([state], stale_days=14).set_index("id")
    assert table.loc[QUESTION, "probability"] == pytest.approx(h.probability)
    assert table.loc[QUESTION, "of"] == h.label
    assert table.loc[QUESTION, "deadline"] == date(2025, 12, 31)

    report = weekly.build(demo, WEEK)
    lines = [line for line in report.stale.rows if line.question.id == QUESTION]
    assert [(line.probability, line.of) for line in lines] == [
        (pytest.approx(h.probability), h.label)
    ]


def test_stale_is_one_rule_in_the_overview_and_the_weekly_report(demo: Tracker) -> None:
    # The demo's last evidence was logged in October: by 2025-12-07 every open question has
    # been quiet for well over 14 days. The overview's flag and the weekly report's list
    # come from the same rule (QuestionState.stale), so they name the same questions.
    as_of = clock.end_of_day(DAY)
    states = demo.states(as_of=as_of)
    table = frames.overview(states, stale_days=14).set_index("id")
    report = weekly.build(demo, WEEK, stale_days=14)
    in_report = {line.question.id for line in report.stale.rows}
    flagged = set(table.index[table["stale"]])
    assert flagged == in_report
    assert flagged == {s.question.id for s in states if s.stale(14)}
    assert QUESTION in flagged
    # One day short of the quiet period is not stale in either face.
    quiet = min(s.quiet_days for s in states if s.question.id in flagged)
    assert not frames.overview(states, stale_days=quiet + 1)["stale"].any()
    assert not weekly.build(demo, WEEK, stale_days=quiet + 1).stale.rows
