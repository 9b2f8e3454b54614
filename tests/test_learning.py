"""Layer 3 (learning from the track record): data, model, fit, saved fits, bands, CLI.

Fast tests: small seeded simulations, tiny draws, and one fitted model per session.
Parameter recovery over repeated simulations is in ``test_learning_recovery.py`` (slow).
"""

from __future__ import annotations

import json
import math
import re
import shutil
import subprocess
import sys
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest

from forecast import decay, evidence, trajectory
from forecast.clock import end_of_day, parse_time
from forecast.decay import probability_within, rate_for_probability
from forecast.domain import (
    Assessment,
    ForecastError,
    History,
    Kind,
    Question,
    Report,
    Resolution,
    Source,
)
from forecast.learning import MODEL_VERSION, bands, fits
from forecast.learning.data import (
    AFTER_DEADLINE,
    BY_DEADLINE,
    CENSORED,
    EVENT_STEP,
    Evidence,
    data_hash,
    evidence_of,
    relabel,
    training_data,
)
from forecast.learning.draws import Draws
from forecast.learning.simulate import Team, draw_truth, event_time, simulate
from forecast.updating import Item

ROOT = Path(__file__).resolve().parent.parent
OPENED = parse_time("2025-01-01")
SMALL = Team(
    questions=160, assessments=1800, sources=6, analysts=3, echo_share=0.2, second_opinion_share=0.2
)
TINY = {"sampler": "pymc", "draws": 150, "tune": 150, "seed": 7}  # PyMC's sampler compiles
# from the disk cache in a second; nutpie's compile (about 15 s) is left to the slow test.


def day(n: float) -> object:
    return OPENED + timedelta(days=n)


def hand_history() -> History:
    """Two resolved questions with an echo cluster and two analysts on one report, one
    retracted assessment, one annulled and one open question."""
    sources = (
        Source("Reuters", 0.9, "agency"),
        Source("RIA", 0.4, "state media"),
        Source("CNN", 0.7, "agency"),
    )
    b = Question("b", "state", Kind.BINARY, OPENED, prior=0.3)
    e = Question("e", "event", Kind.EVENT, OPENED, prior=0.4, deadlines=(day(100), day(150)))
    annulled = Question("x", "annulled", Kind.BINARY, OPENED, prior=0.5)
    still_open = Question("o", "open", Kind.BINARY, OPENED, prior=0.5)
    reports = (
        Report("r1", day(3), "Reuters", origin="leak", logged_at=day(3)),
        Report("r2", day(4), "RIA", origin="leak", logged_at=day(4)),  # echo of r1
        Report("r3", day(10), "CNN", logged_at=day(10)),
        Report("r4", day(20), "RIA", logged_at=day(20)),
    )
    assessments = (
        Assessment("a1", "r1", "b", "ann", lr=4.0, logged_at=day(3)),
        Assessment("a2", "r2", "b", "ann", lr=2.0, logged_at=day(4)),
        Assessment("a3", "r1", "b", "bob", lr=8.0, logged_at=day(5)),
        Assessment("a4", "r3", "b", "bob", lr=0.5, logged_at=day(10)),
        Assessment("a5", "r4", "b", "ann", lr=3.0, logged_at=day(20)),
        Assessment(
            "a5",
            "r4",
            "b",
            "ann",
            lr=3.0,
            logged_at=day(21),
            version=2,
            retracted=True,
            reason="wrong question",
        ),
        Assessment("a6", "r3", "e", "ann", lr=2.5, logged_at=day(10)),
        Assessment("a7", "r4", "x", "ann", lr=2.5, logged_at=day(20)),
        Assessment("a8", "r4", "o", "ann", lr=2.5, logged_at=day(20)),
    )
    resolutions = (
        Resolution("b", "yes", day(60), logged_at=day(60)),
        Resolution("e", "yes", day(40), logged_at=day(40)),
        Resolution("x", "annulled", day(60), logged_at=day(60)),
    )
    return History((b, e, annulled, still_open), sources, reports, assessments, resolutions)


@pytest.fixture(scope="session")
def team() -> tuple[History, object]:
    rng = np.random.default_rng(2024)
    truth = draw_truth(SMALL, rng, type_shift_sd=1.0)
    return simulate(SMALL, truth, rng), truth


@pytest.fixture(scope="session")
def fitted(team: tuple[History, object]) -> tuple[object, object, object]:
    from forecast.learning.model import SamplerSettings, build_model, fit

    data = training_data(team[0])
    model = build_model(data)
    return data, model, fit(model, SamplerSettings(**TINY))


# --------------------------------------------------------------------------- data


