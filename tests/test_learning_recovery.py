"""Parameter recovery of the layer-3 model over repeated simulated team histories (slow).

Each replicate draws new true reliabilities, exponents and alpha, simulates a resolved
history from them, fits the model (nutpie, compiled once, new data swapped in) and checks
whether each 90% posterior interval covers the truth. Over all replicates the share should
be near 90%. Each replicate also scores new questions from the same truth, day by day as
the track record does: the learned posterior means should beat the unlearned defaults
(stated reliabilities, k = 1, alpha = 1).
"""

from __future__ import annotations

import numpy as np
import pytest

from forecast.learning.data import relabel, training_data
from forecast.learning.simulate import Team, draw_truth, simulate

TEAM = Team(questions=250, assessments=4000, sources=12, analysts=6)
HELD_OUT = Team(questions=750, assessments=12_000, sources=12, analysts=6)
REPLICATES = 12
LEVEL = 0.9


def _covered(
    post: object, name: str, labels: tuple[str, ...], truth: dict[str, float]
) -> list[bool]:
    values = np.asarray(post[name].values)
    values = values.reshape(values.shape[0] * values.shape[1], -1)  # (draws, parameters)
    lo, hi = np.quantile(values, [(1 - LEVEL) / 2, (1 + LEVEL) / 2], axis=0)
    return [bool(lo[i] <= truth[x] <= hi[i]) for i, x in enumerate(labels)]


def _daily_log_scores(model: object, idata: object, test: object, seen: object, truth) -> tuple:
    """Learned and true minus stated daily log score on ``test``, nats per question, as the
    out-of-time check scores them (``forecast.learning.holdout``): each question's states'
    weighted log probability of the outcome (the track record's average over its days).
    Learned: what forecasts take from the fit (posterior means of what it saw, ``seen``);
    true: the parameters that generated the data; stated: stated reliabilities, k = 1,
    alpha = 1 (the model at its default point)."""
    from forecast.learning import holdout
    from forecast.learning.model import default_point, engine_point

    learned = holdout.gains(model, idata, test, seen)
    at_truth = engine_point(
        model,
        test,
        np.array([truth.reliability[s] for s in test.sources]),
        np.array([truth.exponents[a] for a in test.analysts]),
        truth.alpha,
    )
    true, stated = holdout.question_scores(model, test, [at_truth, default_point(model)])
    return float(learned.mean()), float((true - stated).mean())


@pytest.mark.slow
def test_intervals_cover_the_truth_and_learning_beats_the_defaults(report_figure) -> None:
    from forecast.learning.model import SamplerSettings, build_model, fit, set_data

    rng = np.random.default_rng(20261125)
    covered: dict[str, list[bool]] = {"reliability": [], "exponent": [], "alpha": []}
    gains = []
    model = None
    for r in range(REPLICATES):
        truth = draw_truth(TEAM, rng, type_shift_sd=1.0)
        data = training_data(simulate(TEAM, truth, rng))
        if model is None:
            model = build_model(data)
        else:
            set_data(model, data)
        idata = fit(model, SamplerSettings(draws=500, tune=300, seed=r))
        post = idata["posterior"]
        covered["reliability"] += _covered(post, "reliability", data.sources, truth.reliability)
        covered["exponent"] += _covered(post, "exponent", data.analysts, truth.exponents)
        covered["alpha"] += _covered(post, "alpha", ("alpha",), {"alpha": truth.alpha})
        test = relabel(training_data(simulate(HELD_OUT, truth, rng, prefix="t")), like=data)
        gains.append(_daily_log_scores(model, idata, test, data, truth))
    every = [c for cs in covered.values() for c in cs]
    share = float(np.mean(every))
    report_figure(
        f"layer 3 recovery: 90% intervals cover the truth in {share:.1%} of "
        f"{len(every)} cases over {REPLICATES} simulations ("
        + ", ".join(f"{k} {np.mean(v):.0%}" for k, v in covered.items())
        + ")"
    )
    learned, true = np.array(gains).T
    report_figure(
        f"layer 3 held-out daily log score gain over the defaults: learned {learned.mean():.4f}"
        f" nats/question (positive in {np.mean(learned > 0):.0%} of simulations), the true"
        f" parameters {true.mean():.4f}"
    )
    assert 0.82 <= share <= 0.97
    assert learned.mean() > 0 and np.mean(learned > 0) >= 0.75
