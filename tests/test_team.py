"""A team on one database: analysts at once, killed imports, backups, migrations, copy, audit.

Every test that takes ``database`` (or ``databases``) runs on an SQLite file and on a fresh
database of a real PostgreSQL server (``postgres_admin_url`` in conftest.py). Measured
figures (reports per second) are printed and repeated in the run's summary.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import select
import shutil
import signal
import sqlite3
import subprocess
import sys
from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
import postgres_server
import pytest
import team_load
from sqlalchemy import inspect, make_url, text
from sqlalchemy import select as select_rows
from support import DECLARED
from test_cli import _close

from forecast import evidence, scenario, snapshots, trajectory
from forecast.api import Tracker
from forecast.audit import trail
from forecast.cli import main
from forecast.clock import parse_time
from forecast.domain import ForecastError, History, validate_question
from forecast.store import SCHEMA_HEAD, Store, copy_database, metadata, migration_config, to_url

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "seeds" / "putin-trump-2025.yaml"
PROCESSES, PER_PROCESS = 8, 250  # the figure: 8 analysts x 250 reports
CHANGES_START = parse_time("2025-11-02T08:00:00Z")  # the team's edits, one minute apart
AS_OF = parse_time("2025-12-15T00:00:00Z")  # after every logged time in the team database
XSS = "<script>alert('x')</script>"
SQL = "'; DROP TABLE reports; --"


# ---------------------------------------------------------------------- databases


@pytest.fixture
def backend(team_backend: str) -> str:
    return team_backend


@pytest.fixture
def databases(new_database: Callable[[], str]) -> Callable[[], str]:
    """New empty databases on this test's backend (SQLite, then PostgreSQL)."""
    return new_database


@pytest.fixture
def database(new_database: Callable[[], str]) -> str:
    return new_database()


def build_team_database(url: str) -> None:
    """The demo plus a week of team work: evidence, corrections, retractions, resolutions.

    Every write comes from a named analyst at a fixed time, so two builds are identical.
    """
    moments = (CHANGES_START + timedelta(minutes=i) for i in itertools.count())
    store = Store.open(url)

    def as_user(name: str) -> Tracker:
        return Tracker(store, user=name, clock=lambda: next(moments))

    try:
        as_user("maria").import_scenario(DEMO.read_text(encoding="utf-8"), name=DEMO.name)
        _report, added = as_user("ivan").add_evidence(
            "russia-ceasefire-line", lr=0.7, source="Reuters", new_report_id="team-report",
            published=parse_time("2025-10-30T07:00:00Z"), title=XSS, summary=SQL,
            origin="Kremlin readout", rationale="Кремль повторяет свои условия 🤝 שלום",
        )  # fmt: skip
        as_user("olga").correct_assessment(added.id, lr=0.5, reason="re-read the readout")
        first = _assessments(store, "putin-trump-meeting")[0]
        as_user("maria").correct_assessment(first, reason="double counted", retract=True)
        as_user("ivan").retract_report("reuters-trump-drops-meeting", reason="denied by source")
        as_user("maria").update_source("RIA Novosti", reliability=0.4, reason="track record")
        resolved_on = parse_time("2025-10-31")
        as_user("ivan").resolve("lavrov-rubio-meeting", "no", resolved_on, note="no meeting")
        as_user("olga").resolve(
            "lavrov-rubio-meeting", "annulled", resolved_on, note=SQL, correction=True
        )
        # Stored forecasts too: one per finished day from the logged times, and one now.
        snapshots.backfill(as_user("olga"))
        snapshots.take(as_user("olga"))
    finally:
        store.close()


def _assessments(store: Store, question_id: str) -> list[str]:
    with store.read() as tx:
        return sorted({a.id for a in tx.history([question_id]).assessments})


def trajectories(url: str) -> Trajectories:
    """Every question's state at a fixed knowledge time, as its JSON."""
    with Store.open(url) as store:
        tracker = Tracker(store)
        return Trajectories(
            {
                s.question.id: json.loads(
                    json.dumps(tracker.state(s.question.id, as_of=AS_OF).to_json())
                )
                for s in tracker.states(as_of=AS_OF)
            }
        )


