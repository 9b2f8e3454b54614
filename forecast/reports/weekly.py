"""The weekly report's statistics: everything it says, gathered before anything is rendered.

A week is an ISO week (Monday 00:00 UTC to the next Monday). The report reads the store as
it stood at the end of the week (knowledge time; or now, for the week in progress), so a
report for a past week can be regenerated and says the same thing.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

import numpy as np

from forecast import clock, evidence, kinds, recalibrated, snapshots, track_record
from forecast.clock import parse_time, utc
from forecast.domain import Assessment, ForecastError, History, Question, Report
from forecast.learning.team import TeamRecalibration
from forecast.readmodel import STALE_DAYS
from forecast.reference import load as load_reference
from forecast.reference import names as reference_names

if TYPE_CHECKING:
    from forecast.api import Tracker
    from forecast.readmodel import QuestionState

NEAR_DAYS = 14  # a deadline this close to the end of the week is "near"
TOP_MOVERS = 5
MAX_ROWS = 50  # longer lists are cut, with a count of what was left out
MIN_MOVE = 0.0005  # below half a tenth of a point, a change rounds to nothing
# ASCII digits only (\d would take "２０２５-W４３"), and nothing around it: the week names
# files, which are built from the parsed value (week_of), never from the text as typed.
_WEEK = re.compile(r"([0-9]{4})-W([0-9]{2})")


@dataclass(frozen=True)
class Contribution:
    """A report logged this week that moved a question: its jump when it arrived."""

    report: Report
    points: float | dict[str, float]
    analysts: tuple[str, ...]
    via: str = ""  # a linked question: the question the report was assessed and counted on


@dataclass(frozen=True)
class Mover:
    """A question's change over the week, in knowledge time."""

    question: Question
    before: float | dict[str, float]
    after: float | dict[str, float]
    change: float  # headline change; choice: the largest change of one option
    option: str | None  # choice: the option that moved most
    reports: list[Contribution]
    other: float | None  # binary/event: the part of the change no report explains (decay)
    of: str = ""  # an event's headline at the end of the week: which deadline
    recalibrated: float | None = None  # the team's recalibration of ``after``, when shown


@dataclass(frozen=True)
class Judged:
    """One assessment logged this week, as a line of the new-evidence list."""

    question_id: str
    analyst: str
    judgement: str


@dataclass(frozen=True)
class NewReport:
    report: Report  # as it stood at the end of the week (retracted since, if so)
    judged: list[Judged]


@dataclass(frozen=True)
class Change:
    """A correction, retraction or edit logged this week (a version after the first)."""

    what: str  # "corrected", "retracted", "edited" or "report retracted"
    record: str  # "assessment a-1 of report r-1 for q" or "report r-1"
    title: str  # the report's title (or id)
    judgement: str  # an assessment's judgement after the change ("" otherwise)
    by: str
    at: datetime
    reason: str


@dataclass(frozen=True)
class Line:
    """A question with its probability at the end of the week (and a date that matters)."""

    question: Question
    probability: float | dict[str, float]
    when: datetime | None = None
    days: int | None = None
    of: str = ""  # an event's headline: which deadline ("by 2025-11-30")


@dataclass(frozen=True)
class Resolved:
    """A question resolved this week, with its scores (None if annulled or unscorable)."""

    question: Question
    outcome: str
    resolved_on: datetime
    score: track_record.QuestionScore | None
    note: str = ""

    @property
    def forecast(self) -> float | dict[str, float] | None:
        """The final forecast: P(YES), or {option: P} for a choice question."""
        if self.score is None:
            return None
        return track_record.forecast_value(self.question, self.score.forecast)


@dataclass(frozen=True)
class Versus:
    """An open question that a reference also forecasts."""

    question: Question
    reference: str
    team: float
    other: float | None


@dataclass(frozen=True)
class Cut[T]:
    """The first rows of a list, and how many were left out."""

    rows: list[T]
    more: int = 0


