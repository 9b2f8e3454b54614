"""Forecasts with learned trust: a saved fit's posterior means in place of stated values.

The fit here is a summary file written by hand (no sampling): what is tested is that the
engine uses its numbers exactly as layers 1 and 2 say, and refuses it when it no longer
matches the track record.
"""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from forecast.api import Tracker
from forecast.cli import main
from forecast.domain import Kind, Question
from forecast.learning import MODEL_VERSION, fits, holdout
from forecast.learning.data import data_hash, training_data

JAN = datetime(2025, 1, 1, tzinfo=UTC)
NOW = datetime(2025, 3, 1, tzinfo=UTC)


def at(day: int) -> datetime:
    return JAN + timedelta(days=day - 1, hours=12)


@pytest.fixture
def tracker() -> Tracker:
    """Two sources of type "wire" (one unseen by the fit), analysts ana and bob.

    "done" resolved YES (the track record); "open" is binary, "event" an event question
    without its own alpha, "own" one with alpha 2.
    """
    t = Tracker.open(clock=lambda: NOW)
    t.add_source("Wire", 0.5, "wire")
    t.add_source("Other", 0.5, "wire")
    for qid, kind in (("done", Kind.BINARY), ("open", Kind.BINARY), ("event", Kind.EVENT)):
        extra = {"deadlines": (at(60),)} if kind is Kind.EVENT else {}
        t.add_question(Question(qid, qid, kind, JAN, prior=0.5, **extra))
    t.add_question(Question("own", "own", Kind.EVENT, JAN, prior=0.5, deadlines=(at(60),), alpha=2))
    t.add_evidence("done", lr=4.0, source="Wire", published=at(2), analyst="ana")
    t.resolve("done", "yes", at(3))
    t.add_evidence("open", lr=9.0, source="Wire", published=at(5), analyst="ana")
    t.add_evidence("open", lr=9.0, source="Other", published=at(6), analyst="bob")
    for qid in ("event", "own"):
        t.add_evidence(qid, lr=3.0, source="Wire", published=at(5), analyst="ana")
    return t


def _estimate(mean: float) -> dict[str, float]:
    return {"mean": mean, "low": mean - 0.1, "high": mean + 0.1}


def write_fit(
    folder: Path, tracker: Tracker, *, passed: bool = True, gain: float = 0.01
) -> Path:
    """A fit summary as `forecast calibrate` saves it, with round numbers; ``gain``: what
    each of 30 questions resolved after the out-of-time check's cut gained.

    Wire: reliability 1; ana: exponent 0.5; type "wire": +1 on the logit scale (so the
    unseen "Other", stated 0.5, becomes expit(1)); alpha 3.
    """
    folder.mkdir(parents=True, exist_ok=True)
    summary = {
        "model_version": MODEL_VERSION,
        "fitted_at": "2025-02-28T10:00:00+00:00",
        "data_hash": data_hash(training_data(tracker.history(None))),
        "reliability": {"Wire": _estimate(1.0)},
        "stated": {"Wire": 0.5},
        "source_type": {"Wire": "wire"},
        "exponents": {"ana": _estimate(0.5)},
        "alpha": _estimate(3.0),
        "type_shift": {"wire": _estimate(1.0)},
        "diagnostics": {"passed": passed, "problems": [] if passed else ["R-hat 1.2 >= 1.01"]},
        "loo": {"difference": 2.5, "se_difference": 1.2},
        "holdout": holdout.decide(JAN, 70, np.full(30, gain)).to_json(),
        "counts": {"questions": 1, "assessments": 1},
    }
    path = folder / "track-record.json"
    path.write_text(json.dumps(summary), encoding="utf-8")
    return path


def logit(p: float) -> float:
    return math.log(p / (1 - p))


