"""Dates written in a text, as ISO days: "21 октомври 2025", "21 October", "Oct. 21" → 2025-10-21.

What is read (day first wherever day and month are both numbers, as in Europe):

| Written | Example |
|---|---|
| ISO | 2025-10-21 |
| day.month.year, day/month/year | 21.10.2025, 21.10.2025 г., 21/10/2025 |
| day month [year] | 21 October 2025, 21st of Oct., 21 октомври 2025 г., 21 октября 2025 года |
| month day[, year] | October 21, 2025; Oct. 21; Oct 21st |

Month names: English (full and three- or four-letter abbreviations, with or without a
point; "May" only capitalised, since "may" is a verb), Bulgarian (януари … декември) and
Russian (nominative and genitive, январь/января … декабрь/декабря). Not read: weekdays
("on Monday"), relative days ("yesterday"), ranges ("21-22 October" gives only the 22nd),
two-digit years, month-first numeric dates (10/21/2025 is not a date: no month 21).

A date without a year takes the year that puts it nearest the reference day (the report's
publication): "Oct. 21" in a report of 2025-10-22 is 2025-10-21, "3 January" in one of
2025-12-30 is 2026-01-03. Without a reference day it is written "--10-21" (ISO 8601's
form for a day of an unknown year), which still compares equal to the same day so written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

_ENGLISH = "january february march april may june july august september october november december"
_BULGARIAN = "януари февруари март април май юни юли август септември октомври ноември декември"
_RUSSIAN_NOMINATIVE = (
    "январь февраль март апрель май июнь июль август сентябрь октябрь ноябрь декабрь"
)
_RUSSIAN_GENITIVE = (
    "января февраля марта апреля мая июня июля августа сентября октября ноября декабря"
)


def _month_table() -> dict[str, int]:
    table: dict[str, int] = {}
    for number, name in enumerate(_ENGLISH.split(), start=1):
        table[name] = number
        table[name[:3]] = number
        if name == "september":
            table["sept"] = number
    for names in (_BULGARIAN, _RUSSIAN_NOMINATIVE, _RUSSIAN_GENITIVE):
        for number, name in enumerate(names.split(), start=1):
            table[name] = number
    return table


MONTHS = _month_table()
"""Month name (casefolded) → month number: every spelling this module reads."""

_MONTH = "|".join(sorted(MONTHS, key=len, reverse=True))
_DAY = r"(?P<day>[0-3]?\d)(?:st|nd|rd|th)?"
_YEAR = r"(?P<year>(?:19|20)\d\d)"
_YEAR_MARK = r"(?:\s?(?:г\.|год\w*|г(?!\w)))?"  # Bulgarian and Russian "year": "2025 г."
_PATTERNS = (
    re.compile(r"(?<![\d-])(?P<year>\d{4})-(?P<month>\d{1,2})-(?P<day>\d{1,2})(?![\d-])"),
    re.compile(
        rf"(?<![\d.,/])(?P<day>\d{{1,2}})[./](?P<month>\d{{1,2}})[./](?P<year>\d{{4}})(?!\d)"
        rf"{_YEAR_MARK}"
    ),
    re.compile(
        rf"(?<![\w.,]){_DAY}\.?\s+(?:of\s+)?(?P<name>{_MONTH})(?![^\W\d_])\.?"
        rf"(?:,?\s+{_YEAR}(?!\d){_YEAR_MARK})?",
        re.IGNORECASE,
    ),
    re.compile(
        rf"(?<![^\W\d_])(?P<name>{_MONTH})\.?\s+{_DAY}(?!\d)(?:,?\s+{_YEAR}(?!\d))?",
        re.IGNORECASE,
    ),
)
NO_YEAR = "--"  # the ISO 8601 prefix of a month and day of an unknown year


@dataclass(frozen=True)
class FoundDate:
    """A date in a text: where (``start``, ``end``), as written, and as an ISO day."""

    start: int
    end: int
    written: str
    iso: str


def dates_in(text: str, reference: date | None = None) -> list[FoundDate]:
    """Every date :mod:`this module <forecast.suggestions.dates>` reads in ``text``, in order
    of position; where two readings overlap, the one that starts first (then the longer)."""
    found: list[FoundDate] = []
    for pattern in _PATTERNS:
        for match in pattern.finditer(text):
            iso = _iso(match, reference)
            if iso:
                found.append(FoundDate(match.start(), match.end(), match[0], iso))
    found.sort(key=lambda d: (d.start, -d.end))
    kept: list[FoundDate] = []
    for candidate in found:
        if not kept or candidate.start >= kept[-1].end:
            kept.append(candidate)
    return kept


def iso_date(written: str, reference: date | None = None) -> str | None:
    """``written`` as an ISO day if the whole of it is one date this module reads, else None
    ("21 октомври 2025" → "2025-10-21"; "Oct. 21" with a reference in 2025 → "2025-10-21")."""
    found = dates_in(written.strip(), reference)
    if len(found) == 1 and found[0].written == written.strip():
        return found[0].iso
    return None


def without_dates(text: str, found: list[FoundDate]) -> str:
    """``text`` with the ``found`` dates blanked out, so their digits are not read again as
    numbers (positions are kept)."""
    chars = list(text)
    for d in found:
        chars[d.start : d.end] = " " * (d.end - d.start)
    return "".join(chars)


def _iso(match: re.Match[str], reference: date | None) -> str | None:
    groups = match.groupdict()
    name = groups.get("name")
    if name is not None:
        if name.casefold() == "may" and name != "May":
            return None  # "they may 5 ..." is not a date
        month = MONTHS[name.casefold()]
    else:
        month = int(groups["month"])
    day = int(groups["day"])
    year = groups.get("year")
    if year is not None:
        return _valid(int(year), month, day)
    if not _valid(2000, month, day):  # 2000 is a leap year: 29 February stays possible
        return None
    if reference is None:
        return f"{NO_YEAR}{month:02d}-{day:02d}"
    return _nearest(month, day, reference)


def _valid(year: int, month: int, day: int) -> str | None:
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        return None


def _nearest(month: int, day: int, reference: date) -> str | None:
    """The day ``month``/``day`` nearest ``reference``: last year's, this year's or next."""
    options = [
        date(year, month, day)
        for year in (reference.year - 1, reference.year, reference.year + 1)
        if _valid(year, month, day)
    ]
    if not options:
        return None
    return min(options, key=lambda d: abs((d - reference).days)).isoformat()
