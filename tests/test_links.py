"""Linked questions through the API and the CLI: the issue's hand-computed cases, an event
parent's decay reaching its child day by day, a report counted once across linked questions,
links as versions (as-of, unlink, export and import), refusals by their message, on SQLite
and PostgreSQL.

Hand values (issue 15): parent A binary, prior 0.4; child B binary, P(B|A) = 0.8,
P(B|not A) = 0.1. No evidence: P(B) = 0.8 (0.4) + 0.1 (0.6) = 0.38. A report on A with
effective LR 3: P(A) = 1.2 / 1.8 = 2/3, P(B) = 0.8 (2/3) + 0.1 (1/3) = 17/30. Instead a
report on B with LR 4: the joint weights (a, b) are 0.4·0.2 = 0.08 (yes, no), 0.4·0.8·4 = 1.28
(yes, yes), 0.6·0.9 = 0.54 (no, no), 0.6·0.1·4 = 0.24 (no, yes), in all 2.14: P(A) = 1.36/2.14,
P(B) = 1.52/2.14.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from test_cli import Run

from forecast.api import Judgement, Tracker
from forecast.domain import Kind, Question
from forecast.errors import ForecastError, NotFound

OPENED = datetime(2026, 11, 1, tzinfo=UTC)
PUBLISHED = datetime(2026, 11, 2, tzinfo=UTC)
IF_B = [(("yes",), (0.8,)), (("no",), (0.1,))]


def _pair(t: Tracker) -> None:
    t.add_question(Question("a", "Will A happen?", Kind.BINARY, OPENED, prior=0.4))
    t.add_question(Question("b", "Will B happen?", Kind.BINARY, OPENED, prior=0.5))
    t.add_source("Wire", 1.0)  # reliability 1: the effective LR is the stated one


def _by_id(t: Tracker, as_of: datetime | None = None) -> dict[str, object]:
    return {x.question.id: x for x in t.linked(as_of)}


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str]) -> Run:
    return Run(capsys)


def test_the_hand_computed_cases_on_both_backends(new_database: Callable[[], str]) -> None:
    t = Tracker.open(new_database())
    _pair(t)
    t.link(["a"], "b", IF_B, reason="A makes B likely")
    found = _by_id(t)
    a, b = found["a"], found["b"]
    assert b.implied_prior.headline == pytest.approx(0.38, abs=1e-12)  # type: ignore[attr-defined]
    assert b.stated_prior == 0.5 and b.incoherent  # type: ignore[attr-defined]
    assert (a.children, b.parents) == (("b",), ("a",))  # type: ignore[attr-defined]
    t.add_evidence("a", lr=3.0, source="Wire", published=PUBLISHED, title="on A")
    found = _by_id(t)
    assert found["a"].linked.headline == pytest.approx(2 / 3, abs=1e-12)  # type: ignore[attr-defined]
    assert found["b"].linked.headline == pytest.approx(17 / 30, abs=1e-12)  # type: ignore[attr-defined]
    assert found["b"].own.headline == 0.5  # on its own evidence: none  # type: ignore[attr-defined]
    # the headline everywhere is the network's; on its own evidence B still reads its prior
    b_now = t.state("b")
    assert b_now.probability == pytest.approx(17 / 30, abs=1e-12)
    assert b_now.alone is not None and float(b_now.alone.final) == 0.5
    assert t.state("a").probability == pytest.approx(2 / 3, abs=1e-12)
    (why,) = b_now.contributions
    assert why.via == "a" and float(why.without) == pytest.approx(0.38, abs=1e-12)
    assert float(why.points) == pytest.approx(17 / 30 - 0.38, abs=1e-12)
    taken = t.snapshots(["b"])[-1]  # the write on A snapshotted B too, as the network has it
    assert taken.probability == pytest.approx(17 / 30, abs=1e-12)
    assert {s.question.id: s.headline.probability for s in t.states()} == pytest.approx(
        {"a": 2 / 3, "b": 17 / 30}, abs=1e-12
    )


def test_a_report_on_the_child_moves_the_parent_by_hand(tmp_path: Path) -> None:
    t = Tracker.open(str(tmp_path / "x.db"))
    _pair(t)
    t.link(["a"], "b", IF_B)
    t.add_evidence("b", lr=4.0, source="Wire", published=PUBLISHED, title="on B")
    found = _by_id(t)
    assert found["a"].linked.headline == pytest.approx(1.36 / 2.14, abs=1e-12)  # type: ignore[attr-defined]
    assert found["b"].linked.headline == pytest.approx(1.52 / 2.14, abs=1e-12)  # type: ignore[attr-defined]


def test_an_event_parent_reaches_its_child_through_the_api(tmp_path: Path) -> None:
    """With no report, the parent's P(by D) decays in silence; the child follows it:
    P(B at t) = 0.8 P(by D | t) + 0.1 (1 - P(by D | t))."""
    t = Tracker.open(str(tmp_path / "x.db"))
    opened = datetime(2026, 10, 1, tzinfo=UTC)
    deadline = datetime(2027, 1, 31, tzinfo=UTC)
    t.add_question(Question("e", "Will E happen?", Kind.EVENT, opened, prior=0.6,
                            deadlines=(deadline,)))  # fmt: skip
    t.add_question(Question("b", "Will B happen?", Kind.BINARY, opened, prior=0.5))
    t.link(["e"], "b", IF_B, by=[deadline])
    linked_on = t.links()[0].logged_at
    assert linked_on is not None
    days = [linked_on + timedelta(hours=1)]  # links are known from when they were logged
    for day in days:
        found = _by_id(t, day)
        p_e = t.state("e", as_of=day).probability
        assert isinstance(p_e, float)
        assert found["e"].linked.headline == pytest.approx(p_e, abs=1e-12)  # type: ignore[attr-defined]
        expected = 0.8 * p_e + 0.1 * (1 - p_e)
        assert found["b"].linked.headline == pytest.approx(expected, abs=1e-12)  # type: ignore[attr-defined]
        # the child's whole trajectory, as every face reads it, follows the parent's decay
        p_days = t.state("e", as_of=day).trajectory.probability
        b_days = t.state("b", as_of=day).trajectory.probability
        assert len(b_days) == len(p_days) > 60
        assert b_days == pytest.approx(0.8 * p_days + 0.1 * (1 - p_days), abs=1e-12)
    # Before the links were logged there were none to compute with.
    assert t.linked(linked_on - timedelta(seconds=1)) == []


def test_the_child_follows_the_decay_over_many_days(tmp_path: Path) -> None:
    """The same, day by day, straight through the linking layer (every day from the
    opening to the deadline), against the parent's own decaying forecast."""
    from forecast import linking
    from forecast.evidence import items_for
    from forecast.links import QuestionLink
    from forecast.trajectory import compute

    opened = datetime(2026, 10, 1, tzinfo=UTC)
    deadline = datetime(2027, 1, 31, tzinfo=UTC)
    e = Question("e", "E?", Kind.EVENT, opened, prior=0.6, deadlines=(deadline,),
                 created_at=opened)  # fmt: skip
    b = Question("b", "B?", Kind.BINARY, opened, prior=0.5)
    link = QuestionLink("b", ("e",), tuple(IF_B), (deadline,))
    net = linking.network({"e": e, "b": b}, [link])
    from forecast.domain import History

    items = items_for(e, History(questions=(e,)))
    for offset in range(0, 122, 3):
        day = opened + timedelta(days=offset)
        traj = compute(e, items, day)
        p_e = float(traj.probability[-1])
        marginals = net.marginals({"e": linking.likelihood(e, traj, None)})
        got = linking.reading(b, marginals["b"], offset).headline
        assert got == pytest.approx(0.8 * p_e + 0.1 * (1 - p_e), abs=1e-12), offset


