"""Input checks shared by the scoring functions.

Each check turns user input into a numpy array of the right kind or raises
:class:`~forecast.domain.ForecastError` with one line saying what was wrong.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from forecast.domain import ForecastError

SUM_TOLERANCE = 1e-6
"""How far a choice forecast may sum from 1: rounding in a typed or stored vector, no more."""

_NUMERIC_KINDS = "biuf"  # bool, signed and unsigned integers, floats


def numbers(values: Any, what: str) -> NDArray[np.float64]:
    """``values`` as a float array of finite numbers."""
    try:
        raw = np.asarray(values)
    except ValueError:  # ragged nested lists
        raise ForecastError(f"{what} must be a regular array of numbers") from None
    # Object arrays (e.g. Fractions) are worth a try; text must not be parsed silently.
    if raw.dtype.kind not in _NUMERIC_KINDS + "O":
        raise ForecastError(f"{what} must be numbers, not {raw.dtype}")
    try:
        array = raw.astype(np.float64)
    except (TypeError, ValueError):
        raise ForecastError(f"{what} must be numbers") from None
    if not np.isfinite(array).all():
        raise ForecastError(f"{what} contain NaN or infinite values")
    return array


def probabilities(values: Any, what: str = "forecasts") -> NDArray[np.float64]:
    """``values`` as a float array with every entry in [0, 1]."""
    array = numbers(values, what)
    outside = (array < 0.0) | (array > 1.0)
    if outside.any():
        raise ForecastError(f"{what} must lie in [0, 1]; found {array[outside].flat[0]:g}")
    return array


def binary_outcomes(values: Any, what: str = "outcomes") -> NDArray[np.float64]:
    """``values`` as a float array of 0 (NO) and 1 (YES)."""
    array = numbers(values, what)
    wrong = (array != 0.0) & (array != 1.0)
    if wrong.any():
        raise ForecastError(f"{what} must be 0 (NO) or 1 (YES); found {array[wrong].flat[0]:g}")
    return array


def choice_forecasts(values: Any, what: str = "forecasts") -> NDArray[np.float64]:
    """``values`` as probability vectors along the last axis, each summing to 1."""
    array = probabilities(values, what)
    if array.ndim == 0 or array.shape[-1] < 2:
        raise ForecastError(
            f"{what} need a last axis of at least two options; got shape {array.shape}"
        )
    off = np.abs(array.sum(axis=-1) - 1.0) > SUM_TOLERANCE
    if off.any():
        total = array.sum(axis=-1)[off].flat[0]
        raise ForecastError(f"each of the {what} must sum to 1; found a sum of {total:.9g}")
    return array


def outcome_indices(values: Any, n_options: int) -> NDArray[np.intp]:
    """``values`` as integer option indices in ``range(n_options)``."""
    array = numbers(values, "outcome indices")
    wrong = (array != np.floor(array)) | (array < 0) | (array >= n_options)
    if wrong.any():
        raise ForecastError(
            f"outcome indices must be whole numbers from 0 to {n_options - 1}; "
            f"found {array[wrong].flat[0]:g}"
        )
    return array.astype(np.intp)


def scores(values: Any, what: str) -> NDArray[np.float64]:
    """``values`` as non-negative scores; +inf is allowed (a log score can be infinite)."""
    try:
        array = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise ForecastError(f"{what} must be numbers") from None
    if np.isnan(array).any():
        raise ForecastError(f"{what} contain NaN")
    if (array < 0).any():
        raise ForecastError(f"{what} must be non-negative (0 is a perfect score)")
    return array


def broadcast(
    first: NDArray[Any], second: NDArray[Any], names: tuple[str, str]
) -> tuple[NDArray[Any], NDArray[Any]]:
    """Both arrays broadcast to their common shape."""
    try:
        a, b = np.broadcast_arrays(first, second)
    except ValueError:
        raise ForecastError(
            f"{names[0]} of shape {first.shape} and {names[1]} of shape {second.shape} "
            "do not broadcast together"
        ) from None
    return a, b


def broadcast_choice(
    indices: NDArray[np.intp], forecasts: NDArray[np.float64]
) -> tuple[NDArray[np.intp], NDArray[np.float64]]:
    """Indices and forecast vectors broadcast over all but the forecasts' last axis."""
    try:
        shape = np.broadcast_shapes(indices.shape, forecasts.shape[:-1])
    except ValueError:
        raise ForecastError(
            f"outcome indices of shape {indices.shape} do not broadcast with forecast vectors "
            f"of shape {forecasts.shape}"
        ) from None
    vectors = np.broadcast_to(forecasts, (*shape, forecasts.shape[-1]))
    return np.broadcast_to(indices, shape), vectors


def nonempty(size: int, what: str) -> None:
    """Refuse to aggregate nothing."""
    if size == 0:
        raise ForecastError(f"cannot compute {what} of no forecasts")


def count(value: Any, what: str) -> int:
    """``value`` as a positive whole number."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise ForecastError(f"{what} must be a whole number of at least 1, not {value!r}")
    return int(value)


def fraction(value: Any, what: str) -> float:
    """``value`` as a number strictly between 0 and 1."""
    array = numbers(value, what)
    if array.ndim != 0:
        raise ForecastError(f"{what} must be a single number")
    number = float(array)
    if not 0.0 < number < 1.0:
        raise ForecastError(f"{what} must be strictly between 0 and 1, not {number:g}")
    return number
