"""Every cache of the dashboard lives here; every write goes through here and clears them.

Cached reads are keyed by the database URL (tests and the benchmark point one process at
several databases) and by a data version: the row counts of the append-only tables, which
grow with every write. A write from this dashboard clears the caches at once; a write from
elsewhere (the CLI, another server process) changes the version, so a page never shows
stale numbers for longer than one rerun.

The read models are cached as shared resources, not copied per session: they are frozen
records, and unpickling 500 question states on every rerun would cost more than computing
them once.

Reads that depend on the saved fit (``forecast calibrate``) are keyed by the fit file too:
its path and modification time (``FitKey``), so that a new fit is picked up at the next
rerun, and one that went stale (a question resolved) is refused at once, since the data
version changed.

Every write is made as this visitor (``identity.py``): the signed-in user, or the local
user when no sign-in is configured; and it is refused for a viewer.
"""

from __future__ import annotations

import gc
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

import streamlit as st

from dashboards import identity
from forecast import demo, news, recalibrated, reference, settings, track_record
from forecast.alerts.rules import Setting, Subscription
from forecast.api import (
    BAND,
    EvidenceEntry,
    Judgement,
    LinkedQuestion,
    Logged,
    QuestionEdit,
    QuestionState,
    SearchHit,
    Tracker,
)
from forecast.audit import AuditEntry, trail
from forecast.clock import end_of_day
from forecast.domain import (
    Assessment,
    ForecastError,
    History,
    Question,
    Report,
    Resolution,
    Source,
)
from forecast.drafting import Suggester
from forecast.evidence import by_question
from forecast.inbox import Action, Feed, FeedStatus, Page
from forecast.learning import bands, fits, team
from forecast.learning.draws import Draws
from forecast.learning.fits import Learned
from forecast.learning.team import TeamRecalibration
from forecast.links import QuestionLink
from forecast.reports import weekly
from forecast.store.urls import default_url

type Key = tuple[str, tuple[int, ...]]  # (database URL, data version)
type FitKey = tuple[str, int | None]  # (a fit file's path, its mtime in ns; None: no file)


def _collect_less() -> None:
    """Tune Python's cycle collector for a long-lived server: the objects this process holds
    by now (the imported modules, most of them) are set aside from it, and it runs after
    10,000 new objects rather than 700. An overview in a new process allocates hundreds of
    thousands of small records, and each full collection walked every object the imports
    left; on the benchmark's database it took 0.4-0.7 s of the first overview's 1.9-2.4 s.
    What is set aside lives as long as the process (modules, settings); everything made
    later is collected as before."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(10_000, *gc.get_threshold()[1:])


_collect_less()  # once: when the server first imports this module


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


def now() -> datetime:
    """The store's clock: the knowledge time a write made now gets (``Tracker.now``)."""
    return tracker().now()


def data_version() -> tuple[int, ...]:
    """A value that changes whenever anything is written to the database."""
    counts = tracker().counts()
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
def _states(key: Key, as_of: date, fit: FitKey | None = None) -> list[QuestionState]:
    return tracker().states(
        as_of=end_of_day(as_of), learned=_learned(key, fit), history=_history(key)
    )


def states(as_of: date, *, learned: bool = False) -> list[QuestionState]:
    """Every question as it stood at the end of ``as_of`` (no leave-one-out explanations).

    ``learned``: with the saved fit's trust (:func:`learned`), which must be usable.
    """
    key = _key()
    return _states(key, as_of, _trust(key, learned))


@_read(max_entries=64)
def _state(
    key: Key, qid: str, as_of: date, analyst: str | None, fit: FitKey | None = None
) -> QuestionState:
    return tracker().state(
        qid,
        as_of=end_of_day(as_of),
        analyst=analyst,
        history=_per_question(key).get(qid),
        learned=_learned(key, fit),
    )


def state(
    qid: str, as_of: date, analyst: str | None = None, *, learned: bool = False
) -> QuestionState:
    """One question at the end of ``as_of``, with each report's leave-one-out value.

    ``learned``: with the saved fit's trust (:func:`learned`), which must be usable.
    """
    key = _key()
    return _state(key, qid, as_of, analyst, _trust(key, learned))


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


