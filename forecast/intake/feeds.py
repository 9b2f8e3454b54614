"""RSS and Atom feeds into ``FeedItem`` records: one feed, or many at once.

feedparser reads the feed (well kept; it knows every RSS and Atom dialect, recovers from
common mistakes and converts dates to UTC). A body that is no feed at all (an HTML page,
plain text, XML too broken to yield an item) is refused with one line.

Each item carries a ``key`` that says when two items are one: its guid (RSS) or id (Atom);
else its link as ``forecast.matching.canonical_url`` writes it, so tracking parameters and
"www." do not make a new item; else a hash of its title and publication time. Whoever
stores items keeps the keys, so an item is never taken in twice.

Fetching is conditional: the ``Validators`` of the last fetch go with the request, and an
unchanged feed comes back as ``not_modified`` with no items. :func:`fetch_feeds` fetches
many feeds on a few threads; a feed that fails has its error line in its result and does
not stop the others.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import Any

from forecast.errors import ForecastError
from forecast.intake.fetch import DEFAULT_LIMITS, Limits, Session, Validators
from forecast.intake.language import language_tag
from forecast.matching import canonical_url
from forecast.terminal import cell

FEED_WORKERS = 4  # feeds fetched at once: enough to overlap slow servers, kind to a laptop
KEY_HASH_CHARS = 32  # hex digits of SHA-256 kept in a title-and-date key (128 bits)
SNIFF_BYTES = 512  # how much of a refused body is looked at to say what it is
HTML_TYPES = ("text/html", "application/xhtml+xml")
_EMAIL_AND_NAME = re.compile(r"^[^\s@()]+@[^\s()]+ ?\((?P<name>[^()]+)\)$")
# Tags that end a line of text: their words must not run into the next ones.
_BREAKS = frozenset({"br", "p", "div", "li", "tr", "td", "h1", "h2", "h3", "h4", "h5", "h6"})


@dataclass(frozen=True)
class FeedItem:
    """One entry of a feed, as plain text ("" where the feed gives nothing).

    ``published`` is UTC (the entry's publication time, else its last update), or None;
    ``language`` is the ISO 639-1 code the entry or the feed declares, or None.
    """

    key: str
    guid: str
    link: str
    title: str
    summary: str
    published: datetime | None
    language: str | None
    author: str


@dataclass(frozen=True)
class FeedResult:
    """What one fetch of a feed gave: its items, the validators to send next time, whether
    the server said nothing changed, and, from :func:`fetch_feeds`, the error line if the
    feed failed (then there are no items and the validators are those sent)."""

    url: str
    items: tuple[FeedItem, ...]
    validators: Validators
    not_modified: bool
    error: str | None = None


def item_key(guid: str, link: str, title: str, published: datetime | None) -> str:
    """The key two copies of one item share: guid, else canonical link, else a hash."""
    if guid.strip():
        return f"guid:{guid.strip()}"
    if link.strip():
        return f"url:{canonical_url(link)}"
    stamp = published.isoformat() if published else ""
    digest = hashlib.sha256(f"{title.strip()}\n{stamp}".encode()).hexdigest()
    return f"hash:{digest[:KEY_HASH_CHARS]}"


def parse_feed(
    body: bytes, url: str = "", content_type: str = "", charset: str | None = None
) -> tuple[FeedItem, ...]:
    """The items of an RSS or Atom document (each key once, in the feed's order).

    ``url`` resolves relative links and names the feed in errors; ``content_type`` and
    ``charset`` are what the server declared, if anything.
    """
    import feedparser

    headers = {"content-location": url} if url else {}
    if content_type:
        headers["content-type"] = content_type + (f"; charset={charset}" if charset else "")
    try:
        parsed = feedparser.parse(body, response_headers=headers)
    except Exception as exc:  # untrusted input: one bad feed must not stop the others
        where = cell(url) if url else "the feed"
        raise ForecastError(
            f"{where}: the feed could not be read (the feed library failed: {type(exc).__name__})"
        ) from None
    _check_is_feed(parsed, body, url, content_type)
    default_language = language_tag(parsed.feed.get("language"))
    items: dict[str, FeedItem] = {}
    for entry in parsed.entries:
        item = _item(entry, default_language)
        if item is not None:
            items.setdefault(item.key, item)
    return tuple(items.values())


def fetch_feed(
    url: str,
    validators: Validators | None = None,
    limits: Limits = DEFAULT_LIMITS,
    session: Session | None = None,
) -> FeedResult:
    """Fetch one feed (conditionally, given the last fetch's ``validators``) and read it.

    With a ``session``, its limits apply and ``limits`` is not used."""
    if session is None:
        with Session(limits) as own:
            return fetch_feed(url, validators, limits, own)
    fetched = session.get(url, validators)
    if fetched.not_modified:
        return FeedResult(url, (), fetched.validators, not_modified=True)
    items = parse_feed(fetched.body, fetched.url, fetched.content_type, fetched.charset)
    return FeedResult(url, items, fetched.validators, not_modified=False)


def fetch_feeds(
    feeds: Mapping[str, Validators | None],
    limits: Limits = DEFAULT_LIMITS,
    workers: int = FEED_WORKERS,
) -> list[FeedResult]:
    """Fetch every feed (address -> its last validators, or None), in the given order; a
    feed that fails gets its error line in ``FeedResult.error`` and the others go on."""
    if not feeds:
        return []
    with Session(limits) as session, ThreadPoolExecutor(min(workers, len(feeds))) as pool:

        def one(url: str) -> FeedResult:
            try:
                return fetch_feed(url, feeds[url], limits, session)
            except ForecastError as error:
                kept = feeds[url] or Validators()
                return FeedResult(url, (), kept, not_modified=False, error=str(error))

        return list(pool.map(one, feeds))


def _check_is_feed(parsed: Any, body: bytes, url: str, content_type: str) -> None:
    """Refuse what is not a feed, or a feed too broken to read, in one line."""
    where = cell(url) if url else "the feed"
    if not parsed.get("version"):
        raise ForecastError(
            f"{where}: not an RSS or Atom feed (it is {_what_it_is(body, content_type)})"
        )
    if parsed.get("bozo") and not parsed.entries:
        raise ForecastError(f"{where}: the feed is broken XML and no item could be read from it")


def _what_it_is(body: bytes, content_type: str) -> str:
    """A few words on a body that is not a feed, for the error line."""
    start = body[:SNIFF_BYTES].lstrip().lower()
    if not start:
        return "empty"
    if content_type in HTML_TYPES or start.startswith((b"<!doctype html", b"<html")):
        return "an HTML page"
    if start.startswith(b"<"):
        return "XML of another kind"
    if content_type in ("", "text/plain"):
        return "plain text"
    return cell(content_type)


def _item(entry: Any, default_language: str | None) -> FeedItem | None:
    """One entry as a ``FeedItem``; None for an entry with no guid, link or title."""
    guid = _clean(entry.get("id", ""))
    link = _clean(entry.get("link", ""))
    title = _text(entry, "title")
    if not (guid or link or title):
        return None
    published = _utc(entry.get("published_parsed") or entry.get("updated_parsed"))
    return FeedItem(
        key=item_key(guid, link, title, published),
        guid=guid,
        link=link,
        title=title,
        summary=_text(entry, "summary"),
        published=published,
        language=_entry_language(entry) or default_language,
        author=_author(entry),
    )


def _author(entry: Any) -> str:
    """The author's name: RSS writes "email (Name)", which feedparser misreads when the
    address's top-level domain is longer than four letters (".example", ".agency")."""
    raw = _clean(entry.get("author", ""))
    found = _EMAIL_AND_NAME.match(raw)
    if found:
        return found["name"].strip()
    return _clean((entry.get("author_detail") or {}).get("name") or raw)


def _text(entry: Any, field: str) -> str:
    """A field as plain text: markup dropped when the feed says it is HTML."""
    value = entry.get(field, "") or ""
    kind = (entry.get(f"{field}_detail") or {}).get("type", "")
    return _clean(_plain(value) if "html" in kind else value)


def _entry_language(entry: Any) -> str | None:
    for field in ("title_detail", "summary_detail"):
        found = language_tag((entry.get(field) or {}).get("language"))
        if found:
            return found
    return None


def _utc(parsed: time.struct_time | None) -> datetime | None:
    """feedparser's UTC time tuple as an aware datetime (None if absent or impossible)."""
    if parsed is None:
        return None
    try:
        return datetime(*parsed[:6], tzinfo=UTC)
    except (TypeError, ValueError):
        return None


def _clean(text: object) -> str:
    """Text on one line of single spaces."""
    return " ".join(str(text or "").split())


class _TextOnly(HTMLParser):
    """Collects the text of an HTML fragment (entities decoded, tags dropped)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BREAKS:
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in _BREAKS:
            self.parts.append(" ")


def _plain(html: str) -> str:
    reader = _TextOnly()
    reader.feed(html)
    reader.close()
    return "".join(reader.parts)

