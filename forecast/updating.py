"""Layer 1: exact Bayesian updating on likelihoods (model v2).

A report from a source of reliability r is genuine with probability r; if it is not, it is
noise that would look just as it does, as likely as the genuine report in the world it
favours most. With genuine likelihoods ``l_k`` over the states of a question,

    P(report | k)  ∝  r l_k + (1 - r) max_j l_j.

For a binary question (likelihoods ``(λ, 1)``) this gives the effective likelihood ratio

    λ ≥ 1:  λ_eff = 1 / (1 - r (1 - 1/λ))          λ < 1:  λ_eff = 1 - r (1 - λ)

which in log terms is one symmetric formula, ``-sign(x) log(1 + r expm1(-|x|))`` with
``x = log λ``: the same report gives the same answer on a question and on its negation,
r = 1 gives λ, r = 0 gives 1, and a source of reliability r never multiplies the odds by
more than ``1 / (1 - r)`` nor by less than ``1 - r``.

States are general: two for a binary question, one per option for a choice question, one
per day (plus "later") for an event question (``forecast.event_dates``). Likelihoods are
relative: scaling every ``l_k`` by one constant changes nothing, and the discounted values
are given relative to a baseline likelihood of 1 (a state the report does not name).

Echoes: reports with one origin form one item. Its reliability is ``1 - prod(1 - r_s)``
over the *distinct sources* carrying it (a source repeating itself adds nothing), and its
likelihoods are those given to its most reliable member (ties: the strongest reading of
the tied; the design's v2 text says their geometric mean, which let a milder echo from the
same outlet pull the claim back). A less reliable or equally reliable echo can only make
the claim more credible, never pull it back.

Analysts: each analyst's likelihoods for an item are the ones they gave its most reliable
member among those they assessed; the analysts' discounted log terms are averaged, so the
item counts once.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

LogLR = float | np.ndarray  # a scalar log-odds for binary questions, a vector otherwise


def discounted_log_lr(log_lr: LogLR, reliability: float) -> LogLR:
    """The effective log-likelihood of a report that is genuine with probability r.

    A scalar is the log-LR of a binary question: ``-sign(x) log1p(r expm1(-|x|))``.
    A vector holds log-likelihoods per state; the result is relative to a baseline of 1:
    ``log1p(r expm1(g - m)) - log1p(r expm1(-m))`` with ``m = max g``.
    """
    r = reliability
    if isinstance(log_lr, float):  # the hot path: plain floats, no numpy per call
        return -math.copysign(1.0, log_lr) * _log_mix_scalar(r, -abs(log_lr))
    g = np.asarray(log_lr, dtype=float)
    m = float(np.max(g))
    return _log_mix(r, g - m) - _log_mix_scalar(r, -m)


def _log_mix_scalar(r: float, d: float) -> float:
    """:func:`_log_mix` for one ``d <= 0``."""
    t = r * math.expm1(d)
    if t > -0.5:
        return math.log1p(t)
    if r == 1.0:
        return d
    # 1 - r is exact here (r >= 1/2); the sum of two positive terms loses nothing.
    return math.log((1.0 - r) + r * math.exp(d)) if d > -745.0 else math.log1p(-r)


def _log_mix(r: float, d: float | np.ndarray) -> np.ndarray:
    """``log(1 - r + r e^d)`` for ``d <= 0``, to full precision over the whole range.

    ``log1p(r expm1(d))`` is exact near 0 but reaches ``log1p(-1)`` once ``e^d`` is below
    half an ulp of 1 with r = 1 (a 1e-16 likelihood ratio from a fully trusted source).
    Where ``r expm1(d) <= -1/2`` (so r >= 1/2 and ``1 - r`` is exact) the sum of the two
    positive terms is taken in log space instead: no cancellation, and r = 1 gives d.
    """
    d = np.asarray(d, dtype=float)
    t = r * np.expm1(d)
    near = t > -0.5
    with np.errstate(divide="ignore"):
        far = np.logaddexp(np.log1p(-r), math.log(r) + d) if r > 0 else np.zeros_like(d)
    return np.where(near, np.log1p(np.where(near, t, 0.0)), far)


def echo_reliability(reliabilities: Sequence[float]) -> float:
    """Reliability of a claim carried by several distinct sources of one origin."""
    return 1.0 - math.prod(1.0 - r for r in reliabilities)


@dataclass(frozen=True)
class Item:
    """One analyst's assessment of one report for one question, ready for the maths."""

    report_id: str
    order: tuple  # sort key: (published time, report id)
    day: int  # day index from the question's opening day to the published day
    origin: str  # echo-cluster key
    reliability: float  # of the report's source
    analyst: str
    log_lr: LogLR  # binary and event: log LR; choice: log-likelihood per option
    source: str = ""  # the report's source; "" counts as a source of its own
    # event: the day cells the report speaks to. Its likelihoods are (LR on these, 1
    # elsewhere), whose discount is the scalar one on these cells: no vector maths per item.
    cells: np.ndarray | None = None


