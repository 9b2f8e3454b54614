"""The Scenario page: the demo's linked questions as a graph and a table as of a date; the
link form (one parent or several) showing the child's implied prior as it is typed, then
saving the link; a cycle refused by name; a table too large for the form sent to the CLI;
user text escaped in the graph; a viewer sees no form."""

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
    # Layout change (several parents): the parent is picked in the "Parents" multiselect,
    # and each field starts at the child's stated prior, so the implied prior shows at
    # once (all rows at the stated prior imply it) and goes only when a field is blank.
    at.multiselect(key="link_parents").set_value(["a"]).run()
    at.selectbox(key="link_child").set_value("b").run()
    assert "b: implied prior 50.0%; stated prior 50.0%." in texts(at, unescaped=True)
    at.text_input(key="link_a_b_yes_yes").input(" ").run()
    assert "implied prior" not in texts(at)  # not until every state has a value
    at.text_input(key="link_a_b_yes_yes").input("0.8").run()
    at.text_input(key="link_a_b_no_yes").input("10%").run()
    assert "b: implied prior 38.0%; stated prior 50.0%." in texts(at, unescaped=True)
    assert "(!) The stated prior is 10% or more" in texts(at)  # 12 points apart
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
    at.multiselect(key="link_parents").set_value(["summit-venue"]).run()  # was a selectbox
    at.selectbox(key="link_child").set_value("lavrov-rubio-meeting").run()
    for option in ("budapest", "elsewhere", "no-summit"):
        at.text_input(key=f"link_summit-venue_lavrov-rubio-meeting_{option}_yes").input("0.5").run()
    assert [e.replace("\u2060", "") for e in errors(at)] == [  # md() keeps "->" as text
        'a link from "summit-venue" to "lavrov-rubio-meeting" would close a cycle: '
        "lavrov-rubio-meeting -> putin-trump-meeting -> summit-venue -> lavrov-rubio-meeting"
    ]


def _binary(t: Tracker, qid: str, prior: float) -> None:
    t.add_question(Question(qid, f"Will {qid} happen?", Kind.BINARY, OPENED, prior=prior))


def test_two_parents_linked_from_the_form(db: Path) -> None:
    """Parents independent, priors 0.4 and 0.5: the implied prior is the table's rows
    weighed by the parents' priors, 0.4*0.5*0.9 + 0.4*0.5*0.5 + 0.6*0.5*0.3 + 0.6*0.5*0.1
    = 0.40."""
    t = Tracker.open()
    _binary(t, "a", 0.4)
    _binary(t, "b", 0.5)
    _binary(t, "c", 0.2)
    at = run_app("scenario")
    at.multiselect(key="link_parents").set_value(["b", "a", "c"]).run()
    at.selectbox(key="link_child").set_value("c").run()
    parents = at.multiselect(key="link_parents")
    assert parents.value == ["b", "a"]  # c, now the child, is not its own parent
    assert "Will c happen? (c)" not in parents.options
    assert "If b = yes and a = no" in texts(at, unescaped=True)  # in the order chosen
    parents.set_value(["a", "b"]).run()
    table = {("yes", "yes"): "0.9", ("yes", "no"): "50%", ("no", "yes"): "0.3", ("no", "no"): "0.1"}
    shown = texts(at, unescaped=True)
    for a, b in table:
        assert f"If a = {a} and b = {b}" in shown
    for (a, b), value in table.items():
        at.text_input(key=f"link_a,b_c_{a}|{b}_yes").input(value).run()
    assert "c: implied prior 40.0%; stated prior 20.0%." in texts(at, unescaped=True)
    assert "(!) The stated prior is 10% or more" in texts(at)
    at.text_input(key="link_reason").input("A and B").run()
    at.button(key="link_save").click().run()
    assert not errors(at)
    assert "Linked c to a, b (version 1)." in texts(at, unescaped=True)
    [stored] = [x for x in t.links() if x.child == "c"]
    assert stored.parents == ("a", "b")
    assert stored.by == (None, None)
    assert stored.given == (
        (("yes", "yes"), (0.9,)),
        (("yes", "no"), (0.5,)),
        (("no", "yes"), (0.3,)),
        (("no", "no"), (0.1,)),
    )
    [linked] = [x for x in t.linked() if x.question.id == "c"]
    assert linked.implied_prior.headline == pytest.approx(0.40, abs=1e-12)


