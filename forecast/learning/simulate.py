"""Simulated team histories with known reliabilities, exponents and decay shape.

Used by the tests and benchmarks to show that the layer-3 model recovers what generated
the data. The generative story makes every day's forecast (layer 1 and 2 with the *true*
parameters) the exact probability of the outcome given what was known that day, which is
what the model's composite likelihood assumes:

- each source's true reliability is its stated reliability moved on the logit scale by
  its type's bias and its own deviation; each analyst's true exponent is ``exp(spread z)``;
- the outcome comes first: a binary question resolves YES with its prior; an event
  question's event time is drawn from layer 2's Lomax law (scale set by the prior, shape
  ``alpha``), and it resolves YES if that falls by the deadline's day;
- reports fall on uniformly random days before the deadline, at one rate whatever the
  outcome (those after an event's time are never written); each echo cluster (one origin)
  is one piece of evidence, read by one or more analysts with magnitudes drawn at random
  and one common direction, drawn so that the cluster's likelihood ratio between YES and NO
  is exactly what layer 1 (v2) computes for it with the true parameters
  (``forecast.updating.report_steps``): given its term ``T > 0`` for the readings taken as
  favouring YES, they favour YES with probability ``sigmoid(T)`` when the outcome is YES
  and ``sigmoid(-T)`` when it is NO, a ratio of ``exp(T)``. Clusters are independent
  given the outcome.

Where the model and this world differ: each analyst's reading of a cluster is picked by the
*stated* reliabilities in the model and by the true ones here, and a cluster that grows over
time (later echoes, second opinions) is drawn with its final term, so the days before it was
complete see a weaker version of it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np

from forecast.domain import Assessment, History, Kind, Question, Report, Resolution, Source
from forecast.updating import Item, expit, report_steps

START = datetime(2024, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Team:
    """The size and habits of a simulated team."""

    questions: int = 500
    assessments: int = 10_000
    sources: int = 30
    analysts: int = 10
    source_types: tuple[str, ...] = ("agency", "official", "social")
    event_share: float = 0.5  # share of event questions
    echo_share: float = 0.15  # share of new reports that echo an earlier report's origin
    second_opinion_share: float = 0.1  # share of assessments of an already assessed report
    lr_scale: float = 1.2  # standard deviation of stated log LRs
    min_days: int = 30  # questions run from min_days to max_days before their deadline
    max_days: int = 240


@dataclass(frozen=True)
class Truth:
    """What generated a simulated history (and what the team states)."""

    stated: dict[str, float]  # the team's stated reliability per source
    source_type: dict[str, str]
    reliability: dict[str, float]  # the true ones
    exponents: dict[str, float]
    alpha: float
    type_shift: dict[str, float]


def draw_truth(
    team: Team,
    rng: np.random.Generator,
    *,
    type_shift_sd: float = 0.8,
    source_spread: float = 0.5,
    exponent_spread: float = 0.3,
    alpha: float | None = None,
) -> Truth:
    """Draw stated and true parameters for a team."""
    names = [f"source-{i:02d}" for i in range(team.sources)]
    types = {n: team.source_types[i % len(team.source_types)] for i, n in enumerate(names)}
    shift = {t: float(rng.normal(0, type_shift_sd)) for t in team.source_types}
    stated = {n: float(rng.uniform(0.4, 0.95)) for n in names}
    true = {
        n: float(
            expit(
                math.log(stated[n] / (1 - stated[n]))
                + shift[types[n]]
                + source_spread * rng.normal()
            )
        )
        for n in names
    }
    exponents = {
        f"analyst-{i:02d}": float(np.exp(exponent_spread * rng.normal()))
        for i in range(team.analysts)
    }
    shape = float(np.exp(rng.normal(0, 0.5))) if alpha is None else alpha
    return Truth(stated, types, true, exponents, shape, shift)


def simulate(team: Team, truth: Truth, rng: np.random.Generator, *, prefix: str = "q") -> History:
    """A resolved history of ``team.questions`` questions generated from ``truth``."""
    sources = tuple(
        Source(n, truth.stated[n], truth.source_type[n], logged_at=START - timedelta(days=1))
        for n in truth.stated
    )
    drafts = [_draft_question(team, truth, rng, f"{prefix}{i:04d}") for i in range(team.questions)]
    _draft_evidence(team, truth, rng, drafts)
    records = [_resolve(d, truth, rng) for d in drafts]
    return History(
        questions=tuple(r[0] for r in records),
        sources=sources,
        reports=tuple(x for r in records for x in r[1]),
        assessments=tuple(x for r in records for x in r[2]),
        resolutions=tuple(r[3] for r in records),
    )


@dataclass
class _Draft:
    """A question being simulated, before its records are made."""

    question: Question
    deadline: float  # days from opening to the deadline's day
    event: float  # days from opening to the event (inf: never); binary: 0 or inf for YES/NO
    reports: list[tuple[str, str, str, float]]  # (report id, source, origin, day)
    assessments: list[tuple[str, str, float]]  # (report id, analyst, |stated log LR|)

    @property
    def yes(self) -> bool:
        return self.event < self.deadline + 1.0  # by the deadline's day, all of it


def _draft_question(team: Team, truth: Truth, rng: np.random.Generator, qid: str) -> _Draft:
    kind = Kind.EVENT if rng.random() < team.event_share else Kind.BINARY
    opened = START + timedelta(days=int(rng.integers(0, 365)))
    days = int(rng.integers(team.min_days, team.max_days + 1))
    deadline = opened + timedelta(days=days)
    prior = float(rng.uniform(0.1, 0.9))
    q = Question(
        qid,
        f"simulated {qid}",
        kind,
        opened,
        prior=prior,
        deadlines=(deadline,) if kind is Kind.EVENT else (),
        created_at=opened,
    )
    if kind is Kind.EVENT:
        event = event_time(prior, days + 1.0, truth.alpha, float(rng.random()))
    else:
        event = 0.0 if rng.random() < prior else math.inf
    return _Draft(q, float(days), event, [], [])


def _draft_evidence(
    team: Team, truth: Truth, rng: np.random.Generator, drafts: list[_Draft]
) -> None:
    """Spread the team's assessments over the questions (new reports, echoes, second
    looks), then draw each cluster's direction given the outcome."""
    sources, analysts = list(truth.stated), list(truth.exponents)
    for _ in range(team.assessments):
        d = drafts[int(rng.integers(len(drafts)))]
        analyst = analysts[int(rng.integers(len(analysts)))]
        size = abs(float(rng.normal(0, team.lr_scale)))
        if d.reports and rng.random() < team.second_opinion_share:
            report_id = d.reports[int(rng.integers(len(d.reports)))][0]
            if (report_id, analyst) not in {(a[0], a[1]) for a in d.assessments}:
                d.assessments.append((report_id, analyst, size))
                continue
        day = float(rng.uniform(0, d.deadline))
        if d.question.kind is Kind.EVENT and day >= d.event:
            continue  # reports arrive at one rate, until the event ends the question
        n = len(d.reports)
        echo = d.reports and rng.random() < team.echo_share
        origin = d.reports[int(rng.integers(n))][2] if echo else f"{d.question.id}/o{n}"
        report_id = f"{d.question.id}-r{n}"
        d.reports.append((report_id, sources[int(rng.integers(len(sources)))], origin, day))
        d.assessments.append((report_id, analyst, size))
    for d in drafts:
        _direct(d, truth, rng)


