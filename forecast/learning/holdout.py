"""Out of time: would a fit made earlier have forecast the questions resolved since better?

A fit's leave-one-out score on its own track record does not say whether it will help on the
questions still to come: on a time split of simulated teams it offered, every run, the fit
of a team whose later questions it scored worse (``tests/test_learning_value.py``). So
``forecast calibrate`` also fits the model (compiled once, the data swapped in) on what was
known at an earlier **cut**, when ``CUT_SHARE`` of the resolved questions had had their
resolution logged, and scores the questions resolved after the cut as the track record
scores them: each question's daily log score, averaged over its scored days, of the
forecasts the model reconstructs for it (its states), once with what forecasts would take
from the earlier fit (posterior means: :func:`offered_values`) and once with the stated
values (stated reliabilities, k = 1, alpha = 1). The **gain** is the mean over those
questions of the difference, in nats per question.

The rule (:func:`decide`): the fit is offered to forecasts only when the lower end of a 90%
paired bootstrap interval of the gain, over the later questions, is above zero. The interval
is there because the gain is small against its noise. On simulated teams whose stated values
are roughly right, learning gains or loses about a hundredth of a nat per question on later
questions, while single questions' differences spread some 0.04: over the 72 questions of a
400-question team's check the gain's standard error is about 0.005, so a gain above zero is
often luck. In the time-split test a bare "gain above zero" would have offered two such
teams' fits, and both then lost; the interval offered neither, and offered the fits of two
of three teams whose stated values were far off (each then gained some 0.085). With fewer
than ``MIN_QUESTIONS`` later questions the fit is not judged, and not offered. The check
judges the learning, not the very draws offered: the offered fit is the one on every
resolved question, which has learned from more.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

import numpy as np

from forecast.clock import iso
from forecast.domain import ForecastError, History
from forecast.learning.data import TrainingData, relabel, resolved_at, resolved_questions
from forecast.learning.data import training_data as _training_data
from forecast.learning.fits import learned_reliabilities

if TYPE_CHECKING:
    import pymc as pm

    from forecast.learning.sampling import SamplerSettings

CUT_SHARE = 0.7
"""The share of the resolved questions (by when their resolution was first logged) that the
earlier fit learns from; the rest are scored."""

MIN_QUESTIONS = 20
"""Fewer questions resolved after the cut than this, and the fit is not judged: the gain's
interval would span anything a fit could gain or lose."""

LEVEL = 0.9  # the gain's central bootstrap interval, as every learned quantity's
RESAMPLES = 2000  # bootstrap resamples of the later questions
SEED = 0  # the bootstrap's: the same scores always give the same verdict

TOO_FEW = "not judged: too few questions resolved after the cut"


@dataclass(frozen=True)
class Verdict:
    """The out-of-time check of a fit: the split, the gain with its interval, the decision."""

    cut: datetime | None
    train_questions: int  # resolved by the cut: what the earlier fit learned from
    test_questions: int  # resolved after it: what was scored
    gain: float | None  # nats/question over the stated values (None: not judged)
    gain_low: float | None
    gain_high: float | None
    offered: bool
    reason: str  # one clause: why offered or not

    def to_json(self) -> dict[str, Any]:
        return {
            "cut": None if self.cut is None else iso(self.cut),
            "share": CUT_SHARE,
            "train_questions": self.train_questions,
            "test_questions": self.test_questions,
            "gain": self.gain,
            "gain_low": self.gain_low,
            "gain_high": self.gain_high,
            "level": LEVEL,
            "offered": self.offered,
            "reason": self.reason,
        }


def decide(cut: datetime | None, train_questions: int, gains: np.ndarray) -> Verdict:
    """The offering rule, from each later question's gain over the stated values.

    Offered when there are at least ``MIN_QUESTIONS`` of them and the lower end of the
    gain's 90% paired bootstrap interval is above zero (no better is not better)."""
    g = np.asarray(gains, dtype=float)
    if g.size < MIN_QUESTIONS:
        return too_few(cut, train_questions, g.size)
    when = iso(cut) if cut is not None else "the cut"
    low, high = bootstrap(g)
    gain = float(g.mean())
    measured = (
        f"a fit on the {train_questions} questions resolved by {when} scored the {g.size} "
        f"resolved after it {gain:+.4f} nats/question against the stated values "
        f"(90% interval {low:+.4f} to {high:+.4f})"
    )
    offered = low > 0
    reason = measured if offered else f"{measured}, not clearly better"
    return Verdict(cut, train_questions, int(g.size), gain, low, high, offered, reason)