def test_an_event_and_a_choice_parent_for_a_choice_child(db: Path) -> None:
    """A row per (event state, option) pair, a value per option of the child, the event
    parent's deadline chosen, and the fields starting at the child's stated prior."""
    t = Tracker.open()
    t.add_question(
        Question("host", "Who hosts?", Kind.CHOICE, OPENED, options=(("x", 0.25), ("y", 0.75)))
    )
    at = run_app("scenario")
    at.selectbox(key="link_child").set_value("host").run()
    at.multiselect(key="link_parents").set_value(["lavrov-rubio-meeting", "summit-venue"]).run()
    [deadline] = t.question("lavrov-rubio-meeting").deadlines  # 2025-10-31
    at.selectbox(key="link_by_lavrov-rubio-meeting").set_value(deadline).run()
    assert "If lavrov-rubio-meeting = no (not by 2025-10-31) and summit-venue = elsewhere" in (
        texts(at, unescaped=True)
    )
    keys = [str(w.key) for w in at.text_input if str(w.key).startswith("link_lavrov")]
    assert len(keys) == 2 * 3 * 2  # six combinations, two options each
    assert {at.text_input(key=k).value for k in keys} == {"0.25", "0.75"}
    prefix = "link_lavrov-rubio-meeting,summit-venue_host"
    at.text_input(key=f"{prefix}_yes|budapest_x").input("0.6").run()
    at.text_input(key=f"{prefix}_yes|budapest_y").input("0.4").run()
    at.button(key="link_save").click().run()
    assert not errors(at)
    [stored] = [x for x in t.links() if x.child == "host"]
    assert stored.parents == ("lavrov-rubio-meeting", "summit-venue")
    assert stored.by == (deadline, None)
    given = stored.values()
    assert given[("yes", "budapest")] == (0.6, 0.4)
    assert given[("no", "no-summit")] == (0.25, 0.75)
    assert len(given) == 6


def test_a_cycle_through_one_of_several_parents_is_refused_by_name(db: Path) -> None:
    t = Tracker.open()
    _binary(t, "a", 0.4)
    at = run_app("scenario")
    at.selectbox(key="link_child").set_value("lavrov-rubio-meeting").run()
    at.multiselect(key="link_parents").set_value(["a", "putin-trump-meeting"]).run()
    assert [e.replace("\u2060", "") for e in errors(at)] == [  # md() keeps "->" as text
        'a link from "putin-trump-meeting" to "lavrov-rubio-meeting" would close a cycle: '
        "lavrov-rubio-meeting -> putin-trump-meeting -> lavrov-rubio-meeting"
    ]
    assert "implied prior" not in texts(at)
    assert not [b for b in at.button if b.key == "link_save"]


def test_a_table_too_large_for_the_form_is_sent_to_the_cli(db: Path) -> None:
    t = Tracker.open()
    for i in range(5):
        _binary(t, f"p{i}", 0.5)
    _binary(t, "c", 0.5)
    at = run_app("scenario")
    at.selectbox(key="link_child").set_value("c").run()
    at.multiselect(key="link_parents").set_value(["p0", "p1", "p2", "p3"]).run()
    assert len([w for w in at.text_input if str(w.key).startswith("link_p0")]) == 16
    at.multiselect(key="link_parents").set_value(["p0", "p1", "p2", "p3", "p4"]).run()
    assert not [w for w in at.text_input if str(w.key).startswith("link_p0")]
    assert (
        "These parents have 32 combinations of states; the form takes up to 16. Use the CLI: "
        "forecast link p0,p1,p2,p3,p4 c --if STATES=VALUE ..."
    ) in texts(at, unescaped=True)


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
