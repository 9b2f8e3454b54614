"""Which alerts are due, for whom, with what message. Pure: no store, no clock, no network.

Inputs: the questions as they stand now (:class:`QuestionState` from ``Tracker.states()``,
or the plain :class:`QuestionFacts` taken from them), each question's headline at the last
alert run (:func:`readings` of ``Tracker.states(as_of=last_run)``), the analysts'
:class:`Subscription` settings, the new inbox matches, the weekly report if one is ready,
the keys of the alerts already sent, and the time. Output: :func:`due` lists the
:class:`Alert` s to send, each with a plain-text subject and body and a dedupe key.

The alerts:

- ``threshold``: a question's headline crossed a level the analyst set. At the level
  counts as at or above it (as "by D" includes D): up is from below the level to at or
  above it, down is from at or above it to below. The headline is compared as shown (to a
  tenth of a percentage point, :data:`PRECISION`), so a message never claims a crossing its
  own figures do not show. A crossing is of one thing only: when the headline is of
  something else than at the last run (an event's next deadline, a choice question's new
  leader), nothing is compared.
- ``closing``: an open question closes within the subscription's ``close_days`` (0: today).
- ``awaiting``: a question is past its close and awaits a resolution.
- ``stale``: an open question has had no evidence logged for a while
  (``QuestionState.stale``: the read model's rule).
- ``inbox``: a new inbox item matches a question, with at least the subscription's
  ``min_score``.
- ``weekly``: the weekly report is ready (a link, or a file to attach).

Questions that are resolved or annulled get no alert.

Dedupe keys (the store keeps the keys of what was really sent and passes them back as
``sent``; a key already sent is never due again), fields joined by ``|``:

=========  ===============================================================
threshold  ``SUB|threshold|QUESTION|LEVEL|up-or-down|DAY``  (DAY: the run's UTC day)
closing    ``SUB|closing|QUESTION|CLOSE-DAY``
awaiting   ``SUB|awaiting|QUESTION|CLOSE-DAY``
stale      ``SUB|stale|QUESTION|LAST-LOGGED-DAY`` (``never`` if nothing was logged)
inbox      ``SUB|inbox|QUESTION|ITEM``
weekly     ``SUB|weekly|WEEK-DAY``  (the last day the report covers)
=========  ===============================================================

SUB is the subscription's id; LEVEL is written as ``0.5``; days as ``2025-11-30``. So a
crossing is sent once a day at most (a headline that flaps across a level within a day
alerts once), a close date once (again if the date is moved), a stale spell once (a new
one starts when evidence is logged), an inbox item once per question.

User text (titles, option names, item titles) is never interpreted: messages are plain
text, and each such text is put on one line with its control characters shown as escapes,
so a title cannot add a header to an e-mail or a line that passes for another alert.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

from forecast import terminal
from forecast.clock import utc
from forecast.domain import Status, check_id
from forecast.errors import ForecastError

if TYPE_CHECKING:
    from forecast.readmodel import QuestionState


class AlertKind(StrEnum):
    """What an alert is about; also the names the settings store for "which kinds"."""

    THRESHOLD = "threshold"
    CLOSING = "closing"
    AWAITING = "awaiting"
    STALE = "stale"
    INBOX = "inbox"
    WEEKLY = "weekly"


class Direction(StrEnum):
    """Which way a headline crossed a threshold."""

    UP = "up"
    DOWN = "down"


ALL_KINDS = frozenset(AlertKind)
DEFAULT_CLOSE_DAYS = 7  # a close date this many days ahead (or fewer) is "near"
PRECISION = 3  # decimals of a probability as messages show it: 61.5% is 0.615
PREFIX = "[forecast]"  # starts every subject, so mail filters can sort alerts
SUBJECT_TITLE = 80  # terminal columns of a title in a subject; the body has it whole
KEY_SEPARATOR = "|"  # not allowed in ids (``domain.ID_PATTERN``), so keys read unambiguously
NEVER_LOGGED = "never"  # a stale key's day when no evidence was ever logged


# --------------------------------------------------------------------------- inputs


@dataclass(frozen=True)
class Threshold:
    """A level of a question's headline an analyst wants to hear about, either way."""

    question_id: str
    level: float  # a probability strictly between 0 and 1

    def __post_init__(self) -> None:
        check_id(self.question_id, "question")
        if not (isinstance(self.level, int | float) and 0.0 < self.level < 1.0):
            raise ForecastError(
                f"threshold {self.level!r} on {self.question_id} must lie between 0 and 1"
            )


