"""The team's recalibration: how to read the team's stated forecasts, learned from its own
track record.

Every resolved binary or event question contributes its scored days as the track record
scores them (the forecast standing on each day, from stored snapshots; an event question's
P(event by the primary deadline)) and its outcome. The model is
:mod:`forecast.learning.recalibration` without decay (an event forecast already decays as
layer 2 says)::

    logit p' = shift_class + sum_g w_g a_g + (slope_class + sum_g w_g b_g) * logit p

with three crossed, partially pooled factors: the question's **author** (who wrote it and
its prior), the **analysts** who assessed its reports (each in proportion to the
assessments they logged on it: the team's forecast is their likelihood ratios on the
author's prior) and its **tags** (a question with two tags is half in each). Each question
weighs one in all, spread over its scored days, so a question open 300 days counts as much
as one open 8.

Whether it helps is judged **walk-forward**, as the team would have lived it: from the day
``MIN_TRAIN`` questions had their resolution logged, the model is refitted every
``REFIT_DAYS`` days (with fewer draws: ``WALK_DRAWS``) on the questions resolved (logged)
before that day, and each later scored day of every other question is recalibrated by the
latest fit before it. A question
is never scored by a fit that learned its outcome. Each question's gain is the mean over
those days of the log score of the recalibrated forecast minus the stated one's (nats); the
recalibration is offered only when the lower end of the gain's 90% bootstrap interval is
above zero over at least ``holdout.MIN_QUESTIONS`` questions (the rule of
:mod:`forecast.learning.holdout`). Otherwise it is saved, marked, and never shown as the
team's recalibrated forecast.

The shown recalibration is the fit on every resolved question (posterior means). It is
saved as ``team-recalibration.json`` beside the layer-3 fit, with the hash of the
resolutions it learned from: a new or changed resolution makes it stale.

This module imports PyMC only in :func:`learn`; the rows, the saved file and applying it
are numpy.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from forecast.clock import iso, parse_time
from forecast.domain import ForecastError, History
from forecast.files import write_atomically
from forecast.learning import holdout
from forecast.learning.fits import RUN, fits_dir
from forecast.learning.recalibration import Factor, Recalibration, Rows

if TYPE_CHECKING:
    from forecast.learning.sampling import SamplerSettings

NAME = "team-recalibration"
VERSION = "3"  # of the saved file; another version is refused (2: draws; 3: analysts)
CLASSES = ("binary", "event")
AUTHOR, TAG, ANALYST = "author", "tag", "analyst"
FACTORS = (AUTHOR, TAG, ANALYST)
NO_AUTHOR = "(no author)"
MIN_TRAIN = 20
"""Questions whose resolution is logged before the first walk-forward fit."""
REFIT_DAYS = 60
"""Days between walk-forward refits."""
WALK_DRAWS = 250
"""Draws and tuning steps per chain (at most) of a walk-forward fit: it needs posterior
means only, and a record of 500 questions takes some 18 of them."""
EDGE = 1e-6  # forecasts of exactly 0 or 1 are read as this far inside (logit stays finite)
LOGIT_STEP = 0.05
"""The rows read forecasts to this step on the log-odds, within 0.63 points of probability:
a question's days alike in forecast then share rows (an event question's decay moves it a
little every day: read exactly, each day would be a row). On the bench's simulated record
of 500 questions with 10 analysts, a step of 0.02 made 20,818 rows and 119 s of fitting; 0.05
makes 14,167 rows and 72 s, with the same walk-forward gain and slopes within 0.01."""


@dataclass(frozen=True, eq=False)
class Scored:
    """One resolved question as the track record scores it."""

    question_id: str
    kind: str  # "binary" or "event"
    author: str
    tags: tuple[str, ...]
    outcome: int  # 1: YES (an event: by the primary deadline)
    known: datetime  # when its resolution was first logged
    days: np.ndarray  # its scored days (datetime64[D]), ascending
    forecast: np.ndarray  # the team's forecast standing on each
    analysts: Mapping[str, float] = field(default_factory=dict)  # shares of its assessments

    def __post_init__(self) -> None:
        if self.kind not in CLASSES:
            raise ForecastError(f"a recalibrated question is binary or event, not {self.kind!r}")
        if len(self.days) != len(self.forecast) or not len(self.days):
            raise ForecastError(f"question {self.question_id!r}: no scored day, or days and "
                                "forecasts of different lengths")  # fmt: skip


def members(
    author: str, tags: Sequence[str], analysts: Mapping[str, float] | None = None
) -> dict[str, dict[str, float]]:
    """A question's weights in each factor: all in its author, an equal share in each tag,
    and each assessing analyst's share of its assessments (none: no analyst offset)."""
    found: dict[str, dict[str, float]] = {AUTHOR: {author or NO_AUTHOR: 1.0}}
    if tags:
        found[TAG] = {t: 1.0 / len(set(tags)) for t in sorted(set(tags))}
    if analysts:
        found[ANALYST] = {a: float(w) for a, w in sorted(analysts.items())}
    return found