class Trajectories(dict):
    """States as JSON, equal when every unlinked question's is exactly equal and every
    linked one's to a relative 1e-12 (the network's sums may differ in their last bit from
    one computation to the next)."""

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, dict) or self.keys() != other.keys():
            return False
        return all(
            _close(v, other[k]) if v.get("alone") is not None else v == other[k]
            for k, v in self.items()
        )

    __hash__ = None  # type: ignore[assignment]

    def unlinked(self) -> Trajectories:
        """The questions with no link."""
        return Trajectories({k: v for k, v in self.items() if v.get("alone") is None})


PROVENANCE = ("imported_at", "imported_by")  # when and by whom a row was imported


def table_rows(
    url: str, *, provenance: bool = True, leave_out: tuple[str, ...] = ()
) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, sorted in Python (the two backends collate differently).

    ``provenance=False`` leaves out the import columns: a restore from a scenario file is
    an import, so its rows say when they were imported, where the original's may not.
    ``leave_out`` names more columns to leave out (ones an older schema did not have).
    """
    skip = set(leave_out) | (set() if provenance else set(PROVENANCE))
    with Store.open(url) as store, store.read() as tx:
        found = {}
        for name, table in metadata.tables.items():
            columns = [c for c in table.columns if c.name not in skip]
            rows = tx.connection.execute(select_rows(*columns)).all()
            found[name] = sorted((tuple(row) for row in rows), key=repr)
    return found


def imported_by(url: str) -> dict[str, set[Any]]:
    """Per table with import columns, who imported its rows (None: a live write)."""
    with Store.open(url) as store, store.read() as tx:
        return {
            name: set(tx.connection.execute(select_rows(table.c.imported_by)).scalars())
            for name, table in metadata.tables.items()
            if "imported_by" in table.c
        }


def snapshot_rows(url: str) -> list[tuple[Any, ...]]:
    """The stored snapshots without their store-given ids (a restore may number them anew),
    nor their import columns (see :func:`table_rows`)."""
    columns = [c for c in metadata.tables["snapshots"].columns if c.name not in ("id", *PROVENANCE)]
    with Store.open(url) as store, store.read() as tx:
        rows = tx.connection.execute(select_rows(*columns)).all()
    return sorted((tuple(row) for row in rows), key=repr)


def export_text(url: str) -> str:
    with Store.open(url) as store:
        return Tracker(store).export_scenario()


def cli(*args: str) -> tuple[int, str, str]:
    """Run the real entry point in this process: (exit status, stdout, stderr)."""
    import io
    from contextlib import redirect_stderr, redirect_stdout

    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(list(args))
    return code, out.getvalue(), err.getvalue()


# ---------------------------------------------------------------------- many analysts at once


@pytest.mark.slow  # about a minute per backend: 8 processes x 250 reports
def test_eight_analysts_at_once_all_land_exactly_once(
    database: str, backend: str, report_figure: Callable[[str], None]
) -> None:
    team_load.prepare(database)
    figures = team_load.run(database, PROCESSES, PER_PROCESS)
    report_figure(
        f"{backend}: {figures.reports} reports from {figures.processes} processes at once "
        f"in {figures.seconds:.1f} s = {figures.per_second:.0f} reports/s"
    )
    assert figures.failures == []
    planned = team_load.planned_history(PROCESSES, PER_PROCESS)
    with Store.open(database) as store:
        with store.read() as tx:
            counts = tx.counts()
            stored = tx.history([team_load.QUESTION])
        state = Tracker(store).state(team_load.QUESTION, as_of=team_load.AS_OF, explain=False)

    total = PROCESSES * PER_PROCESS
    assert counts["reports"] == counts["assessments"] == total == figures.reports
    # Every planned report is there once, exactly as planned (history sorts by id, version).
    assert list(stored.reports) == sorted(planned.reports, key=lambda r: r.id)
    assert set(Counter(a.report_id for a in stored.assessments).values()) == {1}
    assert sorted(_judgement(a) for a in stored.assessments) == sorted(
        _judgement(a) for a in planned.assessments
    )
    # The trajectory read from the database is the one the plan alone implies.
    question = validate_question(team_load.question())
    items = evidence.items_for(question, planned, as_of=team_load.AS_OF)
    expected = trajectory.compute(question, items, team_load.AS_OF)
    np.testing.assert_array_equal(state.trajectory.probability, expected.probability)
    assert _moves(state.trajectory) == _moves(expected)
    assert len(state.trajectory.moves) == total


def _judgement(a: Any) -> tuple[Any, ...]:
    return (a.report_id, a.question_id, a.analyst, a.lr, a.logged_at, a.logged_by, a.version)


def _moves(traj: trajectory.Trajectory) -> list[tuple[Any, ...]]:
    return [(m.report_id, m.day, float(m.increment), float(m.after)) for m in traj.moves]


# ---------------------------------------------------------------------- killed mid-import

# The importer pauses inside its transaction once half the assessments are written, says
# so, and waits to be killed: the kill then lands mid-import every time, not by luck.
KILLED_IMPORTER = """
import sys, time
from forecast.api import Tracker
from forecast.store.session import Session

