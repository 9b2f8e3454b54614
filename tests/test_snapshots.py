"""Snapshots: the store's new tables (revision 0002), taking, backfilling, and back-dating.

Store tests run on SQLite and, where a server can be had, on PostgreSQL too.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import delete, inspect, text, update
from sqlalchemy.exc import DBAPIError
from support import Clock

from forecast import snapshots, track_record
from forecast.api import Tracker
from forecast.clock import end_of_day, parse_time
from forecast.domain import ForecastError, Kind, NotFound, Question
from forecast.records import ReferenceQuestion, ReferenceSet, Snapshot
from forecast.store import SCHEMA_HEAD, Store, metadata, migration_config, to_url
from forecast.store.session import _question_row

DEMO = Path(__file__).resolve().parent.parent / "seeds" / "putin-trump-2025.yaml"
NEW_TABLES = ("snapshots", "reference_sets", "reference_questions", "reference_points")
JAN = datetime(2025, 1, 1, tzinfo=UTC)


def at(day: int, hour: int = 12) -> datetime:
    """2025-01-<day> at <hour>:00 UTC."""
    return JAN + timedelta(days=day - 1, hours=hour)


# ---------------------------------------------------------------------- store


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    url = (
        to_url(str(tmp_path / "s.db"))
        if request.param == "sqlite"
        else request.getfixturevalue("postgres_url")
    )
    opened = Store.open(url)
    yield opened
    opened.close()


def _question(qid: str = "q1", kind: Kind = Kind.BINARY) -> Question:
    extra: dict = {"prior": 0.5}
    if kind is Kind.EVENT:
        extra["deadlines"] = (at(20, 0), at(40, 0))
    if kind is Kind.CHOICE:
        extra = {"options": (("a", 0.5), ("b", 0.5))}
    return Question(qid, f"Question {qid}", kind, JAN, created_at=JAN, created_by="ana", **extra)


def _new(qid: str = "q1", kind: Kind = Kind.BINARY) -> Question:
    """``_question`` as a live write states it: its creation time is the tracker's clock."""
    return replace(_question(qid, kind), created_at=None)


def _fill(store: Store) -> None:
    with store.write() as tx:
        tx.insert_question(_question())
        tx.insert_snapshots(
            [
                Snapshot("q1", at(2), 0.25, (), "daily", "ana"),
                Snapshot("q1", at(1), 0.5, (("2025-01-20", 0.5),), "evidence", "bob"),
            ]
        )
        tx.insert_reference(
            ReferenceSet("market", "q.csv", "s.csv", at(3), "ana"),
            [ReferenceQuestion("market", "q1", "Q?", JAN, at(20), 1.0, date(2025, 1, 9))],
            [("q1", date(2025, 1, 2), 0.3), ("q1", date(2025, 1, 1), 0.2)],
        )


def test_snapshots_round_trip_in_time_order(store: Store) -> None:
    _fill(store)
    with store.read() as tx:
        got = tx.snapshots(["q1"])
        until = tx.snapshots(None, until=at(1))
        times = tx.snapshot_times()
    assert [(s.taken_at, s.probability, s.reason, s.taken_by) for s in got] == [
        (at(1), 0.5, "evidence", "bob"),
        (at(2), 0.25, "daily", "ana"),
    ]
    assert got[0].vector == (("2025-01-20", 0.5),) and got[1].vector == ()
    assert got[0].id is not None and got[1].id is not None and got[0].id != got[1].id
    assert [s.taken_at for s in until] == [at(1)]
    assert sorted(times) == [("q1", at(1)), ("q1", at(2))]


def test_references_round_trip(store: Store) -> None:
    _fill(store)
    with store.read() as tx:
        sets = tx.reference_sets()
        questions = tx.reference_questions("market")
        points = tx.reference_points("market")
        none = tx.reference_points("market", ["other"])
    assert sets == [ReferenceSet("market", "q.csv", "s.csv", at(3), "ana")]
    assert questions == [
        ReferenceQuestion("market", "q1", "Q?", JAN, at(20), 1.0, date(2025, 1, 9))
    ]
    assert points == [("q1", date(2025, 1, 1), 0.2), ("q1", date(2025, 1, 2), 0.3)]
    assert none == []


