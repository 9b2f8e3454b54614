"""Tables behind the pages and charts, built from the API's read models (pure pandas).

Nothing here touches Streamlit or the database: each function takes a ``QuestionState``
(or a list of them) and returns a DataFrame or a small value, so pages stay thin and the
shapes can be tested on their own.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd

from dashboards.text import clip, moment
from forecast import kinds
from forecast.api import EvidenceEntry, QuestionState
from forecast.audit import AuditEntry
from forecast.clock import day_start
from forecast.domain import Assessment, Question

TREND_DAYS = 30  # days of history in an overview sparkline
CHANGE_DAYS = 7  # the overview's "change" column: over the last week
MOVE_TOLERANCE = 1e-4  # below this (0.01 points) a silence step is not drawn


# --------------------------------------------------------------------------- overview


def overview(states: Sequence[QuestionState], stale_days: int) -> pd.DataFrame:
    """One row per question: its number, weekly change, trend, deadline and staleness."""
    rows = [_overview_row(s, stale_days) for s in states]
    columns = [
        "id",
        "question",
        "kind",
        "status",
        "tags",
        "probability",
        "of",
        "change",
        "trend",
        "deadline",
        "days_left",
        "last_evidence",
        "reports",
        "stale",
    ]
    return pd.DataFrame(rows, columns=columns)


def _overview_row(s: QuestionState, stale_days: int) -> dict[str, object]:
    h = s.headline
    series = s.headline_series()
    before = series[max(0, len(series) - 1 - CHANGE_DAYS)]
    deadline = s.next_deadline
    last = s.last_evidence
    return {
        "id": s.question.id,
        "question": s.question.title,
        "kind": s.question.kind.value,
        "status": s.status_label,
        "tags": ", ".join(s.question.tags),
        "probability": h.probability,
        "of": h.label,
        "change": float(series[-1] - before),
        "trend": series[-TREND_DAYS:].round(4).tolist(),
        "deadline": None if deadline is None else deadline.date(),
        # "By D" includes all of day D: on the deadline day itself, 0 days are left.
        "days_left": None if deadline is None else (deadline.date() - s.as_of.date()).days,
        "last_evidence": None if last is None else last.date(),
        "reports": len(s.contributions),
        "stale": s.stale(stale_days),
    }


# --------------------------------------------------------------------------- trajectory


def plotted_days(state: QuestionState) -> int:
    """How many trajectory days to draw: an event question stops at its last deadline."""
    n = len(state.trajectory.probability)
    deadlines = state.question.deadlines
    if kinds.has_ladder(state.question) and deadlines:
        last = (deadlines[-1] - state.trajectory.first_day).days + 1
        return max(1, min(n, last))
    return n


def naive_days(state: QuestionState, n: int) -> pd.DatetimeIndex:
    """The first ``n`` trajectory days as naive UTC timestamps.

    Vega-Lite reads naive times as local times and shows them as they are, so every viewer
    sees the UTC calendar day whatever their time zone (and markers line up with lines).
    """
    return pd.DatetimeIndex([d.replace(tzinfo=None) for d in state.trajectory.days[:n]])


def trajectory(state: QuestionState) -> pd.DataFrame:
    """Long table (date, series, p): the headline, each deadline, or each option."""
    q, tr = state.question, state.trajectory
    n = plotted_days(state)
    days = naive_days(state, n)
    if kinds.has_options(q):
        values, names = np.asarray(tr.probability)[:n], list(q.option_names)
    elif kinds.has_ladder(q):
        values = np.asarray(tr.ladder)[:n]
        names = [f"by {d.date().isoformat()}" for d in q.deadlines]
    else:
        values, names = np.asarray(tr.probability)[:n, None], ["P(yes)"]
    parts = []
    for k, name in enumerate(names):
        keep = (
            days <= q.deadlines[k].replace(tzinfo=None)
            if kinds.has_ladder(q)
            else np.ones(n, dtype=bool)
        )
        parts.append(
            pd.DataFrame({"date": days[keep], "series": name, "order": k, "p": values[keep, k]})
        )
    return pd.concat(parts, ignore_index=True)


def when(state: QuestionState) -> pd.DataFrame:
    """Event questions: P(the event first happens on each day), from the state's day to the
    last deadline (``QuestionState.when``), with the running total; empty otherwise."""
    w = state.when()
    if w is None or not w.days:
        return pd.DataFrame(columns=["date", "p", "cumulative"])
    p = np.asarray(w.probability, dtype=float)
    return pd.DataFrame(
        {
            "date": pd.DatetimeIndex([d.replace(tzinfo=None) for d in w.days]),
            "p": p,
            "cumulative": np.cumsum(p),
        }
    )


def when_summary(state: QuestionState) -> list[str]:
    """Event questions: the date distribution in words (median, 50% and 90% intervals, and
    P(not by the last deadline)), from the engine's ``QuestionState.when``; [] otherwise."""
    w = state.when()
    deadlines = state.question.deadlines
    if w is None or not deadlines:
        return []
    last = deadlines[-1].date().isoformat()
    if not w.days:
        return [f"No day is left before the last deadline ({last})."]

    def span(pair: tuple[datetime, datetime] | None) -> str:
        if pair is None:
            return f"reaches past the last deadline ({last})"
        return f"{pair[0].date().isoformat()} to {pair[1].date().isoformat()}"

    median = (
        w.median.date().isoformat()
        if w.median is not None
        else f"after the last deadline ({last}), if at all"
    )
    return [
        f"Median date: {median}",
        f"50% interval: {span(w.p50)}",
        f"90% interval: {span(w.p90)}",
        f"Not by the last deadline ({last}): {100 * w.beyond:.1f}%",
    ]


