"""Store speed: load 1,000 questions with 50,000 assessments, then read the whole history.

Prints figures; asserts nothing. Run: .venv/bin/python benchmarks/bench_store.py
"""

from __future__ import annotations

import random
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from forecast.clock import parse_time
from forecast.domain import Assessment, History, Kind, Question, Report, Source
from forecast.store import Store

N_QUESTIONS, N_ASSESSMENTS, N_REPORTS, N_SOURCES = 1_000, 50_000, 10_000, 50
OPENED = parse_time("2025-01-01")


def fill(store: Store, rng: random.Random) -> None:
    """Synthetic records: each assessment links a random report to a random question."""
    with store.write() as tx:
        for i in range(N_SOURCES):
            tx.insert_source(Source(f"source {i}", rng.random(), "outlet", logged_at=OPENED))
        for i in range(N_QUESTIONS):
            tx.insert_question(_question(i))
        for i in range(N_REPORTS):
            published = OPENED + timedelta(minutes=rng.randrange(300 * 24 * 60))
            tx.insert_report(
                Report(
                    f"r{i}",
                    published,
                    f"source {i % N_SOURCES}",
                    title=f"report {i}",
                    origin=f"o{rng.randrange(3_000)}",
                    logged_at=published,
                )
            )
        taken: set[tuple[int, int, int]] = set()  # one assessment per analyst, report, question
        for i in range(N_ASSESSMENTS):
            r = rng.randrange(N_REPORTS)
            while (r, i % N_QUESTIONS, i % 7) in taken:
                r = rng.randrange(N_REPORTS)
            taken.add((r, i % N_QUESTIONS, i % 7))
            tx.insert_assessment(
                Assessment(
                    f"a{i}",
                    f"r{r}",
                    f"q{i % N_QUESTIONS}",
                    analyst=f"analyst {i % 7}",
                    lr=rng.lognormvariate(0, 1),
                    rationale="synthetic",
                    logged_at=OPENED,
                )
            )


def _question(i: int) -> Question:
    if i % 2:
        deadlines = (OPENED + timedelta(days=300), OPENED + timedelta(days=400))
        return Question(
            f"q{i}", "bench", Kind.EVENT, OPENED, prior=0.3, deadlines=deadlines, created_at=OPENED
        )
    return Question(f"q{i}", "bench", Kind.BINARY, OPENED, prior=0.5, created_at=OPENED)


def timed(label: str, work: Callable[[], History]) -> History:
    start = time.perf_counter()
    result = work()
    print(f"{label:<40} {time.perf_counter() - start:8.3f} s")
    return result


def main() -> None:
    with tempfile.TemporaryDirectory() as folder, Store.open(str(Path(folder) / "b.db")) as store:
        start = time.perf_counter()
        fill(store, random.Random(1))
        print(f"{'fill (one transaction)':<40} {time.perf_counter() - start:8.3f} s")
        for run in ("first", "second", "third"):  # later runs: warm caches, pooled connection
            with store.read() as tx:
                history = timed(f"history(None), {run} run", lambda tx=tx: tx.history(None))
        ids = [f"q{i}" for i in range(0, N_QUESTIONS, 10)]
        with store.read() as tx:
            timed(f"history({len(ids)} ids)", lambda tx=tx: tx.history(ids))
            timed("history(1 id)", lambda tx=tx: tx.history(["q7"]))
        print(
            f"history(None) holds {len(history.questions)} questions, "
            f"{len(history.assessments)} assessments, {len(history.reports)} reports"
        )


if __name__ == "__main__":
    main()
