"""Model v2: what an event report points to, and probability judgements.

Revision ID: 0004
Revises: 0003

Adds two nullable JSON columns to ``assessments``: ``target`` (an event report's
``by`` deadline, or ``around`` date and ``within`` days) and ``judged`` (the probability
an analyst stated, for an assessment made from "I am now at P"). Existing rows keep NULL:
they point to the first deadline still ahead, as before. Adding a column is not an UPDATE,
so the append-only triggers stand.

Written by hand and frozen, like 0001-0003.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("assessments", recreate="never") as batch:
        batch.add_column(sa.Column("target", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("judged", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("assessments", recreate="never") as batch:
        batch.drop_column("judged")
        batch.drop_column("target")
