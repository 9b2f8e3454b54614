"""Scoring the methods: per-question time averages and bootstrap intervals.

Every method is scored with the Brier and log scores of ``forecast.scoring`` on each
question-day; a question's score is its time average, and a method's score is the mean over
questions, with a 95% interval from resampling questions (the same resamples for every
method, so the differences from method (a) are paired). Related questions (one award's
nominees, one month's "best AI model" by company) move together: given their clusters, the
bootstrap resamples whole clusters, so they are not counted as independent evidence. The
question-day weighted means (``brier_by_day``, ``log_by_day``) weigh each question by its
scored days instead, over the same resamples: a question tracked for 300 days counts for more
than one tracked for 8.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from forecast import scoring
from forecast.backtest.data import Tracked, iso_day
from forecast.backtest.methods import ALPHAS, METHODS, Days, decaying, held_decayed
from forecast.domain import DEFAULT_ALPHA

LOG_EPS = 1e-4  # forecasts are clipped to [eps, 1 - eps] for the log score only; the
# series never go below 3e-4, so only decayed forecasts near a deadline are clipped
BOOTSTRAP = 2000  # resamples of questions
TIE = 1e-12  # candidates of the tuning period this close in mean Brier tie


@dataclass(frozen=True)
class Score:
    """A method's mean score over questions, with its 95% bootstrap interval, and the same
    for its difference from method (a) (negative: better than holding)."""

    mean: float
    low: float
    high: float
    diff: float
    diff_low: float
    diff_high: float

    def to_json(self) -> dict[str, float]:
        return dict(vars(self))


@dataclass(frozen=True)
class Group:
    """Scores of one set of questions (all, or event questions)."""

    name: str
    questions: int
    days: int
    brier: dict[str, Score]
    log: dict[str, Score]
    brier_by_day: dict[str, Score] | None = None  # weighted by scored days
    log_by_day: dict[str, Score] | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "questions": self.questions,
            "days": self.days,
            "brier": {m: s.to_json() for m, s in self.brier.items()},
            "log": {m: s.to_json() for m, s in self.log.items()},
            "brier_by_day": {m: s.to_json() for m, s in (self.brier_by_day or {}).items()},
            "log_by_day": {m: s.to_json() for m, s in (self.log_by_day or {}).items()},
        }


def score_group(
    name: str,
    days: Days,
    fc: dict[str, np.ndarray],
    outcome: np.ndarray,
    mask: np.ndarray,
    rng: np.random.Generator,
    clusters: np.ndarray | None = None,
) -> Group:
    """Time-averaged scores per question, then their mean with bootstrap intervals.

    ``clusters`` gives each question (by index) its cluster of related questions; the
    bootstrap draws clusters (default: every question its own)."""
    ids, counts = np.unique(days.question[mask], return_counts=True)
    resample = _resample(rng, None if clusters is None else clusters[ids], len(ids))
    result = {}
    for rule, fn in (("brier", scoring.brier), ("log", log_scores)):
        table = {m: time_averages(days, fc[m], outcome, mask, fn) for m in METHODS}
        result[rule] = {m: _summary(table[m], table["hold"], resample) for m in METHODS}
        result[f"{rule}_by_day"] = {
            m: _summary(table[m], table["hold"], resample, counts) for m in METHODS
        }
    return Group(
        name, len(ids), int(mask.sum()), result["brier"], result["log"],
        result["brier_by_day"], result["log_by_day"],
    )  # fmt: skip


def time_averages(
    days: Days,
    p: np.ndarray,
    outcome: np.ndarray,
    mask: np.ndarray,
    fn: Callable[[np.ndarray, np.ndarray], np.ndarray] = scoring.brier,
) -> np.ndarray:
    """Each question's time-averaged score ``fn`` of the forecasts ``p`` over its masked
    days, the questions in ascending order of index."""
    q = days.question[mask]
    _, per_q, counts = np.unique(q, return_inverse=True, return_counts=True)
    return np.bincount(per_q, weights=fn(outcome[q], p[mask])) / counts


def log_scores(y: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Per-forecast log scores, clipped at ``LOG_EPS`` (a held 0 or 1 is not infinite)."""
    return scoring.log_score(y, p, eps=LOG_EPS)


def _resample(rng: np.random.Generator, cluster: np.ndarray | None, n: int) -> np.ndarray:
    """How many times each of ``n`` questions is drawn in each resample, (BOOTSTRAP, n):
    questions drawn one by one, or whole clusters (``cluster``: one label per question)."""
    if cluster is None:
        labels, groups = np.arange(n), n
    else:
        _, labels = np.unique(cluster, return_inverse=True)
        groups = int(labels.max()) + 1
    draws = rng.integers(0, groups, (BOOTSTRAP, groups))
    times = np.zeros((BOOTSTRAP, groups))
    np.add.at(times, (np.arange(BOOTSTRAP)[:, None], draws), 1.0)
    return times[:, labels]


