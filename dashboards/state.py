"""Every cache of the dashboard lives here; every write goes through here and clears them.

Cached reads are keyed by the database URL (tests and the benchmark point one process at
several databases) and by a data version: the row counts of the append-only tables, which
grow with every write. A write from this dashboard clears the caches at once; a write from
elsewhere (the CLI, another server process) changes the version, so a page never shows
stale numbers for longer than one rerun.

The read models are cached as shared resources, not copied per session: they are frozen
records, and unpickling 500 question states on every rerun would cost more than computing
them once.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import streamlit as st

from forecast.api import Judgement, Logged, QuestionState, Tracker
from forecast.domain import Assessment, History, Question, Report, Resolution, Source
from forecast.evidence import by_question
from forecast.store.urls import default_url

type Key = tuple[str, tuple[int, ...]]  # (database URL, data version)

_READS: list[Any] = []  # every cached read, so that one call clears them all


def _read(max_entries: int) -> Callable[[Callable[..., Any]], Any]:
    """Cache a read model, shared by every session, and register it for invalidation."""

    def wrap(func: Callable[..., Any]) -> Any:
        cached = st.cache_resource(show_spinner=False, max_entries=max_entries)(func)
        _READS.append(cached)
        return cached

    return wrap


# --------------------------------------------------------------------------- the tracker


@st.cache_resource(show_spinner=False)
def _tracker(url: str) -> Tracker:
    return Tracker.open(url)


def tracker() -> Tracker:
    """The tracker on the configured database (``$FORECAST_DB``), one per URL per process."""
    return _tracker(default_url())


def end_of(day: date) -> datetime:
    """A date picked in the UI means "knowing what was logged by the end of that day"."""
    return datetime.combine(day + timedelta(days=1), time(), tzinfo=UTC) - timedelta(microseconds=1)


def data_version() -> tuple[int, ...]:
    """A value that changes whenever anything is written to the database."""
    with tracker().store.read() as tx:
        counts = tx.counts()
    return tuple(counts[name] for name in sorted(counts))


def _key() -> Key:
    return default_url(), data_version()


# --------------------------------------------------------------------------- cached reads


@_read(max_entries=4)
def _history(key: Key) -> History:
    return tracker().history(None)


@_read(max_entries=4)
def _per_question(key: Key) -> dict[str, History]:
    return by_question(_history(key))


@_read(max_entries=16)
def _states(key: Key, as_of: date) -> list[QuestionState]:
    cutoff = end_of(as_of)
    t = tracker()
    return [
        t.state(qid, as_of=cutoff, history=sub, explain=False)
        for qid, sub in _per_question(key).items()
        if sub.questions[0].created_at is None or sub.questions[0].created_at <= cutoff
    ]


def states(as_of: date) -> list[QuestionState]:
    """Every question as it stood at the end of ``as_of`` (no leave-one-out explanations)."""
    return _states(_key(), as_of)


@_read(max_entries=64)
def _state(key: Key, qid: str, as_of: date, analyst: str | None) -> QuestionState:
    return tracker().state(
        qid, as_of=end_of(as_of), analyst=analyst, history=_per_question(key).get(qid)
    )


def state(qid: str, as_of: date, analyst: str | None = None) -> QuestionState:
    """One question at the end of ``as_of``, with each report's leave-one-out value."""
    return _state(_key(), qid, as_of, analyst)


def questions() -> list[Question]:
    """Every question, whatever the as-of date (the forms pick from these)."""
    return list(_history(_key()).questions)


def question_ids() -> list[str]:
    return [q.id for q in questions()]


@_read(max_entries=4)
def _latest_sources(key: Key) -> list[Source]:
    return tracker().sources()


def sources() -> list[Source]:
    """The latest version of every source, by name."""
    return _latest_sources(_key())


def source_versions() -> dict[str, list[Source]]:
    """Every version of every source, by name, oldest first."""
    grouped: dict[str, list[Source]] = defaultdict(list)
    for s in _history(_key()).sources:
        grouped[s.name].append(s)
    return {name: sorted(vs, key=lambda s: s.version) for name, vs in grouped.items()}


@_read(max_entries=4)
def _reports(key: Key) -> list[Report]:
    return tracker().reports()


def reports() -> list[Report]:
    """The latest version of every report (retracted ones included), newest first."""
    return _reports(_key())


def assessments_of(qid: str) -> list[Assessment]:
    """Every stored version of every assessment of a question."""
    sub = _per_question(_key()).get(qid)
    return list(sub.assessments) if sub else []


def resolutions() -> dict[str, Resolution]:
    """The latest resolution of each resolved question, whatever the as-of date."""
    latest: dict[str, Resolution] = {}
    for res in _history(_key()).resolutions:
        if res.question_id not in latest or res.version > latest[res.question_id].version:
            latest[res.question_id] = res
    return latest


def latest_evidence_day() -> date | None:
    """The day the most recent report or assessment was logged (knowledge time)."""
    return _latest_evidence_day(_key())


@_read(max_entries=4)
def _latest_evidence_day(key: Key) -> date | None:
    history = _history(key)
    times = [r.logged_at for r in history.reports if r.logged_at is not None]
    times += [a.logged_at for a in history.assessments if a.logged_at is not None]
    return max(times).date() if times else None


# --------------------------------------------------------------------------- writes


def invalidate() -> None:
    """Forget every cached read (called after each write)."""
    for cached in _READS:
        cached.clear()


def _write[T](work: Callable[[Tracker], T]) -> T:
    try:
        return work(tracker())
    finally:
        # A failed write clears too: another session may have written meanwhile.
        invalidate()


def add_question(question: Question) -> Question:
    return _write(lambda t: t.add_question(question))


def add_source(name: str, reliability: float, type: str) -> Source:
    return _write(lambda t: t.add_source(name, reliability, type))


def update_source(name: str, *, reliability: float | None, type: str | None, reason: str) -> Source:
    return _write(
        lambda t: t.update_source(name, reliability=reliability, type=type, reason=reason)
    )


def resolve(
    qid: str, outcome: str, resolved_on: datetime, note: str, *, correction: bool = False
) -> Resolution:
    return _write(lambda t: t.resolve(qid, outcome, resolved_on, note, correction=correction))


def log_evidence(judgements: Sequence[Judgement], **report: Any) -> Logged:
    """Store a report and its assessments (all of them, or nothing)."""
    return _write(lambda t: t.log_evidence(judgements, **report))


def preview_evidence(judgements: Sequence[Judgement], **report: Any) -> Logged:
    """What logging would do, computed by the library and rolled back: nothing is stored."""
    return tracker().log_evidence(judgements, dry_run=True, **report)
