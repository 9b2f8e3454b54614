"""The backtest's model: how to read a held forecast, learned from questions already resolved.

A team that updates every few days holds each update until the next. For a held
probability ``p`` of class c (event or state question) the model learns

    logit p' = shift_c + slope_c * logit p                  (recalibration)

and, for event questions, the Gamma shape ``alpha`` of layer 2's decay from ``p'`` over
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

Priors are data, with defaults below. Build and fit are separate; the rows live in two
``pm.Data`` containers, so a walk-forward backtest refits without recompiling.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pymc as pm
import pytensor.tensor as pt

from forecast import decay
from forecast.domain import ForecastError
from forecast.learning.model import SamplerSettings, fit

CLASSES = ("event", "state")

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
}

SAMPLED = ("shift", "log_slope", "log_alpha", "decay_share")
DERIVED = ("slope", "alpha")


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
    held_kind: np.ndarray  # 0: event question, 1: state question (which recalibration)

    def containers(self) -> dict[str, np.ndarray]:
        """Two packed ``pm.Data`` arrays (see ``model.containers`` on why packed)."""
        decaying = np.stack([self.logit, self.horizon, self.elapsed, self.outcome, self.weight])
        held = np.stack([self.held_logit, self.held_outcome, self.held_weight, self.held_kind])
        return {"decaying": decaying.astype(float), "held": held.astype(float)}


@dataclass(frozen=True)
class Recalibration:
    """Posterior means: what method (c) of the backtest uses."""

    shift: dict[str, float]
    slope: dict[str, float]
    alpha: float
    decay_share: float
    questions: int

    def apply(self, p: np.ndarray, kind: str) -> np.ndarray:
        """Recalibrate held probabilities of one class."""
        x = np.log(p) - np.log1p(-p)
        return 1.0 / (1.0 + np.exp(-(self.shift[kind] + self.slope[kind] * x)))


def merged_priors(priors: Mapping[str, float] | None = None) -> dict[str, float]:
    unknown = sorted(set(priors or {}) - set(DEFAULT_PRIORS))
    if unknown:
        raise ForecastError(f"unknown prior setting {unknown[0]!r}")
    return {**DEFAULT_PRIORS, **(priors or {})}  # user settings win over the defaults


def build_model(rows: Rows, priors: Mapping[str, float] | None = None) -> pm.Model:
    """The recalibration-and-decay model of ``rows``."""
    p = merged_priors(priors)
    with pm.Model(coords={"class": list(CLASSES)}) as model:
        d = {name: pm.Data(name, value) for name, value in rows.containers().items()}
        shift = pm.Normal("shift", 0.0, p["shift_sd"], dims="class")
        log_slope = pm.Normal("log_slope", 0.0, p["log_slope_sd"], dims="class")
        pm.Deterministic("slope", pt.exp(log_slope), dims="class")
        log_alpha = pm.Normal("log_alpha", p["log_alpha_mu"], p["log_alpha_sd"])
        alpha = pm.Deterministic("alpha", pt.exp(log_alpha))
        dec, held = d["decaying"], d["held"]
        share = pm.Beta("decay_share", p["decay_share_a"], p["decay_share_b"])
        log_p, log_q = _decayed_log_forecast(
            shift[0] + pt.exp(log_slope[0]) * dec[0], dec[1], dec[2], alpha, share
        )
        pm.Potential("decaying_days", pt.sum(dec[4] * (dec[3] * log_p + (1 - dec[3]) * log_q)))
        kind = pt.cast(held[3], "int64")
        x = shift[kind] + pt.exp(log_slope[kind]) * held[0]
        pm.Potential(
            "held_days",
            pt.sum(held[2] * (held[1] * -pt.softplus(-x) + (1 - held[1]) * -pt.softplus(x))),
        )
    return model


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
    q_decayed = pt.exp(decay.log_none_by_deadline(logit, horizon, elapsed, alpha, pt))
    q = share * q_decayed + (1.0 - share) * pt.exp(-decay.softplus(logit, pt))
    return pt.log1p(-q), pt.log(q)


def set_rows(model: pm.Model, rows: Rows) -> None:
    """New training rows for an existing model (no recompilation with nutpie)."""
    with model:
        pm.set_data(rows.containers())


def learn(model: pm.Model, settings: SamplerSettings, questions: int) -> Recalibration:
    """Fit the model with its current rows and return the posterior means."""
    post = fit(model, settings, sampled=SAMPLED, derived=DERIVED)["posterior"]
    mean = {
        name: np.asarray(post[name].mean(("chain", "draw")).values)
        for name in ("shift", "slope", "alpha", "decay_share")
    }
    return Recalibration(
        shift=dict(zip(CLASSES, map(float, mean["shift"]), strict=True)),
        slope=dict(zip(CLASSES, map(float, mean["slope"]), strict=True)),
        alpha=float(mean["alpha"]),
        decay_share=float(mean["decay_share"]),
        questions=questions,
    )