@_read(max_entries=16)
def _evidence(key: Key, qid: str | None, as_of: date | None) -> list[EvidenceEntry]:
    history = _history(key) if qid is None else _per_question(key).get(qid)
    cutoff = None if as_of is None else end_of_day(as_of)
    return tracker().evidence(qid, as_of=cutoff, history=history or History())


def evidence(qid: str | None = None, as_of: date | None = None) -> list[EvidenceEntry]:
    """Every assessment (of one question, or all) as it stands at the end of ``as_of``
    (default: now), newest report first."""
    return _evidence(_key(), qid, as_of)


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


def demo_story_day() -> date | None:
    """The day the demo's evidence was logged, while the database holds only the demo."""
    return _demo_story_day(_key())


@_read(max_entries=4)
def _demo_story_day(key: Key) -> date | None:
    if tracker().counts()["questions"] == 0:
        return None
    text = settings.demo_file().read_text(encoding="utf-8")
    return _latest_evidence_day(key) if demo.holds_only(tracker(), text) else None


@_read(max_entries=16)
def _audit(key: Key, qid: str | None, as_of: date) -> list[AuditEntry]:
    cutoff = end_of_day(as_of)
    return [e for e in trail(_history(key), qid) if e.at is None or e.at <= cutoff]


def audit(qid: str | None, as_of: date) -> list[AuditEntry]:
    """Every change logged by the end of ``as_of``, oldest first; those bearing on ``qid``
    only, if given (``forecast.audit.trail``, as ``forecast audit`` prints it)."""
    return _audit(_key(), qid, as_of)


# --------------------------------------------------------------------------- scores and reports


@_read(max_entries=8)
def _record(key: Key, as_of: date) -> track_record.TrackRecord:
    return track_record.build(tracker(), as_of=end_of_day(as_of), history=_history(key))


def record(as_of: date) -> track_record.TrackRecord:
    """Every question resolved by the end of ``as_of``, scored on the snapshots that stood
    then (``forecast.track_record.build``, per analyst too)."""
    return _record(_key(), as_of)


@_read(max_entries=4)
def _reference_names(key: Key) -> list[str]:
    return [r.name for r in reference.names(tracker())]


def reference_names() -> list[str]:
    """The names of the imported reference forecasts."""
    return _reference_names(_key())


@_read(max_entries=16)
def _reference_score(key: Key, name: str, horizons: tuple[int, ...]) -> track_record.ReferenceScore:
    return track_record.score_reference(reference.load(tracker(), name), horizons)


def reference_score(name: str, horizons: Sequence[int]) -> track_record.ReferenceScore:
    """How the reference ``name`` scored on its resolved questions, time-averaged and at
    each horizon (days before resolution)."""
    return _reference_score(_key(), name, tuple(sorted(horizons)))


@_read(max_entries=8)
def _weekly(
    key: Key, week: str, analysts: bool, as_of: datetime, minute: datetime | None
) -> weekly.WeeklyStats:
    # ``minute`` only keys the cache: build() reads the clock itself.
    return weekly.build(tracker(), week, analysts=analysts, as_of=as_of)


def weekly_report(week: str, *, analysts: bool, as_of: date) -> weekly.WeeklyStats:
    """The statistics of the ISO week ``week`` (``forecast.reports.weekly.build``), as
    known by the end of ``as_of`` (the sidebar's date).

    A week that had ended by then is reported as it stood at its end, so its report
    changes only with the data; one still under way runs up to now, and is rebuilt once a
    minute.
    """
    start, end = weekly.parse_week(week)  # a malformed week is refused here, uncached
    cutoff = end_of_day(as_of)
    moment = min(now(), cutoff)
    minute = None if end <= moment else moment.replace(second=0, microsecond=0)
    return _weekly(_key(), weekly.week_of(start), analysts, cutoff, minute)


# --------------------------------------------------------------------------- the saved fit


@dataclass(frozen=True)
class SavedFit:
    """The fit in the fits folder, as the dashboard shows it and may use it."""

    path: Path  # where its summary is, or would be
    saved: Learned | None  # as saved, even failed or stale; None: none, unreadable, mismatched
    usable: Learned | None  # the same fit when forecasts may use it (``Tracker.learned_fit``)
    problem: ForecastError | None  # why forecasts may not use it; None when usable

    @property
    def missing(self) -> bool:
        """Nothing saved at all (as opposed to a fit that is there but refused)."""
        return self.saved is None and not self.path.exists()


