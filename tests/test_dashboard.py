"""The dashboard, run in-process with Streamlit's AppTest on a copy of the demo database."""

from __future__ import annotations

import json
import re
import threading
from datetime import UTC, date, datetime, time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from dashboard_support import APP, STORY_DAY, counts, errors, run_app, submit, texts
from streamlit.testing.v1 import AppTest

from dashboards import charts, frames, state, text
from forecast.api import Judgement, Tracker
from forecast.clock import end_of_day
from forecast.domain import Kind
from forecast.readmodel import AWAITING
from forecast.scales import SCALE

PAGES = ["overview", "question", "log_evidence", "evidence", "new_question", "edit_question"]
PAGES += ["resolve", "sources"]
PAGES += ["track_record", "weekly", "learning", "audit", "search"]  # the read-only pages
PAGES += ["alerts"]
HOSTILE = ["<script>alert(1)</script>", "'; DROP TABLE reports; --"]


# --------------------------------------------------------------------------- fixtures


@pytest.fixture
def tracker(db: Path) -> Tracker:
    return Tracker.open(str(db))


def app(page: str | None = None, *, as_of: date | None = STORY_DAY, **query: str) -> AppTest:
    """The app on ``page``, run once, with the as-of date (None: today) and query params."""
    return run_app(page, as_of=as_of, **query)


def specs(at: AppTest) -> list[dict]:
    return [json.loads(chart.proto.spec) for chart in at.get("vega_lite_chart")]


def chart_data(at: AppTest, index: int) -> list[pd.DataFrame]:
    """The data sets Streamlit sends with a chart (as Arrow, beside the spec)."""
    chart = at.get("vega_lite_chart")[index]
    return [pa.ipc.open_stream(ds.data.data).read_pandas() for ds in chart.proto.datasets]


# --------------------------------------------------------------------------- every page


@pytest.mark.parametrize("as_of", [STORY_DAY, None], ids=["story-day", "today"])
@pytest.mark.parametrize("page", PAGES)
def test_every_page_runs_on_the_demo(db: Path, page: str, as_of: date | None) -> None:
    at = app(page, as_of=as_of)
    assert at.title, "every page has a title"
    assert at.sidebar.date_input(key="as_of").value == (as_of or datetime.now(UTC).date())


def test_every_page_runs_on_an_empty_database() -> None:
    for page in PAGES:
        app(page)


# --------------------------------------------------------------------------- overview


def test_overview_today_flags_questions_awaiting_resolution(db: Path) -> None:
    at = app(as_of=None)
    table = at.dataframe[0].value
    assert set(table["id"]) == {
        "putin-trump-meeting",
        "lavrov-rubio-meeting",
        "russia-ceasefire-line",
        "summit-venue",
    }
    awaiting = set(table.loc[table["status"] == AWAITING, "id"])
    assert awaiting == {"putin-trump-meeting", "lavrov-rubio-meeting"}
    assert "await resolution" in texts(at)
    links = {json.dumps(link.proto.query_string) for link in at.get("page_link")}
    assert any("putin-trump-meeting" in q for q in links)


def test_latest_evidence_shortcut_tells_the_story_in_one_click(db: Path) -> None:
    at = app(as_of=None)
    at.sidebar.button(key="as_of_latest").click().run()
    assert at.session_state["as_of"] == STORY_DAY
    table = at.dataframe[0].value.set_index("id")
    assert AWAITING not in set(table["status"])
    # v1 pinned 7.87 here; model v2 moved it. The number shown is the engine's headline.
    engine = Tracker.open(str(db)).state("putin-trump-meeting", as_of=end_of_day(STORY_DAY))
    assert table.loc["putin-trump-meeting", "probability"] == pytest.approx(
        100 * float(engine.probability)  # type: ignore[arg-type]
    )
    assert table.loc["putin-trump-meeting", "change"] < -30  # points, over the week
    assert len(table.loc["summit-venue", "trend"]) == 6  # opened 10-16, shown to 10-21


def test_overview_filters_by_status_kind_and_tag(db: Path) -> None:
    at = app()
    at.multiselect(key="overview_kind").set_value(["choice"]).run()
    assert list(at.dataframe[0].value["id"]) == ["summit-venue"]
    at.multiselect(key="overview_kind").set_value([]).run()
    at.multiselect(key="overview_tags").set_value(["ceasefire"]).run()
    assert list(at.dataframe[0].value["id"]) == ["russia-ceasefire-line"]


# --------------------------------------------------------------------------- question page


