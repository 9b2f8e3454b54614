"""Full-text search, held by the database (migration 0008): SQLite's FTS5 index or
PostgreSQL's text search over GIN indexes, never a scan in Python.

Words match by prefix and case aside; every word must match. What is searched is in
``SEARCHED``, which must read as migration 0008 wrote it (PostgreSQL uses its indexes only
for the very same expressions; ``tests/test_search.py`` compares the two).
"""

from __future__ import annotations

import re

from sqlalchemy import Connection, text
from sqlalchemy.exc import OperationalError

from forecast.domain import ForecastError

SEARCHED = {
    "questions": ("question", "id", "title || ' ' || criteria || ' ' || prior_note"),
    "question_versions": (
        "question",
        "question_id",
        "title || ' ' || criteria || ' ' || prior_note",
    ),
    "reports": ("report", "id", "title || ' ' || summary || ' ' || origin"),
    "assessments": ("assessment", "id", "rationale || ' ' || reason"),
}
def derived(name: str | None) -> bool:
    """Whether a database object is the search index (not in ``schema.metadata``): FTS5's
    table and its shadow tables and triggers on SQLite, the GIN indexes on PostgreSQL."""
    return bool(name) and (str(name).startswith("search_index") or str(name).endswith("_search"))


MAX_WORDS = 16  # a pasted paragraph is not a search
_WORD = re.compile(r"\w+")


def words(query: str) -> list[str]:
    """The words of a search, refused when there are none or too many."""
    found = _WORD.findall(query or "")
    if not found:
        raise ForecastError("search for at least one word (letters or digits)")
    if len(found) > MAX_WORDS:
        raise ForecastError(f"search for at most {MAX_WORDS} words, not {len(found)}")
    return found


def search(connection: Connection, query: str, limit: int) -> list[tuple[str, str]]:
    """(kind, key) of the records matching every word of ``query``, best first: kind is
    question, report or assessment (a record matches if any of its versions does)."""
    terms = words(query)
    if connection.dialect.name == "sqlite":
        if missing(connection):
            raise ForecastError(MISSING)
        sql = text(
            "SELECT kind, key FROM search_index WHERE search_index MATCH :match "
            "GROUP BY kind, key ORDER BY min(rank), kind, key LIMIT :limit"
        )
        match = " ".join(f'"{w}"*' for w in terms)  # \w+ holds no quote: nothing to escape
        try:
            rows = connection.execute(sql, {"match": match, "limit": limit})
        except OperationalError as exc:  # a damaged index
            raise ForecastError(f"{MISSING} ({str(exc.orig)[:80]})") from None
    else:
        parts = [
            f"SELECT '{kind}' AS kind, {key} AS key, "
            f"ts_rank(to_tsvector('simple', {body}), to_tsquery('simple', :match)) AS score "
            f"FROM {table} WHERE to_tsvector('simple', {body}) @@ to_tsquery('simple', :match)"
            for table, (kind, key, body) in SEARCHED.items()
        ]
        sql = text(
            f"SELECT kind, key FROM ({' UNION ALL '.join(parts)}) AS hits "
            "GROUP BY kind, key ORDER BY max(score) DESC, kind, key LIMIT :limit"
        )
        match = " & ".join(f"{w}:*" for w in terms)
        rows = connection.execute(sql, {"match": match, "limit": limit})
    return [(str(kind), str(key)) for kind, key in rows]


# ---------------------------------------------------------------------- SQLite's index

MISSING = (
    "this database has no usable search index (restored from a dump that left it out?): "
    "`forecast init` rebuilds it from the records"
)


def missing(connection: Connection) -> bool:
    """SQLite: whether the FTS5 table or one of its triggers is absent."""
    names = set(
        connection.exec_driver_sql(
            "SELECT name FROM sqlite_master WHERE name = 'search_index' OR name LIKE '%_search'"
        ).scalars()
    )
    return names != {"search_index", *(f"{table}_search" for table in SEARCHED)}


def rebuild(connection: Connection) -> None:
    """SQLite: create the search index and its triggers anew and fill it from the records,
    as migration 0008 did (``forecast init`` runs this when the index is missing)."""
    connection.exec_driver_sql("DROP TABLE IF EXISTS search_index")
    connection.exec_driver_sql(
        "CREATE VIRTUAL TABLE search_index USING fts5("
        "kind UNINDEXED, key UNINDEXED, body, tokenize = 'unicode61 remove_diacritics 2')"
    )
    for table, (kind, key, body) in SEARCHED.items():
        new = " || ' ' || ".join(f"NEW.{part.strip()}" for part in body.split("|| ' ' ||"))
        connection.exec_driver_sql(f"DROP TRIGGER IF EXISTS {table}_search")
        connection.exec_driver_sql(
            f"CREATE TRIGGER {table}_search AFTER INSERT ON {table} BEGIN "
            f"INSERT INTO search_index (kind, key, body) VALUES ('{kind}', NEW.{key}, {new}); "
            "END"
        )
        connection.exec_driver_sql(
            f"INSERT INTO search_index (kind, key, body) SELECT '{kind}', {key}, {body} "
            f"FROM {table}"
        )
