"""Alerts: which are due (each kind, with its exact message), sent once, and delivered for
real to a local SMTP server and a local JSON webhook (tests/alert_servers.py); a channel
that is down is reported, masked, without stopping the others."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest
from alert_servers import Hook, Mailbox, closed_port, json_receiver, smtp_server
from support import Clock

from forecast.alerts.channels import check_channel, mask
from forecast.alerts.rules import (
    Alert,
    AlertKind,
    Direction,
    InboxItem,
    QuestionFacts,
    Reading,
    Subscription,
    Threshold,
    WeeklyReport,
    crossing,
    due,
    one_line,
    readings,
)
from forecast.alerts.send import Outcome, send, sent_keys
from forecast.api import Tracker
from forecast.domain import Kind, Question
from forecast.errors import ForecastError

NOW = datetime(2025, 11, 3, 8, 0, tzinfo=UTC)
FOOTER = "\n\nAs of 2025-11-03 08:00 UTC, for Ana."
QID = "q-ceasefire"
TITLE = "Will the ceasefire hold?"
SENDER = "alerts@example.org"
RECIPIENT = "ana@example.org"
UNUSED_CHANNEL = "json://127.0.0.1:9/unused"  # the rules never reach a channel
PASSWORD = "s3cr3t-pass"
TOKEN = "t0ken-secret"
BAD_TOKEN = "A1BRTD4JD-bad!"  # a Slack token Apprise refuses, quoting it
REPORT_BYTES = b"%PDF-1.4\n\x00\x01\xff binary weekly report\n%%EOF\n"


def facts(**changes: object) -> QuestionFacts:
    """An open binary question at 61.5%, closing in 27 days, evidence logged 2 days ago."""
    base = QuestionFacts(
        id=QID,
        title=TITLE,
        headline=Reading(0.615),
        open=True,
        close=date(2025, 11, 30),
        days_left=27,
        quiet_days=2,
        last_logged=datetime(2025, 11, 1, 9, 30, tzinfo=UTC),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def subscription(*kinds: AlertKind, **changes: object) -> Subscription:
    base = Subscription("ana-mail", "Ana", UNUSED_CHANNEL, thresholds=(Threshold(QID, 0.5),))
    return replace(base, kinds=frozenset(kinds), **changes)  # type: ignore[arg-type]


def only(alerts: list[Alert]) -> Alert:
    assert len(alerts) == 1, [a.key for a in alerts]
    return alerts[0]


# --------------------------------------------------------------------------- thresholds


def test_a_rise_through_a_threshold_is_an_alert_with_both_values() -> None:
    before = {QID: Reading(0.42)}
    alert = only(due([subscription(AlertKind.THRESHOLD)], [facts()], NOW, before=before))
    assert alert.kind is AlertKind.THRESHOLD
    assert alert.key == "ana-mail|threshold|q-ceasefire|0.5|up|2025-11-03"
    assert alert.subject == f"[forecast] Rose to or above 50%: {TITLE} ({QID})"
    assert alert.body == (
        f"{TITLE} ({QID})\n"
        "The forecast rose from 42.0% to 61.5%, to or above your threshold of 50%." + FOOTER
    )
    assert alert.question_id == QID


def test_a_fall_through_a_threshold_names_what_the_headline_is_of() -> None:
    sub = subscription(AlertKind.THRESHOLD, thresholds=(Threshold(QID, 1 / 3),))
    now = facts(headline=Reading(0.2, "by 2025-11-30"))
    before = {QID: Reading(0.4, "by 2025-11-30")}
    alert = only(due([sub], [now], NOW, before=before))
    assert alert.key == "ana-mail|threshold|q-ceasefire|0.333333|down|2025-11-03"
    assert alert.subject == f"[forecast] Fell below 33.3333%: {TITLE} ({QID})"
    assert alert.body == (
        f"{TITLE} ({QID})\n"
        "The forecast (by 2025-11-30) fell from 40.0% to 20.0%, below your threshold of "
        "33.3333%." + FOOTER
    )


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [
        (0.4, 0.5, Direction.UP),  # reaching the level exactly is at or above it
        (0.5, 0.4, Direction.DOWN),  # leaving it downwards
        (0.5, 0.5, None),
        (0.5, 0.6, None),  # from at the level to above: on the same side
        (0.6, 0.5, None),
        (0.3, 0.4, None),
        (0.49, 0.4996, Direction.UP),  # shown as 50.0%: compared as shown
        (0.49, 0.4994, None),  # shown as 49.9%
    ],
)
def test_at_the_threshold_counts_as_at_or_above(
    before: float, after: float, expected: Direction | None
) -> None:
    assert crossing(before, after, 0.5) is expected
    sub = subscription(AlertKind.THRESHOLD)
    alerts = due([sub], [facts(headline=Reading(after))], NOW, before={QID: Reading(before)})
    assert [a.key.split("|")[4] for a in alerts] == ([] if expected is None else [expected])


def test_no_crossing_between_headlines_of_different_things_or_without_a_past() -> None:
    sub = subscription(AlertKind.THRESHOLD)
    leader_changed = facts(headline=Reading(0.6, "Kyiv"))
    assert due([sub], [leader_changed], NOW, before={QID: Reading(0.4, "Geneva")}) == []
    assert due([sub], [facts()], NOW, before={}) == []  # a new question has no crossing
    resolved = facts(open=False)
    assert due([sub], [resolved], NOW, before={QID: Reading(0.42)}) == []


# --------------------------------------------------------------------------- other kinds


def test_a_near_close_date_is_an_alert_once_per_close_date() -> None:
    sub = subscription(AlertKind.CLOSING, close_days=7)
    alert = only(due([sub], [facts(days_left=3, close=date(2025, 11, 6))], NOW))
    assert alert.key == "ana-mail|closing|q-ceasefire|2025-11-06"
    assert alert.subject == f"[forecast] Closes in 3 days: {TITLE} ({QID})"
    assert alert.body == (
        f"{TITLE} ({QID})\n"
        "It closes on 2025-11-06 (in 3 days); the forecast stands at 61.5%." + FOOTER
    )
    today = only(due([sub], [facts(days_left=0, close=date(2025, 11, 3))], NOW))
    assert today.subject == f"[forecast] Closes today: {TITLE} ({QID})"
    assert due([sub], [facts(days_left=8)], NOW) == []  # not yet near
    assert due([sub], [facts(days_left=-1, awaiting=True)], NOW) == []  # past it


def test_a_question_awaiting_resolution_is_an_alert() -> None:
    sub = subscription(AlertKind.AWAITING)
    past = facts(close=date(2025, 10, 31), days_left=-3, awaiting=True)
    alert = only(due([sub], [past], NOW))
    assert alert.key == "ana-mail|awaiting|q-ceasefire|2025-10-31"
    assert alert.subject == f"[forecast] Awaiting resolution: {TITLE} ({QID})"
    assert alert.body == (
        f"{TITLE} ({QID})\n"
        "It closed on 2025-10-31 and awaits its resolution: resolve it (or annul it) so "
        "that it is scored." + FOOTER
    )
    assert due([sub], [replace(past, open=False)], NOW) == []  # resolved since


def test_a_stale_question_is_an_alert_once_per_quiet_spell() -> None:
    sub = subscription(AlertKind.STALE)
    quiet = facts(stale=True, quiet_days=15, last_logged=datetime(2025, 10, 19, tzinfo=UTC))
    alert = only(due([sub], [quiet], NOW))
    assert alert.key == "ana-mail|stale|q-ceasefire|2025-10-19"
    assert alert.subject == f"[forecast] Stale: {TITLE} ({QID})"
    assert alert.body == (
        f"{TITLE} ({QID})\n"
        "No evidence logged for 15 days (the last on 2025-10-19); the forecast stands at "
        "61.5%." + FOOTER
    )
    never = only(due([sub], [replace(quiet, last_logged=None)], NOW))
    assert never.key == "ana-mail|stale|q-ceasefire|never"
    assert "(none since it was created)" in never.body
    assert due([sub], [facts()], NOW) == []


def test_a_matching_inbox_item_is_an_alert_above_the_minimum_score() -> None:
    sub = subscription(AlertKind.INBOX, min_score=0.5)
    inbox = [
        ("item-7", "Talks resume in Geneva", QID, 0.82),
        InboxItem("item-8", "Weather report", QID, 0.1),  # too weak a match
        ("item-9", "Another question's news", "q-other", 0.9),  # a question not given
    ]
    alert = only(due([sub], [facts()], NOW, inbox=inbox))
    assert alert.key == "ana-mail|inbox|q-ceasefire|item-7"
    assert alert.subject == f"[forecast] New inbox item: {TITLE} ({QID})"
    assert alert.body == (
        f"{TITLE} ({QID})\n"
        "A new inbox item matches it (score 0.82):\n"
        "  Talks resume in Geneva\n"
        "  item item-7" + FOOTER
    )
    unwatched = replace(sub, questions=frozenset({"q-other"}))
    assert due([unwatched], [facts()], NOW, inbox=inbox) == []


def test_the_weekly_report_is_an_alert_with_its_link_or_file(tmp_path: Path) -> None:
    sub = subscription(AlertKind.WEEKLY)
    file = tmp_path / "weekly-2025-11-02.pdf"
    report = WeeklyReport(date(2025, 11, 2), link="https://reports.example.org/w/45", file=file)
    alert = only(due([sub], [], NOW, weekly=report))
    assert alert.key == "ana-mail|weekly|2025-11-02"
    assert alert.subject == "[forecast] The weekly report to 2025-11-02 is ready"
    assert alert.body == (
        "The weekly report to 2025-11-02 is ready.\n"
        "Read it at https://reports.example.org/w/45\n"
        "It is attached: weekly-2025-11-02.pdf" + FOOTER
    )
    assert alert.attachment == file
    with pytest.raises(ForecastError, match="needs a link or a file"):
        WeeklyReport(date(2025, 11, 2))


def test_a_subscription_gets_only_the_kinds_it_asked_for() -> None:
    quiet = facts(stale=True, quiet_days=20, days_left=2)
    everything = Subscription("ana-mail", "Ana", UNUSED_CHANNEL)
    assert [a.kind for a in due([everything], [quiet], NOW)] == [
        AlertKind.CLOSING,
        AlertKind.STALE,
    ]
    stale_only = Subscription("ana-mail", "Ana", UNUSED_CHANNEL, kinds=frozenset({"stale"}))
    assert [a.kind for a in due([stale_only], [quiet], NOW)] == [AlertKind.STALE]


# --------------------------------------------------------------------------- dedupe


def test_an_alert_already_sent_is_not_due_again_and_a_new_crossing_is() -> None:
    sub = subscription(AlertKind.THRESHOLD, AlertKind.STALE)
    now = facts(stale=True, quiet_days=15)
    first = due([sub], [now], NOW, before={QID: Reading(0.42)})
    assert len(first) == 2
    sent = {a.key for a in first}
    later = NOW + timedelta(hours=6)
    assert due([sub], [now], later, before={QID: Reading(0.42)}, sent=sent) == []
    # It fell back and rose again: a new crossing on another day is due; the stale spell
    # is the same one, so it is not.
    tomorrow = NOW + timedelta(days=1)
    again = only(due([sub], [now], tomorrow, before={QID: Reading(0.45)}, sent=sent))
    assert again.key == "ana-mail|threshold|q-ceasefire|0.5|up|2025-11-04"
    # The same key twice in one run (an inbox item listed twice) is one alert.
    inbox = [("item-7", "Talks", QID, 0.9)] * 2
    assert len(due([subscription(AlertKind.INBOX)], [facts()], NOW, inbox=inbox)) == 1


def test_each_subscription_has_its_own_keys() -> None:
    mail = subscription(AlertKind.AWAITING)
    slack = replace(mail, id="ana-slack")
    past = facts(days_left=-1, awaiting=True)
    keys = [a.key for a in due([mail, slack], [past], NOW)]
    assert keys == [
        "ana-mail|awaiting|q-ceasefire|2025-11-30",
        "ana-slack|awaiting|q-ceasefire|2025-11-30",
    ]


# --------------------------------------------------------------------------- settings


def test_settings_are_checked_and_never_show_the_channel() -> None:
    secret = f"mailto://alerts:{PASSWORD}@127.0.0.1:25?from={SENDER}&to={RECIPIENT}"
    sub = Subscription("ana-mail", "Ana", secret, kinds=frozenset({"stale", "weekly"}))
    assert sub.kinds == {AlertKind.STALE, AlertKind.WEEKLY}
    assert PASSWORD not in repr(sub)
    with pytest.raises(ForecastError, match="alert kind 'gossip' is unknown: use threshold"):
        Subscription("ana-mail", "Ana", secret, kinds=frozenset({"gossip"}))
    with pytest.raises(ForecastError, match=r"threshold 1\.5 on q-x must lie between 0 and 1"):
        Threshold("q-x", 1.5)
    with pytest.raises(ForecastError, match="subscription id 'ana mail' is invalid"):
        Subscription("ana mail", "Ana", secret)
    with pytest.raises(ForecastError, match="close_days of ana-mail must not be negative"):
        Subscription("ana-mail", "Ana", secret, close_days=-1)


# --------------------------------------------------------------------------- real states


def test_states_from_the_tracker_feed_the_rules(tmp_path: Path) -> None:
    opened = datetime(2025, 10, 1, tzinfo=UTC)
    clock = Clock(opened + timedelta(hours=1))
    tracker = Tracker.open(str(tmp_path / "alerts.db"), clock=clock, user="ana")
    closes = datetime(2025, 11, 5, tzinfo=UTC)
    tracker.add_question(Question(QID, TITLE, Kind.BINARY, opened, prior=0.3, closes=closes))
    tracker.add_source("Wire", 0.9)
    last_run = datetime(2025, 11, 1, 12, tzinfo=UTC)
    clock.now = last_run + timedelta(hours=1)
    tracker.add_evidence(QID, lr=20.0, source="Wire", published=clock.now, title="Deal signed")
    before = readings(tracker.states(as_of=last_run))
    states = tracker.states(as_of=NOW)
    sub = Subscription("ana-mail", "Ana", UNUSED_CHANNEL, thresholds=(Threshold(QID, 0.5),))
    alerts = due([sub], states, NOW, before=before)
    assert [a.kind for a in alerts] == [AlertKind.THRESHOLD, AlertKind.CLOSING]
    now = QuestionFacts.of(states[0])
    assert before[QID].probability < 0.5 <= now.headline.probability
    assert (now.close, now.days_left, now.awaiting, now.stale) == (closes.date(), 2, False, False)
    assert alerts[1].subject == f"[forecast] Closes in 2 days: {TITLE} ({QID})"


# --------------------------------------------------------------------------- delivery


@pytest.fixture
def smtp() -> Iterator[Mailbox]:
    with smtp_server() as mailbox:
        yield mailbox


@pytest.fixture
def hook(no_proxy: None) -> Iterator[Hook]:
    with json_receiver() as receiver:
        yield receiver


def mail_channel(port: int, login: str = "") -> str:
    return f"mailto://{login}127.0.0.1:{port}?from={SENDER}&to={RECIPIENT}&mode=insecure"


def hook_channel(port: int) -> str:
    return f"json://127.0.0.1:{port}/alerts?+X-Token={TOKEN}"


def plain_text(message: EmailMessage) -> str:
    """The text part of a received e-mail as the reader sees it (lines end in CRLF on the
    wire)."""
    part = message.get_body(("plain",))
    assert part is not None
    return str(part.get_content()).replace("\r\n", "\n").strip()


def weekly_alerts(subs: list[Subscription], file: Path | None = None) -> list[Alert]:
    report = WeeklyReport(date(2025, 11, 2), link="https://reports.example.org/w/45", file=file)
    return due(subs, [], NOW, weekly=report)


def test_an_email_with_the_weekly_report_attached_is_received(
    smtp: Mailbox, tmp_path: Path
) -> None:
    file = tmp_path / "weekly-2025-11-02.pdf"
    file.write_bytes(REPORT_BYTES)
    sub = Subscription("ana-mail", "Ana", mail_channel(smtp.port))
    alert = only(weekly_alerts([sub], file))
    [delivery] = send([alert])
    assert delivery.outcome is Outcome.SENT
    assert sent_keys([delivery]) == {"ana-mail|weekly|2025-11-02"}
    [received] = smtp.messages
    assert (received.sender, received.recipients) == (SENDER, [RECIPIENT])
    message = received.message
    assert message["Subject"] == alert.subject
    assert message["To"] == RECIPIENT
    assert plain_text(message) == alert.body
    [attached] = list(message.iter_attachments())
    assert attached.get_filename() == "weekly-2025-11-02.pdf"
    assert attached.get_content() == REPORT_BYTES


def test_a_json_webhook_receives_the_alert(hook: Hook) -> None:
    sub = Subscription("team", "The team", hook_channel(hook.port))
    alert = only(weekly_alerts([sub]))
    [delivery] = send([alert])
    assert delivery.sent
    assert delivery.line() == (
        f"sent to The team by json://127.0.0.1:{hook.port}/****?****: {alert.subject}"
    )
    [post] = hook.posts
    assert post.path == "/alerts"
    assert post.content_type.startswith("application/json")
    assert post.headers["X-Token"] == TOKEN  # a secret the URL carries reaches the service
    assert (post.body["title"], post.body["message"]) == (alert.subject, alert.body)


def test_a_channel_that_is_down_does_not_stop_the_others_and_is_named_masked(
    smtp: Mailbox, hook: Hook
) -> None:
    down = closed_port()
    subs = [
        Subscription("ana-down", "Ana", mail_channel(down, login=f"alerts:{PASSWORD}@")),
        Subscription("team", "The team", hook_channel(hook.port)),
        Subscription("team-down", "The team", hook_channel(down)),
        Subscription("ana-mail", "Ana", mail_channel(smtp.port)),
    ]
    alerts = weekly_alerts(subs)
    deliveries = send(alerts)
    assert [d.outcome for d in deliveries] == [
        Outcome.FAILED,
        Outcome.SENT,
        Outcome.FAILED,
        Outcome.SENT,
    ]
    assert sent_keys(deliveries) == {"team|weekly|2025-11-02", "ana-mail|weekly|2025-11-02"}
    assert len(smtp.messages) == 1 and len(hook.posts) == 1
    mail_error, hook_error = deliveries[0].error, deliveries[2].error
    masked_mail = f"mailto://****@127.0.0.1:{down}?from={SENDER}&to={RECIPIENT}&mode=insecure"
    assert mail_error.startswith(f"alert not sent to Ana by {masked_mail}: ")
    assert "connection" in mail_error.lower()
    masked_hook = f"json://127.0.0.1:{down}/****?****"
    assert hook_error.startswith(f"alert not sent to The team by {masked_hook}: ")
    assert "connection" in hook_error.lower()
    for delivery in deliveries:
        line = delivery.line()
        assert "\n" not in line
        assert PASSWORD not in line and TOKEN not in line
        assert "alerts:" not in line  # nor the login's name


def test_after_a_failure_the_channel_is_not_tried_again_in_the_run() -> None:
    down = Subscription("ana-down", "Ana", hook_channel(closed_port()))
    report = WeeklyReport(date(2025, 11, 2), link="https://reports.example.org/w/45")
    alerts = due([down], [facts(stale=True, quiet_days=15)], NOW, weekly=report)
    first, second = send(alerts)
    assert first.outcome is second.outcome is Outcome.FAILED
    assert second.error.endswith(": not tried: the channel failed earlier in this run")
    assert sent_keys([first, second]) == set()


def test_a_missing_attachment_fails_that_alert_only(smtp: Mailbox, tmp_path: Path) -> None:
    sub = Subscription("ana-mail", "Ana", mail_channel(smtp.port))
    [alert] = weekly_alerts([sub], tmp_path / "gone.pdf")
    [delivery] = send([alert])
    assert delivery.error == (
        f"alert not sent to Ana by {mask(sub.channel)}: its attachment gone.pdf is not there"
    )
    assert smtp.messages == []


def test_a_dry_run_sends_nothing_and_says_what_it_would_send(smtp: Mailbox, hook: Hook) -> None:
    subs = [
        Subscription("ana-mail", "Ana", mail_channel(smtp.port)),
        Subscription("team", "The team", hook_channel(hook.port)),
    ]
    alerts = weekly_alerts(subs)
    deliveries = send(alerts, dry_run=True)
    assert [d.outcome for d in deliveries] == [Outcome.DRY_RUN, Outcome.DRY_RUN]
    assert sent_keys(deliveries) == set()
    assert deliveries[0].line() == (
        f"would send to Ana by {mail_channel(smtp.port)}: "
        "[forecast] The weekly report to 2025-11-02 is ready"
    )
    assert smtp.messages == [] and hook.posts == []


def test_a_hostile_title_is_text_on_one_line(smtp: Mailbox, hook: Hook) -> None:
    title = (
        'Peace <script>alert("x")</script> &amp; <b>deal</b>\r\n'
        "Bcc: mallory@example.org\n[forecast] Closes today: \x1b]0;owned\x07 fake\u2028x"
    )
    hostile = facts(title=title, stale=True, quiet_days=15)
    subs = [
        Subscription("ana-mail", "Ana", mail_channel(smtp.port), kinds=frozenset({"stale"})),
        Subscription("team", "The team", hook_channel(hook.port), kinds=frozenset({"stale"})),
    ]
    alerts = due(subs, [hostile], NOW)
    shown = one_line(title)
    assert shown.startswith('Peace <script>alert("x")</script> &amp; <b>deal</b>\\x0d\\nBcc:')
    assert "\\x1b]0;owned\\x07" in shown and "\\u2028" in shown
    for alert in alerts:
        assert "\n" not in alert.subject and "\r" not in alert.subject
        assert alert.body.splitlines()[0] == f"{shown} ({QID})"  # the title: one line
        assert not any(line.startswith("[forecast]") for line in alert.body.splitlines())
    assert all(d.sent for d in send(alerts))
    [received] = smtp.messages
    assert received.recipients == [RECIPIENT]  # no Bcc was added
    message = received.message
    assert message["Bcc"] is None and message["Subject"] == alerts[0].subject
    assert message.get_body(("html",)) is None  # plain text only: nothing is interpreted
    assert plain_text(message) == alerts[0].body
    [post] = hook.posts
    assert post.body["message"] == alerts[1].body  # the text as written, not escaped twice


# --------------------------------------------------------------------------- channels


@pytest.mark.parametrize(
    ("url", "line"),
    [
        ("", "an alert channel needs a URL: mailto://"),
        (f"discord://4174216298/{TOKEN}", "alert channel discord://****/**** is refused: use"),
        ("telegram://123456:ABC-token/987", "alert channel telegram://**** is refused: it is not"),
        ("gopher://example.org/x", "alert channel gopher://****/**** is refused: it is not"),
        (
            "mailto://127.0.0.1:25?to=ana@example.org",
            "is refused: Invalid ~From~ email specified; "
            "e-mail reads mailto://HOST:PORT?from=SENDER&to=RECIPIENT",
        ),
        (f"mailto://127.0.0.1:25?from={SENDER}&to=nobody", "Dropped invalid To email (nobody)"),
        (
            f"mailto://a:{PASSWORD}@127.0.0.1:25?from={SENDER}&mode=bogus",
            "alert channel mailto://****@127.0.0.1:25?from=alerts@example.org&mode=bogus is "
            "refused: The secure mode specified (bogus) is invalid",
        ),
        ("slack://T1/B2", "alert channel slack://****/**** is refused: "),
        # Apprise's message quotes the bad token: it is taken out.
        (
            f"slack://T1JJ3T3L2/{BAD_TOKEN}/TIiajkdnlazkcOXrIdevi7FQ/#general",
            "alert channel slack://****/****/****/#**** is refused: "
            "An invalid Slack (second) Token (****) was specified",
        ),
        (f"mailto://127.0.0.1:25?from={SENDER}\nBcc: x", "a URL has no spaces or line breaks"),
    ],
)
def test_a_bad_channel_is_refused_when_saved_with_one_masked_line(url: str, line: str) -> None:
    with pytest.raises(ForecastError) as refused:
        check_channel(url)
    message = str(refused.value)
    assert line in message
    assert "\n" not in message
    assert all(secret not in message for secret in (PASSWORD, TOKEN, "ABC-token", BAD_TOKEN))


def test_a_good_channel_is_accepted_and_shown_masked() -> None:
    assert check_channel(mail_channel(2525)) == mail_channel(2525)
    login = mail_channel(2525, login=f"alerts:{PASSWORD}@")
    shown = f"mailto://****@127.0.0.1:2525?from={SENDER}&to={RECIPIENT}&mode=insecure"
    assert check_channel(login) == shown
    assert check_channel(hook_channel(8080)) == "json://127.0.0.1:8080/****?****"
    slack = "slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ/#general"
    assert check_channel(slack) == "slack://****/****/****/#****"
    matrix = f"matrixs://ana:{PASSWORD}@matrix.example.org/#room"
    assert check_channel(matrix) == "matrixs://****@matrix.example.org/#****"
    # A password holding "/" would split the URL elsewhere: none of it is shown as a host.
    assert mask("mailto://ana:pa/ss@host.example.org") == "mailto://****"
