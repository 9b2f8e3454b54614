"""The Python API: the one place the CLI and the dashboard call into.

``Tracker`` validates every write against what is stored, inside one transaction, and
answers reads by running the pure model (``forecast.trajectory``) over what was known at
the requested knowledge time.

Rules for evidence (one message each, nothing stored on failure):
- a report published before its question opened is refused: the prior covers it;
- a report published after the day of an event question's last deadline is refused (nothing
  is left for it to move: resolve the question instead); "by D" includes all of day D;
- nothing is assessed against a resolved or annulled question, nor with a report
  published after the resolution date;
- a report cannot be published after it was logged (no future-dated news);
- one analyst assesses a report for a question once; changes are corrections.

Knowledge times: every live write is stamped with the store's clock (``Tracker.now``),
never with a time the caller states, so nothing can be back-dated. History from elsewhere
comes in only through :meth:`Tracker.import_history`, whose records keep their stated times
and carry when and by whom they were imported.
"""

from __future__ import annotations

import functools
import getpass
import math
import os
import uuid
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from forecast import event_dates, evidence, kinds, matching
from forecast.alerts import channels
from forecast.alerts.rules import Alert, Setting, Subscription
from forecast.audit import plain
from forecast.clock import day_start, end_of_day, iso, utc
from forecast.domain import (
    EDITABLE,
    MODEL_FIELDS,
    Assessment,
    ForecastError,
    History,
    NotFound,
    Question,
    Report,
    Resolution,
    Source,
    Status,
    check_edit,
    check_id,
    check_judged,
    check_text,
    edited_fields,
    nfc,
    validate_assessment,
    validate_question,
    validate_report,
    validate_resolution,
    validate_source,
)
from forecast.inbox import (
    MAX_PAGE,
    PAGE,
    Action,
    Entry,
    Feed,
    FeedStatus,
    Fetch,
    Page,
    validate_entry,
)
from forecast.inbox import Status as EntryStatus
from forecast.inbox import statuses as entry_statuses
from forecast.links import QuestionLink
from forecast.readmodel import AWAITING as AWAITING
from forecast.readmodel import QuestionState as QuestionState
from forecast.records import ReferenceQuestion, ReferenceSet, Snapshot
from forecast.scales import strength_to_lr
from forecast.settings import USER_ENV
from forecast.store import Conflict, RecordKind, Session, Store
from forecast.trajectory import Contribution, compute, explain
from forecast.updating import Item

if TYPE_CHECKING:
    from forecast.learning.bands import Band
    from forecast.learning.draws import Draws
    from forecast.learning.fits import Learned
    from forecast.network.memo import Memo

CLOCK_SKEW = timedelta(minutes=5)  # how far ahead of our clock another machine's may be
BAND = 0.9  # the central mass of a credible band
MAX_LOOKAHEAD = timedelta(days=3660)  # --as-of beyond this is a typo, not a question


@functools.cache
def _recent() -> Memo[tuple[QuestionState, list[Item]]]:
    """Questions' states on their own evidence computed lately (``Tracker._alone``), by
    everything they are computed from: the key holds the records themselves, so a state is
    never read for records it was not computed from. A write adds records to one question
    (or a source, which every key holds), so the overview after it computes that question
    again and reads the others here. 4,096 states: every question of a large team at a few
    as-of dates. (Made when first used: the memo's package loads pyAgrum, which a command
    that computes no state does not need.)"""
    from forecast.network.memo import Memo

    return Memo(4096, lambda _: 1)


def forget(*, kept: bool = True) -> None:
    """Drop the states this process remembers (``_recent``) and the linked groups' results,
    and (``kept``) the cache folder's (``linking.forget``): a benchmark's cold run starts
    from nothing, a restarted one from the cache folder."""
    from forecast import linking

    _recent().clear()
    linking.forget(kept=kept)


@dataclass(frozen=True)
class QuestionEdit:
    """An edit of a question: the version before and after, what changed, and the forecast
    now under the model before and (a model change) after, as (what, P) pairs."""

    before: Question
    after: Question
    changed: tuple[str, ...]
    was: tuple[tuple[str, float], ...]
    now: tuple[tuple[str, float], ...] = ()

    @property
    def model_change(self) -> bool:
        return bool(MODEL_FIELDS.intersection(self.changed))

    def to_json(self) -> dict[str, Any]:
        return {
            "question": self.after.id,
            "version": self.after.version,
            "changed": list(self.changed),
            "model_change": self.model_change,
            "reason": self.after.reason,
            "edited_by": self.after.edited_by,
            "edited_at": None if self.after.edited_at is None else iso(self.after.edited_at),
            "before": {f: plain(getattr(self.before, f)) for f in self.changed},
            "after": {f: plain(getattr(self.after, f)) for f in self.changed},
            "forecast_before": dict(self.was),
            "forecast_after": dict(self.now or self.was),
        }


class SnapshotWarning(UserWarning):
    """A write landed but the snapshot it should have taken could not be stored."""


@dataclass(frozen=True)
class Precomputed:
    """What :meth:`Tracker.precompute` computed: the questions' states at ``as_of``, the
    linked groups among them and the questions in those."""

    as_of: datetime
    questions: int
    groups: int
    linked: int


def default_user() -> str:
    """Who is writing: $FORECAST_USER, else the login name."""
    return os.environ.get(USER_ENV) or getpass.getuser() or "analyst"


def new_id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


@dataclass(frozen=True)
class Judgement:
    """One analyst's judgement of a report for one question (before it is stored)."""

    question_id: str
    lr: float | None = None
    strength: str | None = None
    likelihoods: tuple[tuple[str, float], ...] = ()
    rationale: str = ""
    by: datetime | None = None  # event: the deadline the report speaks to
    around: datetime | None = None  # event: the date it points to ...
    within: int = 0  # ... give or take these many days
    judged: float | tuple[tuple[str, float], ...] | None = None  # set by Tracker.judge

    def assessment(self, report_id: str, analyst: str, logged_at: datetime) -> Assessment:
        given = [
            x for x in (self.lr is not None, self.strength is not None, bool(self.likelihoods)) if x
        ]
        if len(given) != 1:
            raise ForecastError(
                f"question {self.question_id}: give exactly one of a likelihood ratio, a "
                "strength or likelihoods per option"
            )
        lr = strength_to_lr(self.strength) if self.strength is not None else self.lr
        return Assessment(
            id=new_id("a"),
            report_id=report_id,
            question_id=self.question_id,
            analyst=analyst,
            lr=lr,
            likelihoods=tuple(self.likelihoods),
            strength=self.strength or "",
            by=self.by,
            around=self.around,
            within=self.within,
            judged=self.judged,
            rationale=self.rationale,
            logged_at=logged_at,
        )


@dataclass(frozen=True)
class LinkedQuestion:
    """A linked question at one knowledge time: its stated prior and the one its links
    imply; its forecast on its own evidence and the one the network gives."""

    question: Question
    parents: tuple[str, ...]
    children: tuple[str, ...]
    stated_prior: float | dict[str, float]
    implied_prior: Any  # linking.Reading, as are the two below
    own: Any
    linked: Any
    why: tuple[Any, ...] = ()  # linking.Why: each report's part in ``linked``, largest first

    @property
    def incoherent(self) -> bool:
        """The stated prior is far from the implied one (a linked child only)."""
        from forecast import linking

        return bool(self.parents) and linking.apart(self.stated_prior, self.implied_prior.headline)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.question.id,
            "parents": list(self.parents),
            "children": list(self.children),
            "stated_prior": self.stated_prior,
            "implied_prior": self.implied_prior.headline,
            "incoherent": self.incoherent,
            "own": self.own.headline,
            "linked": self.linked.headline,
            "linked_ladder": list(self.linked.ladder),
            "why": [
                {"reports": list(w.reports), "via": w.via, "change": w.change} for w in self.why
            ],
        }


def _check_reason(reason: str, doing: str) -> None:
    """Ending a record needs a reason: "removing a feed needs a reason"."""
    if not reason.strip():
        raise ForecastError(f"{doing} needs a reason")
    check_text(reason, "reason")


def _ended[R: (Setting, Feed, QuestionLink)](
    versions: Sequence[R], missing: str, stamp: _Stamp, reason: str
) -> R:
    """The last, inactive version that ends a versioned record (its history stays); the
    record must be in force."""
    if not versions or not versions[-1].active:
        raise NotFound(missing)
    return replace(
        versions[-1], active=False, version=len(versions) + 1, logged_at=stamp.at,
        logged_by=stamp.by, reason=reason,
    )  # fmt: skip


def _end(cutoff: datetime, resolution: Resolution | None) -> datetime:
    """A question's trajectory's last instant: ``cutoff``, or its resolution if earlier."""
    return cutoff if resolution is None else min(cutoff, resolution.resolved_on)


def _links_in_force(versions: Sequence[QuestionLink], as_of: datetime | None) -> list[QuestionLink]:
    """Each child's latest version known at ``as_of`` (None: all), unless it was ended."""
    latest: dict[str, QuestionLink] = {}
    for v in versions:
        if as_of is None or (v.logged_at is not None and v.logged_at <= as_of):
            latest[v.child] = v
    return [v for v in latest.values() if v.active]


@dataclass(frozen=True)
class Logged:
    """What ``log_evidence`` stored (or, in a dry run, would store)."""

    report: Report
    assessments: list[Assessment]
    previews: dict[str, tuple[QuestionState, QuestionState]]


@dataclass(frozen=True)
class EvidenceEntry:
    """One assessment of a report as it stands now, for lists of evidence."""

    report: Report  # its latest version
    assessment: Assessment  # its latest version
    status: str  # "counts", "retracted" (the assessment) or "report retracted"
    echoes: tuple[str, ...]  # other reports of its origin assessed for the same question

    def to_json(self) -> dict[str, Any]:
        r, a = self.report, self.assessment
        return {
            "assessment": a.id,
            "version": a.version,
            "question": a.question_id,
            "analyst": a.analyst,
            "lr": a.lr,
            "likelihoods": dict(a.likelihoods) or None,
            "judged": a.judged if not isinstance(a.judged, tuple) else dict(a.judged),
            "status": self.status,
            "report": r.id,
            "title": r.title,
            "source": r.source,
            "published": iso(r.published),
            "origin": r.origin,
            "url": r.url,
            "echoes": list(self.echoes),
        }


