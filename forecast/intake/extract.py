"""An article page (fetched from a URL, or a saved HTML file) into a report ``Draft``.

trafilatura finds the main text and the metadata (well kept, and the best of the open
extractors in published comparisons): title, publication date, site name, canonical URL.
The page's bytes are decoded first (``forecast.intake.encoding``), so trafilatura never
guesses an encoding of its own, and the draft keeps the original bytes as they came with
the encoding they were read in: what an analyst saw can always be shown again.

A draft is a suggestion: nothing is stored here, and the analyst confirms or corrects it.
Every refusal is one line: a page that is not HTML, text in an encoding nothing reads, a
page with no article text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from forecast.clock import utc
from forecast.errors import ForecastError
from forecast.intake.encoding import decode_html
from forecast.intake.fetch import DEFAULT_LIMITS, MAX_BYTES, Limits, Session, fetch, size_text
from forecast.intake.language import detect_language, language_tag
from forecast.terminal import cell

if TYPE_CHECKING:
    from trafilatura.settings import Document

MIN_ARTICLE_CHARS = 100  # less than a short paragraph is a menu or a caption, not an article
# Publication times with their hour and zone where the page gives them (htmldate's default
# keeps only the day).
DATE_FORMAT = "%Y-%m-%dT%H:%M:%S%z"
PAGE_TYPES = ("text/html", "application/xhtml+xml", "")  # "": the server did not say
_HTML_LANG = re.compile(r"""<html\b[^>]*?\blang\s*=\s*["']?([A-Za-z_-]+)""", re.I)


@dataclass(frozen=True)
class Draft:
    """A report as read from one page ("" where the page gives nothing).

    ``url`` is the address the page was fetched from (after redirects) or, for a file, the
    canonical address the page names; ``published`` is UTC, or None; ``language`` an ISO
    639-1 code, or None; ``original`` the page's bytes exactly as received, and
    ``encoding`` Python's name for the encoding they were decoded with.
    """

    url: str
    title: str
    published: datetime | None
    outlet: str
    text: str
    language: str | None
    original: bytes
    encoding: str


def draft_from_url(
    url: str, limits: Limits = DEFAULT_LIMITS, session: Session | None = None
) -> Draft:
    """Fetch an article page and read it into a draft (with a ``session``, its limits)."""
    fetched = session.get(url) if session is not None else fetch(url, limits=limits)
    if fetched.content_type not in PAGE_TYPES:
        raise ForecastError(
            f"{cell(url)}: the server sent {cell(fetched.content_type)}, not a web page"
        )
    return draft_from_html(fetched.body, fetched.url, fetched.charset, name=url)


def draft_from_file(path: str | Path) -> Draft:
    """Read a saved HTML file into a draft."""
    file = Path(path)
    try:
        size = file.stat().st_size
        if size > MAX_BYTES:
            raise ForecastError(f"{cell(file)}: the file is larger than {size_text(MAX_BYTES)}")
        body = file.read_bytes()
    except OSError as error:
        reason = error.strerror or "it cannot be read"
        raise ForecastError(f"{cell(file)}: {reason}") from None
    return draft_from_html(body, name=str(file))


def draft_from_html(
    body: bytes, url: str = "", charset: str | None = None, name: str = ""
) -> Draft:
    """Read a page's bytes into a draft.

    ``url`` is where the page came from (it names the page in errors and, for a file,
    gives way to the page's own canonical address), ``charset`` the encoding the server
    declared, ``name`` what error lines call the page (default: the URL, or "the page").
    """
    where = cell(name or url or "the page")
    if not body.strip():
        raise ForecastError(f"{where}: the page is empty")
    decoded = decode_html(body, charset)
    if decoded is None:
        raise ForecastError(f"{where}: the text is in an encoding that could not be recognised")
    document = _extract(decoded.text, url)
    title = _one_line(document.title)
    text = _without_title(_body_text(document.text), title)
    if len(text) < MIN_ARTICLE_CHARS:
        raise ForecastError(f"{where}: no article text was found on the page")
    page_url = url or _one_line(document.url)
    return Draft(
        url=page_url,
        title=title,
        published=_published(document.date),
        outlet=_outlet(document, page_url),
        text=text,
        language=detect_language(f"{title}\n{text}") or _declared_language(decoded.text),
        original=body,
        encoding=decoded.encoding,
    )


def _extract(html: str, url: str) -> Document:
    """trafilatura's reading of the page: main text and metadata, comments left out (an
    empty document when it finds nothing)."""
    import trafilatura
    from trafilatura.settings import Document, set_date_params

    found = trafilatura.bare_extraction(
        html,
        url=url or None,
        with_metadata=True,
        include_comments=False,
        date_extraction_params={**set_date_params(), "outputformat": DATE_FORMAT},
    )
    return found if isinstance(found, Document) else Document()


def _body_text(raw: str | None) -> str:
    """The main text, paragraphs on their own lines, spacing within lines made single."""
    lines = (" ".join(line.split()) for line in (raw or "").splitlines())
    return "\n".join(line for line in lines if line)


def _without_title(text: str, title: str) -> str:
    """The text without a first line that repeats the title (the page's own heading)."""
    first, _, rest = text.partition("\n")
    return rest if title and first == title else text


def _published(found: str | None) -> datetime | None:
    """trafilatura's date as UTC; a date with no zone is taken as UTC, as the clock does."""
    if not found:
        return None
    try:
        return utc(datetime.fromisoformat(found))
    except (ValueError, ForecastError):
        return None


def _outlet(document: Document, url: str) -> str:
    """The site's name as the page gives it, else the address's host without "www."."""
    name = _one_line(document.sitename)
    if name:
        return name
    host = _one_line(document.hostname)
    if not host and url:
        host = urlsplit(url).hostname or ""
    return host.removeprefix("www.")


def _declared_language(html: str) -> str | None:
    """The ``<html lang>`` the page declares (used when the text says too little)."""
    found = _HTML_LANG.search(html)
    return language_tag(found.group(1)) if found else None


def _one_line(text: object) -> str:
    return " ".join(str(text or "").split())