def test_a_snapshot_of_a_missing_question_is_refused(store: Store) -> None:
    with pytest.raises(NotFound, match="question nope does not exist"), store.write() as tx:
        tx.insert_snapshots([Snapshot("nope", at(1), 0.5)])


@pytest.mark.parametrize("name", NEW_TABLES)
def test_new_tables_are_append_only(store: Store, name: str) -> None:
    _fill(store)
    table = metadata.tables[name]
    column = next(iter(table.c))
    with store.read() as tx:
        before = tx.counts()[name]
    statements = [update(table).values({column.name: column}), delete(table)]
    if store.engine.dialect.name == "postgresql":
        statements.append(text(f"TRUNCATE {name} CASCADE"))
    for statement in statements:
        with pytest.raises(DBAPIError, match="append-only"), store.engine.begin() as conn:
            conn.execute(statement)
    with store.read() as tx:
        assert tx.counts()[name] == before > 0


def test_upgrade_from_0001_keeps_the_data_and_adds_the_tables(tmp_path: Path) -> None:
    from alembic import command

    store = Store(str(tmp_path / "old.db"))
    with store.engine.connect() as conn, conn.begin():
        command.upgrade(migration_config(conn), "0001")
    with store.engine.begin() as conn:
        assert not inspect(conn).has_table("snapshots")
    with store.engine.begin() as conn:  # a row as 0001 stores it: no import marks
        row = {
            k: v
            for k, v in _question_row(_question()).items()
            if not k.startswith("imp") and k != "closes_at"  # columns of 0003 and 0006
        }
        conn.execute(metadata.tables["questions"].insert(), [row])
    assert store.upgrade() == SCHEMA_HEAD
    with store.write() as tx:
        tx.insert_snapshots([Snapshot("q1", at(1), 0.5)])
    with store.read() as tx:
        assert tx.question("q1") == _question()
        assert tx.counts()["snapshots"] == 1
    store.close()


def test_downgrade_to_0001_drops_only_the_new_tables(tmp_path: Path) -> None:
    from alembic import command

    with Store.open(str(tmp_path / "d.db")) as store:
        _fill(store)
        with store.engine.connect() as conn, conn.begin():
            command.downgrade(migration_config(conn), "0001")
        with store.engine.connect() as conn:
            tables = set(inspect(conn).get_table_names())
            triggers = conn.execute(
                text("SELECT name FROM sqlite_master WHERE type='trigger'")
            ).scalars()
            assert not any(t.startswith(NEW_TABLES) for t in triggers)
        assert not tables & set(NEW_TABLES)
        assert "questions" in tables


# ---------------------------------------------------------------------- record and take


@pytest.fixture
def clock() -> Clock:
    return Clock(at(1))


@pytest.fixture
def tracker(clock: Clock) -> Tracker:
    return Tracker.open(clock=clock)


def _binary(tracker: Tracker, qid: str = "q1", prior: float = 0.5) -> None:
    """A binary question created now by the tracker's clock (noon on day 1, unless moved)."""
    tracker.add_question(Question(qid, f"Question {qid}", Kind.BINARY, JAN, prior=prior))


def test_record_snapshots_open_questions_as_they_stand(tracker: Tracker, clock: Clock) -> None:
    _binary(tracker, "q1", 0.5)
    _binary(tracker, "q2", 0.2)
    tracker.add_question(_new("e1", Kind.EVENT))  # created at noon on day 1, as the others
    tracker.add_question(_new("c1", Kind.CHOICE))
    tracker.resolve("q2", "no", at(2, 0))
    clock.now = at(3)
    assert snapshots.record(tracker) == 3  # q2 is resolved
    got = snapshots.load(tracker)
    # Creating a question snapshots its prior at once (reason "created", at the clock's now,
    # noon on day 1). q2 has that and the snapshot its resolution took when it was logged.
    assert sorted(got) == ["c1", "e1", "q1", "q2"]
    assert [(s.reason, s.taken_at, s.probability) for s in got["q2"]] == [
        ("created", at(1), pytest.approx(0.2)),
        ("resolution", at(1), pytest.approx(0.2)),
    ]
    for qid in ("q1", "e1", "c1"):
        assert [(s.reason, s.taken_at) for s in got[qid]] == [("created", at(1)), ("manual", at(3))]
    # The prior holds on the day it is stated: the event question starts at 0.5 for its
    # first deadline, not decayed from its opening.
    assert got["e1"][0].probability == pytest.approx(0.5)
    q1, e1, c1 = got["q1"][1], got["e1"][1], got["c1"][1]
    assert (q1.taken_at, q1.probability, q1.vector, q1.reason) == (at(3), 0.5, (), "manual")
    assert c1.probability is None and c1.vector == (("a", 0.5), ("b", 0.5))
    state = tracker.state("e1", as_of=at(3))
    assert e1.probability == pytest.approx(state.probability, abs=1e-15)
    assert [name for name, _ in e1.vector] == ["2025-01-20", "2025-02-09"]
    assert [p for _, p in e1.vector] == pytest.approx(
        [p for _, p in state.deadline_probabilities()], abs=1e-15
    )