def test_a_report_on_both_linked_questions_counts_once(tmp_path: Path) -> None:
    """Assessed against A (LR 3) and against B (LR 2.134..., what A's report implies for B
    through the link): the same as assessing it against A alone."""
    t = Tracker.open(str(tmp_path / "x.db"))
    _pair(t)
    t.link(["a"], "b", IF_B)
    implied_lr_b = (17 / 30) / (13 / 30) / (0.38 / 0.62)
    assert 1 < implied_lr_b < 3  # a link only weakens what passes through it
    t.log_evidence(
        [Judgement("a", lr=3.0), Judgement("b", lr=implied_lr_b)],
        source="Wire", published=PUBLISHED, title="one report on both",
    )  # fmt: skip
    found = _by_id(t)
    assert found["a"].linked.headline == pytest.approx(2 / 3, abs=1e-12)  # type: ignore[attr-defined]
    assert found["b"].linked.headline == pytest.approx(17 / 30, abs=1e-12)  # type: ignore[attr-defined]
    # An echo (another report, one origin) on B, milder than on A: still counted once.
    t.add_evidence("b", lr=1.5, source="Wire", published=PUBLISHED + timedelta(hours=1),
                   title="the same claim again", origin="the leak")  # fmt: skip
    t.add_evidence("a", lr=3.0, source="Wire", published=PUBLISHED + timedelta(hours=2),
                   title="the claim first", origin="the leak")  # fmt: skip
    # One claim, assessed LR 1.5 on B and LR 3 on A: one joint likelihood, fitted so each
    # question moves from where it stood without the claim (A 2/3, B 17/30) exactly as its
    # own assessment says (Jeffrey's rule on the joint). By hand: A odds 2 x 3 = 6, P 6/7;
    # B odds (17/13) x 1.5, P = 25.5 / 38.5. Counted twice, A alone would read odds 6 and
    # B 0.8 (6/7) + 0.1 (1/7) = 0.7 through the link before B's own LR 1.5 on top.
    found = _by_id(t)
    assert found["a"].linked.headline == pytest.approx(6 / 7, abs=1e-12)  # type: ignore[attr-defined]
    assert found["b"].linked.headline == pytest.approx(25.5 / 38.5, abs=1e-12)  # type: ignore[attr-defined]


