"""The track record: resolved questions scored on the forecasts that stood at the time.

Scores come from stored snapshots only (see :mod:`forecast.snapshots`), so a report logged
late can never improve a past score. The score rules are those of :mod:`forecast.scoring`.

What is scored, per resolved question (annulled questions are listed, not scored):

- binary questions: P(YES); choice questions: the option vector (multi-category Brier on
  the 0-2 scale and log score); event questions: P(event by the primary deadline), which
  resolves YES when the question resolved ``yes`` on or before that deadline's day. Each
  rung of an event's deadline ladder is also scored the same way, shown per question but
  kept out of the totals (the rungs of one question are not independent forecasts).
- "final": the forecast standing on the last scored day; "averaged": the mean daily score
  over the days the question was open (Good Judgment convention), from the day of its first
  snapshot (or its opening, if later) to the day before it resolved (for an event's primary
  deadline: to the deadline's day, if that comes first).
- against the prior: the same days scored with the question's prior alone (for an event,
  the prior decaying in silence), as a difference and as a skill score.
- against a reference series whose qid is the question's id, over the days both stood.
- per analyst: each analyst's own trajectory (their assessments only), reconstructed from
  the logged times of the records as snapshots are backfilled, over the days the question
  was known. Each day uses only what was logged by its end, and only analysts who had
  logged an assessment by the end of the last scored day are scored: nothing recorded
  after a day can change that day's score. These scores are "backfilled" by nature, or
  "imported" when they rest on imported assessments. Per tag: the questions' scores
  grouped by tag.
- calibration table, reliability and Murphy decomposition: the final forecasts of the
  binary and event questions, in ten equal bins.
- basis: what each question's scored forecasts rest on, the weakest of the snapshots that
  stood on its scored days: "live" (taken here as the forecast stood), "backfilled" (rebuilt
  here after the fact from logged times) or "imported" (brought in by an import, so never
  seen taken here). A score that does not rest on live snapshots is labelled so everywhere.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

import numpy as np

from forecast import clock, evidence, kinds, records, snapshots, trajectory
from forecast.clock import iso, utc
from forecast.domain import ForecastError, History, NotFound, Question, Resolution
from forecast.records import ReferenceQuestion
from forecast.reference import Reference
from forecast.reference import load as load_reference
from forecast.reference import names as reference_names
from forecast.scoring import (
    BY_FAMILY,
    SCORES,
    CalibrationTable,
    Murphy,
    TimeAveraged,
    calibration_table,
    improvement,
    murphy,
    skill,
    summary,
    time_averaged,
)

if TYPE_CHECKING:
    from forecast.api import Tracker

N_BINS = 10  # calibration bins: ten equal steps of 10 points
BASIS_NOTES = {
    "backfilled": "rests on forecasts rebuilt after the fact from logged times",
    "imported": "rests on forecasts brought in by an import",
}
"""What a score that does not rest on live snapshots says about itself."""
FAMILIES = ("binary", "choice")  # Brier scores on the 0-1 and the 0-2 scale never mix


class Unscored(ForecastError):
    """A resolved question that cannot be scored (the message says why)."""


class Pair(dict[str, float]):
    """Every score of the registry (``forecast.scoring.SCORES``: Brier, log in nats) of the
    same forecasts, by name; ``pair.brier`` reads ``pair["brier"]``.

    A score added to the registry is computed, averaged, compared and written out
    everywhere a track record goes, with no change here."""

    def __getattr__(self, name: str) -> float:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None

    def to_json(self) -> dict[str, float | None]:
        return {name: _num(value) for name, value in self.items()}


@dataclass(frozen=True)
class LadderScore:
    """One deadline of an event question's ladder, scored like the primary deadline."""

    deadline: datetime
    outcome: int
    forecast: float
    final: Pair
    averaged: Pair
    days: int


@dataclass(frozen=True)
class Versus:
    """The team and a reference on one question, over the days both had a forecast."""

    reference: str
    days: int
    team: Pair  # time-averaged over those days
    other: Pair
    forecast: float  # the reference's probability on the last scored day