def test_record_named_questions_even_when_resolved(tracker: Tracker, clock: Clock) -> None:
    _binary(tracker, "q1")  # created, and resolved, at noon on day 1 by the clock
    tracker.resolve("q1", "yes", at(1, 6))
    clock.now = at(1, 13)  # a snapshot cannot be taken ahead of the clock
    # At 13:00 the resolution is known: the open questions are none, but q1 named is taken.
    assert snapshots.record(tracker, at=at(1, 13)) == 0
    assert snapshots.record(tracker, ["q1"], at(1, 13), reason="resolution") == 1
    assert [(s.reason, s.taken_at) for s in snapshots.load(tracker)["q1"]] == [
        ("created", at(1)),
        ("resolution", at(1)),  # the one the resolution took when it was logged
        ("resolution", at(1, 13)),
    ]


def test_record_skips_questions_not_yet_known(tracker: Tracker) -> None:
    _binary(tracker, "q1")  # created at noon on day 1: a second before, it was not known
    assert snapshots.record(tracker, at=at(1) - timedelta(seconds=1)) == 0
    assert snapshots.record(tracker, ["q1"], at=at(1) - timedelta(seconds=1)) == 0


def test_record_refuses_unknown_questions_and_reasons(tracker: Tracker) -> None:
    _binary(tracker, "q1")
    with pytest.raises(NotFound, match="no question 'nope'"):
        snapshots.record(tracker, ["q1", "nope"])
    with pytest.raises(ForecastError, match="reason 'whim' is not one of"):
        snapshots.record(tracker, reason="whim")
    # Only the snapshot taken when q1 was created: the refused calls stored nothing.
    assert [s.reason for s in snapshots.load(tracker)["q1"]] == ["created"]


def test_take_is_the_daily_snapshot(tracker: Tracker, clock: Clock) -> None:
    _binary(tracker)
    clock.now = at(4, 6)
    assert snapshots.take(tracker) == 1
    created, snap = snapshots.load(tracker)["q1"]  # the first was taken at its creation
    assert (created.reason, created.taken_at) == ("created", at(1))
    assert (snap.reason, snap.taken_at, snap.taken_by) == ("daily", at(4, 6), "tester")


# ---------------------------------------------------------------------- backfill


def _demo(clock: Clock) -> Tracker:
    tracker = Tracker.open(clock=clock)
    tracker.import_scenario(DEMO.read_text(encoding="utf-8"))
    return tracker


def test_backfill_matches_the_state_known_at_each_days_end(clock: Clock) -> None:
    clock.now = parse_time("2025-11-01")
    tracker = _demo(clock)
    count = snapshots.backfill(tracker, until=parse_time("2025-10-24"))
    got = snapshots.load(tracker)
    # Four questions known from 2025-10-16; days 16..23 have ended by 10-24 00:00.
    assert count == 4 * 8
    for qid, snaps in got.items():
        assert [s.day for s in snaps] == [date(2025, 10, d) for d in range(16, 24)]
        for s in snaps:
            assert s.reason == "backfill"
            assert s.taken_at == end_of_day(s.day)
            state = tracker.state(qid, as_of=s.taken_at, explain=False)
            if state.question.kind is Kind.CHOICE:
                assert dict(s.vector) == pytest.approx(state.probability, abs=1e-14)
            else:
                assert s.probability == pytest.approx(state.probability, abs=1e-14)