@pytest.mark.parametrize(
    "qid", ["putin-trump-meeting", "lavrov-rubio-meeting", "russia-ceasefire-line", "summit-venue"]
)
def test_question_page_draws_trajectory_and_waterfall(db: Path, qid: str) -> None:
    at = app("question", q=qid)
    assert at.selectbox(key="question").value == qid
    # An event question has its date distribution between the two (model v2).
    trajectory, *_, waterfall = specs(at)
    layers = trajectory["layer"]
    marks = [layer["mark"]["type"] for layer in layers]
    assert "point" in marks
    params = json.dumps(trajectory.get("params", [])) + json.dumps(layers)
    assert charts.REPORT_SELECTION in params, "the report markers are clickable"
    series = {s for df in chart_data(at, 0) if "series" in df for s in df["series"]}
    if qid == "putin-trump-meeting":
        assert series == {"by 2025-11-30", "by 2025-12-31"}, "one line per deadline"
        assert "rule" in marks
    if qid == "summit-venue":
        assert "area" in marks and series == {"budapest", "elsewhere", "no-summit"}
    assert "layer" in waterfall or "mark" in waterfall
    assert any("without" in df for df in chart_data(at, -1)), "the leave-one-out values"
    assert "Resolution criteria" in texts(at) and "Prior" in texts(at)


def test_a_linked_question_page_says_what_its_links_bring(db: Path, tracker: Tracker) -> None:
    at = app("question", q="putin-trump-meeting")
    s = tracker.state("putin-trump-meeting", as_of=end_of_day(STORY_DAY))
    assert s.alone is not None
    alone = text.pct(float(s.alone.final))
    assert (
        "Linked to lavrov-rubio-meeting, summit-venue: these forecasts carry what its links "
        f"bring (see Scenario). On its own evidence it would read {alone}."
    ) in texts(at, unescaped=True)


def test_question_page_report_markers_carry_their_explanation(db: Path) -> None:
    at = app("question", q="putin-trump-meeting")
    trajectory = specs(at)[0]
    marks = next(df for df in chart_data(at, 0) if "rationale" in df)
    # the demo's busy day: one marker for its reports, each named in its text
    (day,) = marks[marks["title"].str.contains("Preparatory Rubio–Lavrov meeting postponed")].index
    busy = marks.loc[day]
    assert busy["reports"] == int(busy["label"]) > 1
    assert "CNN" in busy["source"]
    # a report counted through a link shows the judgements it was counted on
    assert "maria: strong-against (LR 0.0183)" in busy["lr"]
    assert busy["published"].startswith("1. 2025-10-21")
    assert "Postponed is not cancelled" in busy["rationale"]  # ivan's, on the Lavrov meeting
    tooltip = json.dumps(trajectory["layer"][-1]["encoding"]["tooltip"])
    for field in ("title", "source", "published", "lr", "rationale"):
        assert f'"{field}"' in tooltip


def test_question_page_as_of_shows_what_was_believed_then(db: Path, tracker: Tracker) -> None:
    at = app("question", as_of=date(2025, 10, 20), q="putin-trump-meeting")
    # Knowledge time: on 10-20 nothing had been logged yet (the reports came in on 10-21).
    assert at.metric[-1].value == "0"
    expected = tracker.state("putin-trump-meeting", as_of=end_of_day(date(2025, 10, 20)))
    assert at.metric[0].value == text.pct(expected.deadline_probabilities()[0][1])
    at = app("question", q="putin-trump-meeting")
    assert at.metric[-1].value == "10"


def test_question_page_flags_a_past_deadline(db: Path) -> None:
    at = app("question", as_of=None, q="lavrov-rubio-meeting")
    assert "awaiting resolution" in texts(at)


def test_question_page_reader_shows_the_full_report(db: Path) -> None:
    at = app("question", q="putin-trump-meeting")
    at.selectbox(key="report_pick").set_value("reuters-trump-drops-meeting").run()
    shown = texts(at)
    assert "Citing a senior White House official" in shown
    assert "senior White House official, 2025-10-21" in shown  # the origin
    judged = at.dataframe[-2].value if len(at.dataframe) > 2 else at.dataframe[-1].value
    assert "positive-against" in " ".join(map(str, judged.to_numpy().ravel()))


def test_question_page_per_analyst_trajectory(db: Path, tracker: Tracker) -> None:
    at = app("question", q="putin-trump-meeting")
    at.selectbox[1].set_value("ivan").run()
    mine = tracker.state("putin-trump-meeting", as_of=end_of_day(STORY_DAY), analyst="ivan")
    assert at.metric[0].value == text.pct(mine.deadline_probabilities()[0][1])