url, path, pause_at = sys.argv[1], sys.argv[2], int(sys.argv[3])
insert = Session.insert_assessment
written = 0

def counting(self, assessment):
    global written
    written += 1
    if written == pause_at:
        print("midway", flush=True)
        time.sleep(600)
    return insert(self, assessment)

Session.insert_assessment = counting
tracker = Tracker.open(url, user="importer")
with open(path, encoding="utf-8") as handle:
    tracker.import_scenario(handle.read(), name=path)
print("finished", flush=True)
"""
KILL_PROCESSES, KILL_PER_PROCESS = 4, 200  # 800 reports and 800 assessments


def test_a_killed_import_leaves_the_database_as_it_was(
    database: str, backend: str, tmp_path: Path
) -> None:
    build_team_database(database)
    before_export, before_rows = export_text(database), table_rows(database)
    big = team_load.planned_history(KILL_PROCESSES, KILL_PER_PROCESS)
    path = tmp_path / "big.yaml"
    path.write_text(scenario.dumps(big), encoding="utf-8")
    half = len(big.assessments) // 2

    child = subprocess.Popen(
        [sys.executable, "-c", KILLED_IMPORTER, database, str(path), str(half)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
    )  # fmt: skip
    try:
        assert _read_line(child, timeout=120) == "midway", child.stderr.read()
        _assert_write_in_progress(database, backend)
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.kill()
        child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL

    assert export_text(database) == before_export
    assert table_rows(database) == before_rows
    # Nothing left behind blocks the import's first records from being stored now: a
    # lingering transaction would still hold the write lock (SQLite) or their keys.
    first = History(
        questions=big.questions,
        sources=big.sources,
        reports=big.reports[:1],
        assessments=big.assessments[:1],
    )
    with Store.open(_with_lock_timeout(database)) as store:
        assert Tracker(store, user="importer").import_history(first)["assessments"] == 1


def _read_line(child: subprocess.Popen[str], timeout: float) -> str:
    assert child.stdout is not None
    ready, _, _ = select.select([child.stdout], [], [], timeout)
    return child.stdout.readline().strip() if ready else "(nothing within the timeout)"


def _assert_write_in_progress(url: str, backend: str) -> None:
    """Show that the paused importer really holds an open write transaction."""
    if backend == "sqlite":
        path = make_url(url).database or ""
        probe = sqlite3.connect(path, timeout=0.2, isolation_level=None)
        try:
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                probe.execute("BEGIN IMMEDIATE")
        finally:
            probe.close()
        return
    with Store(url) as store, store.engine.connect() as conn:
        states = conn.execute(
            text(
                "SELECT state FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        ).scalars()
        assert "idle in transaction" in list(states)


def _with_lock_timeout(url: str) -> str:
    if not url.startswith("postgresql"):
        return url
    return (
        make_url(url)
        .update_query_dict({"options": "-c lock_timeout=10000"})
        .render_as_string(False)
    )


# ---------------------------------------------------------------------- backup and restore


def test_export_and_import_restore_every_trajectory(
    databases: Callable[[], str], tmp_path: Path
) -> None:
    original, restored = databases(), databases()
    build_team_database(original)
    backup = tmp_path / "backup.yaml"
    code, _, err = cli("--db", original, "export", str(backup))
    assert code == 0, err
    code, _, err = cli("--db", restored, "import", str(backup))
    assert code == 0, err
    assert export_text(restored) == backup.read_text(encoding="utf-8")
    assert trajectories(restored) == trajectories(original)
    kept = table_rows(original, provenance=False)
    restored_rows = table_rows(restored, provenance=False)
    for name in set(kept) - {"snapshots"}:  # snapshots: see the next test
        assert restored_rows[name] == kept[name], name
    # The original holds the demo imported by maria and the team's live writes (no import
    # marks); every row of the restore came in through one import, by whoever ran it.
    assert imported_by(original)["reports"] == {"maria", None}
    # (no question of the team's database was edited: question_versions holds no row)
    marks = {t: who for t, who in imported_by(restored).items() if t != "question_versions"}
    assert set(map(frozenset, marks.values())) == {frozenset({"tester"})}
    assert imported_by(restored)["question_versions"] == set()


def test_export_and_import_restore_every_snapshot(
    databases: Callable[[], str], tmp_path: Path
) -> None:
    original, restored = databases(), databases()
    build_team_database(original)
    backup = tmp_path / "backup.yaml"
    assert cli("--db", original, "export", str(backup))[0] == 0
    assert cli("--db", restored, "import", str(backup))[0] == 0
    assert snapshot_rows(original)
    assert snapshot_rows(restored) == snapshot_rows(original)


def test_sqlite_backup_and_dump_restore_everything(tmp_path: Path) -> None:
    original = to_url(str(tmp_path / "original.db"))
    build_team_database(original)
    source = sqlite3.connect(tmp_path / "original.db")
    try:
        with sqlite3.connect(tmp_path / "backup.db") as copy:
            source.backup(copy)  # SQLite's online backup: a consistent page copy
    finally:
        source.close()
    names = ["backup.db"]
    # The .dump SQL text, as the sqlite3 shell writes it. (Python's iterdump cannot: it
    # inserts into the FTS5 search index before SQLite knows the table it declared.)
    shell = shutil.which("sqlite3")
    if shell is not None:
        dump = subprocess.run([shell, str(tmp_path / "original.db"), ".dump"], check=True,
                              capture_output=True, text=True).stdout  # fmt: skip
        subprocess.run([shell, str(tmp_path / "dumped.db")], input=dump, check=True, text=True)
        names.append("dumped.db")
    for name in names:
        restored = to_url(str(tmp_path / name))
        assert table_rows(restored) == table_rows(original)
        assert trajectories(restored) == trajectories(original)
        _assert_still_append_only(restored)


@pytest.mark.postgres
def test_pg_dump_and_restore_reproduce_everything(postgres_admin_url: str, tmp_path: Path) -> None:
    dump = postgres_server.client_program("pg_dump")
    restore = postgres_server.client_program("pg_restore")
    if dump is None or restore is None:
        pytest.skip("pg_dump or pg_restore is not installed")
    with contextlib.ExitStack() as stack:
        original, restored = (
            stack.enter_context(postgres_server.fresh_database(postgres_admin_url))
            for _ in range(2)
        )
        build_team_database(original)
        archive = tmp_path / "team.dump"
        subprocess.run([dump, "-Fc", "-f", str(archive), _libpq(original)], check=True)
        subprocess.run(
            [restore, "--no-owner", "--exit-on-error", "-d", _libpq(restored), str(archive)],
            check=True,
        )
        with Store.open(restored) as store:
            assert store.schema_version() == SCHEMA_HEAD
        assert table_rows(restored) == table_rows(original)
        assert trajectories(restored) == trajectories(original)
        _assert_still_append_only(restored)


def _libpq(url: str) -> str:
    """The URL as libpq (pg_dump, psql) spells it: no SQLAlchemy driver name."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _assert_still_append_only(url: str) -> None:
    from sqlalchemy.exc import DBAPIError

    with Store(url) as store:
        for name in ("assessments", "resolutions"):
            with pytest.raises(DBAPIError, match="append-only"), store.engine.begin() as conn:
                conn.execute(text(f"DELETE FROM {name}"))


