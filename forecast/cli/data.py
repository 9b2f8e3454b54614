"""CLI commands on the database as a whole: ``init``, ``demo``, ``import``, ``export``,
``copy`` (into another database) and ``audit`` (every change, who, when and why)."""

from __future__ import annotations

from pathlib import Path

import click

from forecast import settings
from forecast.cli.common import database, print_json, tracker
from forecast.domain import ForecastError
from forecast.terminal import say


def register(root: click.Group) -> None:
    """Add this area's commands to the root group."""
    for command in (init, demo, import_, export, copy, audit):
        root.add_command(command)


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ForecastError(f"cannot read {path}: {exc}") from None


# --------------------------------------------------------------------------- init, demo


@click.command()
@click.pass_context
def init(ctx: click.Context) -> None:
    """Create the database, or migrate it to the current schema."""
    from forecast.store import Store

    store = Store(database(ctx))
    revision = store.upgrade()
    say(f"database ready at {store.display_url} (schema {revision})")


@click.command()
@click.option(
    "--file",
    "path",
    type=click.Path(dir_okay=False, path_type=Path),
    help=f"Scenario to load (default: the demo scenario, {settings.DEMO_SCENARIO}).",
)
@click.pass_context
def demo(ctx: click.Context, path: Path | None) -> None:
    """Load the demo scenario (safe to run twice)."""
    from forecast.demo import load

    path = path or settings.demo_file()
    done = load(tracker(ctx), _read(path), name=path.name)
    if done.already_loaded:
        say(f"demo already loaded ({done.questions} questions)")
    else:
        say("demo loaded: " + ", ".join(f"{v} {k}" for k, v in done.counts.items()))


# --------------------------------------------------------------------------- files


@click.command("import")
@click.argument("path", metavar="FILE", type=click.Path(dir_okay=False, path_type=Path))
@click.pass_context
def import_(ctx: click.Context, path: Path) -> None:
    """Import a scenario file: all of it, or nothing."""
    counts = tracker(ctx).import_scenario(_read(path), name=path.name)
    click.echo("imported " + ", ".join(f"{v} {k}" for k, v in counts.items()))


@click.command()
@click.argument("path", metavar="FILE", type=click.Path(dir_okay=False, path_type=Path))
@click.pass_context
def export(ctx: click.Context, path: Path) -> None:
    """Export everything, with every version, to a scenario file ('-' for stdout)."""
    from forecast.files import write_atomically

    text = tracker(ctx).export_scenario()
    if str(path) == "-":
        click.echo(text, nl=False)
        return
    try:
        write_atomically(path, text)  # a failed export leaves the previous file as it was
    except OSError as exc:
        raise ForecastError(f"cannot write {path}: {exc}") from None
    click.echo(f"exported to {path}")


# --------------------------------------------------------------------------- copy, audit


@click.command()
@click.option(
    "--to",
    "target",
    required=True,
    metavar="URL",
    help="The database to fill: an SQLAlchemy URL or an SQLite file. It must be empty.",
)
@click.pass_context
def copy(ctx: click.Context, target: str) -> None:
    """Copy this database (--db) into an empty one, keeping every version and logged time."""
    from forecast.store import Store, copy_database

    with Store.open(database(ctx)) as source, Store(target) as destination:
        counts = copy_database(source, destination)
    rows = sum(counts.values())
    listed = ", ".join(f"{n} {name}" for name, n in counts.items() if n)
    say(
        f"copied {rows} rows from {source.display_url} to {destination.display_url}"
        + (f" ({listed})" if listed else "")
    )


@click.command()
@click.argument("qid", metavar="[ID]", required=False)
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def audit(ctx: click.Context, qid: str | None, as_json: bool) -> None:
    """Every change to a question (or to everything): who, when, what and why."""
    from forecast.audit import trail

    opened = tracker(ctx)
    if qid is not None:
        opened.question(qid)  # a bad or unknown id fails here
    entries = trail(opened.history(None if qid is None else [qid]), qid)
    if as_json:
        print_json([e.to_json() for e in entries])
        return
    if not entries:
        say("no changes recorded")
    for entry in entries:
        say(entry.line())
