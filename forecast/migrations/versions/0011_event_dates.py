"""The day an event happened, where it differs from the day its question was resolved.

Revision ID: 0011
Revises: 0010

Adds the nullable ``event_on`` column to ``resolutions``: for an event question resolved yes,
the day the event happened when that is not the resolution date (an event on 20 October,
resolved on 3 November, is a yes "by 31 October"). Existing rows keep NULL: the resolution
date stands for the event's, as before. Adding a column is not an UPDATE, so the append-only
triggers stand.

Written by hand and frozen, like 0001-0010.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("resolutions", recreate="never") as batch:
        batch.add_column(sa.Column("event_on", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("resolutions", recreate="never") as batch:
        batch.drop_column("event_on")
