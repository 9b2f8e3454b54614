"""Domain types of the tracker and their validation.

Pure: no database, no files, no Streamlit. Every record is an immutable value; the
append-only records (sources, reports, assessments, resolutions) carry a ``version``
and the time it was logged, so a correction is a new value, never an edit.

Knowledge times (``logged_at``, a question's ``created_at``) of live writes come from the
store's clock. A record brought in by an import keeps the times its file states, and says
so: ``imported_at`` and ``imported_by`` record when and by whom it entered this store
(both empty for a live write).
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from forecast import matching
from forecast.clock import day_start, iso, utc
from forecast.errors import ForecastError as ForecastError
from forecast.errors import NotFound as NotFound


class Kind(StrEnum):
    BINARY = "binary"  # a state question: no time decay
    EVENT = "event"  # "will X happen by D": silence is evidence
    CHOICE = "choice"  # mutually exclusive, exhaustive outcomes


class Status(StrEnum):
    OPEN = "open"
    RESOLVED = "resolved"
    ANNULLED = "annulled"


DEFAULT_ALPHA = 1.0
"""Default shape of the Gamma prior on an event's rate. 1 is an exponential mixture:
a fairly uncertain rate. The backtest (``forecast backtest``) is where it is checked."""

ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")
MAX_TEXT = 200_000  # characters; a full article fits, a pasted book does not


# --------------------------------------------------------------------------- checks


def nfc(text: str) -> str:
    """``text`` in Unicode NFC: the one spelling of a name that identifies something.

    "Café" typed on one keyboard (é as one character) and pasted from another (e and a
    combining accent) look the same and must name the same source, option or analyst; the
    validators store every such name in this form, so comparisons and lookups agree.
    """
    return unicodedata.normalize("NFC", text)


def check_id(value: str, what: str) -> str:
    if not isinstance(value, str) or not ID_PATTERN.fullmatch(value):
        raise ForecastError(
            f"{what} id {value!r} is invalid: use 1-128 letters, digits, '.', '_', ':' or '-'"
        )
    return value


def check_text(value: str | None, what: str, *, required: bool = False) -> str:
    text = "" if value is None else value
    if not isinstance(text, str):
        raise ForecastError(f"{what} must be text")
    if required and not text.strip():
        raise ForecastError(f"{what} must not be empty")
    if len(text) > MAX_TEXT:
        raise ForecastError(f"{what} is longer than {MAX_TEXT} characters")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise ForecastError(f"{what} is not valid Unicode text") from None
    if "\x00" in text:
        raise ForecastError(f"{what} contains a NUL character")
    return text


def check_number(value: Any, what: str) -> float:
    if isinstance(value, bool):
        raise ForecastError(f"{what} must be a number, not {value!r}")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ForecastError(f"{what} must be a number, not {value!r}") from None
    except OverflowError:  # an integer beyond the range of a float
        raise ForecastError(f"{what} is too large") from None
    if not math.isfinite(number):
        raise ForecastError(f"{what} must be a finite number, not {value!r}")
    return number


def check_share(value: Any, what: str) -> float:
    """A number typed as ``0.4`` or as a percentage (``40%``, ``40 %``), as a fraction."""
    if isinstance(value, str) and value.strip().endswith("%"):
        return check_number(value.strip()[:-1], what) / 100.0
    return check_number(value, what)


def check_probability(value: Any, what: str = "probability") -> float:
    """A prior probability: strictly between 0 and 1 (certainty cannot be updated)."""
    p = check_number(value, what)
    if not 0.0 < p < 1.0:
        raise ForecastError(f"{what} must be strictly between 0 and 1, not {p:g}")
    return p


def check_reliability(value: Any) -> float:
    r = check_number(value, "reliability")
    if not 0.0 <= r <= 1.0:
        raise ForecastError(f"reliability must be between 0 and 1, not {r:g}")
    return r


def check_ratio(value: Any, what: str = "likelihood ratio") -> float:
    x = check_number(value, what)
    if x <= 0.0:
        raise ForecastError(f"{what} must be greater than 0, not {x:g}")
    if not math.isfinite(math.log(x)):
        raise ForecastError(f"{what} {x:g} is too extreme")
    return x


def check_alpha(value: Any) -> float:
    a = check_number(value, "alpha")
    if not 0.0 < a <= 1e6:
        raise ForecastError(f"alpha must be greater than 0 (and at most 1e6), not {a:g}")
    return a


# --------------------------------------------------------------------------- records


@dataclass(frozen=True)
class Question:
    id: str
    title: str
    kind: Kind
    opened: datetime
    prior: float | None = None  # binary and event
    options: tuple[tuple[str, float], ...] = ()  # choice: (name, prior) in order
    deadlines: tuple[datetime, ...] = ()  # event: ascending; the first is primary
    alpha: float | None = None  # event: None means DEFAULT_ALPHA
    criteria: str = ""
    prior_note: str = ""
    tags: tuple[str, ...] = ()
    created_by: str = ""
    created_at: datetime | None = None
    imported_at: datetime | None = None  # set when the record came in through an import
    imported_by: str = ""
    closes: datetime | None = None  # binary and choice: the day it is to be resolved by
    # An edit is a later version: its own text, close date, deadlines or prior, stamped with
    # when (store's clock), by whom and why. Version 1 is the question as created.
    version: int = 1
    edited_at: datetime | None = None
    edited_by: str = ""
    reason: str = ""

    @property
    def known_from(self) -> datetime | None:
        """When this version became known: its edit, or the question's creation."""
        return self.edited_at if self.version > 1 else self.created_at

    @property
    def option_names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.options)

    @property
    def close(self) -> datetime | None:
        """The day it is to be resolved by: its close date, or an event's last deadline."""
        return self.closes if self.closes is not None else (self.deadlines or (None,))[-1]

    @property
    def shape(self) -> float:
        """The Gamma shape used for decay (event questions)."""
        return DEFAULT_ALPHA if self.alpha is None else self.alpha


