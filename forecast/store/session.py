"""One unit of work on the database: typed inserts and reads of the domain records."""

from __future__ import annotations

import gc
import hashlib
import sqlite3
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any, Literal

from sqlalchemy import ColumnElement, Connection, Row, Table, func, or_, select
from sqlalchemy.exc import IntegrityError

import forecast.store.schema as t
from forecast.alerts.rules import Alert, Setting, Subscription, Threshold
from forecast.clock import iso, parse_time, utc
from forecast.domain import (
    Assessment,
    ForecastError,
    History,
    Kind,
    NotFound,
    Question,
    Report,
    Resolution,
    Source,
)
from forecast.inbox import Action, Entry, Feed, Fetch, Page, Status
from forecast.links import QuestionLink
from forecast.matching import canonical_url

if TYPE_CHECKING:  # imported where used: the store itself needs no numpy
    from forecast.records import ReferenceQuestion, ReferenceSet, Snapshot

RecordKind = Literal["source", "report", "assessment", "resolution"]

# Bound parameters per IN (...) list: well below SQLite's 32,766 and PostgreSQL's 65,535.
CHUNK = 5_000

_UNIQUE_CODES = {"23505"}  # PostgreSQL unique_violation
_FOREIGN_KEY_CODES = {"23503"}  # PostgreSQL foreign_key_violation
_SQLITE_UNIQUE = {sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY, sqlite3.SQLITE_CONSTRAINT_UNIQUE}
_SQLITE_FOREIGN_KEY = {sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY}
_KEY_TAKEN = "is append-only: a row with that key is already stored"  # migration 0005


class Conflict(ForecastError):
    """A record with that key is already stored (often a concurrent writer won: retry)."""


# (table, key column) behind each ``latest_version`` kind
_VERSIONED: dict[str, tuple[Table, str]] = {
    "source": (t.source_versions, "name"),
    "report": (t.reports, "id"),
    "assessment": (t.assessments, "id"),
    "resolution": (t.resolutions, "question_id"),
}