@dataclass(frozen=True)
class WeeklyStats:
    """Everything the weekly report says, as plain data for the templates."""

    week: str
    start: datetime
    end: datetime  # exclusive: the next Monday
    as_of: datetime
    open_questions: int
    stale_days: int
    near_days: int
    movers: list[Mover]
    new_evidence: Cut[NewReport]
    changes: Cut[Change]
    new_questions: list[Line]
    resolved: list[Resolved]
    stale: Cut[Line]
    near_deadline: list[Line]
    track: track_record.TrackRecord
    references: list[str] = field(default_factory=list)
    versus: Cut[Versus] = field(default_factory=lambda: Cut([]))
    # The team's recalibration beside the movers: what it is (None: none shown), and why
    # a saved one is not shown.
    recalibration: str | None = None
    recalibration_note: str | None = None

    @property
    def last_day(self) -> date:
        return (self.end - timedelta(days=1)).date()

    @property
    def overall(self) -> dict[str, track_record.Summary]:
        return self.track.overall()


# --------------------------------------------------------------------------- weeks


def parse_week(text: str) -> tuple[datetime, datetime]:
    """``YYYY-Www`` as its Monday 00:00 UTC and the next Monday's."""
    found = _WEEK.fullmatch(text.strip()) if isinstance(text, str) else None
    if found is None:
        raise ForecastError(f"week {text!r} is not an ISO week such as 2025-W43")
    try:
        monday = date.fromisocalendar(int(found[1]), int(found[2]), 1)
    except ValueError:
        raise ForecastError(f"week {text!r} does not exist") from None
    start = datetime.combine(monday, time(), tzinfo=UTC)
    if monday > date.max - timedelta(days=7):  # its end would be past the calendar's last day
        raise ForecastError(f"week {text!r} is out of range")
    return start, start + timedelta(days=7)


def week_of(moment: datetime) -> str:
    """The ISO week a moment falls in, as ``YYYY-Www``."""
    year, week, _ = utc(moment).isocalendar()
    return f"{year:04d}-W{week:02d}"


def last_week(now: datetime) -> str:
    """The last complete ISO week before ``now``."""
    return week_of(utc(now) - timedelta(days=7))


# --------------------------------------------------------------------------- building


def build(
    tracker: Tracker,
    week: str | None = None,
    *,
    stale_days: int = STALE_DAYS,
    near_days: int = NEAR_DAYS,
    top: int = TOP_MOVERS,
    analysts: bool = False,
    as_of: datetime | None = None,
) -> WeeklyStats:
    """Gather the statistics of one ISO week (default: the last complete week).

    ``as_of`` reads the record as it stood then (default: now): the week's report as it
    could have been written at that time, up to the end of the week at most.

    ``analysts`` adds per-analyst scores to the track record (each analyst's trajectory is
    reconstructed day by day, which costs about as much as the rest of the report).
    """
    now = tracker.now() if as_of is None else min(utc(as_of), tracker.now())
    start, end = parse_week(last_week(now) if week is None else week)
    label = week_of(start)  # the canonical YYYY-Www: it goes into file names
    if start > now:
        raise ForecastError(f"week {label} has not started yet")
    as_of = min(now, clock.end_of_day(end - clock.ONE_DAY))
    history = tracker.history(None)
    parts = snapshots.split(history)
    known = [q for q in history.questions if q.created_at is None or q.created_at <= as_of]
    open_now = [q for q in known if evidence.resolution_as_of(parts[q.id], q.id, as_of) is None]
    fresh = [q for q in known if q.created_at is not None and q.created_at >= start]
    # A linked question moves with its group: its state is computed from the whole record
    # (not re-read for each), and a report on a question it is linked to moves it.
    links = [link for t in (start, as_of) for link in tracker.links(t)]
    linked = {k for link in links for k in (link.child, *link.parents)}
    whole = {k: history if k in linked else part for k, part in parts.items()}
    open_linked = sorted(q.id for q in open_now if q.id in linked)
    after = _States(tracker, whole, as_of, history, open_linked)
    track = track_record.build(tracker, as_of=as_of, history=history, analysts=analysts)
    before = tracker.linked_states(open_linked, as_of=start, history=history)
    movers = _movers(tracker, open_now, parts, whole, before, after, start, as_of)[:top]
    saved, shown, note = _recalibration(tracker, as_of)
    if shown is not None:
        movers = [_recalibrate(m, after[m.question.id], saved) for m in movers]
    return WeeklyStats(
        week=label,
        start=start,
        end=end,
        as_of=as_of,
        open_questions=len(open_now),
        stale_days=stale_days,
        near_days=near_days,
        movers=movers,
        new_evidence=_cut(_new_evidence(history, start, as_of)),
        changes=_cut(_changes(history, start, as_of)),
        new_questions=[_line(after[q.id], q.created_at) for q in fresh],
        resolved=_resolved(known, parts, track, start, as_of),
        stale=_stale(open_now, after, stale_days),
        near_deadline=_near(open_now, after, as_of, near_days),
        track=track,
        references=[r.name for r in reference_names(tracker)],
        versus=_cut(_versus(tracker, open_now, after, as_of)),
        recalibration=shown,
        recalibration_note=note,
    )