@dataclass(frozen=True)
class QuestionScore:
    """A resolved question's scores."""

    question: Question
    resolution: Resolution
    outcome: int  # 1/0 (binary family) or the index of the option that happened
    start: date  # first scored day
    end: date  # first day not scored
    forecast: float | np.ndarray  # the final standing forecast
    final: Pair
    averaged: Pair
    prior_forecast: float | np.ndarray
    prior_final: Pair
    prior_averaged: Pair
    ladder: tuple[LadderScore, ...] = ()
    versus: tuple[Versus, ...] = ()
    basis: str = "live"  # one of records.BASES: what the scored forecasts rest on

    @property
    def family(self) -> str:
        return family(self.question)

    @property
    def caveat(self) -> str:
        """Why this score is weaker than a live one, in words; "" for a live score."""
        return BASIS_NOTES.get(self.basis, "")

    @property
    def days(self) -> int:
        return (self.end - self.start).days


@dataclass(frozen=True)
class AnalystScore:
    """One analyst's own trajectory on one resolved question, scored like the team's."""

    analyst: str
    question_id: str
    family: str
    days: int
    final: Pair
    averaged: Pair
    prior_final: Pair
    prior_averaged: Pair
    basis: str = "backfilled"  # reconstructed from logged times; "imported" if it rests on imports


@dataclass(frozen=True)
class Summary:
    """Mean scores of a group of questions of one family, with the prior's over the same."""

    count: int
    final: Pair
    averaged: Pair
    prior_final: Pair
    prior_averaged: Pair

    def versus_prior(self) -> dict[str, dict[str, float | None]]:
        """Improvement (prior minus team) and skill (1 - team / prior), final and averaged."""
        return {
            "final": _compare(self.final, self.prior_final),
            "averaged": _compare(self.averaged, self.prior_averaged),
        }

    def to_json(self) -> dict[str, Any]:
        return {
            "count": self.count,
            "final": self.final.to_json(),
            "averaged": self.averaged.to_json(),
            "prior_final": self.prior_final.to_json(),
            "prior_averaged": self.prior_averaged.to_json(),
            "versus_prior": self.versus_prior(),
        }


@dataclass(frozen=True)
class VersusSummary:
    """The team against one reference, over the questions both forecast."""

    reference: str
    count: int
    team: Pair
    other: Pair

    def to_json(self) -> dict[str, Any]:
        return {
            "count": self.count,
            "team": self.team.to_json(),
            "reference": self.other.to_json(),
            "versus_reference": _compare(self.team, self.other),
        }


@dataclass(frozen=True)
class TrackRecord:
    """Every resolved question's scores as known at ``as_of``, and their summaries."""

    as_of: datetime
    scores: list[QuestionScore]
    annulled: list[str]
    unscored: list[tuple[str, str]]  # (question id, why)
    analysts: list[AnalystScore]

    def overall(self) -> dict[str, Summary]:
        return summarise(self.scores)

    def by_analyst(self) -> dict[str, dict[str, Summary]]:
        return _grouped(self.analysts, lambda a: [a.analyst])

    def analyst_bases(self) -> dict[str, str]:
        """Each analyst's weakest basis over the questions scored for them."""
        found: dict[str, str] = {}
        for a in self.analysts:
            found[a.analyst] = max(found.get(a.analyst, a.basis), a.basis, key=_strength)
        return {name: found[name] for name in sorted(found, key=str.casefold)}

    def by_tag(self) -> dict[str, dict[str, Summary]]:
        return _grouped(self.scores, lambda s: list(s.question.tags))

    def binary(self) -> tuple[np.ndarray, np.ndarray]:
        """Outcomes and final forecasts of the binary and event questions."""
        scored = [s for s in self.scores if s.family == "binary"]
        return np.array([s.outcome for s in scored]), np.array([s.forecast for s in scored])

    def calibration(self) -> CalibrationTable | None:
        y, p = self.binary()
        return calibration_table(y, p, n_bins=N_BINS) if y.size else None

    def murphy(self) -> Murphy | None:
        y, p = self.binary()
        return murphy(y, p, n_bins=N_BINS) if y.size else None

    def bases(self) -> dict[str, list[str]]:
        """The scored questions' ids by what their scores rest on (every basis, in order)."""
        found: dict[str, list[str]] = {basis: [] for basis in records.BASES}
        for s in self.scores:
            found[s.basis].append(s.question.id)
        return found

    def versus(self) -> dict[str, VersusSummary]:
        by_name: dict[str, list[Versus]] = defaultdict(list)
        for s in self.scores:
            for v in s.versus:
                by_name[v.reference].append(v)
        return {name: _versus_summary(name, found) for name, found in sorted(by_name.items())}

    def to_json(self) -> dict[str, Any]:
        return {
            "as_of": iso(self.as_of),
            "questions": [question_json(s) for s in self.scores],
            "bases": self.bases(),
            "annulled": self.annulled,
            "unscored": [{"id": qid, "reason": why} for qid, why in self.unscored],
            "overall": {k: v.to_json() for k, v in self.overall().items()},
            "calibration": calibration_json(self.calibration()),
            "murphy": murphy_json(self.murphy()),
            "by_analyst": _groups_json(self.by_analyst()),
            "analyst_bases": self.analyst_bases(),
            "by_tag": _groups_json(self.by_tag()),
            "references": {k: v.to_json() for k, v in self.versus().items()},
        }