def test_trajectory_chart_draws_a_band_when_given(db: Path, tracker: Tracker) -> None:
    s = tracker.state("russia-ceasefire-line", as_of=end_of_day(STORY_DAY))
    n = len(s.trajectory.days)
    spec = charts.trajectory(s, band=(np.full(n, 0.02), np.full(n, 0.2))).to_dict()
    band = spec["layer"][0]
    assert band["mark"]["type"] == "area" and band["encoding"]["y2"]["field"] == "upper"
    assert "upper" not in json.dumps(charts.trajectory(s).to_dict()["layer"])


def test_the_trajectory_spans_the_days_known_not_the_last_deadline(
    db: Path, tracker: Tracker
) -> None:
    # On 2025-11-05 the summit question's ladder runs to 2025-12-31; the chart covers
    # 2025-10-16 to 2025-11-05 (half a day of margin), and the rules beyond are clipped.
    s = tracker.state("putin-trump-meeting", as_of=end_of_day(date(2025, 11, 5)))
    spec = charts.trajectory(s).to_dict()
    lines = next(layer for layer in spec["layer"] if layer["mark"]["type"] == "line")
    x = lines["encoding"]["x"]
    assert x["scale"]["domain"] == ["2025-10-16T00:00:00", "2025-11-05T12:00:00"]
    assert x["axis"]["format"] == "%Y-%m-%d" and x["axis"]["tickMinStep"] == charts.DAY_MS
    rules = [
        layer
        for layer in spec["layer"]
        if layer["mark"]["type"] in ("rule", "text")
        and layer["encoding"].get("text", {}).get("field") != "label"  # the markers' counts
    ]
    assert len(rules) == 2 and all(layer["mark"]["clip"] for layer in rules)
    assert any(p.get("bind") == "scales" for p in spec["params"]), "drag to see further"


def test_the_waterfall_names_every_step(db: Path, tracker: Tracker) -> None:
    s = tracker.state("putin-trump-meeting", as_of=end_of_day(STORY_DAY))
    spec = charts.waterfall(s).to_dict()
    bars = spec["layer"][0]["encoding"]
    assert bars["y"]["field"] == "label" and bars["y"]["axis"]["labelOverlap"] is False
    assert (bars["x"]["field"], bars["x2"]["field"]) == ("start", "end")
    assert spec["height"] == {"step": 24}  # a row per step, however many


def test_waterfall_adds_up_from_prior_to_now(db: Path, tracker: Tracker) -> None:
    for qid in ("putin-trump-meeting", "russia-ceasefire-line"):
        s = tracker.state(qid, as_of=end_of_day(STORY_DAY))
        steps = frames.waterfall(s)
        inner = steps[~steps["kind"].isin(["prior", "now"])]
        # a linked question starts from the prior its links imply (putin-trump: 49.5%)
        start = s.implied_prior if s.implied_prior is not None else s.question.prior
        assert start + inner["points"].sum() == pytest.approx(float(s.trajectory.final))
        assert steps.iloc[-1]["end"] == pytest.approx(float(s.trajectory.final))
        reports = steps[steps["kind"] == "report"].set_index("report")["without"]
        for c in s.contributions:
            assert reports[c.report_id] == pytest.approx(float(c.without))


# --------------------------------------------------------------------------- log evidence


def fill_report(at: AppTest, **fields: object) -> None:
    values = {
        "source": "Reuters",
        "date": date(2025, 10, 22),
        "time": time(9, 30),
        "title": "",
        "summary": "",
        "url": "",
        "origin": "",
        "analyst": "olga",
    }
    values.update(fields)
    at.selectbox(key="log_source_0").set_value(values.pop("source"))
    at.date_input(key="log_date_0").set_value(values.pop("date"))
    at.time_input(key="log_time_0").set_value(values.pop("time"))
    at.text_area(key="log_summary_0").input(values.pop("summary"))
    for name, value in values.items():
        at.text_input(key=f"log_{name}_0").input(value)


def log_page(*qids: str) -> AppTest:
    at = app("log_evidence")
    at.multiselect(key="log_questions").set_value(list(qids)).run()
    return at