class Session:
    """Inserts and reads on one connection, inside the transaction its store opened."""

    def __init__(self, connection: Connection, *, writable: bool):
        self.connection = connection
        self.writable = writable
        self.failed: ForecastError | None = None  # a failed insert spoils the transaction

    # ------------------------------------------------------------------ inserts

    def insert_question(self, q: Question) -> Question:
        """Store a question with its options and deadlines."""
        q = q if q.created_at else _replace(q, created_at=_now())
        self._insert(t.questions, [_question_row(q)], f"question {q.id} already exists")
        options = [
            {"question_id": q.id, "position": i, "name": name, "prior": prior}
            for i, (name, prior) in enumerate(q.options)
        ]
        deadlines = [
            {"question_id": q.id, "position": i, "deadline": d} for i, d in enumerate(q.deadlines)
        ]
        self._insert(t.question_options, options, f"options of question {q.id} already exist")
        self._insert(t.question_deadlines, deadlines, f"deadlines of question {q.id} exist")
        return q

    def insert_question_version(self, q: Question) -> Question:
        """Store an edit of a question (version 2 onwards), whole."""
        taken = f"version {q.version} of question {q.id} already exists"
        self._insert(t.question_versions, [_question_version_row(q)], taken, question=q.id)
        return q

    def insert_source(self, s: Source) -> Source:
        """Store one version of a source (the caller chooses the version number)."""
        s = _stamped(s)
        taken = f"source {s.name!r} version {s.version} already exists"
        self._insert(t.source_versions, [_source_row(s)], taken)
        return s

    def insert_report(self, r: Report) -> Report:
        r = _stamped(r)
        self._insert(
            t.reports, [_report_row(r)], f"report {r.id} version {r.version} already exists"
        )
        return r

    def insert_assessment(self, a: Assessment) -> Assessment:
        """Store one version of an assessment; version 1 also claims its analyst, report and
        question, which no other assessment may hold (a correction is a later version)."""
        a = _stamped(a)
        taken = f"assessment {a.id} version {a.version} already exists"
        self._insert(t.assessments, [_assessment_row(a)], taken, question=a.question_id)
        if a.version == 1:
            self._claim_key(a)
        return a

    def _claim_key(self, a: Assessment) -> None:
        key = {"report_id": a.report_id, "question_id": a.question_id, "analyst": _s(a.analyst)}
        row = {**key, "assessment_id": a.id}
        if self.connection.dialect.name == "postgresql":
            # imported here: it costs an SQLite user's every command some 50 ms
            from sqlalchemy.dialects.postgresql import insert as pg_insert

            # A failed statement would spoil the transaction, and the message needs one more
            # read. DO NOTHING waits for a writer holding the key uncommitted and skips the
            # row if that one commits; the read then sees its row (READ COMMITTED).
            claim = pg_insert(t.assessment_keys).on_conflict_do_nothing()
            returned = claim.returning(t.assessment_keys.c.assessment_id)
            claimed = self.connection.execute(returned, row).first() is not None
        else:
            # SQLite writers queue on the write lock: the key is stored already or free. A
            # failed statement leaves the transaction usable.
            try:
                self.connection.execute(t.assessment_keys.insert(), row)
                claimed = True
            except IntegrityError as exc:
                failed = _integrity_error(exc, "", None)
                if not isinstance(failed, Conflict):
                    self.failed = failed
                    raise failed from None
                claimed = False
        if not claimed:
            c = t.assessment_keys.c
            query = select(c.assessment_id).where(*(c[k] == v for k, v in key.items()))
            holder = self.connection.execute(query).scalar_one()
            self.failed = ForecastError(
                f"{key['analyst']} already assessed report {a.report_id} for {a.question_id} "
                f"(assessment {holder}): correct that one instead"
            )
            raise self.failed

    def insert_resolution(self, res: Resolution) -> Resolution:
        res = _stamped(res)
        taken = f"resolution {res.version} of question {res.question_id} already exists"
        self._insert(t.resolutions, [_resolution_row(res)], taken, question=res.question_id)
        return res

    def _insert(
        self, table: Table, rows: list[dict[str, Any]], taken: str, question: str | None = None
    ) -> None:
        if not self.writable:
            raise ForecastError("cannot write through a read-only session: use store.write()")
        if not rows:
            return
        try:
            self.connection.execute(table.insert(), rows)
        except IntegrityError as exc:
            self.failed = _integrity_error(exc, taken, question)
            raise self.failed from None

    # ------------------------------------------------------------------ single reads

    def question(self, qid: str) -> Question | None:
        """A question as it stands (its latest version), or None."""
        found, _ = self._questions([qid])
        return found[0] if found else None

    def question_versions(self, qid: str) -> list[Question]:
        """Every version of one question, oldest first (empty if there is none)."""
        latest, earlier = self._questions([qid])
        return [*earlier, *latest]

    def questions(self) -> list[Question]:
        """All questions as they stand, by opening time then id."""
        return self._questions(None)[0]

    def source_versions(self, name: str | None = None) -> list[Source]:
        """Every version of one source (or of all sources), by name then version."""
        where = None if name is None else t.source_versions.c.name == name
        return [_source(r) for r in self._rows(t.source_versions, where, "name", "version")]

    def report_versions(self, rid: str) -> list[Report]:
        return [_report(r) for r in self._rows(t.reports, t.reports.c.id == rid, "version")]

    def origins(self) -> list[tuple[str, datetime]]:
        """Each origin typed on a report (as typed), with the latest published time it has."""
        r = t.reports.c
        query = (
            select(r.origin, func.max(r.published_at))
            .where(r.origin != "")
            .group_by(r.origin)
            .order_by(r.origin)
        )
        return [(origin, when) for origin, when in self.connection.execute(query)]

    def reports_near(
        self, source: str, start: datetime, end: datetime
    ) -> list[tuple[str, str, datetime, bool]]:
        """The reports from ``source`` published in [start, end], as they stand (latest
        version): (id, title, published, retracted). Few columns: a wire service logs
        hundreds of reports in two days, and every new one is compared with them."""
        r = t.reports.c
        query = (
            select(r.id, r.version, r.title, r.published_at, r.retracted)
            .where((r.source == source) & (r.published_at >= start) & (r.published_at <= end))
            .order_by(r.id, r.version)
        )
        latest = {rid: (rid, title, when, bool(gone)) for rid, _, title, when, gone in
                  self.connection.execute(query)}  # fmt: skip
        return list(latest.values())

    def reports_with_url_like(self, fragment: str) -> list[Report]:
        """Every version of the reports whose URL contains ``fragment`` (in any case)."""
        pattern = f"%{_escape_like(fragment.lower())}%"
        where = func.lower(t.reports.c.url).like(pattern, escape="\\")
        return [_report(row) for row in self._rows(t.reports, where, "id", "version")]

    def assessment_versions(self, aid: str) -> list[Assessment]:
        where = t.assessments.c.id == aid
        return [_assessment(r) for r in self._rows(t.assessments, where, "version")]

    def assessments_of_report(self, rid: str) -> list[Assessment]:
        """Every version of every assessment of report ``rid``, by id then version."""
        where = t.assessments.c.report_id == rid
        return [_assessment(r) for r in self._rows(t.assessments, where, "id", "version")]

    # ------------------------------------------------------------------ alerts (0009)

    def insert_alert_setting(self, setting: Setting) -> Setting:
        """Store one version of an alert setting (the caller chooses the version number)."""
        setting = _stamped(setting)
        sid = setting.subscription.id
        taken = f"alert setting {sid!r} version {setting.version} already exists"
        self._insert(t.alert_settings, [_setting_row(setting)], taken)
        return setting

    def alert_settings(self) -> list[Setting]:
        """Every version of every alert setting, by id then version."""
        return [_setting(r) for r in self._rows(t.alert_settings, None, "id", "version")]

    def insert_alert_run(self, ran_at: datetime, sent: Sequence[Alert], failed: int) -> None:
        """One run of the alerts: when, and the keys of the alerts it really sent."""
        rows = [
            {
                "key": a.key,
                "subscription_id": a.subscription.id,
                "kind": a.kind.value,
                "question_id": a.question_id or None,
                "subject": a.subject,
                "sent_at": ran_at,
            }
            for a in sent
        ]
        self._insert(t.alerts_sent, rows, "an alert with that key was already sent")
        run = {"ran_at": ran_at, "sent": len(sent), "failed": failed}
        self._insert(t.alert_runs, [run], f"a run of the alerts at {iso(ran_at)} is stored")

    def sent_alert_keys(self) -> set[str]:
        """The dedupe keys of every alert sent."""
        return {r.key for r in self.connection.execute(select(t.alerts_sent.c.key))}

    def last_alert_run(self) -> datetime | None:
        """When the alerts last ran (None: never)."""
        found = self.connection.execute(select(func.max(t.alert_runs.c.ran_at))).scalar()
        return None if found is None else utc(found)

    # ------------------------------------------------------------------ links (0012)

    def insert_link(self, link: QuestionLink) -> QuestionLink:
        """Store one version of a child's links (the caller chooses the version number)."""
        link = _stamped(link)
        row = {
            "child": link.child,
            "version": link.version,
            "parents": list(link.parents),
            "deadlines": [None if d is None else iso(d) for d in link.by]
            or [None] * len(link.parents),
            "given": [[list(combo), list(values)] for combo, values in link.given],
            "active": link.active,
            "logged_at": link.logged_at,
            "logged_by": link.logged_by,
            "reason": link.reason,
            "imported_at": link.imported_at,
            "imported_by": link.imported_by or None,
        }
        taken = f"version {link.version} of the links of {link.child!r} already exists"
        self._insert(t.question_links, [row], taken)
        return link

    def links(self) -> list[QuestionLink]:
        """Every version of every child's links, by child then version."""
        return [_link(r) for r in self._rows(t.question_links, None, "child", "version")]

    # ------------------------------------------------------------------ inbox (0010)

    def insert_feed(self, feed: Feed) -> Feed:
        """Store one version of a feed (the caller chooses the version number)."""
        feed = _stamped(feed)
        taken = f"feed {feed.id!r} version {feed.version} already exists"
        self._insert(t.feeds, [_feed_row(feed)], taken)
        return feed

    def feeds(self) -> list[Feed]:
        """Every version of every feed, by id then version."""
        return [_feed(r) for r in self._rows(t.feeds, None, "id", "version")]

    def insert_fetch(self, fetch: Fetch) -> None:
        """One fetch of one feed."""
        row = {
            "feed_id": fetch.feed_id,
            "fetched_at": fetch.fetched_at,
            "new": fetch.new,
            "not_modified": fetch.not_modified,
            "etag": fetch.etag,
            "last_modified": fetch.last_modified,
            "error": fetch.error,
        }
        taken = f"a fetch of feed {fetch.feed_id!r} at {iso(fetch.fetched_at)} is stored"
        self._insert(t.feed_fetches, [row], taken)

    def fetches(self, feed_id: str | None = None) -> list[Fetch]:
        """Every fetch of one feed (or all), by feed then time."""
        where = None if feed_id is None else t.feed_fetches.c.feed_id == feed_id
        return [_fetch(r) for r in self._rows(t.feed_fetches, where, "feed_id", "fetched_at")]

    def stored_keys(self, keys: Iterable[str]) -> set[str]:
        """Those of ``keys`` an inbox entry is already stored under."""
        by_hash = {key_hash(k): k for k in keys}
        found: set[str] = set()
        for chunk in _chunks(sorted(by_hash)):
            column = t.inbox_entries.c.key_hash
            query = select(column).where(column.in_(chunk))
            found.update(by_hash[h] for h in self.connection.execute(query).scalars())
        return found

    def stored_addresses(self, urls: dict[str, str]) -> set[str]:
        """Those keys of ``urls`` (key -> address) whose address, as ``canonical_url``
        writes it, an inbox entry already has (the same article under another key)."""
        by_hash: dict[str, list[str]] = defaultdict(list)
        for key, url in urls.items():
            by_hash[url_hash(url)].append(key)
        found: set[str] = set()
        for chunk in _chunks(sorted(by_hash)):
            column = t.inbox_entries.c.url_hash
            query = select(column).where(column.in_(chunk))
            for h in self.connection.execute(query).scalars():
                found.update(by_hash[h])
        return found

    def insert_entries(self, entries: Sequence[Entry]) -> None:
        """Store new inbox entries (each key once: a stored key is refused)."""
        rows = [_entry_row(_received(e)) for e in entries]
        self._insert(t.inbox_entries, rows, "an inbox entry with that key is already stored")

    def entry(self, entry_id: str) -> tuple[Entry, Action | None] | None:
        """One inbox entry and its action (None if it has none), or None."""
        rows = self._rows(t.inbox_entries, t.inbox_entries.c.id == entry_id)
        if not rows:
            return None
        return _entry(rows[0]), self.actions([entry_id]).get(entry_id)

    def entry_by_key(self, key: str) -> Entry | None:
        """The inbox entry stored under ``key``, or None."""
        rows = self._rows(t.inbox_entries, t.inbox_entries.c.key_hash == key_hash(key))
        return _entry(rows[0]) if rows else None

    def actions(self, entry_ids: Iterable[str]) -> dict[str, Action]:
        """The actions taken on the given entries, by entry id."""
        return {
            a.entry_id: a for a in self._in(t.inbox_actions, "entry_id", entry_ids, _action)
        }

    def insert_action(self, action: Action) -> Action:
        """The one action an entry takes."""
        action = _stamped(action)
        row = {
            "entry_id": action.entry_id,
            "status": action.status.value,
            "report_id": action.report_id,
            "reason": action.reason,
            "logged_at": action.logged_at,
            "logged_by": action.logged_by,
        }
        taken = f"inbox entry {action.entry_id!r} was already dealt with"
        self._insert(t.inbox_actions, [row], taken)
        return action

    def inbox(
        self,
        statuses: Sequence[Status] = (Status.NEW,),
        words: Sequence[str] = (),
        *,
        feed_id: str | None = None,
        since: datetime | None = None,
        offset: int = 0,
        limit: int | None = None,
    ) -> Page:
        """Inbox entries with one of ``statuses`` whose title or text holds every one of
        ``words`` (case aside), newest first (by received time, then published time, then
        id), one page of them.
        """
        e, a = t.inbox_entries.c, t.inbox_actions.c
        joined = t.inbox_entries.outerjoin(t.inbox_actions, a.entry_id == e.id)
        wanted = set(statuses)
        clauses: list[ColumnElement[bool]] = []
        taken = [s.value for s in wanted if s is not Status.NEW]
        if Status.NEW in wanted:
            clauses.append(or_(a.status.is_(None), a.status.in_(taken)))
        else:
            clauses.append(a.status.in_(taken))
        for word in words:
            pattern = "%" + _escape_like(word.lower()) + "%"
            clauses.append(
                or_(
                    func.lower(e.title).like(pattern, escape="\\"),
                    func.lower(e.text).like(pattern, escape="\\"),
                    func.lower(e.url).like(pattern, escape="\\"),
                )
            )
        if feed_id is not None:
            clauses.append(e.feed_id == feed_id)
        if since is not None:
            clauses.append(e.received_at > since)
        total = self.connection.execute(
            select(func.count()).select_from(joined).where(*clauses)
        ).scalar_one()
        query = (
            select(t.inbox_entries)
            .select_from(joined)
            .where(*clauses)
            .order_by(e.received_at.desc(), e.published.desc().nulls_last(), e.id)
            .offset(offset)
        )
        if limit is not None:
            query = query.limit(limit)
        entries = tuple(_entry(r) for r in self.connection.execute(query).all())
        actions = self.actions(x.id for x in entries)
        return Page(entries, actions, int(total), offset, limit or len(entries))

    def questions_citing(self, source: str) -> list[str]:
        """Ids of the questions assessed against any report from ``source``."""
        a, r = t.assessments.c, t.reports.c
        query = (
            select(a.question_id)
            .distinct()
            .join_from(t.assessments, t.reports, a.report_id == r.id)
            .where(r.source == source)
            .order_by(a.question_id)
        )
        return list(self.connection.execute(query).scalars())

    def resolutions(self, qid: str | None = None) -> list[Resolution]:
        """Every version of the resolutions of one question (or all), by question then version."""
        where = None if qid is None else t.resolutions.c.question_id == qid
        rows = self._rows(t.resolutions, where, "question_id", "version")
        return [_resolution(r) for r in rows]

    def search(self, query: str, limit: int = 20) -> list[tuple[str, str]]:
        """(kind, key) of the questions, reports and assessments matching every word of
        ``query`` (by prefix, case aside), best first (``forecast.store.search``)."""
        from forecast.store.search import search

        return search(self.connection, query, limit)

    def latest_version(self, table: RecordKind, key: str) -> int:
        """The highest stored version of record ``key`` of this kind, or 0 if there is none."""
        if table not in _VERSIONED:
            raise ValueError(f"no versioned records called {table!r}")
        tbl, column = _VERSIONED[table]
        query = select(func.max(tbl.c.version)).where(tbl.c[column] == key)
        return self.connection.execute(query).scalar() or 0

    def counts(self) -> dict[str, int]:
        """Rows in each table."""
        return {
            name: self.connection.execute(select(func.count()).select_from(table)).scalar_one()
            for name, table in t.metadata.tables.items()
        }

    # ------------------------------------------------------------------ snapshots

    def insert_snapshots(self, snaps: Sequence[Snapshot]) -> int:
        """Store snapshots (the store numbers them); returns how many."""
        rows = [_snapshot_row(s) for s in snaps]
        question = snaps[0].question_id if len(snaps) == 1 else None
        self._insert(t.snapshots, rows, "snapshot already exists", question=question)
        return len(rows)

    def snapshots(
        self, question_ids: Sequence[str] | None = None, *, until: datetime | None = None
    ) -> list[Snapshot]:
        """Snapshots taken by ``until`` (default: all), by question, time, then storage order."""
        order = ("question_id", "taken_at", "id")
        if question_ids is None:
            rows = self._rows(t.snapshots, None, *order)
        else:
            rows = self._rows_in(t.snapshots, "question_id", question_ids, *order)
        snaps = [_snapshot(r) for r in rows]
        return snaps if until is None else [s for s in snaps if s.taken_at <= until]

    def snapshot_times(self, reasons: Sequence[str] | None = None) -> list[tuple[str, datetime]]:
        """(question id, taken at) of every snapshot (taken for one of ``reasons``)."""
        query = select(t.snapshots.c.question_id, t.snapshots.c.taken_at)
        if reasons is not None:
            query = query.where(t.snapshots.c.reason.in_(list(reasons)))
        return [(qid, at) for qid, at in self.connection.execute(query).all()]

    # ------------------------------------------------------------------ reference forecasts

    def insert_reference(
        self,
        reference: ReferenceSet,
        questions: Sequence[ReferenceQuestion],
        points: Iterable[tuple[str, date, float]],
    ) -> None:
        """Store one named reference: its questions and its dated probabilities."""
        reference = _stamped(reference)
        taken = f"reference {reference.name!r} already exists"
        self._insert(t.reference_sets, [_reference_set_row(reference)], taken)
        rows = [_reference_question_row(reference.name, q) for q in questions]
        self._insert(t.reference_questions, rows, f"{taken}: a question id repeats")
        name = reference.name
        series = [
            {"reference": name, "qid": qid, "day": day, "probability": p} for qid, day, p in points
        ]
        self._insert(t.reference_points, series, f"{taken}: a (qid, date) pair repeats")

    def reference_sets(self) -> list[ReferenceSet]:
        """Every imported reference, by name."""
        return [_reference_set(r) for r in self._rows(t.reference_sets, None, "name")]

    def reference_questions(self, name: str) -> list[ReferenceQuestion]:
        """The questions of one reference, by qid."""
        where = t.reference_questions.c.reference == name
        return [_reference_question(r) for r in self._rows(t.reference_questions, where, "qid")]

    def reference_points(
        self, name: str, qids: Sequence[str] | None = None
    ) -> list[tuple[str, date, float]]:
        """(qid, day, probability) of one reference (some of its questions), by qid then day."""
        c = t.reference_points.c
        query = select(c.qid, c.day, c.probability).where(c.reference == name)
        if qids is not None:
            query = query.where(c.qid.in_(sorted(set(qids))))
        query = query.order_by(c.qid, c.day)
        return [(qid, day, p) for qid, day, p in self.connection.execute(query).all()]

    # ------------------------------------------------------------------ history

    def history(self, question_ids: Sequence[str] | None = None) -> History:
        """Every version of every record bearing on some questions (``None``: everything)."""
        if isinstance(question_ids, str):
            raise TypeError("history() takes a list of question ids, not one id")
        with _collector_paused():
            if question_ids is None:
                return self._everything()
            return self._some(question_ids)

    def _some(self, question_ids: Sequence[str]) -> History:
        wanted = sorted(set(question_ids))
        questions, earlier = self._questions(wanted)
        assessments = self._in(t.assessments, "question_id", wanted, _assessment)
        reports = self._in(t.reports, "id", {a.report_id for a in assessments}, _report)
        sources = self._in(t.source_versions, "name", {r.source for r in reports}, _source)
        resolutions = self._in(t.resolutions, "question_id", wanted, _resolution)
        return History(
            questions=tuple(questions),
            sources=tuple(sorted(sources, key=lambda s: (s.name, s.version))),
            reports=tuple(sorted(reports, key=lambda r: (r.id, r.version))),
            assessments=tuple(sorted(assessments, key=lambda a: (a.id, a.version))),
            resolutions=tuple(sorted(resolutions, key=lambda r: (r.question_id, r.version))),
            question_versions=tuple(earlier),
        )

    def _everything(self) -> History:
        questions, earlier = self._questions(None)
        return History(
            questions=tuple(questions),
            question_versions=tuple(earlier),
            sources=tuple(self.source_versions()),
            reports=tuple(_report(r) for r in self._rows(t.reports, None, "id", "version")),
            assessments=tuple(
                _assessment(r) for r in self._rows(t.assessments, None, "id", "version")
            ),
            resolutions=tuple(self.resolutions()),
            links=tuple(self.links()),
        )

    # ------------------------------------------------------------------ query helpers

    def _rows(self, table: Table, where: ColumnElement[bool] | None, *order: str) -> list[Row]:
        query = select(table).order_by(*(table.c[name] for name in order))
        if where is not None:
            query = query.where(where)
        try:
            return list(self.connection.execute(query).all())
        except ValueError as exc:  # a JSON column another program filled with something else
            raise ForecastError(
                f"the database holds a row of {table.name} that cannot be read "
                f"({str(exc)[:80]}): was it written by another program?"
            ) from None

    def _in(
        self, table: Table, column: str, keys: Iterable[str], build: Callable[[Row], Any]
    ) -> list[Any]:
        """Records whose ``column`` is one of ``keys``, fetched in a few bulk queries."""
        return [build(row) for row in self._rows_in(table, column, keys)]

    def _rows_in(self, table: Table, column: str, keys: Iterable[str], *order: str) -> list[Row]:
        rows: list[Row] = []
        for chunk in _chunks(sorted(set(keys))):
            rows += self._rows(table, table.c[column].in_(chunk), *order)
        return rows

    def _questions(self, ids: Sequence[str] | None) -> tuple[list[Question], list[Question]]:
        """Questions (all, or those with ``ids``) as they stand, by opening time then id,
        and the earlier versions of those that were edited, by id then version."""
        if ids is None:
            rows = self._rows(t.questions, None, "opened_at", "id")
            options = self._rows(t.question_options, None, "question_id", "position")
            deadlines = self._rows(t.question_deadlines, None, "question_id", "position")
            edits = self._rows(t.question_versions, None, "question_id", "version")
        else:
            rows = self._rows_in(t.questions, "id", ids, "opened_at", "id")
            options = self._rows_in(t.question_options, "question_id", ids, "position")
            deadlines = self._rows_in(t.question_deadlines, "question_id", ids, "position")
            edits = self._rows_in(t.question_versions, "question_id", ids, "question_id", "version")
        by_option = _group(options, lambda r: (r.name, r.prior))
        by_deadline = _group(deadlines, lambda r: r.deadline)
        by_edit = _group(edits, lambda r: r)
        latest: list[Question] = []
        earlier: list[Question] = []
        for row in rows:
            versions = [_question(row, by_option[row.id], by_deadline[row.id])]
            for edit in by_edit.get(row.id, ()):
                versions.append(_question_version(versions[0], edit))
            latest.append(versions[-1])
            earlier += versions[:-1]
        return sorted(latest, key=lambda q: (q.opened, q.id)), earlier


