"""Backtest on real forecast series: what a team that updates every few days loses, and
what time decay and the learned model win back.

Data: the ForecastBench format (``questions.parquet``, ``timeseries.parquet``); the copy in
``../shared/data/forecastbench/`` is from Karger et al., "ForecastBench: A Dynamic
Benchmark of AI Forecasting Capabilities", ICLR 2025 (CC BY-SA 4.0), with market data
under each platform's terms.

The team reads a question's series every ``cadence`` days on a fixed calendar (and on the
day it starts tracking the question) and holds what it read until the next update. It is
scored on every calendar day on which the question was tracked (it has a series value on
or before that day, up to its last one) and still unresolved (before its effective
resolution date). No day is chosen from the resolution date. Four ways to forecast:

- (a) ``hold``: the last update;
- (b) ``decay``: (a), decayed by layer 2 between updates for event questions, with the
  scheduled close as deadline and an alpha chosen on the tuning period (below);
- (c) ``learned``: the last update recalibrated (by class and, with ``by_platform``, by the
  question's platform, partially pooled) and, for event questions, decayed with
  the alpha learned by ``forecast.learning.recalibration``: refitted every ``refit_days``
  days on the questions resolved before the refit, a day is scored with the last fit
  made before it (walk-forward: the fit never sees the outcome it is scored on);
- (d) ``fresh``: the series' own value that day (the ceiling: no updating lag).

Event or state is read from the question's title by ``classify`` (a documented rule,
measured against hand labels in the tests); questions without text are unclassified and
treated as state questions (no decay). Scores are Brier and log scores (``forecast.
scoring``), time-averaged per question (the Good Judgment convention) and averaged over
questions, with 95% bootstrap intervals from resampling questions.

Every method is scored on the window from the first fit of (c) on. The days before it are
the tuning period: (b)'s alpha is the candidate of ``ALPHAS`` (0.5, 1, 2, 5, 20, or holding)
with the lowest mean Brier on the event questions resolved before the window, scored the
same way on their decaying days (``tune_decay``); a tie or no such question keeps the
default alpha (1). The learned method's prior settings are the module defaults, not tuned.

The modules, in the order the run uses them:

- ``data``: reading the two files into ``Tracked`` questions; ``classify`` and its checks;
- ``methods``: the team's update calendar, the scored days, methods (a)-(d) and the
  walk-forward fits of (c);
- ``scores``: per-question time averages, bootstrap intervals, the most influential cluster
  of related questions and (b)'s tuning;
- ``report``: ``run`` (the whole backtest), ``assess`` (tuning and scores from the fits),
  the ``Report`` and its printed ``table``.

Every name below can be imported from ``forecast.backtest`` directly.
"""

from forecast.backtest.data import (
    UNKNOWN_PLATFORM,
    Tracked,
    classify,
    clusters,
    early_yes,
    iso_day,
    load,
    measure_classifier,
)
from forecast.backtest.methods import (
    ALPHAS,
    BY_PLATFORM,
    CADENCE,
    EPOCH,
    METHODS,
    MIN_TRAIN,
    PLATFORM,
    REFIT_DAYS,
    Days,
    Fit,
    decaying,
    forecasts,
    held_decayed,
    platform_levels,
    refit_schedule,
    replay,
    scored_days,
    training_rows,
    update_days,
    value_on,
    walk_forward,
)
from forecast.backtest.report import LABELS, Report, assess, run, table, verdict
from forecast.backtest.scores import (
    BOOTSTRAP,
    LOG_EPS,
    TIE,
    Group,
    Influence,
    Score,
    Tuning,
    alpha_key,
    log_scores,
    most_influential,
    score_group,
    time_averages,
    tune_decay,
)

__all__ = [
    "ALPHAS",
    "BOOTSTRAP",
    "BY_PLATFORM",
    "CADENCE",
    "EPOCH",
    "LABELS",
    "LOG_EPS",
    "METHODS",
    "MIN_TRAIN",
    "PLATFORM",
    "REFIT_DAYS",
    "TIE",
    "UNKNOWN_PLATFORM",
    "Days",
    "Fit",
    "Group",
    "Influence",
    "Report",
    "Score",
    "Tracked",
    "Tuning",
    "alpha_key",
    "assess",
    "classify",
    "clusters",
    "decaying",
    "early_yes",
    "forecasts",
    "held_decayed",
    "iso_day",
    "load",
    "log_scores",
    "measure_classifier",
    "most_influential",
    "platform_levels",
    "refit_schedule",
    "replay",
    "run",
    "score_group",
    "scored_days",
    "table",
    "time_averages",
    "training_rows",
    "tune_decay",
    "update_days",
    "value_on",
    "verdict",
    "walk_forward",
]
