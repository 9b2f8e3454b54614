"""Backtest on real forecast series: what a team that updates every few days loses, and
what time decay and the learned model win back.

Data: the ForecastBench format (``questions.parquet``, ``timeseries.parquet``); the copy in
``../shared/data/forecastbench/`` is from Karger et al., "ForecastBench: A Dynamic
Benchmark of AI Forecasting Capabilities", ICLR 2025 (CC BY-SA 4.0), with market data
under each platform's terms.

The team reads a question's series every ``cadence`` days on a fixed calendar (and on the
day it starts tracking the question) and holds what it read until the next update. It is
scored on every calendar day on which the question was tracked (it has a series value on
or before that day, up to its last one) and still unresolved (before its effective
resolution date). No day is chosen from the resolution date. Four ways to forecast:

- (a) ``hold``: the last update;
- (b) ``decay``: (a), decayed by layer 2 between updates for event questions, with the
  default alpha (1) and the scheduled close as deadline;
- (c) ``learned``: the last update recalibrated and, for event questions, decayed with
  the alpha learned by ``forecast.learning.recalibration``: refitted every ``refit_days``
  days on the questions resolved before the refit, a day is scored with the last fit
  made before it (walk-forward: the fit never sees the outcome it is scored on);
- (d) ``fresh``: the series' own value that day (the ceiling: no updating lag).

Event or state is read from the question's title by ``classify`` (a documented rule,
measured against hand labels in the tests); questions without text are unclassified and
treated as state questions (no decay). Scores are Brier and log scores (``forecast.
scoring``), time-averaged per question (the Good Judgment convention) and averaged over
questions, with 95% bootstrap intervals from resampling questions.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from forecast import scoring
from forecast.domain import DEFAULT_ALPHA, ForecastError
from forecast.learning.vectorised import decayed

CADENCE = 7  # days between the team's updates
EPOCH = date(2024, 1, 1)  # a Monday: update days are EPOCH + k * cadence
REFIT_DAYS = 60  # days between walk-forward refits of the learned model
MIN_TRAIN = 100  # resolved questions needed before the first fit
LOG_EPS = 1e-4  # forecasts are clipped to [eps, 1 - eps] for the log score only; the
# series never go below 3e-4, so only decayed forecasts near a deadline are clipped
BOOTSTRAP = 2000  # resamples of questions
METHODS = ("hold", "decay", "learned", "fresh")
LABELS = {
    "hold": "(a) hold last update",
    "decay": "(b) hold + decay (events)",
    "learned": "(c) learned (PyMC)",
    "fresh": "(d) fresh daily series",
}


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
    out = []
    for row, res, shut in zip(questions.itertuples(index=False), resolved, close, strict=True):
        g = groups.get(row.qid)
        if g is None:
            continue
        out.append(
            Tracked(
                qid=str(row.qid),
                kind=classify(None if pd.isna(row.question) else row.question),
                outcome=int(row.outcome),
                resolved=int(res),
                close=float(shut),
                obs_day=g["day"].to_numpy(dtype=np.int64),
                obs_p=g["prob"].to_numpy(dtype=float),
            )
        )
    if not out:
        raise ForecastError(f"no question of {questions_path} has a series in {series_path}")
    return out


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


# --------------------------------------------------------------------------- replay


@dataclass(frozen=True, eq=False)
class Days:
    """Every scored question-day, as parallel arrays."""

    question: np.ndarray  # index into the list of Tracked
    day: np.ndarray
    held: np.ndarray  # the last update's value
    fresh: np.ndarray  # the series' value that day
    horizon: np.ndarray  # days from the last update to the close (nan if unknown)
    elapsed: np.ndarray  # days since the last update
    event: np.ndarray  # bool: an event question with a known close


def update_days(first: int, last: int, cadence: int) -> np.ndarray:
    """The team's update days from ``first`` (when it starts tracking) to ``last``."""
    epoch = int(np.datetime64(EPOCH, "D").astype(np.int64))
    nxt = first + (-(first - epoch)) % cadence
    calendar = np.arange(nxt, last + 1, cadence)
    return np.unique(np.concatenate([[first], calendar])).astype(np.int64)


def value_on(q: Tracked, days: np.ndarray) -> np.ndarray:
    """The series value standing on each day (the last one dated on or before it)."""
    return q.obs_p[np.searchsorted(q.obs_day, days, side="right") - 1]


