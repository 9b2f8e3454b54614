"""The wheel: what `pip install .` puts in site-packages runs `forecast demo` and
`forecast dashboard` without the source checkout."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from forecast import settings

ROOT = Path(__file__).resolve().parent.parent
PARTS = ("pyproject.toml", "README.md", "forecast", "dashboards", "seeds")


def _source_files(folder: str) -> set[str]:
    return {
        p.relative_to(ROOT).as_posix()
        for p in (ROOT / folder).rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"
    }


@pytest.mark.slow
def test_the_wheel_holds_the_code_the_dashboard_and_the_data(tmp_path: Path) -> None:
    pytest.importorskip("setuptools")
    # Build from a clean copy: a build/ folder left in the checkout could add stale files.
    source = tmp_path / "source"
    source.mkdir()
    for part in PARTS:
        if (ROOT / part).is_dir():
            ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
            shutil.copytree(ROOT / part, source / part, ignore=ignore)
        else:
            shutil.copy2(ROOT / part, source / part)
    out = tmp_path / "wheel"
    built = subprocess.run(
        [
            *(sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation"),
            *("--no-index", "--disable-pip-version-check", "-q", "-w", str(out), str(source)),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert built.returncode == 0, built.stderr
    (wheel,) = out.glob("forecast-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        entry_points = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
        assert "forecast = forecast.cli:main" in archive.read(entry_points).decode()

    # Everything the installed package reads: the demo where settings.demo_file() looks for
    # it, the dashboard where settings.dashboard_app() does, the migrations, the templates.
    wanted = {
        f"forecast/seeds/{settings.DEMO_SCENARIO}",
        "dashboards/app.py",
        "forecast/migrations/script.py.mako",
        "forecast/reports/templates/weekly.md.j2",
        "forecast/reports/templates/weekly.html.j2",
        "forecast/py.typed",
    }
    wanted |= _source_files("forecast")  # every module and every data file of the package
    wanted |= {p for p in _source_files("dashboards") if p.endswith(".py")}  # views included
    wanted |= {f"forecast/{p}" for p in _source_files("seeds") if p.endswith(".yaml")}
    assert not sorted(wanted - names)
    assert any(n.startswith("dashboards/views/") for n in names)
    assert any(n.startswith("forecast/migrations/versions/") for n in names)
    # Nothing but the two packages at the top of site-packages (no stray seeds/ or tests/).
    tops = {n.split("/")[0] for n in names if not n.split("/")[0].endswith(".dist-info")}
    assert tops == {"forecast", "dashboards"}
