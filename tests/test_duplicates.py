"""No silent double counting: one origin however it is spelt, one URL one report, a report
logged twice refused, and reports fixed by new versions rather than logged again."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from support import Clock

from forecast import matching
from forecast.api import Tracker
from forecast.domain import ForecastError, Kind, NotFound, Question

OPENED = datetime(2026, 11, 1, tzinfo=UTC)
DAY = timedelta(days=1)


def odds_to_p(odds: float) -> float:
    return odds / (1 + odds)


# --------------------------------------------------------------------------- matching


@pytest.mark.parametrize(
    ("typed", "key"),
    [
        ("ECB sources, 2026-11-20", "ecb sources 2026 11 20"),
        ("ecb sources 20 Nov", "ecb sources 2026 11 20"),
        ("ECB  Sources (20.11.2026)", "ecb sources 2026 11 20"),
        ("ECB sources, Nov 20th 2026", "ecb sources 2026 11 20"),
        ("ECB sources 20 of November", "ecb sources 2026 11 20"),
        ("senior White-House official", "senior white house official"),
        ("Ｓｅｎｉｏｒ official", "senior official"),  # full-width letters (NFKC)
        ("G7 leaders", "g7 leaders"),  # a bare number is not a date
        ("sources told Reuters 3", "sources told reuters 3"),
        ("leak of 25 Dec", "leak of 2025 12 25"),  # no year, after the report: the year before
        ("", ""),
    ],
)
def test_an_origin_is_one_key_however_it_is_spelt(typed: str, key: str) -> None:
    published = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)
    assert matching.origin_key(typed, published) == key


def test_an_origin_is_named_without_its_date() -> None:
    published = datetime(2025, 10, 22, tzinfo=UTC)
    named = matching.origin_name("senior White House official, 2025-10-21", published)
    assert named == "senior white house official"
    assert matching.origin_name("CNN sources, 21 Oct", published) == "cnn sources"
    assert matching.origin_name("G7 leaders", published) == "g7 leaders"


def test_a_29_february_without_a_year_after_the_report_falls_back_a_year() -> None:
    published = datetime(2028, 2, 10, tzinfo=UTC)  # 2028 is a leap year, 2027 is not
    assert matching.origin_key("leak 29 Feb", published) == "leak 2027 02 28"


@pytest.mark.parametrize(
    "url",
    [
        "https://www.reuters.com/world/x/?utm_source=tw&utm_medium=social#top",
        "http://reuters.com/world/x",
        "reuters.com/world/x/",
        "HTTPS://WWW.Reuters.com/world/x",
    ],
)
def test_one_article_has_one_canonical_url(url: str) -> None:
    assert matching.canonical_url(url) == "reuters.com/world/x"


def test_a_url_keeps_what_tells_pages_apart() -> None:
    assert matching.canonical_url("https://x.org/a?id=2") != matching.canonical_url(
        "https://x.org/a?id=3"
    )
    assert matching.canonical_url("https://x.org/A") != matching.canonical_url("https://x.org/a")
    assert matching.canonical_url("https://x.org:8080/a") == "x.org:8080/a"
    assert matching.canonical_url("  ") == ""
    for odd in ("javascript:alert(1)", "http://[::1", "https://x.org:99999/a"):
        assert matching.canonical_url(odd) == odd  # not a URL to open: kept as typed


def test_title_similarity_thresholds() -> None:
    # rapidfuzz's token-sort ratio: 2 * matches / total characters, after sorting words
    loud = "kremlin RULES out a ceasefire!"
    assert matching.similar("Kremlin rules out a ceasefire", loud) == 100
    same = matching.similar("Trump drops plans to meet Putin", "Trump drops plans to meet Putin.")
    assert same >= matching.SIMILAR_TITLE
    assert matching.similar("Trump drops plans", "Rubio calls Lavrov") < matching.SIMILAR_TITLE
    # alike, but another number: another report
    assert matching.similar("Poll: 45% back a cut", "Poll: 46% back a cut") >= 90
    assert not matching.same_title("Poll: 45% back a cut", "Poll: 46% back a cut")
    assert matching.same_title("Poll: 45% back a cut", "poll - 45% BACK a cut")


# --------------------------------------------------------------------------- the API


@pytest.fixture
def clock() -> Clock:
    return Clock(OPENED + timedelta(hours=1))


@pytest.fixture
def world(tmp_path: Path, clock: Clock) -> Tracker:
    tracker = Tracker.open(str(tmp_path / "dup.db"), clock=clock, user="ann")
    tracker.add_question(Question("q", "Will the ECB cut?", Kind.BINARY, OPENED, prior=0.3))
    tracker.add_source("Reuters", 0.8)
    tracker.add_source("Bloomberg", 0.6)
    clock.now = OPENED + 21 * DAY
    return tracker


def refused(tracker: Tracker, call, message: str, error: type = ForecastError) -> None:
    before = tracker.counts()
    with pytest.raises(error, match=message):
        call()
    assert tracker.counts() == before, "a refused call stored something"


def test_two_spellings_of_one_leak_count_once(world: Tracker) -> None:
    # Both carry one leak: one item of reliability 1 - 0.2 * 0.4 = 0.92 with the most
    # reliable member's LR 3: 1 / (1 - 0.92 (1 - 1/3)) = 2.5862..., odds 3/7 * that.
    published = OPENED + 20 * DAY
    world.add_evidence("q", lr=3.0, source="Reuters", published=published,
                       origin="ECB sources, 2026-11-20", title="ECB set to cut")  # fmt: skip
    world.add_evidence("q", lr=3.0, source="Bloomberg", published=published + DAY / 4,
                       origin="ecb sources 20 Nov", title="Policymakers lean to a cut")  # fmt: skip
    expected = odds_to_p(0.3 / 0.7 / (1 - 0.92 * (1 - 1 / 3)))
    assert world.state("q").probability == pytest.approx(expected, rel=1e-12)
    assert expected == pytest.approx(0.52570, abs=1e-5)


def test_one_url_is_one_report(world: Tracker) -> None:
    url = "https://www.reuters.com/ecb-cut/"
    r, _ = world.add_evidence("q", lr=2.0, source="Reuters", published=OPENED + 20 * DAY,
                              title="ECB set to cut", url=url)  # fmt: skip
    for other in ("Reuters", "Bloomberg"):  # the URL decides, whatever else is typed
        refused(world, lambda other=other: world.add_evidence(
            "q", lr=2.0, source=other, published=OPENED + 3 * DAY, title="Another title",
            url="http://reuters.com/ecb-cut?utm_source=x", force=True),
            f"report {r.id} \\('ECB set to cut', Reuters, published 2026-11-21\\) "
            f"has this URL already: assess that report instead")  # fmt: skip


def test_the_same_report_logged_twice_is_refused_unless_forced(world: Tracker) -> None:
    first, _ = world.add_evidence("q", lr=2.0, source="Reuters", published=OPENED + 20 * DAY,
                                  title="ECB set to cut rates in December")  # fmt: skip
    again = dict(lr=2.0, source="Reuters", published=OPENED + 21 * DAY,
                 title="ECB set to cut rates in December.")  # fmt: skip
    refused(world, lambda: world.add_evidence("q", **again),
            f"report {first.id} looks like this one .*same source.*: assess that report "
            "instead, or log this one anyway \\(force\\) if it is another report")  # fmt: skip
    # Another outlet, another title, or more than 48 hours apart: a report of its own.
    world.add_evidence("q", **{**again, "source": "Bloomberg"})
    world.add_evidence("q", **{**again, "title": "Lagarde hints at a pause"})
    world.add_evidence("q", **{**again, "published": OPENED + 17 * DAY})  # 3 days before
    forced, _ = world.add_evidence("q", **again, force=True)
    assert len({first.id, forced.id}) == 2


def test_untitled_reports_are_one_when_source_and_time_agree(world: Tracker) -> None:
    at = OPENED + 20 * DAY
    first, _ = world.add_evidence("q", lr=2.0, source="Reuters", published=at)
    refused(world, lambda: world.add_evidence("q", lr=2.0, source="Reuters", published=at),
            f"report {first.id} looks like this one")  # fmt: skip
    world.add_evidence("q", lr=2.0, source="Reuters", published=at + timedelta(minutes=5))


def test_a_retracted_lookalike_does_not_block(world: Tracker) -> None:
    first, _ = world.add_evidence("q", lr=2.0, source="Reuters", published=OPENED + 20 * DAY,
                                  title="ECB set to cut")  # fmt: skip
    world.retract_report(first.id, reason="logged by mistake")
    world.add_evidence("q", lr=2.0, source="Reuters", published=OPENED + 20 * DAY,
                       title="ECB set to cut")  # fmt: skip


def test_judgements_are_never_duplicates(world: Tracker, clock: Clock) -> None:
    world.judge("q", 0.40)
    clock.now += timedelta(minutes=1)
    world.judge("q", 0.41)  # "ann: now at 40.0%" and "ann: now at 41.0%" read alike
    assert len(world.evidence("q")) == 2


# --------------------------------------------------------------------------- edits


def test_an_edited_origin_merges_the_echo_from_then_on(world: Tracker, clock: Clock) -> None:
    published = OPENED + 20 * DAY
    world.add_evidence("q", lr=3.0, source="Reuters", published=published,
                       origin="ECB sources", title="ECB set to cut")  # fmt: skip
    second, _ = world.add_evidence("q", lr=3.0, source="Bloomberg", published=published,
                                   origin="people familiar", title="A cut is near")  # fmt: skip
    independent = world.state("q").probability
    # two items: 1 / (1 - 0.8 * 2/3) and 1 / (1 - 0.6 * 2/3)
    assert independent == pytest.approx(
        odds_to_p(0.3 / 0.7 / (1 - 0.8 * 2 / 3) / (1 - 0.6 * 2 / 3)), rel=1e-12
    )
    assert world.origins_like("ecb source", published) == ["ECB sources"]
    assert world.origins_like("ECB  sources!", published) == []  # it is that one
    before = clock.now
    clock.now += DAY
    edited = world.edit_report(second.id, origin="ECB sources", reason="same leak")
    assert (edited.version, edited.reason, edited.title) == (2, "same leak", "A cut is near")
    assert world.state("q").probability == pytest.approx(
        odds_to_p(0.3 / 0.7 / (1 - 0.92 * 2 / 3)), rel=1e-12
    )
    assert world.state("q", as_of=before).probability == independent  # the past stands
    entries = {e.report.id: e for e in world.evidence("q")}
    assert entries[second.id].echoes != () and entries[second.id].status == "counts"


def test_edit_rules_say_why(world: Tracker) -> None:
    r, _ = world.add_evidence("q", lr=2.0, source="Reuters", published=OPENED + 20 * DAY,
                              title="Cut", url="https://x.org/a")  # fmt: skip
    other, _ = world.add_evidence("q", lr=2.0, source="Bloomberg", published=OPENED + 20 * DAY,
                                  title="Hold")  # fmt: skip
    refused(world, lambda: world.edit_report(r.id, title="New", reason=" "),
            r"^an edit needs a reason$")  # fmt: skip
    refused(world, lambda: world.edit_report(r.id, title="Cut", reason="typo"),
            f"report '{r.id}' already reads so")  # fmt: skip
    refused(world, lambda: world.edit_report(other.id, url="x.org/a/", reason="link"),
            f"report {r.id} .* has this URL already")  # fmt: skip
    refused(world, lambda: world.edit_report("nope", title="x", reason="typo"),
            "no report 'nope'", NotFound)  # fmt: skip
    world.retract_report(other.id, reason="wrong story")
    refused(world, lambda: world.edit_report(other.id, title="x", reason="typo"),
            f"report '{other.id}' was retracted: it takes no edits")  # fmt: skip


def test_the_evidence_list_says_what_counts(world: Tracker, clock: Clock) -> None:
    _, a1 = world.add_evidence("q", lr=2.0, source="Reuters", published=OPENED + 19 * DAY,
                                title="One")  # fmt: skip
    r2, a2 = world.add_evidence("q", lr=2.0, source="Bloomberg", published=OPENED + 20 * DAY,
                                title="Two")  # fmt: skip
    _, a3 = world.add_evidence("q", lr=0.5, report_id=r2.id, analyst="bob")
    clock.now += DAY
    world.correct_assessment(a1.id, reason="misread", retract=True)
    world.retract_report(r2.id, reason="fabricated")
    listed = [(e.assessment.id, e.status) for e in world.evidence("q")]
    # newest report first; bob's and ann's assessments of r2 both stop counting with it
    assert sorted(listed[:2]) == sorted([(a2.id, "report retracted"), (a3.id, "report retracted")])
    assert listed[2:] == [(a1.id, "retracted")]
    assert world.evidence("q")[0].to_json()["title"] == "Two"
    refused(world, lambda: world.evidence("nope"), "no question 'nope'", NotFound)
