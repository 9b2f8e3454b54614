"""Edits of a question as later versions.

Revision ID: 0007
Revises: 0006

``question_versions`` holds version 2 onwards of a question: its title, criteria, prior
note, tags, close date, prior (binary, event), option priors (choice, as
``[[name, prior], ...]``) and deadlines (event, ISO times ascending), each version whole,
with when, by whom and why it was edited. Version 1 stays the ``questions`` row with its
options and deadlines. Append-only like every table: triggers refuse UPDATE, DELETE and
(on SQLite) REPLACE.

Written by hand and frozen, like 0001-0006.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

TABLE = "question_versions"
PG_FUNCTION = "forecast_append_only"  # created by 0001; its message names the table itself
KEY_TAKEN = "a row with that key is already stored"  # the store reads this as a duplicate


def _text(name: str) -> sa.Column:
    return sa.Column(name, sa.Text(), nullable=False)


def _time(name: str, *, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        TABLE,
        sa.Column("question_id", sa.String(128), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        _text("title"),
        _text("criteria"),
        _text("prior_note"),
        sa.Column("tags", sa.JSON(), nullable=False),
        _time("closes_at", nullable=True),
        sa.Column("prior", sa.Double(), nullable=True),
        sa.Column("options", sa.JSON(), nullable=True),
        sa.Column("deadlines", sa.JSON(), nullable=True),
        _time("edited_at"),
        _text("edited_by"),
        _text("reason"),
        _time("imported_at", nullable=True),
        sa.Column("imported_by", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("question_id", "version", name=f"pk_{TABLE}"),
        sa.ForeignKeyConstraint(["question_id"], ["questions.id"], name=f"fk_{TABLE}_question_id"),
    )
    dialect = op.get_context().dialect.name
    if dialect == "sqlite":
        for action in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER {TABLE}_no_{action.lower()} BEFORE {action} ON {TABLE} "
                f"BEGIN SELECT RAISE(ABORT, '{TABLE} is append-only: {action} is not allowed'); "
                "END"
            )
        op.execute(
            f"CREATE TRIGGER {TABLE}_no_replace BEFORE INSERT ON {TABLE} "
            f"WHEN EXISTS (SELECT 1 FROM {TABLE} WHERE question_id = NEW.question_id "
            f"AND version = NEW.version) "
            f"BEGIN SELECT RAISE(ABORT, '{TABLE} is append-only: {KEY_TAKEN}'); END"
        )
    elif dialect == "postgresql":
        op.execute(
            f"CREATE TRIGGER {TABLE}_append_only BEFORE UPDATE OR DELETE ON {TABLE} "
            f"FOR EACH ROW EXECUTE FUNCTION {PG_FUNCTION}()"
        )
        op.execute(
            f"CREATE TRIGGER {TABLE}_no_truncate BEFORE TRUNCATE ON {TABLE} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {PG_FUNCTION}()"
        )
    else:
        raise NotImplementedError(f"no append-only triggers for {dialect}")


def downgrade() -> None:
    op.drop_table(TABLE)  # its triggers go with it
