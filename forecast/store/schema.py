"""The database tables, declared once with SQLAlchemy Core.

This is the live description of the schema that the store reads and writes. The migrations
in ``forecast/migrations`` spell the same tables out again on purpose: a migration must keep
describing the schema as it was when it was written, whatever later happens here. A test
checks that migrating a blank database to head yields exactly these tables.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    DateTime,
    Dialect,
    Double,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
)

from forecast.clock import utc

ID_LENGTH = 128  # matches domain.ID_PATTERN
REFERENCE_QID_LENGTH = 255  # outside ids (a market's question id) are not held to ID_PATTERN

# Fixed constraint names, so a later migration can refer to them on SQLite and PostgreSQL alike.
NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_name)s",
    "pk": "pk_%(table_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware timestamp that always goes in and comes out as aware UTC.

    SQLite keeps no zone (it stores the wall-clock text), so values are converted to UTC
    before writing and labelled UTC after reading; PostgreSQL gets ``timestamptz``.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else utc(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        return None if value is None else utc(value)


def _id(name: str, *extra: Any) -> Column[str]:
    return Column(name, String(ID_LENGTH), *extra, nullable=False)


def _text(name: str) -> Column[str]:
    return Column(name, Text, nullable=False)


def _when(name: str) -> Column[datetime]:
    return Column(name, UTCDateTime(), nullable=False)


def _logged() -> list[Column[Any]]:
    """Who logged a record and when: the knowledge-time clock."""
    return [_when("logged_at"), _text("logged_by")]


def _imported() -> list[Column[Any]]:
    """When and by whom a record came in through an import (revision 0003); NULL and ""
    (NULL in rows from before 0003) for a live write, whose logged time is the store's."""
    return [
        Column("imported_at", UTCDateTime(), nullable=True),
        Column("imported_by", Text, nullable=True),
    ]


def _question_fk() -> Column[str]:
    return _id("question_id", ForeignKey("questions.id"))


metadata = MetaData(naming_convention=NAMING)

questions = Table(
    "questions",
    metadata,
    _id("id"),
    _text("title"),
    _text("kind"),
    _when("opened_at"),
    Column("prior", Double, nullable=True),
    _text("prior_note"),
    Column("alpha", Double, nullable=True),
    _text("criteria"),
    Column("tags", JSON, nullable=False),
    _when("created_at"),
    _text("created_by"),
    *_imported(),
    Column("closes_at", UTCDateTime(), nullable=True),  # revision 0006
    PrimaryKeyConstraint("id"),
)

question_options = Table(
    "question_options",
    metadata,
    _question_fk(),
    Column("position", Integer, nullable=False),
    _text("name"),
    Column("prior", Double, nullable=False),
    PrimaryKeyConstraint("question_id", "position"),
)

question_deadlines = Table(
    "question_deadlines",
    metadata,
    _question_fk(),
    Column("position", Integer, nullable=False),
    _when("deadline"),
    PrimaryKeyConstraint("question_id", "position"),
)

question_versions = Table(  # revision 0007: edits of a question, from version 2
    "question_versions",
    metadata,
    _question_fk(),
    Column("version", Integer, nullable=False),
    _text("title"),
    _text("criteria"),
    _text("prior_note"),
    Column("tags", JSON, nullable=False),
    Column("closes_at", UTCDateTime(), nullable=True),
    Column("prior", Double, nullable=True),
    # choice: [[name, prior], ...] in the question's order; event: ISO deadlines ascending
    Column("options", JSON(none_as_null=True), nullable=True),
    Column("deadlines", JSON(none_as_null=True), nullable=True),
    _when("edited_at"),
    _text("edited_by"),
    _text("reason"),
    *_imported(),
    PrimaryKeyConstraint("question_id", "version"),
)

source_versions = Table(
    "source_versions",
    metadata,
    _text("name"),
    Column("version", Integer, nullable=False),
    Column("reliability", Double, nullable=False),
    _text("type"),
    *_logged(),
    _text("reason"),
    *_imported(),
    PrimaryKeyConstraint("name", "version"),
)

reports = Table(
    "reports",
    metadata,
    _id("id"),
    Column("version", Integer, nullable=False),
    _when("published_at"),
    _text("source"),
    _text("title"),
    _text("summary"),
    _text("url"),
    _text("origin"),
    *_logged(),
    Column("retracted", Boolean, nullable=False),
    _text("reason"),
    *_imported(),
    PrimaryKeyConstraint("id", "version"),
    Index("ix_reports_source", "source"),
)

