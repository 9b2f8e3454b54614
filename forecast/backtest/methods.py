"""The team's replay and the four methods' forecasts.

``replay`` walks every question's scored days and records what a team that updates every
``cadence`` days held on each (``update_days`` is its calendar). ``forecasts`` gives the
four methods' forecasts on those days: (a), (b) and (d) straight from the replay ((b)
decays with one of ``ALPHAS``, chosen on the tuning period by ``scores.tune_decay``), (c)
from the learned model. ``walk_forward`` fits that model on the questions resolved before each
refit day (``training_rows`` builds its data) and applies each fit to the days up to the
next refit. With ``by_platform`` the model also learns pooled offsets on shift and slope by
the question's platform (polymarket, manifold, ...), and each day is recalibrated with its
platform's.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np

from forecast.backtest.data import UNKNOWN_PLATFORM, Tracked, iso_day
from forecast.decay import decayed
from forecast.domain import DEFAULT_ALPHA, ForecastError

CADENCE = 7  # days between the team's updates
EPOCH = date(2024, 1, 1)  # a Monday: update days are EPOCH + k * cadence
REFIT_DAYS = 60  # days between walk-forward refits of the learned model
MIN_TRAIN = 100  # resolved questions needed before the first fit
PLATFORM = "platform"  # the name of the learned model's factor of platforms
BY_PLATFORM = False  # whether (c) learns offsets by platform: off, as on the ForecastBench
# folder they changed no score beyond the noise (README, "Backtest on ForecastBench")
METHODS = ("hold", "decay", "learned", "fresh")
ALPHAS: tuple[float | None, ...] = (0.5, 1.0, 2.0, 5.0, 20.0, None)  # (b)'s candidates;
# None holds (no decay). A large alpha is not holding: alpha -> inf is the constant hazard.


# --------------------------------------------------------------------------- replay


@dataclass(frozen=True, eq=False)
class Days:
    """Every scored question-day, as parallel arrays."""

    question: np.ndarray  # index into the list of Tracked
    day: np.ndarray
    held: np.ndarray  # the last update's value
    fresh: np.ndarray  # the series' value that day
    horizon: np.ndarray  # days from the last update to the close (nan if unknown)
    elapsed: np.ndarray  # days since the last update
    event: np.ndarray  # bool: an event question with a known close


def update_days(first: int, last: int, cadence: int) -> np.ndarray:
    """The team's update days from ``first`` (when it starts tracking) to ``last``."""
    epoch = int(np.datetime64(EPOCH, "D").astype(np.int64))
    nxt = first + (-(first - epoch)) % cadence
    calendar = np.arange(nxt, last + 1, cadence)
    return np.unique(np.concatenate([[first], calendar])).astype(np.int64)


def value_on(q: Tracked, days: np.ndarray) -> np.ndarray:
    """The series value standing on each day (the last one dated on or before it)."""
    return q.obs_p[np.searchsorted(q.obs_day, days, side="right") - 1]


def scored_days(q: Tracked) -> np.ndarray:
    """Days tracked and unresolved: from the first value to the last one, before resolution."""
    return np.arange(q.obs_day[0], min(q.obs_day[-1], q.resolved - 1) + 1)


def replay(questions: Sequence[Tracked], cadence: int) -> Days:
    """Every scored day of every question, with what the team held on it."""
    parts = []
    for i, q in enumerate(questions):
        days = scored_days(q)
        if not len(days):
            continue
        updates = update_days(int(q.obs_day[0]), int(days[-1]), cadence)
        u = updates[np.searchsorted(updates, days, side="right") - 1]
        parts.append(
            (
                np.full(len(days), i),
                days,
                value_on(q, u),
                value_on(q, days),
                q.close - u,
                days - u,
                np.full(len(days), q.kind == "event" and np.isfinite(q.close)),
            )
        )
    cols = [np.concatenate(c) for c in zip(*parts, strict=True)]
    return Days(*cols)