def shares(analysts: Iterable[str]) -> dict[str, float]:
    """Each analyst's share of a question's assessments (one name per assessment)."""
    counts: dict[str, int] = {}
    for a in analysts:
        counts[a] = counts.get(a, 0) + 1
    total = sum(counts.values())
    return {a: n / total for a, n in sorted(counts.items())}


def factors(scored: Sequence[Scored]) -> tuple[Factor, Factor, Factor]:
    """The factors and their levels: every author, tag and assessing analyst."""
    authors = sorted({s.author or NO_AUTHOR for s in scored})
    tags = sorted({t for s in scored for t in s.tags})
    analysts = sorted({a for s in scored for a in s.analysts})
    return (
        Factor(AUTHOR, tuple(authors)),
        Factor(TAG, tuple(tags)),
        Factor(ANALYST, tuple(analysts)),
    )


def rows(scored: Sequence[Scored], found: tuple[Factor, ...]) -> Rows:
    """The model's rows: the scored days, each weighing one over its question's days, with
    their forecasts read to ``LOGIT_STEP`` on the log-odds; days alike in that forecast,
    the outcome, the kind and the groups share one row, their weights summed. (An event
    question's forecast decays a little every day: read exactly, each day would be a row.)"""
    column = {(f.name, level): i for i, (f, level) in enumerate(
        (f, level) for f in found for level in f.levels
    )}  # fmt: skip
    parts = []
    for s in scored:
        p = np.asarray(s.forecast, dtype=float)
        w = np.zeros(len(column))
        for factor, weights in members(s.author, s.tags, s.analysts).items():
            for level, share in weights.items():
                w[column[(factor, level)]] = share
        fixed = [float(s.outcome), float(CLASSES.index(s.kind)), *w]
        part = np.empty((len(p), 3 + len(fixed)))
        part[:, 0] = np.round(_logit(p) / LOGIT_STEP) * LOGIT_STEP
        part[:, 1] = 1.0 / len(p)
        part[:, 2] = 0.0  # (the weight's column is summed, not matched)
        part[:, 3:] = fixed
        parts.append(part)
    every = np.concatenate(parts) if parts else np.zeros((0, 5 + len(column)))
    keys = np.delete(every, [1, 2], axis=1)
    unique, which = np.unique(keys, axis=0, return_inverse=True)
    weight = np.bincount(which.ravel(), weights=every[:, 1], minlength=len(unique))
    empty = np.zeros(0)
    return Rows(
        logit=empty, horizon=empty, elapsed=empty, outcome=empty, weight=empty,
        held_logit=unique[:, 0], held_outcome=unique[:, 1], held_weight=weight,
        held_kind=unique[:, 2], classes=CLASSES, factors=tuple(found),
        members=np.zeros((0, len(column))), held_members=unique[:, 3:],
    )  # fmt: skip


def _logit(p: float | np.ndarray) -> Any:
    p = np.clip(p, EDGE, 1.0 - EDGE)
    return np.log(p) - np.log1p(-p)


def log_score(y: int, p: np.ndarray) -> np.ndarray:
    """The log score of each forecast (higher is better), with the rows' edge."""
    p = np.clip(p, EDGE, 1.0 - EDGE)
    return np.log(p) if y == 1 else np.log1p(-p)


# --------------------------------------------------------------------------- fitting