def _recalibration(
    tracker: Tracker, as_of: datetime
) -> tuple[TeamRecalibration | None, str | None, str | None]:
    """The team's recalibration if the report may show it: saved, current, offered, and
    fitted by the report's time (a report as it could have been written then). Returns it,
    what it is, and why a saved one is not shown."""
    try:
        saved = recalibrated.load(tracker)
    except ForecastError as why:  # stale or damaged: the report still goes out
        return None, None, f"not shown: {why}"
    if saved is None or not saved.offered:
        return None, None, None
    if parse_time(saved.fitted_at) > as_of:
        return None, None, f"not shown: fitted {saved.fitted_at[:10]}, after this report's time"
    return saved, f"fitted {saved.fitted_at[:10]}; walk-forward: {saved.reason}", None


def _recalibrate(m: Mover, after: QuestionState, saved: TeamRecalibration | None) -> Mover:
    found = recalibrated.beside(after, saved)
    if found is None or not found["offered"]:
        return m
    return replace(m, recalibrated=found["probability"])


def _state(
    tracker: Tracker, q: Question, parts: dict[str, History], as_of: datetime
) -> QuestionState:
    return tracker.state(q.id, history=parts[q.id], as_of=as_of, explain=False)


class _States(dict[str, "QuestionState"]):
    """Question states at the end of the week, each computed the first time it is asked for.

    Most sections need only some questions (movers, stale, near a deadline), and a state
    is the costly part of the report. The linked questions (``linked``) are computed
    together the first time one is asked for: a group's days and moves once, not once per
    question.
    """

    def __init__(
        self,
        tracker: Tracker,
        parts: dict[str, History],
        as_of: datetime,
        history: History,
        linked: Sequence[str],
    ):
        super().__init__()
        self.tracker, self.parts, self.as_of = tracker, parts, as_of
        self.history, self.linked = history, linked

    def __missing__(self, qid: str) -> QuestionState:
        if qid in self.linked:
            found = self.tracker.linked_states(
                self.linked, as_of=self.as_of, history=self.history, moves=True
            )
            for k, state in found.items():
                self.setdefault(k, state)
            if qid in self:
                return self[qid]
        state = self.tracker.state(qid, history=self.parts[qid], as_of=self.as_of, explain=False)
        self[qid] = state
        return state


def _cut[T](rows: list[T]) -> Cut[T]:
    return Cut(rows[:MAX_ROWS], max(0, len(rows) - MAX_ROWS))


def _movers(
    tracker: Tracker,
    questions: Sequence[Question],
    parts: dict[str, History],
    whole: dict[str, History],
    linked_before: dict[str, QuestionState],
    after: dict[str, QuestionState],
    start: datetime,
    as_of: datetime,
) -> list[Mover]:
    """The questions that moved over the week (``parts``: each one's own records;
    ``whole``: what its state is computed from, the whole record for a linked one;
    ``linked_before``: the linked questions' states at ``start``, computed together)."""
    movers = []
    for q in questions:
        alone = whole[q.id] is parts[q.id]
        if not kinds.has_ladder(q) and alone and not _touched(parts[q.id], start, as_of):
            continue  # nothing decays and nothing new was known: it cannot have moved
        then = max(start, q.created_at or start)
        before = (
            linked_before[q.id] if then == start and q.id in linked_before
            else _state(tracker, q, whole, then)
        )  # fmt: skip
        mover = _mover(q, before, after[q.id], parts[q.id], start, as_of)
        if abs(mover.change) >= MIN_MOVE:
            movers.append(mover)
    return sorted(movers, key=lambda m: (-abs(m.change), m.question.id))