# ---------------------------------------------------------------------- row <-> record


def _question_row(q: Question) -> dict[str, Any]:
    return {
        "id": q.id,
        "title": _s(q.title),
        "kind": str(q.kind),
        "opened_at": q.opened,
        "prior": q.prior,
        "prior_note": _s(q.prior_note),
        "alpha": q.alpha,
        "criteria": _s(q.criteria),
        "tags": list(q.tags),
        "created_at": q.created_at,
        "created_by": _s(q.created_by),
        **_provenance(q),
        "closes_at": q.closes,
    }


def _question_version_row(q: Question) -> dict[str, Any]:
    return {
        "question_id": q.id,
        "version": q.version,
        "title": _s(q.title),
        "criteria": _s(q.criteria),
        "prior_note": _s(q.prior_note),
        "tags": list(q.tags),
        "closes_at": q.closes,
        "prior": q.prior,
        "options": [[name, p] for name, p in q.options] or None,
        "deadlines": [iso(d) for d in q.deadlines] or None,
        "edited_at": q.edited_at,
        "edited_by": _s(q.edited_by),
        "reason": _s(q.reason),
        **_provenance(q),
    }


def _question_version(first: Question, row: Row) -> Question:
    """Version ``row.version`` of a question whose version 1 is ``first``."""
    return replace(
        first,
        version=row.version,
        title=row.title,
        criteria=row.criteria,
        prior_note=row.prior_note,
        tags=tuple(row.tags),
        closes=row.closes_at,
        prior=row.prior,
        options=tuple((str(name), float(p)) for name, p in row.options or ()),
        deadlines=tuple(utc(parse_time(d)) for d in row.deadlines or ()),
        edited_at=row.edited_at,
        edited_by=row.edited_by,
        reason=row.reason,
        imported_at=row.imported_at,
        imported_by=row.imported_by or "",
    )