def judgement(a: Assessment) -> str:
    """How an analyst judged a report: "LR 0.4", "strong-against (LR 0.018)", "a 0.4, b 1.2"."""
    if a.likelihoods:
        return ", ".join(f"{name} {value:g}" for name, value in a.likelihoods)
    if a.strength:
        return f"{a.strength} (LR {a.lr:.3g})"
    return f"LR {a.lr:g}"


def evidence(entries: Sequence[EvidenceEntry], titles: dict[str, str]) -> pd.DataFrame:
    """One row per assessment as it stands: what it said, about what, and whether it counts
    (``titles``: question id -> title)."""
    rows = [
        {
            "published": e.report.published.date().isoformat(),
            "status": e.status,
            "question": titles.get(e.assessment.question_id, e.assessment.question_id),
            "judgement": judgement(e.assessment),
            "analyst": e.assessment.analyst,
            "source": e.report.source,
            "origin": e.report.origin,
            "echoes": len(e.echoes),
            "title": e.report.title,
            "report": e.report.id,
            "assessment": e.assessment.id,
            "version": e.assessment.version,
        }
        for e in entries
    ]
    return pd.DataFrame(rows, columns=list(EVIDENCE_COLUMNS))


EVIDENCE_COLUMNS = (
    "published", "status", "judgement", "analyst", "source", "title", "origin", "echoes",
    "question", "report", "assessment", "version",
)  # fmt: skip


MARKER_COLUMNS = [
    "report", "date", "p", "reports", "label", "title", "source", "published", "lr",
    "rationale", "step",
]  # fmt: skip


def markers(state: QuestionState) -> pd.DataFrame:
    """One marker per day with reports that moved the question, on the line: the value at
    the end of that day (after all of the day's reports). A day of several reports says how
    many ("3 reports") and lists each in its text; a click opens the first of them.
    """
    q = state.question
    on = {c.report_id: c.via or q.id for c in state.contributions}  # linked: counted where
    by_report: dict[str, list[Assessment]] = {}
    for a in state.assessments:
        if on.get(a.report_id, q.id) == a.question_id:
            by_report.setdefault(a.report_id, []).append(a)
    days: dict[datetime, list[Any]] = {}
    for move in state.trajectory.moves:
        # A report counts from the start of its published day: mark it there.
        days.setdefault(day_start(state.reports[move.report_id].published), []).append(move)
    rows = [_marker(q, day, moves, state, by_report) for day, moves in days.items()]
    return pd.DataFrame(rows, columns=MARKER_COLUMNS)


