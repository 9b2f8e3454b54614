"""CLI commands ``dashboard`` (start the Streamlit app on the configured database) and
``precompute`` (compute what it shows first, so it opens fast after an upgrade)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from typing import NoReturn

import click

from forecast import settings
from forecast.cli.common import knowledge_time, print_json, tracker
from forecast.clock import end_of_day, iso
from forecast.terminal import say


def register(root: click.Group) -> None:
    """Add this area's commands to the root group."""
    root.add_command(dashboard)
    root.add_command(precompute)


@click.command()
@click.option("--as-of", help="Knowledge time (date = end of that day); default today's end.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def precompute(ctx: click.Context, as_of: str | None, as_json: bool) -> None:
    """Compute every question's forecast into the cache folder, so the dashboard's overview
    opens on it (`dashboard` runs it in the background as it starts; after an upgrade, which
    empties the folder, that saves the first visitor the wait)."""
    start = time.perf_counter()
    done = tracker(ctx).precompute(as_of=knowledge_time(as_of))
    seconds = time.perf_counter() - start
    kept = settings.cache_dir()
    if as_json:
        print_json(
            {
                "as_of": iso(done.as_of),
                "questions": done.questions,
                "linked_groups": done.groups,
                "linked_questions": done.linked,
                "seconds": round(seconds, 3),
                "cache": None if kept is None else str(kept),
            }
        )
        return
    when = iso(done.as_of)
    if done.as_of == end_of_day(done.as_of):
        when = f"the end of {done.as_of.date().isoformat()}"
    say(
        f"computed {done.questions} questions as of {when}, {done.linked} of them in "
        f"{done.groups} linked group{'' if done.groups == 1 else 's'}, in {seconds:.1f} s; "
        + ("the cache is off: nothing kept for other processes" if kept is None
           else f"kept in {kept}")
    )  # fmt: skip


@click.command()
@click.option("--port", default=8501, show_default=True, type=int)
@click.option(
    "--address",
    metavar="HOST",
    help=(
        f"Address to listen on (default: ${settings.DASHBOARD_ADDRESS_ENV}, else "
        f"{settings.LOCAL_ADDRESS}: this machine only). 0.0.0.0 serves every network "
        "interface: set up sign-in or --viewer first."
    ),
)
@click.option(
    "--viewer",
    is_flag=True,
    help=f"Read-only: no page or form that writes (sets {settings.DASHBOARD_MODE_ENV}=viewer).",
)
@click.option(
    "--no-precompute",
    is_flag=True,
    help="Do not run `forecast precompute` in the background as the server starts.",
)
@click.pass_context
def dashboard(
    ctx: click.Context, port: int, address: str | None, viewer: bool, no_precompute: bool
) -> NoReturn:
    """Start the Streamlit dashboard on the configured database."""
    host = settings.dashboard_address(address)
    opened = tracker(ctx)  # fail here, in one line, if the database cannot be opened
    env = {**os.environ, settings.DB_ENV: opened.store.url}
    if viewer:  # read by dashboards/identity.py
        env[settings.DASHBOARD_MODE_ENV] = "viewer"
    if not no_precompute and settings.cache_dir() is not None:
        _in_background([sys.executable, "-m", "forecast.cli", "precompute"], env)
    cmd = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(settings.dashboard_app()),
        "--server.port",
        str(port),
        "--server.address",
        host,
        # Visitors see "an error occurred", never a traceback (the console keeps it all);
        # the app sets the same itself for `streamlit run dashboards/app.py`.
        "--client.showErrorDetails",
        "none",
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
        # No "Deploy" button (to a hosting service) on every page: this command deploys it.
        "--client.toolbarMode",
        "minimal",
    ]
    # Streamlit takes this process's place: Ctrl+C or a stop signal reaches the server itself,
    # and no server is left behind holding the port when this command is stopped.
    os.execve(sys.executable, cmd, env)


def _in_background(command: list[str], env: dict[str, str]) -> None:
    """Start ``command`` and go on, through a short-lived Python that starts it and exits:
    the command is then nobody's child to reap once done (this process becomes the server),
    and it stays in this process group, so Ctrl+C stops it with the server."""
    starter = "import subprocess, sys; subprocess.Popen(sys.argv[1:])"
    subprocess.run(
        [sys.executable, "-c", starter, *command],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=False,
    )