@dataclass(frozen=True)
class Source:
    name: str
    reliability: float
    type: str = ""
    version: int = 1
    logged_at: datetime | None = None
    logged_by: str = ""
    reason: str = ""
    imported_at: datetime | None = None
    imported_by: str = ""


@dataclass(frozen=True)
class Report:
    id: str
    published: datetime
    source: str
    title: str = ""
    summary: str = ""
    url: str = ""
    origin: str = ""  # reports sharing an origin are echoes of one claim
    logged_at: datetime | None = None
    logged_by: str = ""
    version: int = 1
    retracted: bool = False
    reason: str = ""
    imported_at: datetime | None = None
    imported_by: str = ""

    @property
    def origin_key(self) -> str:
        """The echo-cluster key: the stated origin however it was spelt
        (``matching.origin_key``), or the report itself."""
        return matching.origin_key(self.origin, self.published) or f"report:{self.id}"


@dataclass(frozen=True)
class Assessment:
    id: str
    report_id: str
    question_id: str
    analyst: str
    lr: float | None = None  # binary and event
    likelihoods: tuple[tuple[str, float], ...] = ()  # choice: relative to a baseline of 1
    strength: str = ""  # the verbal strength it was entered with, if any
    by: datetime | None = None  # event: the deadline the report speaks to (default: the next)
    around: datetime | None = None  # event: a date the report points to ...
    within: int = 0  # ... give or take this many days
    judged: float | tuple[tuple[str, float], ...] | None = None  # "I am now at P"
    rationale: str = ""
    logged_at: datetime | None = None
    logged_by: str = ""
    version: int = 1
    retracted: bool = False
    reason: str = ""
    imported_at: datetime | None = None
    imported_by: str = ""


@dataclass(frozen=True)
class Resolution:
    question_id: str
    outcome: str  # "yes", "no", "annulled" or an option name
    resolved_on: datetime
    note: str = ""
    logged_at: datetime | None = None
    logged_by: str = ""
    version: int = 1
    imported_at: datetime | None = None
    imported_by: str = ""
    event_on: datetime | None = None  # an event resolved yes: the day it happened, if not
    # the resolution date (an event on 20 October, resolved on 3 November)

    @property
    def happened_on(self) -> datetime:
        """The day the event happened (an event question resolved yes): ``event_on`` if
        stated, else the resolution date."""
        return self.event_on if self.event_on is not None else self.resolved_on


@dataclass(frozen=True)
class History:
    """Everything logged about a set of questions: every version of every record.

    ``questions`` holds each question once, as it stands (its latest version);
    ``question_versions`` holds the earlier versions of the questions that were edited.
    """

    questions: Sequence[Question] = ()
    sources: Sequence[Source] = ()
    reports: Sequence[Report] = ()
    assessments: Sequence[Assessment] = ()
    resolutions: Sequence[Resolution] = ()
    extra: Mapping[str, Any] = field(default_factory=dict)
    question_versions: Sequence[Question] = ()
    links: Sequence[Any] = ()  # every version of every child's links (``forecast.links``)


# --------------------------------------------------------------------------- validation


