"""Showing user text safely and numbers consistently.

User text (titles, summaries, rationales, source names) never reaches HTML: bodies go
through ``st.text``, which parses nothing; where a Markdown element is unavoidable (a
header, a caption, a link label, an error box, a success message, a widget's label) the text
is escaped first with :func:`md`. That is one rule for every element, messages included: a
library error may quote an option name such as ``[Sign in again](https://evil.example)``.
``tests/test_hardening_faces.py`` checks every such call in ``dashboards/``.
"""

from __future__ import annotations

import math
import re
from datetime import date, datetime

# Every character Markdown, Streamlit's directives (:red[...], :material/x:, emoji
# shortcodes) or its LaTeX ($...$) could give a meaning to. "/" is there because the
# front end rewrites ":material/" in the raw source, before any escape is read.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|~$:^=&\"'/])")
# Streamlit turns " -- " into an em dash, " -> " into an arrow and so on, in text nodes,
# after escapes are resolved; a word joiner (invisible, zero width) in front of such a
# sequence keeps it as typed.
_TYPOGRAPHY = re.compile(r"(?<!\S)(<->|->|<-|--|>=|<=|~=)(?!\S)")
WORD_JOINER = "\u2060"
# The front end links web addresses in text (GFM's autolink literals: "http://", "https://",
# "www.") even when every character is escaped, as a real browser showed; a word joiner
# after the scheme or "www" breaks the pattern and shows the address as typed.
_AUTOLINK = re.compile(r"(https?(?=:)|www(?=\.))", re.IGNORECASE)


def md(text: str) -> str:
    """``text`` on one line, escaped so that Markdown shows exactly its characters.

    Prefer ``st.text`` for user text; use this only where an element takes Markdown.
    """
    flat = " ".join(str(text).split())
    guarded = _TYPOGRAPHY.sub(lambda m: WORD_JOINER + m.group(1), flat)
    guarded = _AUTOLINK.sub(lambda m: m.group(1) + WORD_JOINER, guarded)
    return _MARKDOWN_SPECIAL.sub(r"\\\1", guarded)


def pct(p: float | None, digits: int = 1) -> str:
    """A probability as a percentage ("12.3%"), or an en dash when unknown."""
    if p is None or (isinstance(p, float) and math.isnan(p)):
        return "–"
    return f"{100 * p:.{digits}f}%"


def pts(delta: float | None) -> str:
    """A change of probability in percentage points, signed ("+2.0 pts")."""
    if delta is None or (isinstance(delta, float) and math.isnan(delta)):
        return "–"
    return f"{100 * delta:+.1f} pts"


def day(value: datetime | date | None) -> str:
    """A date as YYYY-MM-DD (UTC), or an en dash."""
    if value is None:
        return "–"
    return value.date().isoformat() if isinstance(value, datetime) else value.isoformat()


def moment(value: datetime | None) -> str:
    """A time as "YYYY-MM-DD HH:MM UTC", or just the date at midnight."""
    if value is None:
        return "–"
    if (value.hour, value.minute, value.second) == (0, 0, 0):
        return value.date().isoformat()
    return value.strftime("%Y-%m-%d %H:%M UTC")


def clip(text: str, limit: int = 240) -> str:
    """``text`` on one line, cut at ``limit`` characters with an ellipsis."""
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"
