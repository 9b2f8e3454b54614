"""The audit trail: every change to a question, its evidence and its resolution.

Pure: a :class:`~forecast.domain.History` (every version of every record) goes in, a list
of :class:`AuditEntry` comes out, oldest first. Nothing is inferred that the records do
not say: each entry is one stored version, with who logged it, when, and why, and, for a
correction, which fields changed against the version before it.

A record that came in through an import shows both clocks: the logged time its file
stated (``at``, ``who``), and when and by whom it was imported into this store.
"""

from __future__ import annotations

import itertools
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from forecast.clock import iso
from forecast.domain import (
    MODEL_FIELDS,
    Assessment,
    History,
    Question,
    Report,
    Resolution,
    Source,
    edited_fields,
)

KINDS = ("question", "source", "report", "assessment", "resolution")
"""Record kinds in the order entries logged at the same instant are listed."""

# The fields whose change a correction reports, per kind (identity fields never change).
_TRACKED: dict[str, tuple[str, ...]] = {
    "source": ("reliability", "type"),
    "report": ("published", "source", "title", "summary", "url", "origin", "retracted"),
    "assessment": ("lr", "strength", "likelihoods", "rationale", "retracted"),
    "resolution": ("outcome", "resolved_on", "event_on", "note"),
}
_EARLIEST = datetime.min.replace(tzinfo=UTC)  # sorts records without a logged time first
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")  # terminal control characters
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class Change:
    """One field of a record, before and after a correction."""

    field: str
    before: Any
    after: Any


@dataclass(frozen=True)
class AuditEntry:
    """One stored version of one record: who logged it, when, why, and what it changed."""

    at: datetime | None  # knowledge time: when it was logged
    who: str
    kind: str  # one of KINDS
    key: str  # question, report or assessment id; source name; resolved question's id
    version: int
    action: str  # what happened, in a word or two: "assessed", "corrected", "retracted", ...
    why: str  # the stated reason, rationale or resolution note ("" if none was given)
    questions: tuple[str, ...]  # the questions this change bears on
    details: tuple[tuple[str, Any], ...] = ()  # the record's main values, in display order
    changes: tuple[Change, ...] = ()  # against the previous version; empty for a first one
    imported_at: datetime | None = None  # when it came in through an import (None: live)
    imported_by: str = ""

    @property
    def imported(self) -> str:
        """ "imported <when> by <who>" for an imported record; "" for a live write."""
        if self.imported_at is None:
            return ""
        return f"imported {iso(self.imported_at)} by {self.imported_by or '?'}"

    def to_json(self) -> dict[str, Any]:
        """The entry as JSON-ready values (times in ISO form)."""
        return {
            "at": None if self.at is None else iso(self.at),
            "who": self.who,
            "kind": self.kind,
            "key": self.key,
            "version": self.version,
            "action": self.action,
            "why": self.why,
            "questions": list(self.questions),
            "details": {name: plain(value) for name, value in self.details},
            "changes": [
                {"field": c.field, "before": plain(c.before), "after": plain(c.after)}
                for c in self.changes
            ],
            "imported": None
            if self.imported_at is None
            else {"at": iso(self.imported_at), "by": self.imported_by},
        }

    def line(self) -> str:
        """One line for a terminal: control characters escaped, long text shortened."""
        when = "(unknown time)" if self.at is None else iso(self.at)
        head = f"{when}  {self.who or '?'}  {self.kind} {self.key} v{self.version} {self.action}"
        # A retraction's own flag is already in the action word.
        shown = [c for c in self.changes if not (c.field == "retracted" and c.after)]
        if shown:
            moved = "; ".join(f"{c.field} {_short(c.before)} -> {_short(c.after)}" for c in shown)
            head += f": {moved}"
        elif self.details:
            head += ": " + ", ".join(f"{k} {_short(v)}" for k, v in self.details)
        if self.why:
            head += f"  (why: {_short(self.why, 120)})"
        if self.imported_at is not None:
            head += f"  [{_short(self.imported, 120)}]"
        return head


def trail(history: History, question_id: str | None = None) -> list[AuditEntry]:
    """Every change in ``history``, oldest first; only those bearing on one question if given.

    A question's trail holds its creation, every version of its assessments, of the
    reports they assess (so a report's retraction shows), of those reports' sources (a
    re-rating moves the forecast too) and of its resolution.
    """
    links = _Links(history)
    entries = [
        *_question_entries(history),
        *_versioned(history.sources, "source", lambda s: s.name, _source_entry, links),
        *_versioned(history.reports, "report", lambda r: r.id, _report_entry, links),
        *_versioned(history.assessments, "assessment", lambda a: a.id, _assessment_entry, links),
        *_versioned(
            history.resolutions, "resolution", lambda r: r.question_id, _resolution_entry, links
        ),
    ]
    if question_id is not None:
        entries = [e for e in entries if question_id in e.questions]
    return sorted(entries, key=_order)


# ---------------------------------------------------------------------- which questions


class _Links:
    """Which questions each report and source bears on, through the assessments."""

    def __init__(self, history: History):
        self.of_report: defaultdict[str, set[str]] = defaultdict(set)
        for a in history.assessments:
            self.of_report[a.report_id].add(a.question_id)
        self.of_source: defaultdict[str, set[str]] = defaultdict(set)
        for r in history.reports:
            self.of_source[r.source] |= self.of_report[r.id]

    def questions(self, kind: str, record: Any) -> tuple[str, ...]:
        if kind == "source":
            found = self.of_source[record.name]
        elif kind == "report":
            found = self.of_report[record.id]
        else:  # assessments and resolutions name their question
            found = {record.question_id}
        return tuple(sorted(found))


# ---------------------------------------------------------------------- entries


