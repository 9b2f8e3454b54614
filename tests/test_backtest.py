"""The backtest: classification, replay on calendar days, training rows, scores, the run.

Synthetic ForecastBench-format files keep these tests small and independent of the real
data; ``benchmarks/bench_backtest.py`` runs the real ForecastBench folder.
"""

from __future__ import annotations

import dataclasses
import json
import math
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pytest

from forecast import backtest as bt
from forecast.domain import ForecastError
from forecast.learning.model import SamplerSettings

LABELS = Path(__file__).resolve().parent / "data" / "event_labels.csv"
TINY = SamplerSettings(draws=100, tune=100, chains=2, seed=1)


# --------------------------------------------------------------------------- classification


@pytest.mark.parametrize(
    ("title", "kind"),
    [
        ("Will Bitcoin reach $140,000 by December 31, 2025?", "event"),
        ("Will the U.S. invade Afghanistan in 2025?", "event"),
        ("Will Russia test a nuclear device before January 1, 2026?", "event"),
        ("NATO article 5 in 2025?", "event"),
        ("Will Elon Musk step down from being Tesla CEO by the end of 2025?", "event"),
        ("Will Wagner Moura win Best Actor at the 98th Academy Awards?", "state"),
        ("Will Elon Musk be the world's richest person on December 31, 2025?", "state"),
        ("Will Anthropic have the best AI model at the end of March 2026?", "state"),
        ("Will Putin remain President of Russia through 2024?", "state"),
        ("Fed increases interest rates by 25+ bps after January 2026 meeting?", "state"),
        ("", "unknown"),
        (None, "unknown"),
    ],
)
def test_classify(title: str | None, kind: str) -> None:
    assert bt.classify(title) == kind


def test_classification_against_hand_labels(report_figure) -> None:
    """60 questions drawn at random from the ForecastBench set and labelled by hand."""
    m = bt.measure_classifier(LABELS)
    report_figure(
        f"event classifier on {m['labelled']} hand-labelled questions: precision "
        f"{m['precision']:.2f}, recall {m['recall']:.2f}"
    )
    assert m["labelled"] == 60
    assert m["precision"] >= 0.85 and m["recall"] >= 0.75


# --------------------------------------------------------------------------- synthetic data

EPOCH = date(2025, 1, 1)
PLATFORMS = ("polymarket", "manifold", "metaculus")  # the synthetic questions', in turn


def _write(tmp: Path, n: int = 130, seed: int = 3) -> tuple[Path, Path]:
    """n resolved questions, half of them event questions whose YES can come early."""
    import pandas as pd

    rng = np.random.default_rng(seed)
    letters = np.random.default_rng(seed + 1)  # apart, so the numbers stay as they were

    def subject() -> str:  # unrelated questions: texts that do not read alike
        return " ".join("".join(letters.choice(list("abcdefghijklmnopqrstuvwxyz"), 7))
                        for _ in range(4))  # fmt: skip

    questions, series = [], []
    for i in range(n):
        start = EPOCH + timedelta(days=int(i * 2))
        close = start + timedelta(days=int(rng.integers(30, 90)))
        event = i % 2 == 0
        p0 = float(rng.uniform(0.05, 0.6))
        yes = rng.random() < p0
        resolved = (
            start + timedelta(days=int(rng.integers(5, (close - start).days)))
            if yes and event
            else close
        )
        title = (
            f"Will {subject()} happen by {close:%B %d, %Y}?"
            if event
            else f"Will {subject()} win the 2025 cup?"
        )
        questions.append(
            {
                "qid": f"q{i:03d}",
                "source": PLATFORMS[i % 3],
                "question": title,
                "outcome": float(yes),
                "close_datetime": f"{close.isoformat()}T00:00:00Z",
                "effective_resolution_date": resolved.isoformat(),
            }
        )
        days = (resolved - start).days + 3  # series run a little past the resolution
        drift = np.linspace(0, 1, days) ** 2 * (0.9 if yes else -0.9)
        probs = np.clip(
            p0 * (1 - np.linspace(0, 1, days) * event * (not yes))
            + drift * 0.5
            + rng.normal(0, 0.02, days),
            0.01,
            0.99,
        )
        series += [
            {"qid": f"q{i:03d}", "date": (start + timedelta(days=d)).isoformat(), "prob": float(p)}
            for d, p in enumerate(probs)
            if rng.random() < 0.9
        ]
    questions.append(
        {
            "qid": "no-series",
            "source": None,
            "question": "x",
            "outcome": 0.0,
            "close_datetime": None,
            "effective_resolution_date": "2025-06-01",
        }
    )
    qp, sp = tmp / "questions.parquet", tmp / "timeseries.parquet"
    pd.DataFrame(questions).to_parquet(qp)
    pd.DataFrame(series).to_parquet(sp)
    return qp, sp


@pytest.fixture(scope="session")
def files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return _write(tmp_path_factory.mktemp("forecastbench"))


@pytest.fixture(scope="session")
def report(files: tuple[Path, Path]) -> bt.Report:
    """With offsets by platform (not the default): the command's test fits without them."""
    return bt.run(*files, refit_days=45, settings=TINY, by_platform=True)


# --------------------------------------------------------------------------- replay