def _touched(history: History, start: datetime, as_of: datetime) -> bool:
    """Whether anything bearing on the question was logged between ``start`` and ``as_of``."""
    cited = {r.source for r in history.reports}
    times = [
        *(a.logged_at for a in history.assessments),
        *(r.logged_at for r in history.reports),
        *(s.logged_at for s in history.sources if s.name in cited),
    ]
    return any(t is not None and start <= t <= as_of for t in times)


def _mover(
    q: Question,
    before: QuestionState,
    after: QuestionState,
    history: History,
    start: datetime,
    as_of: datetime,
) -> Mover:
    # a linked question also moves with reports counted on the questions it is linked to
    linked = [a for a in after.assessments if a.question_id != q.id]
    logged = _logged_between([*history.assessments, *linked], start, as_of)
    new_ids = {a.report_id for a in logged}
    analysts: dict[tuple[str, str], set[str]] = defaultdict(set)
    for a in logged:
        analysts[(a.question_id, a.report_id)].add(a.analyst)
    moved = [
        Contribution(
            after.reports[c.report_id],
            _points(q, c.points),
            tuple(sorted(analysts[(c.via or q.id, c.report_id)])),
            c.via,
        )
        for c in after.contributions
        if c.report_id in new_ids
    ]
    moved.sort(key=lambda c: -_size(c.points))
    option, change = _change(q, before.probability, after.probability)
    jumps = [c.points for c in moved if isinstance(c.points, float)]
    # What the reports' jumps leave unexplained: for event questions, mostly time passing.
    other = None if kinds.has_options(q) else change - sum(jumps)
    of = after.headline.label if option is None else ""
    return Mover(q, before.probability, after.probability, change, option, moved, other, of)


def _points(q: Question, points: Any) -> float | dict[str, float]:
    if kinds.has_options(q):
        return dict(zip(q.option_names, np.asarray(points, float).tolist(), strict=True))
    return float(points)


def _size(points: float | dict[str, float]) -> float:
    return max(abs(v) for v in points.values()) if isinstance(points, dict) else abs(points)


def _change(q: Question, before: Any, after: Any) -> tuple[str | None, float]:
    """Headline change; for a choice question, the option that moved most and its change."""
    if not kinds.has_options(q):
        return None, float(after) - float(before)
    name = max(q.option_names, key=lambda n: abs(after[n] - before[n]))
    return name, after[name] - before[name]


def _logged_between(records: Sequence[Assessment], start: datetime, as_of: datetime) -> list:
    return [
        a
        for a in records
        if a.version == 1 and a.logged_at is not None and start <= a.logged_at <= as_of
    ]


def _new_evidence(history: History, start: datetime, as_of: datetime) -> list[NewReport]:
    """Reports first assessed this week, each with the judgements logged on it this week."""
    fresh = {a.id for a in _logged_between(history.assessments, start, as_of)}
    mine = [a for a in history.assessments if a.id in fresh]
    current = evidence.known_as_of(mine, lambda a: a.id, as_of)  # corrected since, if so
    ids = {a.report_id for a in mine}
    cited = [r for r in history.reports if r.id in ids]
    reports = evidence.known_as_of(cited, lambda r: r.id, as_of)
    judged: dict[str, list[Judged]] = defaultdict(list)
    for a in sorted(current.values(), key=lambda a: (a.logged_at or start, a.id)):
        if a.id in fresh and not a.retracted:
            judged[a.report_id].append(Judged(a.question_id, a.analyst, _judgement(a)))
    found = [NewReport(reports[rid], rows) for rid, rows in judged.items() if rid in reports]
    return sorted(found, key=lambda n: (n.report.published, n.report.id))


def _changes(history: History, start: datetime, as_of: datetime) -> list[Change]:
    """Every later version of an assessment or report logged this week, oldest first."""
    reports = evidence.known_as_of(history.reports, lambda r: r.id, as_of)
    found = []
    for a in history.assessments:
        at = a.logged_at
        if a.version == 1 or at is None or not start <= at <= as_of:
            continue
        report = reports.get(a.report_id)
        title = report.title or report.id if report is not None else a.report_id
        what, said = ("retracted", "") if a.retracted else ("corrected", _judgement(a))
        record = f"assessment {a.id} of report {a.report_id} for {a.question_id}"
        found.append(Change(what, record, title, said, a.logged_by, at, a.reason))
    for r in history.reports:
        at = r.logged_at
        if r.version == 1 or at is None or not start <= at <= as_of:
            continue
        what = "report retracted" if r.retracted else "edited"
        found.append(Change(what, f"report {r.id}", r.title or r.id, "", r.logged_by, at, r.reason))
    return sorted(found, key=lambda c: (c.at, c.record))


