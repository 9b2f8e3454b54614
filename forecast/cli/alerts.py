"""CLI commands on alerts: ``alerts`` (a run, for cron), ``alerts subscribe|unsubscribe|list``."""

from __future__ import annotations

from pathlib import Path

import click

from forecast import alerting
from forecast.alerts.channels import mask
from forecast.alerts.rules import (
    DEFAULT_CLOSE_DAYS,
    AlertKind,
    Subscription,
    Threshold,
    alert_kind,
)
from forecast.alerts.send import Outcome
from forecast.cli.common import pairs, print_json, tracker
from forecast.clock import utc
from forecast.domain import check_share
from forecast.terminal import cell, say

KINDS = ", ".join(k.value for k in AlertKind)


def register(root: click.Group) -> None:
    """Add this area's commands to the root group."""
    root.add_command(alerts)


@click.group(invoke_without_command=True)
@click.option("--dry-run", is_flag=True, help="Print what would be sent; send and store nothing.")
@click.option(
    "--weekly",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The weekly report just written (`forecast report`): attached for those who want it.",
)
@click.option(
    "--weekly-link",
    metavar="URL",
    help="Where the weekly report can be read (an intranet page, a shared folder): linked.",
)
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def alerts(
    ctx: click.Context, dry_run: bool, weekly: Path | None, weekly_link: str | None,
    as_json: bool,
) -> None:  # fmt: skip
    """Send what needs attention to each subscriber, once (run it from cron).

    Alerts: a question crossed a threshold since the last run, a close date is near, a
    question awaits resolution or went stale, the weekly report is ready.
    """
    if ctx.invoked_subcommand is not None:
        return
    report = None
    if weekly is not None or weekly_link:
        report = alerting.WeeklyReport(
            utc(tracker(ctx).now()).date(),
            link=weekly_link or "",
            file=None if weekly is None else weekly.resolve(),
        )
    deliveries = alerting.run(tracker(ctx), dry_run=dry_run, weekly=report)
    if as_json:
        print_json([{**_alert(d.alert), "outcome": d.outcome.value, "error": d.error}
                    for d in deliveries])  # fmt: skip
        return
    for d in deliveries:
        say(d.line())
    failed = sum(d.outcome is Outcome.FAILED for d in deliveries)
    verb = "would send" if dry_run else "sent"
    say(f"{verb} {len(deliveries) - failed} alert(s), {failed} failed")
    if failed:
        ctx.exit(1)  # cron mails a failing run to its owner


def _alert(a: alerting.Alert) -> dict[str, object]:
    return {"key": a.key, "kind": a.kind.value, "to": a.subscription.who, "subject": a.subject}


@alerts.command("subscribe")
@click.argument("setting_id")
@click.option("--who", required=True, help="Whom the alerts are for (shown in each alert).")
@click.option(
    "--channel",
    required=True,
    help="Where they go: mailto://HOST:PORT?from=...&to=..., slack://..., json://HOST/path, ...",
)
@click.option("--kind", "kinds", multiple=True, help=f"Only these alerts ({KINDS}); default all.")
@click.option("--threshold", "thresholds", multiple=True, help="QUESTION=LEVEL, e.g. q1=60%.")
@click.option("--close-days", type=int, default=DEFAULT_CLOSE_DAYS, show_default=True)
@click.option("--question", "questions", multiple=True, help="Only these questions.")
@click.option("--min-score", type=float, default=0.0, help="Least inbox match score.")
@click.option("--reason", default="")
@click.pass_context
def alerts_subscribe(
    ctx: click.Context,
    setting_id: str,
    who: str,
    channel: str,
    kinds: tuple[str, ...],
    thresholds: tuple[str, ...],
    close_days: int,
    questions: tuple[str, ...],
    min_score: float,
    reason: str,
) -> None:
    """Add an alert setting, or a new version of SETTING_ID."""
    sub = Subscription(
        setting_id,
        who,
        channel,
        kinds=frozenset(alert_kind(k) for k in kinds) if kinds else frozenset(AlertKind),
        thresholds=tuple(Threshold(q, p) for q, p in pairs(thresholds, "threshold", check_share)),
        close_days=close_days,
        questions=frozenset(questions) if questions else None,
        min_score=min_score,
    )
    s = tracker(ctx).subscribe(sub, reason=reason)
    say(f"alert setting {s.subscription.id} version {s.version}: {cell(who)} by {mask(channel)}")


@alerts.command("unsubscribe")
@click.argument("setting_id")
@click.option("--reason", required=True)
@click.pass_context
def alerts_unsubscribe(ctx: click.Context, setting_id: str, reason: str) -> None:
    """End an alert setting (its versions stay in the record)."""
    s = tracker(ctx).unsubscribe(setting_id, reason=reason)
    say(f"alert setting {s.subscription.id} ended (version {s.version})")


@alerts.command("list")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def alerts_list(ctx: click.Context, as_json: bool) -> None:
    """The alert settings in force (channels masked)."""
    rows = [_setting(s) for s in tracker(ctx).alert_settings()]
    if as_json:
        print_json(rows)
        return
    for row in rows:
        levels = ", ".join(f"{q} at {p:.0%}" for q, p in row["thresholds"]) or "no thresholds"
        say(f"{row['id']} v{row['version']}: {cell(row['who'])} by {row['channel']}; {levels}")


def _setting(s: alerting.Setting) -> dict:
    sub = s.subscription
    return {
        "id": sub.id,
        "version": s.version,
        "who": sub.who,
        "channel": mask(sub.channel),
        "kinds": sorted(k.value for k in sub.kinds),
        "thresholds": [[t.question_id, t.level] for t in sub.thresholds],
        "close_days": sub.close_days,
        "questions": None if sub.questions is None else sorted(sub.questions),
        "min_score": sub.min_score,
        "logged_at": s.logged_at.isoformat() if s.logged_at else None,
        "logged_by": s.logged_by,
    }