def test_a_report_on_both_moves_each_as_assessed(tmp_path: Path) -> None:
    """Assessed LR 1.2 against A and LR 4 against B (more than the 1.2 on A implies for B,
    less on A than the 4 on B implies for A): each question moves as its own assessment
    says, from its prior. By hand: P(A) = 0.4 (1.2) / (0.48 + 0.6) = 4/9; P(B) = 0.38 (4) /
    (1.52 + 0.62) = 1.52 / 2.14. The report is shown as counted on B, where it moves most."""
    t = Tracker.open(str(tmp_path / "x.db"))
    _pair(t)
    t.link(["a"], "b", IF_B)
    t.log_evidence(
        [Judgement("a", lr=1.2), Judgement("b", lr=4.0)],
        source="Wire", published=PUBLISHED, title="mostly about B",
    )  # fmt: skip
    found = _by_id(t)
    assert found["a"].linked.headline == pytest.approx(4 / 9, abs=1e-12)  # type: ignore[attr-defined]
    assert found["b"].linked.headline == pytest.approx(1.52 / 2.14, abs=1e-12)  # type: ignore[attr-defined]
    (why,) = found["a"].why  # type: ignore[attr-defined]
    assert why.via == "b"
    assert t.state("a").probability == pytest.approx(4 / 9, abs=1e-12)
    assert t.state("a").contributions[0].via == ""  # assessed against A itself


def test_a_joint_claim_matches_brute_force_on_a_chain(tmp_path: Path) -> None:
    """A -> B -> C (binary), one report assessed LR 2 on A and LR 0.5 on C. The joint
    likelihood is checked against a brute-force fit over the 8 joint states in numpy:
    exp(theta_A(a) + theta_C(c)) found by iterative proportional fitting to the targets
    (each marginal without the report, times its own LR)."""
    import itertools

    import numpy as np

    t = Tracker.open(str(tmp_path / "x.db"))
    _pair(t)
    t.add_question(Question("c", "Will C happen?", Kind.BINARY, OPENED, prior=0.3))
    t.link(["a"], "b", IF_B)
    t.link(["b"], "c", [(("yes",), (0.7,)), (("no",), (0.2,))])
    t.log_evidence(
        [Judgement("a", lr=2.0), Judgement("c", lr=0.5)],
        source="Wire", published=PUBLISHED, title="on A and C",
    )  # fmt: skip
    p_b = {1: 0.8, 0: 0.1}
    p_c = {1: 0.7, 0: 0.2}
    joint = np.zeros((2, 2, 2))
    for a, b, c in itertools.product((0, 1), repeat=3):
        joint[a, b, c] = (
            (0.4 if a else 0.6) * (p_b[a] if b else 1 - p_b[a]) * (p_c[b] if c else 1 - p_c[b])
        )
    before_a, before_c = joint.sum(axis=(1, 2)), joint.sum(axis=(0, 1))
    target_a = before_a * [1, 2] / (before_a @ [1, 2])
    target_c = before_c * [1, 0.5] / (before_c @ [1, 0.5])
    fitted = joint.copy()
    for _ in range(500):
        fitted *= (target_a / fitted.sum(axis=(1, 2)))[:, None, None]
        fitted *= (target_c / fitted.sum(axis=(0, 1)))[None, None, :]
    found = {s.question.id: s.probability for s in t.states()}
    assert found["a"] == pytest.approx(target_a[1], abs=1e-12)
    assert found["c"] == pytest.approx(target_c[1], abs=1e-12)
    assert found["b"] == pytest.approx(fitted.sum(axis=(0, 2))[1], abs=1e-10)


def test_links_are_versions_shown_as_of_and_ended(tmp_path: Path) -> None:
    t = Tracker.open(str(tmp_path / "x.db"))
    _pair(t)
    first = t.link(["a"], "b", IF_B, reason="first reading")
    second = t.link(["a"], "b", [(("yes",), (0.9,)), (("no",), (0.2,))], reason="rethought")
    assert (first.version, second.version) == (1, 2)
    assert first.logged_at is not None
    assert t.links(first.logged_at)[0].given == tuple(IF_B)  # as it stood then
    assert t.links()[0].given == ((("yes",), (0.9,)), (("no",), (0.2,)))
    with pytest.raises(ForecastError, match="removing a link needs a reason"):
        t.unlink("b", reason="")
    ended = t.unlink("b", reason="not related after all")
    assert (ended.version, ended.active) == (3, False)
    assert t.links() == [] and t.linked() == []
    assert [v.version for v in t.link_versions()] == [1, 2, 3]
    with pytest.raises(NotFound, match="question 'b' has no links to remove"):
        t.unlink("b", reason="again")


def test_refusals_name_what_is_wrong_and_store_nothing(tmp_path: Path) -> None:
    t = Tracker.open(str(tmp_path / "x.db"))
    _pair(t)
    t.add_question(Question("v", "Where?", Kind.CHOICE, OPENED,
                            options=(("x", 0.5), ("y", 0.5))))  # fmt: skip
    t.link(["a"], "b", IF_B)
    before = t.counts()
    cases = [
        (lambda: t.link(["b"], "a", IF_B),
         'a link from "b" to "a" would close a cycle'),
        (lambda: t.link(["a"], "nope", IF_B), "no question 'nope'"),
        (lambda: t.link(["a"], "b", [(("yes",), (0.8,))]),
         "the link of 'b' needs the child's probability for every state of its parents; "
         "missing: no"),
        (lambda: t.link(["a"], "b", [(("yes",), (1.5,)), (("no",), (0.1,))]),
         "the link of 'b' given yes: a probability must be between 0 and 1"),
        (lambda: t.link(["a"], "b", IF_B, by=[OPENED]),
         "a deadline (--by) is for an event parent; 'a' is binary"),
        (lambda: t.link(["a"], "v", [(("yes",), (0.5, 0.6)), (("no",), (0.5, 0.5))]),
         "the link of 'v' given yes: the options' probabilities must add up to 1"),
        (lambda: t.link(["v"], "b", [(("x",), (0.5,)), (("maybe",), (0.5,))]),
         "the link of 'b' needs the child's probability for every state of its parents; "
         "missing: y"),
        (lambda: t.link(["a"], "a", IF_B), "question 'a' cannot be its own parent"),
    ]  # fmt: skip
    for call, message in cases:
        with pytest.raises(ForecastError) as caught:
            call()
        assert str(caught.value).startswith(message), str(caught.value)
    assert t.counts() == before


