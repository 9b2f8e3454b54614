"""Credible bands on trajectories, from posterior draws of the learned parameters.

For each posterior draw, a question's trajectory is what layers 1 and 2 compute with that
draw's reliabilities, exponents and alpha; the band on a day is the central interval of
those trajectories over the draws.

- State (binary) questions move only at reports, so their band is exact and computed once
  per report, on the log-odds scale, vectorised over draws and over the reports of many
  questions at once, in chunks that keep every array a few megabytes. The layer-1 maths is
  v2's (``forecast.updating``): the symmetric discount, an echo cluster's reliability over
  its *distinct* sources, and each analyst's LR for a cluster the one they gave its most
  reliable member (by the draw's reliabilities; ties: the strongest reading).
- Event questions carry an exact posterior over the event date (``forecast.event_dates``),
  whose reports speak to chosen day cells and whose headline follows the first deadline
  still open. Rather than re-implement that core over draws, their band runs the core
  itself (``forecast.trajectory.compute``) once per draw, with the draw's reliabilities,
  exponents and alpha, on at most ``EVENT_DRAWS`` draws picked at random (a fixed seed):
  about 0.2-0.5 ms per draw for a question with tens of reports, so a question page's band
  takes a fraction of a second, and a band is exactly the trajectories of its draws.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import datetime

import numpy as np

from forecast import kinds, trajectory
from forecast.domain import ForecastError, Question
from forecast.learning.data import Evidence
from forecast.learning.draws import Draws, expit
from forecast.trajectory import day_times  # the trajectories' own day clock, on purpose

EVENT_DRAWS = 500  # an event band runs the exact core once per draw, on this many at most
# Work is cut so that no array exceeds about 16 MB: the allocator reuses blocks that size,
# while larger ones come as fresh pages each time, whose faults cost more than the maths.
STEP_BUDGET = 2_000_000  # draws x reports, per chunk of questions


@dataclass(frozen=True, eq=False)
class Band:
    """A trajectory's credible band: one value per day of ``trajectory.compute``."""

    low: np.ndarray
    median: np.ndarray
    high: np.ndarray
    prob: float


@dataclass(frozen=True)
class Case:
    """One trajectory to band: a question, its evidence, and the last day to draw."""

    question: Question
    evidence: Sequence[Evidence]
    end: datetime


def band(
    question: Question,
    evidence: Sequence[Evidence],
    end: datetime,
    draws: Draws,
    *,
    prob: float = 0.9,
    stated: Mapping[str, float] | None = None,
    types: Mapping[str, str] | None = None,
    seed: int = 0,
) -> Band:
    """The credible band of one binary or event question's trajectory up to ``end``."""
    return bands(
        [Case(question, evidence, end)], draws, prob=prob, stated=stated, types=types, seed=seed
    )[0]


def bands(
    cases: Sequence[Case],
    draws: Draws,
    *,
    prob: float = 0.9,
    stated: Mapping[str, float] | None = None,
    types: Mapping[str, str] | None = None,
    seed: int = 0,
) -> list[Band]:
    """Credible bands (central mass ``prob``) of many trajectories, in the order given.

    ``stated`` and ``types`` (source name -> stated reliability, type) are needed only for
    sources the fit never saw; ``seed`` fixes their fresh draws and the event draws' pick.
    """
    if not 0.0 < prob < 1.0:
        raise ForecastError(f"the band's probability must be in (0, 1), not {prob:g}")
    for case in cases:
        if kinds.has_options(case.question):
            raise ForecastError(
                f"question {case.question.id}: bands cover binary and event questions only"
            )
    states = [c for c in cases if not kinds.has_ladder(c.question)]
    events = [c for c in cases if kinds.has_ladder(c.question)]
    layout = _Layout(states)
    rng = np.random.default_rng(seed)
    reliability = draws.reliability_of(list(layout.sources), stated or {}, types or {}, rng)
    exponent = draws.exponent_of(list(layout.analysts), rng)

    def work(span: tuple[int, int]) -> list[Band]:
        return _Chunk(layout, *span, reliability, exponent, prob).bands()

    # numpy releases the GIL in its loops and sorts, so chunks run in parallel on threads.
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        state_bands = [b for chunk in pool.map(work, layout.chunks(draws.count)) for b in chunk]
    event_bands = _event_bands(events, draws, prob, stated or {}, types or {}, rng, seed)
    out = {id(c): b for c, b in zip(states, state_bands, strict=True)}
    out.update((id(c), b) for c, b in zip(events, event_bands, strict=True))
    return [out[id(c)] for c in cases]