def test_update_days_follow_a_fixed_calendar() -> None:
    epoch = int(np.datetime64(bt.EPOCH, "D").astype(np.int64))
    days = bt.update_days(epoch + 3, epoch + 30, 7)
    assert days.tolist() == [epoch + 3, epoch + 7, epoch + 14, epoch + 21, epoch + 28]
    assert bt.update_days(epoch, epoch, 7).tolist() == [epoch]


def test_replay_scores_tracked_unresolved_days_only(files: tuple[Path, Path]) -> None:
    questions = bt.load(*files)
    assert len(questions) == 130  # the question without a series is left out
    days = bt.replay(questions, 7)
    for i, q in enumerate(questions[:20]):
        mine = days.day[days.question == i]
        assert mine.min() == q.obs_day[0] and mine.max() <= min(q.obs_day[-1], q.resolved - 1)
        assert np.all(np.diff(mine) == 1)  # every calendar day, none chosen
        held = days.held[days.question == i]
        update = mine - days.elapsed[days.question == i]
        assert np.all(days.elapsed[days.question == i] < 7)
        assert held == pytest.approx(bt.value_on(q, update))
        assert days.fresh[days.question == i] == pytest.approx(bt.value_on(q, mine))


def test_scored_days_do_not_look_at_the_outcome(files: tuple[Path, Path]) -> None:
    """Only the resolution date bounds the days; the outcome never enters the replay."""
    from dataclasses import replace

    questions = bt.load(*files)
    flipped = [replace(q, outcome=1 - q.outcome) for q in questions]
    a, b = bt.replay(questions, 7), bt.replay(flipped, 7)
    assert np.array_equal(a.day, b.day) and np.array_equal(a.held, b.held)


def test_training_rows_weigh_each_question_once(files: tuple[Path, Path]) -> None:
    questions = bt.load(*files)
    days = bt.replay(questions, 7)
    outcome = np.array([q.outcome for q in questions])
    seen = np.zeros(len(questions), dtype=bool)
    seen[:60] = True
    rows = bt.training_rows(days, seen, outcome)
    total = rows.weight.sum() + rows.held_weight.sum()
    assert total == pytest.approx(60)  # no day is dropped: past a close it is held
    assert np.all(rows.elapsed < rows.horizon) and np.all(rows.horizon > 0)
    assert set(np.unique(rows.held_kind)) <= {0.0, 1.0}


def test_past_a_close_every_method_holds_and_none_reaches_zero() -> None:
    """Issue 12: the days from an event question's close to its (late) resolution are
    held, never decayed to zero and then restored by the next update."""
    start = int(np.datetime64("2024-01-01", "D").astype(np.int64))
    late = bt.Tracked(
        qid="late", kind="event", outcome=0, resolved=start + 60, close=float(start + 30),
        obs_day=np.arange(start, start + 61), obs_p=np.linspace(0.4, 0.2, 61),
    )  # fmt: skip
    days = bt.replay([late], 7)
    past = days.day >= late.close
    assert past.sum() == 30 - 1 + 1  # from the close day to the day before resolution
    fc = bt.forecasts(days, lambda d: d.held)
    assert np.array_equal(fc["decay"][past], fc["hold"][past])
    assert np.all(fc["decay"] > 0)
    assert np.array_equal(bt.decaying(days), ~past)
    before = ~past & (days.elapsed > 0)
    assert np.all(fc["decay"][before] < fc["hold"][before])  # it decays up to the close
    rows = bt.training_rows(days, np.array([True]), np.array([0]))
    assert rows.weight.sum() + rows.held_weight.sum() == pytest.approx(1.0)
    assert len(rows.horizon) == int((~past).sum())


def test_decay_only_touches_event_questions(files: tuple[Path, Path]) -> None:
    questions = bt.load(*files)
    days = bt.replay(questions, 7)
    fc = bt.forecasts(days, lambda d: d.held)
    same = ~days.event
    assert np.array_equal(fc["decay"][same], fc["hold"][same])
    assert np.all(fc["decay"][days.event] <= fc["hold"][days.event] + 1e-12)
    fresh_update = days.event & (days.elapsed == 0)
    assert fc["decay"][fresh_update] == pytest.approx(fc["hold"][fresh_update])


# --------------------------------------------------------------------------- the run


def test_run_reports_every_method_with_intervals(report: bt.Report) -> None:
    assert [g.name for g in report.groups] == ["all", "event"]
    assert report.kinds["event"] > 0 and report.kinds["state"] > 0
    assert len(report.fits) >= 2
    assert all(f.questions >= bt.MIN_TRAIN for f in report.fits)
    assert all(a.day < b.day for a, b in zip(report.fits, report.fits[1:], strict=False))
    for g in report.groups:
        for rule in (g.brier, g.log):
            for m in bt.METHODS:
                s = rule[m]
                assert s.low <= s.mean <= s.high
                assert s.diff_low <= s.diff <= s.diff_high
            assert rule["hold"].diff == 0.0
    text = bt.table(report)
    for label in bt.LABELS.values():
        assert label in text
    assert "ForecastBench" in text and "CC BY-SA 4.0" in text
    for g in report.groups:  # the learned method's most influential cluster, both weightings
        for weighting, line in (("per_question", "per question"), ("by_day", "by scored days")):
            found = g.influence[weighting]
            assert f"(c)'s most influential, {line}: {found.describe()}" in text
            assert report.to_json()["groups"][report.groups.index(g)]["influence"][weighting][
                "days"
            ] == found.days
    tuning = report.to_json()["tuning"]
    assert tuning["chosen"] in tuning["brier"] and tuning["end"] < report.to_json()["scored_from"]
    json.dumps(report.to_json())