def _file_key(path: Path) -> FitKey:
    try:
        return str(path), path.stat().st_mtime_ns
    except OSError:
        return str(path), None


def _fit_key() -> FitKey:
    """The summary file of the fit in use (``$FORECAST_FITS``, read now) and its mtime."""
    return _file_key(fits.fits_dir() / f"{fits.NAME}.json")


@_read(max_entries=4)
def _saved_fit(key: Key, fit: FitKey) -> SavedFit:
    path = Path(fit[0])
    folder = path.parent
    try:
        saved = fits.load_learned(folder, allow_failed=True)
    except ForecastError as exc:  # none, unreadable, or made by another model version
        return SavedFit(path, None, None, exc)
    except (KeyError, TypeError, ValueError) as exc:  # a summary with fields missing
        broken = fits.NoFit(f"cannot read the fit at {path} ({exc!r}): {fits.RUN}")
        return SavedFit(path, None, None, broken)
    try:
        # The engine's own gate: refused when stale against the database or failed.
        usable = tracker().learned_fit(folder)
    except ForecastError as exc:
        return SavedFit(path, saved, None, exc)
    return SavedFit(path, saved, usable, None)


def saved_fit() -> SavedFit:
    """The saved fit and whether forecasts may use it, re-read when the file or the
    database changes."""
    return _saved_fit(_key(), _fit_key())


def learned() -> Learned | None:
    """The saved fit if forecasts may use it now (what ``Tracker.learned_fit`` accepts)."""
    return saved_fit().usable


@dataclass(frozen=True)
class SavedRecalibration:
    """The team's recalibration in the fits folder, as the dashboard shows it."""

    saved: TeamRecalibration | None  # None: none saved, or refused (``problem`` says why)
    problem: ForecastError | None


@_read(max_entries=4)
def _saved_recalibration(key: Key, fit: FitKey) -> SavedRecalibration:
    try:
        return SavedRecalibration(recalibrated.load(tracker(), Path(fit[0]).parent), None)
    except ForecastError as exc:  # stale, damaged, another version
        return SavedRecalibration(None, exc)


def saved_recalibration() -> SavedRecalibration:
    """The team's recalibration (``forecast calibrate``), re-read when its file or the
    database changes."""
    return _saved_recalibration(_key(), _file_key(fits.fits_dir() / f"{team.NAME}.json"))


def _trust(key: Key, learned: bool) -> FitKey | None:
    """The cache key of the trust asked for: None for stated trust, else the fit's file."""
    if not learned:
        return None
    fit = _fit_key()
    _learned(key, fit)  # refuse now, not inside a cached read
    return fit


def _learned(key: Key, fit: FitKey | None) -> Learned | None:
    if fit is None:
        return None
    saved = _saved_fit(key, fit)
    if saved.usable is None:
        # Pages ask for learned trust only when the toggle found the fit usable.
        problem = saved.problem
        assert problem is not None
        raise type(problem)(str(problem))  # a fresh one: the cached one stays as it was
    return saved.usable


@_read(max_entries=2)
def _draws(key: Key, fit: FitKey, draws_file: FitKey) -> Draws:
    return fits.load_draws(Path(fit[0]).parent, history=_history(key))


def draws() -> Draws:
    """The posterior draws of the usable fit (for credible bands); refused like the fit."""
    key = _key()
    fit = _fit_key()
    _learned(key, fit)
    return _draws(key, fit, _file_key(Path(fit[0]).with_suffix(".nc")))


@_read(max_entries=64)
def _band(
    key: Key, fit: FitKey, draws_file: FitKey, qid: str, as_of: date, analyst: str | None
) -> bands.Band:
    return tracker().band(
        qid,
        as_of=end_of_day(as_of),
        analyst=analyst,
        history=_per_question(key)[qid],
        draws=_draws(key, fit, draws_file),
        prob=BAND,
    )


def band(qid: str, as_of: date, analyst: str | None = None) -> bands.Band:
    """The 90% credible band of a binary or event question's trajectory (for an event
    question its headline, the first deadline still open) from the usable fit's draws, one
    value per day of ``state(qid, as_of, analyst, learned=True).trajectory``. Refused
    (ForecastError) for a choice question, and when the fit may not be used."""
    key = _key()
    fit = _fit_key()
    _learned(key, fit)
    return _band(key, fit, _file_key(Path(fit[0]).with_suffix(".nc")), qid, as_of, analyst)


