"""Scenario files: a whole ``History`` as human-editable YAML, and back.

A scenario is one YAML mapping::

    format: forecast-scenario/1
    counts: {sources: 6, ...}   # optional: entries per section; the file then ends with "..."
    sources: [...]       # one entry per version of a source
    questions: [...]
    reports: [...]       # one entry per version of a report
    assessments: [...]   # one entry per version of an assessment
    resolutions: [...]   # one entry per version of a resolution
    snapshots: [...]     # stored forecasts, oldest first per question

Every section is optional (files written before snapshots were exported have none, and
read as before). Each entry is a flat mapping of fields; unknown fields and wrongly typed
values are errors, so a typo in a hand-edited file is caught rather than ignored. ``dumps``
writes every version of every record and leaves out fields at their defaults, so
``loads(dumps(h)) == ordered(h)`` for any valid history; snapshots come back exactly too
(:func:`load_all`), in the order of :func:`ordered_snapshots`.

This module is pure: text in, values out. It checks each record on its own (the
validators that need no database); whether a report's source or an assessment's question
exists is for the service layer, which sees the store. Snapshots are the exception: a
snapshot must name a question in the file, because its checks depend on the question's kind.
"""

from __future__ import annotations

import difflib
import hashlib
import itertools
import math
import re
import reprlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import yaml

from forecast import kinds
from forecast.clock import iso, parse_time
from forecast.domain import (
    ID_PATTERN,
    PRIOR_SUM_TOLERANCE,
    Assessment,
    ForecastError,
    History,
    Kind,
    Question,
    Report,
    Resolution,
    Source,
    check_edit,
    check_id,
    check_ratio,
    check_text,
    validate_question,
    validate_report,
    validate_source,
)
from forecast.links import QuestionLink
from forecast.records import REASONS, Snapshot
from forecast.scales import SCALE, strength_to_lr

FORMAT = "forecast-scenario/1"

SECTIONS = ("sources", "questions", "reports", "assessments", "resolutions")
"""The sections that make up a ``History``; ``snapshots`` comes after them."""

# libyaml's parser when PyYAML was built with it (several times faster), else the pure-Python one.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

# Long enough that no line is ever folded: folding is where YAML emitters lose text.
_WIDTH = 1 << 30
_TIMESTAMP = "tag:yaml.org,2002:timestamp"


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


# The fields each section's entries may have, in the order dumps writes them.
_FIELDS = {
    "sources": _words("name type reliability version logged logged_by reason"),
    "questions": _words(
        "id title kind opened prior prior_note deadlines closes alpha options criteria tags "
        "created created_by version edited edited_by reason"
    ),
    "reports": _words(
        "id published source title summary url origin logged logged_by version retracted reason"
    ),
    "assessments": _words(
        "id report question analyst lr strength likelihoods by around within judged rationale "
        "logged logged_by version retracted reason"
    ),
    "resolutions": _words("question outcome date event_date note logged logged_by version"),
    "snapshots": _words("question taken probability vector reason taken_by"),
    "links": _words("child parents by given ended version logged logged_by reason"),
}


@dataclass(frozen=True)
class Scenario:
    """Everything a scenario file holds: a history and the snapshots taken of it."""

    history: History
    snapshots: tuple[Snapshot, ...] = ()


# =========================================================================== loading


def loads(text: str, *, name: str = "scenario") -> History:
    """Read a scenario document's history; raise ``ForecastError`` (one line, naming where).

    The whole document is checked, snapshots included; use :func:`load_all` to keep them.
    """
    return load_all(text, name=name).history


def load_all(text: str, *, name: str = "scenario") -> Scenario:
    """Read a scenario document: its history and its snapshots (in the order written)."""
    top = _top_level(_parse(text, name), name)
    _check_complete(top, text, name)
    records = {section: _read_section(top.get(section), section, name) for section in SECTIONS}
    latest, earlier = question_versions(records["questions"], name)
    questions = {q.id: q for q in latest}
    snaps = tuple(
        snap
        for _, _, snap in _entries(
            top.get("snapshots"), "snapshots", name, lambda f: _read_snapshot(f, questions)
        )
    )
    links = tuple(
        link
        for _, _, link in _entries(
            top.get("links"), "links", name, _read_link
        )
    )
    history = History(
        questions=latest,
        question_versions=earlier,
        sources=records["sources"],
        reports=records["reports"],
        assessments=records["assessments"],
        resolutions=records["resolutions"],
        links=links,
    )
    return Scenario(history, snaps)


def _parse(text: str, name: str) -> Any:
    loader = _LOADER(text)
    try:
        # One pass builds the node tree, checked before any value is built, and the safe
        # constructor turns it into plain values: what safe_load does, keeping the nodes.
        root = _yaml(loader.get_single_node, text, name)
        for node in _nodes(root, name):
            if isinstance(node, yaml.MappingNode):
                _check_mapping_keys(node, name)
        return None if root is None else _yaml(lambda: loader.construct_document(root), text, name)
    finally:
        loader.dispose()