def test_every_scored_day_of_the_learned_method_comes_after_its_fit(
    files: tuple[Path, Path],
) -> None:
    """Walk-forward: a day is scored with a fit on questions resolved before the fit."""
    questions = bt.load(*files)
    days = bt.replay(questions, 7)
    fits, learned = bt.walk_forward(questions, days, 45, TINY)
    first = fits[0].day
    assert np.all(np.isnan(learned[days.day < first]))
    assert np.all(np.isfinite(learned[days.day >= first]))
    resolved = np.array([q.resolved for q in questions])
    for f in fits:
        assert f.questions == int((resolved < f.day).sum())
        assert f.offsets == {}  # by default by class alone (bt.BY_PLATFORM)


def test_scores_use_the_project_scoring_rules() -> None:
    y = np.array([1, 0, 1])
    p = np.array([0.9, 0.2, 1e-9])
    assert bt.log_scores(y, p) == pytest.approx(
        [-math.log(0.9), -math.log(0.8), -math.log(bt.LOG_EPS)]
    )


def test_backtest_command(
    files: tuple[Path, Path], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from forecast.cli import main

    real = bt.run
    monkeypatch.setattr(bt, "run", lambda *a, **k: real(*a, **{**k, "settings": TINY}))
    assert main(["backtest", *map(str, files), "--cadence", "14", "--refit", "45", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["cadence"] == 14 and out["groups"][0]["name"] == "all"
    assert set(out["groups"][0]["brier"]) == set(bt.METHODS)
    assert all(f["offsets"] == {} for f in out["fits"])  # no platform offsets by default


def test_backtest_errors_are_one_line(
    tmp_path: Path, files: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    from forecast.cli import main

    assert main(["backtest", str(tmp_path / "missing.parquet"), str(files[1])]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: cannot read") and len(err.strip().splitlines()) == 1
    assert main(["backtest", str(files[1]), str(files[1])]) == 1
    assert "lacks the column" in capsys.readouterr().err
    assert main(["backtest", *map(str, files), "--cadence", "0"]) == 1
    assert "--cadence" in capsys.readouterr().err
    with pytest.raises(ForecastError, match="at least 100"):
        bt.refit_schedule(bt.load(*files)[:50], bt.replay(bt.load(*files)[:50], 7), 30)


@pytest.mark.parametrize("outcome", [float("nan"), 0.5, 2.0])
def test_an_outcome_other_than_0_or_1_gets_one_line(
    files: tuple[Path, Path], tmp_path: Path, outcome: float, capsys: pytest.CaptureFixture[str]
) -> None:
    import pandas as pd

    from forecast.cli import main

    questions = pd.read_parquet(files[0])
    questions.loc[0, "outcome"] = outcome
    path = tmp_path / "questions.parquet"
    questions.to_parquet(path)
    assert main(["backtest", str(path), str(files[1])]) == 1
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1
    assert f"question 'q000' has outcome {outcome!r}" in err
    assert "the backtest replays questions resolved 0 or 1" in err


def _group(
    name: str, learned: tuple[float, float, float], by_day: tuple[float, float, float]
) -> bt.Group:
    def scores(diff: float, low: float, high: float) -> dict[str, bt.Score]:
        table = {m: bt.Score(0.05, 0.04, 0.06, 0.0, 0.0, 0.0) for m in bt.METHODS}
        table["learned"] = bt.Score(0.05 + diff, 0.04, 0.06, diff, low, high)
        return table

    return bt.Group(name, 10, 100, scores(*learned), scores(*learned), scores(*by_day))


WINS, NOISE, WORSE = (-0.0030, -0.0050, -0.0010), (-0.0010, -0.0030, 0.0010), (0.001, 0.0002, 0.002)


@pytest.mark.parametrize(
    ("event", "event_by_day", "every", "expected"),
    [
        (
            WINS, WINS, NOISE,
            "on event questions the learned method beats holding (-0.0030 [-0.0050, -0.0010]) "
            "per question and beats holding (-0.0030 [-0.0050, -0.0010]) weighted by scored "
            "days; on all questions it is neither clearly better nor worse than holding "
            "(-0.0010 [-0.0030, +0.0010]). At a 7-day cadence, learning recalibration and "
            "decay from resolved questions pays on event questions.",
        ),
        (  # better per question, within the noise by day: not shown under both
            WINS, NOISE, NOISE,
            "on event questions the learned method beats holding (-0.0030 [-0.0050, -0.0010]) "
            "per question and is neither clearly better nor worse than holding (-0.0010 "
            "[-0.0030, +0.0010]) weighted by scored days; on all questions it is neither "
            "clearly better nor worse than holding (-0.0010 [-0.0030, +0.0010]). At a 7-day "
            "cadence, hold the stated forecasts: learning has not shown it helps under both "
            "weightings.",
        ),
        (  # better on events but worse overall
            WINS, WINS, WORSE,
            "on event questions the learned method beats holding (-0.0030 [-0.0050, -0.0010]) "
            "per question and beats holding (-0.0030 [-0.0050, -0.0010]) weighted by scored "
            "days; on all questions it does worse than holding (+0.0010 [+0.0002, +0.0020]). "
            "At a 7-day cadence, hold the stated forecasts: learning has not shown it helps "
            "under both weightings.",
        ),
    ],
)  # fmt: skip
def test_the_verdict_reads_the_intervals(
    event: tuple[float, float, float],
    event_by_day: tuple[float, float, float],
    every: tuple[float, float, float],
    expected: str,
) -> None:
    groups = [_group("all", every, every), _group("event", event, event_by_day)]
    report = bt.Report(7, 60, 10, {}, {}, [], groups, 0)
    assert bt.verdict(report) == expected


def test_the_table_ends_with_the_verdict(report: bt.Report) -> None:
    assert bt.table(report).splitlines()[-1] == f"Verdict: {bt.verdict(report)}"
    assert report.to_json()["verdict"] == bt.verdict(report)


def test_question_day_weights_give_the_mean_over_every_scored_day(
    files: tuple[Path, Path],
) -> None:
    """Weighted by scored days, a method's mean is its plain mean over question-days."""
    from forecast import scoring

    questions = bt.load(*files)
    days = bt.replay(questions, 7)
    fc = bt.forecasts(days, lambda d: d.held)
    outcome = np.array([q.outcome for q in questions])
    mask = np.ones(len(days.day), dtype=bool)
    g = bt.score_group("all", days, fc, outcome, mask, np.random.default_rng(0))
    y = outcome[days.question]
    for m in ("hold", "decay"):
        assert g.brier_by_day[m].mean == pytest.approx(scoring.brier(y, fc[m]).mean(), rel=1e-12)
    gap = scoring.brier(y, fc["decay"]) - scoring.brier(y, fc["hold"])
    assert g.brier_by_day["decay"].diff == pytest.approx(gap.mean(), abs=1e-15)
    s = g.brier_by_day["decay"]
    assert s.diff_low <= s.diff <= s.diff_high
    # and the question-weighted mean is the mean of per-question time averages
    per_q = [scoring.brier(y[days.question == i], fc["hold"][days.question == i]).mean()
             for i in np.unique(days.question)]  # fmt: skip
    assert g.brier["hold"].mean == pytest.approx(np.mean(per_q), rel=1e-12)


def test_related_questions_form_one_cluster() -> None:
    texts = [
        "Will Kate Hudson win Best Actress at the 98th Academy Awards?",
        None,  # no text: a cluster of its own
        "Will Cynthia Erivo win Best Actress at the 98th Academy Awards?",
        "Will Bitcoin dip to $80,000 in March?",
        "Will Bitcoin dip to $70,000 in April?",
        "Will it rain in Paris on 14 July?",
    ]
    c = bt.clusters(texts)
    assert c[0] == c[2] and c[3] == c[4]
    assert len({c[0], c[1], c[3], c[5]}) == 4


def test_a_cluster_bootstrap_draws_related_questions_together() -> None:
    """Two questions of one cluster are drawn the same number of times in every resample;
    a bootstrap over clusters of one question each is the plain one."""
    from forecast.backtest.scores import BOOTSTRAP, _resample

    times = _resample(np.random.default_rng(1), np.array([7, 7, 3, 9]), 4)
    assert times.shape == (BOOTSTRAP, 4)
    assert np.array_equal(times[:, 0], times[:, 1])
    assert np.all(times[:, 0] + times[:, 2] + times[:, 3] == 3)  # three clusters drawn
    plain = _resample(np.random.default_rng(1), None, 4)
    assert np.array_equal(plain.sum(axis=1), np.full(BOOTSTRAP, 4.0))
    # one cluster per question draws exactly as the plain bootstrap does
    assert np.array_equal(_resample(np.random.default_rng(1), np.arange(4), 4), plain)


def test_clustering_widens_the_interval_of_related_questions(files: tuple[Path, Path]) -> None:
    """Ten copies of a question counted as ten independent ones understate the noise: the
    cluster bootstrap over copies gives the interval of the thirteen questions themselves."""
    questions = bt.load(*files)[:13] * 10  # each question ten times
    days = bt.replay(questions, 7)
    fc = bt.forecasts(days, lambda d: d.held)
    outcome = np.array([q.outcome for q in questions])
    mask = np.ones(len(days.day), dtype=bool)
    alone = np.arange(len(questions))
    copies = alone % 13
    a = bt.score_group("all", days, fc, outcome, mask, np.random.default_rng(0), alone)
    b = bt.score_group("all", days, fc, outcome, mask, np.random.default_rng(0), copies)
    assert a.brier["hold"].mean == pytest.approx(b.brier["hold"].mean, rel=1e-12)
    width = {k: g.brier["hold"].high - g.brier["hold"].low for k, g in (("a", a), ("b", b))}
    assert width["b"] > 2 * width["a"]  # about sqrt(10) wider


def test_the_most_influential_cluster_is_left_out_by_hand() -> None:
    """Leave one cluster out, by hand: gaps -1, -1, +2 against holding. Per question the
    mean gap is 0; without question 2 it is -1 (a move of 1), without question 0 or 1 it is
    +0.5 (0.5): question 2. Weighted 10, 1, 1 the mean is -9/12 = -0.75; without question 0
    it is +0.5 (1.25), without 1 -8/11 (0.02), without 2 -1 (0.25): question 0. With a
    fourth question of gap +0.5 and questions 0 and 1 one cluster, the mean is 0.125;
    without the pair it is 1.25 (1.125), without question 2 -0.5 (0.625), without 3 0."""
    from forecast.backtest.scores import _resample, most_influential

    hold = np.array([0.10, 0.20, 0.30])
    learned = hold + np.array([-1.0, -1.0, 2.0])
    alone = np.arange(3)
    drawn = _resample(np.random.default_rng(0), alone, 3)
    out, without = most_influential(learned, hold, alone, None, drawn)
    assert out.tolist() == [2] and without.diff == pytest.approx(-1.0, abs=1e-15)
    assert without.mean == pytest.approx(0.5 * (0.10 - 1.0 + 0.20 - 1.0), abs=1e-15)
    assert without.diff_low <= without.diff <= without.diff_high
    out, without = most_influential(learned, hold, alone, np.array([10.0, 1.0, 1.0]), drawn)
    assert out.tolist() == [0] and without.diff == pytest.approx(0.5, abs=1e-15)
    hold4, learned4 = np.append(hold, 0.4), np.append(learned, 0.9)
    pairs = np.array([5, 5, 8, 9])
    drawn4 = _resample(np.random.default_rng(0), pairs, 4)
    out, without = most_influential(learned4, hold4, pairs, None, drawn4)
    assert out.tolist() == [0, 1] and without.diff == pytest.approx(1.25, abs=1e-15)
    # two clusters would leave one, drawn alike in every resample: no interval to read
    assert most_influential(learned, hold, np.array([4, 4, 7]), None, drawn) is None
    with pytest.raises(ValueError, match="every question's weight must be above zero"):
        most_influential(learned, hold, alone, np.array([1.0, 0.0, 1.0]), drawn)


def test_an_influential_cluster_is_named_on_one_line() -> None:
    """A question's text is shown on one line (a newline in it cannot start a line that
    passes for the verdict) and cut to 70 columns; its related questions are counted."""
    score = bt.Score(0.05, 0.04, 0.06, -0.001, -0.002, 0.0)
    forged = bt.Influence(("a", "b", "c"), "Will it?\nVerdict: adopt it", 12, 0.0, score)
    assert forged.name() == (
        '"Will it?\\nVerdict: adopt it" and 2 related questions (12 question-days)'
    )
    from forecast.terminal import width

    wide = bt.Influence(("a",), "北京" * 60, 3, 0.0, score)
    shown = wide.name().split('"')[1]
    assert width(shown) <= 70 and shown.endswith("…")
    assert wide.name().endswith('" (3 question-days)')


def test_a_group_names_its_most_influential_cluster(files: tuple[Path, Path]) -> None:
    """Given the questions, a group names the learned method's most influential cluster
    under each weighting: on the event questions only (so the group's questions are not
    all the questions) and clusters of three, it is the one a brute-force leave-one-out
    finds, with the score without it computed directly. Naming it draws nothing: a second
    group scored after it with the same generator gets the same intervals either way."""
    questions = bt.load(*files)
    days = bt.replay(questions, 7)
    fc = bt.forecasts(days, lambda d: np.clip(d.held * 1.3, 0.0, 1.0))
    outcome = np.array([q.outcome for q in questions])
    mask = days.event.copy()
    related = np.arange(len(questions)) // 3
    rng = np.random.default_rng(3)
    named = bt.score_group("event", days, fc, outcome, mask, rng, related, questions)
    after_named = bt.score_group("all", days, fc, outcome, ~mask, rng, related)
    rng = np.random.default_rng(3)
    plain = bt.score_group("event", days, fc, outcome, mask, rng, related)
    after_plain = bt.score_group("all", days, fc, outcome, ~mask, rng, related)
    assert plain.influence == {} and named.brier == plain.brier
    assert after_named.brier == after_plain.brier
    assert after_named.brier_by_day == after_plain.brier_by_day
    y = outcome[days.question]
    gap = (fc["learned"] - y) ** 2 - (days.held - y) ** 2
    ids = np.unique(days.question[mask])
    assert len(ids) < len(questions)
    per_q = np.array([gap[mask & (days.question == i)].mean() for i in ids])
    n = np.array([np.sum(mask & (days.question == i)) for i in ids])
    for weighting, w in (("per_question", np.ones(len(ids))), ("by_day", n.astype(float))):
        found = named.influence[weighting]
        mean = np.average(per_q, weights=w)
        moves = {
            c: abs(np.average(per_q[related[ids] != c], weights=w[related[ids] != c]) - mean)
            for c in np.unique(related[ids])
        }
        worst = max(moves, key=lambda c: (moves[c], -c))
        members = ids[related[ids] == worst]
        assert found.qids == tuple(questions[i].qid for i in members)
        assert found.text == (questions[members[0]].text or questions[members[0]].qid)
        assert found.days == int(np.sum(mask & np.isin(days.question, members)))
        keep = related[ids] != worst
        assert found.without.diff == pytest.approx(np.average(per_q[keep], weights=w[keep]))
        assert found.without.diff_low <= found.without.diff <= found.without.diff_high
        assert found.diff == pytest.approx(mean, rel=1e-12)
    assert named.to_json()["influence"]["by_day"]["qids"] == list(named.influence["by_day"].qids)


def _resting(without: tuple[float, float, float]) -> bt.Influence:
    diff, low, high = without
    return bt.Influence(
        ("q7",), "Will a long question decide it?", 345, -0.0010,
        bt.Score(0.05, 0.04, 0.06, diff, low, high),
    )  # fmt: skip


def test_the_verdict_says_when_one_cluster_decides_it() -> None:
    """Where leaving the most influential cluster out changes how the interval reads, the
    verdict says so, with the score without it; where it does not, it says nothing more."""
    every = _group("all", NOISE, NOISE)
    event = _group("event", WINS, NOISE)
    resting = dataclasses.replace(event, influence={"by_day": _resting(WINS)})
    report = bt.Report(7, 60, 10, {}, {}, [], [every, resting], 0)
    assert bt.verdict(report).endswith(
        "hold the stated forecasts: learning has not shown it helps under both weightings. "
        "By scored days, that reading rests on one cluster of related questions: without "
        '"Will a long question decide it?" (345 question-days), the learned method beats '
        "holding (-0.0030 [-0.0050, -0.0010])."
    )
    steady = dataclasses.replace(event, influence={"by_day": _resting(NOISE)})
    plain = bt.Report(7, 60, 10, {}, {}, [], [every, event], 0)
    assert bt.verdict(bt.Report(7, 60, 10, {}, {}, [], [every, steady], 0)) == bt.verdict(plain)
    assert bt.verdict(plain).endswith("under both weightings.")


# --------------------------------------------------------------------------- tuning (b)

MONDAY = int(np.datetime64("2024-01-01", "D").astype(np.int64))  # bt.EPOCH: an update day
WINDOW = MONDAY + 30  # the scored window opens here; the days before are the tuning period


def _constant(qid: str, start: int, p: float, outcome: int, resolved: int) -> bt.Tracked:
    """An event question read daily at ``p`` from ``start`` (an update day) until it
    resolves, closing 14 days after ``start``."""
    return bt.Tracked(
        qid=qid, kind="event", outcome=outcome, resolved=resolved, close=float(start + 14),
        obs_day=np.arange(start, min(resolved, start + 15)),
        obs_p=np.full(min(resolved, start + 15) - start, p),
    )  # fmt: skip


def _lomax(p: float, horizon: float, elapsed: float, alpha: float | None) -> float:
    """Layer 2's decay written out: P(by the deadline | ``elapsed`` silent days) when it was
    ``p`` with ``horizon`` days to go, for a Gamma(alpha) rate; None holds."""
    if alpha is None:
        return p
    b = horizon / ((1 - p) ** (-1 / alpha) - 1)
    return 1 - ((b + elapsed) / (b + horizon)) ** alpha


def _weekly(n: int) -> list[tuple[int, int]]:
    """(horizon, elapsed) of the first ``n`` days from an update day 14 days before a close,
    for a weekly team: 14 days ahead for a week, then 7."""
    return [(14 - 7 * (d // 7), d % 7) for d in range(n)]


TUNING = [  # three NO questions read at 0.5, one YES read at 0.7 that happens on day 10
    *(_constant(f"no{i}", MONDAY, 0.5, 0, MONDAY + 15) for i in range(3)),
    _constant("yes", MONDAY, 0.7, 1, MONDAY + 10),
]
LATER = _constant("later", MONDAY + 35, 0.4, 0, MONDAY + 50)  # in the scored window


def _fit(day: int) -> bt.Fit:
    flat = {"event": 0.0, "state": 0.0}
    return bt.Fit(day, 4, flat, {"event": 1.0, "state": 1.0}, 1.0, 1.0)


def test_decay_alpha_is_chosen_on_the_tuning_period_and_used_in_the_window() -> None:
    questions = [*TUNING, LATER]
    days = bt.replay(questions, 7)
    # by hand: a NO question's 14 decaying days (the 15th is its close: held, not tuned on),
    # the YES question's 10 days, each question's time average, then their mean
    hand = {}
    for alpha in (0.5, 1.0, 2.0, 5.0, 20.0, None):
        no = sum(_lomax(0.5, h, e, alpha) ** 2 for h, e in _weekly(14)) / 14
        yes = sum((1 - _lomax(0.7, h, e, alpha)) ** 2 for h, e in _weekly(10)) / 10
        hand["hold" if alpha is None else f"{alpha:g}"] = (3 * no + yes) / 4
    assert min(hand, key=hand.__getitem__) == "2"  # neither the default nor an end
    assert hand["hold"] == pytest.approx(0.21) and hand["2"] == pytest.approx(0.14728, abs=1e-5)

    report = bt.assess(questions, days, [_fit(WINDOW)], days.held.copy(), seed=0)
    t = report.tuning
    assert t is not None and (t.chosen, t.alpha, t.reason) == ("2", 2.0, "lowest")
    assert t.questions == 4 and t.brier == pytest.approx(hand, rel=1e-12)
    # (b) on the window: the later question decayed with alpha 2 (its close day held)
    window = [_lomax(0.4, h, e, 2.0) ** 2 for h, e in _weekly(14)] + [0.4**2]
    default = [_lomax(0.4, h, e, 1.0) ** 2 for h, e in _weekly(14)] + [0.4**2]
    event = report.groups[1]
    assert event.questions == 1 and event.days == 15
    assert event.brier["decay"].mean == pytest.approx(np.mean(window), rel=1e-12)
    assert abs(np.mean(window) - np.mean(default)) > 1e-3  # alpha 1 would read otherwise

    out = report.to_json()
    assert out["tuning"] == {
        "end": "2024-01-30", "questions": 4, "brier": pytest.approx(hand, rel=1e-12),
        "chosen": "2", "reason": "lowest",
    }  # fmt: skip
    lines = bt.table(report).splitlines()
    line = next(s for s in lines if s.startswith("(b) "))
    assert line.startswith(
        "(b) decays with alpha 2, the lowest mean Brier on the 4 event questions resolved by "
        "2024-01-30, on their decaying days (0.5 0.15221, 1 0.14774, 2 0.14728,"
    )
    assert lines.index(line) < len(lines) - 1 and lines[-1].startswith("Verdict: ")


@pytest.mark.parametrize("resolved", [WINDOW, WINDOW + 5], ids=["window start", "after"])
def test_a_question_resolved_from_the_window_on_never_tunes(resolved: int) -> None:
    """Its days before the window decay, but its outcome is not known when the window
    opens: flipping it moves nothing. Resolved the day before, it would count."""
    from dataclasses import replace

    late = _constant("late", MONDAY + 21, 0.6, 1, resolved)
    base = bt.tune_decay([*TUNING, late], bt.replay([*TUNING, late], 7), WINDOW)
    flipped = [*TUNING, replace(late, outcome=0)]
    moved = bt.tune_decay(flipped, bt.replay(flipped, 7), WINDOW)
    assert base.questions == moved.questions == 4
    assert base.brier == moved.brier and base.chosen == moved.chosen == "2"
    before = _constant("before", MONDAY + 21, 0.6, 1, WINDOW - 1)
    counted = [bt.tune_decay(qs, bt.replay(qs, 7), WINDOW) for qs in
               ([*TUNING, before], [*TUNING, replace(before, outcome=0)])]  # fmt: skip
    assert counted[0].questions == 5 and counted[0].brier["2"] != counted[1].brier["2"]


def test_no_question_to_tune_on_keeps_the_default_alpha_and_says_so() -> None:
    days = bt.replay([LATER], 7)
    report = bt.assess([LATER], days, [_fit(WINDOW)], days.held.copy())
    t = report.tuning
    assert t is not None and (t.chosen, t.alpha, t.reason) == ("1", 1.0, "no questions")
    assert t.questions == 0 and t.brier == dict.fromkeys(["0.5", "1", "2", "5", "20", "hold"])
    line = (
        "(b) decays with the default alpha 1: no event question resolved by 2024-01-30 to "
        "tune it on"
    )
    assert line in bt.table(report).splitlines()
    default = [_lomax(0.4, h, e, 1.0) ** 2 for h, e in _weekly(14)] + [0.4**2]
    assert report.groups[1].brier["decay"].mean == pytest.approx(np.mean(default), rel=1e-12)
    json.dumps(report.to_json()["tuning"], allow_nan=False)  # null figures, not NaN


def test_candidates_that_tie_keep_the_default_alpha() -> None:
    """A team that updates daily holds nothing for a day: every candidate scores as holding."""
    t = bt.tune_decay(TUNING, bt.replay(TUNING, 1), WINDOW)
    assert (t.chosen, t.alpha, t.reason, t.questions) == ("1", 1.0, "tie", 4)
    assert t.brier["hold"] == pytest.approx((3 * 0.25 + 0.09) / 4)
    assert t.describe().startswith("(b) decays with the default alpha 1: the lowest candidates tie")


# --------------------------------------------------------------------------- platforms


def test_the_platform_is_read_from_the_source_column(
    files: tuple[Path, Path], tmp_path: Path
) -> None:
    import pandas as pd

    questions = bt.load(*files)
    assert [q.platform for q in questions[:4]] == [
        "polymarket", "manifold", "metaculus", "polymarket",
    ]  # fmt: skip
    frame = pd.read_parquet(files[0])
    frame.loc[1, "source"] = None
    frame.loc[2, "source"] = "  "
    some = tmp_path / "some.parquet"
    frame.to_parquet(some)
    assert [q.platform for q in bt.load(some, files[1])[:4]] == [
        "polymarket", "unknown", "unknown", "polymarket",
    ]  # fmt: skip
    none = tmp_path / "none.parquet"
    frame.drop(columns="source").to_parquet(none)
    assert {q.platform for q in bt.load(none, files[1])} == {bt.UNKNOWN_PLATFORM}
    bad = tmp_path / "bad.parquet"
    frame.assign(source=2.0).to_parquet(bad)
    with pytest.raises(ForecastError, match=r"question 'q000' has source 2\.0; the source is"):
        bt.load(bad, files[1])


def _state(qid: str, start: int, p: float, resolved: int, platform: str) -> bt.Tracked:
    """A state question read daily at ``p`` from ``start`` until it resolves."""
    return bt.Tracked(
        qid=qid, kind="state", outcome=0, resolved=resolved, close=float(resolved),
        obs_day=np.arange(start, resolved), obs_p=np.full(resolved - start, p), platform=platform,
    )  # fmt: skip


def _three() -> list[bt.Tracked]:
    """An event question on polymarket, a state question on manifold, an event question of
    unknown platform; weekly, each has 14 decaying days (events) and 3 updates (the state)."""
    from dataclasses import replace

    return [
        replace(_constant("poly", MONDAY, 0.5, 0, MONDAY + 15), platform="polymarket"),
        _state("mani", MONDAY, 0.6, MONDAY + 15, "manifold"),
        _constant("none", MONDAY, 0.3, 1, MONDAY + 15),  # platform unknown: no level
    ]


def test_training_rows_belong_to_their_question_s_platform() -> None:
    from forecast.learning.recalibration import Factor

    questions = _three()
    days = bt.replay(questions, 7)
    outcome = np.array([q.outcome for q in questions])
    platforms = [q.platform for q in questions]
    assert bt.platform_levels(platforms) == ("manifold", "polymarket")
    rows = bt.training_rows(days, np.ones(3, dtype=bool), outcome, platforms)
    assert rows.factors == (Factor("platform", ("manifold", "polymarket")),)
    # decaying rows: 14 days of "poly", then 14 of "none" (no level: no weight)
    assert rows.members.tolist() == [[0.0, 1.0]] * 14 + [[0.0, 0.0]] * 14
    # held rows by question and update: the close day of "poly", "mani"'s three updates,
    # the close day of "none"
    assert rows.held_kind.tolist() == [0.0, 1.0, 1.0, 1.0, 0.0]
    assert rows.held_members.tolist() == [[0.0, 1.0]] + [[1.0, 0.0]] * 3 + [[0.0, 0.0]]
    assert rows.held_weight.tolist() == pytest.approx([1 / 15, 7 / 15, 7 / 15, 1 / 15, 1 / 15])
    # the levels stay those of every question when only some are seen (so set_rows works)
    part = bt.training_rows(days, np.array([False, False, True]), outcome, platforms)
    assert part.factors == rows.factors and part.members.tolist() == [[0.0, 0.0]] * 14
    assert part.held_members.tolist() == [[0.0, 0.0]]
    # without platforms, or with none known, no factor
    assert bt.training_rows(days, np.ones(3, dtype=bool), outcome).factors == ()
    unknown = bt.training_rows(days, np.ones(3, dtype=bool), outcome, ["unknown"] * 3)
    assert unknown.factors == () and unknown.members is None


def test_the_learned_forecast_uses_its_platform_s_offsets() -> None:
    """Method (c) by hand: the class's line plus the platform's offsets, then the decay."""
    from forecast.backtest.methods import _apply
    from forecast.learning.recalibration import Recalibration

    questions = _three()
    days = bt.replay(questions, 7)
    r = Recalibration(
        shift={"event": 0.1, "state": -0.2}, slope={"event": 1.2, "state": 0.9},
        alpha=2.0, decay_share=0.7, questions=3,
        offsets={"platform": {"polymarket": (0.3, 0.1), "manifold": (-0.4, -0.2)}},
    )  # fmt: skip

    def line(p: float, shift: float, slope: float) -> float:
        return 1 / (1 + math.exp(-(shift + slope * math.log(p / (1 - p)))))

    def event(p: float, shift: float, slope: float) -> list[float]:
        start = line(p, shift, slope)
        mixed = [0.7 * _lomax(start, h, e, 2.0) + 0.3 * start for h, e in _weekly(14)]
        return [*mixed, start]  # the close day holds

    hand = [
        *event(0.5, 0.1 + 0.3, 1.2 + 0.1),  # polymarket's offsets
        *[line(0.6, -0.2 - 0.4, 0.9 - 0.2)] * 15,  # manifold's
        *event(0.3, 0.1, 1.2),  # unknown: the class's line alone
    ]
    everything = np.ones(len(days.day), dtype=bool)
    learned = _apply(r, days, everything, [q.platform for q in questions])
    assert learned.tolist() == pytest.approx(hand, rel=1e-12)
    # without platforms every question gets its class's line alone
    plain = _apply(r, days, everything)
    assert plain[:15].tolist() == pytest.approx(event(0.5, 0.1, 1.2), rel=1e-12)
    assert plain[15:30].tolist() == pytest.approx([line(0.6, -0.2, 0.9)] * 15, rel=1e-12)
    assert np.array_equal(plain[30:], learned[30:])
    # on part of the days (one refit's), the same values
    part = days.day >= MONDAY + 10
    assert _apply(r, days, part, [q.platform for q in questions]).tolist() == pytest.approx(
        np.asarray(hand)[part].tolist(), rel=1e-12
    )


def test_the_walk_forward_learns_offsets_by_platform(report: bt.Report) -> None:
    """The synthetic questions name three platforms: every fit has their offsets, in the
    JSON too, and the table shows the last fit's."""
    for f in report.fits:
        assert sorted(f.offsets) == ["platform"]
        assert sorted(f.offsets["platform"]) == ["manifold", "metaculus", "polymarket"]
        assert all(abs(a) < 2 and abs(b) < 2 for a, b in f.offsets["platform"].values())
    shown = report.to_json()["fits"][-1]["offsets"]["platform"]
    a, b = report.fits[-1].offsets["platform"]["manifold"]
    assert shown["manifold"] == {"shift": a, "slope": b}
    assert f"  platform offsets on shift and slope: manifold {a:+.2f} {b:+.2f}; " in bt.table(
        report
    )