def too_few(cut: datetime | None, train_questions: int, test_questions: int) -> Verdict:
    """Not judged, for want of questions resolved after the cut."""
    when = iso(cut) if cut is not None else "the cut (no resolution has a logged time)"
    reason = f"{TOO_FEW} ({test_questions} after {when}; {MIN_QUESTIONS} needed)"
    return Verdict(cut, train_questions, test_questions, None, None, None, False, reason)


def bootstrap(gains: np.ndarray) -> tuple[float, float]:
    """The central ``LEVEL`` interval of the mean gain, resampling the questions."""
    rng = np.random.default_rng(SEED)
    picks = rng.integers(0, len(gains), size=(RESAMPLES, len(gains)))
    means = gains[picks].mean(axis=1)
    low, high = np.quantile(means, [(1 - LEVEL) / 2, (1 + LEVEL) / 2])
    return float(low), float(high)


# --------------------------------------------------------------------------- the split


def cut_time(
    history: History, *, as_of: datetime | None = None, share: float = CUT_SHARE
) -> datetime | None:
    """When ``share`` of the questions resolved by ``as_of`` had their resolution logged
    (None: no resolution has a logged time)."""
    times = sorted(
        t
        for q, *_ in resolved_questions(history, as_of)
        if (t := resolved_at(history, q.id, None)) is not None
    )
    if not times:
        return None
    return times[max(math.ceil(share * len(times)) - 1, 0)]


def later(history: History, cut: datetime, *, by: datetime | None = None) -> History:
    """The records of the questions whose resolution was first logged after ``cut`` (and
    by ``by``): the questions an earlier fit, made at ``cut``, is scored on."""
    ids = {
        r.question_id
        for r in history.resolutions
        if (t := resolved_at(history, r.question_id, None)) is not None
        and t > cut
        and (by is None or t <= by)
    }
    assessments = tuple(a for a in history.assessments if a.question_id in ids)
    reports = {a.report_id for a in assessments}
    return replace(
        history,
        questions=tuple(q for q in history.questions if q.id in ids),
        reports=tuple(r for r in history.reports if r.id in reports),
        assessments=assessments,
        resolutions=tuple(r for r in history.resolutions if r.question_id in ids),
        question_versions=tuple(v for v in history.question_versions if v.id in ids),
    )


@dataclass(frozen=True)
class Split:
    """What was known at the cut (``train``) and the questions resolved after it
    (``test``), both with the labels of the fit they check; ``seen``: the labels the
    earlier fit really learned (the rest it would leave at their stated values)."""

    cut: datetime
    train: TrainingData
    test: TrainingData
    seen: TrainingData


def split(
    history: History, like: TrainingData, *, as_of: datetime | None = None
) -> Split | Verdict:
    """The track record split at its cut, labelled ``like`` the fit it checks (whose model
    is reused); a ``Verdict`` (not judged) where it cannot be split usefully."""
    cut = cut_time(history, as_of=as_of)
    if cut is None:
        return too_few(None, 0, 0)
    seen = _training_data(history, as_of=cut)
    test = _training_data(later(history, cut, by=as_of), as_of=as_of)
    if len(test.questions) < MIN_QUESTIONS:
        return too_few(cut, len(seen.questions), len(test.questions))
    try:
        return Split(cut, relabel(seen, like=like), relabel(test, like=like), seen)
    except ForecastError as exc:  # a label the whole record no longer has (a retyped source)
        reason = f"not judged: the track record at the cut does not fit today's labels ({exc})"
        n_train, n_test = len(seen.questions), len(test.questions)
        return Verdict(cut, n_train, n_test, None, None, None, False, reason)


