"""The team's recalibration (``forecast.learning.team``, ``forecast.recalibrated``).

The rows, the walk-forward schedule and its scoring, the saved file and applying it are
checked against values worked out by hand (no PyMC); one fit on a simulated team whose
authors are miscalibrated by known amounts checks that the model finds them and that the
walk-forward check offers it.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from forecast.domain import ForecastError, History, Question, Resolution
from forecast.learning import team
from forecast.learning.recalibration import Factor, Recalibration

DAY0 = datetime(2025, 1, 1, tzinfo=UTC)


def _scored(
    qid: str,
    forecast: list[float],
    *,
    kind: str = "binary",
    author: str = "ana",
    tags: tuple[str, ...] = (),
    outcome: int = 1,
    start: int = 0,
    known: int | None = None,
    analysts: dict[str, float] | None = None,
) -> team.Scored:
    first = np.datetime64((DAY0 + timedelta(days=start)).date(), "D")
    days = first + np.arange(len(forecast))
    when = DAY0 + timedelta(days=start + len(forecast) if known is None else known, hours=9)
    return team.Scored(
        qid, kind, author, tags, outcome, when, days, np.array(forecast), analysts or {}
    )


def _logit(p: float) -> float:
    return math.log(p / (1 - p))


def _sigmoid(x: float) -> float:
    return 1 / (1 + math.exp(-x))


# --------------------------------------------------------------------------- rows


def test_rows_are_days_alike_weighted_by_their_share_of_their_questions_days() -> None:
    a = _scored("a", [0.2, 0.2, 0.3, 0.3, 0.3], tags=("war", "econ"), outcome=1)
    b = _scored("b", [0.5, 0.4], kind="event", author="", outcome=0)
    found = team.factors([a, b])
    assert found == (
        Factor("author", ("(no author)", "ana")),
        Factor("tag", ("econ", "war")),
        Factor("analyst", ()),  # no assessment: no analyst level
    )
    rows = team.rows([a, b], found)
    # forecasts read to 0.05 on the log-odds: logit 0.2 = -1.386 (-27.7 steps: -28),
    # 0.3 = -0.847 (-16.9: -17), 0.4 = -0.405 (-8.1: -8)
    np.testing.assert_allclose(rows.held_logit, [-1.40, -0.85, -0.40, 0.0], atol=1e-12)
    np.testing.assert_allclose(rows.held_weight, [0.4, 0.6, 0.5, 0.5], rtol=1e-12)
    np.testing.assert_array_equal(rows.held_outcome, [1, 1, 0, 0])
    np.testing.assert_array_equal(rows.held_kind, [0, 0, 1, 1])  # binary, event
    # columns: (no author), ana, econ, war: two tags share the question half each
    np.testing.assert_array_equal(
        rows.held_members, [[0, 1, 0.5, 0.5], [0, 1, 0.5, 0.5], [1, 0, 0, 0], [1, 0, 0, 0]]
    )
    assert not rows.decays and rows.members is not None and rows.members.shape == (0, 4)


def test_the_assessing_analysts_weigh_by_their_share_of_the_assessments() -> None:
    """Issue 12, by analyst: a question's analysts are the ones who assessed its reports,
    each in proportion to the assessments they logged on it."""
    assert team.shares(["ivan", "maria", "ivan", "ivan", "olga"]) == {
        "ivan": 0.6, "maria": 0.2, "olga": 0.2
    }  # fmt: skip
    assert team.members("ana", (), {"ivan": 0.75, "maria": 0.25}) == {
        "author": {"ana": 1.0}, "analyst": {"ivan": 0.75, "maria": 0.25}
    }  # fmt: skip
    a = _scored("a", [0.3, 0.3], analysts={"ivan": 0.75, "maria": 0.25})
    b = _scored("b", [0.3, 0.3], analysts={"maria": 1.0})
    found = team.factors([a, b])
    assert found[2] == Factor("analyst", ("ivan", "maria"))
    rows = team.rows([a, b], found)
    # columns: ana, ivan, maria (no tag level): the two differ in their analysts only
    np.testing.assert_array_equal(rows.held_members, [[1, 0, 1], [1, 0.75, 0.25]])
    np.testing.assert_allclose(rows.held_weight, [1.0, 1.0], rtol=1e-12)
    r = Recalibration(
        shift={"binary": 0.0, "event": 0.0}, slope={"binary": 1.0, "event": 1.0},
        alpha=None, decay_share=None, questions=2,
        offsets={"author": {"ana": (0.1, 0.0)}, "tag": {},
                 "analyst": {"ivan": (0.4, -0.2), "maria": (-0.4, 0.2)}},
    )  # fmt: skip
    shift, slope = r.line("binary", team.members("ana", (), a.analysts))
    assert (shift, slope) == pytest.approx((0.1 + 0.75 * 0.4 - 0.25 * 0.4, 1 - 0.15 + 0.05))


def test_days_alike_across_questions_share_a_row_and_others_do_not() -> None:
    # c's days read as a's 0.3 (logit -0.847 and -0.8473 both read -0.85): one row of
    # weight 3/5 + 2/2; d is the same but resolved NO; e has another author
    a = _scored("a", [0.2, 0.2, 0.3, 0.3, 0.3])
    c = _scored("c", [0.3, 0.29995])
    d = _scored("d", [0.3, 0.3], outcome=0)
    e = _scored("e", [0.3, 0.3], author="bo")
    rows = team.rows([a, c, d, e], team.factors([a, c, d, e]))
    at = {
        (round(x, 2), y, tuple(m)): w
        for x, y, m, w in zip(
            rows.held_logit, rows.held_outcome, rows.held_members, rows.held_weight, strict=True
        )
    }
    assert at == pytest.approx(
        {(-1.4, 1, (1, 0)): 0.4, (-0.85, 1, (1, 0)): 1.6, (-0.85, 0, (1, 0)): 1.0,
         (-0.85, 1, (0, 1)): 1.0}
    )  # fmt: skip
    assert rows.held_weight.sum() == pytest.approx(4.0)  # each question weighs one


def test_a_forecast_of_certainty_is_read_just_inside() -> None:
    rows = team.rows([_scored("a", [1.0, 0.0])], team.factors([_scored("a", [1.0, 0.0])]))
    # logit(1e-6) = -13.8155: -276.3 steps of 0.05, read as -276
    np.testing.assert_allclose(rows.held_logit, [-13.80, 13.80], atol=1e-12)


def test_a_choice_question_or_an_empty_one_is_refused_by_name() -> None:
    with pytest.raises(ForecastError, match="binary or event, not 'choice'"):
        _scored("c", [0.5], kind="choice")
    with pytest.raises(ForecastError, match="question 'e': no scored day"):
        _scored("e", [])


def test_a_line_adds_its_groups_offsets_by_their_weights() -> None:
    r = Recalibration(
        shift={"binary": -0.2, "event": 0.1},
        slope={"binary": 0.9, "event": 1.1},
        alpha=None,
        decay_share=None,
        questions=3,
        offsets={"author": {"ana": (0.3, -0.1)}, "tag": {"war": (0.2, 0.04), "econ": (-0.4, 0.0)}},
    )
    members = team.members("ana", ("war", "econ"))
    assert members == {"author": {"ana": 1.0}, "tag": {"econ": 0.5, "war": 0.5}}
    shift, slope = r.line("binary", members)
    assert shift == pytest.approx(-0.2 + 0.3 + 0.5 * 0.2 + 0.5 * -0.4, abs=1e-15)
    assert slope == pytest.approx(0.9 - 0.1 + 0.5 * 0.04, abs=1e-15)
    p = r.apply(np.array([0.7]), "binary", members)[0]
    assert p == pytest.approx(_sigmoid(shift + slope * _logit(0.7)), rel=1e-12)
    # an author or tag the fit never saw adds nothing
    assert r.line("event", team.members("bo", ("new",))) == (0.1, 1.1)


# --------------------------------------------------------------------------- walk-forward


def _plain(shift: float) -> Recalibration:
    return Recalibration(
        shift={"binary": shift, "event": shift},
        slope={"binary": 1.0, "event": 1.0},
        alpha=None,
        decay_share=None,
        questions=0,
    )


def test_the_walk_forward_never_scores_a_question_with_a_fit_that_knew_its_outcome() -> None:
    # 30 questions of 10 days, one starting every 5 days; each resolution is logged the day
    # after its last scored day
    scored = [_scored(f"q{i:02d}", [0.6] * 10, start=5 * i, outcome=i % 2) for i in range(30)]
    fits = team.schedule(scored, min_train=4)
    # the 4th resolution (q03, days 15-24) is logged on day 25: the first fit is on day 26
    every = np.timedelta64(team.REFIT_DAYS, "D")
    assert fits[0] == np.datetime64("2025-01-27") and fits[1] == fits[0] + every
    assert fits[-1] <= scored[-1].days[-1] < fits[-1] + every
    seen_by_fit: list[set[str]] = []

    def fit(seen: np.ndarray) -> Recalibration:
        seen_by_fit.append({s.question_id for s, k in zip(scored, seen, strict=True) if k})
        return _plain(0.5)

    verdict, figures = team.walk_forward(scored, fit, min_train=4)
    assert len(seen_by_fit) == figures["fits"] == len(fits)
    assert seen_by_fit[0] == {"q00", "q01", "q02", "q03"}
    # q04 (days 20-29) is scored on days 26-29, by the first fit, which did not learn it
    q04 = scored[4]
    stated, mine = 0.6, _sigmoid(0.5 + _logit(0.6))
    gain_q04 = math.log1p(-mine) - math.log1p(-stated)  # outcome 0
    assert q04.outcome == 0 and "q04" not in seen_by_fit[0]
    # every question scored walk-forward: the 26 that had not resolved by the first fit
    assert figures["questions"] == verdict.test_questions == 26
    # q04's last four days (26-29), q05's last nine (26-34), then every day of the rest
    assert figures["days"] == 4 + 9 + 10 * 24
    # the same shift on the same forecast: outcome 1 gains, outcome 0 loses, and these
    # are the only two values; the mean over the 26 questions by hand
    gain_yes = math.log(mine) - math.log(stated)
    yes = sum(s.outcome for s in scored[4:])
    assert verdict.gain == pytest.approx((yes * gain_yes + (26 - yes) * gain_q04) / 26, rel=1e-12)
    assert verdict.train_questions == 4 and verdict.cut == datetime(2025, 1, 27, tzinfo=UTC)
    assert verdict.reason.startswith(
        f"{len(fits)} walk-forward fits from 2025-01-27 (the first on 4 questions) scored 26 "
        "later questions"
    )


def test_a_recalibration_that_helps_is_offered_and_one_that_hurts_is_not() -> None:
    # every question resolved YES: a shift up helps every one of them, a shift down hurts
    scored = [_scored(f"q{i:02d}", [0.5] * 10, start=5 * i, outcome=1) for i in range(30)]
    helps, _ = team.walk_forward(scored, lambda seen: _plain(1.0), min_train=4)
    hurts, _ = team.walk_forward(scored, lambda seen: _plain(-1.0), min_train=4)
    assert helps.offered and helps.gain == pytest.approx(math.log(2 * _sigmoid(1.0)))
    assert not hurts.offered and hurts.reason.endswith(", not clearly better")


def test_too_few_questions_are_not_judged_and_say_so() -> None:
    few = [_scored(f"q{i}", [0.5] * 10, start=5 * i) for i in range(10)]
    verdict, figures = team.walk_forward(few, lambda seen: _plain(1.0))
    assert not verdict.offered and figures["fits"] == 0
    assert verdict.reason == f"not judged: fewer than {team.MIN_TRAIN} questions have resolved"
    verdict, _ = team.walk_forward(few, lambda seen: _plain(1.0), min_train=4)
    assert verdict.reason == "not judged: 6 questions scored walk-forward (20 needed)"


# --------------------------------------------------------------------------- saved


def _history(outcome: str = "yes") -> History:
    q = Question("a", "A?", "binary", DAY0, prior=0.5, tags=("war",), created_by="ana")
    return History(
        questions=(q,), resolutions=(Resolution("a", outcome, DAY0 + timedelta(days=20)),)
    )


def _saved(tmp_path: Path, offered: bool = True) -> team.TeamRecalibration:
    final = Recalibration(
        shift={"binary": -0.2, "event": 0.1},
        slope={"binary": 0.8, "event": 1.0},
        alpha=None,
        decay_share=None,
        questions=1,
        offsets={"author": {"ana": (0.1, 0.05)}, "tag": {"war": (-0.3, 0.0)}},
    )
    verdict = team._verdict(None, 0, np.full(25, 0.01 if offered else -0.01), 3)
    content = team.summary(
        final, verdict, {"fits": 3}, [_scored("a", [0.5] * 3, tags=("war",))], _history(),
        DAY0,
    )  # fmt: skip
    team.save(content, tmp_path)
    found = team.load(tmp_path, history=_history())
    assert found is not None
    return found


def test_a_saved_recalibration_applies_as_worked_out_by_hand(tmp_path: Path) -> None:
    saved = _saved(tmp_path)
    assert saved.offered and saved.content["author"]["ana"]["questions"] == 1
    shift, slope = -0.2 + 0.1 - 0.3, 0.8 + 0.05
    assert saved.line("binary", "ana", ("war",)) == pytest.approx((shift, slope), abs=1e-15)
    assert saved.apply(0.3, "binary", "ana", ("war",)) == pytest.approx(
        _sigmoid(shift + slope * _logit(0.3)), rel=1e-12
    )
    with pytest.raises(ForecastError, match="only binary and event forecasts are recalibrated"):
        saved.apply(0.3, "choice", "ana", ())


# Three kept draws: the class's line and one author's and one tag's offsets in each.
DRAWS = {
    "shift": np.array([[-0.4, 0.1], [-0.2, 0.1], [0.0, 0.1]]),  # binary, event
    "slope": np.array([[0.8, 1.0], [0.8, 1.0], [0.8, 1.0]]),
    "author_shift": np.array([[0.0], [0.1], [0.2]]),
    "author_slope": np.array([[0.05], [0.05], [0.05]]),
    "tag_shift": np.array([[-0.3], [-0.3], [-0.3]]),
    "tag_slope": np.array([[0.0], [0.0], [0.0]]),
    "analyst_shift": np.zeros((3, 0)),  # no analyst level
    "analyst_slope": np.zeros((3, 0)),
}


def _band_by_hand(p: float) -> tuple[float, float]:
    """The 90% band of ``p`` (binary, author ana, tag war) over DRAWS: the three draws'
    lines are shifts -0.7, -0.4, -0.1 and slope 0.85; numpy's linear quantiles at 5% and
    95% of three sorted values sit at positions 0.1 and 1.9."""
    v = [_sigmoid(a + 0.85 * _logit(p)) for a in (-0.7, -0.4, -0.1)]
    return v[0] + 0.1 * (v[1] - v[0]), v[1] + 0.9 * (v[2] - v[1])


def test_a_band_comes_from_the_kept_draws_as_worked_out_by_hand(tmp_path: Path) -> None:
    final = Recalibration(
        shift={"binary": -0.2, "event": 0.1}, slope={"binary": 0.8, "event": 1.0},
        alpha=None, decay_share=None, questions=1,
        offsets={"author": {"ana": (0.1, 0.05)}, "tag": {"war": (-0.3, 0.0)}}, draws=DRAWS,
    )  # fmt: skip
    members = team.members("ana", ("war",))
    assert final.band(0.3, "binary", members) == pytest.approx(_band_by_hand(0.3), rel=1e-12)
    assert Recalibration(final.shift, final.slope, None, None, 1).band(0.3, "binary") is None
    verdict = team._verdict(None, 0, np.full(25, 0.01), 3)
    content = team.summary(final, verdict, {}, [_scored("a", [0.5] * 3, tags=("war",))],
                           _history(), DAY0)  # fmt: skip
    team.save(content, tmp_path)
    saved = team.load(tmp_path, history=_history())
    assert saved is not None
    assert saved.band(0.3, "binary", "ana", ("war",)) == pytest.approx(
        _band_by_hand(0.3), rel=1e-12
    )  # saved and read back as numbers, not rounded
    low, high = saved.band(0.3, "binary", "ana", ("war",)) or (0, 0)
    assert low < saved.apply(0.3, "binary", "ana", ("war",)) < high
    with pytest.raises(ForecastError, match="only binary and event forecasts are recalibrated"):
        saved.band(0.3, "choice", "ana", ())
    path = tmp_path / "team-recalibration.json"
    broken = json.loads(path.read_text())
    broken["draws"]["tag_shift"] = [[0.1, 0.2]] * 3  # two columns for one tag
    path.write_text(json.dumps(broken))
    with pytest.raises(ForecastError, match=r"is damaged .*draws 'tag_shift' are not one row"):
        team.load(tmp_path, history=_history())


def test_a_changed_resolution_or_version_makes_it_refused_with_what_to_run(
    tmp_path: Path,
) -> None:
    _saved(tmp_path)
    assert team.load(tmp_path / "elsewhere", history=_history()) is None
    with pytest.raises(ForecastError, match=r"is stale \(resolutions changed since .*calibrate"):
        team.load(tmp_path, history=_history("no"))
    path = tmp_path / "team-recalibration.json"
    path.write_text(json.dumps({**json.loads(path.read_text()), "version": "0"}))
    with pytest.raises(ForecastError, match="saved by another version: run `forecast calibrate`"):
        team.load(tmp_path, history=_history())


# --------------------------------------------------------------------------- one fit


def _simulated_team(rng: np.random.Generator, n: int = 300) -> list[team.Scored]:
    """Two authors: "bold" states log-odds three times what the outcomes bear out (a slope
    of 1/3 recalibrates it), "fair" states them right. One outcome per question makes a
    question's gain noisy (its spread is some 0.65 nats where the truth would gain about
    0.1 a question on average), hence so many questions. Each question's forecast stands 12 days;
    its resolution is logged the day after."""
    out = []
    for i in range(n):
        author = "bold" if i % 2 else "fair"
        truth = rng.normal(0.0, 1.5)  # the true log-odds
        stated = 3.0 * truth if author == "bold" else truth
        y = int(rng.random() < _sigmoid(truth))
        forecast = [_sigmoid(stated)] * 12
        out.append(_scored(f"q{i:03d}", forecast, author=author, outcome=y, start=i))
    return out


@pytest.mark.slow
def test_a_fit_finds_the_overconfident_author_and_is_offered() -> None:
    from forecast.learning.sampling import SamplerSettings

    scored = _simulated_team(np.random.default_rng(7))
    settings = SamplerSettings("nutpie", 300, 300, seed=5, progressbar=False)
    final, verdict, figures = team.learn(scored, settings)
    bold = final.line("binary", team.members("bold", ()))
    fair = final.line("binary", team.members("fair", ()))
    # the true slopes are 1/3 and 1 and the shifts 0; pooling pulls both towards each other
    assert 0.25 < bold[1] < 0.5 and 0.8 < fair[1] < 1.1
    assert abs(bold[0]) < 0.3 and abs(fair[0]) < 0.3
    assert verdict.offered and verdict.gain_low is not None and verdict.gain_low > 0
    assert figures["fits"] >= 4 and figures["questions"] >= 250
    # 200 draws kept, evenly over the chains; the band of a bold 90% brackets its mean line
    assert final.draws["shift"].shape == (200, 2) and final.draws["author_slope"].shape == (200, 2)
    members = team.members("bold", ())
    low, high = final.band(0.9, "binary", members) or (1.0, 0.0)
    assert low < float(final.apply(np.array(0.9), "binary", members)) < high
    _, slopes = final.lines("binary", members) or (np.zeros(1), np.zeros(1))
    assert np.mean(slopes) == pytest.approx(bold[1], abs=0.02)  # thinned: near the mean


# --------------------------------------------------------------------------- show


def _cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    from forecast.cli import main

    capsys.readouterr()
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_show_and_list_learned_put_the_recalibrated_forecast_beside_the_stated_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from forecast.api import Tracker
    from forecast.domain import Kind

    monkeypatch.setenv("FORECAST_FITS", str(tmp_path / "fits"))
    now = DAY0 + timedelta(days=30)
    t = Tracker.open(clock=lambda: now, user="ana")
    t.add_question(Question("q", "Q?", Kind.BINARY, DAY0, prior=0.3, tags=("war",)))
    t.add_question(Question("c", "C?", Kind.CHOICE, DAY0, options=(("a", 0.5), ("b", 0.5))))
    db = t.store.url
    code, _, err = _cli(capsys, "--db", db, "show", "q", "--learned")
    assert code == 1 and "forecast calibrate" in err  # nothing learned at all: refused

    final = Recalibration(
        shift={"binary": -0.2, "event": 0.1},
        slope={"binary": 0.8, "event": 1.0},
        alpha=None,
        decay_share=None,
        questions=25,
        offsets={"author": {"ana": (0.1, 0.05)}, "tag": {"war": (-0.3, 0.0)}},
        draws=DRAWS,
    )
    verdict = team._verdict(DAY0, 20, np.full(25, 0.01), 3)
    scored = [_scored("q", [0.3] * 3, tags=("war",))]
    team.save(team.summary(final, verdict, {}, scored, t.history(None), now), tmp_path / "fits")
    code, out, err = _cli(capsys, "--db", db, "show", "q", "--learned", "--json")
    assert code == 0, err
    shown = json.loads(out)
    # no layer-3 fit: the stated trust, saying why, and the recalibration beside it
    assert shown["trust"]["learned"] is False and "forecast calibrate" in shown["trust"]["refused"]
    assert shown["probability"] == pytest.approx(0.3)
    r = shown["recalibrated"]
    shift, slope = -0.2 + 0.1 - 0.3, 0.8 + 0.05
    assert (r["shift"], r["slope"]) == pytest.approx((shift, slope), abs=1e-15)
    assert r["stated"] == pytest.approx(0.3)
    assert r["probability"] == pytest.approx(_sigmoid(shift + slope * _logit(0.3)), rel=1e-12)
    assert (r["author"], r["tags"], r["offered"]) == ("ana", ["war"], True)
    low, high = _band_by_hand(0.3)
    assert r["band"]["prob"] == 0.9
    assert (r["band"]["low"], r["band"]["high"]) == pytest.approx((low, high), rel=1e-12)
    code, out, _ = _cli(capsys, "--db", db, "show", "q", "--learned")
    expected = f"{100 * r['probability']:.1f}%"
    assert code == 0 and (
        f"recalibrated by the team's track record: {expected} (stated 30.0%; 90% band "
        f"{100 * low:.1f}% to {100 * high:.1f}%; log-odds x 0.85 -0.40 for author ana, tag war)"
    ) in out
    code, out, _ = _cli(capsys, "--db", db, "show", "c", "--learned", "--json")
    assert code == 0 and "recalibrated" not in json.loads(out)  # a choice question: not learned
    # the list gives the same value per question, and None for the choice question
    code, out, _ = _cli(capsys, "--db", db, "question", "list", "--learned", "--json")
    listed = {row["id"]: row for row in json.loads(out)}
    assert code == 0 and listed["q"]["recalibrated"] == r and listed["c"]["recalibrated"] is None
    code, out, _ = _cli(capsys, "--db", db, "question", "list", "--learned")
    assert code == 0 and f"30.0% (recalibrated {expected})" in out
    assert "learned trust not used: " in out and "forecast calibrate" in out
    code, out, _ = _cli(capsys, "--db", db, "question", "list", "--json")
    assert "recalibrated" not in json.loads(out)[0]  # only with --learned
    code, out, _ = _cli(capsys, "--db", db, "show", "q", "--json")
    assert "recalibrated" not in json.loads(out)  # only with --learned

    # not offered: said, with no value
    verdict = team._verdict(DAY0, 20, np.full(25, -0.01), 3)
    team.save(team.summary(final, verdict, {}, scored, t.history(None), now), tmp_path / "fits")
    code, out, _ = _cli(capsys, "--db", db, "show", "q", "--learned")
    assert code == 0 and "team recalibration not shown: 3 walk-forward fits from" in out
    assert "not clearly better" in out and "recalibrated by" not in out
    code, out, _ = _cli(capsys, "--db", db, "question", "list", "--learned")
    assert code == 0 and "team recalibration not shown: 3 walk-forward fits from" in out
    assert "(recalibrated" not in out
    code, out, _ = _cli(capsys, "--db", db, "question", "list", "--learned", "--json")
    listed = {row["id"]: row for row in json.loads(out)}
    assert listed["q"]["recalibrated"]["offered"] is False

    # damaged: one line naming it
    path = tmp_path / "fits" / "team-recalibration.json"
    path.write_text(json.dumps({**json.loads(path.read_text()), "classes": None}))
    code, _, err = _cli(capsys, "--db", db, "show", "q", "--learned")
    assert code == 1 and len(err.strip().splitlines()) == 1
    assert "the team recalibration at" in err and "is damaged" in err


def test_scored_questions_come_from_the_track_record_with_their_analysts_shares() -> None:
    """``recalibrated.scored`` reads each resolved binary question's scored days and the
    forecast standing on each from its snapshots, and its analysts' shares of the
    assessments in force when its resolution was logged (a retracted report's assessment
    left out)."""
    from support import Clock

    from forecast import recalibrated, snapshots
    from forecast.api import Tracker
    from forecast.domain import Kind

    clock = Clock(DAY0)
    t = Tracker.open(clock=clock, user="ana")
    t.add_question(Question("q", "Q?", Kind.BINARY, DAY0, prior=0.5, tags=("war",)))
    t.add_source("Wire", 1.0)
    logged = []
    for day, who, lr in ((1, "ivan", 2.0), (2, "ivan", 1.5), (3, "maria", 0.8), (4, "maria", 3)):
        clock.now = DAY0 + timedelta(days=day, hours=12)
        published = DAY0 + timedelta(days=day)
        report, _ = t.add_evidence(
            "q", lr=lr, source="Wire", analyst=who, published=published, title=f"report {day}"
        )
        logged.append(report)
    clock.now = DAY0 + timedelta(days=5, hours=12)
    t.retract_report(logged[3].id, reason="a fake")
    clock.now = DAY0 + timedelta(days=10, hours=9)
    t.resolve("q", "yes", DAY0 + timedelta(days=10))
    snapshots.backfill(t)
    (found,) = recalibrated.scored(t)
    assert (found.question_id, found.kind, found.author, found.tags) == ("q", "binary", "ana",
                                                                        ("war",))  # fmt: skip
    assert found.analysts == pytest.approx({"ivan": 2 / 3, "maria": 1 / 3})
    assert found.outcome == 1 and found.known == DAY0 + timedelta(days=10, hours=9)
    # each scored day's forecast: the odds as known at that day's end (the 4th report
    # counted on its own day, retracted the day after: as it was believed then)
    expected = {1: 2.0, 2: 2.0 * 1.5, 3: 2.0 * 1.5 * 0.8, 4: 2.0 * 1.5 * 0.8 * 3}
    assert len(found.days) >= 6
    for day, value in zip(found.days, found.forecast, strict=True):
        n = int((day - np.datetime64(DAY0.date(), "D")).astype(int))
        odds = expected.get(n, 2.4) if n >= 1 else 1.0
        assert value == pytest.approx(odds / (1 + odds), abs=1e-12), n


def _analysts_team(
    folder: Path, reports: Sequence[tuple[int, str, float]]
) -> tuple[Any, team.TeamRecalibration]:
    """A binary question "q" (prior 0.3, by ana) with one report per (day, analyst, LR) from
    a fully trusted wire, and a recalibration saved in ``folder`` by hand: no class shift,
    slope 1; author ana +0.1; analysts ivan (+0.3, -0.3) and maria (-0.6, +0.6)."""
    from forecast.api import Tracker
    from forecast.domain import Kind

    now = DAY0 + timedelta(days=30)
    t = Tracker.open(clock=lambda: now, user="ana")
    t.add_question(Question("q", "Q?", Kind.BINARY, DAY0, prior=0.3))
    t.add_source("Wire", 1.0)
    for day, who, lr in reports:
        t.add_evidence("q", lr=lr, source="Wire", analyst=who, title=f"r{day}",
                       published=DAY0 + timedelta(days=day))  # fmt: skip
    final = Recalibration(
        shift={"binary": 0.0, "event": 0.0}, slope={"binary": 1.0, "event": 1.0},
        alpha=None, decay_share=None, questions=25,
        offsets={"author": {"ana": (0.1, 0.0)}, "tag": {},
                 "analyst": {"ivan": (0.3, -0.3), "maria": (-0.6, 0.6)}},
    )  # fmt: skip
    verdict = team._verdict(DAY0, 20, np.full(25, 0.01), 3)
    team.save(team.summary(final, verdict, {}, [], t.history(None), now), folder)
    return t, team.load(folder, history=t.history(None))


def test_an_open_questions_analysts_add_their_offsets_beside_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Issue 12, by analyst: an open question's recalibration adds each assessing analyst's
    offsets in proportion to their assessments on it (worked out by hand), and says so."""
    from forecast import recalibrated

    t, saved = _analysts_team(tmp_path, [(1, "ivan", 1.5), (2, "ivan", 1.5), (3, "maria", 1.5)])
    found = recalibrated.beside(t.state("q"), saved)
    assert found is not None and found["analysts"] == pytest.approx({"ivan": 2 / 3, "maria": 1 / 3})
    shift, slope = 0.1 + 2 / 3 * 0.3 - 1 / 3 * 0.6, 1 - 2 / 3 * 0.3 + 1 / 3 * 0.6
    assert (found["shift"], found["slope"]) == pytest.approx((shift, slope), abs=1e-12)
    stated = 0.3 * 1.5**3 / (0.3 * 1.5**3 + 0.7)
    assert found["stated"] == pytest.approx(stated, rel=1e-12)
    assert found["probability"] == pytest.approx(_sigmoid(shift + slope * _logit(stated)))
    from forecast.cli import questions

    line = questions._recalibrated_line(found)
    assert line.endswith("for author ana, analyst ivan 67%, analyst maria 33%)"), line