def scored_days(q: Tracked) -> np.ndarray:
    """Days tracked and unresolved: from the first value to the last one, before resolution."""
    return np.arange(q.obs_day[0], min(q.obs_day[-1], q.resolved - 1) + 1)


def replay(questions: Sequence[Tracked], cadence: int) -> Days:
    """Every scored day of every question, with what the team held on it."""
    parts = []
    for i, q in enumerate(questions):
        days = scored_days(q)
        if not len(days):
            continue
        updates = update_days(int(q.obs_day[0]), int(days[-1]), cadence)
        u = updates[np.searchsorted(updates, days, side="right") - 1]
        parts.append(
            (
                np.full(len(days), i),
                days,
                value_on(q, u),
                value_on(q, days),
                q.close - u,
                days - u,
                np.full(len(days), q.kind == "event" and np.isfinite(q.close)),
            )
        )
    cols = [np.concatenate(c) for c in zip(*parts, strict=True)]
    return Days(*cols)


def forecasts(days: Days, learned: Callable[[Days], np.ndarray]) -> dict[str, np.ndarray]:
    """The four methods' forecasts on every scored day."""
    decay = days.held.copy()
    e = days.event
    decay[e] = decayed(days.held[e], days.horizon[e], days.elapsed[e], DEFAULT_ALPHA)
    return {"hold": days.held, "decay": decay, "learned": learned(days), "fresh": days.fresh}


# --------------------------------------------------------------------------- learning


def training_rows(days: Days, seen: np.ndarray, outcome: np.ndarray) -> Any:
    """The recalibration model's rows from the scored days of the questions in ``seen``
    (a mask over questions): the very days and forecasts the backtest scores.

    Days of event questions past their deadline are dropped (their decayed forecast is 0
    whatever the parameters); days that hold one update without decay share one
    weighted row.
    """
    from forecast.learning.recalibration import Rows

    m = seen[days.question]
    q, held, h, e = days.question[m], days.held[m], days.horizon[m], days.elapsed[m]
    weight = 1.0 / np.bincount(q)[q]  # each question weighs 1 in all
    y = outcome[q].astype(float)
    event = days.event[m]
    decays = event & (h > 0) & (e < h)
    flat = ~event | ~(h > 0)  # held as is: state questions, or no deadline ahead
    _, first, group = np.unique(
        np.column_stack([q, days.day[m] - e])[flat], axis=0, return_index=True, return_inverse=True
    )
    idx = np.flatnonzero(flat)[first]
    return Rows(
        logit=_logit(held[decays]),
        horizon=h[decays],
        elapsed=e[decays],
        outcome=y[decays],
        weight=weight[decays],
        held_logit=_logit(held[idx]),
        held_outcome=y[idx],
        held_weight=np.bincount(group.ravel(), weights=weight[flat]),
        held_kind=np.where(event[idx], 0.0, 1.0),
    )


def _logit(p: np.ndarray) -> np.ndarray:
    return np.log(p) - np.log1p(-p)


@dataclass(frozen=True)
class Fit:
    """One walk-forward fit: when, on how many questions, and what it learned."""

    day: int
    questions: int
    shift: dict[str, float]
    slope: dict[str, float]
    alpha: float
    decay_share: float

    def to_json(self) -> dict[str, Any]:
        return {
            "date": _iso(self.day),
            "questions": self.questions,
            "shift": self.shift,
            "slope": self.slope,
            "alpha": self.alpha,
            "decay_share": self.decay_share,
        }