@dataclass(frozen=True)
class SearchHit:
    """A question, report or assessment that matches a search, as it stands now."""

    kind: str  # "question", "report" or "assessment"
    id: str
    title: str  # the question's or the report's title (an assessment: its report's)
    text: str  # what else it says: criteria, summary, rationale
    questions: tuple[str, ...]  # the questions it bears on
    retracted: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "id": self.id,
            "title": self.title,
            "text": self.text,
            "questions": list(self.questions),
            "retracted": self.retracted,
        }


def _learned_trust(
    question: Question,
    history: History,
    as_of: datetime,
    stated: dict[str, float] | None,
    learned: Learned,
) -> tuple[Question, dict[str, float], dict[str, float]]:
    """The question, reliabilities and exponents a fit's posterior means give.

    Sources the fit never saw keep their stated reliability, shifted by what the fit
    learned of their type; an event question that sets its own alpha keeps it.
    """
    sources = evidence.sources_as_of(history.sources, as_of)
    if stated is None:
        stated = {name: s.reliability for name, s in sources.items()}
    rel = learned.reliabilities(stated, {name: s.type for name, s in sources.items()})
    if kinds.has_ladder(question) and question.alpha is None:
        question = replace(question, alpha=learned.alpha.mean)
    return question, rel, learned.exponent_means()


# The fields that say what a record is about: every version of it keeps them. A second
# version of an assessment naming another question would make one judgement count on two.
# (A resolution's question and a source's name are its key already.)
_IDENTITY: dict[str, tuple[tuple[str, str], ...]] = {
    "assessment": (("report_id", "report"), ("question_id", "question"), ("analyst", "analyst")),
}


def _check_next_version(tx: Session, kind: RecordKind, key: str, record: Any) -> None:
    """Versions of an append-only record run 1, 2, 3...: refuse a gap or a duplicate.

    A new version also keeps the identity fields of the one before (:data:`_IDENTITY`).
    """
    version = record.version
    have = tx.latest_version(kind, key)
    if version != have + 1:
        if version == 1:
            raise ForecastError(f"{kind} {key!r} already exists")
        raise ForecastError(f"{kind} {key!r} version {version} does not follow {have}")
    if have and kind in _IDENTITY:
        last = tx.assessment_versions(key)[-1]
        for field, label in _IDENTITY[kind]:
            if getattr(record, field) != getattr(last, field):
                from forecast.scenario import quote

                raise ForecastError(
                    f"{kind} {key!r} version {version} names {label} "
                    f"{quote(getattr(record, field))}, but version {have} names "
                    f"{quote(getattr(last, field))}: a new version keeps its {label}"
                )


JUDGEMENT_SOURCE = "Analyst judgement"
"""The source of every probability judgement: the analyst's own word, taken at r = 1."""


def judgement_for(
    state: QuestionState,
    probability: float | Sequence[tuple[str, float]],
    rationale: str = "",
) -> Judgement:
    """The judgement that moves ``state``'s forecast to ``probability``, and nothing else.

    Binary and event questions: LR = odds(P) / odds(now), on the headline (an event: its
    first deadline still open). Choice questions: likelihoods P_k / now_k for each option.
    """
    q = state.question
    if state.status is not Status.OPEN:
        raise ForecastError(f"question {q.id} was resolved: it takes no more judgements")
    if state.awaiting_resolution:
        raise ForecastError(
            f"question {q.id} is awaiting resolution (its "
            f"{'last deadline' if kinds.has_ladder(q) else 'close date'} has passed): "
            "resolve it instead"
        )
    judged = check_judged(q, probability)
    if isinstance(judged, tuple):
        now = dict(zip(q.option_names, np.asarray(state.trajectory.final).tolist(), strict=True))
        stuck = [n for n, p in judged if now[n] == 0.0 and p > 0.0]
        if stuck:
            raise ForecastError(
                f"question {q.id} gives {stuck[0]} 0% (with its links, if it has any): no "
                "judgement can move it"
            )
        likelihoods = tuple((n, p / now[n] if now[n] > 0.0 else 1.0) for n, p in judged)
        return Judgement(q.id, likelihoods=likelihoods, rationale=rationale, judged=judged)
    p = judged
    stands = float(state.trajectory.final)
    if not 0.0 < stands < 1.0:
        raise ForecastError(f"question {q.id} stands at {stands:.0%}: no judgement can move it")
    lr = (p / (1.0 - p)) / (stands / (1.0 - stands))
    if not 0.0 < lr < math.inf:
        raise ForecastError(
            f"a judgement of {p:g} from {stands:.3g} is beyond what a likelihood ratio can carry "
            "in double precision"
        )
    by = None
    if kinds.has_ladder(q):
        day = len(state.trajectory.probability) - 1
        by = q.deadlines[event_dates.Calendar(q).rung(day)]
    return Judgement(q.id, lr=lr, rationale=rationale, by=by, judged=p)


def _describe(judged: float | tuple[tuple[str, float], ...] | None) -> str:
    if isinstance(judged, float):
        return f"{judged:.1%}"
    return ", ".join(f"{name} {p:.1%}" for name, p in judged or ())


DUPLICATE_WINDOW = timedelta(hours=48)  # a near-duplicate is published this close to another


def _check_not_logged(
    tx: Session, report: Report, assessments: Sequence[Assessment], force: bool
) -> None:
    """Refuse a new report (stored with ``assessments`` in this transaction) that is one
    already logged (see :meth:`Tracker.log_evidence`)."""
    _check_url_free(tx, report)
    if force:
        return
    near = [
        (rid, title, when)
        for rid, title, when, gone in tx.reports_near(
            report.source, report.published - DUPLICATE_WINDOW, report.published + DUPLICATE_WINDOW
        )
        if rid != report.id and not gone
    ]
    if report.title.strip():
        titled = {rid: title for rid, title, _ in near if title.strip()}
        same = matching.same_titles(report.title, titled)
    else:  # untitled: the same time and the same judgement of the same question
        same = [
            rid
            for rid, title, when in near
            if not title.strip()
            and when == report.published
            and _same_judgement(tx.assessments_of_report(rid), assessments)
        ]
    if same:
        other = _latest(tx.report_versions(same[0]))[0]
        raise ForecastError(
            f"report {other.id} looks like this one ({_label(other)}, same source): "
            f"assess that report instead, or log this one anyway (force) if it is another report"
        )


def _same_judgement(theirs: Sequence[Assessment], mine: Sequence[Assessment]) -> bool:
    said = {(a.question_id, a.lr, a.likelihoods) for a in theirs if not a.retracted}
    return any((a.question_id, a.lr, a.likelihoods) in said for a in mine)


def _check_url_free(tx: Session, report: Report) -> None:
    """One URL is one report: refuse ``report``'s URL when another report has it."""
    url = matching.canonical_url(report.url)
    if not url:
        return
    for other in _latest(tx.reports_with_url_like(url.split("?")[0])):
        if other.id != report.id and matching.canonical_url(other.url) == url:
            raise ForecastError(
                f"report {other.id} ({_label(other)}) has this URL already: "
                f"assess that report instead"
            )


def _latest(versions: Iterable[Report]) -> list[Report]:
    return list(evidence.known_as_of(versions, lambda r: r.id, None).values())


def _label(report: Report) -> str:
    title = f"{report.title[:60]!r}, " if report.title else ""
    return f"{title}{report.source}, published {iso(report.published)}"


@contextmanager
def _naming(kind: str, key: str) -> Iterator[None]:
    """Prefix a refusal with the record it is about, unless it already names it."""
    try:
        yield
    except ForecastError as exc:
        if repr(key) in str(exc):
            raise
        raise type(exc)(f"{kind} {key!r}: {exc}") from None


@dataclass(frozen=True)
class _Stamp:
    """Who writes and when, as the records of one write are stored.

    A live write is stamped with the store's clock and the writer, whatever times the
    record carries (a new version copied from an imported one must not keep its import
    marks). An import keeps each record's stated times, filling only what is missing, and
    marks it as imported now by the importer.
    """

    at: datetime
    by: str
    imported: bool = False

    def logged[R: (Source, Report, Assessment, Resolution)](self, record: R) -> R:
        if not self.imported:
            return replace(
                record, logged_at=self.at, logged_by=self.by, imported_at=None, imported_by=""
            )
        return replace(
            record,
            logged_at=record.logged_at or self.at,
            logged_by=record.logged_by or self.by,
            imported_at=self.at,
            imported_by=self.by,
        )


class _Rollback(Exception):
    """Raised inside a write transaction to undo it and carry a dry run's result out."""

    def __init__(self, result: Logged):
        super().__init__("dry run")
        self.result = result


# --------------------------------------------------------------------------- the tracker


