"""Issue 16, finding 5: "one assessment per analyst, report and question" held by the database.

The rule used to be a check in the API before the insert, which two writers on PostgreSQL
could both pass. Version 1 of every assessment now claims its (report, question, analyst)
in ``assessment_keys``, in the same transaction, and the primary key there lets one
assessment id have it. Every test runs on an SQLite file and on a fresh PostgreSQL database
(``new_database`` in conftest.py). REPLACE and UPSERT (finding 11) are in test_store.py,
beside the other append-only tests; the upgrade of a database at 0004 is here.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import func, inspect, select, text
from sqlalchemy.exc import DBAPIError

from forecast.api import Tracker
from forecast.clock import parse_time
from forecast.domain import Assessment, ForecastError, History, Kind, Question, Report, Source
from forecast.store import SCHEMA_HEAD, Store, migration_config
from forecast.store import schema as tables
from forecast.store import session as session_module

OPENED = parse_time("2025-01-01T00:00:00Z")
PUBLISHED = OPENED + timedelta(days=1)
WRITERS = 8  # analysts racing for one key through the API
WAIT = 30.0  # seconds any thread may take; far more than any of them needs


@pytest.fixture
def database(new_database: Callable[[], str]) -> str:
    return new_database()


def twin_message(analyst: str, holder: str, report: str = "r1", question: str = "q") -> str:
    return (
        f"{analyst} already assessed report {report} for {question} (assessment {holder}): "
        "correct that one instead"
    )


def prepared(url: str) -> Store:
    """A store holding question ``q``, questions ``q2`` and source ``Wire`` with report ``r1``."""
    store = Store.open(url)
    tracker = Tracker(store, user="setup")
    tracker.add_source("Wire", 0.9)
    for qid in ("q", "q2"):
        tracker.add_question(
            Question(id=qid, title=qid, kind=Kind.BINARY, opened=OPENED, prior=0.3)
        )
    with store.write() as tx:
        tx.insert_report(Report(id="r1", published=PUBLISHED, source="Wire"))
    return store


def assessment(aid: str, analyst: str = "ana", question: str = "q", version: int = 1) -> Assessment:
    return Assessment(
        id=aid, report_id="r1", question_id=question, analyst=analyst, lr=2.0, version=version
    )


def keys(store: Store) -> set[tuple[str, str, str, str]]:
    with store.read() as tx:
        rows = tx.connection.execute(select(tables.assessment_keys)).all()
    return {(r.report_id, r.question_id, r.analyst, r.assessment_id) for r in rows}


def counts(store: Store) -> dict[str, int]:
    with store.read() as tx:
        return tx.counts()


# ---------------------------------------------------------------------- one writer


def test_a_second_assessment_by_the_same_analyst_is_refused_and_nothing_stored(
    database: str,
) -> None:
    with prepared(database) as store:
        tracker = Tracker(store, user="ana")
        _report, first = tracker.add_evidence("q", lr=2.0, report_id="r1")
        before = counts(store)
        with pytest.raises(ForecastError) as caught:
            tracker.add_evidence("q", lr=3.0, report_id="r1")
        assert str(caught.value) == twin_message("ana", first.id)
        assert counts(store) == before
        # A dry run says the same and stores nothing either.
        with pytest.raises(ForecastError) as caught:
            tracker.add_evidence("q", lr=3.0, report_id="r1", dry_run=True)
        assert str(caught.value) == twin_message("ana", first.id)
        assert counts(store) == before


def test_other_analysts_questions_and_corrections_are_not_twins(database: str) -> None:
    with prepared(database) as store:
        _report, first = Tracker(store, user="ana").add_evidence("q", lr=2.0, report_id="r1")
        _report, other_question = Tracker(store, user="ana").add_evidence(
            "q2", lr=2.0, report_id="r1"
        )
        _report, other_analyst = Tracker(store, user="bob").add_evidence(
            "q", lr=2.0, report_id="r1"
        )
        # A correction is a new version of the same assessment: it claims nothing new.
        Tracker(store, user="ana").correct_assessment(first.id, lr=4.0, reason="re-read")
        Tracker(store, user="ana").correct_assessment(first.id, reason="wrong", retract=True)
        assert keys(store) == {
            ("r1", "q", "ana", first.id),
            ("r1", "q2", "ana", other_question.id),
            ("r1", "q", "bob", other_analyst.id),
        }
        # Even a retracted assessment keeps its key: correct it, do not log a second one.
        with pytest.raises(ForecastError) as caught:
            Tracker(store, user="ana").add_evidence("q", lr=3.0, report_id="r1")
        assert str(caught.value) == twin_message("ana", first.id)


def test_an_import_with_twins_is_refused_whole(database: str) -> None:
    logged = PUBLISHED + timedelta(hours=1)
    twins = History(
        sources=(Source("Other", 0.5),),
        reports=(Report(id="r9", published=PUBLISHED, source="Other"),),
        assessments=tuple(
            replace(assessment(aid), report_id="r9", logged_at=logged) for aid in ("i1", "i2")
        ),
    )
    with prepared(database) as store:
        before = counts(store)
        with pytest.raises(ForecastError) as caught:
            Tracker(store, user="ana").import_history(twins)
        # an import names the record a refusal is about: here the second twin
        assert str(caught.value) == "assessment 'i2': " + twin_message("ana", "i1", report="r9")
        assert counts(store) == before


# ---------------------------------------------------------------------- writers at once


def test_a_writer_waiting_on_an_uncommitted_twin_gets_the_message_once_it_commits(
    database: str,
) -> None:
    """Two transactions at once, interleaved by hand: the second has made every check of
    its own and inserted its assessment before the first commits; it must still lose."""
    with prepared(database) as store, Store.open(database) as other:
        outcome: list[BaseException | None] = []

        def second() -> None:
            try:
                with other.write() as tx:
                    tx.insert_assessment(assessment("a-second"))
                outcome.append(None)
            except BaseException as exc:  # reported below
                outcome.append(exc)

        racer = threading.Thread(target=second)
        with store.write() as tx:
            tx.insert_assessment(assessment("a-first"))
            racer.start()
            if store.engine.dialect.name == "postgresql":
                # It is the key that holds it: its assessment row is in, uncommitted.
                assert wait_for_lock_on(store, "assessment_keys")
            else:
                time.sleep(0.5)  # SQLite: it queues on the write lock (BEGIN IMMEDIATE)
            assert racer.is_alive() and outcome == []
        racer.join(WAIT)
        assert len(outcome) == 1 and isinstance(outcome[0], ForecastError)
        assert str(outcome[0]) == twin_message("ana", "a-first")
        assert keys(store) == {("r1", "q", "ana", "a-first")}
        with store.read() as tx:
            assert [a.id for a in tx.assessments_of_report("r1")] == ["a-first"]


def wait_for_lock_on(store: Store, table: str) -> bool:
    """Whether another session comes to wait on a lock while inserting into ``table``."""
    query = text(
        "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
        "AND query LIKE :insert"
    )
    deadline = time.monotonic() + WAIT
    with store.engine.connect() as conn:
        while time.monotonic() < deadline:
            if conn.execute(query, {"insert": f"INSERT INTO {table}%"}).scalar():
                return True
            conn.rollback()  # a new snapshot of the activity view
            time.sleep(0.01)
    return False


def test_analysts_racing_for_one_key_through_the_api_exactly_one_lands(
    database: str, team_backend: str, report_figure: Callable[[str], None]
) -> None:
    with prepared(database):
        pass
    start = threading.Barrier(WRITERS)
    landed: list[str] = []
    refused: list[str] = []
    failed: list[BaseException] = []

    def writer() -> None:
        try:
            with Store.open(database) as store:
                tracker = Tracker(store, user="ana")
                start.wait(WAIT)
                try:
                    landed.append(tracker.add_evidence("q", lr=2.0, report_id="r1")[1].id)
                except ForecastError as exc:
                    refused.append(str(exc))
        except BaseException as exc:  # reported below
            failed.append(exc)

    threads = [threading.Thread(target=writer) for _ in range(WRITERS)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(WAIT)
    seconds = time.perf_counter() - began
    assert failed == []
    assert len(landed) == 1
    assert refused == [twin_message("ana", landed[0])] * (WRITERS - 1)
    with Store.open(database) as store:
        assert keys(store) == {("r1", "q", "ana", landed[0])}
        with store.read() as tx:
            assert [a.id for a in tx.assessments_of_report("r1")] == landed
    report_figure(
        f"{team_backend}: {WRITERS} analysts racing for one key: 1 landed in {seconds:.2f} s"
    )


# ---------------------------------------------------------------------- existing databases


def test_a_database_at_0004_gets_its_keys_and_its_replace_guard(database: str) -> None:
    from alembic import command

    with Store(database) as store:
        with store.engine.begin() as conn:
            command.upgrade(migration_config(conn), "0004")
            tx = session_module.Session(conn, writable=True)
            question = Question(
                id="q", title="q", kind=Kind.BINARY, opened=OPENED, prior=0.3, created_at=OPENED
            )
            row = session_module._question_row(question)
            del row["closes_at"]  # a column of 0006
            conn.execute(tables.questions.insert(), [row])
            tx.insert_source(Source("Wire", 0.9))
            tx.insert_report(Report(id="r1", published=PUBLISHED, source="Wire"))
            # Twins stored by two writers that raced past the old check, and a correction.
            stored = [
                assessment("a2"),
                assessment("a1"),
                assessment("a1", version=2),
                assessment("b1", analyst="bob"),
            ]
            rows = [session_module._assessment_row(session_module._stamped(a)) for a in stored]
            conn.execute(tables.assessments.insert(), rows)
        if store.engine.dialect.name == "sqlite":  # the finding: REPLACE rewrote a stored row
            with store.engine.begin() as conn:
                conn.execute(FORGE_TITLE, {"title": "forged at 0004"})
                assert (
                    conn.execute(text("SELECT title FROM questions")).scalar() == "forged at 0004"
                )
        before = table_counts(store)
        assert store.upgrade() == SCHEMA_HEAD == "0012"
    with Store.open(database) as store:
        # One key per (report, question, analyst) of the version-1 rows; of twins, the first.
        assert keys(store) == {("r1", "q", "ana", "a1"), ("r1", "q", "bob", "b1")}
        added = ("assessment_keys", "question_versions")  # created by 0005 and 0007
        added += ("alert_settings", "alerts_sent", "alert_runs")  # and by 0009
        added += ("feeds", "feed_fetches", "inbox_entries", "inbox_actions")  # and by 0010
        added += ("question_links",)  # and by 0012
        assert {k: v for k, v in table_counts(store).items() if k not in added} == before
        with pytest.raises(ForecastError) as caught, store.write() as tx:
            tx.insert_assessment(assessment("a3"))
        assert str(caught.value) == twin_message("ana", "a1")
        with store.write() as tx:  # the twin without the key can still be corrected
            tx.insert_assessment(assessment("a2", version=2))
        if store.engine.dialect.name == "sqlite":
            with pytest.raises(DBAPIError) as caught, store.engine.begin() as conn:
                conn.execute(FORGE_TITLE, {"title": "forged at 0005"})
            assert str(caught.value.orig) == KEY_TAKEN
            with store.read() as tx:  # what was done at 0004 stays done, but no more
                assert [q.title for q in tx.questions()] == ["forged at 0004"]
        # And back: 0004 has neither the keys nor the guard, and keeps every other row.
        kept = {k: v for k, v in table_counts(store).items() if k not in added}
        with store.engine.begin() as conn:
            command.downgrade(migration_config(conn), "0004")
            assert not inspect(conn).has_table("assessment_keys")
            if conn.dialect.name == "sqlite":
                triggers = "SELECT name FROM sqlite_master WHERE type = 'trigger'"
                assert not [t for t in conn.execute(text(triggers)).scalars() if "replace" in t]
        assert table_counts(store) == kept


KEY_TAKEN = "questions is append-only: a row with that key is already stored"
FORGE_TITLE = text(
    "INSERT OR REPLACE INTO questions (id, title, kind, opened_at, prior, prior_note, alpha, "
    "criteria, tags, created_at, created_by, imported_at, imported_by) "
    "SELECT id, :title, kind, opened_at, prior, prior_note, alpha, criteria, tags, "
    "created_at, created_by, imported_at, imported_by FROM questions"
)


def table_counts(store: Store) -> dict[str, int]:
    with store.engine.connect() as conn:
        names = set(inspect(conn).get_table_names()) & set(tables.metadata.tables)
        return {
            name: conn.execute(
                select(func.count()).select_from(tables.metadata.tables[name])
            ).scalar_one()
            for name in sorted(names)
        }
