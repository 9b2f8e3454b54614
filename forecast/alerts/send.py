"""Delivering alerts through Apprise: e-mail, Slack, Teams, Matrix, JSON webhooks.

:func:`send` sends each alert to its subscription's channel as plain text (Apprise escapes
it for the services that read markup), with the weekly report's file attached where the
alert has one, and returns one :class:`Delivery` per alert: the caller stores the keys of
those really sent (:func:`sent_keys`), so the others are due again at the next run.

A channel that fails gives one line naming it, masked, and why; the other channels go on.
After a failure the channel's remaining alerts of this run are not tried (a server that is
down would make each of them wait for its time-out); they stay unsent. ``dry_run``
returns what would be sent and sends nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from forecast.alerts import channels
from forecast.alerts.rules import Alert, one_line


class Outcome(StrEnum):
    """What became of one alert."""

    SENT = "sent"
    FAILED = "failed"
    DRY_RUN = "dry run"  # not sent: asked only what would be


NO_REASON = "the service refused it or did not answer"
NOT_TRIED = "not tried: the channel failed earlier in this run"


@dataclass(frozen=True)
class Delivery:
    """One alert's outcome: ``channel`` is masked, ``error`` one line (failures only)."""

    alert: Alert
    outcome: Outcome
    channel: str
    error: str = ""

    @property
    def sent(self) -> bool:
        return self.outcome is Outcome.SENT

    def line(self) -> str:
        """One line for the run's output: what was (or would be) sent where, or the error."""
        if self.outcome is Outcome.FAILED:
            return self.error
        verb = "sent" if self.sent else "would send"
        who = one_line(self.alert.subscription.who)
        return f"{verb} to {who} by {self.channel}: {self.alert.subject}"


def sent_keys(deliveries: Iterable[Delivery]) -> set[str]:
    """The dedupe keys of the alerts really sent: what the store is to remember."""
    return {d.alert.key for d in deliveries if d.sent}


def send(alerts: Iterable[Alert], *, dry_run: bool = False) -> list[Delivery]:
    """Send each alert to its channel (or, with ``dry_run``, only say what would be sent);
    one :class:`Delivery` per alert, in order."""
    alerts = list(alerts)
    if dry_run:
        return [_delivery(a, Outcome.DRY_RUN) for a in alerts]
    sender = _Sender()
    return [sender.deliver(alert) for alert in alerts]


def _delivery(alert: Alert, outcome: Outcome, reason: str = "") -> Delivery:
    channel = channels.mask(alert.subscription.channel)
    error = ""
    if outcome is Outcome.FAILED:
        who = one_line(alert.subscription.who)
        error = f"alert not sent to {who} by {channel}: {reason or NO_REASON}"
    return Delivery(alert, outcome, channel, error)


class _Sender:
    """One run's deliveries: one Apprise service per channel, and the channels that
    failed."""

    def __init__(self) -> None:
        import apprise  # only alerts need it: other commands start without it

        self.apprise = apprise
        self.asset = channels.new_asset()
        self.services: dict[str, Any] = {}
        self.failed: set[str] = set()

    def deliver(self, alert: Alert) -> Delivery:
        url = alert.subscription.channel
        if url in self.failed:
            return _delivery(alert, Outcome.FAILED, NOT_TRIED)
        reason = self.problem(alert) or self.notify(alert)
        if reason:
            self.failed.add(url)
            return _delivery(alert, Outcome.FAILED, reason)
        return _delivery(alert, Outcome.SENT)

    def problem(self, alert: Alert) -> str:
        """Why the alert cannot be sent before trying ("" if nothing is wrong)."""
        if alert.attachment is not None and not alert.attachment.is_file():
            return f"its attachment {one_line(alert.attachment.name)} is not there"
        if self.service(alert.subscription.channel) is None:
            return "the channel URL cannot be read (check it with check_channel)"
        return ""

    def service(self, url: str) -> Any:
        """The channel's Apprise object with its one service, made once per run."""
        if url not in self.services:
            service, _ = channels.load(url, self.asset)
            notifier = None
            if service is not None:
                notifier = self.apprise.Apprise(asset=self.asset)
                notifier.add(service)
            self.services[url] = notifier
        return self.services[url]

    def notify(self, alert: Alert) -> str:
        """Send one alert; "" if it went, else why not (redacted)."""
        url = alert.subscription.channel
        with self.apprise.LogCapture(level=logging.WARNING, fmt=channels.LOG_FORMAT) as log:
            try:
                went = self.service(url).notify(
                    body=alert.body,
                    title=alert.subject,
                    body_format=self.apprise.NotifyFormat.TEXT,
                    attach=None if alert.attachment is None else str(alert.attachment),
                )
            # One service's fault must not stop the other channels: it is this alert's
            # failure, reported by its type (its text may quote the URL).
            except Exception as error:
                return f"{type(error).__name__} in the notification library"
        return "" if went else channels.complaint(log.getvalue(), url) or NO_REASON