# --------------------------------------------------------------------------- building


def build(
    tracker: Tracker,
    *,
    as_of: datetime | None = None,
    references: Sequence[str] | None = None,
    history: History | None = None,
    analysts: bool = True,
) -> TrackRecord:
    """Score every question resolved (and known to be) by ``as_of`` (default: now).

    ``references`` names the reference series to compare with (default: every imported
    reference that shares an id with a tracker question). ``history`` may pass in an
    already read ``tracker.history(None)``. ``analysts=False`` skips per-analyst scores.
    """
    cutoff = tracker.now() if as_of is None else utc(as_of)
    history = tracker.history(None) if history is None else history
    parts = snapshots.split(history)
    closed = _resolved(history, parts, cutoff)
    ids = [q.id for q, _ in closed]
    stood = snapshots.load(tracker, ids, until=cutoff) if ids else {}
    refs = _references(tracker, ids, references)
    scores, annulled, unscored, per_analyst = [], [], [], []
    for q, res in closed:
        if res.outcome == "annulled":
            annulled.append(q.id)
            continue
        try:
            score = score_question(q, res, stood.get(q.id, []), references=refs)
        except Unscored as why:
            unscored.append((q.id, str(why)))
            continue
        scores.append(score)
        if analysts:
            per_analyst += analyst_scores(q, res, parts[q.id], cutoff)
    return TrackRecord(cutoff, scores, annulled, unscored, per_analyst)


def _resolved(
    history: History, parts: dict[str, History], cutoff: datetime
) -> list[tuple[Question, Resolution]]:
    found = []
    for q in history.questions:
        if q.created_at is not None and q.created_at > cutoff:
            continue
        res = evidence.resolution_as_of(parts[q.id], q.id, cutoff)
        if res is not None:
            found.append((q, res))
    return found


def _references(tracker: Tracker, ids: list[str], wanted: Sequence[str] | None) -> list[Reference]:
    known = [r.name for r in reference_names(tracker)]
    for name in wanted or ():
        if name not in known:
            raise NotFound(f"no reference {name!r}: import it with `forecast import-reference`")
    chosen = known if wanted is None else list(wanted)
    if not ids:
        return []
    loaded = [load_reference(tracker, name, ids) for name in chosen]
    return [r for r in loaded if r.series]


# --------------------------------------------------------------------------- one question


def family(question: Question) -> str:
    """The question's score family (``forecast.kinds``): "binary" or "choice"."""
    return kinds.rules(question).family


def outcome_index(question: Question, resolution: Resolution, deadline: int = 0) -> int:
    """What happened, as scores take it (``forecast.kinds.outcome``, the one rule)."""
    return kinds.outcome(question, resolution, deadline)