_KINDS = frozenset(k.value for k in Kind)


def _question(row: Row, options: list[Any], deadlines: list[Any]) -> Question:
    # Rows arrive in the table's column order; unpacking them is several times faster than
    # reading them by name, which matters when history() builds 50,000 records.
    qid, title, kind, opened, prior, prior_note, alpha, criteria, tags, *rest = row
    created, creator, imported_at, imported_by, closes = rest
    if kind not in _KINDS:
        raise ForecastError(
            f"the database holds question {str(qid)[:80]!r} of kind {str(kind)[:40]!r}, which "
            "this version of forecast does not know: was it written by another program?"
        )
    return Question(
        id=qid,
        title=title,
        kind=Kind(kind),
        opened=opened,
        prior=prior,
        options=tuple(options),
        deadlines=tuple(deadlines),
        alpha=alpha,
        criteria=criteria,
        prior_note=prior_note,
        tags=tuple(tags),
        created_by=creator,
        created_at=created,
        imported_at=imported_at,
        imported_by=imported_by or "",
        closes=closes,
    )


def _setting_row(s: Setting) -> dict[str, Any]:
    sub = s.subscription
    return {
        "id": sub.id,
        "version": s.version,
        "who": sub.who,
        "channel": sub.channel,
        "kinds": sorted(k.value for k in sub.kinds),
        "thresholds": [[th.question_id, th.level] for th in sub.thresholds],
        "close_days": sub.close_days,
        "questions": None if sub.questions is None else sorted(sub.questions),
        "min_score": sub.min_score,
        "active": s.active,
        "logged_at": s.logged_at,
        "logged_by": s.logged_by,
        "reason": s.reason,
    }


