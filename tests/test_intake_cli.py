"""`forecast intake url|file`: a page read into a report draft with suggestions from the
store, on the demo, from a real local HTTP server (127.0.0.1); nothing is stored, and a bad
page or address is one line."""

from __future__ import annotations

from pathlib import Path

import pytest
from intake_server import IntakeServer
from test_cli import Run

DATA = Path(__file__).resolve().parent / "data" / "intake"


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str]) -> Run:
    return Run(capsys)


pytestmark = pytest.mark.usefixtures("no_proxy")


def test_a_bulgarian_page_suggests_the_demo_question_it_bears_on(
    db: Path, intake_server: IntakeServer, run: Run
) -> None:
    before = run.ok("export", "-")
    found = run.json("intake", "url", intake_server.url("/files/article-bg.html"))
    assert found["language"] == "bg" and found["title"] == "Срещата Рубио–Лавров се отлага"
    assert found["published"].startswith("2025-10-22")
    [top, *_] = found["questions"]
    assert top["id"] == "lavrov-rubio-meeting"
    assert ["Lavrov", "Лавров"] in top["matched"] and ["Rubio", "Рубио"] in top["matched"]
    assert all(q["score"] >= 0.12 for q in found["questions"])  # the shown cutoff
    assert run.ok("export", "-") == before  # suggestions store nothing


def test_the_text_output_names_titles_scores_and_says_nothing_was_stored(
    db: Path, run: Run
) -> None:
    out = run.ok("intake", "file", str(DATA / "article-bg.html"))
    assert "draft: Срещата Рубио–Лавров се отлага" in out
    assert "0.33  lavrov-rubio-meeting  Will Lavrov and Rubio meet in person by 2025-10-31?" in out
    assert out.rstrip().endswith(
        "nothing was stored: log it as a report and assess it to move a forecast"
    )


def test_bad_pages_and_addresses_are_one_line(
    db: Path, intake_server: IntakeServer, run: Run
) -> None:
    empty = run.fails("intake", "file", str(DATA / "no-article.html"))
    assert empty.rstrip().endswith(": no article text was found on the page")
    gone = run.fails("intake", "url", intake_server.url("/status/404"))
    assert gone.startswith(f"error: {intake_server.url('/status/404')}: ") and "404" in gone
    ftp = run.fails("intake", "url", "ftp://127.0.0.1/x")
    assert ftp == "error: ftp://127.0.0.1/x: only http and https addresses are fetched, not ftp:\n"