def _yaml(step: Callable[[], Any], text: str, name: str) -> Any:
    """Run one step of the YAML loader; its failures become one line naming where."""
    try:
        return step()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = _one_line(exc.problem or exc.context or "malformed document")
        raise ForecastError(f"{name}: invalid YAML{_at(mark)}: {_clip(problem)}") from None
    except (ValueError, OverflowError) as exc:
        # An impossible timestamp such as 2025-02-30 fails in the constructor, unmarked.
        mark = _bad_timestamp(text)
        raise ForecastError(
            f"{name}: invalid YAML{_at(mark)}: {_clip(_one_line(str(exc)))}"
        ) from None
    except (yaml.YAMLError, RecursionError) as exc:  # bad characters, absurd nesting
        raise ForecastError(f"{name}: invalid YAML: {_clip(_one_line(str(exc)))}") from None


def _at(mark: yaml.Mark | None) -> str:
    return f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""


def _nodes(root: yaml.Node | None, name: str) -> Iterator[yaml.Node]:
    """Every node under ``root``, in document order; an alias (a node met twice) is refused.

    An alias makes one anchored value appear again wherever it is named: a few hundred
    bytes of nested aliases stand for billions of values, and a message quoting one of
    them would never end. A hand-written scenario has no need of them.
    """
    seen: set[int] = set()
    stack = [root] if root is not None else []
    while stack:
        node = stack.pop()
        if id(node) in seen:
            raise ForecastError(
                f"{name}: aliases (*name) are not allowed in scenario files; the value "
                f"anchored{_at(node.start_mark)} is used again: write it out in full"
            )
        seen.add(id(node))
        yield node
        if isinstance(node, yaml.SequenceNode):
            stack.extend(reversed(node.value))
        elif isinstance(node, yaml.MappingNode):
            stack.extend(reversed([part for pair in node.value for part in pair]))


def _bad_timestamp(text: str) -> yaml.Mark | None:
    """Where the first timestamp that is no real date or time starts, if any."""
    loader = yaml.SafeLoader(text)
    try:
        for node in _nodes(loader.get_single_node(), "scenario"):
            if isinstance(node, yaml.ScalarNode) and node.tag == _TIMESTAMP:
                try:
                    loader.construct_yaml_timestamp(node)
                except (ValueError, OverflowError):
                    return node.start_mark
    finally:
        loader.dispose()
    return None


def _check_mapping_keys(node: yaml.MappingNode, name: str) -> None:
    # safe_load keeps the last of two equal keys silently; in a hand-edited file that is
    # almost always a mistake (two "lr:" lines, an option listed twice).
    keys: set[tuple[str, str]] = set()
    for key, _ in node.value:
        if not isinstance(key, yaml.ScalarNode):
            continue
        if (key.tag, key.value) in keys:
            raise ForecastError(f"{name}: duplicate key {quote(key.value)}{_at(key.start_mark)}")
        keys.add((key.tag, key.value))


def _top_level(data: Any, name: str) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise ForecastError(
            f"{name}: expected a mapping starting with 'format: {FORMAT}', not {_type_name(data)}"
        )
    try:
        _reject_unknown(
            data, ("format", "counts", *SECTIONS, "links", "snapshots"), "top-level key"
        )
    except ForecastError as exc:
        raise ForecastError(f"{name}: {exc}") from None
    if "format" not in data:
        raise ForecastError(f"{name}: missing 'format: {FORMAT}' at the top")
    if data["format"] != FORMAT:
        raise ForecastError(
            f"{name}: format {quote(data['format'])} is not supported (expected {FORMAT})"
        )
    return data


_END = re.compile(r"\.\.\.(\s+#.*)?\s*")


def question_versions(
    versions: Sequence[Question], name: str
) -> tuple[tuple[Question, ...], tuple[Question, ...]]:
    """Each question as it stands (its latest version), and the earlier versions of the
    edited ones by id then version; every version must follow the one before (1, 2, ...),
    as an edit of it."""
    by_id: dict[str, list[Question]] = {}
    for q in versions:
        by_id.setdefault(q.id, []).append(q)
    latest, earlier = [], []
    for qid, found in by_id.items():
        found.sort(key=lambda q: q.version)
        try:
            if found[0].version != 1:
                raise ForecastError(f"has version {found[0].version} but no version 1")
            for before, after in itertools.pairwise(found):
                check_edit(before, after)
        except ForecastError as exc:
            raise ForecastError(f"{name}: question {qid}: {exc}") from None
        latest.append(found[-1])
        earlier += found[:-1]
    return tuple(latest), tuple(earlier)


