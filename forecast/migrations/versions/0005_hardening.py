"""Hardening (issue 16): one assessment per analyst, report and question; no REPLACE on SQLite.

Revision ID: 0005
Revises: 0004

Written by hand and frozen, like 0001-0004: later changes belong in a new revision.

1. ``assessment_keys``: "one assessment per analyst, report and question" was a check in the
   API before the insert, which two writers on PostgreSQL could both pass. The database now
   holds the rule: version 1 of every assessment writes its (report, question, analyst)
   here, in the same transaction, and the primary key lets only one assessment id have it.
   A correction is a later version of the same id, so it writes nothing here. Existing
   databases get one row per (report, question, analyst) of their version-1 assessments,
   by ``INSERT ... SELECT`` (new rows, not an UPDATE of any). Twins stored before this
   revision, by writers that raced past the old check, both stay, as append-only rows must;
   the key names the first of them by id.

2. SQLite's ``INSERT OR REPLACE`` (and ``REPLACE INTO``) deletes the stored row and inserts
   the new one without firing the DELETE triggers of 0001 and 0002 (SQLite fires them only
   with ``recursive_triggers`` on, which is a per-connection setting and so no protection
   against another client). A BEFORE INSERT trigger refuses any row whose primary key is
   already stored: it fires before REPLACE removes anything. A plain INSERT of a stored key
   now meets this trigger before the primary key, with the same outcome; the store reads
   its message as the duplicate it is. ``ON CONFLICT DO UPDATE`` already fires the UPDATE
   triggers on SQLite, and on PostgreSQL (which has no REPLACE) too.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

PG_FUNCTION = "forecast_append_only"  # created by 0001; its message names the table itself
KEY_TAKEN = "a row with that key is already stored"  # the store reads this as a duplicate

# Every append-only table at this revision and its primary key.
PRIMARY_KEYS = {
    "questions": ("id",),
    "question_options": ("question_id", "position"),
    "question_deadlines": ("question_id", "position"),
    "source_versions": ("name", "version"),
    "reports": ("id", "version"),
    "assessments": ("id", "version"),
    "resolutions": ("question_id", "version"),
    "snapshots": ("id",),
    "reference_sets": ("name",),
    "reference_questions": ("reference", "qid"),
    "reference_points": ("reference", "qid", "day"),
    "assessment_keys": ("report_id", "question_id", "analyst"),
}


def _create_assessment_keys() -> None:
    # No foreign keys: each row is written with version 1 of its assessment, which has them.
    op.create_table(
        "assessment_keys",
        sa.Column("report_id", sa.String(128), nullable=False),
        sa.Column("question_id", sa.String(128), nullable=False),
        sa.Column("analyst", sa.Text(), nullable=False),
        sa.Column("assessment_id", sa.String(128), nullable=False),
        sa.PrimaryKeyConstraint("report_id", "question_id", "analyst", name="pk_assessment_keys"),
    )
    op.execute(
        "INSERT INTO assessment_keys (report_id, question_id, analyst, assessment_id) "
        "SELECT report_id, question_id, analyst, min(id) FROM assessments WHERE version = 1 "
        "GROUP BY report_id, question_id, analyst"
    )


def _sqlite_triggers() -> None:
    for action in ("UPDATE", "DELETE"):
        op.execute(
            f"CREATE TRIGGER assessment_keys_no_{action.lower()} BEFORE {action} "
            "ON assessment_keys BEGIN SELECT RAISE(ABORT, "
            f"'assessment_keys is append-only: {action} is not allowed'); END"
        )
    for table, key in PRIMARY_KEYS.items():
        same = " AND ".join(f"{column} = NEW.{column}" for column in key)
        op.execute(
            f"CREATE TRIGGER {table}_no_replace BEFORE INSERT ON {table} "
            f"WHEN EXISTS (SELECT 1 FROM {table} WHERE {same}) "
            f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: {KEY_TAKEN}'); END"
        )


def _postgresql_triggers() -> None:
    op.execute(
        "CREATE TRIGGER assessment_keys_append_only BEFORE UPDATE OR DELETE ON assessment_keys "
        f"FOR EACH ROW EXECUTE FUNCTION {PG_FUNCTION}()"
    )
    op.execute(
        "CREATE TRIGGER assessment_keys_no_truncate BEFORE TRUNCATE ON assessment_keys "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {PG_FUNCTION}()"
    )


def upgrade() -> None:
    _create_assessment_keys()  # filled before its triggers: they would only slow the copy
    dialect = op.get_context().dialect.name
    if dialect == "sqlite":
        _sqlite_triggers()
    elif dialect == "postgresql":
        _postgresql_triggers()
    else:
        raise NotImplementedError(f"no append-only triggers for {dialect}")


def downgrade() -> None:
    # Dropping a table drops its triggers; the other tables lose only their REPLACE guard.
    if op.get_context().dialect.name == "sqlite":
        for table in PRIMARY_KEYS:
            if table != "assessment_keys":
                op.execute(f"DROP TRIGGER {table}_no_replace")
    op.drop_table("assessment_keys")