# --------------------------------------------------------------------------- writes


def invalidate() -> None:
    """Forget every cached read (called after each write)."""
    for cached in _READS:
        cached.clear()


def _writer() -> Tracker:
    """A tracker on the same store that records this visitor as the writer.

    Refuses (ForecastError) in viewer mode, for a signed-in user who is not an editor, and
    when sign-in is configured but nobody is signed in: pages hide their forms then, and
    this is the check that holds even if a form is reached anyway.
    """
    return Tracker(tracker().store, user=identity.require_writer())


def _write[T](work: Callable[[Tracker], T]) -> T:
    writer = _writer()
    try:
        return work(writer)
    finally:
        # A failed write clears too: another session may have written meanwhile.
        invalidate()


def _analyst(report: dict[str, Any], writer: Tracker) -> dict[str, Any]:
    """With sign-in, the analyst of a report is the signed-in user, whatever a form sent."""
    return {**report, "analyst": writer.user} if identity.pinned() else report


def _creator(question: Question, writer: Tracker) -> Question:
    """With sign-in, a new question is created by the signed-in user, whatever a form sent."""
    return replace(question, created_by=writer.user) if identity.pinned() else question


def add_question(question: Question) -> Question:
    return _write(lambda t: t.add_question(_creator(question, t)))


def add_source(name: str, reliability: float, type: str) -> Source:
    return _write(lambda t: t.add_source(name, reliability, type))


def update_source(name: str, *, reliability: float | None, type: str | None, reason: str) -> Source:
    return _write(
        lambda t: t.update_source(name, reliability=reliability, type=type, reason=reason)
    )


def alert_settings() -> list[Setting]:
    """The alert settings in force (read each time: a page of a few rows)."""
    return tracker().alert_settings()


def subscribe(subscription: Subscription, *, reason: str) -> Setting:
    return _write(lambda t: t.subscribe(subscription, reason=reason))


def unsubscribe(setting_id: str, *, reason: str) -> Setting:
    return _write(lambda t: t.unsubscribe(setting_id, reason=reason))


# --------------------------------------------------------------------------- linked questions


def linked(as_of: date) -> list[LinkedQuestion]:
    """The linked questions at the end of ``as_of`` (cached with the data)."""
    return _linked(_key(), as_of)


@_read(max_entries=16)
def _linked(key: Key, as_of: date) -> list[LinkedQuestion]:
    return tracker().linked(end_of_day(as_of))


def links(as_of: date) -> list[QuestionLink]:
    return tracker().links(end_of_day(as_of))


def implied_prior(
    parents: Sequence[str], child: str, given: Sequence[Any], *, by: Sequence[Any] = ()
) -> Any:
    """The prior the child would have with these links (nothing is stored)."""
    return tracker().implied_prior(parents, child, given, by=by)


def link(
    parents: Sequence[str], child: str, given: Sequence[Any], *, by: Sequence[Any], reason: str
) -> QuestionLink:
    return _write(lambda t: t.link(parents, child, given, by=by, reason=reason))


def unlink(child: str, *, reason: str) -> QuestionLink:
    return _write(lambda t: t.unlink(child, reason=reason))


# --------------------------------------------------------------------------- the inbox


def inbox(statuses: Sequence[str], search: str, offset: int, limit: int) -> Page:
    """One page of the inbox (read each time: a page of a few rows)."""
    return tracker().inbox(statuses, search, offset=offset, limit=limit)


def feeds() -> list[FeedStatus]:
    return tracker().feeds()


def suggester() -> Suggester:
    """The suggestions' indexes, kept while the questions and reports stay as they are (the
    echo index takes about a second per thousand reports to build)."""
    counts = tracker().counts()
    kept = ("questions", "question_versions", "reports", "resolutions")
    return _suggester(default_url(), tuple(counts[name] for name in kept))


@st.cache_resource(show_spinner=False, max_entries=2)
def _suggester(url: str, version: tuple[int, ...]) -> Suggester:
    return Suggester(tracker())


def report_fields(entry_id: str) -> dict[str, Any]:
    """What the evidence form starts from for an inbox entry (``news.report_fields``)."""
    return news.report_fields(tracker(), entry_id)