def _versioned[T: (Source, Report, Assessment, Resolution)](
    records: Iterable[T],
    kind: str,
    key: Callable[[T], str],
    build: Callable[[T, T | None], tuple[str, str, tuple[tuple[str, Any], ...]]],
    links: _Links,
) -> list[AuditEntry]:
    """One entry per version, each compared with the version before it."""
    by_key: defaultdict[str, list[T]] = defaultdict(list)
    for record in records:
        by_key[key(record)].append(record)
    entries = []
    for k, versions in by_key.items():
        previous: T | None = None
        for record in sorted(versions, key=lambda r: r.version):
            action, why, details = build(record, previous)
            entries.append(
                AuditEntry(
                    at=record.logged_at,
                    who=record.logged_by,
                    kind=kind,
                    key=k,
                    version=record.version,
                    action=action,
                    why=why,
                    questions=links.questions(kind, record),
                    details=details,
                    changes=_changes(kind, previous, record),
                    imported_at=record.imported_at,
                    imported_by=record.imported_by,
                )
            )
            previous = record
    return entries


def _question_entries(history: History) -> list[AuditEntry]:
    """Each question's creation, then one entry per edit with what it changed."""
    earlier: defaultdict[str, list[Question]] = defaultdict(list)
    for v in history.question_versions:
        earlier[v.id].append(v)
    entries = []
    for q in history.questions:
        versions = [*sorted(earlier[q.id], key=lambda v: v.version), q]
        entries.append(_question_entry(versions[0]))
        for before, after in itertools.pairwise(versions):
            changed = edited_fields(before, after)
            moved = tuple(Change(f, getattr(before, f), getattr(after, f)) for f in changed)
            entries.append(
                AuditEntry(
                    at=after.edited_at,
                    who=after.edited_by,
                    kind="question",
                    key=q.id,
                    version=after.version,
                    action="model changed" if MODEL_FIELDS.intersection(changed) else "edited",
                    why=after.reason,
                    questions=(q.id,),
                    changes=moved,
                    imported_at=after.imported_at,
                    imported_by=after.imported_by,
                )
            )
    return entries


def _question_entry(q: Question) -> AuditEntry:
    prior: Any = dict(q.options) if q.options else q.prior
    details: list[tuple[str, Any]] = [("title", q.title), ("kind", str(q.kind)), ("prior", prior)]
    if q.deadlines:
        details.append(("deadlines", list(q.deadlines)))
    return AuditEntry(
        at=q.created_at,
        who=q.created_by,
        kind="question",
        key=q.id,
        version=1,  # as created; each edit is a later version
        action="created",
        why=q.prior_note,
        questions=(q.id,),
        details=tuple(details),
        imported_at=q.imported_at,
        imported_by=q.imported_by,
    )


def _source_entry(s: Source, previous: Source | None) -> tuple[str, str, Any]:
    if previous is None:
        action = "added"
    elif s.reliability != previous.reliability:
        action = "re-rated"
    else:
        action = "updated"
    return action, s.reason, (("reliability", s.reliability), ("type", s.type))


def _report_entry(r: Report, previous: Report | None) -> tuple[str, str, Any]:
    if previous is None:
        action = "logged"
    elif r.retracted and not previous.retracted:
        action = "retracted"
    else:
        action = "corrected"
    details = (("source", r.source), ("published", r.published), ("title", r.title))
    return action, r.reason, details


def _assessment_entry(a: Assessment, previous: Assessment | None) -> tuple[str, str, Any]:
    if previous is None:
        action, why = "assessed", a.rationale
    elif a.retracted and not previous.retracted:
        action, why = "retracted", a.reason
    else:
        action, why = "corrected", a.reason
    judged: tuple[str, Any] = ("likelihoods", a.likelihoods) if a.likelihoods else ("lr", a.lr)
    details = [("report", a.report_id), ("analyst", a.analyst), judged]
    if a.strength:
        details.append(("strength", a.strength))
    return action, why, tuple(details)


def _resolution_entry(res: Resolution, previous: Resolution | None) -> tuple[str, str, Any]:
    if previous is not None:
        action = "resolution corrected"
    elif res.outcome == "annulled":
        action = "annulled"
    else:
        action = "resolved"
    fields: tuple[tuple[str, Any], ...] = (("outcome", res.outcome), ("date", res.resolved_on))
    if res.event_on is not None:
        fields += (("event date", res.event_on),)
    return action, res.note, fields


def _changes(kind: str, before: Any, after: Any) -> tuple[Change, ...]:
    if before is None:
        return ()
    return tuple(
        Change(name, getattr(before, name), getattr(after, name))
        for name in _TRACKED[kind]
        if getattr(before, name) != getattr(after, name)
    )


def _order(entry: AuditEntry) -> tuple[datetime, int, str, int]:
    return (entry.at or _EARLIEST, KINDS.index(entry.kind), entry.key, entry.version)


# ---------------------------------------------------------------------- display


def plain(value: Any) -> Any:
    """A JSON-ready copy of ``value``: times as ISO text, likelihood pairs as a mapping."""
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, Sequence) and not isinstance(value, str):
        if value and all(isinstance(v, tuple) and len(v) == 2 for v in value):
            return {str(k): plain(v) for k, v in value}
        return [plain(v) for v in value]
    return value


def _short(value: Any, limit: int = 60) -> str:
    """``value`` as one safe line of at most ``limit`` characters."""
    shown = plain(value)
    if isinstance(shown, float):
        text = f"{shown:.6g}"  # the JSON view keeps every digit
    else:
        text = shown if isinstance(shown, str) else repr(shown)
    # Escape rather than print control characters: a title could otherwise move the
    # cursor or recolour the terminal of whoever reads the audit.
    text = _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", _SPACE.sub(" ", text)).strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"