@dataclass(frozen=True)
class Subscription:
    """One alert setting: who it is for, where it goes, and what they want to hear about.

    ``id`` is the store's stable name for the setting (an id: letters, digits, ``._:-``);
    every dedupe key starts with it, so one analyst's e-mail and Slack settings each get
    their own copy. ``channel`` is a notification URL (``forecast.alerts.channels``) and
    may hold a password or token: it is left out of ``repr`` and never shown whole.
    ``questions`` limits the closing, awaiting, stale and inbox alerts to those questions
    (None: every question); a threshold names its own question.
    """

    id: str
    who: str
    channel: str = field(repr=False)
    kinds: frozenset[AlertKind] = ALL_KINDS
    thresholds: tuple[Threshold, ...] = ()
    close_days: int = DEFAULT_CLOSE_DAYS
    questions: frozenset[str] | None = None
    min_score: float = 0.0  # inbox items that match less well are left out

    def __post_init__(self) -> None:
        check_id(self.id, "subscription")
        # The store hands kinds back as text: take them as the enum, refusing unknown ones.
        object.__setattr__(self, "kinds", frozenset(alert_kind(k) for k in self.kinds))
        object.__setattr__(self, "thresholds", tuple(self.thresholds))
        if self.questions is not None:
            object.__setattr__(self, "questions", frozenset(self.questions))
        if isinstance(self.close_days, bool) or not isinstance(self.close_days, int):
            raise ForecastError(f"close_days of {self.id} must be a whole number of days")
        if self.close_days < 0:
            raise ForecastError(f"close_days of {self.id} must not be negative")
        if not math.isfinite(self.min_score):
            raise ForecastError(f"min_score of {self.id} must be a number")

    def watches(self, question_id: str) -> bool:
        """Whether the closing, awaiting, stale and inbox alerts cover this question."""
        return self.questions is None or question_id in self.questions


@dataclass(frozen=True)
class Setting:
    """One stored version of a subscription: editing a setting adds a version, and an
    inactive version (unsubscribed) ends it. Who changed it, when (the store's clock) and
    why, like every record."""

    subscription: Subscription
    version: int = 1
    active: bool = True
    logged_at: datetime | None = None
    logged_by: str = ""
    reason: str = ""


def alert_kind(value: str) -> AlertKind:
    try:
        return AlertKind(value)
    except ValueError:
        known = ", ".join(k.value for k in AlertKind)
        raise ForecastError(f"alert kind {value!r} is unknown: use {known}") from None


@dataclass(frozen=True)
class Reading:
    """A headline: the probability every face shows, and what it is the probability of
    ("" for a binary question, "by 2025-11-30" for an event, the leading option)."""

    probability: float
    of: str = ""


@dataclass(frozen=True)
class QuestionFacts:
    """The few values of a :class:`QuestionState` the rules read (tests build them by
    hand; :meth:`of` takes them from a state)."""

    id: str
    title: str
    headline: Reading
    open: bool  # neither resolved nor annulled (a question awaiting resolution is open)
    close: date | None = None  # its close day (an event's last deadline)
    days_left: int | None = None  # whole days to the close day: 0 on it, < 0 after
    awaiting: bool = False
    stale: bool = False
    quiet_days: int = 0  # days since evidence was last logged (or it was created)
    last_logged: datetime | None = None

    @classmethod
    def of(cls, state: QuestionState) -> QuestionFacts:
        """The facts of a state, each read through the read model's own rule."""
        question, headline = state.question, state.headline
        close = question.close
        return cls(
            id=question.id,
            title=question.title,
            headline=Reading(headline.probability, headline.label),
            open=state.status is Status.OPEN,
            close=None if close is None else utc(close).date(),
            days_left=state.days_left,
            awaiting=state.awaiting_resolution,
            stale=state.stale(),
            quiet_days=state.quiet_days,
            last_logged=state.last_logged,
        )


