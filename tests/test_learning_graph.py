"""The layer-3 model's graph is written for speed; its log-density must not move.

``_reference_model`` is the model as it was first written (MODEL_VERSION "3", before the
graph was reworked for speed), kept here verbatim: at random parameter points the model's
log-density, its gradient, each state's log-odds and the pointwise log-likelihoods must
equal the reference's to 1e-9.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pytest

from forecast import decay
from forecast.learning.data import TrainingData, training_data
from forecast.learning.simulate import Team, draw_truth, simulate

SMALL = Team(questions=60, assessments=700, sources=6, analysts=3, echo_share=0.3)
TOLERANCE = 1e-9


def _reference_model(data: TrainingData, priors: Mapping[str, float] | None = None) -> Any:
    import pymc as pm
    import pytensor.tensor as pt

    from forecast.learning.model import merged_priors

    def containers(data: TrainingData) -> dict[str, np.ndarray]:
        logit_stated = np.log(data.stated) - np.log1p(-data.stated)
        return {
            "sources": np.stack([logit_stated, data.source_type]).astype(float),
            "states": np.stack(
                [
                    data.state_segment,
                    data.state_weight,
                    data.state_prior_logit,
                    data.state_event,
                    data.state_horizon,
                    data.state_elapsed,
                    data.outcomes[data.state_question],
                ]
            ).astype(float),
            "members": np.stack([data.member_source, data.member_cluster]).astype(np.int64),
            "rows": np.stack(
                [
                    data.row_cluster,
                    data.row_analyst,
                    data.row_log_lr,
                    data.row_weight,
                    data.cluster_start[data.row_cluster],
                    data.cluster_end[data.row_cluster],
                ]
            ).astype(float),
            "events": np.stack(
                [data.event_prior_logit, data.event_day, data.event_horizon, data.event_kind]
            ).astype(float),
        }

    def source_logits(sources: Any, p: Mapping[str, float]) -> Any:
        shift = pm.Normal("type_shift", 0.0, p["type_shift_sd"], dims="type")
        spread = pm.HalfNormal("source_spread", p["source_spread"])
        z = pm.Normal("source_z", 0.0, 1.0, dims="source")
        return sources[0] + shift[pt.cast(sources[1], "int64")] + spread * z

    def exponents(p: Mapping[str, float]) -> Any:
        spread = pm.HalfNormal("exponent_spread", p["exponent_spread"])
        u = pm.Normal("analyst_z", 0.0, 1.0, dims="analyst")
        return pm.Deterministic("exponent", pt.exp(spread * u), dims="analyst")

    def log_odds_of(d: Mapping[str, Any], eta: Any, exponent: Any, alpha: Any) -> Any:
        members, rows, states = d["members"], d["rows"], d["states"]
        cluster_of, analyst_of, start, end = (pt.cast(rows[i], "int64") for i in (0, 1, 4, 5))
        log_unreliable = pt.zeros(members.shape[1])[members[1]].inc(-pt.softplus(eta)[members[0]])
        unreliable = pt.exp(log_unreliable)[cluster_of]
        shrink = pt.exp(-exponent[analyst_of] * pt.abs(rows[2]))
        terms = -rows[3] * pt.sign(rows[2]) * pt.log(unreliable + (1.0 - unreliable) * shrink)
        segment = pt.cast(states[0], "int64")
        segments = pt.max(segment) + 1
        steps = pt.zeros(segments + 1)[start].inc(terms)[end].inc(-terms)
        evidence = pt.cumsum(steps)[:segments]
        return base(states, alpha) + evidence[segment]

    def base(states: Any, alpha: Any) -> Any:
        log_q = decay.log_none_by_deadline(states[2], states[4], states[5], alpha, pt)
        decayed = pt.log1mexp(log_q) - log_q
        return pt.switch(pt.eq(states[3], 1.0), decayed, states[2])

    def bernoulli_logp(value: Any, log_odds: Any, weight: Any) -> Any:
        return weight * (value * log_odds - pt.softplus(log_odds))

    def event_day_logp(value: Any, alpha: Any, prior_logit: Any, horizon: Any, kind: Any) -> Any:
        log_b = decay.log_scale(prior_logit, horizon, alpha, pt)
        b = pt.exp(log_b)
        log_s = decay.log_survival(value, b, alpha, pt)
        log_mass = log_s + pt.log1mexp(decay.log_survival(value + 1.0, b, alpha, pt) - log_s)
        log_s_h = -pt.softplus(prior_logit)
        return pt.switch(
            pt.eq(kind, 0.0),
            log_mass + pt.softplus(-prior_logit),
            pt.switch(pt.eq(kind, 1.0), log_mass - log_s_h, log_s - log_s_h),
        )

    p = merged_priors(priors)
    coords = {
        "source": list(data.sources),
        "analyst": list(data.analysts),
        "type": list(data.source_types),
    }
    with pm.Model(coords=coords) as model:
        d = {name: pm.Data(name, value) for name, value in containers(data).items()}
        eta = source_logits(d["sources"], p)
        pm.Deterministic("reliability", pm.math.sigmoid(eta), dims="source")
        exponent = exponents(p)
        log_alpha = pm.Normal("log_alpha", p["log_alpha_mu"], p["log_alpha_sd"])
        alpha = pm.Deterministic("alpha", pt.exp(log_alpha))
        states = d["states"]
        log_odds = pm.Deterministic("log_odds", log_odds_of(d, eta, exponent, alpha))
        pm.CustomDist(
            "outcome",
            log_odds,
            states[1],
            logp=bernoulli_logp,
            observed=states[6],
            shape=states.shape[1],
        )
        events = d["events"]
        pm.CustomDist(
            "event_day",
            alpha,
            events[0],
            events[2],
            events[3],
            logp=event_day_logp,
            observed=events[1],
            shape=events.shape[1],
        )
    return model


@pytest.fixture(scope="module")
def datasets() -> list[TrainingData]:
    from test_learning import hand_history

    rng = np.random.default_rng(11)
    simulated = training_data(simulate(SMALL, draw_truth(SMALL, rng, type_shift_sd=1.0), rng))
    assert simulated.state_event.any() and not simulated.state_event.all()
    assert len(simulated.event_day) > 0
    return [training_data(hand_history()), simulated]


def _points(model: Any, n: int, seed: int) -> list[dict[str, np.ndarray]]:
    rng = np.random.default_rng(seed)
    start = model.initial_point()
    return [{k: rng.normal(0.0, 1.0, np.shape(v)) for k, v in start.items()} for _ in range(n)]


def test_log_density_and_gradient_equal_the_reference(datasets: list[TrainingData]) -> None:
    from forecast.learning.model import build_model

    for data in datasets:
        new, old = build_model(data), _reference_model(data)
        assert [v.name for v in new.value_vars] == [v.name for v in old.value_vars]
        logp_new, logp_old = new.compile_logp(), old.compile_logp()
        dlogp_new, dlogp_old = new.compile_dlogp(), old.compile_dlogp()
        for point in _points(new, 8, seed=len(data.state_weight)):
            assert logp_new(point) == pytest.approx(logp_old(point), rel=0, abs=TOLERANCE)
            np.testing.assert_allclose(dlogp_new(point), dlogp_old(point), rtol=0, atol=TOLERANCE)


def test_log_odds_and_pointwise_terms_equal_the_reference(datasets: list[TrainingData]) -> None:
    from forecast.learning.model import build_model, point_log_likelihood

    for data in datasets:
        new, old = build_model(data), _reference_model(data)
        odds_new, odds_old = (
            m.compile_fn(m.replace_rvs_by_values([m["log_odds"]])[0], inputs=m.value_vars)
            for m in (new, old)
        )
        for point in _points(new, 4, seed=3):
            np.testing.assert_allclose(odds_new(point), odds_old(point), rtol=0, atol=TOLERANCE)
            terms_new, terms_old = (
                point_log_likelihood(new, point),
                point_log_likelihood(old, point),
            )
            assert terms_new.keys() == terms_old.keys() == {"outcome", "event_day"}
            for name in terms_new:
                np.testing.assert_allclose(terms_new[name], terms_old[name], rtol=0, atol=TOLERANCE)
