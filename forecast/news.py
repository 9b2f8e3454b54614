"""The inbox's service: feeds fetched into entries, pages taken in, and what each entry
bears on.

- :func:`fetch_feeds`: every feed in force, fetched at once (conditionally: an unchanged
  feed costs a 304), each one's new items stored with its fetch in one transaction; a feed
  that fails has its error stored and shown, and the others go on.
- :func:`take_in`: a page (``intake url|file --inbox``) into the inbox.
- :func:`matches`: the questions each entry may bear on (the suggestions' scores), for the
  inbox lists and the inbox-match alerts.

Nothing here enters a forecast: an entry is evidence only once an analyst assesses it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from forecast.domain import MAX_TEXT
from forecast.drafting import Suggester
from forecast.errors import ForecastError
from forecast.inbox import Entry, FeedStatus, Fetch, scoped_key
from forecast.intake.extract import Draft
from forecast.intake.feeds import FeedItem
from forecast.intake.fetch import DEFAULT_LIMITS, Limits, Validators
from forecast.suggestions import QuestionSuggestion, Text
from forecast.terminal import cell

if TYPE_CHECKING:
    from forecast.api import Tracker

MATCHES = 3  # questions shown per entry in lists


@dataclass(frozen=True)
class FeedRun:
    """One feed's part in a fetch: the feed as it stood after, the fetch, the new entries."""

    status: FeedStatus
    fetch: Fetch
    stored: tuple[Entry, ...]


def fetch_feeds(tracker: Tracker, limits: Limits = DEFAULT_LIMITS) -> list[FeedRun]:
    """Fetch every feed in force and store what is new (see the module's notes)."""
    from forecast.intake import feeds as reading

    standing = tracker.feeds()
    asked = {s.feed.url: Validators(*(v or None for v in s.validators)) for s in standing}
    results = {r.url: r for r in reading.fetch_feeds(asked, limits)}
    runs = []
    for status in standing:
        feed = status.feed
        result = results[feed.url]
        try:
            entries = [entry_of_item(feed.id, item, feed.source) for item in result.items]
            fetch, stored = tracker.record_fetch(
                feed.id,
                entries,
                etag=result.validators.etag or "",
                last_modified=result.validators.last_modified or "",
                not_modified=result.not_modified,
                error=result.error or "",
            )
        except ForecastError as exc:  # an item the store refuses: none of the feed's is kept
            fetch, stored = tracker.record_fetch(feed.id, error=f"{cell(feed.url)}: {exc}")
        after = FeedStatus(feed, (*status.fetches, fetch))
        runs.append(FeedRun(after, fetch, tuple(stored)))
    return runs


def entry_of_item(feed_id: str, item: FeedItem, outlet: str = "") -> Entry:
    """A feed's item as an inbox entry (not yet stored: the store gives it an id)."""
    from forecast.intake.language import detect_language

    language = item.language or detect_language(f"{item.title}. {item.summary}") or ""
    return Entry(
        id="",
        key=scoped_key(feed_id, item.key),
        title=_clean(item.title),
        feed_id=feed_id,
        url=item.link,
        text=_clean(item.summary),
        published=item.published,
        outlet=outlet or _host(item.link),
        author=_clean(item.author),
        language=language,
    )


def entry_of_draft(draft: Draft) -> Entry:
    """A page an analyst brought in, as an inbox entry (the original bytes kept)."""
    from forecast.intake.feeds import item_key

    return Entry(
        id="",
        key=scoped_key("", item_key("", draft.url, draft.title, draft.published)),
        title=_clean(draft.title),
        url=draft.url,
        text=_clean_text(draft.text),
        published=draft.published,
        outlet=draft.outlet,
        language=draft.language or "",
        original=draft.original,
        encoding=draft.encoding,
    )


def take_in(tracker: Tracker, draft: Draft) -> tuple[Entry, bool]:
    """Put a page in the inbox (``Tracker.take_in``): the entry, and whether it is new."""
    return tracker.take_in(entry_of_draft(draft))


def entry_text(entry: Entry) -> Text:
    """An entry as the suggestions compare it."""
    day = None if entry.published is None else entry.published.date()
    return Text(entry.id, entry.title, entry.text, day)


def matches(
    suggester: Suggester, entries: list[Entry], count: int = MATCHES
) -> dict[str, list[QuestionSuggestion]]:
    """The questions each entry may bear on, best first, at most ``count`` each."""
    return {e.id: suggester.questions(entry_text(e))[:count] for e in entries}


def draft_of_entry(entry: Entry) -> Draft:
    """An entry as a draft: what the suggestions and the evidence form start from."""
    return Draft(
        url=entry.url,
        title=entry.title,
        published=entry.published,
        outlet=entry.outlet,
        text=entry.text,
        language=entry.language or None,
        original=entry.original or b"",
        encoding=entry.encoding,
    )


def received_since(tracker: Tracker, since: datetime | None) -> list[Entry]:
    """The entries still waiting that came in after ``since`` (all waiting, if None)."""
    from forecast.inbox import MAX_PAGE

    found: list[Entry] = []
    while True:
        page = tracker.inbox(since=since, offset=len(found), limit=MAX_PAGE)
        found += page.entries
        if len(found) >= page.total or not page.entries:
            return found


def _host(url: str) -> str:
    return (urlsplit(url).hostname or "").removeprefix("www.")


def _clean(text: str) -> str:
    """One line of text, without the characters no database keeps."""
    return " ".join(text.replace("\x00", " ").split())[:MAX_TEXT]


def _clean_text(text: str) -> str:
    return text.replace("\x00", " ")[:MAX_TEXT]


SUMMARY = 2_000  # characters of an entry's text a report's summary takes


def report_fields(tracker: Tracker, entry_id: str) -> dict[str, Any]:
    """What the evidence form starts from for an inbox entry: its feed's source, its
    publication time (else when it came in: it was out by then), title, summary, address.
    The analyst may change any of them before saving."""
    entry, action = tracker.inbox_entry(entry_id)
    if action is not None:
        raise ForecastError(
            f"inbox entry {entry_id!r} was already dealt with ({action.status.value})"
        )
    feeds = {s.feed.id: s.feed for s in tracker.feeds()}
    feed = feeds.get(entry.feed_id)
    text = entry.text if len(entry.text) <= SUMMARY else entry.text[: SUMMARY - 1] + "…"
    return {
        "source": feed.source if feed is not None and feed.source else None,
        "published": entry.published or entry.received_at,
        "title": entry.title,
        "summary": text,
        "url": entry.url,
    }