def _check_complete(top: Mapping[str, Any], text: str, name: str) -> None:
    """A file that states its ``counts`` must hold all of it, up to its closing ``...``.

    ``export`` writes the number of entries of each section near the top and ends the
    document with YAML's end marker, so a file cut short anywhere (a copy that stopped, a
    full disk) is refused instead of importing part of a history. Files without ``counts``
    (written by hand, or exported before it existed) carry no such promise and load as
    they are.
    """
    counts = top.get("counts")
    if counts is None:
        return
    sections = (*SECTIONS, "links", "snapshots")
    if not isinstance(counts, dict):
        raise ForecastError(f"{name}: counts: must be a mapping SECTION: NUMBER")
    try:
        _reject_unknown(counts, sections, "section")
    except ForecastError as exc:
        raise ForecastError(f"{name}: counts: {exc}") from None
    for section in sections:
        stated, raw = counts.get(section, 0), top.get(section)
        if isinstance(stated, bool) or not isinstance(stated, int) or stated < 0:
            raise ForecastError(
                f"{name}: counts: {section}: must be a whole number, not {quote(stated)}"
            )
        if raw is not None and not isinstance(raw, list):
            continue  # the section's own check says what is wrong with it
        found = len(raw or ())
        if found < stated:
            raise ForecastError(
                f"{name}: scenario file is truncated: it has {found} {section}, "
                f"its counts say {stated}"
            )
        if found > stated:
            raise ForecastError(
                f"{name}: has {found} {section}, but its counts say {stated}: "
                "after editing the file by hand, correct 'counts' or remove it"
            )
    lines = [line for line in text.splitlines() if line.strip() and not line.startswith("#")]
    if not lines or not _END.fullmatch(lines[-1]):
        raise ForecastError(
            f"{name}: scenario file is truncated: it states counts but does not end with "
            "the end marker '...'"
        )


def _entries(
    raw: Any, section: str, name: str, read: Callable[[_Entry], Any]
) -> Iterator[tuple[int, str, Any]]:
    """(index, location, record) of each entry of a section, each read by ``read``."""
    if raw is None:
        return
    if not isinstance(raw, list):
        raise ForecastError(f"{name}: {section}: must be a list, not {_type_name(raw)}")
    for index, entry in enumerate(raw):
        where = f"{name}: {section}[{index}]{_label(section, entry)}"
        try:
            if not isinstance(entry, dict):
                raise ForecastError(f"must be a mapping of fields, not {_type_name(entry)}")
            record = read(_Entry(entry, _FIELDS[section]))
        except ForecastError as exc:
            raise ForecastError(f"{where}: {exc}") from None
        yield index, where, record


def _read_section(raw: Any, section: str, name: str) -> tuple[Any, ...]:
    records = []
    first: dict[tuple[Any, ...], int] = {}
    for index, where, record in _entries(raw, section, name, _READERS[section]):
        # Two entries with one key and version would make "the latest version" ambiguous.
        key = _record_key(record)
        if key in first:
            raise ForecastError(
                f"{where}: same {_KEY_NAMES[section]} as {section}[{first[key]}] "
                f"({', '.join(map(str, key))}); a correction needs a higher version"
            )
        first[key] = index
        records.append(record)
    return tuple(records)


def _label(section: str, entry: Any) -> str:
    """The ' (id x)' part of an error location, so a long file can be searched."""
    if not isinstance(entry, dict):
        return ""
    key = {"sources": "name", "resolutions": "question", "snapshots": "question",
           "links": "child"}.get(section, "id")  # fmt: skip
    if key in entry:
        return f" ({key} {_show(entry[key])})"
    if section == "assessments" and "report" in entry:
        return f" (report {_show(entry['report'])}, question {_show(entry.get('question'))})"
    return ""


def _show(value: Any) -> str:
    if isinstance(value, str) and value.isprintable() and 0 < len(value) <= QUOTED:
        return value
    return quote(value)


QUOTED = 80
"""At most this many characters of a file's text go into a message: one field may hold
200,000 characters, and a message must stay one readable line."""

# reprlib stops at these sizes while it writes, so even a huge value costs little to quote.
_REPR = reprlib.Repr(
    maxlevel=3, maxtuple=4, maxlist=4, maxdict=4, maxset=4, maxstring=QUOTED, maxother=QUOTED
)


def quote(value: Any) -> str:
    """``repr(value)``, cut to :data:`QUOTED` characters: how messages quote a file's text."""
    text = _REPR.repr(value)
    return text if len(text) <= QUOTED else text[: QUOTED - 1] + "…"


def _clip(message: str) -> str:
    """A message at most a few quotes long; the middle gives way, keeping what and why."""
    if len(message) <= 3 * QUOTED:
        return message
    return f"{message[:QUOTED]} … {message[-QUOTED:]}"


_KEY_NAMES = {
    "sources": "name and version",
    "questions": "id and version",
    "reports": "id and version",
    "assessments": "id and version",
    "resolutions": "question and version",
}


def _record_key(record: Any) -> tuple[Any, ...]:
    if isinstance(record, Source):
        return (record.name, record.version)
    if isinstance(record, Question):
        return (record.id, record.version)
    if isinstance(record, Resolution):
        return (record.question_id, record.version)
    return (record.id, record.version)


# --------------------------------------------------------------------------- fields


