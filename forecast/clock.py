"""The one clock of the model: UTC days, where a day ends, and reading times from text.

Every rule about days lives here, so the faces and the engine agree on them:

- all times are aware UTC datetimes (naive values are taken as UTC);
- a day runs from 00:00 UTC to its last microsecond, :func:`end_of_day`; "by D" includes
  all of day D, so a deadline D is open until :func:`after` D;
- a bare date typed as a knowledge time ("as of 2025-11-30") means the end of that day,
  :func:`knowledge_time`; a bare date typed as an event time (a report's publication, an
  opening) means its start, :func:`parse_time`.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from forecast.errors import ForecastError

ONE_DAY = timedelta(days=1)
TICK = timedelta(microseconds=1)  # the clock's resolution: the last instant of a day


def utc(value: datetime) -> datetime:
    """Return ``value`` as an aware UTC datetime (naive values are taken as UTC)."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    try:
        return value.astimezone(UTC)
    except OverflowError:  # e.g. 0001-01-01T00:00+05:00 is before year 1 in UTC
        raise ForecastError(f"time {value.isoformat()} is out of range in UTC") from None


def parse_time(text: str | date | datetime, what: str = "date") -> datetime:
    """Parse an ISO date (midnight UTC) or ISO date-time into an aware UTC datetime."""
    if isinstance(text, datetime):
        return utc(text)
    if isinstance(text, date):
        return datetime.combine(text, time(), tzinfo=UTC)
    raw = str(text).strip()
    try:
        if len(raw) == 10:
            return datetime.combine(date.fromisoformat(raw), time(), tzinfo=UTC)
        return utc(datetime.fromisoformat(raw.replace("z", "Z")))
    except ValueError:
        raise ForecastError(
            f"{what} {raw!r} is not an ISO date (YYYY-MM-DD) or date-time"
        ) from None


def knowledge_time(text: str, what: str = "--as-of") -> datetime:
    """A knowledge time typed by a person: a bare date means "by the end of that day"."""
    moment = parse_time(text, what)
    if len(str(text).strip()) == 10:
        return end_of_day(moment.date())
    return moment


def iso(value: datetime) -> str:
    """Format a UTC datetime: a bare date at midnight, otherwise a full ISO time."""
    value = utc(value)
    if value.time() == time() and value.microsecond == 0:
        return value.date().isoformat()
    return value.isoformat().replace("+00:00", "Z")


def days_between(start: datetime, end: datetime) -> float:
    """Days from ``start`` to ``end`` (the decay model's clock)."""
    return (utc(end) - utc(start)).total_seconds() / 86_400.0


def day_start(value: datetime) -> datetime:
    """00:00 UTC of the day ``value`` falls on."""
    return datetime.combine(utc(value).date(), time(), tzinfo=UTC)


def end_of_day(day: date | datetime) -> datetime:
    """The last instant of a UTC day (of the day a datetime falls on): a day's knowledge
    time."""
    if isinstance(day, datetime):
        day = utc(day).date()
    return datetime.combine(day, time.max, tzinfo=UTC)  # 23:59:59.999999, even on date.max


def after(day: date | datetime) -> datetime:
    """00:00 UTC of the next day: the first instant at which "by ``day``" is over."""
    if isinstance(day, datetime):
        day = utc(day).date()
    return datetime.combine(day + ONE_DAY, time(), tzinfo=UTC)


def last_ended_day(moment: datetime) -> date:
    """The last whole day that has ended by ``moment`` (its end is at or before it)."""
    return (utc(moment) + TICK).date() - ONE_DAY