def test_backfill_before_the_evidence_was_logged_shows_the_prior(clock: Clock) -> None:
    clock.now = parse_time("2025-11-01")
    tracker = _demo(clock)
    snapshots.backfill(tracker, until=parse_time("2025-10-24"))
    ceasefire = snapshots.load(tracker)["russia-ceasefire-line"]
    # Evidence was logged on 10-21 (published 10-20 and 10-21): the prior stands before.
    assert [s.probability for s in ceasefire[:5]] == pytest.approx([0.1] * 5, abs=1e-15)
    assert ceasefire[5].probability < 0.1


def test_backfill_never_rewrites_a_day_and_is_idempotent(tracker: Tracker, clock: Clock) -> None:
    _binary(tracker)
    clock.now = at(2, 9)
    snapshots.take(tracker)  # day 2 is covered by a real daily snapshot
    clock.now = at(5, 3)
    assert snapshots.backfill(tracker) == 3  # days 1, 3 and 4 (day 5 has not ended)
    assert snapshots.backfill(tracker) == 0
    got = snapshots.load(tracker)["q1"]
    # The snapshot taken when q1 was created records a moment, not day 1's end.
    assert [(s.day.day, s.reason) for s in got] == [
        (1, "created"),
        (1, "backfill"),
        (2, "daily"),
        (3, "backfill"),
        (4, "backfill"),
    ]


def test_backfill_adds_the_days_end_after_snapshots_taken_at_writes(
    tracker: Tracker, clock: Clock
) -> None:
    """A snapshot taken when evidence is logged records that moment; a source re-rated
    later the same day moves the forecast again, and the day's end is what stands."""
    _binary(tracker)
    tracker.add_source("Wire", 1.0)
    clock.now = at(2, 9)
    tracker.add_evidence("q1", lr=9.0, source="Wire", published=at(2, 8))
    clock.now = at(2, 10)
    snapshots.record(tracker)  # a manual snapshot does not close the day
    clock.now = at(2, 15)
    tracker.update_source("Wire", reliability=0.5, reason="re-rated")
    clock.now = at(3, 1)
    assert snapshots.backfill(tracker) == 2  # days 1 and 2
    got = snapshots.load(tracker)["q1"]
    assert [(s.taken_at, s.reason) for s in got] == [
        (at(1), "created"),  # a moment, not day 1's end: the backfill still adds that
        (end_of_day(date(2025, 1, 1)), "backfill"),
        (at(2, 9), "evidence"),
        (at(2, 10), "manual"),
        (at(2, 15), "evidence"),
        (end_of_day(date(2025, 1, 2)), "backfill"),
    ]
    # Reliability 0.5: the LR 9 >= 1 counts as 1 / (1 - r (1 - 1/9)) = 1 / (1 - 4/9) = 9/5,
    # so even odds become 9/5 : 1 and P = 9/14 (v1 counted it as 1 + r (9 - 1) = 5: 5/6).
    assert [s.probability for s in got] == pytest.approx([0.5, 0.5, 0.9, 0.9, 9 / 14, 9 / 14])


def test_backfill_stops_the_day_before_the_resolution(tracker: Tracker, clock: Clock) -> None:
    _binary(tracker)
    tracker.resolve("q1", "yes", at(4, 15))  # logged on day 1: its snapshot is day 1's
    clock.now = at(10)
    assert snapshots.backfill(tracker) == 3
    got = snapshots.load(tracker)["q1"]
    assert [(s.day.day, s.reason) for s in got] == [
        (1, "created"),
        (1, "resolution"),
        (1, "backfill"),
        (2, "backfill"),
        (3, "backfill"),
    ]


def test_reconstruct_wants_ascending_days(tracker: Tracker) -> None:
    _binary(tracker)
    q = tracker.question("q1")
    with pytest.raises(ForecastError, match="ascending"):
        snapshots.reconstruct(q, tracker.history(["q1"]), [date(2025, 1, 2), date(2025, 1, 1)])


