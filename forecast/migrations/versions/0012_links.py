"""Links between questions: a child's table given its parents, as versions.

Revision ID: 0012
Revises: 0011

- ``question_links``: one version of a child's links (its parents, an event parent's
  deadline per parent, the child's probability for each combination of the parents'
  states, active or ended), with when, by whom and why, and its import marks.

Append-only like every table: triggers refuse UPDATE, DELETE and (on SQLite) REPLACE.
Written by hand and frozen, like 0001-0011.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

PG_FUNCTION = "forecast_append_only"  # created by 0001; its message names the table itself
KEY_TAKEN = "a row with that key is already stored"  # the store reads this as a duplicate
TABLE, KEY = "question_links", ("child", "version")


def upgrade() -> None:
    op.create_table(
        TABLE,
        sa.Column("child", sa.String(128), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("parents", sa.JSON(), nullable=False),
        sa.Column("deadlines", sa.JSON(), nullable=False),
        sa.Column("given", sa.JSON(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("logged_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("logged_by", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("imported_by", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint(*KEY, name="pk_question_links"),
    )
    dialect = op.get_context().dialect.name
    if dialect == "sqlite":
        for action in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER {TABLE}_no_{action.lower()} BEFORE {action} ON {TABLE} BEGIN "
                f"SELECT RAISE(ABORT, '{TABLE} is append-only: {action} is not allowed'); END"
            )
        same = " AND ".join(f"{column} = NEW.{column}" for column in KEY)
        op.execute(
            f"CREATE TRIGGER {TABLE}_no_replace BEFORE INSERT ON {TABLE} "
            f"WHEN EXISTS (SELECT 1 FROM {TABLE} WHERE {same}) "
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
