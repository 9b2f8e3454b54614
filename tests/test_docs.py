"""The README documents every command and every setting (CI keeps the docs honest)."""

from __future__ import annotations

import re
from pathlib import Path

import click

from forecast.cli import cli

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


def command_paths(group: click.Group, prefix: str = "forecast") -> list[str]:
    paths = []
    for name, command in sorted(group.commands.items()):
        path = f"{prefix} {name}"
        if isinstance(command, click.Group):
            paths.extend(command_paths(command, path))
        else:
            paths.append(path)
    return paths


def test_every_command_is_in_the_readme() -> None:
    missing = [p for p in command_paths(cli) if p not in README]
    assert not missing, f"undocumented commands: {missing}"


def test_every_environment_setting_is_in_the_readme() -> None:
    root = Path(__file__).resolve().parent.parent
    names = set()
    for path in [*(root / "forecast").rglob("*.py"), *(root / "dashboards").rglob("*.py")]:
        names |= set(re.findall(r"[\"'](FORECAST_[A-Z_]+)[\"']", path.read_text(encoding="utf-8")))
    assert names, "expected at least FORECAST_DB"
    missing = sorted(n for n in names if n not in README)
    assert not missing, f"undocumented settings: {missing}"


def test_quick_start_is_two_commands_and_ci_runs_the_second() -> None:
    section = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```[a-z]*\n(.*?)```", section, re.S)
    assert block is not None
    commands = [line for line in block.group(1).splitlines() if line.strip()]
    assert len(commands) == 2
    ci = (Path(__file__).resolve().parent.parent / ".ci" / "run").read_text(encoding="utf-8")
    assert commands[1] in ci