# --------------------------------------------------------------------------- scoring


def offered_values(
    idata: Any, data: TrainingData, seen: TrainingData
) -> tuple[np.ndarray, np.ndarray, float]:
    """What forecasts would take from the fit ``idata`` (its labels: ``data``'s), per
    source and analyst of ``data``: posterior means where the fit saw the label (``seen``),
    else a source's stated reliability moved by its type's learned shift and an analyst's
    exponent 1; the posterior-mean alpha (``fits.Learned`` as the engine uses it)."""
    post = idata["posterior"]

    def means(name: str) -> np.ndarray:
        values = np.asarray(post[name].values)
        return values.reshape(values.shape[0] * values.shape[1], -1).mean(axis=0)

    reliability, exponent, shift = means("reliability"), means("exponent"), means("type_shift")
    learned = {s: float(reliability[i]) for i, s in enumerate(data.sources) if s in seen.sources}
    shifts = {t: float(shift[i]) for i, t in enumerate(data.source_types) if t in seen.source_types}
    stated = dict(zip(data.sources, map(float, data.stated), strict=True))
    types = {
        s: data.source_types[int(t)] for s, t in zip(data.sources, data.source_type, strict=True)
    }
    r = learned_reliabilities(learned, shifts, stated, types)
    k = [exponent[i] if a in seen.analysts else 1.0 for i, a in enumerate(data.analysts)]
    return np.array([r[s] for s in data.sources]), np.array(k), float(means("alpha")[0])


def question_scores(
    model: pm.Model, data: TrainingData, points: Sequence[dict[str, np.ndarray]]
) -> list[np.ndarray]:
    """Each question's daily log score (its states' weighted log probability of the
    outcome: the track record's average over its days) at each parameter point, with
    ``data`` in the model; the model's own data is put back afterwards."""
    import pymc as pm

    from forecast.learning.model import set_data

    saved = {v.name: v.get_value() for v in model.data_vars}
    try:
        set_data(model, data)
        outcome = model["outcome"]
        logp = model.compile_fn(
            model.logp(vars=[outcome], sum=False)[0],
            inputs=model.value_vars,
            on_unused_input="ignore",
        )
        return [
            np.bincount(
                data.state_question,
                weights=np.asarray(logp({v.name: np.asarray(p[v.name]) for v in model.value_vars})),
                minlength=len(data.questions),
            )
            for p in points
        ]
    finally:
        with model:
            pm.set_data(saved)


def gains(model: pm.Model, idata: Any, test: TrainingData, seen: TrainingData) -> np.ndarray:
    """Per question of ``test``: its daily log score with what forecasts would take from
    the fit minus with the stated values (nats)."""
    from forecast.learning.model import default_point, engine_point

    learned = engine_point(model, test, *offered_values(idata, test, seen))
    with_fit, stated = question_scores(model, test, [learned, default_point(model)])
    return with_fit - stated


# --------------------------------------------------------------------------- the check


def check(
    model: pm.Model,
    history: History,
    data: TrainingData,
    settings: SamplerSettings,
    *,
    as_of: datetime | None = None,
    stage: Callable[[str], None] | None = None,
) -> Verdict:
    """The out-of-time check of the fit of ``data`` (``history``'s track record at
    ``as_of``) whose model is ``model``: fit the same model at the cut, score the later
    questions, decide (with too few of them: no fit, not judged). The model holds ``data``
    again afterwards."""
    from forecast.learning.model import fit, set_data

    say = stage or (lambda _line: None)
    parts = split(history, data, as_of=as_of)
    if isinstance(parts, Verdict):
        say(f"out-of-time check: {parts.reason}")
        return parts
    say(
        f"out-of-time check: fitting the {len(parts.seen.questions)} questions resolved by "
        f"{iso(parts.cut)}, scoring the {len(parts.test.questions)} resolved after it"
    )
    try:
        set_data(model, parts.train)
        idata = fit(model, settings)
        set_data(model, data)
        return decide(
            parts.cut, len(parts.seen.questions), gains(model, idata, parts.test, parts.seen)
        )
    finally:
        set_data(model, data)