def window_end(question: Question, resolution: Resolution, deadline: int = 0) -> date:
    """The first day not scored (``forecast.kinds.window_end``, the one rule)."""
    return kinds.window_end(question, resolution, deadline)


def score_question(
    question: Question,
    resolution: Resolution,
    snaps: Sequence[records.Snapshot],
    *,
    references: Iterable[Reference] = (),
) -> QuestionScore:
    """Score one resolved question on its snapshots (oldest first).

    Raises :class:`Unscored` for an annulled question or one with no snapshot taken
    before its scored days ended.
    """
    if resolution.outcome == "annulled":
        raise Unscored("annulled")
    y, end = outcome_index(question, resolution), window_end(question, resolution)
    days, values = team_series(question, snaps)
    if not len(days):
        raise Unscored("no snapshot was taken while it was open")
    start = max(_day(question.opened), days[0].item())
    if start >= end:
        raise Unscored("no snapshot was taken before its resolution date")
    rules = _rules(question)
    prior_days, prior_values, _ = _prior_path(question, end)
    return QuestionScore(
        question=question,
        resolution=resolution,
        outcome=y,
        start=start,
        end=end,
        forecast=_standing(days, values, end),
        final=_pair(rules, y, _standing(days, values, end)),
        averaged=_averaged(rules, y, days, values, start, end),
        prior_forecast=_standing(prior_days, prior_values, end),
        prior_final=_pair(rules, y, _standing(prior_days, prior_values, end)),
        prior_averaged=_averaged(rules, y, prior_days, prior_values, start, end),
        ladder=_ladder(question, resolution, snaps, start),
        versus=tuple(_versus(question, days, values, y, start, end, references)),
        basis=basis_of(snaps, days, start, end),
    )


def basis_of(snaps: Sequence[records.Snapshot], days: np.ndarray, start: date, end: date) -> str:
    """The weakest basis among the snapshots that stood on the days from ``start`` to
    ``end`` (excluded): a day's forecast is the last snapshot dated on or before it."""
    stamps = np.arange(np.datetime64(start, "D"), np.datetime64(end, "D"))
    standing = np.searchsorted(days, stamps, side="right") - 1
    used = {snaps[i].basis for i in np.unique(np.maximum(standing, 0)).tolist()}
    return max(used, key=_strength, default="live")


def _strength(basis: str) -> int:
    """Higher is weaker: live, backfilled, imported."""
    return records.BASES.index(basis)


def team_series(
    question: Question, snaps: Sequence[records.Snapshot]
) -> tuple[np.ndarray, np.ndarray]:
    """The snapshots' days and forecasts (P(YES), or option vectors in option order)."""
    days = np.array([s.day for s in snaps], dtype="datetime64[D]")
    if kinds.has_options(question):
        values = np.array(
            [[dict(s.vector)[name] for name in question.option_names] for s in snaps], dtype=float
        ).reshape(len(snaps), len(question.options))
        return days, values
    return days, np.array([s.probability for s in snaps], dtype=float)


def _rules(question: Question) -> dict[str, Any]:
    return BY_FAMILY[family(question)]


