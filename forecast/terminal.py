"""Stored text made harmless for a terminal: what every human-readable CLI line goes through.

A title, a source name or an error quoting them is typed by someone else and may carry
control characters. Printed raw, ESC (and the C1 controls a terminal also obeys) starts a
sequence that retitles the terminal, rewrites what is on screen, or worse; a carriage return
overwrites the start of a line. :func:`printable` shows each such character as a visible
escape instead (``\\x1b``), so the analyst sees that something odd is in the text.
``--json`` output is not passed through here: JSON escapes C0 itself, and
:func:`json_text` escapes the rest without changing the data.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

# C0 controls except tab and newline (they only lay text out), DEL, and the C1 block
# (U+0080-U+009F: U+009B is CSI, U+009D is OSC on terminals that take 8-bit controls).
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# Line and paragraph separators: some terminals and pagers break lines on them.
_SEPARATORS = re.compile(r"[\u2028\u2029]")


def _visible(found: re.Match[str]) -> str:
    return f"\\x{ord(found[0]):02x}" if ord(found[0]) < 0x100 else f"\\u{ord(found[0]):04x}"


def printable(text: object) -> str:
    """``text`` with every control character shown as an escape; tabs and newlines kept."""
    return _SEPARATORS.sub(_visible, _CONTROL.sub(_visible, str(text)))


def cell(text: object) -> str:
    """Stored text for one line of a table or heading: a newline or tab in a title must not
    start a row of its own (it could pass for another question), so they show as escapes."""
    return str(text).replace("\t", "\\t").replace("\n", "\\n")


def width(text: object) -> int:
    """Columns ``text`` takes on a terminal, as printed: a CJK character takes two, a
    combining mark none (``len`` would misalign every table holding such text)."""
    from wcwidth import wcswidth  # only tables need it: imported where used

    shown = printable(text)
    columns = wcswidth(shown)
    return columns if columns >= 0 else len(shown)


def pad(text: object, columns: int) -> str:
    """``text`` padded with spaces to ``columns`` terminal columns (never cut)."""
    return str(text) + " " * max(0, columns - width(text))


def clip(text: str, columns: int) -> str:
    """``text`` cut to at most ``columns`` terminal columns, with an ellipsis if cut."""
    from wcwidth import wcwidth

    if width(text) <= columns:
        return text
    out, used = [], 0
    for char in text:
        w = max(wcwidth(char), 0)
        if used + w > columns - 1:
            break
        out.append(char)
        used += w
    return "".join(out) + "…"


def table(rows: Sequence[Sequence[object]], indent: str = "") -> list[str]:
    """Rows (a header first, if any) as aligned lines: each cell made one line
    (:func:`cell`) and padded to its column's widest, in terminal columns."""
    cells = [[cell(c) for c in row] for row in rows]
    widths = [max(width(row[i]) for row in cells) for i in range(len(cells[0]))] if cells else []
    return [
        indent + "  ".join(pad(c, w) for c, w in zip(row, widths, strict=True)).rstrip()
        for row in cells
    ]


def json_text(text: str) -> str:
    """JSON text (from ``json.dumps``) with the controls JSON leaves raw written as escapes.

    ``json.dumps(..., ensure_ascii=False)`` escapes U+0000-U+001F but writes DEL and the C1
    controls as they are; ``\\u007f`` and ``\\u009b`` decode to the same strings, so the data
    stays exact while the terminal sees no control.
    """
    return re.sub(r"[\x7f-\x9f\u2028\u2029]", lambda m: f"\\u{ord(m[0]):04x}", text)


def say(text: object = "", *, err: bool = False, nl: bool = True) -> None:
    """Print one human-readable line (or block) of the CLI: every such print comes here."""
    import click

    click.echo(printable(text), err=err, nl=nl)