assessments = Table(
    "assessments",
    metadata,
    _id("id"),
    Column("version", Integer, nullable=False),
    _id("report_id"),
    _question_fk(),
    _text("analyst"),
    Column("lr", Double, nullable=True),
    # SQL NULL (not JSON null) when there are no likelihoods: binary and event questions.
    Column("likelihoods", JSON(none_as_null=True), nullable=True),
    _text("strength"),
    _text("rationale"),
    *_logged(),
    Column("retracted", Boolean, nullable=False),
    _text("reason"),
    *_imported(),
    # revision 0004: an event report's {by} or {around, within}, and "I am now at P"
    Column("target", JSON(none_as_null=True), nullable=True),
    Column("judged", JSON(none_as_null=True), nullable=True),
    PrimaryKeyConstraint("id", "version"),
    Index("ix_assessments_question_id", "question_id"),
    Index("ix_assessments_report_id", "report_id"),
)

# Revision 0005: "one assessment per analyst, report and question", held by the database.
# Version 1 of each assessment writes its key here in the same transaction; the primary key
# refuses a second assessment id (two writers at once included). Corrections are later
# versions of the same id and write nothing here.
assessment_keys = Table(
    "assessment_keys",
    metadata,
    _id("report_id"),
    _id("question_id"),
    _text("analyst"),
    _id("assessment_id"),
    PrimaryKeyConstraint("report_id", "question_id", "analyst"),
)

resolutions = Table(
    "resolutions",
    metadata,
    _question_fk(),
    Column("version", Integer, nullable=False),
    _text("outcome"),
    _when("resolved_on"),
    _text("note"),
    *_logged(),
    *_imported(),
    # revision 0011: the day the event happened, if not the resolution date (NULL: the same)
    Column("event_on", UTCDateTime(), nullable=True),
    PrimaryKeyConstraint("question_id", "version"),
)

# Snapshots and reference forecasts (revision 0002).

snapshots = Table(
    "snapshots",
    metadata,
    Column("id", Integer, nullable=False, autoincrement=True),
    _question_fk(),
    _when("taken_at"),  # knowledge time: the forecast as it stood then
    # binary and event: P(YES) (event: by the primary deadline); NULL for choice questions
    Column("probability", Double, nullable=True),
    # event: {deadline: P(by it)}; choice: {option: P}; SQL NULL for binary questions
    Column("vector", JSON(none_as_null=True), nullable=True),
    _text("reason"),
    _text("taken_by"),
    *_imported(),
    PrimaryKeyConstraint("id"),
    Index("ix_snapshots_question_id_taken_at", "question_id", "taken_at"),
)

reference_sets = Table(
    "reference_sets",
    metadata,
    _id("name"),
    _text("questions_file"),
    _text("series_file"),
    *_logged(),
    PrimaryKeyConstraint("name"),
)

reference_questions = Table(
    "reference_questions",
    metadata,
    _id("reference", ForeignKey("reference_sets.name")),
    Column("qid", String(REFERENCE_QID_LENGTH), nullable=False),
    _text("question"),
    Column("opened_at", UTCDateTime(), nullable=True),
    Column("deadline", UTCDateTime(), nullable=True),
    Column("outcome", Double, nullable=True),  # 1 YES, 0 NO, NULL unresolved
    Column("resolved_on", Date, nullable=True),
    PrimaryKeyConstraint("reference", "qid"),
)

reference_points = Table(
    "reference_points",
    metadata,
    _id("reference"),
    Column("qid", String(REFERENCE_QID_LENGTH), nullable=False),
    Column("day", Date, nullable=False),
    Column("probability", Double, nullable=False),
    PrimaryKeyConstraint("reference", "qid", "day"),
    ForeignKeyConstraint(
        ["reference", "qid"],
        ["reference_questions.reference", "reference_questions.qid"],
        name="fk_reference_points_reference_qid",
    ),
)



# revision 0009: alert settings (versions of subscriptions), the alerts sent, the runs
ALERT_KEY_LENGTH = 600  # a dedupe key: ids, a level, a direction and a day, joined by "|"