# ---------------------------------------------------------------------- migrations


def _revisions() -> list[str]:
    from alembic.script import ScriptDirectory

    scripts = ScriptDirectory.from_config(migration_config())
    return [s.revision for s in reversed(list(scripts.walk_revisions()))]


def test_migrations_build_the_declared_schema_from_blank(database: str) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    with Store(database) as store:
        assert store.schema_version() is None
        assert store.upgrade() == SCHEMA_HEAD
        with store.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts=DECLARED)
            assert compare_metadata(context, metadata) == []
            assert _guarded_tables(conn) == set(metadata.tables)


def _guarded_tables(conn: Any, *, replace: bool = True) -> set[str]:
    """Tables with triggers refusing both UPDATE and DELETE (and TRUNCATE on PostgreSQL;
    on SQLite, with ``replace``, a stored key inserted again: REPLACE, revision 0005)."""
    if conn.dialect.name == "sqlite":
        found = conn.execute(
            text("SELECT tbl_name, sql FROM sqlite_master WHERE type = 'trigger'")
        ).all()
        events = [(table, sql.upper()) for table, sql in found]
        wanted: tuple[str, ...] = ("BEFORE UPDATE", "BEFORE DELETE")
        if replace:
            wanted += ("BEFORE INSERT",)
    else:
        found = conn.execute(
            text(
                "SELECT c.relname, pg_get_triggerdef(t.oid) FROM pg_trigger t "
                "JOIN pg_class c ON c.oid = t.tgrelid WHERE NOT t.tgisinternal"
            )
        ).all()
        events = [(table, definition.upper()) for table, definition in found]
        wanted = ("UPDATE", "DELETE", "TRUNCATE")
    return {
        table
        for table in {t for t, _ in events}
        if all(any(w in sql for t, sql in events if t == table) for w in wanted)
    }


