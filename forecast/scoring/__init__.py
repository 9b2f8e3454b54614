"""Scoring of resolved forecasts: proper scores, skill, calibration, Murphy decomposition.

Pure numpy and scipy: no database, no files. Conventions shared by every score:

- arguments are ``(outcomes, forecasts, *, options)``, outcomes first;
- scores are negatively oriented: lower is better and 0 is a perfect forecast;
- logarithms are natural (scores in nats);
- inputs broadcast like numpy arrays and per-forecast scores come back as arrays,
  aggregates as floats;
- bad input raises :class:`~forecast.domain.ForecastError` with a one-line message.

Binary questions are scored with :func:`brier` (0-1 scale) and :func:`log_score`;
choice questions with :func:`brier_multi` (0-2 scale) and :func:`log_score_multi`.
``SCORES`` and ``CHOICE_SCORES`` map score names to these functions.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from forecast.scoring.calibration import CalibrationTable, Murphy, calibration_table, murphy
from forecast.scoring.rules import (
    brier,
    brier_multi,
    improvement,
    log_score,
    log_score_multi,
    skill,
    summary,
)
from forecast.scoring.time_average import TimeAveraged, time_averaged

ScoreFn = Callable[..., np.ndarray]

SCORES: dict[str, ScoreFn] = {"brier": brier, "log": log_score}
"""Per-forecast scores of binary questions, by name."""

CHOICE_SCORES: dict[str, ScoreFn] = {"brier": brier_multi, "log": log_score_multi}
"""Per-forecast scores of choice questions, by the same names as ``SCORES``."""

BY_FAMILY: dict[str, dict[str, ScoreFn]] = {"binary": SCORES, "choice": CHOICE_SCORES}
"""The score registry: a kind's score family (``forecast.kinds``) -> its scores by name.
A new score is one entry in each family's table; everything that scores iterates these."""

__all__ = [
    "BY_FAMILY",
    "CHOICE_SCORES",
    "SCORES",
    "CalibrationTable",
    "Murphy",
    "TimeAveraged",
    "brier",
    "brier_multi",
    "calibration_table",
    "improvement",
    "log_score",
    "log_score_multi",
    "murphy",
    "skill",
    "summary",
    "time_averaged",
]