def test_the_cli_links_shows_priors_and_forecasts(db: Path, run: Run) -> None:
    t = Tracker.open()
    _pair(t)
    demo = {q["id"] for q in run.json("links")["questions"]}  # the demo comes linked
    assert demo == {"lavrov-rubio-meeting", "putin-trump-meeting", "summit-venue"}
    for child in ("putin-trump-meeting", "summit-venue"):
        run.ok("unlink", child, "--reason", "a clean slate for this test")
    assert "no linked questions" in run.ok("links")
    out = run.ok("link", "a", "b", "--if-yes", "80%", "--if-no", "0.1", "--reason", "hand")
    assert out == "linked b to a (version 1)\n"
    shown = run.json("links")
    rows = {q["id"]: q for q in shown["questions"]}
    assert rows["b"]["implied_prior"] == pytest.approx(0.38, abs=1e-12)
    assert rows["b"]["incoherent"] and not rows["a"]["incoherent"]
    assert shown["links"][0]["given"] == [
        {"states": ["yes"], "child": [0.8]}, {"states": ["no"], "child": [0.1]}
    ]  # fmt: skip
    text = run.ok("links")
    assert "38.0% (!)" in text and "the stated prior is 10% or more" in text
    cycle = run.fails("link", "b", "a", "--if-yes", "0.5", "--if-no", "0.5")
    assert cycle.startswith('error: a link from "b" to "a" would close a cycle')
    err = run.fails("link", "a", "b", "--if-yes", "0.8")
    assert err == (
        "error: the link of 'b' needs the child's probability for every state of its "
        "parents; missing: no\n"
    )
    assert run.ok("unlink", "b", "--reason", "test") == "removed the links of b\n"


def test_export_and_import_round_trip_links(tmp_path: Path) -> None:
    t = Tracker.open(str(tmp_path / "one.db"))
    _pair(t)
    t.link(["a"], "b", IF_B, reason="first")
    t.link(["a"], "b", [(("yes",), (0.7,)), (("no",), (0.2,))], reason="second")
    t.unlink("b", reason="ended")
    t.link(["a"], "b", IF_B, reason="again")
    text = t.export_scenario()
    assert "links:" in text and "ended: true" in text
    other = Tracker.open(str(tmp_path / "two.db"))
    counts = other.import_scenario(text)
    assert counts["links"] == 4
    strip = [(v.child, v.parents, v.given, v.by, v.active, v.version, v.logged_at, v.reason)
             for v in t.link_versions()]  # fmt: skip
    again = [(v.child, v.parents, v.given, v.by, v.active, v.version, v.logged_at, v.reason)
             for v in other.link_versions()]  # fmt: skip
    assert again == strip
    assert other.export_scenario().split("links:")[1] == text.split("links:")[1]
    found = {x.question.id: x.implied_prior.headline for x in other.linked()}
    assert found["b"] == pytest.approx(0.38, abs=1e-12)


def test_choice_and_event_children(tmp_path: Path) -> None:
    """A choice child gets a vector per parent state; an event child's P(by its first
    deadline) per parent state, its days shaped by its own prior law."""
    t = Tracker.open(str(tmp_path / "x.db"))
    _pair(t)
    t.add_question(Question("v", "Where?", Kind.CHOICE, OPENED,
                            options=(("x", 0.5), ("y", 0.3), ("none", 0.2))))  # fmt: skip
    deadline = datetime(2027, 3, 1, tzinfo=UTC)
    t.add_question(Question("e", "When?", Kind.EVENT, OPENED, prior=0.3,
                            deadlines=(deadline,)))  # fmt: skip
    t.link(["a"], "v", [(("yes",), (0.7, 0.3, 0.0)), (("no",), (0.0, 0.0, 1.0))])
    t.link(["a"], "e", [(("yes",), (0.9,)), (("no",), (0.2,))])
    found = _by_id(t)
    venue = found["v"].implied_prior.headline  # type: ignore[attr-defined]
    assert venue == pytest.approx({"x": 0.28, "y": 0.12, "none": 0.6}, abs=1e-12)
    event = found["e"].implied_prior.headline  # type: ignore[attr-defined]
    assert event == pytest.approx(0.4 * 0.9 + 0.6 * 0.2, abs=1e-9)


