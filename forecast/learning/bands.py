"""Credible bands on trajectories, from posterior draws of the learned parameters.

For each posterior draw, a question's trajectory is what layers 1 and 2 compute with that
draw's reliabilities, exponents and alpha; the band on a day is the central interval of
those trajectories over the draws. The work is vectorised over draws and over the reports
of many questions at once, in chunks that keep every array a few megabytes.

- State questions move only at reports, so their band is exact and computed once per
  report, on the log-odds scale (the order of draws is the order of their probabilities).
- Event questions also decay between reports, and the order of draws changes as they decay
  at different rates (alpha differs by draw). Their band is computed exactly on chosen
  days (``_exact_days``) and interpolated linearly in between, where every draw's
  probability is close to linear in time; the tests bound the error against the band
  computed on every day.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime

import numpy as np

from forecast.domain import ForecastError, Kind, Question, days_between
from forecast.learning.data import Evidence
from forecast.learning.draws import Draws, expit
from forecast.learning.vectorised import log_odds_within, rate_for_probability
from forecast.trajectory import day_times  # the trajectories' own day clock, on purpose

EVERY_DAY = False  # compute event bands exactly on every day (slow; the tests' reference)
MAX_GAP = 7  # days: an event band is exact at least weekly
# Work is cut so that no array exceeds about 16 MB: the allocator reuses blocks that size,
# while larger ones come as fresh pages each time, whose faults cost more than the maths.
STEP_BUDGET = 2_000_000  # draws x reports, per chunk of questions
CELL_BUDGET = 2_000_000  # draws x exact days, per batch of event questions


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
    sources the fit never saw; ``seed`` fixes their fresh draws.
    """
    if not 0.0 < prob < 1.0:
        raise ForecastError(f"the band's probability must be in (0, 1), not {prob:g}")
    for case in cases:
        if case.question.kind is Kind.CHOICE:
            raise ForecastError(
                f"question {case.question.id}: bands cover binary and event questions only"
            )
    layout = _Layout(cases)
    rng = np.random.default_rng(seed)
    log_unreliable = np.log1p(
        -draws.reliability_of(list(layout.sources), stated or {}, types or {}, rng)
    )
    exponent = draws.exponent_of(list(layout.analysts), rng)

    def work(span: tuple[int, int]) -> list[Band]:
        return _Chunk(layout, *span, log_unreliable, exponent, draws.alpha, prob).bands()

    # numpy releases the GIL in its loops and sorts, so chunks run in parallel on threads.
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        return [b for chunk in pool.map(work, layout.chunks(draws.count)) for b in chunk]


# --------------------------------------------------------------------------- layout


