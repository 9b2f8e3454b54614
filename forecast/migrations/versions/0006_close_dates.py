"""A close date on every question.

Revision ID: 0006
Revises: 0005

Adds the nullable ``closes_at`` column to ``questions``: the day a binary or choice question
is to be resolved by (an event question closes with its last deadline and leaves it NULL).
Existing rows keep NULL: no close date, as before. Adding a column is not an UPDATE, so the
append-only triggers stand.

Written by hand and frozen, like 0001-0005.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("questions", recreate="never") as batch:
        batch.add_column(sa.Column("closes_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("questions", recreate="never") as batch:
        batch.drop_column("closes_at")
