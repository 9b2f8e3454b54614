"""Reference forecasts: a market's or a crowd's dated probabilities, imported to compare with.

A named reference ("market", "forecastbench") is two tables read from CSV or Parquet:

- questions: ``qid, question, open, close (or deadline), outcome, resolution date``;
- series: ``qid, date, prob`` (one probability of YES per question per day).

The column names of the ForecastBench datasets (``open_datetime``, ``close_datetime``,
``effective_resolution_date``; Karger et al., "ForecastBench: A Dynamic Benchmark of AI
Forecasting Capabilities", ICLR 2025, CC BY-SA 4.0) are accepted as they are, so
``../shared/data/forecastbench/`` imports without conversion. Other columns are ignored.
Missing values may be empty, ``NA``, ``N/A``, ``nan`` or ``null``. When a series repeats a
(qid, date) pair, the later row wins (a later record of the same day) and the import says
how many were replaced.

A reference question links to the tracker question with the same id. Imports are
all-or-nothing and stored append-only; a name cannot be imported twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from forecast.domain import ForecastError, check_id
from forecast.records import ReferenceQuestion, ReferenceSet

if TYPE_CHECKING:
    import pandas as pd

    from forecast.api import Tracker

MAX_QID = 255  # characters of an outside question id (the store's column width)
MISSING = frozenset({"", "na", "n/a", "nan", "nat", "none", "null"})
YES = frozenset({"1", "1.0", "yes", "true"})
NO = frozenset({"0", "0.0", "no", "false"})

# Accepted column names (compared lower-case, with spaces and dashes read as underscores).
QUESTION_COLUMNS: dict[str, tuple[str, ...]] = {
    "qid": ("qid", "id", "question_id"),
    "question": ("question", "title"),
    "open": ("open", "opened", "open_date", "open_datetime"),
    "close": ("close", "deadline", "close_date", "close_datetime"),
    "outcome": ("outcome", "resolved_to"),
    "resolved_on": (
        "resolution_date",
        "effective_resolution_date",
        "resolved_on",
        "resolution",
    ),
}
SERIES_COLUMNS: dict[str, tuple[str, ...]] = {
    "qid": ("qid", "id", "question_id"),
    "date": ("date", "day"),
    "prob": ("prob", "probability", "p"),
}
REQUIRED_QUESTION_COLUMNS = ("qid", "outcome", "resolved_on")


@dataclass(frozen=True)
class Imported:
    """What an import stored."""

    name: str
    questions: int
    resolved: int
    points: int
    replaced: int  # series rows dropped because a later row gave the same qid and date
    linked: list[str]  # tracker questions with the same id


@dataclass
class Reference:
    """A loaded reference: its questions and, per qid, its days and probabilities."""

    name: str
    questions: dict[str, ReferenceQuestion]
    series: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)

    def standing(self, qid: str, day: date) -> float | None:
        """The last probability dated on or before ``day`` (None if there is none)."""
        found = self.series.get(qid)
        if found is None:
            return None
        days, probs = found
        i = int(np.searchsorted(days, np.datetime64(day, "D"), side="right")) - 1
        return None if i < 0 else float(probs[i])


# --------------------------------------------------------------------------- import


def import_reference(
    tracker: Tracker, questions_file: str | Path, series_file: str | Path, name: str
) -> Imported:
    """Read, check and store a reference in one transaction: all of it, or nothing."""
    check_id(name, "reference")
    questions = read_questions(questions_file, name)
    points, replaced = read_series(series_file, {q.qid for q in questions})
    files = (str(questions_file), str(series_file))
    linked = tracker.add_reference(name, files, questions, points)
    resolved = sum(q.outcome is not None for q in questions)
    return Imported(name, len(questions), resolved, len(points), replaced, linked)


def read_questions(path: str | Path, name: str) -> list[ReferenceQuestion]:
    """The questions table of a reference, checked row by row (one-line errors)."""
    what = f"questions file {Path(path).name}"
    frame = _columns(_read_table(path), QUESTION_COLUMNS, REQUIRED_QUESTION_COLUMNS, what)
    qids = _qids(frame["qid"], what)
    _no_repeats(qids, what)
    opened = _optional_times(frame.get("open"), len(qids), what, "open")
    closes = _optional_times(frame.get("close"), len(qids), what, "close")
    outcomes = _outcomes(frame["outcome"], what)
    resolved = _times(frame["resolved_on"], what, "resolution date")
    _resolution_pairs(outcomes, resolved, what)
    texts = _texts(frame.get("question"), len(qids))
    return [
        ReferenceQuestion(
            reference=name,
            qid=qid,
            question=texts[i],
            opened=opened[i],
            deadline=closes[i],
            outcome=None if np.isnan(outcomes[i]) else float(outcomes[i]),
            resolved_on=_day(resolved[i]),
        )
        for i, qid in enumerate(qids)
    ]


def read_series(path: str | Path, known: set[str]) -> tuple[list[tuple[str, date, float]], int]:
    """The (qid, day, probability) rows of a series, and how many repeats were dropped."""
    what = f"series file {Path(path).name}"
    frame = _columns(_read_table(path), SERIES_COLUMNS, tuple(SERIES_COLUMNS), what)
    qids = _qids(frame["qid"], what)
    stray = next((i for i, q in enumerate(qids) if q not in known), None)
    if stray is not None:
        raise ForecastError(f"{what}: row {stray + 1}: qid {qids[stray]!r} is not a question")
    days = [_day(t) for t in _times(frame["date"], what, "date")]
    missing = next((i for i, d in enumerate(days) if d is None), None)
    if missing is not None:
        raise ForecastError(f"{what}: row {missing + 1}: the date is missing")
    probs = _probabilities(frame["prob"], what)
    latest: dict[tuple[str, date], float] = {}
    for qid, day, p in zip(qids, days, probs.tolist(), strict=True):
        assert day is not None  # checked above
        latest[(qid, day)] = p  # a later row of the same day replaces the earlier
    rows = [(qid, day, p) for (qid, day), p in latest.items()]
    return rows, len(qids) - len(rows)


# --------------------------------------------------------------------------- reading back


def names(tracker: Tracker) -> list[ReferenceSet]:
    """Every imported reference, by name."""
    return tracker.reference_sets()


def load(tracker: Tracker, name: str, qids: list[str] | None = None) -> Reference:
    """A stored reference with its series (only for ``qids``, if given)."""
    rows, points = tracker.reference_rows(name, qids)
    questions = {q.qid: q for q in rows}
    return Reference(name, questions, _series(points))


def _series(points: list[tuple[str, date, float]]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Points (sorted by qid, then day) as one pair of arrays per qid."""
    if not points:
        return {}
    qids = np.array([p[0] for p in points], dtype=object)
    days = np.array([p[1] for p in points], dtype="datetime64[D]")
    probs = np.array([p[2] for p in points], dtype=float)
    starts = np.flatnonzero(np.r_[True, qids[1:] != qids[:-1]])
    stops = np.r_[starts[1:], len(qids)]
    return {str(qids[a]): (days[a:b], probs[a:b]) for a, b in zip(starts, stops, strict=True)}


