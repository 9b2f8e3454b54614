"""Turning form fields into the library's values, with the CLI's checks and messages.

Fields are read as text and converted by the library's own checks (``check_number``,
``parse_time``), so a bad value gets the same one-line message as on the command line;
widget bounds are never the validation.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time
from typing import Any

import streamlit as st

from dashboards.text import md
from forecast.clock import parse_time
from forecast.domain import ForecastError, check_number, check_share

FLASH = "flash"  # session_state key: a message to show once, after a rerun


def number(raw: str, what: str) -> float | None:
    """A number typed in a field, or None when the field is blank."""
    text = raw.strip()
    return None if not text else check_number(text, what)


def share(raw: str, what: str) -> float | None:
    """A probability or reliability typed as 0.4 or 40%, or None when the field is blank."""
    text = raw.strip()
    return None if not text else check_share(text, what)


def day(raw: str, what: str) -> datetime | None:
    """One ISO date (or date-time) typed in a field, or None when the field is blank."""
    text = raw.strip()
    return None if not text else parse_time(text, what)


def days(raw: str, what: str) -> int:
    """A whole number of days typed in a field (blank: 0), as the CLI reads ``--within``;
    its range is the library's to check."""
    text = raw.strip()
    if not text:
        return 0
    value = check_number(text, what)
    if not value.is_integer():
        raise ForecastError(f"{what} must be a whole number of days, not {text}")
    return int(value)


def pairs(
    raw: str, what: str, number: Callable[[Any, str], float] = check_number
) -> list[tuple[str, float]]:
    """``NAME=VALUE`` entries, one per line or separated by commas (``number``: how a value
    is read; ``check_share`` takes 40% too)."""
    found = []
    for entry in raw.replace(",", "\n").splitlines():
        if not entry.strip():
            continue
        name, sep, value = entry.rpartition("=")
        if not sep or not name.strip():
            raise ForecastError(f"{what} {entry.strip()!r} is not NAME=VALUE")
        found.append((name.strip(), number(value.strip(), f"{what} of {name.strip()!r}")))
    return found


def dates(raw: str, what: str) -> list[datetime]:
    """ISO dates or date-times, separated by commas or spaces."""
    return [parse_time(part, what) for part in raw.replace(",", " ").split()]


def words(raw: str) -> tuple[str, ...]:
    """Comma-separated words (tags), stripped, blanks dropped."""
    return tuple(w.strip() for w in raw.split(",") if w.strip())


def at(day: date, clock: time | None = None) -> datetime:
    """A picked date (and time of day) as an aware UTC datetime."""
    return datetime.combine(day, clock or time(), tzinfo=UTC)


class FieldErrors(ForecastError):
    """Several fields of one form could not be read: each says what is wrong with it."""

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


class Fields:
    """Read a form's typed fields, collecting every one that cannot be read, so that a
    visitor sees all of them at once instead of fixing one, submitting, and meeting the next.

    ``read(parse, raw, what)`` returns ``parse(raw, what)``, or None after noting its error;
    ``done()`` raises :class:`FieldErrors` with all of them (the library's own rules come
    after, once every field reads).
    """

    def __init__(self) -> None:
        self.problems: list[str] = []

    def read[T](self, parse: Callable[..., T], *args: Any) -> T | None:
        try:
            return parse(*args)
        except FieldErrors as exc:  # a reader that collects its own: keep each
            self.problems += exc.problems
            return None
        except ForecastError as exc:
            self.problems.append(str(exc))
            return None

    def done(self) -> None:
        if self.problems:
            raise FieldErrors(self.problems)


@contextmanager
def reporting(where: st.delta_generator.DeltaGenerator | None = None) -> Iterator[None]:
    """Show a library error (ForecastError) as an error box instead of a traceback.

    The message is the library's one line, escaped: it may quote user text (an option, an
    id), which must show as typed, never as Markdown.
    """
    try:
        yield
    except FieldErrors as exc:
        for problem in exc.problems:
            (where or st).error(md(problem), icon=":material/error:")
    except ForecastError as exc:
        (where or st).error(md(str(exc)), icon=":material/error:")


def flash(message: str) -> None:
    """Keep a success message for the next run (the form is reset by a rerun)."""
    st.session_state[FLASH] = message


def show_flash() -> None:
    message = st.session_state.pop(FLASH, None)
    if message:
        st.success(message, icon=":material/check_circle:")  # md: escaped by flash's callers


def generation(form: str) -> int:
    """A counter in the widget keys of a form: bumping it gives a fresh, empty form."""
    return int(st.session_state.get(f"{form}_generation", 0))


def key(form: str, field: str) -> str:
    """The widget key of a form's field, in the form's current generation."""
    return f"{form}_{field}_{generation(form)}"


def reset(form: str) -> None:
    """Empty a form on the next run (after a successful save)."""
    st.session_state[f"{form}_generation"] = generation(form) + 1