def _judgement(a: Assessment) -> str:
    if a.likelihoods:
        return ", ".join(f"{name} ×{value:g}" for name, value in a.likelihoods)
    lr = f"LR {a.lr:.3g}"
    return f"{a.strength} ({lr})" if a.strength else lr


def _resolved(
    questions: Sequence[Question],
    parts: dict[str, History],
    track: track_record.TrackRecord,
    start: datetime,
    as_of: datetime,
) -> list[Resolved]:
    scores = {s.question.id: s for s in track.scores}
    why = dict(track.unscored)
    found = []
    for q in questions:
        res = evidence.resolution_as_of(parts[q.id], q.id, as_of)
        if res is None or res.logged_at is None or res.logged_at < start:
            continue
        note = "annulled: not scored" if res.outcome == "annulled" else why.get(q.id, "")
        found.append(Resolved(q, res.outcome, res.resolved_on, scores.get(q.id), note))
    return found


def _stale(questions: Sequence[Question], after: dict[str, QuestionState], days: int) -> Cut[Line]:
    """Open questions with no evidence logged for ``days`` days (the read model's rule)."""
    silent = [after[q.id] for q in questions if after[q.id].stale(days)]
    silent.sort(key=lambda s: (-s.quiet_days, s.question.id))
    rows = [_line(s, s.last_logged, s.quiet_days) for s in silent[:MAX_ROWS]]
    return Cut(rows, max(0, len(silent) - MAX_ROWS))


def _line(state: QuestionState, when: datetime | None = None, days: int | None = None) -> Line:
    """A question's forecast at the end of the week, with what its headline is of."""
    of = state.headline.label if isinstance(state.probability, float) else ""
    return Line(state.question, state.probability, when, days, of)


def _near(
    questions: Sequence[Question], after: dict[str, QuestionState], as_of: datetime, days: int
) -> list[Line]:
    """Deadlines and close dates within ``days`` after ``as_of``, and open questions whose
    last one passed.

    "By D" includes all of day D: a deadline is still ahead until its day is over, and a
    question awaits its resolution only from then on (the rule of
    :attr:`~forecast.readmodel.QuestionState.awaiting_resolution`). Days count whole days from
    the day of ``as_of`` to the deadline's: at the end of a week, exactly the time from the
    end of the week to the end of the deadline's day. A passed deadline comes with negative
    days: the question awaits its resolution.
    """
    today = utc(as_of).date()
    found = []
    for q in questions:
        state = after[q.id]
        ladder: dict[datetime, float | dict[str, float]] = dict(state.deadline_probabilities())
        if q.closes is not None:  # binary and choice: the forecast, by the close date
            ladder[q.closes] = state.probability
        ahead = [(d, (utc(d).date() - today).days) for d in ladder]
        near = [(d, n) for d, n in ahead if 0 <= n <= days]
        if not near and not state.awaiting_resolution:
            continue
        found += [Line(q, ladder[d], d, n) for d, n in near]
        if state.awaiting_resolution:
            last, n = ahead[-1]
            found.append(Line(q, ladder[last], last, n))
    return sorted(found, key=lambda line: (line.when, line.question.id))


def _versus(
    tracker: Tracker,
    questions: Sequence[Question],
    after: dict[str, QuestionState],
    as_of: datetime,
) -> list[Versus]:
    binary = [q.id for q in questions if not kinds.has_options(q)]
    found = []
    for ref in reference_names(tracker) if binary else []:
        loaded = load_reference(tracker, ref.name, binary)
        for qid in sorted(loaded.series):
            q = after[qid].question
            team = after[qid].probability
            assert isinstance(team, float)  # binary and event questions only
            found.append(Versus(q, ref.name, team, loaded.standing(qid, utc(as_of).date())))
    return found
