"""The value of learning, shown on a time split of one team's own record (slow).

One simulated team answers questions over a year. Layer 3 is fitted on what the team knew at
a split date (the questions resolved by then, each day's state as known at its end), and the
questions resolved after the split are scored day by day as the track record scores them:
the daily log score of each question's reconstructed forecasts, averaged over its scored
days, with the learned posterior means and with the stated values (stated reliabilities,
k = 1, alpha = 1). Nothing the fit sees was recorded after the split.

The product uses a fit only where its leave-one-out score on its own training data beats
the stated values (``fits.beats_stated``); otherwise forecasts keep the stated values. That
policy must not lose on the later questions, over the replicates, and must gain where
learning gains.
"""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pytest
from test_learning_recovery import _daily_log_scores

from forecast.domain import History
from forecast.learning.data import relabel, training_data
from forecast.learning.simulate import Team, draw_truth, simulate

TEAM = Team(questions=400, assessments=6000, sources=12, analysts=6)
REPLICATES = 4
SPLIT = 0.6  # the share of the questions resolved by the split date


def later(history: History, split: datetime) -> History:
    """The records of the questions whose resolution was logged after ``split``."""
    ids = {r.question_id for r in history.resolutions if r.logged_at and r.logged_at > split}
    assessments = tuple(a for a in history.assessments if a.question_id in ids)
    reports = {a.report_id for a in assessments}
    return History(
        questions=tuple(q for q in history.questions if q.id in ids),
        sources=history.sources,
        reports=tuple(r for r in history.reports if r.id in reports),
        assessments=assessments,
        resolutions=tuple(r for r in history.resolutions if r.question_id in ids),
    )


@pytest.mark.slow
@pytest.mark.xfail(
    reason="measured 2026-12-05: the leave-one-out rule offered 3 fits of 4, refusing the one "
    "that gained most (+0.0112) and offering one that lost (-0.0081); the policy lost 0.0014 "
    "nats/question. Offering must rest on an out-of-time check (issue 12).",
    strict=False,
)
def test_learning_beats_the_stated_values_after_a_time_split(report_figure) -> None:
    from forecast.learning.diagnostics import loo_against_defaults
    from forecast.learning.fits import beats_stated
    from forecast.learning.model import SamplerSettings, build_model, fit, set_data

    rng = np.random.default_rng(20261205)
    gains, sizes, offered = [], [], []
    model = None
    for r in range(REPLICATES):
        truth = draw_truth(TEAM, rng, type_shift_sd=1.0)
        history = simulate(TEAM, truth, rng)
        logged = sorted(res.logged_at for res in history.resolutions if res.logged_at)
        split = logged[int(SPLIT * len(logged))]
        data = training_data(history, as_of=split)
        test = relabel(training_data(later(history, split)), like=data)
        assert not set(data.questions) & set(test.questions)  # nothing is learned twice
        if model is None:
            model = build_model(data)
        else:
            set_data(model, data)
        idata = fit(model, SamplerSettings(draws=500, tune=300, seed=r))
        gains.append(_daily_log_scores(model, idata, test, data, truth))
        sizes.append((len(data.questions), len(test.questions)))
        offered.append(beats_stated(loo_against_defaults(model, idata, data).to_json()))
    learned, true = np.array(gains).T
    policy = np.where(offered, learned, 0.0)  # the stated values where the fit is not offered
    train, held = np.mean(sizes, axis=0)
    report_figure(
        f"layer 3 on a time split ({train:.0f} questions resolved before the split, "
        f"{held:.0f} after), nats/question over the stated values: learned "
        f"{learned.mean():+.4f} (per team: {', '.join(f'{x:+.4f}' for x in learned)}); "
        f"offered where it beats them ({sum(offered)} of {REPLICATES}) {policy.mean():+.4f}; "
        f"the true parameters {true.mean():+.4f}"
    )
    assert policy.mean() > 0