def learn(
    scored: Sequence[Scored],
    settings: SamplerSettings,
    *,
    stage: Callable[[str], None] | None = None,
) -> tuple[Recalibration, holdout.Verdict, dict[str, Any]]:
    """The fit on every question, and the walk-forward verdict with its figures."""
    from forecast.learning import recalibration

    say = stage or (lambda _line: None)
    if not scored:
        raise ForecastError(
            "no binary or event question has been scored yet: there is no track record to "
            "recalibrate on"
        )
    found = factors(scored)
    authors, tags = len(found[0].levels), len(found[1].levels)
    say(f"team recalibration: {len(scored)} scored questions, {authors} "
        f"author{'s' * (authors != 1)}, {tags} tag{'s' * (tags != 1)}")  # fmt: skip
    model = recalibration.build_model(rows(scored, found), decays=False)
    quick = replace(
        settings, draws=min(settings.draws, WALK_DRAWS), tune=min(settings.tune, WALK_DRAWS)
    )
    verdict, figures = walk_forward(
        scored, lambda seen: _fit(recalibration, model, scored, seen, found, quick), say
    )
    say("team recalibration: the fit on every question")
    final = _fit(recalibration, model, scored, np.ones(len(scored), bool), found, settings)
    return final, verdict, figures


def _fit(
    recalibration: Any,
    model: Any,
    scored: Sequence[Scored],
    seen: np.ndarray,
    found: tuple[Factor, ...],
    settings: SamplerSettings,
) -> Recalibration:
    chosen = [s for s, keep in zip(scored, seen, strict=True) if keep]
    recalibration.set_rows(model, rows(chosen, found))
    return recalibration.learn(model, settings, len(chosen))


def schedule(scored: Sequence[Scored], *, min_train: int = MIN_TRAIN) -> list[np.datetime64]:
    """The walk-forward fits' days: the day after the ``min_train``-th resolution was
    logged, then every ``REFIT_DAYS`` up to the last scored day; none with fewer questions."""
    known = sorted(s.known for s in scored)
    if len(known) < min_train:
        return []
    first = np.datetime64(known[min_train - 1].date() + timedelta(days=1), "D")
    last = max(s.days[-1] for s in scored)
    return list(np.arange(first, last + np.timedelta64(1, "D"), np.timedelta64(REFIT_DAYS, "D")))


def walk_forward(
    scored: Sequence[Scored],
    fit: Callable[[np.ndarray], Recalibration],
    say: Callable[[str], None] = lambda _line: None,
    *,
    min_train: int = MIN_TRAIN,
) -> tuple[holdout.Verdict, dict[str, Any]]:
    """Refit on what had resolved by each scheduled day (``fit`` takes a mask over
    ``scored``); recalibrate every later scored day with the latest fit before it; judge."""
    fits = schedule(scored, min_train=min_train)
    starts = [np.datetime64(f, "D") for f in fits]
    known = np.array([np.datetime64(s.known.date(), "D") for s in scored])
    gains: dict[int, list[float]] = {}
    brier: dict[int, list[float]] = {}
    for k, day in enumerate(starts):
        seen = known < day  # logged on an earlier day: known when the fit ran
        stop = starts[k + 1] if k + 1 < len(starts) else None
        wanted = [
            i for i, s in enumerate(scored)
            if not seen[i] and s.days[-1] >= day and (stop is None or s.days[0] < stop)
        ]  # fmt: skip
        if not wanted:
            continue
        say(f"team recalibration: walk-forward fit {k + 1} of {len(starts)} "
            f"({np.datetime_as_string(day)}, {int(seen.sum())} questions)")  # fmt: skip
        r = fit(seen)
        for i in wanted:
            s = scored[i]
            on = (s.days >= day) & (True if stop is None else s.days < stop)
            stated = np.clip(s.forecast[on], EDGE, 1 - EDGE)
            mine = r.apply(stated, s.kind, members(s.author, s.tags, s.analysts))
            gains.setdefault(i, []).extend(
                log_score(s.outcome, mine) - log_score(s.outcome, stated)
            )
            brier.setdefault(i, []).extend((stated - s.outcome) ** 2 - (mine - s.outcome) ** 2)
    per_question = np.array([np.mean(gains[i]) for i in sorted(gains)])
    cut = None if not starts else datetime.combine(starts[0].astype(date), time(), UTC)
    first_train = 0 if not starts else int((known < starts[0]).sum())
    verdict = _verdict(cut, first_train, per_question, len(starts))
    figures = {
        "fits": len(starts),
        "refit_days": REFIT_DAYS,
        "first_fit": None if cut is None else iso(cut),
        "questions": len(per_question),
        "days": int(sum(len(g) for g in gains.values())),
        "brier_gain": (
            None if not brier else float(np.mean([np.mean(brier[i]) for i in sorted(brier)]))
        ),
    }
    return verdict, figures