# --------------------------------------------------------------------------- event questions


def _event_bands(
    cases: Sequence[Case],
    draws: Draws,
    prob: float,
    stated: Mapping[str, float],
    types: Mapping[str, str],
    rng: np.random.Generator,
    seed: int,
) -> list[Band]:
    """Each event case's band: the exact core (``trajectory.compute``) run once per draw."""
    if not cases:
        return []
    picked = draws.thinned(EVENT_DRAWS, seed)
    sources = sorted({e.source for c in cases for e in c.evidence})
    analysts = sorted({e.item.analyst for c in cases for e in c.evidence})
    r = dict(zip(sources, picked.reliability_of(sources, stated, types, rng).T, strict=True))
    k = dict(zip(analysts, picked.exponent_of(analysts, rng).T, strict=True))
    out = []
    for case in cases:
        q = case.question
        paths = np.empty((picked.count, len(day_times(q, case.end))))
        for d in range(picked.count):
            items = [
                replace(
                    e.item,
                    reliability=float(r[e.source][d]),
                    log_lr=float(k[e.item.analyst][d]) * float(e.item.log_lr),
                    source=e.source,
                )
                for e in case.evidence
            ]
            own = q if q.alpha is not None else replace(q, alpha=float(picked.alpha[d]))
            paths[d] = trajectory.compute(own, items, case.end).probability
        low, median, high = _quantiles(paths, prob)
        out.append(Band(low, median, high, prob))
    return out


# --------------------------------------------------------------------------- layout


class _Layout:
    """The reports (steps), analyst rows and their candidate readings of many binary cases,
    as flat arrays.

    Steps follow layer 1 (``forecast.updating.report_steps``): assessments sorted by
    publication and grouped by report; each report joins its echo cluster, whose term is
    recomputed after it. A step's source adds to the cluster's unreliability only the first
    time it carries the cluster (``fresh``). A row is one analyst of a step's cluster, with
    the averaging weight ``1 / analysts``; its candidates are every reading that analyst
    gave a member of the cluster so far, in publication order: the draw's most reliable
    one is chosen (ties: the strongest).
    """

    def __init__(self, cases: Sequence[Case]):
        self.cases = cases
        self.sources: dict[str, int] = {}
        self.analysts: dict[str, int] = {}
        steps: list[tuple[int, int, float, int, int, bool]] = []
        rows: list[tuple[int, int, float]] = []  # step, analyst, weight
        candidates: list[tuple[int, int, float]] = []  # row, source, stated log LR
        for i, case in enumerate(cases):
            self._add(i, case, steps, rows, candidates)
        cols = list(zip(*steps, strict=True)) if steps else [()] * 6
        self.case = np.asarray(cols[0], dtype=np.int64)
        self.source = np.asarray(cols[1], dtype=np.int64)
        self.day = np.asarray(cols[2], dtype=float)
        self.cluster = np.asarray(cols[3], dtype=np.int64)
        self.prev = np.asarray(cols[4], dtype=np.int64)
        self.fresh = np.asarray(cols[5], dtype=bool)
        cols = list(zip(*rows, strict=True)) if rows else [()] * 3
        self.row_step = np.asarray(cols[0], dtype=np.int64)
        self.row_analyst = np.asarray(cols[1], dtype=np.int64)
        self.row_weight = np.asarray(cols[2], dtype=float)
        cols = list(zip(*candidates, strict=True)) if candidates else [()] * 3
        self.cand_row = np.asarray(cols[0], dtype=np.int64)
        self.cand_source = np.asarray(cols[1], dtype=np.int64)
        self.cand_log_lr = np.asarray(cols[2], dtype=float)
        self.case_start = np.searchsorted(self.case, np.arange(len(cases) + 1))

    def _add(self, i: int, case: Case, steps: list, rows: list, candidates: list) -> None:
        by_report: dict[str, list[Evidence]] = {}
        for e in sorted(case.evidence, key=lambda e: (e.item.order, e.item.analyst)):
            by_report.setdefault(e.item.report_id, []).append(e)
        # origin -> (first step, last step, sources carrying it, analyst -> readings)
        clusters: dict[str, tuple[int, int, set[str], dict[str, list[tuple[int, float]]]]] = {}
        for report_id, group in by_report.items():
            first, k = group[0], len(steps)
            cluster, prev, carried, readings = clusters.get(first.item.origin, (k, -1, set(), {}))
            key = first.source or f"report:{report_id}"  # as forecast.updating counts sources
            fresh = key not in carried
            carried.add(key)
            source = self.sources.setdefault(first.source, len(self.sources))
            for e in group:
                mine = self.sources.setdefault(e.source, len(self.sources))
                readings.setdefault(e.item.analyst, []).append((mine, float(e.item.log_lr)))
            clusters[first.item.origin] = (cluster, k, carried, readings)
            steps.append((i, source, first.item.day, cluster, prev, fresh))
            for a, given in readings.items():
                candidates += [(len(rows), s, x) for s, x in given]
                rows.append((k, self.analysts.setdefault(a, len(self.analysts)), 1 / len(readings)))

    def chunks(self, n_draws: int) -> list[tuple[int, int]]:
        """Consecutive groups of cases whose reports fit the step budget."""
        return _groups(n_draws * np.diff(self.case_start), STEP_BUDGET)


