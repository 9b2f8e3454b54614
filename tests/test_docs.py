"""The README documents every command and every setting (CI keeps the docs honest)."""

from __future__ import annotations

import re
import shlex
from datetime import UTC, datetime
from pathlib import Path

import click
import pytest

from forecast import settings
from forecast.cli import cli, main
from forecast.store import Store

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


def tour_commands() -> list[list[str]]:
    """The README's command-line tour, one argument list per command: continuation lines
    joined, comments dropped; commands that need a placeholder filled in (<REPORT_ID>), a
    saved fit (--learned, --band) or a terminal of their own (dashboard) left out."""
    block = README.split("### Command line\n", 1)[1].split("```sh\n", 1)[1].split("```", 1)[0]
    commands = []
    for line in block.replace("\\\n", " ").splitlines():
        for part in line.split("&&"):
            words = shlex.split(part, comments=True)
            skip = {"dashboard", "--learned", "--band"} & set(words)
            if words and not skip and not any("<" in w for w in words):
                assert words[0] == "forecast", line
                commands.append(words[1:])
    return commands


def test_the_readme_tour_runs_top_to_bottom(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # On the day the tour was written (its questions open on 2026-12-01); in a folder of
    # its own, as a first-time user's shell would be, with the demo that `make run` loads.
    monkeypatch.setattr(Store, "now", lambda _store: datetime(2026, 12, 5, 12, tzinfo=UTC))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(settings.HOME_ENV, str(tmp_path))
    commands = tour_commands()
    assert len(commands) >= 19  # every line of the tour but five
    for args in commands:
        code = main(args)
        err = capsys.readouterr().err
        assert code == 0, f"forecast {' '.join(args)}: {err}"