def decaying(days: Days) -> np.ndarray:
    """The days a method decays: an event question's days before its close. From the close
    on the forecast is held until the question resolves, never decayed to zero: a series
    goes on after its scheduled close (a late resolution, an extension), and the update
    that follows a close would otherwise bring the held value back."""
    return days.event & (days.horizon > 0) & (days.elapsed < days.horizon)


def forecasts(
    days: Days, learned: Callable[[Days], np.ndarray], alpha: float | None = DEFAULT_ALPHA
) -> dict[str, np.ndarray]:
    """The four methods' forecasts on every scored day; (b) decays with ``alpha`` (None:
    no decay, (b) holds as (a) does)."""
    decay = held_decayed(days, alpha)
    return {"hold": days.held, "decay": decay, "learned": learned(days), "fresh": days.fresh}


def held_decayed(days: Days, alpha: float | None) -> np.ndarray:
    """Method (b): the held value, decayed by layer 2 with ``alpha`` on the days that decay
    (:func:`decaying`); ``alpha`` None holds."""
    decay = days.held.copy()
    d = decaying(days)
    if alpha is not None:
        decay[d] = decayed(days.held[d], days.horizon[d], days.elapsed[d], alpha)
    return decay


# --------------------------------------------------------------------------- learning


def platform_levels(platforms: Sequence[str]) -> tuple[str, ...]:
    """The levels of the platform factor: every platform named, sorted, but the unknown one
    (a question of unknown platform belongs to no level, so it gets no offset)."""
    return tuple(sorted(set(platforms) - {UNKNOWN_PLATFORM}))


def training_rows(
    days: Days, seen: np.ndarray, outcome: np.ndarray, platforms: Sequence[str] | None = None
) -> Any:
    """The recalibration model's rows from the scored days of the questions in ``seen``
    (a mask over questions): the very days and forecasts the backtest scores.

    Days that decay (:func:`decaying`) are a row each; days that hold one update without
    decay (state questions, and event questions from their close on) share one weighted row.
    With ``platforms`` (one per question, all of them, not only the seen ones, so that the
    levels stay the same through a walk-forward) every row belongs to its question's
    platform, a level of the factor ``platform`` (:func:`platform_levels`).
    """
    from forecast.learning.recalibration import Factor, Rows

    m = seen[days.question]
    q, held, h, e = days.question[m], days.held[m], days.horizon[m], days.elapsed[m]
    weight = 1.0 / np.bincount(q)[q]  # each question weighs 1 in all
    y = outcome[q].astype(float)
    event = days.event[m]
    decays = decaying(days)[m]
    flat = ~decays  # held as is: state questions, or no deadline ahead
    _, first, group = np.unique(
        np.column_stack([q, days.day[m] - e])[flat], axis=0, return_index=True, return_inverse=True
    )
    idx = np.flatnonzero(flat)[first]
    groups: dict[str, Any] = {}
    levels = platform_levels(platforms) if platforms is not None else ()
    if levels:
        index = {name: i for i, name in enumerate(levels)}
        one_hot = np.zeros((len(seen), len(levels)))  # a row per question
        for i, name in enumerate(platforms or ()):
            if name in index:
                one_hot[i, index[name]] = 1.0
        groups = {
            "factors": (Factor(PLATFORM, levels),),
            "members": one_hot[q[decays]],
            "held_members": one_hot[q[idx]],
        }
    return Rows(
        logit=_logit(held[decays]),
        horizon=h[decays],
        elapsed=e[decays],
        outcome=y[decays],
        weight=weight[decays],
        held_logit=_logit(held[idx]),
        held_outcome=y[idx],
        held_weight=np.bincount(group.ravel(), weights=weight[flat]),
        held_kind=np.where(event[idx], 0.0, 1.0),
        **groups,
    )


def _logit(p: np.ndarray) -> np.ndarray:
    return np.log(p) - np.log1p(-p)