def _prior_path(question: Question, end: date) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The prior alone, day by day up to ``end``: what the question said with no evidence."""
    path = trajectory.compute(question, [], clock.end_of_day(end - clock.ONE_DAY))
    days = np.array([d.date() for d in path.days], dtype="datetime64[D]")
    return days, path.probability, path.ladder


def _standing(days: np.ndarray, values: np.ndarray, end: date) -> Any:
    """The forecast standing on the day before ``end`` (the last one dated by then)."""
    i = int(np.searchsorted(days, np.datetime64(end - clock.ONE_DAY, "D"), side="right")) - 1
    return values[max(i, 0)]


def _pair(rules: dict[str, Any], y: int, forecast: Any) -> Pair:
    return Pair({name: float(score(y, forecast)) for name, score in rules.items()})


def _averaged(
    rules: dict[str, Any], y: int, days: np.ndarray, values: np.ndarray, start: date, end: date
) -> Pair:
    return Pair(
        {
            name: time_averaged(score, y, days, values, start=start, end=end).score
            for name, score in rules.items()
        }
    )


def _ladder(
    question: Question, resolution: Resolution, snaps: Sequence[records.Snapshot], start: date
) -> tuple[LadderScore, ...]:
    if not kinds.has_ladder(question):
        return ()
    days = np.array([s.day for s in snaps], dtype="datetime64[D]")
    vectors = [dict(s.vector) for s in snaps]
    rungs = []
    for k, deadline in enumerate(question.deadlines):
        end = window_end(question, resolution, k)
        key = iso(deadline)
        values = np.array([v.get(key, np.nan) for v in vectors], dtype=float)
        if start >= end or np.isnan(values).any():
            continue
        y = outcome_index(question, resolution, k)
        forecast = float(_standing(days, values, end))
        rungs.append(
            LadderScore(
                deadline,
                y,
                forecast,
                _pair(SCORES, y, forecast),
                _averaged(SCORES, y, days, values, start, end),
                (end - start).days,
            )
        )
    return tuple(rungs)


def _versus(
    question: Question,
    days: np.ndarray,
    values: np.ndarray,
    y: int,
    start: date,
    end: date,
    references: Iterable[Reference],
) -> Iterable[Versus]:
    if kinds.has_options(question):
        return
    for ref in references:
        found = ref.series.get(question.id)
        if found is None:
            continue
        common = max(start, found[0][0].item())
        if common >= end:
            continue
        yield Versus(
            ref.name,
            (end - common).days,
            _averaged(SCORES, y, days, values, common, end),
            _averaged(SCORES, y, found[0], found[1], common, end),
            float(_standing(found[0], found[1], end)),
        )


# --------------------------------------------------------------------------- analysts


def analyst_scores(
    question: Question, resolution: Resolution, history: History, as_of: datetime
) -> list[AnalystScore]:
    """Each analyst's own trajectory on a resolved question, scored over the days it was known.

    ``history`` is the question's own (see :func:`forecast.snapshots.split`). The forecasts
    are reconstructed at each day's end from logged times, as a backfill would.
    """
    if resolution.outcome == "annulled":
        return []
    end = window_end(question, resolution)
    start = _day(question.opened)
    if question.created_at is not None:
        start = max(start, _day(question.created_at))
    if start >= end:
        return []
    # Only what had been logged by the end of the last scored day can bear on the score.
    last = min(as_of, clock.end_of_day(end - clock.ONE_DAY))
    known = [a for a in history.assessments if _known(a.logged_at, last)]
    names = sorted({a.analyst for a in known})
    days = [start + timedelta(days=i) for i in range((end - start).days)]
    stamps = np.array(days, dtype="datetime64[D]")
    y, rules = outcome_index(question, resolution), _rules(question)
    prior_days, prior_values, _ = _prior_path(question, end)
    prior_final = _pair(rules, y, _standing(prior_days, prior_values, end))
    prior_averaged = _averaged(rules, y, prior_days, prior_values, start, end)
    found = []
    for name in names:
        own = snapshots.reconstruct(question, history, days, analyst=name).headline
        imported = any(a.imported_at is not None for a in known if a.analyst == name)
        found.append(
            AnalystScore(
                analyst=name,
                question_id=question.id,
                family=family(question),
                days=len(days),
                final=_pair(rules, y, own[-1]),
                averaged=_averaged(rules, y, stamps, own, start, end),
                prior_final=prior_final,
                prior_averaged=prior_averaged,
                basis="imported" if imported else "backfilled",
            )
        )
    return found


# --------------------------------------------------------------------------- summaries


def summarise(scores: Iterable[QuestionScore | AnalystScore]) -> dict[str, Summary]:
    """Mean scores per family (``"binary"``, ``"choice"``) of the families present."""
    by_family: dict[str, list[QuestionScore | AnalystScore]] = defaultdict(list)
    for s in scores:
        by_family[s.family].append(s)
    return {f: _summary(by_family[f]) for f in FAMILIES if by_family[f]}


def _summary(scores: list[QuestionScore | AnalystScore]) -> Summary:
    return Summary(
        count=len(scores),
        final=_mean([s.final for s in scores]),
        averaged=_mean([s.averaged for s in scores]),
        prior_final=_mean([s.prior_final for s in scores]),
        prior_averaged=_mean([s.prior_averaged for s in scores]),
    )


def _versus_summary(name: str, found: list[Versus]) -> VersusSummary:
    return VersusSummary(
        name, len(found), _mean([v.team for v in found]), _mean([v.other for v in found])
    )


def _grouped(items: Iterable[Any], keys: Any) -> dict[str, dict[str, Summary]]:
    groups: dict[str, list[Any]] = defaultdict(list)
    for item in items:
        for key in keys(item):
            groups[key].append(item)
    return {key: summarise(groups[key]) for key in sorted(groups, key=str.casefold)}


def _mean(pairs: list[Pair]) -> Pair:
    return Pair({name: float(np.mean([p[name] for p in pairs])) for name in pairs[0]})


def _compare(team: Pair, other: Pair) -> dict[str, float | None]:
    compared: dict[str, float | None] = {}
    for name in team:
        compared[f"{name}_improvement"] = _num(improvement(team[name], other[name]))
        compared[f"{name}_skill"] = _num(skill(team[name], other[name]))
    return compared


# --------------------------------------------------------------------------- references


@dataclass(frozen=True)
class HorizonScore:
    """A reference scored on the forecast standing ``days`` before each resolution date."""

    days: int
    forecasts: dict[str, float]  # qid -> the probability that stood then
    outcomes: dict[str, float]
    summary: dict[str, Any] | None  # forecast.scoring.summary; None when nothing stood
    calibration: CalibrationTable | None
    murphy: Murphy | None

    @property
    def count(self) -> int:
        return len(self.forecasts)


@dataclass(frozen=True)
class ReferenceScore:
    """A reference scored over its own resolved questions."""

    name: str
    questions: int
    resolved: int
    averaged: dict[str, dict[str, TimeAveraged]]  # qid -> score name -> over the days open
    horizons: list[HorizonScore]

    def to_json(self) -> dict[str, Any]:
        pairs = list(self.averaged.values())
        return {
            "name": self.name,
            "questions": self.questions,
            "resolved": self.resolved,
            "averaged": {
                "count": len(pairs),
                **{
                    name: _num(np.mean([p[name].score for p in pairs])) if pairs else None
                    for name in SCORES
                },
            },
            "horizons": [horizon_json(h) for h in self.horizons],
        }


def score_reference(
    ref: Reference, horizons: Sequence[int] = (), *, n_bins: int = N_BINS
) -> ReferenceScore:
    """Time-averaged scores of a reference's resolved questions, and scores at horizons.

    The time average runs from the first point of a question's series to the day before
    its resolution date, each day scored with the last point dated on or before it (points
    dated on or after the resolution date never count). At horizon H a question is scored
    with the last point dated on or before H days before its resolution date, and left out
    if there is none: the count says how many were scored. Choosing the day from the
    resolution date looks ahead (the resolution date is not known in advance), so these
    figures describe the reference's accuracy before each outcome, not a tradable strategy.
    """
    for h in horizons:
        if isinstance(h, bool) or int(h) != h or h < 0:
            raise ForecastError(f"a horizon is a whole number of days, at least 0, not {h!r}")
    resolved = [q for q in ref.questions.values() if q.outcome is not None and q.resolved_on]
    averaged = {}
    for q in resolved:
        found = _reference_averaged(ref, q)
        if found is not None:
            averaged[q.qid] = found
    scored = [_at_horizon(ref, resolved, int(h), n_bins) for h in horizons]
    return ReferenceScore(ref.name, len(ref.questions), len(resolved), averaged, scored)


def _reference_averaged(ref: Reference, q: ReferenceQuestion) -> dict[str, TimeAveraged] | None:
    found = ref.series.get(q.qid)
    if found is None or q.resolved_on is None:
        return None
    days, probs = found
    end = np.datetime64(q.resolved_on, "D")
    if days[0] >= end:
        return None
    y = int(q.outcome or 0)
    return {
        name: time_averaged(score, y, days, probs, start=days[0], end=end)
        for name, score in SCORES.items()
    }


def _at_horizon(
    ref: Reference, resolved: list[ReferenceQuestion], horizon: int, n_bins: int
) -> HorizonScore:
    forecasts, outcomes = {}, {}
    for q in resolved:
        assert q.resolved_on is not None and q.outcome is not None
        p = ref.standing(q.qid, q.resolved_on - timedelta(days=horizon))
        if p is not None:
            forecasts[q.qid], outcomes[q.qid] = p, q.outcome
    if not forecasts:
        return HorizonScore(horizon, {}, {}, None, None, None)
    y, f = list(outcomes.values()), list(forecasts.values())
    return HorizonScore(
        horizon,
        forecasts,
        outcomes,
        summary(y, f),
        calibration_table(y, f, n_bins=n_bins),
        murphy(y, f, n_bins=n_bins),
    )


# --------------------------------------------------------------------------- JSON


def question_json(s: QuestionScore) -> dict[str, Any]:
    """One question's scores as plain JSON values."""
    q = s.question
    return {
        "id": q.id,
        "title": q.title,
        "kind": q.kind.value,
        "tags": list(q.tags),
        "outcome": s.resolution.outcome,
        "resolved_on": iso(s.resolution.resolved_on),
        "scored_from": s.start.isoformat(),
        "days": s.days,
        "basis": s.basis,
        "forecast": forecast_value(q, s.forecast),
        "final": s.final.to_json(),
        "averaged": s.averaged.to_json(),
        "prior_forecast": forecast_value(q, s.prior_forecast),
        "prior_final": s.prior_final.to_json(),
        "prior_averaged": s.prior_averaged.to_json(),
        "ladder": [
            {
                "deadline": iso(r.deadline),
                "outcome": r.outcome,
                "forecast": r.forecast,
                "final": r.final.to_json(),
                "averaged": r.averaged.to_json(),
                "days": r.days,
            }
            for r in s.ladder
        ],
        "references": {
            v.reference: {
                "days": v.days,
                "forecast": v.forecast,
                "team": v.team.to_json(),
                "reference": v.other.to_json(),
            }
            for v in s.versus
        },
    }