def test_an_analysts_own_forecast_is_recalibrated_with_their_offset_in_full(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Each analyst's own trajectory (``show --analyst``) is recalibrated too: their own
    stated forecast, with their offsets in full (worked out by hand); an analyst the fit has
    not seen adds none. The CLI gives it in the JSON and the text."""
    from forecast import recalibrated

    fits = tmp_path / "fits"
    monkeypatch.setenv("FORECAST_FITS", str(fits))
    t, saved = _analysts_team(
        fits, [(1, "ivan", 1.5), (2, "ivan", 1.5), (3, "maria", 3.0), (4, "olga", 0.5)]
    )
    found = recalibrated.beside(t.state("q", analyst="maria"), saved, analyst="maria")
    assert found is not None and found["analysts"] == {"maria": 1.0}
    shift, slope = 0.1 - 0.6, 1.0 + 0.6
    assert (found["shift"], found["slope"]) == pytest.approx((shift, slope), abs=1e-12)
    stated = 0.3 * 3.0 / (0.3 * 3.0 + 0.7)  # her one report
    assert found["stated"] == pytest.approx(stated, rel=1e-12)
    assert found["probability"] == pytest.approx(_sigmoid(shift + slope * _logit(stated)))
    unseen = recalibrated.beside(t.state("q", analyst="olga"), saved, analyst="olga")
    olga = 0.3 * 0.5 / (0.3 * 0.5 + 0.7)
    assert unseen is not None and (unseen["shift"], unseen["slope"]) == (0.1, 1.0)
    assert unseen["probability"] == pytest.approx(_sigmoid(0.1 + _logit(olga)), rel=1e-12)

    db = t.store.url
    code, out, err = _cli(capsys, "--db", db, "show", "q", "--analyst", "maria", "--learned",
                          "--json")  # fmt: skip
    assert code == 0, err
    assert json.loads(out)["recalibrated"] == found  # (JSON keeps a float exactly)
    code, out, _ = _cli(capsys, "--db", db, "show", "q", "--analyst", "maria", "--learned")
    assert code == 0 and (
        f"recalibrated by the team's track record: {100 * found['probability']:.1f}% "
        f"(stated {100 * stated:.1f}%; log-odds x 1.60 -0.50 for author ana, analyst maria 100%)"
    ) in out


def test_a_resolved_question_gets_no_recalibration(tmp_path: Path) -> None:
    """Its outcome is known: there is nothing left to read its forecast for."""
    from forecast import recalibrated
    from forecast.api import Tracker
    from forecast.domain import Kind

    now = DAY0 + timedelta(days=30)
    t = Tracker.open(clock=lambda: now, user="ana")
    t.add_question(Question("q", "Q?", Kind.BINARY, DAY0, prior=0.3))
    final = _plain(1.0)
    verdict = team._verdict(DAY0, 20, np.full(25, 0.01), 3)
    team.save(team.summary(final, verdict, {}, [], t.history(None), now), tmp_path)
    saved = team.load(tmp_path, history=t.history(None))
    found = recalibrated.beside(t.state("q"), saved)
    assert found is not None and found["probability"] == pytest.approx(_sigmoid(1 + _logit(0.3)))
    t.resolve("q", "yes", DAY0 + timedelta(days=20))  # (the saved one is now stale too)
    assert recalibrated.beside(t.state("q"), saved) is None
