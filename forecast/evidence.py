"""What was known when: pick the versions of records that stood at a knowledge time.

Every record is append-only and versioned. ``known_as_of`` keeps, for each id, the latest
version logged at or before the cut-off; a retracted latest version removes the record.
``items_for`` turns what was known about one question into the ``Item`` values the
updating maths consumes.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Sequence
from datetime import datetime

import numpy as np

from forecast import event_dates, kinds
from forecast.clock import day_start
from forecast.domain import Assessment, History, Question, Report, Resolution, Source
from forecast.updating import Item


def _known(record: Source | Report | Assessment | Resolution, as_of: datetime | None) -> bool:
    return as_of is None or record.logged_at is None or record.logged_at <= as_of


def known_as_of[T: (Source, Report, Assessment, Resolution)](
    records: Iterable[T], key: Callable[[T], Hashable], as_of: datetime | None
) -> dict[Hashable, T]:
    """The latest version of each record logged by ``as_of`` (all of them if None)."""
    latest: dict[Hashable, T] = {}
    for record in records:
        if not _known(record, as_of):
            continue
        k = key(record)
        if k not in latest or record.version > latest[k].version:
            latest[k] = record
    return latest


def sources_as_of(sources: Sequence[Source], as_of: datetime | None) -> dict[str, Source]:
    """Each source as it stood at ``as_of``.

    A source first logged after ``as_of`` falls back to its first version: evidence
    back-filled with an earlier ``logged`` time can name a source created today.
    """
    current = known_as_of(sources, lambda s: s.name, as_of)
    for source in sorted(sources, key=lambda s: s.version):
        current.setdefault(source.name, source)
    return {str(name): s for name, s in current.items()}


def reliabilities(sources: Sequence[Source], as_of: datetime | None) -> dict[str, float]:
    """Each source's reliability as it stood at ``as_of``."""
    return {name: s.reliability for name, s in sources_as_of(sources, as_of).items()}


def by_question(history: History) -> dict[str, History]:
    """Split a history into one small history per question, in one pass.

    Each part holds its question, the assessments of it, the reports they cite and every
    source, so per-question work never scans the whole history again.
    """
    assessments: dict[str, list[Assessment]] = {q.id: [] for q in history.questions}
    for a in history.assessments:
        assessments.setdefault(a.question_id, []).append(a)
    reports: dict[str, list[Report]] = {}
    for r in history.reports:
        reports.setdefault(r.id, []).append(r)
    resolutions: dict[str, list[Resolution]] = {}
    for res in history.resolutions:
        resolutions.setdefault(res.question_id, []).append(res)
    versions: dict[str, list[Question]] = {}
    for v in history.question_versions:
        versions.setdefault(v.id, []).append(v)
    parts = {}
    for q in history.questions:
        cited = {a.report_id for a in assessments[q.id]}
        parts[q.id] = History(
            questions=(q,),
            sources=history.sources,
            reports=[r for rid in cited for r in reports.get(rid, ())],
            assessments=assessments[q.id],
            resolutions=resolutions.get(q.id, []),
            question_versions=versions.get(q.id, []),
        )
    return parts


def question_as_of(question: Question, history: History, as_of: datetime | None) -> Question:
    """The version of ``question`` known at ``as_of`` (as it stands when None).

    Before its first edit that is version 1, also before the question was created: a read
    of a time before it existed shows the question as first written.
    """
    if question.version == 1 or as_of is None:
        return question
    versions = [v for v in history.question_versions if v.id == question.id] + [question]
    known = [v for v in versions if v.known_from is None or v.known_from <= as_of]
    return max(known or versions[:1], key=lambda v: v.version)


def resolution_as_of(
    history: History, question_id: str, as_of: datetime | None
) -> Resolution | None:
    mine = [r for r in history.resolutions if r.question_id == question_id]
    return known_as_of(mine, lambda r: r.question_id, as_of).get(question_id)


def items_for(
    question: Question,
    history: History,
    *,
    as_of: datetime | None = None,
    analyst: str | None = None,
    reliability: dict[str, float] | None = None,
    exponents: dict[str, float] | None = None,
) -> list[Item]:
    """The assessments of ``question`` known at ``as_of``, as updating ``Item`` values.

    ``analyst`` keeps one analyst's assessments only (a per-analyst trajectory).
    ``reliability`` maps source names to reliabilities (computed once for many questions,
    or learned from the track record). ``exponents`` maps analysts to a learned
    calibration exponent k on their stated LRs (LR ** k; 1 when absent).
    """
    reports = {
        rid: r
        for rid, r in known_as_of(history.reports, lambda r: r.id, as_of).items()
        if not r.retracted
    }
    mine = (a for a in history.assessments if a.question_id == question.id)
    current = known_as_of(mine, lambda a: a.id, as_of)
    rel = reliability if reliability is not None else reliabilities(history.sources, as_of)
    calendar = event_dates.Calendar(question) if kinds.has_ladder(question) else None
    first = day_start(question.opened)
    items = []
    for a in current.values():
        report = reports.get(a.report_id)
        if a.retracted or report is None or (analyst is not None and a.analyst != analyst):
            continue
        day = max(0, event_dates.day_index(first, report.published))
        log_lr = _log_lr(question, a) * (exponents or {}).get(a.analyst, 1.0)
        cells = None
        if calendar is not None:
            cells = calendar.mask(day, event_dates.Target(a.by, a.around, a.within))
        items.append(
            Item(
                report_id=report.id,
                order=(report.published, report.id),
                day=day,
                origin=report.origin_key,
                # a probability judgement is the analyst's own word: genuine by definition
                reliability=1.0 if a.judged is not None else rel[report.source],
                analyst=a.analyst,
                log_lr=log_lr,
                source=report.source,
                cells=cells,
            )
        )
    return items


def _log_lr(question: Question, a: Assessment) -> float | np.ndarray:
    if kinds.has_options(question):
        given = dict(a.likelihoods)
        return np.log([given.get(name, 1.0) for name in question.option_names])
    assert a.lr is not None  # validated on the way in
    return float(np.log(a.lr))
