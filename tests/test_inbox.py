"""The inbox: feeds fetched from a real local HTTP server (127.0.0.1) into stored entries,
each item once; failing feeds flagged without stopping the others; entries paged and
searched; each entry dealt with once (assessed, echo, dismissed), atomically with the
report it becomes; and the walk the README promises, on SQLite and PostgreSQL: add a feed,
fetch it, see the entry with its suggested question, assess it, get the alert by e-mail.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import pytest
from alert_servers import Mailbox, smtp_server
from intake_server import IntakeServer
from test_cli import Run

from forecast import news
from forecast.api import Judgement, Tracker
from forecast.errors import ForecastError, NotFound
from forecast.inbox import FAILING_AFTER, Entry, Status
from forecast.intake.extract import draft_from_file
from forecast.matching import canonical_url

pytestmark = pytest.mark.usefixtures("no_proxy")

CEASEFIRE = "russia-ceasefire-line"  # binary, open, 4.7% in the demo
SENDER, RECIPIENT = "alerts@example.org", "olga@example.org"


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str]) -> Run:
    return Run(capsys)


@pytest.fixture
def smtp() -> Iterator[Mailbox]:
    with smtp_server() as mailbox:
        yield mailbox


def _counts(t: Tracker) -> dict[str, int]:
    return t.counts()


# --------------------------------------------------------------------------- feeds


def test_feeds_are_refused_by_name(db: object, intake_server: IntakeServer) -> None:
    t = Tracker.open()
    before = _counts(t)
    with pytest.raises(ForecastError, match="only http and https addresses are fetched"):
        t.add_feed("ftp://127.0.0.1/feed.xml")
    with pytest.raises(NotFound, match=r"no source 'Nobody': add it first \(forecast source add\)"):
        t.add_feed(intake_server.url("/files/rss.xml"), source="Nobody")
    assert _counts(t) == before
    feed = t.add_feed(intake_server.url("/files/rss.xml"), source="Reuters", tags=["wire"])
    with pytest.raises(ForecastError, match=f"feed '{feed.id}' already fetches "):
        t.add_feed(intake_server.url("/files/rss.xml"))
    with pytest.raises(ForecastError, match="removing a feed needs a reason"):
        t.remove_feed(feed.id, reason="")
    ended = t.remove_feed(feed.id, reason="moved to another address")
    assert (ended.version, ended.active) == (2, False)
    assert t.feeds() == []
    with pytest.raises(NotFound, match=f"no feed '{feed.id}' is fetched"):
        t.record_fetch(feed.id)


def test_a_feed_fetched_twice_stores_each_item_once(
    db: object, intake_server: IntakeServer
) -> None:
    t = Tracker.open()
    feed = t.add_feed(intake_server.url("/cached/rss.xml"), source="Reuters")
    [first] = news.fetch_feeds(t)
    # rss.xml lists four items, one of them twice under one guid: three entries.
    assert [e.title for e in first.stored] == [
        "Envoys set a date for grain corridor talks",
        "Port workers end a two-day stoppage",
        "Correction: summit venue was misreported",
    ]
    assert first.fetch.new == 3 and not first.fetch.failed
    assert first.stored[0].key == f"{feed.id}|guid:hw-2025-10-0417"  # a guid is the feed's own
    # no guid: the address as one item wherever it is seen (tracking and "www." dropped)
    assert first.stored[1].key == "url:harbourwire.example/world/port-stoppage-ends"
    [second] = news.fetch_feeds(t)
    assert second.fetch.not_modified and second.stored == ()
    sent = intake_server.seen("/cached/rss.xml")[-1]
    assert sent.get("If-None-Match") == '"intake-v1"'  # the first fetch's validators went back
    assert t.inbox().total == 3
    # The same feed under another address (no 304 there): its items are not taken in again.
    t.add_feed(intake_server.url("/files/rss.xml"))
    assert all(r.stored == () for r in news.fetch_feeds(t))
    assert t.inbox().total == 3


def test_a_failing_feed_is_reported_and_flagged_and_the_others_go_on(
    db: object, intake_server: IntakeServer, run: Run
) -> None:
    t = Tracker.open()
    good = t.add_feed(intake_server.url("/files/rss.xml"), feed_id="harbour")
    t.add_feed(intake_server.url("/files/not-a-feed.html"), feed_id="page")
    t.add_feed(intake_server.url("/status/404"), feed_id="gone")
    code, out, err = run("intake", "fetch")
    assert code == 1  # cron tells its owner
    assert "harbour: 3 new" in out and "3 new inbox entries from 3 feed(s), 2 failed" in out
    assert f"page: failed: {intake_server.url('/files/not-a-feed.html')}: not an RSS or Atom " \
        "feed (it is an HTML page)" in err  # fmt: skip
    assert "gone: failed: " in err and "404" in err
    for _ in range(FAILING_AFTER - 1):
        run("intake", "fetch")
    listed = {f["id"]: f for f in run.json("intake", "feed", "list")}
    assert listed["gone"]["failing"] and listed["gone"]["failures_in_a_row"] == FAILING_AFTER
    assert listed["page"]["failing"]
    assert not listed[good.id]["failing"] and listed[good.id]["last_error"] is None
    assert "FAILING (3 fetches in a row)" in run.ok("intake", "feed", "list")
    assert t.inbox().total == 3  # nothing came in from the failing feeds


# --------------------------------------------------------------------------- the inbox


def test_the_inbox_is_paged_searched_and_filtered(db: object, intake_server: IntakeServer) -> None:
    t = Tracker.open()
    t.add_feed(intake_server.url("/files/rss.xml"), source="Reuters")
    t.add_feed(intake_server.url("/files/atom.xml"))
    news.fetch_feeds(t)
    everything = t.inbox(limit=100)
    assert everything.total == len(everything.entries) >= 5
    pages = [t.inbox(offset=o, limit=2).entries for o in range(0, everything.total, 2)]
    assert [e.id for page in pages for e in page] == [e.id for e in everything.entries]
    found = t.inbox(search="GRAIN corridor")  # every word, case aside
    assert [e.title for e in found.entries] == ["Envoys set a date for grain corridor talks"]
    assert t.inbox(search="grain stoppage").total == 0
    assert t.inbox(search="%").total == 0  # a LIKE wildcard is a character like any other
    with pytest.raises(ForecastError, match="no inbox status 'waiting': use assessed, dismissed"):
        t.inbox(["waiting"])
    with pytest.raises(ForecastError, match="a page of the inbox holds 1 to 500 entries"):
        t.inbox(limit=0)
    entry = found.entries[0]
    t.dismiss(entry.id, reason="trade, not security")
    assert t.inbox(search="grain").total == 0
    dismissed = t.inbox(["dismissed"])
    assert [e.id for e in dismissed.entries] == [entry.id]
    assert dismissed.status(entry.id) is Status.DISMISSED
    assert t.inbox(["all"]).total == everything.total


def test_each_entry_is_dealt_with_once(db: object, intake_server: IntakeServer) -> None:
    t = Tracker.open()
    t.add_feed(intake_server.url("/files/rss.xml"), source="Reuters")
    news.fetch_feeds(t)
    first, *others = t.inbox().entries
    with pytest.raises(ForecastError, match="dismissing an inbox entry needs a reason"):
        t.dismiss(first.id, reason=" ")
    with pytest.raises(NotFound, match="no report 'r-nope'"):
        t.mark_echo(first.id, "r-nope")
    with pytest.raises(NotFound, match="no inbox entry 'i-nope'"):
        t.dismiss("i-nope", reason="x")
    report = t.reports()[0]
    echo = t.mark_echo(first.id, report.id, reason="the same wire story")
    assert (echo.status, echo.report_id, echo.logged_by) == (Status.ECHO, report.id, "tester")
    done = f"inbox entry '{first.id}' was already dealt with: echo by tester at "
    with pytest.raises(ForecastError, match=done):
        t.dismiss(first.id, reason="again")
    entry, action = t.inbox_entry(first.id)
    assert entry == first and action == echo
    assert [e.id for e in t.inbox().entries] == [e.id for e in others]  # they still wait


def test_assessing_an_entry_logs_the_report_and_takes_it_out_at_once(
    db: object, intake_server: IntakeServer
) -> None:
    t = Tracker.open()
    t.add_feed(intake_server.url("/files/ceasefire.rss"), source="Reuters")
    news.fetch_feeds(t)
    entry = next(e for e in t.inbox().entries if "Kremlin" in e.title)
    fields = news.report_fields(t, entry.id)
    assert fields == {
        "source": "Reuters",
        "published": datetime(2025, 10, 22, 9, 15, tzinfo=UTC),
        "title": entry.title,
        "summary": entry.text,
        "url": "https://harbourwire.example/security/ceasefire-front-line",
    }
    judgement = Judgement(CEASEFIRE, lr=10.0)
    stood = t.state(CEASEFIRE).probability
    assert isinstance(stood, float)
    before = _counts(t)
    # A dry run and a refused log leave the entry waiting and store nothing.
    t.log_evidence([judgement], **fields, inbox_entry=entry.id, dry_run=True)
    with pytest.raises(ForecastError, match="likelihood ratio"):
        t.log_evidence([Judgement(CEASEFIRE, lr=-1.0)], **fields, inbox_entry=entry.id)
    assert _counts(t) == before and t.inbox_entry(entry.id)[1] is None
    logged = t.log_evidence([judgement], **fields, inbox_entry=entry.id)
    _, action = t.inbox_entry(entry.id)
    assert action is not None
    assert (action.status, action.report_id) == (Status.ASSESSED, logged.report.id)
    assert action.logged_at == logged.report.logged_at  # one transaction, one knowledge time
    # Reuters (r = 0.9), LR 10: the odds times 1 / (1 - 0.9 (1 - 1/10)) = 1 / 0.19 (DESIGN v2)
    odds = stood / (1 - stood) / 0.19
    assert t.state(CEASEFIRE).probability == pytest.approx(odds / (1 + odds), abs=1e-12)
    # Once dealt with, it is refused, and the refused report is not stored either.
    after = _counts(t)
    with pytest.raises(ForecastError, match="was already dealt with: assessed"):
        t.log_evidence([judgement], **fields, inbox_entry=entry.id, force=True)
    assert _counts(t) == after
    with pytest.raises(ForecastError, match="was already dealt with \\(assessed\\)"):
        news.report_fields(t, entry.id)


def test_a_page_taken_in_keeps_its_bytes_and_comes_in_once(db: object) -> None:
    from pathlib import Path

    t = Tracker.open()
    draft = draft_from_file(Path(__file__).parent / "data" / "intake" / "article-bg.html")
    entry, new = news.take_in(t, draft)
    assert new and entry.original == draft.original and entry.encoding == draft.encoding
    assert entry.feed_id == "" and entry.key == f"url:{canonical_url(draft.url)}"
    again, new_again = news.take_in(t, draft)
    assert not new_again and again.id == entry.id
    stored, _ = t.inbox_entry(entry.id)
    assert stored.original == draft.original  # byte for byte, through the database


def test_entries_are_checked_like_every_stored_text(db: object) -> None:
    t = Tracker.open()
    bad = Entry(id="", key="url:https://x.example/a", title="a\x00b")
    with pytest.raises(ForecastError, match="inbox entry title"):
        t.take_in(bad)
    assert t.inbox().total == 0


# --------------------------------------------------------------------------- the walk


def test_the_readme_walk_on_both_backends(
    new_database: Callable[[], str], intake_server: IntakeServer, smtp: Mailbox, run: Run
) -> None:
    """Add a feed, fetch it, see the entry with its suggested question, assess it (two
    commands), and receive the threshold alert, and the inbox-match alert, by e-mail."""
    url = new_database()
    db = ("--db", url)
    run.ok(*db, "demo")
    channel = f"mailto://127.0.0.1:{smtp.port}?from={SENDER}&to={RECIPIENT}&mode=insecure"
    run.ok(
        *db, "alerts", "subscribe", "olga-mail", "--who", "olga", "--channel", channel,
        "--kind", "threshold", "--kind", "inbox", "--threshold", f"{CEASEFIRE}=10%",
    )  # fmt: skip
    assert "sent 0 alert(s)" in run.ok(*db, "alerts")  # the baseline
    run.ok(*db, "intake", "feed", "add", intake_server.url("/files/ceasefire.rss"),
           "--source", "Reuters", "--id", "harbour")  # fmt: skip
    assert "2 new inbox entries from 1 feed(s), 0 failed" in run.ok(*db, "intake", "fetch")
    listed = run.json(*db, "inbox")
    kremlin = next(e for e in listed["entries"] if "Kremlin" in e["title"])
    assert kremlin["questions"][0]["id"] == CEASEFIRE and kremlin["status"] == "new"
    text = run.ok(*db, "inbox")
    assert f"{kremlin['questions'][0]['score']:.2f}  {CEASEFIRE}" in text
    # The inbox match is mailed at the next run; the threshold is not crossed yet.
    assert "sent 1 alert(s), 0 failed" in run.ok(*db, "alerts")
    assert "New inbox item" in smtp.messages[-1].message["Subject"]
    run.ok(*db, "evidence", "add", "--inbox", kremlin["id"], "--question", CEASEFIRE, "--lr", "10")
    assert run.json(*db, "inbox")["total"] == 1  # the other entry waits
    assert run.json(*db, "inbox", "--status", "assessed")["entries"][0]["id"] == kremlin["id"]
    assert "sent 1 alert(s), 0 failed" in run.ok(*db, "alerts")
    mail = smtp.messages[-1]
    assert "10%" in mail.message["Subject"]
    body = mail.message.get_body().get_content()
    assert "4.7%" in body and "20.6%" in body
    assert len(smtp.messages) == 2


def test_a_feed_the_parser_chokes_on_is_one_failed_feed(
    db: object, intake_server: IntakeServer, run: Run
) -> None:
    """A character reference to a lone surrogate makes the feed library raise: that feed
    fails with one line, and the others are fetched."""
    body = (
        b'<?xml version="1.0"?><rss version="2.0"><channel><title>x</title><item>'
        b"<title>bad &#xD800; title</title><link>https://a.example/1</link></item>"
        b"</channel></rss>"
    )
    intake_server.pages["/surrogate.xml"] = ("application/rss+xml", body)
    t = Tracker.open()
    t.add_feed(intake_server.url("/surrogate.xml"), feed_id="broken")
    t.add_feed(intake_server.url("/files/ceasefire.rss"), feed_id="good")
    code, out, err = run("intake", "fetch")
    assert code == 1
    assert "good: 2 new" in out
    assert err.strip() == (
        f"broken: failed: {intake_server.url('/surrogate.xml')}: the feed could not be read "
        "(the feed library failed: UnicodeEncodeError)"
    )
