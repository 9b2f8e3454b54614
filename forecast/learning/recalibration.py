"""How to read a held forecast, learned from questions already resolved: the backtest's
method (c) (with decay) and the team's recalibration (:mod:`forecast.learning.team`).

A team that updates every few days holds each update until the next. For a held
probability ``p`` of class c (event or state question) the model learns

    logit p' = shift_c + slope_c * logit p                  (recalibration)

with partially pooled offsets by group where the rows carry groups (below), and, for
event questions, the Gamma shape ``alpha`` of layer 2's decay from ``p'`` over
the days since the update: ``P = 1 - ((s + e) / (s + H)) ** alpha``, with ``s`` set so that
``P = p'`` on the update day, ``H`` the days then left to the deadline and ``e`` the
days since.

Likelihood: every scored day of a training question contributes the log-probability its
forecast gives the outcome, weighted by one over the question's scored days, so that each
question counts once (a composite likelihood whose terms are exactly the log scores the
backtest averages). We tried the
likelihood of event *times* first: it learned that markets overrate events, because for
many YES questions the effective resolution date comes weeks after the market already
stood near 1 (the event had happened), so "nothing happened" was recorded against
forecasts near certainty. The outcome does not have that problem.

**Groups** (optional): crossed factors such as the question's author and its tags (the
team's recalibration, :mod:`forecast.learning.team`) or a forecast's platform. A row
belongs to the levels of each factor with weights that sum to 1 (a question with two tags
is half in each) or to 0 (no level: no offset), and its shift and slope gain the weighted
sum of those levels' offsets::

    shift = shift_c + sum_g w_g a_g        slope = slope_c + sum_g w_g b_g
    a_g = sd_a[f] z_g,  b_g = sd_b[f] u_g,  z, u ~ Normal(0, 1),  sd ~ HalfNormal

(non-centred; one pair of spreads per factor, so a level with a short record is pulled
towards the class). The offsets add on the slope itself, not its log, so that posterior
means plug in exactly: the mean forecast's shift and slope are the means' weighted sums.
A level the rows never name keeps its prior: no offset.

Priors are data, with defaults below. PyMC is imported only to build and fit a model: the
rows and applying a recalibration are numpy. Build and fit are separate; the rows live in two
``pm.Data`` containers, so a walk-forward backtest refits without recompiling.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from forecast import decay
from forecast.domain import ForecastError

if TYPE_CHECKING:
    import pymc as pm
    import pytensor.tensor as pt

    from forecast.learning.sampling import SamplerSettings

CLASSES = ("event", "state")
BAND_DRAWS = 200
"""Posterior draws kept (evenly thinned over the chains) for credible bands of a
recalibrated forecast: the ends of a 90% interval fall near the 10th and the 190th of
the 200 values."""

DEFAULT_PRIORS: dict[str, float] = {
    "shift_sd": 0.5,  # logit-scale shift of a held forecast: +-1 at two sd
    "log_slope_sd": 0.3,  # log of the slope: between x0.55 and x1.8 at two sd
    "log_alpha_mu": 0.0,  # centred on the default alpha = 1 (domain.DEFAULT_ALPHA)
    "log_alpha_sd": 1.0,
    # Share of a held event forecast that decays; the rest holds, as for an event that may
    # already have happened but is not resolved yet. Beta(2, 1): mostly decaying, as layer
    # 2 assumes, with the data free to say otherwise.
    "decay_share_a": 2.0,
    "decay_share_b": 1.0,
    # Half-normal scales of the spread of a factor's levels (an author, a tag) around the
    # class: a shift of +-0.5 and a slope +-0.3 away at two sd are already large.
    "group_shift_sd": 0.25,
    "group_slope_sd": 0.15,
}


@dataclass(frozen=True)
class Factor:
    """A grouping of the rows (``"author"``, ``"tag"``, ``"platform"``) and its levels."""

    name: str
    levels: tuple[str, ...]


@dataclass(frozen=True, eq=False)
class Rows:
    """Training rows: decaying days of event questions, and held forecasts (state
    questions, or event questions whose deadline is not ahead), weighted by the share of
    their question's scored days they stand for."""

    logit: np.ndarray  # decaying rows: the held forecast, logit
    horizon: np.ndarray  # days from the update to the deadline
    elapsed: np.ndarray  # days since the update (< horizon)
    outcome: np.ndarray
    weight: np.ndarray
    held_logit: np.ndarray  # held rows
    held_outcome: np.ndarray
    held_weight: np.ndarray
    held_kind: np.ndarray  # the index of the row's class in ``classes`` (which recalibration)
    classes: tuple[str, ...] = CLASSES  # decaying rows are of the first class
    factors: tuple[Factor, ...] = ()
    # Membership weights, one column per level of every factor in turn (rows x levels).
    members: np.ndarray | None = None  # of the decaying rows
    held_members: np.ndarray | None = None  # of the held rows

    def __post_init__(self) -> None:
        levels = sum(len(f.levels) for f in self.factors)
        for name, rows in (("members", len(self.logit)), ("held_members", len(self.held_logit))):
            found = getattr(self, name)
            shape = (rows, levels) if found is not None or levels else None
            if shape is not None and (found is None or np.shape(found) != shape):
                raise ForecastError(
                    f"{name} must be {shape[0]} rows by {shape[1]} levels, not "
                    f"{None if found is None else np.shape(found)}"
                )

    @property
    def decays(self) -> bool:
        """Whether any row decays (else the model has no decay at all)."""
        return len(self.logit) > 0

    def containers(self) -> dict[str, np.ndarray]:
        """The packed ``pm.Data`` arrays (see ``model.containers`` on why packed): each
        row's fields, then, with factors, the index of its set of weights in ``combos``
        (the distinct membership rows: a few dozen where rows are tens of thousands, so
        the offsets are summed once per set, not once per row)."""
        decaying = np.stack([self.logit, self.horizon, self.elapsed, self.outcome, self.weight])
        held = np.stack([self.held_logit, self.held_outcome, self.held_weight, self.held_kind])
        if not self.factors:
            return {"decaying": decaying.astype(float), "held": held.astype(float)}
        both = np.concatenate([np.asarray(self.members), np.asarray(self.held_members)])
        combos, which = np.unique(both, axis=0, return_inverse=True)
        which = which.ravel()
        decaying = np.concatenate([decaying, which[None, : len(self.logit)]])
        held = np.concatenate([held, which[None, len(self.logit) :]])
        return {
            "decaying": decaying.astype(float),
            "held": held.astype(float),
            "combos": combos.astype(float).reshape(-1, both.shape[1]),
        }


