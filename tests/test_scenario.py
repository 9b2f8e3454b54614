"""Scenario files: hand-written examples, malformed input, round trips, the demo seed."""

from __future__ import annotations

import math
import re
import struct
import textwrap
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support import examples

from forecast import scenario
from forecast.api import Tracker
from forecast.cli import main
from forecast.domain import (
    ID_PATTERN,
    Assessment,
    ForecastError,
    History,
    Kind,
    NotFound,
    Question,
    Report,
    Resolution,
    Source,
    nfc,
    validate_assessment,
    validate_question,
)
from forecast.records import REASONS, Snapshot
from forecast.scales import SCALE

SEED = Path(__file__).resolve().parent.parent / "seeds" / "putin-trump-2025.yaml"


def doc(body: str) -> str:
    """A scenario document: the format line and a dedented body."""
    return f"format: {scenario.FORMAT}\n" + textwrap.dedent(body)


def t(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


# =========================================================================== loading

EXAMPLE = doc(
    """
    sources:
      - {name: Reuters, type: news agency, reliability: 0.9}
      - name: Reuters
        type: news agency
        reliability: 0.8
        version: 2
        logged: 2025-10-22T08:00:00Z
        logged_by: ivan
        reason: two wrong calls this month
    questions:
      - id: meet
        title: Will they meet?
        kind: event
        opened: 2025-10-16
        prior: 0.4
        prior_note: announced summits often slip
        deadlines: [2025-12-31, 2025-11-30]
        alpha: 2
        criteria: in person
        tags: [russia, usa]
        created: 2025-10-16T10:00:00Z
        created_by: maria
      - id: venue
        title: Where?
        kind: choice
        opened: 2025-10-16
        options: {budapest: 0.3, elsewhere: 0.2, no-summit: 0.5}
      - id: line
        title: Ceasefire on the line?
        kind: binary
        opened: 2025-10-16
        prior: 0.1
    reports:
      - id: reuters-cancel
        published: 2025-10-21T12:00:00Z
        source: Reuters
        title: Trump drops meeting
        summary: Съобщава Ройтерс.
        origin: senior White House official
        logged: 2025-10-21T15:00:00Z
        logged_by: maria
      - id: reuters-cancel
        published: 2025-10-21T12:00:00Z
        source: Reuters
        version: 2
        retracted: true
        reason: duplicate entry
    assessments:
      - report: reuters-cancel
        question: meet
        analyst: maria
        strength: Strong Against
        rationale: the plan is off
        logged: 2025-10-21T15:05:00Z
      - id: a-venue
        report: reuters-cancel
        question: venue
        analyst: ivan
        likelihoods: {budapest: 0.4, elsewhere: 1.2}
      - report: reuters-cancel
        question: line
        analyst: ivan
        lr: 0.8
        version: 2
        reason: second thoughts
    resolutions:
      - {question: line, outcome: no, date: 2025-12-31, note: no change, logged_by: maria}
    """
)


def test_hand_written_example_loads_to_the_expected_records() -> None:
    h = scenario.loads(EXAMPLE)
    opened = datetime(2025, 10, 16, tzinfo=UTC)
    assert h.sources == (
        Source("Reuters", 0.9, "news agency"),
        Source(
            "Reuters",
            0.8,
            "news agency",
            version=2,
            logged_at=t("2025-10-22T08:00:00Z"),
            logged_by="ivan",
            reason="two wrong calls this month",
        ),
    )
    assert h.questions == (
        Question(
            id="meet",
            title="Will they meet?",
            kind=Kind.EVENT,
            opened=opened,
            prior=0.4,
            prior_note="announced summits often slip",
            deadlines=(t("2025-11-30T00:00:00Z"), t("2025-12-31T00:00:00Z")),
            alpha=2.0,
            criteria="in person",
            tags=("russia", "usa"),
            created_by="maria",
            created_at=t("2025-10-16T10:00:00Z"),
        ),
        Question(
            id="venue",
            title="Where?",
            kind=Kind.CHOICE,
            opened=opened,
            options=(("budapest", 0.3), ("elsewhere", 0.2), ("no-summit", 0.5)),
        ),
        Question(
            id="line", title="Ceasefire on the line?", kind=Kind.BINARY, opened=opened, prior=0.1
        ),
    )
    published = t("2025-10-21T12:00:00Z")
    assert h.reports == (
        Report(
            id="reuters-cancel",
            published=published,
            source="Reuters",
            title="Trump drops meeting",
            summary="Съобщава Ройтерс.",
            origin="senior White House official",
            logged_at=t("2025-10-21T15:00:00Z"),
            logged_by="maria",
        ),
        Report(
            id="reuters-cancel",
            published=published,
            source="Reuters",
            version=2,
            retracted=True,
            reason="duplicate entry",
        ),
    )
    assert h.assessments == (
        Assessment(
            id="reuters-cancel.meet.maria",
            report_id="reuters-cancel",
            question_id="meet",
            analyst="maria",
            lr=SCALE["strong-against"],
            strength="strong-against",
            rationale="the plan is off",
            logged_at=t("2025-10-21T15:05:00Z"),
        ),
        Assessment(
            id="a-venue",
            report_id="reuters-cancel",
            question_id="venue",
            analyst="ivan",
            likelihoods=(("budapest", 0.4), ("elsewhere", 1.2)),
        ),
        Assessment(
            id="reuters-cancel.line.ivan",
            report_id="reuters-cancel",
            question_id="line",
            analyst="ivan",
            lr=0.8,
            version=2,
            reason="second thoughts",
        ),
    )
    assert h.resolutions == (
        Resolution("line", "no", t("2025-12-31T00:00:00Z"), "no change", logged_by="maria"),
    )


def test_only_the_format_line_is_an_empty_history() -> None:
    assert scenario.loads(doc("")) == History(
        questions=(), sources=(), reports=(), assessments=(), resolutions=()
    )
    assert scenario.loads(doc("sources: []\nreports:\n")).reports == ()


@pytest.mark.parametrize(
    "written",
    [
        "2025-10-21",
        "'2025-10-21'",
        "2025-10-21T00:00:00Z",
        "2025-10-21 03:00:00+03:00",
        "'2025-10-21T00:00Z'",
        "2025-10-21T00:00:00",
    ],
)
def test_time_fields_take_dates_datetimes_and_strings(written: str) -> None:
    text = doc(f"reports:\n  - {{id: r, source: S, published: {written}, logged: {written}}}\n")
    report = scenario.loads(text).reports[0]
    assert report.published == report.logged_at == datetime(2025, 10, 21, tzinfo=UTC)


def test_microseconds_and_offsets_are_kept_in_utc() -> None:
    text = doc("reports:\n  - {id: r, source: S, published: 2025-10-21T12:00:00.123456-02:00}\n")
    assert scenario.loads(text).reports[0].published == datetime(
        2025, 10, 21, 14, 0, 0, 123456, tzinfo=UTC
    )


def test_missing_logged_and_created_times_stay_empty_for_the_service() -> None:
    text = doc(
        """
        sources: [{name: S, reliability: 0.5}]
        questions: [{id: q, title: T, kind: binary, opened: 2025-10-16, prior: 0.5}]
        reports: [{id: r, source: S, published: 2025-10-21}]
        assessments: [{report: r, question: q, analyst: a, lr: 2}]
        resolutions: [{question: q, outcome: annulled, date: 2025-11-01}]
        """
    )
    h = scenario.loads(text)
    assert h.questions[0].created_at is None
    logged = [s.logged_at for s in h.sources] + [r.logged_at for r in h.reports]
    logged += [a.logged_at for a in h.assessments] + [r.logged_at for r in h.resolutions]
    assert logged == [None] * 4


def test_explicit_nulls_mean_not_given() -> None:
    text = doc("reports:\n  - {id: r, source: S, published: 2025-10-21, title: null, logged: ~}\n")
    report = scenario.loads(text).reports[0]
    assert report.title == "" and report.logged_at is None


@pytest.mark.parametrize(("written", "outcome"), [("yes", "yes"), ("no", "no"), ("'No'", "No")])
def test_bare_yes_and_no_outcomes_survive_yaml_booleans(written: str, outcome: str) -> None:
    text = doc(f"resolutions: [{{question: q, outcome: {written}, date: 2025-12-31}}]\n")
    assert scenario.loads(text).resolutions[0].outcome == outcome


def test_default_assessment_ids_fit_the_pattern_and_stay_distinct() -> None:
    plain = scenario.default_assessment_id("r1", "q1", "maria")
    assert plain == "r1.q1.maria"
    names = ["Мария", "Иван", "Петр", "Ана Мария", "x" * 200, " maria"]
    made = [scenario.default_assessment_id("r1", "q1", name) for name in names]
    assert all(ID_PATTERN.fullmatch(i) for i in made)
    assert len(set(made)) == len(made)
    assert made == [scenario.default_assessment_id("r1", "q1", name) for name in names]


def test_a_retraction_may_carry_no_judgement() -> None:
    text = doc(
        """
        assessments:
          - {id: a1, report: r, question: q, analyst: maria, version: 2, retracted: true}
        """
    )
    a = scenario.loads(text).assessments[0]
    assert a.retracted and a.lr is None and a.likelihoods == ()


def test_dangerous_tags_are_refused_not_run() -> None:
    text = doc("sources: !!python/object/apply:os.system ['echo hacked']\n")
    with pytest.raises(ForecastError, match="invalid YAML"):
        scenario.loads(text)


# --------------------------------------------------------------------------- errors

REPORT = "reports:\n  - id: r1\n    source: S\n    published: 2025-10-21\n"
ASSESS = "assessments:\n  - report: r1\n    question: q1\n    analyst: maria\n"
QUESTION = "questions:\n  - id: q1\n    title: T\n    opened: 2025-10-16\n"

BAD = [
    (f"format: {scenario.FORMAT}\nsources: [\n", "demo.yaml: invalid YAML at line 3, column 1"),
    (doc("reports:\n  - id: r1\n   source: S\n"), "invalid YAML at line"),
    ("- a\n- b\n", "demo.yaml: expected a mapping starting with 'format: forecast-scenario/1'"),
    ("", "expected a mapping starting with 'format: forecast-scenario/1', not nothing"),
    ("sources: []\n", "demo.yaml: missing 'format: forecast-scenario/1' at the top"),
    ("format: forecast-scenario/2\n", "format 'forecast-scenario/2' is not supported"),
    (doc("source: []\n"), "unknown top-level key 'source' (did you mean 'sources'?)"),
    (doc("reports: {}\n"), "demo.yaml: reports: must be a list, not a mapping"),
    (doc("reports:\n  - just text\n"), "demo.yaml: reports[0]: must be a mapping of fields"),
    (
        doc(REPORT + "    publised: 2025-10-21\n"),
        "demo.yaml: reports[0] (id r1): unknown field 'publised' (did you mean 'published'?)",
    ),
    (
        doc(REPORT.replace("2025-10-21", "next tuesday")),
        "demo.yaml: reports[0] (id r1): published: 'next tuesday' is not an ISO date",
    ),
    (
        doc(REPORT.replace("2025-10-21", "20251021")),
        "reports[0] (id r1): published: must be a date",
    ),
    (doc("reports:\n  - {id: r1, source: S}\n"), "reports[0] (id r1): published: missing"),
    (doc(REPORT + "    title: 2025\n"), "reports[0] (id r1): title: must be text, not a number"),
    (doc(REPORT + "    title: yes\n"), "title: must be text, not true/false (quote it)"),
    (doc(REPORT + "    version: 0\n"), "reports[0] (id r1): version: must be a whole number"),
    (doc(REPORT + "    version: 2.0\n"), "version: must be a whole number from 1, not 2.0"),
    (doc(REPORT + "    retracted: 1\n"), "reports[0] (id r1): retracted: must be true or false"),
    (doc(REPORT.replace("id: r1", "id: bad id")), "reports[0] (id bad id): id: report id"),
    (doc(REPORT.replace("id: r1", 'id: "r1\\n"')), "reports[0] (id 'r1\\n'): id: report id"),
    (doc(REPORT.replace("source: S", "source: ' '")), "reports[0] (id r1): source: must not be"),
    (doc(REPORT + '    summary: "a\\0b"\n'), "summary: contains a NUL character"),
    (doc(REPORT + REPORT[9:]), "reports[1] (id r1): same id and version as reports[0] (r1, 1)"),
    (
        doc(REPORT + "    title: a\n    title: b\n"),
        "demo.yaml: duplicate key 'title' at line 7, column 5",
    ),
    (doc(REPORT + "  - {id: r2, published: 2025-02-30}\n"), "invalid YAML at line 6, column 25"),
    (doc(REPORT + '    title: "\x07"\n'), "demo.yaml: invalid YAML"),
    (doc(ASSESS), "assessments[0] (report r1, question q1): give one of lr, strength"),
    (doc(ASSESS + "    lr: 2\n    strength: weak-for\n"), "give only one of lr, strength"),
    (doc(ASSESS + "    lr: 2\n    likelihoods: {a: 1}\n"), "give only one of lr, strength, li"),
    (doc(ASSESS + "    strength: sort of\n"), "strength: 'sort of' is not on the Kass-Raftery"),
    (doc(ASSESS + "    lr: 0\n"), "(report r1, question q1): lr: likelihood ratio must be greater"),
    (doc(ASSESS + "    lr: '2'\n"), "lr: must be a number, not '2'"),
    (doc(ASSESS + "    lr: .inf\n"), "lr: likelihood ratio must be a finite number"),
    (doc(ASSESS + "    likelihoods: {a: x}\n"), "likelihoods: a: must be a number, not 'x'"),
    (doc(ASSESS + "    likelihoods: {a: -1}\n"), "likelihoods: a: likelihood of 'a' must be"),
    (doc(ASSESS + "    likelihoods: [1, 2]\n"), "likelihoods: must be a mapping NAME: NUMBER"),
    (doc(ASSESS + "    likelihoods: {1: 2}\n"), "likelihoods: name 1 must be non-empty text"),
    (
        doc(
            ASSESS
            + "    id: a1\n    lr: 2\n    version: 1\n"
            + ASSESS[12:]
            + "    id: a1\n    lr: 3\n"
        ),
        "assessments[1] (id a1): same id and version as assessments[0] (a1, 1)",
    ),
    (doc(QUESTION + "    kind: maybe\n"), "questions[0] (id q1): kind: 'maybe' is not one of"),
    (doc(QUESTION + "    kind: binary\n"), "questions[0] (id q1): a binary question needs a prior"),
    (doc(QUESTION + "    kind: binary\n    prior: 1\n"), "prior must be strictly between 0 and 1"),
    (
        doc(QUESTION + "    kind: choice\n    options: {a: 0.5, b: 0.4}\n"),
        "questions[0] (id q1): the option priors must sum to 1, not 0.9",
    ),
    (doc(QUESTION + "    kind: event\n    prior: 0.5\n"), "event question needs at least one"),
    (
        doc(QUESTION + "    kind: binary\n    prior: 0.5\n    tags: russia\n"),
        "tags: must be a list",
    ),
    (doc(QUESTION + "    kind: binary\n    prior: 0.5\n    tags: [1]\n"), "tags: 1 must be text"),
    (doc(QUESTION + QUESTION[11:] + "    kind: binary\n    prior: 0.5\n"), "demo.yaml: questions"),
    (
        doc("sources: [{name: Reuters, reliability: 1.5}]\n"),
        "sources[0] (name Reuters): reliability",
    ),
    (doc("sources: [{name: Reuters}]\n"), "sources[0] (name Reuters): reliability: missing"),
    (
        doc("resolutions: [{question: q, outcome: 3, date: 2025-12-31}]\n"),
        "resolutions[0] (question q): outcome",
    ),
    (
        doc("resolutions: [{question: q, outcome: yes}]\n"),
        "resolutions[0] (question q): date: missing",
    ),
]


@pytest.mark.parametrize(("text", "expected"), BAD)
def test_malformed_input_names_where(text: str, expected: str) -> None:
    with pytest.raises(ForecastError) as caught:
        scenario.loads(text, name="demo.yaml")
    message = str(caught.value)
    assert expected in message
    assert message.startswith("demo.yaml: ")
    assert "\n" not in message


def test_the_location_format_of_the_brief() -> None:
    text = doc(REPORT + "  - {id: reuters-x, source: S, published: '2025-02-30'}\n")
    with pytest.raises(
        ForecastError, match=re.escape("scenario: reports[1] (id reuters-x): published:")
    ):
        scenario.loads(text)


def test_an_unreadable_label_is_quoted_so_the_message_stays_one_line() -> None:
    text = doc('sources:\n  - {name: "Reu\\nters", reliability: 2}\n')
    with pytest.raises(ForecastError, match=re.escape("sources[0] (name 'Reu\\nters')")) as caught:
        scenario.loads(text)
    assert "\n" not in str(caught.value)


# =========================================================================== dumping


def small_history() -> History:
    opened = datetime(2025, 10, 16, tzinfo=UTC)
    tags = ("shared", "tuple")
    return History(
        questions=(
            Question("q2", "Second", Kind.BINARY, opened, prior=0.1, tags=tags),
            Question("q1", "First", Kind.BINARY, opened, prior=0.25, tags=tags),
        ),
        sources=(Source("S", 0.5, version=2, reason="fix"), Source("S", 0.7)),
        reports=(
            Report("r2", t("2025-10-22T00:00:00Z"), "S", title="yes"),
            Report("r1", t("2025-10-21T06:30:00.000001Z"), "S", summary="1e3"),
        ),
        assessments=(
            Assessment("a2", "r2", "q1", "maria", lr=0.1),
            Assessment("a1", "r1", "q1", "maria", lr=SCALE["weak-for"], strength="weak-for"),
        ),
    )


def test_dumps_is_short_and_human_friendly() -> None:
    text = scenario.dumps(small_history())
    assert text.startswith("format: forecast-scenario/1\n")
    assert "version: 1" not in text and "retracted" not in text and "alpha" not in text
    assert "version: 2" in text
    assert "strength: weak-for" in text and "lr: 1.6487" not in text
    assert "published: 2025-10-22\n" in text
    assert "published: 2025-10-21T06:30:00.000001Z\n" in text
    assert "title: 'yes'" in text and "summary: 1e3" in text
    assert "tags: [shared, tuple]" in text
    assert "&id" not in text and "*id" not in text  # no anchors for shared tuples
    assert "resolutions" not in text  # empty sections are left out


def test_dumps_writes_in_a_stable_order() -> None:
    h = small_history()
    shuffled = replace(
        h,
        questions=h.questions[::-1],
        sources=h.sources[::-1],
        reports=h.reports[::-1],
        assessments=h.assessments[::-1],
    )
    text = scenario.dumps(h)
    assert text == scenario.dumps(shuffled)
    assert text.index("id: q1") < text.index("id: q2")
    assert text.index("id: r1") < text.index("id: r2")
    assert text.index("id: a1") < text.index("id: a2")
    assert text.index("reliability: 0.7") < text.index("reliability: 0.5")


def test_versions_of_a_report_stay_together_when_a_correction_moves_it() -> None:
    h = History(
        reports=(
            Report("r1", t("2025-10-21T00:00:00Z"), "S"),
            Report("r0", t("2025-10-20T00:00:00Z"), "S"),
            Report("r1", t("2025-10-19T00:00:00Z"), "S", version=2, reason="wrong date"),
        )
    )
    assert [(r.id, r.version) for r in scenario.ordered(h).reports] == [
        ("r1", 1),
        ("r1", 2),
        ("r0", 1),
    ]


def test_a_strength_word_that_no_longer_matches_its_number_gives_way_to_the_number() -> None:
    a = Assessment("a1", "r1", "q1", "maria", lr=0.5, strength="strong-for")
    loaded = scenario.loads(scenario.dumps(History(assessments=(a,)))).assessments[0]
    assert loaded.lr == 0.5 and loaded.strength == ""


TRICKY = [
    "Путин и Тръмп",
    "😀🇧🇬",
    "שלום עולם",
    "مرحبا",
    "e\u0301 combining",
    "a\r\nb",
    "\r",
    "line\n",
    "\n\nlead",
    " leading",
    "trailing ",
    "\ttab",
    "2025-10-16",
    "2025-10-21T12:00:00Z",
    "yes",
    "No",
    "on",
    "1e3",
    "0x1F",
    "1_000",
    ".inf",
    "null",
    "~",
    "",
    "- item",
    "key: value",
    "# not a comment",
    "'single'",
    '"double"',
    "\\backslash",
    "&anchor",
    "*alias",
    "!tag",
    "%directive",
    "@",
    "---",
    "...",
    "{a: 1}",
    "[1, 2]",
    "? q",
    "\ufeffbom",
    "\x85nel\u2028ls\u2029ps",
    "\x07\x1b",
    "\ue000\U0010ffff\ufffe",
    "x" * 300,
]


@pytest.mark.parametrize("text", TRICKY)
def test_tricky_text_survives_byte_for_byte(text: str) -> None:
    opened = datetime(2025, 10, 16, tzinfo=UTC)
    # Free text survives byte for byte; names that identify something are kept in NFC (one
    # spelling per name: "é" typed precomposed or with a combining accent is one source).
    text_name = nfc(text)
    name = f"o{text_name}" if text.strip() else "o"
    q = validate_question(
        Question(
            "q",
            f"T{text}",
            Kind.CHOICE,
            opened,
            options=((name, 0.5), ("other", 0.5)),
            criteria=text,
            prior_note=text,
        )
    )
    h = History(
        questions=(q,),
        sources=(Source(f"S{text_name}S", 0.5, type=text, reason=text),),
        reports=(Report("r", opened, f"S{text_name}", title=text, summary=text, origin=text_name),),
        assessments=(
            Assessment("a", "r", "q", f"A{text_name}", likelihoods=((name, 2.0),), rationale=text),
        ),
        resolutions=(Resolution("q", f"o{text_name}", opened, note=text),),
    )
    assert scenario.loads(scenario.dumps(h)) == scenario.ordered(h)


# --------------------------------------------------------------------------- property

CHARS = st.characters(exclude_categories=["Cs"], exclude_characters="\x00")
texts = st.text(CHARS, max_size=30)
nonblank = texts.filter(lambda s: bool(s.strip()))
# Names that identify something (sources, options, analysts, origins, outcomes, tags, who
# logged a record) are stored in NFC, whatever spelling was typed; free text stays as it is.
name_texts = texts.map(nfc)
names_nonblank = nonblank.map(nfc)
ids = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,20}", fullmatch=True)
times = st.datetimes(timezones=st.just(UTC))
maybe_times = st.none() | times
versions = st.integers(min_value=1, max_value=2**40)
probabilities = st.floats(min_value=0.0, max_value=1.0, exclude_min=True, exclude_max=True)
ratios = st.floats(min_value=1e-300, max_value=1e300)