def _setting(row: Row) -> Setting:
    sub = Subscription(
        id=row.id,
        who=row.who,
        channel=row.channel,
        kinds=frozenset(row.kinds),
        thresholds=tuple(Threshold(q, float(level)) for q, level in row.thresholds),
        close_days=int(row.close_days),
        questions=None if row.questions is None else frozenset(row.questions),
        min_score=float(row.min_score),
    )
    logged = utc(row.logged_at)
    return Setting(sub, row.version, bool(row.active), logged, row.logged_by, row.reason)


def _link(row: Row) -> QuestionLink:
    return QuestionLink(
        child=row.child,
        parents=tuple(row.parents),
        given=tuple((tuple(combo), tuple(float(v) for v in values)) for combo, values in row.given),
        by=tuple(None if d is None else parse_time(d, "a link's deadline") for d in row.deadlines),
        active=bool(row.active),
        version=row.version,
        logged_at=utc(row.logged_at),
        logged_by=row.logged_by,
        reason=row.reason,
        imported_at=None if row.imported_at is None else utc(row.imported_at),
        imported_by=row.imported_by or "",
    )


def key_hash(key: str) -> str:
    """The hex SHA-256 an inbox entry's key is stored under (keys can be long addresses)."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def url_hash(url: str) -> str:
    """The hex SHA-256 of an address as ``matching.canonical_url`` writes it."""
    return key_hash(canonical_url(url))


def _escape_like(text: str) -> str:
    """``text`` matched literally by LIKE (with ``escape="\\"``): no wildcards in it."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _feed_row(f: Feed) -> dict[str, Any]:
    return {
        "id": f.id,
        "version": f.version,
        "url": f.url,
        "source": f.source,
        "tags": list(f.tags),
        "active": f.active,
        "logged_at": f.logged_at,
        "logged_by": f.logged_by,
        "reason": f.reason,
    }