def test_training_arrays_follow_layer_one_grouping() -> None:
    data = training_data(hand_history())
    assert data.questions == ("b", "e")  # annulled and open questions are left out
    assert data.sources == ("CNN", "RIA", "Reuters") and data.analysts == ("ann", "bob")
    assert data.source_types == ("agency", "state media")
    assert data.outcomes.tolist() == [1, 1]
    assert data.n_assessments == 5  # the retracted one does not count
    # b is learned on days 0-59 (it resolved on day 60), each day on what was logged by
    # its end: the prior (days 0-2), r1 (3), r2 joins r1's leak (4), bob's second look at
    # r1 (5-9), r3 (10-19), r4 (20), r4's assessment retracted (21-59).
    b = data.segment_question == 0
    assert b.sum() == 7
    binary = data.state_event == 0
    assert (data.state_segment[binary] == np.flatnonzero(b)).all()
    assert data.state_weight[binary] * 60 == pytest.approx([3, 1, 1, 5, 10, 1, 39])
    # e (event, prior 0.4, deadlines days 100 and 150) resolved yes on day 40: its days
    # 0-39 in runs of at most a week within each segment (the prior alone on days 0-9, r3
    # from day 10), each at its middle day, silent days counted from its opening (its
    # anchor), weighing the days it stands for.
    event = data.state_event == 1
    assert data.state_elapsed[event].tolist() == [3, 8, 13, 20, 27, 34, 38]
    assert data.state_weight[event] * 40 == pytest.approx([7, 3, 7, 7, 7, 7, 2])
    assert data.state_horizon[event] == pytest.approx(101)  # days 0-100, both included
    # b's last segment (days 21-59): the leak cluster holds r1 (Reuters) and r2 (RIA); r3
    # is alone.
    last = int(np.flatnonzero(b)[-1])
    clusters = [c for c in range(data.n_clusters) if _alive(data, c, last)]
    members = [
        sorted(data.sources[s] for s in data.member_source[data.member_cluster == c])
        for c in clusters
    ]
    assert members == [["RIA", "Reuters"], ["CNN"]]
    rows = {
        (clusters.index(c), data.analysts[a]): (lr, w)
        for c, a, lr, w in zip(
            data.row_cluster, data.row_analyst, data.row_log_lr, data.row_weight, strict=True
        )
        if c in clusters
    }
    # v2: ann's LR for the leak is the one she gave its most reliable member, r1 (Reuters,
    # 0.9) over r2 (RIA, 0.4): log 4, not v1's mean of log 4 and log 2.
    expected = {(0, "ann"): (4, 0.5), (0, "bob"): (8, 0.5), (1, "bob"): (0.5, 1.0)}
    assert rows.keys() == expected.keys()
    for key, (lr, w) in expected.items():
        assert rows[key] == pytest.approx((math.log(lr), w))
    # On day 4 the leak had two sources but one reading (ann's, of r1): weight 1.
    day4 = int(np.flatnonzero(b)[2])
    [leak] = [c for c in range(data.n_clusters) if _alive(data, c, day4)]
    assert data.row_weight[data.row_cluster == leak].tolist() == [1.0]
    # A cluster is written once for each run of segments it stood over unchanged: the
    # leak (r1; r1 and r2; then bob's second look), r3, r4 (until its assessment was
    # retracted), and r3 on e: six, where one per segment would be eleven.
    assert data.n_clusters == 6
    runs = sorted(zip(data.cluster_start.tolist(), data.cluster_end.tolist(), strict=True))
    assert runs == [(1, 2), (2, 3), (3, 7), (4, 7), (5, 6), (8, 9)]
    # e resolved yes on day 40, before its primary deadline (day 100).
    assert data.event_question.tolist() == [1]
    assert data.event_day.tolist() == [40.0] and data.event_horizon.tolist() == [101.0]
    assert data.event_kind.tolist() == [BY_DEADLINE]


def _alive(data: object, cluster: int, segment: int) -> bool:
    return bool(data.cluster_start[cluster] <= segment < data.cluster_end[cluster])


@pytest.mark.parametrize(
    ("outcome", "resolved", "learned", "terms"),
    [
        ("yes", 40, 1, [(40.0, BY_DEADLINE)]),  # by the primary deadline (day 100)
        ("yes", 100, 1, [(100.0, BY_DEADLINE)]),  # on the deadline's day: "by D" includes D
        ("yes", 120, 0, [(120.0, AFTER_DEADLINE)]),  # after it, by the second (day 150)
        ("yes", 170, 0, [(151.0, CENSORED)]),  # after every deadline: not by the last
        ("no", 151, 0, [(151.0, CENSORED)]),  # not by day 150, given not by day 100
    ],
)
def test_an_event_is_learned_on_its_primary_deadline_as_it_is_scored(
    outcome: str, resolved: int, learned: int, terms: list[tuple[float, int]]
) -> None:
    """Issue 12: an event that happened after the primary deadline was trained as YES
    (with its date clipped to the deadline) while the track record scored it NO. Its date
    now tells the model about the decay's shape beyond the deadline, as does a censored
    NO of a question with several deadlines."""
    from forecast import kinds
    from forecast.track_record import outcome_index

    h = hand_history()
    res = Resolution("e", outcome, day(resolved), logged_at=day(resolved))
    h = replace(h, resolutions=(*[r for r in h.resolutions if r.question_id != "e"], res))
    data = training_data(h)
    e = data.questions.index("e")
    assert data.outcomes[e] == learned
    question = next(q for q in h.questions if q.id == "e")
    assert learned == kinds.outcome(question, res) == outcome_index(question, res)
    got = list(zip(data.event_day.tolist(), data.event_kind.tolist(), strict=True))
    assert got == terms
    assert data.event_question.tolist() == [e] * len(terms)
    # Learned on the days the track record scores: to the day before the event, or to
    # the primary deadline's day (days 0-100) when it did not happen by then.
    scored = min(resolved, 101)
    mine = data.state_question == e
    assert data.state_weight[mine].sum() == pytest.approx(1.0)
    assert scored - EVENT_STEP <= data.state_elapsed[mine].max() < scored


def test_a_single_deadline_no_says_nothing_of_the_shape() -> None:
    h = hand_history()
    one = replace(h.questions[1], deadlines=h.questions[1].deadlines[:1])
    res = Resolution("e", "no", day(101), logged_at=day(101))
    h = replace(
        h,
        questions=(h.questions[0], one, *h.questions[2:]),
        resolutions=(*[r for r in h.resolutions if r.question_id != "e"], res),
    )
    assert training_data(h).event_day.tolist() == []


@pytest.mark.parametrize(
    ("rerated", "reuters", "cnn"),
    [
        (30, 0.2, 0.2),  # before any outcome bore on either source: the new values
        (50, 0.2, 0.7),  # CNN's reports informed e, resolved on day 40: its old value
        (70, 0.9, 0.7),  # after b (day 60) too: both keep what they had
    ],
)
def test_a_rerating_after_an_outcome_does_not_move_the_prior_centre(
    rerated: int, reuters: float, cnn: float
) -> None:
    """Issue 12: reliabilities were centred on the values standing now, so a re-rating
    made knowing an outcome fed back into the fit that learns from that outcome."""
    h = hand_history()
    later = tuple(
        Source(name, 0.2, kind, version=2, logged_at=day(rerated), reason="re-rated")
        for name, kind in (("Reuters", "agency"), ("CNN", "agency"))
    )
    data = training_data(replace(h, sources=(*h.sources, *later)))
    centre = dict(zip(data.sources, data.stated.tolist(), strict=True))
    assert (centre["Reuters"], centre["CNN"]) == pytest.approx((reuters, cnn))
    assert centre["RIA"] == pytest.approx(0.4)


