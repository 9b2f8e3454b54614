"""Layer 2: an exact posterior over the date an event first happens (model v2).

An event question carries a probability for each day the event could first happen, from
its opening day to its last deadline, plus one cell for "later or never". Days are UTC
days counted from the opening day (index 0); "by D" includes all of day D.

- **Prior**: the Lomax law (``forecast.decay``) spread over days from the *anchor*, the day
  the prior was stated (the day the question was created; its opening day if it was created
  before it opened, or after its first deadline as a historical question), its scale set so
  that P(by the first deadline) = prior there.
  Days before the anchor carry no mass: a question created today with an opening date last
  month does not start decayed.
- **Silence**: on day t the days before t are ruled out, so
  ``P(by D_k at t) = mass(t..D_k) / mass(t..end)``; the ladder is coherent by construction.
- **Reports** multiply the days they speak to by their effective likelihood (layer 1): by
  default every day up to the first deadline still ahead on the report's day; ``by`` a
  chosen deadline; or ``around`` a date give or take ``within`` days, which makes the
  scheduled days likely without decaying them before they come.

Everything is kept as log-weights over cells; a ``Calendar`` knows the cells of one
question and turns a report's target into the likelihood vector layer 1 consumes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np

from forecast.clock import day_start
from forecast.decay import log_survival_np, rate_for_probability
from forecast.domain import Question
from forecast.updating import logit


def day_index(first: datetime, when: datetime) -> int:
    """Whole UTC days from the day ``first`` falls on to the day ``when`` falls on."""
    return (day_start(when) - day_start(first)).days


@dataclass(frozen=True)
class Target:
    """The days a report speaks to: ``by`` a deadline, or ``around`` a date ± ``within``."""

    by: datetime | None = None
    around: datetime | None = None
    within: int = 0


class Calendar:
    """The day cells of one event question: 0..last deadline, then "later or never"."""

    def __init__(self, question: Question):
        self.question = question
        self.first = day_start(question.opened)
        self.deadlines = np.array([day_index(self.first, d) for d in question.deadlines])
        self.last = int(self.deadlines[-1])
        self.size = self.last + 2  # one cell per day, plus "later or never"
        self.anchor = _anchor(question, self.first, int(self.deadlines[0]))

    def day(self, index: int) -> datetime:
        return self.first + timedelta(days=int(index))

    def prior(self, probability: float | None = None) -> np.ndarray:
        """Log-weights of the prior: the Lomax law from the anchor day.

        ``probability`` stands in for the question's prior P(by the first deadline): a linked
        question's day cells given one state of its parent follow the same law at the
        probability its link states. 0 puts all the mass on "later or never"; 1 on the
        anchor day.
        """
        q = self.question
        p = q.prior if probability is None else probability
        assert p is not None
        a = self.anchor
        horizon = float(self.deadlines[0] - a + 1)  # days a..D_1, both included
        scale = rate_for_probability(_log_odds(p), horizon, q.shape)
        x = np.arange(self.size - a, dtype=float)  # days since the anchor, at each cell's start
        log_s = log_survival_np(x, scale, q.shape)
        with np.errstate(divide="ignore", invalid="ignore"):
            log_next = log_survival_np(x + 1.0, scale, q.shape)
            # mass of a day = S(x) - S(x + 1); the "later" cell keeps S(x) itself
            cells = log_s + np.log(-np.expm1(log_next - log_s))
        cells[-1] = log_s[-1]
        cells = np.where(np.isnan(cells), -np.inf, cells)
        return np.concatenate([np.full(a, -np.inf), cells])

    def rung(self, day: int) -> int:
        """Index of the first deadline still open on ``day`` (the last one once all passed)."""
        return int(rungs(self.deadlines, np.array([day]))[0])

    def mask(self, day: int, target: Target) -> np.ndarray:
        """Which cells a report published on ``day`` speaks to."""
        cells = np.zeros(self.size, dtype=bool)
        if target.around is not None:
            centre = day_index(self.first, target.around)
            lo, hi = max(centre - target.within, 0), min(centre + target.within, self.last)
            cells[lo : hi + 1] = True
            return cells
        if target.by is not None:
            end = day_index(self.first, target.by)
        elif day <= self.last:
            end = int(self.deadlines[self.rung(day)])
        else:
            return cells  # after the last deadline: nothing left to move
        cells[: end + 1] = True
        return cells


def _log_odds(p: float) -> float:
    """``logit(p)``, and -inf or inf at the ends, where the Lomax scale is inf or 0."""
    if p <= 0.0:
        return -math.inf
    if p >= 1.0:
        return math.inf
    return logit(p)


def _anchor(question: Question, first: datetime, primary: int) -> int:
    """The day the prior was stated: its creation day, between the opening and the first
    deadline. A question entered after its first deadline is a historical one, whose prior
    speaks of its opening day."""
    if question.created_at is None:
        return 0
    created = day_index(first, question.created_at)
    return max(created, 0) if created <= primary else 0


def tails(log_weights: np.ndarray) -> np.ndarray:
    """Rows of mass(i..end) for each cell i (and 0 past the end), each row scaled by its max."""
    shape = log_weights.shape
    out = np.zeros((*shape[:-1], shape[-1] + 1))
    w = np.exp(log_weights - np.max(log_weights, axis=-1, keepdims=True))
    np.cumsum(w[..., ::-1], axis=-1, out=out[..., -2::-1])  # mass(i..end), written backwards
    return out


def ladder(
    tail: np.ndarray, version: np.ndarray, days: np.ndarray, deadlines: np.ndarray
) -> np.ndarray:
    """P(by each deadline | nothing before the day), one row per evaluated day.

    ``tail`` holds ``tails`` of each version of the log-weights; ``version`` says which one
    stands on each of ``days``. A rung whose deadline is before the day reads 0.
    """
    ahead = tail[version, np.minimum(days, tail.shape[1] - 2)]  # mass(t..end)
    beyond = tail[version[:, None], deadlines[None, :] + 1]  # mass(D_k + 1..end), per rung
    with np.errstate(divide="ignore", invalid="ignore"):
        p = 1.0 - beyond / ahead[:, None]
    p = np.where(days[:, None] <= deadlines[None, :], np.clip(p, 0.0, 1.0), 0.0)
    return np.where(np.isnan(p), 1.0, p)  # every cell ahead ruled out: it must be now


def rungs(deadlines: np.ndarray, days: np.ndarray) -> np.ndarray:
    """The first deadline still open on each day (the last one once all have passed)."""
    return np.minimum(np.searchsorted(deadlines, days, side="left"), len(deadlines) - 1)


@dataclass(frozen=True)
class When:
    """When the event will happen, given that it has not by ``since``."""

    median: datetime | None
    p50: tuple[datetime, datetime] | None
    p90: tuple[datetime, datetime] | None
    beyond: float  # P(not by the last deadline)
    days: list[datetime]  # each day from ``since`` to the last deadline
    probability: np.ndarray  # P(first happens on that day)


def when(calendar: Calendar, log_weights: np.ndarray, since: int) -> When:
    """The date distribution from ``since`` on: median, central 50% and 90% intervals."""
    since = min(max(since, 0), calendar.last + 1)
    w = np.exp(log_weights - np.max(log_weights))
    w[:since] = 0.0
    total = w.sum()
    p = w / total if total > 0 else np.eye(1, len(w), len(w) - 1).ravel()
    days = p[since : calendar.last + 1]
    cdf = np.cumsum(days)

    def quantile(q: float) -> datetime | None:
        at = int(np.searchsorted(cdf, q - 1e-12, side="left"))
        return calendar.day(since + at) if at < len(days) else None

    def interval(lo: float, hi: float) -> tuple[datetime, datetime] | None:
        a, b = quantile(lo), quantile(hi)
        return None if a is None or b is None else (a, b)

    return When(
        median=quantile(0.5),
        p50=interval(0.25, 0.75),
        p90=interval(0.05, 0.95),
        beyond=float(p[-1]),
        days=[calendar.day(since + i) for i in range(len(days))],
        probability=days,
    )
