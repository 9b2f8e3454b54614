"""Provenance of imported records: when and by whom each one came in through an import.

Revision ID: 0003
Revises: 0002

Written by hand and frozen, like 0001 and 0002: later changes belong in a new revision.

Live writes take their knowledge time from the store's clock; an import keeps the times its
file states, and these two columns say that it did. Both are nullable: rows stored before
this revision, and every live write, have none.

``ALTER TABLE ... ADD COLUMN`` changes the table, not its rows, so the append-only triggers
of 0001 and 0002 (which refuse UPDATE, DELETE and TRUNCATE) neither fire nor need
rebuilding: SQLite and PostgreSQL both keep a table's triggers across an added column.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

TABLES = ("questions", "source_versions", "reports", "assessments", "resolutions", "snapshots")


def upgrade() -> None:
    for table in TABLES:
        op.add_column(table, sa.Column("imported_at", sa.DateTime(timezone=True), nullable=True))
        op.add_column(table, sa.Column("imported_by", sa.Text(), nullable=True))


def downgrade() -> None:
    # Plain DROP COLUMN (SQLite 3.35 or newer), never a batch copy of the table: copying
    # would drop the table and its append-only triggers with it.
    for table in reversed(TABLES):
        op.drop_column(table, "imported_by")
        op.drop_column(table, "imported_at")