def validate_question(q: Question) -> Question:
    """Check a question and return it normalised (UTC times, sorted deadlines)."""
    check_id(q.id, "question")
    check_text(q.title, "title", required=True)
    check_text(q.criteria, "criteria")
    check_text(q.prior_note, "prior note")
    check_text(q.created_by, "created by")
    for tag in q.tags:
        check_text(tag, "tag", required=True)
    named: dict[str, Any] = {
        "tags": tuple(nfc(t) for t in q.tags),
        "created_by": nfc(q.created_by or ""),
    }
    try:
        kind = Kind(q.kind)
    except ValueError:
        raise ForecastError(f"kind {q.kind!r} is not one of binary, event, choice") from None
    opened = utc(q.opened)
    deadlines = tuple(sorted(utc(d) for d in q.deadlines))
    named["closes"] = _check_closes(q, kind, opened)
    if kind is Kind.CHOICE:
        options = _check_choice_prior(q.options)
        if q.prior is not None:
            raise ForecastError(
                "a choice question takes a prior per option (NAME=P), not one prior"
            )
        if deadlines or q.alpha is not None:
            raise ForecastError("deadlines and alpha apply to event questions only")
        return _replace(q, kind=kind, opened=opened, options=options, deadlines=(), **named)
    if q.options:
        raise ForecastError(f"options apply to choice questions only, not {kind.value}")
    if q.prior is None:
        raise ForecastError(f"a {kind.value} question needs a prior probability")
    prior = check_probability(q.prior, "prior")
    if kind is Kind.BINARY:
        if q.alpha is not None or deadlines:
            raise ForecastError(
                "deadlines and alpha apply to event questions only (a binary question is a "
                "state on a date)"
            )
        return _replace(q, kind=kind, opened=opened, prior=prior, deadlines=(), **named)
    if not deadlines:
        raise ForecastError("an event question needs at least one deadline")
    if len(set(deadlines)) != len(deadlines):
        raise ForecastError("deadlines of one question must be distinct")
    if deadlines[0] <= opened:
        raise ForecastError(
            f"deadline {iso(deadlines[0])} is not after the opened date {iso(opened)}"
        )
    alpha = None if q.alpha is None else check_alpha(q.alpha)
    return _replace(
        q, kind=kind, opened=opened, prior=prior, deadlines=deadlines, alpha=alpha, **named
    )


EDITABLE = ("title", "criteria", "prior_note", "tags", "closes", "deadlines", "prior", "options")
"""What an edit of a question may change; its id, kind, opening, decay shape and option
names are what the question is, and stay."""

MODEL_FIELDS = frozenset({"deadlines", "prior", "options"})
"""Edits that change the model: every probability of the question is computed anew from
its opening (what was believed before the edit stays in its snapshots and as-of reads)."""


def edited_fields(before: Question, after: Question) -> tuple[str, ...]:
    """The editable fields ``after`` changes, in :data:`EDITABLE` order."""
    return tuple(f for f in EDITABLE if getattr(before, f) != getattr(after, f))


def check_edit(before: Question, after: Question) -> Question:
    """Check ``after`` as the next version of ``before`` and return it normalised."""
    fixed = ("kind", "opened", "alpha", "created_at", "created_by")
    moved = [f for f in fixed if getattr(before, f) != getattr(after, f)]
    if after.id != before.id or moved:
        raise ForecastError(
            f"an edit of question {before.id!r} cannot change its "
            f"{', '.join(moved) or 'id'}: these are what the question is"
        )
    if before.options and after.option_names != before.option_names:
        raise ForecastError(
            f"an edit of question {before.id!r} keeps its options "
            f"({', '.join(before.option_names)}) and may change their prior only"
        )
    if after.version != before.version + 1:
        raise ForecastError(
            f"question {before.id} version {after.version} does not follow {before.version}"
        )
    check_text(after.reason, "reason", required=True)
    check_text(after.edited_by, "edited by")
    q = validate_question(after)
    if not edited_fields(before, q):
        raise ForecastError(
            f"question {before.id!r} already reads so: change one of "
            f"{', '.join(f.replace('_', ' ') for f in EDITABLE)}"
        )
    return _replace(q, edited_by=nfc(q.edited_by), edited_at=q.edited_at and utc(q.edited_at))


def _check_closes(q: Question, kind: Kind, opened: datetime) -> datetime | None:
    if q.closes is None:
        return None
    if kind is Kind.EVENT:
        raise ForecastError(
            "an event question closes with its last deadline: give deadlines, not a close date"
        )
    closes = utc(q.closes)
    if closes <= opened:
        raise ForecastError(f"close date {iso(closes)} is not after the opened date {iso(opened)}")
    return closes


