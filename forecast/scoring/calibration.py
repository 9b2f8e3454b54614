"""Calibration of binary forecasts: the binned calibration table and the Murphy decomposition."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import betaincinv  # the Beta quantile; scipy.stats costs ~0.8 s to import

import forecast.scoring._checks as _checks
from forecast.domain import ForecastError
from forecast.scoring.rules import binary_inputs, brier

FloatArray = NDArray[np.float64]
Strategy = Literal["uniform", "quantile"]


@dataclass(frozen=True, eq=False)
class CalibrationTable:
    """One row per non-empty bin, as parallel numpy arrays ordered by bin.

    Attributes
    ----------
    lower, upper : numpy.ndarray
        Edges of the bin. A bin holds the forecasts ``p`` with ``lower < p <= upper``;
        the first bin also holds ``p == lower``.
    count : numpy.ndarray of int
        Number of forecasts in the bin.
    positives : numpy.ndarray of int
        How many of them resolved YES.
    mean_forecast : numpy.ndarray
        Mean forecast in the bin (scikit-learn's ``prob_pred``).
    observed_frequency : numpy.ndarray
        ``positives / count`` (scikit-learn's ``prob_true``).
    ci_lower, ci_upper : numpy.ndarray
        Clopper-Pearson interval for the bin's YES frequency at level ``interval``.
    interval : float
        The interval's confidence level.
    strategy : str
        ``"uniform"`` or ``"quantile"``.
    """

    lower: FloatArray
    upper: FloatArray
    count: NDArray[np.int64]
    positives: NDArray[np.int64]
    mean_forecast: FloatArray
    observed_frequency: FloatArray
    ci_lower: FloatArray
    ci_upper: FloatArray
    interval: float
    strategy: str


@dataclass(frozen=True)
class Murphy:
    """Murphy decomposition of a mean Brier score.

    ``brier == reliability - resolution + uncertainty + residual`` up to rounding.
    ``residual`` is exactly 0 when forecasts are grouped by their distinct values; with
    bins it is the within-bin variance of the forecasts minus twice their within-bin
    covariance with the outcomes (Stephenson, Coelho and Jolliffe 2008).
    """

    brier: float
    reliability: float
    resolution: float
    uncertainty: float
    residual: float


def calibration_table(
    outcomes: ArrayLike,
    forecasts: ArrayLike,
    *,
    n_bins: int = 10,
    strategy: Strategy = "uniform",
    interval: float = 0.9,
) -> CalibrationTable:
    """Bin binary forecasts and compare each bin's mean forecast with what happened.

    The binning is scikit-learn's ``calibration_curve``, reproduced exactly: with
    ``"uniform"`` the edges are ``n_bins`` equal steps over [0, 1]; with ``"quantile"``
    they are the forecasts' percentiles at ``0, 100/n_bins, ..., 100`` (numpy's default
    linear interpolation), so bins hold about equal numbers of forecasts and repeated
    edges give empty bins. A forecast equal to an inner edge goes to the lower bin. Empty
    bins are left out, so the table may have fewer than ``n_bins`` rows and
    ``(observed_frequency, mean_forecast)`` equal ``calibration_curve``'s
    ``(prob_true, prob_pred)``.

    Each bin's interval is the Clopper-Pearson ("exact") binomial interval for its YES
    frequency: equal-tailed, built from Beta quantiles, its coverage never below
    ``interval`` (it errs on the wide side for small bins). It is 0 below when a bin has
    no YES and 1 above when it has no NO.

    Parameters
    ----------
    outcomes, forecasts : array_like
        As for :func:`~forecast.scoring.brier`; all forecasts are pooled (flattened).
    n_bins : int
        Number of bins, at least 1.
    strategy : {"uniform", "quantile"}
        How the bin edges are placed.
    interval : float
        Confidence level of the intervals, strictly between 0 and 1.

    Raises
    ------
    ForecastError
        As :func:`~forecast.scoring.brier`, on an empty input, or on a bad option.
    """
    y, p = _pooled(outcomes, forecasts, "a calibration table")
    level = _checks.fraction(interval, "interval")
    edges = _edges(p, _checks.count(n_bins, "n_bins"), strategy)
    ids = _bin_ids(p, edges)
    count = np.bincount(ids, minlength=edges.size - 1)
    # Summed the way calibration_curve sums, so the means agree to the last bit.
    sum_p = np.bincount(ids, weights=p, minlength=edges.size - 1)
    sum_y = np.bincount(ids, weights=y, minlength=edges.size - 1)
    kept = np.flatnonzero(count)
    n, k = count[kept], np.rint(sum_y[kept]).astype(np.int64)
    ci_lower, ci_upper = _clopper_pearson(k, n, level)
    return CalibrationTable(
        lower=edges[kept],
        upper=edges[kept + 1],
        count=n.astype(np.int64),
        positives=k,
        mean_forecast=sum_p[kept] / n,
        observed_frequency=sum_y[kept] / n,
        ci_lower=ci_lower,
        ci_upper=ci_upper,
        interval=level,
        strategy=strategy,
    )


def murphy(
    outcomes: ArrayLike,
    forecasts: ArrayLike,
    *,
    n_bins: int | None = None,
    strategy: Strategy = "uniform",
) -> Murphy:
    """Murphy (1973) decomposition of the mean Brier score of binary forecasts.

    With ``N`` forecasts in groups ``g`` of size ``n_g``, mean forecast ``f_g`` and YES
    frequency ``o_g``, and an overall YES frequency (base rate) ``o``::

        reliability = sum_g n_g (f_g - o_g)^2 / N     (lower is better)
        resolution  = sum_g n_g (o_g - o)^2 / N       (higher is better)
        uncertainty = o (1 - o)                       (the question set, not the forecaster)

    With ``n_bins=None`` the groups are the distinct forecast values and
    ``brier = reliability - resolution + uncertainty`` exactly, so ``residual`` is 0.
    With ``n_bins`` the groups are :func:`calibration_table`'s bins; forecasts inside a
    bin then differ from the bin mean, and ``residual`` carries what that adds:
    ``sum_i [(p_i - f_g)^2 - 2 (p_i - f_g)(y_i - o_g)] / N``, the within-bin variance
    of the forecasts minus twice their within-bin covariance with the outcomes.

    Raises
    ------
    ForecastError
        As :func:`~forecast.scoring.brier`, on an empty input, or on a bad option.
    """
    y, p = _pooled(outcomes, forecasts, "a Murphy decomposition")
    if n_bins is None:
        centres, groups = np.unique(p, return_inverse=True)
        # The group's centre is the forecast value itself, so the residual is exactly 0.
        return _murphy(y, p, groups, centres)
    ids = _bin_ids(p, _edges(p, _checks.count(n_bins, "n_bins"), strategy))
    groups = np.unique(ids, return_inverse=True)[1]
    centres = np.bincount(groups, weights=p) / np.bincount(groups)
    return _murphy(y, p, groups, centres)


def _pooled(outcomes: ArrayLike, forecasts: ArrayLike, what: str) -> tuple[FloatArray, FloatArray]:
    y, p = binary_inputs(outcomes, forecasts)
    _checks.nonempty(y.size, what)
    return y.ravel(), p.ravel()


def _edges(p: FloatArray, n_bins: int, strategy: str) -> FloatArray:
    if strategy == "uniform":
        return np.linspace(0.0, 1.0, n_bins + 1)
    if strategy == "quantile":
        # The percentile levels are computed as calibration_curve computes them, so the
        # edges (and hence the bins) agree with it exactly.
        return np.percentile(p, np.linspace(0, 1, n_bins + 1) * 100)
    raise ForecastError(f"strategy must be 'uniform' or 'quantile', not {strategy!r}")


def _bin_ids(p: FloatArray, edges: FloatArray) -> NDArray[np.intp]:
    # Searching the inner edges with side="left" puts a value equal to an edge in the
    # lower bin, and values at 0 or 1 in the first or last bin: calibration_curve's rule.
    return np.searchsorted(edges[1:-1], p)


def _clopper_pearson(
    k: NDArray[np.int64], n: NDArray[np.int64], level: float
) -> tuple[FloatArray, FloatArray]:
    tail = (1.0 - level) / 2.0
    # Beta(0, .) is undefined; those ends are fixed at 0 and 1, so feed a harmless 1 there.
    lower = betaincinv(np.maximum(k, 1), n - k + 1, tail)
    upper = betaincinv(k + 1, np.maximum(n - k, 1), 1.0 - tail)
    return np.where(k == 0, 0.0, lower), np.where(k == n, 1.0, upper)


def _murphy(y: FloatArray, p: FloatArray, groups: NDArray[np.intp], centres: FloatArray) -> Murphy:
    size = np.bincount(groups)
    observed = np.bincount(groups, weights=y) / size
    base_rate = y.mean()
    spread = p - centres[groups]
    return Murphy(
        brier=float(np.mean(brier(y, p))),
        reliability=float(np.sum(size * (centres - observed) ** 2) / y.size),
        resolution=float(np.sum(size * (observed - base_rate) ** 2) / y.size),
        uncertainty=float(base_rate * (1.0 - base_rate)),
        residual=float(np.mean(spread**2 - 2.0 * spread * (y - observed[groups]))),
    )
