"""What every area of the CLI shares: the tracker, input parsing, JSON output, and the one
way a command fails (one line on stderr and an exit status).

The area modules import this module and the library, never each other.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

import click

from forecast import clock
from forecast.domain import ForecastError, check_number
from forecast.terminal import json_text, say

if TYPE_CHECKING:
    from forecast.api import Tracker


# --------------------------------------------------------------------------- the tracker


def database(ctx: click.Context) -> str | None:
    """The database the root ``--db`` option names (None: the configured default)."""
    target: str | None = ctx.find_root().obj.get("db")
    return target


def tracker(ctx: click.Context) -> Tracker:
    """The tracker on the command's database, opened once per invocation."""
    from forecast.api import Tracker

    obj = ctx.find_root().obj
    if "tracker" not in obj:
        obj["tracker"] = Tracker.open(obj.get("db"))
    opened: Tracker = obj["tracker"]
    return opened


# --------------------------------------------------------------------------- input


def knowledge_time(value: str | None, what: str = "--as-of") -> datetime | None:
    """A knowledge time typed on the command line (a bare date: the end of that day)."""
    return None if value is None else clock.knowledge_time(value, what)


def pairs(
    values: tuple[str, ...], what: str, number: Callable[[Any, str], float] = check_number
) -> list[tuple[str, float]]:
    """``NAME=VALUE`` arguments as (name, number) pairs (``check_share``: 40% is 0.4)."""
    parsed = []
    for raw in values:
        name, sep, value = raw.rpartition("=")
        if not sep or not name.strip():
            raise ForecastError(f"{what} {raw!r} is not NAME=VALUE")
        parsed.append((name.strip(), number(value, f"{what} of {name.strip()!r}")))
    return parsed


# --------------------------------------------------------------------------- output


def print_json(data: Any) -> None:
    """``--json`` output: exact data (it is for programs), with no control character left
    raw for a terminal."""
    click.echo(json_text(json.dumps(data, ensure_ascii=False, indent=2, default=str)))


# --------------------------------------------------------------------------- running


def run(root: click.Group, argv: list[str] | None) -> int:
    """Run the CLI; turn every failure into one line on stderr and an exit status."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", UserWarning)
        try:
            return _run(root, argv)
        finally:
            for warning in caught:  # one line each, like errors
                say(f"warning: {warning.message}", err=True)


def _run(root: click.Group, argv: list[str] | None) -> int:
    try:
        result = root.main(args=argv, prog_name="forecast", standalone_mode=False)
        return result if isinstance(result, int) else 0
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.UsageError as exc:
        say(f"error: {exc.format_message()}", err=True)
        return 2
    except click.Abort:
        say("error: aborted", err=True)
        return 1
    except ForecastError as exc:
        say(f"error: {exc}", err=True)
        return 1
    except OSError as exc:
        say(f"error: {exc}", err=True)
        return 1
    except Exception as exc:  # a database failure mid-command: still one line
        from sqlalchemy.exc import SQLAlchemyError

        if not isinstance(exc, SQLAlchemyError):
            raise
        say(
            f"error: database: {exc.orig if hasattr(exc, 'orig') else exc!s}".splitlines()[0],
            err=True,
        )
        return 1
