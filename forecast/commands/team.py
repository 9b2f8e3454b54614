"""CLI commands for teams: ``forecast copy`` (move a database) and ``forecast audit``.

``copy_database`` is the library function behind ``forecast copy``: it copies every row of
every table, so every version and every logged time survives, into an empty database of
the same schema, and checks the copy row by row before committing it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from forecast.terminal import say

if TYPE_CHECKING:
    from sqlalchemy import Connection, Row, Table

    from forecast.store import Store

COPY_CHUNK = 2_000  # rows per INSERT batch: well inside both backends' parameter limits


def register(cli: click.Group) -> None:
    """Add this area's commands to the root group."""
    cli.add_command(copy)
    cli.add_command(audit)


# ---------------------------------------------------------------------- copy


@click.command()
@click.option(
    "--to",
    "target",
    required=True,
    metavar="URL",
    help="The database to fill: an SQLAlchemy URL or an SQLite file. It must be empty.",
)
@click.pass_context
def copy(ctx: click.Context, target: str) -> None:
    """Copy this database (--db) into an empty one, keeping every version and logged time."""
    from forecast.store import Store

    with Store.open(ctx.find_root().obj.get("db")) as source, Store(target) as destination:
        counts = copy_database(source, destination)
    rows = sum(counts.values())
    listed = ", ".join(f"{n} {name}" for name, n in counts.items() if n)
    say(
        f"copied {rows} rows from {source.display_url} to {destination.display_url}"
        + (f" ({listed})" if listed else "")
    )


def copy_database(source: Store, destination: Store) -> dict[str, int]:
    """Copy every table of ``source`` into the empty ``destination``; return rows per table.

    A blank destination gets the current schema first; one at another schema is refused
    (copying is no way to migrate). The rows are written in one transaction, compared with
    the source row by row, and committed only if the two are identical: on any failure the
    destination holds no rows.
    """
    from sqlalchemy.exc import DBAPIError

    from forecast.domain import ForecastError
    from forecast.store import SCHEMA_HEAD, metadata

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
    from sqlalchemy import make_url

    first, second = make_url(a.url), make_url(b.url)
    if first.get_backend_name() != second.get_backend_name():
        return False
    if first.get_backend_name() == "sqlite":
        from pathlib import Path

        paths = [Path(u.database or "").resolve() for u in (first, second)]
        return paths[0] == paths[1]
    keep = ("host", "port", "database")
    return [getattr(first, k) for k in keep] == [getattr(second, k) for k in keep]


def _require_empty(counts: dict[str, int], where: str) -> None:
    from forecast.domain import ForecastError

    filled = {name: n for name, n in counts.items() if n}
    if filled:
        listed = ", ".join(f"{n} in {name}" for name, n in filled.items())
        raise ForecastError(f"{where} already holds data ({listed}): copy into an empty database")


def _rows(conn: Connection, table: Table) -> list[Row[Any]]:
    """All rows of ``table``, sorted in Python so both backends agree on the order."""
    from sqlalchemy import select

    # ORDER BY would sort text by each server's collation; Python sorts by code point.
    rows = list(conn.execute(select(table)).all())
    key = [table.columns.keys().index(c.name) for c in table.primary_key.columns]
    return sorted(rows, key=lambda row: tuple(row[i] for i in key))


def _comparable(rows: list[Row[Any]]) -> list[tuple[Any, ...]]:
    # NaN never equals itself; a stored NaN must still count as copied.
    return [tuple("NaN" if v != v else v for v in row) for row in rows]


def _continue_numbering(conn: Connection, table: Table) -> None:
    """Make PostgreSQL's id sequence continue after the copied ids (SQLite does so itself)."""
    from sqlalchemy import func, select, text

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


# ---------------------------------------------------------------------- audit


@click.command()
@click.argument("qid", metavar="[ID]", required=False)
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def audit(ctx: click.Context, qid: str | None, as_json: bool) -> None:
    """Every change to a question (or to everything): who, when, what and why."""
    from forecast.audit import trail
    from forecast.cli import _print_json, _tracker
    from forecast.domain import check_id

    tracker = _tracker(ctx)
    if qid is not None:
        tracker.question(check_id(qid, "question"))  # a bad or unknown id fails here
    entries = trail(tracker.history(None if qid is None else [qid]), qid)
    if as_json:
        _print_json([e.to_json() for e in entries])
        return
    if not entries:
        say("no changes recorded")
    for entry in entries:
        say(entry.line())