def _feed(row: Row) -> Feed:
    return Feed(
        id=row.id,
        url=row.url,
        source=row.source,
        tags=tuple(row.tags),
        active=bool(row.active),
        version=row.version,
        logged_at=utc(row.logged_at),
        logged_by=row.logged_by,
        reason=row.reason,
    )


def _fetch(row: Row) -> Fetch:
    return Fetch(
        feed_id=row.feed_id,
        fetched_at=utc(row.fetched_at),
        new=int(row.new),
        not_modified=bool(row.not_modified),
        etag=row.etag,
        last_modified=row.last_modified,
        error=row.error,
    )


def _received(e: Entry) -> Entry:
    return e if e.received_at else _replace(e, received_at=_now())


def _entry_row(e: Entry) -> dict[str, Any]:
    return {
        "id": e.id,
        "key_hash": key_hash(e.key),
        "key": e.key,
        "url_hash": url_hash(e.url) if e.url else None,
        "feed_id": e.feed_id,
        "title": e.title,
        "url": e.url,
        "text": e.text,
        "published": e.published,
        "outlet": e.outlet,
        "author": e.author,
        "language": e.language,
        "original": e.original,
        "encoding": e.encoding,
        "received_at": e.received_at,
        "received_by": e.received_by,
    }


def _entry(row: Row) -> Entry:
    return Entry(
        id=row.id,
        key=row.key,
        title=row.title,
        feed_id=row.feed_id,
        url=row.url,
        text=row.text,
        published=None if row.published is None else utc(row.published),
        outlet=row.outlet,
        author=row.author,
        language=row.language,
        original=None if row.original is None else bytes(row.original),
        encoding=row.encoding,
        received_at=utc(row.received_at),
        received_by=row.received_by,
    )