def _verdict(cut: datetime | None, train: int, gains: np.ndarray, fits: int) -> holdout.Verdict:
    """:func:`forecast.learning.holdout.decide`'s rule, said of a walk-forward."""
    if gains.size < holdout.MIN_QUESTIONS:
        reason = (
            f"not judged: {gains.size} questions scored walk-forward "
            f"({holdout.MIN_QUESTIONS} needed)"
            if fits else f"not judged: fewer than {MIN_TRAIN} questions have resolved"
        )  # fmt: skip
        return holdout.Verdict(cut, train, int(gains.size), None, None, None, False, reason)
    low, high = holdout.bootstrap(gains)
    gain = float(gains.mean())
    offered = low > 0
    reason = (
        f"{fits} walk-forward fits from {iso(cut) if cut else '?'} (the first on {train} "
        f"questions) scored {gains.size} later questions {gain:+.4f} nats/question against "
        f"the stated forecasts (90% interval {low:+.4f} to {high:+.4f})"
    ) + ("" if offered else ", not clearly better")
    return holdout.Verdict(cut, train, int(gains.size), gain, low, high, offered, reason)


# --------------------------------------------------------------------------- saved


def resolutions_hash(history: History) -> str:
    """What a recalibration learned from, as far as staleness goes: every resolution and
    the author and tags of its question."""
    questions = {q.id: q for q in history.questions}
    parts = sorted(
        (r.question_id, r.version, r.outcome, iso(r.resolved_on), r.event_on,
         questions[r.question_id].created_by if r.question_id in questions else "",
         list(questions[r.question_id].tags) if r.question_id in questions else [])
        for r in history.resolutions
    )  # fmt: skip
    return hashlib.sha256(json.dumps(parts, default=str).encode()).hexdigest()


def summary(
    final: Recalibration,
    verdict: holdout.Verdict,
    figures: Mapping[str, Any],
    scored: Sequence[Scored],
    history: History,
    fitted_at: datetime,
) -> dict[str, Any]:
    """The saved file's content."""
    count: dict[tuple[str, str], int] = {}
    for s in scored:
        for factor, weights in members(s.author, s.tags, s.analysts).items():
            for level in weights:
                count[(factor, level)] = count.get((factor, level), 0) + 1
    return {
        "version": VERSION,
        "fitted_at": iso(fitted_at.replace(microsecond=0)),
        "data_hash": resolutions_hash(history),
        "questions": len(scored),
        "classes": {
            c: {
                "shift": final.shift[c],
                "slope": final.slope[c],
                "questions": sum(s.kind == c for s in scored),
            }
            for c in CLASSES
        },
        **{
            factor: {
                level: {"shift": a, "slope": b, "questions": count.get((factor, level), 0)}
                for level, (a, b) in final.offsets.get(factor, {}).items()
            }
            for factor in FACTORS
        },
        "walk_forward": dict(figures),
        "holdout": verdict.to_json(),
        # evenly thinned posterior draws, for credible bands: per class and per level, in
        # the order of "classes" and of each factor's levels above
        "draws": {name: np.asarray(v).tolist() for name, v in final.draws.items()},
    }


def save(content: Mapping[str, Any], directory: str | Path | None = None) -> Path:
    folder = fits_dir(directory)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{NAME}.json"
    write_atomically(path, json.dumps(content, indent=2))
    return path


