"""Layer 2: time decay of "will it happen by D?" questions.

The event's rate lambda has a Gamma(alpha, b) prior. With no event by time t the state is
Gamma(alpha, b + t), and the probability that the event happens in (t, D] is

    P(t, D) = 1 - ((b + t) / (b + D)) ** alpha.

We carry the state as ``s = b + t`` (the Gamma rate at time t): silence for a while adds
the elapsed time to s. ``s`` at opening is chosen so that the prior holds for the primary
deadline, and a report with log-likelihood-ratio ``x`` sets the odds of "event by the
anchor deadline" (the first deadline still ahead) to ``odds * exp(x)``; the new ``s`` that
gives those odds is solved in closed form:

    1 - P = (s / (s + D - t)) ** alpha   =>   s = (D - t) / expm1(-log(1 - P) / alpha)

and ``-log(1 - P) = softplus(logit P)``, which keeps the arithmetic stable at both ends.
Times are days from the question's opening.
"""

from __future__ import annotations

import math

import numpy as np


def softplus(x: float) -> float:
    """``log(1 + exp(x))`` without overflow."""
    return max(x, 0.0) + math.log1p(math.exp(-abs(x)))


def rate_for_probability(log_odds: float, horizon: float, alpha: float) -> float:
    """The state ``s`` at which P(event within ``horizon`` days) has the given log-odds."""
    neg_log_survival = softplus(log_odds)  # -log(1 - P)
    ratio = neg_log_survival / alpha
    if ratio > 700.0:  # expm1 would overflow: the probability is 1 to double precision
        return 0.0
    if ratio == 0.0:  # the probability is 0 to double precision: silence forever
        return math.inf
    return horizon / math.expm1(ratio)


def log_odds_within(state: float, horizon: float, alpha: float) -> float:
    """Log-odds of the event within ``horizon`` (> 0) days, from state ``s``."""
    if state <= 0.0:
        return math.inf
    log_survival = -alpha * math.log1p(horizon / state)  # log(1 - P)
    if log_survival == 0.0:  # the state is so large that P underflows to 0
        return -math.inf
    return math.log(-math.expm1(log_survival)) - log_survival


def probability_within(state: np.ndarray, horizon: np.ndarray, alpha: float) -> np.ndarray:
    """P(event within ``horizon`` days) from state ``s``; 0 where the horizon has passed."""
    state = np.asarray(state, dtype=float)
    horizon = np.asarray(horizon, dtype=float)
    open_ = horizon > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        p = -np.expm1(-alpha * np.log1p(horizon / state))
    p = np.where(state <= 0.0, 1.0, p)
    return np.where(open_, p, 0.0)


def anchor_index(deadlines: np.ndarray, t: float) -> int:
    """Index of the first deadline strictly after time ``t`` (len if none is left)."""
    return int(np.searchsorted(deadlines, t, side="right"))


def apply_report(
    state: float, t: float, increment: float, deadlines: np.ndarray, alpha: float
) -> float:
    """The state just after a report at time ``t`` multiplies the anchor odds by exp(increment)."""
    k = anchor_index(deadlines, t)
    if k == len(deadlines):
        return state  # every deadline has passed: nothing left for the report to move
    horizon = float(deadlines[k]) - t
    return rate_for_probability(log_odds_within(state, horizon, alpha) + increment, horizon, alpha)
