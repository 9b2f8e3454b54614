"""The track record as arrays: what the layer-3 model learns from (pure numpy, no PyMC).

Every resolved binary or event question (annulled and choice questions are left out)
becomes one outcome, learned on what was known *at each knowledge time* rather than on its
final log-odds alone (which the evidence logged just before the resolution, often the
resolving report itself, dominates). The days a question is learned on are the days the
track record scores (``forecast.kinds.window_end``): from its opening day to the day before
it resolved (an event: to its primary deadline's day, if sooner). Each day's state is the
evidence known at the end of that day, never after the resolution was first logged, and
every day weighs ``1 / days``, so each question counts once (a composite likelihood whose
terms are the daily log scores the track record averages).

Days on which the same evidence stood form one *segment*; a segment's evidence is grouped
exactly as layer 1 groups it (``forecast.updating``):

- an echo cluster is the set of reports of one question sharing an origin; each distinct
  source carrying it enters once in the cluster's unreliability ``prod(1 - r_s)`` (a
  source repeating itself adds nothing);
- within a cluster, each analyst's stated log LR is the one they gave its most reliable
  member (ties: the strongest reading), and the analysts' log terms are averaged (each row
  carries the weight ``1 / analysts``).

"Most reliable" is judged by the stated reliabilities that stood on the segment's days (a
choice made in the data, not learned: the model's likelihood must stay smooth in the
reliabilities). A binary question's segment is one *state* (its days' weights summed). An
event question's forecast decays in silence (layer 2), so the day matters: each week of a
segment is one state, at its middle day, weighing its days (``EVENT_STEP``). On day ``t``
(counted from the day the prior was stated, the ``anchor`` of ``forecast.event_dates``) the
model's forecast of "by the primary deadline" is layer 2's exactly, for reports that speak
to the first deadline ahead (the default target)::

    logit P_t = logit(1 - S(H) / S(t)) + sum of the segment's evidence terms

with ``S`` the Lomax survival whose scale makes ``1 - S(H)`` the prior and ``H`` the days
from the anchor to the primary deadline, both included. A report aimed at another deadline
or around a date enters as if it spoke to the primary one (a simplification).

Event dates (the day the resolution says the event happened, ``Resolution.happened_on``: its
event date if one was given, else its date) also give a term each, on layer
2's day cells: an event by the primary deadline, the day's mass given "by the deadline"; an
event after it, the day's mass given "not by it"; no event by the last of several deadlines,
the chance of that given "not by the primary" (censored). A single deadline's NO says
nothing of the shape: the prior fixes P(not by it).

The stated reliability of a source (the centre of its prior, not data) is the one standing
when an outcome first bore on it (``centres``): a re-rating made after that may know the
outcome.
"""

from __future__ import annotations

import hashlib
import json
from bisect import bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields, replace
from datetime import UTC, datetime, timedelta

import numpy as np

from forecast import evidence, kinds
from forecast.clock import day_start, end_of_day
from forecast.domain import ForecastError, History, Question, Resolution
from forecast.event_dates import Calendar, day_index
from forecast.updating import Item

STATED_FLOOR = 0.01
"""Stated reliabilities are clipped to [0.01, 0.99] before the logit: a stated 0 or 1 would
put the prior centre at infinity, and no source is trusted that absolutely by data."""


