"""Versioned edits of a question (issue 13, problem 1): a new version with who, when and
why; as-of reads, snapshots and the audit keep the old ones; a change of prior or
deadlines is a model change and says how the forecast moves before anything is stored."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from support import Clock
from test_cli import Run

from forecast import audit, scenario, snapshots
from forecast.api import Judgement, Tracker
from forecast.clock import end_of_day, iso
from forecast.domain import ForecastError, Kind, NotFound, Question

OPENED = datetime(2026, 11, 1, tzinfo=UTC)
LOGGED = OPENED + timedelta(days=3)
EDITED = OPENED + timedelta(days=10)
DEADLINE = datetime(2027, 3, 1, tzinfo=UTC)


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str]) -> Run:
    return Run(capsys)


@pytest.fixture
def clock() -> Clock:
    return Clock(OPENED + timedelta(hours=1))


@pytest.fixture
def world(tmp_path: Path, clock: Clock) -> Tracker:
    """A binary question at 40% with one report of LR 3 from a fully reliable source."""
    tracker = Tracker.open(str(tmp_path / "edits.db"), clock=clock, user="ann")
    tracker.add_question(
        Question("b", "Will the ECB cut in Dec?", Kind.BINARY, OPENED, prior=0.4, tags=("ecb",))
    )
    for qid in ("e", "e-twin"):  # the twin is never edited
        tracker.add_question(
            Question(qid, "Meet?", Kind.EVENT, OPENED, prior=0.5, deadlines=(DEADLINE,))
        )
    tracker.add_question(
        Question("c", "Who?", Kind.CHOICE, OPENED, options=(("x", 0.6), ("y", 0.4)))
    )
    tracker.add_source("Wire", 1.0)
    clock.now = LOGGED
    tracker.log_evidence(
        [Judgement("b", lr=3.0)], source="Wire", published=LOGGED - timedelta(hours=2), title="t"
    )
    clock.now = EDITED
    return tracker


def test_a_text_edit_is_a_new_version_and_as_of_reads_show_the_old_one(world: Tracker) -> None:
    edit = world.edit_question("b", reason="typo", title="Will the ECB cut in December?")
    assert (edit.changed, edit.model_change, edit.after.version) == (("title",), False, 2)
    after = edit.after
    assert (after.edited_at, after.edited_by, after.reason) == (EDITED, "ann", "typo")
    assert world.question("b").title == "Will the ECB cut in December?"
    assert world.state("b").question.title == "Will the ECB cut in December?"
    assert world.state("b", as_of=EDITED - timedelta(seconds=1)).question.title == (
        "Will the ECB cut in Dec?"
    )
    assert [v.version for v in world.question_versions("b")] == [1, 2]
    # a text edit moves no probability, so it takes no snapshot
    assert [s.reason for s in world.snapshots(["b"])] == ["created", "evidence"]


def test_a_prior_change_is_a_model_change_with_its_preview(world: Tracker) -> None:
    # By hand: odds 0.4/0.6 x LR 3 = 2, P = 2/3. With prior 0.2: 0.25 x 3 = 0.75, P = 3/7.
    assert world.state("b").probability == pytest.approx(2 / 3, abs=1e-12)
    preview = world.edit_question("b", reason="better base rate", prior=0.2, preview=True)
    assert preview.model_change
    assert dict(preview.was)["yes"] == pytest.approx(2 / 3, abs=1e-12)
    assert dict(preview.now)["yes"] == pytest.approx(3 / 7, abs=1e-12)
    assert world.question("b").prior == 0.4  # a preview stores nothing
    before = world.snapshots(["b"])
    edit = world.edit_question("b", reason="better base rate", prior=0.2)
    assert dict(edit.now) == dict(preview.now)
    assert world.state("b").probability == pytest.approx(3 / 7, abs=1e-12)
    # what was believed before stays: the stored snapshots and the as-of read
    after = world.snapshots(["b"])
    assert after[: len(before)] == before
    assert (after[-1].reason, after[-1].probability) == ("edit", pytest.approx(3 / 7, abs=1e-12))
    assert world.state("b", as_of=EDITED - timedelta(seconds=1)).probability == pytest.approx(
        2 / 3, abs=1e-12
    )
    data = edit.to_json()
    assert (data["before"], data["after"]) == ({"prior": 0.4}, {"prior": 0.2})


def test_an_event_ladder_edit_reads_old_deadlines_as_of_before_it(world: Tracker) -> None:
    earlier = datetime(2027, 1, 1, tzinfo=UTC)
    edit = world.edit_question("e", reason="summit moved", deadlines=[DEADLINE, earlier])
    assert edit.after.deadlines == (earlier, DEADLINE)  # sorted, the first is primary
    assert [w for w, _ in edit.now] == ["by 2027-01-01", "by 2027-03-01"]
    assert [w for w, _ in edit.was] == ["by 2027-03-01"]
    old = world.state("e", as_of=EDITED - timedelta(seconds=1))
    assert old.question.deadlines == (DEADLINE,)
    # as the unedited twin reads it: the old ladder decayed by ten silent days
    twin = world.state("e-twin", as_of=EDITED - timedelta(seconds=1))
    assert old.probability == twin.probability < 0.5
    assert world.state("e").question.deadlines == (earlier, DEADLINE)


def test_choice_priors_change_but_not_the_options(world: Tracker) -> None:
    edit = world.edit_question("c", reason="new poll", options={"x": 0.5, "y": 0.5})
    assert dict(edit.now) == {"x": 0.5, "y": 0.5}
    with pytest.raises(ForecastError) as caught:
        world.edit_question("c", reason="r", options={"x": 0.5, "z": 0.5})
    assert str(caught.value) == (
        "an edit of question 'c' keeps its options (x, y) and may change their prior only"
    )


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"reason": " ", "title": "New"}, "an edit needs a reason: say why the question changes"),
        (
            {"reason": "r", "title": "Will the ECB cut in Dec?"},
            "question 'b' already reads so: change one of title, criteria, prior note, tags, "
            "closes, deadlines, prior, options",
        ),
        (
            {"reason": "r", "kind": "event"},
            "a question edit changes title, criteria, prior_note, tags, closes, deadlines, "
            "prior, options, not kind",
        ),
        ({"reason": "r", "prior": 1.5}, "prior must be strictly between 0 and 1, not 1.5"),
        (  # options on a binary question: the kind's rule, not "keeps its options ()"
            {"reason": "r", "options": {"a": 1.0}},
            "options apply to choice questions only, not binary",
        ),
        (
            {"reason": "r", "deadlines": [DEADLINE]},
            "deadlines and alpha apply to event questions only (a binary question is a state "
            "on a date)",
        ),
    ],
)
def test_bad_edits_are_refused_by_name(
    world: Tracker, changes: dict[str, object], message: str
) -> None:
    with pytest.raises(ForecastError) as caught:
        world.edit_question("b", **changes)  # type: ignore[arg-type]
    assert str(caught.value) == message
    assert [v.version for v in world.question_versions("b")] == [1]


def test_an_unknown_question_is_not_found(world: Tracker) -> None:
    with pytest.raises(NotFound, match="no question 'zz'"):
        world.edit_question("zz", reason="r", title="t")


def test_a_resolved_question_keeps_its_model_but_takes_text_edits(
    world: Tracker, clock: Clock
) -> None:
    world.resolve("b", "yes", EDITED - timedelta(days=1))
    with pytest.raises(ForecastError) as caught:
        world.edit_question("b", reason="r", prior=0.3)
    assert str(caught.value) == (
        "question b is resolved: a change of its prior would change what it was scored on; "
        "edit its title, criteria, tags or prior note"
    )
    with pytest.raises(ForecastError, match="a change of its prior would change"):
        world.edit_question("b", reason="r", prior=0.3, title="New title too")
    assert world.edit_question("b", reason="clearer", criteria="A cut of the deposit rate").after


def test_export_and_import_keep_every_version(world: Tracker, tmp_path: Path) -> None:
    world.edit_question("b", reason="typo", title="Will the ECB cut in December?")
    world.edit_question("b", reason="rate", prior=0.3, tags=("ecb", "rates"))
    text = world.export_scenario()
    copy = Tracker.open(str(tmp_path / "copy.db"), user="bob")
    copy.import_scenario(text)
    mine, theirs = world.question_versions("b"), copy.question_versions("b")
    assert [(v.version, v.title, v.prior, v.tags, v.edited_at, v.edited_by, v.reason)
            for v in theirs] == [
        (v.version, v.title, v.prior, v.tags, v.edited_at, v.edited_by, v.reason) for v in mine
    ]  # fmt: skip
    assert {v.imported_by for v in theirs} == {"bob"}
    assert copy.state("b", as_of=EDITED - timedelta(seconds=1)).question.prior == 0.4


@pytest.mark.parametrize(
    ("entries", "message"),
    [
        (
            "- {id: q, title: T, kind: binary, opened: 2026-11-01, prior: 0.3, version: 2,"
            " edited: 2026-11-02, reason: r}",
            "f.yaml: question q: has version 2 but no version 1",
        ),
        (
            "- {id: q, title: T, kind: binary, opened: 2026-11-01, prior: 0.3}\n"
            "- {id: q, title: T, kind: binary, opened: 2026-11-02, prior: 0.3, version: 2,"
            " edited: 2026-11-03, reason: r}",
            "f.yaml: question q: an edit of question 'q' cannot change its opened: these are "
            "what the question is",
        ),
        (
            "- {id: q, title: T, kind: binary, opened: 2026-11-01, prior: 0.3, reason: r}",
            "f.yaml: questions[0] (id q): edited, edited_by and reason belong to a later "
            "version (version: 2)",
        ),
    ],
)
def test_a_scenario_file_with_broken_versions_is_refused(entries: str, message: str) -> None:
    with pytest.raises(ForecastError) as caught:
        scenario.loads(f"format: {scenario.FORMAT}\nquestions:\n{entries}\n", name="f.yaml")
    assert str(caught.value) == message


def test_the_audit_shows_each_edit_with_its_changes(world: Tracker) -> None:
    world.edit_question("b", reason="typo", title="Will the ECB cut in December?")
    world.edit_question("b", reason="rate", prior=0.3)
    lines = [e.line() for e in audit.trail(world.history(["b"]), "b") if e.kind == "question"]
    assert lines[1:] == [
        "2026-11-11  ann  question b v2 edited: title "
        "Will the ECB cut in Dec? -> Will the ECB cut in December?  (why: typo)",
        "2026-11-11  ann  question b v3 model changed: prior 0.4 -> 0.3  (why: rate)",
    ]


def test_cli_edit_shows_the_move_and_the_history(run: Run) -> None:
    run.ok("question", "add", "q", "--title", "Cut?", "--kind", "binary", "--opened",
           "2026-11-01", "--prior", "40%")  # fmt: skip
    out = run.ok("question", "edit", "q", "--reason", "base rate", "--prior", "25%", "--dry-run")
    assert out.splitlines() == [
        "question q would become version 2:",
        "  prior: 0.4 -> 0.25",
        "  model change: the forecast is computed anew from the opening",
        "    yes                       40.0% ->  25.0%",
        "nothing stored (--dry-run)",
    ]
    data = json.loads(run.ok("question", "edit", "q", "--reason", "tidy", "--title", "Cut in Dec?",
                             "--closes", "2026-12-20", "--json"))  # fmt: skip
    assert (data["changed"], data["stored"], data["version"]) == (["title", "closes"], True, 2)
    assert (
        run.ok("question", "edit", "q", "--reason", "no date", "--closes", "none").splitlines()[1]
        == "  closes: 2026-12-20 -> (none)"
    )
    history = run.ok("question", "history", "q").splitlines()
    assert [line.split("  ")[2] for line in history] == [
        "question q v1 created: title Cut?, kind binary, prior 0.4",
        "question q v2 edited: title Cut? -> Cut in Dec?; closes None -> 2026-12-20",
        "question q v3 edited: closes 2026-12-20 -> None",
    ]
    assert run.fails("question", "edit", "q", "--reason", "r") == (
        "error: say what changes: --title, --criteria, --prior-note, --tag/--no-tags, --closes, "
        "--deadline, --prior or --option\n"
    )
    assert run.fails("question", "edit", "q", "--reason", "r", "--prior", "1.2") == (
        "error: prior must be strictly between 0 and 1, not 1.2\n"
    )


def test_a_backfill_reads_each_day_under_the_version_that_stood(
    world: Tracker, clock: Clock
) -> None:
    world.edit_question("b", reason="base rate", prior=0.2)
    world.edit_question("e", reason="summit moved", deadlines=[datetime(2027, 1, 1, tzinfo=UTC)])
    clock.now = EDITED + timedelta(days=5)
    assert snapshots.backfill(world) > 0
    for qid in ("b", "e"):
        filled = [s for s in world.snapshots([qid]) if s.reason == "backfill"]
        assert len(filled) >= 14
        for snap in filled:
            standing = world.state(qid, as_of=end_of_day(snap.day))
            assert snap.probability == pytest.approx(standing.probability, abs=1e-12)
            ladder = [iso(d) for d, _ in standing.deadline_probabilities()]
            assert [d for d, _ in snap.vector] == ladder
    before, after = (
        [s for s in world.snapshots(["e"]) if s.reason == "backfill" and s.day == day]
        for day in (EDITED.date() - timedelta(days=1), EDITED.date())
    )
    assert [d for d, _ in before[0].vector] == ["2027-03-01"]
    assert [d for d, _ in after[0].vector] == ["2027-01-01"]