def add_feed(url: str, *, source: str, tags: Sequence[str], reason: str) -> Feed:
    return _write(lambda t: t.add_feed(url, source=source, tags=tags, reason=reason))


def remove_feed(feed_id: str, *, reason: str) -> Feed:
    return _write(lambda t: t.remove_feed(feed_id, reason=reason))


def fetch_feeds() -> list[news.FeedRun]:
    return _write(news.fetch_feeds)


def dismiss(entry_id: str, *, reason: str) -> Action:
    return _write(lambda t: t.dismiss(entry_id, reason=reason))


def mark_echo(entry_id: str, report_id: str, *, reason: str = "") -> Action:
    return _write(lambda t: t.mark_echo(entry_id, report_id, reason=reason))


def resolve(
    qid: str,
    outcome: str,
    resolved_on: datetime,
    note: str,
    *,
    correction: bool = False,
    event_on: datetime | None = None,
) -> Resolution:
    return _write(
        lambda t: t.resolve(
            qid, outcome, resolved_on, note, correction=correction, event_on=event_on
        )
    )


def log_evidence(judgements: Sequence[Judgement], **report: Any) -> Logged:
    """Store a report and its assessments (all of them, or nothing)."""
    return _write(lambda t: t.log_evidence(judgements, **_analyst(report, t)))


def correct_assessment(
    aid: str,
    *,
    reason: str,
    lr: float | None = None,
    strength: str | None = None,
    likelihoods: Sequence[tuple[str, float]] = (),
    rationale: str | None = None,
    retract: bool = False,
) -> Assessment:
    """A new version of an assessment: a changed judgement, or a retraction."""
    return _write(
        lambda t: t.correct_assessment(
            aid, lr=lr, strength=strength, likelihoods=likelihoods, rationale=rationale,
            reason=reason, retract=retract,
        )
    )  # fmt: skip


def retract_report(report_id: str, *, reason: str) -> Report:
    return _write(lambda t: t.retract_report(report_id, reason=reason))


def edit_report(report_id: str, *, reason: str, **fields: str | None) -> Report:
    """A new version of a report (title, summary, URL, origin)."""
    return _write(lambda t: t.edit_report(report_id, reason=reason, **fields))


def origins_like(origin: str, published: datetime) -> list[str]:
    """Origins already logged that resemble a new one (``Tracker.origins_like``)."""
    return tracker().origins_like(origin, published)


def preview_evidence(judgements: Sequence[Judgement], **report: Any) -> Logged:
    """What logging would do, computed by the library and rolled back: nothing is stored."""
    writer = _writer()  # a dry run still takes a write transaction: writers only
    return writer.log_evidence(judgements, dry_run=True, **_analyst(report, writer))


def judge(
    qid: str,
    probability: float | Sequence[tuple[str, float]],
    *,
    rationale: str,
    analyst: str | None,
    dry_run: bool = False,
) -> Logged:
    """Store "I am now at P" (``Tracker.judge``): a report and the LR that moves it there.
    With ``dry_run``, what it would store (the implied LR, the question before and after);
    writers only, like every preview."""
    return _write(
        lambda t: t.judge(
            qid,
            probability,
            rationale=rationale,
            analyst=_analyst({"analyst": analyst}, t)["analyst"],
            dry_run=dry_run,
        )
    )


def preview_judgement(
    qid: str,
    probability: float | Sequence[tuple[str, float]],
    *,
    rationale: str,
    analyst: str | None,
) -> Logged:
    """What ``judge`` would store, computed by the library in a dry run."""
    return judge(qid, probability, rationale=rationale, analyst=analyst, dry_run=True)


def edit_question(qid: str, *, reason: str, preview: bool = False, **changes: Any) -> QuestionEdit:
    """A new version of a question (``Tracker.edit_question``); with ``preview``, what it
    would change and how the forecast would move, storing nothing (writers only)."""
    return _write(lambda t: t.edit_question(qid, reason=reason, preview=preview, **changes))


def search(query: str) -> list[SearchHit]:
    """Questions, reports and assessments matching every word (``Tracker.search``)."""
    return _search(_key(), query)


@_read(64)
def _search(key: Key, query: str) -> list[SearchHit]:
    return tracker().search(query, limit=50)
