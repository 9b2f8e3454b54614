"""CLI commands on sources: ``source add|update|list``."""

from __future__ import annotations

import click

from forecast.cli.common import print_json, tracker
from forecast.domain import check_share
from forecast.terminal import cell, pad, say


def register(root: click.Group) -> None:
    """Add this area's commands to the root group."""
    root.add_command(source)


@click.group()
def source() -> None:
    """Add, list and re-rate sources."""


@source.command("add")
@click.argument("name")
@click.option("--reliability", required=True, type=str)
@click.option("--type", "type_", default="", help="news agency, official, ...")
@click.pass_context
def source_add(ctx: click.Context, name: str, reliability: str, type_: str) -> None:
    """Add a source with its reliability in [0, 1]."""
    s = tracker(ctx).add_source(name, check_share(reliability, "reliability"), type_)
    say(f"added source {s.name} (reliability {s.reliability:g})")


@source.command("update")
@click.argument("name")
@click.option("--reliability", type=str)
@click.option("--type", "type_")
@click.option("--reason", required=True)
@click.pass_context
def source_update(
    ctx: click.Context, name: str, reliability: str | None, type_: str | None, reason: str
) -> None:
    """Re-rate a source (a new version; the old one stays readable)."""
    r = None if reliability is None else check_share(reliability, "reliability")
    s = tracker(ctx).update_source(name, reliability=r, type=type_, reason=reason)
    say(f"source {s.name} is now version {s.version} (reliability {s.reliability:g})")


@source.command("list")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def source_list(ctx: click.Context, as_json: bool) -> None:
    """List sources (latest version of each), by name."""
    rows = [
        {"name": s.name, "type": s.type, "reliability": s.reliability, "version": s.version}
        for s in tracker(ctx).sources()
    ]
    if as_json:
        print_json(rows)
        return
    for row in rows:
        name, kind = cell(row["name"]), cell(row["type"])
        say(f"{pad(name, 32)} {row['reliability']:<6g} v{row['version']}  {kind}")
