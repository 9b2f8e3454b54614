"""The initial schema: questions, sources, reports, assessments, resolutions; all append-only.

Revision ID: 0001
Revises: none

Written by hand and frozen: later changes to ``forecast/store/schema.py`` belong in a new
revision, never here.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TABLES = (
    "questions",
    "question_options",
    "question_deadlines",
    "source_versions",
    "reports",
    "assessments",
    "resolutions",
)
PG_FUNCTION = "forecast_append_only"


def _id(name: str) -> sa.Column:
    return sa.Column(name, sa.String(128), nullable=False)


def _text(name: str) -> sa.Column:
    return sa.Column(name, sa.Text(), nullable=False)


def _time(name: str) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=False)


def _number(name: str, *, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.Double(), nullable=nullable)


def _int(name: str) -> sa.Column:
    return sa.Column(name, sa.Integer(), nullable=False)


def _flag(name: str) -> sa.Column:
    return sa.Column(name, sa.Boolean(), nullable=False)


def _question_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["question_id"], ["questions.id"], name=f"fk_{table}_question_id"
    )


def _create_questions() -> None:
    op.create_table(
        "questions",
        _id("id"),
        _text("title"),
        _text("kind"),
        _time("opened_at"),
        _number("prior", nullable=True),
        _text("prior_note"),
        _number("alpha", nullable=True),
        _text("criteria"),
        sa.Column("tags", sa.JSON(), nullable=False),
        _time("created_at"),
        _text("created_by"),
        sa.PrimaryKeyConstraint("id", name="pk_questions"),
    )
    op.create_table(
        "question_options",
        _id("question_id"),
        _int("position"),
        _text("name"),
        _number("prior"),
        sa.PrimaryKeyConstraint("question_id", "position", name="pk_question_options"),
        _question_fk("question_options"),
    )
    op.create_table(
        "question_deadlines",
        _id("question_id"),
        _int("position"),
        _time("deadline"),
        sa.PrimaryKeyConstraint("question_id", "position", name="pk_question_deadlines"),
        _question_fk("question_deadlines"),
    )


def _create_evidence() -> None:
    op.create_table(
        "source_versions",
        _text("name"),
        _int("version"),
        _number("reliability"),
        _text("type"),
        _time("logged_at"),
        _text("logged_by"),
        _text("reason"),
        sa.PrimaryKeyConstraint("name", "version", name="pk_source_versions"),
    )
    op.create_table(
        "reports",
        _id("id"),
        _int("version"),
        _time("published_at"),
        _text("source"),
        _text("title"),
        _text("summary"),
        _text("url"),
        _text("origin"),
        _time("logged_at"),
        _text("logged_by"),
        _flag("retracted"),
        _text("reason"),
        sa.PrimaryKeyConstraint("id", "version", name="pk_reports"),
    )
    op.create_index("ix_reports_source", "reports", ["source"])
    op.create_table(
        "assessments",
        _id("id"),
        _int("version"),
        _id("report_id"),
        _id("question_id"),
        _text("analyst"),
        _number("lr", nullable=True),
        sa.Column("likelihoods", sa.JSON(), nullable=True),
        _text("strength"),
        _text("rationale"),
        _time("logged_at"),
        _text("logged_by"),
        _flag("retracted"),
        _text("reason"),
        sa.PrimaryKeyConstraint("id", "version", name="pk_assessments"),
        _question_fk("assessments"),
    )
    op.create_index("ix_assessments_question_id", "assessments", ["question_id"])
    op.create_index("ix_assessments_report_id", "assessments", ["report_id"])
    op.create_table(
        "resolutions",
        _id("question_id"),
        _int("version"),
        _text("outcome"),
        _time("resolved_on"),
        _text("note"),
        _time("logged_at"),
        _text("logged_by"),
        sa.PrimaryKeyConstraint("question_id", "version", name="pk_resolutions"),
        _question_fk("resolutions"),
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
    op.execute(
        f"CREATE FUNCTION {PG_FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $body$ "
        "BEGIN RAISE EXCEPTION '% is append-only: % is not allowed', TG_TABLE_NAME, TG_OP; "
        "END $body$"
    )
    for table in TABLES:
        # Row triggers stop UPDATE and DELETE; TRUNCATE skips them, so it gets its own.
        op.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION {PG_FUNCTION}()"
        )
        op.execute(
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {PG_FUNCTION}()"
        )


def upgrade() -> None:
    _create_questions()
    _create_evidence()
    dialect = op.get_context().dialect.name
    if dialect == "sqlite":
        _sqlite_triggers()
    elif dialect == "postgresql":
        _postgresql_triggers()
    else:
        raise NotImplementedError(f"no append-only triggers for {dialect}")


def downgrade() -> None:
    # Dropping a table drops its triggers with it.
    for table in reversed(TABLES):
        op.drop_table(table)
    if op.get_context().dialect.name == "postgresql":
        op.execute(f"DROP FUNCTION IF EXISTS {PG_FUNCTION}()")
