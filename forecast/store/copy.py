"""Copying a whole database into an empty one (``forecast copy``), e.g. SQLite to PostgreSQL.

Every row of every table is copied, so every version and every logged time survives, into an
empty database of the same schema; the copy is checked row by row before it is committed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Row, Table, func, make_url, select, text
from sqlalchemy.exc import DBAPIError

from forecast.domain import ForecastError
from forecast.store.database import SCHEMA_HEAD, Store
from forecast.store.schema import metadata

COPY_CHUNK = 2_000  # rows per INSERT batch: well inside both backends' parameter limits


def copy_database(source: Store, destination: Store) -> dict[str, int]:
    """Copy every table of ``source`` into the empty ``destination``; return rows per table.

    A blank destination gets the current schema first; one at another schema is refused
    (copying is no way to migrate). The rows are written in one transaction, compared with
    the source row by row, and committed only if the two are identical: on any failure the
    destination holds no rows.
    """
    if _same_database(source, destination):
        raise ForecastError("the source and the destination are the same database")
    found = destination.schema_version()
    if found not in (None, SCHEMA_HEAD):
        raise ForecastError(
            f"{destination.display_url} is at schema {found}, not {SCHEMA_HEAD}: "
            "copy into a new, empty database"
        )
    destination.upgrade()
    counts: dict[str, int] = {}
    with source.read() as reading, destination.write() as writing:
        _require_empty(writing.counts(), destination.display_url)
        for table in metadata.sorted_tables:  # parents before children
            rows = _rows(reading.connection, table)
            try:
                for start in range(0, len(rows), COPY_CHUNK):
                    chunk = rows[start : start + COPY_CHUNK]
                    writing.connection.execute(table.insert(), [r._asdict() for r in chunk])
            except DBAPIError as exc:
                reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
                raise ForecastError(f"cannot copy table {table.name}: {reason}") from None
            _continue_numbering(writing.connection, table)
            if _comparable(_rows(writing.connection, table)) != _comparable(rows):
                raise ForecastError(f"the copy of table {table.name} differs: nothing was kept")
            counts[table.name] = len(rows)
    return counts


def _same_database(a: Store, b: Store) -> bool:
    first, second = make_url(a.url), make_url(b.url)
    if first.get_backend_name() != second.get_backend_name():
        return False
    if first.get_backend_name() == "sqlite":
        paths = [Path(u.database or "").resolve() for u in (first, second)]
        return paths[0] == paths[1]
    keep = ("host", "port", "database")
    return [getattr(first, k) for k in keep] == [getattr(second, k) for k in keep]


def _require_empty(counts: dict[str, int], where: str) -> None:
    filled = {name: n for name, n in counts.items() if n}
    if filled:
        listed = ", ".join(f"{n} in {name}" for name, n in filled.items())
        raise ForecastError(f"{where} already holds data ({listed}): copy into an empty database")


def _rows(conn: Connection, table: Table) -> list[Row[Any]]:
    """All rows of ``table``, sorted in Python so both backends agree on the order."""
    # ORDER BY would sort text by each server's collation; Python sorts by code point.
    rows = list(conn.execute(select(table)).all())
    key = [table.columns.keys().index(c.name) for c in table.primary_key.columns]
    return sorted(rows, key=lambda row: tuple(row[i] for i in key))


def _comparable(rows: list[Row[Any]]) -> list[tuple[Any, ...]]:
    # NaN never equals itself; a stored NaN must still count as copied.
    return [tuple("NaN" if v != v else v for v in row) for row in rows]


def _continue_numbering(conn: Connection, table: Table) -> None:
    """Make PostgreSQL's id sequence continue after the copied ids (SQLite does so itself)."""
    column = table.autoincrement_column
    if column is None or conn.dialect.name != "postgresql":
        return
    sequence = conn.execute(
        text("SELECT pg_get_serial_sequence(:table, :column)"),
        {"table": table.name, "column": column.name},
    ).scalar()
    if sequence is None:
        return
    highest = conn.execute(select(func.max(column))).scalar() or 0
    # is_called=false: the next id handed out is highest + 1 itself.
    conn.execute(text("SELECT setval(:seq, :next, false)"), {"seq": sequence, "next": highest + 1})
