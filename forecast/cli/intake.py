"""CLI commands on news intake and the inbox.

- ``intake feed add|list|remove`` and ``intake fetch`` (for cron): feeds into the inbox;
- ``intake url|file``: a page read into a report draft with the questions it may bear on,
  the reports it may echo and its attributions (with ``--inbox``, kept in the inbox);
- ``inbox [show|dismiss|echo]``: what waits to be assessed (``evidence add --inbox ENTRY``
  assesses one).
"""

from __future__ import annotations

from pathlib import Path

import click

from forecast import drafting, news
from forecast.cli.common import print_json, tracker
from forecast.clock import iso
from forecast.errors import ForecastError
from forecast.inbox import MAX_PAGE, PAGE, Entry, FeedStatus
from forecast.inbox import Status as EntryStatus
from forecast.intake.extract import Draft, draft_from_file, draft_from_url
from forecast.terminal import cell, say, table


def register(root: click.Group) -> None:
    """Add this area's commands to the root group."""
    root.add_command(intake)
    root.add_command(inbox)


@click.group()
def intake() -> None:
    """Take news in: feeds fetched into the inbox, pages read into report drafts."""


@intake.group("feed")
def feed() -> None:
    """The feeds `intake fetch` reads."""


@feed.command("add")
@click.argument("url")
@click.option("--source", default="", help="The stored source its items come from.")
@click.option("--tags", default="", help="Comma-separated tags.")
@click.option("--id", "feed_id", help="Its id (default: generated).")
@click.option("--reason", default="")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def feed_add(
    ctx: click.Context, url: str, source: str, tags: str, feed_id: str | None, reason: str,
    as_json: bool,
) -> None:  # fmt: skip
    """Add an RSS or Atom feed to fetch."""
    tag_list = [t.strip() for t in tags.split(",") if t.strip()]
    added = tracker(ctx).add_feed(
        url, source=source, tags=tag_list, feed_id=feed_id, reason=reason
    )
    if as_json:
        print_json({"id": added.id, "url": added.url, "source": added.source})
        return
    say(f"added feed {added.id}: {cell(added.url)}")
    say("fetch it now with: forecast intake fetch")


@feed.command("remove")
@click.argument("feed_id")
@click.option("--reason", required=True)
@click.pass_context
def feed_remove(ctx: click.Context, feed_id: str, reason: str) -> None:
    """Stop fetching a feed (its entries stay in the inbox)."""
    tracker(ctx).remove_feed(feed_id, reason=reason)
    say(f"removed feed {feed_id}")


@feed.command("list")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def feed_list(ctx: click.Context, as_json: bool) -> None:
    """The feeds in force and how their fetches went."""
    standing = tracker(ctx).feeds()
    if as_json:
        print_json([_feed_json(s) for s in standing])
        return
    if not standing:
        say("no feed yet: forecast intake feed add URL --source NAME")
        return
    rows = [["id", "source", "last fetch", "state", "address"]]
    for s in standing:
        last = s.last
        rows.append(
            [
                s.feed.id,
                s.feed.source or "-",
                "never" if last is None else iso(last.fetched_at),
                s.summary,
                s.feed.url,
            ]
        )
    for line in table(rows, "  "):
        say(line)


def _feed_json(s: FeedStatus) -> dict[str, object]:
    last = s.last
    return {
        "id": s.feed.id,
        "url": s.feed.url,
        "source": s.feed.source,
        "tags": list(s.feed.tags),
        "fetches": len(s.fetches),
        "last_fetch": None if last is None else iso(last.fetched_at),
        "last_new": None if last is None else last.new,
        "last_error": None if last is None or not last.failed else last.error,
        "failures_in_a_row": s.failures,
        "failing": s.failing,
    }


@intake.command("fetch")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def intake_fetch(ctx: click.Context, as_json: bool) -> None:
    """Fetch every feed and put new items in the inbox (run it from cron).

    A feed that fails is reported and the others go on; the exit status is 1 if any
    failed, so cron tells its owner."""
    the_tracker = tracker(ctx)
    if not the_tracker.feeds():
        raise ForecastError("no feed to fetch: forecast intake feed add URL --source NAME")
    runs = news.fetch_feeds(the_tracker)
    if as_json:
        print_json(
            [{**_feed_json(r.status), "new": [e.id for e in r.stored]} for r in runs]
        )
    else:
        for r in runs:
            say(f"{r.status.feed.id}: {r.status.summary}", err=r.fetch.failed)
        new = sum(len(r.stored) for r in runs)
        failed = sum(r.fetch.failed for r in runs)
        say(f"{new} new inbox entries from {len(runs)} feed(s), {failed} failed")
        if new:
            say("see them with: forecast inbox")
    if any(r.fetch.failed for r in runs):
        ctx.exit(1)


