"""CLI commands on news intake: ``intake url|file``, a page read into a report draft with
the questions it may bear on, the reports it may echo and its attributions."""

from __future__ import annotations

from pathlib import Path

import click

from forecast import drafting
from forecast.cli.common import print_json, tracker
from forecast.intake.extract import draft_from_file, draft_from_url
from forecast.terminal import cell, say


def register(root: click.Group) -> None:
    """Add this area's commands to the root group."""
    root.add_command(intake)


@click.group()
def intake() -> None:
    """Read news pages into report drafts, with suggestions (nothing is stored)."""


@intake.command("url")
@click.argument("url")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def intake_url(ctx: click.Context, url: str, as_json: bool) -> None:
    """Fetch an article page and show it as a report draft, with suggestions."""
    _show(drafting.suggest(tracker(ctx), draft_from_url(url)), as_json)


@intake.command("file")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def intake_file(ctx: click.Context, path: Path, as_json: bool) -> None:
    """Read a saved article page (HTML) as a report draft, with suggestions."""
    _show(drafting.suggest(tracker(ctx), draft_from_file(path)), as_json)


def _show(found: drafting.Suggested, as_json: bool) -> None:
    if as_json:
        print_json(found.to_json())
        return
    d = found.draft
    when = d.published.date().isoformat() if d.published else "no date"
    say(f"draft: {cell(d.title or '(no title)')}")
    say(
        f"  {cell(d.outlet or 'unknown outlet')}, {when}, language {d.language or 'unknown'}, "
        f"{len(d.text):,} characters: {cell(d.url)}"
    )
    say("questions it may bear on (score: the share of the question's terms the page covers):")
    for q in found.questions:
        words = ", ".join(f"{a}={b}" if a != b else a for a, b in q.matched[:6])
        title = cell(found.titles[q.question_id])
        say(f"  {q.score:.2f}  {q.question_id}  {title}  ({cell(words)})")
    say("reports it may echo (score 0-1):")
    for e in found.echoes:
        shared = [f"{a}={b}" if a != b else a for a, b in e.shared_names[:4]]
        shared += list(e.shared_dates[:2])
        title = cell(found.titles[e.report_id])
        say(f"  {e.score:.2f}  {e.report_id}  {title}  ({cell(', '.join(shared))})")
    say("attributions that could be its origin:")
    for o in found.origins:
        say(f"  {cell(o.phrase)}")
    say("nothing was stored: log it as a report and assess it to move a forecast")
