"""Per-forecast scores of binary and choice forecasts, skill scores and a summary.

Every score is negatively oriented (lower is better, 0 is perfect) and takes
``(outcomes, forecasts)`` in that order; options are keyword-only.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

import forecast.scoring._checks as _checks
from forecast.domain import ForecastError

FloatArray = NDArray[np.float64]


# --------------------------------------------------------------------------- binary


def brier(outcomes: ArrayLike, forecasts: ArrayLike) -> FloatArray:
    """Brier score of binary forecasts, ``(p - y) ** 2``, on the 0-1 scale.

    Parameters
    ----------
    outcomes : array_like
        1 where the question resolved YES, 0 where NO (booleans are accepted).
    forecasts : array_like
        The probability given to YES, in [0, 1].

    Returns
    -------
    numpy.ndarray
        One score per forecast, in the broadcast shape of the inputs. 0 is a perfect
        forecast, 0.25 is a flat 50 %, 1 is certainty on the wrong side.

    Raises
    ------
    ForecastError
        On NaN or infinite values, probabilities outside [0, 1], outcomes other than 0
        and 1, or shapes that do not broadcast.
    """
    y, p = binary_inputs(outcomes, forecasts)
    return _brier(y, p)


def log_score(outcomes: ArrayLike, forecasts: ArrayLike, *, eps: float | None = None) -> FloatArray:
    """Logarithmic score of binary forecasts: ``-ln p`` if YES, ``-ln(1 - p)`` if NO.

    The natural logarithm is used, so a flat 50 % scores ``ln 2 = 0.693``. A forecast of
    exactly 0 or 1 on the side that did not happen scores ``+inf``: the log score gives no
    credit back for certainty that turned out wrong.

    Parameters
    ----------
    outcomes : array_like
        1 where the question resolved YES, 0 where NO.
    forecasts : array_like
        The probability given to YES, in [0, 1].
    eps : float, optional
        If given, forecasts are first clipped to ``[eps, 1 - eps]``, so every score is
        finite. scikit-learn's ``log_loss`` clips with ``numpy.finfo(float).eps``; pass that
        to reproduce it. Must lie in (0, 0.5).

    Returns
    -------
    numpy.ndarray
        One score per forecast (nats), in the broadcast shape of the inputs.

    Raises
    ------
    ForecastError
        As :func:`brier`, or if ``eps`` is outside (0, 0.5).
    """
    y, p = binary_inputs(outcomes, forecasts)
    return _log_binary(y, _clipped(p, eps))


def binary_inputs(outcomes: ArrayLike, forecasts: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Checked 0/1 outcomes and probabilities, broadcast against each other."""
    y = _checks.binary_outcomes(outcomes)
    p = _checks.probabilities(forecasts)
    return _checks.broadcast(y, p, ("outcomes", "forecasts"))


def _clipped(p: FloatArray, eps: float | None) -> FloatArray:
    if eps is None:
        return p
    eps = _checks.fraction(eps, "eps")
    if eps >= 0.5:
        raise ForecastError(f"eps must be below 0.5, not {eps:g}")
    return np.clip(p, eps, 1.0 - eps)


def _brier(y: FloatArray, p: FloatArray) -> FloatArray:
    return (p - y) ** 2


def _log_binary(y: FloatArray, p: FloatArray) -> FloatArray:
    # np.where evaluates both branches, so log(0) on the branch not taken must stay quiet;
    # log1p keeps precision for the NO branch when p is small. Adding 0.0 turns -0.0 into 0.
    with np.errstate(divide="ignore"):
        return np.where(y == 1.0, -np.log(p), -np.log1p(-p)) + 0.0


# --------------------------------------------------------------------------- choice


def brier_multi(outcome_index: ArrayLike, forecasts: ArrayLike) -> FloatArray:
    """Brier score of choice forecasts, ``sum_k (p_k - o_k) ** 2``, on the 0-2 scale.

    ``o`` is the one-hot vector of the option that happened. This is the original
    (Brier 1950) multi-category score: 0 is perfect and 2 is certainty on a wrong option.
    With two options it is exactly twice the binary :func:`brier` of the second option,
    because both options miss by the same amount.

    Parameters
    ----------
    outcome_index : array_like of int
        Position of the option that happened, from 0 to K - 1.
    forecasts : array_like, shape (..., K)
        Probability vectors over the K options along the last axis, each summing to 1
        (within 1e-6). The leading axes broadcast against ``outcome_index``.

    Returns
    -------
    numpy.ndarray
        One score per forecast vector, in the broadcast shape.

    Raises
    ------
    ForecastError
        On NaN or infinite values, probabilities outside [0, 1], vectors that do not sum
        to 1, fewer than two options, indices outside 0..K-1, or shapes that do not
        broadcast.
    """
    k, p = _choice_inputs(outcome_index, forecasts)
    return _brier_multi(k, p)


