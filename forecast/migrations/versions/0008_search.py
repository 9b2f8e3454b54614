"""Full-text search over questions, reports and rationales, held by the database.

Revision ID: 0008
Revises: 0007

What is searched: a question's title, criteria and prior note (every version); a report's
title, summary and origin (every version); an assessment's rationale and reason (every
version). Words match by prefix, case aside ("sanction" finds "Sanctions").

- SQLite: an FTS5 table ``search_index`` (kind, key, body), filled by AFTER INSERT triggers on
  the four tables and, here, with the rows already stored. The unicode61 tokenizer folds case
  and drops diacritics. The index is derived data: it is not one of the append-only records,
  and dropping and rebuilding it loses nothing.
- PostgreSQL: GIN indexes on ``to_tsvector('simple', ...)`` of the same columns; the store's
  queries use the very same expressions, so the planner uses them. No table is added.

Written by hand and frozen, like 0001-0007.
"""

from __future__ import annotations

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

# table -> (kind, key column, searched text as SQL); the store's search repeats these
# expressions (forecast/store/search.py), which PostgreSQL needs to use its indexes.
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


def _sqlite() -> None:
    op.execute(
        "CREATE VIRTUAL TABLE search_index USING fts5("
        "kind UNINDEXED, key UNINDEXED, body, tokenize = 'unicode61 remove_diacritics 2')"
    )
    for table, (kind, key, text) in SEARCHED.items():
        new = " || ' ' || ".join(f"NEW.{part.strip()}" for part in text.split("|| ' ' ||"))
        op.execute(
            f"CREATE TRIGGER {table}_search AFTER INSERT ON {table} BEGIN "
            f"INSERT INTO search_index (kind, key, body) VALUES ('{kind}', NEW.{key}, {new}); "
            "END"
        )
        op.execute(
            f"INSERT INTO search_index (kind, key, body) SELECT '{kind}', {key}, {text} "
            f"FROM {table}"
        )


def _postgresql() -> None:
    for table, (_, _, text) in SEARCHED.items():
        op.execute(
            f"CREATE INDEX ix_{table}_search ON {table} "
            f"USING gin (to_tsvector('simple', {text}))"
        )


def upgrade() -> None:
    dialect = op.get_context().dialect.name
    if dialect == "sqlite":
        _sqlite()
    elif dialect == "postgresql":
        _postgresql()
    else:
        raise NotImplementedError(f"no search index for {dialect}")


def downgrade() -> None:
    if op.get_context().dialect.name == "sqlite":
        for table in SEARCHED:
            op.execute(f"DROP TRIGGER {table}_search")
        op.execute("DROP TABLE search_index")
    else:
        for table in SEARCHED:
            op.execute(f"DROP INDEX ix_{table}_search")