@dataclass(frozen=True)
class Recalibration:
    """Posterior means: what method (c) of the backtest uses."""

    shift: dict[str, float]
    slope: dict[str, float]
    alpha: float | None  # None: the rows had no decay
    decay_share: float | None
    questions: int
    # Per factor, per level: the posterior means of its (shift, slope) offsets.
    offsets: Mapping[str, Mapping[str, tuple[float, float]]] = field(default_factory=dict)
    # Posterior draws, evenly thinned (empty: none kept): "shift" and "slope" (draw x class,
    # in ``shift``'s order) and per factor "<name>_shift", "<name>_slope" (draw x level, in
    # ``offsets[name]``'s order). What a credible band of a recalibrated forecast is read from.
    draws: Mapping[str, np.ndarray] = field(default_factory=dict)

    def line(
        self, kind: str, members: Mapping[str, Mapping[str, float]] | None = None
    ) -> tuple[float, float]:
        """The (shift, slope) of a forecast of class ``kind`` whose groups are ``members``
        (factor -> level -> weight; an unknown factor or level adds nothing)."""
        shift, slope = self.shift[kind], self.slope[kind]
        for factor, weights in (members or {}).items():
            for level, w in weights.items():
                a, b = self.offsets.get(factor, {}).get(level, (0.0, 0.0))
                shift, slope = shift + w * a, slope + w * b
        return shift, slope

    def apply(
        self, p: np.ndarray, kind: str, members: Mapping[str, Mapping[str, float]] | None = None
    ) -> np.ndarray:
        """Recalibrate held probabilities of one class (and one set of groups)."""
        shift, slope = self.line(kind, members)
        x = np.log(p) - np.log1p(-p)
        return 1.0 / (1.0 + np.exp(-(shift + slope * x)))

    def lines(
        self, kind: str, members: Mapping[str, Mapping[str, float]] | None = None
    ) -> tuple[np.ndarray, np.ndarray] | None:
        """:meth:`line` in every kept draw: (shifts, slopes); None when no draw was kept."""
        if not self.draws:
            return None
        at = list(self.shift).index(kind)
        shift, slope = self.draws["shift"][:, at].copy(), self.draws["slope"][:, at].copy()
        for factor, weights in (members or {}).items():
            levels = list(self.offsets.get(factor, {}))
            for level, w in weights.items():
                if level in levels:
                    j = levels.index(level)
                    shift += w * self.draws[f"{factor}_shift"][:, j]
                    slope += w * self.draws[f"{factor}_slope"][:, j]
        return shift, slope

    def band(
        self,
        p: float,
        kind: str,
        members: Mapping[str, Mapping[str, float]] | None = None,
        prob: float = 0.9,
    ) -> tuple[float, float] | None:
        """The central ``prob`` credible interval of the recalibrated ``p`` over the kept
        draws (numpy's linear quantiles); None when no draw was kept."""
        found = self.lines(kind, members)
        if found is None:
            return None
        shift, slope = found
        x = math.log(p) - math.log1p(-p)
        values = 1.0 / (1.0 + np.exp(-(shift + slope * x)))
        low, high = np.quantile(values, [(1 - prob) / 2, (1 + prob) / 2])
        return float(low), float(high)


