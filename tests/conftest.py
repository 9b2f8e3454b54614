"""Shared test set-up: no test ever touches the real database or compile cache."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# The whole suite (CI sets this in .ci/run): slow tests run and property tests take their
# full number of examples. Without it, `make test` is the quicker everyday run.
FULL_SUITE = os.environ.get("FORECAST_FULL_SUITE", "") == "1"
# Before anything imports pytensor: keep its compile cache in an ignored project folder.
os.environ.setdefault("PYTENSOR_FLAGS", f"base_compiledir={ROOT / '.pytensor'}")
# No on-disk cache of linked groups (subprocesses too): every test computes what it reads,
# remembered in memory only, and nothing is written into the project's data folder. The
# tests of the cache itself (test_network's shelf tests, test_links' new process) point
# $FORECAST_CACHE at a folder of their own. (On for every test, it only wrote entries that
# no other process reads.)
os.environ["FORECAST_CACHE"] = "off"


@pytest.fixture(autouse=True)
def _isolated_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point the default database at a fresh file for every test."""
    db = tmp_path / "forecast.db"
    monkeypatch.setenv("FORECAST_DB", str(db))
    monkeypatch.setenv("FORECAST_USER", "tester")
    return db


@pytest.fixture(scope="module")
def demo_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo scenario loaded once per module; tests take a copy with ``db``."""
    from forecast.api import Tracker

    path = tmp_path_factory.mktemp("demo") / "demo.db"
    tracker = Tracker.open(str(path))
    tracker.import_scenario((ROOT / "seeds" / "putin-trump-2025.yaml").read_text("utf-8"))
    tracker.store.close()  # checkpoints the WAL, so the file alone holds everything
    return path


@pytest.fixture
def db(demo_file: Path, _isolated_database: Path) -> Path:
    """This test's own copy of the demo database, as the default database."""
    shutil.copyfile(demo_file, _isolated_database)
    return _isolated_database


# --- PostgreSQL server (team issue) ---
# One PostgreSQL server for the whole session: $FORECAST_TEST_POSTGRES if set, otherwise a
# private server in a temporary directory (tests/postgres_server.py), stopped at the end.
# This block is appended to the file, hence its own import below the others.
import contextlib  # noqa: E402
from collections.abc import Callable, Iterator  # noqa: E402


@pytest.fixture(scope="session")
def postgres_admin_url() -> Iterator[str]:
    """An admin URL of a running PostgreSQL server (skips where none can be had)."""
    import postgres_server

    configured = os.environ.get(postgres_server.ADMIN_ENV, "").strip()
    if configured:
        yield configured
        return
    reason = postgres_server.unavailable_reason()
    if reason is not None:
        pytest.skip(reason)
    with postgres_server.temporary_server() as url:
        yield url


@pytest.fixture
def postgres_url(postgres_admin_url: str) -> Iterator[str]:
    """A fresh, empty database on the session's PostgreSQL server, dropped afterwards."""
    import postgres_server

    with postgres_server.fresh_database(postgres_admin_url) as url:
        yield url


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def team_backend(request: pytest.FixtureRequest) -> str:
    """Run the test once on SQLite and once on PostgreSQL."""
    return str(request.param)


@pytest.fixture
def new_database(
    request: pytest.FixtureRequest, team_backend: str, tmp_path: Path
) -> Iterator[Callable[[], str]]:
    """A factory of new, empty databases on the test's backend, all removed afterwards."""
    import itertools

    import postgres_server

    from forecast.store import to_url

    numbers = itertools.count()
    with contextlib.ExitStack() as stack:

        def new() -> str:
            if team_backend == "sqlite":
                return to_url(str(tmp_path / f"database-{next(numbers)}.db"))
            admin = request.getfixturevalue("postgres_admin_url")
            return stack.enter_context(postgres_server.fresh_database(admin))

        yield new


_FIGURES: list[str] = []  # lines for the end-of-run summary
FIGURE = "measured figure"  # the name of a test's user property that carries one


@pytest.fixture
def report_figure(request: pytest.FixtureRequest) -> Callable[[str], None]:
    """Record a measured figure: printed now (seen with -s in one process) and again in the
    run's summary. It travels with the test's report, so a figure measured in a worker
    process (pytest -n) reaches the summary too."""

    def record(line: str) -> None:
        print(line)
        request.node.user_properties.append((FIGURE, line))

    return record


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Collect the figures of each finished test (its teardown report carries them all)."""
    if report.when == "teardown":
        _FIGURES.extend(line for name, line in report.user_properties if name == FIGURE)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """List the figures the team tests measured (reports per second, cases tried, ...)."""
    if _FIGURES:
        terminalreporter.section("measured figures")
        for line in _FIGURES:
            terminalreporter.write_line(line)


# --- end of PostgreSQL server (team issue) ---


# --- Hypothesis ---
# Derandomised: every run (local and CI) tries the same cases, so a red run is reproducible
# and never a matter of luck. Set HYPOTHESIS_PROFILE=explore to search with fresh seeds.
from hypothesis import settings as _hypothesis_settings  # noqa: E402

_hypothesis_settings.register_profile("ci", derandomize=True, print_blob=True)
_hypothesis_settings.register_profile("explore", derandomize=False)
_hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


# --- The everyday run and the full suite ---


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip tests marked ``slow`` unless the full suite is asked for (``FORECAST_FULL_SUITE=1``)
    or a ``-m`` expression chooses the tests."""
    if FULL_SUITE or config.getoption("markexpr"):
        return
    skip = pytest.mark.skip(reason="slow: runs with FORECAST_FULL_SUITE=1 (CI) or -m slow")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


# --- local servers: the intake and alert tests reach nothing but 127.0.0.1 ---


@pytest.fixture
def no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    """A proxy set in the environment must not stand between a test and 127.0.0.1."""
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    monkeypatch.setenv("no_proxy", "127.0.0.1")


@pytest.fixture(scope="module")
def intake_server() -> Iterator[object]:
    """A local HTTP server with the intake fixtures (``tests/intake_server.py``)."""
    from intake_server import IntakeServer

    with IntakeServer() as running:
        yield running
