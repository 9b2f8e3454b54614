"""Core speed: daily trajectories in bulk, `forecast show --json`, and one evidence write.

Prints figures; asserts nothing. Run: .venv/bin/python benchmarks/bench_core.py
"""

from __future__ import annotations

import math
import os
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import numpy as np

from forecast.api import Tracker
from forecast.clock import parse_time
from forecast.domain import Kind, Question
from forecast.event_dates import Calendar, Target
from forecast.trajectory import compute
from forecast.updating import Item

ROOT = Path(__file__).resolve().parent.parent
N_QUESTIONS, N_REPORTS, N_DAYS = 1_000, 50, 365


def synthetic(rng: np.random.Generator) -> list[tuple[Question, list[Item]]]:
    """Half state, half event questions (two-deadline ladders, day-level date vectors)."""
    opened = parse_time("2025-01-01")
    out = []
    for i in range(N_QUESTIONS):
        kind = Kind.EVENT if i % 2 else Kind.BINARY
        deadlines = (opened + timedelta(days=300), opened + timedelta(days=400))
        q = Question(
            f"q{i}",
            "bench",
            kind,
            opened,
            prior=float(rng.uniform(0.05, 0.95)),
            deadlines=deadlines if kind is Kind.EVENT else (),
            alpha=1.0 if kind is Kind.EVENT else None,
        )
        day = np.sort(rng.integers(0, 299, N_REPORTS))
        origin = rng.integers(0, 35, N_REPORTS)  # some reports echo one another
        log_lr = rng.normal(0, 0.7, N_REPORTS)
        calendar = Calendar(q) if kind is Kind.EVENT else None
        items = [
            Item(
                f"q{i}r{j}",
                (int(day[j]), j),
                int(day[j]),
                f"o{origin[j]}",
                float(rng.uniform(0.3, 1.0)),
                "a",
                float(log_lr[j]),
                f"s{j % 12}",
                None if calendar is None else calendar.mask(int(day[j]), Target()),
            )
            for j in range(N_REPORTS)
        ]
        out.append((q, items))
    return out


def bench_trajectories() -> float:
    data = synthetic(np.random.default_rng(1))
    end = parse_time("2025-01-01") + timedelta(days=N_DAYS - 1)
    best = math.inf
    for _ in range(3):
        start = time.perf_counter()
        for q, items in data:
            compute(q, items, end)
        best = min(best, time.perf_counter() - start)
    return best


def bench_show() -> tuple[float, bool]:
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, FORECAST_DB=str(Path(tmp) / "demo.db"))
        forecast = [sys.executable, "-m", "forecast.cli"]
        subprocess.run([*forecast, "demo"], env=env, check=True, capture_output=True)
        probe = (
            "import sys, runpy; sys.argv=['forecast','show','putin-trump-meeting','--json'];"
            "import forecast.cli as c; rc=c.main(sys.argv[1:]);"
            "sys.stderr.write(str(any(m in sys.modules for m in ('pymc','streamlit'))))"
        )
        walls = []
        for _ in range(5):
            start = time.perf_counter()
            done = subprocess.run(
                [sys.executable, "-c", probe], env=env, check=True, capture_output=True, text=True
            )
            walls.append(time.perf_counter() - start)
        return min(walls), done.stderr.strip() == "True"


def bench_write(reports: int = 200) -> float:
    """One evidence write (with its snapshot) on an event question already holding 200 reports."""
    with tempfile.TemporaryDirectory() as tmp:
        tracker = Tracker.open(str(Path(tmp) / "w.db"), user="bench")
        opened = parse_time("2025-01-01")
        tracker.add_question(
            Question(
                "q",
                "bench",
                Kind.EVENT,
                opened,
                prior=0.3,
                deadlines=(opened + timedelta(days=300), opened + timedelta(days=400)),
            )
        )
        tracker.add_source("S", 0.8)
        for j in range(reports):
            tracker.add_evidence(
                "q", lr=1.1, source="S", published=opened + timedelta(days=j % 250), origin=f"o{j}"
            )
        walls = []
        for j in range(5):
            start = time.perf_counter()
            tracker.add_evidence("q", lr=0.9, source="S", published=opened + timedelta(days=j))
            walls.append(time.perf_counter() - start)
        return min(walls)


if __name__ == "__main__":
    seconds = bench_trajectories()
    print(
        f"trajectories: {N_QUESTIONS} questions x {N_REPORTS} reports x {N_DAYS} days: "
        f"{seconds:.3f} s (best of 3, one core)"
    )
    wall, heavy = bench_show()
    print(
        f"forecast show ID --json on the demo: {wall:.3f} s wall (best of 5); "
        f"imports PyMC or Streamlit: {heavy}"
    )
    print(f"one evidence write with its snapshot, question of 200 reports: {bench_write():.4f} s")
