"""A question's probability over time, and why it moved.

``compute`` turns a question and its evidence items into a daily trajectory plus the
state just before and after each report. Time runs on whole UTC days counted from the
opening day: the value for day D includes every report published on or before D, and for
an event question rules out the days before D (silence), while D itself is still open.

The headline of an event question is P(by the first deadline still open on that day); the
whole ladder is kept beside it. ``explain`` adds, for each report, what the probability
would be at the end if that report were removed (its "what if it were false"
counterfactual).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np

from forecast import event_dates
from forecast.clock import day_start
from forecast.domain import Kind, Question
from forecast.updating import Item, Step, expit, logit, report_steps, softmax


@dataclass(frozen=True)
class Move:
    """One report's arrival: its step and the headline probability around it."""

    report_id: str
    day: int  # day index from the opening day at which it counts
    increment: float | np.ndarray  # log-odds of the headline (binary/event); choice: log-weights
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
    log_weights: np.ndarray | None = None  # event: the date cells' log-weights at the end

    @property
    def days(self) -> list[datetime]:
        """00:00 UTC of each day, from the opening day to the end day."""
        return [self.first_day + timedelta(days=i) for i in range(len(self.probability))]

    @property
    def final(self) -> float | np.ndarray:
        return self.probability[-1]

    def when(self) -> event_dates.When | None:
        """Event questions: the date distribution on the last day (None otherwise)."""
        if self.log_weights is None:
            return None
        calendar = event_dates.Calendar(self.question)
        return event_dates.when(calendar, self.log_weights, len(self.probability) - 1)


def compute(question: Question, items: Sequence[Item], end: datetime) -> Trajectory:
    """The daily trajectory of ``question`` from its opening day to ``end``'s day."""
    steps = report_steps(items)
    path = _PATHS[question.kind](question, steps)
    first = day_start(question.opened)
    t = day_times(question, end)
    step_days = np.array([s.day for s in steps], dtype=int)
    idx = np.searchsorted(step_days, t, side="right") - 1
    probability, ladder = path.evaluate(idx, t)
    return Trajectory(question, first, probability, ladder, path.moves(), path.final_weights())


def day_times(question: Question, end: datetime) -> np.ndarray:
    """The day index of each day from the opening day to ``end``'s day."""
    n = max(1, (day_start(end) - day_start(question.opened)).days + 1)
    return np.arange(n)


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

    def final_weights(self) -> None:
        return None


class _EventPath:
    """Event questions: log-weights over the days the event could first happen."""

    def __init__(self, question: Question, steps: Sequence[Step]):
        self.steps = steps
        self.calendar = event_dates.Calendar(question)
        # row 0: the prior; row j: after the j-th report
        self.versions = np.empty((len(steps) + 1, self.calendar.size))
        self.versions[0] = self.calendar.prior()
        for j, s in enumerate(steps, start=1):
            np.add(self.versions[j - 1], s.increment, out=self.versions[j])
        self.tails = event_dates.tails(self.versions)
        self.last_version = len(steps)

    def evaluate(self, idx: np.ndarray, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        self.last_version = int(idx[-1]) + 1
        return self._ladder(idx + 1, t)

    def _ladder(self, versions: np.ndarray, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The headline and the whole ladder on days ``t`` under the given versions."""
        deadlines = self.calendar.deadlines
        ladder = event_dates.ladder(self.tails, versions, t, deadlines)
        return ladder[np.arange(len(t)), event_dates.rungs(deadlines, t)], ladder

    def moves(self) -> list[Move]:
        if not self.steps:
            return []
        t = np.array([s.day for s in self.steps], dtype=int)
        n = len(self.steps)
        # before and after each report in one pass: versions j and j + 1 on its day
        headline, ladder = self._ladder(np.r_[np.arange(n), np.arange(1, n + 1)], np.r_[t, t])
        b, a, after = headline[:n], headline[n:], ladder[n:]
        with np.errstate(divide="ignore", invalid="ignore"):
            increments = np.log(a) - np.log1p(-a) - (np.log(b) - np.log1p(-b))
        return [
            Move(s.report_id, s.day, float(x), float(pb), float(pa), la)
            for s, x, pb, pa, la in zip(self.steps, increments, b, a, after, strict=True)
        ]

    def final_weights(self) -> np.ndarray:
        """The log-weights standing on the trajectory's last day."""
        return self.versions[self.last_version]


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

    def final_weights(self) -> None:
        return None


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
    via: str = ""  # a linked question: the question the report is counted on, if another


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