def readings(states: Iterable[QuestionState | QuestionFacts]) -> dict[str, Reading]:
    """Question id -> its headline: what :func:`due` takes as ``before`` (fed with the
    states at the last alert run, or a week ago)."""
    facts = (_facts(s) for s in states)
    return {f.id: f.headline for f in facts}


def _facts(value: QuestionState | QuestionFacts) -> QuestionFacts:
    return value if isinstance(value, QuestionFacts) else QuestionFacts.of(value)


@dataclass(frozen=True)
class InboxItem:
    """A new inbox item the inbox matched to a question, with how well it matched."""

    id: str
    title: str
    question_id: str
    score: float


@dataclass(frozen=True)
class WeeklyReport:
    """A weekly report that is ready: the last day it covers, and a link to it or a file
    to attach (or both)."""

    week: date
    link: str = ""
    file: Path | None = None

    def __post_init__(self) -> None:
        if not self.link and self.file is None:
            raise ForecastError("a weekly report alert needs a link or a file")


# --------------------------------------------------------------------------- output


@dataclass(frozen=True)
class Alert:
    """One message due to one subscription. ``key`` is its dedupe key: the store keeps it
    once the alert is really sent."""

    key: str
    kind: AlertKind
    subscription: Subscription
    subject: str  # one line
    body: str  # plain text
    question_id: str = ""
    attachment: Path | None = None


# --------------------------------------------------------------------------- rules


def crossing(before: float, after: float, level: float) -> Direction | None:
    """UP if the headline went from below ``level`` to at or above it, DOWN if from at or
    above it to below, else None; each compared as shown (:data:`PRECISION`)."""
    was, now = _at_or_above(before, level), _at_or_above(after, level)
    if was == now:
        return None
    return Direction.UP if now else Direction.DOWN


def _at_or_above(probability: float, level: float) -> bool:
    return round(probability, PRECISION) >= round(level, PRECISION)


def due(
    subscriptions: Iterable[Subscription],
    questions: Iterable[QuestionState | QuestionFacts],
    now: datetime,
    *,
    before: Mapping[str, Reading] | None = None,
    inbox: Iterable[InboxItem | tuple[str, str, str, float]] = (),
    weekly: WeeklyReport | None = None,
    sent: Collection[str] = frozenset(),
) -> list[Alert]:
    """The alerts due at ``now``: per subscription (in the order given), by kind, then by
    question; without those whose key is in ``sent`` and without repeats."""
    facts = sorted((_facts(q) for q in questions), key=lambda f: f.id)
    items = sorted((_item(i) for i in inbox), key=lambda i: (i.question_id, i.id))
    context = _Run(utc(now), facts, before or {}, items, weekly)
    seen = set(sent)
    alerts = []
    for subscription in subscriptions:
        for alert in context.alerts(subscription):
            if alert.key not in seen:
                seen.add(alert.key)
                alerts.append(alert)
    return alerts


def _item(value: InboxItem | tuple[str, str, str, float]) -> InboxItem:
    return value if isinstance(value, InboxItem) else InboxItem(*value)