def _marker(
    q: Question, day: datetime, moves: list[Any], state: QuestionState,
    by_report: dict[str, list[Assessment]],
) -> dict[str, object]:  # fmt: skip
    reports = [state.reports[m.report_id] for m in moves]
    judged = [sorted(by_report.get(r.id, []), key=lambda a: a.analyst) for r in reports]
    many = len(moves) > 1

    def listed(parts: list[str], limit: int) -> str:
        """One part, or each numbered ("1. ... | 2. ..."), each cut to ``limit``."""
        if not many:
            return clip(parts[0], limit)
        return " | ".join(f"{i}. {clip(p, limit // 2)}" for i, p in enumerate(parts, 1))

    return {
        "report": reports[0].id,
        "date": pd.Timestamp(day.replace(tzinfo=None)),
        # Event: the engine's headline after the day's last report, on the line of the
        # first deadline still open that day (never a line already at zero).
        "p": 1.0 if kinds.has_options(q) else float(moves[-1].after),
        "reports": len(moves),
        "label": f"{len(moves)}" if many else "",
        "title": listed([r.title or r.id for r in reports], 120),
        "source": listed([r.source for r in reports], 120),
        "published": listed([moment(r.published) for r in reports], 40),
        "lr": listed(["; ".join(f"{a.analyst}: {judgement(a)}" for a in j) for j in judged], 120),
        "rationale": clip(
            listed([" / ".join(f"{a.analyst}: {a.rationale}" for a in j) for j in judged], 300),
            300 * (1 + many),
        ),
        "step": listed([_step_text(q, m.after - m.before) for m in moves], 80),
    }


def _step_text(q: Question, step: float | np.ndarray) -> str:
    if kinds.has_options(q):
        return ", ".join(
            f"{name} {100 * v:+.1f}" for name, v in zip(q.option_names, step, strict=True)
        )
    return f"{100 * float(step):+.1f} pts"


# --------------------------------------------------------------------------- explanation


def waterfall(state: QuestionState) -> pd.DataFrame:
    """The path from the prior to now as steps: each report, and the silences between.

    Binary and event questions only (choice questions use :func:`choice_steps`). Each row
    has ``start`` and ``end`` probabilities; reports also carry ``without``, the final
    probability had that report been left out.
    """
    q, tr = state.question, state.trajectory
    without = {c.report_id: float(np.asarray(c.without)) for c in state.contributions}
    initial = float(tr.moves[0].before) if tr.moves else float(tr.final)
    prior = float(q.prior) if q.prior is not None else initial
    if isinstance(state.implied_prior, float):
        prior = state.implied_prior  # a linked question starts where its links put it
    rows = [_bar("prior", "Prior", 0.0, prior)]
    level = prior
    for i, move in enumerate(tr.moves, start=1):
        report = state.reports[move.report_id]
        if abs(float(move.before) - level) > MOVE_TOLERANCE:
            rows.append(_bar("silence", f"{i}· silence", level, float(move.before)))
        label = f"{i}· {clip(report.source, 18)} {report.published:%m-%d}"
        row = _bar("report", label, float(move.before), float(move.after))
        row.update(
            report=report.id,
            title=clip(_via(state, move.report_id) + (report.title or report.id), 120),
            without=without.get(report.id, np.nan),
        )
        rows.append(row)
        level = float(move.after)
    final = float(tr.final)
    if abs(final - level) > MOVE_TOLERANCE:
        rows.append(_bar("silence", "silence since", level, final))
    rows.append(_bar("now", "Now", 0.0, final))
    frame = pd.DataFrame(rows)
    frame["position"] = range(len(frame))
    frame["step"] = 100 * frame["points"]
    return frame


def _via(state: QuestionState, report_id: str) -> str:
    """'via Q: ' for a report counted on a question this one is linked to."""
    via = next((c.via for c in state.contributions if c.report_id == report_id), "")
    return f"via {via}: " if via else ""