def test_log_evidence_stores_exactly_what_was_entered(db: Path, tracker: Tracker) -> None:
    at = log_page("russia-ceasefire-line", "putin-trump-meeting", "summit-venue")
    title = "Песков: встреча «не отменена» — 会谈仍有可能"
    fill_report(
        at,
        title=title,
        summary="Полный текст на русском.\nВторая строка.",
        url="https://example.org/a?b=1",
        origin="Kremlin spokesperson, 2025-10-22",
    )
    at.text_input(key="log_lr_russia-ceasefire-line_0").input("1.5")
    at.text_area(key="log_why_russia-ceasefire-line_0").input("Слабый сигнал.")
    at.selectbox(key="log_strength_putin-trump-meeting_0").set_value("weak-for")
    at.text_input(key="log_lik_summit-venue_budapest_0").input("1.4")
    at.text_input(key="log_lik_summit-venue_no-summit_0").input("0.8")
    before = counts(tracker)
    submit(at, "log_save")
    assert not errors(at)
    assert "Logged report" in texts(at)
    after = counts(tracker)
    assert after["reports"] == before["reports"] + 1
    assert after["assessments"] == before["assessments"] + 3
    report = next(r for r in tracker.reports() if r.title == title)
    assert (report.source, report.published) == (
        "Reuters",
        datetime(2025, 10, 22, 9, 30, tzinfo=UTC),
    )
    assert report.summary == "Полный текст на русском.\nВторая строка."
    assert (report.url, report.origin) == (
        "https://example.org/a?b=1",
        "Kremlin spokesperson, 2025-10-22",
    )
    mine = {a.question_id: a for a in tracker.history(None).assessments if a.report_id == report.id}
    assert mine["russia-ceasefire-line"].lr == 1.5
    assert mine["russia-ceasefire-line"].rationale == "Слабый сигнал."
    assert mine["russia-ceasefire-line"].analyst == "olga"
    assert mine["putin-trump-meeting"].strength == "weak-for"
    assert mine["putin-trump-meeting"].lr == pytest.approx(SCALE["weak-for"])
    assert dict(mine["summit-venue"].likelihoods) == {"budapest": 1.4, "no-summit": 0.8}
    # The form is fresh again: a second click cannot log the same report twice.
    assert at.text_input(key="log_title_1").value == ""


def test_log_evidence_preview_shows_before_and_after_and_stores_nothing(
    db: Path, tracker: Tracker
) -> None:
    at = log_page("russia-ceasefire-line", "putin-trump-meeting")
    fill_report(at, title="preview only")
    at.text_input(key="log_lr_russia-ceasefire-line_0").input("4")
    at.text_input(key="log_lr_putin-trump-meeting_0").input("0.5")
    before = counts(tracker)
    submit(at, "log_preview")
    assert counts(tracker) == before
    previews = {df.value["question"][0]: df.value for df in at.dataframe}
    binary = previews["russia-ceasefire-line"]
    assert binary["after (that day)"][0] > binary["before (that day)"][0]
    assert binary["after (now)"][0] > binary["before (now)"][0]
    event = previews["putin-trump-meeting"]
    assert list(event["of"]) == ["by 2025-11-30", "by 2025-12-31"]
    assert (event["after (that day)"] < event["before (that day)"]).all()


@pytest.mark.parametrize(
    ("lr", "strength", "message"),
    [
        ("-2", None, "likelihood ratio must be greater than 0"),
        ("abc", None, "likelihood ratio must be a number"),
        ("2", "strong-for", "give exactly one of"),
        ("", None, "give exactly one of"),
    ],
)
def test_log_evidence_bad_input_shows_the_error_and_stores_nothing(
    db: Path, tracker: Tracker, lr: str, strength: str | None, message: str
) -> None:
    at = log_page("russia-ceasefire-line")
    fill_report(at, title="should not be stored")
    at.text_input(key="log_lr_russia-ceasefire-line_0").input(lr)
    if strength:
        at.selectbox(key="log_strength_russia-ceasefire-line_0").set_value(strength)
    before = counts(tracker)
    submit(at, "log_save")
    assert any(message in e for e in errors(at)), errors(at)
    assert counts(tracker) == before
    assert at.text_input(key="log_title_0").value == "should not be stored", "input is kept"


def test_log_evidence_refuses_a_report_after_an_event_deadline(db: Path, tracker: Tracker) -> None:
    at = log_page("lavrov-rubio-meeting")
    fill_report(at, date=date(2025, 11, 5))
    at.text_input(key="log_lr_lavrov-rubio-meeting_0").input("3")
    before = counts(tracker)
    submit(at, "log_save")
    assert any("after the last deadline" in e for e in errors(at))
    assert counts(tracker) == before


def test_a_report_logged_already_is_refused_until_marked_as_another(
    db: Path, tracker: Tracker
) -> None:
    # The demo holds Reuters' "Trump drops plans to meet Putin soon" of 2025-10-21: the same
    # title a day later from the same source is that report, as the API says.
    at = log_page("russia-ceasefire-line")
    fill_report(at, title="Trump drops plans to meet Putin soon")
    at.text_input(key="log_lr_russia-ceasefire-line_0").input("0.8")
    before = counts(tracker)
    submit(at, "log_save")
    assert errors(at) == [
        "report reuters-trump-drops-meeting looks like this one ('Trump drops plans to meet "
        "Putin soon', Reuters, published 2025-10-21, same source): assess that report instead, "
        "or log this one anyway (force) if it is another report"
    ]
    assert counts(tracker) == before
    at.checkbox(key="log_force_0").check()
    submit(at, "log_save")
    assert not errors(at)
    assert counts(tracker)["reports"] == before["reports"] + 1