class _Layout:
    """The reports (steps) and analyst rows of many cases, as flat arrays.

    Steps follow layer 1 (``forecast.updating.report_steps``): assessments sorted by
    publication and grouped by report; each report joins its echo cluster, whose term is
    recomputed from every analyst's mean log LR so far. A row is one analyst of a step's
    cluster: that mean and the averaging weight ``1 / analysts``.
    """

    def __init__(self, cases: Sequence[Case]):
        self.cases = cases
        self.sources: dict[str, int] = {}
        self.analysts: dict[str, int] = {}
        steps: list[tuple[int, int, float, int, int]] = []  # case, source, day, cluster, prev
        rows: list[tuple[int, int, float, float]] = []  # step, analyst, mean log LR, weight
        for i, case in enumerate(cases):
            self._add(i, case, steps, rows)
        cols = list(zip(*steps, strict=True)) if steps else [()] * 5
        self.case = np.asarray(cols[0], dtype=np.int64)
        self.source = np.asarray(cols[1], dtype=np.int64)
        self.day = np.asarray(cols[2], dtype=float)
        self.cluster = np.asarray(cols[3], dtype=np.int64)
        self.prev = np.asarray(cols[4], dtype=np.int64)
        cols = list(zip(*rows, strict=True)) if rows else [()] * 4
        self.row_step = np.asarray(cols[0], dtype=np.int64)
        self.row_analyst = np.asarray(cols[1], dtype=np.int64)
        self.row_log_lr = np.asarray(cols[2], dtype=float)
        self.row_weight = np.asarray(cols[3], dtype=float)
        self.case_start = np.searchsorted(self.case, np.arange(len(cases) + 1))

    def _add(self, i: int, case: Case, steps: list, rows: list) -> None:
        by_report: dict[str, list[Evidence]] = {}
        for e in sorted(case.evidence, key=lambda e: (e.item.order, e.item.analyst)):
            by_report.setdefault(e.item.report_id, []).append(e)
        clusters: dict[str, tuple[int, int, dict[str, list[float]]]] = {}
        for group in by_report.values():
            first, k = group[0], len(steps)
            cluster, prev, sums = clusters.get(first.item.origin, (k, -1, {}))
            for e in group:
                total = sums.setdefault(e.item.analyst, [0.0, 0.0])
                total[0] += float(e.item.log_lr)
                total[1] += 1.0
            clusters[first.item.origin] = (cluster, k, sums)
            source = self.sources.setdefault(first.source, len(self.sources))
            steps.append((i, source, first.item.day, cluster, prev))
            rows += [
                (k, self.analysts.setdefault(a, len(self.analysts)), s / n, 1.0 / len(sums))
                for a, (s, n) in sums.items()
            ]

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
    """The bands of cases ``lo:hi`` of a layout, computed together."""

    def __init__(
        self,
        layout: _Layout,
        lo: int,
        hi: int,
        log_unreliable: np.ndarray,
        exponent: np.ndarray,
        alpha: np.ndarray,
        prob: float,
    ):
        self.cases = layout.cases[lo:hi]
        s_lo, s_hi = layout.case_start[lo], layout.case_start[hi]
        self.bounds = layout.case_start[lo : hi + 1] - s_lo  # each case's steps
        self.day = layout.day[s_lo:s_hi]
        self.alpha, self.prob = alpha, prob
        r_lo, r_hi = np.searchsorted(layout.row_step, [s_lo, s_hi])
        self.inc = _increments(
            log_unreliable[:, layout.source[s_lo:s_hi]],
            layout.cluster[s_lo:s_hi] - s_lo,
            np.where(layout.prev[s_lo:s_hi] >= 0, layout.prev[s_lo:s_hi] - s_lo, -1),
            layout.row_step[r_lo:r_hi] - s_lo,
            exponent[:, layout.row_analyst[r_lo:r_hi]] * layout.row_log_lr[r_lo:r_hi],
            layout.row_weight[r_lo:r_hi],
        )

    def bands(self) -> list[Band]:
        kinds = [c.question.kind for c in self.cases]
        events = [i for i, k in enumerate(kinds) if k is Kind.EVENT]
        states = [i for i, k in enumerate(kinds) if k is not Kind.EVENT]
        out = dict(zip(states, self._state_bands(states), strict=True))
        out.update(zip(events, self._event_bands(events), strict=True))
        return [out[i] for i in range(len(self.cases))]

    def _steps(self, i: int) -> slice:
        return slice(self.bounds[i], self.bounds[i + 1])

    def _state_bands(self, which: list[int]) -> list[Band]:
        """Exact bands: quantiles of the probability after each report, held until the next."""
        if not which:
            return []
        priors = [_logit_prior(self.cases[i].question) for i in which]
        steps = [np.arange(self.bounds[i], self.bounds[i + 1]) for i in which]
        sizes = np.array([len(x) for x in steps])
        # One running sum over every case's reports, restarted at each case by subtracting
        # the sum before it, plus the case's prior.
        paths = np.cumsum(self.inc[:, np.concatenate(steps)], axis=1)
        ends = np.cumsum(sizes)
        before = np.repeat(np.concatenate([[0], ends[:-1]]) - 1, sizes)
        paths[:, before >= 0] -= paths[:, before[before >= 0]]
        paths += np.repeat(np.array(priors, dtype=np.float32), sizes)
        levels = np.split(_quantiles(expit(paths), self.prob), ends, axis=1)
        out = []
        for prior, i, mine in zip(priors, which, levels, strict=False):
            held = np.column_stack([np.full(3, expit(prior)), mine])
            idx = np.searchsorted(self.day[self._steps(i)], _times(self.cases[i]), side="right")
            low, median, high = held[:, idx]
            out.append(Band(low, median, high, self.prob))
        return out

    def _event_bands(self, which: list[int]) -> list[Band]:
        """Bands from each draw's Gamma state, exact on chosen days, interpolated between."""
        if not which:
            return []
        states = self._event_states(which)
        cells = [self._cells(i, states[:, c]) for c, i in enumerate(which)]
        out: list[Band] = []
        sizes = np.array([len(c.exact) for c in cells])
        for lo, hi in _groups(sizes * len(self.alpha), CELL_BUDGET):
            batch = cells[lo:hi]
            p = probability_after(
                np.concatenate([c.state for c in batch], axis=1),
                np.concatenate([c.elapsed for c in batch]),
                np.concatenate([c.horizon for c in batch]),
                self._batch_alpha(batch),
            )
            levels = np.split(_quantiles(p, self.prob), np.cumsum(sizes[lo:hi]), axis=1)
            out += [
                _interpolated(c, mine, self.prob) for c, mine in zip(batch, levels, strict=False)
            ]
        return out

    def _batch_alpha(self, batch: list[_Cells]) -> np.ndarray:
        """(draws, 1) when every case uses the draws' alpha, else (draws, cells)."""
        if all(c.alpha is None for c in batch):
            return self.alpha[:, None].astype(np.float32)
        columns = [
            np.broadcast_to(self._alpha(c.alpha)[:, None], (len(self.alpha), len(c.exact)))
            for c in batch
        ]
        return np.concatenate(columns, axis=1).astype(np.float32)

    def _alpha(self, own: float | None) -> np.ndarray:
        """The draws' alpha, or a question's own alpha when it sets one."""
        return self.alpha if own is None else np.full_like(self.alpha, own)

    def _event_states(self, which: list[int]) -> np.ndarray:
        """(draws, cases, 1 + most reports): the Gamma state at opening and just after each
        report, by layer 2's recursion, run over all the cases together (one report of
        each case per pass)."""
        qs = [self.cases[i].question for i in which]
        alpha = np.stack([self._alpha(q.alpha) for q in qs], axis=1)  # (draws, cases)
        first = np.array([days_between(q.opened, q.deadlines[0]) for q in qs])
        n = np.array([self.bounds[i + 1] - self.bounds[i] for i in which])
        out = np.empty((len(self.alpha), len(qs), 1 + int(n.max(initial=0))))
        state = rate_for_probability(np.array([_logit_prior(q) for q in qs]), first, alpha)
        out[:, :, 0] = state
        starts = self.bounds[np.asarray(which)]
        anchor = self._anchors(qs, starts, n)
        last = np.zeros(len(qs))
        for j in range(int(n.max(initial=0))):
            cols = np.flatnonzero(n > j)  # the cases with a (j+1)-th report
            steps = starts[cols] + j
            t = self.day[steps]
            state[:, cols] += t - last[cols]
            last[cols] = t
            h = anchor[steps]
            move = np.isfinite(h)  # a report after every deadline moves nothing
            c, h, at = cols[move], h[move], steps[move]
            odds = log_odds_within(state[:, c], h, alpha[:, c]) + self.inc[:, at]
            state[:, c] = rate_for_probability(odds, h, alpha[:, c])
            out[:, cols, j + 1] = state[:, cols]
        return out

    def _anchors(self, qs: list[Question], starts: np.ndarray, n: np.ndarray) -> np.ndarray:
        """Per step of these cases: days to the first deadline after it (inf if none)."""
        out = np.full(len(self.day), np.inf)
        for q, start, k in zip(qs, starts, n, strict=True):
            deadlines = np.array([days_between(q.opened, d) for d in q.deadlines] + [np.inf])
            t = self.day[start : start + k]
            out[start : start + k] = deadlines[np.searchsorted(deadlines, t, side="right")] - t
        return out

    def _cells(self, i: int, states: np.ndarray) -> _Cells:
        case = self.cases[i]
        q = case.question
        deadline = days_between(q.opened, q.deadlines[0])
        day = self.day[self._steps(i)]
        t = _times(case)
        seg = np.searchsorted(day, t, side="right")  # reports counted by each day
        exact = np.flatnonzero(
            np.ones(len(t), dtype=bool) if EVERY_DAY else _exact_days(seg, t, deadline)
        )
        since = t[exact] - np.concatenate([[0.0], day])[seg[exact]]
        start = states[:, seg[exact]].astype(np.float32)
        return _Cells(t, exact, start, since, deadline - t[exact], q.alpha)