def walk_forward(
    questions: Sequence[Tracked],
    days: Days,
    refit_days: int,
    settings: Any,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[list[Fit], np.ndarray]:
    """Fit on the questions resolved before each refit day; the learned forecast of every
    scored day (nan before the first fit)."""
    from forecast.learning import recalibration

    schedule = refit_schedule(questions, days, refit_days)
    learned = np.full(len(days.day), np.nan)
    resolved = np.array([q.resolved for q in questions])
    outcome = np.array([q.outcome for q in questions])
    fits: list[Fit] = []
    model = None
    for k, t in enumerate(schedule):
        seen = resolved < t  # resolved, hence fully known, before the fit
        rows = training_rows(days, seen, outcome)
        if model is None:
            model = recalibration.build_model(rows)
        else:
            recalibration.set_rows(model, rows)
        r = recalibration.learn(model, settings, int(seen.sum()))
        fits.append(Fit(t, int(seen.sum()), r.shift, r.slope, r.alpha, r.decay_share))
        stop = schedule[k + 1] if k + 1 < len(schedule) else np.inf
        mine = (days.day >= t) & (days.day < stop)
        learned[mine] = _apply(r, days, mine)
        if progress is not None:
            progress(k + 1, len(schedule))
    return fits, learned


def refit_schedule(questions: Sequence[Tracked], days: Days, refit_days: int) -> list[int]:
    """Refit days: once MIN_TRAIN questions have resolved, then every ``refit_days``."""
    resolved = np.sort([q.resolved for q in questions])
    if len(resolved) < MIN_TRAIN:
        raise ForecastError(
            f"the backtest needs at least {MIN_TRAIN} resolved questions, not {len(resolved)}"
        )
    first = int(resolved[MIN_TRAIN - 1]) + 1  # the day after the MIN_TRAIN-th resolution
    return list(range(first, int(days.day.max()) + 1, refit_days))


def _apply(r: Any, days: Days, mask: np.ndarray) -> np.ndarray:
    """Method (c) on the masked days: recalibrate, then decay event questions."""
    e = days.event[mask]
    held = days.held[mask]
    out = r.apply(held, "state")
    start = r.apply(held[e], "event")
    decay = decayed(start, days.horizon[mask][e], days.elapsed[mask][e], r.alpha)
    out[e] = r.decay_share * decay + (1.0 - r.decay_share) * start
    return out


# --------------------------------------------------------------------------- scores


@dataclass(frozen=True)
class Score:
    """A method's mean score over questions, with its 95% bootstrap interval, and the same
    for its difference from method (a) (negative: better than holding)."""

    mean: float
    low: float
    high: float
    diff: float
    diff_low: float
    diff_high: float

    def to_json(self) -> dict[str, float]:
        return dict(vars(self))


@dataclass(frozen=True)
class Group:
    """Scores of one set of questions (all, or event questions)."""

    name: str
    questions: int
    days: int
    brier: dict[str, Score]
    log: dict[str, Score]

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "questions": self.questions,
            "days": self.days,
            "brier": {m: s.to_json() for m, s in self.brier.items()},
            "log": {m: s.to_json() for m, s in self.log.items()},
        }


def score_group(
    name: str,
    days: Days,
    fc: dict[str, np.ndarray],
    outcome: np.ndarray,
    mask: np.ndarray,
    rng: np.random.Generator,
) -> Group:
    """Time-averaged scores per question, then their mean with bootstrap intervals."""
    q = days.question[mask]
    ids, per_q = np.unique(q, return_inverse=True)
    y = outcome[q]
    counts = np.bincount(per_q)
    resample = rng.integers(0, len(ids), (BOOTSTRAP, len(ids)))
    result = {}
    for rule, fn in (("brier", scoring.brier), ("log", _log_score)):
        table = {m: np.bincount(per_q, weights=fn(y, fc[m][mask])) / counts for m in METHODS}
        result[rule] = {m: _summary(table[m], table["hold"], resample) for m in METHODS}
    return Group(name, len(ids), int(mask.sum()), result["brier"], result["log"])


def _log_score(y: np.ndarray, p: np.ndarray) -> np.ndarray:
    return scoring.log_score(y, p, eps=LOG_EPS)


def _summary(values: np.ndarray, reference: np.ndarray, resample: np.ndarray) -> Score:
    means = values[resample].mean(axis=1)
    diffs = (values - reference)[resample].mean(axis=1)
    lo, hi = np.percentile(means, [2.5, 97.5])
    dlo, dhi = np.percentile(diffs, [2.5, 97.5])
    return Score(
        float(values.mean()),
        float(lo),
        float(hi),
        float((values - reference).mean()),
        float(dlo),
        float(dhi),
    )


# --------------------------------------------------------------------------- the run