def test_a_new_origin_like_a_logged_one_is_pointed_out(db: Path, tracker: Tracker) -> None:
    at = log_page("russia-ceasefire-line")
    fill_report(at, title="A new angle", origin="senior White House officials")
    at.text_input(key="log_lr_russia-ceasefire-line_0").input("0.8")
    submit(at, "log_preview")
    shown = texts(at, unescaped=True)
    assert (
        "Origin 'senior White House officials' is new, and resembles 'senior White House "
        "official, 2025-10-21'. If it is the same claim, type that origin" in shown
    )


def test_a_source_added_inline_is_stored_and_picked(db: Path, tracker: Tracker) -> None:
    at = app("log_evidence")
    at.text_input(key="log_new_source_name").input("Kommersant")
    at.text_input(key="log_new_source_type").input("newspaper")
    at.text_input(key="log_new_source_reliability").input("0.7")
    submit(at, "log_new_source_submit")
    added = next(s for s in tracker.sources() if s.name == "Kommersant")
    assert (added.type, added.reliability) == ("newspaper", 0.7)
    assert at.selectbox(key="log_source_0").value == "Kommersant"


def test_a_bad_inline_source_shows_the_error(db: Path, tracker: Tracker) -> None:
    at = app("log_evidence")
    at.text_input(key="log_new_source_name").input("Reuters")
    at.text_input(key="log_new_source_reliability").input("0.5")
    submit(at, "log_new_source_submit")
    assert any("already exists" in e for e in errors(at))
    at.text_input(key="log_new_source_name").input("Too sure")
    at.text_input(key="log_new_source_reliability").input("1.5")
    submit(at, "log_new_source_submit")
    assert any("reliability must be between 0 and 1" in e for e in errors(at))
    assert "Too sure" not in {s.name for s in tracker.sources()}


# --------------------------------------------------------------------------- new question


def new_question_page(kind: str, **fields: str) -> AppTest:
    at = app("new_question")
    at.radio(key="new_question_kind").set_value(Kind(kind)).run()
    for name, value in fields.items():
        widget = at.text_area if name in ("criteria", "options", "prior_note") else at.text_input
        widget(key=f"new_question_{name}_0").input(value)
    at.date_input(key="new_question_opened_0").set_value(date(2025, 10, 20))
    return submit(at, "new_question_submit")


def test_new_event_question_is_stored_as_entered(db: Path, tracker: Tracker) -> None:
    at = new_question_page(
        "event",
        id="zelensky-putin",
        title="Will Zelensky and Putin meet?",
        prior="0.05",
        deadlines="2025-12-31, 2026-06-30",
        alpha="2",
        criteria="Face to face.",
        prior_note="Never met since 2019.",
        tags="ukraine, summit",
    )
    assert not errors(at)
    q = tracker.question("zelensky-putin")
    assert (q.kind, q.title, q.prior, q.alpha) == (
        Kind.EVENT,
        "Will Zelensky and Putin meet?",
        0.05,
        2.0,
    )
    assert [d.date() for d in q.deadlines] == [date(2025, 12, 31), date(2026, 6, 30)]
    assert q.opened == datetime(2025, 10, 20, tzinfo=UTC)
    assert (q.criteria, q.prior_note, q.tags) == (
        "Face to face.",
        "Never met since 2019.",
        ("ukraine", "summit"),
    )


def test_new_choice_question_is_stored_as_entered(db: Path, tracker: Tracker) -> None:
    at = new_question_page(
        "choice", id="venue-2", title="Venue?", options="a=20%\nb=0.8", closes="2025-12-31"
    )
    assert not errors(at)
    assert tracker.question("venue-2").options == (("a", 0.2), ("b", 0.8))
    assert tracker.question("venue-2").closes == datetime(2025, 12, 31, tzinfo=UTC)


def test_a_binary_question_takes_a_percentage_and_a_close_date(
    db: Path, tracker: Tracker
) -> None:
    at = new_question_page("binary", id="cut", title="Cut?", prior="40%", closes="2025-12-10")
    assert not errors(at)
    q = tracker.question("cut")
    assert (q.prior, q.closes) == (0.4, datetime(2025, 12, 10, tzinfo=UTC))
    # The overview (today: the question was created today) counts the days to its close
    # date, negative once it has passed, and flags the question as awaiting resolution.
    row = app(as_of=None).dataframe[0].value.set_index("id").loc["cut"]
    today = datetime.now(UTC).date()
    assert row["days_left"] == (date(2025, 12, 10) - today).days < 0
    assert row["status"] == AWAITING
    page = app("question", as_of=None, q="cut")
    shown = texts(page, unescaped=True)
    assert "Closes 2025-12-10: passed." in shown
    assert "Past its close date (2025-12-10) and not resolved: awaiting resolution." in shown


