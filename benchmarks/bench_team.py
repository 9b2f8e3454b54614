"""Team load: analysts logging reports against one question at the same time.

For SQLite (WAL, busy timeout) and for PostgreSQL (a private server with its default,
durable settings), prints reports per second for 1 process and for 8 processes of 250
reports each. Asserts nothing but that every report landed.

Run: .venv/bin/python benchmarks/bench_team.py
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))  # the load generator and the server helper live there

import postgres_server  # noqa: E402
import team_load  # noqa: E402

RUNS = ((1, 250), (8, 250))  # (processes, reports per process)


@contextmanager
def sqlite_databases() -> Iterator[Callable[[], str]]:
    with tempfile.TemporaryDirectory() as folder:
        numbers = iter(range(1_000))
        yield lambda: str(Path(folder) / f"team-{next(numbers)}.db")


@contextmanager
def postgres_databases() -> Iterator[Callable[[], str]]:
    configured = os.environ.get(postgres_server.ADMIN_ENV)
    with ExitStack() as stack:
        admin = configured or stack.enter_context(postgres_server.temporary_server(durable=True))
        yield lambda: stack.enter_context(postgres_server.fresh_database(admin))


def measure(label: str, databases: Callable[[], str]) -> None:
    for processes, per_process in RUNS:
        url = databases()
        team_load.prepare(url)
        figures = team_load.run(url, processes, per_process)
        if figures.failures:
            raise SystemExit(f"{label}: {figures.failures[0]}")
        print(
            f"{label:<12} {processes} x {per_process:<4} {figures.reports:>5} reports "
            f"{figures.seconds:7.2f} s {figures.per_second:8.0f} reports/s"
        )


def main() -> None:
    with sqlite_databases() as databases:
        measure("sqlite", databases)
    reason = postgres_server.unavailable_reason()
    if reason is not None:
        print(f"postgresql   skipped: {reason}")
        return
    with postgres_databases() as databases:
        measure("postgresql", databases)


if __name__ == "__main__":
    main()