def _strength(log_lr: LogLR) -> float:
    """How far a reading moves away from 1 (its largest log-likelihood, in absolute value)."""
    return abs(log_lr) if isinstance(log_lr, float) else float(np.max(np.abs(log_lr)))


def _term(item: Item, reliability: float) -> LogLR:
    """An item's discounted log term (event: the scalar term on its cells, 0 elsewhere)."""
    term = discounted_log_lr(item.log_lr, reliability)
    if item.cells is None:
        return term
    return np.where(item.cells, term, 0.0)


class _Cluster:
    """One echo cluster as its member reports arrive, kept incrementally."""

    __slots__ = ("log_unreliability", "readings", "sources", "term")

    def __init__(self) -> None:
        self.log_unreliability = 0.0  # sum of log(1 - r_s) over the distinct sources
        self.sources: set[str] = set()
        # analyst -> the item that stands for them: the most reliable member they assessed;
        # ties take the strongest reading, because a milder telling of the same claim
        # carries less of it and must not pull the claim back.
        self.readings: dict[str, tuple[float, float, Item]] = {}
        self.term: LogLR = 0.0

    def add(self, source: str, reliability: float, assessments: Sequence[Item]) -> LogLR:
        """Add one member report; return the change in the cluster's log term."""
        if source not in self.sources:
            self.sources.add(source)
            self.log_unreliability += math.log1p(-reliability) if reliability < 1 else -math.inf
        for item in assessments:
            have = self.readings.get(item.analyst)
            rank = (reliability, _strength(item.log_lr))
            if have is None or rank > have[:2]:
                self.readings[item.analyst] = (*rank, item)
        r = -math.expm1(self.log_unreliability)
        terms = [_term(item, r) for _, _, item in self.readings.values()]
        new_term = terms[0] if len(terms) == 1 else sum(terms[1:], terms[0]) / len(terms)
        change = new_term - self.term
        self.term = new_term
        return change


class Step(NamedTuple):
    """The arrival of one report: when, and how much it moves the log-odds (or log-weights)."""

    report_id: str
    day: int
    increment: LogLR


def report_steps(items: Sequence[Item]) -> list[Step]:
    """Group assessments by report, in publication order, and compute each report's step.

    Each report's step is the change it makes to its echo cluster's term, so the steps of
    a cluster add up to the cluster's term and the steps of all reports to the total.
    """
    by_report: dict[str, list[Item]] = {}
    for item in sorted(items, key=lambda i: (i.order, i.analyst)):
        by_report.setdefault(item.report_id, []).append(item)
    clusters: dict[str, _Cluster] = {}
    steps = []
    for report_id, group in by_report.items():
        first = group[0]
        cluster = clusters.setdefault(first.origin, _Cluster())
        source = first.source or f"report:{report_id}"
        steps.append(Step(report_id, first.day, cluster.add(source, first.reliability, group)))
    return steps


def logit(p: float) -> float:
    return math.log(p) - math.log1p(-p)


def expit(x: float | np.ndarray) -> np.ndarray:
    """The logistic function, stable for large |x|."""
    x = np.asarray(x, dtype=float)
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0, e) / (1.0 + e)


def softmax(log_weights: np.ndarray) -> np.ndarray:
    """Normalise log-weights along the last axis."""
    shifted = log_weights - np.max(log_weights, axis=-1, keepdims=True)
    weights = np.exp(shifted)
    return weights / weights.sum(axis=-1, keepdims=True)