@pytest.mark.parametrize(
    ("kind", "fields", "message"),
    [
        ("binary", {"id": "x1", "title": "T", "prior": "1.5"}, "prior must be strictly between"),
        ("binary", {"id": "x1", "title": "T", "prior": "much"}, "prior must be a number"),
        ("binary", {"id": "bad id", "title": "T", "prior": "0.5"}, "question id 'bad id'"),
        ("binary", {"id": "x1", "title": " ", "prior": "0.5"}, "title must not be empty"),
        ("event", {"id": "x1", "title": "T", "prior": "0.5"}, "at least one deadline"),
        ("event", {"id": "x1", "title": "T", "prior": "0.5", "deadlines": "soon"}, "is not an ISO"),
        ("choice", {"id": "x1", "title": "T", "options": "a=0.5\nb=0.6"}, "must sum to 1"),
        ("binary", {"id": "x1", "title": "T", "prior": "0.5", "closes": "soon"}, "close date"),
        ("binary", {"id": "x1", "title": "T", "prior": "140%"}, "not 1.4"),
        ("binary", {"id": "summit-venue", "title": "T", "prior": "0.5"}, "already exists"),
    ],
)
def test_new_question_bad_input_shows_the_error_and_stores_nothing(
    db: Path, tracker: Tracker, kind: str, fields: dict[str, str], message: str
) -> None:
    before = counts(tracker)
    at = new_question_page(kind, **fields)
    assert any(message in e for e in errors(at)), errors(at)
    assert counts(tracker) == before


# --------------------------------------------------------------------------- resolve


def test_resolve_stores_the_outcome(db: Path, tracker: Tracker) -> None:
    at = app("resolve", q="lavrov-rubio-meeting")
    at.selectbox(key="resolve_outcome_lavrov-rubio-meeting_0").set_value("no")
    at.date_input(key="resolve_date_0").set_value(date(2025, 10, 31))
    at.text_area(key="resolve_note_0").input("No meeting took place; see Reuters 2025-11-01.")
    submit(at, "resolve_submit")
    assert not errors(at)
    res = tracker.history(["lavrov-rubio-meeting"]).resolutions[-1]
    assert (res.outcome, res.resolved_on.date(), res.note) == (
        "no",
        date(2025, 10, 31),
        "No meeting took place; see Reuters 2025-11-01.",
    )
    at.switch_page("views/question.py").run()
    assert at.selectbox(key="question").value == "lavrov-rubio-meeting", "the page remembers"
    assert "Resolved" not in texts(at), "as of 2025-10-21 the resolution was not known yet"
    at.sidebar.button(key="as_of_today").click().run()
    assert "Resolved: **no** on 2025-10-31" in texts(at)


def test_resolve_before_opening_is_refused(db: Path, tracker: Tracker) -> None:
    at = app("resolve", q="summit-venue")
    at.selectbox(key="resolve_outcome_summit-venue_0").set_value("budapest")
    at.date_input(key="resolve_date_0").set_value(date(2025, 1, 1))
    submit(at, "resolve_submit")
    assert any("is before question summit-venue opened" in e for e in errors(at))
    assert not tracker.history(["summit-venue"]).resolutions


# --------------------------------------------------------------------------- sources


def test_sources_page_lists_versions_and_reports(db: Path) -> None:
    at = app("sources", source="CNN")
    overview, versions, carried = (df.value for df in at.dataframe)
    assert set(overview["source"]) >= {"Reuters", "CNN", "RIA Novosti"}
    assert overview.set_index("source").loc["CNN", "reports"] == 3
    assert list(versions["version"]) == [1]
    assert len(carried) == 3


def test_sources_page_re_rates_a_source_as_a_new_version(db: Path, tracker: Tracker) -> None:
    at = app("sources", source="RIA Novosti")
    at.text_input(key="source_edit_reliability_RIA Novosti_0").input("0.4")
    at.text_input(key="source_edit_reason_RIA Novosti_0").input("Two retracted stories in 2025.")
    submit(at, "source_edit_submit")
    assert not errors(at)
    versions = tracker.source_versions("RIA Novosti")
    assert [(v.version, v.reliability) for v in versions] == [(1, 0.5), (2, 0.4)]
    assert versions[-1].reason == "Two retracted stories in 2025."
    assert list(at.dataframe[1].value["version"]) == [1, 2]