class _Entry:
    """One entry of a section, read field by field with strict types."""

    def __init__(self, raw: Mapping[Any, Any], allowed: tuple[str, ...]) -> None:
        _reject_unknown(raw, allowed, "field")
        self._raw = raw

    def get(self, key: str, required: bool) -> Any:
        # An explicit null means "not given", which is friendlier than a type error.
        value = self._raw.get(key)
        if value is None and required:
            raise ForecastError(f"{key}: missing")
        return value

    def text(self, key: str, *, required: bool = False) -> str:
        value = self.get(key, required)
        if value is None:
            return ""
        if not isinstance(value, str):
            raise ForecastError(f"{key}: must be text, not {_type_name(value)} (quote it)")
        if required and not value.strip():
            raise ForecastError(f"{key}: must not be empty")
        _within(key, check_text, value, key)
        return value

    def ident(self, key: str, what: str) -> str:
        value = self.text(key, required=True)
        _within(key, check_id, value, what)
        if not ID_PATTERN.fullmatch(value):  # the pattern's "$" would let a final newline in
            raise ForecastError(f"{key}: {what} id {quote(value)} is invalid")
        return value

    def number(self, key: str, *, required: bool = False) -> float | None:
        value = self.get(key, required)
        return None if value is None else _number(key, value)

    def version(self) -> int:
        value = self.get("version", False)
        if value is None:
            return 1
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ForecastError(f"version: must be a whole number from 1, not {quote(value)}")
        return value

    def flag(self, key: str) -> bool:
        value = self.get(key, False)
        if value is None:
            return False
        if not isinstance(value, bool):
            raise ForecastError(f"{key}: must be true or false, not {quote(value)}")
        return value

    def time(self, key: str, *, required: bool = False) -> datetime | None:
        value = self.get(key, required)
        return None if value is None else _time(key, value)

    def times(self, key: str) -> tuple[datetime, ...]:
        return tuple(_time(key, item) for item in self._list(key))

    def texts(self, key: str) -> tuple[str, ...]:
        items = self._list(key)
        for item in items:
            if not isinstance(item, str):
                raise ForecastError(f"{key}: {quote(item)} must be text (quote it)")
            _within(key, check_text, item, key, required=True)
        return tuple(items)

    def weights(self, key: str) -> tuple[tuple[str, float], ...]:
        """A mapping of names to numbers, in the order written."""
        value = self.get(key, False)
        if value is None:
            return ()
        if not isinstance(value, dict):
            raise ForecastError(f"{key}: must be a mapping NAME: NUMBER, not {_type_name(value)}")
        pairs = []
        for name, number in value.items():
            if not isinstance(name, str) or not name.strip():
                raise ForecastError(f"{key}: name {quote(name)} must be non-empty text (quote it)")
            _within(key, check_text, name, "name")
            pairs.append((name, _number(f"{key}: {_show(name)}", number)))
        return tuple(pairs)

    def has(self, key: str) -> bool:
        return self._raw.get(key) is not None

    def _list(self, key: str) -> list[Any]:
        value = self.get(key, False)
        if value is None:
            return []
        if not isinstance(value, list):
            raise ForecastError(f"{key}: must be a list, not {_type_name(value)}")
        return value


