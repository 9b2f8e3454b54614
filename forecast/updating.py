"""Layer 1: exact Bayesian updating on likelihood ratios.

A report from a source of reliability r with stated likelihood ratio LR moves the log-odds
by ``log(1 + r (LR - 1))``: a fully reliable source gives the whole LR, a worthless one
gives nothing, and a source of reliability r can never multiply the odds by more than
``1 / (1 - r)`` against the claim.

Echoes: reports that share an origin are one item. Its reliability is
``1 - prod(1 - r_j)`` over the member reports (corroboration makes the claim more
credible) and its LR the geometric mean of the members' LRs, so a second outlet
repeating a leak never counts as a second independent piece of evidence.

Analysts: when several analysts assess the same item, their log terms are averaged, so
the item counts once. Each analyst's LR for an echo item is the geometric mean of that
analyst's LRs over the members they assessed; with one analyst this is exactly the echo
rule above, and with one report it is exactly the averaging rule.

For ``choice`` questions the same rules apply outcome by outcome to likelihoods given
relative to a baseline of 1 (an outcome not named has likelihood 1).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

LogLR = float | np.ndarray  # a scalar for binary/event questions, a vector for choice


def discounted_log_lr(log_lr: LogLR, reliability: float) -> LogLR:
    """``log(1 + r (LR - 1))`` computed stably from ``log LR``."""
    if isinstance(log_lr, float):
        return math.log1p(reliability * math.expm1(log_lr))
    return np.log1p(reliability * np.expm1(log_lr))


def echo_reliability(reliabilities: Sequence[float]) -> float:
    """Reliability of a claim carried by several reports of one origin."""
    return 1.0 - math.prod(1.0 - r for r in reliabilities)


@dataclass(frozen=True)
class Item:
    """One analyst's assessment of one report for one question, ready for the maths."""

    report_id: str
    order: tuple  # sort key: (published time, report id)
    day: float  # days from the question's opening to 00:00 UTC of the published day
    origin: str  # echo-cluster key
    reliability: float  # of the report's source
    analyst: str
    log_lr: LogLR


@dataclass
class _Cluster:
    """Running state of one echo cluster as its member reports arrive."""

    log_unreliability: float = 0.0  # sum of log(1 - r_j) over member reports
    sums: dict[str, LogLR] = field(default_factory=dict)  # analyst -> sum of log LR
    counts: dict[str, int] = field(default_factory=dict)  # analyst -> number of assessments
    term: LogLR = 0.0

    def add(self, reliability: float, assessments: Sequence[Item]) -> LogLR:
        """Add one member report; return the change in the cluster's log term."""
        self.log_unreliability += math.log1p(-reliability) if reliability < 1 else -math.inf
        for item in assessments:
            self.sums[item.analyst] = self.sums.get(item.analyst, 0.0) + item.log_lr
            self.counts[item.analyst] = self.counts.get(item.analyst, 0) + 1
        r = -math.expm1(self.log_unreliability)
        terms = [discounted_log_lr(self.sums[a] / self.counts[a], r) for a in self.sums]
        new_term = sum(terms[1:], terms[0]) / len(terms)
        change = new_term - self.term
        self.term = new_term
        return change


@dataclass(frozen=True)
class Step:
    """The arrival of one report: when, and how much it moves the log-odds (or log-weights)."""

    report_id: str
    day: float
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
        steps.append(Step(report_id, first.day, cluster.add(first.reliability, group)))
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