def _groups(costs: np.ndarray, budget: int) -> list[tuple[int, int]]:
    """Split ``range(len(costs))`` into consecutive runs costing at most ``budget`` each
    (a run holds at least one item, whatever it costs)."""
    out, start, total = [], 0, 0
    for i, cost in enumerate(costs):
        if i > start and total + cost > budget:
            out.append((start, i))
            start, total = i, 0
        total += cost
    if len(costs):
        out.append((start, len(costs)))
    return out


# --------------------------------------------------------------------------- one chunk


class _Chunk:
    """The bands of binary cases ``lo:hi`` of a layout, computed together."""

    def __init__(
        self,
        layout: _Layout,
        lo: int,
        hi: int,
        reliability: np.ndarray,
        exponent: np.ndarray,
        prob: float,
    ):
        self.cases = layout.cases[lo:hi]
        s_lo, s_hi = layout.case_start[lo], layout.case_start[hi]
        self.bounds = layout.case_start[lo : hi + 1] - s_lo  # each case's steps
        self.day = layout.day[s_lo:s_hi]
        self.prob = prob
        r_lo, r_hi = np.searchsorted(layout.row_step, [s_lo, s_hi])
        c_lo, c_hi = np.searchsorted(layout.cand_row, [r_lo, r_hi])
        source = layout.source[s_lo:s_hi]
        with np.errstate(divide="ignore"):  # r = 1: log(1 - r) = -inf, U = 0
            log_unreliable = np.log1p(-reliability[:, source])
        log_unreliable[:, ~layout.fresh[s_lo:s_hi]] = 0.0  # a source repeating itself
        row_step = layout.row_step[r_lo:r_hi] - s_lo
        chosen = _chosen(
            reliability[:, layout.cand_source[c_lo:c_hi]],
            layout.cand_log_lr[c_lo:c_hi],
            layout.cand_row[c_lo:c_hi] - r_lo,
            r_hi - r_lo,
        )
        self.inc = _increments(
            log_unreliable,
            layout.cluster[s_lo:s_hi] - s_lo,
            np.where(layout.prev[s_lo:s_hi] >= 0, layout.prev[s_lo:s_hi] - s_lo, -1),
            row_step,
            exponent[:, layout.row_analyst[r_lo:r_hi]] * chosen,
            layout.row_weight[r_lo:r_hi],
        )

    def bands(self) -> list[Band]:
        """Exact bands: quantiles of the probability after each report, held until the next."""
        if not self.cases:
            return []
        priors = [_logit_prior(c.question) for c in self.cases]
        sizes = np.diff(self.bounds)
        # One running sum over every case's reports, restarted at each case by subtracting
        # the sum before it, plus the case's prior.
        paths = np.cumsum(self.inc, axis=1)
        ends = np.cumsum(sizes)
        before = np.repeat(np.concatenate([[0], ends[:-1]]) - 1, sizes)
        paths[:, before >= 0] -= paths[:, before[before >= 0]]
        paths += np.repeat(np.array(priors, dtype=np.float32), sizes)
        levels = np.split(_quantiles(expit(paths), self.prob), ends, axis=1)
        out = []
        for i, (prior, mine) in enumerate(zip(priors, levels, strict=False)):
            held = np.column_stack([np.full(3, expit(prior)), mine])
            steps = slice(self.bounds[i], self.bounds[i + 1])
            idx = np.searchsorted(self.day[steps], _times(self.cases[i]), side="right")
            low, median, high = held[:, idx]
            out.append(Band(low, median, high, self.prob))
        return out


def _logit_prior(q: Question) -> float:
    assert q.prior is not None
    return math.log(q.prior / (1 - q.prior))


