"""Reference forecasts: import from CSV and Parquet, checks, and scores at horizons.

The real-data tests read ``../shared/data/forecastbench/``: ForecastBench market questions
(Karger et al., "ForecastBench: A Dynamic Benchmark of AI Forecasting Capabilities",
ICLR 2025; data CC BY-SA 4.0, from forecastingresearch/forecastbench-datasets).
"""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd
import pytest

from forecast import reference, track_record
from forecast.api import Tracker
from forecast.cli import main
from forecast.domain import ForecastError, Kind, NotFound, Question

FORECASTBENCH = Path(__file__).resolve().parents[2] / "shared" / "data" / "forecastbench"
needs_forecastbench = pytest.mark.skipif(
    not (FORECASTBENCH / "questions.parquet").exists(), reason="no ForecastBench data here"
)

QUESTIONS_CSV = """qid,question,open,deadline,outcome,resolution date,extra
q1,"Will it rain, at last?",2025-01-01,2025-02-01T12:00:00Z,yes,2025-01-10,ignored
q2,Will it snow?,N/A,,0,2025-01-20,
q3,Still open?,2025-01-05,,,,
"""
SERIES_CSV = """qid,date,prob
q1,2025-01-01,0.2
q1,2025-01-05,0.6
q1,2025-01-09,0.9
q2,2025-01-15,0.3
q3,2025-01-06,0.5
"""


@pytest.fixture
def tracker() -> Tracker:
    return Tracker.open(clock=lambda: datetime(2025, 3, 1, tzinfo=UTC))


def _write(folder: Path, questions: str = QUESTIONS_CSV, series: str = SERIES_CSV):
    q, s = folder / "questions.csv", folder / "series.csv"
    q.write_text(questions, encoding="utf-8")
    s.write_text(series, encoding="utf-8")
    return q, s


def _stored(tracker: Tracker) -> dict[str, int]:
    with tracker.store.read() as tx:
        counts = tx.counts()
    return {k: v for k, v in counts.items() if k.startswith("reference")}


# ---------------------------------------------------------------------- import


def test_csv_import_with_plain_column_names(tracker: Tracker, tmp_path: Path) -> None:
    done = reference.import_reference(tracker, *_write(tmp_path), "market")
    assert (done.questions, done.resolved, done.points, done.replaced) == (3, 2, 5, 0)
    ref = reference.load(tracker, "market")
    q1, q2, q3 = (ref.questions[k] for k in ("q1", "q2", "q3"))
    assert q1.question == "Will it rain, at last?"
    assert q1.opened == datetime(2025, 1, 1, tzinfo=UTC)
    assert q1.deadline == datetime(2025, 2, 1, 12, tzinfo=UTC)
    assert (q1.outcome, q1.resolved_on) == (1.0, date(2025, 1, 10))
    assert (q2.opened, q2.deadline, q2.outcome) == (None, None, 0.0)
    assert (q3.outcome, q3.resolved_on) == (None, None)
    assert ref.series["q1"][1].tolist() == [0.2, 0.6, 0.9]
    assert [r.name for r in reference.names(tracker)] == ["market"]


def test_parquet_import_gives_the_same(tracker: Tracker, tmp_path: Path) -> None:
    csv_q, csv_s = _write(tmp_path)
    pq_q, pq_s = tmp_path / "q.parquet", tmp_path / "s.parquet"
    pd.read_csv(csv_q, dtype=str, keep_default_na=False).to_parquet(pq_q)
    frame = pd.read_csv(csv_s)
    frame.to_parquet(pq_s)  # prob as float64, as in ForecastBench
    reference.import_reference(tracker, csv_q, csv_s, "from-csv")
    reference.import_reference(tracker, pq_q, pq_s, "from-parquet")
    a, b = reference.load(tracker, "from-csv"), reference.load(tracker, "from-parquet")
    assert [q.__dict__ | {"reference": ""} for q in a.questions.values()] == [
        q.__dict__ | {"reference": ""} for q in b.questions.values()
    ]
    assert {k: v[1].tolist() for k, v in a.series.items()} == {
        k: v[1].tolist() for k, v in b.series.items()
    }


def test_a_repeated_day_keeps_the_later_row(tracker: Tracker, tmp_path: Path) -> None:
    series = SERIES_CSV + "q1,2025-01-05,0.7\n"
    done = reference.import_reference(tracker, *_write(tmp_path, series=series), "m")
    assert (done.points, done.replaced) == (5, 1)
    assert reference.load(tracker, "m").series["q1"][1].tolist() == [0.2, 0.7, 0.9]