@st.composite
def questions(draw: st.DrawFn) -> Question:
    kind = draw(st.sampled_from(Kind))
    opened = draw(st.datetimes(datetime(1900, 1, 1), datetime(2100, 1, 1), timezones=st.just(UTC)))
    base = Question(
        id=draw(ids),
        title=draw(nonblank),
        kind=kind,
        opened=opened,
        criteria=draw(texts),
        prior_note=draw(texts),
        tags=tuple(draw(st.lists(names_nonblank, max_size=3))),
        created_by=draw(name_texts),
        created_at=draw(maybe_times),
    )
    if kind is Kind.CHOICE:
        names = draw(
            st.lists(
                names_nonblank.map(str.strip).filter(
                    lambda n: n.casefold() not in {"yes", "no", "annulled"}
                ),
                min_size=2,
                max_size=4,
                unique=True,
            )
        )
        weights = draw(st.lists(st.floats(0.05, 1.0), min_size=len(names), max_size=len(names)))
        total = math.fsum(weights)
        return validate_question(
            replace(
                base, options=tuple((n, w / total) for n, w in zip(names, weights, strict=True))
            )
        )
    base = replace(base, prior=draw(probabilities))
    if kind is Kind.BINARY:
        return validate_question(base)
    gaps = draw(
        st.lists(
            st.timedeltas(timedelta(microseconds=1), timedelta(days=3650)),
            min_size=1,
            max_size=3,
            unique=True,
        )
    )
    alpha = draw(st.none() | st.floats(min_value=1e-6, max_value=1e6))
    return validate_question(replace(base, deadlines=tuple(opened + g for g in gaps), alpha=alpha))


