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
  default alpha (1) and the scheduled close as deadline;
- (c) ``learned``: the last update recalibrated and, for event questions, decayed with
  the alpha learned by ``forecast.learning.recalibration``: refitted every ``refit_days``
  days on the questions resolved before the refit, a day is scored with the last fit
  made before it (walk-forward: the fit never sees the outcome it is scored on);
- (d) ``fresh``: the series' own value that day (the ceiling: no updating lag).

Event or state is read from the question's title by ``classify`` (a documented rule,
measured against hand labels in the tests); questions without text are unclassified and
treated as state questions (no decay). Scores are Brier and log scores (``forecast.
scoring``), time-averaged per question (the Good Judgment convention) and averaged over
questions, with 95% bootstrap intervals from resampling questions.

The modules, in the order the run uses them:

- ``data``: reading the two files into ``Tracked`` questions; ``classify`` and its checks;
- ``methods``: the team's update calendar, the scored days, methods (a)-(d) and the
  walk-forward fits of (c);
- ``scores``: per-question time averages and bootstrap intervals;
- ``report``: ``run`` (the whole backtest), the ``Report`` and its printed ``table``.

Every name below can be imported from ``forecast.backtest`` directly.
"""

from forecast.backtest.data import (
    Tracked,
    classify,
    clusters,
    early_yes,
    iso_day,
    load,
    measure_classifier,
)
from forecast.backtest.methods import (
    CADENCE,
    EPOCH,
    METHODS,
    MIN_TRAIN,
    REFIT_DAYS,
    Days,
    Fit,
    decaying,
    forecasts,
    refit_schedule,
    replay,
    scored_days,
    training_rows,
    update_days,
    value_on,
    walk_forward,
)
from forecast.backtest.report import LABELS, Report, run, table, verdict
from forecast.backtest.scores import BOOTSTRAP, LOG_EPS, Group, Score, log_scores, score_group

__all__ = [
    "BOOTSTRAP",
    "CADENCE",
    "EPOCH",
    "LABELS",
    "LOG_EPS",
    "METHODS",
    "MIN_TRAIN",
    "REFIT_DAYS",
    "Days",
    "Fit",
    "Group",
    "Report",
    "Score",
    "Tracked",
    "classify",
    "clusters",
    "decaying",
    "early_yes",
    "forecasts",
    "iso_day",
    "load",
    "log_scores",
    "measure_classifier",
    "refit_schedule",
    "replay",
    "run",
    "score_group",
    "scored_days",
    "table",
    "training_rows",
    "update_days",
    "value_on",
    "verdict",
    "walk_forward",
]