alert_settings = Table(
    "alert_settings",
    metadata,
    _id("id"),
    Column("version", Integer, nullable=False),
    _text("who"),
    _text("channel"),  # a notification URL: it may hold a password, never shown whole
    Column("kinds", JSON, nullable=False),
    Column("thresholds", JSON, nullable=False),  # [[question id, level], ...]
    Column("close_days", Integer, nullable=False),
    Column("questions", JSON, nullable=True),  # null: every question
    Column("min_score", Double, nullable=False),
    Column("active", Boolean, nullable=False),
    *_logged(),
    _text("reason"),
    PrimaryKeyConstraint("id", "version"),
)

alerts_sent = Table(
    "alerts_sent",
    metadata,
    Column("key", String(ALERT_KEY_LENGTH), nullable=False),
    _id("subscription_id"),
    _text("kind"),
    Column("question_id", String(ID_LENGTH), nullable=True),
    _text("subject"),
    _when("sent_at"),
    PrimaryKeyConstraint("key"),
)

alert_runs = Table(
    "alert_runs",
    metadata,
    _when("ran_at"),
    Column("sent", Integer, nullable=False),
    Column("failed", Integer, nullable=False),
    PrimaryKeyConstraint("ran_at"),
)


# revision 0010: the inbox (feeds, their fetches, the entries taken in, one action each)
KEY_HASH_LENGTH = 64  # hex SHA-256 of an entry's key: keys can be long addresses

feeds = Table(
    "feeds",
    metadata,
    _id("id"),
    Column("version", Integer, nullable=False),
    _text("url"),
    _text("source"),  # a stored source's name, or "" (named when an entry is assessed)
    Column("tags", JSON, nullable=False),
    Column("active", Boolean, nullable=False),
    *_logged(),
    _text("reason"),
    PrimaryKeyConstraint("id", "version"),
)

feed_fetches = Table(
    "feed_fetches",
    metadata,
    _id("feed_id"),
    _when("fetched_at"),
    Column("new", Integer, nullable=False),
    Column("not_modified", Boolean, nullable=False),
    _text("etag"),
    _text("last_modified"),
    _text("error"),  # "" when the fetch got an answer
    PrimaryKeyConstraint("feed_id", "fetched_at"),
)

inbox_entries = Table(
    "inbox_entries",
    metadata,
    _id("id"),
    Column("key_hash", String(KEY_HASH_LENGTH), nullable=False),
    _text("key"),
    Column("url_hash", String(KEY_HASH_LENGTH), nullable=True),  # of its canonical address
    _text("feed_id"),  # "" for a page taken in by hand
    _text("title"),
    _text("url"),
    _text("text"),
    Column("published", UTCDateTime(), nullable=True),
    _text("outlet"),
    _text("author"),
    _text("language"),
    Column("original", LargeBinary, nullable=True),  # a page's bytes as received
    _text("encoding"),
    _when("received_at"),
    _text("received_by"),
    PrimaryKeyConstraint("id"),
    UniqueConstraint("key_hash", name="uq_inbox_entries_key_hash"),
    Index("ix_inbox_entries_received_at", "received_at"),
    Index("ix_inbox_entries_url_hash", "url_hash"),
)

inbox_actions = Table(
    "inbox_actions",
    metadata,
    _id("entry_id", ForeignKey("inbox_entries.id")),
    _text("status"),
    _text("report_id"),
    _text("reason"),
    *_logged(),
    PrimaryKeyConstraint("entry_id"),
)


# revision 0012: links between questions (a child's table given its parents, as versions)
question_links = Table(
    "question_links",
    metadata,
    _id("child"),
    Column("version", Integer, nullable=False),
    Column("parents", JSON, nullable=False),  # [question id, ...]
    Column("deadlines", JSON, nullable=False),  # per parent: an event parent's "by", or null
    Column("given", JSON, nullable=False),  # [[[parent state, ...], [child's value, ...]], ...]
    Column("active", Boolean, nullable=False),
    *_logged(),
    _text("reason"),
    *_imported(),
    PrimaryKeyConstraint("child", "version"),
)


APPEND_ONLY: tuple[str, ...] = tuple(metadata.tables)
"""Every table: none of them may ever see an UPDATE, a DELETE or (on SQLite) a REPLACE of a
stored row (enforced by triggers)."""
