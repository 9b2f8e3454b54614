"""The out-of-time check (issue 12): the split at the cut, the scoring of the later
questions against hand-computed values, and the offering rule by its messages.

No sampling here: the posterior is written by hand (constant draws), so what is tested is
that the check scores exactly what forecasts would use. The check on simulated teams is
``tests/test_learning_value.py`` (slow).
"""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from forecast.domain import Assessment, History, Kind, Question, Report, Resolution, Source
from forecast.learning import MODEL_VERSION, fits, holdout
from forecast.learning.data import relabel, training_data

JAN = datetime(2025, 1, 1, tzinfo=UTC)


def day(n: float) -> datetime:
    return JAN + timedelta(days=n)


def hand_history() -> History:
    """q1 (YES on day 10): ana reads a Wire report (stated 0.5) as LR 4 on day 3. q2 (NO on
    day 10, logged on day 20): bob reads an Other report (stated 0.6, also a wire) as LR 3
    on day 5. Both priors 0.5; both opened on day 0."""
    sources = (Source("Wire", 0.5, "wire"), Source("Other", 0.6, "wire"))
    questions = tuple(Question(q, q, Kind.BINARY, JAN, prior=0.5) for q in ("q1", "q2"))
    reports = (
        Report("r1", day(3.5), "Wire", logged_at=day(3.5)),
        Report("r2", day(5.5), "Other", logged_at=day(5.5)),
    )
    assessments = (
        Assessment("a1", "r1", "q1", "ana", lr=4.0, logged_at=day(3.5)),
        Assessment("a2", "r2", "q2", "bob", lr=3.0, logged_at=day(5.5)),
    )
    resolutions = (
        Resolution("q1", "yes", day(10), logged_at=day(10)),
        Resolution("q2", "no", day(10), logged_at=day(20)),
    )
    return History(questions, sources, reports, assessments, resolutions)


# --------------------------------------------------------------------------- the split


def test_the_cut_and_the_later_questions() -> None:
    h = hand_history()
    # two resolutions, logged on days 10 and 20: 70% of them were logged by day 20, half
    # by day 10
    assert holdout.cut_time(h) == day(20)
    assert holdout.cut_time(h, share=0.5) == day(10)
    assert holdout.cut_time(h, as_of=day(15)) == day(10)  # q2 is not resolved by then
    after = holdout.later(h, day(10))
    assert [q.id for q in after.questions] == ["q2"]
    assert [a.id for a in after.assessments] == ["a2"] and [r.id for r in after.reports] == ["r2"]
    assert holdout.later(h, day(10), by=day(15)).questions == ()
    # the earlier fit learns from q1 only, as known at the cut: nothing is learned twice
    assert training_data(h, as_of=day(10)).questions == ("q1",)


def test_a_record_too_short_to_split_is_not_judged() -> None:
    h = hand_history()
    verdict = holdout.split(h, training_data(h))
    assert isinstance(verdict, holdout.Verdict) and not verdict.offered
    assert verdict.reason == (
        "not judged: too few questions resolved after the cut (0 after 2025-01-21; 20 needed)"
    )
    assert verdict.to_json() | {"reason": ""} == {
        "cut": "2025-01-21",
        "share": 0.7,
        "train_questions": 2,
        "test_questions": 0,
        "gain": None,
        "gain_low": None,
        "gain_high": None,
        "level": 0.9,
        "offered": False,
        "reason": "",
    }


def test_a_source_retyped_since_the_cut_leaves_the_fit_not_judged() -> None:
    """The earlier fit learns each source's type as it stood at the cut; a type that no
    source has any longer has no place in today's model, so the check cannot run."""
    from dataclasses import replace

    from forecast.learning.simulate import Team, draw_truth, simulate

    team = Team(questions=100, assessments=800, sources=3, analysts=2)
    rng = np.random.default_rng(3)
    h = simulate(team, draw_truth(team, rng), rng)
    first = h.sources[0]
    assert first.type == "agency"  # the only agency
    last = max(r.logged_at for r in h.resolutions if r.logged_at)
    retyped = replace(first, type="wire", version=2, logged_at=last)
    h = replace(h, sources=(*h.sources, retyped))
    verdict = holdout.split(h, training_data(h))
    assert isinstance(verdict, holdout.Verdict) and not verdict.offered
    assert verdict.reason == (
        "not judged: the track record at the cut does not fit today's labels (source type "
        "'agency' is not in the fit)"
    )


# --------------------------------------------------------------------------- scoring


def posterior(data: object, **values: dict[str, float] | float) -> xr.Dataset:
    """Constant draws (2 chains of 3) of the fit's learned values, by label."""

    def column(name: str, labels: tuple[str, ...], dim: str) -> xr.DataArray:
        row = [values[name][x] for x in labels]  # type: ignore[index]
        return xr.DataArray(np.tile(row, (2, 3, 1)), dims=("chain", "draw", dim))

    return xr.Dataset(
        {
            "reliability": column("reliability", data.sources, "source"),
            "exponent": column("exponent", data.analysts, "analyst"),
            "type_shift": column("type_shift", data.source_types, "type"),
            "alpha": xr.DataArray(np.full((2, 3), values["alpha"]), dims=("chain", "draw")),
        }
    )


