"""Layer 2's closed forms (``forecast.decay``) over numpy arrays, for many draws or days.

``alpha`` broadcasts against the other arguments, so one call covers every posterior draw.
"""

from __future__ import annotations

import numpy as np


def rate_for_probability(
    log_odds: np.ndarray | float, horizon: np.ndarray | float, alpha: np.ndarray | float
) -> np.ndarray:
    """The state ``s`` at which P(event within ``horizon`` days) has the given log-odds."""
    x = np.asarray(log_odds, dtype=float)
    # -log(1 - P) = softplus(logit P), written with SIMD-friendly exp and log1p
    ratio = (np.maximum(x, 0.0) + np.log1p(np.exp(-np.abs(x)))) / alpha
    # As in forecast.decay, P = 1 to double precision gives s = 0 (expm1 overflows to inf)
    # and P = 0 gives s = inf (division by 0): IEEE arithmetic does it without branches.
    with np.errstate(divide="ignore", over="ignore"):
        return horizon / np.expm1(ratio)


def log_odds_within(
    state: np.ndarray, horizon: np.ndarray | float, alpha: np.ndarray | float
) -> np.ndarray:
    """Log-odds of the event within ``horizon`` (> 0) days, from state ``s``."""
    # s = 0 gives +inf (the event is certain) and s = inf gives -inf (impossible) through
    # IEEE infinities, as forecast.decay's branches do.
    with np.errstate(divide="ignore", invalid="ignore"):
        log_survival = -alpha * np.log1p(horizon / state)
        return np.log(-np.expm1(log_survival)) - log_survival


def decayed(
    p: np.ndarray, horizon: np.ndarray, elapsed: np.ndarray, alpha: np.ndarray | float
) -> np.ndarray:
    """P(event by the deadline) ``elapsed`` silent days after it was ``p`` with ``horizon``
    days to go. Where the horizon is not positive there is nothing to decay: ``p`` stays."""
    live = horizon > 0
    h = np.where(live, horizon, 1.0)
    with np.errstate(divide="ignore"):
        state = rate_for_probability(np.log(p) - np.log1p(-p), h, alpha)
        log_ratio = np.log(state + elapsed) - np.log(state + h)
    out = -np.expm1(alpha * log_ratio)
    out = np.where(state <= 0.0, 1.0, out)  # certainty stays certain until the deadline
    out = np.where(elapsed >= h, 0.0, out)  # the deadline passed in silence
    return np.where(live, out, p)