def _number(key: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ForecastError(f"{key}: must be a number, not {quote(value)}")
    try:
        return float(value)
    except OverflowError:
        raise ForecastError(f"{key}: {value} is too large") from None


def _time(key: str, value: Any) -> datetime:
    if not isinstance(value, str | date):  # datetime is a date too
        raise ForecastError(f"{key}: must be a date or date-time, not {quote(value)}")
    try:
        return _within(key, parse_time, value, key)
    except OverflowError:  # a far-past time with an offset cannot move to UTC
        raise ForecastError(f"{key}: {quote(value)} is out of range") from None


def _within(key: str, check: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Run a domain check; its error becomes ``key: problem``."""
    try:
        return check(*args, **kwargs)
    except ForecastError as exc:
        message = str(exc)
        # Domain messages often open with the field's own name; say it once.
        if message.startswith(f"{key} "):
            message = message[len(key) + 1 :]
        # They also quote the value whole, and a file's value may be 200,000 characters.
        raise ForecastError(f"{key}: {_clip(message)}") from None


def _reject_unknown(raw: Mapping[Any, Any], allowed: tuple[str, ...], what: str) -> None:
    for key in raw:
        if not isinstance(key, str):
            raise ForecastError(f"{what} {quote(key)} must be text")
        if key not in allowed:
            close = difflib.get_close_matches(key, allowed, n=1)
            hint = f"did you mean {close[0]!r}?" if close else f"expected: {', '.join(allowed)}"
            raise ForecastError(f"unknown {what} {quote(key)} ({hint})")


def _type_name(value: Any) -> str:
    names = {
        dict: "a mapping",
        list: "a list",
        str: "text",
        bool: "true/false",
        int: "a number",
        float: "a number",
        date: "a date",
        datetime: "a date-time",
        type(None): "nothing",
    }
    return names.get(type(value), f"a value of type {type(value).__name__}")


def _one_line(text: str) -> str:
    return " ".join(text.split())


# --------------------------------------------------------------------------- records


def _read_source(f: _Entry) -> Source:
    return validate_source(
        Source(
            name=f.text("name", required=True),
            reliability=f.number("reliability", required=True),  # type: ignore[arg-type]
            type=f.text("type"),
            version=f.version(),
            logged_at=f.time("logged"),
            logged_by=f.text("logged_by"),
            reason=f.text("reason"),
        )
    )


def _read_question(f: _Entry) -> Question:
    kind_text = f.text("kind", required=True)
    try:
        kind = Kind(kind_text)
    except ValueError:
        raise ForecastError(
            f"kind: {quote(kind_text)} is not one of binary, event, choice"
        ) from None
    question = Question(
        id=f.ident("id", "question"),
        title=f.text("title", required=True),
        kind=kind,
        opened=f.time("opened", required=True),  # type: ignore[arg-type]
        prior=f.number("prior"),
        options=f.weights("options"),
        deadlines=f.times("deadlines"),
        closes=f.time("closes"),
        alpha=f.number("alpha"),
        criteria=f.text("criteria"),
        prior_note=f.text("prior_note"),
        tags=f.texts("tags"),
        created_by=f.text("created_by"),
        created_at=f.time("created"),
        version=f.version(),
        edited_at=f.time("edited"),
        edited_by=f.text("edited_by"),
        reason=f.text("reason"),
    )
    if question.version == 1 and (question.edited_at or question.edited_by or question.reason):
        raise ForecastError("edited, edited_by and reason belong to a later version (version: 2)")
    return validate_question(question)


def _read_report(f: _Entry) -> Report:
    return validate_report(
        Report(
            id=f.ident("id", "report"),
            published=f.time("published", required=True),  # type: ignore[arg-type]
            source=f.text("source", required=True),
            title=f.text("title"),
            summary=f.text("summary"),
            url=f.text("url"),
            origin=f.text("origin"),
            logged_at=f.time("logged"),
            logged_by=f.text("logged_by"),
            version=f.version(),
            retracted=f.flag("retracted"),
            reason=f.text("reason"),
        )
    )


def _read_assessment(f: _Entry) -> Assessment:
    report = f.ident("report", "report")
    question = f.ident("question", "question")
    analyst = f.text("analyst", required=True)
    lr, strength, likelihoods = _judgement(f)
    if f.has("id"):
        aid = f.ident("id", "assessment")
    else:
        aid = default_assessment_id(report, question, analyst)
    return Assessment(
        id=aid,
        report_id=report,
        question_id=question,
        analyst=analyst,
        lr=lr,
        likelihoods=likelihoods,
        strength=strength,
        by=f.time("by"),
        around=f.time("around"),
        within=_whole_days(f),
        judged=_judged(f),
        rationale=f.text("rationale"),
        logged_at=f.time("logged"),
        logged_by=f.text("logged_by"),
        version=f.version(),
        retracted=f.flag("retracted"),
        reason=f.text("reason"),
    )


def _whole_days(f: _Entry) -> int:
    value = f.get("within", False)
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int):
        raise ForecastError(f"within: must be a whole number of days, not {quote(value)}")
    return value


def _judged(f: _Entry) -> float | tuple[tuple[str, float], ...] | None:
    """The probability an analyst stated ("I am now at P"): a number, or one per option."""
    if isinstance(f.get("judged", False), dict):
        return f.weights("judged")
    return f.number("judged")


def _judgement(f: _Entry) -> tuple[float | None, str, tuple[tuple[str, float], ...]]:
    """The (lr, strength word, likelihoods) of an assessment: exactly one way of saying it."""
    likelihoods = tuple(
        (
            name,
            _within(
                f"likelihoods: {_show(name)}", check_ratio, value, f"likelihood of {quote(name)}"
            ),
        )
        for name, value in f.weights("likelihoods")
    )
    given = [key for key in ("lr", "strength") if f.has(key)]
    if likelihoods:
        given.append("likelihoods")
    if len(given) > 1:
        raise ForecastError(
            f"give only one of lr, strength, likelihoods (found {', '.join(given)})"
        )
    # A retraction may carry no judgement: it withdraws one rather than making one.
    if not given and not f.flag("retracted"):
        raise ForecastError("give one of lr, strength (a word on the scale) or likelihoods")
    if f.has("strength"):
        word = f.text("strength", required=True)
        lr = _within("strength", strength_to_lr, word)
        canonical = next(key for key, value in SCALE.items() if value == lr)
        return lr, canonical, ()
    lr = f.number("lr")
    return (None if lr is None else _within("lr", check_ratio, lr)), "", likelihoods


def _read_resolution(f: _Entry) -> Resolution:
    # YAML 1.1 reads a bare yes/no as true/false; in an outcome they can only mean that.
    outcome = f.get("outcome", True)
    if isinstance(outcome, bool):
        outcome = "yes" if outcome else "no"
    elif not isinstance(outcome, str) or not outcome.strip():
        raise ForecastError(
            f"outcome: must be yes, no, annulled or an option, not {quote(outcome)}"
        )
    _within("outcome", check_text, outcome, "outcome")
    return Resolution(
        question_id=f.ident("question", "question"),
        outcome=outcome,
        resolved_on=f.time("date", required=True),  # type: ignore[arg-type]
        event_on=f.time("event_date"),
        note=f.text("note"),
        logged_at=f.time("logged"),
        logged_by=f.text("logged_by"),
        version=f.version(),
    )


def _read_snapshot(f: _Entry, questions: Mapping[str, Question]) -> Snapshot:
    qid = f.ident("question", "question")
    question = questions.get(qid)
    if question is None:
        raise ForecastError(f"question: {quote(qid)} is not a question of this file")
    snap = Snapshot(
        question_id=qid,
        taken_at=f.time("taken", required=True),  # type: ignore[arg-type]
        probability=f.number("probability"),
        vector=f.weights("vector"),
        reason=f.text("reason") or "manual",
        taken_by=f.text("taken_by"),
    )
    return check_snapshot(snap, question)


def check_snapshot(snap: Snapshot, question: Question) -> Snapshot:
    """Check a snapshot against its question; return it with its time in UTC.

    Probabilities lie in [0, 1]. A choice question's snapshot is its option vector (every
    option once, no headline probability); a binary or event question's has a headline
    probability, and for an event question the deadline ladder as its vector.
    """
    if snap.reason not in REASONS:
        raise ForecastError(f"reason: {quote(snap.reason)} is not one of {', '.join(REASONS)}")
    if snap.probability is not None:
        _probability("probability", snap.probability)
    for name, value in snap.vector:
        _probability(f"vector: {name}", value)
    names = [name for name, _ in snap.vector]
    if len(set(names)) != len(names):
        raise ForecastError("vector: a name repeats")
    if kinds.has_options(question):
        if snap.probability is not None:
            raise ForecastError(
                "probability: a choice question's snapshot has none (its vector is the forecast)"
            )
        options = question.option_names
        unknown = [name for name in names if name not in options]
        if unknown:
            raise ForecastError(f"vector: {quote(unknown[0])} is not an option of {question.id}")
        missing = [name for name in options if name not in names]
        if missing:
            raise ForecastError(f"vector: option {quote(missing[0])} of {question.id} is missing")
        # Scores treat the vector as a distribution; one that is not would fail every score.
        total = math.fsum(value for _, value in snap.vector)
        if abs(total - 1.0) > PRIOR_SUM_TOLERANCE:
            raise ForecastError(f"vector: the probabilities must sum to 1, not {total:g}")
    elif snap.probability is None:
        raise ForecastError("probability: missing")
    elif not kinds.has_ladder(question) and snap.vector:
        raise ForecastError(
            "vector: a binary question's snapshot has none (its probability is the forecast)"
        )
    else:
        # An event question's vector is its deadline ladder, one entry per deadline.
        rungs = {iso(d) for d in question.deadlines}
        stray = [name for name in names if name not in rungs]
        if stray:
            raise ForecastError(
                f"vector: {quote(stray[0])} is not a deadline of {question.id} "
                f"({', '.join(sorted(rungs))})"
            )
    return Snapshot(
        question_id=snap.question_id,
        taken_at=parse_time(snap.taken_at),
        probability=snap.probability,
        vector=snap.vector,
        reason=snap.reason,
        taken_by=snap.taken_by,
        id=snap.id,
        imported_at=snap.imported_at,
        imported_by=snap.imported_by,
    )


def _probability(key: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ForecastError(f"{key}: must be a number, not {quote(value)}")
    if not 0.0 <= value <= 1.0:  # NaN fails this too
        raise ForecastError(f"{key}: must be between 0 and 1, not {quote(value)}")
    return float(value)


_READERS: dict[str, Callable[[_Entry], Any]] = {
    "sources": _read_source,
    "questions": _read_question,
    "reports": _read_report,
    "assessments": _read_assessment,
    "resolutions": _read_resolution,
}


def default_assessment_id(report_id: str, question_id: str, analyst: str) -> str:
    """The id an assessment gets when its entry names none: ``report.question.analyst``.

    When the analyst's name (or the length) does not fit the id pattern, the offending
    characters become '-' and a short hash of the original keeps two such names apart.
    """
    raw = f"{report_id}.{question_id}.{analyst}"
    if ID_PATTERN.fullmatch(raw):
        return raw
    digest = hashlib.sha256(raw.encode("utf-8")).hexdigest()[:8]
    stem = re.sub(r"[^A-Za-z0-9._:-]+", "-", raw).strip("._:-")[:119] or "a"
    return f"{stem}-{digest}"


# =========================================================================== dumping


def dumps(history: History, snapshots: Iterable[Snapshot] = ()) -> str:
    """Write every version of every record of ``history`` as a scenario document.

    ``snapshots`` go in a last section, by question then time (snapshots taken at the same
    time keep the order given, which is the store's).
    """
    h = ordered(history)
    sections: dict[str, Iterable[dict[str, Any]]] = {
        "sources": map(_source_entry, h.sources),
        "questions": map(_question_entry, _every_version(h)),
        "reports": map(_report_entry, h.reports),
        "assessments": map(_assessment_entry, h.assessments),
        "resolutions": map(_resolution_entry, h.resolutions),
        "links": map(_link_entry, sorted(h.links, key=lambda x: (x.child, x.version))),
        "snapshots": map(_snapshot_entry, ordered_snapshots(snapshots)),
    }
    listed = {
        section: [_compact(entry) for entry in entries] for section, entries in sections.items()
    }
    listed = {section: entries for section, entries in listed.items() if entries}
    # The counts come first and "..." ends the document, so a copy cut short is refused
    # on load (see _check_complete).
    counts = _InlineMapping({section: len(entries) for section, entries in listed.items()})
    return yaml.dump(
        {"format": FORMAT, "counts": counts, **listed},
        Dumper=_Dumper,
        allow_unicode=True,
        sort_keys=False,
        default_flow_style=False,
        width=_WIDTH,
        explicit_end=True,
    )


def _every_version(history: History) -> list[Question]:
    """The questions in order, each preceded by its earlier versions."""
    earlier: dict[str, list[Question]] = {}
    for v in history.question_versions:
        earlier.setdefault(v.id, []).append(v)
    return [
        v
        for q in history.questions
        for v in (*sorted(earlier.get(q.id, ()), key=lambda v: v.version), q)
    ]


def ordered(history: History) -> History:
    """``history`` with its records in the order ``dumps`` writes them (as tuples)."""
    first_published: dict[str, datetime] = {}
    for r in history.reports:
        if r.id not in first_published or r.published < first_published[r.id]:
            first_published[r.id] = r.published
    # Versions of one report stay together (ordered by its earliest published time), so
    # a correction that moves the published time never lands before its original.
    reports = tuple(sorted(history.reports, key=lambda r: (first_published[r.id], r.id, r.version)))
    rank: dict[str, int] = {}
    for index, r in enumerate(reports):
        rank.setdefault(r.id, index)
    return History(
        questions=tuple(sorted(history.questions, key=lambda q: (q.opened, q.id))),
        question_versions=tuple(sorted(history.question_versions, key=lambda q: (q.id, q.version))),
        sources=tuple(sorted(history.sources, key=lambda s: (s.name, s.version))),
        reports=reports,
        assessments=tuple(
            sorted(
                history.assessments,
                key=lambda a: (
                    rank.get(a.report_id, len(reports)),
                    a.report_id,
                    a.question_id,
                    a.analyst,
                    a.id,
                    a.version,
                ),
            )
        ),
        resolutions=tuple(sorted(history.resolutions, key=lambda r: (r.question_id, r.version))),
        extra=history.extra,
        links=tuple(sorted(history.links, key=lambda x: (x.child, x.version))),
    )


def ordered_snapshots(snapshots: Iterable[Snapshot]) -> tuple[Snapshot, ...]:
    """``snapshots`` in the order ``dumps`` writes them: by question, then time taken."""
    return tuple(sorted(snapshots, key=lambda s: (s.question_id, s.taken_at)))


def _source_entry(s: Source) -> dict[str, Any]:
    return {
        "name": s.name,
        "type": s.type,
        "reliability": s.reliability,
        "version": s.version,
        "logged": s.logged_at,
        "logged_by": s.logged_by,
        "reason": s.reason,
    }


def _question_entry(q: Question) -> dict[str, Any]:
    return {
        "id": q.id,
        "title": q.title,
        "kind": Kind(q.kind).value,
        "opened": q.opened,
        "prior": q.prior,
        "prior_note": q.prior_note,
        "deadlines": _Inline(q.deadlines),
        "closes": q.closes,
        "alpha": q.alpha,
        "options": dict(q.options),
        "criteria": q.criteria,
        "tags": _Inline(q.tags),
        "created": q.created_at,
        "created_by": q.created_by,
        "version": q.version,
        "edited": q.edited_at,
        "edited_by": q.edited_by,
        "reason": q.reason,
    }


def _report_entry(r: Report) -> dict[str, Any]:
    return {
        "id": r.id,
        "published": r.published,
        "source": r.source,
        "title": r.title,
        "summary": r.summary,
        "url": r.url,
        "origin": r.origin,
        "logged": r.logged_at,
        "logged_by": r.logged_by,
        "version": r.version,
        "retracted": r.retracted,
        "reason": r.reason,
    }


def _assessment_entry(a: Assessment) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "id": a.id,
        "report": a.report_id,
        "question": a.question_id,
        "analyst": a.analyst,
    }
    if a.lr is not None:
        # The word is written only when it still stands for this very number; otherwise
        # the number is what counts and the (stale) word is the one thing not kept.
        if a.strength and SCALE.get(a.strength) == a.lr:
            entry["strength"] = a.strength
        else:
            entry["lr"] = a.lr
    entry["likelihoods"] = dict(a.likelihoods)
    if a.by is not None:
        entry["by"] = a.by
    if a.around is not None:
        entry["around"] = a.around
        entry["within"] = a.within
    if a.judged is not None:
        entry["judged"] = a.judged if isinstance(a.judged, float) else dict(a.judged)
    return entry | {
        "rationale": a.rationale,
        "logged": a.logged_at,
        "logged_by": a.logged_by,
        "version": a.version,
        "retracted": a.retracted,
        "reason": a.reason,
    }


def _resolution_entry(r: Resolution) -> dict[str, Any]:
    return {
        "question": r.question_id,
        "outcome": r.outcome,
        "date": r.resolved_on,
        **({} if r.event_on is None else {"event_date": r.event_on}),
        "note": r.note,
        "logged": r.logged_at,
        "logged_by": r.logged_by,
        "version": r.version,
    }


def _link_entry(x: QuestionLink) -> dict[str, Any]:
    given: dict[str, Any] = {}
    for combo, values in x.given:
        given["|".join(combo)] = values[0] if len(values) == 1 else list(values)
    return {
        "child": x.child,
        "parents": list(x.parents),
        "by": None if all(d is None for d in x.by) else list(x.by),
        "given": given,
        "ended": True if not x.active else None,
        "version": x.version,
        "logged": x.logged_at,
        "logged_by": x.logged_by,
        "reason": x.reason,
    }


def _read_link(f: _Entry) -> QuestionLink:
    """A link: the child, its parents, an event parent's deadline per parent (``by``), and
    ``given``: the parents' states joined by "|" -> the child's probability (a choice
    child: a list, one per option in the question's order)."""
    child = f.ident("child", "question")
    parents = f.texts("parents")
    for parent in parents:
        _within("parents", check_id, parent, "question")
    by_raw = f._list("by")
    by = tuple(None if d is None else _time("by", d) for d in by_raw) or (None,) * len(parents)
    if len(by) != len(parents):
        raise ForecastError(f"by: give one date (or null) per parent, {len(parents)} in all")
    raw = f.get("given", True)
    if not isinstance(raw, dict) or not raw:
        raise ForecastError(f"given: must be a mapping STATES: PROBABILITY, not {quote(raw)}")
    given = []
    for combo, value in raw.items():
        if not isinstance(combo, str) or not combo.strip():
            raise ForecastError(f"given: {quote(combo)} must be the parents' states (quote it)")
        where = f"given: {_show(combo)}"
        items = value if isinstance(value, list) else [value]
        given.append((tuple(s.strip() for s in combo.split("|")),
                      tuple(_number(where, v) for v in items)))  # fmt: skip
    return QuestionLink(
        child,
        tuple(parents),
        tuple(given),
        by,
        active=not f.flag("ended"),
        version=f.version(),
        logged_at=f.time("logged"),
        logged_by=f.text("logged_by"),
        reason=f.text("reason"),
    )


def _snapshot_entry(s: Snapshot) -> dict[str, Any]:
    return {
        "question": s.question_id,
        "taken": s.taken_at,
        "probability": s.probability,
        "vector": _InlineMapping(s.vector),
        "reason": s.reason,
        "taken_by": s.taken_by,
    }


def _compact(entry: dict[str, Any]) -> dict[str, Any]:
    """Leave out fields at their defaults, which ``loads`` fills back in."""
    return {key: value for key, value in entry.items() if not _is_default(key, value)}


def _is_default(key: str, value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, str | tuple | list | dict) and not value:
        return True
    return (key == "version" and value == 1) or (key == "retracted" and value is False)


# --------------------------------------------------------------------------- YAML style


class _Inline(list[Any]):
    """A short list of scalars, written on one line: ``[2025-11-30, 2025-12-31]``."""


class _InlineMapping(dict[str, Any]):
    """A short mapping of names to numbers, on one line: ``{a: 0.25, b: 0.75}``."""


class _Dumper(yaml.SafeDumper):
    """SafeDumper with our styles; a subclass so the global SafeDumper is left alone."""

    def ignore_aliases(self, data: Any) -> bool:
        return True  # shared tuples must not become &id001 anchors in a hand-edited file


def _represent_text(dumper: yaml.SafeDumper, text: str) -> yaml.ScalarNode:
    # Plain and single-quoted scalars cannot carry "\r", tabs, other control characters or
    # edge spaces exactly (YAML normalises line breaks and trims); double quotes escape
    # them, so those strings come back byte for byte.
    exotic = not text.isprintable() or text != text.strip()
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style='"' if exotic else None)


def _represent_time(dumper: yaml.SafeDumper, value: datetime) -> yaml.ScalarNode:
    # Tagged as a timestamp so it is written bare (2025-10-21T18:00:00Z), not quoted.
    return dumper.represent_scalar(_TIMESTAMP, iso(value))


def _represent_inline(dumper: yaml.SafeDumper, items: _Inline) -> yaml.SequenceNode:
    return dumper.represent_sequence("tag:yaml.org,2002:seq", items, flow_style=True)


def _represent_inline_mapping(dumper: yaml.SafeDumper, items: _InlineMapping) -> yaml.MappingNode:
    return dumper.represent_mapping("tag:yaml.org,2002:map", items, flow_style=True)


_Dumper.add_representer(str, _represent_text)
_Dumper.add_representer(datetime, _represent_time)
_Dumper.add_representer(_Inline, _represent_inline)
_Dumper.add_representer(_InlineMapping, _represent_inline_mapping)
