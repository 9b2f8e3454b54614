"""The inbox: feeds, their fetches, the entries they bring in, what was done with each.

Revision ID: 0010
Revises: 0009

- ``feeds``: versions of a feed the intake fetches (address, source, tags, active or not),
  each whole, with when, by whom and why.
- ``feed_fetches``: every fetch of a feed: when, how many new entries, whether nothing
  changed, the validators to send next time, or the error line.
- ``inbox_entries``: every item taken in, once per key (``key_hash`` is unique: the
  SHA-256 of the key, as keys can be long addresses; ``url_hash``, of the canonical
  address, finds the same article under another key); a page's original bytes are kept.
- ``inbox_actions``: the one action each dealt-with entry took (assessed, echo, dismissed).

Append-only like every table: triggers refuse UPDATE, DELETE and (on SQLite) REPLACE.
Written by hand and frozen, like 0001-0009.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

PG_FUNCTION = "forecast_append_only"  # created by 0001; its message names the table itself
KEY_TAKEN = "a row with that key is already stored"  # the store reads this as a duplicate
KEYS = {  # table -> its primary key's columns
    "feeds": ("id", "version"),
    "feed_fetches": ("feed_id", "fetched_at"),
    "inbox_entries": ("id",),
    "inbox_actions": ("entry_id",),
}


def _text(name: str) -> sa.Column:
    return sa.Column(name, sa.Text(), nullable=False)


def _time(name: str) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=False)


def _id(name: str) -> sa.Column:
    return sa.Column(name, sa.String(128), nullable=False)


def upgrade() -> None:
    op.create_table(
        "feeds",
        _id("id"),
        sa.Column("version", sa.Integer(), nullable=False),
        _text("url"),
        _text("source"),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        _time("logged_at"),
        _text("logged_by"),
        _text("reason"),
        sa.PrimaryKeyConstraint("id", "version", name="pk_feeds"),
    )
    op.create_table(
        "feed_fetches",
        _id("feed_id"),
        _time("fetched_at"),
        sa.Column("new", sa.Integer(), nullable=False),
        sa.Column("not_modified", sa.Boolean(), nullable=False),
        _text("etag"),
        _text("last_modified"),
        _text("error"),
        sa.PrimaryKeyConstraint("feed_id", "fetched_at", name="pk_feed_fetches"),
    )
    op.create_table(
        "inbox_entries",
        _id("id"),
        sa.Column("key_hash", sa.String(64), nullable=False),
        _text("key"),
        sa.Column("url_hash", sa.String(64), nullable=True),
        _text("feed_id"),
        _text("title"),
        _text("url"),
        _text("text"),
        sa.Column("published", sa.DateTime(timezone=True), nullable=True),
        _text("outlet"),
        _text("author"),
        _text("language"),
        sa.Column("original", sa.LargeBinary(), nullable=True),
        _text("encoding"),
        _time("received_at"),
        _text("received_by"),
        sa.PrimaryKeyConstraint("id", name="pk_inbox_entries"),
        sa.UniqueConstraint("key_hash", name="uq_inbox_entries_key_hash"),
    )
    op.create_index("ix_inbox_entries_received_at", "inbox_entries", ["received_at"])
    op.create_index("ix_inbox_entries_url_hash", "inbox_entries", ["url_hash"])
    op.create_table(
        "inbox_actions",
        _id("entry_id"),
        _text("status"),
        _text("report_id"),
        _text("reason"),
        _time("logged_at"),
        _text("logged_by"),
        sa.PrimaryKeyConstraint("entry_id", name="pk_inbox_actions"),
        sa.ForeignKeyConstraint(
            ["entry_id"], ["inbox_entries.id"], name="fk_inbox_actions_entry_id"
        ),
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
    op.drop_table("inbox_actions")
    op.drop_index("ix_inbox_entries_received_at", table_name="inbox_entries")
    op.drop_index("ix_inbox_entries_url_hash", table_name="inbox_entries")
    for table in ("inbox_entries", "feed_fetches", "feeds"):
        op.drop_table(table)  # its triggers go with it
