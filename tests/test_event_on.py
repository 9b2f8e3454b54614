"""The day an event happened, when it differs from the day it was resolved (migration 0011).

The demo's "Will Putin and Trump meet?" opened 2025-10-16 with deadlines 2025-11-30 and
2025-12-31. Say they met on 2025-11-20 and the question was resolved on 2025-12-02: by the
resolution date alone the first rung would read NO (2 December is after 30 November); with
the event's day it is YES, and layer 3 learns a date by the deadline, on 20 November.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from test_cli import Run

from forecast import kinds
from forecast.api import Tracker
from forecast.errors import ForecastError
from forecast.event_dates import Calendar, day_index
from forecast.learning.data import AFTER_DEADLINE, BY_DEADLINE, _event_terms

QID = "putin-trump-meeting"
MET = datetime(2025, 11, 20, tzinfo=UTC)
RESOLVED = datetime(2025, 12, 2, tzinfo=UTC)


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str]) -> Run:
    return Run(capsys)


def test_the_event_day_decides_each_rung_and_what_is_learned(db: Path) -> None:
    t = Tracker.open()
    res = t.resolve(QID, "yes", RESOLVED, "met in Budapest", event_on=MET)
    q = t.question(QID)
    assert (res.event_on, res.happened_on) == (MET, MET)
    assert [kinds.outcome(q, res, k) for k in (0, 1)] == [1, 1]
    without = replace(res, event_on=None)
    assert [kinds.outcome(q, without, k) for k in (0, 1)] == [0, 1]  # what v1 would say
    anchor = Calendar(q).anchor
    [(_, day, horizon, kind)] = _event_terms(q, kinds.outcome(q, res), res)
    assert kind == BY_DEADLINE
    assert day == day_index(q.opened, MET) - anchor == 35 - anchor
    assert horizon == day_index(q.opened, q.deadlines[0]) - anchor + 1
    [(_, day_after, _, kind_after)] = _event_terms(q, 0, without)
    assert (kind_after, day_after) == (AFTER_DEADLINE, 47 - anchor)  # 2 December


def test_an_event_date_is_refused_where_it_means_nothing(db: Path) -> None:
    t = Tracker.open()
    before = t.counts()
    with pytest.raises(ForecastError, match=(
        "an event date is for an event question resolved yes; question russia-ceasefire-line "
        "is binary, resolved yes"
    )):  # fmt: skip
        t.resolve("russia-ceasefire-line", "yes", RESOLVED, event_on=MET)
    with pytest.raises(ForecastError, match=f"question {QID} is event, resolved no"):
        t.resolve(QID, "no", RESOLVED, event_on=MET)
    with pytest.raises(ForecastError, match=(
        "event date 2025-12-03 is after the resolution date 2025-12-02: "
        "an event is resolved once it happened"
    )):  # fmt: skip
        t.resolve(QID, "yes", RESOLVED, event_on=datetime(2025, 12, 3, tzinfo=UTC))
    early = f"event date 2025-10-01 is before question {QID} opened"
    with pytest.raises(ForecastError, match=early):
        t.resolve(QID, "yes", RESOLVED, event_on=datetime(2025, 10, 1, tzinfo=UTC))
    assert t.counts() == before


def test_the_cli_json_audit_and_files_carry_it(db: Path, run: Run, tmp_path: Path) -> None:
    out = run.ok(
        "resolve", QID, "--outcome", "yes", "--date", "2025-12-02", "--event-date", "2025-11-20"
    )
    assert out == (
        f"resolved {QID}: yes on 2025-12-02 (it happened on 2025-11-20)\n"
    )
    shown = run.json("show", QID)
    assert (shown["resolved_on"], shown["event_on"]) == (
        "2025-12-02", "2025-11-20"
    )  # fmt: skip
    assert "resolved: outcome yes, date 2025-12-02, event date 2025-11-20" in run.ok("audit", QID)
    exported = tmp_path / "all.yaml"
    run.ok("export", str(exported))
    assert "event_date: 2025-11-20" in exported.read_text(encoding="utf-8")
    copy = Tracker.open(str(tmp_path / "copy.db"))
    copy.import_scenario(exported.read_text(encoding="utf-8"))
    assert copy.history([QID]).resolutions[-1].event_on == MET
    bad = run.fails("resolve", QID, "--outcome", "yes", "--date", "2025-12-02",
                    "--event-date", "soon", "--correct")  # fmt: skip
    assert bad.startswith("error: --event-date")


def test_the_resolve_page_takes_the_event_day(db: Path) -> None:
    from datetime import date

    from dashboard_support import errors, run_app, submit

    at = run_app("resolve", q=QID)
    at.selectbox(key=f"resolve_outcome_{QID}_0").set_value("yes")
    at.date_input(key="resolve_date_0").set_value(date(2025, 12, 2))
    at.date_input(key="resolve_event_0").set_value(date(2025, 11, 20))
    submit(at, "resolve_submit")
    assert not errors(at)
    res = Tracker.open().history([QID]).resolutions[-1]
    assert (res.resolved_on, res.event_on) == (RESOLVED, MET)
    binary = run_app("resolve", q="russia-ceasefire-line")
    assert not [d for d in binary.date_input if d.key == "resolve_event_0"]  # events only