def merged_priors(priors: Mapping[str, float] | None = None) -> dict[str, float]:
    unknown = sorted(set(priors or {}) - set(DEFAULT_PRIORS))
    if unknown:
        raise ForecastError(f"unknown prior setting {unknown[0]!r}")
    return {**DEFAULT_PRIORS, **(priors or {})}  # user settings win over the defaults


def build_model(
    rows: Rows, priors: Mapping[str, float] | None = None, *, decays: bool | None = None
) -> pm.Model:
    """The recalibration model of ``rows``, with pooled offsets for the rows' factors, and
    with decay if ``decays`` (by default: if any row decays)."""
    import pymc as pm
    import pytensor.tensor as pt

    p = merged_priors(priors)
    decays = rows.decays if decays is None else decays
    coords = {"class": list(rows.classes), **{f.name: list(f.levels) for f in rows.factors}}
    with pm.Model(coords=coords) as model:
        model.rows_layout = _layout(rows, decays)
        d = {name: pm.Data(name, value) for name, value in rows.containers().items()}
        shift = pm.Normal("shift", 0.0, p["shift_sd"], dims="class")
        log_slope = pm.Normal("log_slope", 0.0, p["log_slope_sd"], dims="class")
        slope = pm.Deterministic("slope", pt.exp(log_slope), dims="class")
        dec, held = d["decaying"], d["held"]
        kind = pt.cast(held[3], "int64")
        dec_shift, dec_slope = shift[0], slope[0]
        held_shift, held_slope = shift[kind], slope[kind]
        if rows.factors:
            a, b = _offsets(rows.factors, p)
            combo_a, combo_b = pt.dot(d["combos"], a), pt.dot(d["combos"], b)
            dec_combo, held_combo = pt.cast(dec[5], "int64"), pt.cast(held[4], "int64")
            dec_shift = dec_shift + combo_a[dec_combo]
            dec_slope = dec_slope + combo_b[dec_combo]
            held_shift = held_shift + combo_a[held_combo]
            held_slope = held_slope + combo_b[held_combo]
        if decays:
            log_alpha = pm.Normal("log_alpha", p["log_alpha_mu"], p["log_alpha_sd"])
            alpha = pm.Deterministic("alpha", pt.exp(log_alpha))
            share = pm.Beta("decay_share", p["decay_share_a"], p["decay_share_b"])
            log_p, log_q = _decayed_log_forecast(
                dec_shift + dec_slope * dec[0], dec[1], dec[2], alpha, share
            )
            pm.Potential("decaying_days", pt.sum(dec[4] * (dec[3] * log_p + (1 - dec[3]) * log_q)))
        x = held_shift + held_slope * held[0]
        pm.Potential(
            "held_days",
            pt.sum(held[2] * (held[1] * -pt.softplus(-x) + (1 - held[1]) * -pt.softplus(x))),
        )
    return model


