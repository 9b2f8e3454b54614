"""Simulated team histories with known reliabilities, exponents and decay shape.

Used by the tests and benchmarks to show that the layer-3 model recovers what generated
the data. The generative story is the model's own, run through layer 1:

- each source's true reliability is its stated reliability moved on the logit scale by
  its type's bias and its own deviation; each analyst's true exponent is ``exp(spread z)``;
- stated log LRs are drawn at random; a question resolves YES with the probability layer 1
  (v2) gives (``forecast.updating.report_steps``) using the *true* reliabilities and
  exponents, so echo clusters (distinct sources, the most reliable member's reading) and
  analyst averaging are simulated exactly as layer 1 treats them. The model picks each
  analyst's member by the *stated* reliabilities (``forecast.learning.data``); where the
  true order of a cluster's sources differs, the simulated world and the model differ;
- a YES event question happens at a time drawn from the no-evidence Lomax law of layer 2,
  conditioned on happening by the deadline; reports are placed before it.
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
    drafts = [_draft_question(team, rng, f"{prefix}{i:04d}") for i in range(team.questions)]
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
    deadline: float  # days from opening
    reports: list[tuple[str, str, str, float]]  # (report id, source, origin, day)
    assessments: list[tuple[str, str, float]]  # (report id, analyst, stated log LR)


def _draft_question(team: Team, rng: np.random.Generator, qid: str) -> _Draft:
    kind = Kind.EVENT if rng.random() < team.event_share else Kind.BINARY
    opened = START + timedelta(days=int(rng.integers(0, 365)))
    days = int(rng.integers(team.min_days, team.max_days + 1))
    deadline = opened + timedelta(days=days)
    q = Question(
        qid,
        f"simulated {qid}",
        kind,
        opened,
        prior=float(rng.uniform(0.1, 0.9)),
        deadlines=(deadline,) if kind is Kind.EVENT else (),
        created_at=opened,
    )
    return _Draft(q, float(days), [], [])


def _draft_evidence(
    team: Team, truth: Truth, rng: np.random.Generator, drafts: list[_Draft]
) -> None:
    """Spread the team's assessments over the questions: new reports, echoes, second looks."""
    sources, analysts = list(truth.stated), list(truth.exponents)
    for _ in range(team.assessments):
        d = drafts[int(rng.integers(len(drafts)))]
        analyst = analysts[int(rng.integers(len(analysts)))]
        log_lr = float(rng.normal(0, team.lr_scale))
        if d.reports and rng.random() < team.second_opinion_share:
            report_id = d.reports[int(rng.integers(len(d.reports)))][0]
            if (report_id, analyst) not in {(a[0], a[1]) for a in d.assessments}:
                d.assessments.append((report_id, analyst, log_lr))
                continue
        n = len(d.reports)
        echo = d.reports and rng.random() < team.echo_share
        origin = d.reports[int(rng.integers(n))][2] if echo else f"{d.question.id}/o{n}"
        report_id = f"{d.question.id}-r{n}"
        day = float(rng.uniform(0, d.deadline))
        d.reports.append((report_id, sources[int(rng.integers(len(sources)))], origin, day))
        d.assessments.append((report_id, analyst, log_lr))


def _true_log_odds(d: _Draft, truth: Truth) -> float:
    """Layer 1's (v2) final log-odds with the true parameters, on "yes" (for an event
    question: yes by its deadline, the date posterior left out, as in the model).

    Items carry their report's source, so an echo cluster's reliability counts each
    distinct source once, as ``forecast.learning.data`` groups it; each analyst's reading
    of a cluster is the one given to its most reliable member, by the true reliabilities.
    """
    where = {r[0]: r for r in d.reports}
    items = [
        Item(
            rid,
            (where[rid][3], rid),
            int(where[rid][3]),
            where[rid][2],
            truth.reliability[where[rid][1]],
            analyst,
            truth.exponents[analyst] * log_lr,
            source=where[rid][1],
        )
        for rid, analyst, log_lr in d.assessments
    ]
    assert d.question.prior is not None
    prior = math.log(d.question.prior / (1 - d.question.prior))
    return prior + float(sum(s.increment for s in report_steps(items)))


def event_day(prior: float, deadline: float, alpha: float, u: float) -> float:
    """The event time (days) at quantile ``u`` of the no-evidence Lomax law given YES by
    ``deadline``: ``F(t) = 1 - (b / (b + t)) ** alpha`` with ``F(deadline) = prior``."""
    b = deadline / math.expm1(-math.log1p(-prior) / alpha)
    return min(deadline, b * math.expm1(-math.log1p(-u * prior) / alpha))


def _resolve(
    d: _Draft, truth: Truth, rng: np.random.Generator
) -> tuple[Question, list[Report], list[Assessment], Resolution]:
    q = d.question
    yes = rng.random() < float(expit(_true_log_odds(d, truth)))
    when = d.deadline
    if yes and q.kind is Kind.EVENT:
        assert q.prior is not None
        when = event_day(q.prior, d.deadline, truth.alpha, float(rng.random()))
    # Evidence must come before the resolution: squeeze report days into [0, when]. Timing
    # does not enter the outcome, so this leaves the outcome's law unchanged.
    scale = when / d.deadline
    reports = [
        Report(
            rid,
            q.opened + timedelta(days=day * scale),
            src,
            origin=origin,
            logged_at=q.opened + timedelta(days=day * scale, hours=1),
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
        q.id, "yes" if yes else "no", resolved_on, logged_at=resolved_on + timedelta(days=1)
    )
    return q, reports, assessments, resolution
