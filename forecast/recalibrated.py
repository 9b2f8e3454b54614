"""The team's recalibrated forecasts: the track record's scored days in, the recalibration
(:mod:`forecast.learning.team`) fitted, saved, and shown beside a stated forecast.

Every face asks here: ``forecast calibrate`` fits it (:func:`calibrate`), ``show --learned``,
the dashboard's learned view and the weekly report show it (:func:`beside`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from forecast import clock, evidence, snapshots, track_record
from forecast.domain import Assessment, ForecastError, History, Status
from forecast.learning import team
from forecast.learning.data import resolved_at

if TYPE_CHECKING:
    from forecast.api import Tracker
    from forecast.learning.fits import Learned
    from forecast.learning.sampling import SamplerSettings
    from forecast.readmodel import QuestionState


def scored(tracker: Tracker, *, as_of: datetime | None = None,
           history: History | None = None) -> list[team.Scored]:  # fmt: skip
    """Every resolved binary and event question the track record scores, with the team's
    forecast standing on each of its scored days (the track record's days and values)."""
    history = tracker.history(None) if history is None else history
    record = track_record.build(tracker, as_of=as_of, history=history, analysts=False)
    wanted = [s for s in record.scores if s.question.kind in team.CLASSES]
    stood = snapshots.load(tracker, [s.question.id for s in wanted], until=record.as_of)
    found = []
    for s in wanted:
        q = s.question
        days, values = track_record.team_series(q, stood.get(q.id, []))
        scored_days = np.arange(
            np.datetime64(s.start, "D"), np.datetime64(s.end, "D"), dtype="datetime64[D]"
        )
        # the forecast standing on each day: the last snapshot dated by then
        at = np.searchsorted(days, scored_days, side="right") - 1
        known = resolved_at(history, q.id, record.as_of) or clock.end_of_day(s.end)
        logged = evidence.known_as_of(
            (a for a in history.assessments if a.question_id == q.id), lambda a: a.id, known
        )
        gone = {r.id for r in evidence.known_as_of(history.reports, lambda r: r.id, known).values()
                if r.retracted}  # fmt: skip
        logged = {k: a for k, a in logged.items() if a.report_id not in gone}
        found.append(
            team.Scored(q.id, q.kind, q.created_by, q.tags, int(s.outcome), known,
                        scored_days, values[np.maximum(at, 0)], analysts(logged.values(), q.id))
        )  # fmt: skip
    return found


def analysts(assessments: Iterable[Assessment], question_id: str) -> dict[str, float]:
    """Each analyst's share of the question's assessments in force (retracted ones left out):
    the weights of the team recalibration's analyst offsets."""
    return team.shares(
        a.analyst for a in assessments if a.question_id == question_id and not a.retracted
    )


def calibrate(
    tracker: Tracker,
    settings: SamplerSettings,
    *,
    directory: str | Path | None = None,
    now: datetime | None = None,
    stage: Callable[[str], None] | None = None,
) -> tuple[Path, dict[str, Any]]:
    """Fit the team's recalibration on every scored question, judge it walk-forward, save
    it (offered or not). Raises ``ForecastError`` when nothing has been scored yet."""
    history = tracker.history(None)
    found = scored(tracker, history=history)
    final, verdict, figures = team.learn(found, settings, stage=stage)
    content = team.summary(final, verdict, figures, found, history, now or tracker.now())
    return team.save(content, directory), content


def load(tracker: Tracker, directory: str | Path | None = None) -> team.TeamRecalibration | None:
    """The saved recalibration (None: never fitted); refused when stale."""
    return team.load(directory, history=tracker.history(None))


@dataclass(frozen=True)
class Learning:
    """What ``--learned`` (and the dashboard's learned view) uses from the saved fits."""

    fit: Learned | None  # layer 3's trust, when forecasts may use it
    refused: str | None  # why layer 3's fit is not used, when the team's recalibration is
    team: team.TeamRecalibration | None  # the team's recalibration, when one is saved


def learning(tracker: Tracker, directory: str | Path | None = None) -> Learning:
    """The saved fits for ``--learned``: layer 3's trust if it may be used, the team's
    recalibration if saved. Raises layer 3's refusal when there is no recalibration either
    (then nothing learned can be shown)."""
    saved = load(tracker, directory)
    try:
        return Learning(tracker.learned_fit(directory), None, saved)
    except ForecastError as why:
        if saved is None:
            raise
        return Learning(None, str(why), saved)


BAND = 0.9  # the credible band shown with a recalibrated forecast


def beside(
    state: QuestionState, saved: team.TeamRecalibration | None, *, analyst: str | None = None
) -> dict[str, Any] | None:
    """What the team's recalibration makes of a state's headline, for showing beside it (a
    state on the stated values: the recalibration learned how to read those), with its
    ``BAND`` credible band over the saved draws. The state is the team's (its analysts
    weighted by their shares of its assessments) or, with ``analyst``, that analyst's own
    (a state of their judgements alone: their offset in full; an analyst the fit has not
    seen adds none). It is
    None for a choice question, a resolved or annulled one, or when nothing is saved;
    ``"offered": false`` (and why) when the walk-forward check did not show it helps, with
    no value to show."""
    q = state.question
    if saved is None or q.kind not in team.CLASSES or state.status is not Status.OPEN:
        return None  # nothing saved, a choice question, or the outcome is known
    if not saved.offered:
        return {"offered": False, "reason": saved.reason, "fitted_at": saved.fitted_at}
    stated = float(state.probability)  # type: ignore[arg-type]  # binary or event: a float
    shares = {analyst: 1.0} if analyst is not None else analysts(state.assessments, q.id)
    shift, slope = saved.line(q.kind, q.created_by, q.tags, shares)
    band = saved.band(stated, q.kind, q.created_by, q.tags, shares, BAND)
    return {
        "offered": True,
        "probability": saved.apply(stated, q.kind, q.created_by, q.tags, shares),
        "band": None if band is None else {"prob": BAND, "low": band[0], "high": band[1]},
        "stated": stated,
        "shift": shift,
        "slope": slope,
        "author": q.created_by or team.NO_AUTHOR,
        "tags": list(q.tags),
        "analysts": shares,
        "fitted_at": saved.fitted_at,
        "reason": saved.reason,
    }
