"""The Store: one database (SQLite file or PostgreSQL), its schema version, its transactions."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self

from sqlalchemy import Connection, Engine, create_engine, event, inspect, make_url, text
from sqlalchemy.exc import DBAPIError, OperationalError

import forecast.store.schema as schema
from forecast.domain import ForecastError
from forecast.store import search
from forecast.store.session import Session
from forecast.store.urls import default_url, mask, to_url

if TYPE_CHECKING:
    from alembic.config import Config

SCHEMA_HEAD = "0012"
"""The migration this code is written against (a test checks it is alembic's head)."""

MIGRATIONS = Path(__file__).resolve().parents[1] / "migrations"
VERSION_TABLE = "alembic_version"
PG_CONNECT_TIMEOUT = 5  # seconds: a wrong host should fail fast, not hang the CLI
SQLITE_BUSY_SECONDS = 30  # how long a writer waits for another one
SQLITE_PRAGMAS = (
    # First: every statement after it, the switch to WAL included, waits for a lock held by
    # another process instead of failing at once ("database is locked" when analysts open
    # a blank database together).
    f"PRAGMA busy_timeout={SQLITE_BUSY_SECONDS * 1000}",
    "PRAGMA journal_mode=WAL",  # readers never block the writer
    "PRAGMA foreign_keys=ON",
    "PRAGMA synchronous=NORMAL",  # safe with WAL; a crash loses at most the last commit
)
_BEGIN = "forecast_sqlite_begin"  # execution option: which BEGIN the SQLite hook emits
_MIGRATION_LOCK = 7_102_026_001  # PostgreSQL advisory lock key held while migrating
CLOCK_CHECK = 600.0  # seconds between two readings of a database server's clock


class Store:
    """A forecast database. Creating one does not connect; :meth:`open` does."""

    def __init__(self, url: str | None = None):
        self.url = default_url() if url is None else to_url(url)
        self.display_url = mask(self.url)
        self.engine: Engine = _create_engine(self.url)  # lazy: connects on first use
        self._offset: timedelta | None = None  # server clock minus ours (PostgreSQL)
        self._offset_read = 0.0  # time.monotonic() of the last reading
        self._offset_lock = threading.Lock()

    def __repr__(self) -> str:
        return f"Store({self.display_url!r})"

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @classmethod
    def open(cls, target: str | None = None) -> Store:
        """Connect to ``target`` (default: :func:`default_url`) and check its schema.

        A blank database is migrated to the current schema; any other revision than the
        current one is refused with a message saying what to do.
        """
        store = cls(target)
        try:
            store._prepare()
        except BaseException:
            store.close()
            raise
        return store

    def close(self) -> None:
        """Close pooled connections (the store stays usable: it reconnects on demand)."""
        self.engine.dispose()

    # ------------------------------------------------------------------ clock

    def now(self) -> datetime:
        """The store's clock: the knowledge time of every live write.

        An SQLite file lives on this machine, so its clock is ours. A PostgreSQL server is
        shared by machines whose clocks drift apart; the server's clock is the one they
        agree on. Asking it at every write (and at every read that defaults to "now") would
        cost a round trip each, so its offset from ours is read once and again every
        ``CLOCK_CHECK`` seconds, and applied to our clock in between.
        """
        local = datetime.now(UTC)
        if self.engine.dialect.name != "postgresql":
            return local
        with self._offset_lock:
            stale = time.monotonic() - self._offset_read > CLOCK_CHECK
            if self._offset is None or stale:
                self._offset = self._server_offset()
                self._offset_read = time.monotonic()
            return local + self._offset

    def _server_offset(self) -> timedelta:
        """The server's clock minus ours, read half-way through one round trip."""
        with self._connect() as conn:
            before = datetime.now(UTC)
            server = conn.execute(text("SELECT clock_timestamp()")).scalar_one()
            after = datetime.now(UTC)
            conn.rollback()
        return server.astimezone(UTC) - (before + (after - before) / 2)

    # ------------------------------------------------------------------ schema

    def schema_version(self) -> str | None:
        """The revision the database is at, or ``None`` if it has never been migrated."""
        with self._connect() as conn:
            return _stored_version(conn)

    def upgrade(self) -> str:
        """Migrate to the current schema (creating the tables if blank); return the revision."""
        from alembic import command
        from alembic.util import CommandError

        try:
            with self._connect(immediate=True) as conn, conn.begin():
                _lock_migrations(conn)
                found = _stored_version(conn)
                if found is not None:
                    check_revision(found, allow_older=True)
                command.upgrade(migration_config(conn), "head")
                if conn.dialect.name == "sqlite" and search.missing(conn):
                    search.rebuild(conn)  # a restore that left the derived index out
                return _stored_version(conn) or ""
        except (CommandError, DBAPIError) as exc:  # e.g. no right to create tables
            reason = _reason(exc) if isinstance(exc, DBAPIError) else str(exc)
            raise ForecastError(f"cannot migrate {self.display_url}: {reason}") from None

    def _prepare(self) -> None:
        try:
            with self._connect() as conn:
                tables = set(inspect(conn).get_table_names())
                found = _stored_version(conn) if VERSION_TABLE in tables else None
        except DBAPIError as exc:  # e.g. a file that is not an SQLite database
            raise self._cannot_open(exc) from None
        if found is not None:
            check_revision(found)
        elif tables & set(schema.APPEND_ONLY):
            raise ForecastError(
                f"database {self.display_url} has forecast tables but no schema version: "
                "it was not made by `forecast init`"
            )
        else:
            self.upgrade()

    # ------------------------------------------------------------------ transactions

    @contextmanager
    def write(self) -> Iterator[Session]:
        """One transaction: committed if the block succeeds, rolled back on any exception.

        A failed insert (:class:`Conflict`, ...) spoils the whole transaction, as PostgreSQL
        would anyway: even if the block catches it, nothing is kept and it is raised again
        on exit. To retry after a :class:`Conflict`, run the whole block again.
        """
        with self._connect(immediate=True) as conn, conn.begin():
            session = Session(conn, writable=True)
            yield session
            if session.failed is not None:  # the caller swallowed it: still nothing is kept
                raise session.failed

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A read-only session; its queries all see one consistent snapshot."""
        with self._connect(readonly=True) as conn:
            yield Session(conn, writable=False)

    @contextmanager
    def _connect(self, *, immediate: bool = False, readonly: bool = False) -> Iterator[Connection]:
        """A pooled connection; driver failures become one-line :class:`ForecastError`."""
        try:
            conn = self.engine.connect()
        except DBAPIError as exc:
            raise self._cannot_open(exc) from None
        try:
            with conn:
                _set_mode(conn, immediate=immediate, readonly=readonly)
                yield conn
        except OperationalError as exc:  # locked past the busy timeout, server gone, ...
            raise ForecastError(f"database {self.display_url} failed: {_reason(exc)}") from None

    def _cannot_open(self, exc: DBAPIError) -> ForecastError:
        return ForecastError(f"cannot open database {self.display_url}: {_reason(exc)}")


# ---------------------------------------------------------------------- schema revisions


def check_revision(found: str, *, allow_older: bool = False) -> None:
    """Refuse a database whose schema is not the one this code was written for."""
    if found == SCHEMA_HEAD:
        return
    number, head = _revision_number(found), _revision_number(SCHEMA_HEAD)
    if number is not None and head is not None and number < head:
        if allow_older:
            return
        raise ForecastError(
            f"database schema is at {found} but this version needs {SCHEMA_HEAD}: "
            "run `forecast init`"
        )
    raise ForecastError(
        f"database schema is at {found}, which this version of forecast does not know "
        f"(it needs {SCHEMA_HEAD}): upgrade forecast"
    )


def migration_config(connection: Connection | None = None) -> Config:
    """An Alembic configuration built in code: no ``alembic.ini`` is needed."""
    from alembic.config import Config

    config = Config()
    # configparser treats '%' specially, and the install path might contain one.
    config.set_main_option("script_location", str(MIGRATIONS).replace("%", "%%"))
    config.attributes["connection"] = connection
    return config


def _revision_number(revision: str) -> int | None:
    # Revisions are numbered "0001", "0002", ...: the number says older or newer.
    return int(revision) if revision.isdigit() else None


def _stored_version(conn: Connection) -> str | None:
    # Plain SQL on purpose: importing alembic costs more than the whole query.
    if not inspect(conn).has_table(VERSION_TABLE):
        return None
    found = conn.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalars().all()
    if len(found) > 1:
        raise ForecastError(f"database has several schema versions ({', '.join(found)})")
    return found[0] if found else None


def _lock_migrations(conn: Connection) -> None:
    # SQLite is already locked by BEGIN IMMEDIATE; PostgreSQL needs an explicit lock so
    # two first-time users cannot both create the tables.
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK})


# ---------------------------------------------------------------------- engines


def _create_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        engine = create_engine(parsed)
        event.listen(engine, "connect", _sqlite_connect)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    connect_args: dict[str, Any] = {}
    if "connect_timeout" not in parsed.query:
        connect_args["connect_timeout"] = PG_CONNECT_TIMEOUT
    # pre_ping: a long-lived dashboard outlives server-side idle timeouts.
    return create_engine(parsed, connect_args=connect_args, pool_pre_ping=True)


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # Take BEGIN away from the sqlite3 module so that _sqlite_begin decides which BEGIN runs
    # (the module would otherwise begin lazily, and only before writes).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        for pragma in SQLITE_PRAGMAS:
            _pragma(cursor, pragma)
    finally:
        cursor.close()


def _pragma(cursor: Any, pragma: str) -> None:
    # SQLite does not call its busy handler in every case: switching a blank file to WAL
    # while other processes open it at the same moment can fail at once with "database is
    # locked". Such a pragma is retried for as long as the busy timeout would have waited.
    deadline = time.monotonic() + SQLITE_BUSY_SECONDS
    while True:
        try:
            cursor.execute(pragma)
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.02)


def _sqlite_begin(conn: Connection) -> None:
    # Writers take the write lock up front (BEGIN IMMEDIATE): two writers then queue on the
    # busy timeout instead of one failing when it upgrades a read lock mid-transaction.
    conn.exec_driver_sql(conn.get_execution_options().get(_BEGIN, "BEGIN"))


def _set_mode(conn: Connection, *, immediate: bool, readonly: bool) -> None:
    if conn.dialect.name == "sqlite":
        if immediate:
            conn.execution_options(**{_BEGIN: "BEGIN IMMEDIATE"})
    elif readonly:
        # REPEATABLE READ: every query of the session sees one snapshot, as on SQLite;
        # a read-only transaction at this level never fails to serialise.
        conn.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)


def _reason(exc: DBAPIError) -> str:
    """The first line of the driver's message: enough to act on, short enough for a CLI."""
    lines = [line.strip() for line in str(exc.orig).splitlines() if line.strip()]
    return lines[0] if lines else type(exc.orig).__name__