def _direct(d: _Draft, truth: Truth, rng: np.random.Generator) -> None:
    """Give each cluster's readings one direction, with likelihood ratio exp(T) between
    the outcomes (T: the cluster's layer-1 term, true parameters, readings favouring YES)."""
    where = {r[0]: r for r in d.reports}
    by_origin: dict[str, list[tuple[str, str, float]]] = {}
    for a in d.assessments:
        by_origin.setdefault(where[a[0]][2], []).append(a)
    sign = {}
    for origin, readings in by_origin.items():
        term = sum(s.increment for s in report_steps([_item(where, a, truth) for a in readings]))
        favours_yes = rng.random() < float(expit(term if d.yes else -term))
        sign[origin] = 1.0 if favours_yes else -1.0
    d.assessments = [(r, a, sign[where[r][2]] * size) for r, a, size in d.assessments]


def _item(where: dict[str, tuple], assessment: tuple[str, str, float], truth: Truth) -> Item:
    rid, analyst, size = assessment
    _, source, origin, day = where[rid]
    return Item(
        rid,
        (day, rid),
        int(day),
        origin,
        truth.reliability[source],
        analyst,
        truth.exponents[analyst] * size,
        source=source,
    )


def event_time(prior: float, horizon: float, alpha: float, u: float) -> float:
    """The event time (days from the anchor) at quantile ``u`` of layer 2's Lomax law,
    ``F(t) = 1 - (b / (b + t)) ** alpha`` with ``F(horizon) = prior`` (inf past the law's
    mass: never)."""
    b = horizon / math.expm1(-math.log1p(-prior) / alpha)
    return b * math.expm1(-math.log1p(-u) / alpha) if u < 1.0 else math.inf


def _resolve(
    d: _Draft, truth: Truth, rng: np.random.Generator
) -> tuple[Question, list[Report], list[Assessment], Resolution]:
    q = d.question
    if q.kind is Kind.EVENT:  # the event's day, or the day after the deadline's: it is over
        when = math.floor(d.event) if d.yes else d.deadline + 1.0
    else:
        when = d.deadline
    reports = [
        Report(
            rid,
            q.opened + timedelta(days=day),
            src,
            origin=origin,
            logged_at=q.opened + timedelta(days=day, hours=1),
        )
        for rid, src, origin, day in d.reports
    ]
    published = {r.id: r.published for r in reports}
    assessments = [
        Assessment(
            f"a-{rid}-{analyst}",
            rid,
            q.id,
            analyst,
            lr=math.exp(log_lr),
            logged_at=published[rid] + timedelta(hours=1),
        )
        for rid, analyst, log_lr in d.assessments
    ]
    resolved_on = q.opened + timedelta(days=when)
    resolution = Resolution(
        q.id, "yes" if d.yes else "no", resolved_on, logged_at=resolved_on + timedelta(days=1)
    )
    return q, reports, assessments, resolution
