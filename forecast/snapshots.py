"""Snapshots: each question's forecast as it stood at a knowledge time, stored for good.

A snapshot records what the tracker said about an open question at a moment, knowing only
what had been logged by then: the headline probability (binary and event questions; for an
event question, P(event by the primary deadline)), and as a mapping the whole deadline
ladder (event) or the option vector (choice). Snapshots are append-only, so a report logged
late (with an earlier published time) redraws the trajectory on event time but never
changes a snapshot already taken. Scoring reads snapshots only.

- :func:`record` snapshots some or all open questions now (or at a given knowledge time).
  The API itself snapshots a question when it is created (its prior, reason "created") and
  the questions a write touches (evidence, a correction or retraction, a source's new
  reliability, a resolution), once the write has landed.
- :func:`take` is the daily snapshot of every open question (``forecast snapshot``, cron).
- :func:`backfill` reconstructs one snapshot per finished day per question from the logged
  times of every record, for histories imported after the fact (the demo); a day that
  already has a snapshot is left alone.
- :func:`reconstruct` is the pure part of it: the forecast standing at the end of each of
  some days, from a history alone. Per-analyst scores use it too.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from itertools import pairwise
from typing import TYPE_CHECKING

import numpy as np

from forecast import clock, evidence, kinds, trajectory
from forecast.clock import iso, utc
from forecast.domain import ForecastError, History, Question
from forecast.evidence import by_question
from forecast.records import DAY_ENDS, REASONS, Snapshot

if TYPE_CHECKING:
    from forecast.api import Tracker


@dataclass(frozen=True)
class Daily:
    """Forecasts standing at the end of some days, reconstructed from a history."""

    days: list[date]
    headline: np.ndarray  # (days,) P(YES); (days, options) for choice questions
    ladder: np.ndarray  # (days, deadlines) for event questions; (days, 0) otherwise


# --------------------------------------------------------------------------- taking


def record(
    tracker: Tracker,
    question_ids: Sequence[str] | None = None,
    at: datetime | None = None,
    reason: str = "manual",
) -> int:
    """Snapshot questions as they stand at knowledge time ``at`` (default: now).

    ``question_ids=None`` means every question that is open at ``at``. Named questions are
    snapshotted as they stand, open or not (a snapshot taken at a resolution keeps the final
    word); a named question that does not exist raises :class:`~forecast.domain.NotFound`.
    Questions created after ``at`` are skipped. Returns the number of snapshots stored.
    """
    _check_reason(reason)
    when = tracker.now() if at is None else utc(at)
    history = tracker.history(None if question_ids is None else list(question_ids))
    if question_ids is not None:
        _check_known(history, question_ids)
    parts = split(history)
    snaps = []
    for q in history.questions:
        if q.created_at is not None and q.created_at > when:
            continue
        state = tracker.state(q.id, history=parts[q.id], as_of=when, explain=False)
        if question_ids is not None or state.resolution is None:
            snaps.append(state.snapshot(when, reason, tracker.user))
    return tracker.store_snapshots(snaps)


def take(tracker: Tracker, at: datetime | None = None) -> int:
    """The daily snapshot of every open question (what ``forecast snapshot`` runs)."""
    return record(tracker, None, at, reason="daily")


def backfill(tracker: Tracker, until: datetime | None = None) -> int:
    """Reconstruct a snapshot for each finished day on which a question was open.

    Day D is reconstructed as of its last instant (23:59:59.999999 UTC), knowing only the
    records logged by then, and only if D has ended by ``until`` (default: now) and the
    question has no daily or backfilled snapshot on D yet (snapshots taken at writes
    during D do not count: they record a moment, not the day's end). Days run from the
    day the question was both opened and known (created) to the day before its
    resolution date. Existing snapshots are never rewritten. Returns the number stored.

    A day that has not ended is never backfilled: ``until`` later today counts as now, and
    a later day is refused (a day-end snapshot of the future would be scored as a forecast
    that was made).
    """
    now = tracker.now()
    cutoff = now if until is None else utc(until)
    if cutoff.date() > now.date():
        raise ForecastError(
            f"backfill until {iso(cutoff)} reaches past now ({iso(now)}): only days that have "
            "ended can be backfilled"
        )
    cutoff = min(cutoff, now)
    history = tracker.history(None)
    parts = split(history)
    taken = _days_taken(tracker)
    snaps: list[Snapshot] = []
    linked = {k for link in history.links for k in (link.child, *link.parents)}
    waiting: dict[str, list[date]] = {}
    for q in history.questions:
        days = [d for d in open_days(q, parts[q.id], cutoff) if d not in taken[q.id]]
        if q.id in linked:
            waiting[q.id] = days
            continue
        for version, indices in versions_by_day(q, parts[q.id], days):
            stood = [days[i] for i in indices]
            snaps += _from_daily(version, reconstruct(version, parts[q.id], stood), tracker.user)
    snaps += _linked_backfill(tracker, history, waiting)
    return tracker.store_snapshots(snaps)


def _linked_backfill(
    tracker: Tracker,
    history: History,
    waiting: dict[str, list[date]],
) -> list[Snapshot]:
    """Backfilled snapshots of questions that are, or were at some time, linked: day D as
    the network had it at D's end (``Tracker.linked_states``), with the links then in
    force. Knowledge changes only when something is logged, so the days are grouped by
    how many records had been logged by their end, and one computation serves each group."""
    times = sorted(
        utc(t)
        for t in (
            *(logged for logged, _ in _changes(history, None)),
            *(r.logged_at for r in history.resolutions),
            *(q.created_at for q in history.questions),
            *(v.edited_at for v in (*history.question_versions, *history.questions)),
            *(link.logged_at for link in history.links),
        )
        if t is not None
    )
    epochs: dict[int, list[tuple[str, date]]] = defaultdict(list)
    for qid, days in waiting.items():
        for day in days:
            epochs[bisect_right(times, clock.end_of_day(day))].append((qid, day))
    snaps = []
    for found in epochs.values():
        at = clock.end_of_day(max(day for _, day in found))
        states = tracker.linked_states([qid for qid, _ in found], as_of=at, history=history)
        for qid, day in found:
            # not linked then (the links came later, or were ended): on its own evidence
            state = states.get(qid) or tracker.state(qid, as_of=at, history=history, explain=False)
            first = state.trajectory.first_day.date()
            i = min((day - first).days, len(state.trajectory.probability) - 1)
            snaps.append(state.snapshot(clock.end_of_day(day), "backfill", tracker.user, day=i))
    return snaps


def open_days(question: Question, history: History, until: datetime) -> list[date]:
    """Finished days (by ``until``) on which ``question`` was known, open and unresolved."""
    first = utc(question.opened).date()
    if question.created_at is not None:
        first = max(first, utc(question.created_at).date())
    last = clock.last_ended_day(until)
    resolution = evidence.resolution_as_of(history, question.id, until)
    if resolution is not None:
        last = min(last, utc(resolution.resolved_on).date() - clock.ONE_DAY)
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


# --------------------------------------------------------------------------- reading


def load(
    tracker: Tracker, question_ids: Sequence[str] | None = None, until: datetime | None = None
) -> dict[str, list[Snapshot]]:
    """Stored snapshots taken by ``until`` (default: all), per question, oldest first."""
    snaps = tracker.snapshots(question_ids, until=until)
    grouped: dict[str, list[Snapshot]] = defaultdict(list)
    for s in snaps:
        grouped[s.question_id].append(s)
    return dict(grouped)


# --------------------------------------------------------------------------- reconstruction


def versions_by_day(
    question: Question, history: History, days: Sequence[date]
) -> list[tuple[Question, list[int]]]:
    """The version of ``question`` standing at the end of each day, with the indices of
    the days it stood on (in order; one entry for a question never edited)."""
    latest = next((q for q in history.questions if q.id == question.id), question)
    found: dict[int, tuple[Question, list[int]]] = {}
    for i, day in enumerate(days):
        version = evidence.question_as_of(latest, history, clock.end_of_day(day))
        found.setdefault(version.version, (version, []))[1].append(i)
    return list(found.values())


def reconstruct(
    question: Question, history: History, days: Sequence[date], *, analyst: str | None = None
) -> Daily:
    """The forecast standing at the end of each day, knowing only what was logged by then.

    ``days`` must be ascending and before the question's resolution date. ``analyst`` keeps
    one analyst's assessments (that analyst's own trajectory). The result equals what
    :meth:`Tracker.state` gives as of each day's last instant, under the version of the
    question that stood then; the ladder has ``question``'s deadlines (NaN on the days a
    version without that deadline stood).
    """
    days = list(days)
    if any(b <= a for a, b in pairwise(days)):
        raise ForecastError("days to reconstruct must be ascending and distinct")
    shape = (len(days), len(question.options)) if kinds.has_options(question) else (len(days),)
    width = len(question.deadlines) if kinds.has_ladder(question) else 0
    daily = Daily(days, np.zeros(shape), np.zeros((len(days), width)))
    for version, indices in versions_by_day(question, history, days) if days else ():
        part = _reconstruct(version, history, [days[i] for i in indices], analyst)
        daily.headline[indices] = part.headline
        for j, deadline in enumerate(question.deadlines if width else ()):
            found = version.deadlines.index(deadline) if deadline in version.deadlines else -1
            daily.ladder[indices, j] = part.ladder[:, found] if found >= 0 else np.nan
    return daily


def _reconstruct(
    question: Question, history: History, days: list[date], analyst: str | None
) -> Daily:
    """:func:`reconstruct` for days on which ``question`` (one version) stood throughout."""
    shape = (len(days), len(question.options)) if kinds.has_options(question) else (len(days),)
    width = len(question.deadlines) if kinds.has_ladder(question) else 0
    daily = Daily(days, np.zeros(shape), np.zeros((len(days), width)))
    last_end = clock.end_of_day(days[-1])
    late = _late_days(history, days, last_end, analyst)
    # A trajectory's value on day D depends only on evidence published by D, so a day that
    # no late-logged record touches reads the same in the trajectory known at the last
    # day's end: one computation serves all of them.
    _fill(question, history, last_end, analyst, np.flatnonzero(~late), daily)
    # Every other day needs what was known at its own end; that changes only when something
    # is logged, so one trajectory serves each run of days between two logged records.
    for block in _epochs(history, days, np.flatnonzero(late), analyst):
        _fill(question, history, clock.end_of_day(days[block[-1]]), analyst, np.array(block), daily)
    return daily


def _fill(
    question: Question,
    history: History,
    as_of: datetime,
    analyst: str | None,
    indices: np.ndarray,
    daily: Daily,
) -> None:
    """Put the values of the trajectory known at ``as_of`` on the days at ``indices``."""
    if not indices.size:
        return
    items = evidence.items_for(question, history, as_of=as_of, analyst=analyst)
    traj = trajectory.compute(question, items, as_of)
    first = traj.first_day.date().toordinal()
    offsets = np.array([daily.days[i].toordinal() - first for i in indices.tolist()])
    at = np.clip(offsets, 0, len(traj.probability) - 1)
    daily.headline[indices] = traj.probability[at]
    daily.ladder[indices] = traj.ladder[at]


def _late_days(
    history: History, days: list[date], last_end: datetime, analyst: str | None
) -> np.ndarray:
    """Days whose value a record logged after that day (by ``last_end``) would change."""
    ordinals = np.array([d.toordinal() for d in days])
    late = np.zeros(len(days), dtype=bool)
    for logged, effect in _changes(history, analyst):
        if logged <= last_end:
            since = -np.inf if effect is None else effect.toordinal()
            late |= (ordinals >= since) & (ordinals < utc(logged).date().toordinal())
    return late


def _changes(history: History, analyst: str | None) -> Iterable[tuple[datetime, date | None]]:
    """(logged at, first day it bears on) of each record that can move the trajectory.

    None means every day: a source's new reliability applies to all its reports. A
    source's first version never counts: before it is known, it stands anyway.
    """
    assessments = [a for a in history.assessments if analyst is None or a.analyst == analyst]
    ids = {a.report_id for a in assessments}
    reports = [r for r in history.reports if r.id in ids]
    published: dict[str, date] = {}
    for r in reports:
        day = utc(r.published).date()
        published[r.id] = min(day, published.get(r.id, day))
    for a in assessments:
        if a.logged_at is not None:
            yield a.logged_at, published.get(a.report_id)
    for r in reports:
        if r.logged_at is not None:
            yield r.logged_at, published[r.id]
    names = {r.source for r in reports}
    for src in history.sources:
        if src.version > 1 and src.name in names and src.logged_at is not None:
            yield src.logged_at, None


def _epochs(
    history: History, days: list[date], indices: np.ndarray, analyst: str | None
) -> list[list[int]]:
    """The day indices grouped by how many records had been logged by each day's end."""
    if not indices.size:
        return []
    events = np.array(sorted(_logged_times(history, analyst)), dtype="datetime64[us]")
    groups: dict[int, list[int]] = defaultdict(list)
    for i in indices.tolist():
        stamp = np.datetime64(clock.end_of_day(days[i]).replace(tzinfo=None), "us")
        groups[int(np.searchsorted(events, stamp, side="right"))].append(i)
    return list(groups.values())


