"""Bad input beyond the first table: each case is one line on stderr, a non-zero exit, and
nothing stored (issue 16's list, case by case, asserting the message)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from forecast.api import Tracker
from forecast.cli import main


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    code = main(list(args))
    err = capsys.readouterr().err
    assert code != 0
    assert len(err.strip().splitlines()) == 1, err
    assert err.startswith("error: ")
    return err.strip()


@pytest.fixture
def demo(_isolated_database: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    assert main(["demo"]) == 0
    capsys.readouterr()
    return _isolated_database


def _rows(db: Path) -> dict[str, int]:
    with sqlite3.connect(db) as conn:
        names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        return {n: conn.execute(f'SELECT count(*) FROM "{n}"').fetchone()[0] for n in names}


@pytest.mark.parametrize(
    ("url", "driver"),
    [
        ("postgresql+asyncpg://ana@127.0.0.1/forecast", "asyncpg"),
        ("sqlite+pysqlcipher:///secret.db", "pysqlcipher"),
        ("postgresql+psycopg2://ana@127.0.0.1/forecast", "psycopg2"),
    ],
)
def test_a_database_driver_that_is_not_installed(
    capsys: pytest.CaptureFixture[str], url: str, driver: str
) -> None:
    err = _run(capsys, "--db", url, "question", "list")
    assert err == (
        f"error: database URL {url} names the driver {driver!r}: forecast works with "
        "postgresql:// (psycopg) and SQLite files"
    )


def test_an_analyst_name_that_is_not_unicode(
    demo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    before = _rows(demo)
    monkeypatch.setenv("FORECAST_USER", "ana\udcff")  # a byte the locale could not decode
    err = _run(capsys, "source", "add", "Wire", "--reliability", "0.5")
    assert err == "error: the analyst name ($FORECAST_USER) is not valid Unicode text"
    assert _rows(demo) == before


@pytest.mark.parametrize(
    ("insert", "message"),
    [
        (
            "INSERT INTO questions (id, title, kind, opened_at, prior, prior_note, alpha, "
            "criteria, tags, created_at, created_by) VALUES ('n1', 't', 'numeric', "
            "'2025-10-16 00:00:00', 0.5, '', NULL, '', '[]', '2025-10-16 00:00:00', 'x')",
            "error: the database holds question 'n1' of kind 'numeric', which this version of "
            "forecast does not know: was it written by another program?",
        ),
        (
            "INSERT INTO questions (id, title, kind, opened_at, prior, prior_note, alpha, "
            "criteria, tags, created_at, created_by) VALUES ('n2', 't', 'binary', "
            "'2025-10-16 00:00:00', 0.5, '', NULL, '', '{broken', '2025-10-16 00:00:00', 'x')",
            "error: the database holds a row of questions that cannot be read (Expecting "
            "property name enclosed in double quotes: line 1 column 2 (char 1)): was it written "
            "by another program?",
        ),
    ],
)
def test_rows_another_client_wrote(
    demo: Path, capsys: pytest.CaptureFixture[str], insert: str, message: str
) -> None:
    with sqlite3.connect(demo) as conn:
        conn.execute(insert)
    assert _run(capsys, "question", "list") == message


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["question", "add", "b", "--title", "B?", "--kind", "binary", "--opened",
             "2025-10-16", "--prior", "0.3", "--deadline", "2025-12-31"],
            "error: deadlines and alpha apply to event questions only (a binary question is a "
            "state on a date)",
        ),
        (
            ["source", "update", "Reuters", "--reliability", "0.5", "--reason", "  "],
            "error: a new version of a source needs a reason",
        ),
        (
            ["evidence", "retract-report", "cnn-rubio-lavrov-call", "--reason", "x" * 200_001],
            "error: reason is longer than 200000 characters",
        ),
        (["calibrate", "--seed", "-1"], "error: Invalid value for '--seed': -1 is not in the "
         "range 0<=x<=4294967295."),
    ],
)  # fmt: skip
def test_writes_that_would_break_the_record(
    demo: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    before = _rows(demo)
    assert _run(capsys, *args) == message
    assert _rows(demo) == before


def test_every_door_checks_the_text_it_stores(demo: Path) -> None:
    tracker = Tracker.open()
    with pytest.raises(ValueError, match="reason contains a NUL character"):
        tracker.retract_report("cnn-rubio-lavrov-call", reason="withdrawn\x00")
    from forecast.clock import parse_time
    from forecast.domain import Kind, Question

    with pytest.raises(ValueError, match="created by contains a NUL character"):
        tracker.add_question(
            Question("q", "Q?", Kind.BINARY, parse_time("2025-10-16"), prior=0.5, created_by="\0")
        )


def test_a_week_past_the_calendar(demo: Path, capsys: pytest.CaptureFixture[str], tmp_path) -> None:
    out = tmp_path / "reports"
    err = _run(capsys, "report", "weekly", "--week", "9999-W52", "--out", str(out))
    assert err == "error: week '9999-W52' is out of range"
    assert not out.exists() or list(out.iterdir()) == []


def test_a_source_named_in_another_unicode_spelling_is_the_same_source(demo: Path) -> None:
    import unicodedata

    tracker = Tracker.open()
    tracker.add_source("Café", 0.5)  # é as one character
    decomposed = unicodedata.normalize("NFD", "Café")  # e and a combining accent
    assert decomposed != "Café"
    updated = tracker.update_source(decomposed, reliability=0.4, reason="re-rated")
    assert (updated.name, updated.version) == ("Café", 2)


def test_a_newline_in_a_title_cannot_pass_for_a_row_of_its_own(
    demo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from forecast.clock import parse_time
    from forecast.domain import Kind, Question

    fake = "Real title\nfake-question         binary  open                 99.0%  Forged row"
    Tracker.open().add_question(
        Question("q-nl", fake, Kind.BINARY, parse_time("2025-10-16"), prior=0.5)
    )
    assert main(["question", "list"]) == 0
    out = capsys.readouterr().out
    assert len(out.strip().splitlines()) == 5  # the demo's four questions and this one
    assert "Real title\\nfake-question" in out
    assert main(["show", "q-nl"]) == 0
    assert "q-nl: Real title\\nfake-question" in capsys.readouterr().out
