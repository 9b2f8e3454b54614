"""Scoring speed: reference import and scores on ForecastBench, and the weekly report at scale.

1. `forecast import-reference` of the whole ForecastBench folder (target: under 10 s);
2. `forecast score --json --reference ... --horizon 1 --horizon 7 --horizon 30` over it
   (target: under 2 s); both run as the real command in a fresh process;
3. the weekly report (md and html, charts included) for 1,000 questions and 50,000
   assessments, 300 of them resolved, after a backfill of daily snapshots (target: under
   10 s), and the same report's PDF on its own.

ForecastBench: Karger et al., "ForecastBench: A Dynamic Benchmark of AI Forecasting
Capabilities", ICLR 2025; data CC BY-SA 4.0 (forecastingresearch/forecastbench-datasets),
read from ../shared/data/forecastbench/.

Prints figures; asserts nothing. Run: .venv/bin/python benchmarks/bench_scoring.py
"""

from __future__ import annotations

import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
FORECASTBENCH = ROOT.parent / "shared" / "data" / "forecastbench"
FORECAST = Path(sys.executable).parent / "forecast"
RUNS = 3

N_QUESTIONS, N_ASSESSMENTS, N_REPORTS, N_SOURCES, N_ANALYSTS = 1_000, 50_000, 10_000, 50, 7
N_RESOLVED = 300
OPENED = datetime(2025, 1, 1, tzinfo=UTC)
SPAN_DAYS = 300
REPORT_WEEK = "2025-W43"  # 2025-10-20 to 10-26, the weeks after the last reports


def line(label: str, seconds: float, target: float | None = None) -> None:
    goal = "" if target is None else f"   (target < {target:g} s)"
    print(f"{label:<58} {seconds:7.2f} s{goal}")


