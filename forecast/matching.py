"""When two typed texts name the same thing: origins, URLs and report titles.

Echoes count once only if the analyst's spellings of one origin meet. ``origin_key`` is the
echo-cluster key of a typed origin: case, accents' composition, punctuation and spacing do
not matter, and a date written as "20 Nov", "Nov 20, 2026", "20.11.2026" or "2026-11-20"
becomes one ISO date (a date without a year takes the report's year, or the year before if
that would put it after the report). Bare numbers are never read as dates ("G7" stays "g7").

``canonical_url`` is the URL two logs of one article share; ``similar`` scores two titles
with a well-kept fuzzy matcher (rapidfuzz), for the near-duplicate check and for suggesting
the existing origins a new one resembles.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from datetime import date, datetime
from functools import lru_cache
from urllib.parse import parse_qsl, urlencode, urlsplit

# dateutil and rapidfuzz are imported where used: every command reads origins, few need them.

_MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"
_ORDINAL = r"(?:st|nd|rd|th)?"
_DATE = re.compile(
    rf"""
    \b\d{{4}}-\d{{1,2}}-\d{{1,2}}\b                                     # 2026-11-20
    | \b\d{{1,2}}[./]\d{{1,2}}[./]\d{{4}}\b                              # 20.11.2026, 20/11/2026
    | \b\d{{1,2}}{_ORDINAL}\s+(?:of\s+)?{_MONTH}(?:\s*,?\s+\d{{4}})?\b     # 20 Nov [2026]
    | \b{_MONTH}\s+\d{{1,2}}{_ORDINAL}(?:\s*,?\s+\d{{4}})?\b              # Nov 20[, 2026]
    """,
    re.IGNORECASE | re.VERBOSE,
)
_YEAR = re.compile(r"\b\d{4}\b")
_NOT_WORD = re.compile(r"[\W_]+")
_TRACKING = ("utm_", "fbclid", "gclid", "mc_cid", "mc_eid")

SIMILAR_TITLE = 90  # rapidfuzz token-sort ratio (0-100) at which two titles read as one
SIMILAR_ORIGIN = 86  # rapidfuzz WRatio at which an existing origin is offered for a new one


@lru_cache(maxsize=1 << 16)
def origin_key(origin: str, published: datetime) -> str:
    """The echo-cluster key of a typed origin ("" for none); cached, as every read of a
    question asks it of each report."""
    text = unicodedata.normalize("NFKC", origin).casefold()
    text = _DATE.sub(lambda m: _iso_date(m[0], published) or m[0], text)
    return " ".join(_NOT_WORD.sub(" ", text).split())


_KEY_DATE = re.compile(r"\b\d{4} \d{2} \d{2}\b")


def origin_name(origin: str, published: datetime) -> str:
    """Who an origin is, without its date: what suggestions compare ("senior White House
    official, 2025-10-21" is named "senior white house official")."""
    return " ".join(_KEY_DATE.sub(" ", origin_key(origin, published)).split())


def _iso_date(typed: str, published: datetime) -> str | None:
    from dateutil import parser as dates

    has_year = _YEAR.search(typed) is not None
    try:
        when = dates.parse(typed, dayfirst=True, default=datetime(published.year, 1, 1))
    except (ValueError, OverflowError):
        return None
    day = when.date()
    if not has_year and day > published.date():
        day = _year_before(day)
    return day.isoformat()


def _year_before(day: date) -> date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


def canonical_url(url: str) -> str:
    """One article's URL however it was copied: no scheme, "www.", fragment, trailing
    slash or tracking parameters; the host in lower case ("" for no URL)."""
    text = url.strip()
    if not text:
        return ""
    try:
        parts = urlsplit(text if "//" in text else "//" + text)
        port = f":{parts.port}" if parts.port else ""
    except ValueError:  # not a URL a browser would open ("http://[::1", "javascript:x(1)")
        return text
    host = (parts.hostname or "").removeprefix("www.")
    query = urlencode(
        [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
         if not k.lower().startswith(_TRACKING)]
    )  # fmt: skip
    path = parts.path.rstrip("/")
    return f"{host}{port}{path}" + (f"?{query}" if query else "")


def similar(a: str, b: str) -> float:
    """How alike two titles read, 0-100 (word order, case and punctuation ignored)."""
    from rapidfuzz import fuzz, utils

    return float(fuzz.token_sort_ratio(a, b, processor=utils.default_process))


_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")


def same_titles(title: str, known: dict[str, str]) -> list[str]:
    """The keys of the ``known`` titles that are ``title`` (:func:`same_title`), best first;
    the fuzzy scores are computed in one call however many there are."""
    from rapidfuzz import fuzz, process, utils

    found = process.extract(
        title, known, scorer=fuzz.token_sort_ratio, processor=utils.default_process,
        score_cutoff=SIMILAR_TITLE, limit=None,
    )  # fmt: skip
    numbers = _NUMBER.findall(title)
    return [key for _, _, key in found if _NUMBER.findall(known[key]) == numbers]


def same_title(a: str, b: str) -> bool:
    """Two titles of one report: they read alike (``SIMILAR_TITLE``) and carry the same
    numbers ("Poll: 45% back a cut" and "Poll: 46% back a cut" are two polls)."""
    return similar(a, b) >= SIMILAR_TITLE and _NUMBER.findall(a) == _NUMBER.findall(b)


def resembling(typed: str, known: Iterable[str], cutoff: float = SIMILAR_ORIGIN) -> list[str]:
    """The known texts that resemble ``typed`` (rapidfuzz WRatio), best first: suggestions,
    never merged."""
    from rapidfuzz import fuzz, process, utils

    choices = list(dict.fromkeys(k for k in known if k))
    found = process.extract(
        typed, choices, scorer=fuzz.WRatio, processor=utils.default_process,
        score_cutoff=cutoff, limit=5,
    )  # fmt: skip
    return [choice for choice, _score, _index in found]