@dataclass(frozen=True, eq=False)
class TrainingData:
    """The arrays of one fit. Index arrays point into the label tuples or other arrays.

    Shapes: Q questions, S sources, T source types, K analysts, G segments (runs of days
    with the same evidence, each question's in time order), N states (a binary question's
    segment, or a week of an event question's), C echo clusters as they stood over a run of
    segments (a cluster that gains a member or a reading is a new one from then on), M their
    members (reports), J rows (one per cluster and analyst), E event-date terms.
    """

    questions: tuple[str, ...]  # (Q,) question ids
    sources: tuple[str, ...]  # (S,) source names
    source_types: tuple[str, ...]  # (T,) type labels ("" for untyped sources)
    analysts: tuple[str, ...]  # (K,)
    source_type: np.ndarray  # (S,) index into source_types
    stated: np.ndarray  # (S,) stated reliability, clipped to [STATED_FLOOR, 1 - STATED_FLOOR]
    prior_logit: np.ndarray  # (Q,) as the question stands at its resolution
    outcomes: np.ndarray  # (Q,) 1 = yes
    segment_question: np.ndarray  # (G,)
    state_segment: np.ndarray  # (N,)
    state_weight: np.ndarray  # (N,) days it stands for / its question's days (sum 1)
    state_prior_logit: np.ndarray  # (N,) the prior of the version standing that day
    state_event: np.ndarray  # (N,) 1: an event question's day (decays in silence)
    state_horizon: np.ndarray  # (N,) events: days from the anchor to the deadline, included
    state_elapsed: np.ndarray  # (N,) events: silent days since the anchor
    member_source: np.ndarray  # (M,) source of each report in a cluster
    member_cluster: np.ndarray  # (M,)
    cluster_start: np.ndarray  # (C,) its first segment
    cluster_end: np.ndarray  # (C,) the segment after its last
    row_cluster: np.ndarray  # (J,)
    row_analyst: np.ndarray  # (J,)
    row_log_lr: np.ndarray  # (J,) the analyst's stated log LR of the cluster's top member
    row_weight: np.ndarray  # (J,) 1 / number of analysts in the cluster
    event_question: np.ndarray  # (E,)
    event_prior_logit: np.ndarray  # (E,) the prior of "by the primary deadline"
    event_day: np.ndarray  # (E,) the event's day (censored: the first day after the
    #                        last deadline), counted from the anchor
    event_horizon: np.ndarray  # (E,) days from the anchor to the primary deadline, included
    event_kind: np.ndarray  # (E,) BY_DEADLINE, AFTER_DEADLINE or CENSORED
    n_assessments: int = 0

    @property
    def n_clusters(self) -> int:
        return len(self.cluster_start)

    @property
    def state_question(self) -> np.ndarray:
        """(N,) the question of each state."""
        return self.segment_question[self.state_segment]

    def arrays(self) -> dict[str, np.ndarray]:
        """The data arrays by field name (what the model's ``pm.Data`` containers hold)."""
        return {
            f.name: getattr(self, f.name)
            for f in fields(self)
            if isinstance(getattr(self, f.name), np.ndarray)
        }


BY_DEADLINE, AFTER_DEADLINE, CENSORED = 0, 1, 2
"""Event-date terms: happened on a day by the primary deadline (given it did), on a day
after it (given it did not happen by it), or not by the last deadline (given not by the
primary)."""


@dataclass(frozen=True)
class Evidence:
    """One assessment as layer 1 sees it, plus the source of its report."""

    item: Item
    source: str


@dataclass(frozen=True)
class Segment:
    """A run of days on which the same evidence stood on one question."""

    question: Question  # the version standing on those days
    evidence: list[Evidence]
    days: list[int]  # day indices, counted from the opening day


def training_data(history: History, *, as_of: datetime | None = None) -> TrainingData:
    """The training arrays of every binary or event question resolved yes/no by ``as_of``."""
    types = source_types(history, as_of)
    parts = evidence.by_question(history)
    resolved = resolved_questions(history, as_of)
    cutoffs = {q.id: resolved_at(history, q.id, as_of) for q, *_ in resolved}
    per_question = [
        (q, outcome, res, segments(q, res, parts[q.id], cutoffs[q.id]))
        for q, outcome, res in resolved
    ]
    return _assemble(per_question, centres(history, per_question, cutoffs, as_of), types)


def segments(
    question: Question, resolution: Resolution, history: History, cutoff: datetime | None
) -> list[Segment]:
    """The days ``question`` is learned on, grouped into runs with the same evidence.

    Day ``d``'s state is what was known at the end of that day, or at ``cutoff`` (when the
    resolution was first logged) if that is sooner. A question resolved on its opening day
    keeps that one day.
    """
    first = day_start(question.opened)
    days = max((kinds.window_end(question, resolution) - first.date()).days, 1)
    never = datetime.max.replace(tzinfo=UTC)
    known = [min(end_of_day(first + timedelta(days=d)), cutoff or never) for d in range(days)]
    changes = _change_times(history)
    runs: dict[int, list[int]] = {}
    for d, t in enumerate(known):  # the evidence changes only when a record is logged
        runs.setdefault(bisect_right(changes, t), []).append(d)
    out = []
    for run in runs.values():
        t = known[run[-1]]
        version = evidence.question_as_of(question, history, t)
        out.append(Segment(version, evidence_of(version, history, as_of=t), run))
    return out


