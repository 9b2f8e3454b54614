"""Time-averaged scores: the Good Judgment convention of scoring every day a question was open."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray

import forecast.scoring._checks as _checks
from forecast.clock import parse_time, utc
from forecast.domain import ForecastError


class TimeAveraged(NamedTuple):
    """A time-averaged score and the number of days it averages over."""

    score: float
    days: int


def time_averaged(
    score_fn: Callable[..., Any],
    outcome: Any,
    dates: Any,
    probabilities: ArrayLike,
    *,
    start: Any,
    end: Any,
    prior: ArrayLike | None = None,
) -> TimeAveraged:
    """Mean daily score of the forecast standing on each day a question was open.

    The scored days are ``start`` (the day the question opened) up to and including the
    day before ``end`` (the day it resolved): ``end - start`` days in all. The forecast
    standing on a day ``d`` is the last forecast dated on or before ``d``; forecasts
    dated the same day are taken in the order given, so the day's last one stands.
    A forecast dated before ``start`` stands from ``start`` until it is replaced, and a
    forecast dated on or after ``end`` never stands. Days before the first forecast are
    not scored, unless ``prior`` is given: then the prior stands from ``start`` until the
    first forecast.

    The result is the mean, over scored days, of ``score_fn(outcome, standing forecast)``,
    and the number of scored days.

    Parameters
    ----------
    score_fn : callable
        A per-forecast score such as :func:`~forecast.scoring.brier` or
        :func:`~forecast.scoring.brier_multi` (see ``SCORES`` and ``CHOICE_SCORES``). It
        is called once, with ``outcome`` and the forecasts stacked along a first axis.
    outcome : int
        0 or 1 for binary scores, the option index for choice scores.
    dates : sequence of dates
        The day of each forecast: ``datetime.date``, ``datetime.datetime`` (taken as UTC
        and reduced to its UTC day), ``numpy.datetime64`` or ISO ``YYYY-MM-DD`` text.
        Need not be sorted.
    probabilities : array_like, shape (n,) or (n, K)
        The forecasts, one per date (a probability of YES, or a vector over K options).
    start, end : date
        The day the question opened and the day it resolved, as for ``dates``.
    prior : float or array_like, optional
        The forecast that stands from ``start`` until the first forecast.

    Returns
    -------
    TimeAveraged
        ``(score, days)``: the mean daily score and the number of days scored.

    Raises
    ------
    ForecastError
        If ``end`` is not after ``start``, a date cannot be read, dates and forecasts
        differ in number, no forecast stands on any day, or ``score_fn`` rejects a forecast.
    """
    days = _days(dates, "forecast dates")
    first, stop = _day(start, "start"), _day(end, "end")
    if stop <= first:
        raise ForecastError(f"end {stop} must be after start {first}")
    stack, held = _standing(days, probabilities, prior, first, stop)
    return _weighted_mean(score_fn, outcome, stack, held)


def _standing(
    days: NDArray[np.datetime64],
    probabilities: ArrayLike,
    prior: ArrayLike | None,
    first: np.datetime64,
    stop: np.datetime64,
) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """The forecasts (prior first, if any) and the number of scored days each stands."""
    forecasts = _checks.numbers(probabilities, "forecasts")
    if forecasts.ndim == 0 or forecasts.shape[0] != days.size:
        raise ForecastError(f"{days.size} forecast dates but forecasts of shape {forecasts.shape}")
    order = np.argsort(days, kind="stable")  # stable: same-day forecasts keep their order
    # Each forecast stands from its day to the next forecast's day, both clipped to the
    # scored window; the window's start heads the list so the first gap is the prior's.
    bounds = np.concatenate([[first], days[order], [stop]]).clip(first, stop)
    held = np.diff(bounds).astype(np.int64)
    stack = forecasts[order]
    if prior is None:
        return stack, held[1:]
    prior_row = _checks.numbers(prior, "prior")[np.newaxis]
    if stack.size and prior_row.shape[1:] != stack.shape[1:]:
        raise ForecastError(
            f"prior of shape {prior_row.shape[1:]} does not match forecasts of shape "
            f"{stack.shape[1:]}"
        )
    return (np.concatenate([prior_row, stack]) if stack.size else prior_row), held


def _weighted_mean(
    score_fn: Callable[..., Any],
    outcome: Any,
    stack: NDArray[np.float64],
    held: NDArray[np.int64],
) -> TimeAveraged:
    total = int(held.sum())
    if total == 0:
        raise ForecastError("no forecast stood on any day between start and end")
    # Every forecast is scored (so every one is validated), but only those that stood
    # enter the mean: an infinite score held for 0 days must not turn into NaN.
    scores = np.asarray(score_fn(outcome, stack), dtype=np.float64)
    if scores.shape != held.shape:
        raise ForecastError(f"score_fn returned shape {scores.shape} for {held.size} forecasts")
    stood = held > 0
    return TimeAveraged(float(np.dot(scores[stood], held[stood]) / total), total)


def _days(values: Any, what: str) -> NDArray[np.datetime64]:
    """A 1-d array of days from dates, datetimes, datetime64 values or ISO text."""
    raw = np.asarray(values)
    if raw.ndim != 1:
        raise ForecastError(f"{what} must be a flat sequence of dates")
    if raw.dtype.kind == "M":
        days = raw.astype("datetime64[D]")
    else:
        days = np.array([_day(v, what) for v in raw], dtype="datetime64[D]")
    if np.isnat(days).any():
        raise ForecastError(f"{what} contain a missing date")
    return days


def _day(value: Any, what: str) -> np.datetime64:
    """One value as a numpy day; datetimes and ISO times are reduced to their UTC date."""
    if isinstance(value, str):
        value = parse_time(value, what)
    if isinstance(value, datetime):
        value = utc(value).date()
    if isinstance(value, date):
        return np.datetime64(value.isoformat(), "D")
    # Numbers are refused: numpy would read 5 as the fifth day of 1970.
    if not isinstance(value, np.datetime64) or np.isnat(value):
        raise ForecastError(f"{what} {value!r} is not a date")
    return value.astype("datetime64[D]")
