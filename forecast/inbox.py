"""The inbox's records: feeds, their fetches, the entries they bring in, and what an
analyst did with each entry.

News waits here, unassessed, until an analyst deals with it: nothing in the inbox enters any
forecast. An entry leaves the inbox by one action, stored once and never changed:

- ``assessed``: it was logged as a report and assessed against one or more questions (the
  action names the report);
- ``echo``: it repeats a report already logged (the action names that report), so it adds
  nothing the forecasts do not already hold;
- ``dismissed``: it bears on no question (the action says why).

Pure values and the rules on them, like :mod:`forecast.domain`: the store reads and writes
them, the API checks them, the faces show them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from forecast.domain import check_text
from forecast.errors import ForecastError

FAILING_AFTER = 3
"""A feed whose last this-many fetches all failed is flagged as failing."""

PAGE = 20
"""Entries per page of the inbox, unless asked otherwise."""

MAX_PAGE = 500
"""The most entries one page may hold."""


class Status(StrEnum):
    """Where an entry stands: waiting in the inbox, or dealt with by one action."""

    NEW = "new"
    ASSESSED = "assessed"
    ECHO = "echo"
    DISMISSED = "dismissed"


ACTIONS = (Status.ASSESSED, Status.ECHO, Status.DISMISSED)


@dataclass(frozen=True)
class Feed:
    """One version of a feed the intake fetches: its address, the source its items come
    from (a stored source's name, or "" to name it when assessing), and tags."""

    id: str
    url: str
    source: str = ""
    tags: tuple[str, ...] = ()
    active: bool = True
    version: int = 1
    logged_at: datetime | None = None
    logged_by: str = ""
    reason: str = ""


@dataclass(frozen=True)
class Fetch:
    """One fetch of one feed: how many new entries it stored, whether the server said
    nothing changed, the validators to send next time, or the error line if it failed."""

    feed_id: str
    fetched_at: datetime
    new: int = 0
    not_modified: bool = False
    etag: str = ""
    last_modified: str = ""
    error: str = ""

    @property
    def failed(self) -> bool:
        return bool(self.error)


@dataclass(frozen=True)
class FeedStatus:
    """A feed as it stands, with its fetches' record (latest last)."""

    feed: Feed
    fetches: tuple[Fetch, ...] = ()

    @property
    def last(self) -> Fetch | None:
        return self.fetches[-1] if self.fetches else None

    @property
    def failures(self) -> int:
        """How many fetches in a row, up to the latest, failed."""
        count = 0
        for fetch in reversed(self.fetches):
            if not fetch.failed:
                break
            count += 1
        return count

    @property
    def failing(self) -> bool:
        """Whether the feed is flagged: its last :data:`FAILING_AFTER` fetches failed."""
        return self.failures >= FAILING_AFTER

    @property
    def summary(self) -> str:
        """How the feed's fetches went, in a few words (every face shows this)."""
        last = self.last
        if last is None:
            return "not fetched yet"
        if self.failing:
            return f"FAILING ({self.failures} fetches in a row): {last.error}"
        if last.failed:
            return f"failed: {last.error}"
        return "unchanged" if last.not_modified else f"{last.new} new"

    @property
    def validators(self) -> tuple[str, str]:
        """(ETag, Last-Modified) the latest answered fetch gave, to send next time."""
        for fetch in reversed(self.fetches):
            if not fetch.failed:
                return fetch.etag, fetch.last_modified
        return "", ""


@dataclass(frozen=True)
class Entry:
    """One item waiting in the inbox: a feed's item, or a page an analyst took in.

    ``key`` says when two items are one (:func:`scoped_key`): an entry is stored once per
    key and once per address, so a feed fetched again, or an address taken in twice, adds
    nothing. ``text`` is
    the feed's summary or the page's main text; ``original`` the page's bytes exactly as
    received (None for a feed's item), decoded with ``encoding``.
    """

    id: str
    key: str
    title: str
    feed_id: str = ""  # "" for a page taken in by hand
    url: str = ""
    text: str = ""
    published: datetime | None = None
    outlet: str = ""
    author: str = ""
    language: str = ""
    original: bytes | None = None
    encoding: str = ""
    received_at: datetime | None = None
    received_by: str = ""


@dataclass(frozen=True)
class Action:
    """What an analyst did with an entry; an entry takes one action, once."""

    entry_id: str
    status: Status
    report_id: str = ""  # assessed: the report logged; echo: the report it repeats
    reason: str = ""
    logged_at: datetime | None = None
    logged_by: str = ""


@dataclass(frozen=True)
class Page:
    """One page of the inbox: its entries (newest first), each one's action if it has one,
    and how many entries match in all."""

    entries: tuple[Entry, ...]
    actions: dict[str, Action]
    total: int
    offset: int
    limit: int

    def status(self, entry_id: str) -> Status:
        found = self.actions.get(entry_id)
        return Status.NEW if found is None else found.status


def scoped_key(feed_id: str, key: str) -> str:
    """The key an entry is stored under. A guid means something only within its feed, so it
    is kept with the feed's id; an address, or a hash of title and publication time, is one
    item wherever it was seen (the same article in two feeds, or taken in by hand, comes in
    once). The store also refuses an entry whose address another entry has."""
    if key.startswith("guid:") and feed_id:
        return f"{feed_id}|{key}"
    return key


def statuses(wanted: Sequence[str]) -> tuple[Status, ...]:
    """The statuses named (``"all"`` for every one), checked."""
    names = {s.value for s in Status}
    if "all" in wanted:
        return tuple(Status)
    unknown = sorted(set(wanted) - names)
    if unknown:
        raise ForecastError(
            f"no inbox status {unknown[0]!r}: use {', '.join(sorted(names))} or all"
        )
    return tuple(Status(w) for w in wanted)


def validate_entry(entry: Entry) -> Entry:
    """An entry's texts checked as every stored text is (``domain.check_text``)."""
    if not entry.key:
        raise ForecastError("an inbox entry needs a key")
    for name in ("title", "url", "text", "outlet", "author", "language", "encoding"):
        check_text(getattr(entry, name), f"inbox entry {name}")
    return entry