def timed(work: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = work()
    return time.perf_counter() - start, result


def cpu(work: Callable[[], Any]) -> float:
    """Processor time of ``work`` in this process: less sensitive to a busy machine."""
    start = time.process_time()
    work()
    return time.process_time() - start


def run(command: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """Wall time, processor time (user + system) and output of a command in a new process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(command, env=env, check=True, capture_output=True, text=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    used = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, used, done.stdout


# --------------------------------------------------------------------------- ForecastBench


def forecastbench(folder: Path) -> None:
    env = dict(os.environ, FORECAST_DB=str(folder / "fb.db"))
    files = [str(FORECASTBENCH / "questions.parquet"), str(FORECASTBENCH / "timeseries.parquet")]
    wall, used, out = run([str(FORECAST), "import-reference", *files, "--name", "fb"], env)
    print(out.strip())
    line("import-reference, ForecastBench folder (process)", wall, 10)
    line("  the same, processor time", used)
    score = [str(FORECAST), "score", "--json", "--reference", "fb"]
    score += ["--horizon", "1", "--horizon", "7", "--horizon", "30"]
    runs = [run(score, env)[:2] for _ in range(RUNS)]
    line(
        f"score --json at 1/7/30 days (process, median of {RUNS})",
        statistics.median(r[0] for r in runs),
        2,
    )
    line("  the same, processor time", statistics.median(r[1] for r in runs))
    probe = [sys.executable, "-c", "import forecast.cli, forecast.track_record"]
    line("  of which: starting Python and importing (processor time)", run(probe, env)[1])


# --------------------------------------------------------------------------- weekly report


def question(i: int) -> Any:
    """Every tenth question a choice, the rest alternately event (two deadlines) and binary."""
    from forecast.domain import Kind, Question

    title = f"Benchmark question {i} <with markup & text>"
    common = {"created_at": OPENED}
    if i % 10 == 0:
        options = (("a", 0.3), ("b", 0.3), ("c", 0.4))
        return Question(f"q{i}", title, Kind.CHOICE, OPENED, options=options, **common)
    if i % 2:
        deadlines = (OPENED + timedelta(days=330), OPENED + timedelta(days=400))
        return Question(f"q{i}", title, Kind.EVENT, OPENED, 0.3, deadlines=deadlines, **common)
    return Question(f"q{i}", title, Kind.BINARY, OPENED, 0.5, **common)


def assessment(i: int, q: Any, report: int, logged: datetime, rng: random.Random) -> Any:
    from forecast.domain import Assessment, Kind

    choice = q.kind is Kind.CHOICE
    return Assessment(
        f"a{i}",
        f"r{report}",
        q.id,
        analyst=f"analyst {i % N_ANALYSTS}",
        lr=None if choice else rng.lognormvariate(0, 0.7),
        likelihoods=(("a", rng.lognormvariate(0, 0.5)),) if choice else (),
        logged_at=logged,
    )


def build(store: Any, rng: random.Random) -> None:
    """1,000 questions, 10,000 reports, 50,000 assessments; 300 questions resolved.

    Reports are logged two hours after they are published; resolutions the morning after.
    """
    from forecast.domain import Kind, Report, Resolution, Source

    questions = [question(i) for i in range(N_QUESTIONS)]
    minutes = SPAN_DAYS * 24 * 60
    published = [OPENED + timedelta(minutes=rng.randrange(minutes)) for _ in range(N_REPORTS)]
    with store.write() as tx:
        for i in range(N_SOURCES):
            tx.insert_source(Source(f"source {i}", rng.uniform(0.3, 0.95), logged_at=OPENED))
        for q in questions:
            tx.insert_question(q)
        for i, when in enumerate(published):
            origin = f"o{rng.randrange(N_REPORTS // 2)}"
            source = f"source {i % N_SOURCES}"
            logged = when + timedelta(hours=2)
            tx.insert_report(
                Report(f"r{i}", when, source, f"report {i}", origin=origin, logged_at=logged)
            )
        taken: set[tuple[int, int, int]] = set()  # one assessment per analyst, report, question
        for i in range(N_ASSESSMENTS):
            r = rng.randrange(N_REPORTS)
            while (r, i % N_QUESTIONS, i % N_ANALYSTS) in taken:
                r = rng.randrange(N_REPORTS)
            taken.add((r, i % N_QUESTIONS, i % N_ANALYSTS))
            logged = published[r] + timedelta(hours=2)
            tx.insert_assessment(assessment(i, questions[i % N_QUESTIONS], r, logged, rng))
        for q in rng.sample(questions, N_RESOLVED):
            day = OPENED + timedelta(days=rng.randrange(200, SPAN_DAYS + 10))
            outcome = "a" if q.kind is Kind.CHOICE else rng.choice(["yes", "no"])
            tx.insert_resolution(Resolution(q.id, outcome, day, logged_at=day + timedelta(hours=9)))


def weekly_report(folder: Path) -> None:
    from forecast import snapshots
    from forecast.api import Tracker
    from forecast.reports import render, weekly
    from forecast.store import Store

    store = Store.open(str(folder / "weekly.db"))
    seconds, _ = timed(lambda: build(store, random.Random(7)))
    line("fill: 1,000 questions, 50,000 assessments (one transaction)", seconds)
    tracker = Tracker(store, clock=lambda: datetime(2025, 11, 1, tzinfo=UTC))
    seconds, count = timed(lambda: snapshots.backfill(tracker))
    line(f"backfill: {count:,} daily snapshots", seconds)
    runs = []
    for attempt in range(RUNS):
        out = folder / f"report-{attempt}"
        seconds, stats = timed(
            lambda out=out: _report(weekly, render, tracker, out, ["md", "html"])
        )
        runs.append(seconds)
    line(f"weekly report md+html with charts (median of {RUNS})", statistics.median(runs), 10)
    seconds = cpu(lambda: _report(weekly, render, tracker, folder / "report-cpu", ["md", "html"]))
    line("  the same, processor time", seconds)
    print(
        f"  the report: {stats.open_questions} open questions, {len(stats.track.scores)} scored, "
        f"{len(stats.track.analysts)} analyst scores, "
        f"{len(stats.new_evidence.rows) + stats.new_evidence.more} new reports"
    )
    seconds, stats = timed(lambda: weekly.build(tracker, REPORT_WEEK))
    line("  of which: statistics", seconds)
    seconds = timed(lambda: weekly.build(tracker, REPORT_WEEK, analysts=True))[0]
    line("statistics with per-analyst scores (--analysts)", seconds)
    seconds, images = timed(lambda: render.chart_images(stats))
    line("  of which: charts", seconds)
    page = render.html(stats, images)
    seconds, pdf = timed(lambda: render.pdf(page))
    line(f"the same report as PDF ({len(pdf) // 1024} KiB)", seconds)
    store.close()
    command = [str(FORECAST), "report", "weekly", "--week", REPORT_WEEK, "--out", str(folder)]
    wall, used, _ = run(command, dict(os.environ, FORECAST_DB=str(folder / "weekly.db")))
    line("`forecast report weekly` md+html in a fresh process (cron)", wall, 10)
    line("  the same, processor time", used)


def _report(weekly: Any, render: Any, tracker: Any, out: Path, formats: list[str]) -> Any:
    stats = weekly.build(tracker, REPORT_WEEK)
    render.write(stats, out, formats)
    return stats


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        if (FORECASTBENCH / "questions.parquet").exists():
            forecastbench(folder)
        else:
            print(f"no ForecastBench data at {FORECASTBENCH}: skipped")
        weekly_report(folder)


if __name__ == "__main__":
    main()
