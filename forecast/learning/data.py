"""The track record as arrays: what the layer-3 model learns from (pure numpy, no PyMC).

Every resolved binary or event question (annulled and choice questions are left out)
becomes one outcome. Its evidence is grouped exactly as layer 1 groups it
(``forecast.updating``):

- an echo cluster is the set of reports of one question sharing an origin; each distinct
  source carrying it enters once in the cluster's unreliability ``prod(1 - r_s)`` (a
  source repeating itself adds nothing);
- within a cluster, each analyst's stated log LR is the one they gave its most reliable
  member (ties: the strongest reading), and the analysts' log terms are averaged (each row
  carries the weight ``1 / analysts``).

"Most reliable" is judged by the stated reliabilities (a choice made in the data, not
learned: the model's likelihood must stay smooth in the reliabilities). So with the
posterior means plugged back into layer 1, the model's log-odds for a binary question is
exactly the final log-odds of its trajectory as long as the learned reliabilities keep the
stated order within each analyst's cluster readings. For an event question it is layer 1 on
"yes by the primary deadline" (the date posterior of layer 2 is left out).

Event questions are learned on "yes by the primary deadline", the outcome the track record
scores (``forecast.kinds.outcome``): an event that happened after that deadline's day is a NO
there. Those that happened by it also give an event time: days from opening to the
resolution (the resolution date stands in for the event's), within the primary deadline.

Nothing recorded after a question resolved is learned from: its evidence is what was
known when its resolution was first logged (assessments, reports and their corrections or
retractions logged later are left out), so hindsight cannot leak into the fit. The stated
reliability of a source (the centre of its prior, not data) is the one standing when an
outcome first bore on it (``centres``): a re-rating made after that may know the outcome.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, fields, replace
from datetime import datetime

import numpy as np

from forecast import evidence, kinds
from forecast.clock import days_between
from forecast.domain import ForecastError, History, Question, Resolution
from forecast.updating import Item

STATED_FLOOR = 0.01
"""Stated reliabilities are clipped to [0.01, 0.99] before the logit: a stated 0 or 1 would
put the prior centre at infinity, and no source is trusted that absolutely by data."""


@dataclass(frozen=True, eq=False)
class TrainingData:
    """The arrays of one fit. Index arrays point into the label tuples or other arrays.

    Shapes: Q questions, S sources, T source types, K analysts, M cluster members
    (reports), C echo clusters, J rows (one per cluster and analyst), E event times.
    """

    questions: tuple[str, ...]  # (Q,) question ids
    sources: tuple[str, ...]  # (S,) source names
    source_types: tuple[str, ...]  # (T,) type labels ("" for untyped sources)
    analysts: tuple[str, ...]  # (K,)
    source_type: np.ndarray  # (S,) index into source_types
    stated: np.ndarray  # (S,) stated reliability, clipped to [STATED_FLOOR, 1 - STATED_FLOOR]
    prior_logit: np.ndarray  # (Q,)
    outcomes: np.ndarray  # (Q,) 1 = yes
    member_source: np.ndarray  # (M,) source of each report in a cluster
    member_cluster: np.ndarray  # (M,)
    cluster_question: np.ndarray  # (C,)
    row_cluster: np.ndarray  # (J,)
    row_question: np.ndarray  # (J,)
    row_analyst: np.ndarray  # (J,)
    row_log_lr: np.ndarray  # (J,) the analyst's stated log LR of the cluster's top member
    row_weight: np.ndarray  # (J,) 1 / number of analysts in the cluster
    event_question: np.ndarray  # (E,) YES event questions
    event_prior_logit: np.ndarray  # (E,) their priors
    event_day: np.ndarray  # (E,) days from opening to the event
    event_deadline: np.ndarray  # (E,) days from opening to the primary deadline
    n_assessments: int = 0

    @property
    def n_clusters(self) -> int:
        return len(self.cluster_question)

    def arrays(self) -> dict[str, np.ndarray]:
        """The data arrays by field name (what the model's ``pm.Data`` containers hold)."""
        return {
            f.name: getattr(self, f.name)
            for f in fields(self)
            if isinstance(getattr(self, f.name), np.ndarray)
        }


@dataclass(frozen=True)
class Evidence:
    """One assessment as layer 1 sees it, plus the source of its report."""

    item: Item
    source: str


def training_data(history: History, *, as_of: datetime | None = None) -> TrainingData:
    """The training arrays of every binary or event question resolved yes/no by ``as_of``."""
    types = source_types(history, as_of)
    split = _split_by_question(history)
    empty = replace(history, assessments=(), reports=())
    resolved = resolved_questions(history, as_of)
    cutoffs = {q.id: resolved_at(history, q.id, as_of) for q, *_ in resolved}
    per_question = [
        (q, outcome, res, evidence_of(q, split.get(q.id, empty), as_of=cutoffs[q.id]))
        for q, outcome, res in resolved
    ]
    return _assemble(per_question, centres(history, per_question, cutoffs, as_of), types)


def centres(
    history: History,
    per_question: Sequence[tuple[Question, int, Resolution, list[Evidence]]],
    cutoffs: dict[str, datetime | None],
    as_of: datetime | None,
) -> dict[str, float]:
    """Each source's stated reliability (the centre of its prior) as it stood when an outcome
    first bore on it: at the earliest resolution among the questions its reports inform.
    A re-rating logged after that may have been made knowing the outcome, and is left out;
    a source no training question cites stands as at ``as_of``."""
    first: dict[str, datetime | None] = {}
    for q, *_, found in per_question:
        t = cutoffs[q.id]
        for e in found:
            known = first.get(e.source, t)
            if e.source not in first or (t is not None and (known is None or t < known)):
                first[e.source] = t  # None (no time bounds it) counts as latest
    stated = evidence.reliabilities(history.sources, as_of)
    for name, t in first.items():
        stated[name] = evidence.reliabilities(history.sources, t)[name]
    return stated


def resolved_questions(
    history: History, as_of: datetime | None = None
) -> list[tuple[Question, int, Resolution]]:
    """Binary and event questions resolved yes or no by ``as_of``, in id order, with their
    outcome as learned (an event: yes by the primary deadline)."""
    out = []
    for q in sorted(history.questions, key=lambda q: q.id):
        if kinds.has_options(q):
            continue
        res = evidence.resolution_as_of(history, q.id, as_of)
        if res is not None and res.outcome in ("yes", "no"):
            # an event is learned on "by the primary deadline", as the track record scores
            # it: one that happened after that deadline's day is a NO there
            out.append((q, kinds.outcome(q, res), res))
    return out


def resolved_at(history: History, question_id: str, as_of: datetime | None) -> datetime | None:
    """When the question's resolution was first logged (``as_of`` if that is sooner): the
    knowledge time its evidence is learned at. None only when nothing bounds it."""
    logged = [
        r.logged_at
        for r in history.resolutions
        if r.question_id == question_id and r.logged_at is not None
    ]
    cutoffs = [t for t in (min(logged, default=None), as_of) if t is not None]
    return min(cutoffs, default=None)


def source_types(history: History, as_of: datetime | None = None) -> dict[str, str]:
    """Each source's type as it stood at ``as_of`` (first version if logged later)."""
    current = evidence.known_as_of(history.sources, lambda s: s.name, as_of)
    for s in sorted(history.sources, key=lambda s: s.version):
        current.setdefault(s.name, s)
    return {str(name): s.type for name, s in current.items()}


def evidence_of(
    question: Question,
    history: History,
    *,
    as_of: datetime | None = None,
    stated: dict[str, float] | None = None,
) -> list[Evidence]:
    """The assessments of ``question`` known at ``as_of``, with their reports' sources.

    The stated log LRs are left raw (no calibration exponent applied).
    """
    items = evidence.items_for(question, history, as_of=as_of, reliability=stated)
    reports = evidence.known_as_of(history.reports, lambda r: r.id, as_of)
    return [Evidence(item, reports[item.report_id].source) for item in items]


def _split_by_question(history: History) -> dict[str, History]:
    """One small History per question, so that per-question reads do not scan everything."""
    assessments: dict[str, list] = defaultdict(list)
    for a in history.assessments:
        assessments[a.question_id].append(a)
    reports: dict[str, list] = defaultdict(list)
    for r in history.reports:
        reports[r.id].append(r)
    out = {}
    for qid, mine in assessments.items():
        ids = {a.report_id for a in mine}
        out[qid] = replace(
            history,
            assessments=tuple(mine),
            reports=tuple(r for rid in ids for r in reports.get(rid, ())),
        )
    return out


# --------------------------------------------------------------------------- assembly


def _assemble(
    per_question: Sequence[tuple[Question, int, Resolution, list[Evidence]]],
    stated: dict[str, float],
    types: dict[str, str],
) -> TrainingData:
    # Labels are sorted so that the same history always gives the same arrays (and hash).
    source_ix = _positions({e.source for *_, ev in per_question for e in ev})
    analyst_ix = _positions({e.item.analyst for *_, ev in per_question for e in ev})
    type_labels = sorted({types.get(s, "") for s in source_ix})
    type_ix = _positions(type_labels)
    members: list[tuple] = []
    rows: list[tuple] = []
    events: list[tuple] = []
    cluster_question: list[int] = []
    for qi, (q, outcome, res, ev) in enumerate(per_question):
        for cluster in _clusters(ev):
            c = len(cluster_question)
            cluster_question.append(qi)
            members += [(source_ix[s], c) for s in cluster.sources]
            weight = 1.0 / len(cluster.log_lrs)
            rows += [
                (c, qi, analyst_ix[a], _top(lrs), weight) for a, lrs in cluster.log_lrs.items()
            ]
        if kinds.has_ladder(q) and outcome == 1:
            deadline = days_between(q.opened, q.deadlines[0])
            day = min(max(days_between(q.opened, res.resolved_on), 0.0), deadline)
            events.append((qi, logit_of_prior(q.prior), day, deadline))
    names = tuple(source_ix)
    return TrainingData(
        questions=tuple(q.id for q, *_ in per_question),
        sources=names,
        source_types=tuple(type_labels),
        analysts=tuple(analyst_ix),
        source_type=np.array([type_ix[types.get(s, "")] for s in names], dtype=np.int64),
        stated=np.clip([stated[s] for s in names], STATED_FLOOR, 1 - STATED_FLOOR).astype(float),
        prior_logit=np.array([logit_of_prior(q.prior) for q, *_ in per_question], dtype=float),
        outcomes=np.array([o for _, o, *_ in per_question], dtype=np.int64),
        **_columns(members, ("member_source", "member_cluster"), (np.int64, np.int64)),
        cluster_question=np.asarray(cluster_question, dtype=np.int64),
        **_columns(
            rows,
            ("row_cluster", "row_question", "row_analyst", "row_log_lr", "row_weight"),
            (np.int64, np.int64, np.int64, float, float),
        ),
        **_columns(
            events,
            ("event_question", "event_prior_logit", "event_day", "event_deadline"),
            (np.int64, float, float, float),
        ),
        n_assessments=sum(len(ev) for *_, ev in per_question),
    )


def logit_of_prior(p: float | None) -> float:
    assert p is not None  # binary and event questions always have a prior
    return float(np.log(p) - np.log1p(-p))


def _positions(labels: set[str] | list[str]) -> dict[str, int]:
    return {label: i for i, label in enumerate(sorted(labels))}


@dataclass
class _Cluster:
    sources: list[str]  # one entry per distinct source carrying the cluster
    log_lrs: dict[str, list[tuple[float, float]]]  # analyst -> (stated r, log LR) per report


def _clusters(ev: Sequence[Evidence]) -> list[_Cluster]:
    """Echo clusters of one question, in order of their first report.

    As in layer 1 (v2), a source repeating itself adds nothing to the cluster's
    reliability, and each analyst's LR is the one given to the most reliable member they
    assessed (ties: the strongest), judged by the stated reliabilities.
    """
    by_origin: dict[str, _Cluster] = {}
    for e in sorted(ev, key=lambda e: (e.item.order, e.item.analyst)):
        cluster = by_origin.setdefault(e.item.origin, _Cluster([], {}))
        if e.source not in cluster.sources:
            cluster.sources.append(e.source)
        stated = (e.item.reliability, float(e.item.log_lr))
        cluster.log_lrs.setdefault(e.item.analyst, []).append(stated)
    return list(by_origin.values())


def _top(stated: list[tuple[float, float]]) -> float:
    """The log LR given to the most reliable of an analyst's reports (tied: the strongest)."""
    best = max(r for r, _ in stated)
    return max((x for r, x in stated if r == best), key=abs)


def _columns(
    rows: list[tuple], names: Sequence[str], dtypes: Sequence[type]
) -> dict[str, np.ndarray]:
    """Transpose a list of tuples into named, typed columns (empty lists give empty arrays)."""
    cols = list(zip(*rows, strict=True)) if rows else [()] * len(names)
    return {n: np.asarray(c, dtype=d) for n, c, d in zip(names, cols, dtypes, strict=True)}


def relabel(data: TrainingData, like: TrainingData) -> TrainingData:
    """``data`` indexed by ``like``'s sources, analysts and types (to predict new questions
    with a model built on ``like``). A label ``like`` does not know is refused."""
    maps = {}
    for name in ("sources", "analysts", "source_types"):
        known = {label: i for i, label in enumerate(getattr(like, name))}
        unknown = [x for x in getattr(data, name) if x not in known]
        if unknown:
            raise ForecastError(f"{name[:-1].replace('_', ' ')} {unknown[0]!r} is not in the fit")
        maps[name] = np.array([known[x] for x in getattr(data, name)], dtype=np.int64)
    stated = like.stated.copy()
    stated[maps["sources"]] = data.stated
    return replace(
        data,
        sources=like.sources,
        analysts=like.analysts,
        source_types=like.source_types,
        source_type=like.source_type,
        stated=stated,
        member_source=maps["sources"][data.member_source],
        row_analyst=maps["analysts"][data.row_analyst],
    )


# --------------------------------------------------------------------------- hashing


def data_hash(data: TrainingData) -> str:
    """A digest of everything the fit learned from: labels and arrays, in field order."""
    digest = hashlib.sha256()
    for f in fields(data):
        value = getattr(data, f.name)
        digest.update(f.name.encode())
        if isinstance(value, np.ndarray):
            digest.update(f"{value.dtype.str}{value.shape}".encode())
            digest.update(np.ascontiguousarray(value).tobytes())
        else:
            digest.update(json.dumps(value).encode())
    return digest.hexdigest()[:16]