def _hindsight(logged: int) -> History:
    """The hand history plus, all logged on day ``logged``: a new analyst's strong judgement,
    a correction of ann's first LR, a retraction of r3 and a new report judged by bob, all
    bearing on b (resolved yes on day 60, logged on day 60)."""
    h = hand_history()
    when = day(logged)
    reports = (
        Report("r3", day(10), "CNN", logged_at=when, version=2, retracted=True, reason="gone"),
        Report("r5", day(50), "Reuters", logged_at=when),
    )
    assessments = (
        Assessment("late", "r1", "b", "cy", lr=100.0, logged_at=when),
        Assessment("a1", "r1", "b", "ann", lr=1000.0, logged_at=when, version=2, reason="x"),
        Assessment("a9", "r5", "b", "bob", lr=50.0, logged_at=when),
    )
    return replace(h, reports=(*h.reports, *reports), assessments=(*h.assessments, *assessments))


def test_nothing_recorded_after_a_resolution_is_learned_from() -> None:
    plain = training_data(hand_history())
    late = training_data(_hindsight(61))
    assert data_hash(late) == data_hash(plain)
    assert late.analysts == ("ann", "bob") and late.n_assessments == 5
    # The very same records logged the day before the resolution are learned from.
    early = training_data(_hindsight(59))
    assert early.analysts == ("ann", "bob", "cy")
    assert early.n_assessments == 5 + 2 - 1  # cy and bob's r5 in; bob's r3 out with r3
    assert data_hash(early) != data_hash(plain)


def test_a_later_resolution_correction_does_not_move_the_cutoff() -> None:
    h = _hindsight(61)
    corrected = Resolution("b", "yes", day(60), note="checked", logged_at=day(70), version=2)
    later = replace(h, resolutions=(*h.resolutions, corrected))
    assert data_hash(training_data(later)) == data_hash(training_data(hand_history()))


def test_data_hash_is_stable_and_sees_changes() -> None:
    h = hand_history()
    assert data_hash(training_data(h)) == data_hash(training_data(h))
    more = replace(h, resolutions=(*h.resolutions, Resolution("o", "no", day(70))))
    assert data_hash(training_data(more)) != data_hash(training_data(h))


def test_relabel_maps_indices_and_refuses_strangers(team: tuple[History, object]) -> None:
    full = training_data(team[0])
    part = training_data(replace(team[0], questions=team[0].questions[:5]))
    moved = relabel(part, like=full)
    assert moved.sources == full.sources
    names = [moved.sources[i] for i in moved.member_source]
    assert names == [part.sources[i] for i in part.member_source]
    with pytest.raises(ForecastError, match="not in the fit"):
        relabel(full, like=training_data(hand_history()))


# --------------------------------------------------------------------------- model


POINT = {
    "type_shift": np.array([0.4, -0.7]),
    "source_spread": 0.8,
    "source_z": np.array([0.5, -1.0, 1.2]),
    "exponent_spread": 0.5,
    "analyst_z": np.array([1.0, -0.6]),
    "log_alpha": 0.3,
}


def test_model_log_odds_are_each_days_trajectory() -> None:
    """At any parameter point, each state's log-odds are layers 1 and 2's (the numpy core)
    on its days, with the point's reliabilities, exponents and alpha: binary questions on
    every day of a segment, the event question on each state's (middle) day as it decays
    in silence."""
    import pymc as pm

    from forecast.learning.data import (
        EVENT_STEP,
        middle,
        resolved_at,
        resolved_questions,
        segments,
    )
    from forecast.learning.model import build_model

    h = hand_history()
    data = training_data(h)
    values = pm.compute_deterministics(
        _as_dataset(POINT),
        var_names=["log_odds", "reliability", "exponent", "alpha"],
        model=build_model(data),
        sample_dims=(),
        progressbar=False,
    )
    r = dict(zip(data.sources, values["reliability"].values, strict=True))
    k = dict(zip(data.analysts, values["exponent"].values, strict=True))
    alpha = float(values["alpha"])
    log_odds = values["log_odds"].values
    n = 0
    checked = {"binary": 0, "event": 0}
    for q, _, res in resolved_questions(h):
        own = replace(q, alpha=alpha) if q.kind is Kind.EVENT else q
        cutoff = resolved_at(h, q.id, None)
        for part in segments(q, res, evidence.by_question(h)[q.id], cutoff):
            weekly = range(0, len(part.days), EVENT_STEP)
            middles = [middle(part.days[i : i + EVENT_STEP]) for i in weekly]
            states = middles if q.kind is Kind.EVENT else part.days[:1]
            for i, d in enumerate(states):
                for when in part.days if q.kind is Kind.BINARY else [d]:
                    t = min(end_of_day(day(when)), cutoff)
                    items = evidence.items_for(own, h, as_of=t, reliability=r, exponents=k)
                    p = trajectory.compute(own, items, t).final
                    expected = math.log(p / (1 - p))
                    assert float(log_odds[n + i]) == pytest.approx(expected, abs=1e-9), when
                    checked[q.kind.value] += 1
            n += len(states)
    assert n == len(log_odds)
    assert checked == {"binary": 60, "event": 7}


def _as_dataset(point: dict) -> object:
    import xarray as xr

    return xr.Dataset(
        {
            k: xr.DataArray(np.asarray(v), dims=[f"{k}_dim_{i}" for i in range(np.ndim(v))])
            for k, v in point.items()
        }
    )