def test_analysts_opening_a_blank_database_at_once_migrate_it_once(database: str) -> None:
    assert team_load.open_together(database, 4) == [SCHEMA_HEAD] * 4
    with Store(database) as store, store.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM alembic_version")).scalar() == 1


@pytest.mark.parametrize("start", _revisions()[:-1])
def test_upgrade_from_an_older_schema_keeps_the_data(
    databases: Callable[[], str], start: str
) -> None:
    from alembic import command

    reference, older = databases(), databases()
    build_team_database(reference)
    with Store(older) as store, store.engine.begin() as conn:
        command.upgrade(migration_config(conn), start)
        had_snapshots = inspect(conn).has_table("snapshots")
        had_closes = "closes_at" in {c["name"] for c in inspect(conn).get_columns("questions")}
        had_links = inspect(conn).has_table("question_links")
    # Fill the old schema with the reference rows, column by column as that schema has them.
    _copy_rows_into_older_schema(reference, older)
    with Store(older) as store:
        assert store.schema_version() == start
        assert store.upgrade() == SCHEMA_HEAD
    expected = export_text(reference)
    if not had_snapshots:  # a schema from before snapshots has none to keep
        expected = scenario.dumps(scenario.loads(expected))
    if not had_closes:  # ... and one from before close dates (0006) has none to keep
        loaded = scenario.load_all(expected)
        questions = tuple(replace(q, closes=None) for q in loaded.history.questions)
        expected = scenario.dumps(replace(loaded.history, questions=questions), loaded.snapshots)
    if not had_links:  # ... nor one from before links (0012)
        loaded = scenario.load_all(expected)
        expected = scenario.dumps(replace(loaded.history, links=()), loaded.snapshots)
    assert export_text(older) == expected
    after, before = trajectories(older), trajectories(reference)
    if not had_links:  # the reference's linked questions read what their links bring
        before = before.unlinked()
        after = Trajectories({k: after[k] for k in before})
    if not had_closes:  # the close date says only when a question awaits its resolution
        after, before = _without_close(after), _without_close(before)
    assert after == before


def _without_close(states: Trajectories) -> Trajectories:
    close = ("closes", "days_left", "status")
    return Trajectories(
        {qid: {k: v for k, v in state.items() if k not in close} for qid, state in states.items()}
    )