def _action(row: Row) -> Action:
    return Action(
        entry_id=row.entry_id,
        status=Status(row.status),
        report_id=row.report_id,
        reason=row.reason,
        logged_at=utc(row.logged_at),
        logged_by=row.logged_by,
    )


def _source_row(s: Source) -> dict[str, Any]:
    return {
        "name": s.name,
        "version": s.version,
        "reliability": s.reliability,
        "type": _s(s.type),
        "logged_at": s.logged_at,
        "logged_by": _s(s.logged_by),
        "reason": _s(s.reason),
        **_provenance(s),
    }


def _source(row: Row) -> Source:
    name, version, reliability, kind, logged_at, logged_by, reason, imported_at, imported_by = row
    return Source(
        name=name,
        reliability=reliability,
        type=kind,
        version=version,
        logged_at=logged_at,
        logged_by=logged_by,
        reason=reason,
        imported_at=imported_at,
        imported_by=imported_by or "",
    )


def _report_row(r: Report) -> dict[str, Any]:
    return {
        "id": r.id,
        "version": r.version,
        "published_at": r.published,
        "source": _s(r.source),
        "title": _s(r.title),
        "summary": _s(r.summary),
        "url": _s(r.url),
        "origin": _s(r.origin),
        "logged_at": r.logged_at,
        "logged_by": _s(r.logged_by),
        "retracted": bool(r.retracted),
        "reason": _s(r.reason),
        **_provenance(r),
    }


def _report(row: Row) -> Report:
    rid, version, published, source, title, summary, url, origin, *rest = row
    logged_at, logged_by, retracted, reason, imported_at, imported_by = rest
    return Report(
        id=rid,
        published=published,
        source=source,
        title=title,
        summary=summary,
        url=url,
        origin=origin,
        logged_at=logged_at,
        logged_by=logged_by,
        version=version,
        retracted=bool(retracted),
        reason=reason,
        imported_at=imported_at,
        imported_by=imported_by or "",
    )


def _assessment_row(a: Assessment) -> dict[str, Any]:
    pairs = [[name, value] for name, value in a.likelihoods]
    return {
        "id": a.id,
        "version": a.version,
        "report_id": a.report_id,
        "question_id": a.question_id,
        "analyst": _s(a.analyst),
        "lr": a.lr,
        "likelihoods": pairs or None,
        "strength": _s(a.strength),
        "rationale": _s(a.rationale),
        "logged_at": a.logged_at,
        "logged_by": _s(a.logged_by),
        "retracted": bool(a.retracted),
        "reason": _s(a.reason),
        "target": _target_json(a),
        "judged": _judged_json(a.judged),
        **_provenance(a),
    }


def _target_json(a: Assessment) -> dict[str, Any] | None:
    if a.around is not None:
        return {"around": a.around.isoformat(), "within": a.within}
    return None if a.by is None else {"by": a.by.isoformat()}


def _judged_json(judged: float | tuple[tuple[str, float], ...] | None) -> Any:
    if judged is None or isinstance(judged, float):
        return judged
    return [[name, value] for name, value in judged]


def _assessment(row: Row) -> Assessment:
    # Unpacked in the table's column order (0003 added the import marks, 0004 target and
    # judged), which keeps history() fast on 50,000 assessments.
    aid, version, report_id, question_id, analyst, lr, pairs, strength, *rest = row
    rationale, logged_at, logged_by, retracted, reason, imported_at, imported_by, *more = rest
    stated, judged = more
    target = stated or {}
    return Assessment(
        id=aid,
        report_id=report_id,
        question_id=question_id,
        analyst=analyst,
        lr=lr,
        likelihoods=tuple((name, float(value)) for name, value in pairs) if pairs else (),
        strength=strength,
        by=parse_time(target["by"]) if "by" in target else None,
        around=parse_time(target["around"]) if "around" in target else None,
        within=int(target.get("within", 0)),
        judged=tuple((n, float(v)) for n, v in judged) if isinstance(judged, list) else judged,
        rationale=rationale,
        logged_at=logged_at,
        logged_by=logged_by,
        version=version,
        retracted=bool(retracted),
        reason=reason,
        imported_at=imported_at,
        imported_by=imported_by or "",
    )