def _offsets(factors: tuple[Factor, ...], p: Mapping[str, float]) -> tuple[Any, Any]:
    """Every level's shift and slope offsets, factor after factor (non-centred)."""
    import pymc as pm
    import pytensor.tensor as pt

    shifts, slopes = [], []
    for f in factors:
        sd_a = pm.HalfNormal(f"{f.name}_shift_sd", p["group_shift_sd"])
        sd_b = pm.HalfNormal(f"{f.name}_slope_sd", p["group_slope_sd"])
        z = pm.Normal(f"{f.name}_shift_z", 0.0, 1.0, dims=f.name)
        u = pm.Normal(f"{f.name}_slope_z", 0.0, 1.0, dims=f.name)
        shifts.append(pm.Deterministic(f"{f.name}_shift", sd_a * z, dims=f.name))
        slopes.append(pm.Deterministic(f"{f.name}_slope", sd_b * u, dims=f.name))
    return pt.concatenate(shifts), pt.concatenate(slopes)


def _layout(rows: Rows, decays: bool) -> tuple[Any, ...]:
    """What the model's structure depends on: rows of another layout need a new model."""
    return (rows.classes, rows.factors, decays)


def sampled(model: pm.Model) -> tuple[str, ...]:
    """The free parameters of a model built by :func:`build_model`."""
    return tuple(v.name for v in model.free_RVs)


def derived(model: pm.Model) -> tuple[str, ...]:
    """Its derived quantities (slope, alpha, the levels' offsets)."""
    return tuple(v.name for v in model.deterministics)


def _decayed_log_forecast(
    logit: pt.TensorVariable,
    horizon: pt.TensorVariable,
    elapsed: pt.TensorVariable,
    alpha: pt.TensorVariable,
    share: pt.TensorVariable,
) -> tuple[pt.TensorVariable, pt.TensorVariable]:
    """log P and log(1 - P), ``elapsed`` days after P had log-odds ``logit`` with
    ``horizon`` days to go, when a ``share`` of it decays as layer 2 says and the rest holds.

    The decayed part is the law of :func:`forecast.decay.log_none_by_deadline`.
    """
    import pytensor.tensor as pt

    q_decayed = pt.exp(decay.log_none_by_deadline(logit, horizon, elapsed, alpha, pt))
    q = share * q_decayed + (1.0 - share) * pt.exp(-decay.softplus(logit, pt))
    return pt.log1p(-q), pt.log(q)


def set_rows(model: pm.Model, rows: Rows) -> None:
    """New training rows for an existing model (no recompilation with nutpie)."""
    layout = getattr(model, "rows_layout", None)
    if layout is None or layout != _layout(rows, layout[2] or rows.decays):
        raise ForecastError(
            "these rows have other classes, factors or levels, or decay where the model's "
            "did not: build a new model"
        )
    import pymc as pm

    with model:
        pm.set_data(rows.containers())


def learn(model: pm.Model, settings: SamplerSettings, questions: int) -> Recalibration:
    """Fit the model with its current rows and return the posterior means."""
    from forecast.learning.model import fit

    post = fit(model, settings, sampled=sampled(model), derived=derived(model))["posterior"]

    def mean(name: str) -> np.ndarray:
        return np.asarray(post[name].mean(("chain", "draw")).values)

    def kept(name: str) -> np.ndarray:  # draw x entry, evenly thinned
        v = post[name].transpose("chain", "draw", ...).values
        found = v.reshape(v.shape[0] * v.shape[1], *v.shape[2:])  # (an empty factor too)
        at = np.unique(np.linspace(0, len(found) - 1, BAND_DRAWS).round().astype(int))
        kept = np.asarray(found[at], dtype=float)
        return kept[:, None] if kept.ndim == 1 else kept

    classes, factors, decays = model.rows_layout
    parts = ("shift", "slope")
    names = [*parts, *(f"{f.name}_{part}" for f in factors for part in parts)]
    return Recalibration(
        shift=dict(zip(classes, map(float, mean("shift")), strict=True)),
        slope=dict(zip(classes, map(float, mean("slope")), strict=True)),
        alpha=float(mean("alpha")) if decays else None,
        decay_share=float(mean("decay_share")) if decays else None,
        questions=questions,
        offsets={
            f.name: {
                level: (float(a), float(b))
                for level, a, b in zip(
                    f.levels, mean(f"{f.name}_shift"), mean(f"{f.name}_slope"), strict=True
                )
            }
            for f in factors
        },
        draws={name: kept(name) for name in names},
    )