def _bar(kind: str, label: str, start: float, end: float) -> dict[str, object]:
    return {
        "kind": kind,
        "label": label,
        "start": start,
        "end": end,
        "points": end - start,
        "report": "",
        "title": "",
        "without": np.nan,
    }


def choice_steps(state: QuestionState) -> pd.DataFrame:
    """Long table (report, option, points, without) of each report's step per option."""
    q = state.question
    without = {c.report_id: np.asarray(c.without, dtype=float) for c in state.contributions}
    rows = []
    for i, move in enumerate(state.trajectory.moves, start=1):
        report = state.reports[move.report_id]
        step = np.asarray(move.after, dtype=float) - np.asarray(move.before, dtype=float)
        gone = without.get(report.id, np.full(len(q.options), np.nan))
        for k, name in enumerate(q.option_names):
            rows.append(
                {
                    "position": i,
                    "label": f"{i}· {clip(report.source, 18)} {report.published:%m-%d}",
                    "report": report.id,
                    "title": clip(report.title or report.id, 120),
                    "option": name,
                    "points": float(step[k]),
                    "without": float(gone[k]),
                }
            )
    columns = ["position", "label", "report", "title", "option", "points", "without"]
    return pd.DataFrame(rows, columns=columns)


def contributions(state: QuestionState) -> pd.DataFrame:
    """The evidence table: each report, its judgements, its step and its leave-one-out."""
    q = state.question
    marks = markers(state).set_index("report")
    clusters = Counter(state.reports[c.report_id].origin_key for c in state.contributions)
    rows = []
    for c in state.contributions:
        report = state.reports[c.report_id]
        row: dict[str, object] = {"published": moment(report.published)}
        # What moved it first (a 1440-pixel screen shows them without scrolling), then why.
        if kinds.has_options(q):
            for name, step, gone in zip(
                q.option_names, np.asarray(c.points), np.asarray(c.without), strict=True
            ):
                row[f"step {name}"] = 100 * float(step)
                row[f"without: {name}"] = float(gone)
        else:
            row["step"] = 100 * float(c.points)
            row["without it"] = float(c.without)
        echoes = clusters[report.origin_key] - 1
        row |= {
            "title": (f"via {c.via}: " if c.via else "") + report.title,
            "source": report.source,
            "reliability": state.sources[report.source].reliability
            if report.source in state.sources
            else np.nan,
            "origin": report.origin + (f" (one claim with {echoes} more)" if echoes else ""),
            "judgements": marks.loc[c.report_id, "lr"] if c.report_id in marks.index else "",
            "report": report.id,
        }
        rows.append(row)
    return pd.DataFrame(rows)


def preview(before: QuestionState, after: QuestionState, published: datetime) -> pd.DataFrame:
    """Before and after a (dry-run) report: on its published day, and now.

    Both matter: an event question past its deadlines shows nothing left to move "now",
    while the day the report came out shows the jump it makes in the trajectory.
    """
    q = before.question
    day_index = (
        published.replace(hour=0, minute=0, second=0, microsecond=0) - before.trajectory.first_day
    ).days
    names, old = _numbers(before)
    _, new = _numbers(after)
    i = min(max(day_index, 0), len(old) - 1)
    j = min(max(day_index, 0), len(new) - 1)
    return pd.DataFrame(
        {
            "question": q.id,
            "of": names,
            "before (that day)": old[i],
            "after (that day)": new[j],
            "change (that day)": 100 * (new[j] - old[i]),
            "before (now)": old[-1],
            "after (now)": new[-1],
        }
    )