def test_a_reference_links_to_tracker_questions_by_id(tracker: Tracker, tmp_path: Path) -> None:
    tracker.add_question(Question("q2", "Snow?", Kind.BINARY, datetime(2025, 1, 1), prior=0.3))
    done = reference.import_reference(tracker, *_write(tmp_path), "market")
    assert done.linked == ["q2"]


def test_standing_is_the_last_point_on_or_before_a_day(tracker: Tracker, tmp_path: Path) -> None:
    reference.import_reference(tracker, *_write(tmp_path), "market")
    ref = reference.load(tracker, "market")
    assert ref.standing("q1", date(2024, 12, 31)) is None
    assert ref.standing("q1", date(2025, 1, 1)) == 0.2
    assert ref.standing("q1", date(2025, 1, 8)) == 0.6
    assert ref.standing("q1", date(2025, 3, 1)) == 0.9
    assert ref.standing("nope", date(2025, 3, 1)) is None


@pytest.mark.parametrize(
    ("questions", "series", "message"),
    [
        (QUESTIONS_CSV.replace(",yes,", ",maybe,"), SERIES_CSV, "row 1: outcome 'maybe' is not"),
        (QUESTIONS_CSV.replace("q2,", "q1,", 1), SERIES_CSV, "row 2: qid 'q1' appears twice"),
        (QUESTIONS_CSV.replace("2025-01-20", ""), SERIES_CSV, "row 2: has an outcome but no"),
        (QUESTIONS_CSV.replace(",,,,", ",,,2025-02-01,"), SERIES_CSV, "row 3: has a resolution"),
        (QUESTIONS_CSV.replace("N/A", "soon"), SERIES_CSV, "row 2: open 'soon' is not an ISO"),
        ("qid,question\nq1,x\n", SERIES_CSV, "has no outcome column (accepted: outcome"),
        (QUESTIONS_CSV, SERIES_CSV + "q9,2025-01-01,0.5\n", "row 6: qid 'q9' is not a question"),
        (QUESTIONS_CSV, SERIES_CSV + "q1,2025-01-02,1.5\n", "row 6: prob '1.5' is not a number"),
        (QUESTIONS_CSV, SERIES_CSV + "q1,2025-01-02,\n", "row 6: prob '' is not a number"),
        (QUESTIONS_CSV, SERIES_CSV + "q1,,0.5\n", "row 6: the date is missing"),
        (QUESTIONS_CSV, "qid,day,p\n,2025-01-01,0.1\n", "row 1: the qid is missing"),
        (QUESTIONS_CSV, "qid,prob\nq1,0.1\n", "has no date column (accepted: date, day)"),
    ],
)
def test_bad_files_store_nothing(
    tracker: Tracker, tmp_path: Path, questions: str, series: str, message: str
) -> None:
    with pytest.raises(ForecastError, match=re.escape(message)) as caught:
        reference.import_reference(tracker, *_write(tmp_path, questions, series), "market")
    assert "\n" not in str(caught.value)
    assert set(_stored(tracker).values()) == {0}


def test_bad_names_paths_and_repeats(tracker: Tracker, tmp_path: Path) -> None:
    q, s = _write(tmp_path)
    with pytest.raises(ForecastError, match="reference id 'two words' is invalid"):
        reference.import_reference(tracker, q, s, "two words")
    with pytest.raises(ForecastError, match=r"cannot read .*missing\.csv"):
        reference.import_reference(tracker, tmp_path / "missing.csv", s, "m")
    with pytest.raises(ForecastError, match=r"use a \.csv or \.parquet file"):
        reference.import_reference(tracker, tmp_path / "q.xlsx", s, "m")
    reference.import_reference(tracker, q, s, "m")
    before = _stored(tracker)
    with pytest.raises(ForecastError, match="reference 'm' already exists"):
        reference.import_reference(tracker, q, s, "m")
    assert _stored(tracker) == before
    with pytest.raises(NotFound, match="no reference 'other'"):
        reference.load(tracker, "other")


# ---------------------------------------------------------------------- scores


def test_scores_at_horizons_by_hand(tracker: Tracker, tmp_path: Path) -> None:
    reference.import_reference(tracker, *_write(tmp_path), "market")
    scored = track_record.score_reference(reference.load(tracker, "market"), [1, 7, 30])
    one, seven, thirty = scored.horizons
    # q1 (YES on 01-10): 0.9 stood on 01-09, 0.2 on 01-03. q2 (NO on 01-20): 0.3 on 01-19.
    assert one.forecasts == {"q1": 0.9, "q2": 0.3}
    assert one.summary is not None and one.summary["brier"] == pytest.approx((0.01 + 0.09) / 2)
    assert seven.forecasts == {"q1": 0.2}
    assert seven.summary is not None and seven.summary["brier"] == pytest.approx(0.64)
    assert (thirty.count, thirty.summary, thirty.calibration) == (0, None, None)
    # q1 time-averaged from its first point (01-01) to 01-09: four days at 0.2, four at 0.6,
    # one at 0.9. q2's only point (01-15) stands 01-15 to 01-19: five days at 0.3.
    brier_q1 = scored.averaged["q1"]["brier"]
    assert brier_q1.days == 9
    assert brier_q1.score == pytest.approx((4 * 0.64 + 4 * 0.16 + 0.01) / 9)
    assert scored.averaged["q2"]["brier"].score == pytest.approx(0.09)
    assert (scored.questions, scored.resolved) == (3, 2)


