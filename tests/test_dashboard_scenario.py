"""The Scenario page: the demo's linked questions as a graph and a table as of a date; the
link form showing the child's implied prior as it is typed, then saving the link; user text
escaped in the graph; a viewer sees no form."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from dashboard_support import STORY_DAY, errors, run_app, texts

from forecast.api import Tracker
from forecast.clock import end_of_day
from forecast.domain import Kind, Question

OPENED = datetime(2026, 11, 1, tzinfo=UTC)


def _dot(at: object) -> str:
    [chart] = at.get("graphviz_chart")  # type: ignore[attr-defined]
    return str(chart.proto.spec)


def test_the_demo_scenario_as_of_its_story_day(db: Path) -> None:
    at = run_app("scenario", as_of=STORY_DAY)
    assert not errors(at)
    dot = _dot(at)
    for qid in ("lavrov-rubio-meeting", "putin-trump-meeting", "summit-venue"):
        assert f'"{qid}"' in dot
    assert '"lavrov-rubio-meeting" -> "putin-trump-meeting" [label="yes: 60%\\nno: 30%"]' in dot
    linked = {x.question.id: x for x in Tracker.open().linked(end_of_day(STORY_DAY))}
    table = at.dataframe[0].value
    assert table["question"].tolist() == sorted(linked)
    shown = dict(zip(table["question"], table["linked"], strict=True))
    assert shown["putin-trump-meeting"] == f"{linked['putin-trump-meeting'].linked.headline:.1%}"


def test_the_form_shows_the_implied_prior_then_saves(db: Path) -> None:
    t = Tracker.open()
    t.add_question(Question("a", 'Will "A" \\ happen?', Kind.BINARY, OPENED, prior=0.4))
    t.add_question(Question("b", "Will B happen?", Kind.BINARY, OPENED, prior=0.5))
    at = run_app("scenario")
    at.selectbox(key="link_parent").set_value("a").run()
    at.selectbox(key="link_child").set_value("b").run()
    at.text_input(key="link_a_b_yes_yes").input("0.8").run()
    assert "implied prior" not in texts(at)  # not until every state has a value
    at.text_input(key="link_a_b_no_yes").input("10%").run()
    assert "b: implied prior 38.0%; stated prior 50.0%." in texts(at, unescaped=True)
    at.text_input(key="link_reason").input("A makes B likely").run()
    at.button(key="link_save").click().run()
    assert not errors(at)
    [stored] = [x for x in t.links() if x.child == "b"]
    assert stored.given == ((("yes",), (0.8,)), (("no",), (0.1,)))
    assert stored.reason == "A makes B likely"
    dot = _dot(at)
    assert 'Will \\"A\\" \\\\ happen?' in dot  # quotes and backslashes escaped in DOT


def test_a_refused_link_says_why(db: Path) -> None:
    at = run_app("scenario")
    at.selectbox(key="link_parent").set_value("summit-venue").run()
    at.selectbox(key="link_child").set_value("lavrov-rubio-meeting").run()
    for option in ("budapest", "elsewhere", "no-summit"):
        at.text_input(key=f"link_summit-venue_lavrov-rubio-meeting_{option}_yes").input("0.5").run()
    assert [e.replace("\u2060", "") for e in errors(at)] == [  # md() keeps "->" as text
        'a link from "summit-venue" to "lavrov-rubio-meeting" would close a cycle: '
        "lavrov-rubio-meeting -> putin-trump-meeting -> summit-venue -> lavrov-rubio-meeting"
    ]


def test_a_viewer_sees_the_graph_and_no_form(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FORECAST_DASHBOARD_MODE", "viewer")
    at = run_app("scenario", as_of=STORY_DAY)
    assert _dot(at)
    assert not [s for s in at.selectbox if str(s.key).startswith("link_")]


def test_why_lists_each_reports_part(db: Path) -> None:
    at = run_app("scenario", as_of=STORY_DAY)
    at.selectbox(key="scenario_why").set_value("putin-trump-meeting").run()
    [x] = [
        x for x in Tracker.open().linked(end_of_day(STORY_DAY))
        if x.question.id == "putin-trump-meeting"
    ]
    table = at.dataframe[1].value
    assert table["reports"].tolist() == [", ".join(w.reports) for w in x.why]
    assert table["change (pts)"].tolist() == [round(100 * w.change, 2) for w in x.why]
    assert "lavrov-rubio-meeting" in table["counted on"].tolist()  # one arrives via a link


def test_the_chart_follows_the_question_alone_and_linked(db: Path) -> None:
    at = run_app("scenario", as_of=STORY_DAY)
    at.selectbox(key="scenario_why").set_value("putin-trump-meeting").run()
    assert not at.exception
    [chart] = at.get("vega_lite_chart")
    data = b"".join(d.data.data for d in chart.proto.datasets)  # the series, as Arrow
    assert b"with its links" in data and b"alone" in data