class Tracker:
    """Questions, evidence and forecasts in one store."""

    def __init__(
        self, store: Store, *, user: str | None = None, clock: Callable[[], datetime] | None = None
    ):
        self.store = store
        # who writes is stored with every record: refuse a name the store could not keep
        self.user = check_text(user or default_user(), f"the analyst name (${USER_ENV})")
        # The store's clock (the database server's, for PostgreSQL); tests pass their own.
        self._clock = clock or store.now

    @classmethod
    def open(cls, target: str | None = None, **kwargs: Any) -> Tracker:
        return cls(Store.open(target), **kwargs)

    def now(self) -> datetime:
        """The knowledge time a write made now gets: the store's clock."""
        return utc(self._clock())

    def _live(self) -> _Stamp:
        return _Stamp(self.now(), self.user)

    def check_past(self, what: str, at: datetime | None) -> None:
        """Knowledge times are facts about the past: none may lie ahead of the clock.

        ``what`` reads with the time after it: "report 'r1' is logged at".
        """
        if at is not None and utc(at) > self.now() + CLOCK_SKEW:
            raise ForecastError(f"{what} {iso(at)}, which is in the future")

    def _check_logged(self, what: str, logged_at: datetime | None) -> None:
        self.check_past(f"{what} is logged at", logged_at)

    # ---------------------------------------------------------------- writes

    def add_question(self, question: Question) -> Question:
        """Store a new question, created now by the store's clock, and snapshot its prior."""
        now = self.now()
        if question.created_at is not None and abs(question.created_at - now) > CLOCK_SKEW:
            raise ForecastError(
                f"question {question.id!r}: its creation time comes from the store's clock, "
                f"not {iso(question.created_at)}; bring in history with `forecast import`"
            )
        q = validate_question(
            replace(
                question,
                created_by=question.created_by or self.user,
                created_at=now,
                imported_at=None,
                imported_by="",
            )
        )
        with self.store.write() as tx:
            self._insert_question(tx, q)
        # The prior is a forecast too: recorded at once, so a question created, assessed and
        # resolved through the tool always has a forecast from before its resolution.
        self._snapshot([q.id], "created", q.created_at)
        return q

    def edit_question(
        self, question_id: str, *, reason: str, preview: bool = False, **changes: Any
    ) -> QuestionEdit:
        """A new version of a question with some of :data:`domain.EDITABLE` changed.

        ``changes`` name the fields (``title=``, ``criteria=``, ``prior_note=``, ``tags=``,
        ``closes=``, ``deadlines=``, ``prior=``, ``options=``). A change of deadlines or
        prior is a model change: the question's probabilities are computed anew from its
        opening, what was believed before stays in its snapshots and as-of reads, and the
        result says how the forecast moves. A resolved question keeps its model. With
        ``preview`` nothing is stored.
        """
        unknown = sorted(set(changes) - set(EDITABLE))
        if unknown:
            raise ForecastError(
                f"a question edit changes {', '.join(EDITABLE)}, not {', '.join(unknown)}"
            )
        check_id(question_id, "question")
        if not reason.strip():
            raise ForecastError("an edit needs a reason: say why the question changes")
        for name in ("tags", "deadlines"):
            if changes.get(name) is not None:
                changes[name] = tuple(changes[name])
        if isinstance(changes.get("options"), dict):
            changes["options"] = tuple(changes["options"].items())
        history = self.history([question_id])
        before, _ = self._with_history(question_id, history)
        after = check_edit(
            before,
            replace(
                before,
                **changes,
                version=before.version + 1,
                reason=reason.strip(),
                edited_by=self.user,
                edited_at=None if preview else self.now(),
                imported_at=None,
                imported_by="",
            ),
        )
        changed = edited_fields(before, after)
        model = [f for f in changed if f in MODEL_FIELDS]
        if model and evidence.resolution_as_of(history, question_id, None) is not None:
            raise ForecastError(
                f"question {question_id} is resolved: a change of its {' and '.join(model)} "
                "would change what it was scored on; edit its title, criteria, tags or prior note"
            )
        edit = QuestionEdit(before, after, changed, self._forecast_now(before, history))
        if model:
            edited = replace(history, questions=(after,), question_versions=(
                *history.question_versions, before))  # fmt: skip
            edit = replace(edit, now=self._forecast_now(after, edited))
        if preview:
            return edit
        with self.store.write() as tx:
            if tx.question(question_id) != before:
                raise Conflict(f"question {question_id} was edited meanwhile: look again")
            tx.insert_question_version(after)
        if model:
            self._snapshot([question_id], "edit", after.edited_at)
        return edit

    def _forecast_now(
        self, question: Question, history: History
    ) -> tuple[tuple[str, float], ...]:
        """The question's forecast now under ``question``'s model, as (what, P) pairs."""
        return self._state(question, history, None, None, False).vector()

    def add_source(self, name: str, reliability: float, type: str = "") -> Source:
        with self.store.write() as tx:
            source = self._insert_source(tx, Source(name, reliability, type), self._live())
        return source

    def update_source(
        self,
        name: str,
        *,
        reliability: float | None = None,
        type: str | None = None,
        reason: str = "",
    ) -> Source:
        """Record a new version of a source (its reliability or type changed)."""
        name = nfc(check_text(name, "source name", required=True))  # as the store spells it
        if not reason.strip():  # a re-rating must say why
            raise ForecastError("a new version of a source needs a reason")
        check_text(reason, "reason")
        with self.store.write() as tx:
            versions = tx.source_versions(name)
            if not versions:
                raise NotFound(f"no source {name!r}")
            last = versions[-1]
            source = replace(
                last,
                reliability=last.reliability if reliability is None else reliability,
                type=last.type if type is None else type,
                version=last.version + 1,
                reason=reason,
            )
            stored = self._insert_source(tx, source, self._live())
            cited = tx.questions_citing(name)
        self._snapshot(cited, "evidence", stored.logged_at)
        return stored

    # ---------------------------------------------------------------- alert settings

    def subscribe(self, subscription: Subscription, *, reason: str = "") -> Setting:
        """Store an alert setting, or a new version of the one with its id. Its channel must
        be a notification URL the alerts can send to, and the questions it names must exist.
        """
        check_text(subscription.who, "who", required=True)
        check_text(reason, "reason")
        channels.check_channel(subscription.channel)
        named = {th.question_id for th in subscription.thresholds}
        named |= set(subscription.questions or ())
        with self.store.write() as tx:
            for qid in sorted(named):
                if tx.question(qid) is None:
                    raise NotFound(f"alert setting {subscription.id!r} names no question {qid!r}")
            version = len(self._setting_versions(tx, subscription.id)) + 1
            return tx.insert_alert_setting(
                Setting(subscription, version, True, self.now(), self.user, reason)
            )

    def unsubscribe(self, setting_id: str, *, reason: str) -> Setting:
        """End an alert setting (a last, inactive version: its history stays)."""
        _check_reason(reason, "ending an alert setting")
        with self.store.write() as tx:
            versions = self._setting_versions(tx, setting_id)
            missing = f"no alert setting {setting_id!r} in force"
            return tx.insert_alert_setting(_ended(versions, missing, self._live(), reason))

    def alert_settings(self) -> list[Setting]:
        """The alert settings in force: each one's latest version, unless it was ended."""
        with self.store.read() as tx:
            latest = {s.subscription.id: s for s in tx.alert_settings()}
        return [s for s in latest.values() if s.active]

    @staticmethod
    def _setting_versions(tx: Session, setting_id: str) -> list[Setting]:
        return [s for s in tx.alert_settings() if s.subscription.id == setting_id]

    def alert_log(self) -> tuple[set[str], datetime | None]:
        """The keys of the alerts sent, and when the alerts last ran (None: never)."""
        with self.store.read() as tx:
            return tx.sent_alert_keys(), tx.last_alert_run()

    def record_alert_run(self, ran_at: datetime, sent: Sequence[Alert], failed: int) -> None:
        """Store a run of the alerts and the alerts it really sent. ``ran_at`` is the
        store's time the run read the questions at (the next run measures crossings from
        it), so it cannot lie ahead of the store's clock."""
        self.check_past("a run of the alerts is at", ran_at)
        with self.store.write() as tx:
            tx.insert_alert_run(ran_at, sent, failed)

    # ---------------------------------------------------------------- links

    def link(
        self,
        parents: Sequence[str],
        child: str,
        given: Sequence[tuple[Sequence[str], Sequence[float]]],
        *,
        by: Sequence[datetime | None] = (),
        reason: str = "",
    ) -> QuestionLink:
        """Link ``child`` to ``parents`` (a new version of its links, replacing the last):
        ``given`` holds, for each combination of the parents' states (``linking.states``),
        the child's probability (``linking.child_values``); ``by``, per parent, the deadline
        an event parent's "yes" means (None: its first). A cycle is refused, naming it."""
        check_text(reason, "reason")
        with self.store.write() as tx:
            link, _ = self._candidate(tx, parents, child, given, by)
            versions = [v for v in tx.links() if v.child == child]
            stamp = self._live()
            return tx.insert_link(
                replace(link, version=len(versions) + 1, logged_at=stamp.at, logged_by=stamp.by,
                        reason=reason)
            )  # fmt: skip

    def implied_prior(
        self,
        parents: Sequence[str],
        child: str,
        given: Sequence[tuple[Sequence[str], Sequence[float]]],
        *,
        by: Sequence[datetime | None] = (),
    ) -> Any:
        """The prior ``child`` would have with these links (``linking.Reading``), checked
        as :meth:`link` checks them; nothing is stored."""
        from forecast import linking

        with self.store.read() as tx:
            link, questions = self._candidate(tx, parents, child, given, by)
            net = linking.network(
                questions, [*(v for v in _links_in_force(tx.links(), None) if v.child != child),
                            link]
            )  # fmt: skip
        return linking.reading(questions[child], net.marginals()[child], 0)

    @staticmethod
    def _candidate(
        tx: Session,
        parents: Sequence[str],
        child: str,
        given: Sequence[tuple[Sequence[str], Sequence[float]]],
        by: Sequence[datetime | None],
    ) -> tuple[QuestionLink, dict[str, Question]]:
        """A new version of ``child``'s links, checked against the questions and the links
        in force (a cycle is refused, naming it)."""
        from forecast import linking

        link = QuestionLink(
            child,
            tuple(parents),
            tuple((tuple(combo), tuple(float(v) for v in values)) for combo, values in given),
            tuple(None if d is None else utc(d) for d in by) or (None,) * len(parents),
        )
        questions = {q.id: q for q in tx.questions()}
        linking.check(link, questions)
        standing = [v for v in _links_in_force(tx.links(), None) if v.child != child]
        linking.network(questions, [*standing, link])
        return link, questions

    def unlink(self, child: str, *, reason: str) -> QuestionLink:
        """End a child's links (a last, inactive version: its history stays)."""
        _check_reason(reason, "removing a link")
        with self.store.write() as tx:
            versions = [v for v in tx.links() if v.child == child]
            missing = f"question {child!r} has no links to remove"
            ended = _ended(versions, missing, self._live(), reason)
            return tx.insert_link(replace(ended, imported_at=None, imported_by=""))

    def _import_links(self, tx: Session, links: Sequence[QuestionLink], stamp: _Stamp) -> None:
        """Store imported link versions, each checked against the questions and following
        the versions already stored; the links then in force must not form a cycle."""
        from forecast import linking

        questions = {q.id: q for q in tx.questions()}
        stored = {}
        for v in tx.links():
            stored[v.child] = v.version
        for link in sorted(links, key=lambda x: (x.child, x.version)):
            with _naming("links of", link.child):
                expected = stored.get(link.child, 0) + 1
                if link.version != expected:
                    raise ForecastError(f"version {link.version} does not follow {expected - 1}")
                if link.active:
                    linking.check(link, questions)
                self.check_past(f"links of {link.child!r} are logged at", link.logged_at)
                tx.insert_link(
                    replace(
                        link, logged_at=link.logged_at or stamp.at,
                        logged_by=link.logged_by or stamp.by, imported_at=stamp.at,
                        imported_by=stamp.by,
                    )
                )  # fmt: skip
                stored[link.child] = link.version
        standing = _links_in_force(tx.links(), None)
        if standing:
            linking.network(questions, standing)  # refuses a cycle, naming it

    def links(self, as_of: datetime | None = None) -> list[QuestionLink]:
        """The links in force at ``as_of`` (knowledge time; default now), by child."""
        with self.store.read() as tx:
            return _links_in_force(tx.links(), as_of)

    def link_versions(self) -> list[QuestionLink]:
        """Every version of every child's links, by child then version."""
        with self.store.read() as tx:
            return tx.links()

    def linked(self, as_of: datetime | None = None) -> list[LinkedQuestion]:
        """Every linked question at ``as_of``: its stated prior beside the one its links
        imply, and its forecast on its own evidence beside the one its links give.

        A report assessed against several linked questions counts once, with one likelihood
        over their joint states (``linking.count``)."""
        from forecast import linking

        cutoff = as_of or self.now()
        setup = self._linked_setup(cutoff)
        if setup is None:
            return []
        links, states, counted, net = setup
        keys = sorted(states)
        standing = {k: s.question for k, s in states.items()}
        implied = net.marginals()
        readings, why = linking.linked_readings(
            net,
            standing,
            counted,
            {k: s.trajectory.days[-1] for k, s in states.items()},
            {k: s.resolution for k, s in states.items()},
            {k: max(0, event_dates.day_index(standing[k].opened, cutoff)) for k in keys},
        )
        parents = {link.child: link.parents for link in links}
        out = []
        for k in keys:
            q = standing[k]
            out.append(
                LinkedQuestion(
                    q,
                    parents.get(k, ()),
                    tuple(c for c, ps in parents.items() if k in ps),
                    linking.stated_prior(q),
                    linking.reading(q, implied[k], 0),
                    linking.own(q, states[k].trajectory),
                    readings[k],
                    tuple(why[k]),
                )
            )
        return out

    def _linked_setup(self, cutoff: datetime) -> tuple[Any, ...] | None:
        """The links in force at ``cutoff``, their questions' states, their evidence counted
        once (``linking.Counted``), and the network (None: no links)."""
        from forecast import linking

        links = self.links(cutoff)
        if not links:
            return None
        history = self.history(None)
        parts = evidence.by_question(history)
        rel = evidence.reliabilities(history.sources, cutoff)
        keys = sorted({k for link in links for k in (link.child, *link.parents)})
        questions = {q.id: q for q in history.questions}
        states = {k: self._state(questions[k], parts[k], cutoff, None, False, rel) for k in keys}
        standing = {k: s.question for k, s in states.items()}
        items = {
            k: evidence.items_for(standing[k], parts[k], as_of=cutoff, reliability=rel)
            for k in keys
        }
        net = linking.network(standing, links)
        resolutions = {k: s.resolution for k, s in states.items()}
        return links, states, linking.count(net, standing, items, links, resolutions), net

    # ---------------------------------------------------------------- the inbox

    def add_feed(
        self,
        url: str,
        *,
        source: str = "",
        tags: Sequence[str] = (),
        feed_id: str | None = None,
        reason: str = "",
    ) -> Feed:
        """Add a feed for the intake to fetch. ``source``, if given, must be a stored source:
        its items are assessed as that source's reports. An address is added once."""
        from forecast.intake.fetch import check_address

        address = check_address(url.strip())
        check_text(reason, "reason")
        tags = tuple(check_text(tag, "tag", required=True) for tag in tags)
        with self.store.write() as tx:
            if source and not tx.source_versions(source):
                raise NotFound(f"no source {source!r}: add it first (forecast source add)")
            standing = self._feeds_in_force(tx)
            same = [f for f in standing if f.url == address]
            if same:
                raise ForecastError(f"feed {same[0].id!r} already fetches {address}")
            fid = check_id(feed_id, "feed") if feed_id else new_id("f")
            versions = [f for f in tx.feeds() if f.id == fid]
            if versions and versions[-1].active:
                raise ForecastError(f"feed {fid!r} already exists")
            feed = Feed(
                fid, address, source, tags, True, len(versions) + 1, self.now(), self.user, reason
            )
            return tx.insert_feed(feed)

    def remove_feed(self, feed_id: str, *, reason: str) -> Feed:
        """Stop fetching a feed (a last, inactive version; its entries stay in the inbox)."""
        _check_reason(reason, "removing a feed")
        with self.store.write() as tx:
            versions = [f for f in tx.feeds() if f.id == feed_id]
            missing = f"no feed {feed_id!r} is fetched"
            return tx.insert_feed(_ended(versions, missing, self._live(), reason))

    def feeds(self) -> list[FeedStatus]:
        """The feeds in force, each with its fetches' record."""
        with self.store.read() as tx:
            fetches: dict[str, list[Fetch]] = {}
            for fetch in tx.fetches():
                fetches.setdefault(fetch.feed_id, []).append(fetch)
            return [
                FeedStatus(f, tuple(fetches.get(f.id, ()))) for f in self._feeds_in_force(tx)
            ]

    @staticmethod
    def _feeds_in_force(tx: Session) -> list[Feed]:
        latest = {f.id: f for f in tx.feeds()}
        return [f for f in latest.values() if f.active]

    def record_fetch(
        self,
        feed_id: str,
        entries: Sequence[Entry] = (),
        *,
        etag: str = "",
        last_modified: str = "",
        not_modified: bool = False,
        error: str = "",
    ) -> tuple[Fetch, list[Entry]]:
        """Store one fetch of a feed and, in the same transaction, its entries not stored
        before (by key: an item is never taken in twice). Returns the fetch and the entries
        stored, each with its id and the store's time."""
        with self.store.write() as tx:
            if not any(f.id == feed_id for f in self._feeds_in_force(tx)):
                raise NotFound(f"no feed {feed_id!r} is fetched")
            stamp = self._live()
            stored = self._store_entries(tx, entries, stamp)
            fetch = Fetch(
                feed_id, stamp.at, len(stored), not_modified, etag or "", last_modified or "",
                error,
            )
            tx.insert_fetch(fetch)
        return fetch, stored

    def take_in(self, entry: Entry) -> tuple[Entry, bool]:
        """Put a page an analyst brought (``intake url --inbox``) in the inbox; if an entry
        with its key is stored, that one and False."""
        with self.store.write() as tx:
            stored = self._store_entries(tx, [entry], self._live())
            if stored:
                return stored[0], True
            found = tx.entry_by_key(entry.key)
            assert found is not None  # its key was stored, and nothing is ever deleted
            return found, False

    def _store_entries(
        self, tx: Session, entries: Sequence[Entry], stamp: _Stamp
    ) -> list[Entry]:
        fresh: dict[str, Entry] = {}
        addresses: set[str] = set()
        for e in entries:
            address = e.url and matching.canonical_url(e.url)
            if e.key not in fresh and not (address and address in addresses):
                fresh[e.key] = e
                addresses.add(address)
        for key in tx.stored_keys(fresh):
            del fresh[key]
        for key in tx.stored_addresses({k: e.url for k, e in fresh.items() if e.url}):
            fresh.pop(key, None)
        stored = [
            validate_entry(
                replace(e, id=new_id("i"), received_at=stamp.at, received_by=stamp.by)
            )
            for e in fresh.values()
        ]
        tx.insert_entries(stored)
        return stored

    def inbox(
        self,
        statuses: Sequence[str] = ("new",),
        search: str = "",
        *,
        feed_id: str | None = None,
        since: datetime | None = None,
        offset: int = 0,
        limit: int = PAGE,
    ) -> Page:
        """One page of the inbox, newest first: the entries with one of ``statuses`` (or
        "all") whose title, text or address holds every word of ``search``, case aside."""
        wanted = entry_statuses(statuses)
        if not 1 <= limit <= MAX_PAGE:
            raise ForecastError(f"a page of the inbox holds 1 to {MAX_PAGE} entries")
        if offset < 0:
            raise ForecastError("a page of the inbox cannot start before its first entry")
        with self.store.read() as tx:
            return tx.inbox(
                wanted, search.split(), feed_id=feed_id, since=since, offset=offset, limit=limit
            )

    def inbox_entry(self, entry_id: str) -> tuple[Entry, Action | None]:
        """One inbox entry and what was done with it (None: it waits)."""
        with self.store.read() as tx:
            found = tx.entry(entry_id)
        if found is None:
            raise NotFound(f"no inbox entry {entry_id!r}")
        return found

    def dismiss(self, entry_id: str, *, reason: str) -> Action:
        """Take an entry out of the inbox: it bears on no question (say why)."""
        if not reason.strip():
            raise ForecastError("dismissing an inbox entry needs a reason")
        return self._act(Action(entry_id, EntryStatus.DISMISSED, reason=reason))

    def mark_echo(self, entry_id: str, report_id: str, *, reason: str = "") -> Action:
        """Take an entry out of the inbox as a repeat of a logged report: the forecasts
        already hold what it says."""
        with self.store.read() as tx:
            versions = tx.report_versions(check_id(report_id, "report"))
        if not versions:
            raise NotFound(f"no report {report_id!r}")
        return self._act(Action(entry_id, EntryStatus.ECHO, report_id, reason))

    def _act(self, action: Action) -> Action:
        check_text(action.reason, "reason")
        with self.store.write() as tx:
            return self._take_action(tx, action, self._live())

    @staticmethod
    def _take_action(tx: Session, action: Action, stamp: _Stamp) -> Action:
        found = tx.entry(action.entry_id)
        if found is None:
            raise NotFound(f"no inbox entry {action.entry_id!r}")
        if found[1] is not None:
            done = found[1]
            raise ForecastError(
                f"inbox entry {action.entry_id!r} was already dealt with: {done.status.value} "
                f"by {done.logged_by} at {iso(utc(done.logged_at or stamp.at))}"
            )
        return tx.insert_action(replace(action, logged_at=stamp.at, logged_by=stamp.by))

    def add_evidence(
        self,
        question_id: str,
        *,
        lr: float | None = None,
        strength: str | None = None,
        likelihoods: Sequence[tuple[str, float]] = (),
        rationale: str = "",
        by: datetime | None = None,
        around: datetime | None = None,
        within: int = 0,
        **report: Any,
    ) -> tuple[Report, Assessment]:
        """Log a report (or reuse ``report_id``) and one analyst's assessment of it.

        Event questions: ``by`` names the deadline the report speaks to (default: the first
        still ahead on its published day); ``around`` a date it points to, ± ``within`` days.
        """
        judgement = Judgement(
            question_id, lr, strength, tuple(likelihoods), rationale, by, around, within
        )
        logged = self.log_evidence([judgement], **report)
        return logged.report, logged.assessments[0]

    def log_evidence(
        self,
        judgements: Sequence[Judgement],
        *,
        source: str | None = None,
        published: datetime | None = None,
        analyst: str | None = None,
        origin: str = "",
        title: str = "",
        summary: str = "",
        url: str = "",
        report_id: str | None = None,
        new_report_id: str | None = None,
        dry_run: bool = False,
        force: bool = False,
        inbox_entry: str | None = None,
    ) -> Logged:
        """Log one report and its assessments against one or more questions, atomically.

        With ``inbox_entry``, the report is that inbox entry assessed: the entry leaves the
        inbox in the same transaction (refused if it was already dealt with).

        Their knowledge time is the store's clock now: there is no way to state another
        (history from elsewhere comes in through :meth:`import_history`).

        A new report is refused when it is one already logged: the same URL (always), or the
        same source with a title that reads the same (``matching.SIMILAR_TITLE``; untitled:
        the same published time) within ``DUPLICATE_WINDOW`` of it, unless ``force``.

        With ``dry_run`` nothing is stored: the result carries, per question, the state
        before and the state it would have after, computed by the very same checks and
        maths as a real save.
        """
        if not judgements:
            raise ForecastError("assess the report against at least one question")
        ids = [j.question_id for j in judgements]
        if len(set(ids)) != len(ids):
            raise ForecastError("each question can be assessed once per report")
        stamp = self._live()
        logged_at = stamp.at
        before = {q: self.state(q, explain=False, as_of=logged_at) for q in ids} if dry_run else {}
        try:
            with self.store.write() as tx:
                report = self._report_for_evidence(
                    tx,
                    report_id,
                    new_report_id,
                    source,
                    published,
                    origin,
                    title,
                    summary,
                    url,
                    stamp,
                )
                assessments = [
                    self._insert_assessment(
                        tx, j.assessment(report.id, analyst or self.user, logged_at), stamp
                    )
                    for j in judgements
                ]
                if inbox_entry is not None:  # first: "already dealt with" says more
                    assessed = Action(inbox_entry, EntryStatus.ASSESSED, report.id)
                    self._take_action(tx, assessed, stamp)
                if report_id is None:  # a new report: is it one already logged?
                    _check_not_logged(tx, report, assessments, force)
                result = Logged(report, assessments, {})
                if dry_run:
                    # a linked question is computed with its group: read it all in this write
                    links = self.links(logged_at)
                    linked = {k for link in links for k in (link.child, *link.parents)}
                    whole = tx.history(None) if linked & set(ids) else None
                    after = {
                        q: self.state(
                            q, history=whole or tx.history([q]), explain=False, as_of=logged_at
                        )
                        for q in ids
                    }
                    result = Logged(report, assessments, {q: (before[q], after[q]) for q in ids})
                    raise _Rollback(result)
        except _Rollback as rollback:
            return rollback.result
        self._snapshot(ids, "evidence", logged_at)
        return result

    def judge(
        self,
        question_id: str,
        probability: float | Sequence[tuple[str, float]],
        *,
        rationale: str = "",
        analyst: str | None = None,
        dry_run: bool = False,
    ) -> Logged:
        """Log "I am now at P" as evidence: the LR that moves the forecast there from now.

        Stored as a report of its own (source ``JUDGEMENT_SOURCE``, its own origin) and an
        assessment with that LR (choice: likelihoods) at reliability 1, keeping the stated
        probability beside it. For an event question the LR bears on the first deadline still
        open. ``dry_run`` gives the previews without storing anything.
        """
        now = self.now()
        current = self.state(question_id, explain=False, as_of=now)
        judgement = judgement_for(current, probability, rationale)
        who = analyst or self.user
        return self.log_evidence(
            [judgement],
            source=JUDGEMENT_SOURCE,
            published=now,
            analyst=who,
            title=f"{who}: now at {_describe(judgement.judged)}",
            summary=rationale,
            dry_run=dry_run,
            force=True,  # each judgement is a report of its own, however alike their titles
        )

    def correct_assessment(
        self,
        assessment_id: str,
        *,
        lr: float | None = None,
        strength: str | None = None,
        likelihoods: Sequence[tuple[str, float]] = (),
        rationale: str | None = None,
        reason: str,
        retract: bool = False,
    ) -> Assessment:
        """A new version of an assessment (a changed judgement, or a retraction)."""
        if not reason.strip():
            raise ForecastError("a correction needs a reason")
        if strength is not None:
            lr = strength_to_lr(strength)
        check_id(assessment_id, "assessment")
        with self.store.write() as tx:
            versions = tx.assessment_versions(assessment_id)
            if not versions:
                raise NotFound(f"no assessment {assessment_id!r}")
            last = versions[-1]
            if retract and last.retracted:
                raise ForecastError(
                    f"assessment {assessment_id!r} was already retracted on "
                    f"{last.logged_at:%Y-%m-%d} ({last.reason})"
                )
            changed = replace(
                last,
                version=last.version + 1,
                retracted=retract,
                reason=reason,
                lr=lr if lr is not None else last.lr,
                likelihoods=tuple(likelihoods) or last.likelihoods,
                strength=strength
                if strength is not None
                else ("" if lr is not None else last.strength),
                rationale=last.rationale if rationale is None else rationale,
            )
            stored = self._insert_assessment(tx, changed, self._live())
        self._snapshot([stored.question_id], "evidence", stored.logged_at)
        return stored

    def edit_report(
        self,
        report_id: str,
        *,
        reason: str,
        title: str | None = None,
        summary: str | None = None,
        url: str | None = None,
        origin: str | None = None,
    ) -> Report:
        """A new version of a report with its title, summary, URL or origin changed.

        Its source and published time are what the report is, and stay. A changed origin
        moves the report into another echo cluster from now on; what was known before keeps
        the old one (every read takes the version known at its time).
        """
        if not reason.strip():
            raise ForecastError("an edit needs a reason")
        check_id(report_id, "report")
        with self.store.write() as tx:
            versions = tx.report_versions(report_id)
            if not versions:
                raise NotFound(f"no report {report_id!r}")
            last = versions[-1]
            if last.retracted:
                raise ForecastError(f"report {report_id!r} was retracted: it takes no edits")
            edited = replace(
                last,
                version=last.version + 1,
                reason=reason,
                title=last.title if title is None else title,
                summary=last.summary if summary is None else summary,
                url=last.url if url is None else url,
                origin=last.origin if origin is None else origin,
            )
            if replace(edited, version=last.version, reason=last.reason) == last:
                raise ForecastError(
                    f"report {report_id!r} already reads so: give a new title, summary, URL "
                    "or origin"
                )
            report = validate_report(self._live().logged(edited))
            _check_url_free(tx, report)
            tx.insert_report(report)
            cited = {a.question_id for a in tx.assessments_of_report(report_id)}
        self._snapshot(cited, "evidence", report.logged_at)
        return report

    def retract_report(self, report_id: str, *, reason: str) -> Report:
        if not reason.strip():
            raise ForecastError("a retraction needs a reason")
        check_id(report_id, "report")
        with self.store.write() as tx:
            versions = tx.report_versions(report_id)
            if not versions:
                raise NotFound(f"no report {report_id!r}")
            last = versions[-1]
            if last.retracted:
                raise ForecastError(
                    f"report {report_id!r} was already retracted on "
                    f"{last.logged_at:%Y-%m-%d} ({last.reason})"
                )
            report = validate_report(
                self._live().logged(
                    replace(last, version=last.version + 1, retracted=True, reason=reason)
                )
            )
            tx.insert_report(report)
            cited = {a.question_id for a in tx.assessments_of_report(report_id)}
        self._snapshot(cited, "evidence", report.logged_at)
        return report

    def resolve(
        self,
        question_id: str,
        outcome: str,
        resolved_on: datetime,
        note: str = "",
        *,
        correction: bool = False,
        event_on: datetime | None = None,
    ) -> Resolution:
        """Resolve (or annul) a question; ``correction`` replaces an earlier resolution.

        ``event_on``: an event question resolved yes, the day the event happened when that
        is not ``resolved_on`` (the rungs, the scores and the learning read it)."""
        with self.store.write() as tx:
            version = tx.latest_version("resolution", question_id) + 1 if correction else 1
            if correction and version == 1:
                raise ForecastError(f"question {question_id} has no resolution to correct")
            res = self._insert_resolution(
                tx,
                Resolution(
                    question_id, outcome, resolved_on, note, version=version, event_on=event_on
                ),
                self._live(),
            )
        self._snapshot([question_id], "resolution", res.logged_at)
        return res

    def import_history(
        self, history: History, *, snapshots: Sequence[Snapshot] = ()
    ) -> dict[str, int]:
        """Store a whole scenario in one transaction: all of it, or nothing.

        ``snapshots`` (stored forecasts, from a scenario file's ``snapshots:`` section) are
        stored last, as given and in the order given, for questions of ``history`` or of
        the store; they get new store ids.

        Every record keeps the times it states (a missing one is now) and is marked as
        imported now by this tracker's user: the audit shows both, and scores resting on
        imported snapshots say so.
        """
        from forecast import scenario

        stamp = _Stamp(self.now(), self.user, imported=True)
        now = stamp.at
        with self.store.write() as tx:
            for s in history.sources:
                with _naming("source", s.name):
                    self._insert_source(tx, s, stamp)
            earlier: dict[str, list[Question]] = {}
            for v in sorted(history.question_versions, key=lambda v: v.version):
                earlier.setdefault(v.id, []).append(v)
            for q in history.questions:
                with _naming("question", q.id):
                    self._import_question(tx, [*earlier.get(q.id, ()), q], stamp)
            for r in history.reports:
                with _naming("report", r.id):
                    self._insert_report(tx, r, stamp)
            for a in history.assessments:
                with _naming("assessment", a.id):
                    self._insert_assessment(tx, a, stamp)
            for res in history.resolutions:
                with _naming("resolution of", res.question_id):
                    self._insert_resolution(tx, res, stamp)
            if history.links:
                self._import_links(tx, history.links, stamp)
            if snapshots:
                known = {q.id: q for q in tx.questions()}
                checked = []
                for snap in snapshots:
                    question = known.get(snap.question_id)
                    where = f"snapshot of {snap.question_id!r} taken {iso(snap.taken_at)}"
                    if question is None:
                        raise NotFound(f"{where}: no question {snap.question_id!r}")
                    self.check_past(f"snapshot of {snap.question_id!r} is taken at", snap.taken_at)
                    try:
                        imported = replace(snap, id=None, imported_at=now, imported_by=self.user)
                        checked.append(scenario.check_snapshot(imported, question))
                    except ForecastError as exc:
                        raise ForecastError(f"{where}: {exc}") from None
                tx.insert_snapshots(checked)
        counts = {
            "questions": len(history.questions),
            "sources": len(history.sources),
            "reports": len(history.reports),
            "assessments": len(history.assessments),
            "resolutions": len(history.resolutions),
        }
        if history.links:
            counts["links"] = len(history.links)
        if snapshots:
            counts["snapshots"] = len(snapshots)
        return counts

    def import_scenario(self, text: str, *, name: str = "scenario") -> dict[str, int]:
        from forecast import scenario

        loaded = scenario.load_all(text, name=name)
        try:
            return self.import_history(loaded.history, snapshots=loaded.snapshots)
        except ForecastError as exc:
            raise type(exc)(f"{name}: {exc}") from None

    def export_scenario(self) -> str:
        """Every version of every record, and every stored snapshot, as a scenario file."""
        from forecast import scenario

        with self.store.read() as tx:
            return scenario.dumps(tx.history(None), tx.snapshots())

    # ---------------------------------------------------------------- reads

    def question(self, question_id: str) -> Question:
        check_id(question_id, "question")
        with self.store.read() as tx:
            q = tx.question(question_id)
        if q is None:
            raise NotFound(f"no question {question_id!r}")
        return q

    def question_versions(self, question_id: str) -> list[Question]:
        """Every version of a question, oldest first: as created, then each edit."""
        check_id(question_id, "question")
        with self.store.read() as tx:
            versions = tx.question_versions(question_id)
        if not versions:
            raise NotFound(f"no question {question_id!r}")
        return versions

    def sources(self) -> list[Source]:
        """The latest version of every source, by name."""
        with self.store.read() as tx:
            versions = tx.source_versions(None)
        latest = evidence.known_as_of(versions, lambda s: s.name, None)
        return sorted(latest.values(), key=lambda s: s.name.casefold())

    def source_versions(self, name: str) -> list[Source]:
        check_text(name, "source name", required=True)
        with self.store.read() as tx:
            versions = tx.source_versions(name)
        if not versions:
            raise NotFound(f"no source {name!r}")
        return versions

    def reports(self) -> list[Report]:
        """The latest version of every report (retracted ones included), newest first."""
        history = self.history(None)
        latest = evidence.known_as_of(history.reports, lambda r: r.id, None)
        return sorted(latest.values(), key=lambda r: (r.published, r.id), reverse=True)

    def origins_like(self, origin: str, published: datetime) -> list[str]:
        """Origins already logged that resemble a new ``origin`` (none if it is spelt as one
        of them, ``matching.origin_key``): it may be an echo of one of them."""
        key = matching.origin_key(origin, utc(published))
        if not key:
            return []
        with self.store.read() as tx:
            known = tx.origins()
        keys = {o: matching.origin_key(o, when) for o, when in known}
        if key in keys.values():
            return []  # it joins an origin already logged: nothing to suggest
        # Compared by who they name, dates left out: "senior White House officials" is like
        # "senior White House official, 2025-10-21".
        names = {o: matching.origin_name(o, when) for o, when in known}
        found = matching.resembling(matching.origin_name(origin, utc(published)), names.values())
        return sorted((o for o in names if names[o] in found), key=lambda o: found.index(names[o]))

    def search(self, query: str, *, limit: int = 20) -> list[SearchHit]:
        """Questions, reports and assessments whose text matches every word of ``query``
        (by prefix, case aside; any version), best first, each as it stands now."""
        if not 1 <= limit <= 1000:
            raise ForecastError(f"a search returns 1 to 1000 results, not {limit}")
        with self.store.read() as tx:
            return [self._hit(tx, kind, key) for kind, key in tx.search(query, limit)]

    def _hit(self, tx: Session, kind: str, key: str) -> SearchHit:
        if kind == "question":
            q = tx.question(key)
            assert q is not None  # the index holds stored rows only
            return SearchHit(kind, key, q.title, q.criteria, (key,))
        if kind == "report":
            r = tx.report_versions(key)[-1]
            cited = tuple(sorted({a.question_id for a in tx.assessments_of_report(key)}))
            return SearchHit(kind, key, r.title, r.summary, cited, r.retracted)
        a = tx.assessment_versions(key)[-1]
        r = tx.report_versions(a.report_id)[-1]
        gone = a.retracted or r.retracted
        return SearchHit(kind, key, r.title, a.rationale, (a.question_id,), gone)

    def counts(self) -> dict[str, int]:
        """Rows in each table: a value that changes whenever anything is written."""
        with self.store.read() as tx:
            return tx.counts()

    # ---------------------------------------------------------------- stored forecasts

    def snapshots(
        self, question_ids: Sequence[str] | None = None, *, until: datetime | None = None
    ) -> list[Snapshot]:
        """Stored snapshots taken by ``until`` (default: all), by question, then time."""
        with self.store.read() as tx:
            return tx.snapshots(question_ids, until=until)

    def snapshot_times(self, reasons: Sequence[str] | None = None) -> list[tuple[str, datetime]]:
        """(question id, taken at) of every stored snapshot (taken for one of ``reasons``)."""
        with self.store.read() as tx:
            return tx.snapshot_times(reasons)

    def store_snapshots(self, snaps: Sequence[Snapshot]) -> int:
        """Store snapshots in one transaction; none may be taken ahead of the clock."""
        for s in snaps:  # a snapshot records what was said: it cannot be taken ahead
            self.check_past(f"snapshot of {s.question_id!r} is taken at", s.taken_at)
        if not snaps:
            return 0
        with self.store.write() as tx:
            return tx.insert_snapshots(snaps)

    def reference_sets(self) -> list[ReferenceSet]:
        """Every imported reference forecast set, by name."""
        with self.store.read() as tx:
            return tx.reference_sets()

    def reference_rows(
        self, name: str, qids: Sequence[str] | None = None
    ) -> tuple[list[ReferenceQuestion], list[tuple[str, date, float]]]:
        """One stored reference: its questions, and (qid, day, p) for ``qids`` (or all)."""
        with self.store.read() as tx:
            if not any(r.name == name for r in tx.reference_sets()):
                raise NotFound(f"no reference {name!r}: import it with `forecast import-reference`")
            return tx.reference_questions(name), tx.reference_points(name, qids)

    def add_reference(
        self,
        name: str,
        files: tuple[str, str],
        questions: Sequence[ReferenceQuestion],
        points: Sequence[tuple[str, date, float]],
    ) -> list[str]:
        """Store a reference set under a new name, all or nothing; returns the ids of the
        tracked questions it covers."""
        check_id(name, "reference")
        ref = ReferenceSet(name, files[0], files[1], self.now(), self.user)
        with self.store.write() as tx:
            if any(r.name == name for r in tx.reference_sets()):
                raise ForecastError(f"reference {name!r} already exists: import under another name")
            tx.insert_reference(ref, questions, points)
            tracked = {q.id for q in tx.questions()}
        return sorted(q.qid for q in questions if q.qid in tracked)

    def evidence(
        self,
        question_id: str | None = None,
        *,
        as_of: datetime | None = None,
        history: History | None = None,
    ) -> list[EvidenceEntry]:
        """Every assessment (of one question, or of all) as it stands at knowledge time
        ``as_of`` (default: now), with its report and whether it counts; newest report
        first. ``history``: the records to read (a cache's), instead of the store's."""
        if question_id is not None and history is None:
            self.question(question_id)  # a clear NotFound
        if history is None:
            history = self.history(None if question_id is None else [question_id])
        reports = evidence.known_as_of(history.reports, lambda r: r.id, as_of)
        current = evidence.known_as_of(history.assessments, lambda a: a.id, as_of).values()
        mine = [
            a
            for a in current
            if (question_id is None or a.question_id == question_id) and a.report_id in reports
        ]
        cluster: dict[tuple[str, str], set[str]] = {}
        for a in mine:
            cluster.setdefault((a.question_id, reports[a.report_id].origin_key), set()).add(
                a.report_id
            )
        entries = []
        for a in mine:
            r = reports[a.report_id]
            status = "retracted" if a.retracted else "report retracted" if r.retracted else "counts"
            echoes = tuple(sorted(cluster[(a.question_id, r.origin_key)] - {r.id}))
            entries.append(EvidenceEntry(r, a, status, echoes))
        entries.sort(key=lambda e: (e.report.published, e.report.id, e.assessment.id), reverse=True)
        return entries

    def history(self, question_ids: Sequence[str] | None = None) -> History:
        with self.store.read() as tx:
            return tx.history(question_ids)

    def state(
        self,
        question_id: str,
        *,
        as_of: datetime | None = None,
        analyst: str | None = None,
        history: History | None = None,
        explain: bool = True,
        learned: Learned | None = None,
    ) -> QuestionState:
        """What was believed about a question at knowledge time ``as_of`` (default: now).

        With ``learned`` (a fit from :meth:`learned_fit`), the sources' reliabilities, the
        analysts' calibration exponents and the decay shape are the fit's posterior means
        instead of the stated values.
        """
        question, history = self._with_history(question_id, history)
        cutoff = as_of or self.now()
        links = self.links(cutoff)
        group = {k for link in links for k in (link.child, *link.parents)}
        if question_id in group:
            # computed with its group: the history given, if it holds every question
            if not group <= {q.id for q in history.questions}:
                history = self.history(None)
            return self._linked_states(
                history, [question_id], cutoff, analyst=analyst, explained=explain,
                learned=learned, links=links,
            )[question_id]  # fmt: skip
        return self._state(question, history, cutoff, analyst, explain, learned=learned)

    def _with_history(self, question_id: str, history: History | None) -> tuple[Question, History]:
        """The question and its history (read now unless given); NotFound if it is not there."""
        check_id(question_id, "question")
        if history is None:
            history = self.history([question_id])
        question = next((q for q in history.questions if q.id == question_id), None)
        if question is None:
            raise NotFound(f"no question {question_id!r}")
        return question, history

    def states(
        self,
        *,
        as_of: datetime | None = None,
        learned: Learned | None = None,
        history: History | None = None,
    ) -> list[QuestionState]:
        """Every question as it stood at ``as_of``, without leave-one-out explanations
        (``history``: the whole record, default read now)."""
        if history is None:
            history = self.history(None)
        rel = evidence.reliabilities(history.sources, as_of)
        parts = evidence.by_question(history)
        shown = [
            q for q in history.questions
            if as_of is None or q.created_at is None or q.created_at <= as_of
        ]  # fmt: skip
        linked = self._linked_states(
            history, [q.id for q in shown], as_of, moves=False, rel=rel, learned=learned,
            parts=parts,
        )  # fmt: skip
        return [
            linked.get(q.id)
            or self._state(q, parts[q.id], as_of, None, False, rel, learned=learned)
            for q in shown
        ]

    def precompute(self, *, as_of: datetime | None = None) -> Precomputed:
        """Compute what the dashboard opens on: every question's state at knowledge time
        ``as_of`` (default: the end of today, the overview's default).

        What costs is the linked groups' (one inference a day and one fit a claim shared
        by several questions), and the cache folder keeps it: a later process (the
        dashboard's overview, a snapshot) reads it instead, until the records or the code
        change. So after an upgrade, which empties the folder, the first visitor need not
        wait for it. A linked question's page and the weekly report also ask each report's
        move, which this does not compute. With the cache off, this only fills this
        process's memory."""
        from forecast import linking

        cutoff = as_of or end_of_day(self.now())
        shown = self.states(as_of=cutoff)
        created = {s.question.id for s in shown}
        group = {k: g for k, g in linking.components(self.links(cutoff)).items() if k in created}
        return Precomputed(cutoff, len(shown), len(set(group.values())), len(group))

    def band(
        self,
        question_id: str,
        *,
        as_of: datetime | None = None,
        analyst: str | None = None,
        history: History | None = None,
        draws: Draws | None = None,
        prob: float = BAND,
    ) -> Band:
        """The credible band (central mass ``prob``) of a binary or event question's
        trajectory, one value per day of ``state(..., learned=...).trajectory``: the spread
        of the forecast over the saved fit's posterior draws of the sources' reliabilities
        and the analysts' calibration (event: of its headline, the first deadline still
        open). ``draws`` default to the saved fit's, refused like the fit when stale or
        failed; a choice question is refused."""
        from forecast.learning import bands, fits
        from forecast.learning.data import evidence_of, source_types

        question, history = self._with_history(question_id, history)
        cutoff = as_of or self.now()
        linked = any(question_id in (link.child, *link.parents) for link in self.links(cutoff))
        if linked and not kinds.has_options(question):  # a choice question: refused below
            raise ForecastError(
                f"no credible band for {question_id}: it is linked, and bands cover a "
                "question's own evidence only"
            )
        if draws is None:
            draws = fits.load_draws(history=self.history(None))
        resolution = evidence.resolution_as_of(history, question_id, cutoff)
        end = cutoff if resolution is None else min(cutoff, resolution.resolved_on)
        stated = evidence.reliabilities(history.sources, cutoff)
        found = [
            e
            for e in evidence_of(question, history, as_of=cutoff, stated=stated)
            if analyst is None or e.item.analyst == analyst
        ]
        types = source_types(history, cutoff)
        return bands.band(question, found, end, draws, prob=prob, stated=stated, types=types)

    def learned_fit(self, directory: str | Path | None = None) -> Learned:
        """The saved fit (``forecast calibrate``), if it may be used for forecasts now.

        Refused, with a message that says what to run, when there is none, when it was made
        by another model version, when the track record has changed since (a question
        resolved, an assessment corrected), or when it failed its diagnostics.
        """
        from forecast.learning import fits

        return fits.load_learned(directory, history=self.history(None))

    def _state(
        self,
        question: Question,
        history: History,
        as_of: datetime | None,
        analyst: str | None,
        explained: bool,
        rel: dict[str, float] | None = None,
        *,
        learned: Learned | None = None,
    ) -> QuestionState:
        """The question's state on its own evidence (its links are not applied)."""
        return self._alone(question, history, as_of, analyst, explained, rel, learned)[0]

    def _alone(
        self,
        question: Question,
        history: History,
        as_of: datetime | None,
        analyst: str | None,
        explained: bool,
        rel: dict[str, float] | None,
        learned: Learned | None,
    ) -> tuple[QuestionState, list[Item]]:
        cutoff = as_of or self.now()
        if cutoff > self.now() + MAX_LOOKAHEAD:
            raise ForecastError(f"as-of {iso(cutoff)} is more than ten years ahead")
        if analyst is not None or explained or learned is not None or len(history.questions) > 1:
            # (a history of many questions: its key would cost a pass over all their records)
            return self._alone_now(question, history, cutoff, analyst, explained, rel, learned)
        key = (
            question, cutoff, tuple(sorted(rel.items())) if rel is not None else None,
            *(tuple(records) for records in (
                history.sources, history.reports, history.assessments, history.resolutions,
                history.question_versions,
            )),
        )  # fmt: skip
        return _recent().get(key) or _recent().put(
            key, self._alone_now(question, history, cutoff, analyst, explained, rel, learned)
        )

    def _alone_now(
        self,
        question: Question,
        history: History,
        cutoff: datetime,
        analyst: str | None,
        explained: bool,
        rel: dict[str, float] | None,
        learned: Learned | None,
    ) -> tuple[QuestionState, list[Item]]:
        question = evidence.question_as_of(question, history, cutoff)
        resolution = evidence.resolution_as_of(history, question.id, cutoff)
        end = _end(cutoff, resolution)
        exponents = None
        if learned is not None:
            question, rel, exponents = _learned_trust(question, history, cutoff, rel, learned)
        items = evidence.items_for(
            question, history, as_of=cutoff, analyst=analyst, reliability=rel, exponents=exponents
        )
        traj = compute(question, items, end)
        ids = {i.report_id for i in items}
        contributions = (
            explain(question, items, end, traj)
            if explained
            else [
                Contribution(m.report_id, m.increment, m.after - m.before, np.nan)
                for m in traj.moves
            ]
        )
        current = evidence.known_as_of(
            (a for a in history.assessments if a.question_id == question.id), lambda a: a.id, cutoff
        )
        state = QuestionState(
            question=question,
            as_of=cutoff,
            resolution=resolution,
            trajectory=traj,
            contributions=contributions,
            reports=self._reports_of(history, ids, cutoff),
            assessments=[a for a in current.values() if not a.retracted and a.report_id in ids],
            sources=evidence.sources_as_of(history.sources, cutoff),
            learned=learned,
            last_logged=max((a.logged_at for a in current.values() if a.logged_at), default=None),
        )
        return state, items

    @staticmethod
    def _reports_of(history: History, ids: set[str], cutoff: datetime) -> dict[str, Report]:
        reports = evidence.known_as_of(
            (r for r in history.reports if r.id in ids), lambda r: r.id, cutoff
        )
        return {str(k): v for k, v in reports.items()}

    def linked_states(
        self,
        question_ids: Sequence[str],
        *,
        as_of: datetime,
        history: History | None = None,
        moves: bool = False,
    ) -> dict[str, QuestionState]:
        """The states at ``as_of`` of those of ``question_ids`` that are linked then, without
        leave-one-out explanations: the network's forecasts, each group computed once for
        all of them. ``history`` (default: read now) must hold every question. ``moves``:
        with each report's move (as :meth:`state` with ``explain=False`` gives them), at one
        inference per report of the group."""
        return self._linked_states(
            history or self.history(None), question_ids, as_of, moves=moves
        )

    def _linked_states(
        self,
        history: History,
        wanted: Iterable[str],
        as_of: datetime | None,
        *,
        analyst: str | None = None,
        explained: bool = False,
        moves: bool = True,
        rel: dict[str, float] | None = None,
        learned: Learned | None = None,
        links: Sequence[QuestionLink] | None = None,
        parts: dict[str, History] | None = None,
    ) -> dict[str, QuestionState]:
        """The states of the wanted questions that are linked at ``as_of``: each one the
        network's, computed with its group (``linking.group_days``). ``history`` must hold
        every question of those groups. Unlinked questions are not in the result.

        Without ``moves`` (the overview, snapshots: one inference a day instead of one a
        report as well), a state's trajectory has no moves and its contributions list the
        reports counted in its group by its last day, with no step."""
        from forecast import linking

        cutoff = as_of or self.now()
        if links is None:
            links = self.links(cutoff)
        group = linking.components(links)
        wanted = set(wanted)
        groups = sorted({group[k] for k in wanted if k in group})
        if not groups:
            return {}
        if parts is None:
            parts = evidence.by_question(history)
        if rel is None:
            rel = evidence.reliabilities(history.sources, cutoff)
        latest = {q.id: q for q in history.questions}
        out: dict[str, QuestionState] = {}
        for g in groups:
            keys = sorted(k for k, v in group.items() if v == g)
            mine = [link for link in links if group[link.child] == g]
            alone = {
                k: self._alone(latest[k], parts[k], cutoff, analyst, False, rel, learned)
                for k in keys
            }
            questions = {k: s.question for k, (s, _) in alone.items()}
            net = linking.network(questions, mine)
            resolutions = {k: s.resolution for k, (s, _) in alone.items()}
            items = {k: its for k, (_, its) in alone.items()}
            counted = linking.count(net, questions, items, mine, resolutions)
            ends = {k: _end(cutoff, resolutions[k]) for k in keys}
            shown = [k for k in keys if k in wanted]
            found = linking.group_days(
                net, questions, counted, resolutions, ends, moves=moves or explained, shown=shown
            )
            implied = net.marginals()
            assessed = [s.assessments for s, _ in alone.values()]
            # every report counted in the group is cited by one of its questions
            cited = replace(history, reports=[r for k in keys for r in parts[k].reports])
            for k in shown:
                own = alone[k][0]
                traj = linking.linked_trajectory(own.trajectory, found)
                if explained:
                    contributions = linking.explain_linked(
                        net, questions, counted, resolutions, ends[k], k, traj.moves
                    )
                elif traj.moves:
                    contributions = [
                        Contribution(m.report_id, m.increment, m.after - m.before, np.nan,
                                     counted.via(k, m.report_id))
                        for m in traj.moves
                    ]  # fmt: skip
                else:
                    contributions = [
                        Contribution(r, np.nan, np.nan, np.nan, counted.via(k, r))
                        for r in counted.reports(ends[k])
                    ]
                ids = {c.report_id for c in contributions}
                out[k] = replace(
                    own,
                    trajectory=traj,
                    contributions=contributions,
                    reports=self._reports_of(cited, ids | set(own.reports), cutoff),
                    assessments=[a for its in assessed for a in its if a.report_id in ids],
                    alone=own.trajectory,
                    linked_to=tuple(x for x in keys if x != k),
                    implied_prior=linking.reading(questions[k], implied[k], 0).headline,
                )
        return out

    # ---------------------------------------------------------------- snapshots

    def _snapshot(
        self, question_ids: Iterable[str], reason: str, logged_at: datetime | None
    ) -> None:
        """Snapshot the questions a write touched, as they stand once it has landed.

        Taken now, or at the write's knowledge time if another machine's clock put that
        slightly ahead, so the snapshot always includes the write itself. The states are
        computed outside the write's transaction: holding the database's write lock while
        the maths runs would make concurrent analysts queue (SQLite has one writer). If
        the process dies between the two, the daily snapshot or a backfill covers the day.
        """
        ids = sorted(set(question_ids))
        if not ids:
            return
        at = self.now() if logged_at is None else max(self.now(), logged_at)
        try:
            snaps = [s.snapshot(at, reason, self.user) for s in self._states_of(ids, at)]
            with self.store.write() as tx:
                tx.insert_snapshots(snaps)
        except ForecastError as exc:
            # The write itself has landed: failing now would invite a retry that stores it
            # twice. Say so instead; the next daily snapshot or a backfill covers the day.
            warnings.warn(
                f"saved, but no snapshot was taken of {', '.join(ids)} ({exc}); the daily "
                "snapshot (`forecast snapshot`) will record the forecast",
                SnapshotWarning,
                stacklevel=3,
            )

    def _states_of(self, ids: Sequence[str], at: datetime) -> list[QuestionState]:
        """The states at ``at`` of the questions ``ids`` and of every question linked to
        them (a report on one moves the others), without explanations."""
        from forecast import linking

        links = self.links(at)
        group = linking.components(links)
        touched = {group[k] for k in ids if k in group}
        wanted = sorted(set(ids) | {k for k, g in group.items() if g in touched})
        history = self.history(wanted if not touched else None)
        linked = self._linked_states(history, wanted, at, moves=False, links=links)
        parts = evidence.by_question(history)
        return [
            linked.get(q.id) or self._state(q, parts[q.id], at, None, False)
            for q in history.questions
            if q.id in wanted
        ]

    # ---------------------------------------------------------------- checked inserts

    def _insert_question(self, tx: Session, q: Question) -> None:
        self.check_past(f"question {q.id!r} is created at", q.created_at)
        if tx.question(q.id) is not None:
            raise ForecastError(f"question {q.id!r} already exists")
        tx.insert_question(q)

    def _import_question(self, tx: Session, versions: list[Question], stamp: _Stamp) -> None:
        """Store a question and its edits as a file states them, marked as imported."""
        first = versions[0]
        if first.version != 1:
            raise ForecastError(f"has version {first.version} but no version 1")
        first = validate_question(
            replace(
                first,
                created_at=first.created_at or stamp.at,
                created_by=first.created_by or self.user,
                imported_at=stamp.at,
                imported_by=self.user,
            )
        )
        self._insert_question(tx, first)
        before = first
        for v in versions[1:]:
            self.check_past(f"version {v.version} is edited at", v.edited_at)
            edited = replace(
                v,
                created_at=first.created_at,
                created_by=first.created_by,
                edited_at=v.edited_at or stamp.at,
                edited_by=v.edited_by or self.user,
                imported_at=stamp.at,
                imported_by=self.user,
            )
            before = check_edit(before, edited)
            tx.insert_question_version(before)

    def _insert_source(self, tx: Session, s: Source, stamp: _Stamp) -> Source:
        self._check_logged(f"source {s.name!r}", s.logged_at)
        s = validate_source(stamp.logged(s))
        _check_next_version(tx, "source", s.name, s)
        tx.insert_source(s)
        return s

    def _report_for_evidence(
        self,
        tx: Session,
        report_id: str | None,
        new_report_id: str | None,
        source: str | None,
        published: datetime | None,
        origin: str,
        title: str,
        summary: str,
        url: str,
        stamp: _Stamp,
    ) -> Report:
        if report_id is None:
            if source is None or published is None:
                raise ForecastError("a new report needs a source and a published time")
            if source == JUDGEMENT_SOURCE and not tx.source_versions(source):
                # made on first use, in the same transaction (a dry run leaves no trace)
                self._insert_source(tx, Source(source, 1.0, "analyst judgement"), stamp)
            report = Report(
                id=new_report_id or new_id("r"),
                published=published,
                source=source,
                title=title,
                summary=summary,
                url=url,
                origin=origin,
            )
            return self._insert_report(tx, report, stamp)
        versions = tx.report_versions(check_id(report_id, "report"))
        if not versions:
            raise NotFound(f"no report {report_id!r}")
        report = versions[-1]
        if report.retracted:
            raise ForecastError(f"report {report_id!r} was retracted")
        if source is not None and source != report.source:
            raise ForecastError(f"report {report_id!r} is from {report.source!r}, not {source!r}")
        if published is not None and utc(published) != report.published:
            raise ForecastError(
                f"report {report_id!r} was published {iso(report.published)}, not {iso(published)}"
            )
        return report

    def _insert_report(self, tx: Session, r: Report, stamp: _Stamp) -> Report:
        r = validate_report(stamp.logged(r))
        self._check_logged(f"report {r.id!r}", r.logged_at)
        if not tx.source_versions(r.source):
            from forecast.scenario import quote  # a name from a file may be long

            raise NotFound(f"no source {quote(r.source)}: add it with `forecast source add`")
        if r.logged_at is not None and r.published > r.logged_at:
            raise ForecastError(
                f"report {r.id!r} is published {iso(r.published)}, after it was logged "
                f"({iso(r.logged_at)})"
            )
        _check_next_version(tx, "report", r.id, r)
        tx.insert_report(r)
        return r

    def _insert_assessment(self, tx: Session, a: Assessment, stamp: _Stamp) -> Assessment:
        a = stamp.logged(a)
        self._check_logged(f"assessment {a.id!r}", a.logged_at)
        question = tx.question(check_id(a.question_id, "question"))
        if question is None:
            raise NotFound(f"no question {a.question_id!r}")
        a = validate_assessment(a, question)
        reports = tx.report_versions(a.report_id)
        if not reports:
            raise NotFound(f"no report {a.report_id!r}")
        report = reports[-1]
        self._check_timing(tx, question, report, a)
        _check_next_version(tx, "assessment", a.id, a)
        # One assessment per analyst, report and question: the store refuses a second one,
        # also from a writer racing this one (a check here could not see it).
        tx.insert_assessment(a)
        return a

    def _check_timing(self, tx: Session, question: Question, report: Report, a: Assessment) -> None:
        if report.published < question.opened:
            raise ForecastError(
                f"report {report.id} ({iso(report.published)}) predates question {question.id} "
                f"(opened {iso(question.opened)}): the prior already covers it"
            )
        # "by D" includes all of day D: a report of that day still counts
        if kinds.has_ladder(question) and day_start(report.published) > day_start(
            question.deadlines[-1]
        ):
            raise ForecastError(
                f"report {report.id} is dated after the last deadline of {question.id} "
                f"({iso(question.deadlines[-1])}): resolve the question instead"
            )
        resolutions = tx.resolutions(question.id)
        if resolutions:
            last = resolutions[-1]
            if (
                a.logged_at is None
                or last.logged_at is None
                or last.logged_at <= a.logged_at
                or report.published > last.resolved_on
            ):
                raise ForecastError(
                    f"question {question.id} was resolved ({last.outcome}, "
                    f"{iso(last.resolved_on)}): it takes no more evidence"
                )

    def _insert_resolution(self, tx: Session, res: Resolution, stamp: _Stamp) -> Resolution:
        question = tx.question(check_id(res.question_id, "question"))
        if question is None:
            raise NotFound(f"no question {res.question_id!r}")
        res = validate_resolution(stamp.logged(res), question)
        self._check_logged(f"resolution of {question.id!r}", res.logged_at)
        have = tx.latest_version("resolution", question.id)
        if res.version == 1 and have >= 1:
            raise ForecastError(
                f"question {question.id} is already resolved; a change of resolution is a "
                "correction"
            )
        if res.version != have + 1:
            raise ForecastError(
                f"resolution of {question.id} version {res.version} does not follow {have}"
            )
        tx.insert_resolution(res)
        return res