@dataclass(frozen=True)
class Fit:
    """One walk-forward fit: when, on how many questions, and what it learned."""

    day: int
    questions: int
    shift: dict[str, float]
    slope: dict[str, float]
    alpha: float
    decay_share: float
    # factor -> level -> its (shift, slope) offsets; empty without factors
    offsets: dict[str, dict[str, tuple[float, float]]] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "date": iso_day(self.day),
            "questions": self.questions,
            "shift": self.shift,
            "slope": self.slope,
            "alpha": self.alpha,
            "decay_share": self.decay_share,
            "offsets": {
                factor: {name: {"shift": a, "slope": b} for name, (a, b) in levels.items()}
                for factor, levels in self.offsets.items()
            },
        }


def walk_forward(
    questions: Sequence[Tracked],
    days: Days,
    refit_days: int,
    settings: Any,
    progress: Callable[[int, int], None] | None = None,
    *,
    by_platform: bool = BY_PLATFORM,
) -> tuple[list[Fit], np.ndarray]:
    """Fit on the questions resolved before each refit day; the learned forecast of every
    scored day (nan before the first fit). ``by_platform``: with offsets by platform."""
    from forecast.learning import recalibration

    schedule = refit_schedule(questions, days, refit_days)
    learned = np.full(len(days.day), np.nan)
    resolved = np.array([q.resolved for q in questions])
    outcome = np.array([q.outcome for q in questions])
    platforms = [q.platform for q in questions] if by_platform else None
    fits: list[Fit] = []
    model = None
    for k, t in enumerate(schedule):
        seen = resolved < t  # resolved, hence fully known, before the fit
        rows = training_rows(days, seen, outcome, platforms)
        if model is None:
            model = recalibration.build_model(rows, decays=True)
        else:
            recalibration.set_rows(model, rows)
        r = recalibration.learn(model, settings, int(seen.sum()))
        assert r.alpha is not None and r.decay_share is not None  # built with decay
        offsets = {f: dict(levels) for f, levels in r.offsets.items()}
        fits.append(Fit(t, int(seen.sum()), r.shift, r.slope, r.alpha, r.decay_share, offsets))
        stop = schedule[k + 1] if k + 1 < len(schedule) else np.inf
        mine = (days.day >= t) & (days.day < stop)
        learned[mine] = _apply(r, days, mine, platforms)
        if progress is not None:
            progress(k + 1, len(schedule))
    return fits, learned


def refit_schedule(questions: Sequence[Tracked], days: Days, refit_days: int) -> list[int]:
    """Refit days: once MIN_TRAIN questions have resolved, then every ``refit_days``."""
    resolved = np.sort([q.resolved for q in questions])
    if len(resolved) < MIN_TRAIN:
        raise ForecastError(
            f"the backtest needs at least {MIN_TRAIN} resolved questions, not {len(resolved)}"
        )
    first = int(resolved[MIN_TRAIN - 1]) + 1  # the day after the MIN_TRAIN-th resolution
    return list(range(first, int(days.day.max()) + 1, refit_days))


def _apply(
    r: Any, days: Days, mask: np.ndarray, platforms: Sequence[str] | None = None
) -> np.ndarray:
    """Method (c) on the masked days: recalibrate, then decay event questions; with
    ``platforms`` (one per question) each day with its platform's offsets."""
    if platforms is None:
        return _apply_one(r, days, mask, None)
    names = np.asarray(platforms, dtype=object)[days.question[mask]]
    out = np.empty(int(mask.sum()))
    for name in np.unique(names):
        mine = names == name
        sub = mask.copy()
        sub[mask] = mine
        out[mine] = _apply_one(r, days, sub, {PLATFORM: {str(name): 1.0}})
    return out


def _apply_one(
    r: Any, days: Days, mask: np.ndarray, members: dict[str, dict[str, float]] | None
) -> np.ndarray:
    """Method (c) on the masked days, all of one set of groups ``members``."""
    e = days.event[mask]
    d = decaying(days)[mask][e]  # among the event rows, those before their close
    held = days.held[mask]
    out = r.apply(held, "state", members)
    start = r.apply(held[e], "event", members)
    decay = decayed(start[d], days.horizon[mask][e][d], days.elapsed[mask][e][d], r.alpha)
    start[d] = r.decay_share * decay + (1.0 - r.decay_share) * start[d]
    out[e] = start
    return out
