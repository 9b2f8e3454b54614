"""Search across questions, reports and rationales, held by the database (issue 13): SQLite's
FTS5 index and PostgreSQL's text search, the same answers on both, in the API, the CLI and
the dashboard."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from dashboard_support import run_app
from support import Clock
from test_cli import Run
from test_store import database_url as database_url
from test_store import db_path as db_path

from forecast.api import Judgement, Tracker
from forecast.domain import ForecastError, Kind, Question, Report, Source
from forecast.store import SCHEMA_HEAD, Store
from forecast.store.database import MIGRATIONS, migration_config
from forecast.store.search import MAX_WORDS, SEARCHED

OPENED = datetime(2026, 11, 1, tzinfo=UTC)


@pytest.fixture
def tracker(database_url: str) -> Iterator[Tracker]:
    clock = Clock(OPENED + timedelta(hours=1))
    t = Tracker.open(database_url, clock=clock, user="ann")
    t.add_question(
        Question("ecb", "Will the ECB cut rates in December?", Kind.BINARY, OPENED, prior=0.4,
                 criteria="A cut of the deposit facility rate announced by 31 December.")
    )  # fmt: skip
    t.add_question(
        Question("venue", "Where will the summit be?", Kind.CHOICE, OPENED,
                 options=(("Будапешт", 0.5), ("elsewhere", 0.5)))
    )  # fmt: skip
    t.add_source("Wire", 0.9)
    clock.now = OPENED + timedelta(days=2)
    t.log_evidence(
        [Judgement("ecb", lr=2.0, rationale="Lagarde signalled easing; sanctions irrelevant")],
        source="Wire", published=OPENED + timedelta(days=1), new_report_id="r-ecb",
        title="Lagarde hints at a December cut", summary="Speech in Frankfurt.",
    )  # fmt: skip
    t.log_evidence(
        [Judgement("venue", likelihoods=(("Будапешт", 2.0),), rationale="Орбан потвърди")],
        source="Wire", published=OPENED + timedelta(days=1), new_report_id="r-bud",
        title="Саміт у Будапешті: Орбан підтверджує", origin="Hungarian government",
    )  # fmt: skip
    yield t
    t.store.close()


def found(t: Tracker, query: str) -> set[tuple[str, str]]:
    """(kind, id) of each hit; an assessment (whose id is drawn at random) as
    "REPORT.QUESTION"."""
    return {
        (h.kind, h.id if h.kind != "assessment" else f"{_report_of(t, h.id)}.{h.questions[0]}")
        for h in t.search(query)
    }


def _report_of(t: Tracker, assessment_id: str) -> str:
    return next(a.report_id for a in t.history(None).assessments if a.id == assessment_id)


def test_words_match_by_prefix_and_case_aside_and_all_must_match(tracker: Tracker) -> None:
    assert found(tracker, "LAGARDE") == {("report", "r-ecb"), ("assessment", "r-ecb.ecb")}
    assert found(tracker, "lagar") == found(tracker, "Lagarde")  # a prefix
    assert found(tracker, "deposit rate") == {("question", "ecb")}  # criteria, both words
    assert found(tracker, "deposit Frankfurt") == set()  # one record must hold every word
    assert found(tracker, "sanction") == {("assessment", "r-ecb.ecb")}  # a rationale


def test_any_script_case_aside(tracker: Tracker) -> None:
    assert found(tracker, "будапешті") == {("report", "r-bud")}
    assert found(tracker, "ОРБАН") == {("report", "r-bud"), ("assessment", "r-bud.venue")}
    assert found(tracker, "hungarian") == {("report", "r-bud")}  # the origin


def test_every_version_is_searched_and_the_hit_shows_the_latest(tracker: Tracker) -> None:
    tracker.edit_question("ecb", reason="wording", title="Will the ECB lower rates in Dec?")
    tracker.edit_report("r-ecb", reason="typo", title="Lagarde hints at a cut")
    tracker.retract_report("r-ecb", reason="misquoted")
    (hit,) = tracker.search("December ECB")  # the question's first title
    assert (hit.kind, hit.id, hit.title) == ("question", "ecb", "Will the ECB lower rates in Dec?")
    report = next(h for h in tracker.search("lagarde") if h.kind == "report")
    assert (report.title, report.retracted, report.questions) == (
        "Lagarde hints at a cut",
        True,
        ("ecb",),
    )


def test_bad_searches_are_refused_by_name(tracker: Tracker) -> None:
    with pytest.raises(ForecastError) as caught:
        tracker.search(" -- !! ")
    assert str(caught.value) == "search for at least one word (letters or digits)"
    with pytest.raises(ForecastError) as caught:
        tracker.search(" ".join(["word"] * (MAX_WORDS + 1)))
    assert str(caught.value) == f"search for at most {MAX_WORDS} words, not {MAX_WORDS + 1}"
    with pytest.raises(ForecastError, match="a search returns 1 to 1000 results, not 0"):
        tracker.search("ecb", limit=0)
    # SQL and the index's own syntax are plain words here
    assert tracker.search("'; DROP TABLE reports; -- NEAR(x y) OR *") == []
    assert tracker.counts()["reports"] == 2


def test_limit_keeps_the_best(tracker: Tracker) -> None:
    assert len(tracker.search("ecb", limit=1)) == 1


def test_the_store_repeats_the_migrations_expressions() -> None:
    """PostgreSQL uses the GIN indexes of 0008 only for the very same expressions."""
    path = MIGRATIONS / "versions" / "0008_search.py"
    spec = importlib.util.spec_from_file_location("m0008", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.SEARCHED == SEARCHED


def test_an_older_database_gets_its_rows_indexed_on_upgrade(database_url: str) -> None:
    from alembic import command

    with Store(database_url) as store:
        with store.engine.begin() as conn:
            command.upgrade(migration_config(conn), "0007")
            from forecast.store.session import Session

            tx = Session(conn, writable=True)
            tx.insert_question(
                Question("q", "Will Sofia host it?", Kind.BINARY, OPENED, prior=0.3,
                         created_at=OPENED)
            )  # fmt: skip
            tx.insert_source(Source("Wire", 0.9, logged_at=OPENED, logged_by="a"))
            tx.insert_report(
                Report("r", OPENED, "Wire", title="Sofia bid", logged_at=OPENED, logged_by="a")
            )
        assert store.upgrade() == SCHEMA_HEAD
    t = Tracker.open(database_url)
    assert found(t, "sofia") == {("question", "q"), ("report", "r")}
    t.store.close()


def test_cli_search(run: Run, tmp_path: Path) -> None:
    run.ok("question", "add", "q", "--title", "Will the ECB cut?", "--kind", "binary",
           "--opened", "2026-11-01", "--prior", "40%")  # fmt: skip
    assert run.ok("search", "ecb").splitlines() == [
        "kind      id  questions  title",
        "question  q   q          Will the ECB cut?",
    ]
    assert run.ok("search", "nothing-here") == "nothing matches\n"
    assert run.json("search", "ECB") == [
        {"kind": "question", "id": "q", "title": "Will the ECB cut?", "text": "",
         "questions": ["q"], "retracted": False}
    ]  # fmt: skip
    assert run.fails("search", "!!") == "error: search for at least one word (letters or digits)\n"


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str]) -> Run:
    return Run(capsys)


def test_dashboard_search_page(db: Path) -> None:
    at = run_app("search", text="summit")
    table = at.dataframe[0].value
    expected = Tracker.open(str(db)).search("summit", limit=50)
    assert list(zip(table["kind"], table["id"], strict=True)) == [(h.kind, h.id) for h in expected]
    assert {"question", "report", "assessment"} <= set(table["kind"])


def test_diacritics_fold_on_sqlite_only(tracker: Tracker) -> None:
    """What the README says of the two stores: SQLite's tokenizer drops diacritics,
    PostgreSQL's 'simple' configuration keeps them (both fold case)."""
    tracker.edit_question("ecb", reason="venue", criteria="Announced at the Zürich forum.")
    assert found(tracker, "ZÜRICH") == {("question", "ecb")}
    sqlite = tracker.store.engine.dialect.name == "sqlite"
    assert found(tracker, "zurich") == ({("question", "ecb")} if sqlite else set())


def test_a_restore_without_the_index_is_told_to_run_init_which_rebuilds_it(
    tmp_path: Path,
) -> None:
    import sqlite3

    path = tmp_path / "restored.db"
    t = Tracker.open(str(path))
    t.add_question(Question("q", "Will Sofia host it?", Kind.BINARY, OPENED, prior=0.3))
    t.store.close()
    with sqlite3.connect(path) as raw:  # what a dump that left the derived index out gives
        raw.execute("DROP TABLE search_index")
    t = Tracker.open(str(path))
    with pytest.raises(ForecastError) as caught:
        t.search("sofia")
    assert str(caught.value) == (
        "this database has no usable search index (restored from a dump that left it out?): "
        "`forecast init` rebuilds it from the records"
    )
    assert t.store.upgrade() == SCHEMA_HEAD  # what `forecast init` runs
    assert found(t, "sofia") == {("question", "q")}
    t.add_question(Question("r", "Sofia again?", Kind.BINARY, OPENED, prior=0.3))
    assert found(t, "sofia") == {("question", "q"), ("question", "r")}  # triggers are back
    t.store.close()
