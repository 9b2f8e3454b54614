"""Alerts: who hears about what, and what was already sent.

Revision ID: 0009
Revises: 0008

- ``alert_settings``: versions of a subscription (who, the notification URL, which kinds of
  alert, thresholds per question, days before a close date, which questions, the least
  inbox match score, active or not), each whole, with when, by whom and why.
- ``alerts_sent``: the dedupe key of every alert really sent, so none is sent twice.
- ``alert_runs``: when ``forecast alerts`` ran and what it sent: a threshold crossing is
  measured from the last run.

Append-only like every table: triggers refuse UPDATE, DELETE and (on SQLite) REPLACE.
Written by hand and frozen, like 0001-0008.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

PG_FUNCTION = "forecast_append_only"  # created by 0001; its message names the table itself
KEY_TAKEN = "a row with that key is already stored"  # the store reads this as a duplicate
KEYS = {  # table -> its primary key's columns
    "alert_settings": ("id", "version"),
    "alerts_sent": ("key",),
    "alert_runs": ("ran_at",),
}


def _text(name: str) -> sa.Column:
    return sa.Column(name, sa.Text(), nullable=False)


def _time(name: str) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=False)


def upgrade() -> None:
    op.create_table(
        "alert_settings",
        sa.Column("id", sa.String(128), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        _text("who"),
        _text("channel"),
        sa.Column("kinds", sa.JSON(), nullable=False),
        sa.Column("thresholds", sa.JSON(), nullable=False),
        sa.Column("close_days", sa.Integer(), nullable=False),
        sa.Column("questions", sa.JSON(), nullable=True),
        sa.Column("min_score", sa.Double(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        _time("logged_at"),
        _text("logged_by"),
        _text("reason"),
        sa.PrimaryKeyConstraint("id", "version", name="pk_alert_settings"),
    )
    op.create_table(
        "alerts_sent",
        sa.Column("key", sa.String(600), nullable=False),
        sa.Column("subscription_id", sa.String(128), nullable=False),
        _text("kind"),
        sa.Column("question_id", sa.String(128), nullable=True),
        _text("subject"),
        _time("sent_at"),
        sa.PrimaryKeyConstraint("key", name="pk_alerts_sent"),
    )
    op.create_table(
        "alert_runs",
        _time("ran_at"),
        sa.Column("sent", sa.Integer(), nullable=False),
        sa.Column("failed", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("ran_at", name="pk_alert_runs"),
    )
    dialect = op.get_context().dialect.name
    for table, key in KEYS.items():
        if dialect == "sqlite":
            _sqlite_triggers(table, key)
        elif dialect == "postgresql":
            _postgresql_triggers(table)
        else:
            raise NotImplementedError(f"no append-only triggers for {dialect}")


def _sqlite_triggers(table: str, key: tuple[str, ...]) -> None:
    for action in ("UPDATE", "DELETE"):
        op.execute(
            f"CREATE TRIGGER {table}_no_{action.lower()} BEFORE {action} ON {table} "
            f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: {action} is not allowed'); END"
        )
    same = " AND ".join(f"{column} = NEW.{column}" for column in key)
    op.execute(
        f"CREATE TRIGGER {table}_no_replace BEFORE INSERT ON {table} "
        f"WHEN EXISTS (SELECT 1 FROM {table} WHERE {same}) "
        f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: {KEY_TAKEN}'); END"
    )


def _postgresql_triggers(table: str) -> None:
    op.execute(
        f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
        f"FOR EACH ROW EXECUTE FUNCTION {PG_FUNCTION}()"
    )
    op.execute(
        f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {PG_FUNCTION}()"
    )


def downgrade() -> None:
    for table in KEYS:
        op.drop_table(table)  # its triggers go with it
