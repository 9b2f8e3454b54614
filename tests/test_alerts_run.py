"""Alerts end to end: settings stored as versions, `forecast alerts` from cron, e-mail
received by a real local SMTP server (127.0.0.1), each alert sent once.

The rules and the delivery have their own tests (``test_alerts.py``); these check what the
store keeps and what an analyst sees: the settings on SQLite and PostgreSQL, a threshold
crossed between two runs arriving by e-mail, a dry run that sends and stores nothing, and a
second run that sends nothing again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace

import pytest
from alert_servers import Mailbox, smtp_server
from test_cli import Run

from forecast.alerts.rules import AlertKind, Subscription, Threshold
from forecast.api import Tracker
from forecast.domain import Kind, Question
from forecast.errors import ForecastError, NotFound

SENDER, RECIPIENT = "alerts@example.org", "olga@example.org"
QUESTION = "russia-ceasefire-line"  # binary, open, 4.7% in the demo


def mail_url(port: int) -> str:
    return f"mailto://127.0.0.1:{port}?from={SENDER}&to={RECIPIENT}&mode=insecure"


@pytest.fixture
def smtp() -> Iterator[Mailbox]:
    with smtp_server() as mailbox:
        yield mailbox


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str]) -> Run:
    return Run(capsys)


# --------------------------------------------------------------------------- settings


def test_settings_are_versions_on_both_backends(new_database: Callable[[], str]) -> None:
    t = Tracker.open(new_database())
    t.add_question(Question("q1", "A question", Kind.BINARY, t.now(), prior=0.3))
    sub = Subscription(
        "olga-mail",
        "olga",
        "mailto://alerts:s3cret@127.0.0.1:2525?from=a@example.org&to=olga@example.org",
        kinds=frozenset({AlertKind.THRESHOLD, AlertKind.STALE}),
        thresholds=(Threshold("q1", 0.5),),
    )
    first = t.subscribe(sub, reason="new analyst")
    assert (first.version, first.active, first.logged_by) == (1, True, "tester")
    second = t.subscribe(replace(sub, thresholds=(Threshold("q1", 0.6),)))
    assert second.version == 2
    [current] = t.alert_settings()
    assert current.subscription.thresholds == (Threshold("q1", 0.6),)
    assert current.subscription.kinds == {AlertKind.THRESHOLD, AlertKind.STALE}
    assert current.subscription.channel == sub.channel  # stored whole: it is needed to send
    ended = t.unsubscribe("olga-mail", reason="left the team")
    assert (ended.version, ended.active) == (3, False)
    assert t.alert_settings() == []
    with pytest.raises(NotFound, match="no alert setting 'olga-mail' in force"):
        t.unsubscribe("olga-mail", reason="again")


def test_bad_settings_are_refused_by_name(db: object) -> None:
    t = Tracker.open()
    good = Subscription("s1", "olga", "json://127.0.0.1:9/hook")
    with pytest.raises(NotFound, match="alert setting 's1' names no question 'nope'"):
        t.subscribe(replace(good, thresholds=(Threshold("nope", 0.5),)))
    with pytest.raises(ForecastError, match="needs a reason"):
        t.unsubscribe("s1", reason=" ")
    with pytest.raises(ForecastError, match="alert channel"):
        t.subscribe(replace(good, channel="nonsense://x"))
    assert t.alert_settings() == []  # nothing was stored by the refused ones


# --------------------------------------------------------------------------- a run


def test_a_crossing_between_runs_arrives_by_mail_once(db: object, smtp: Mailbox, run: Run) -> None:
    run.ok(
        "alerts", "subscribe", "olga-mail", "--who", "olga", "--channel", mail_url(smtp.port),
        "--kind", "threshold", "--threshold", f"{QUESTION}=10%",
    )  # fmt: skip
    listed = run.json("alerts", "list")
    assert listed[0]["thresholds"] == [[QUESTION, 0.1]] and listed[0]["kinds"] == ["threshold"]
    first = run.ok("alerts")
    assert "sent 0 alert(s), 0 failed" in first  # the first run only sets the baseline
    run.ok(
        "evidence", "add", "--question", QUESTION, "--source", "Reuters",
        "--published", "2025-10-22", "--lr", "10", "--title", "Moscow signals a ceasefire",
    )  # fmt: skip
    dry = run.ok("alerts", "--dry-run")
    assert "would send to olga by mailto://127.0.0.1" in dry
    assert "Rose to or above 10%" in dry
    assert smtp.messages == []  # a dry run sends nothing, and stores nothing:
    sent = run.ok("alerts")
    assert "sent 1 alert(s), 0 failed" in sent
    [mail] = smtp.messages
    assert mail.recipients == [RECIPIENT] and mail.sender == SENDER
    assert "Russia" in mail.message["Subject"] and "10%" in mail.message["Subject"]
    body = mail.message.get_body().get_content()
    assert "4.7%" in body and "20.6%" in body  # before and after, as every face shows them
    assert "sent 0 alert(s)" in run.ok("alerts")  # nothing new: nothing again
    assert len(smtp.messages) == 1


def test_the_weekly_report_is_linked_by_mail(db: object, smtp: Mailbox, run: Run) -> None:
    run.ok(
        "alerts", "subscribe", "team-mail", "--who", "team", "--channel", mail_url(smtp.port),
        "--kind", "weekly",
    )  # fmt: skip
    link = "https://intranet.example/forecasts/weekly-latest.html"
    assert "sent 1 alert(s), 0 failed" in run.ok("alerts", "--weekly-link", link)
    [mail] = smtp.messages
    assert "weekly report" in mail.message["Subject"]
    assert f"Read it at {link}" in mail.message.get_body().get_content()
    assert "sent 0 alert(s)" in run.ok("alerts", "--weekly-link", link)  # once a week
