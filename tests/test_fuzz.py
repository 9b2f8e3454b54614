"""Bad input, tried systematically: random and adversarial values at the API and the CLI.

The rule every case must keep: it either succeeds, and then what was stored reads back
equal, or it fails with one ``ForecastError`` (API) or one ``error: ...`` line and a
non-zero exit (CLI), and the database holds exactly what it held before. Every table is
append-only, so "nothing half-written" is checked by comparing the row counts of every
table before and after each refused case; at the end of each test, whatever was stored must
export, import into an empty database and export again to the very same text.

The API cases run on SQLite and on PostgreSQL. Each test reports how many cases it tried.
The small tests at the end pin bugs these tests once found (now fixed).
"""

from __future__ import annotations

import itertools
import json
import math
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from support import examples

from forecast import scenario
from forecast.api import Judgement, Tracker
from forecast.cli import main
from forecast.clock import parse_time
from forecast.domain import (
    Assessment,
    ForecastError,
    History,
    Kind,
    Question,
    Report,
    Resolution,
    Source,
)
from forecast.scales import SCALE

# per API test; PostgreSQL round trips cost more
EXAMPLES = {"sqlite": examples(120), "postgresql": examples(40)}
CLI_EXAMPLES = examples(150)
OPENED = parse_time("2025-01-01")
XSS = "<script>alert('x')</script>"
SQL = "'; DROP TABLE questions; --"
LONGEST = 200_000  # domain.MAX_TEXT: the longest text accepted

SETTINGS = settings(
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.filter_too_much,
    ],
    print_blob=True,
)
serial = itertools.count()  # keeps the ids of successive cases apart


# ---------------------------------------------------------------------- adversarial values

SPECIMEN_TEXT = [
    "",
    " ",
    "plain",
    "\x00",
    "before\x00after",
    "\ud800",  # a lone surrogate: not encodable as UTF-8
    "ok \udfff",
    "Путин и Трамп",
    "🤝🏽👩‍👩‍👧 🇺🇦",
    "שלום עולם",
    "مرحبا بالعالم",
    "\u202eevil RTL override\u202c",
    "e\u0301\u0301\u0301 (combining)",
    "\r\n\t\x0b\x0c",
    "\x1b[31mred\x1b[0m",
    XSS,
    SQL,
    "Robert'); DROP TABLE reports;--",
    "null",
    "~",
    "yes",
    "- item",
    "key: value",
    "&anchor *alias",
    "!!python/object/apply:os.system ['true']",
    "%s %d {0} {name}",
    "x" * LONGEST,
    "x" * (LONGEST + 1),
]

EDGE_NUMBERS: list[Any] = [
    0.0,
    -0.0,
    1.0,
    -1.0,
    0.5,
    0.3,
    1e-320,  # subnormal
    5e-324,
    1e-300,
    1e300,
    1.7976931348623157e308,
    1 - 2**-53,
    1 + 2**-52,
    math.nan,
    math.inf,
    -math.inf,
    10**400,  # an int no float can hold
    True,
    "0.5",
    None,
]

EDGE_TIMES = [
    datetime(1, 1, 1),
    datetime(1, 1, 1, tzinfo=UTC),
    datetime(1, 1, 1, 3, tzinfo=timezone(timedelta(hours=5))),  # before year 1 in UTC
    datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
    datetime(9999, 12, 31, 22, tzinfo=timezone(timedelta(hours=-5))),  # after 9999 in UTC
    datetime(1970, 1, 1, tzinfo=UTC),
    datetime(2024, 2, 29, 12, tzinfo=UTC),
    datetime(2025, 6, 1, tzinfo=UTC),
    datetime(2025, 12, 31, 23, 59, 59, 999999, tzinfo=timezone(timedelta(hours=14))),
    datetime(2026, 1, 1),
]


BAD_SHARE = 0.08  # chance that any one field of a case gets a value meant to be refused


