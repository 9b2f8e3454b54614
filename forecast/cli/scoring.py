"""CLI commands: snapshots, reference forecasts, scores and the weekly report.

Each command parses, calls one library function and prints. Heavy libraries (pandas,
jinja2, Altair, vl-convert, WeasyPrint) are imported inside the commands that need them,
so the rest of the CLI starts fast.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from forecast.cli.common import knowledge_time, print_json, tracker
from forecast.domain import ForecastError
from forecast.terminal import cell, pad, say


def register(root: click.Group) -> None:
    """Add this area's commands to the root group."""
    root.add_command(snapshot)
    root.add_command(import_reference)
    root.add_command(score)
    root.add_command(report)


# --------------------------------------------------------------------------- snapshot


@click.command()
@click.option(
    "--backfill",
    is_flag=True,
    help="Instead, reconstruct one snapshot per finished day from logged times.",
)
@click.option("--until", help="With --backfill: the last knowledge time (date = end of day).")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def snapshot(ctx: click.Context, backfill: bool, until: str | None, as_json: bool) -> None:
    """Snapshot every open question now (run it daily, e.g. from cron)."""
    from forecast import snapshots

    if until is not None and not backfill:
        raise click.UsageError("--until goes with --backfill")
    opened = tracker(ctx)
    if backfill:
        count = snapshots.backfill(opened, knowledge_time(until, "--until"))
    else:
        count = snapshots.take(opened)
    if as_json:
        print_json({"snapshots": count, "backfill": backfill})
        return
    click.echo(f"{'backfilled' if backfill else 'took'} {count} snapshots")


# --------------------------------------------------------------------------- references


@click.command("import-reference")
@click.argument("questions_file", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("series_file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--name", required=True, help="Name of the reference, e.g. market.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def import_reference(
    ctx: click.Context, questions_file: Path, series_file: Path, name: str, as_json: bool
) -> None:
    """Import reference forecasts (CSV or Parquet): all of it, or nothing.

    QUESTIONS_FILE has qid, question, open, close (or deadline), outcome and resolution
    date; SERIES_FILE has qid, date, prob. ForecastBench's column names load as they are.
    """
    from forecast.reference import import_reference as run

    done = run(tracker(ctx), questions_file, series_file, name)
    if as_json:
        print_json(done.__dict__)
        return
    say(
        f"imported reference {done.name}: {done.questions} questions ({done.resolved} resolved), "
        f"{done.points} points"
        + (
            f", {done.replaced} repeated (qid, date) rows replaced by later ones"
            if done.replaced
            else ""
        )
        + (f"; linked to {len(done.linked)} tracker questions" if done.linked else "")
    )


# --------------------------------------------------------------------------- score


@click.command()
@click.option("--reference", "reference", metavar="NAME", help="Also score this reference.")
@click.option(
    "--horizon",
    "horizons",
    type=click.IntRange(min=0),
    multiple=True,
    metavar="DAYS",
    help="With --reference: score its forecast DAYS before each resolution date (repeat).",
)
@click.option("--as-of", help="Knowledge time (date = end of that day); default now.")
@click.option("--no-analysts", is_flag=True, help="Skip the per-analyst scores (faster).")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def score(
    ctx: click.Context,
    reference: str | None,
    horizons: tuple[int, ...],
    as_of: str | None,
    no_analysts: bool,
    as_json: bool,
) -> None:
    """Score resolved questions on their snapshots (and a reference, at horizons)."""
    from forecast import track_record
    from forecast.reference import load

    if horizons and reference is None:
        raise click.UsageError("--horizon goes with --reference NAME")
    opened = tracker(ctx)
    record = track_record.build(
        opened,
        as_of=knowledge_time(as_of, "--as-of"),
        references=None if reference is None else [reference],
        analysts=not no_analysts,
    )
    ref = None
    if reference is not None:
        ref = track_record.score_reference(load(opened, reference), sorted(set(horizons)))
    if as_json:
        data = record.to_json()
        if ref is not None:
            data["reference"] = ref.to_json()
        print_json(data)
        return
    _print_record(record)
    if ref is not None:
        _print_reference(ref)


def _print_record(record: Any) -> None:
    from forecast.clock import iso

    say(
        f"as of {iso(record.as_of)}: {len(record.scores)} questions scored, "
        f"{len(record.annulled)} annulled, {len(record.unscored)} not scorable"
    )
    for family, s in record.overall().items():
        skill = s.versus_prior()["averaged"]["brier_skill"]
        say(
            f"  {family:<7} {s.count:>5}  Brier {s.final.brier:.3f} final, "
            f"{s.averaged.brier:.3f} time-averaged (prior {s.prior_averaged.brier:.3f}, "
            f"skill {_fmt(skill)}); log {s.averaged.log:.3f}"
        )
    for s in record.scores:
        marker = f"  [{s.basis}: {s.caveat}]" if s.caveat else ""
        say(
            f"    {pad(cell(s.question.id), 28)} {pad(cell(s.resolution.outcome), 10)} "
            f"{s.days:>4} days  "
            f"Brier {s.final.brier:.3f} final, {s.averaged.brier:.3f} averaged{marker}"
        )
    for qid, why in record.unscored:
        say(f"    {pad(cell(qid), 28)} not scored: {why}")


def _print_reference(ref: Any) -> None:
    data = ref.to_json()
    avg = data["averaged"]
    say(
        f"reference {ref.name}: {ref.questions} questions, {ref.resolved} resolved; "
        f"time-averaged Brier {_fmt(avg['brier'])} over {avg['count']}"
    )
    for h in data["horizons"]:
        s = h["summary"] or {}
        say(
            f"  {h['days']:>4} days before resolution: {h['count']} questions, "
            f"Brier {_fmt(s.get('brier'))}, log {_fmt(s.get('log'))}"
        )


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


# --------------------------------------------------------------------------- report


@click.group()
def report() -> None:
    """Scored forecast reports."""


@report.command("weekly")
@click.option("--week", help="ISO week such as 2025-W43 (default: the last complete week).")
@click.option(
    "--out",
    "folder",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("reports"),
    show_default=True,
    help="Folder to write the files to.",
)
@click.option("--format", "formats", default="md,html", show_default=True, help="md, html, pdf.")
@click.option("--stale-days", type=click.IntRange(min=1), default=14, show_default=True)
@click.option("--near-days", type=click.IntRange(min=1), default=14, show_default=True)
@click.option("--analysts", is_flag=True, help="Add per-analyst scores to the track record.")
@click.pass_context
def report_weekly(
    ctx: click.Context,
    week: str | None,
    folder: Path,
    formats: str,
    stale_days: int,
    near_days: int,
    analysts: bool,
) -> None:
    """Write the weekly report: movers, evidence, resolutions, track record, deadlines."""
    from forecast.reports import render, weekly

    wanted = formats.split(",")
    render.check_formats(wanted)
    stats = weekly.build(
        tracker(ctx), week, stale_days=stale_days, near_days=near_days, analysts=analysts
    )
    written = render.write(stats, folder, wanted)
    for path in written.paths:
        say(f"wrote {path}")
    for message in written.skipped:
        say(message, err=True)
    if not written.paths:
        raise ForecastError(written.skipped[0] if written.skipped else "nothing was written")