PRIOR_SUM_TOLERANCE = 1e-6  # a choice prior must sum to 1 up to rounding in a typed file


def _check_choice_prior(options: Sequence[tuple[str, float]]) -> tuple[tuple[str, float], ...]:
    if len(options) < 2:
        raise ForecastError("a choice question needs at least two options (NAME=P)")
    names = [nfc(check_text(name, "option name", required=True).strip()) for name, _ in options]
    if len(set(names)) != len(names):
        raise ForecastError("option names of one question must be distinct")
    reserved = {"yes", "no", "annulled"} & {n.casefold() for n in names}
    if reserved:
        raise ForecastError(f"option name {sorted(reserved)[0]!r} is reserved")
    probs = [
        check_probability(p, f"prior of option {n!r}")
        for n, (_, p) in zip(names, options, strict=True)
    ]
    total = math.fsum(probs)
    if abs(total - 1.0) > PRIOR_SUM_TOLERANCE:
        raise ForecastError(f"the option priors must sum to 1, not {total:g}")
    return tuple(zip(names, probs, strict=True))


def validate_source(s: Source) -> Source:
    check_text(s.name, "source name", required=True)
    if s.name != s.name.strip():
        raise ForecastError("source name must not start or end with spaces")
    check_text(s.type, "source type")
    check_text(s.reason, "reason")
    return _replace(
        s,
        name=nfc(s.name),
        logged_by=nfc(s.logged_by),
        reliability=check_reliability(s.reliability),
    )


def validate_report(r: Report) -> Report:
    check_id(r.id, "report")
    check_text(r.source, "source", required=True)
    for name in ("title", "summary", "url", "origin", "logged_by", "reason"):
        check_text(getattr(r, name), name)
    logged = None if r.logged_at is None else utc(r.logged_at)
    return _replace(
        r,
        source=nfc(r.source),
        origin=nfc(r.origin),  # echoes are found by origin: one spelling of it
        logged_by=nfc(r.logged_by),
        published=utc(r.published),
        logged_at=logged,
    )


def validate_assessment(a: Assessment, question: Question) -> Assessment:
    """Check an assessment against the question it bears on."""
    check_id(a.id, "assessment")
    check_text(a.analyst, "analyst", required=True)
    check_text(a.rationale, "rationale")
    check_text(a.reason, "reason")
    a = _replace(a, analyst=nfc(a.analyst), logged_by=nfc(a.logged_by))
    if question.kind is Kind.CHOICE:
        if a.lr is not None:
            raise ForecastError(
                f"question {question.id} is a choice question: give likelihoods per option "
                "(OPTION=L)"
            )
        if not a.likelihoods and not a.retracted:
            raise ForecastError(f"question {question.id} needs likelihoods per option (OPTION=L)")
        known = set(question.option_names)
        seen: set[str] = set()
        likelihoods = []
        for typed, value in a.likelihoods:
            name = nfc(typed) if isinstance(typed, str) else typed
            if name not in known:
                raise ForecastError(
                    f"question {question.id} has no option {name!r} "
                    f"(options: {', '.join(question.option_names)})"
                )
            if name in seen:
                raise ForecastError(f"likelihood of option {name!r} given twice")
            seen.add(name)
            likelihoods.append((name, check_ratio(value, f"likelihood of {name!r}")))
        if a.by is not None or a.around is not None or a.within:
            _check_target(a, question)
        judged = (
            None if a.judged is None else check_judged(question, a.judged, "judged probability")
        )
        return _replace(a, likelihoods=tuple(likelihoods), judged=judged)
    if a.likelihoods:
        raise ForecastError(
            f"question {question.id} is a {question.kind.value} question: give a likelihood "
            "ratio or a strength"
        )
    if a.lr is None:
        raise ForecastError(f"question {question.id} needs a likelihood ratio or a strength")
    a = _check_target(a, question)
    judged = None if a.judged is None else check_judged(question, a.judged, "judged probability")
    return _replace(a, lr=check_ratio(a.lr), judged=judged)


