"""Full-text search, held by the database (migration 0008): SQLite's FTS5 index or
PostgreSQL's text search over GIN indexes, never a scan in Python.

Words match by prefix and case aside; every word must match. What is searched is in
``SEARCHED``, which must read as migration 0008 wrote it (PostgreSQL uses its indexes only
for the very same expressions; ``tests/test_search.py`` compares the two).
"""

from __future__ import annotations

import re

from sqlalchemy import Connection, text

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
        sql = text(
            "SELECT kind, key FROM search_index WHERE search_index MATCH :match "
            "GROUP BY kind, key ORDER BY min(rank), kind, key LIMIT :limit"
        )
        match = " ".join(f'"{w}"*' for w in terms)  # \\w+ holds no quote: nothing to escape
        rows = connection.execute(sql, {"match": match, "limit": limit})
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
