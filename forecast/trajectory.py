"""A question's probability over time, and why it moved.

``compute`` turns a question and its evidence items into a daily trajectory plus the
state just before and after each report. Time runs on a daily clock measured from the
opening: the value for day D includes every report published on or before D and the decay
up to 00:00 UTC of D, so a report counts from the start of its published day.

``explain`` adds, for each report, what the probability would be at the end if that
report were removed (its "what if it were false" counterfactual).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np

from forecast.decay import apply_report, probability_within, rate_for_probability
from forecast.domain import Kind, Question, day_start, days_between
from forecast.updating import Item, Step, expit, logit, report_steps, softmax


@dataclass(frozen=True)
class Move:
    """One report's arrival: its log-odds step and the headline probability around it."""

    report_id: str
    day: float  # days from opening at which it counts
    increment: float | np.ndarray  # log-odds (binary/event) or log-weights (choice)
    before: float | np.ndarray  # headline probability just before (choice: a vector)
    after: float | np.ndarray
    ladder_after: np.ndarray  # event: P(by each deadline) just after; empty otherwise


@dataclass(frozen=True)
class Trajectory:
    question: Question
    first_day: datetime  # 00:00 UTC of the opening day
    probability: np.ndarray  # (days,) headline; (days, options) for choice
    ladder: np.ndarray  # (days, deadlines) for event questions; (days, 0) otherwise
    moves: list[Move]

    @property
    def days(self) -> list[datetime]:
        """00:00 UTC of each day, from the opening day to the end day."""
        return [self.first_day + timedelta(days=i) for i in range(len(self.probability))]

    @property
    def final(self) -> float | np.ndarray:
        return self.probability[-1]


def compute(question: Question, items: Sequence[Item], end: datetime) -> Trajectory:
    """The daily trajectory of ``question`` from its opening day to ``end``'s day."""
    steps = report_steps(items)
    path = _PATHS[question.kind](question, steps)
    first = day_start(question.opened)
    t = _day_times(question, first, end)
    step_days = np.array([s.day for s in steps], dtype=float)
    idx = np.searchsorted(step_days, t, side="right") - 1
    probability, ladder = path.evaluate(idx, t)
    return Trajectory(question, first, probability, ladder, path.moves())


def _day_times(question: Question, first: datetime, end: datetime) -> np.ndarray:
    """The model time (days from opening) at 00:00 UTC of each day up to ``end``."""
    n = max(1, (day_start(end) - first).days + 1)
    offset = days_between(question.opened, first)  # <= 0 when opened during the day
    return np.maximum(0.0, offset + np.arange(n, dtype=float))


class _BinaryPath:
    """State questions: log-odds add up; no time decay."""

    def __init__(self, question: Question, steps: Sequence[Step]):
        assert question.prior is not None
        self.steps = steps
        self.initial = logit(question.prior)
        increments = np.array([s.increment for s in steps], dtype=float)
        self.after: np.ndarray = self.initial + np.cumsum(increments)

    def evaluate(self, idx: np.ndarray, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        log_odds = np.where(
            idx >= 0, self.after[np.maximum(idx, 0)] if len(self.after) else 0.0, self.initial
        )
        return expit(log_odds), np.empty((len(t), 0))

    def moves(self) -> list[Move]:
        after = expit(self.after).tolist()
        before = [float(expit(self.initial)), *after[:-1]][: len(after)]
        empty = np.empty(0)
        return [
            Move(s.report_id, s.day, s.increment, b, a, empty)
            for s, b, a in zip(self.steps, before, after, strict=True)
        ]


class _EventPath:
    """Event questions: the Gamma-exponential state decays in silence and jumps at reports."""

    def __init__(self, question: Question, steps: Sequence[Step]):
        assert question.prior is not None
        self.steps = steps
        self.alpha = question.shape
        self.deadlines = np.array(
            [days_between(question.opened, d) for d in question.deadlines], dtype=float
        )
        self.initial = rate_for_probability(logit(question.prior), self.deadlines[0], self.alpha)
        self.before, self.after = [], []
        state, last = self.initial, 0.0
        for s in steps:
            state += s.day - last  # silence since the previous report
            self.before.append(state)
            state = apply_report(state, s.day, float(s.increment), self.deadlines, self.alpha)
            self.after.append(state)
            last = s.day
        self.times = np.array([s.day for s in steps], dtype=float)

    def evaluate(self, idx: np.ndarray, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        after = np.asarray(self.after, dtype=float)
        safe = np.maximum(idx, 0)
        state = np.where(
            idx >= 0,
            (after[safe] + t - self.times[safe]) if len(after) else 0.0,
            self.initial + t,
        )
        ladder = self._ladder(state, t)
        return ladder[:, 0], ladder

    def _ladder(self, state: np.ndarray, t: np.ndarray) -> np.ndarray:
        horizon = self.deadlines[None, :] - np.asarray(t, dtype=float)[:, None]
        return probability_within(np.asarray(state, dtype=float)[:, None], horizon, self.alpha)

    def moves(self) -> list[Move]:
        if not self.steps:
            return []
        t = self.times
        before = self._ladder(np.asarray(self.before), t)
        after = self._ladder(np.asarray(self.after), t)
        return [
            Move(s.report_id, s.day, s.increment, float(b[0]), float(a[0]), a)
            for s, b, a in zip(self.steps, before, after, strict=True)
        ]


class _ChoicePath:
    """Choice questions: log-weights per outcome add up; probabilities are their softmax."""

    def __init__(self, question: Question, steps: Sequence[Step]):
        self.steps = steps
        self.initial = np.log([p for _, p in question.options])
        increments = np.array([s.increment for s in steps], dtype=float).reshape(
            len(steps), len(self.initial)
        )
        self.after = self.initial + np.cumsum(increments, axis=0)

    def evaluate(self, idx: np.ndarray, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        weights = np.where(
            (idx >= 0)[:, None],
            self.after[np.maximum(idx, 0)] if len(self.after) else 0.0,
            self.initial[None, :],
        )
        return softmax(weights), np.empty((len(t), 0))

    def moves(self) -> list[Move]:
        before = np.vstack([self.initial[None, :], self.after[:-1]])[: len(self.steps)]
        return [
            Move(s.report_id, s.day, s.increment, softmax(b), softmax(a), np.empty(0))
            for s, b, a in zip(self.steps, before, self.after, strict=True)
        ]


_PATHS: dict[Kind, type[_BinaryPath | _EventPath | _ChoicePath]] = {
    Kind.BINARY: _BinaryPath,
    Kind.EVENT: _EventPath,
    Kind.CHOICE: _ChoicePath,
}


@dataclass(frozen=True)
class Contribution:
    """How one report bears on a question's current probability."""

    report_id: str
    increment: float | np.ndarray  # its log-odds step (choice: log-weights per option)
    points: float | np.ndarray  # the jump of the headline probability when it arrived
    without: float | np.ndarray  # the probability at the end if this report were removed


def explain(
    question: Question, items: Sequence[Item], end: datetime, trajectory: Trajectory | None = None
) -> list[Contribution]:
    """Each report's step, jump and leave-one-out counterfactual, in publication order."""
    trajectory = trajectory or compute(question, items, end)
    contributions = []
    for move in trajectory.moves:
        rest = [i for i in items if i.report_id != move.report_id]
        without = compute(question, rest, end).final
        contributions.append(
            Contribution(move.report_id, move.increment, move.after - move.before, without)
        )
    return contributions
