"""End to end in a real browser: the demo served by Streamlit, driven through Chromium.

Opens the overview and a question page, waits for the chart, logs a report through the
form, and checks that the question's probability moved. Screenshots go to the test's
folder and to docs/screenshots/ (the README shows those).
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from forecast.api import Tracker

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = ROOT / "docs" / "screenshots"
SEED = ROOT / "seeds" / "putin-trump-2025.yaml"
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SHOWN_DAY = "2025-11-05"  # the Lavrov-Rubio deadline has passed, the summit's has not
START_TIMEOUT = 90  # seconds for the server to answer its health check
WAIT = 60_000  # milliseconds for a page element
HOSTILE_TITLE = "<script>alert(1)</script> '; DROP TABLE reports; --"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_healthy(url: str, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"streamlit exited with {server.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as reply:
                if reply.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise TimeoutError(f"streamlit did not answer at {url} within {START_TIMEOUT} s")


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    """`streamlit run` on a fresh demo database; yields its base URL, stops it after."""
    db = tmp_path / "demo.db"
    tracker = Tracker.open(str(db))
    tracker.import_scenario(SEED.read_text(encoding="utf-8"))
    tracker.store.close()
    port = _free_port()
    env = dict(os.environ, FORECAST_DB=str(db), FORECAST_USER="browser")
    log = (tmp_path / "streamlit.log").open("wb")
    server = subprocess.Popen(
        [
            sys.executable, "-m", "streamlit", "run", str(ROOT / "dashboards" / "app.py"),
            "--server.port", str(port), "--server.address", "127.0.0.1",
            "--server.headless", "true", "--browser.gatherUsageStats", "false",
            "--server.fileWatcherType", "none",
        ],
        env=env, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT,
    )  # fmt: skip
    try:
        url = f"http://127.0.0.1:{port}"
        _wait_healthy(url, server)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()


@pytest.fixture
def page(tmp_path: Path) -> Iterator[object]:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is absent (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            str(tmp_path / "profile"),
            executable_path=str(CHROMIUM),
            headless=True,
            args=CHROMIUM_FLAGS,
            # Streamlit scrolls inside its main block: a tall window shows the whole page.
            viewport={"width": 1440, "height": 2000},
        )
        try:
            yield context.new_page()
        finally:
            context.close()


def _settle(page: object) -> None:
    """Wait until Streamlit has finished running the script for this page."""
    page.wait_for_selector('[data-testid="stApp"]', timeout=WAIT)  # type: ignore[attr-defined]
    page.wait_for_function(  # type: ignore[attr-defined]
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=WAIT
    )
    page.wait_for_timeout(500)  # type: ignore[attr-defined]


def _shot(page: object, tmp_path: Path, name: str) -> None:
    path = tmp_path / f"{name}.png"
    page.screenshot(path=str(path))  # type: ignore[attr-defined]
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(path, SCREENSHOTS / f"{name}.png")


def _probability(page: object) -> str:
    metric = page.locator('[data-testid="stMetricValue"]').first  # type: ignore[attr-defined]
    return metric.inner_text().strip()


def _choose(page: object, label: str, option: str) -> None:
    """Pick ``option`` in the select box or multiselect labelled ``label``."""
    widget = page.locator(  # type: ignore[attr-defined]
        '[data-testid="stSelectbox"], [data-testid="stMultiSelect"]'
    ).filter(has=page.get_by_text(label, exact=True))  # type: ignore[attr-defined]
    widget.locator("input").first.click()
    page.keyboard.type(option)  # type: ignore[attr-defined]
    page.get_by_role("option", name=re.compile(re.escape(option))).first.click()  # type: ignore[attr-defined]
    page.locator("h1").first.click()  # type: ignore[attr-defined]  # closes a multiselect's list


def test_log_a_report_in_the_browser_and_see_the_probability_move(
    server: str, page: object, tmp_path: Path
) -> None:
    try:
        _story(server, page, tmp_path)
    except BaseException:
        page.screenshot(path=str(tmp_path / "failure.png"))  # type: ignore[attr-defined]
        raise


def _story(server: str, page: object, tmp_path: Path) -> None:
    alerts: list[str] = []
    page.on("dialog", lambda d: (alerts.append(d.message), d.dismiss()))  # type: ignore[attr-defined]

    page.goto(f"{server}/?as_of={SHOWN_DAY}")  # type: ignore[attr-defined]
    page.wait_for_selector('[data-testid="stDataFrame"]', timeout=WAIT)  # type: ignore[attr-defined]
    _settle(page)
    body = page.inner_text("body")  # type: ignore[attr-defined]
    assert "await resolution" in body
    assert "Deploy" not in body  # no button to a hosting service
    _shot(page, tmp_path, "overview")
    page.goto(f"{server}/overview?as_of={SHOWN_DAY}")  # type: ignore[attr-defined]
    page.wait_for_selector('[data-testid="stDataFrame"]', timeout=WAIT)  # type: ignore[attr-defined]
    assert "Page not found" not in page.inner_text("body")  # type: ignore[attr-defined]

    page.goto(f"{server}/question?q=putin-trump-meeting&as_of={SHOWN_DAY}")  # type: ignore[attr-defined]
    page.wait_for_selector(  # type: ignore[attr-defined]
        '[data-testid="stVegaLiteChart"] svg g.mark-line path', timeout=WAIT
    )
    _settle(page)
    _shot(page, tmp_path, "question")
    # Clicking the first report's marker (the 10-20 CNN report) opens it in the reader.
    marker = page.locator(  # type: ignore[attr-defined]
        '[data-testid="stVegaLiteChart"] svg g.mark-symbol path'
    ).first
    marker.click(force=True)
    page.get_by_text("Rubio and Lavrov discuss steps toward a second summit").first.wait_for(  # type: ignore[attr-defined]
        timeout=WAIT
    )

    page.goto(f"{server}/question?q=russia-ceasefire-line")  # type: ignore[attr-defined]
    page.wait_for_selector('[data-testid="stVegaLiteChart"] svg', timeout=WAIT)  # type: ignore[attr-defined]
    _settle(page)
    before = _probability(page)

    page.goto(f"{server}/log-evidence")  # type: ignore[attr-defined]
    _settle(page)
    _choose(page, "Questions this report bears on", "russia-ceasefire-line")
    _settle(page)
    _choose(page, "Source", "Reuters")
    page.get_by_role("textbox", name="Title", exact=True).fill(HOSTILE_TITLE)  # type: ignore[attr-defined]
    page.get_by_role("textbox", name="Likelihood ratio").fill("6")  # type: ignore[attr-defined]
    page.get_by_role("textbox", name="Rationale").fill(
        "Moscow signals a freeze on the current line."
    )  # type: ignore[attr-defined]
    page.get_by_role("button", name="Save").click()  # type: ignore[attr-defined]
    page.get_by_text("Logged report").wait_for(timeout=WAIT)  # type: ignore[attr-defined]

    page.goto(f"{server}/question?q=russia-ceasefire-line")  # type: ignore[attr-defined]
    page.wait_for_selector('[data-testid="stVegaLiteChart"] svg', timeout=WAIT)  # type: ignore[attr-defined]
    _settle(page)
    after = _probability(page)
    assert after != before, f"the probability stayed at {before}"
    assert float(after.rstrip("%")) > float(before.rstrip("%"))
    body = page.inner_text("body")  # type: ignore[attr-defined]
    assert HOSTILE_TITLE in body, "the title is shown as typed, as text"
    assert not alerts, "no script from user text ran"


def test_correct_judge_again_and_retract_in_the_browser(
    server: str, page: object, tmp_path: Path
) -> None:
    """Issue 13: evidence is fixed from the browser, each change a new version or a new
    assessment of the same report, never a second report."""
    try:
        _evidence_story(server, page, tmp_path)
    except BaseException:
        page.screenshot(path=str(tmp_path / "failure.png"))  # type: ignore[attr-defined]
        raise


def _evidence_story(server: str, page: object, tmp_path: Path) -> None:
    qid = "russia-ceasefire-line"
    tracker = Tracker.open(str(tmp_path / "demo.db"))
    chosen = tracker.evidence(qid)[0]  # the page picks the first entry, as the API lists them
    reports = tracker.counts()["reports"]
    page.goto(f"{server}/evidence?q={qid}")  # type: ignore[attr-defined]
    page.wait_for_selector('[data-testid="stDataFrame"]', timeout=WAIT)  # type: ignore[attr-defined]
    _settle(page)
    _shot(page, tmp_path, "evidence")

    page.get_by_role("tab", name="Correct").click()  # type: ignore[attr-defined]
    page.get_by_role("textbox", name="Likelihood ratio").fill("0.5")  # type: ignore[attr-defined]
    page.get_by_role("textbox", name="Reason for the change").fill("overrated")  # type: ignore[attr-defined]
    page.get_by_role("button", name="Save the correction").click()  # type: ignore[attr-defined]
    page.get_by_text(f"Assessment {chosen.assessment.id} is now version 2").wait_for(  # type: ignore[attr-defined]
        timeout=WAIT
    )
    _settle(page)
    page.get_by_role("tab", name="Judge again").click()  # type: ignore[attr-defined]
    page.get_by_role("textbox", name="Likelihood ratio").fill("3")  # type: ignore[attr-defined]
    page.get_by_role("textbox", name="Analyst").fill("olga")  # type: ignore[attr-defined]
    page.get_by_role("button", name="Save the judgement").click()  # type: ignore[attr-defined]
    page.get_by_text(f"olga judged report {chosen.report.id} for {qid}").wait_for(  # type: ignore[attr-defined]
        timeout=WAIT
    )
    _settle(page)
    page.get_by_role("tab", name="Retract", exact=True).click()  # type: ignore[attr-defined]
    page.get_by_role("textbox", name="Reason").fill("misread the source")  # type: ignore[attr-defined]
    page.get_by_role("button", name="Retract this judgement").click()  # type: ignore[attr-defined]
    page.get_by_text(f"Assessment {chosen.assessment.id} retracted (version 3)").wait_for(  # type: ignore[attr-defined]
        timeout=WAIT
    )

    versions = tracker.history([qid]).assessments
    mine = [a for a in versions if a.id == chosen.assessment.id]
    assert [(a.version, a.lr, a.retracted) for a in mine][1:] == [(2, 0.5, False), (3, 0.5, True)]
    olga = [e for e in tracker.evidence(qid) if e.assessment.analyst == "olga"]
    assert [(e.report.id, e.assessment.lr, e.status) for e in olga] == [
        (chosen.report.id, 3.0, "counts")
    ]
    assert tracker.counts()["reports"] == reports  # one report still, never a second
    tracker.store.close()


LINK_OPTION = "[Session expired - sign in again](https://evil.example/login)"
IMAGE_TITLE = "Where? ![p](http://127.0.0.1:9/t.png)"


def test_an_options_name_is_text_in_the_page_and_in_an_error(
    server: str, page: object, tmp_path: Path
) -> None:
    """Issue 16: a choice option named like a Markdown link, and a title holding an image,
    show as typed; no element gets an <a> or <img> from them, and nothing is fetched."""
    from datetime import UTC, datetime

    from forecast.domain import Kind, Question

    tracker = Tracker.open(str(tmp_path / "demo.db"))
    tracker.add_question(
        Question(
            id="hostile-choice",
            title=IMAGE_TITLE,
            kind=Kind.CHOICE,
            opened=datetime(2025, 10, 1, tzinfo=UTC),
            options=((LINK_OPTION, 0.5), ("other", 0.5)),
        )
    )
    tracker.store.close()
    fetched: list[str] = []
    page.on("request", lambda r: fetched.append(r.url))  # type: ignore[attr-defined]
    try:
        page.goto(f"{server}/question?q=hostile-choice")  # type: ignore[attr-defined]
        page.locator("h2", has_text="Where?").first.wait_for(timeout=WAIT)  # type: ignore[attr-defined]
        _settle(page)
        # As typed; the word joiners md() puts after "http" only keep addresses unlinked.
        body = page.inner_text("body").replace("\u2060", "")  # type: ignore[attr-defined]
        assert IMAGE_TITLE in body and LINK_OPTION in body

        # An error quoting the option: a likelihood that is not a number.
        page.goto(f"{server}/log-evidence?q=hostile-choice")  # type: ignore[attr-defined]
        option_field = (
            page.locator('[data-testid="stTextInput"]')  # type: ignore[attr-defined]
            .filter(has_text="Session expired")
            .locator("input")
        )
        option_field.wait_for(timeout=WAIT)  # type: ignore[attr-defined]
        _settle(page)
        _choose(page, "Source", "Reuters")
        option_field.fill("lots")  # type: ignore[attr-defined]
        page.get_by_role("button", name="Save").click()  # type: ignore[attr-defined]
        error = page.locator('[data-testid="stAlertContentError"]').first  # type: ignore[attr-defined]
        error.wait_for(timeout=WAIT)
        message = error.inner_text().replace("\u2060", "")
        assert f"likelihood of '{LINK_OPTION}' must be a number, not 'lots'" in message
        assert page.locator('a[href*="evil.example"]').count() == 0  # type: ignore[attr-defined]
        assert page.locator('img[src*="127.0.0.1:9"]').count() == 0  # type: ignore[attr-defined]
        assert not [u for u in fetched if "127.0.0.1:9/" in u or "evil.example" in u]
    except BaseException:
        page.screenshot(path=str(tmp_path / "failure.png"))  # type: ignore[attr-defined]
        raise


def test_an_inbox_entry_is_assessed_in_two_clicks_in_the_browser(
    server: str, page: object, tmp_path: Path, intake_server: object, no_proxy: None
) -> None:
    """A feed fetched into the demo's inbox; in the browser, "Assess against this" opens the
    prefilled form, the likelihood ratio is typed, Save logs it and the entry leaves."""
    tracker = Tracker.open(str(tmp_path / "demo.db"))
    tracker.add_feed(
        intake_server.url("/files/ceasefire.rss"),  # type: ignore[attr-defined]
        source="Reuters",
        feed_id="harbour-wire",
    )
    from forecast import news

    news.fetch_feeds(tracker)
    try:
        page.goto(f"{server}/inbox")  # type: ignore[attr-defined]
        page.get_by_text("Kremlin aide says Russia could accept").first.wait_for(timeout=WAIT)  # type: ignore[attr-defined]
        _settle(page)
        _shot(page, tmp_path, "inbox")
        page.get_by_role("link", name=re.compile("Assess against this")).first.click()  # type: ignore[attr-defined]
        page.get_by_text("Logging inbox entry").first.wait_for(timeout=WAIT)  # type: ignore[attr-defined]
        _settle(page)
        title = page.get_by_role("textbox", name="Title", exact=True)  # type: ignore[attr-defined]
        assert title.input_value().startswith("Kremlin aide says Russia could accept")
        page.get_by_role("textbox", name="Likelihood ratio").fill("10")  # type: ignore[attr-defined]
        page.get_by_role("button", name="Save").click()  # type: ignore[attr-defined]
        page.get_by_text("left the inbox").wait_for(timeout=WAIT)  # type: ignore[attr-defined]
    except BaseException:
        page.screenshot(path=str(tmp_path / "failure.png"))  # type: ignore[attr-defined]
        raise
    finally:
        tracker.store.close()
    assert tracker.inbox().total == 1  # the other entry waits
    [assessed] = tracker.inbox(["assessed"]).entries
    assert assessed.title.startswith("Kremlin aide")


def test_the_scenario_graph_draws_in_the_browser(
    server: str, page: object, tmp_path: Path
) -> None:
    """The demo's linked questions as a graph (Graphviz, drawn by the browser)."""
    try:
        page.goto(f"{server}/scenario?as_of=2025-10-21")  # type: ignore[attr-defined]
        page.wait_for_selector(  # type: ignore[attr-defined]
            '[data-testid="stGraphVizChart"] svg g.node', timeout=WAIT
        )
        _settle(page)
        nodes = page.locator('[data-testid="stGraphVizChart"] svg g.node')  # type: ignore[attr-defined]
        assert nodes.count() == 3
        drawn = page.inner_text('[data-testid="stGraphVizChart"]')  # type: ignore[attr-defined]
        assert "Will Putin and Trump meet in person\nby the deadline?" in drawn
        assert "yes: 60%" in drawn and "yes: budapest 75%, elsewhere 25%" in drawn  # edges
        _shot(page, tmp_path, "scenario")
    except BaseException:
        page.screenshot(path=str(tmp_path / "failure.png"))  # type: ignore[attr-defined]
        raise