@dataclass(frozen=True, eq=False)
class _Cells:
    """One event case's exact days, and what gives each draw's probability there."""

    t: np.ndarray  # the time of every day
    exact: np.ndarray  # indices of the exact days
    state: np.ndarray  # (draws, exact) float32: the state after the last report before each
    elapsed: np.ndarray  # (exact,): days since that report (or the opening)
    horizon: np.ndarray  # (exact,): days to the primary deadline
    alpha: float | None  # the question's own alpha; None: the draws'


def _interpolated(cells: _Cells, levels: np.ndarray, prob: float) -> Band:
    """The band on every day from its exact days (linear in between)."""
    low, median, high = (np.interp(cells.t, cells.t[cells.exact], lv) for lv in levels)
    return Band(low, median, high, prob)


def _logit_prior(q: Question) -> float:
    assert q.prior is not None
    return math.log(q.prior / (1 - q.prior))


def _increments(
    log_unreliable: np.ndarray,
    cluster: np.ndarray,
    prev: np.ndarray,
    row_step: np.ndarray,
    row_x: np.ndarray,
    row_weight: np.ndarray,
) -> np.ndarray:
    """(draws, steps): each report's log-odds step as layer 1 computes it, per draw.

    ``log_unreliable`` holds log(1 - r) of each step's source, ``cluster`` an id of its
    echo cluster and ``prev`` the cluster's previous step (-1 if none); rows give each
    cluster analyst's ``k * mean log LR`` and averaging weight. Single precision: twice
    the speed, and errors (1e-6) far below what a band shows.
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
    terms = np.log(u + (1.0 - u) * np.exp(row_x.astype(np.float32)))
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


# --------------------------------------------------------------------------- event helpers


def probability_after(
    state: np.ndarray, elapsed: np.ndarray, horizon: np.ndarray, alpha: np.ndarray
) -> np.ndarray:
    """P(event within ``horizon``) after ``elapsed`` silent days from Gamma state ``state``
    (0 where the horizon has run out), in single precision: this is for bands."""
    s = np.minimum(state + elapsed.astype(np.float32), np.float32(1e30))
    with np.errstate(divide="ignore"):  # s = 0 (certainty) gives log 0 = -inf, so P = 1
        log_ratio = np.log(s) - np.log(s + np.maximum(horizon, 0).astype(np.float32))
    log_ratio *= alpha
    p = -np.expm1(log_ratio, out=log_ratio)
    p[:, horizon <= 0] = 0.0
    return p


def _exact_days(seg: np.ndarray, t: np.ndarray, deadline: float) -> np.ndarray:
    """Days where an event band is computed exactly; the others are interpolated.

    A draw's probability ``e`` days after a report is ``1 - ((s + e) / (s + H)) ** alpha``:
    curved right after a report when ``s`` or ``alpha`` is small, and near the deadline.
    So the exact days are each stretch's first days (daily for three days, then 5, 9,
    17, ... days in), its last day, the deadline's approach, and at least every
    ``MAX_GAP`` days.
    """
    n = len(seg)
    exact = np.zeros(n, dtype=bool)
    starts = np.concatenate([[0], np.flatnonzero(np.diff(seg) != 0) + 1])
    exact[starts - 1] = True  # each stretch's last day; index -1 is the final day
    near = _OFFSETS[: np.searchsorted(_OFFSETS, n)]
    exact[np.minimum((starts[:, None] + near).ravel(), n - 1)] = True
    due = int(np.searchsorted(t, deadline))  # the first day at or after the deadline
    before = due - near
    exact[before[(before >= 0) & (before < n)]] = True
    exact[due : due + 1] = True
    exact[::MAX_GAP] = True
    return exact


_OFFSETS = np.array([0, 1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024])


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
