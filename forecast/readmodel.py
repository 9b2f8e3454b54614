"""The read model: a question as it stood at a knowledge time, and how every face reads it.

``Tracker.state`` builds a :class:`QuestionState`; the CLI, the dashboard, the weekly
report and the JSON output all take their numbers and labels from it (the headline, the
deadline it is for, the status, staleness), so one question on one date reads the same
everywhere. Pure: no store.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import numpy as np

from forecast import clock, event_dates, kinds
from forecast.clock import iso, utc
from forecast.domain import Assessment, Question, Report, Resolution, Source, Status
from forecast.records import Snapshot
from forecast.trajectory import Contribution, Trajectory

if TYPE_CHECKING:
    from forecast.learning.fits import Learned

AWAITING = "awaiting resolution"  # open, past its last deadline: only a resolution says more
STALE_DAYS = 14  # an open question with no evidence logged for this long is "stale"


def quiet_days(question: Question, last_logged: datetime | None, as_of: datetime) -> int:
    """Whole days from the last evidence logged on a question (else its creation, else its
    opening) to ``as_of``: how long nobody has added anything."""
    since = last_logged or question.created_at or question.opened
    return (utc(as_of) - utc(since)).days


@dataclass(frozen=True)
class QuestionState:
    """A question as it stood at a knowledge time: status, trajectory and explanation."""

    question: Question
    as_of: datetime
    resolution: Resolution | None
    trajectory: Trajectory
    contributions: list[Contribution]
    reports: dict[str, Report]
    assessments: list[Assessment]
    sources: dict[str, Source]
    learned: Learned | None = None  # the fit whose trust was used; None: as stated
    last_logged: datetime | None = None  # when evidence on it was last logged, by as_of
    # linked questions: the trajectory above is the network's; this is its own evidence's
    alone: Trajectory | None = None
    linked_to: tuple[str, ...] = ()  # the other questions of its linked group
    implied_prior: float | dict[str, float] | None = None  # linked: its prior, as links imply

    @property
    def status(self) -> Status:
        if self.resolution is None:
            return Status.OPEN
        return Status.ANNULLED if self.resolution.outcome == "annulled" else Status.RESOLVED

    @property
    def awaiting_resolution(self) -> bool:
        """Open, and past the end of its close day (an event's: its last deadline's): only
        a resolution says more."""
        close = self.question.close
        return self.status is Status.OPEN and close is not None and self.as_of >= clock.after(close)

    @property
    def status_label(self) -> str:
        """open, awaiting resolution, resolved or annulled: the status every face shows."""
        return AWAITING if self.awaiting_resolution else self.status.value

    @property
    def probability(self) -> kinds.Value:
        """The forecast now: P(YES); an event: P(by the first deadline still open); choice:
        option -> probability."""
        return kinds.rules(self.question).value(self.question, self.trajectory.final)

    @property
    def headline(self) -> kinds.Headline:
        """The one number every face shows: P(YES), P(by the first deadline still open on
        the last day), or the leading option's probability."""
        return kinds.rules(self.question).headline(self.trajectory)

    def headline_series(self) -> np.ndarray:
        """The headline day by day (event: following the first deadline open on each day;
        choice: the option that leads now)."""
        probability = np.asarray(self.trajectory.probability, dtype=float)
        if probability.ndim == 2:
            return probability[:, self.headline.column]
        return probability

    @property
    def next_deadline(self) -> datetime | None:
        """The deadline the question is summarised against: an event's headline deadline;
        otherwise its close date (None without one)."""
        deadlines = self.question.deadlines
        if not deadlines:
            return self.question.closes
        if kinds.has_ladder(self.question):
            return deadlines[self.headline.column]
        return next((d for d in deadlines if self.as_of < clock.after(d)), deadlines[-1])

    @property
    def days_left(self) -> int | None:
        """Whole days from the state's day to its close (an event's last deadline): 0 on
        the day itself, negative once it has passed; None without one."""
        close = self.question.close
        return None if close is None else (utc(close).date() - utc(self.as_of).date()).days

    @property
    def quiet_days(self) -> int:
        """Whole days since evidence on it was last logged (or since it was created)."""
        return quiet_days(self.question, self.last_logged, self.as_of)

    def stale(self, days: int = STALE_DAYS) -> bool:
        """Open, and no evidence logged for at least ``days`` days."""
        return self.status_label == Status.OPEN.value and self.quiet_days >= days

    def deadline_probabilities(self) -> list[tuple[datetime, float]]:
        if not kinds.has_ladder(self.question):
            return []
        return [
            (d, float(p))
            for d, p in zip(self.question.deadlines, self.trajectory.ladder[-1], strict=True)
        ]

    def vector(self) -> tuple[tuple[str, float], ...]:
        """The forecast now as (what, P) pairs: "yes"; "by D" for each deadline; each option."""
        q, final = self.question, self.trajectory.final
        if kinds.has_options(q):
            return tuple(zip(q.option_names, np.asarray(final, dtype=float).tolist(), strict=True))
        if kinds.has_ladder(q):
            return tuple((f"by {iso(d)}", p) for d, p in self.deadline_probabilities())
        return (("yes", float(final)),)

    @property
    def last_evidence(self) -> datetime | None:
        return max((self.reports[c.report_id].published for c in self.contributions), default=None)

    def to_json(self) -> dict[str, Any]:
        q, tr = self.question, self.trajectory
        points = [
            {"date": iso(day), "probability": kinds.rules(q).value(q, p)}
            for day, p in zip(tr.days, tr.probability, strict=True)
        ]
        for move in tr.moves:
            report = self.reports[move.report_id]
            points.append(
                {
                    "date": iso(report.published),
                    "report": move.report_id,
                    "probability": kinds.rules(q).value(q, move.after),
                }
            )
        points.sort(key=lambda pt: (str(pt["date"])[:10], "report" not in pt, str(pt["date"])))
        return {
            "id": q.id,
            "title": q.title,
            "kind": q.kind.value,
            "status": self.status_label,
            "outcome": None if self.resolution is None else self.resolution.outcome,
            "resolved_on": None if self.resolution is None else iso(self.resolution.resolved_on),
            "event_on": None
            if self.resolution is None or self.resolution.event_on is None
            else iso(self.resolution.event_on),
            "opened": iso(q.opened),
            "version": q.version,
            "edited": None if q.edited_at is None else iso(q.edited_at),
            "as_of": iso(self.as_of),
            "criteria": q.criteria,
            "prior": q.prior if not kinds.has_options(q) else dict(q.options),
            "prior_note": q.prior_note,
            "alpha": q.shape if kinds.has_ladder(q) else None,
            "trust": self._trust_json(),
            "probability": self.probability,
            "headline": {"probability": self.headline.probability, "of": self.headline.label},
            "quiet_days": self.quiet_days,
            "stale": self.stale(),
            "deadlines": [
                {"date": iso(d), "probability": p} for d, p in self.deadline_probabilities()
            ],
            "closes": None if q.close is None else iso(q.close),
            "days_left": self.days_left,
            "when": self._when_json(),
            "trajectory": points,
            "contributions": [self._contribution_json(c) for c in self.contributions],
            # a linked question: the forecast above is the network's; this, its own evidence's
            "alone": None if self.alone is None else kinds.rules(q).value(q, self.alone.final),
            "linked_to": list(self.linked_to),
        }

    def snapshot(self, at: datetime, reason: str, by: str = "", day: int = -1) -> Snapshot:
        """This state as a stored forecast taken at ``at``: the headline (binary, event) and
        the ladder or option vector, of its trajectory's ``day`` (default: the last)."""
        q, value = self.question, self.trajectory.probability[day]
        if kinds.has_options(q):
            vector = tuple(
                zip(q.option_names, np.asarray(value, dtype=float).tolist(), strict=True)
            )
            return Snapshot(q.id, utc(at), None, vector, reason, by)
        rungs = self.trajectory.ladder[day] if kinds.has_ladder(q) else ()
        ladder = tuple((iso(d), float(p)) for d, p in zip(q.deadlines, rungs, strict=True))
        return Snapshot(q.id, utc(at), float(value), ladder, reason, by)

    def when(self) -> event_dates.When | None:
        """Event questions: when the event will happen, from the last day on."""
        return self.trajectory.when()

    def _when_json(self) -> dict[str, Any] | None:
        w = self.when()
        if w is None:
            return None

        def pair(p: tuple[datetime, datetime] | None) -> list[str] | None:
            return None if p is None else [iso(p[0]), iso(p[1])]

        return {
            "median": None if w.median is None else iso(w.median),
            "p50": pair(w.p50),
            "p90": pair(w.p90),
            "beyond": w.beyond,
        }

    def _trust_json(self) -> dict[str, Any]:
        """Whose numbers moved the forecast: the stated ones, or a saved fit's."""
        if self.learned is None:
            return {"learned": False}
        fit = self.learned
        return {
            "learned": True,
            "fitted_at": iso(fit.fitted_at),
            "model_version": fit.model_version,
            "data_hash": fit.data_hash,
        }

    def _contribution_json(self, c: Contribution) -> dict[str, Any]:
        q, report = self.question, self.reports[c.report_id]
        on = c.via or q.id  # the question the report is counted on
        mine = [a for a in self.assessments if a.report_id == c.report_id and a.question_id == on]
        entry: dict[str, Any] = {
            "report": c.report_id,
            "published": iso(report.published),
            "source": report.source,
            "reliability": self.sources[report.source].reliability,
            "origin": report.origin,
            "title": report.title,
            "analysts": sorted({a.analyst for a in mine}),
            "via": c.via or None,  # linked: the question the report is counted on
        }
        if kinds.has_options(q):
            entry["likelihoods"] = [dict(a.likelihoods) for a in mine]
            entry["log_weight"] = _per_option(q, c.increment)
            entry["points"] = _per_option(q, c.points)
            entry["without"] = _per_option(q, c.without)
        else:
            entry["lr"] = [a.lr for a in mine]
            entry["log_odds"] = _number(c.increment)
            entry["points"] = float(c.points)
            entry["without"] = _number(c.without)
        return entry


def _number(value: Any) -> float | None:
    """A float for JSON; None where it was not computed or is infinite (not valid JSON)."""
    number = float(value)
    return number if np.isfinite(number) else None


def _per_option(question: Question, values: Any) -> dict[str, float | None]:
    """Option -> value; a scalar (a value not computed) applies to every option."""
    row = np.broadcast_to(np.asarray(values, dtype=float), (len(question.options),))
    return {name: _number(v) for name, v in zip(question.option_names, row, strict=True)}