def test_reconstruct_one_analyst(tracker: Tracker, clock: Clock) -> None:
    _binary(tracker)
    tracker.add_source("Wire", 1.0)
    clock.now = at(2, 10)
    tracker.add_evidence("q1", lr=9.0, source="Wire", published=at(2, 8), analyst="ana")
    clock.now = at(3, 10)
    tracker.add_evidence("q1", lr=1 / 9, source="Wire", published=at(3, 8), analyst="bob")
    q, history = tracker.question("q1"), tracker.history(["q1"])
    days = [date(2025, 1, d) for d in (1, 2, 3)]
    ana = snapshots.reconstruct(q, history, days, analyst="ana").headline
    bob = snapshots.reconstruct(q, history, days, analyst="bob").headline
    team = snapshots.reconstruct(q, history, days).headline
    assert ana.tolist() == pytest.approx([0.5, 0.9, 0.9])
    assert bob.tolist() == pytest.approx([0.5, 0.5, 0.1])
    assert team.tolist() == pytest.approx([0.5, 0.9, 0.5])  # 9 x 1/9: even odds


# ---------------------------------------------------------------------- back-dating


def _late_report_story(clock: Clock, *, logged_day: int) -> Tracker:
    """A binary question at 0.5; a decisive report published on day 3 but logged late.

    A snapshot is taken at noon every day from day 1 to day 11; the report (LR 9 from a
    fully reliable source: 0.5 becomes 0.9) is logged at 14:00 on ``logged_day``; the
    question resolves YES on day 12.
    """
    tracker = Tracker.open(clock=clock)
    _binary(tracker)
    tracker.add_source("Wire", 1.0)
    for day in range(1, 12):
        clock.now = at(day)
        snapshots.take(tracker)
        if day == logged_day:
            clock.now = at(day, 14)
            tracker.add_evidence("q1", lr=9.0, source="Wire", published=at(3, 8))
    clock.now = at(12, 9)
    tracker.resolve("q1", "yes", at(12, 0))
    return tracker


def test_a_back_dated_report_never_improves_a_past_score(clock: Clock) -> None:
    tracker = _late_report_story(clock, logged_day=10)
    # The trajectory (event time) is redrawn: 0.9 from day 3 on ...
    redrawn = tracker.state("q1").trajectory.probability
    assert redrawn[:2].tolist() == [0.5, 0.5]
    assert redrawn[2:11].tolist() == pytest.approx([0.9] * 9)
    # ... but the snapshots of days 1-9 were taken before it was logged, and they score.
    # Logging it took a snapshot at 14:00 on day 10, so 0.9 stands from day 10.
    (score,) = track_record.build(tracker).scores
    assert score.days == 11
    assert score.averaged.brier == pytest.approx((9 * 0.25 + 2 * 0.01) / 11)
    assert score.final.brier == pytest.approx(0.01)
    # What the trajectory would have earned had it been scored on event time:
    assert score.averaged.brier > (2 * 0.25 + 9 * 0.01) / 11


def test_a_report_logged_on_time_earns_its_credit(clock: Clock) -> None:
    tracker = _late_report_story(clock, logged_day=3)
    (score,) = track_record.build(tracker).scores
    # Logged at 14:00 on day 3, after that day's noon snapshot, it took its own snapshot,
    # the last of day 3: days 3-11 stand at 0.9.
    assert score.averaged.brier == pytest.approx((2 * 0.25 + 9 * 0.01) / 11)


def test_a_later_backfill_does_not_credit_a_back_dated_report(clock: Clock) -> None:
    tracker = Tracker.open(clock=clock)
    _binary(tracker)
    tracker.add_source("Wire", 1.0)
    clock.now = at(10, 14)
    tracker.add_evidence("q1", lr=9.0, source="Wire", published=at(3, 8))
    clock.now = at(12, 9)
    tracker.resolve("q1", "yes", at(12, 0))
    assert snapshots.backfill(tracker) == 11  # days 1-11, rebuilt at each day's end
    (score,) = track_record.build(tracker).scores
    # Known from the end of day 10: days 1-9 at 0.5, days 10-11 at 0.9.
    assert score.averaged.brier == pytest.approx((9 * 0.25 + 2 * 0.01) / 11)


# ---------------------------------------------------------------------- reconstruction


