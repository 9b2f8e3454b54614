"""Parameter recovery of the layer-3 model over repeated simulated team histories (slow).

Each replicate draws new true reliabilities, exponents and alpha, simulates a resolved
history from them, fits the model (nutpie, compiled once, new data swapped in) and checks
whether each 90% posterior interval covers the truth. Over all replicates the share should
be near 90%. Each replicate also scores new questions from the same truth: the learned
posterior means should beat the unlearned defaults (stated reliabilities, k = 1).
"""

from __future__ import annotations

import numpy as np
import pytest

from forecast.learning.data import relabel, training_data
from forecast.learning.simulate import Team, draw_truth, simulate
from forecast.scoring import log_score

TEAM = Team(questions=250, assessments=4000, sources=12, analysts=6)
REPLICATES = 12
LEVEL = 0.9


def _covered(
    post: object, name: str, labels: tuple[str, ...], truth: dict[str, float]
) -> list[bool]:
    values = np.asarray(post[name].values)
    values = values.reshape(values.shape[0] * values.shape[1], -1)  # (draws, parameters)
    lo, hi = np.quantile(values, [(1 - LEVEL) / 2, (1 + LEVEL) / 2], axis=0)
    return [bool(lo[i] <= truth[x] <= hi[i]) for i, x in enumerate(labels)]


def _defaults(data: object) -> np.ndarray:
    """P(yes) with stated reliabilities and k = 1: the model at its default point, in numpy."""
    u = np.exp(
        np.bincount(
            data.member_cluster,
            np.log1p(-data.stated[data.member_source]),
            minlength=len(data.cluster_question),
        )
    )[data.row_cluster]
    x = data.row_log_lr  # layer 1 (v2): -sign(x) log(U + (1 - U) exp(-|x|)), U = 1 - r
    terms = -data.row_weight * np.sign(x) * np.log(u + (1 - u) * np.exp(-np.abs(x)))
    log_odds = data.prior_logit + np.bincount(
        data.row_question, terms, minlength=len(data.questions)
    )
    return 1 / (1 + np.exp(-log_odds))


@pytest.mark.slow
def test_intervals_cover_the_truth_and_learning_beats_the_defaults(report_figure) -> None:
    from forecast.learning.model import SamplerSettings, build_model, fit, predict, set_data

    rng = np.random.default_rng(20261125)
    covered: dict[str, list[bool]] = {"reliability": [], "exponent": [], "alpha": []}
    gains = []
    model = None
    for r in range(REPLICATES):
        truth = draw_truth(TEAM, rng)
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
        test = relabel(training_data(simulate(TEAM, truth, rng, prefix="t")), like=data)
        learned = predict(model, idata, test).mean(axis=0)
        gains.append(
            float(
                np.mean(
                    log_score(test.outcomes, _defaults(test)) - log_score(test.outcomes, learned)
                )
            )
        )
    every = [c for cs in covered.values() for c in cs]
    share = float(np.mean(every))
    report_figure(
        f"layer 3 recovery: 90% intervals cover the truth in {share:.1%} of "
        f"{len(every)} cases over {REPLICATES} simulations ("
        + ", ".join(f"{k} {np.mean(v):.0%}" for k, v in covered.items())
        + ")"
    )
    report_figure(
        f"layer 3 held-out log score gain over the defaults: mean {np.mean(gains):.4f}"
        f" nats/question, positive in {np.mean(np.array(gains) > 0):.0%} of simulations"
    )
    assert 0.82 <= share <= 0.97
    assert np.mean(gains) > 0 and np.mean(np.array(gains) > 0) >= 0.75