@dataclass(frozen=True)
class _Run:
    """One run's inputs, shared by every subscription's rules."""

    now: datetime
    facts: Sequence[QuestionFacts]
    before: Mapping[str, Reading]
    inbox: Sequence[InboxItem]
    weekly: WeeklyReport | None

    def alerts(self, sub: Subscription) -> Iterator[Alert]:
        """Every alert the subscription asks for, kind by kind (before dedupe)."""
        if AlertKind.THRESHOLD in sub.kinds:
            yield from self.thresholds(sub)
        open_ones = [f for f in self.facts if f.open and sub.watches(f.id)]
        if AlertKind.CLOSING in sub.kinds:
            for fact in open_ones:
                days = _days_to_close(fact, sub)
                if days is not None:
                    yield self.closing(sub, fact, days)
        if AlertKind.AWAITING in sub.kinds:
            yield from (self.awaiting(sub, f) for f in open_ones if f.awaiting)
        if AlertKind.STALE in sub.kinds:
            yield from (self.stale(sub, f) for f in open_ones if f.stale)
        if AlertKind.INBOX in sub.kinds:
            by_id = {f.id: f for f in open_ones}
            for item in self.inbox:
                if item.question_id in by_id and item.score >= sub.min_score:
                    yield self.inbox_item(sub, by_id[item.question_id], item)
        if AlertKind.WEEKLY in sub.kinds and self.weekly is not None:
            yield self.weekly_ready(sub, self.weekly)

    def thresholds(self, sub: Subscription) -> Iterator[Alert]:
        """A crossing of each of the subscription's thresholds since the last run."""
        by_id = {f.id: f for f in self.facts if f.open}
        for threshold in sub.thresholds:
            fact, old = by_id.get(threshold.question_id), self.before.get(threshold.question_id)
            # Only like with like: a headline now of another deadline or option is not a move.
            if fact is None or old is None or old.of != fact.headline.of:
                continue
            direction = crossing(old.probability, fact.headline.probability, threshold.level)
            if direction is not None:
                yield self.crossed(sub, fact, old, threshold.level, direction)

    def crossed(
        self, sub: Subscription, fact: QuestionFacts, old: Reading, level: float, way: Direction
    ) -> Alert:
        """The headline went ``way`` through ``level``: both values in the message."""
        went = "Rose to or above" if way is Direction.UP else "Fell below"
        side = "to or above" if way is Direction.UP else "below"
        moved = "rose" if way is Direction.UP else "fell"
        detail = (
            f"The forecast{_of(fact.headline)} {moved} from {percent(old.probability)} "
            f"to {percent(fact.headline.probability)}, {side} your threshold of "
            f"{level_text(level)}."
        )
        key = _key(sub, AlertKind.THRESHOLD, fact.id, f"{level:g}", way.value, _day(self.now))
        headline = f"{went} {level_text(level)}"
        return self.about(sub, AlertKind.THRESHOLD, key, fact, headline, detail)

    def closing(self, sub: Subscription, fact: QuestionFacts, days: int) -> Alert:
        """The question closes in ``days`` days."""
        close = _close_day(fact)
        detail = (
            f"It closes on {close} ({_in_days(days)}); "
            f"the forecast{_of(fact.headline)} stands at {percent(fact.headline.probability)}."
        )
        key = _key(sub, AlertKind.CLOSING, fact.id, close)
        headline = f"Closes {_in_days(days)}"
        return self.about(sub, AlertKind.CLOSING, key, fact, headline, detail)

    def awaiting(self, sub: Subscription, fact: QuestionFacts) -> Alert:
        """The question is past its close and awaits a resolution."""
        closed = _close_day(fact)
        detail = (
            f"It closed on {closed} and awaits its resolution: resolve it (or annul it) "
            "so that it is scored."
        )
        key = _key(sub, AlertKind.AWAITING, fact.id, closed)
        return self.about(sub, AlertKind.AWAITING, key, fact, "Awaiting resolution", detail)

    def stale(self, sub: Subscription, fact: QuestionFacts) -> Alert:
        """No evidence has been logged on the question for a while."""
        last = None if fact.last_logged is None else _day(fact.last_logged)
        since = f"the last on {last}" if last else "none since it was created"
        detail = (
            f"No evidence logged for {fact.quiet_days} days ({since}); "
            f"the forecast{_of(fact.headline)} stands at {percent(fact.headline.probability)}."
        )
        key = _key(sub, AlertKind.STALE, fact.id, last or NEVER_LOGGED)
        return self.about(sub, AlertKind.STALE, key, fact, "Stale", detail)

    def inbox_item(self, sub: Subscription, fact: QuestionFacts, item: InboxItem) -> Alert:
        """A new inbox item matches the question."""
        detail = (
            f"A new inbox item matches it (score {item.score:.2f}):\n"
            f"  {one_line(item.title)}\n"
            f"  item {one_line(item.id)}"
        )
        key = _key(sub, AlertKind.INBOX, fact.id, item.id)
        return self.about(sub, AlertKind.INBOX, key, fact, "New inbox item", detail)

    def weekly_ready(self, sub: Subscription, report: WeeklyReport) -> Alert:
        """The weekly report is ready: its link, and its file as the attachment."""
        week = report.week.isoformat()
        lines = [f"The weekly report to {week} is ready."]
        if report.link:
            lines.append(f"Read it at {one_line(report.link)}")
        if report.file is not None:
            lines.append(f"It is attached: {one_line(report.file.name)}")
        subject = f"{PREFIX} The weekly report to {week} is ready"
        body = "\n".join(lines) + self.footer(sub)
        key = _key(sub, AlertKind.WEEKLY, week)
        return Alert(key, AlertKind.WEEKLY, sub, subject, body, "", report.file)

    def about(
        self,
        sub: Subscription,
        kind: AlertKind,
        key: str,
        fact: QuestionFacts,
        headline: str,
        detail: str,
    ) -> Alert:
        """An alert about one question: its title and id in the subject and the body."""
        title = one_line(fact.title)
        subject = f"{PREFIX} {headline}: {terminal.clip(title, SUBJECT_TITLE)} ({fact.id})"
        body = f"{title} ({fact.id})\n{detail}{self.footer(sub)}"
        return Alert(key, kind, sub, subject, body, fact.id)

    def footer(self, sub: Subscription) -> str:
        """Why the reader got it, and when it was true."""
        when = self.now.strftime("%Y-%m-%d %H:%M")
        return f"\n\nAs of {when} UTC, for {one_line(sub.who)}."


