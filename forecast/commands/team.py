"""CLI commands: team (filled in by its issue)."""

from __future__ import annotations

import click


def register(cli: click.Group) -> None:
    """Add this area's commands to the root group."""
