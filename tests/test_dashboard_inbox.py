"""The Inbox page: feeds added and fetched from a real local HTTP server (127.0.0.1), entries
shown with the questions they may bear on, assessed in two clicks (the link, then Save on the
prefilled Log evidence form), dismissed with a reason; a viewer sees the inbox and no action.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from dashboard_support import counts, errors, run_app, submit, texts
from intake_server import IntakeServer

from forecast import news
from forecast.api import Tracker
from forecast.inbox import Status

pytestmark = pytest.mark.usefixtures("no_proxy")

CEASEFIRE = "russia-ceasefire-line"
KREMLIN = "Kremlin aide says Russia could accept a ceasefire along the current front line"


def _fetched(server: IntakeServer) -> Tracker:
    t = Tracker.open()
    t.add_feed(server.url("/files/ceasefire.rss"), source="Reuters", feed_id="harbour")
    news.fetch_feeds(t)
    return t


def _links(at: object) -> list[dict[str, str]]:
    found = []
    for link in at.get("page_link"):  # type: ignore[attr-defined]
        query = dict(p.split("=", 1) for p in link.proto.query_string.split("&") if p)
        found.append({"page": link.proto.page, **query})
    return found


def test_an_entry_is_assessed_in_two_clicks(db: Path, intake_server: IntakeServer) -> None:
    t = _fetched(intake_server)
    entry = next(e for e in t.inbox().entries if e.title == KREMLIN)
    at = run_app("inbox")
    shown = texts(at, unescaped=True)
    assert KREMLIN in shown and "Port workers end a two-day stoppage" in shown
    assert "Will Russia be publicly accepting a ceasefire" in shown  # its suggested question
    assess = [x for x in _links(at) if x.get("q") == CEASEFIRE]
    assert assess == [{"page": "log-evidence", "inbox": entry.id, "q": CEASEFIRE}]
    # Click one: the link opens Log evidence with the entry and the question filled in.
    at = run_app("log_evidence", inbox=entry.id, q=CEASEFIRE)
    assert f"Logging inbox entry {entry.id}" in texts(at, unescaped=True)
    assert at.text_input(key="log_title_0").value == KREMLIN
    assert at.text_input(key="log_url_0").value == entry.url
    assert at.selectbox(key="log_source_0").value == "Reuters"
    assert at.date_input(key="log_date_0").value.isoformat() == "2025-10-22"
    assert at.multiselect(key="log_questions").value == [CEASEFIRE]
    # Click two (after typing the likelihood ratio): Save.
    at.text_input(key=f"log_lr_{CEASEFIRE}_0").input("10")
    submit(at, "log_save")
    assert not errors(at)
    assert f"Inbox entry {entry.id} is assessed and left the inbox" in texts(at, unescaped=True)
    _, action = t.inbox_entry(entry.id)
    assert action is not None and action.status is Status.ASSESSED
    [report] = [r for r in t.reports() if r.id == action.report_id]
    assert (report.title, report.source, report.url) == (KREMLIN, "Reuters", entry.url)
    assert report.published == datetime(2025, 10, 22, 9, 15, tzinfo=UTC)


def test_an_entry_dealt_with_cannot_be_logged_again_from_a_stale_link(
    db: Path, intake_server: IntakeServer
) -> None:
    t = _fetched(intake_server)
    entry = t.inbox().entries[0]
    t.dismiss(entry.id, reason="off topic")
    at = run_app("log_evidence", inbox=entry.id)
    assert errors(at) == [f"inbox entry '{entry.id}' was already dealt with (dismissed)"]
    assert at.text_input(key="log_title_0").value == ""  # nothing was filled in


def test_an_entry_is_dismissed_with_a_reason(db: Path, intake_server: IntakeServer) -> None:
    t = _fetched(intake_server)
    entry = next(e for e in t.inbox().entries if e.title != KREMLIN)
    at = run_app("inbox")
    before = counts(t)
    submit(at, f"dismiss_{entry.id}")
    assert errors(at) == ["dismissing an inbox entry needs a reason"]
    assert counts(t) == before
    at.text_input(key=f"dismiss_why_{entry.id}").input("ports are not on our list")
    submit(at, f"dismiss_{entry.id}")
    assert not errors(at)
    assert t.inbox_entry(entry.id)[1].reason == "ports are not on our list"  # type: ignore[union-attr]
    assert entry.title not in texts(at, unescaped=True)  # gone from the new entries
    at.selectbox(key="inbox_status").set_value("dismissed").run()
    assert entry.title in texts(at, unescaped=True)


def test_a_feed_is_added_and_fetched_from_the_page(db: Path, intake_server: IntakeServer) -> None:
    at = run_app("inbox")
    assert "The inbox is empty." in texts(at)
    at.text_input(key="feed_url_0").input(intake_server.url("/files/ceasefire.rss"))
    at.selectbox(key="feed_source_0").set_value("Reuters")
    submit(at, "feed_add")
    assert not errors(at)
    [feed] = Tracker.open().feeds()
    assert feed.feed.source == "Reuters"
    submit(at, "inbox_fetch")
    assert "Fetched 1 feed(s): 2 new entries, 0 failed." in texts(at, unescaped=True)
    assert KREMLIN in texts(at, unescaped=True)
    at.text_input(key="feed_url_1").input("ftp://127.0.0.1/feed")
    submit(at, "feed_add")
    assert errors(at) == [
        "ftp://127.0.0.1/feed: only http and https addresses are fetched, not ftp:"
    ]


def test_a_viewer_sees_the_inbox_and_no_action(
    db: Path, intake_server: IntakeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fetched(intake_server)
    monkeypatch.setenv("FORECAST_DASHBOARD_MODE", "viewer")
    at = run_app("inbox")
    assert KREMLIN in texts(at, unescaped=True)
    assert not [x for x in _links(at) if x["page"] == "log-evidence"]
    assert not [b for b in at.button if str(b.key).startswith(("dismiss_", "echo_", "feed_"))]
    assert not [b for b in at.button if b.key == "inbox_fetch"]
