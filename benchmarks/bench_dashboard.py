"""Dashboard speed: 500 questions and 20,000 assessments, overview and question page.

Builds the database in one transaction through the store, then times every question's state
(``Tracker.states``, the overview's data: cold, again, and after a write), the weekly
report, and AppTest runs
of the overview and of a question page, cold (every dashboard cache, the states and the
linked groups' results the process remembers, and the cache folder emptied before the run;
the Python modules stay imported), restarted (the same, but the cache folder kept, as after the
dashboard's restart or in a second worker) and warm (caches kept, as for a second visitor).
Prints figures; asserts nothing. Run: .venv/bin/python benchmarks/bench_dashboard.py
Targets from the dashboard issue: overview under 2 s, question page under 1 s, warm.

``--linked 30`` links that many of the binary and event questions into one network (a tree:
question j's parent is question (j - 1) // 2 of them, P(child | parent) 0.7 / 0.2, an event
parent by its first deadline), as the linked-questions issue asks: the overview of 500
questions with 30 linked, under 2 s.
"""

from __future__ import annotations

import os
import random
import statistics
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from forecast.clock import parse_time
from forecast.domain import Assessment, Kind, Question, Report, Source
from forecast.links import QuestionLink
from forecast.store import Store

N_QUESTIONS, N_ASSESSMENTS, N_REPORTS, N_SOURCES = 500, 20_000, 8_000, 40
OPENED = parse_time("2025-01-01")
SPAN_DAYS = 300  # reports are spread over this many days after the opening
AS_OF = OPENED + timedelta(days=SPAN_DAYS + 1)
WARM_RUNS = 5
COLD_RUNS = 3
APP = Path(__file__).resolve().parents[1] / "dashboards" / "app.py"


def build(path: str | Path, seed: int = 1) -> None:
    """Fill a new database at ``path`` with the benchmark's synthetic records."""
    rng = random.Random(seed)
    store = Store.open(str(path))
    try:
        with store.write() as tx:
            for i in range(N_SOURCES):
                tx.insert_source(
                    Source(f"source {i}", rng.uniform(0.3, 0.95), "outlet", logged_at=OPENED)
                )
            questions = [_question(i) for i in range(N_QUESTIONS)]
            for q in questions:
                tx.insert_question(q)
            published = [
                OPENED + timedelta(minutes=rng.randrange(SPAN_DAYS * 24 * 60))
                for _ in range(N_REPORTS)
            ]
            for i, when in enumerate(published):
                tx.insert_report(
                    Report(
                        f"r{i}",
                        when,
                        f"source {i % N_SOURCES}",
                        title=f"report {i}",
                        origin=f"o{rng.randrange(N_REPORTS // 2)}",
                        logged_at=when + timedelta(hours=2),
                    )
                )
            for i in range(N_ASSESSMENTS):
                q = questions[i % N_QUESTIONS]
                r = rng.randrange(N_REPORTS)
                # one analyst per (report, question) keeps the pairs unique, as the API would
                tx.insert_assessment(_assessment(i, q, r, published[r], rng))
    finally:
        store.close()