@dataclass(frozen=True)
class Report:
    """Everything the backtest measured."""

    cadence: int
    refit_days: int
    questions: int  # with a series and at least one scored day
    kinds: dict[str, int]
    early_yes: dict[str, float]
    fits: list[Fit]
    groups: list[Group]
    window_start: int
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "cadence": self.cadence,
            "refit_days": self.refit_days,
            "questions": self.questions,
            "kinds": self.kinds,
            "early_yes": self.early_yes,
            "scored_from": _iso(self.window_start),
            "fits": [f.to_json() for f in self.fits],
            "groups": [g.to_json() for g in self.groups],
            **self.extra,
        }


def run(
    questions_path: str | Path,
    series_path: str | Path,
    *,
    cadence: int = CADENCE,
    refit_days: int = REFIT_DAYS,
    seed: int = 0,
    settings: Any = None,
    progress: Callable[[int, int], None] | None = None,
) -> Report:
    """The whole backtest (see the module docstring)."""
    from forecast.learning.model import SamplerSettings

    if cadence < 1 or refit_days < 1:
        raise ForecastError("--cadence and the refit interval must be at least 1 day")
    questions = load(questions_path, series_path)
    days = replay(questions, cadence)
    settings = settings or SamplerSettings(draws=300, tune=300, chains=2, seed=seed)
    fits, learned = walk_forward(questions, days, refit_days, settings, progress)
    fc = forecasts(days, lambda _: learned)
    outcome = np.array([q.outcome for q in questions])
    window = days.day >= fits[0].day  # out of sample for (c): every method on these days
    rng = np.random.default_rng(seed)
    groups = [
        score_group("all", days, fc, outcome, window, rng),
        score_group("event", days, fc, outcome, window & days.event, rng),
    ]
    scored = np.unique(days.question)
    return Report(
        cadence=cadence,
        refit_days=refit_days,
        questions=len(scored),
        kinds={
            k: sum(questions[i].kind == k for i in scored) for k in ("event", "state", "unknown")
        },
        early_yes=early_yes(questions),
        fits=fits,
        groups=groups,
        window_start=int(fits[0].day),
    )


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


def _iso(day: int) -> str:
    return (date(1970, 1, 1) + timedelta(days=int(day))).isoformat()


# --------------------------------------------------------------------------- printing


def table(report: Report) -> str:
    """The report as the plain-text table ``forecast backtest`` prints."""
    k = report.kinds
    first = report.fits[0]
    lines = [
        f"Backtest on {report.questions} questions with series ({k['event']} event, "
        f"{k['state']} state, {k['unknown']} without text, treated as state)",
        f"team updates every {report.cadence} days; PyMC refit every {report.refit_days} days "
        f"on questions resolved before it ({len(report.fits)} fits, first {_iso(first.day)} on "
        f"{first.questions} questions)",
        f"scored on every tracked, unresolved day from {_iso(report.window_start)}; "
        "mean of per-question time averages, [95% bootstrap interval over questions]",
        "",
    ]
    for g in report.groups:
        lines.append(f"{g.name} questions: {g.questions} ({g.days} question-days)")
        lines.append(
            f"  {'method':<28}{'Brier':>8} {'interval':<18}{'vs (a)':>9} "
            f"{'interval':<20}{'log':>7} {'interval':<16}{'vs (a)':>8}"
        )
        for m in METHODS:
            b, lg = g.brier[m], g.log[m]
            lines.append(
                f"  {LABELS[m]:<28}{b.mean:8.4f} [{b.low:.4f}, {b.high:.4f}] "
                f"{b.diff:+9.4f} [{b.diff_low:+.4f}, {b.diff_high:+.4f}] "
                f"{lg.mean:7.4f} [{lg.low:.3f}, {lg.high:.3f}] {lg.diff:+8.4f}"
            )
        lines.append("")
    last = report.fits[-1]
    lines.append(
        f"last fit ({_iso(last.day)}, {last.questions} questions): alpha {last.alpha:.2f}, "
        f"decaying share {last.decay_share:.2f}; "
        f"event shift {last.shift['event']:+.2f} slope {last.slope['event']:.2f}; "
        f"state shift {last.shift['state']:+.2f} slope {last.slope['state']:.2f}"
    )
    e = report.early_yes
    lines.append(
        f"YES questions resolved >= 7 days before close: event {e['event']:.0%}, "
        f"state {e['state']:.0%} (a label-free check of the classification)"
    )
    lines.append("Data: ForecastBench (Karger et al., ICLR 2025), CC BY-SA 4.0.")
    return "\n".join(lines)