def test_a_database_at_0002_upgrades_to_the_head_and_keeps_its_rows(
    databases: Callable[[], str],
) -> None:
    from alembic import command

    reference, older = databases(), databases()
    build_team_database(reference)
    with Store(older) as store, store.engine.begin() as conn:
        command.upgrade(migration_config(conn), "0002")
    _copy_rows_into_older_schema(reference, older)
    with Store(older) as store:
        assert store.upgrade() == SCHEMA_HEAD == "0012"
        with store.engine.connect() as conn:
            assert _guarded_tables(conn) == set(metadata.tables)  # ADD COLUMN kept them all
            with pytest.raises(Exception, match="append-only"):
                conn.execute(text("UPDATE reports SET imported_by = 'someone'"))
            conn.rollback()
            # 0005 wrote one key per version-1 assessment, as live writes of them would have.
            keys = conn.execute(text("SELECT count(*) FROM assessment_keys")).scalar()
            firsts = conn.execute(text("SELECT count(*) FROM assessments WHERE version = 1"))
            assert keys == firsts.scalar() > 20
        tracker = Tracker(store)
        history = tracker.history(None)
        stored_snapshots = snapshots.load(tracker)
    # Every row is there, as it was (the keys as live writes made them); none was imported
    # as far as the old schema could say.
    # (0002 had no close dates: 0006 added them, empty, to the rows already stored; nor
    # links: 0012 made their table, empty.)
    kept = table_rows(reference, provenance=False, leave_out=("closes_at",))
    assert kept.pop("question_links")  # the demo's links, which 0002 could not hold
    found = table_rows(older, provenance=False, leave_out=("closes_at",))
    assert found.pop("question_links") == []
    assert found == kept
    # (question_versions is empty: nobody edited a question of the team's database)
    assert set(map(frozenset, imported_by(older).values())) == {frozenset({None}), frozenset()}
    records = [*history.questions, *history.sources, *history.reports, *history.assessments]
    records += [*history.resolutions, *(s for found in stored_snapshots.values() for s in found)]
    assert len(records) > 100
    assert {(r.imported_at, r.imported_by) for r in records} == {(None, "")}
    # And back: dropping the columns keeps the triggers too.
    with Store(older) as store, store.engine.begin() as conn:
        command.downgrade(migration_config(conn), "0002")
        assert not {"imported_at", "imported_by"} & {
            c["name"] for c in inspect(conn).get_columns("reports")
        }
        later = {"assessment_keys", "question_versions"}  # tables of 0005 and 0007, 0009's, 0010's
        later |= {"alert_settings", "alerts_sent", "alert_runs"}
        later |= {"feeds", "feed_fetches", "inbox_entries", "inbox_actions", "question_links"}
        assert _guarded_tables(conn, replace=False) == set(metadata.tables) - later


def _copy_rows_into_older_schema(source: str, target: str) -> None:
    from sqlalchemy import MetaData

    old = MetaData()
    with Store(target) as store, store.engine.begin() as conn:
        old.reflect(conn)
        rows = table_rows(source)
        for table in metadata.sorted_tables:
            if table.name not in old.tables:
                continue
            names = [c.name for c in table.columns]
            kept = [c.name for c in old.tables[table.name].columns]
            records = [
                {k: dict(zip(names, row, strict=True))[k] for k in kept} for row in rows[table.name]
            ]
            if records:
                conn.execute(table.insert(), records)


# ---------------------------------------------------------------------- copy between databases


@pytest.mark.postgres
def test_copy_sqlite_to_postgresql_and_back_loses_nothing(
    tmp_path: Path, postgres_url: str
) -> None:
    first, last = to_url(str(tmp_path / "first.db")), to_url(str(tmp_path / "last.db"))
    build_team_database(first)
    for source, target in ((first, postgres_url), (postgres_url, last)):
        code, out, err = cli("--db", source, "copy", "--to", target)
        assert code == 0, err
        assert out.startswith("copied ") and err == ""
    assert export_text(postgres_url) == export_text(first) == export_text(last)
    assert table_rows(postgres_url) == table_rows(first) == table_rows(last)
    assert trajectories(last) == trajectories(first)
    assert snapshot_rows(first)  # the copy carried stored snapshots too
    # PostgreSQL goes on numbering snapshots after the copied ones.
    with Store.open(postgres_url) as store:
        highest = max(row[0] for row in table_rows(postgres_url)["snapshots"])
        assert snapshots.record(Tracker(store), ["russia-ceasefire-line"]) == 1
        with store.read() as tx:
            (taken,) = [s for s in tx.snapshots() if s.id is not None and s.id > highest]
    assert taken.id == highest + 1


def test_copy_refuses_a_database_that_holds_data(databases: Callable[[], str]) -> None:
    source, target = databases(), databases()
    build_team_database(source)
    with Store.open(target) as store:
        Tracker(store).add_source("Local paper", 0.5)
    before = table_rows(target)
    code, _, err = cli("--db", source, "copy", "--to", target)
    assert code == 1 and len(err.strip().splitlines()) == 1
    assert "already holds data (1 in source_versions)" in err
    assert table_rows(target) == before


def test_copy_refuses_to_copy_a_database_onto_itself(database: str) -> None:
    build_team_database(database)
    before = table_rows(database)
    code, _, err = cli("--db", database, "copy", "--to", database)
    assert code == 1 and "same database" in err
    assert table_rows(database) == before