def _summary(
    values: np.ndarray,
    reference: np.ndarray,
    resample: np.ndarray,
    weights: np.ndarray | None = None,
) -> Score:
    """Mean over questions (weighted by ``weights`` if given), its difference from the
    reference, and both their 95% intervals over the resamples (``resample``: how many
    times each question is drawn in each)."""
    w = np.ones(len(values)) if weights is None else np.asarray(weights, dtype=float)
    gap = values - reference
    drawn = resample * w
    means = (drawn * values).sum(axis=1) / drawn.sum(axis=1)
    diffs = (drawn * gap).sum(axis=1) / drawn.sum(axis=1)
    lo, hi = np.percentile(means, [2.5, 97.5])
    dlo, dhi = np.percentile(diffs, [2.5, 97.5])
    return Score(
        float(np.average(values, weights=w)),
        float(lo),
        float(hi),
        float(np.average(gap, weights=w)),
        float(dlo),
        float(dhi),
    )


# --------------------------------------------------------------------------- tuning (b)


def alpha_key(alpha: float | None) -> str:
    """A candidate alpha as the report names it: ``"0.5"``, ``"1"``, ... or ``"hold"``."""
    return "hold" if alpha is None else f"{alpha:g}"


@dataclass(frozen=True)
class Tuning:
    """Method (b)'s alpha, chosen on the tuning period: the event questions resolved
    before the scored window, scored on their decaying days before it."""

    end: int  # the tuning period's last day: the day before the scored window
    questions: int
    brier: dict[str, float | None]  # each candidate's mean of per-question time averages
    chosen: str  # a key of ``brier``
    alpha: float | None  # the chosen alpha (None: hold)
    reason: str  # "lowest", "tie" or "no questions" (the last two keep DEFAULT_ALPHA)

    def to_json(self) -> dict[str, Any]:
        return {
            "end": iso_day(self.end),
            "questions": self.questions,
            "brier": self.brier,
            "chosen": self.chosen,
            "reason": self.reason,
        }

    def describe(self) -> str:
        """One line for the printed table."""
        on = f"the {self.questions} event questions resolved by {iso_day(self.end)}"
        if self.reason == "no questions":
            return (
                f"(b) decays with the default alpha {self.chosen}: no event question resolved "
                f"by {iso_day(self.end)} to tune it on"
            )
        shown = ", ".join(f"{k} {v:.5f}" for k, v in self.brier.items() if v is not None)
        if self.reason == "tie":
            return (
                f"(b) decays with the default alpha {self.chosen}: the lowest candidates tie "
                f"on {on} (mean Brier on their decaying days: {shown})"
            )
        what = "holds (no decay)" if self.alpha is None else f"decays with alpha {self.chosen}"
        return f"(b) {what}, the lowest mean Brier on {on}, on their decaying days ({shown})"


def tune_decay(
    questions: Sequence[Tracked],
    days: Days,
    window_start: int,
    candidates: Sequence[float | None] = ALPHAS,
) -> Tuning:
    """Choose (b)'s alpha before the scored window: on the event questions resolved before
    ``window_start`` (every outcome used is known when the window opens), each candidate's
    per-question time-averaged Brier over their decaying days, averaged over questions; the
    lowest wins. A tie for the lowest, or no question, keeps ``DEFAULT_ALPHA``."""
    resolved = np.array([q.resolved for q in questions])
    outcome = np.array([q.outcome for q in questions])
    mask = decaying(days) & (days.day < window_start) & (resolved < window_start)[days.question]
    n = len(np.unique(days.question[mask]))
    keys = [alpha_key(a) for a in candidates]
    default = alpha_key(DEFAULT_ALPHA)
    if n == 0:
        empty: dict[str, float | None] = dict.fromkeys(keys)
        return Tuning(window_start - 1, 0, empty, default, DEFAULT_ALPHA, "no questions")
    brier = {
        k: float(time_averages(days, held_decayed(days, a), outcome, mask).mean())
        for k, a in zip(keys, candidates, strict=True)
    }
    best = min(brier.values())
    lowest = [i for i, k in enumerate(keys) if brier[k] <= best + TIE]
    if len(lowest) > 1:
        return Tuning(window_start - 1, n, dict(brier), default, DEFAULT_ALPHA, "tie")
    i = lowest[0]
    return Tuning(window_start - 1, n, dict(brier), keys[i], candidates[i], "lowest")