def judgement_preview(
    before: QuestionState, after: QuestionState, assessment: Assessment
) -> pd.DataFrame:
    """A probability judgement ("I am now at P", dry run): the headline now and after it,
    and the LR (choice: the likelihood of each option) the library would store."""
    q = before.question
    if kinds.has_options(q):
        likelihoods = dict(assessment.likelihoods)
        return pd.DataFrame(
            {
                "of": list(q.option_names),
                "now": np.asarray(before.trajectory.final, dtype=float),
                "after": np.asarray(after.trajectory.final, dtype=float),
                "likelihood": [likelihoods.get(n, np.nan) for n in q.option_names],
            }
        )
    label = before.headline.label
    return pd.DataFrame(
        {
            "of": [f"P({label})" if label else "P(yes)"],
            "now": [float(before.trajectory.final)],
            "after": [float(after.trajectory.final)],
            "LR": [assessment.lr],
        }
    )


def _numbers(s: QuestionState) -> tuple[list[str], np.ndarray]:
    """Every daily number a question shows, as (names, days x names)."""
    q, tr = s.question, s.trajectory
    if kinds.has_options(q):
        return list(q.option_names), np.asarray(tr.probability, dtype=float)
    if kinds.has_ladder(q):
        return [f"by {d.date().isoformat()}" for d in q.deadlines], np.asarray(tr.ladder)
    return ["P(yes)"], np.asarray(tr.probability, dtype=float)[:, None]


# --------------------------------------------------------------------------- audit trail

AUDIT_COLUMNS = [
    "at",
    "who",
    "kind",
    "key",
    "version",
    "what",
    "why",
    "changes",
    "details",
    "questions",
    "imported",
]
# A spreadsheet runs a cell that starts with one of these as a formula: such text gets a
# leading apostrophe so it is read as text, in the CSV download and in every table shown
# (Streamlit's table toolbar downloads exactly what is shown). A signed number ("-2.0 pts",
# "+12.3%") is left alone: it is no formula, and an apostrophe would only hide its sign.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_SIGNED_NUMBER = re.compile(r"[+-][0-9][0-9.,]*\s*(%|pts)?")


def defuse(value: object) -> object:
    """``value``, with a leading apostrophe if it is text a spreadsheet would run."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return value if _SIGNED_NUMBER.fullmatch(value) else "'" + value
    return value


def defused(table: object) -> pd.DataFrame:
    """A copy of ``table`` (a frame, or rows for one) with every formula-like text cell
    defused (see :func:`defuse`)."""
    out = table.copy() if isinstance(table, pd.DataFrame) else pd.DataFrame(table)
    for column in out.columns:
        if out[column].dtype == object or pd.api.types.is_string_dtype(out[column]):
            out[column] = [defuse(v) for v in out[column]]
    return out


def audit(entries: Sequence[AuditEntry]) -> pd.DataFrame:
    """One row per stored version (``forecast.audit.trail``): who, when, what, why, changes."""
    rows = []
    for e in entries:
        plain = e.to_json()  # the audit module's own plain values (times as ISO text)
        rows.append(
            {
                "at": pd.NaT if e.at is None else pd.Timestamp(e.at),
                "who": e.who,
                "kind": e.kind,
                "key": e.key,
                "version": e.version,
                "what": e.action,
                "why": e.why,
                "changes": "; ".join(
                    f"{c['field']}: {_shown(c['before'])} → {_shown(c['after'])}"
                    for c in plain["changes"]
                ),
                "details": "; ".join(f"{k}: {_shown(v)}" for k, v in plain["details"].items()),
                "questions": ", ".join(e.questions),
                # An imported record's "at" is the time its file stated; this is when it
                # actually entered the store, and who brought it in.
                "imported": e.imported,
            }
        )
    return pd.DataFrame(rows, columns=AUDIT_COLUMNS)


def audit_csv(table: pd.DataFrame) -> bytes:
    """The audit table as UTF-8 CSV: times in ISO form, formula-like text defused."""
    out = defused(table)
    out["at"] = [None if pd.isna(t) else t.isoformat() for t in out["at"]]
    return out.to_csv(index=False).encode("utf-8")


def _shown(value: object) -> str:
    """A value of an audit entry as text: strings as they are, the rest as JSON."""
    if isinstance(value, str):
        return value if value else '""'
    return json.dumps(value, ensure_ascii=False)