def test_learned_means_replace_stated_trust_by_hand(tracker: Tracker, tmp_path: Path) -> None:
    write_fit(tmp_path, tracker)
    learned = tracker.learned_fit(tmp_path)
    stated = tracker.state("open")
    used = tracker.state("open", learned=learned)
    # Stated (v2): an LR lambda >= 1 at reliability r counts 1 / (1 - r (1 - 1/lambda)).
    # Each LR 9 at 0.5 counts 1 / (1 - 0.5 * 8/9) = 1 / (5/9) = 9/5; the two reports have
    # their own origins, so the prior odds 1 become (9/5)^2 = 81/25: P = 81/106 = 0.7642.
    # (v1 counted 1 + 0.5 * 8 = 5 each: odds 25, P = 25/26.)
    assert stated.probability == pytest.approx(81 / 106)
    # Learned: ana's LR 9 ** 0.5 = 3 at reliability 1 counts 3 (r = 1 gives lambda); bob
    # (no exponent learned) keeps LR 9, from "Other" at expit(logit(0.5) + 1) = expit(1)
    # = 0.731059, which counts 1 / (1 - 0.731059 * 8/9) = 1 / 0.350170 = 2.855755.
    # Odds 3 * 2.855755 = 8.567264: P = 0.895477. (v1: 3 * (1 + 0.731059 * 8) = 20.545,
    # P = 0.9536.)
    r_other = 1 / (1 + math.exp(-1.0))
    odds = 3 / (1 - r_other * 8 / 9)
    assert odds == pytest.approx(8.567264, abs=1e-6)
    assert used.probability == pytest.approx(odds / (1 + odds), abs=1e-12)
    assert used.to_json()["trust"] == {
        "learned": True,
        "fitted_at": "2025-02-28T10:00:00Z",
        "model_version": MODEL_VERSION,
        "data_hash": learned.data_hash,
    }
    assert stated.to_json()["trust"] == {"learned": False}


def test_event_questions_take_the_learned_alpha_unless_they_set_their_own(
    tracker: Tracker, tmp_path: Path
) -> None:
    write_fit(tmp_path, tracker)
    learned = tracker.learned_fit(tmp_path)
    event = tracker.state("event", learned=learned)
    own = tracker.state("own", learned=learned)
    assert event.to_json()["alpha"] == 3.0 and own.to_json()["alpha"] == 2.0
    # With alpha 3 and ana's LR 3 ** 0.5 at reliability 1, the same as the stated engine
    # would give the question had it set alpha 3 and that LR itself.
    twin = Tracker.open(str(tmp_path / "twin.db"), clock=lambda: NOW)
    twin.add_source("Wire", 1.0)
    twin.add_question(
        Question("event", "event", Kind.EVENT, JAN, prior=0.5, deadlines=(at(60),), alpha=3.0)
    )
    twin.add_evidence("event", lr=math.sqrt(3.0), source="Wire", published=at(5), analyst="x")
    assert event.trajectory.probability.tolist() == pytest.approx(
        twin.state("event").trajectory.probability.tolist(), abs=1e-12
    )


def test_states_use_the_fit_for_every_question(tracker: Tracker, tmp_path: Path) -> None:
    write_fit(tmp_path, tracker)
    learned = tracker.learned_fit(tmp_path)
    together = {s.question.id: s.probability for s in tracker.states(learned=learned)}
    for qid, p in together.items():
        assert p == pytest.approx(tracker.state(qid, learned=learned).probability, abs=1e-15)


