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

from dataclasses import dataclass
from typing import Any

import numpy as np

from forecast import scoring
from forecast.backtest.methods import METHODS, Days

LOG_EPS = 1e-4  # forecasts are clipped to [eps, 1 - eps] for the log score only; the
# series never go below 3e-4, so only decayed forecasts near a deadline are clipped
BOOTSTRAP = 2000  # resamples of questions


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
    q = days.question[mask]
    ids, per_q = np.unique(q, return_inverse=True)
    y = outcome[q]
    counts = np.bincount(per_q)
    resample = _resample(rng, None if clusters is None else clusters[ids], len(ids))
    result = {}
    for rule, fn in (("brier", scoring.brier), ("log", log_scores)):
        table = {m: np.bincount(per_q, weights=fn(y, fc[m][mask])) / counts for m in METHODS}
        result[rule] = {m: _summary(table[m], table["hold"], resample) for m in METHODS}
        result[f"{rule}_by_day"] = {
            m: _summary(table[m], table["hold"], resample, counts) for m in METHODS
        }
    return Group(
        name, len(ids), int(mask.sum()), result["brier"], result["log"],
        result["brier_by_day"], result["log_by_day"],
    )  # fmt: skip


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