def _change_times(history: History) -> list[datetime]:
    """When anything a question's evidence depends on was logged, in order."""
    cited = {r.source for r in history.reports}
    times = [
        *(a.logged_at for a in history.assessments),
        *(r.logged_at for r in history.reports),
        *(s.logged_at for s in history.sources if s.name in cited),
        *(v.known_from for v in (*history.questions, *history.question_versions)),
    ]
    return sorted({t for t in times if t is not None})


def centres(
    history: History,
    per_question: Sequence[tuple[Question, int, Resolution, list[Segment]]],
    cutoffs: dict[str, datetime | None],
    as_of: datetime | None,
) -> dict[str, float]:
    """Each source's stated reliability (the centre of its prior) as it stood when an outcome
    first bore on it: at the earliest resolution among the questions its reports inform.
    A re-rating logged after that may have been made knowing the outcome, and is left out;
    a source no training question cites stands as at ``as_of``."""
    first: dict[str, datetime | None] = {}
    for q, *_, parts in per_question:
        t = cutoffs[q.id]
        for e in (e for part in parts for e in part.evidence):
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


# --------------------------------------------------------------------------- assembly


def _assemble(
    per_question: Sequence[tuple[Question, int, Resolution, list[Segment]]],
    stated: dict[str, float],
    types: dict[str, str],
) -> TrainingData:
    # Labels are sorted so that the same history always gives the same arrays (and hash).
    every = [e for *_, parts in per_question for part in parts for e in part.evidence]
    source_ix = _positions({e.source for e in every})
    analyst_ix = _positions({e.item.analyst for e in every})
    type_labels = sorted({types.get(s, "") for s in source_ix})
    type_ix = _positions(type_labels)
    columns: dict[str, list[tuple]] = {
        "members": [],
        "rows": [],
        "states": [],
        "events": [],
        "clusters": [],
    }
    segment_question: list[int] = []
    for qi, (q, outcome, res, parts) in enumerate(per_question):
        days = sum(len(part.days) for part in parts)
        first = len(segment_question)
        segment_question += [qi] * len(parts)
        for g, part in enumerate(parts, start=first):
            columns["states"] += _states(part, g, days)
        for cluster, start, end in _cluster_runs(parts, first):
            c = len(columns["clusters"])
            columns["clusters"].append((start, end))
            columns["members"] += [(source_ix[s], c) for s in cluster.sources]
            weight = 1.0 / len(cluster.log_lrs)
            columns["rows"] += [
                (c, analyst_ix[a], _top(lrs), weight) for a, lrs in cluster.log_lrs.items()
            ]
        columns["events"] += [(qi, *term) for term in _event_terms(q, outcome, res)]
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
        segment_question=np.asarray(segment_question, dtype=np.int64),
        **_columns(columns["clusters"], CLUSTERS),
        **_columns(columns["members"], MEMBERS),
        **_columns(columns["rows"], ROWS),
        **_columns(columns["states"], STATES),
        **_columns(columns["events"], EVENTS),
        n_assessments=sum(len(parts[-1].evidence) for *_, parts in per_question),
    )


CLUSTERS: dict[str, object] = {"cluster_start": np.int64, "cluster_end": np.int64}
MEMBERS: dict[str, object] = {"member_source": np.int64, "member_cluster": np.int64}
ROWS: dict[str, object] = {
    "row_cluster": np.int64,
    "row_analyst": np.int64,
    "row_log_lr": float,
    "row_weight": float,
}
STATES: dict[str, object] = {
    "state_segment": np.int64,
    "state_weight": float,
    "state_prior_logit": float,
    "state_event": np.int64,
    "state_horizon": float,
    "state_elapsed": float,
}
EVENTS: dict[str, object] = {
    "event_question": np.int64,
    "event_prior_logit": float,
    "event_day": float,
    "event_horizon": float,
    "event_kind": np.int64,
}


EVENT_STEP = 7
"""An event question's decaying days are learned a week at a time: each run of up to seven
days of a segment is one state, at its middle day, weighing the days it stands for (the
midpoint rule for the daily average). Daily states cost a fit some six times as much."""