def link(path: str | Path, count: int) -> list[str]:
    """Link ``count`` binary and event questions into one tree, known from the opening
    (stored as an import would, so the links stand at the benchmark's as-of); returns their
    ids."""
    chosen = [f"q{i}" for i in range(N_QUESTIONS) if i % 5][:count]
    questions = {q.id: q for q in map(_question, range(N_QUESTIONS))}
    store = Store.open(str(path))
    try:
        with store.write() as tx:
            for j, child in enumerate(chosen[1:], start=1):
                parent = questions[chosen[(j - 1) // 2]]
                tx.insert_link(
                    QuestionLink(
                        child,
                        (parent.id,),
                        ((("yes",), (0.7,)), (("no",), (0.2,))),
                        (parent.deadlines[0] if parent.deadlines else None,),
                        logged_at=OPENED,
                        logged_by="benchmark",
                        reason="benchmark",
                    )
                )
    finally:
        store.close()
    return chosen


def _question(i: int) -> Question:
    title = f"Benchmark question {i}"
    if i % 5 == 0:
        options = (("a", 0.3), ("b", 0.3), ("c", 0.4))
        return Question(f"q{i}", title, Kind.CHOICE, OPENED, options=options, created_at=OPENED)
    if i % 2:
        deadlines = (OPENED + timedelta(days=SPAN_DAYS + 30), OPENED + timedelta(days=400))
        return Question(
            f"q{i}", title, Kind.EVENT, OPENED, prior=0.3, deadlines=deadlines, created_at=OPENED
        )
    return Question(f"q{i}", title, Kind.BINARY, OPENED, prior=0.5, created_at=OPENED)


def _assessment(i: int, q: Question, report: int, published, rng: random.Random) -> Assessment:
    common = {
        "id": f"a{i}",
        "report_id": f"r{report}",
        "question_id": q.id,
        "analyst": f"analyst {i}",
        "rationale": "synthetic",
        "logged_at": published + timedelta(hours=3),
    }
    if q.kind is Kind.CHOICE:
        likelihoods = tuple((name, rng.lognormvariate(0, 0.5)) for name in q.option_names[:2])
        return Assessment(likelihoods=likelihoods, **common)
    return Assessment(lr=rng.lognormvariate(0, 0.5), **common)


def _app():
    """A new app session on the overview at the bench's as-of. A Streamlit server looks for
    installed components once, when it starts; a test app looks at its first run (0.2-0.3 s
    here), so every app made here shares the one the first found: a run's time is its
    page's, as a visitor waits for it."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(APP), default_timeout=120)
    at.session_state["as_of"] = AS_OF.date()
    if _COMPONENTS:
        at._bidi_component_manager = _COMPONENTS[0]
    return at


_COMPONENTS: list = []  # the component registry the first app found (see ``_app``)


# A server's first visitor after a restart, timed in a new process (see ``_time_new_process``)
_NEW_PROCESS = """
import sys, time
sys.path.insert(0, sys.argv[1])
import bench_dashboard as bench
from dashboards import asof, components, frames, identity, state, text, trust  # imports
from streamlit.components.v2.component_manager import BidiComponentManager
found = BidiComponentManager()
found.discover_and_register_components(start_file_watching=False)  # as a server, at start
bench._COMPONENTS.append(found)
at = bench._app()
start = time.perf_counter()
at.run()
print(time.perf_counter() - start)
assert not at.exception, at.exception
"""


def _time_new_process(label: str) -> None:
    """The overview in a new process, the cache folder kept: what a restarted server's first
    visitor waits, past what the server did before (its imports, the components found)."""
    import subprocess
    import sys

    here = str(Path(__file__).resolve().parent)
    runs = []
    for _ in range(COLD_RUNS):
        done = subprocess.run(
            [sys.executable, "-c", _NEW_PROCESS, here],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        runs.append(float(done.stdout.split()[-1]))
    print(
        f"{label:<24} in a new process (the cache folder kept) median "
        f"{statistics.median(runs):6.3f} s (min {min(runs):.3f}, max {max(runs):.3f})"
    )


def _time_runs(label: str, page: str | None, query: dict[str, str]) -> None:
    """Time one page: cold (every cache emptied first), then warm (caches kept)."""
    import streamlit as st

    from forecast import api

    def one(*, cold: bool, kept: bool = False) -> float:
        at = _app()
        if page is not None:
            at.run()
            at.switch_page(page)
            at.query_params.update(query)
        if cold:
            st.cache_resource.clear()
            st.cache_data.clear()
            api.forget(kept=not kept)
        start = time.perf_counter()
        at.run()
        elapsed = time.perf_counter() - start
        if at.exception:
            raise RuntimeError(f"{label}: {at.exception[0].message}")
        return elapsed

    cold = [one(cold=True) for _ in range(COLD_RUNS)]
    restarted = [one(cold=True, kept=True) for _ in range(COLD_RUNS)]
    warm = [one(cold=False) for _ in range(WARM_RUNS)]
    print(
        f"{label:<24} cold median {statistics.median(cold):6.3f} s   "
        f"restarted median {statistics.median(restarted):6.3f} s   "
        f"warm median {statistics.median(warm):6.3f} s "
        f"(min {min(warm):.3f}, max {max(warm):.3f})"
    )


def _write(store: Store, question: str, published) -> None:
    """A new report, and one assessment of it on ``question``, logged just before the as-of."""
    n = f"new{time.perf_counter_ns()}"
    with store.write() as tx:
        tx.insert_report(
            Report(n, published, "source 0", title="new", origin=n,
                   logged_at=AS_OF - timedelta(hours=1))
        )  # fmt: skip
        tx.insert_assessment(
            Assessment(id=n, report_id=n, question_id=question, analyst="bench",
                       rationale="synthetic", lr=2.0, logged_at=AS_OF - timedelta(hours=1))
        )  # fmt: skip


def _time_after_writes(db: Path, question: str) -> None:
    """The overview's first run after a write (a report on ``question`` published on the
    last day; caches kept): what the first visitor after a colleague's write waits. Twice:
    written through the API, as the CLI and the dashboard write (the write's snapshot
    computes the question's group, as it stands that day, in the writer's process: that
    wait is the writer's, printed beside), and written into the store directly, with no
    snapshot (the overview computes the group's days again itself)."""
    from forecast.api import Tracker

    tracker = Tracker(Store.open(str(db)), clock=lambda: AS_OF + timedelta(hours=1))
    found: dict[str, list[float]] = {"the API": [], "the store, no snapshot": []}
    writer = []
    try:
        for way in found:
            for _ in range(COLD_RUNS):
                warm = _app()
                warm.run()  # caches warm
                if way == "the API":
                    start = time.perf_counter()
                    tracker.add_evidence(
                        question, lr=2.0, source="source 0", title="new",
                        published=AS_OF - timedelta(days=1), rationale="synthetic",
                        force=True,  # another report like the last run's
                    )  # fmt: skip
                    writer.append(time.perf_counter() - start)
                else:
                    _write(tracker.store, question, AS_OF - timedelta(days=1))
                at = _app()
                start = time.perf_counter()
                at.run()
                found[way].append(time.perf_counter() - start)
                if at.exception:
                    raise RuntimeError(f"overview after a write: {at.exception[0].message}")
    finally:
        tracker.store.close()
    for way, runs in found.items():
        print(f"{'overview after a write':<24} median {statistics.median(runs):6.3f} s "
              f"(min {min(runs):.3f}, max {max(runs):.3f}), written through {way}")  # fmt: skip
    print(
        f"{'  the API write itself':<24} median {statistics.median(writer):6.3f} s "
        "(its snapshot computes the group)"
    )


def _time_states(db: Path, linked: list[str]) -> None:
    """Time every question's state (the overview's data): cold (nothing remembered), again
    (the same records), and after a write: a new report on a linked question, published on
    the last day, or 200 days before it (a late find: every day after it changes)."""
    from forecast import api
    from forecast.api import Tracker

    tracker = Tracker(Store.open(str(db)))

    def once() -> float:
        start = time.perf_counter()
        tracker.states(as_of=AS_OF)
        return time.perf_counter() - start

    api.forget()
    figures = {"cold": once(), "again": once()}
    api.forget(kept=False)
    figures["restarted (the cache folder kept)"] = once()
    if linked:
        for label, back in (("a write on the last day", 1), ("a write 200 days back", 200)):
            _write(tracker.store, linked[0], AS_OF - timedelta(days=back))
            figures[f"after {label}"] = once()
    tracker.store.close()
    for label, seconds in figures.items():
        print(f"{'states, ' + label:<40} {seconds:6.3f} s")


def _time_weekly(db: Path) -> None:
    """Time the weekly report's statistics (``weekly.build``, the last complete week before
    the as-of) and its md and html files: cold, again, and restarted (the cache folder
    kept). With links, each linked question's before and after come from its group."""
    from forecast import api
    from forecast.api import Tracker
    from forecast.reports import render, weekly

    tracker = Tracker(Store.open(str(db)), clock=lambda: AS_OF)
    figures = {}
    api.forget()
    for label in ("cold", "again", "restarted (the cache folder kept)"):
        if label.startswith("restarted"):
            api.forget(kept=False)
        start = time.perf_counter()
        stats = weekly.build(tracker)
        figures[label] = time.perf_counter() - start
    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        render.write(stats, Path(out), ["md", "html"])
        figures["md and html files, charts included"] = time.perf_counter() - start
    tracker.store.close()
    for label, seconds in figures.items():
        print(f"{'weekly report, ' + label:<40} {seconds:6.3f} s")
    print(f"  ({stats.open_questions} open questions, {len(stats.movers)} movers)")


def main() -> None:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--linked", type=int, default=0, help="questions to link (0: none)")
    linked = parser.parse_args().linked
    with tempfile.TemporaryDirectory() as folder:
        os.environ["FORECAST_CACHE"] = str(Path(folder) / "cache")
        db = Path(folder) / "bench.db"
        start = time.perf_counter()
        build(db)
        print(
            f"{'build (one transaction)':<28} {time.perf_counter() - start:6.3f} s "
            f"({N_QUESTIONS} questions, {N_ASSESSMENTS} assessments, {N_REPORTS} reports)"
        )
        chosen = link(db, linked) if linked else []
        if chosen:
            print(f"{'linked':<28} {len(chosen)} questions in one network (root {chosen[0]})")
        _time_states(db, chosen)
        _time_weekly(db)
        os.environ["FORECAST_DB"] = str(db)
        start = time.perf_counter()
        first = _app()
        first.run()  # imports, first connection, the components found
        _COMPONENTS.append(first._bidi_component_manager)
        print(f"{'first run in the process':<24} {time.perf_counter() - start:6.3f} s")
        _time_runs("overview", None, {})
        _time_new_process("overview")
        if chosen:
            _time_after_writes(db, chosen[0])
        for qid, kind in (("q1", "event"), ("q2", "binary"), ("q5", "choice")):
            _time_runs(f"question page ({kind})", "views/question.py", {"q": qid})


if __name__ == "__main__":
    main()
