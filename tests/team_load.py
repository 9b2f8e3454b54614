"""Many analysts at once: processes logging reports against one question at the same time.

Shared by ``tests/test_team.py`` (which checks that everything landed) and
``benchmarks/bench_team.py`` (which prints the figures). Every report is planned in
advance from its worker and index, so the test can compare the database with exactly what
should be in it, and the trajectory with one computed from the plan alone.
"""

from __future__ import annotations

import math
import multiprocessing
import random
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from forecast.clock import parse_time
from forecast.domain import Assessment, History, Kind, Question, Report, Source

QUESTION = "team-load"
SOURCE = "Wire"
RELIABILITY = 0.8
START = parse_time("2025-01-01")
AS_OF = START + timedelta(days=40)  # after every planned report was logged
SPACING = timedelta(minutes=3)  # between consecutive reports, across all workers
ORIGINS = 40  # reports from different workers share origins, so echoes cross processes
BARRIER_TIMEOUT = 120  # seconds for every worker to be ready; a spawn takes about one


@dataclass(frozen=True)
class Planned:
    """One report and its single assessment, as a worker will log it."""

    worker: int
    index: int
    report: Report
    lr: float

    def assessment(self) -> Assessment:
        """The assessment as the plan sees it (the id is made up: the maths ignores it)."""
        return Assessment(
            id=f"plan-{self.report.id}",
            report_id=self.report.id,
            question_id=QUESTION,
            analyst=analyst(self.worker),
            lr=self.lr,
            logged_at=self.report.logged_at,
            logged_by=analyst(self.worker),
        )


@dataclass(frozen=True)
class Figures:
    """How a load run went."""

    processes: int
    reports: int
    seconds: float  # from the first worker starting to the last one finishing
    failures: list[str]

    @property
    def per_second(self) -> float:
        return self.reports / self.seconds if self.seconds > 0 else math.inf


def analyst(worker: int) -> str:
    return f"analyst-{worker}"


def question() -> Question:
    return Question(
        id=QUESTION,
        title="Will the load test hold?",
        kind=Kind.BINARY,
        opened=START,
        prior=0.3,
        criteria="All reports land exactly once.",
    )


def plan(worker: int, index: int, processes: int) -> Planned:
    """The report ``index`` of ``worker``: its id, times, origin and LR are all fixed."""
    rng = random.Random(worker * 1_000_003 + index)
    published = START + SPACING * (index * processes + worker + 1)
    report = Report(
        id=f"w{worker}-r{index:05d}",
        published=published,
        source=SOURCE,
        title=f"report {index} of worker {worker}",
        origin=f"origin {rng.randrange(ORIGINS)}",
        logged_at=published + timedelta(hours=1),
        logged_by=analyst(worker),
    )
    # LRs near 1 keep the probability away from 0 and 1 after thousands of reports.
    return Planned(worker, index, report, lr=math.exp(rng.uniform(-0.25, 0.25)))


def planned_history(processes: int, per_process: int) -> History:
    """Everything the run should leave in the database, built without touching it."""
    plans = [plan(w, i, processes) for w in range(processes) for i in range(per_process)]
    return History(
        questions=(question(),),
        sources=(Source(SOURCE, RELIABILITY, "wire", logged_at=START, logged_by="setup"),),
        reports=tuple(p.report for p in plans),
        assessments=tuple(p.assessment() for p in plans),
    )


def prepare(url: str) -> None:
    """The question and the source every worker logs against."""
    from forecast.api import Tracker

    tracker = Tracker.open(url, user="setup")
    try:
        tracker.add_source(SOURCE, RELIABILITY, "wire")
        tracker.add_question(question())
    finally:
        tracker.store.close()


def run(url: str, processes: int, per_process: int) -> Figures:
    """Start ``processes`` workers together; wait for all; return the figures."""
    context = multiprocessing.get_context("spawn")  # no inherited connections or locks
    barrier = context.Barrier(processes)
    results = context.Queue()
    workers = [
        context.Process(target=_work, args=(url, w, processes, per_process, barrier, results))
        for w in range(processes)
    ]
    for worker in workers:
        worker.start()
    outcomes = [results.get(timeout=BARRIER_TIMEOUT + 600) for _ in workers]
    for worker in workers:
        worker.join(timeout=60)
    failures = [error for *_, error in outcomes if error]
    failures += [f"worker exited with {w.exitcode}" for w in workers if w.exitcode != 0]
    begun = min(o[1] for o in outcomes)
    ended = max(o[2] for o in outcomes)
    landed = sum(o[0] for o in outcomes)
    return Figures(processes, landed, ended - begun, failures)


def _work(
    url: str, worker: int, processes: int, per_process: int, barrier: Any, results: Any
) -> None:
    """One analyst: open the database, wait for the others, log every planned report."""
    done, begun, error = 0, time.time(), ""
    try:
        from forecast.api import Tracker

        # The store's clock, standing still at each planned report's knowledge time.
        moment = [START]
        tracker = Tracker.open(url, user=analyst(worker), clock=lambda: moment[0])
    except Exception as exc:
        barrier.abort()  # the others stop waiting for a worker that will never come
        results.put((0, begun, time.time(), f"worker {worker} could not start: {exc}"))
        return
    try:
        barrier.wait(timeout=BARRIER_TIMEOUT)
        begun = time.time()
        for index in range(per_process):
            p = plan(worker, index, processes)
            r = p.report
            assert r.logged_at is not None
            moment[0] = r.logged_at
            tracker.add_evidence(
                QUESTION, lr=p.lr, source=r.source, published=r.published,
                new_report_id=r.id, origin=r.origin, title=r.title,
            )  # fmt: skip
            done += 1
    except Exception as exc:  # reported to the parent, which fails the run
        error = f"worker {worker} failed after {done} reports: {type(exc).__name__}: {exc}"
    finally:
        tracker.store.close()
    results.put((done, begun, time.time(), error))


def open_together(url: str, processes: int) -> list[str]:
    """Open a blank database from ``processes`` processes at the same instant.

    Returns what each saw: the schema revision, or the error it hit.
    """
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(processes)
    results = context.Queue()
    workers = [
        context.Process(target=_open, args=(url, barrier, results)) for _ in range(processes)
    ]
    for worker in workers:
        worker.start()
    seen = [results.get(timeout=BARRIER_TIMEOUT + 60) for _ in workers]
    for worker in workers:
        worker.join(timeout=60)
    return seen


def _open(url: str, barrier: Any, results: Any) -> None:
    try:
        from forecast.store import Store

        barrier.wait(timeout=BARRIER_TIMEOUT)
        with Store.open(url) as store:
            results.put(store.schema_version() or "")
    except Exception as exc:  # reported to the parent
        results.put(f"{type(exc).__name__}: {exc}")