# --------------------------------------------------------------------------- file parsing


def _read_table(path: str | Path) -> pd.DataFrame:
    import pandas as pd

    target = Path(path)
    suffix = target.suffix.lower()
    try:
        if suffix in (".parquet", ".pq"):
            return pd.read_parquet(target)
        if suffix in (".csv", ".txt"):
            return pd.read_csv(target, dtype=str, keep_default_na=False)
    except (OSError, ValueError, ImportError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ForecastError(f"cannot read {target}: {first}") from None
    raise ForecastError(f"cannot read {target}: use a .csv or .parquet file")


def _columns(
    frame: pd.DataFrame, wanted: dict[str, tuple[str, ...]], required: tuple[str, ...], what: str
) -> dict[str, pd.Series]:
    """The wanted columns under their canonical names; a missing required one is an error."""
    present = {_normal(str(c)): c for c in frame.columns}
    found = {}
    for key, aliases in wanted.items():
        column = next((present[a] for a in aliases if a in present), None)
        if column is not None:
            found[key] = frame[column]
        elif key in required:
            raise ForecastError(f"{what} has no {key} column (accepted: {', '.join(aliases)})")
    return found


def _normal(column: str) -> str:
    return column.strip().lower().replace(" ", "_").replace("-", "_")


def _cells(column: pd.Series) -> list[str]:
    """Every cell as stripped text, with missing values as ''."""
    return ["" if _missing(v) else str(v).strip() for v in column.tolist()]


def _missing(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and np.isnan(value):
        return True
    return str(value).strip().lower() in MISSING


def _qids(column: pd.Series, what: str) -> list[str]:
    qids = _cells(column)
    for i, qid in enumerate(qids):
        if not qid:
            raise ForecastError(f"{what}: row {i + 1}: the qid is missing")
        if len(qid) > MAX_QID:
            raise ForecastError(f"{what}: row {i + 1}: qid is longer than {MAX_QID} characters")
    return qids


def _no_repeats(qids: list[str], what: str) -> None:
    seen: set[str] = set()
    for i, qid in enumerate(qids):
        if qid in seen:
            raise ForecastError(f"{what}: row {i + 1}: qid {qid!r} appears twice")
        seen.add(qid)


def _texts(column: pd.Series | None, n: int) -> list[str]:
    return [""] * n if column is None else _cells(column)


def _optional_times(
    column: pd.Series | None, rows: int, what: str, label: str
) -> list[datetime | None]:
    """An optional column's times; a column that is not there is missing on every row."""
    return [None] * rows if column is None else _times(column, what, label)


def _times(column: pd.Series, what: str, label: str) -> list[datetime | None]:
    """ISO dates or date-times as aware UTC datetimes (None where missing)."""
    import pandas as pd

    cells = _cells(column)
    parsed = pd.to_datetime(
        pd.Series([c or None for c in cells], dtype=object),
        utc=True,
        format="ISO8601",
        errors="coerce",
    )
    bad = next((i for i, c in enumerate(cells) if c and pd.isna(parsed.iloc[i])), None)
    if bad is not None:
        raise ForecastError(f"{what}: row {bad + 1}: {label} {cells[bad]!r} is not an ISO date")
    return [None if pd.isna(t) else t.to_pydatetime() for t in parsed]


def _day(moment: datetime | None) -> date | None:
    return None if moment is None else moment.date()


def _outcomes(column: pd.Series, what: str) -> np.ndarray:
    """1.0 for YES, 0.0 for NO, NaN where unresolved."""
    values = np.full(len(column), np.nan)
    for i, cell in enumerate(_cells(column)):
        word = cell.lower()
        if word in YES:
            values[i] = 1.0
        elif word in NO:
            values[i] = 0.0
        elif word:
            raise ForecastError(f"{what}: row {i + 1}: outcome {cell!r} is not 1, 0, yes or no")
    return values


def _resolution_pairs(outcomes: np.ndarray, resolved: list[datetime | None], what: str) -> None:
    """An outcome needs a resolution date, and a resolution date needs an outcome."""
    for i, (y, when) in enumerate(zip(outcomes, resolved, strict=True)):
        if np.isnan(y) and when is not None:
            raise ForecastError(f"{what}: row {i + 1}: has a resolution date but no outcome")
        if not np.isnan(y) and when is None:
            raise ForecastError(f"{what}: row {i + 1}: has an outcome but no resolution date")


def _probabilities(column: pd.Series, what: str) -> np.ndarray:
    import pandas as pd

    cells = _cells(column)
    probs = pd.to_numeric(pd.Series(cells, dtype=object), errors="coerce").to_numpy(float)
    bad = np.flatnonzero(~np.isfinite(probs) | (probs < 0.0) | (probs > 1.0))
    if bad.size:
        i = int(bad[0])
        raise ForecastError(f"{what}: row {i + 1}: prob {cells[i]!r} is not a number in [0, 1]")
    return probs
