"""The whole backtest run and what it prints.

``run`` reads the files, replays the team and fits the learned model walk-forward;
``assess`` then chooses (b)'s alpha on the days before the first fit (the tuning period)
and scores the four methods on the days from it (the scored window). ``Report`` holds the
result (``to_json`` for ``forecast backtest --json``) and ``table`` prints it as plain text.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from forecast.backtest.data import Tracked, early_yes, iso_day, load
from forecast.backtest.methods import (
    BY_PLATFORM,
    CADENCE,
    METHODS,
    REFIT_DAYS,
    Days,
    Fit,
    forecasts,
    replay,
    walk_forward,
)
from forecast.backtest.scores import Group, Score, Tuning, score_group, tune_decay
from forecast.domain import ForecastError

LABELS = {
    "hold": "(a) hold last update",
    "decay": "(b) hold + decay (events)",
    "learned": "(c) learned (PyMC)",
    "fresh": "(d) fresh daily series",
}


@dataclass(frozen=True)
class Report:
    """Everything the backtest measured."""

    cadence: int
    refit_days: int
    questions: int  # with a series and at least one scored day
    kinds: dict[str, int]
    early_yes: dict[str, float]
    fits: list[Fit]
    groups: list[Group]
    window_start: int
    tuning: Tuning | None = None  # how (b)'s alpha was chosen
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "cadence": self.cadence,
            "refit_days": self.refit_days,
            "questions": self.questions,
            "kinds": self.kinds,
            "early_yes": self.early_yes,
            "scored_from": iso_day(self.window_start),
            "fits": [f.to_json() for f in self.fits],
            "groups": [g.to_json() for g in self.groups],
            "verdict": verdict(self),
            "tuning": None if self.tuning is None else self.tuning.to_json(),
            **self.extra,
        }


def run(
    questions_path: str | Path,
    series_path: str | Path,
    *,
    cadence: int = CADENCE,
    refit_days: int = REFIT_DAYS,
    seed: int = 0,
    settings: Any = None,
    progress: Callable[[int, int], None] | None = None,
    by_platform: bool = BY_PLATFORM,
) -> Report:
    """The whole backtest (see the docstring of ``forecast.backtest``); ``by_platform``:
    the learned method (c) with offsets by platform."""
    from forecast.learning.model import SamplerSettings

    if cadence < 1 or refit_days < 1:
        raise ForecastError("--cadence and the refit interval must be at least 1 day")
    questions = load(questions_path, series_path)
    days = replay(questions, cadence)
    settings = settings or SamplerSettings(draws=300, tune=300, chains=2, seed=seed)
    fits, learned = walk_forward(
        questions, days, refit_days, settings, progress, by_platform=by_platform
    )
    return assess(questions, days, fits, learned, cadence=cadence, refit_days=refit_days, seed=seed)


def assess(
    questions: Sequence[Tracked],
    days: Days,
    fits: list[Fit],
    learned: np.ndarray,
    *,
    cadence: int = CADENCE,
    refit_days: int = REFIT_DAYS,
    seed: int = 0,
) -> Report:
    """The report from the replay and the walk-forward fits: (b)'s alpha chosen on the
    tuning period (``tune_decay``, on what resolved before the first fit), then every
    method scored on the window from the first fit."""
    window_start = int(fits[0].day)
    tuning = tune_decay(questions, days, window_start)
    fc = forecasts(days, lambda _: learned, tuning.alpha)
    outcome = np.array([q.outcome for q in questions])
    window = days.day >= window_start  # out of sample for (c): every method on these days
    rng = np.random.default_rng(seed)
    related = np.array([q.cluster for q in questions])
    groups = [
        score_group("all", days, fc, outcome, window, rng, related, questions),
        score_group("event", days, fc, outcome, window & days.event, rng, related, questions),
    ]
    scored = np.unique(days.question)
    return Report(
        cadence=cadence,
        refit_days=refit_days,
        questions=len(scored),
        kinds={
            k: sum(questions[i].kind == k for i in scored) for k in ("event", "state", "unknown")
        },
        early_yes=early_yes(questions),
        fits=fits,
        groups=groups,
        window_start=window_start,
        tuning=tuning,
    )


# --------------------------------------------------------------------------- printing


def table(report: Report) -> str:
    """The report as the plain-text table ``forecast backtest`` prints."""
    k = report.kinds
    first = report.fits[0]
    lines = [
        f"Backtest on {report.questions} questions with series ({k['event']} event, "
        f"{k['state']} state, {k['unknown']} without text, treated as state)",
        f"team updates every {report.cadence} days; PyMC refit every {report.refit_days} days "
        f"on questions resolved before it ({len(report.fits)} fits, first {iso_day(first.day)} "
        f"on {first.questions} questions)",
        f"scored on every tracked, unresolved day from {iso_day(report.window_start)}; "
        "mean of per-question time averages, [95% bootstrap interval over clusters of "
        "related questions]",
        "",
    ]
    for g in report.groups:
        lines.append(f"{g.name} questions: {g.questions} ({g.days} question-days)")
        lines.append(
            f"  {'method':<28}{'Brier':>8} {'interval':<18}{'vs (a)':>9} "
            f"{'interval':<20}{'log':>7} {'interval':<16}{'vs (a)':>8}"
        )
        for m in METHODS:
            b, lg = g.brier[m], g.log[m]
            lines.append(
                f"  {LABELS[m]:<28}{b.mean:8.4f} [{b.low:.4f}, {b.high:.4f}] "
                f"{b.diff:+9.4f} [{b.diff_low:+.4f}, {b.diff_high:+.4f}] "
                f"{lg.mean:7.4f} [{lg.low:.3f}, {lg.high:.3f}] {lg.diff:+8.4f}"
            )
        if g.brier_by_day:
            shown = (
                f"{m} {g.brier_by_day[m].diff:+.4f} [{g.brier_by_day[m].diff_low:+.4f}, "
                f"{g.brier_by_day[m].diff_high:+.4f}]"
                for m in METHODS[1:]
            )
            lines.append(f"  weighted by scored days, Brier vs (a): {'; '.join(shown)}")
        for weighting, found in g.influence.items():
            lines.append(f"  (c)'s most influential, {_WEIGHTINGS[weighting]}: {found.describe()}")
        lines.append("")
    last = report.fits[-1]
    lines.append(
        f"last fit ({iso_day(last.day)}, {last.questions} questions): alpha {last.alpha:.2f}, "
        f"decaying share {last.decay_share:.2f}; "
        f"event shift {last.shift['event']:+.2f} slope {last.slope['event']:.2f}; "
        f"state shift {last.shift['state']:+.2f} slope {last.slope['state']:.2f}"
    )
    for factor, levels in last.offsets.items():
        shown = (f"{name} {a:+.2f} {b:+.2f}" for name, (a, b) in levels.items())
        lines.append(f"  {factor} offsets on shift and slope: {'; '.join(shown)}")
    e = report.early_yes
    lines.append(
        f"YES questions resolved >= 7 days before close: event {e['event']:.0%}, "
        f"state {e['state']:.0%} (a label-free check of the classification)"
    )
    if report.tuning is not None:
        lines.append(report.tuning.describe())
    lines.append("Data: ForecastBench (Karger et al., ICLR 2025), CC BY-SA 4.0.")
    lines.append(f"Verdict: {verdict(report)}")
    return "\n".join(lines)


_WEIGHTINGS = {"per_question": "per question", "by_day": "by scored days"}


def _against_hold(score: Score) -> str:
    """How a method did against holding, by the 95% interval of its Brier difference."""
    shown = f"{score.diff:+.4f} [{score.diff_low:+.4f}, {score.diff_high:+.4f}]"
    return {
        -1: f"beats holding ({shown})",
        1: f"does worse than holding ({shown})",
        0: f"is neither clearly better nor worse than holding ({shown})",
    }[_reading(score)]


def verdict(report: Report) -> str:
    """One plain sentence a team lead can act on: does the learned method (c) earn its keep
    on event questions, per question and weighted by scored days, without doing worse over
    all questions? Read from the Brier score's 95% intervals against holding."""
    groups = {g.name: g for g in report.groups}
    event, every = groups["event"], groups["all"]
    by_day = event.brier_by_day or event.brier
    wins = event.brier["learned"].diff_high < 0 and by_day["learned"].diff_high < 0
    harmless = every.brier["learned"].diff_low <= 0
    act = (
        "learning recalibration and decay from resolved questions pays on event questions"
        if wins and harmless
        else "hold the stated forecasts: learning has not shown it helps under both weightings"
    )
    return (
        f"on event questions the learned method {_against_hold(event.brier['learned'])} per "
        f"question and {_against_hold(by_day['learned'])} weighted by scored days; on all "
        f"questions it {_against_hold(every.brier['learned'])}. At a {report.cadence}-day "
        f"cadence, {act}.{_resting_on_one(event)}"
    )


def _resting_on_one(event: Group) -> str:
    """A sentence for each weighting under which one cluster of related event questions
    decides whether (c) beats holding: left out, the reading of its interval changes."""
    said = ""
    for weighting, found in event.influence.items():
        score = (event.brier_by_day if weighting == "by_day" else event.brier) or event.brier
        before, after = _reading(score["learned"]), _reading(found.without)
        if before != after:
            said += (
                f" {_WEIGHTINGS[weighting].capitalize()}, that reading rests on one cluster "
                f"of related questions: without {found.name()}, the learned "
                f"method {_against_hold(found.without)}."
            )
    return said


def _reading(score: Score) -> int:
    """-1 beats holding, 1 does worse, 0 neither (by the 95% interval)."""
    return -1 if score.diff_high < 0 else (1 if score.diff_low > 0 else 0)
