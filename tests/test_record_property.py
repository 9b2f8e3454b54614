"""No write can change a stored snapshot or a past score (a property test over write sequences).

Each example builds a small store with a resolved question ``done`` (scored on its snapshots)
and two open questions sharing its source, then runs a random sequence of the writes the API
offers - evidence (some back-dated by their published time), corrections, retractions of
assessments and reports, source re-ratings, probability judgements - at a clock that only
moves forward. After every write, every snapshot stored before it is still there, unchanged,
and the score of ``done`` is what it was.
"""

from __future__ import annotations

import tempfile
from collections import Counter
from contextlib import suppress
from datetime import UTC, datetime, timedelta
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from support import Clock, examples

from forecast import track_record
from forecast.api import Tracker
from forecast.domain import ForecastError, Kind, Question

JAN = datetime(2025, 1, 1, tzinfo=UTC)


def _story(tracker: Tracker, clock: Clock) -> None:
    for qid, kind in (("done", Kind.BINARY), ("state", Kind.BINARY), ("meet", Kind.EVENT)):
        deadlines = (JAN + timedelta(days=20), JAN + timedelta(days=40))
        tracker.add_question(
            Question(
                qid,
                f"Title of {qid}",
                kind,
                JAN,
                prior=0.3,
                deadlines=deadlines if kind is Kind.EVENT else (),
            )
        )
    tracker.add_source("Wire", 0.8)
    clock.now = JAN + timedelta(days=1, hours=2)
    tracker.add_evidence("done", lr=3.0, source="Wire", published=clock.now, new_report_id="r0")
    tracker.add_evidence("state", lr=2.0, report_id="r0")
    clock.now = JAN + timedelta(days=3, hours=9)
    tracker.resolve("done", "yes", JAN + timedelta(days=3))


writes = st.lists(
    st.tuples(
        st.sampled_from(["evidence", "correct", "retract", "retract-report", "rerate", "judge"]),
        st.sampled_from(["done", "state", "meet"]),
        st.floats(0.05, 20.0),  # an LR, a reliability or a probability, as the write needs
        st.integers(0, 3),  # how many days back the report says it was published
    ),
    min_size=1,
    max_size=8,
)


def _write(tracker: Tracker, clock: Clock, step: int, write: tuple[str, str, float, int]) -> None:
    kind, qid, x, back = write
    published = max(clock.now - timedelta(days=back), JAN + timedelta(hours=1))
    assessed = [a for a in tracker.history([qid]).assessments if not a.retracted]
    if kind == "evidence":
        tracker.add_evidence(qid, lr=x, source="Wire", published=published, origin=f"o{step % 2}")
    elif kind == "correct" and assessed:
        tracker.correct_assessment(assessed[-1].id, lr=x, reason="second look")
    elif kind == "retract" and assessed:
        tracker.correct_assessment(assessed[-1].id, reason="withdrawn", retract=True)
    elif kind == "retract-report" and assessed:
        withdrawn = {r.id for r in tracker.reports() if r.retracted}
        standing = [a.report_id for a in assessed if a.report_id not in withdrawn]
        if standing:  # a report is retracted once (the API refuses a second time)
            tracker.retract_report(standing[-1], reason="outlet withdrew it")
    elif kind == "rerate":
        tracker.update_source("Wire", reliability=min(x / 20.0, 1.0), reason="re-rated")
    elif kind == "judge":
        tracker.judge(qid, min(max(x / 20.0, 0.01), 0.99), rationale="my view")


def _snapshots(tracker: Tracker) -> list[tuple]:
    with tracker.store.read() as tx:
        return [
            (s.question_id, s.taken_at, s.probability, s.vector, s.reason) for s in tx.snapshots()
        ]


def _score_of_done(tracker: Tracker) -> dict:
    data = track_record.build(tracker).to_json()
    return next(q for q in data["questions"] if q["id"] == "done")


@settings(max_examples=examples(25), deadline=None)
@given(sequence=writes)
def test_no_write_changes_a_stored_snapshot_or_a_past_score(
    sequence: list[tuple[str, str, float, int]],
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        clock = Clock(JAN + timedelta(hours=1))
        tracker = Tracker.open(str(Path(tmp) / "p.db"), clock=clock, user="ana")
        _story(tracker, clock)
        score = _score_of_done(tracker)
        for step, write in enumerate(sequence):
            before = _snapshots(tracker)
            clock.now += timedelta(hours=7)
            # a refused write (evidence on the resolved question, say) stores nothing
            with suppress(ForecastError):
                _write(tracker, clock, step, write)
            after = Counter(_snapshots(tracker))
            assert not Counter(before) - after  # every stored snapshot is still there, unchanged
            assert _score_of_done(tracker) == score
