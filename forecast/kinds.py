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
from datetime import date
from typing import TYPE_CHECKING, Any

import numpy as np

from forecast import event_dates
from forecast.clock import after, utc
from forecast.domain import Kind, Question, Resolution

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
    """How one kind is read, and the traits the rest of the code branches on.

    Code outside the kinds' own maths asks for a trait (``options``, ``ladder``) or a rule,
    never for a kind by name (``tests/test_architecture.py`` holds this), so a new kind
    that shares the traits of an existing one is a table entry plus its maths.
    """

    family: str  # the score family: "binary" (one probability) or "choice" (a vector)
    headline: Callable[[Trajectory], Headline]
    value: Callable[[Question, Any], Value]  # one row of the trajectory as a forecast
    options: bool  # forecasts, likelihoods and outcomes are per named option (a vector)
    ladder: bool  # deadlines with P(by each), decay in silence, reports about dates
    about: str  # one line for forms and help: what the kind asks

    def outcomes(self, question: Question) -> tuple[str, ...]:
        """What a resolution may say (besides "annulled")."""
        return question.option_names if self.options else ("yes", "no")


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
    Kind.BINARY: Rules(
        "binary", _binary_headline, _scalar, options=False, ladder=False,
        about="will X be true on a date? (no decay)",
    ),
    Kind.EVENT: Rules(
        "binary", _event_headline, _scalar, options=False, ladder=True,
        about="will X happen by a deadline? (silence is evidence)",
    ),
    Kind.CHOICE: Rules(
        "choice", _choice_headline, _options, options=True, ladder=False,
        about="which of several exclusive outcomes?",
    ),
}  # fmt: skip


def rules(question: Question | Kind) -> Rules:
    """The rules of a question's kind (or of a kind)."""
    return RULES[question if isinstance(question, Kind) else question.kind]


def has_options(question: Question | Kind) -> bool:
    """Forecasts, likelihoods and outcomes are per named option."""
    return rules(question).options


def has_ladder(question: Question | Kind) -> bool:
    """Deadlines carry a ladder of P(by each), and silence is evidence."""
    return rules(question).ladder


def outcome(question: Question, resolution: Resolution, deadline: int = 0) -> int:
    """What happened, as the scores and the learning take it: 1 or 0, or the option's index.

    An event question's deadline ``deadline`` (0: the primary one) resolves YES when the
    question resolved ``yes`` and the event happened (``Resolution.happened_on``) on or
    before that deadline's day: an event after it is a NO for that rung, though the question
    resolved yes.
    """
    if rules(question).options:
        return question.option_names.index(resolution.outcome)
    yes = resolution.outcome == "yes"
    if rules(question).ladder:
        by = utc(question.deadlines[deadline]).date()
        return int(yes and utc(resolution.happened_on).date() <= by)
    return int(yes)


def window_end(question: Question, resolution: Resolution, deadline: int = 0) -> date:
    """The first day not scored (or learned from): the resolution day, or for an event's
    deadline ``deadline`` the day after it if that is sooner ("by D" includes all of day D)."""
    end = utc(resolution.resolved_on).date()
    if rules(question).ladder:
        end = min(end, after(question.deadlines[deadline]).date())
    return end
