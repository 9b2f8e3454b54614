"""Conditional tables from what an analyst states about a link.

An analyst states a link in the words of the questions: "if A happens, B is 80% likely;
if not, 10%" (``--if-yes 0.8 --if-no 0.1``), or one probability per option of a choice
parent. These builders turn such statements into the rows of ``Link.table``:

1. which of the parent's states count as "yes": ``binary_yes()``, or ``event_yes(calendar,
   deadline)`` for an event parent (happened by the deadline: day cells up to it);
2. what the child's probability is in each parent state: ``if_yes(yes, p_yes, p_no)``, or a
   plain array with one value (or vector) per parent state;
3. the child's row in each parent state: ``binary_rows`` (``[1 - p, p]``), a choice child's
   vectors as they are, or ``event_rows``: the child's own Lomax-shaped day cells with P(by
   its first deadline) set to the parent state's probability.

For several parents, give the probabilities as an array of shape ``parent_states``; the
row builders keep any leading shape.
"""

from __future__ import annotations

from datetime import datetime

import numpy as np
from numpy.typing import ArrayLike

from forecast.event_dates import Calendar, day_index
from forecast.network.graph import NO, YES, NetworkError, quoted


def binary_prior(p: float) -> np.ndarray:
    """The state vector of a binary question with P(yes) = ``p``."""
    return binary_rows(p)


def binary_yes() -> np.ndarray:
    """Which states of a binary parent are "yes"."""
    yes = np.zeros(2, dtype=bool)
    yes[YES] = True
    return yes


def event_yes(calendar: Calendar, deadline: datetime) -> np.ndarray:
    """Which day cells of an event parent mean "happened by ``deadline``": the days from
    the opening day to the deadline; later days and "later or never" are "no"."""
    end = day_index(calendar.first, deadline)
    if not 0 <= end <= calendar.last:
        raise NetworkError(
            f"{deadline.date()} is not a day of {quoted(calendar.question.id)} "
            f"({calendar.first.date()} to {calendar.day(calendar.last).date()})"
        )
    yes = np.zeros(calendar.size, dtype=bool)
    yes[: end + 1] = True
    return yes


def if_yes(yes: np.ndarray, p_yes: ArrayLike, p_no: ArrayLike) -> np.ndarray:
    """``p_yes`` in the parent's "yes" states and ``p_no`` in the others, one entry (or
    one vector, for a choice child) per parent state."""
    yes = np.asarray(yes, dtype=bool)
    a, b = np.asarray(p_yes, dtype=float), np.asarray(p_no, dtype=float)
    if a.shape != b.shape:
        raise NetworkError(f"the if-yes and if-no values differ in shape: {a.shape}, {b.shape}")
    return np.where(yes.reshape(yes.shape + (1,) * a.ndim), a, b)


def binary_rows(p: ArrayLike) -> np.ndarray:
    """Rows ``[1 - p, p]`` of a binary child, one per entry of ``p``."""
    p = _probabilities(p)
    rows = np.empty((*p.shape, 2))
    rows[..., NO], rows[..., YES] = 1.0 - p, p
    return rows


def event_rows(calendar: Calendar, p: ArrayLike) -> np.ndarray:
    """The day cells of an event child, one row per entry of ``p``.

    Each row is the child's prior law (``Calendar.prior``: Lomax from its anchor day) with
    P(by its first deadline) = that entry in place of the question's prior, so a parent
    state moves how likely the event is by the deadline and keeps the law's shape over days.
    """
    p = _probabilities(p)
    values, where = np.unique(p, return_inverse=True)
    rows = np.stack([event_prior(calendar, float(v)) for v in values])
    return rows[where.reshape(p.shape)]


def event_prior(calendar: Calendar, p: float | None = None) -> np.ndarray:
    """The day-cell probabilities of an event question's prior (at P(by its first deadline)
    = ``p`` when given)."""
    w = np.exp(calendar.prior(p))
    return w / w.sum()


def _probabilities(p: ArrayLike) -> np.ndarray:
    p = np.asarray(p, dtype=float)
    if not np.all((p >= 0.0) & (p <= 1.0)):
        raise NetworkError("a link's probability must be between 0 and 1")
    return p
