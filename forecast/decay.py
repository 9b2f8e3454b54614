"""The Lomax (Gamma-exponential) law: the default prior shape of an event's date.

If the event's rate has a Gamma(alpha, b) prior, the waiting time has survival
``S(x) = (1 + x / b) ** -alpha`` and the probability that the event happens within
``horizon`` days is ``1 - (b / (b + horizon)) ** alpha``. ``b`` is chosen so that the
stated prior holds for the primary deadline:

    b = horizon / expm1(-log(1 - P) / alpha),   and   -log(1 - P) = softplus(logit P),

which keeps the arithmetic stable at both ends.

The law is written here once, against an array namespace ``xp``: numpy (the default) for the
exact engine (``forecast.event_dates`` spreads it over days) and for many draws at once
(``forecast.learning``, ``forecast.backtest``), ``pytensor.tensor`` for the PyMC models
that learn ``alpha``. Where numpy meets the ends (P = 0 or 1, a passed horizon) the
``*_np`` helpers below say what the law means there.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def softplus(x: Any, xp: Any = np) -> Any:
    """``log(1 + exp(x))`` without overflow: ``-log(1 - P)`` from ``x = logit P``."""
    if hasattr(xp, "softplus"):  # PyTensor has it as one op, with a stable gradient
        return xp.softplus(x)
    return xp.maximum(x, 0.0) + xp.log1p(xp.exp(-xp.abs(x)))


def scale(logit_p: Any, horizon: Any, alpha: Any, xp: Any = np) -> Any:
    """The scale ``b`` at which P(event within ``horizon`` days) has log-odds ``logit_p``.

    In IEEE arithmetic P = 1 gives b = 0 (expm1 overflows) and P = 0 gives b = inf."""
    return horizon / xp.expm1(softplus(logit_p, xp) / alpha)


def log_scale(logit_p: Any, horizon: Any, alpha: Any, xp: Any = np) -> Any:
    """``log b``: the scale on the log scale, for gradients (PyMC)."""
    return xp.log(horizon) - xp.log(xp.expm1(softplus(logit_p, xp) / alpha))


def log_survival(elapsed: Any, b: Any, alpha: Any, xp: Any = np) -> Any:
    """``log S(elapsed)``: no event in the first ``elapsed`` days, at scale ``b``."""
    return -alpha * xp.log1p(elapsed / b)


def log_density(log_b: Any, elapsed: Any, alpha: Any, xp: Any = np) -> Any:
    """``log f(elapsed)``: the event happens ``elapsed`` days in (``log_b`` = log scale)."""
    log_b_plus_t = xp.logaddexp(log_b, xp.log(elapsed))
    # elapsed / b as elapsed * exp(-log b) over a scale of 1 (an exact division): the
    # form the sampler has always used, so a fit's draws do not depend on this refactoring.
    return xp.log(alpha) - log_b_plus_t + log_survival(elapsed * xp.exp(-log_b), 1.0, alpha, xp)


def log_none_by_deadline(logit_p: Any, horizon: Any, elapsed: Any, alpha: Any, xp: Any = np) -> Any:
    """``log P(no event by the deadline)`` after ``elapsed`` silent days, when P(by the
    deadline, ``horizon`` days away) had log-odds ``logit_p``: ``S(H) / S(e)``.

    With ``c = -log(1 - p) / alpha``, ``H / b = expm1(c)``, so this is
    ``alpha * log1p(e expm1(c) / H) - alpha * c``: few transcendental functions a row,
    which is what a sampler's gradient costs."""
    return log_none_after(softplus(logit_p, xp), elapsed / horizon, alpha, xp)


def log_none_after(neg_log_q0: Any, share: Any, alpha: Any, xp: Any = np) -> Any:
    """:func:`log_none_by_deadline` from ``-log(1 - p)`` and the share ``elapsed / horizon``
    of the days gone: the parts that do not depend on ``alpha``, for a model to compute
    once from its data rather than on every evaluation."""
    return alpha * xp.log1p(share * xp.expm1(neg_log_q0 / alpha)) - neg_log_q0


# --------------------------------------------------------------------------- numpy, with the ends


def rate_for_probability(log_odds: float, horizon: float, alpha: float) -> float:
    """The scale ``b`` for one question (0: certain at once; inf: never)."""
    with np.errstate(divide="ignore", over="ignore"):
        return float(scale(np.float64(log_odds), horizon, alpha))


def probability_within(b: np.ndarray, horizon: np.ndarray, alpha: float) -> np.ndarray:
    """P(event within ``horizon`` days) at scale ``b``; 0 where the horizon has passed."""
    b = np.asarray(b, dtype=float)
    horizon = np.asarray(horizon, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = -np.expm1(log_survival(horizon, b, alpha))
    p = np.where(b <= 0.0, 1.0, p)
    return np.where(horizon > 0, p, 0.0)


def log_survival_np(x: np.ndarray, b: float, alpha: float) -> np.ndarray:
    """``log S(x)`` for ``x >= 0`` days after the prior's anchor, exact at ``b`` = 0, inf."""
    x = np.asarray(x, dtype=float)
    if b == 0.0:
        return np.where(x > 0, -np.inf, 0.0)
    if np.isinf(b):
        return np.zeros_like(x)
    return log_survival(x, b, alpha)


def decayed(
    p: np.ndarray, horizon: np.ndarray, elapsed: np.ndarray, alpha: np.ndarray | float
) -> np.ndarray:
    """P(event by the deadline) ``elapsed`` silent days after it was ``p`` with ``horizon``
    days to go, for many rows (or draws: ``alpha`` broadcasts). Where the horizon is not
    positive there is nothing to decay: ``p`` stays."""
    live = horizon > 0
    h = np.where(live, horizon, 1.0)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        logit = np.log(p) - np.log1p(-p)
        log_none = log_none_by_deadline(logit, h, elapsed, alpha)
    out = -np.expm1(log_none)
    # b = 0 (P = 1 to double precision, or expm1 overflowing for a small alpha) leaves no
    # valid log: certainty stays certain until the deadline.
    out = np.where(np.isnan(log_none) | (log_none > 0), 1.0, out)
    out = np.where(elapsed >= h, 0.0, out)  # the deadline passed in silence
    return np.where(live, out, p)
