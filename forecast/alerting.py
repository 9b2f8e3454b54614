"""A run of the alerts (``forecast alerts``, for cron): what needs attention now, sent once.

The rules are ``forecast.alerts.rules``'s and the delivery ``forecast.alerts.send``'s; this
service feeds them from the tracker: the settings in force, every question as it stands at
the store's clock, each headline as it stood at the last run (a threshold crossing is
measured between two runs; the first run has nothing to measure from), and the keys of
the alerts already sent. Only what was really sent is stored, so a failed channel's alerts
are due again at the next run; a dry run sends and stores nothing.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from forecast import drafting, news
from forecast.alerts.rules import (
    Alert,
    AlertKind,
    InboxItem,
    Setting,
    Subscription,
    WeeklyReport,
    due,
    readings,
)
from forecast.alerts.send import Delivery, Outcome, send, sent_keys
from forecast.errors import ForecastError

if TYPE_CHECKING:
    from forecast.api import Tracker

__all__ = ["Alert", "Delivery", "Setting", "WeeklyReport", "run"]


def run(
    tracker: Tracker, *, dry_run: bool = False, weekly: WeeklyReport | None = None
) -> list[Delivery]:
    """Send the alerts due now (or, with ``dry_run``, say what would be sent)."""
    settings = tracker.alert_settings()
    if not settings:
        raise ForecastError("no alert setting is in force: subscribe someone first")
    sent, last = tracker.alert_log()
    now = tracker.now()
    alerts = due(
        [s.subscription for s in settings],
        tracker.states(as_of=now),
        now,
        before=None if last is None else readings(tracker.states(as_of=last)),
        inbox=_inbox_matches(tracker, [s.subscription for s in settings], last),
        weekly=weekly,
        sent=sent,
    )
    deliveries = send(alerts, dry_run=dry_run)
    if not dry_run:
        went = sent_keys(deliveries)
        failed = sum(d.outcome is Outcome.FAILED for d in deliveries)
        tracker.record_alert_run(now, [d.alert for d in deliveries if d.alert.key in went], failed)
    return deliveries


def _inbox_matches(
    tracker: Tracker, subscriptions: list[Subscription], last: datetime | None
) -> list[InboxItem]:
    """The questions each entry that came in since the last run may bear on (only if
    someone subscribed to inbox matches: the suggestions cost a moment to build)."""
    if not any(AlertKind.INBOX in s.kinds for s in subscriptions):
        return []
    entries = news.received_since(tracker, last)
    if not entries:
        return []
    found = news.matches(drafting.Suggester(tracker), entries)
    return [
        InboxItem(e.id, e.title, m.question_id, m.score) for e in entries for m in found[e.id]
    ]
