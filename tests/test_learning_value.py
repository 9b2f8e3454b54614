"""The value of learning, shown on a time split of one team's own record (slow).

One simulated team answers questions over a year. Layer 3 is fitted on what the team knew at
a split date (the questions resolved by then, each day's state as known at its end), and the
questions resolved after the split are scored day by day as the track record scores them:
the daily log score of each question's reconstructed forecasts, averaged over its scored
days, with the learned posterior means, with the stated values (stated reliabilities, k = 1,
alpha = 1), and with the parameters that generated the team. Nothing the fit sees was
recorded after the split.

The product uses a fit only where its leave-one-out score on its own training data beats the
stated values (``fits.beats_stated``). That rule should never offer a fit that then loses on
the later questions; today it does (see the expected failure below).
"""

from __future__ import annotations

from dataclasses import dataclass
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

pytestmark = pytest.mark.slow


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


@dataclass(frozen=True)
class Split:
    learned: np.ndarray  # per team: nats/question over the stated values, after the split
    true: np.ndarray
    offered: np.ndarray  # per team: whether the leave-one-out rule offers the fit
    sizes: tuple[float, float]  # questions resolved before and after the split (mean)


@pytest.fixture(scope="module")
def split() -> Split:
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
        cut = logged[int(SPLIT * len(logged))]
        data = training_data(history, as_of=cut)
        test = relabel(training_data(later(history, cut)), like=data)
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
    train, held = np.mean(sizes, axis=0)
    return Split(learned, true, np.array(offered), (float(train), float(held)))


def test_the_split_scores_the_truth_above_the_stated_values(split: Split, report_figure) -> None:
    """The measurement itself: the parameters that made the team beat the stated values on
    every team's later questions (so the split, the relabelling and the scoring hold)."""
    train, held = split.sizes
    report_figure(
        f"layer 3 on a time split ({train:.0f} questions resolved before the split, "
        f"{held:.0f} after), nats/question over the stated values: learned "
        f"{split.learned.mean():+.4f} (per team: "
        f"{', '.join(f'{x:+.4f}' for x in split.learned)}; offered: "
        f"{', '.join('yes' if o else 'no' for o in split.offered)}); the true parameters "
        f"{split.true.mean():+.4f}"
    )
    assert np.all(split.true > 0)


@pytest.mark.xfail(
    reason="measured 2026-12-05, three times: the leave-one-out rule offered the fit of a team "
    "whose later questions it then scored worse (-0.0076 to -0.0081 nats/question) each time, "
    "and once refused the best one (+0.0112). Offering needs an out-of-time check (issue 12).",
    strict=False,
)
def test_an_offered_fit_does_not_lose_after_the_split(split: Split) -> None:
    assert np.all(split.learned[split.offered] >= 0)
