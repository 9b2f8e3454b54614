"""The dashboard with learned trust: the sidebar toggle, forecasts and the credible band.

One real fit per session: a small simulated track record is imported into a database, a
few open questions are added, and ``calibrate`` samples the model on it with tiny
settings (as ``tests/test_learning.py`` does), saving real posterior draws and a real
summary. Such a tiny fit usually fails its diagnostics (too few draws), and the engine
rightly refuses a failed fit. So each test works on its own copy of the fit whose summary
says ``passed`` as the test needs it: the draws, the means and the data hash stay exactly
what the sampler saved; only the verdict is set. ``test_a_failed_fit_is_never_used``
checks the refusal of the verdict as saved (failed).
"""

from __future__ import annotations

import json
import math
import shutil
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pytest
from dashboard_support import run_app, texts
from streamlit.testing.v1 import AppTest

from dashboards import text
from forecast import evidence, settings
from forecast.api import Tracker
from forecast.clock import end_of_day
from forecast.domain import Kind, Question
from forecast.learning import bands, fits
from forecast.learning.data import evidence_of, source_types
from forecast.learning.simulate import Team, draw_truth, simulate

TEAM = Team(questions=40, assessments=300, sources=4, analysts=2, source_types=("agency", "social"))
# As in test_learning.py, but in this process: by now the app's threads may be running, and
# forking a multi-threaded process (PyMC's parallel chains) can deadlock.
TINY = {"sampler": "pymc", "draws": 150, "tune": 150, "seed": 7, "cores": 1}
TODAY = datetime.now(UTC).date()  # the app's as-of date by default
OPENED = datetime.combine(TODAY - timedelta(days=60), datetime.min.time(), tzinfo=UTC)
DEADLINES = (OPENED + timedelta(days=120), OPENED + timedelta(days=200))
OPEN = ("open-binary", "open-event", "open-choice")  # the questions the fit never saw resolve


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="session")
def record(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(database file, fit folder): a simulated track record with three open questions,
    and the fit ``calibrate`` saved for it."""
    from forecast.learning.calibrate import calibrate
    from forecast.learning.model import SamplerSettings

    folder = tmp_path_factory.mktemp("learned")
    db, fit = folder / "record.db", folder / "fit"
    rng = np.random.default_rng(5)
    tracker = Tracker.open(str(db))
    tracker.import_history(simulate(TEAM, draw_truth(TEAM, rng), rng))
    tracker.add_source("Fresh wire", 0.6, "agency")  # a source the fit never saw
    tracker.add_question(Question(OPEN[0], "Open binary", Kind.BINARY, OPENED, prior=0.3))
    tracker.add_question(
        Question(OPEN[1], "Open event", Kind.EVENT, OPENED, prior=0.4, deadlines=DEADLINES)
    )
    tracker.add_question(
        Question(OPEN[2], "Open choice", Kind.CHOICE, OPENED, options=(("a", 0.5), ("b", 0.5)))
    )
    judged = [  # (question, LR, source, analyst, days after opening)
        (OPEN[0], 4.0, "source-00", "analyst-00", 5),
        (OPEN[0], 0.5, "source-01", "analyst-01", 12),
        (OPEN[0], 3.0, "Fresh wire", "analyst-00", 20),
        (OPEN[1], 2.5, "source-02", "analyst-01", 8),
        (OPEN[1], 3.0, "source-03", "analyst-00", 30),
    ]
    for qid, lr, source, analyst, days in judged:
        published = OPENED + timedelta(days=days, hours=9)
        tracker.add_evidence(qid, lr=lr, source=source, analyst=analyst, published=published)
    tracker.add_evidence(
        OPEN[2], likelihoods=[("a", 2.0), ("b", 1.0)], source="source-00", analyst="analyst-00",
        published=OPENED + timedelta(days=3),
    )  # fmt: skip
    calibrate(tracker.history(None), settings=SamplerSettings(**TINY), directory=fit, plot=False)
    tracker.store.close()  # checkpoints the WAL, so the file alone holds everything
    return db, fit


def verdict(folder: Path, *, passed: bool) -> None:
    """Set the saved fit's diagnostic verdict (its draws and numbers stay as sampled), and
    let its out-of-time check offer it (a tiny fit of a short record is rarely judged)."""
    path = folder / "track-record.json"
    summary = json.loads(path.read_text(encoding="utf-8"))
    problems = [] if passed else ["R-hat 1.100 >= 1.01"]
    summary["diagnostics"] = {**summary["diagnostics"], "passed": passed, "problems": problems}
    summary["holdout"] = {**summary["holdout"], "offered": True, "reason": "offered by hand"}
    path.write_text(json.dumps(summary), encoding="utf-8")


@pytest.fixture
def tracker(
    record: tuple[Path, Path], _isolated_database: Path, tmp_path: Path, monkeypatch: Any
) -> Tracker:
    """A copy of the record's database, and a copy of its fit (marked passed) in use."""
    shutil.copyfile(record[0], _isolated_database)
    shutil.copytree(record[1], tmp_path / "fits")
    verdict(tmp_path / "fits", passed=True)
    monkeypatch.setenv(settings.FITS_ENV, str(tmp_path / "fits"))
    return Tracker.open(str(_isolated_database))


@pytest.fixture
def folder(tracker: Tracker, tmp_path: Path) -> Path:
    return tmp_path / "fits"


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """How often the draws are read and bands computed (the app runs in this process)."""
    counted = {"draws": 0, "band": 0}

    def counting(name: str, func: Any) -> Any:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            counted[name] += 1
            return func(*args, **kwargs)

        return wrapper

    monkeypatch.setattr(fits, "load_draws", counting("draws", fits.load_draws))
    monkeypatch.setattr(bands, "band", counting("band", bands.band))
    return counted


def app(page: str | None = None, *, learned: bool | None = None, **query: str) -> AppTest:
    """The app on ``page`` (as of today), with the toggle set first if ``learned`` is given."""
    return run_app(page, session=None if learned is None else {"learned": learned}, **query)


def shown_probabilities(at: AppTest) -> dict[str, float]:
    """The overview's probability column (open questions, by default), by question id."""
    table = at.dataframe[0].value.set_index("id")
    return {str(k): v / 100 for k, v in table["probability"].items()}


def headline(tracker: Tracker, learned: fits.Learned | None) -> dict[str, float]:
    """The open questions' overview numbers straight from the engine (``Tracker.states``)."""

    every = tracker.states(as_of=end_of_day(TODAY), learned=learned)
    return {
        s.question.id: s.headline.probability for s in every if s.status.value == "open"
    }


def band_of(at: AppTest) -> tuple[dict[str, Any], Any] | None:
    """The trajectory chart's band layer and the data drawn by it, if it has one."""
    chart = at.get("vega_lite_chart")[0]
    spec = json.loads(chart.proto.spec)
    layer = next(
        (x for x in spec["layer"] if x["mark"]["type"] == "area" and "y2" in x["encoding"]), None
    )
    if layer is None:
        return None
    frames = [pa.ipc.open_stream(d.data.data).read_pandas() for d in chart.proto.datasets]
    return layer, next(f for f in frames if "upper" in f)


def expected_band(tracker: Tracker, folder: Path, qid: str) -> bands.Band:
    """The 90% band computed directly by the library, as the question page should."""
    history = tracker.history(None)
    question = next(q for q in history.questions if q.id == qid)
    cutoff = end_of_day(TODAY)
    resolved = [r.resolved_on for r in history.resolutions if r.question_id == qid]
    stated = evidence.reliabilities(history.sources, cutoff)
    return bands.band(
        question,
        evidence_of(question, history, as_of=cutoff, stated=stated),
        min([cutoff, *resolved]),  # a trajectory runs to the as-of cutoff or its resolution
        fits.load_draws(folder, history=history),
        prob=0.9,
        stated=stated,
        types=source_types(history, cutoff),
    )


# --------------------------------------------------------------------------- tests


def test_the_toggle_switches_the_overview_to_learned_trust(
    tracker: Tracker, folder: Path, calls: dict[str, int]
) -> None:
    fit = tracker.learned_fit(folder)
    at = app()
    toggle = at.sidebar.toggle(key="learned")
    assert toggle.value is False and not toggle.disabled
    assert f"a fit of {fit.fitted_at.date().isoformat()} is saved" in texts(at, at.sidebar)
    stated = headline(tracker, None)
    learned = headline(tracker, fit)
    assert shown_probabilities(at) == pytest.approx(stated, abs=1e-9)

    toggle.set_value(True).run()
    assert not at.exception, at.exception
    assert shown_probabilities(at) == pytest.approx(learned, abs=1e-9)
    assert abs(learned[OPEN[0]] - stated[OPEN[0]]) > 0.01, "learned trust must change something"
    fitted = text.moment(fit.fitted_at)
    assert f"Forecasts use the fit of {fitted}" in texts(at, at.sidebar)
    assert f"Learned trust: forecasts use the fit of {fitted}" in texts(at)
    assert calls == {"draws": 0, "band": 0}, "the overview reads no draws and computes no band"

    at.switch_page("views/question.py")  # the choice travels with the session
    at.query_params.update(q=OPEN[0])
    at.run()
    assert at.sidebar.toggle(key="learned").value is True
    mine = tracker.state(OPEN[0], as_of=end_of_day(TODAY), learned=fit)
    assert at.metric[0].value == text.pct(mine.probability)


@pytest.mark.parametrize("qid", [*OPEN[:2], "resolved"])
def test_the_question_page_draws_the_learned_band(
    tracker: Tracker, folder: Path, calls: dict[str, int], qid: str
) -> None:
    if qid == "resolved":  # a question of the track record: its trajectory stops there
        qid = next(r.question_id for r in tracker.history(None).resolutions)
    fit = tracker.learned_fit(folder)
    at = app("question", learned=True, q=qid)
    assert at.selectbox(key="question").value == qid
    learned = tracker.state(qid, as_of=end_of_day(TODAY), learned=fit)
    first = learned.trajectory.ladder[-1, 0] if learned.question.kind is Kind.EVENT else None
    assert at.metric[0].value == text.pct(learned.probability if first is None else float(first))

    found = band_of(at)
    assert found is not None, "no band layer on the trajectory chart"
    layer, shown = found
    assert (
        layer["encoding"]["y"]["field"] == "lower" and layer["encoding"]["y2"]["field"] == "upper"
    )
    label = f"90% credible band from the learned fit of {fit.fitted_at.date().isoformat()}"
    assert set(shown["band"]) == {label}, "the legend names the band and the fit"
    assert label in texts(at)
    # The band shades the headline line: for an event, P(by the first deadline still open).
    event = learned.question.kind is Kind.EVENT
    assert f"for {'P(by the first deadline still open)' if event else 'P(yes)'}:" in texts(at)

    expected = expected_band(tracker, folder, qid)
    days = len(learned.trajectory.probability)
    assert len(expected.low) == days == len(shown), "one value per day of the trajectory"
    assert shown["lower"].to_numpy() == pytest.approx(expected.low, abs=1e-12)
    assert shown["upper"].to_numpy() == pytest.approx(expected.high, abs=1e-12)
    # A few numbers one by one: the opening day, the middle and the last day.
    for i in (0, days - 1, days // 2):
        assert float(shown["lower"].iloc[i]) == pytest.approx(float(expected.low[i]), abs=1e-12)
        assert float(shown["upper"].iloc[i]) == pytest.approx(float(expected.high[i]), abs=1e-12)
    assert (expected.high - expected.low).max() > 0.01, "a band, not a line"
    assert calls["draws"] >= 1 and calls["band"] >= 1


def test_no_band_without_learned_trust_or_on_a_choice_question(
    tracker: Tracker, folder: Path
) -> None:
    at = app("question", q=OPEN[0])
    assert band_of(at) is None
    at = app("question", learned=True, q=OPEN[2])
    assert band_of(at) is None
    assert "No credible band for a choice question" in texts(at)


def test_a_stale_fit_disables_the_toggle_and_says_what_to_run(
    tracker: Tracker, folder: Path
) -> None:
    at = app(learned=True)
    assert at.sidebar.toggle(key="learned").value is True
    fit = tracker.learned_fit(folder)
    assert shown_probabilities(at) == pytest.approx(headline(tracker, fit), abs=1e-9)

    tracker.resolve(OPEN[0], "no", tracker.now())  # from outside: the track record grows
    at.run()
    assert not at.exception, at.exception
    toggle = at.sidebar.toggle(key="learned")
    assert toggle.disabled and toggle.value is False
    shown = texts(at, at.sidebar)
    assert "no longer matches the track record" in shown and "forecast calibrate" in shown
    assert shown_probabilities(at) == pytest.approx(headline(tracker, None), abs=1e-9)
    assert "Learned trust:" not in texts(at)

    at.switch_page("views/learning.py").run()  # the fit is still shown, with the warning
    assert not at.exception, at.exception
    assert "no longer matches the track record" in "\n".join(w.proto.body for w in at.warning)


def test_a_failed_fit_is_never_used(tracker: Tracker, folder: Path, record: tuple) -> None:
    shutil.copyfile(record[1] / "track-record.json", folder / "track-record.json")  # as saved
    saved = json.loads((folder / "track-record.json").read_text(encoding="utf-8"))
    if saved["diagnostics"]["passed"]:  # the tiny fit happened to pass: fail it by hand
        verdict(folder, passed=False)
    at = app(learned=True)
    toggle = at.sidebar.toggle(key="learned")
    assert toggle.disabled and toggle.value is False
    shown = texts(at, at.sidebar)
    assert "failed its diagnostics" in shown and "forecast calibrate" in shown
    assert shown_probabilities(at) == pytest.approx(headline(tracker, None), abs=1e-9)

    verdict(folder, passed=True)  # a new fit is saved: picked up at the next rerun
    at.run()
    assert not at.sidebar.toggle(key="learned").disabled


def test_without_a_fit_the_sidebar_says_so_in_one_line(
    tracker: Tracker, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(settings.FITS_ENV, str(tmp_path / "nothing-here"))
    at = app(learned=True)
    assert not at.sidebar.get("toggle")
    assert "No learned fit saved" in texts(at, at.sidebar)
    assert shown_probabilities(at) == pytest.approx(headline(tracker, None), abs=1e-9)
    at.switch_page("views/learning.py").run()
    assert not at.exception and "no saved fit" in "\n".join(i.proto.body for i in at.info)


def test_the_cli_gives_the_same_band_as_the_api(
    tracker: Tracker, capsys: pytest.CaptureFixture[str]
) -> None:
    """`forecast show ID --band`: the band is the API's (Tracker.band), over the learned
    trajectory, one value per day; a choice question is refused by the API's message."""
    from forecast.cli import main

    db = ["--db", tracker.store.url]
    day = TODAY.isoformat()
    assert main([*db, "show", OPEN[0], "--band", "--json", "--as-of", day]) == 0
    shown = json.loads(capsys.readouterr().out)
    expected = tracker.band(OPEN[0], as_of=end_of_day(TODAY))
    assert shown["trust"]["learned"] is True  # --band implies --learned
    assert shown["band"]["prob"] == 0.9
    for edge in ("low", "median", "high"):
        assert shown["band"][edge] == pytest.approx(getattr(expected, edge).tolist())
    assert len(shown["band"]["days"]) == len(expected.low)
    assert shown["band"]["low"][-1] <= shown["probability"] <= shown["band"]["high"][-1]
    assert main([*db, "show", OPEN[0], "--band", "--as-of", day]) == 0
    low, high = (f"{100 * x:.1f}%" for x in (expected.low[-1], expected.high[-1]))
    assert f"90% credible band {low} to {high}" in capsys.readouterr().out
    assert main([*db, "show", OPEN[2], "--band"]) == 1
    assert "bands cover binary and event questions only" in capsys.readouterr().err


def test_the_page_shows_the_out_of_time_check_that_decides(folder: Path) -> None:
    """The Learned trust page gives the saved check's figures and its verdict as saved;
    a fit saved before the check says to rerun calibrate."""
    path = folder / "track-record.json"
    summary = json.loads(path.read_text(encoding="utf-8"))
    summary["holdout"] = {
        **summary["holdout"],
        "cut": "2025-06-01T00:00:00Z",
        "train_questions": 58,
        "test_questions": 25,
        "gain": 0.0123,
        "gain_low": -0.002,
        "gain_high": 0.03,
        "offered": False,
        "reason": "scored the 25 resolved after it, not clearly better",
    }
    path.write_text(json.dumps(summary), encoding="utf-8")
    at = app("learning")
    assert not at.exception, at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Gain over the stated values"] == "+0.0123 nats/question"
    assert metrics["90% interval"] == "-0.0020 to +0.0300"
    assert metrics["Questions"] == "58 by 2025-06-01, 25 after"
    warnings = "\n".join(w.proto.body for w in at.warning)
    assert "not offered to forecasts: scored the 25 resolved after it, not clearly better" in (
        warnings
    )

    del summary["holdout"]
    path.write_text(json.dumps(summary), encoding="utf-8")
    at.run()
    assert not at.exception, at.exception
    assert not at.metric
    assert "saved before the out-of-time check" in "\n".join(i.proto.body for i in at.info)


def _save_team(tracker: Tracker, folder: Path, gains: float) -> Any:
    """A team recalibration saved by hand (its walk-forward gains set), for the tracker's
    resolutions as they stand."""
    from forecast.learning import team
    from forecast.learning.recalibration import Recalibration

    final = Recalibration(
        shift={"binary": -0.2, "event": 0.1},
        slope={"binary": 0.8, "event": 1.2},
        alpha=None,
        decay_share=None,
        questions=30,
        offsets={"author": {}, "tag": {}},
        draws={  # three draws: event shifts 0, 0.1, 0.2 at slope 1.2
            "shift": np.array([[-0.2, 0.0], [-0.2, 0.1], [-0.2, 0.2]]),
            "slope": np.array([[0.8, 1.2]] * 3),
            **{f"{f}_{x}": np.zeros((3, 0)) for f in team.FACTORS for x in ("shift", "slope")},
        },
    )
    verdict = team._verdict(OPENED, 20, np.full(25, gains), 4)
    content = team.summary(final, verdict, {"fits": 4}, [], tracker.history(None), OPENED)
    team.save(content, folder)
    return team.load(folder, history=tracker.history(None))


def test_the_team_recalibration_is_shown_beside_the_stated_forecast(
    tracker: Tracker, folder: Path
) -> None:
    """Issue 12: the question page gives the recalibrated forecast beside the stated one
    (of the stated trust, even with learned trust on: it learned to read stated forecasts),
    and the Learned trust page its walk-forward check; one that did not help is not shown."""
    saved = _save_team(tracker, folder, 0.01)
    stated = tracker.state(OPEN[1], as_of=end_of_day(TODAY))
    expected = saved.apply(float(stated.probability), "event", stated.question.created_by, ())
    assert abs(expected - float(stated.probability)) > 0.005  # the two differ on the page
    x = math.log(float(stated.probability) / (1 - float(stated.probability)))
    v = [1 / (1 + math.exp(-(a + 1.2 * x))) for a in (0.0, 0.1, 0.2)]
    low, high = v[0] + 0.1 * (v[1] - v[0]), v[1] + 0.9 * (v[2] - v[1])  # numpy's 5%, 95%
    # each assessing analyst named with their share of the question's assessments (no
    # offsets were learned for them here, so they move nothing)
    counts = Counter(a.analyst for a in stated.assessments)
    assert len(counts) == 2
    by = "".join(f", analyst {a} {n / sum(counts.values()):.0%}" for a, n in sorted(counts.items()))
    for learned in (False, True):
        at = app("question", learned=learned, q=OPEN[1])
        assert not at.exception, at.exception
        shown = texts(at, unescaped=True).splitlines()
        line = next(c for c in shown if "Recalibrated by the team" in c)
        assert line.startswith(
            f"Recalibrated by the team's track record: **{text.pct(expected)}** (stated "
            f"{text.pct(float(stated.probability))}; 90% band {text.pct(low)} to "
            f"{text.pct(high)}; log-odds x 1.20 +0.10 for author "
            f"{stated.question.created_by}{by}). Learned from the questions resolved by "
        ), line
    # one analyst's judgements: their own forecast, recalibrated with their offset in full
    analyst = sorted(counts)[0]
    own = float(tracker.state(OPEN[1], as_of=end_of_day(TODAY), analyst=analyst).probability)
    assert abs(own - float(stated.probability)) > 0.001  # not the team's forecast
    mine = saved.apply(own, "event", stated.question.created_by, (), {analyst: 1.0})
    at = app("question", q=OPEN[1])
    next(s for s in at.selectbox if s.label == "Judgements of").set_value(analyst).run()
    assert not at.exception, at.exception
    line = next(c for c in texts(at, unescaped=True).splitlines() if "Recalibrated by" in c)
    assert f"**{text.pct(mine)}** (stated {text.pct(own)};" in line, line
    assert f"for author {stated.question.created_by}, analyst {analyst} 100%)" in line, line
    at = app("question", q=OPEN[2])  # a choice question: nothing to recalibrate
    assert not at.exception and "Recalibrated by the team" not in texts(at)

    at = app("learning")
    assert not at.exception, at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Walk-forward gain"] == "+0.0100 nats/question"
    assert metrics["Questions"] == "25 scored, 4 fits"
    assert "shown beside the stated forecasts: 4 walk-forward fits from" in texts(
        at, unescaped=True
    )

    _save_team(tracker, folder, -0.01)  # no help: saved, not shown
    at = app("question", q=OPEN[1])
    assert not at.exception and "Recalibrated by the team" not in texts(at)