def mixed(good: st.SearchStrategy[Any], bad: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Mostly ``good`` values, sometimes ``bad``: a case then tends to have one bad field,
    which is what shows whether that one field is checked before anything is written."""
    # sampled_from picks evenly, unlike floats or integers, which favour their edges; the
    # bad values sit at the end, so shrinking (towards the start) heads for good values.
    first_bad = 100 - round(BAD_SHARE * 100)
    return st.sampled_from(range(100)).flatmap(lambda x: bad if x >= first_bad else good)


def good_texts(*, long: bool = True) -> st.SearchStrategy[str]:
    # Long texts cost a second or more in YAML, so file-making strategies leave them out.
    valid = [t for t in SPECIMEN_TEXT if _storable(t) and (long or len(t) < 1000)]
    return st.one_of(
        st.sampled_from(valid),
        st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), max_size=30),
    )


def bad_texts(*, long: bool = True) -> st.SearchStrategy[str]:
    bad = [t for t in SPECIMEN_TEXT if not _storable(t) and (long or len(t) < 1000)]
    return st.one_of(
        st.sampled_from(bad),
        st.text(st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF), min_size=1, max_size=2),
    )


def texts(*, required: bool = False, long: bool = True) -> st.SearchStrategy[str]:
    good = good_texts(long=long)
    return mixed(good.filter(str.strip) if required else good, bad_texts(long=long))


def _storable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return "\x00" not in text and len(text) <= LONGEST


def any_numbers() -> st.SearchStrategy[Any]:
    return st.one_of(
        st.sampled_from(EDGE_NUMBERS),
        st.floats(),
        st.integers(min_value=-(2**70), max_value=2**70),
    )


def probabilities() -> st.SearchStrategy[Any]:
    return mixed(st.floats(min_value=1e-9, max_value=1 - 1e-9), any_numbers())


def ratios() -> st.SearchStrategy[Any]:
    return mixed(st.floats(min_value=1e-6, max_value=1e6), any_numbers())


def offsets() -> st.SearchStrategy[timezone]:
    day = timedelta(hours=23, minutes=59)
    return st.builds(timezone, st.timedeltas(min_value=-day, max_value=day))


def any_times() -> st.SearchStrategy[datetime]:
    return st.one_of(
        st.sampled_from(EDGE_TIMES),
        st.datetimes(
            min_value=datetime(1, 1, 1),
            max_value=datetime(9999, 12, 31, 23, 59, 59),
            timezones=st.none() | st.just(UTC) | offsets(),
        ),
    )


def times(start: datetime = OPENED, days: int = 400) -> st.SearchStrategy[datetime]:
    """Mostly times in the ``days`` after ``start`` (any zone), sometimes any time at all."""
    near = st.datetimes(
        min_value=start.replace(tzinfo=None),
        max_value=(start + timedelta(days=days)).replace(tzinfo=None),
        timezones=st.just(UTC) | offsets() | st.none(),
    )
    return mixed(near, any_times())


def ids() -> st.SearchStrategy[str | None]:
    """None means "a fresh valid id"; otherwise an id that is odd or plainly invalid."""
    odd = st.sampled_from(
        ["", " ", "a b", "-lead", "x" * 128, "x" * 129, "q/../x", "ünï", "a;b", "a\nb", "a\n"]
    )
    return mixed(st.none(), odd | st.text(max_size=8))


def fresh(prefix: str, chosen: str | None) -> str:
    return f"{prefix}{next(serial)}" if chosen is None else chosen


# ---------------------------------------------------------------------- the rule


# Crashes found in forecast/* and not fixed yet, by exception type and message. A case that
# hits one is counted (and must still leave the database untouched) instead of failing, so the
# fuzzing goes on looking for other bugs. Empty: every bug found so far is fixed and pinned by
# a test at the end of this file.
KNOWN_BUGS: dict[str, tuple[type[BaseException], str]] = {}


def known_bug(exc: BaseException) -> str | None:
    """The name of the known bug ``exc`` is, if it is one."""
    for name, (kind, text) in KNOWN_BUGS.items():
        if isinstance(exc, kind) and text in str(exc):
            return name
    return None


@dataclass
class Outcomes:
    stored: int = 0
    refused: int = 0
    known: Counter[str] = field(default_factory=Counter)

    @property
    def tried(self) -> int:
        return self.stored + self.refused + sum(self.known.values())

    def summary(self) -> str:
        text = f"{self.tried} cases, {self.stored} stored, {self.refused} refused"
        if self.known:
            text += ", known bugs hit: " + ", ".join(f"{n} x {k!r}" for k, n in self.known.items())
        return text


class Target:
    """A database under fire: runs cases and checks the all-or-nothing rule for each."""

    def __init__(self, url: str):
        self.url = url
        self.tracker = Tracker.open(url, user="fuzzer")
        self.outcomes = Outcomes()

    def counts(self) -> dict[str, int]:
        with self.tracker.store.read() as tx:
            return tx.counts()

    def attempt(self, action: Callable[[], Any]) -> Any:
        """Run ``action``; return its result, or None if it was refused the right way."""
        before = self.counts()
        try:
            result = action()
        except ForecastError as exc:
            message = str(exc)
            assert message.strip() and "\n" not in message, repr(message)
            assert self.counts() == before, f"half-written after: {message}"
            self.outcomes.refused += 1
            return None
        except Exception as exc:
            bug = known_bug(exc)
            if bug is None:
                raise
            assert self.counts() == before, f"half-written after: {exc!r}"
            self.outcomes.known[bug] += 1
            return None
        self.outcomes.stored += 1
        return result

    def close(self) -> None:
        self.tracker.store.close()


@pytest.fixture
def target(new_database: Callable[[], str]) -> Iterator[Target]:
    opened = Target(new_database())
    yield opened
    opened.close()


def examples(backend: str) -> settings:
    return settings(SETTINGS, max_examples=EXAMPLES[backend])


def finish(
    target: Target,
    name: str,
    backend: str,
    new_database: Callable[[], str],
    report_figure: Callable[[str], None],
) -> None:
    """Whatever was stored exports, imports into an empty database, and exports the same."""
    exported = target.tracker.export_scenario()
    copy = Tracker.open(new_database(), user="fuzzer")
    try:
        copy.import_scenario(exported)
        assert copy.export_scenario() == exported
    finally:
        copy.store.close()
    report_figure(f"fuzz {name} [{backend}]: {target.outcomes.summary()}")
    assert target.outcomes.stored > 0 and target.outcomes.refused > 0


# ---------------------------------------------------------------------- API: questions


@st.composite
def questions(draw: st.DrawFn) -> tuple[str | None, Question]:
    kind = draw(mixed(st.sampled_from(["binary", "event", "choice"]), st.sampled_from(["", "☃"])))
    opened = draw(times())
    try:  # deadlines a sensible distance after the opening, when the calendar allows
        days = draw(st.lists(st.integers(1, 900), min_size=1, max_size=3))
        after = tuple(opened + timedelta(days=d) for d in days)
    except OverflowError:
        after = ()
    n = draw(st.integers(2, 4))
    weights = tuple((f"option {i}", 1 / n) for i in range(n))
    bad_options = st.lists(st.tuples(texts(), any_numbers()), max_size=4).map(tuple)
    question = Question(
        id="",
        title=draw(texts(required=True)),
        kind=kind,  # type: ignore[arg-type]  # a bad kind is part of the test
        opened=opened,
        prior=None if kind == "choice" else draw(probabilities()),
        options=draw(mixed(st.just(weights if kind == "choice" else ()), bad_options)),
        deadlines=draw(
            mixed(st.just(after if kind == "event" else ()), st.lists(any_times(), max_size=3))
        ),
        alpha=draw(mixed(st.none() | st.floats(0.1, 10), any_numbers()))
        if kind == "event"
        else None,
        criteria=draw(texts()),
        prior_note=draw(texts()),
        tags=tuple(draw(st.lists(texts(required=True), max_size=3))),
    )
    return draw(ids()), question


def test_fuzz_add_question(
    target: Target,
    team_backend: str,
    new_database: Callable[[], str],
    report_figure: Callable[[str], None],
) -> None:
    @examples(team_backend)
    @given(case=questions())
    def case(case: tuple[str | None, Question]) -> None:
        chosen, question = case
        question = replace(question, id=fresh("q", chosen))
        stored = target.attempt(lambda: target.tracker.add_question(question))
        if stored is None:
            return
        assert target.tracker.question(stored.id) == stored
        _assert_sane(target.tracker, stored.id)

    case()
    finish(target, "add_question", team_backend, new_database, report_figure)


SHOWN_DAYS = 5_000  # longer trajectories (a question opened in year 1) skip the JSON check


def _assert_sane(tracker: Tracker, question_id: str) -> None:
    """A stored question's state can be computed and shown, and its numbers are probabilities."""
    state = tracker.state(question_id, explain=False)
    p = state.probability
    values = list(p.values()) if isinstance(p, dict) else [p]
    assert all(0.0 <= v <= 1.0 for v in values), values
    if len(state.trajectory.probability) <= SHOWN_DAYS:
        # Unexplained (as the overview computes it) and explained (as `forecast show` does).
        json.dumps(state.to_json(), allow_nan=False)
        json.dumps(tracker.state(question_id).to_json(), allow_nan=True)


# ---------------------------------------------------------------------- API: sources


def test_fuzz_add_source(
    target: Target,
    team_backend: str,
    new_database: Callable[[], str],
    report_figure: Callable[[str], None],
) -> None:
    @examples(team_backend)
    @given(
        name=mixed(st.none(), texts(required=True) | st.sampled_from([" padded ", "\tTab"])),
        reliability=mixed(st.floats(0.0, 1.0), any_numbers()),
        kind=texts(),
    )
    @example(name=None, reliability=0.5, kind="")  # always one that lands
    @example(name=None, reliability=float("nan"), kind="")  # and one that must be refused
    def case(name: str | None, reliability: Any, kind: str) -> None:
        name = fresh("Source ", name)
        stored = target.attempt(lambda: target.tracker.add_source(name, reliability, kind))
        if stored is not None:
            assert target.tracker.source_versions(name) == [stored]

    case()
    finish(target, "add_source", team_backend, new_database, report_figure)


# ---------------------------------------------------------------------- API: evidence

QUESTIONS = {
    "fz-binary": Question("fz-binary", "Binary?", Kind.BINARY, OPENED, prior=0.3),
    "fz-event": Question(
        "fz-event",
        "Event by the deadlines?",
        Kind.EVENT,
        OPENED,
        prior=0.4,
        deadlines=(OPENED + timedelta(days=180), OPENED + timedelta(days=365)),
    ),
    "fz-choice": Question(
        "fz-choice", "Which?", Kind.CHOICE, OPENED, options=(("a", 0.5), ("b", 0.3), ("c", 0.2))
    ),
}


def add_fixed_questions(tracker: Tracker) -> None:
    tracker.add_source("Wire", 0.7, "agency")
    for question in QUESTIONS.values():
        tracker.add_question(question)


@st.composite
def judgements(draw: st.DrawFn, question_id: str) -> Judgement:
    kind = QUESTIONS[question_id].kind if question_id in QUESTIONS else Kind.BINARY
    words = st.sampled_from([*SCALE, "Strong For", " very strong  for ", "strong", "huge"])
    if kind is Kind.CHOICE:
        names = st.sampled_from(["a", "b", "c"])
        given_ = {"likelihoods": st.lists(st.tuples(names, ratios()), min_size=1, max_size=3)}
    else:
        given_ = {"lr": ratios(), "strength": mixed(words, texts())}
    chosen = draw(mixed(st.sampled_from(sorted(given_)), st.just("several")))
    fields: dict[str, Any] = {}
    for name in sorted(given_) if chosen == "several" else [chosen]:
        fields[name] = draw(given_[name])
    if draw(mixed(st.just(False), st.just(True))):  # the wrong kind of judgement as well
        fields.setdefault("lr", draw(ratios()))
    likelihoods = tuple(fields.pop("likelihoods", ()))
    return Judgement(question_id, likelihoods=likelihoods, rationale=draw(texts()), **fields)


@st.composite
def evidence_cases(draw: st.DrawFn) -> dict[str, Any]:
    known = st.sampled_from(sorted(QUESTIONS))
    question_ids = draw(
        mixed(
            st.lists(known, min_size=1, max_size=3, unique=True),
            st.lists(known | st.sampled_from(["nope", "bad id", ""]), min_size=1, max_size=3),
        )
    )
    # No knowledge time is drawn: a live write's is the store's clock (imports state theirs).
    published = draw(times())
    reuse = draw(mixed(st.none(), st.integers(0, 50)))
    # An existing report is named by its id alone; repeating its source and date is allowed.
    restate = draw(mixed(st.just(reuse is None), st.booleans()))
    return {
        "judgements": [draw(judgements(q)) for q in question_ids],
        "source": draw(mixed(st.just("Wire"), st.none() | texts())) if restate else None,
        "published": draw(mixed(st.just(published), st.none() | any_times())) if restate else None,
        "analyst": draw(mixed(st.none() | st.sampled_from(["ana", "борис"]), texts())),
        "origin": draw(mixed(st.sampled_from(["", "leak 1", "leak 2"]), texts())),
        "title": draw(texts()),
        "summary": draw(texts()),
        "url": draw(texts()),
        "new_report_id": draw(ids()),
        "reuse": reuse,
        "dry_run": draw(mixed(st.just(False), st.just(True))),
    }


def test_fuzz_log_evidence(
    target: Target,
    team_backend: str,
    new_database: Callable[[], str],
    report_figure: Callable[[str], None],
) -> None:
    add_fixed_questions(target.tracker)
    reports: list[str] = []

    @examples(team_backend)
    @given(case=evidence_cases())
    def case(case: dict[str, Any]) -> None:
        reuse = case.pop("reuse")
        chosen = case.pop("new_report_id")
        if reuse is not None and reports:  # assess a report that is already stored
            case["report_id"] = reports[reuse % len(reports)]
        else:
            case["new_report_id"] = fresh("r", chosen)
            if reuse is not None:  # nothing to reuse yet: a new report needs these
                case["source"] = case["source"] or "Wire"
                case["published"] = case["published"] or OPENED
        before = target.counts()
        logged = target.attempt(lambda: target.tracker.log_evidence(**case))
        if logged is None:
            return
        if case["dry_run"]:
            assert target.counts() == before
            assert set(logged.previews) == {j.question_id for j in case["judgements"]}
            return
        reports.append(logged.report.id)
        with target.tracker.store.read() as tx:
            assert logged.report in tx.report_versions(logged.report.id)
            for a in logged.assessments:
                assert tx.assessment_versions(a.id) == [a]
        for a in logged.assessments:
            _assert_sane(target.tracker, a.question_id)

    case()
    finish(target, "log_evidence", team_backend, new_database, report_figure)


# ---------------------------------------------------------------------- API: resolutions

VALID_OUTCOMES = {
    "fz-binary": ["yes", "no", "annulled", "YES", " no ", "Annulled"],
    "fz-choice": ["a", "b", "c", "annulled", " c "],
}


@st.composite
def resolutions(draw: st.DrawFn) -> tuple[str, list[tuple[str, datetime, str, bool]]]:
    """A question template and up to three resolutions of it (later ones mostly corrections)."""
    template = draw(st.sampled_from(sorted(VALID_OUTCOMES)))
    outcomes = mixed(st.sampled_from(VALID_OUTCOMES[template]), st.sampled_from(["A", "maybe"]))
    steps = []
    for index in range(draw(st.integers(1, 3))):
        correction = draw(mixed(st.just(index > 0), st.just(index == 0)))
        steps.append((draw(outcomes | texts()), draw(times()), draw(texts()), correction))
    return template, steps


def test_fuzz_resolve(
    target: Target,
    team_backend: str,
    new_database: Callable[[], str],
    report_figure: Callable[[str], None],
) -> None:
    @examples(team_backend)
    @given(case=resolutions())
    def case(case: tuple[str, list[tuple[str, datetime, str, bool]]]) -> None:
        template, steps = case
        question = target.tracker.add_question(
            replace(QUESTIONS[template], id=f"res{next(serial)}")
        )
        for outcome, when, note, correction in steps:
            resolved = target.attempt(
                lambda o=outcome, w=when, n=note, c=correction: target.tracker.resolve(
                    question.id, o, w, n, correction=c
                )
            )
            if resolved is None:
                continue
            with target.tracker.store.read() as tx:
                assert tx.resolutions(question.id)[-1] == resolved
            state = target.tracker.state(question.id)
            assert state.status.value == (
                "annulled" if resolved.outcome == "annulled" else "resolved"
            )

    case()
    finish(target, "resolve", team_backend, new_database, report_figure)


# ---------------------------------------------------------------------- API: scenario files

ADVERSARIAL_DOCUMENTS = [
    "",
    "~",
    "just text",
    "- a\n- list\n",
    "format: forecast-scenario/2\n",
    "\ufeffformat: forecast-scenario/1\n",
    "format: forecast-scenario/1\nsources: {name: A}\n",
    "format: forecast-scenario/1\nsources:\n  - name: A\n    name: B\n    reliability: 0.5\n",
    "a: &a [x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a]\nsources: [*b, *b]\n",
    "[" * 3000 + "]" * 3000,
    "!!python/object/apply:os.system ['echo pwned']\n",
    "format: forecast-scenario/1\nsources: !!set {a, b}\n",
    "format:\tforecast-scenario/1\n",
    "format: forecast-scenario/1\nquestions:\n  - id: q\n    title: t\n    kind: binary\n"
    "    prior: 0.5\n    opened: 2025-02-30\n",
    "\x00\x01\x02",
    "format: forecast-scenario/1\n" + "#" * 10_000 + "\n",
    # the longest text accepted, and one character more
    f"format: forecast-scenario/1\nsources:\n  - name: Long\n    type: {'x' * LONGEST}\n"
    "    reliability: 0.5\n",
    f"format: forecast-scenario/1\nsources:\n  - name: Longer\n    type: {'x' * (LONGEST + 1)}\n"
    "    reliability: 0.5\n",
]


def base_history(prefix: str) -> History:
    """A small valid scenario whose ids all start with ``prefix``."""
    source = f"{prefix} Wire"
    logged = OPENED + timedelta(days=3)
    return History(
        sources=(Source(source, 0.8, "agency", logged_at=OPENED, logged_by="ana"),),
        questions=(
            replace(QUESTIONS["fz-binary"], id=f"{prefix}-b"),
            replace(QUESTIONS["fz-choice"], id=f"{prefix}-c"),
        ),
        reports=(
            Report(f"{prefix}-r", OPENED + timedelta(days=1), source, title=XSS, logged_at=logged),
        ),
        assessments=(
            Assessment(
                f"{prefix}-a1", f"{prefix}-r", f"{prefix}-b", "ana", lr=3.0, logged_at=logged
            ),
            Assessment(
                f"{prefix}-a1",
                f"{prefix}-r",
                f"{prefix}-b",
                "ana",
                lr=2.0,
                logged_at=logged + timedelta(hours=1),
                version=2,
                reason=SQL,
            ),
            Assessment(
                f"{prefix}-a2",
                f"{prefix}-r",
                f"{prefix}-c",
                "ana",
                likelihoods=(("a", 2.0),),
                logged_at=logged,
            ),
        ),
        resolutions=(
            Resolution(f"{prefix}-b", "yes", OPENED + timedelta(days=30), logged_at=logged),
        ),
    )


DELETE, UNKNOWN = object(), object()  # mutation markers: drop the field, add a stray one


def yaml_values() -> st.SearchStrategy[Any]:
    leaves = st.one_of(
        st.none(),
        st.booleans(),
        any_numbers().filter(lambda x: not isinstance(x, str)),
        good_texts(),
        st.dates(),
        st.datetimes(timezones=st.none() | st.just(UTC)),
    )
    return st.recursive(
        leaves,
        lambda inner: (
            st.lists(inner, max_size=3) | st.dictionaries(good_texts(long=False), inner, max_size=3)
        ),
        max_leaves=6,
    )


@st.composite
def documents(draw: st.DrawFn) -> tuple[str, str | None]:
    """A scenario document (text) and the id prefix it uses, if it is a mutated valid one."""
    kind = draw(st.sampled_from(["mutated", "mutated", "mutated", "random", "adversarial"]))
    if kind == "random":
        return draw(st.text(max_size=200)), None
    if kind == "adversarial":
        return draw(st.sampled_from(ADVERSARIAL_DOCUMENTS)), None
    prefix = f"s{next(serial)}"
    document = yaml.safe_load(scenario.dumps(base_history(prefix)))
    for _ in range(draw(st.integers(0, 2))):
        section = draw(
            st.sampled_from(sorted(k for k in document if k not in ("format", "counts")))
        )
        entry = draw(st.sampled_from(document[section]))
        name = draw(st.sampled_from(sorted(entry)))
        value = draw(st.sampled_from([DELETE, UNKNOWN]) | yaml_values() | texts(long=False))
        if value is DELETE:
            del entry[name]
        elif value is UNKNOWN:
            entry["surprise"] = 1
        else:
            entry[name] = value
    try:
        # Ending with "...", as an export does: the counts then promise a whole file.
        text = yaml.safe_dump(document, allow_unicode=True, sort_keys=False, explicit_end=True)
    except yaml.YAMLError:  # a value YAML itself cannot write (a lone surrogate)
        text = scenario.dumps(base_history(prefix))
    cut = draw(mixed(st.none(), st.integers(0, len(text))))
    return (text if cut is None else text[:cut]), prefix


# table -> the name import_scenario counts it under
CORE = {
    "questions": "questions",
    "source_versions": "sources",
    "reports": "reports",
    "assessments": "assessments",
    "resolutions": "resolutions",
}


def test_fuzz_import_scenario(
    target: Target,
    team_backend: str,
    new_database: Callable[[], str],
    report_figure: Callable[[str], None],
) -> None:
    add_fixed_questions(target.tracker)

    @examples(team_backend)
    @given(case=documents())
    def case(case: tuple[str, str | None]) -> None:
        text, _prefix = case
        before = target.counts()
        counts = target.attempt(lambda: target.tracker.import_scenario(text, name="fuzz.yaml"))
        if counts is None:
            return
        after = target.counts()
        # Everything in the file was stored, once.
        assert {t: after[t] - before[t] for t in CORE} == {t: counts[c] for t, c in CORE.items()}
        for q in scenario.loads(text).questions:
            stored = target.tracker.question(q.id)
            # Marked as imported by the importer; otherwise as the file states it.
            assert stored.imported_by == "fuzzer" and stored.imported_at is not None
            assert replace(
                stored, created_at=None, created_by="", imported_at=None, imported_by=""
            ) == replace(q, created_at=None, created_by="")
            _assert_sane(target.tracker, q.id)

    case()
    finish(target, "import_scenario", team_backend, new_database, report_figure)


# ---------------------------------------------------------------------- the command line

NUMBER_WORDS = [
    "0.5", "0", "1", "-0", "-0.0", "nan", "NaN", "inf", "-inf", "1e309", "1e-400", "0x1p-2",
    "½", "٣", "", "  0.3 ", "1_000", "0,5", "5e-324", "1" + "0" * 400,
]  # fmt: skip
DATE_WORDS = [
    "2025-02-30", "2025-13-01", "0001-01-01", "9999-12-31", "0000-01-01", "10000-01-01",
    "2025-01-01T25:00", "2025-03-01T00:00:00+05:00", "0001-01-01T00:00:00+05:00",
    "9999-12-31T23:00:00-05:00", "2025-06-01t12:00:00z", "now", "", " 2025-03-01 ",
    "2025-03-01T12:00:00+24:00", "2025-W10",
]  # fmt: skip
DATABASES = [
    "mysql://ana:secret@localhost/x",
    "postgresql://ana:secret@127.0.0.1:1/forecast",
    "sqlite:////no/such/directory/x.db",
    "::::",
    "",
]


def words() -> st.SearchStrategy[str]:
    return texts(required=True)


def cli_numbers(good: st.SearchStrategy[float]) -> st.SearchStrategy[str]:
    return mixed(good.map(repr), st.sampled_from(NUMBER_WORDS) | st.floats().map(repr) | texts())


def cli_dates() -> st.SearchStrategy[str]:
    near = st.dates(date(2025, 1, 1), date(2025, 12, 31)).map(date.isoformat)
    bad = st.sampled_from(DATE_WORDS) | any_times().map(datetime.isoformat) | texts()
    return mixed(near, bad)


QUESTION_IDS = ["cli-b", "cli-e", "cli-c"]


@st.composite
def question_add(draw: st.DrawFn) -> list[str]:
    kind = draw(mixed(st.sampled_from(["binary", "event", "choice"]), words()))
    qid = draw(mixed(st.just(f"cq{next(serial)}"), words()))
    argv = ["question", "add", qid, "--title", draw(words()), "--kind", kind]
    argv += ["--opened", draw(cli_dates())]
    if kind == "choice":
        for name in draw(st.lists(mixed(st.sampled_from("xyz"), words()), max_size=3)):
            argv += ["--option", f"{name}={draw(cli_numbers(st.floats(0.01, 0.99)))}"]
    else:
        argv += ["--prior", draw(cli_numbers(st.floats(0.01, 0.99)))]
    if kind == "event":
        argv += ["--deadline", draw(cli_dates())]
        argv += ["--alpha", draw(cli_numbers(st.floats(0.5, 3)))]
    return argv


@st.composite
def source_add(draw: st.DrawFn) -> list[str]:
    reliability = draw(cli_numbers(st.floats(0.0, 1.0)))
    return ["source", "add", draw(words()), "--reliability", reliability, "--type", draw(texts())]


@st.composite
def evidence_add(draw: st.DrawFn) -> list[str]:
    question = draw(mixed(st.sampled_from(QUESTION_IDS), words()))
    argv = ["evidence", "add", "--question", question, "--published", draw(cli_dates())]
    argv += ["--source", draw(mixed(st.just("Wire"), words()))]
    for option in ("--title", "--rationale", "--origin"):
        argv += [option, draw(texts())]
    ratio = cli_numbers(st.floats(0.1, 10))
    if question == "cli-c":
        argv += ["--likelihood", f"{draw(mixed(st.sampled_from('xyz'), words()))}={draw(ratio)}"]
    elif draw(st.booleans()):
        argv += ["--lr", draw(ratio)]
    else:
        argv += ["--strength", draw(mixed(st.sampled_from(sorted(SCALE)), words()))]
    return argv


@st.composite
def resolve(draw: st.DrawFn) -> list[str]:
    outcome = draw(mixed(st.sampled_from(["yes", "no", "x", "annulled"]), words()))
    question = draw(mixed(st.sampled_from(["cli-b", "cli-c"]), words()))
    argv = ["resolve", question, "--outcome", outcome, "--date", draw(cli_dates())]
    return [*argv, "--note", draw(texts())]


@st.composite
def reads(draw: st.DrawFn) -> list[str]:
    question = draw(mixed(st.sampled_from(QUESTION_IDS), words()))
    as_of = draw(st.none() | cli_dates())
    timed = [] if as_of is None else ["--as-of", as_of]
    return draw(
        st.sampled_from(
            [
                ["show", question, "--json", *timed],
                ["question", "list", "--json", *timed],
                ["audit", question, "--json"],
                ["source", "list", "--json"],
            ]
        )
    )


@st.composite
def imports(draw: st.DrawFn, scratch: Path) -> list[str]:
    text, _ = draw(documents())
    path = scratch / f"doc-{next(serial)}.yaml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    return ["import", str(path)]


@st.composite
def corrections(draw: st.DrawFn) -> list[str]:
    action = draw(st.sampled_from(["correct", "retract", "retract-report"]))
    return ["evidence", action, draw(words()), "--reason", draw(texts())]


def commands(scratch: Path) -> st.SearchStrategy[list[str]]:
    """One command line, many of its arguments hostile."""
    elsewhere = st.sampled_from(DATABASES).map(lambda url: ["--db", url, "question", "list"])
    return st.one_of(
        question_add(),
        source_add(),
        evidence_add(),
        resolve(),
        reads(),
        imports(scratch),
        corrections(),
        elsewhere,
    )


def test_fuzz_command_line(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    report_figure: Callable[[str], None],
) -> None:
    monkeypatch.chdir(tmp_path)  # a --db that is a bare word is a file here, not in the project
    for argv in (
        ["init"],
        ["source", "add", "Wire", "--reliability", "0.7"],
        ["question", "add", "cli-b", "--title", "B?", "--kind", "binary", "--opened",
         "2025-01-01", "--prior", "0.3"],
        ["question", "add", "cli-e", "--title", "E?", "--kind", "event", "--opened",
         "2025-01-01", "--prior", "0.3", "--deadline", "2025-12-31"],
        ["question", "add", "cli-c", "--title", "C?", "--kind", "choice", "--opened",
         "2025-01-01", "--option", "x=0.5", "--option", "y=0.3", "--option", "z=0.2"],
    ):  # fmt: skip
        assert main(argv) == 0, capsys.readouterr().err
    tracker = Tracker.open(None, user="fuzzer")
    outcomes = Outcomes()

    def counts() -> dict[str, int]:
        # Every table is append-only: unchanged counts mean nothing at all was written.
        with tracker.store.read() as tx:
            return tx.counts()

    @settings(SETTINGS, max_examples=CLI_EXAMPLES)
    @given(argv=commands(tmp_path))
    def case(argv: list[str]) -> None:
        capsys.readouterr()
        before = counts()
        try:
            code = main(argv)
        except Exception as exc:
            bug = known_bug(exc)
            if bug is None:
                raise
            outcomes.known[bug] += 1
            assert counts() == before
            return
        out, err = capsys.readouterr()
        if code == 0:
            outcomes.stored += 1
            if "--json" in argv:
                json.loads(out)
            return
        outcomes.refused += 1
        assert code in (1, 2), (code, err)
        lines = err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: "), err
        assert "secret" not in err  # a password in a URL is never echoed
        assert counts() == before

    try:
        case()
        for state in tracker.states():  # whatever was stored can be shown
            assert main(["show", state.question.id, "--json"]) == 0
            json.loads(capsys.readouterr().out)
    finally:
        tracker.store.close()
    report_figure(f"fuzz command line [sqlite]: {outcomes.summary()}")
    assert outcomes.stored > 0 and outcomes.refused > 0


# ---------------------------------------------------------------------- markup and SQL as text


def test_markup_and_sql_are_stored_and_shown_as_text(capsys: pytest.CaptureFixture[str]) -> None:
    def run(*argv: str) -> str:
        assert main(list(argv)) == 0, capsys.readouterr().err
        return capsys.readouterr().out

    run("source", "add", SQL, "--reliability", "0.6", "--type", XSS)
    question = ["markup", "--kind", "binary", "--opened", "2025-01-01", "--prior", "0.4"]
    run("question", "add", *question, "--title", XSS, "--criteria", SQL)
    evidence = ["--question", "markup", "--source", SQL, "--published", "2025-02-01", "--lr", "2"]
    run("evidence", "add", *evidence, "--title", XSS, "--summary", SQL, "--rationale", XSS)
    shown = json.loads(run("show", "markup", "--json"))
    assert (shown["title"], shown["criteria"]) == (XSS, SQL)
    (moved,) = shown["contributions"]
    assert (moved["title"], moved["source"]) == (XSS, SQL)
    exported = run("export", "-")
    again = scenario.loads(exported)
    assert again.questions[0].title == XSS and again.reports[0].summary == SQL
    assert again.sources[0].name == SQL and again.sources[0].type == XSS
    audit = json.loads(run("audit", "markup", "--json"))
    assert [e["details"]["title"] for e in audit if e["kind"] in {"question", "report"}] == [
        XSS,
        XSS,
    ]
    assert [e["key"] for e in audit if e["kind"] == "source"] == [SQL]
    # Nothing was run as SQL: every table is still there and holds what was written.
    with Tracker.open(None).store.read() as tx:
        counts = tx.counts()
    assert counts["questions"] == counts["reports"] == counts["assessments"] == 1


# ---------------------------------------------------------------------- bugs found and fixed


def test_bug_a_time_beyond_year_1_in_utc_is_one_error_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = main(["question", "add", "far", "--title", "T", "--kind", "binary",
                 "--opened", "0001-01-01T00:00:00+05:00", "--prior", "0.5"])  # fmt: skip
    assert code == 1
    assert capsys.readouterr().err.startswith("error: ")


def test_bug_a_huge_integer_is_refused_as_a_number() -> None:
    tracker = Tracker.open(None)
    with pytest.raises(ForecastError, match="reliability"):
        tracker.add_source("Huge", 10**400)


def test_bug_an_id_that_is_not_valid_unicode_is_one_error_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["init"]) == 0
    code = main(["show", "\udcff"])
    assert code == 1
    assert capsys.readouterr().err.startswith("error: ")


def test_bug_an_unexplained_choice_state_cannot_be_shown() -> None:
    tracker = Tracker.open(None)
    add_fixed_questions(tracker)
    tracker.add_evidence("fz-choice", likelihoods=[("a", 2.0)], source="Wire", published=OPENED)
    shown = json.loads(json.dumps(tracker.state("fz-choice", explain=False).to_json()))
    (moved,) = shown["contributions"]
    assert moved["without"] == {"a": None, "b": None, "c": None} or set(moved["without"]) == set(
        shown["probability"]
    )
    assert all(v is None for v in moved["without"].values())