def test_the_later_questions_are_scored_as_forecasts_would_use_the_fit() -> None:
    """By hand, layer 1 (v2): an LR lambda >= 1 from a source of reliability r multiplies
    the odds by 1 / (1 - r (1 - 1 / lambda)); an LR for NO, 1/lambda of that.

    The earlier fit saw q1 only (Wire, ana). It learned Wire 0.9, ana's exponent 0.5, a
    +1 logit shift for wires; its draws also hold Other 0.99 and bob 2, which it never
    learned from: forecasts would give Other its stated 0.6 shifted by +1, and bob k = 1.
    """
    from forecast.learning.model import build_model

    h = hand_history()
    data = training_data(h)
    assert data.sources == ("Other", "Wire") and data.analysts == ("ana", "bob")
    seen = training_data(h, as_of=day(10))
    model = build_model(data)
    fit = {
        "posterior": posterior(
            data,
            reliability={"Wire": 0.9, "Other": 0.99},
            exponent={"ana": 0.5, "bob": 2.0},
            type_shift={"wire": 1.0},
            alpha=1.0,
        )
    }
    r, k, alpha = holdout.offered_values(fit, data, seen)
    other = 1 / (1 + math.exp(-(math.log(0.6 / 0.4) + 1)))  # 0.803050
    assert r.tolist() == pytest.approx([other, 0.9]) and k.tolist() == [0.5, 1.0]
    assert alpha == 1.0
    # q1 (YES): scored on days 0-9 (it resolved on day 10); the report counts from day 3,
    # 7 days of 10. Learned: ana's LR 4 ** 0.5 = 2 at 0.9: odds 1 / (1 - 0.9 / 2) = 1/0.55.
    # Stated: LR 4 at 0.5: odds 1 / (1 - 0.5 * 3/4) = 1.6.
    p_learned, p_stated = (1 / 0.55) / (1 + 1 / 0.55), 1.6 / 2.6
    q1 = 0.7 * (math.log(p_learned) - math.log(p_stated))
    # q2 (NO): days 0-9, bob's LR 3 from day 5: 5 days of 10. Learned: Other at 0.803050,
    # k = 1: odds 1 / (1 - 0.803050 * 2/3) = 2.152234; stated: 1 / (1 - 0.6 * 2/3) = 5/3.
    odds_learned, odds_stated = 1 / (1 - other * 2 / 3), 5 / 3
    q2 = 0.5 * (math.log(1 / (1 + odds_learned)) - math.log(1 / (1 + odds_stated)))
    assert odds_learned == pytest.approx(2.152234, abs=1e-6)
    test = relabel(training_data(h), like=data)
    assert holdout.gains(model, fit, test, seen).tolist() == pytest.approx([q1, q2], abs=1e-12)
    # the model holds its own data again
    from forecast.learning.model import containers

    for v in model.data_vars:
        assert np.array_equal(v.get_value(), containers(data)[v.name])


def test_the_stated_values_score_as_the_model_at_its_default_point() -> None:
    """The scores are the model's outcome terms, per question: at the default point, their
    sum is the model's own log-likelihood of the outcomes."""
    from forecast.learning.model import build_model, default_point, point_log_likelihood

    data = training_data(hand_history())
    model = build_model(data)
    [scores] = holdout.question_scores(model, data, [default_point(model)])
    whole = point_log_likelihood(model, default_point(model))["outcome"].sum()
    assert scores.sum() == pytest.approx(whole, abs=1e-12)
    assert scores[0] == pytest.approx(0.3 * math.log(0.5) + 0.7 * math.log(1.6 / 2.6))


# --------------------------------------------------------------------------- the rule


def test_a_clear_gain_is_offered() -> None:
    verdict = holdout.decide(day(10), 70, np.full(30, 0.01))
    assert verdict.offered
    assert (verdict.gain, verdict.gain_low, verdict.gain_high) == pytest.approx((0.01,) * 3)
    assert verdict.reason == (
        "a fit on the 70 questions resolved by 2025-01-11 scored the 30 resolved after it "
        "+0.0100 nats/question against the stated values (90% interval +0.0100 to +0.0100)"
    )


def test_a_gain_within_its_noise_a_loss_or_nothing_is_not_offered() -> None:
    noisy = np.tile([0.05, -0.04], 15)  # mean +0.005, but half the questions lose
    verdict = holdout.decide(day(10), 70, noisy)
    assert verdict.gain == pytest.approx(0.005) and verdict.gain > 0
    assert verdict.gain_low < 0 < verdict.gain_high and not verdict.offered
    assert verdict.reason.endswith(", not clearly better")
    assert not holdout.decide(day(10), 70, np.full(30, -0.01)).offered
    assert not holdout.decide(day(10), 70, np.zeros(30)).offered  # no better is not better


