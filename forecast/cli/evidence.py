"""CLI commands on evidence: ``evidence add|list|correct|retract|edit-report|retract-report``
and ``judge``."""

from __future__ import annotations

from datetime import datetime

import click

from forecast import news
from forecast.cli.common import pairs, print_json, tracker
from forecast.clock import parse_time
from forecast.domain import ForecastError, check_number, check_share
from forecast.terminal import cell, clip, say, table


def register(root: click.Group) -> None:
    """Add this area's commands to the root group."""
    root.add_command(evidence)
    root.add_command(judge)


def _time(value: str | None, what: str) -> datetime | None:
    return None if value is None else parse_time(value, what)


def _days(value: str, what: str) -> int:
    number = check_number(value, what)
    if not number.is_integer():
        raise ForecastError(f"{what} must be a whole number of days, not {value}")
    return int(number)


def _refuse_logged(_ctx: click.Context, _param: click.Parameter, value: str | None) -> None:
    # Kept (hidden) so that a script still passing --logged stops with the reason, not
    # with click's "no such option" and a usage dump.
    if value is not None:
        raise ForecastError(
            "--logged is not accepted: knowledge times come from the store's clock; "
            "bring in history with `forecast import`"
        )


@click.group()
def evidence() -> None:
    """Log reports and assessments; correct or retract them."""


@evidence.command("add")
@click.option("--question", "question_id", required=True)
@click.option("--source")
@click.option("--published")
@click.option("--logged", hidden=True, expose_value=False, callback=_refuse_logged)
@click.option("--lr", type=str, help="Likelihood ratio P(report|YES)/P(report|NO).")
@click.option("--strength", help="A word of the Kass-Raftery scale, e.g. strong-against.")
@click.option(
    "--likelihood",
    "likelihoods",
    multiple=True,
    metavar="OPTION=L",
    help="Choice questions: likelihood of an outcome (baseline 1).",
)
@click.option("--by", help="Event questions: the deadline it speaks to (default: the next one).")
@click.option("--around", help="Event questions: the date it points to (a summit set for D).")
@click.option("--within", default="0", help="With --around: give or take these many days.")
@click.option("--origin", default="", help="Underlying source; same origin = echo.")
@click.option("--analyst")
@click.option("--rationale", default="")
@click.option("--title", default="")
@click.option("--summary", default="")
@click.option("--url", default="")
@click.option("--report", "report_id", help="Assess an existing report.")
@click.option("--report-id", "new_report_id", help="Id for the new report (default: generated).")
@click.option(
    "--inbox",
    "entry_id",
    help="Log this inbox entry as the report (its source, date, title, summary and address "
    "unless given) and take it out of the inbox.",
)
@click.option(
    "--force", is_flag=True, help="Log it although a report from its source reads the same."
)
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def evidence_add(
    ctx: click.Context,
    question_id: str,
    source: str | None,
    published: str | None,
    lr: str | None,
    strength: str | None,
    likelihoods: tuple[str, ...],
    by: str | None,
    around: str | None,
    within: str,
    origin: str,
    analyst: str | None,
    rationale: str,
    title: str,
    summary: str,
    url: str,
    report_id: str | None,
    new_report_id: str | None,
    entry_id: str | None,
    force: bool,
    as_json: bool,
) -> None:
    """Log a report (or reuse --report, or take one from --inbox) and assess it against a
    question."""
    the_tracker = tracker(ctx)
    when = _time(published, "--published")
    if entry_id is not None:
        if report_id is not None:
            raise ForecastError("--inbox logs the entry as a new report: leave out --report")
        given = news.report_fields(the_tracker, entry_id)
        source = source or given["source"]
        if source is None:
            raise ForecastError(
                f"inbox entry {entry_id!r} has no source (no feed names one): give --source"
            )
        when = when or given["published"]
        title, summary = title or given["title"], summary or given["summary"]
        url = url or given["url"]
    like = the_tracker.origins_like(origin, when) if origin and when and not report_id else []
    report, assessment = the_tracker.add_evidence(
        question_id,
        source=source,
        published=when,
        lr=None if lr is None else check_number(lr, "likelihood ratio"),
        strength=strength,
        likelihoods=pairs(likelihoods, "--likelihood"),
        by=_time(by, "--by"),
        around=_time(around, "--around"),
        within=_days(within, "--within"),
        analyst=analyst,
        rationale=rationale,
        origin=origin,
        title=title,
        summary=summary,
        url=url,
        report_id=report_id,
        new_report_id=new_report_id,
        force=force,
        inbox_entry=entry_id,
    )
    if as_json:
        print_json({"report": report.id, "assessment": assessment.id, "origins_like": like})
        return
    say(f"logged report {report.id}, assessment {assessment.id}")
    if like:
        shown = ", ".join(repr(o) for o in like)
        say(
            f"note: origin {origin!r} is new; already logged: {shown}. If it is one of them, "
            f"make it count once: forecast evidence edit-report {report.id} --origin ... "
            "--reason ..."
        )