def _days_to_close(fact: QuestionFacts, sub: Subscription) -> int | None:
    """Days to the close day when it is near enough for the subscription (0: the close
    day itself), else None."""
    days = fact.days_left
    if fact.close is None or fact.awaiting or days is None or not 0 <= days <= sub.close_days:
        return None
    return days


def _close_day(fact: QuestionFacts) -> str:
    # Only questions with a close day are closing or awaiting; "?" keeps a bad input visible.
    return "?" if fact.close is None else fact.close.isoformat()


# --------------------------------------------------------------------------- text


def one_line(text: object) -> str:
    """User text as one harmless line: newlines and tabs as ``\\n`` and ``\\t``, every
    other control character as an escape (it cannot start a header or a line)."""
    return terminal.printable(terminal.cell(text))


def percent(probability: float) -> str:
    """A probability as messages show it: ``61.5%`` (:data:`PRECISION`)."""
    return f"{probability * 100:.{PRECISION - 2}f}%"


def level_text(level: float) -> str:
    """A threshold as the analyst typed it: ``50%``, ``33.3%``."""
    return f"{level * 100:g}%"


def _of(reading: Reading) -> str:
    return f" ({one_line(reading.of)})" if reading.of else ""


def _in_days(days: int) -> str:
    if days == 0:
        return "today"
    if days == 1:
        return "tomorrow"
    return f"in {days} days"


def _day(moment: datetime) -> str:
    return utc(moment).date().isoformat()


def _key(sub: Subscription, kind: AlertKind, *parts: str) -> str:
    return KEY_SEPARATOR.join((sub.id, kind.value, *parts))