def _chosen(
    reliability: np.ndarray, log_lr: np.ndarray, row: np.ndarray, n_rows: int
) -> np.ndarray:
    """(draws, rows): each row's stated log LR of its most reliable candidate in each draw
    (ties: the strongest; still tied: the earliest), as layer 1 picks an analyst's reading.

    ``reliability`` (draws, candidates) holds each candidate's source reliability; the
    candidates of a row are consecutive, in publication order.
    """
    first = np.searchsorted(row, np.arange(n_rows))
    best_r = reliability[:, first].copy()
    best_x = np.broadcast_to(log_lr[first], best_r.shape).copy()
    rank = np.arange(len(row)) - first[row]
    for k in range(1, int(rank.max(initial=0)) + 1):
        at = np.flatnonzero(rank == k)
        rows = row[at]
        r, x = reliability[:, at], log_lr[at]
        better = (r > best_r[:, rows]) | (
            (r == best_r[:, rows]) & (np.abs(x) > np.abs(best_x[:, rows]))
        )
        best_r[:, rows] = np.where(better, r, best_r[:, rows])
        best_x[:, rows] = np.where(better, x, best_x[:, rows])
    return best_x


def _increments(
    log_unreliable: np.ndarray,
    cluster: np.ndarray,
    prev: np.ndarray,
    row_step: np.ndarray,
    row_x: np.ndarray,
    row_weight: np.ndarray,
) -> np.ndarray:
    """(draws, steps): each report's log-odds step as layer 1 computes it, per draw.

    ``log_unreliable`` holds log(1 - r) of each step's source (0 where the source already
    carries the cluster), ``cluster`` an id of its echo cluster and ``prev`` the cluster's
    previous step (-1 if none); rows give each cluster analyst's ``x = k * log LR`` (of the
    chosen reading) and averaging weight. The term is layer 1's (v2)
    ``-sign(x) log(1 + r expm1(-|x|))``, written with U = 1 - r as
    ``-sign(x) log(U + (1 - U) exp(-|x|))``. Single precision: twice the speed, and errors
    (1e-6) far below what a band shows.
    """
    log_u = log_unreliable.astype(np.float32)
    if (prev >= 0).any():  # echoes: running sums of log(1 - r) within each cluster
        order = np.argsort(cluster, kind="stable")  # clusters together, in report order
        sums = np.cumsum(log_u[:, order], axis=1)
        start = np.searchsorted(cluster[order], cluster[order])  # each cluster's first slot
        later = start > 0
        sums[:, later] -= sums[:, start[later] - 1]  # drop the clusters sorted before
        log_u[:, order] = sums
    u = np.exp(log_u)[:, row_step]  # U = prod(1 - r) of the cluster so far, per row
    x = row_x.astype(np.float32)
    terms = -np.sign(x) * np.log(u + (1.0 - u) * np.exp(-np.abs(x)))
    terms *= row_weight.astype(np.float32)
    # Sum the rows of each step (rows are grouped by step): the first row of every step,
    # then the second of the steps that have one, and so on (a few analysts at most).
    first = np.searchsorted(row_step, np.arange(len(prev)))
    cluster_terms = terms[:, first]
    rank = np.arange(len(row_step)) - first[row_step]
    for k in range(1, int(rank.max(initial=0)) + 1):
        extra = np.flatnonzero(rank == k)
        cluster_terms[:, row_step[extra]] += terms[:, extra]
    echo = np.flatnonzero(prev >= 0)
    # A step's increment is its cluster's new term minus the term before it (the gather on
    # the right copies every term before any is changed).
    cluster_terms[:, echo] -= cluster_terms[:, prev[echo]]
    return cluster_terms


def _times(case: Case) -> np.ndarray:
    q = case.question
    return day_times(q, case.end)


def _quantiles(p: np.ndarray, prob: float) -> np.ndarray:
    """(3, cells): lower, middle and upper quantiles of probabilities over draws (axis 0).

    Probabilities are rounded to multiples of 1/65535 (0.0015 percentage points) and
    sorted as 16-bit integers, about twice as fast as single floats; the quantiles then
    follow numpy's default (linear) rule.
    """
    ordered = np.sort(np.rint(p * LEVELS).astype(np.uint16), axis=0)
    n = ordered.shape[0]
    out = []
    for q in ((1 - prob) / 2, 0.5, (1 + prob) / 2):
        pos = q * (n - 1)
        lo = math.floor(pos)
        hi = min(lo + 1, n - 1)
        below = ordered[lo].astype(float)
        out.append(below + (pos - lo) * (ordered[hi] - below))
    return np.asarray(out) / LEVELS


LEVELS = 65535  # probabilities are banded to multiples of 1 / LEVELS
