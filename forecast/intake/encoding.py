"""Which character encoding a page's bytes are in, and its text (pure: no I/O).

The order is a browser's: a byte order mark; the charset the server declared; the one the
page declares in a ``<meta>`` tag near its start; UTF-8 if the bytes are valid UTF-8; and
last, detection by charset-normalizer (well kept; it is what requests and trafilatura
use). A declared charset that Python does not know, or that the bytes do not decode in, is
passed over, as a browser would; only when nothing reads the bytes is the page refused.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

META_PRESCAN_BYTES = 1024  # how far the HTML standard has a browser look for <meta charset>
_META_CHARSET = re.compile(rb"""<meta[^>]*?charset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)""", re.I)
_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# Labels browsers read as a wider encoding (the WHATWG Encoding standard): a page labelled
# Latin-1 or ASCII is nearly always Windows-1252 (curly quotes Latin-1 lacks), and one
# labelled GB2312 often holds characters only its superset GBK has.
_AS_BROWSERS_READ = {"iso8859-1": "cp1252", "ascii": "cp1252", "gb2312": "gbk"}


@dataclass(frozen=True)
class Decoded:
    """A page's text and the encoding (Python's name for it) it was read in."""

    text: str
    encoding: str


def decode_html(body: bytes, declared: str | None = None) -> Decoded | None:
    """The text of an HTML page's bytes, or None if no encoding reads them."""
    for encoding in _candidates(body, declared):
        try:
            return Decoded(body.decode(encoding), encoding)
        except (UnicodeDecodeError, LookupError):
            continue
    return _detected(body)


def declared_in_page(body: bytes) -> str | None:
    """The charset a page declares in a ``<meta>`` tag at its start, if any."""
    found = _META_CHARSET.search(body[:META_PRESCAN_BYTES])
    return found.group(1).decode("ascii") if found else None


def codec_name(label: str | None) -> str | None:
    """Python's name for an encoding label ("windows-1251" -> "cp1251"), or None if unknown."""
    if not label:
        return None
    try:
        name = codecs.lookup(label.strip()).name
    except LookupError:
        return None
    return _AS_BROWSERS_READ.get(name, name)


def _candidates(body: bytes, declared: str | None) -> list[str]:
    """The encodings to try in order, each once."""
    for bom, encoding in _BOMS:
        if body.startswith(bom):
            return [encoding]
    labels = [codec_name(declared), codec_name(declared_in_page(body)), "utf-8"]
    return list(dict.fromkeys(label for label in labels if label))


def _detected(body: bytes) -> Decoded | None:
    from charset_normalizer import from_bytes

    best = from_bytes(body).best()
    if best is None:
        return None
    return Decoded(str(best), codec_name(best.encoding) or best.encoding)