@intake.command("url")
@click.argument("url")
@click.option("--inbox", "keep", is_flag=True, help="Keep the page in the inbox.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def intake_url(ctx: click.Context, url: str, keep: bool, as_json: bool) -> None:
    """Fetch an article page and show it as a report draft, with suggestions."""
    _show(ctx, draft_from_url(url), keep, as_json)


@intake.command("file")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--inbox", "keep", is_flag=True, help="Keep the page in the inbox.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def intake_file(ctx: click.Context, path: Path, keep: bool, as_json: bool) -> None:
    """Read a saved article page (HTML) as a report draft, with suggestions."""
    _show(ctx, draft_from_file(path), keep, as_json)


def _show(ctx: click.Context, draft: Draft, keep: bool, as_json: bool) -> None:
    the_tracker = tracker(ctx)
    found = drafting.suggest(the_tracker, draft)
    kept = news.take_in(the_tracker, draft) if keep else None
    if as_json:
        data = found.to_json()
        if kept is not None:
            data["inbox"] = {"id": kept[0].id, "new": kept[1]}
        print_json(data)
        return
    show_suggested(found)
    if kept is None:
        say("nothing was stored: log it as a report and assess it to move a forecast")
    elif kept[1]:
        say(f"kept in the inbox as {kept[0].id}")
        say(f"assess it: forecast evidence add --inbox {kept[0].id} --question Q --lr X")
    else:
        say(f"already in the inbox as {kept[0].id}")


def show_suggested(found: drafting.Suggested) -> None:
    """A draft and its suggestions, as lines."""
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


@click.group(invoke_without_command=True)
@click.option(
    "--status", "wanted", default="new", show_default=True,
    help="new, assessed, echo, dismissed, or all (comma-separated).",
)  # fmt: skip
@click.option("--search", default="", help="Only entries with every word (title, text, address).")
@click.option("--feed", "feed_id", help="Only this feed's entries.")
@click.option("--page", default=1, type=click.IntRange(min=1), show_default=True)
@click.option("--per-page", default=PAGE, type=click.IntRange(1, MAX_PAGE), show_default=True)
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def inbox(
    ctx: click.Context, wanted: str, search: str, feed_id: str | None, page: int,
    per_page: int, as_json: bool,
) -> None:  # fmt: skip
    """The news waiting to be assessed, newest first, with the questions it may bear on."""
    if ctx.invoked_subcommand is not None:
        return
    the_tracker = tracker(ctx)
    found = the_tracker.inbox(
        [w.strip() for w in wanted.split(",")], search, feed_id=feed_id,
        offset=(page - 1) * per_page, limit=per_page,
    )  # fmt: skip
    entries = list(found.entries)
    matched = news.matches(drafting.Suggester(the_tracker), entries) if entries else {}
    if as_json:
        print_json(
            {
                "total": found.total,
                "page": page,
                "per_page": per_page,
                "entries": [
                    {**_entry_json(e), "status": found.status(e.id).value,
                     "questions": [{"id": m.question_id, "score": m.score} for m in matched[e.id]]}
                    for e in entries
                ],
            }
        )  # fmt: skip
        return
    if not found.total:
        say("the inbox is empty" if not search else "no inbox entry matches")
        return
    last = min(found.offset + len(entries), found.total)
    say(f"entries {found.offset + 1}-{last} of {found.total}, newest first:")
    for e in entries:
        when = e.published.date().isoformat() if e.published else "no date"
        status = found.status(e.id)
        mark = "" if status is EntryStatus.NEW else f" [{status.value}]"
        say(f"{e.id}{mark}  {when}  {cell(e.outlet or '-')}  {cell(e.title or '(no title)')}")
        for m in matched[e.id]:
            say(f"    {m.score:.2f}  {m.question_id}")
    if last < found.total:
        say(f"next page: forecast inbox --page {page + 1}")
    say("assess one: forecast evidence add --inbox ENTRY --question Q --lr X")


def _entry_json(e: Entry) -> dict[str, object]:
    return {
        "id": e.id,
        "feed": e.feed_id or None,
        "title": e.title,
        "url": e.url,
        "published": None if e.published is None else iso(e.published),
        "outlet": e.outlet,
        "language": e.language or None,
        "received_at": None if e.received_at is None else iso(e.received_at),
    }


@inbox.command("show")
@click.argument("entry_id")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def inbox_show(ctx: click.Context, entry_id: str, as_json: bool) -> None:
    """One entry with its suggestions: questions, echoes, origins."""
    the_tracker = tracker(ctx)
    entry, action = the_tracker.inbox_entry(entry_id)
    found = drafting.Suggester(the_tracker).suggest(news.draft_of_entry(entry))
    done = None if action is None else {
        "status": action.status.value, "report": action.report_id or None,
        "reason": action.reason, "by": action.logged_by,
        "at": None if action.logged_at is None else iso(action.logged_at),
    }  # fmt: skip
    if as_json:
        print_json({**found.to_json(), **_entry_json(entry), "action": done})
        return
    say(f"{entry.id}: {'waiting' if action is None else action.status.value}")
    show_suggested(found)
    if action is None:
        say(f"assess it: forecast evidence add --inbox {entry.id} --question Q --lr X")
        say(f"or: forecast inbox echo {entry.id} REPORT")
        say(f"or: forecast inbox dismiss {entry.id} --reason ...")


@inbox.command("dismiss")
@click.argument("entry_id")
@click.option("--reason", required=True, help="Why it bears on no question.")
@click.pass_context
def inbox_dismiss(ctx: click.Context, entry_id: str, reason: str) -> None:
    """Take an entry out of the inbox: it bears on no question."""
    tracker(ctx).dismiss(entry_id, reason=reason)
    say(f"dismissed {entry_id}")


@inbox.command("echo")
@click.argument("entry_id")
@click.argument("report_id")
@click.option("--reason", default="")
@click.pass_context
def inbox_echo(ctx: click.Context, entry_id: str, report_id: str, reason: str) -> None:
    """Take an entry out of the inbox as a repeat of a logged report."""
    tracker(ctx).mark_echo(entry_id, report_id, reason=reason)
    say(f"{entry_id} is an echo of {report_id}: the forecasts already hold it")