sources = st.builds(
    Source,
    name=names_nonblank.filter(lambda s: s == s.strip()),
    reliability=st.floats(0.0, 1.0),
    type=texts,
    version=versions,
    logged_at=maybe_times,
    logged_by=name_texts,
    reason=texts,
)
reports = st.builds(
    Report,
    id=ids,
    published=times,
    source=names_nonblank,
    title=texts,
    summary=texts,
    url=texts,
    origin=name_texts,
    logged_at=maybe_times,
    logged_by=name_texts,
    version=versions,
    retracted=st.booleans(),
    reason=texts,
)


@st.composite
def assessments(draw: st.DrawFn) -> Assessment:
    retracted = draw(st.booleans())
    how = draw(st.sampled_from(["lr", "strength", "likelihoods"] + ["none"] * retracted))
    lr: float | None = None
    strength = ""
    likelihoods: tuple[tuple[str, float], ...] = ()
    if how == "lr":
        lr = draw(ratios)
    elif how == "strength":
        strength = draw(st.sampled_from(sorted(SCALE)))
        lr = SCALE[strength]
    elif how == "likelihoods":
        names = draw(st.lists(names_nonblank, min_size=1, max_size=3, unique=True))
        likelihoods = tuple((n, draw(ratios)) for n in names)
    return Assessment(
        id=draw(ids),
        report_id=draw(ids),
        question_id=draw(ids),
        analyst=draw(names_nonblank),
        lr=lr,
        likelihoods=likelihoods,
        strength=strength,
        rationale=draw(texts),
        logged_at=draw(maybe_times),
        logged_by=draw(name_texts),
        version=draw(versions),
        retracted=retracted,
        reason=draw(texts),
    )