@dataclass(frozen=True)
class TeamRecalibration:
    """A saved recalibration, read back: apply it to a forecast."""

    path: Path
    content: Mapping[str, Any]

    @property
    def offered(self) -> bool:
        return bool(self.content["holdout"]["offered"])

    @property
    def reason(self) -> str:
        return str(self.content["holdout"]["reason"])

    @property
    def fitted_at(self) -> str:
        return str(self.content["fitted_at"])

    def _recalibration(self) -> Recalibration:
        c = self.content
        return Recalibration(
            shift={k: v["shift"] for k, v in c["classes"].items()},
            slope={k: v["slope"] for k, v in c["classes"].items()},
            alpha=None, decay_share=None, questions=int(c["questions"]),
            offsets={f: {level: (v["shift"], v["slope"]) for level, v in c[f].items()}
                     for f in FACTORS},
            draws={k: np.asarray(v, dtype=float) for k, v in c["draws"].items()},
        )  # fmt: skip

    def line(
        self,
        kind: str,
        author: str,
        tags: Sequence[str],
        analysts: Mapping[str, float] | None = None,
    ) -> tuple[float, float]:
        """The (shift, slope) on the log-odds of a question of this kind, author, tags and
        assessing analysts (their shares of its assessments)."""
        return self._recalibration().line(kind, members(author, tags, analysts))

    def band(
        self,
        p: float,
        kind: str,
        author: str,
        tags: Sequence[str],
        analysts: Mapping[str, float] | None = None,
        prob: float = 0.9,
    ) -> tuple[float, float] | None:
        """The central ``prob`` credible interval of the recalibrated ``p`` over the saved
        draws (None when the fit kept none)."""
        _check_kind(kind)
        x = min(max(p, EDGE), 1 - EDGE)
        return self._recalibration().band(x, kind, members(author, tags, analysts), prob)

    def apply(
        self,
        p: float,
        kind: str,
        author: str,
        tags: Sequence[str],
        analysts: Mapping[str, float] | None = None,
    ) -> float:
        """The recalibrated forecast of a stated ``p``."""
        _check_kind(kind)
        shift, slope = self.line(kind, author, tags, analysts)
        return float(1.0 / (1.0 + math.exp(-(shift + slope * _logit(p)))))


def _check_kind(kind: str) -> None:
    if kind not in CLASSES:
        raise ForecastError(f"only binary and event forecasts are recalibrated, not {kind}")


def _check_draws(r: Recalibration) -> None:
    """Draws saved as the fit keeps them: one row per draw, one column per class or level
    (none at all is allowed: no band then)."""
    if not r.draws:
        return
    widths = {"shift": len(r.shift), "slope": len(r.slope)}
    for factor, levels in r.offsets.items():
        widths |= {f"{factor}_shift": len(levels), f"{factor}_slope": len(levels)}
    rows = {v.shape[0] for v in r.draws.values() if v.ndim == 2}
    for name, width in widths.items():
        v = r.draws.get(name)
        if v is None or v.ndim != 2 or v.shape[1] != width or len(rows) != 1:
            raise ValueError(f"draws {name!r} are not one row per draw, {width} a row")
        if not np.all(np.isfinite(v)):
            raise ValueError(f"draws {name!r} are not all finite")


def load(directory: str | Path | None = None, *, history: History) -> TeamRecalibration | None:
    """The saved recalibration, or None when there is none. Refused (with what to run) when
    it was saved by another version or the resolutions changed since."""
    path = fits_dir(directory) / f"{NAME}.json"
    if not path.exists():
        return None
    try:
        content = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as why:
        raise ForecastError(
            f"the team recalibration at {path} cannot be read ({why}): {RUN}"
        ) from None
    if content.get("version") != VERSION:
        raise ForecastError(f"the team recalibration at {path} was saved by another version: {RUN}")
    if content.get("data_hash") != resolutions_hash(history):
        raise ForecastError(
            f"the team recalibration at {path} is stale (resolutions changed since "
            f"{content.get('fitted_at')}): {RUN}"
        )
    found = TeamRecalibration(path, content)
    try:  # everything applying and showing it reads
        parse_time(content["fitted_at"])
        found._recalibration().line("binary", {})
        _check_draws(found._recalibration())
        bool(content["holdout"]["offered"]), str(content["holdout"]["reason"])
    except (KeyError, TypeError, ValueError, AttributeError, ForecastError) as why:
        raise ForecastError(
            f"the team recalibration at {path} is damaged ({why!r:.80}): {RUN}"
        ) from None
    return found