def test_default_point_is_the_unlearned_defaults() -> None:
    import pymc as pm

    from forecast.learning.model import build_model, default_point

    data = training_data(hand_history())
    model = build_model(data)
    raw = default_point(model)
    point = {v.name: raw[v.name] for v in model.value_vars}
    out = pm.compute_deterministics(
        _untransformed(model, point),
        var_names=["reliability", "exponent", "alpha"],
        model=model,
        sample_dims=(),
        progressbar=False,
    )
    assert out["reliability"].values == pytest.approx(data.stated)
    assert out["exponent"].values == pytest.approx(1.0)
    assert float(out["alpha"]) == pytest.approx(1.0)


def _untransformed(model: object, point: dict) -> object:
    """Value-space point -> the random variables' own values (spreads are log-transformed)."""
    out = {}
    for rv in model.free_RVs:
        value = model.rvs_to_values[rv]
        x = point[value.name]
        out[rv.name] = np.exp(x) if value.name.endswith("_log__") else x
    return _as_dataset(out)


@pytest.mark.parametrize(("prior", "alpha"), [(0.2, 1.0), (0.7, 0.3), (0.5, 4.0)])
def test_event_date_terms_are_layer_twos_day_cells(prior: float, alpha: float) -> None:
    """The event-date terms are layer 2's prior cells (``event_dates.Calendar``, numpy)
    given the primary outcome, each a proper distribution over its days; and the
    simulator's inverse CDF draws from the same law."""
    import pytensor.tensor as pt

    from forecast.event_dates import Calendar
    from forecast.learning.model import _event_day_logp

    deadlines = (day(79), day(119))
    q = Question("e", "event", Kind.EVENT, OPENED, prior=prior, deadlines=deadlines, alpha=alpha)
    cells = np.exp(Calendar(q).prior())  # days 0-119, then "later or never"
    x, kind = pt.dvector("x"), pt.dvector("kind")
    logit_p = math.log(prior / (1 - prior))
    c = [pt.constant(np.float64(v)) for v in (alpha, logit_p, 80.0)]
    f = _event_day_logp(x, *c, kind).eval

    def terms(days: np.ndarray, k: int) -> np.ndarray:
        return np.exp(f({x: days.astype(float), kind: np.full(len(days), float(k))}))

    by, after = np.arange(80), np.arange(80, 120)
    assert terms(by, BY_DEADLINE) == pytest.approx(cells[by] / prior, rel=1e-9)
    assert terms(after, AFTER_DEADLINE) == pytest.approx(cells[after] / (1 - prior), rel=1e-9)
    assert terms(by, BY_DEADLINE).sum() == pytest.approx(1.0, abs=1e-9)
    not_by_last = terms(np.array([120]), CENSORED)[0]
    assert not_by_last == pytest.approx(cells[-1] / (1 - prior), rel=1e-9)
    assert terms(after, AFTER_DEADLINE).sum() + not_by_last == pytest.approx(1.0, abs=1e-9)
    for u in prior * np.array([0.1, 0.37, 0.9]):  # F(t) = u: whole days before t hold less
        t = event_time(prior, 80.0, alpha, u)
        assert cells[: int(t)].sum() <= u <= cells[: int(t) + 1].sum()


def test_priors_are_data_and_unknown_settings_are_refused() -> None:
    from forecast.learning.model import DEFAULT_PRIORS, merged_priors

    assert merged_priors({"source_spread": 0.2})["source_spread"] == 0.2
    assert merged_priors()["type_shift_sd"] == DEFAULT_PRIORS["type_shift_sd"]
    with pytest.raises(ForecastError, match="unknown prior"):
        merged_priors({"source_sperad": 0.2})


# --------------------------------------------------------------------------- fit


def test_fit_has_derived_parameters_and_diagnostics(fitted: tuple) -> None:
    from forecast.learning.diagnostics import diagnose

    data, _, idata = fitted
    post = idata["posterior"]
    assert post["reliability"].shape[-1] == len(data.sources)
    assert post["exponent"].shape[-1] == len(data.analysts)
    d = diagnose(idata)
    assert d.chains == 4 and d.draws == TINY["draws"]
    assert math.isfinite(d.max_r_hat) and d.min_ess_bulk > 0


def test_a_short_run_fails_its_diagnostics_by_name(fitted: tuple) -> None:
    from forecast.learning.diagnostics import diagnose

    short = fitted[2].copy()
    short["posterior"] = short["posterior"].to_dataset().isel(draw=slice(0, 20))
    short["sample_stats"] = short["sample_stats"].to_dataset().isel(draw=slice(0, 20))
    d = diagnose(short)
    assert not d.passed
    assert any("bulk ESS" in p for p in d.problems)


def test_predict_kinds_and_new_data(fitted: tuple, team: tuple) -> None:
    from forecast.learning.model import predict

    data, model, idata = fitted
    p = predict(model, idata, kind="probability")
    lo = predict(model, idata, kind="log_odds")
    assert p.shape == (4 * TINY["draws"], len(data.state_weight))
    assert p == pytest.approx(1 / (1 + np.exp(-lo)))
    part = relabel(training_data(replace(team[0], questions=team[0].questions[:7])), like=data)
    assert predict(model, idata, part).shape[1] == len(part.state_weight)
    assert predict(model, idata).shape[1] == len(data.state_weight)  # its own data came back
    with pytest.raises(ForecastError, match="kind"):
        predict(model, idata, kind="odds")