@evidence.command("correct")
@click.argument("assessment_id")
@click.option("--lr", type=str)
@click.option("--strength")
@click.option("--likelihood", "likelihoods", multiple=True, metavar="OPTION=L")
@click.option("--rationale")
@click.option("--reason", required=True, help="Why it changed (kept in the history).")
@click.pass_context
def evidence_correct(
    ctx: click.Context,
    assessment_id: str,
    lr: str | None,
    strength: str | None,
    likelihoods: tuple[str, ...],
    rationale: str | None,
    reason: str,
) -> None:
    """Correct an assessment (a new version; the old one stays readable)."""
    a = tracker(ctx).correct_assessment(
        assessment_id,
        lr=None if lr is None else check_number(lr, "likelihood ratio"),
        strength=strength,
        likelihoods=pairs(likelihoods, "--likelihood"),
        rationale=rationale,
        reason=reason,
    )
    say(f"assessment {a.id} is now version {a.version}")


@evidence.command("retract")
@click.argument("assessment_id")
@click.option("--reason", required=True)
@click.pass_context
def evidence_retract(ctx: click.Context, assessment_id: str, reason: str) -> None:
    """Retract an assessment (it stops counting; its history stays)."""
    a = tracker(ctx).correct_assessment(assessment_id, reason=reason, retract=True)
    say(f"assessment {a.id} retracted (version {a.version})")


@evidence.command("retract-report")
@click.argument("report_id")
@click.option("--reason", required=True)
@click.pass_context
def evidence_retract_report(ctx: click.Context, report_id: str, reason: str) -> None:
    """Retract a report: none of its assessments count any more."""
    r = tracker(ctx).retract_report(report_id, reason=reason)
    say(f"report {r.id} retracted (version {r.version})")


@evidence.command("edit-report")
@click.argument("report_id")
@click.option("--title")
@click.option("--summary")
@click.option("--url")
@click.option("--origin", help="Underlying source; same origin = echo.")
@click.option("--reason", required=True, help="Why it changed (kept in the history).")
@click.pass_context
def evidence_edit_report(
    ctx: click.Context,
    report_id: str,
    title: str | None,
    summary: str | None,
    url: str | None,
    origin: str | None,
    reason: str,
) -> None:
    """Fix a report's title, summary, URL or origin (a new version; the old one stays)."""
    r = tracker(ctx).edit_report(
        report_id, title=title, summary=summary, url=url, origin=origin, reason=reason
    )
    say(f"report {r.id} edited (version {r.version})")


@evidence.command("list")
@click.option("--question", "question_id", help="Only the evidence on this question.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def evidence_list(ctx: click.Context, question_id: str | None, as_json: bool) -> None:
    """Every assessment with its id, report, origin and whether it counts, newest first."""
    entries = tracker(ctx).evidence(question_id)
    if as_json:
        print_json([e.to_json() for e in entries])
        return
    header = ("published", "assessment", "question", "analyst", "status", "origin", "title")
    rows = [header] + [
        tuple(
            cell(x)
            for x in (
                e.report.published.date().isoformat(),
                e.assessment.id,
                e.assessment.question_id,
                e.assessment.analyst,
                e.status + (f" (echo x{len(e.echoes) + 1})" if e.echoes else ""),
                clip(e.report.origin, 24) or "-",
                clip(e.report.title or e.report.id, 48),
            )
        )
        for e in entries
    ]
    for line in table(rows):
        say(line)


# --------------------------------------------------------------------------- judge


@click.command()
@click.argument("qid", metavar="QUESTION")
@click.argument("probability", nargs=-1, required=True)
@click.option("--rationale", default="", help="Why you are now there (kept with it).")
@click.option("--analyst")
@click.option("--dry-run", is_flag=True, help="Show the LR it would store; store nothing.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def judge(
    ctx: click.Context,
    qid: str,
    probability: tuple[str, ...],
    rationale: str,
    analyst: str | None,
    dry_run: bool,
    as_json: bool,
) -> None:
    """Log "I am now at P" (choice questions: OPTION=P ...) as evidence with its implied LR."""
    if len(probability) == 1 and "=" not in probability[0]:
        wanted: float | list[tuple[str, float]] = check_share(probability[0], "probability")
    else:
        wanted = pairs(probability, "probability", check_share)
    logged = tracker(ctx).judge(qid, wanted, rationale=rationale, analyst=analyst, dry_run=dry_run)
    a = logged.assessments[0]
    implied = a.lr if a.lr is not None else dict(a.likelihoods)
    if as_json:
        print_json(
            {"report": logged.report.id, "assessment": a.id, "lr": implied, "stored": not dry_run}
        )
        return
    said = "would log" if dry_run else "logged"
    if isinstance(implied, dict):
        text = ", ".join(f"{k} {v:.4g}" for k, v in implied.items())
        say(f"{said} judgement {a.id} (likelihoods {text}) on report {logged.report.id}")
    else:
        say(f"{said} judgement {a.id} (LR {implied:.4g}) on report {logged.report.id}")