def log_score_multi(
    outcome_index: ArrayLike, forecasts: ArrayLike, *, eps: float | None = None
) -> FloatArray:
    """Logarithmic score of choice forecasts: ``-ln p[outcome]`` (nats).

    Only the probability given to the option that happened counts; 0 on it scores
    ``+inf``. Arguments are as for :func:`brier_multi`; ``eps`` clips the probabilities
    to ``[eps, 1 - eps]`` before the logarithm, as :func:`log_score` does.
    """
    k, p = _choice_inputs(outcome_index, forecasts)
    return _log_multi(k, _clipped(p, eps))


def _choice_inputs(
    outcome_index: ArrayLike, forecasts: ArrayLike
) -> tuple[NDArray[np.intp], FloatArray]:
    p = _checks.choice_forecasts(forecasts)
    k = _checks.outcome_indices(outcome_index, p.shape[-1])
    return _checks.broadcast_choice(k, p)


def _brier_multi(k: NDArray[np.intp], p: FloatArray) -> FloatArray:
    hit = np.arange(p.shape[-1]) == k[..., np.newaxis]
    return np.sum((p - hit) ** 2, axis=-1)


def _log_multi(k: NDArray[np.intp], p: FloatArray) -> FloatArray:
    taken = np.take_along_axis(p, k[..., np.newaxis], axis=-1)[..., 0]
    with np.errstate(divide="ignore"):  # log(0) is the documented +inf
        return -np.log(taken) + 0.0


# --------------------------------------------------------------------------- skill


def skill(score: ArrayLike, reference_score: ArrayLike) -> FloatArray:
    """Skill score ``1 - score / reference_score`` of a score against a reference.

    1 is perfect, 0 is no better than the reference (for example the analyst's prior,
    or a market series), negative is worse. Both arguments are scores where lower is
    better and 0 is perfect, such as the output of :func:`brier` or :func:`log_score`.

    Where ``reference_score`` is 0 the result is NaN: a perfect reference leaves nothing
    to improve on, so the ratio has no meaning. An infinite score against a finite
    reference gives ``-inf``; a finite score against an infinite reference gives 1; both
    infinite give NaN. No numpy warnings are raised in these cases.

    Raises
    ------
    ForecastError
        On NaN, negative scores, or shapes that do not broadcast.
    """
    s, r = _score_pair(score, reference_score)
    return _skill(s, r)


def improvement(score: ArrayLike, reference_score: ArrayLike) -> FloatArray:
    """How much lower ``score`` is than ``reference_score``: ``reference_score - score``.

    Positive means the forecast beat the reference, in the units of the score (so a
    Brier improvement of 0.05 reads directly on the Brier scale). Two infinite scores
    give NaN, without a numpy warning. Raises as :func:`skill`.
    """
    s, r = _score_pair(score, reference_score)
    with np.errstate(invalid="ignore"):  # inf - inf is the documented NaN
        return r - s


def _score_pair(score: ArrayLike, reference_score: ArrayLike) -> tuple[FloatArray, FloatArray]:
    s = _checks.scores(score, "scores")
    r = _checks.scores(reference_score, "reference scores")
    return _checks.broadcast(s, r, ("scores", "reference scores"))


def _skill(s: FloatArray, r: FloatArray) -> FloatArray:
    with np.errstate(divide="ignore", invalid="ignore"):  # the masked cases below
        ratio = s / r
    return np.where(r == 0.0, np.nan, 1.0 - ratio)


# --------------------------------------------------------------------------- summary


def summary(outcomes: ArrayLike, forecasts: ArrayLike) -> dict[str, Any]:
    """Headline numbers of a set of resolved binary forecasts, for reports.

    Returns
    -------
    dict
        ``count`` (int): number of forecasts; ``brier``: mean Brier score;
        ``log``: mean log score in nats (``inf`` if any forecast was certain and wrong);
        ``base_rate``: fraction that resolved YES; ``mean_forecast``: mean probability
        given to YES; ``sharpness``: population variance of the forecasts (0 for a
        forecaster who always says the same number, at most 0.25 for one who only says
        0 and 1 in equal measure). All but ``count`` are floats.

    Raises
    ------
    ForecastError
        As :func:`brier`, or if there are no forecasts.
    """
    y, p = binary_inputs(outcomes, forecasts)
    _checks.nonempty(y.size, "a summary")
    return {
        "count": int(y.size),
        "brier": float(np.mean(_brier(y, p))),
        "log": float(np.mean(_log_binary(y, p))),
        "base_rate": float(np.mean(y)),
        "mean_forecast": float(np.mean(p)),
        "sharpness": float(np.var(p)),
    }