def test_learned_parameters_beat_the_defaults_on_held_out_questions(
    fitted: tuple, team: tuple
) -> None:
    """Where sources really differ from what the team states, the fit's posterior means
    give a better daily log score (the track record's average over each question's days)
    on new questions than stated reliabilities with k = 1 and alpha = 1."""
    from forecast.learning.model import default_point, point_log_likelihood, predict, set_data

    data, model, idata = fitted
    held_out = replace(SMALL, questions=3 * SMALL.questions, assessments=3 * SMALL.assessments)
    test = simulate(held_out, team[1], np.random.default_rng(99), prefix="t")
    held = relabel(training_data(test), like=data)
    p = predict(model, idata, held).mean(axis=0)
    y = held.outcomes[held.state_question]
    learned = np.sum(held.state_weight * np.log(np.where(y == 1, p, 1 - p)))
    set_data(model, held)
    try:  # the outcome terms at the default point are the weighted daily log scores
        defaults = point_log_likelihood(model, default_point(model))["outcome"].sum()
    finally:
        set_data(model, data)
    assert (learned - defaults) / len(held.questions) > 0.005


def test_loo_compares_with_the_defaults(fitted: tuple) -> None:
    from forecast.learning.diagnostics import loo_against_defaults

    data, model, idata = fitted
    loo = loo_against_defaults(model, idata, data)
    assert loo.questions == len(data.questions)
    assert math.isfinite(loo.elpd_learned) and math.isfinite(loo.elpd_defaults)
    assert loo.difference == pytest.approx(loo.elpd_learned - loo.elpd_defaults)
    assert loo.se_difference > 0


# --------------------------------------------------------------------------- saved fits


@pytest.fixture(scope="session")
def saved(tmp_path_factory: pytest.TempPathFactory, team: tuple) -> Path:
    from forecast.learning.calibrate import calibrate
    from forecast.learning.model import SamplerSettings

    folder = tmp_path_factory.mktemp("fits")
    calibrate(team[0], settings=SamplerSettings(**TINY), directory=folder, plot=True)
    return folder


def test_saved_fit_round_trip(saved: Path, team: tuple) -> None:
    learned = fits.load_learned(saved, history=team[0], allow_failed=True)
    assert learned.model_version == MODEL_VERSION
    assert set(learned.reliability) == set(training_data(team[0]).sources)
    assert 0 < learned.alpha.low <= learned.alpha.mean <= learned.alpha.high
    draws = fits.load_draws(saved, history=team[0], allow_failed=True)
    assert draws.reliability.shape == (4 * TINY["draws"], len(learned.reliability))
    assert (saved / "track-record-calibration.png").stat().st_size > 1000
    means = learned.exponent_means()
    assert all(0.2 < k < 5 for k in means.values())


def test_the_saved_fit_carries_its_out_of_time_check(saved: Path) -> None:
    """160 questions: a fit on the 112 resolved by the cut, scored on the 48 after it; the
    saved verdict is the rule's, and decides whether forecasts may use the fit."""
    held = json.loads((saved / "track-record.json").read_text())["holdout"]
    assert (held["train_questions"], held["test_questions"]) == (112, 48)
    assert held["gain_low"] <= held["gain"] <= held["gain_high"]
    assert held["offered"] is (held["gain_low"] > 0)
    assert fits.load_learned(saved, allow_failed=True).beats_stated is held["offered"]


def test_stale_mismatched_failed_and_missing_fits_are_refused(
    saved: Path, team: tuple, tmp_path: Path
) -> None:
    with pytest.raises(fits.NoFit, match="forecast calibrate"):
        fits.load_learned(tmp_path)
    later = replace(team[0], resolutions=team[0].resolutions[:-1])
    with pytest.raises(fits.StaleFit, match="forecast calibrate"):
        fits.load_learned(saved, history=later, allow_failed=True)
    copy = tmp_path / "copy"
    copy.mkdir()
    summary = json.loads((saved / "track-record.json").read_text())
    (copy / "track-record.json").write_text(json.dumps({**summary, "model_version": "0"}))
    with pytest.raises(fits.FitMismatch, match="version '0'"):
        fits.load_learned(copy)
    failed = {
        **summary,
        "diagnostics": {
            **summary["diagnostics"],
            "passed": False,
            "problems": ["R-hat 1.100 >= 1.01"],
        },
    }
    (copy / "track-record.json").write_text(json.dumps(failed))
    with pytest.raises(fits.FailedFit, match=r"R-hat 1\.100"):
        fits.load_learned(copy)
    assert not fits.load_learned(copy, allow_failed=True).passed


def test_fits_folder_from_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("FORECAST_FITS", str(tmp_path / "elsewhere"))
    assert fits.fits_dir() == tmp_path / "elsewhere"
    assert fits.fits_dir(tmp_path / "given") == tmp_path / "given"


def test_unseen_sources_get_their_types_learned_bias(saved: Path) -> None:
    learned = fits.load_learned(saved, allow_failed=True)
    known = next(iter(learned.reliability))
    kind = next(iter(learned.type_shift))
    out = learned.reliabilities(
        {known: 0.5, "new outlet": 0.6, "untyped": 0.6}, {"new outlet": kind}
    )
    assert out[known] == learned.reliability[known].mean
    shift = learned.type_shift[kind].mean
    assert out["new outlet"] == pytest.approx(1 / (1 + math.exp(-(math.log(1.5) + shift))))
    assert out["untyped"] == 0.6


# --------------------------------------------------------------------------- bands


def one_draw(truth: object, team: Team = SMALL) -> Draws:
    s, a = tuple(truth.stated), tuple(truth.exponents)
    return Draws(
        s,
        np.array([[truth.reliability[x] for x in s]]),
        a,
        np.array([[truth.exponents[x] for x in a]]),
        np.array([truth.alpha]),
        team.source_types,
        np.zeros((1, len(team.source_types))),
        np.ones(1),
        np.ones(1),
    )