def test_a_negative_horizon_is_refused(tracker: Tracker, tmp_path: Path) -> None:
    reference.import_reference(tracker, *_write(tmp_path), "market")
    with pytest.raises(ForecastError, match="a horizon is a whole number of days"):
        track_record.score_reference(reference.load(tracker, "market"), [-1])


def test_cli_import_and_score(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    q, s = _write(tmp_path)
    assert main(["import-reference", str(q), str(s), "--name", "market"]) == 0
    out = capsys.readouterr().out
    assert out.strip() == "imported reference market: 3 questions (2 resolved), 5 points"
    assert main(["score", "--json", "--reference", "market", "--horizon", "7"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["reference"]["horizons"][0]["days"] == 7
    assert data["reference"]["horizons"][0]["count"] == 1
    assert data["reference"]["averaged"]["count"] == 2


def test_cli_errors_are_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["score", "--horizon", "7"]) == 2
    assert "--horizon goes with --reference" in capsys.readouterr().err
    assert main(["score", "--reference", "nope"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: no reference 'nope'") and err.count("\n") == 1
    q, s = _write(tmp_path, series=SERIES_CSV + "q1,2025-01-02,2\n")
    assert main(["import-reference", str(q), str(s), "--name", "m"]) == 1
    assert capsys.readouterr().err.count("\n") == 1


# ---------------------------------------------------------------------- ForecastBench


@needs_forecastbench
def test_forecastbench_loads_as_it_is(tracker: Tracker) -> None:
    done = reference.import_reference(
        tracker,
        FORECASTBENCH / "questions.parquet",
        FORECASTBENCH / "timeseries.parquet",
        "forecastbench",
    )
    raw = pd.read_parquet(FORECASTBENCH / "timeseries.parquet")
    unique = raw.drop_duplicates(["qid", "date"], keep="last")
    assert (done.questions, done.resolved) == (1161, 1161)
    assert (done.points, done.replaced) == (len(unique), len(raw) - len(unique))
    # The stored value of a repeated day is the file's later row.
    ref = reference.load(tracker, "forecastbench")
    row = unique.iloc[len(unique) // 2]
    assert ref.standing(row.qid, date.fromisoformat(row.date)) == row.prob


@needs_forecastbench
def test_forecastbench_scored_at_1_7_and_30_days(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    files = [str(FORECASTBENCH / "questions.parquet"), str(FORECASTBENCH / "timeseries.parquet")]
    assert main(["import-reference", *files, "--name", "fb"]) == 0
    capsys.readouterr()
    args = ["score", "--json", "--reference", "fb", "--horizon", "30", "--horizon", "1"]
    assert main([*args, "--horizon", "7"]) == 0
    horizons = json.loads(capsys.readouterr().out)["reference"]["horizons"]
    assert [h["days"] for h in horizons] == [1, 7, 30]
    expected = _pandas_oracle([1, 7, 30])
    for h in horizons:
        count, brier = expected[h["days"]]
        assert h["count"] == count > 0
        assert h["summary"]["brier"] == pytest.approx(brier, rel=1e-12)


def _pandas_oracle(horizons: list[int]) -> dict[int, tuple[int, float]]:
    """Counts and mean Brier at each horizon, by pandas' as-of merge (an independent route)."""
    q = pd.read_parquet(FORECASTBENCH / "questions.parquet")
    s = pd.read_parquet(FORECASTBENCH / "timeseries.parquet")
    s = s.drop_duplicates(["qid", "date"], keep="last")
    s["day"] = pd.to_datetime(s["date"])
    s = s.sort_values("day")
    found = {}
    for h in horizons:
        target = q[["qid", "outcome"]].copy()
        target["day"] = pd.to_datetime(q["effective_resolution_date"]) - pd.Timedelta(days=h)
        merged = pd.merge_asof(target.sort_values("day"), s, on="day", by="qid").dropna(
            subset=["prob"]
        )
        found[h] = (len(merged), float(((merged.prob - merged.outcome) ** 2).mean()))
    return found
