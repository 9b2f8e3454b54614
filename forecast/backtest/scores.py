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

A mean over a few hundred questions can rest on one of them (a year-long question counts
300 times by scored days). ``Influence`` names, for the learned method, the cluster of
related questions whose removal moves its difference from holding the most, and the score
without it (a leave-one-cluster-out check, read from the group's own resamples).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from forecast import scoring
from forecast.backtest.data import Tracked, iso_day
from forecast.backtest.methods import ALPHAS, METHODS, Days, decaying, held_decayed
from forecast.domain import DEFAULT_ALPHA
from forecast.terminal import cell, clip

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
    # the learned method's Brier, by weighting ("per_question", "by_day"): see Influence
    influence: dict[str, Influence] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "questions": self.questions,
            "days": self.days,
            "brier": {m: s.to_json() for m, s in self.brier.items()},
            "log": {m: s.to_json() for m, s in self.log.items()},
            "brier_by_day": {m: s.to_json() for m, s in (self.brier_by_day or {}).items()},
            "log_by_day": {m: s.to_json() for m, s in (self.log_by_day or {}).items()},
            "influence": {w: i.to_json() for w, i in self.influence.items()},
        }


@dataclass(frozen=True)
class Influence:
    """The cluster of related questions whose removal moves a method's Brier difference from
    holding the most, under one weighting, and that difference without it."""

    qids: tuple[str, ...]
    text: str  # the first question's text (its qid where it has none)
    days: int  # the cluster's scored days
    diff: float  # the method against holding, every question in
    without: Score  # the same with the cluster left out, over the group's resamples

    def name(self) -> str:
        """The cluster as the text names it: its first question (on one line, at most 70
        columns), how many more, its scored question-days."""
        text = clip(cell(self.text), 70)
        more = len(self.qids) - 1
        related = f" and {more} related question{'s' if more > 1 else ''}" if more else ""
        return f'"{text}"{related} ({self.days} question-days)'

    def describe(self) -> str:
        w = self.without
        return (
            f"{self.name()}: {self.diff:+.4f} with it, {w.diff:+.4f} "
            f"[{w.diff_low:+.4f}, {w.diff_high:+.4f}] without"
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "qids": list(self.qids),
            "text": self.text,
            "days": self.days,
            "diff": self.diff,
            "without": self.without.to_json(),
        }


def score_group(
    name: str,
    days: Days,
    fc: dict[str, np.ndarray],
    outcome: np.ndarray,
    mask: np.ndarray,
    rng: np.random.Generator,
    clusters: np.ndarray | None = None,
    questions: Sequence[Tracked] | None = None,
) -> Group:
    """Time-averaged scores per question, then their mean with bootstrap intervals.

    ``clusters`` gives each question (by index) its cluster of related questions; the
    bootstrap draws clusters (default: every question its own). With ``questions`` (the
    list the days index) the group also names the learned method's most influential
    cluster under each weighting (``Influence``)."""
    ids, counts = np.unique(days.question[mask], return_counts=True)
    labels = ids if clusters is None else clusters[ids]
    resample = _resample(rng, None if clusters is None else labels, len(ids))
    result = {}
    tables = {}
    for rule, fn in (("brier", scoring.brier), ("log", log_scores)):
        table = tables[rule] = {m: time_averages(days, fc[m], outcome, mask, fn) for m in METHODS}
        result[rule] = {m: _summary(table[m], table["hold"], resample) for m in METHODS}
        result[f"{rule}_by_day"] = {
            m: _summary(table[m], table["hold"], resample, counts) for m in METHODS
        }
    influence = {}
    if questions is not None:
        brier = tables["brier"]
        for weighting, w in (("per_question", None), ("by_day", counts)):
            found = most_influential(brier["learned"], brier["hold"], labels, w, resample)
            if found is not None:
                out, without = found
                influence[weighting] = Influence(
                    qids=tuple(questions[i].qid for i in ids[out]),
                    text=questions[ids[out][0]].text or questions[ids[out][0]].qid,
                    days=int(counts[out].sum()),
                    diff=result["brier_by_day" if w is not None else "brier"]["learned"].diff,
                    without=without,
                )
    return Group(
        name, len(ids), int(mask.sum()), result["brier"], result["log"],
        result["brier_by_day"], result["log_by_day"], influence,
    )  # fmt: skip


def most_influential(
    values: np.ndarray,
    reference: np.ndarray,
    labels: np.ndarray,
    weights: np.ndarray | None,
    resample: np.ndarray,
) -> tuple[np.ndarray, Score] | None:
    """Leave one cluster out: the cluster (``labels``, one per question) whose removal moves
    the (``weights``-weighted, each above zero) mean of ``values - reference`` the most (of
    equal moves, the first label), as the indices of its questions, and the score without
    it. Its interval is read from the same resamples as the whole group's (``resample``,
    as ``_resample`` makes them), the cluster's columns dropped, so the two compare draw
    by draw; a resample that drew nothing else is left out. None with fewer than three
    clusters: two would leave one, which every resample draws alike."""
    w = np.ones(len(values)) if weights is None else np.asarray(weights, dtype=float)
    if np.any(w <= 0):
        raise ValueError("every question's weight must be above zero")
    _, label = np.unique(labels, return_inverse=True)
    if label.max(initial=0) < 2:
        return None
    gap = w * (values - reference)
    total, weight = gap.sum(), w.sum()
    left = (total - np.bincount(label, weights=gap)) / (weight - np.bincount(label, weights=w))
    worst = int(np.argmax(np.abs(left - total / weight)))
    keep = label != worst
    kept = resample[:, keep]
    kept = kept[(kept * w[keep]).sum(axis=1) > 0]
    return np.flatnonzero(~keep), _summary(values[keep], reference[keep], kept, w[keep])


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