def test_a_one_draw_band_is_the_trajectory(team: tuple) -> None:
    """With a single draw, the band collapses onto what layers 1 and 2 compute (binary
    questions through the vectorised layer 1, event questions through the exact core)."""
    history, truth = team
    ladder = [
        replace(q, deadlines=(*q.deadlines, q.deadlines[0] + timedelta(days=30)))
        if q.kind is Kind.EVENT
        else q
        for q in history.questions[:40]
    ]
    h = replace(history, questions=tuple(ladder))
    stated = evidence.reliabilities(h.sources, None)
    cases = [
        bands.Case(q, evidence_of(q, h, stated=stated), q.opened + timedelta(days=260))
        for q in ladder
    ]
    out = bands.bands(cases, one_draw(truth))
    for case, b in zip(cases, out, strict=True):
        q = case.question
        items = evidence.items_for(q, h, reliability=truth.reliability, exponents=truth.exponents)
        q = replace(q, alpha=truth.alpha) if q.kind is Kind.EVENT else q
        expected = trajectory.compute(q, items, case.end).probability
        assert b.median == pytest.approx(expected, abs=2e-5)
        assert b.low == pytest.approx(b.high, abs=2e-5)


def test_a_binary_band_reads_each_draws_most_reliable_member() -> None:
    """Layer 1 (v2) per draw: a cluster's reliability counts a repeating source once, and
    the analyst's LR is the one given to the member that is most reliable *in that draw*."""
    q = Question("b", "state", Kind.BINARY, OPENED, prior=0.5)

    def item(rid: str, d: int, source: str, lr: float) -> Evidence:
        it = Item(rid, (day(d), rid), d, "leak", 0.5, "ann", math.log(lr), source)
        return Evidence(it, source)

    ev = [item("r1", 1, "A", 4.0), item("r2", 2, "B", 1.5), item("r3", 3, "A", 9.0)]
    r = np.array([[0.8, 0.3], [0.3, 0.8]])  # draw 0: A more reliable; draw 1: B
    draws = Draws(
        ("A", "B"),
        r,
        ("ann",),
        np.ones((2, 1)),
        np.ones(2),
        ("",),
        np.zeros((2, 1)),
        np.ones(2),
        np.ones(2),
    )
    out = bands.band(q, ev, day(5), draws, prob=0.5)
    # By hand: A counts once, so U = (1 - r_A)(1 - r_B) = 0.2 * 0.7 = 0.14 in both draws.
    # Draw 0 reads A's reports (tied at r_A: the strongest, LR 9), draw 1 reads B's (LR 1.5).
    # With r = 1 - U, lambda_eff = 1 / (U + (1 - U) / lambda), and the prior odds are 1:
    #   draw 0: 1 / (1 + 0.14 + 0.86 / 9)   = 1 / 1.235556 = 0.809353
    #   draw 1: 1 / (1 + 0.14 + 0.86 / 1.5) = 1 / 1.713333 = 0.583658
    finals = [1 / (1 + 0.14 + 0.86 / 9), 1 / (1 + 0.14 + 0.86 / 1.5)]
    for d, final in enumerate(finals):
        rs = {"A": r[d, 0], "B": r[d, 1]}
        items = [replace(e.item, reliability=rs[e.source]) for e in ev]
        assert trajectory.compute(q, items, day(5)).final == pytest.approx(final, abs=1e-12)
    lo, hi = sorted(finals)  # two draws: the 25% and 75% quantiles interpolate linearly
    assert out.low[-1] == pytest.approx(lo + 0.25 * (hi - lo), abs=2e-5)
    assert out.high[-1] == pytest.approx(lo + 0.75 * (hi - lo), abs=2e-5)
    assert out.median[0] == pytest.approx(0.5)  # day 0: the prior


