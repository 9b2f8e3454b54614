"""The backtest on the real ForecastBench folder: its table, its run time, and checks.

Prints the table of ``forecast backtest`` for a weekly team (the target: under 60 s), the
classifier's precision and recall on the hand-labelled sample, and, as a robustness check
rather than a choice, the same backtest for a fortnightly team. Asserts nothing.

Data: ../shared/data/forecastbench (Karger et al., "ForecastBench: A Dynamic Benchmark of
AI Forecasting Capabilities", ICLR 2025; CC BY-SA 4.0).

Run: .venv/bin/python benchmarks/bench_backtest.py [--folder DIR] [--cadences 7 14]
[--platform | --no-platform] (the learned method with or without offsets by platform;
default: ``forecast.backtest.BY_PLATFORM``)
"""

from __future__ import annotations

import argparse
import logging
import os
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FOLDER = ROOT.parent / "shared" / "data" / "forecastbench"
LABELS = ROOT / "tests" / "data" / "event_labels.csv"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folder", type=Path, default=FOLDER)
    parser.add_argument("--cadences", type=int, nargs="+", default=[7, 14])
    parser.add_argument("--platform", action=argparse.BooleanOptionalAction, default=None)
    args = parser.parse_args()
    os.environ.setdefault("PYTENSOR_FLAGS", f"base_compiledir={ROOT / '.pytensor'}")
    logging.getLogger("pymc").setLevel(logging.WARNING)
    print(f"load average before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    from forecast import backtest as bt

    by_platform = bt.BY_PLATFORM if args.platform is None else args.platform
    print(f"learned method (c) with offsets by platform: {by_platform}")

    m = bt.measure_classifier(LABELS)
    print(
        f"classifier on {m['labelled']} hand-labelled questions ({m['events']} events): "
        f"precision {m['precision']:.2f}, recall {m['recall']:.2f}; missed {m['missed']}, "
        f"wrongly event {m['wrongly_event']}"
    )
    for cadence in args.cadences:
        t = time.perf_counter()
        report = bt.run(
            args.folder / "questions.parquet",
            args.folder / "timeseries.parquet",
            cadence=cadence,
            by_platform=by_platform,
        )
        print(
            f"\n=== cadence {cadence} days: {time.perf_counter() - t:.1f} s wall "
            "(reading, replay, every walk-forward fit and the bootstrap) ==="
        )
        print(bt.table(report))
        for f in report.fits:
            print(
                f"  fit {bt.iso_day(f.day)} on {f.questions:4d} questions: alpha {f.alpha:5.2f}, "
                f"decaying share {f.decay_share:.2f}, event shift {f.shift['event']:+.2f} "
                f"slope {f.slope['event']:.2f}, state shift {f.shift['state']:+.2f} "
                f"slope {f.slope['state']:.2f}"
            )
            for factor, levels in f.offsets.items():
                shown = "; ".join(f"{n} {a:+.2f} {b:+.2f}" for n, (a, b) in levels.items())
                print(f"    {factor} offsets (shift, slope): {shown}")


if __name__ == "__main__":
    main()