def split(history: History) -> dict[str, History]:
    """One history per question (see :func:`forecast.evidence.by_question`)."""
    return by_question(history)


# --------------------------------------------------------------------------- helpers


def _check_reason(reason: str) -> None:
    if reason not in REASONS:
        raise ForecastError(f"snapshot reason {reason!r} is not one of {', '.join(REASONS)}")


def _check_known(history: History, question_ids: Iterable[str]) -> None:
    from forecast.domain import NotFound

    known = {q.id for q in history.questions}
    missing = [qid for qid in question_ids if qid not in known]
    if missing:
        raise NotFound(f"no question {missing[0]!r}")


def _days_taken(tracker: Tracker) -> dict[str, set[date]]:
    taken: dict[str, set[date]] = defaultdict(set)
    for qid, at in tracker.snapshot_times(DAY_ENDS):
        taken[qid].add(utc(at).date())
    return taken


def _from_daily(question: Question, daily: Daily, by: str) -> list[Snapshot]:
    snaps = []
    for i, day in enumerate(daily.days):
        at = clock.end_of_day(day)
        if kinds.has_options(question):
            vector = tuple(zip(question.option_names, daily.headline[i].tolist(), strict=True))
            snaps.append(Snapshot(question.id, at, None, vector, "backfill", by))
            continue
        ladder = tuple(
            (iso(d), float(p)) for d, p in zip(question.deadlines, daily.ladder[i], strict=True)
        )
        snaps.append(Snapshot(question.id, at, float(daily.headline[i]), ladder, "backfill", by))
    return snaps


def _logged_times(history: History, analyst: str | None = None) -> set[datetime]:
    """Every knowledge time at which the evidence of ``history`` could have changed.

    With ``analyst``, only that analyst's assessments and the reports they bear on count:
    nothing else can change that analyst's own trajectory.
    """
    assessments = [a for a in history.assessments if analyst is None or a.analyst == analyst]
    ids = {a.report_id for a in assessments}
    reports = [r for r in history.reports if r.id in ids]
    records: Iterable = (*assessments, *reports, *history.sources)
    return {utc(r.logged_at).replace(tzinfo=None) for r in records if r.logged_at is not None}