def calibration_json(table: CalibrationTable | None) -> dict[str, Any] | None:
    """A calibration table as rows of plain numbers."""
    if table is None:
        return None
    columns = ("lower", "upper", "count", "positives", "mean_forecast", "observed_frequency")
    rows = [
        {name: _num(getattr(table, name)[i]) for name in (*columns, "ci_lower", "ci_upper")}
        for i in range(len(table.count))
    ]
    for row in rows:
        row["count"], row["positives"] = int(row["count"] or 0), int(row["positives"] or 0)
    return {"interval": table.interval, "strategy": table.strategy, "bins": rows}


def murphy_json(m: Murphy | None) -> dict[str, float | None] | None:
    if m is None:
        return None
    names = ("brier", "reliability", "resolution", "uncertainty", "residual")
    return {name: _num(getattr(m, name)) for name in names}


def horizon_json(h: HorizonScore) -> dict[str, Any]:
    clean = None
    if h.summary is not None:
        clean = {k: v if isinstance(v, int) else _num(v) for k, v in h.summary.items()}
    return {
        "days": h.days,
        "count": h.count,
        "summary": clean,
        "calibration": calibration_json(h.calibration),
        "murphy": murphy_json(h.murphy),
    }


def _groups_json(groups: dict[str, dict[str, Summary]]) -> dict[str, Any]:
    return {key: {f: s.to_json() for f, s in fams.items()} for key, fams in groups.items()}


def forecast_value(question: Question, value: Any) -> float | dict[str, float]:
    """A forecast as plain values: P(YES), or {option: P} for a choice question."""
    return kinds.rules(question).value(question, value)


def _num(value: Any) -> float | None:
    """A JSON-safe number: None where it is undefined (NaN) or infinite."""
    number = float(value)
    return number if math.isfinite(number) else None


def _day(value: datetime) -> date:
    return utc(value).date()


def _known(logged_at: datetime | None, as_of: datetime) -> bool:
    return logged_at is None or logged_at <= as_of