@pytest.mark.parametrize(
    ("reliability", "reason", "message"),
    [("2", "why", "reliability must be between 0 and 1"), ("0.4", "", "needs a reason")],
)
def test_sources_page_bad_edit_stores_nothing(
    db: Path, tracker: Tracker, reliability: str, reason: str, message: str
) -> None:
    at = app("sources", source="CNN")
    at.text_input(key="source_edit_reliability_CNN_0").input(reliability)
    at.text_input(key="source_edit_reason_CNN_0").input(reason)
    submit(at, "source_edit_submit")
    assert any(message in e for e in errors(at)), errors(at)
    assert len(tracker.source_versions("CNN")) == 1


# --------------------------------------------------------------------------- safety


def _unescape(markdown: str) -> str:
    return re.sub(r"\\(.)", r"\1", markdown).replace(text.WORD_JOINER, "")


def test_hostile_report_titles_render_as_literal_text(db: Path, tracker: Tracker) -> None:
    for i, title in enumerate(HOSTILE):
        tracker.log_evidence(
            [Judgement("russia-ceasefire-line", lr=1.2, rationale=title)],
            source="CNN",
            published=datetime(2025, 10, 22, tzinfo=UTC),
            title=title,
            summary=title,
            new_report_id=f"hostile-{i}",
        )
    assert {r.title for r in tracker.reports()} >= set(HOSTILE), "stored as given, tables intact"
    at = app("question", as_of=None, q="russia-ceasefire-line")
    for i, title in enumerate(HOSTILE):
        at.selectbox(key="report_pick").set_value(f"hostile-{i}").run()
        assert title in [t.value for t in at.text], "title and summary are plain text"
        judged = at.dataframe[-2].value
        assert title in set(judged["rationale"]), "tables hold the text as it is"
    assert all(not m.proto.allow_html for m in at.markdown)
    assert not at.get("html")
    assert all("<script>" not in m.value for m in at.markdown)


def test_markdown_escape_shows_tricky_text_as_typed() -> None:
    tricky = [
        *HOSTILE,
        "*bold* _it_ `code` [link](x) :red[x] :material/home: :smile: $x$ # h",
        "a\\b <b>c</b> -- -> <- <-> >= <= ~= a--b",
    ]
    for raw in tricky:
        escaped = text.md(raw)
        assert _unescape(escaped) == " ".join(raw.split())
        assert ":material/" not in escaped and "<" not in escaped.replace("\\<", "")


# --------------------------------------------------------------------------- concurrency, caching


def test_two_sessions_saving_at_once_both_land(db: Path, tracker: Tracker) -> None:
    first, second = log_page("russia-ceasefire-line"), log_page("russia-ceasefire-line")
    for at, title in ((first, "first tab"), (second, "second tab")):
        fill_report(at, title=title)
        at.text_input(key="log_lr_russia-ceasefire-line_0").input("1.1")
    submit(first, "log_save")
    submit(second, "log_save")  # drawn before the first save: it must not overwrite it
    assert {"first tab", "second tab"} <= {r.title for r in tracker.reports()}


