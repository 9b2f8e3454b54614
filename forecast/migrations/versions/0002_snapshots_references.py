"""Snapshots of forecasts as they stood, and imported reference forecasts; all append-only.

Revision ID: 0002
Revises: 0001

Written by hand and frozen, like 0001: later changes belong in a new revision.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TABLES = ("snapshots", "reference_sets", "reference_questions", "reference_points")
PG_FUNCTION = "forecast_append_only"  # created by 0001; its message names the table itself
QID_LENGTH = 255


def _id(name: str) -> sa.Column:
    return sa.Column(name, sa.String(128), nullable=False)


def _qid() -> sa.Column:
    return sa.Column("qid", sa.String(QID_LENGTH), nullable=False)


def _text(name: str) -> sa.Column:
    return sa.Column(name, sa.Text(), nullable=False)


def _time(name: str, *, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _number(name: str, *, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.Double(), nullable=nullable)


def _create_snapshots() -> None:
    op.create_table(
        "snapshots",
        sa.Column("id", sa.Integer(), nullable=False, autoincrement=True),
        _id("question_id"),
        _time("taken_at"),
        _number("probability", nullable=True),
        sa.Column("vector", sa.JSON(), nullable=True),
        _text("reason"),
        _text("taken_by"),
        sa.PrimaryKeyConstraint("id", name="pk_snapshots"),
        sa.ForeignKeyConstraint(["question_id"], ["questions.id"], name="fk_snapshots_question_id"),
    )
    op.create_index("ix_snapshots_question_id_taken_at", "snapshots", ["question_id", "taken_at"])


def _create_references() -> None:
    op.create_table(
        "reference_sets",
        _id("name"),
        _text("questions_file"),
        _text("series_file"),
        _time("logged_at"),
        _text("logged_by"),
        sa.PrimaryKeyConstraint("name", name="pk_reference_sets"),
    )
    op.create_table(
        "reference_questions",
        _id("reference"),
        _qid(),
        _text("question"),
        _time("opened_at", nullable=True),
        _time("deadline", nullable=True),
        _number("outcome", nullable=True),
        sa.Column("resolved_on", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("reference", "qid", name="pk_reference_questions"),
        sa.ForeignKeyConstraint(
            ["reference"], ["reference_sets.name"], name="fk_reference_questions_reference"
        ),
    )
    op.create_table(
        "reference_points",
        _id("reference"),
        _qid(),
        sa.Column("day", sa.Date(), nullable=False),
        _number("probability"),
        sa.PrimaryKeyConstraint("reference", "qid", "day", name="pk_reference_points"),
        sa.ForeignKeyConstraint(
            ["reference", "qid"],
            ["reference_questions.reference", "reference_questions.qid"],
            name="fk_reference_points_reference_qid",
        ),
    )


def _sqlite_triggers() -> None:
    for table in TABLES:
        for action in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER {table}_no_{action.lower()} BEFORE {action} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: {action} is not allowed'); "
                "END"
            )


def _postgresql_triggers() -> None:
    for table in TABLES:
        op.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION {PG_FUNCTION}()"
        )
        op.execute(
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {PG_FUNCTION}()"
        )


def upgrade() -> None:
    _create_snapshots()
    _create_references()
    dialect = op.get_context().dialect.name
    if dialect == "sqlite":
        _sqlite_triggers()
    elif dialect == "postgresql":
        _postgresql_triggers()
    else:
        raise NotImplementedError(f"no append-only triggers for {dialect}")


def downgrade() -> None:
    # Dropping a table drops its triggers; the PostgreSQL function belongs to 0001.
    for table in reversed(TABLES):
        op.drop_table(table)
