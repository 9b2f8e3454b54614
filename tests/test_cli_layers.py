"""The library under the CLI: the rules the commands call rather than hold themselves."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from forecast import settings
from forecast.api import Tracker
from forecast.cli import main
from forecast.clock import end_of_day, knowledge_time
from forecast.demo import load
from forecast.domain import ForecastError
from forecast.files import write_atomically

ROOT = Path(__file__).resolve().parent.parent


def test_a_bare_date_as_of_means_the_end_of_that_day() -> None:
    assert end_of_day(date(2025, 10, 21)) == datetime(2025, 10, 21, 23, 59, 59, 999999, UTC)
    assert knowledge_time(" 2025-10-21 ") == end_of_day(date(2025, 10, 21))
    assert knowledge_time("2025-10-21T12:00Z") == datetime(2025, 10, 21, 12, tzinfo=UTC)
    assert knowledge_time("9999-12-31") == datetime(9999, 12, 31, 23, 59, 59, 999999, UTC)
    with pytest.raises(ForecastError, match=r"^--until 'soon' is not an ISO date"):
        knowledge_time("soon", "--until")


def test_the_demo_loads_once_and_refuses_half_a_demo(tmp_path: Path) -> None:
    text = settings.demo_file().read_text(encoding="utf-8")
    tracker = Tracker.open(str(tmp_path / "demo.db"))
    first = load(tracker, text)
    assert not first.already_loaded and first.counts["questions"] == first.questions == 4
    again = load(tracker, text)
    assert again.already_loaded and again.counts == {} and again.questions == 4
    other = Tracker.open(str(tmp_path / "other.db"))
    question = tracker.question("summit-venue")
    other.add_question(replace(question, created_at=None, imported_at=None, imported_by=""))
    with pytest.raises(ForecastError, match="'summit-venue' of the demo exists but others"):
        load(other, text)


def test_an_atomic_write_keeps_the_old_file_when_it_fails(tmp_path: Path) -> None:
    path = tmp_path / "all.yaml"
    write_atomically(path, "first\n")
    with pytest.raises(UnicodeEncodeError):
        write_atomically(path, "half \udc80")  # not encodable: fails mid-way
    assert path.read_text(encoding="utf-8") == "first\n"
    assert [p.name for p in tmp_path.iterdir()] == ["all.yaml"]  # no temporary left


def test_source_list_shows_the_trackers_order(capsys: pytest.CaptureFixture[str]) -> None:
    for name in ("reuters", "AP", "Bloomberg"):
        assert main(["source", "add", name, "--reliability", "0.8"]) == 0
    capsys.readouterr()
    assert main(["source", "list", "--json"]) == 0
    listed = [row["name"] for row in json.loads(capsys.readouterr().out)]
    assert listed == [s.name for s in Tracker.open().sources()] == ["AP", "Bloomberg", "reuters"]


def test_the_cli_areas_import_only_the_shared_module() -> None:
    areas = sorted((ROOT / "forecast" / "cli").glob("*.py"))
    names = {p.stem for p in areas} - {"__init__", "__main__", "common"}
    assert names, "expected area modules"
    for path in areas:
        if path.stem in {"__init__", "__main__"}:
            continue
        text = path.read_text(encoding="utf-8")
        for name in names:
            assert f"forecast.cli.{name}" not in text, f"{path.name} imports {name}"
        assert "from forecast.cli import" not in text, path.name