def test_a_fit_that_does_not_beat_the_stated_values_is_never_offered(
    tracker: Tracker, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Issue 12: a fit whose out-of-time check is no better than the stated values' stays
    saved and readable, and forecasts never use it, however good its leave-one-out."""
    write_fit(tmp_path, tracker, gain=-0.004)
    with pytest.raises(fits.NoGain) as refused:
        tracker.learned_fit(tmp_path)
    assert str(refused.value).endswith(
        "is not offered to forecasts: a fit on the 70 questions resolved by 2025-01-01 "
        "scored the 30 resolved after it -0.0040 nats/question against the stated values "
        "(90% interval -0.0040 to -0.0040), not clearly better; forecasts keep the stated "
        "values"
    )
    assert not fits.load_learned(tmp_path, allow_failed=True).beats_stated  # still readable
    write_fit(tmp_path, tracker, gain=0.0)  # no better is not better
    with pytest.raises(fits.NoGain):
        tracker.learned_fit(tmp_path)


def test_a_stale_or_failed_fit_is_refused_with_what_to_run(
    tracker: Tracker, tmp_path: Path
) -> None:
    with pytest.raises(fits.NoFit, match="forecast calibrate"):
        tracker.learned_fit(tmp_path)
    write_fit(tmp_path, tracker, passed=False)
    with pytest.raises(fits.FailedFit, match="forecast calibrate"):
        tracker.learned_fit(tmp_path)
    write_fit(tmp_path, tracker)
    tracker.resolve("open", "no", at(20))  # the track record grows: the fit is stale
    with pytest.raises(fits.StaleFit, match="forecast calibrate"):
        tracker.learned_fit(tmp_path)


def _cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_show_and_list_with_learned(
    tracker: Tracker,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("FORECAST_FITS", str(tmp_path / "fits"))
    db = tracker.store.url
    code, _, err = _cli(capsys, "--db", db, "show", "open", "--learned")
    assert code == 1 and err.startswith("error: ") and len(err.strip().splitlines()) == 1
    assert "forecast calibrate" in err
    write_fit(tmp_path / "fits", tracker)
    code, out, err = _cli(capsys, "--db", db, "show", "open", "--learned", "--json")
    assert code == 0, err
    shown = json.loads(out)
    assert shown["trust"]["learned"] is True
    expected = tracker.state("open", learned=tracker.learned_fit(tmp_path / "fits"))
    assert shown["probability"] == pytest.approx(expected.probability, abs=1e-12)
    code, out, _ = _cli(capsys, "--db", db, "show", "open", "--learned")
    assert code == 0 and "learned trust: the fit of 2025-02-28T10:00" in out
    code, out, _ = _cli(capsys, "--db", db, "question", "list", "--learned", "--json")
    rows = {row["id"]: row["probability"] for row in json.loads(out)}
    assert code == 0 and rows["open"] == pytest.approx(expected.probability, abs=1e-12)
    code, out, _ = _cli(capsys, "--db", db, "show", "open", "--json")
    assert json.loads(out)["trust"] == {"learned": False}
    assert json.loads(out)["probability"] == pytest.approx(81 / 106)  # stated, v2: see above


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda s: [s], "is damaged (not a JSON object)"),
        (lambda s: {**s, "fitted_at": 1735689600}, "its fitted_at is not a time"),
        (lambda s: {**s, "fitted_at": "yesterday"}, "its fitted_at is not a time"),
        (lambda s: {**s, "reliability": None}, "is damaged ('reliability' is None)"),
        (lambda s: {**s, "alpha": {"mean": None}}, "is damaged ('alpha' is {'mean': None})"),
        (lambda s: {**s, "exponents": {"ana": "high"}}, "is damaged ('exponents: ana' is 'high')"),
        (lambda s: {**s, "diagnostics": None}, "is damaged ('diagnostics' is None)"),
        (lambda s: {**s, "holdout": None}, "is damaged ('holdout' is None)"),
    ],
)
def test_a_damaged_fit_summary_is_refused_by_name(
    tracker: Tracker, tmp_path: Path, damage, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_fit(tmp_path / "fit", tracker)
    summary = json.loads(path.read_text(encoding="utf-8"))
    path.write_text(json.dumps(damage(summary)), encoding="utf-8")
    with pytest.raises(fits.NoFit, match="forecast calibrate") as refused:
        tracker.learned_fit(tmp_path / "fit")
    assert message in str(refused.value)
    # and through the CLI: one line, exit 1
    code = main(["show", "open", "--learned"])
    assert code == 1 or code == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and len(err.strip().splitlines()) == 1


def test_a_seed_out_of_range_gets_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["calibrate", "--seed", "-1"]) != 0
    err = capsys.readouterr().err
    assert (
        err.strip() == "error: Invalid value for '--seed': -1 is not in the range 0<=x<=4294967295."
    )
