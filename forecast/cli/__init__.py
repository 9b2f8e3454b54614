"""The ``forecast`` command line: parse, call the library, show.

Every error is one line on stderr and a non-zero exit (1 for bad input or data, 2 for a
misused command). Every command that reads has ``--json``.

One module per area adds its commands to the root group here: ``questions``, ``evidence``,
``sources``, ``scoring`` (snapshots, references, scores, the weekly report), ``learning``
(calibrate, backtest), ``links`` (link, unlink, links), ``data`` (init, demo, import, export,
copy, audit), ``alerts``, ``intake`` (and the inbox) and ``dashboard``. What they share (the
tracker, input parsing, JSON output, error handling) is in ``common``; they import it and the
library, never each other.
"""

from __future__ import annotations

import click

from forecast import settings
from forecast.cli import (
    alerts,
    common,
    dashboard,
    data,
    evidence,
    intake,
    learning,
    links,
    questions,
    scoring,
    sources,
)

AREAS = (
    questions, sources, evidence, links, data, dashboard, scoring, learning, alerts, intake
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--db",
    metavar="URL",
    help=(
        f"SQLAlchemy URL or SQLite file (default: ${settings.DB_ENV}, else "
        f"{settings.DB_FILE} in the data home, ${settings.HOME_ENV})."
    ),
)
@click.version_option(package_name="forecast")
@click.pass_context
def cli(ctx: click.Context, db: str | None) -> None:
    """Track forecasts: questions, evidence, exact Bayesian updates, scores."""
    ctx.obj = {"db": db}


for _area in AREAS:
    _area.register(cli)


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; turn every failure into one line on stderr and an exit status."""
    return common.run(cli, argv)


__all__ = ["cli", "main"]
