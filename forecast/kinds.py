"""What differs between question kinds when a forecast is read, in one table.

Each kind says how the one number a question is summarised by (its headline) is read from a
trajectory, what a forecast of it looks like as a value (a probability, or option ->
probability), and which family of scores grades it. The maths of each kind stays where it
is (layer 1 in ``updating``, layer 2 in ``event_dates``, the daily path in ``trajectory``);
the read model, the track record, the weekly report and the dashboard ask this table
instead of testing the kind themselves.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from forecast import event_dates
from forecast.domain import Kind, Question

if TYPE_CHECKING:
    from forecast.trajectory import Trajectory

type Value = float | dict[str, float]


@dataclass(frozen=True)
class Headline:
    """The one number a question is summarised by, and what it is the probability of."""

    probability: float
    label: str  # "" (binary), "by 2025-11-30" (event), or the leading option (choice)
    column: int  # the column of the trajectory it follows (event: the rung; choice: option)


@dataclass(frozen=True)
class Rules:
    """How one kind is read."""

    family: str  # the score family: "binary" (one probability) or "choice" (a vector)
    headline: Callable[[Trajectory], Headline]
    value: Callable[[Question, Any], Value]  # one row of the trajectory as a forecast


def _scalar(question: Question, row: Any) -> Value:
    return float(row)


def _options(question: Question, row: Any) -> Value:
    values = np.asarray(row, dtype=float).tolist()
    return dict(zip(question.option_names, values, strict=True))


def _binary_headline(tr: Trajectory) -> Headline:
    return Headline(float(tr.final), "", 0)


def _event_headline(tr: Trajectory) -> Headline:
    """P(by the first deadline still open on the last day; the last once all passed)."""
    q = tr.question
    k = event_dates.Calendar(q).rung(len(tr.probability) - 1)
    return Headline(float(tr.final), f"by {q.deadlines[k].date().isoformat()}", k)


def _choice_headline(tr: Trajectory) -> Headline:
    """The leading option."""
    final = np.asarray(tr.final, dtype=float)
    k = int(np.argmax(final))
    return Headline(float(final[k]), tr.question.option_names[k], k)


RULES: dict[Kind, Rules] = {
    Kind.BINARY: Rules("binary", _binary_headline, _scalar),
    Kind.EVENT: Rules("binary", _event_headline, _scalar),
    Kind.CHOICE: Rules("choice", _choice_headline, _options),
}


def rules(question: Question) -> Rules:
    """The reading rules of a question's kind."""
    return RULES[question.kind]
