"""Reading ForecastBench-style files and sorting questions into events and states.

``load`` reads the questions and their daily series into ``Tracked`` records; ``classify``
is the title rule that says whether a question is an event or a state question, and
``measure_classifier`` and ``early_yes`` are its two checks (against hand labels, and
without labels). Days are numpy day numbers (days since 1970-01-01) throughout the
backtest; ``iso_day`` turns one back into a date.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from forecast.domain import ForecastError

# --------------------------------------------------------------------------- classification

_MONTH = r"(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?"
_DEADLINE = re.compile(
    r"\b(by|before|until|through)\s+(the\s+)?(end\s+of\s+)?"
    rf"(20\d\d|{_MONTH}|q[1-4]\b|mid|early|late|end|\d{{1,2}}(st|nd|rd|th)?\s+{_MONTH})"
    rf"|\bin\s+(20\d\d|{_MONTH})\b"
)
_STATE = re.compile(
    r"\b(win|wins|winner|won|be the|be named|top|best|most|worst|largest|biggest|highest|"
    r"lowest|ranked|finish|remain|still|refrain|not|no|at the end of|on (the )?\d|election|"
    r"nominat\w*|award|oscars?|academy|championship|finals?|super bowl|cup|season|division|"
    r"league|person of the year|gross|above|below|between|at least|more than|less than)\b"
)
_EVENT_VERB = re.compile(
    r"\b(hit|hits|reach|reaches|dip|dips|touch|cross|exceed|announce[sd]?|release[sd]?|"
    r"launch(es|ed)?|sign[sed]*|meet|invade[sd]?|strikes?|attack[sed]*|resign[sed]*|"
    r"step down|leave[s]?|withdraw[sn]?|die[sd]?|arrest(ed)?|indict(ed)?|charges?|ban[sned]*|"
    r"pass(es|ed)?|declare[sd]?|start[sed]*|begin[s]?|collapse[sd]?|fall[s]?|happen[sed]*|"
    r"occur[sred]*|visit[sed]*|ceasefire|broken|capture[sd]?|default[sed]*|test[sed]*|"
    r"confirm(s|ed)?|unveil[sed]*|out as|cease[sd]?|agree[sd]?|settle[sd]?|discontinue[sd]?)\b"
)


def classify(text: str | None) -> str:
    """``"event"``, ``"state"`` or ``"unknown"`` (no text) for a question's title.

    Rule: an event question names a deadline ("by March 31", "before 2026", "in 2025",
    "in November") and either an event verb (hit, announce, invade, ...) or no marker of a
    state read at one moment (win, top, remain, on <date>, election, ...). Everything
    else is a state question.
    """
    if text is None or not str(text).strip():
        return "unknown"
    title = str(text).casefold()
    if not _DEADLINE.search(title):
        return "state"
    return "event" if _EVENT_VERB.search(title) or not _STATE.search(title) else "state"


# --------------------------------------------------------------------------- data

UNKNOWN_PLATFORM = "unknown"  # a question whose file has no ``source`` column, or no value


@dataclass(frozen=True, eq=False)
class Tracked:
    """One resolved question and its series; days are numpy day numbers (since 1970)."""

    qid: str
    kind: str  # event, state or unknown
    outcome: int
    resolved: int  # the effective resolution day
    close: float  # the scheduled close day (nan if unknown)
    obs_day: np.ndarray  # days with a series value, ascending
    obs_p: np.ndarray
    cluster: int = -1  # related questions share one (see ``clusters``); -1: on its own
    platform: str = UNKNOWN_PLATFORM  # the ``source`` column: polymarket, manifold, ...
    text: str = ""  # the question's text ("" where it has none)


def load(questions_path: str | Path, series_path: str | Path) -> list[Tracked]:
    """Read the two parquet files; every question with a series, in qid order."""
    import pandas as pd

    questions = _read(
        pd,
        questions_path,
        {"qid", "question", "close_datetime", "outcome", "effective_resolution_date"},
    )
    series = _read(pd, series_path, {"qid", "date", "prob"})
    series = series.assign(day=_days(pd, series["date"])).sort_values(["qid", "day"])
    series = series.drop_duplicates(["qid", "day"], keep="last")  # a day's last value holds
    groups = {k: g for k, g in series.groupby("qid", sort=True)}
    questions = questions.sort_values("qid")
    resolved = _days(pd, questions["effective_resolution_date"])
    close = _days(pd, questions["close_datetime"], missing=True)
    related = clusters([None if pd.isna(t) else str(t) for t in questions["question"]])
    out = []
    rows = zip(questions.itertuples(index=False), resolved, close, related, strict=True)
    for row, res, shut, cluster in rows:
        g = groups.get(row.qid)
        if g is None:
            continue
        outcome = row.outcome
        if (
            isinstance(outcome, bool)
            or not isinstance(outcome, int | float)
            or outcome not in (0, 1)
        ):
            # NaN (not resolved), or a value no yes/no question can have: one line, not a replay
            raise ForecastError(
                f"{questions_path}: question {str(row.qid)[:80]!r} has outcome {outcome!r:.20}; "
                "the backtest replays questions resolved 0 or 1"
            )
        out.append(
            Tracked(
                qid=str(row.qid),
                kind=classify(None if pd.isna(row.question) else row.question),
                outcome=int(row.outcome),
                resolved=int(res),
                close=float(shut),
                obs_day=g["day"].to_numpy(dtype=np.int64),
                obs_p=g["prob"].to_numpy(dtype=float),
                cluster=int(cluster),
                platform=_platform(pd, getattr(row, "source", None), row.qid, questions_path),
                text="" if pd.isna(row.question) else str(row.question),
            )
        )
    if not out:
        raise ForecastError(f"no question of {questions_path} has a series in {series_path}")
    return out


def _platform(pd: Any, value: Any, qid: Any, path: str | Path) -> str:
    """A question's platform: its ``source``, ``UNKNOWN_PLATFORM`` where the column or the
    value is missing; a value that is not a name is one line, not a replay."""
    if isinstance(value, str):
        return value.strip() or UNKNOWN_PLATFORM
    if pd.api.types.is_scalar(value) and pd.isna(value):  # None, NaN, NA, no column
        return UNKNOWN_PLATFORM
    raise ForecastError(
        f"{path}: question {str(qid)[:80]!r} has source {value!r:.20}; "
        "the source is the platform's name (polymarket, manifold, ...)"
    )


RELATED = 85
"""rapidfuzz's token-sort ratio at or above which two question texts, numbers and month names
masked, are taken as one cluster of related questions: "Will Anthropic have the top AI model
on <month>?" and "... Moonshot ...", or one award's nominees. On the ForecastBench folder it
groups 181 of the 588 questions with text into 50 clusters."""
_NUMBER = re.compile(r"[$€£]?\d[\d,.]*\s*(%|k|m|bn|b|billion|million|thousand)?")
_MONTH_NAME = re.compile(
    r"\b(january|february|march|april|may|june|july|august|september|october|november|"
    r"december)\b"
)


def clusters(texts: Sequence[str | None]) -> np.ndarray:
    """A cluster id per question: questions whose texts read alike once numbers and months are
    masked (:data:`RELATED`) share one, linked transitively; a question without text is a
    cluster of its own. Related questions move together, so a bootstrap resamples clusters."""
    from rapidfuzz import fuzz, process

    ids = np.arange(len(texts))
    known = [i for i, t in enumerate(texts) if t]
    masked = [_mask(str(texts[i])) for i in known]
    if not masked:
        return ids
    parent = list(range(len(texts)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    alike = process.cdist(masked, masked, scorer=fuzz.token_sort_ratio, score_cutoff=RELATED)
    for a, b in zip(*np.nonzero(alike), strict=True):
        parent[root(known[int(a)])] = root(known[int(b)])
    return np.array([root(i) for i in range(len(texts))])


def _mask(text: str) -> str:
    text = _MONTH_NAME.sub("@", _NUMBER.sub("#", text.casefold()))
    return " ".join(text.split())


def _read(pd: Any, path: str | Path, columns: set[str]) -> Any:
    try:
        frame = pd.read_parquet(path)
    except (OSError, ValueError) as exc:
        raise ForecastError(f"cannot read {path}: {str(exc).splitlines()[0]}") from None
    missing = sorted(columns - set(frame.columns))
    if missing:
        raise ForecastError(f"{path} lacks the column(s) {', '.join(missing)}")
    return frame


def _days(pd: Any, values: Any, *, missing: bool = False) -> np.ndarray:
    """Day numbers of ISO dates or times (their UTC day); nan for blanks when allowed."""
    parsed = pd.to_datetime(pd.Series(values), errors="coerce", utc=True)
    if parsed.isna().any() and not missing:
        bad = pd.Series(values)[parsed.isna()].iloc[0]
        raise ForecastError(f"unreadable date {bad!r}")
    days = parsed.dt.tz_localize(None).dt.floor("D")
    numbers = (days - pd.Timestamp("1970-01-01")).dt.days
    return numbers.to_numpy(dtype=float if missing else np.int64, na_value=np.nan)


def iso_day(day: int) -> str:
    """The ISO date (YYYY-MM-DD) of a day number."""
    return (date(1970, 1, 1) + timedelta(days=int(day))).isoformat()


# --------------------------------------------------------------------------- checks of classify


def early_yes(questions: Sequence[Tracked], margin: int = 7) -> dict[str, float]:
    """Share of YES questions resolved at least ``margin`` days before their close, by kind:
    a check of the classifier that needs no labels (events can happen early, states not)."""
    out = {}
    for kind in ("event", "state"):
        yes = [q for q in questions if q.kind == kind and q.outcome == 1 and np.isfinite(q.close)]
        out[kind] = (
            float(np.mean([q.resolved <= q.close - margin for q in yes])) if yes else float("nan")
        )
    return out


def measure_classifier(labels_path: str | Path) -> dict[str, Any]:
    """Precision and recall of ``classify`` (event = positive) against hand labels: a CSV
    with the columns qid, label (event or state) and question (the title)."""
    import pandas as pd

    labels = _read_labels(pd, labels_path)
    truth = labels["label"].to_numpy() == "event"
    said = np.array([classify(t) == "event" for t in labels["question"]])
    tp, fp, fn = int((truth & said).sum()), int((~truth & said).sum()), int((truth & ~said).sum())
    qids = labels["qid"].astype(str).tolist()
    return {
        "labelled": len(labels),
        "events": int(truth.sum()),
        "true_positive": tp,
        "false_positive": fp,
        "false_negative": fn,
        "precision": tp / (tp + fp) if tp + fp else float("nan"),
        "recall": tp / (tp + fn) if tp + fn else float("nan"),
        "missed": [q for q, t, x in zip(qids, truth, said, strict=True) if t and not x],
        "wrongly_event": [q for q, t, x in zip(qids, truth, said, strict=True) if x and not t],
    }


def _read_labels(pd: Any, path: str | Path) -> Any:
    try:
        labels = pd.read_csv(path)
    except (OSError, ValueError) as exc:
        raise ForecastError(f"cannot read {path}: {str(exc).splitlines()[0]}") from None
    missing = sorted({"qid", "label", "question"} - set(labels.columns))
    if missing:
        raise ForecastError(f"{path} lacks the column(s) {', '.join(missing)}")
    return labels