def test_why_a_linked_forecast_moved_report_by_report(tmp_path: Path, run: Run) -> None:
    """Leave-one-out across the links. A report on A (LR 3) and one on B (LR 4): the
    joint weights are (A yes) 1.2 x (0.8 x 4, 0.2) and (A no) 0.6 x (0.1 x 4, 0.9), so
    P(B) = 4.08 / 4.86; without the report on A, 1.52 / 2.14; without the one on B, 17/30."""
    url = str(tmp_path / "x.db")
    t = Tracker.open(url)
    _pair(t)
    t.link(["a"], "b", IF_B)
    on_a, _ = t.add_evidence("a", lr=3.0, source="Wire", published=PUBLISHED, title="on A")
    on_b, _ = t.add_evidence("b", lr=4.0, source="Wire", published=PUBLISHED, title="on B")
    b = _by_id(t)["b"]
    both = 4.08 / 4.86
    assert b.linked.headline == pytest.approx(both, abs=1e-12)  # type: ignore[attr-defined]
    why = [(w.reports, w.via, w.change) for w in b.why]  # type: ignore[attr-defined]
    assert [(r, via) for r, via, _ in why] == [((on_b.id,), "b"), ((on_a.id,), "a")]
    assert why[0][2] == pytest.approx(both - 17 / 30, abs=1e-12)
    assert why[1][2] == pytest.approx(both - 1.52 / 2.14, abs=1e-12)
    shown = run.json("--db", url, "links")
    [row] = [q for q in shown["questions"] if q["id"] == "b"]
    assert [(w["reports"], w["via"]) for w in row["why"]] == [([on_b.id], "b"), ([on_a.id], "a")]
    text = run.ok("--db", url, "links")
    assert f"b: {100 * (both - 17 / 30):+.1f} pts from {on_b.id}; " in text
    assert f"{100 * (both - 1.52 / 2.14):+.1f} pts from {on_a.id} via a" in text


def test_show_adds_the_linked_forecast(tmp_path: Path, run: Run) -> None:
    url = str(tmp_path / "x.db")
    t = Tracker.open(url)
    _pair(t)
    t.add_question(Question("c", "Will C happen?", Kind.BINARY, OPENED, prior=0.2))
    t.link(["a"], "b", IF_B)
    t.add_evidence("a", lr=3.0, source="Wire", published=PUBLISHED, title="on A")
    shown = run.json("--db", url, "show", "b")
    # the headline is the network's; its own evidence's forecast is shown beside it
    assert shown["probability"] == pytest.approx(17 / 30, abs=1e-12)
    assert (shown["alone"], shown["linked_to"]) == (0.5, ["a"])
    (why,) = shown["contributions"]
    assert why["via"] == "a" and why["lr"] == [3.0]  # the assessment it is counted on
    assert why["without"] == pytest.approx(0.38, abs=1e-12)
    assert shown["linked"]["linked"] == pytest.approx(17 / 30, abs=1e-12)
    assert shown["linked"]["parents"] == ["a"]
    text = run.ok("--db", url, "show", "b")
    assert "  probability  56.7%" in text
    assert "  on its own evidence: 50.0% (linked to a: `forecast links`)" in text
    assert "+18.7 pts  38.0%" in text and "via a: on A" in text  # moved through its link
    plain = run.json("--db", url, "show", "c")  # an unlinked question
    assert "linked" not in plain and (plain["alone"], plain["linked_to"]) == (None, [])


def test_the_linked_forecast_day_by_day(tmp_path: Path) -> None:
    t = Tracker.open(str(tmp_path / "x.db"))
    _pair(t)
    t.link(["a"], "b", IF_B)
    t.add_evidence("a", lr=3.0, source="Wire", published=PUBLISHED, title="on A")
    s = t.state("b")
    assert s.trajectory.days[0] == OPENED and s.trajectory.days[1] == PUBLISHED
    b = s.trajectory.probability
    assert b[0] == pytest.approx(0.38, abs=1e-12)  # before the report was published
    assert b[1:] == pytest.approx([17 / 30] * (len(b) - 1), abs=1e-12)
    assert s.alone is not None and list(s.alone.probability) == [0.5] * len(b)


def test_the_trajectory_ends_where_the_linked_forecast_stands(db: Path) -> None:
    """On the demo (two event questions and a choice question), the last day of each linked
    trajectory is the network's forecast at the same knowledge time (``linked``)."""
    from datetime import date

    from forecast.clock import end_of_day

    as_of = end_of_day(date(2025, 11, 5))
    t = Tracker.open()
    for x in t.linked(as_of):
        s = t.state(x.question.id, as_of=as_of)
        assert s.trajectory.days[-1].date() == date(2025, 11, 5)
        headline = x.linked.headline
        if isinstance(headline, dict):
            assert list(s.trajectory.final) == pytest.approx(list(headline.values()), abs=1e-12)
        else:
            assert float(s.trajectory.final) == pytest.approx(headline, abs=1e-12)
            assert list(s.trajectory.ladder[-1]) == pytest.approx(x.linked.ladder, abs=1e-12)