def test_copy_refuses_a_database_at_another_schema(databases: Callable[[], str]) -> None:
    from alembic import command

    if len(_revisions()) < 2:
        pytest.skip("there is only one schema version")
    source, older = databases(), databases()
    build_team_database(source)
    with Store(older) as store, store.engine.begin() as conn:
        command.upgrade(migration_config(conn), _revisions()[0])
    code, _, err = cli("--db", source, "copy", "--to", older)
    assert code == 1 and f"is at schema {_revisions()[0]}, not {SCHEMA_HEAD}" in err
    with Store(older) as store:
        assert store.schema_version() == _revisions()[0]  # not migrated behind anyone's back


def test_a_failed_copy_keeps_nothing(
    databases: Callable[[], str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from forecast.store import copy as copying

    source, target = databases(), databases()
    build_team_database(source)
    real = copying._rows
    calls = itertools.count()

    def corrupted(conn: Any, table: Any) -> list[Any]:
        rows = real(conn, table)
        # Reads alternate: a source table, then its copy. Lose a row of the first copy.
        return rows[1:] if next(calls) % 2 == 1 else rows

    monkeypatch.setattr(copying, "_rows", corrupted)
    with (
        pytest.raises(ForecastError, match="differs: nothing was kept"),
        Store.open(source) as src,
        Store(target) as dst,
    ):
        copy_database(src, dst)
    monkeypatch.undo()
    assert set(map(len, table_rows(target).values())) == {0}


# ---------------------------------------------------------------------- audit


def test_audit_of_a_question_lists_every_change_with_who_when_why(database: str) -> None:
    build_team_database(database)
    code, out, err = cli("--db", database, "audit", "russia-ceasefire-line", "--json")
    assert code == 0, err
    entries = json.loads(out)
    assert [e["at"] for e in entries] == sorted(e["at"] for e in entries)
    assert all("russia-ceasefire-line" in e["questions"] for e in entries)
    (logged,) = [e for e in entries if (e["kind"], e["key"]) == ("report", "team-report")]
    assert (logged["action"], logged["who"], logged["version"]) == ("logged", "ivan", 1)
    assert logged["details"]["title"] == XSS  # stored and shown as text, not markup
    judged = [e for e in entries if e["kind"] == "assessment" and e["at"] >= logged["at"]]
    assessed, corrected = judged
    assert (assessed["action"], assessed["who"], assessed["details"]["lr"]) == (
        "assessed",
        "ivan",
        0.7,
    )
    assert assessed["why"] == "Кремль повторяет свои условия 🤝 שלום"  # the rationale
    assert (corrected["action"], corrected["who"], corrected["version"]) == ("corrected", "olga", 2)
    assert corrected["why"] == "re-read the readout"
    assert corrected["changes"] == [{"field": "lr", "before": 0.7, "after": 0.5}]
    assert corrected["at"] > assessed["at"] == logged["at"]


def test_audit_shows_the_stated_time_and_the_import_of_imported_records(database: str) -> None:
    build_team_database(database)  # maria imports the demo first, at CHANGES_START
    code, out, err = cli("--db", database, "audit", "russia-ceasefire-line", "--json")
    assert code == 0, err
    entries = json.loads(out)
    imported = [e for e in entries if e["imported"] is not None]
    live = [e for e in entries if e["imported"] is None]
    assert len(imported) > 5 and live
    assert {e["imported"]["by"] for e in imported} == {"maria"}
    assert {e["imported"]["at"] for e in imported} == {"2025-11-02T08:00:00Z"}
    # Each keeps the logged time and author its file stated, all before the import.
    assert all(e["at"] < "2025-11-02" for e in imported)
    assert {e["who"] for e in live} == {"ivan", "olga"}  # the team's own edits
    assert all(e["at"] >= "2025-11-02T08:00:00Z" for e in live)
    code, out, err = cli("--db", database, "audit", "russia-ceasefire-line")
    assert code == 0, err
    (created,) = [line for line in out.splitlines() if " question russia-ceasefire-line " in line]
    assert created.endswith("[imported 2025-11-02T08:00:00Z by maria]"), created
    (ivan,) = [line for line in out.splitlines() if "report team-report v1 logged" in line]
    assert "imported" not in ivan


def test_audit_shows_retractions_and_resolution_corrections(database: str) -> None:
    build_team_database(database)
    code, out, _ = cli("--db", database, "audit", "--json")
    assert code == 0
    entries = json.loads(out)
    actions = {(e["kind"], e["action"], e["who"], e["why"]) for e in entries}
    assert ("assessment", "retracted", "maria", "double counted") in actions
    assert ("report", "retracted", "ivan", "denied by source") in actions
    assert ("source", "re-rated", "maria", "track record") in actions
    assert ("resolution", "resolved", "ivan", "no meeting") in actions
    assert ("resolution", "resolution corrected", "olga", SQL) in actions
    created = [e for e in entries if e["kind"] == "question"]
    assert len(created) == 4 and {e["action"] for e in created} == {"created"}

    code, text_out, _ = cli("--db", database, "audit", "lavrov-rubio-meeting")
    assert code == 0
    last = text_out.strip().splitlines()[-1]
    assert last.startswith("2025-11-02T") and "olga  resolution lavrov-rubio-meeting v2" in last
    assert "outcome no -> annulled" in last and SQL in last


def test_audit_of_an_unknown_question_is_one_error_line(database: str) -> None:
    build_team_database(database)
    code, out, err = cli("--db", database, "audit", "no-such-question")
    assert code == 1 and out == ""
    assert err.strip() == "error: no question 'no-such-question'"


def test_audit_lines_escape_control_characters() -> None:
    from forecast.domain import Report, Source

    history = History(
        sources=(Source("Wire", 0.5, logged_at=AS_OF, logged_by="ana"),),
        reports=(
            Report(
                "r1",
                AS_OF,
                "Wire",
                title="red \x1b[31m alert\nsecond line",
                logged_at=AS_OF,
                logged_by="ana",
            ),
        ),
    )
    lines = [e.line() for e in trail(history)]
    assert all("\x1b" not in line and "\n" not in line for line in lines)
    assert any("red \\x1b[31m alert second line" in line for line in lines)


def test_audit_with_no_records_says_so(database: str) -> None:
    code, out, _ = cli("--db", database, "audit")
    assert (code, out) == (0, "no changes recorded\n")
    assert trail(History()) == []


def test_audit_trail_follows_a_question_through_its_reports_and_sources() -> None:
    from forecast.domain import Assessment, Kind, Question, Report, Resolution, Source

    t0 = parse_time("2025-01-01")

    def at(hours: int) -> Any:
        return t0 + timedelta(hours=hours)

    history = History(
        questions=(
            Question("q1", "One?", Kind.BINARY, t0, prior=0.5, created_at=at(0), created_by="a"),
            Question("q2", "Two?", Kind.BINARY, t0, prior=0.5, created_at=at(0), created_by="a"),
        ),
        sources=(
            Source("Wire", 0.5, logged_at=at(1), logged_by="a"),
            Source("Wire", 0.7, version=2, logged_at=at(9), logged_by="b", reason="better"),
            Source("Other", 0.5, logged_at=at(1), logged_by="a"),
        ),
        reports=(
            Report("shared", at(2), "Wire", logged_at=at(3), logged_by="a"),
            Report("only-q2", at(2), "Other", logged_at=at(3), logged_by="a"),
        ),
        assessments=(
            Assessment("a1", "shared", "q1", "a", lr=2.0, logged_at=at(4), logged_by="a"),
            Assessment("a2", "shared", "q2", "b", lr=3.0, logged_at=at(4), logged_by="b"),
            Assessment("a3", "only-q2", "q2", "b", lr=3.0, logged_at=at(4), logged_by="b"),
        ),
        resolutions=(
            Resolution("q1", "annulled", at(10), "void", logged_at=at(11), logged_by="c"),
        ),
    )
    entries = trail(history, "q1")
    assert [(e.kind, e.key, e.version, e.action) for e in entries] == [
        ("question", "q1", 1, "created"),
        ("source", "Wire", 1, "added"),
        ("report", "shared", 1, "logged"),
        ("assessment", "a1", 1, "assessed"),
        ("source", "Wire", 2, "re-rated"),
        ("resolution", "q1", 1, "annulled"),
    ]
    rerated = entries[4]
    assert (rerated.who, rerated.why, rerated.questions) == ("b", "better", ("q1", "q2"))
    assert [(c.field, c.before, c.after) for c in rerated.changes] == [("reliability", 0.5, 0.7)]
    assert len(trail(history)) == 11  # everything: 2 questions, 3 sources, 2 reports, ...