def check_judged(
    question: Question, judged: object, what: str = "probability"
) -> float | tuple[tuple[str, float], ...]:
    """A judged probability ("I am now at P"): one number, or one per option summing to 1."""
    q = question
    if q.kind is not Kind.CHOICE:
        if not isinstance(judged, int | float) or isinstance(judged, bool):
            raise ForecastError(f"question {q.id} takes one probability, not a vector")
        return check_probability(judged, what)
    if isinstance(judged, int | float | str) or not isinstance(judged, Iterable):
        raise ForecastError(f"question {q.id} is a choice question: give OPTION=P for each")
    pairs = judged.items() if isinstance(judged, Mapping) else judged
    if not all(isinstance(pair, tuple | list) and len(pair) == 2 for pair in pairs):
        raise ForecastError(f"question {q.id} is a choice question: give OPTION=P for each")
    wanted = {nfc(str(name)): p for name, p in pairs}
    unknown = sorted(set(wanted) - set(q.option_names))
    if unknown:
        raise ForecastError(
            f"question {q.id} has no option {unknown[0]!r} (options: {', '.join(q.option_names)})"
        )
    missing = [n for n in q.option_names if n not in wanted]
    if missing:
        raise ForecastError(f"give a probability for every option (missing: {missing[0]})")
    vector = tuple((n, check_probability(wanted[n], f"{what} of {n!r}")) for n in q.option_names)
    total = math.fsum(p for _, p in vector)
    if abs(total - 1.0) > PRIOR_SUM_TOLERANCE:
        raise ForecastError(f"the probabilities must sum to 1, not {total:g}")
    return vector


MAX_WITHIN = 366  # days either side of an ``around`` date: a year is already vague
WITHIN_NEEDS_AROUND = "a margin of days (within) applies to a date the report points to (around)"


def _check_target(a: Assessment, question: Question) -> Assessment:
    """An event report points to a deadline of the ladder, or to a date give or take days."""
    if a.by is None and a.around is None:
        if a.within:
            raise ForecastError(WITHIN_NEEDS_AROUND)
        return a
    if question.kind is not Kind.EVENT:
        raise ForecastError(
            f"question {question.id} is a {question.kind.value} question: "
            "a deadline (by) or a date (around) applies to event questions only"
        )
    if a.by is not None and a.around is not None:
        raise ForecastError(
            "give a deadline the report speaks to (by) or a date it points to (around), not both"
        )
    if a.by is not None:
        by = day_start(a.by)
        ladder = [day_start(d) for d in question.deadlines]
        if by not in ladder:
            raise ForecastError(
                f"by {iso(by)} is not a deadline of {question.id} "
                f"(deadlines: {', '.join(iso(d) for d in ladder)})"
            )
        if a.within:
            raise ForecastError(WITHIN_NEEDS_AROUND)
        return _replace(a, by=by)
    assert a.around is not None
    around = day_start(a.around)
    if not day_start(question.opened) <= around <= day_start(question.deadlines[-1]):
        raise ForecastError(
            f"around {iso(around)} is outside {question.id}'s days "
            f"({iso(day_start(question.opened))} to {iso(day_start(question.deadlines[-1]))})"
        )
    within = a.within
    if isinstance(within, bool) or not isinstance(within, int) or not 0 <= within <= MAX_WITHIN:
        raise ForecastError(f"within must be a whole number of days from 0 to {MAX_WITHIN}")
    return _replace(a, around=around)


def validate_resolution(res: Resolution, question: Question) -> Resolution:
    check_text(res.note, "note")
    outcome = nfc(res.outcome.strip())
    allowed = (
        (*question.option_names, "annulled")
        if question.kind is Kind.CHOICE
        else ("yes", "no", "annulled")
    )
    lowered = {o.casefold(): o for o in allowed}
    if outcome.casefold() not in lowered:
        raise ForecastError(
            f"outcome {outcome!r} is not one of {', '.join(allowed)} for question {question.id}"
        )
    when = utc(res.resolved_on)
    if when < day_start(question.opened):
        raise ForecastError(f"resolution date {iso(when)} is before question {question.id} opened")
    event = None if res.event_on is None else utc(res.event_on)
    if event is not None:
        if question.kind is not Kind.EVENT or lowered[outcome.casefold()] != "yes":
            raise ForecastError(
                f"an event date is for an event question resolved yes; question {question.id} "
                f"is {question.kind.value}, resolved {lowered[outcome.casefold()]}"
            )
        if event < day_start(question.opened):
            raise ForecastError(
                f"event date {iso(event)} is before question {question.id} opened"
            )
        if event > when:
            raise ForecastError(
                f"event date {iso(event)} is after the resolution date {iso(when)}: "
                "an event is resolved once it happened"
            )
    return _replace(
        res,
        outcome=lowered[outcome.casefold()],
        resolved_on=when,
        event_on=event,
        logged_by=nfc(res.logged_by),
    )


def _replace(obj: Any, **changes: Any) -> Any:
    from dataclasses import replace

    return replace(obj, **changes)