def test_linked_snapshots_are_the_network_s_at_each_day_end(tmp_path: Path) -> None:
    """Backfilled snapshots of linked questions read what ``state`` gives at the end of each
    day, knowing what was logged by then: links logged midway, a report logged days after
    it was published, a report on the child moving the parent."""
    from support import Clock

    from forecast import snapshots
    from forecast.clock import end_of_day

    clock = Clock(OPENED + timedelta(hours=1))
    t = Tracker.open(str(tmp_path / "x.db"), clock=clock)
    _pair(t)
    clock.now = OPENED + timedelta(days=3, hours=5)
    t.link(["a"], "b", IF_B, reason="A makes B likely")
    clock.now = OPENED + timedelta(days=6)
    t.add_evidence("a", lr=3.0, source="Wire", published=OPENED + timedelta(days=2), title="on A")
    clock.now = OPENED + timedelta(days=9)
    t.add_evidence("b", lr=0.5, source="Wire", published=OPENED + timedelta(days=8), title="on B")
    clock.now = OPENED + timedelta(days=12, hours=3)
    stored = snapshots.backfill(t)
    assert stored == 2 * 12  # days 0..11 of each question
    found = {
        (s.question_id, s.taken_at): s.probability
        for s in t.snapshots(["a", "b"]) if s.reason == "backfill"
    }  # fmt: skip
    for i in range(12):
        at = end_of_day(OPENED + timedelta(days=i))
        for q in ("a", "b"):
            assert found[(q, at)] == pytest.approx(t.state(q, as_of=at).probability, abs=1e-12)
    # by hand: before the link B reads its stated prior; once linked, 0.38; once the report
    # on A was logged (day 6), 17/30 from its day on
    assert found[("b", end_of_day(OPENED + timedelta(days=2)))] == 0.5
    assert found[("b", end_of_day(OPENED + timedelta(days=4)))] == pytest.approx(0.38, abs=1e-12)
    assert found[("b", end_of_day(OPENED + timedelta(days=6)))] == pytest.approx(17 / 30, abs=1e-12)
    # the report on B (LR 0.5) moves A too: P(A) = 0.4 * 3 * 0.6 / (that + 0.6 * 0.55)
    a_end = 0.4 * 3 * (0.8 * 0.5 + 0.2)
    assert found[("a", end_of_day(OPENED + timedelta(days=11)))] == pytest.approx(
        a_end / (a_end + 0.6 * (0.1 * 0.5 + 0.9)), abs=1e-12
    )


def test_the_overview_and_the_question_page_agree(tmp_path: Path) -> None:
    """``states`` (the overview, no moves) and ``state`` (a page, report by report) give a
    linked question the same forecast and the same reports."""
    t = Tracker.open(str(tmp_path / "x.db"))
    _pair(t)
    t.add_question(Question("c", "Will C happen?", Kind.BINARY, OPENED, prior=0.2))
    t.link(["a"], "b", IF_B)
    t.add_evidence("a", lr=3.0, source="Wire", published=PUBLISHED, title="on A")
    t.add_evidence("b", lr=0.5, source="Wire", published=PUBLISHED, title="on B")
    t.add_evidence("c", lr=2.0, source="Wire", published=PUBLISHED, title="on C")
    for s in t.states():
        page = t.state(s.question.id)
        assert s.trajectory.probability == pytest.approx(page.trajectory.probability, abs=1e-12)
        assert sorted((c.report_id, c.via) for c in s.contributions) == sorted(
            (c.report_id, c.via) for c in page.contributions
        )


def test_a_dry_run_previews_the_network_s_forecast(tmp_path: Path) -> None:
    """The evidence form's preview of a linked question is the network's, before and after,
    and nothing is stored."""
    t = Tracker.open(str(tmp_path / "x.db"))
    _pair(t)
    t.link(["a"], "b", IF_B)
    logged = t.log_evidence(
        [Judgement("b", lr=4.0)], source="Wire", published=PUBLISHED, title="on B",
        dry_run=True,
    )  # fmt: skip
    before, after = logged.previews["b"]
    assert before.probability == pytest.approx(0.38, abs=1e-12)
    assert after.probability == pytest.approx(1.52 / 2.14, abs=1e-12)
    assert t.reports() == [] and t.state("b").probability == pytest.approx(0.38, abs=1e-12)


def test_a_question_its_links_make_certain_takes_no_judgement(tmp_path: Path) -> None:
    """With its only parent resolved no, a child whose table gives 0 then is at 0%: a
    judgement cannot move it, and says so."""
    t = Tracker.open(str(tmp_path / "x.db"))
    _pair(t)
    t.link(["a"], "b", [(("yes",), (0.8,)), (("no",), (0.0,))])
    t.resolve("a", "no", PUBLISHED)
    assert t.state("b").probability == 0.0
    with pytest.raises(ForecastError, match="question b stands at 0%: no judgement can move it"):
        t.judge("b", 0.3)