def _resolution_row(res: Resolution) -> dict[str, Any]:
    return {
        "question_id": res.question_id,
        "version": res.version,
        "outcome": _s(res.outcome),
        "resolved_on": res.resolved_on,
        "event_on": res.event_on,
        "note": _s(res.note),
        "logged_at": res.logged_at,
        "logged_by": _s(res.logged_by),
        **_provenance(res),
    }


def _resolution(row: Row) -> Resolution:
    return Resolution(
        question_id=row.question_id,
        outcome=row.outcome,
        resolved_on=row.resolved_on,
        note=row.note,
        logged_at=row.logged_at,
        logged_by=row.logged_by,
        version=row.version,
        imported_at=row.imported_at,
        imported_by=row.imported_by or "",
        event_on=row.event_on,
    )


def _snapshot_row(s: Snapshot) -> dict[str, Any]:
    return {
        "question_id": s.question_id,
        "taken_at": s.taken_at,
        "probability": s.probability,
        "vector": dict(s.vector) or None,
        "reason": _s(s.reason),
        "taken_by": _s(s.taken_by),
        **_provenance(s),
    }


def _snapshot(row: Row) -> Snapshot:
    from forecast.records import Snapshot

    sid, question_id, taken_at, probability, vector, reason, taken_by, *rest = row
    imported_at, imported_by = rest
    return Snapshot(
        question_id=question_id,
        taken_at=taken_at,
        probability=probability,
        vector=tuple((k, float(v)) for k, v in vector.items()) if vector else (),
        reason=reason,
        taken_by=taken_by,
        id=sid,
        imported_at=imported_at,
        imported_by=imported_by or "",
    )


def _reference_set_row(ref: ReferenceSet) -> dict[str, Any]:
    return {
        "name": ref.name,
        "questions_file": _s(ref.questions_file),
        "series_file": _s(ref.series_file),
        "logged_at": ref.logged_at,
        "logged_by": _s(ref.logged_by),
    }


def _reference_set(row: Row) -> ReferenceSet:
    from forecast.records import ReferenceSet

    name, questions_file, series_file, logged_at, logged_by = row
    return ReferenceSet(name, questions_file, series_file, logged_at, logged_by)


def _reference_question_row(name: str, q: ReferenceQuestion) -> dict[str, Any]:
    return {
        "reference": name,
        "qid": q.qid,
        "question": _s(q.question),
        "opened_at": q.opened,
        "deadline": q.deadline,
        "outcome": q.outcome,
        "resolved_on": q.resolved_on,
    }


def _reference_question(row: Row) -> ReferenceQuestion:
    from forecast.records import ReferenceQuestion

    name, qid, question, opened, deadline, outcome, resolved_on = row
    return ReferenceQuestion(name, qid, question, opened, deadline, outcome, resolved_on)


# ---------------------------------------------------------------------- small helpers


def _s(value: str | None) -> str:
    """Text columns are NOT NULL: a missing value is stored as the empty string."""
    return "" if value is None else value


def _provenance(record: Any) -> dict[str, Any]:
    """The import columns: NULL for a live write (no ``imported_at``), else when and who."""
    if record.imported_at is None:
        return {"imported_at": None, "imported_by": None}
    return {"imported_at": record.imported_at, "imported_by": _s(record.imported_by)}


def _now() -> datetime:
    return datetime.now(UTC)


def _stamped(record: Any) -> Any:
    """The record with ``logged_at`` filled in if the caller left it empty."""
    return record if record.logged_at else _replace(record, logged_at=_now())


def _replace(record: Any, **changes: Any) -> Any:

    return replace(record, **changes)


def _group(rows: Iterable[Row], value: Callable[[Row], Any]) -> defaultdict[str, list[Any]]:
    """Rows grouped by question id, keeping their order (the rows come sorted by position)."""
    grouped: defaultdict[str, list[Any]] = defaultdict(list)
    for row in rows:
        grouped[row.question_id].append(value(row))
    return grouped


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while building many records.

    Tens of thousands of new objects trigger repeated full collections that walk the whole heap
    (pandas, scipy, ...): a third of the time of history() on a large database. The records
    hold no reference cycles, so nothing is left uncollected; the collector is restored after.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _chunks(keys: list[str]) -> Iterator[list[str]]:
    for start in range(0, len(keys), CHUNK):
        yield keys[start : start + CHUNK]


def _integrity_error(exc: IntegrityError, taken: str, question: str | None) -> ForecastError:
    """Turn a driver's constraint error into a one-line domain error."""
    code = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "sqlite_errorcode", None)
    if code in _UNIQUE_CODES or code in _SQLITE_UNIQUE or _key_taken(exc, code):
        return Conflict(taken)
    if question is not None and (code in _FOREIGN_KEY_CODES or code in _SQLITE_FOREIGN_KEY):
        return NotFound(f"question {question} does not exist")
    reason = str(exc.orig).splitlines()[0] if exc.orig is not None else "constraint failed"
    return ForecastError(f"cannot store the record: {reason}")


def _key_taken(exc: IntegrityError, code: object) -> bool:
    # On SQLite a stored key meets the REPLACE guard of revision 0005 (a BEFORE INSERT
    # trigger) before the primary key itself: its message is the only sign of a duplicate.
    return code == sqlite3.SQLITE_CONSTRAINT_TRIGGER and str(exc.orig).endswith(_KEY_TAKEN)