def test_event_bands_run_the_exact_core_on_thinned_draws(
    team: tuple, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An event band is the quantiles of the exact trajectories of at most EVENT_DRAWS
    draws, picked with the band's seed."""
    history, truth = team
    rng = np.random.default_rng(5)
    base = one_draw(truth)
    n = 300
    draws = replace(
        base,
        reliability=np.clip(base.reliability * rng.lognormal(0, 0.15, (n, 6)), 0, 0.99),
        exponent=base.exponent * rng.lognormal(0, 0.2, (n, 3)),
        alpha=rng.lognormal(0, 0.8, n),
        type_shift=np.zeros((n, 3)),
        source_spread=np.ones(n),
        exponent_spread=np.ones(n),
    )
    events = [q for q in history.questions if q.kind is Kind.EVENT][:10]
    cases = [bands.Case(q, evidence_of(q, history), q.opened + timedelta(days=250)) for q in events]
    monkeypatch.setattr(bands, "EVENT_DRAWS", 40)
    thinned = bands.bands(cases, draws, seed=3)
    picked = draws.thinned(40, 3)
    for case, b in zip(cases, thinned, strict=True):
        assert np.all(b.low <= b.median + 1e-9) and np.all(b.median <= b.high + 1e-9)
        q = case.question
        paths = []
        for d in range(picked.count):
            rel = dict(zip(picked.sources, picked.reliability[d], strict=True))
            k = dict(zip(picked.analysts, picked.exponent[d], strict=True))
            items = evidence.items_for(q, history, reliability=rel, exponents=k)
            own = replace(q, alpha=float(picked.alpha[d]))
            paths.append(trajectory.compute(own, items, case.end).probability)
        low, high = np.quantile(np.array(paths), [0.05, 0.95], axis=0)
        assert b.low == pytest.approx(low, abs=2e-5)
        assert b.high == pytest.approx(high, abs=2e-5)


def test_bands_refuse_choice_questions_and_bad_levels(team: tuple) -> None:
    truth = team[1]
    choice = Question("c", "choice", Kind.CHOICE, OPENED, options=(("a", 0.5), ("b", 0.5)))
    with pytest.raises(ForecastError, match="binary and event"):
        bands.band(choice, [], day(10), one_draw(truth))
    with pytest.raises(ForecastError, match=r"\(0, 1\)"):
        bands.band(team[0].questions[0], [], day(10), one_draw(truth), prob=1.0)


def test_unseen_sources_and_analysts_widen_the_band(saved: Path, team: tuple) -> None:
    """The same evidence, stated reliabilities and types, but every source and analyst
    renamed to one the fit never saw: each is drawn from its population, so the bands are
    wider than with the learned posteriors (fresh draws, so on most questions, not all)."""
    draws = fits.load_draws(saved, allow_failed=True)
    history, truth = team
    stated = {f"new {s}": r for s, r in truth.stated.items()}
    types = {f"new {s}": t for s, t in truth.source_type.items()}
    wider = []
    for q in [q for q in history.questions if q.kind is Kind.BINARY][:12]:
        ev = evidence_of(q, history)
        strange = [
            replace(
                e, source=f"new {e.source}", item=replace(e.item, analyst=f"new {e.item.analyst}")
            )
            for e in ev
        ]
        end = q.opened + timedelta(days=300)
        known = bands.band(q, ev, end, draws)
        unknown = bands.band(q, strange, end, draws, stated=stated, types=types)
        wider.append(np.mean(unknown.high - unknown.low) - np.mean(known.high - known.low))
    assert np.mean(wider) > 0 and np.mean(np.array(wider) > 0) >= 0.75


def test_decay_over_arrays_matches_layer_two() -> None:
    for p, h, e, a in [(0.3, 100, 10, 1.0), (0.9, 50, 49, 0.3), (0.01, 300, 1, 3.0)]:
        s = rate_for_probability(math.log(p / (1 - p)), h, a)
        expected = float(probability_within(np.array(s + e), np.array(h - e), a))
        assert float(
            decay.decayed(np.array(p), np.array(float(h)), np.array(float(e)), a)
        ) == pytest.approx(expected, rel=1e-9)
    assert float(decay.decayed(np.array(0.4), np.array(-2.0), np.array(1.0), 1.0)) == 0.4
    assert float(decay.decayed(np.array(0.4), np.array(5.0), np.array(6.0), 1.0)) == 0.0
    # The ends: certainty (P = 1, or a scale that underflows to 0 for a tiny alpha) stays
    # certain until the deadline; P = 0 stays 0.
    for p, a in [(1.0, 1.0), (0.999999, 0.01)]:
        assert float(decay.decayed(np.array(p), np.array(30.0), np.array(10.0), a)) == 1.0
    assert float(decay.decayed(np.array(0.0), np.array(30.0), np.array(10.0), 1.0)) == 0.0


def test_the_decay_law_is_the_same_in_numpy_and_pytensor() -> None:
    """One law, two array namespaces: the PyMC models and the engine agree."""
    import pytensor.tensor as pt

    logit = np.array([-4.0, -0.5, 0.0, 2.0, 9.0])
    horizon, elapsed, alpha = np.full(5, 46.0), np.array([0.0, 1.0, 10.0, 30.0, 45.0]), 0.7
    x = pt.dvector("x")
    assert decay.softplus(x, pt).eval({x: logit}) == pytest.approx(decay.softplus(logit))
    graph = decay.log_scale(x, horizon, alpha, pt)
    assert graph.eval({x: logit}) == pytest.approx(decay.log_scale(logit, horizon, alpha))
    graph = decay.log_none_by_deadline(x, horizon, elapsed, alpha, pt)
    numpy = decay.log_none_by_deadline(logit, horizon, elapsed, alpha)
    assert graph.eval({x: logit}) == pytest.approx(numpy, rel=1e-12)
    # and S(H) / S(e) by the survival function at the scale, by hand
    b = decay.scale(logit, horizon, alpha)
    by_hand = decay.log_survival(horizon, b, alpha) - decay.log_survival(elapsed, b, alpha)
    assert numpy == pytest.approx(by_hand, rel=1e-9)
    log_b = pt.dvector("log_b")
    density = decay.log_density(log_b, elapsed[1:], alpha, pt).eval({log_b: np.log(b[1:])})
    t = elapsed[1:]
    assert density == pytest.approx(np.log(alpha / b[1:]) - (alpha + 1) * np.log1p(t / b[1:]))


# --------------------------------------------------------------------------- CLI


def _cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    from forecast.cli import main

    capsys.readouterr()
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_calibrate_command_fits_and_saves(
    team: tuple, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from forecast.api import Tracker

    history = team[0]
    small = replace(history, questions=history.questions[:60])
    Tracker.open().import_history(_consistent(small))
    code, out, err = _cli(
        capsys,
        "calibrate",
        "--json",
        "--sampler",
        "pymc",
        "--draws",
        "100",
        "--tune",
        "100",
        "--seed",
        "3",
        "--fits",
        str(tmp_path),
    )
    assert code == 0, err
    summary = json.loads(out)
    assert summary["counts"]["questions"] == 60
    assert Path(summary["path"]).exists()
    # an imported history without snapshots has no scored day: no team recalibration, and why
    assert summary["team_recalibration"] == {
        "skipped": "no binary or event question has been scored yet: there is no track record "
        "to recalibrate on"
    }
    # 60 questions: 70% (42) resolved by the cut, and one more logged that same day; the 17
    # after it are too few to judge the fit by
    held = summary["holdout"]
    assert (held["train_questions"], held["test_questions"]) == (43, 17)
    assert held["offered"] is False and held["gain"] is None
    assert held["reason"].startswith(
        "not judged: too few questions resolved after the cut (17 after "
    ) and held["reason"].endswith("; 20 needed)")
    assert set(summary["diagnostics"]) >= {
        "max_r_hat",
        "min_ess_bulk",
        "min_ess_tail",
        "divergences",
        "passed",
    }
    code, out, err = _cli(
        capsys,
        "calibrate",
        "--sampler",
        "pymc",
        "--draws",
        "100",
        "--tune",
        "100",
        "--fits",
        str(tmp_path),
    )
    assert code == 0 and "fit saved to" in out and "reliability" in out
    assert f"  NOT offered to forecasts, out of time: {held['reason']}\n" in out
    assert "LOO vs the stated values (in-sample, a diagnostic): " in out
    # a cron log gets a line per stage, each with the time since the start
    # (PyMC's own sampler, forking on a 2-core machine, adds Python's fork warnings)
    lines = [line for line in err.splitlines() if not line.startswith("warning: ")]
    stages = [re.sub(r"^\[ *[0-9.]+ s\] ", "", line) for line in lines]
    assert all(re.match(r"^\[ *[0-9.]+ s\] ", line) for line in lines)
    assert stages[0] == "track record: 60 resolved questions, " + stages[0].split(", ", 1)[1]
    assert stages[1:3] == [
        "building the model (PyMC)",
        "sampling: 4 chains of 100 tuning and 100 draws (pymc; compiling first)",
    ]
    assert stages[-5:] == [
        "comparing with the stated values (leave-one-out, a diagnostic)",
        f"out-of-time check: {held['reason']}",
        "drawing the calibration plot",
        "saved",
        "team recalibration skipped: no binary or event question has been scored yet: there "
        "is no track record to recalibrate on",
    ]
    assert "team recalibration: none (no binary or event question has been scored yet" in out


def _consistent(h: History) -> History:
    """Only the records of the kept questions."""
    ids = {q.id for q in h.questions}
    assessments = tuple(a for a in h.assessments if a.question_id in ids)
    reports = {a.report_id for a in assessments}
    return replace(
        h,
        assessments=assessments,
        reports=tuple(r for r in h.reports if r.id in reports),
        resolutions=tuple(r for r in h.resolutions if r.question_id in ids),
    )


def test_calibrate_without_a_track_record_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = _cli(capsys, "calibrate", "--fits", str(tmp_path))
    assert code == 1
    assert err.startswith("error: ") and len(err.strip().splitlines()) == 1
    assert "track record" in err
    code, _, err = _cli(capsys, "calibrate", "--draws", "0", "--fits", str(tmp_path))
    assert code == 1 and "--draws" in err


def test_show_does_not_import_pymc(tmp_path: Path) -> None:
    script = (
        "import sys; from forecast.cli import main; main(['demo']); "
        "main(['show', 'putin-trump-meeting', '--json']); "
        "print(sorted(m for m in ('pymc', 'arviz', 'pytensor') if m in sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, check=True
    )
    assert done.stdout.strip().splitlines()[-1] == "[]"


def test_calibrate_checks_the_data_before_loading_pymc(tmp_path: Path) -> None:
    """Issue 12: nothing to learn from is said at once, without PyMC's seconds of import."""
    script = (
        "import sys; from forecast.cli import main; main(['demo']); "
        f"code = main(['calibrate', '--fits', {str(tmp_path)!r}]); "
        "print(code, sorted(m for m in ('pymc', 'arviz', 'pytensor') if m in sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, check=True
    )
    assert done.stdout.strip().splitlines()[-1] == "1 []"
    assert done.stderr.strip().splitlines()[-1] == (
        "error: no binary or event question has resolved yes or no yet: there is no track "
        "record to learn from"
    )


def test_draws_that_no_summary_vouches_for_are_refused(
    saved: Path, team: tuple, tmp_path: Path
) -> None:
    # A save killed between its two files: new draws beside the summary of the fit before.
    copy = tmp_path / "interrupted"
    shutil.copytree(saved, copy)
    with (copy / "track-record.nc").open("ab") as f:
        f.write(b"\0")  # draws the summary does not name by their hash
    assert fits.load_learned(copy, history=team[0], allow_failed=True)  # the means still stand
    with pytest.raises(
        fits.NoFit, match=r"do not belong to the saved summary .*forecast calibrate"
    ):
        fits.load_draws(copy, history=team[0], allow_failed=True)
    fits.load_draws(saved, history=team[0], allow_failed=True)  # the intact fit loads


def _checks(divergences: int, *others: str) -> object:
    from forecast.learning.diagnostics import Diagnostics

    problems = (*others, *([f"{divergences} divergent transitions"] if divergences else []))
    return Diagnostics(1.0, 1000.0, 1000.0, divergences, 4, 100, "alpha", problems)


@pytest.mark.parametrize(
    ("first", "second", "calls", "passed"),
    [
        (_checks(3), _checks(0), 2, True),  # retried at smaller steps, and it held
        (_checks(3), _checks(1), 2, False),  # retried, still divergent: advice added
        (_checks(3, "R-hat 1.2"), None, 1, False),  # not only divergences: no retry
        (_checks(0), None, 1, True),
    ],
)
def test_calibrate_retries_divergences_once_with_smaller_steps(
    monkeypatch: pytest.MonkeyPatch, first: object, second: object, calls: int, passed: bool
) -> None:
    """The retry rule alone (the samplers are stood in for: a divergence on demand)."""
    from forecast.learning import calibrate as module
    from forecast.learning import diagnostics, model
    from forecast.learning.sampling import RETRY_ACCEPT, SamplerSettings

    used: list[float] = []
    monkeypatch.setattr(model, "fit", lambda _m, s: used.append(s.target_accept) or s)
    answers = iter([first, second])
    monkeypatch.setattr(diagnostics, "diagnose", lambda _idata: next(answers))
    said: list[str] = []
    _, checks, settings = module._sample(object(), SamplerSettings(draws=10), said.append)
    assert used == [0.8, RETRY_ACCEPT][:calls]
    assert settings.target_accept == used[-1]
    assert checks.passed is passed
    if calls == 2:
        assert said[1] == (
            "3 divergent transitions: sampling again with smaller steps (target acceptance 0.95)"
        )
    still = [p for p in checks.problems if p.startswith("still divergent")]
    assert still == ([] if passed or calls == 1 else [
        "still divergent at target acceptance 0.95: try more tuning steps (--tune 2000); if "
        "they stay, the track record does not pin down the model yet (see the calibration plot)"
    ])  # fmt: skip