def _count_inferences(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """A list that grows by one at every propagation and every claim's fit."""
    from forecast import linking
    from forecast.network import Network

    found: list[int] = []
    real, real_fit = Network._marginals, linking._fit_now

    def counted(self: Network, *args: object) -> dict[str, object]:
        found.append(1)
        return real(self, *args)  # type: ignore[arg-type]

    def fitted(*args: object) -> object:
        found.append(1)
        return real_fit(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(Network, "_marginals", counted)
    monkeypatch.setattr(linking, "_fit_now", fitted)
    return found


def test_a_new_process_reads_a_groups_days_and_joint_fits_whole(
    db: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The overview's linked part, in a process that remembers nothing, is read whole from
    the cache folder: each group's days (every question's readings) and its claims' joint
    fits, with no inference, bit for bit what was computed. Both are kept under everything
    they are computed from, so a new report is never answered from them: the group is
    computed again, and equals a computation from nothing."""
    from forecast import linking
    from forecast.network import Network

    monkeypatch.setenv("FORECAST_CACHE", str(tmp_path / "cache"))
    calls: dict[str, list[int]] = {"inferred": [], "days read": [], "claims fitted": []}

    def counting(name: str, real: Callable[..., object]) -> Callable[..., object]:
        def counted(*args: object, **kwargs: object) -> object:
            calls[name].append(1)
            return real(*args, **kwargs)

        return counted

    monkeypatch.setattr(Network, "_marginals", counting("inferred", Network._marginals))
    monkeypatch.setattr(linking, "_read_days", counting("days read", linking._read_days))
    monkeypatch.setattr(linking, "_jointly_now", counting("claims fitted", linking._jointly_now))
    t = Tracker.open()
    linked = {"lavrov-rubio-meeting", "putin-trump-meeting", "summit-venue"}

    def read() -> dict[str, bytes]:
        return {
            s.question.id: s.trajectory.probability.tobytes() + s.trajectory.ladder.tobytes()
            for s in t.states()
            if s.question.id in linked
        }

    linking.forget()
    first = read()
    assert set(first) == linked
    assert all(calls.values())  # computed: the demo's group has a claim assessed against two
    linking.forget(kept=False)  # a new process: nothing in memory, the folder kept
    for found in calls.values():
        found.clear()
    assert read() == first
    assert calls == {"inferred": [], "days read": [], "claims fitted": []}

    t.add_source("Late wire", 0.9)
    t.add_evidence(
        "putin-trump-meeting",
        lr=2.0,
        source="Late wire",
        published=datetime(2025, 10, 19, 12, tzinfo=UTC),
        title="a late find",
    )
    after = read()
    assert calls["days read"] and calls["claims fitted"]  # another record: not read
    assert after != first
    linking.forget()
    fresh = read()
    for q in linked:
        assert np.frombuffer(after[q]) == pytest.approx(np.frombuffer(fresh[q]), abs=1e-12)


def test_states_read_again_compute_only_the_question_a_write_touched(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each question's state on its own evidence is remembered by its records (the question,
    its reports, assessments, resolution and versions, every source): after a report on
    one question the overview's states compute that question alone again, and read every
    other one (the linked group's own states too); a source re-rated touches every
    question's records. Each equals a computation from nothing."""
    from forecast import api

    t = Tracker.open()
    at = t.now() + timedelta(days=1)  # after the writes below

    def read() -> dict[str, bytes]:
        return {
            s.question.id: s.trajectory.probability.tobytes() + s.trajectory.ladder.tobytes()
            for s in t.states(as_of=at)
        }

    api.forget()
    first = read()
    computed: list[str] = []
    real = api.compute

    def counted(question: Question, *args: object) -> object:
        computed.append(question.id)
        return real(question, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(api, "compute", counted)
    assert read() == first
    assert computed == []  # the same records: nothing computed
    t.add_evidence(
        "russia-ceasefire-line",
        lr=2.0,
        source="Reuters",
        published=datetime(2025, 10, 20, 12, tzinfo=UTC),
        title="a new signal",
    )
    computed.clear()
    after = read()
    assert computed == ["russia-ceasefire-line"]
    assert after["russia-ceasefire-line"] != first["russia-ceasefire-line"]
    assert {k: v for k, v in after.items() if k != "russia-ceasefire-line"} == {
        k: v for k, v in first.items() if k != "russia-ceasefire-line"
    }
    t.update_source("Reuters", reliability=0.5, reason="re-rated")
    computed.clear()
    rated = read()
    assert sorted(computed) == sorted(first)  # every question's records hold the sources
    api.forget()
    fresh = read()
    for q in rated:  # (the network's last bit may differ when computed again)
        assert np.frombuffer(fresh[q]) == pytest.approx(np.frombuffer(rated[q]), abs=1e-12)


def test_a_group_read_again_recomputes_only_what_a_write_changed(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A linked group is remembered by what it is computed from (``linking.network``'s
    networks, their marginals by evidence, the claims' fits): the same records read again
    make no new inference or fit, and after a write the forecast is the one computed from nothing,
    to 1e-12 (the network's last bit is not fixed)."""
    from forecast import linking

    propagations = _count_inferences(monkeypatch)
    t = Tracker.open()
    ids = ["lavrov-rubio-meeting", "putin-trump-meeting", "summit-venue"]

    def read() -> dict[str, object]:
        return {q: t.state(q, explain=False).trajectory for q in ids}

    linking.forget()
    first = read()
    assert propagations  # a cold read infers
    propagations.clear()
    again = read()
    assert propagations == []  # the same records: every marginal and fit remembered
    for q in ids:
        assert (again[q].probability == first[q].probability).all()

    late = datetime(2025, 10, 19, 12, tzinfo=UTC)  # a late find, published before most
    t.add_source("Late wire", 0.9)
    t.add_evidence(
        "lavrov-rubio-meeting", lr=2.5, source="Late wire", published=late, title="a late find"
    )
    propagations.clear()
    after = read()
    warm = len(propagations)
    linking.forget()
    propagations.clear()
    fresh = read()
    assert 0 < warm < len(propagations)  # the days before the late find were remembered
    for q in ids:
        assert after[q].probability == pytest.approx(fresh[q].probability, abs=1e-12)
        assert after[q].final == pytest.approx(fresh[q].final, abs=1e-12)


def test_a_new_process_reads_the_groups_results_from_the_cache_folder(
    db: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """What one process computed for a linked group (marginals, claims' fits) is kept in the
    cache folder: a process that remembers nothing (``forget(kept=False)``) reads it there,
    with no inference or fit, and finds the same numbers bit for bit. With the cache off,
    it computes them again; ``forget()`` empties the folder too."""
    from forecast import linking

    monkeypatch.setenv("FORECAST_CACHE", str(tmp_path / "cache"))
    propagations = _count_inferences(monkeypatch)
    t = Tracker.open()
    ids = ["lavrov-rubio-meeting", "putin-trump-meeting", "summit-venue"]

    def read() -> dict[str, bytes]:
        return {q: t.state(q, explain=False).trajectory.probability.tobytes() for q in ids}

    linking.forget()
    first = read()
    assert propagations
    kept = os.environ["FORECAST_CACHE"]
    assert (Path(kept) / "linked.sqlite").is_file()
    linking.forget(kept=False)  # a new process: nothing in memory, the folder kept
    propagations.clear()
    assert read() == first
    assert propagations == []
    monkeypatch.setenv("FORECAST_CACHE", "off")
    linking.forget(kept=False)
    again = read()
    assert propagations  # nothing kept to read: computed again
    for q in ids:  # (the network's last bit may differ when computed again)
        assert np.frombuffer(again[q]) == pytest.approx(np.frombuffer(first[q]), abs=1e-12)
    monkeypatch.setenv("FORECAST_CACHE", kept)
    linking.forget()
    propagations.clear()
    read()
    assert propagations  # forget() emptied the folder: computed again


STORY_END = datetime(2025, 10, 22, 23, 59, 59, 999999, tzinfo=UTC)  # the demo's story day


def test_precompute_leaves_the_overview_to_be_read(
    db: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """``precompute`` (run by ``forecast dashboard`` as the server starts) computes every
    question's state: a process that remembers nothing then shows the overview with no
    inference and no claim fitted, and the same forecasts as a computation from nothing.
    A linked question's page (each report's leave-one-out part) is still computed when it
    is opened."""
    from forecast import api

    monkeypatch.setenv("FORECAST_CACHE", str(tmp_path / "cache"))
    t = Tracker.open()
    api.forget()  # the folder emptied, as after an upgrade
    done = t.precompute(as_of=STORY_END)
    assert (done.as_of, done.questions, done.groups, done.linked) == (STORY_END, 4, 1, 3)
    api.forget(kept=False)  # the dashboard's process: nothing in memory, the folder kept
    propagations = _count_inferences(monkeypatch)

    def read() -> dict[str, bytes]:
        return {
            s.question.id: s.trajectory.probability.tobytes() + s.trajectory.ladder.tobytes()
            for s in t.states(as_of=STORY_END)
        }

    kept = read()
    assert propagations == []
    assert set(kept) == {"lavrov-rubio-meeting", "putin-trump-meeting", "summit-venue",
                         "russia-ceasefire-line"}  # fmt: skip
    assert t.state("summit-venue", as_of=STORY_END).contributions
    assert propagations  # the page's leave-one-out parts: computed when opened
    api.forget()
    propagations.clear()
    fresh = read()
    assert propagations  # from nothing: inferred
    for q, value in fresh.items():  # (the network's last bit may differ when computed again)
        assert np.frombuffer(kept[q]) == pytest.approx(np.frombuffer(value), abs=1e-12)


def test_the_cli_precompute_says_what_it_kept(
    db: Path, run: Run, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from forecast import api

    monkeypatch.setenv("FORECAST_CACHE", str(tmp_path / "cache"))
    api.forget()  # this process opens the folder anew, as a new command would
    out = run.ok("precompute", "--as-of", "2025-10-22")
    assert out.startswith(
        "computed 4 questions as of the end of 2025-10-22, 3 of them in 1 linked group, in "
    )
    assert out.endswith(f" s; kept in {tmp_path / 'cache'}\n")
    assert (tmp_path / "cache" / "linked.sqlite").is_file()
    shown = run.json("precompute", "--as-of", "2025-10-22T12:00:00Z")
    assert {k: v for k, v in shown.items() if k != "seconds"} == {  # type: ignore[union-attr]
        "as_of": "2025-10-22T12:00:00Z",
        "questions": 4,
        "linked_groups": 1,
        "linked_questions": 3,
        "cache": str(tmp_path / "cache"),
    }
    monkeypatch.setenv("FORECAST_CACHE", "off")
    api.forget()
    assert run.ok("precompute", "--as-of", "2025-10-22").endswith(
        "; the cache is off: nothing kept for other processes\n"
    )
    assert run.fails("precompute", "--as-of", "22/10/2025") == (
        "error: --as-of '22/10/2025' is not an ISO date (YYYY-MM-DD) or date-time\n"
    )