def test_two_threads_writing_at_once_both_land(db: Path, tracker: Tracker) -> None:
    start = threading.Barrier(2)
    failures: list[BaseException] = []

    def write(n: int) -> None:
        try:
            start.wait()
            for i in range(5):
                state.log_evidence(
                    [Judgement("russia-ceasefire-line", lr=1.1)],
                    source="CNN",
                    published=datetime(2025, 10, 22, tzinfo=UTC),
                    title=f"thread {n} #{i}",
                    analyst=f"analyst {n}",
                )
        except BaseException as exc:  # reported below: a thread's failure must fail the test
            failures.append(exc)

    threads = [threading.Thread(target=write, args=(n,)) for n in (1, 2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not failures
    titles = {r.title for r in tracker.reports()}
    assert {f"thread {n} #{i}" for n in (1, 2) for i in range(5)} <= titles


def test_caches_follow_writes_from_outside_the_dashboard(db: Path, tracker: Tracker) -> None:
    at = app("question", as_of=None, q="russia-ceasefire-line")
    before = at.metric[0].value
    tracker.add_evidence(
        "russia-ceasefire-line",
        lr=20,
        source="Reuters",
        title="from the CLI",
        published=datetime(2025, 10, 23, tzinfo=UTC),
    )
    at.run()
    assert at.metric[0].value != before
    assert at.metric[-1].value == "5"


def test_track_record_follows_the_sidebar_as_of_and_writes_from_outside(
    db: Path, tracker: Tracker
) -> None:
    at = app("track_record", as_of=None)
    assert not at.main.date_input, "the page has no date of its own: the sidebar's is used"
    assert "lavrov-rubio-meeting" not in texts(at, unescaped=True)
    # Resolved from outside (the CLI): the next rerun sees it, as every cached read does.
    tracker.resolve("lavrov-rubio-meeting", "no", datetime(2025, 11, 1, tzinfo=UTC), "none")
    at.run()
    assert not at.exception, at.exception
    # No snapshot stood before the resolution date: listed, not scored.
    assert "Not scored: lavrov-rubio-meeting" in texts(at, unescaped=True)
    # Before the resolution was logged, nothing was known resolved.
    before = app("track_record", as_of=STORY_DAY)
    assert "Showing what was known by the end of" in texts(before)
    assert "lavrov-rubio-meeting" not in texts(before, unescaped=True)


def test_the_weekly_page_reads_the_week_as_of_the_sidebar_date(db: Path) -> None:
    # On 2025-10-27 the last complete week is W43; the demo's evidence was logged on
    # 10-21, so read as of 10-20 the same week has no new evidence yet.
    late = app("weekly", as_of=date(2025, 10, 27))
    assert late.text_input[0].value == "2025-W43"
    assert "Showing what was known by the end of" in texts(late)
    postponed = "Preparatory Rubio–Lavrov meeting postponed"  # a report logged on 10-21
    assert postponed in "\n".join(t.value for t in late.text)
    early = app("weekly", as_of=date(2025, 10, 20))
    early.text_input[0].set_value("2025-W43").run()
    assert not early.exception, early.exception
    assert postponed not in "\n".join(t.value for t in early.text)


def _fresh_visit(**query: str) -> AppTest:
    """A new visitor: no date picked in the session (``run_app`` always sets one)."""
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.query_params.update(query)
    at.run()
    assert not at.exception, at.exception
    return at


def test_the_demo_opens_on_its_story_until_anything_else_is_logged(
    db: Path, tracker: Tracker
) -> None:
    at = _fresh_visit()
    assert at.sidebar.date_input(key="as_of").value == STORY_DAY
    assert "Only the demo is loaded: the date starts on 2025-10-21" in texts(at, at.sidebar)
    assert _fresh_visit(as_of="2025-11-05").sidebar.date_input(key="as_of").value == date(
        2025, 11, 5
    )  # a link's date wins
    tracker.add_source("Kommersant", 0.7)  # the database is the analyst's own now
    at = _fresh_visit()
    assert at.sidebar.date_input(key="as_of").value == datetime.now(UTC).date()
    assert "Only the demo" not in texts(at, at.sidebar)


def test_the_evidence_table_puts_the_steps_first_and_groups_echoes(db: Path) -> None:
    at = app("question", q="putin-trump-meeting")
    (table,) = [df.value for df in at.dataframe if "without it" in df.value.columns]
    assert list(table.columns[:4]) == ["published", "step", "without it", "title"]
    by_report = table.set_index("report")
    # Reuters and NBC carry one White House official's words: one claim, shown as such.
    for report in ("reuters-trump-drops-meeting", "nbc-summit-prep-suspended"):
        origin = by_report.loc[report, "origin"]
        assert origin == "senior White House official, 2025-10-21 (one claim with 1 more)"
    assert by_report.loc["cnn-rubio-lavrov-call", "origin"] == "CNN source, 2025-10-20"


def test_retracted_evidence_is_shown_struck_through_from_its_day_on(
    db: Path, tracker: Tracker
) -> None:
    tracker.retract_report("reuters-trump-drops-meeting", reason="the outlet withdrew it")
    caption = "~~Trump drops plans to meet Putin soon~~ (report retracted: the outlet withdrew it)"
    at = app("question", as_of=None, q="putin-trump-meeting")
    assert caption in texts(at, unescaped=True)
    assert "No longer counted" not in texts(app("question", q="putin-trump-meeting"))


def test_every_unreadable_field_is_shown_at_once(db: Path, tracker: Tracker) -> None:
    """A form names every field it cannot read in one go, not one per submit."""
    before = counts(tracker)
    at = new_question_page("binary", id="x", title="X?", prior="forty", closes="next week")
    assert errors(at) == [
        "prior must be a number, not 'forty'",
        "close date 'next week' is not an ISO date (YYYY-MM-DD) or date-time",
    ]
    at = log_page("russia-ceasefire-line", "summit-venue")
    fill_report(at, title="should not be stored")
    at.text_input(key="log_lr_russia-ceasefire-line_0").input("strong")
    at.text_input(key="log_lik_summit-venue_budapest_0").input("lots")
    submit(at, "log_save")
    assert errors(at) == [
        "question russia-ceasefire-line: likelihood ratio must be a number, not 'strong'",
        "question summit-venue: likelihood of 'budapest' must be a number, not 'lots'",
    ]
    assert counts(tracker) == before