def _states(part: Segment, segment: int, days: int) -> list[tuple]:
    """A binary question's segment as one state; an event question's, one state for each
    run of up to ``EVENT_STEP`` days, at its middle day."""
    prior = logit_of_prior(part.question.prior)
    if not kinds.has_ladder(part.question):
        return [(segment, len(part.days) / days, prior, 0, 1.0, 0.0)]
    calendar = Calendar(part.question)
    horizon = float(calendar.deadlines[0] - calendar.anchor + 1)
    runs = [part.days[i : i + EVENT_STEP] for i in range(0, len(part.days), EVENT_STEP)]
    return [
        (segment, len(run) / days, prior, 1, horizon, float(max(middle(run) - calendar.anchor, 0)))
        for run in runs
    ]


def middle(days: Sequence[int]) -> int:
    """The middle day of a run of consecutive days (of two middles, the earlier)."""
    return days[(len(days) - 1) // 2]


def _event_terms(q: Question, outcome: int, res: Resolution) -> list[tuple]:
    """The event-date terms of a resolved event question (see the module's docstring):
    (prior logit, day from the anchor, horizon, kind). The event's day is the one the
    resolution states (``Resolution.happened_on``), else its date."""
    if not kinds.has_ladder(q):
        return []
    calendar = Calendar(q)
    a, prior = calendar.anchor, logit_of_prior(q.prior)
    horizon = float(calendar.deadlines[0] - a + 1)
    censored = [(prior, float(calendar.last - a + 1), horizon, CENSORED)]
    if res.outcome != "yes":
        return censored if len(q.deadlines) > 1 else []
    day = day_index(calendar.first, res.happened_on)
    if day > calendar.last:  # "yes", but after every deadline: not by the last one
        return censored
    kind = BY_DEADLINE if outcome == 1 else AFTER_DEADLINE
    return [(prior, float(max(day - a, 0)), horizon, kind)]


def logit_of_prior(p: float | None) -> float:
    assert p is not None  # binary and event questions always have a prior
    return float(np.log(p) - np.log1p(-p))


def _positions(labels: set[str] | list[str]) -> dict[str, int]:
    return {label: i for i, label in enumerate(sorted(labels))}


@dataclass
class _Cluster:
    sources: list[str]  # one entry per distinct source carrying the cluster
    log_lrs: dict[str, list[tuple[float, float]]]  # analyst -> (stated r, log LR) per report


def _clusters(ev: Sequence[Evidence]) -> dict[str, _Cluster]:
    """Echo clusters of one question by origin, in order of their first report.

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
    return by_origin


def _cluster_runs(parts: Sequence[Segment], first: int) -> list[tuple[_Cluster, int, int]]:
    """Each cluster of a question's segments (numbered from ``first``) with the run of
    segments it stood over unchanged: ``(cluster, start, end)``, ``end`` excluded.

    A cluster is written once per run rather than once per segment, so a question with n
    assessments costs about n rows, not n squared; the model adds each over its run."""
    runs: list[tuple[_Cluster, int, int]] = []
    open_: dict[str, tuple[tuple, _Cluster, int]] = {}  # origin -> (signature, cluster, start)
    end = first + len(parts)
    for g, part in enumerate(parts, start=first):
        now = {o: (_signature(c), c) for o, c in _clusters(part.evidence).items()}
        for origin in list(open_):
            signature, cluster, start = open_[origin]
            if origin not in now or now[origin][0] != signature:
                runs.append((cluster, start, g))
                del open_[origin]
        for origin, (signature, cluster) in now.items():
            open_.setdefault(origin, (signature, cluster, g))
    runs += [(cluster, start, end) for _, cluster, start in open_.values()]
    return runs


def _signature(cluster: _Cluster) -> tuple:
    """What the model reads of a cluster: its sources and each analyst's reading."""
    readings = tuple(sorted((a, _top(lrs)) for a, lrs in cluster.log_lrs.items()))
    return tuple(sorted(cluster.sources)), readings


def _top(stated: list[tuple[float, float]]) -> float:
    """The log LR given to the most reliable of an analyst's reports (tied: the strongest)."""
    best = max(r for r, _ in stated)
    return max((x for r, x in stated if r == best), key=abs)


def _columns(rows: list[tuple], dtypes: Mapping[str, object]) -> dict[str, np.ndarray]:
    """Transpose a list of tuples into named, typed columns (empty lists give empty arrays)."""
    cols = list(zip(*rows, strict=True)) if rows else [()] * len(dtypes)
    pairs = zip(dtypes.items(), cols, strict=True)
    return {n: np.asarray(c, dtype=d) for (n, d), c in pairs}  # type: ignore[call-overload]


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
