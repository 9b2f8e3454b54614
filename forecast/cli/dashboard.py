"""CLI command ``dashboard``: start the Streamlit app on the configured database."""

from __future__ import annotations

import os
import sys
from typing import NoReturn

import click

from forecast import settings
from forecast.cli.common import tracker


def register(root: click.Group) -> None:
    """Add this area's commands to the root group."""
    root.add_command(dashboard)


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
@click.pass_context
def dashboard(ctx: click.Context, port: int, address: str | None, viewer: bool) -> NoReturn:
    """Start the Streamlit dashboard on the configured database."""
    host = settings.dashboard_address(address)
    opened = tracker(ctx)  # fail here, in one line, if the database cannot be opened
    env = {**os.environ, settings.DB_ENV: opened.store.url}
    if viewer:  # read by dashboards/identity.py
        env[settings.DASHBOARD_MODE_ENV] = "viewer"
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
