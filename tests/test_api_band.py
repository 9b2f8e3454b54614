"""``Tracker.band``: the credible band is an API call, so every face can give one."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pytest

from forecast import clock
from forecast.api import Tracker
from forecast.domain import ForecastError
from forecast.learning.draws import Draws

AS_OF = clock.end_of_day(date(2025, 10, 26))


def draws_at(tracker: Tracker, scale: list[float]) -> Draws:
    """One draw per entry of ``scale``: every source at its stated reliability times that
    factor, every analyst calibrated (exponent 1), alpha 1."""
    sources = tuple(s.name for s in tracker.sources())
    stated = np.array([s.reliability for s in tracker.sources()])
    analysts = tuple(sorted({a.analyst for a in tracker.history(None).assessments}))
    n = len(scale)
    return Draws(
        sources,
        np.clip(np.outer(scale, stated), 0.0, 1.0),
        analysts,
        np.ones((n, len(analysts))),
        np.ones(n),
        (),
        np.zeros((n, 0)),
        np.zeros(n),
        np.zeros(n),
    )


# (the demo's event question is linked, and has no band: see the test below; event bands
# are checked in test_learning.py, on simulated teams)
@pytest.mark.parametrize("qid", ["russia-ceasefire-line"])
def test_draws_at_the_stated_values_collapse_the_band_onto_the_trajectory(
    db: Path, qid: str
) -> None:
    tracker = Tracker.open(str(db))
    band = tracker.band(qid, as_of=AS_OF, draws=draws_at(tracker, [1.0, 1.0, 1.0]))
    path = tracker.state(qid, as_of=AS_OF).trajectory.probability
    for edge in (band.low, band.median, band.high):
        np.testing.assert_allclose(edge, path, atol=2e-5)  # bands work in float32
    assert band.prob == 0.9


def test_doubt_about_the_sources_widens_the_band_around_the_trajectory(db: Path) -> None:
    tracker = Tracker.open(str(db))
    qid = "russia-ceasefire-line"
    band = tracker.band(qid, as_of=AS_OF, draws=draws_at(tracker, [0.5, 0.75, 1.0]))
    path = tracker.state(qid, as_of=AS_OF).trajectory.probability
    assert np.all(band.low <= band.median + 1e-12) and np.all(band.median <= band.high + 1e-12)
    # Before any report the sources do not matter; after the reports (which lowered this
    # question) a less reliable reading moves it less: the stated path is the lowest draw,
    # just under the band's 5% quantile.
    assert band.high[0] - band.low[0] == pytest.approx(0.0, abs=1e-12)
    assert band.high[-1] - band.low[-1] > 0.005
    assert path[-1] - 2e-5 <= band.low[-1] < band.median[-1]


def test_a_choice_question_has_no_band(db: Path) -> None:
    tracker = Tracker.open(str(db))
    with pytest.raises(ForecastError, match="bands cover binary and event questions only"):
        tracker.band("summit-venue", as_of=AS_OF, draws=draws_at(tracker, [1.0]))


def test_without_a_saved_fit_the_band_is_refused_with_what_to_run(
    db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FORECAST_FITS", str(tmp_path / "no-fits"))
    tracker = Tracker.open(str(db))
    with pytest.raises(ForecastError, match="forecast calibrate"):
        tracker.band("russia-ceasefire-line", as_of=AS_OF)


def test_a_linked_question_has_no_band_and_says_why(db: Path) -> None:
    tracker = Tracker.open(str(db))
    with pytest.raises(
        ForecastError,
        match="no credible band for putin-trump-meeting: it is linked, and bands cover a "
        "question's own evidence only",
    ):
        tracker.band("putin-trump-meeting", as_of=AS_OF, draws=draws_at(tracker, [1.0] * 3))