def _random_history(tracker: Tracker, clock: Clock, rng: random.Random) -> list[Question]:
    """Three questions and 30 random writes: evidence logged up to four days late,
    corrections, retractions and source re-ratings, by two analysts."""
    clock.now = JAN  # created at the start of day 1, before any of the writes
    questions = [
        tracker.add_question(_new("b", Kind.BINARY)),
        tracker.add_question(_new("e", Kind.EVENT)),
        tracker.add_question(_new("c", Kind.CHOICE)),
    ]
    assert all(q.created_at == JAN for q in questions)
    tracker.add_source("A", 0.8)
    tracker.add_source("B", 0.5)
    now, logged, retracted = at(1, 1), [], set()
    for _ in range(30):
        now += timedelta(hours=rng.randrange(2, 30))
        clock.now = now
        roll = rng.random()
        if roll < 0.6 or not logged:
            q = rng.choice(questions)
            published = max(JAN, now - timedelta(hours=rng.randrange(0, 96)))
            judgement: dict = (
                {"likelihoods": [("a", rng.uniform(0.2, 5))]}
                if q.kind is Kind.CHOICE
                else {"lr": rng.uniform(0.2, 5)}
            )
            _, a = tracker.add_evidence(
                q.id,
                source=rng.choice("AB"),
                published=published,
                analyst=rng.choice(["ana", "bob"]),
                **judgement,
            )
            logged.append(a)
        elif roll < 0.75:
            a = rng.choice(logged)
            change = {"likelihoods": [("b", rng.uniform(0.2, 5))]} if a.lr is None else {"lr": 2.5}
            tracker.correct_assessment(a.id, reason="second look", **change)
        elif roll < 0.85:
            standing = sorted({a.report_id for a in logged} - retracted)
            if standing:  # a report is retracted once (the API refuses a second time)
                report_id = rng.choice(standing)
                tracker.retract_report(report_id, reason="false")
                retracted.add(report_id)
        else:
            tracker.update_source(rng.choice("AB"), reliability=rng.random(), reason="re-rated")
    return questions


@pytest.mark.parametrize("seed", range(4))
def test_reconstruct_equals_the_state_known_at_each_days_end(clock: Clock, seed: int) -> None:
    tracker = Tracker.open(clock=clock)
    questions = _random_history(tracker, clock, random.Random(seed))
    history = tracker.history(None)
    days = [date(2025, 1, d) for d in range(1, 20)]
    for q in questions:
        for analyst in (None, "ana", "bob"):
            daily = snapshots.reconstruct(q, history, days, analyst=analyst)
            for i, day in enumerate(days):
                state = tracker.state(q.id, as_of=end_of_day(day), analyst=analyst, explain=False)
                expected = state.probability
                if isinstance(expected, dict):
                    expected = list(expected.values())
                assert daily.headline[i].tolist() == pytest.approx(expected, abs=1e-12)
                if q.kind is Kind.EVENT:
                    ladder = [p for _, p in state.deadline_probabilities()]
                    assert daily.ladder[i].tolist() == pytest.approx(ladder, abs=1e-12)


def test_a_write_whose_snapshot_fails_still_lands_and_warns(
    tracker: Tracker, clock: Clock, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    """Failing after the write committed would invite a retry that stores it twice."""
    from forecast.api import SnapshotWarning
    from forecast.cli import main
    from forecast.store.session import Session

    _binary(tracker)
    tracker.add_source("Wire", 1.0)

    def locked(self: Session, snaps: object) -> int:
        raise ForecastError("database is locked")

    monkeypatch.setattr(Session, "insert_snapshots", locked)
    with pytest.warns(SnapshotWarning, match=r"saved, but no snapshot was taken of q1 .*locked"):
        report, _ = tracker.add_evidence("q1", lr=9.0, source="Wire", published=at(1, 8))
    assert [r.id for r in tracker.reports()] == [report.id]
    code = main(["evidence", "add", "--question", "q1", "--report", report.id, "--lr", "2",
                 "--analyst", "bob"])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 0
    assert err.startswith("warning: saved, but no snapshot was taken of q1")
    assert len(err.strip().splitlines()) == 1
    monkeypatch.undo()
    # Only the snapshot taken when q1 was created, before the store was locked.
    assert [s.reason for s in snapshots.load(tracker)["q1"]] == ["created"]
    assert len(tracker.history(["q1"]).assessments) == 2