resolutions = st.builds(
    Resolution,
    question_id=ids,
    outcome=names_nonblank,
    resolved_on=times,
    note=texts,
    logged_at=maybe_times,
    logged_by=name_texts,
    version=versions,
)

histories = st.builds(
    History,
    questions=st.lists(questions(), max_size=4, unique_by=lambda q: q.id).map(tuple),
    sources=st.lists(sources, max_size=4, unique_by=lambda s: (s.name, s.version)).map(tuple),
    reports=st.lists(reports, max_size=4, unique_by=lambda r: (r.id, r.version)).map(tuple),
    assessments=st.lists(assessments(), max_size=5, unique_by=lambda a: (a.id, a.version)).map(
        tuple
    ),
    resolutions=st.lists(
        resolutions, max_size=3, unique_by=lambda r: (r.question_id, r.version)
    ).map(tuple),
)


@settings(max_examples=examples(300), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(histories)
def test_any_history_survives_dumps_then_loads(history: History) -> None:
    text = scenario.dumps(history)
    assert scenario.loads(text) == scenario.ordered(history)
    assert scenario.dumps(scenario.loads(text)) == text


# =========================================================================== the seed

TABLE_DATES = Counter(
    ["2025-08-15", "2025-10-16", "2025-10-20"] + ["2025-10-21"] * 9
)  # one per row of the claims table in ../shared/seeds/README.md


@pytest.fixture(scope="module")
def seed() -> History:
    return scenario.loads(SEED.read_text(encoding="utf-8"), name=SEED.name)


def test_seed_questions(seed: History) -> None:
    qs = {q.id: q for q in seed.questions}
    assert set(qs) == {
        "putin-trump-meeting",
        "lavrov-rubio-meeting",
        "russia-ceasefire-line",
        "summit-venue",
    }
    assert all(q.opened == datetime(2025, 10, 16, tzinfo=UTC) and q.created_by for q in qs.values())
    meeting = qs["putin-trump-meeting"]
    assert meeting.kind is Kind.EVENT and meeting.alpha == 1.0 and meeting.prior is not None
    assert [d.date() for d in meeting.deadlines] == [date(2025, 11, 30), date(2025, 12, 31)]
    assert "reference class" in meeting.prior_note.casefold() and meeting.criteria
    lavrov = qs["lavrov-rubio-meeting"]
    assert lavrov.kind is Kind.EVENT and [d.date() for d in lavrov.deadlines] == [
        date(2025, 10, 31)
    ]
    assert qs["russia-ceasefire-line"].kind is Kind.BINARY
    venue = qs["summit-venue"]
    assert venue.kind is Kind.CHOICE
    assert venue.option_names == ("budapest", "elsewhere", "no-summit")
    assert math.fsum(p for _, p in venue.options) == 1.0
    assert all(q.prior_note for q in qs.values())


def test_seed_sources(seed: History) -> None:
    by_name = {s.name: s for s in seed.sources}
    assert {"Reuters", "NBC News", "CNN", "RIA Novosti", "White House spokesperson"} <= set(by_name)
    assert all(
        s.type and 0 <= s.reliability <= 1 and s.version == 1 and not s.reason for s in seed.sources
    )
    assert by_name["RIA Novosti"].reliability < by_name["Reuters"].reliability
    assert by_name["White House spokesperson"].reliability < by_name["RIA Novosti"].reliability


def test_seed_reports_cover_the_claims_table(seed: History) -> None:
    assert Counter(r.published.date().isoformat() for r in seed.reports) == TABLE_DATES
    assert len({r.id for r in seed.reports}) == len(seed.reports)
    names = {s.name for s in seed.sources}
    evening = (t("2025-10-21T18:00:00Z"), t("2025-10-21T20:00:00Z"))
    for r in seed.reports:
        assert r.source in names and r.title and r.summary and r.logged_by
        assert r.url == "" and r.version == 1 and not r.retracted
        assert r.logged_at is not None and evening[0] <= r.logged_at <= evening[1]
        assert not re.search("[\u0400-\u04ff]", r.title + r.summary)  # our English words


def test_seed_echoes_share_an_origin(seed: History) -> None:
    clusters: dict[str, set[tuple[str, str]]] = {}
    for r in seed.reports:
        if r.origin:
            clusters.setdefault(r.origin, set()).add((r.source, r.published.date().isoformat()))
    leak = [o for o in clusters if "senior white house official" in o.casefold()]
    assert len(leak) == 1
    assert {src for src, _ in clusters[leak[0]]} == {"Reuters", "NBC News"}
    assert clusters["CNN sources, 2025-10-21"] == {("CNN", "2025-10-21")}
    assert sum(r.origin == "CNN sources, 2025-10-21" for r in seed.reports) == 2
    shared = [
        o
        for o, members in Counter(r.origin for r in seed.reports if r.origin).items()
        if members > 1
    ]
    assert sorted(shared) == sorted([leak[0], "CNN sources, 2025-10-21"])


def test_seed_assessments(seed: History) -> None:
    qs = {q.id: q for q in seed.questions}
    reports = {r.id: r for r in seed.reports}
    opened = datetime(2025, 10, 16, tzinfo=UTC)
    assessed = {a.report_id for a in seed.assessments}
    background = {r.id for r in seed.reports if r.published <= opened}
    assert len(background) == 2 and not background & assessed
    assert assessed == set(reports) - background
    for a in seed.assessments:
        question = qs[a.question_id]
        assert validate_assessment(a, question) == a
        assert a.rationale and a.analyst in {"maria", "ivan"} and a.logged_by == a.analyst
        report_logged = reports[a.report_id].logged_at
        assert a.logged_at is not None and report_logged is not None
        assert a.logged_at >= report_logged
    assert sum(bool(a.strength) for a in seed.assessments) >= 3
    assert sum(a.lr is not None and not a.strength for a in seed.assessments) >= 3
    assert sum(bool(a.likelihoods) for a in seed.assessments) >= 3
    by_pair: dict[tuple[str, str], dict[str, float | None]] = {}
    for a in seed.assessments:
        by_pair.setdefault((a.report_id, a.question_id), {})[a.analyst] = a.lr
    doubles = [lrs for lrs in by_pair.values() if len(lrs) == 2 and len(set(lrs.values())) == 2]
    assert doubles
    cancel = [
        a.lr for a in seed.assessments if a.report_id == "cnn-prep-meeting-postponed" and a.lr
    ]
    assert cancel and all(lr < 1 for lr in cancel)
    boiler = [a.lr for a in seed.assessments if a.report_id == "wh-spokesperson-peace-statement"]
    assert boiler and all(lr is not None and 0.9 <= lr <= 1.1 for lr in boiler)


def test_seed_has_no_resolutions_and_round_trips(seed: History) -> None:
    assert seed.resolutions == ()
    assert scenario.loads(scenario.dumps(seed)) == scenario.ordered(seed)


# =========================================================================== snapshots

SNAP_QUESTIONS = """\
questions:
  - {id: line, title: Ceasefire, kind: binary, opened: 2025-10-16, prior: 0.1}
  - id: meet
    title: Will they meet?
    kind: event
    opened: 2025-10-16
    prior: 0.4
    deadlines: [2025-11-30, 2025-12-31]
  - id: venue
    title: Where?
    kind: choice
    opened: 2025-10-16
    options: {budapest: 0.3, elsewhere: 0.2, no-summit: 0.5}
"""
SNAP = "snapshots:\n  - question: line\n    taken: 2025-10-17T23:59:59.999999Z\n"
HALF = "    probability: 0.5\n"
EVENT_SNAP = SNAP.replace("line", "meet") + HALF
CHOICE_SNAP = SNAP.replace("line", "venue")
VENUE = "    vector: {budapest: 0.5, elsewhere: 0.25, no-summit: 0.25}\n"
FIRST, SECOND = t("2025-10-17T23:59:59.999999Z"), t("2025-10-18T06:30:00.000001Z")
THIRDS = (("budapest", 1 / 3), ("elsewhere", 1 / 3), ("no-summit", 1 / 3))


def with_snapshots(body: str) -> str:
    """A scenario of three questions (binary, event, choice) and a snapshots section."""
    return doc(SNAP_QUESTIONS + body)


def snapshot_examples() -> tuple[History, tuple[Snapshot, ...]]:
    """The three questions, and snapshots out of order, with floats a short decimal loses."""
    ladder = (("2025-11-30", 0.1 + 0.2), ("2025-12-31", 0.9999999999999999))
    odd_order = (("no-summit", 0.5), ("budapest", 0.3), ("elsewhere", 0.2))
    return scenario.loads(with_snapshots("")), (
        Snapshot("venue", SECOND, None, odd_order),
        Snapshot("line", SECOND, 5e-324, (), "evidence", "ivan"),
        Snapshot("meet", FIRST, 0.1 + 0.2, ladder, "backfill", "olga"),
        Snapshot("line", FIRST, 0.0, (), "daily"),
        Snapshot("line", FIRST, 1.0, (), "resolution", "Кирил 🤝"),  # same time as the last
        Snapshot("venue", FIRST, None, THIRDS),
    )


def _bits(x: float | None) -> bytes:
    assert x is not None
    return struct.pack("<d", x)


def _without_ids(snaps: Iterable[Snapshot]) -> list[Snapshot]:
    """Snapshots as a file states them: without the store's ids and import marks."""
    return [replace(s, id=None, imported_at=None, imported_by="") for s in snaps]


def test_a_file_without_snapshots_has_none() -> None:
    assert scenario.load_all(SEED.read_text(encoding="utf-8")).snapshots == ()
    assert scenario.load_all(with_snapshots("snapshots: []\n")).snapshots == ()
    assert "snapshots" not in scenario.dumps(scenario.loads(with_snapshots("")))


def test_snapshots_load_as_written() -> None:
    text = with_snapshots(
        SNAP
        + "    probability: 0.25\n    reason: daily\n    taken_by: ivan\n"
        + "  - question: meet\n    taken: 2025-10-18\n    probability: 0.4\n"
        + "    vector: {'2025-11-30': 0.3, '2025-12-31': 0.4}\n"
        + CHOICE_SNAP.removeprefix("snapshots:\n")
        + VENUE
    )
    loaded = scenario.load_all(text)
    assert loaded.history == scenario.loads(text)
    ladder = (("2025-11-30", 0.3), ("2025-12-31", 0.4))
    venue = (("budapest", 0.5), ("elsewhere", 0.25), ("no-summit", 0.25))
    assert loaded.snapshots == (
        Snapshot("line", FIRST, 0.25, (), "daily", "ivan"),
        Snapshot("meet", t("2025-10-18T00:00:00Z"), 0.4, ladder),
        Snapshot("venue", FIRST, None, venue),  # no reason given: a snapshot taken by hand
    )


def test_snapshots_survive_dumps_then_load_all_exactly() -> None:
    h, snaps = snapshot_examples()
    text = scenario.dumps(h, snaps)
    loaded = scenario.load_all(text)
    assert loaded.history == scenario.ordered(h)
    assert loaded.snapshots == scenario.ordered_snapshots(snaps)
    assert [(s.question_id, s.taken_at, s.reason) for s in loaded.snapshots] == [
        ("line", FIRST, "daily"),
        ("line", FIRST, "resolution"),  # taken at the same time: kept in the order given
        ("line", SECOND, "evidence"),
        ("meet", FIRST, "backfill"),
        ("venue", FIRST, "manual"),
        ("venue", SECOND, "manual"),
    ]
    assert scenario.dumps(h, snaps[::-1]) != text  # only the two taken together swap
    assert scenario.dumps(h, (snaps[5], snaps[2], *snaps[:2], *snaps[3:5])) == text
    # A vector keeps its stored order (not alphabetical) and sits on one line.
    assert "\n  vector: {no-summit: 0.5, budapest: 0.3, elsewhere: 0.2}\n" in text
    assert "{'2025-11-30': 0.30000000000000004, '2025-12-31': 0.9999999999999999}\n" in text
    assert "\n  taken: 2025-10-18T06:30:00.000001Z\n" in text
    assert "\n  taken_by: Кирил 🤝\n" in text


def test_snapshot_floats_round_trip_bit_for_bit() -> None:
    # Worked out by hand: the bit patterns of floats that a rounded decimal would change.
    h, snaps = snapshot_examples()
    loaded = scenario.load_all(scenario.dumps(h, snaps)).snapshots
    meet = next(s for s in loaded if s.question_id == "meet")
    assert _bits(meet.probability) == bytes.fromhex("343333333333d33f")  # 0.1 + 0.2
    assert _bits(meet.probability) != _bits(0.3)
    assert _bits(meet.vector[1][1]) == bytes.fromhex("ffffffffffffef3f")  # 1 - 2**-53
    tiny = next(s for s in loaded if s.reason == "evidence")
    assert _bits(tiny.probability) == bytes.fromhex("0100000000000000")  # 2**-1074
    venue = next(s for s in loaded if s.question_id == "venue" and s.vector == THIRDS)
    assert [_bits(p) for _, p in venue.vector] == [bytes.fromhex("555555555555d53f")] * 3


def test_snapshots_round_trip_through_the_store(new_database: Callable[[], str]) -> None:
    h, snaps = snapshot_examples()
    text = scenario.dumps(h, snaps)
    original = Tracker.open(new_database(), user="maria")
    restored = Tracker.open(new_database(), user="someone-else")
    try:
        assert original.import_scenario(text, name="snaps.yaml")["snapshots"] == len(snaps)
        exported = original.export_scenario()  # with the created times the import filled in
        assert exported.endswith(text[text.index("\nsnapshots:") :])  # the section, not its count
        restored.import_scenario(exported)
        assert restored.export_scenario() == exported
        with original.store.read() as tx:
            kept = tx.snapshots()
        with restored.store.read() as tx:
            again = tx.snapshots()
        assert _without_ids(again) == _without_ids(kept) == list(scenario.ordered_snapshots(snaps))
        # Each store says who brought the snapshots in, and when.
        assert {s.imported_by for s in kept} == {"maria"}
        assert {s.imported_by for s in again} == {"someone-else"}
        assert None not in {s.imported_at for s in (*kept, *again)}
        for a, b in zip(kept, again, strict=True):
            assert a.probability is None or _bits(a.probability) == _bits(b.probability)
            assert [_bits(p) for _, p in a.vector] == [_bits(p) for _, p in b.vector]
    finally:
        original.store.close()
        restored.store.close()


def test_the_import_summary_counts_snapshots_when_there_are_some(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    h, snaps = snapshot_examples()
    plain, with_snaps = tmp_path / "plain.yaml", tmp_path / "snaps.yaml"
    plain.write_text(scenario.dumps(h), encoding="utf-8")
    with_snaps.write_text(scenario.dumps(h, snaps), encoding="utf-8")
    assert main(["--db", str(tmp_path / "a.db"), "import", str(plain)]) == 0
    assert "snapshots" not in capsys.readouterr().out
    assert main(["--db", str(tmp_path / "b.db"), "import", str(with_snaps)]) == 0
    assert capsys.readouterr().out.strip().endswith(", 0 resolutions, 6 snapshots")


SNAP_BAD = [
    (
        SNAP.replace("line", "nope") + HALF,
        "snapshots[0] (question nope): question: 'nope' is not a question of this file",
    ),
    (
        SNAP + HALF + SNAP[11:].replace("line", "other") + HALF,
        "snapshots[1] (question other): question: 'other' is not a question of this file",
    ),
    (
        SNAP.replace("2025-10-17T23:59:59.999999Z", "'yesterday'") + HALF,
        "snapshots[0] (question line): taken: 'yesterday' is not an ISO date",
    ),
    (
        SNAP.replace("2025-10-17T23:59:59.999999Z", "2025-02-30") + HALF,
        "demo.yaml: invalid YAML at line 17, column 12",
    ),
    (
        "snapshots:\n  - {question: line, probability: 0.5}\n",
        "snapshots[0] (question line): taken: missing",
    ),
    (
        SNAP + "    probability: 1.5\n",
        "snapshots[0] (question line): probability: must be between 0 and 1, not 1.5",
    ),
    (SNAP + "    probability: -0.0001\n", "probability: must be between 0 and 1, not -0.0001"),
    (
        SNAP + "    probability: .nan\n",
        "snapshots[0] (question line): probability: must be between 0 and 1, not nan",
    ),
    (SNAP + "    probability: '0.5'\n", "probability: must be a number, not '0.5'"),
    (SNAP, "snapshots[0] (question line): probability: missing"),
    (
        SNAP + HALF + "    reason: hourly\n",
        "snapshots[0] (question line): reason: 'hourly' is not one of manual, daily, created, "
        "evidence, resolution, backfill",
    ),
    (SNAP + HALF + "    reason: 3\n", "reason: must be text, not a number (quote it)"),
    (
        SNAP + "    probabilty: 0.5\n",
        "snapshots[0] (question line): unknown field 'probabilty' (did you mean 'probability'?)",
    ),
    (
        EVENT_SNAP + "    vector: [0.5]\n",
        "snapshots[0] (question meet): vector: must be a mapping NAME: NUMBER, not a list",
    ),
    (
        EVENT_SNAP + "    vector: {'2025-11-30': 2}\n",
        "snapshots[0] (question meet): vector: 2025-11-30: must be between 0 and 1, not 2.0",
    ),
    (
        EVENT_SNAP + "    vector: {'2025-11-30': .inf}\n",
        "vector: 2025-11-30: must be between 0 and 1, not inf",
    ),
    (
        EVENT_SNAP + "    vector: {'2025-11-30': x}\n",
        "vector: 2025-11-30: must be a number, not 'x'",
    ),
    (
        EVENT_SNAP + "    vector: {2025-11-30: 0.3}\n",
        "vector: name datetime.date(2025, 11, 30) must be non-empty text (quote it)",
    ),
    (EVENT_SNAP + "    vector: {' ': 0.3}\n", "vector: name ' ' must be non-empty text"),
    (EVENT_SNAP + "    vector: {a: 0.3, a: 0.4}\n", "demo.yaml: duplicate key 'a' at line 19"),
    (
        CHOICE_SNAP + VENUE + HALF,
        "snapshots[0] (question venue): probability: a choice question's snapshot has none",
    ),
    (
        CHOICE_SNAP + VENUE.replace("elsewhere", "vienna"),
        "snapshots[0] (question venue): vector: 'vienna' is not an option of venue",
    ),
    (
        CHOICE_SNAP + "    vector: {budapest: 0.5, no-summit: 0.5}\n",
        "snapshots[0] (question venue): vector: option 'elsewhere' of venue is missing",
    ),
    (CHOICE_SNAP, "snapshots[0] (question venue): vector: option 'budapest' of venue is missing"),
    ("snapshots:\n  - line\n", "demo.yaml: snapshots[0]: must be a mapping of fields, not text"),
    ("snapshots: {line: 0.5}\n", "demo.yaml: snapshots: must be a list, not a mapping"),
]


OTHER = "questions:\n  - {id: other, title: T, kind: binary, opened: 2025-01-01, prior: 0.5}\n"


@pytest.mark.parametrize(("body", "expected"), SNAP_BAD)
def test_a_bad_snapshot_gives_one_clear_error_and_stores_nothing(body: str, expected: str) -> None:
    tracker = Tracker.open()
    tracker.import_scenario(doc(OTHER))
    before = tracker.export_scenario()
    with pytest.raises(ForecastError) as caught:
        tracker.import_scenario(with_snapshots(body), name="demo.yaml")
    message = str(caught.value)
    assert message.startswith("demo.yaml: ") and "\n" not in message
    assert expected in message
    assert tracker.export_scenario() == before  # the file's questions are not stored either
    with pytest.raises(ForecastError, match=re.escape(expected)):
        scenario.loads(with_snapshots(body), name="demo.yaml")  # loads checks the whole file


def test_import_history_stores_snapshots_with_the_rest_or_nothing() -> None:
    tracker = Tracker.open()
    h, snaps = snapshot_examples()
    stray = Snapshot("elsewhere", t("2025-10-18T00:00:00Z"), 0.5)
    with pytest.raises(NotFound, match="snapshot of 'elsewhere' taken 2025-10-18: no question"):
        tracker.import_history(h, snapshots=(*snaps, stray))
    nan = replace(snaps[1], probability=math.nan)
    where = "snapshot of 'line' taken 2025-10-18T06:30:00.000001Z: probability: must be"
    with pytest.raises(ForecastError, match=re.escape(where)):
        tracker.import_history(h, snapshots=(nan,))
    assert tracker.export_scenario() == scenario.dumps(History())  # nothing was stored
    assert tracker.import_history(h, snapshots=snaps)["snapshots"] == len(snaps)
    # Snapshots of questions already in the store may come on their own.
    later = Snapshot("line", t("2025-10-20T00:00:00Z"), 0.125)
    assert tracker.import_history(History(), snapshots=(later,))["snapshots"] == 1
    with tracker.store.read() as tx:
        stored = _without_ids(tx.snapshots())
    assert stored == sorted((*snaps, later), key=lambda s: (s.question_id, s.taken_at))


@st.composite
def snapshot_lists(draw: st.DrawFn) -> list[Snapshot]:
    """Snapshots of the three example questions, with any times, floats and names."""
    chances = st.floats(0.0, 1.0)
    snaps = []
    for _ in range(draw(st.integers(0, 6))):
        qid = draw(st.sampled_from(["line", "meet", "venue"]))
        if qid == "venue":  # a distribution over the options, in any order
            names = draw(st.permutations(["budapest", "elsewhere", "no-summit"]))
            first = draw(chances)
            second = draw(st.floats(0.0, 1.0 - first))
            values = [first, second, (1.0 - first) - second]
            probability = None
        else:  # a binary question has no vector; an event question's names its deadlines
            rungs = ["2025-11-30", "2025-12-31"] if qid == "meet" else []
            names = draw(
                st.lists(st.sampled_from(rungs), max_size=2, unique=True) if rungs else st.just([])
            )
            values = [draw(chances) for _ in names]
            probability = draw(chances)
        snaps.append(
            Snapshot(
                question_id=qid,
                taken_at=draw(times),
                probability=probability,
                vector=tuple(zip(names, values, strict=True)),
                reason=draw(st.sampled_from(REASONS)),
                taken_by=draw(texts),
            )
        )
    return snaps


@settings(max_examples=examples(200), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(snapshot_lists())
def test_any_snapshots_survive_dumps_then_load_all(snaps: list[Snapshot]) -> None:
    h = scenario.loads(with_snapshots(""))
    text = scenario.dumps(h, snaps)
    loaded = scenario.load_all(text).snapshots
    assert loaded == scenario.ordered_snapshots(snaps)
    for a, b in zip(loaded, scenario.ordered_snapshots(snaps), strict=True):
        assert [_bits(p) for _, p in a.vector] == [_bits(p) for _, p in b.vector]
        assert a.probability is None or _bits(a.probability) == _bits(b.probability)
    assert scenario.dumps(h, loaded) == text