def test_the_interval_is_a_paired_bootstrap_over_the_questions() -> None:
    gains = np.random.default_rng(1).normal(0.01, 0.05, 200)
    low, high = holdout.bootstrap(gains)
    se = gains.std(ddof=1) / math.sqrt(len(gains))
    assert low == pytest.approx(gains.mean() - 1.645 * se, abs=0.3 * se)
    assert high == pytest.approx(gains.mean() + 1.645 * se, abs=0.3 * se)
    assert holdout.bootstrap(gains) == (low, high)  # seeded: the same scores, the same verdict


def test_too_few_later_questions_are_not_judged() -> None:
    verdict = holdout.decide(day(10), 70, np.full(19, 0.5))
    assert not verdict.offered and verdict.gain is None
    assert verdict.reason == (
        "not judged: too few questions resolved after the cut (19 after 2025-01-11; 20 needed)"
    )


# --------------------------------------------------------------------------- saved fits


def summary(holdout_json: dict | None) -> dict:
    estimate = {"mean": 0.5, "low": 0.4, "high": 0.6}
    out = {
        "model_version": MODEL_VERSION,
        "fitted_at": "2025-02-28T10:00:00+00:00",
        "data_hash": "x",
        "reliability": {"Wire": estimate},
        "stated": {"Wire": 0.5},
        "source_type": {"Wire": "wire"},
        "exponents": {},
        "alpha": estimate,
        "type_shift": {},
        "diagnostics": {"passed": True, "problems": []},
        "loo": {"difference": 3.0, "se_difference": 1.0},  # LOO alone no longer decides
    }
    return out if holdout_json is None else {**out, "holdout": holdout_json}


def test_saved_fits_are_offered_by_their_out_of_time_verdict(tmp_path: Path) -> None:
    path = tmp_path / "track-record.json"
    offered = holdout.decide(day(10), 70, np.full(30, 0.01)).to_json()
    path.write_text(json.dumps(summary(offered)))
    assert fits.load_learned(tmp_path).beats_stated
    refused = holdout.decide(day(10), 70, np.full(30, -0.01)).to_json()
    path.write_text(json.dumps(summary(refused)))
    with pytest.raises(fits.NoGain) as why:
        fits.load_learned(tmp_path)
    assert str(why.value) == (
        f"the fit at {path} is not offered to forecasts: a fit on the 70 questions resolved "
        "by 2025-01-11 scored the 30 resolved after it -0.0100 nats/question against the "
        "stated values (90% interval -0.0100 to -0.0100), not clearly better; forecasts "
        "keep the stated values"
    )
    assert not fits.load_learned(tmp_path, allow_failed=True).beats_stated  # still readable


def test_a_fit_saved_before_the_check_is_not_offered(tmp_path: Path) -> None:
    path = tmp_path / "track-record.json"
    path.write_text(json.dumps(summary(None)))
    with pytest.raises(fits.NoGain) as why:
        fits.load_learned(tmp_path)
    assert str(why.value) == (
        f"the fit at {path} was saved without the out-of-time check (a fit at an earlier "
        "cut, scored on the questions resolved after it), so it is not offered to "
        "forecasts: rerun `forecast calibrate`"
    )
    learned = fits.load_learned(tmp_path, allow_failed=True)
    assert learned.holdout is None and not learned.beats_stated


@pytest.mark.parametrize(
    ("passed", "gain", "line"),
    [
        (True, 0.01, "  offered to forecasts, out of time: a fit on the 70"),
        (True, -0.01, "  NOT offered to forecasts, out of time: a fit on the 70"),
        (
            False,
            0.01,
            "  NOT offered to forecasts (its diagnostics failed); out of time it would be: a fit "
            "on the 70",
        ),
    ],
)
def test_calibrate_says_whether_the_fit_is_offered_and_why(
    capsys: pytest.CaptureFixture[str], passed: bool, gain: float, line: str
) -> None:
    from forecast.cli.learning import _print_calibration

    s = summary(holdout.decide(day(10), 70, np.full(30, gain)).to_json())
    s["diagnostics"] = {
        "passed": passed,
        "problems": [] if passed else ["R-hat 1.100 >= 1.01"],
        "max_r_hat": 1.0 if passed else 1.1,
        "min_ess_bulk": 900,
        "min_ess_tail": 800,
        "divergences": 0,
    }
    s["counts"] = {"questions": 100, "assessments": 900, "sources": 1, "analysts": 0}
    _print_calibration(Path("fit.json"), s)
    out = capsys.readouterr().out
    verdict = next(x for x in out.splitlines() if "offered to forecasts" in x)
    assert verdict.startswith(line) and f"{gain:+.4f} nats/question" in verdict
    assert "  LOO vs the stated values (in-sample, a diagnostic): +3.0 (SE 1.0)" in out
