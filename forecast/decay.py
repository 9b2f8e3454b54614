"""The Lomax (Gamma-exponential) law: the default prior shape of an event's date.

If the event's rate has a Gamma(alpha, b) prior, the waiting time has survival
``S(x) = (1 + x / b) ** -alpha`` and the probability that the event happens within
``horizon`` days is ``1 - (b / (b + horizon)) ** alpha``. ``b`` is chosen so that the
stated prior holds for the primary deadline:

    b = horizon / expm1(-log(1 - P) / alpha),   and   -log(1 - P) = softplus(logit P),

which keeps the arithmetic stable at both ends. ``forecast.event_dates`` spreads this law
over days; the learning layer uses the same closed form.
"""

from __future__ import annotations

import math

import numpy as np


def softplus(x: float) -> float:
    """``log(1 + exp(x))`` without overflow."""
    return max(x, 0.0) + math.log1p(math.exp(-abs(x)))


def rate_for_probability(log_odds: float, horizon: float, alpha: float) -> float:
    """The scale ``b`` at which P(event within ``horizon`` days) has the given log-odds."""
    neg_log_survival = softplus(log_odds)  # -log(1 - P)
    ratio = neg_log_survival / alpha
    if ratio > 700.0:  # expm1 would overflow: the probability is 1 to double precision
        return 0.0
    if ratio == 0.0:  # the probability is 0 to double precision: never
        return math.inf
    return horizon / math.expm1(ratio)


def probability_within(state: np.ndarray, horizon: np.ndarray, alpha: float) -> np.ndarray:
    """P(event within ``horizon`` days) at scale ``b``; 0 where the horizon has passed."""
    state = np.asarray(state, dtype=float)
    horizon = np.asarray(horizon, dtype=float)
    open_ = horizon > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        p = -np.expm1(-alpha * np.log1p(horizon / state))
    p = np.where(state <= 0.0, 1.0, p)
    return np.where(open_, p, 0.0)


def log_survival(x: np.ndarray, scale: float, alpha: float) -> np.ndarray:
    """``log S(x)`` for ``x >= 0`` days after the prior's anchor."""
    x = np.asarray(x, dtype=float)
    if scale == 0.0:
        return np.where(x > 0, -np.inf, 0.0)
    if math.isinf(scale):
        return np.zeros_like(x)
    return -alpha * np.log1p(x / scale)
