"""Track record: resolved questions scored on their snapshots, by hand-computed examples."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from support import Clock

from forecast import snapshots, track_record
from forecast.api import Tracker
from forecast.cli import main
from forecast.domain import Assessment, ForecastError, History, Kind, Question, Report
from forecast.records import ReferenceQuestion, ReferenceSet, Snapshot

JAN = datetime(2025, 1, 1, tzinfo=UTC)
DASHBOARDS = Path(__file__).resolve().parent.parent / "dashboards"


def at(day: int, hour: int = 12) -> datetime:
    return JAN + timedelta(days=day - 1, hours=hour)


@pytest.fixture
def clock() -> Clock:
    return Clock(at(1, 0))


@pytest.fixture
def tracker(clock: Clock) -> Tracker:
    return Tracker.open(clock=clock)


def _add(tracker: Tracker, qid: str, kind: Kind = Kind.BINARY, **fields) -> Question:
    """A question created now by the tracker's clock: add it while the clock still reads
    day 1 at 00:00 (the fixture's start) for a question created on day 1."""
    fields.setdefault("prior", None if kind is Kind.CHOICE else 0.2)
    return tracker.add_question(Question(qid, f"Title of {qid}", kind, JAN, **fields))


def _snap(tracker: Tracker, *snaps: Snapshot) -> None:
    with tracker.store.write() as tx:
        tx.insert_snapshots(list(snaps))


def _resolve(tracker: Tracker, clock: Clock, qid: str, outcome: str, day: int) -> None:
    clock.now = at(day, 9)
    tracker.resolve(qid, outcome, at(day, 0))


def _binary_story(tracker: Tracker, clock: Clock, qid: str = "q1", tags=()) -> None:
    """Prior 0.2; 0.6 then 0.7 on day 1 (the later stands), 0.8 from day 3; YES on day 5."""
    _add(tracker, qid, tags=tags)
    _snap(
        tracker,
        Snapshot(qid, at(1, 10), 0.6),
        Snapshot(qid, at(1, 18), 0.7),
        Snapshot(qid, at(3), 0.8),
        Snapshot(qid, at(6), 0.1),  # after the resolution day: never stands
    )
    _resolve(tracker, clock, qid, "yes", 5)


# ---------------------------------------------------------------------- one question


def test_binary_question_by_hand(tracker: Tracker, clock: Clock) -> None:
    _binary_story(tracker, clock)
    (s,) = track_record.build(tracker).scores
    assert (s.start.day, s.end.day, s.days, s.outcome) == (1, 5, 4, 1)
    assert s.forecast == 0.8
    assert s.final.brier == pytest.approx(0.04)
    assert s.final.log == pytest.approx(-math.log(0.8))
    assert s.averaged.brier == pytest.approx((2 * 0.09 + 2 * 0.04) / 4)
    assert s.averaged.log == pytest.approx(-(2 * math.log(0.7) + 2 * math.log(0.8)) / 4)
    assert s.prior_averaged.brier == pytest.approx(0.64)
    assert s.prior_final.log == pytest.approx(-math.log(0.2))
    vs = track_record.summarise([s])["binary"].versus_prior()["averaged"]
    assert vs["brier_improvement"] == pytest.approx(0.64 - 0.065)
    assert vs["brier_skill"] == pytest.approx(1 - 0.065 / 0.64)


def test_a_score_added_to_the_registry_is_scored_everywhere(
    tracker: Tracker, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A new score is one entry in the registry (``forecast.scoring.SCORES``): the final,
    time-averaged and prior scores, the summaries, the comparisons and the JSON carry it."""
    from forecast import scoring

    def absolute(y: object, p: object) -> np.ndarray:
        return np.abs(np.asarray(p, dtype=float) - np.asarray(y, dtype=float))

    monkeypatch.setitem(scoring.SCORES, "absolute", absolute)
    _binary_story(tracker, clock)
    record = track_record.build(tracker)
    (s,) = record.scores
    assert s.final["absolute"] == pytest.approx(0.2)  # |0.8 - 1|
    assert s.averaged.absolute == pytest.approx((2 * 0.3 + 2 * 0.2) / 4)  # 0.7 twice, 0.8 twice
    assert s.prior_averaged["absolute"] == pytest.approx(0.8)
    summary = track_record.summarise([s])["binary"]
    vs = summary.versus_prior()["averaged"]
    assert vs["absolute_improvement"] == pytest.approx(0.8 - 0.25)
    assert vs["absolute_skill"] == pytest.approx(1 - 0.25 / 0.8)
    text = json.dumps(record.to_json())
    assert '"absolute": 0.2' in text and '"absolute_skill"' in text


def test_event_question_scores_its_primary_deadline(tracker: Tracker, clock: Clock) -> None:
    _add(tracker, "e1", Kind.EVENT, prior=0.5, deadlines=(at(11, 0), at(21, 0)))
    _snap(
        tracker,
        Snapshot("e1", at(1), 0.5, (("2025-01-11", 0.5), ("2025-01-21", 0.7))),
        Snapshot("e1", at(6), 0.3, (("2025-01-11", 0.3), ("2025-01-21", 0.6))),
    )
    _resolve(tracker, clock, "e1", "yes", 15)  # after the first deadline, before the second
    (s,) = track_record.build(tracker).scores
    # Primary deadline (2025-01-11): NO (the event came later). "By D" includes all of day D,
    # so days 1-11 are scored: 0.5 on days 1-5, 0.3 on days 6-11 (v1 stopped at day 10).
    assert (s.outcome, s.days) == (0, 11)
    assert s.averaged.brier == pytest.approx((5 * 0.25 + 6 * 0.09) / 11)
    assert s.final.brier == pytest.approx(0.09)
    first, second = s.ladder
    assert (first.outcome, first.days, first.final) == (0, 11, s.final)
    # Second deadline: YES; days 1-14 scored at 0.7 (5 days) then 0.6 (9 days).
    assert (second.outcome, second.days, second.forecast) == (1, 14, 0.6)
    assert second.averaged.brier == pytest.approx((5 * 0.09 + 9 * 0.16) / 14)
    assert second.final.brier == pytest.approx(0.16)


def test_event_question_yes_before_the_primary_deadline(tracker: Tracker, clock: Clock) -> None:
    _add(tracker, "e1", Kind.EVENT, prior=0.5, deadlines=(at(11, 0), at(21, 0)))
    _snap(tracker, Snapshot("e1", at(1), 0.4, (("2025-01-11", 0.4), ("2025-01-21", 0.6))))
    _resolve(tracker, clock, "e1", "yes", 4)
    (s,) = track_record.build(tracker).scores
    assert (s.outcome, s.days) == (1, 3)
    assert s.averaged.brier == pytest.approx(0.36)
    assert [(r.outcome, r.days) for r in s.ladder] == [(1, 3), (1, 3)]
    assert s.ladder[1].averaged.brier == pytest.approx(0.16)


def _silent_event(tracker: Tracker, clock: Clock, resolved_day: int) -> track_record.QuestionScore:
    """Prior 0.5 for 2025-01-11 (then 2025-01-21), alpha 1, created on day 1; no evidence;
    the daily snapshot at noon of every day up to the resolution day; YES on that day,
    logged at 18:00."""
    _add(tracker, "e1", Kind.EVENT, prior=0.5, alpha=1.0, deadlines=(at(11, 0), at(21, 0)))
    for day in range(1, resolved_day + 1):
        clock.now = at(day)
        snapshots.take(tracker)
    clock.now = at(resolved_day, 18)
    tracker.resolve("e1", "yes", at(resolved_day, 0))
    (s,) = track_record.build(tracker).scores
    return s


# The v2 prior of _silent_event by hand: the Lomax law with alpha 1 from the anchor (the
# creation day, day 1) has survival S(x) = b / (b + x) after x days. Days 1..11 are n = 11
# days, and P(by 2025-01-11) = 1 - S(11) = 0.5 on day 1 gives b / (b + 11) = 0.5: b = 11.
# On day k silence rules out days 1..k-1, so P(by day 11) = 1 - S(11) / S(k - 1)
# = 1 - (b + k - 1) / (b + 11) = (12 - k) / 22: 0.5 on day 1, 2/22 on day 10 and, on the
# deadline's own day, 1 - (b + n - 1) / (b + n) = 1/22.


def test_event_question_yes_on_its_primary_deadlines_day(tracker: Tracker, clock: Clock) -> None:
    s = _silent_event(tracker, clock, 11)
    # "By D" includes all of day D: an event on 2025-01-11 resolves that deadline YES.
    assert (s.outcome, s.start.day, s.end.day, s.days) == (1, 1, 11, 10)
    # The deadline-day forecast (1/22) is recorded, by the daily and the resolution snapshot...
    day_11 = [x for x in snapshots.load(tracker)["e1"] if x.day.day == 11]
    assert [(x.reason, x.probability) for x in day_11] == [
        ("daily", pytest.approx(1 / 22)),
        ("resolution", pytest.approx(1 / 22)),
    ]
    # ... but day 11 is the day the event happened, the resolution day, which is never
    # scored (its end already knows the outcome: a report of the event logged that day
    # would otherwise score itself). Days 1-10 are scored, the last at 2/22 = 1/11.
    assert s.forecast == pytest.approx(1 / 11)
    assert s.final.brier == pytest.approx((10 / 11) ** 2)
    assert s.final.log == pytest.approx(math.log(11))
    # Day k: Brier (1 - (12 - k)/22)^2 = ((10 + k)/22)^2; sum over k = 1..10 of (10 + k)^2
    # is 11^2 + ... + 20^2 = 2870 - 385 = 2485.
    assert s.averaged.brier == pytest.approx(2485 / 22**2 / 10)
    assert s.prior_averaged.brier == pytest.approx(s.averaged.brier)  # no evidence: the prior
    # The second rung (2025-01-21) also resolves YES, over the same days.
    assert [(r.outcome, r.days) for r in s.ladder] == [(1, 10), (1, 10)]


def test_event_question_scores_its_primary_deadlines_own_day(
    tracker: Tracker, clock: Clock
) -> None:
    s = _silent_event(tracker, clock, 15)  # after the first deadline, before the second
    # The first deadline resolves NO, and its scored days run to its own day, 2025-01-11,
    # which is scored with the deadline-day forecast 1 - (b + n - 1)/(b + n) = 1/22.
    assert (s.outcome, s.start.day, s.end.day, s.days) == (0, 1, 12, 11)
    assert s.forecast == pytest.approx(1 / 22)
    assert s.final.brier == pytest.approx((1 / 22) ** 2)
    assert s.final.log == pytest.approx(-math.log(21 / 22))
    # Day k: Brier ((12 - k)/22)^2; the sum over k = 1..11 of (12 - k)^2 is 1^2 + ... + 11^2
    # = 11 * 12 * 23 / 6 = 506.
    assert s.averaged.brier == pytest.approx(506 / 22**2 / 11)
    first, second = s.ladder
    assert (first.outcome, first.days, first.forecast) == (0, 11, s.forecast)
    # The second rung: YES (day 15), days 1-14; on day 14, P(by day 21) = 1 - S(21)/S(13)
    # = 1 - (11 + 13)/(11 + 21) = 1/4.
    assert (second.outcome, second.days, second.forecast) == (1, 14, pytest.approx(0.25))


def test_choice_question_by_hand(tracker: Tracker, clock: Clock) -> None:
    _add(tracker, "c1", Kind.CHOICE, options=(("a", 0.5), ("b", 0.3), ("c", 0.2)))
    _snap(
        tracker,
        Snapshot("c1", at(1), None, (("a", 0.5), ("b", 0.3), ("c", 0.2))),
        Snapshot("c1", at(3), None, (("a", 0.2), ("b", 0.7), ("c", 0.1))),
    )
    _resolve(tracker, clock, "c1", "b", 5)
    (s,) = track_record.build(tracker).scores
    assert (s.family, s.outcome) == ("choice", 1)
    # Multi-category Brier: (0.5, 0.3, 0.2) against b is 0.25 + 0.49 + 0.04 = 0.78;
    # (0.2, 0.7, 0.1) is 0.04 + 0.09 + 0.01 = 0.14.
    assert s.averaged.brier == pytest.approx((2 * 0.78 + 2 * 0.14) / 4)
    assert s.final.brier == pytest.approx(0.14)
    assert s.final.log == pytest.approx(-math.log(0.7))
    assert s.prior_averaged.brier == pytest.approx(0.78)


def test_annulled_and_unscorable_questions(tracker: Tracker, clock: Clock) -> None:
    _add(tracker, "annulled")
    # A question created here is snapshotted at once, so it is always scorable (see the
    # next test). These two came in through an import, which takes no snapshot: "never"
    # with none at all, "late" with one taken only on its resolution day.
    imported = [
        Question(q, f"Title of {q}", Kind.BINARY, JAN, prior=0.2) for q in ("never", "late")
    ]
    clock.now = at(3)  # an import cannot bring a snapshot from the future
    tracker.import_history(History(questions=imported), snapshots=[Snapshot("late", at(3), 0.5)])
    _snap(tracker, Snapshot("annulled", at(1), 0.5))
    _resolve(tracker, clock, "annulled", "annulled", 3)
    _resolve(tracker, clock, "never", "no", 3)
    _resolve(tracker, clock, "late", "no", 3)
    clock.now = at(10)
    record = track_record.build(tracker)
    assert record.scores == [] and record.annulled == ["annulled"]
    # "never" has only the snapshot its resolution took (logged on day 3, at 09:00), and
    # a snapshot taken on the resolution day never stands.
    assert record.unscored == [
        ("late", "no snapshot was taken before its resolution date"),
        ("never", "no snapshot was taken before its resolution date"),
    ]
    assert [s.reason for s in snapshots.load(tracker)["never"]] == ["resolution"]
    assert record.overall() == {} and record.calibration() is None and record.murphy() is None
    never = tracker.question("never")
    resolution = tracker.history(["never"]).resolutions[0]
    with pytest.raises(track_record.Unscored, match="no snapshot was taken while it was open"):
        track_record.score_question(never, resolution, [])


def test_a_question_created_assessed_and_resolved_here_is_scorable(
    tracker: Tracker, clock: Clock
) -> None:
    """No daily snapshot ever ran: the snapshots taken at creation and at the evidence suffice."""
    _add(tracker, "q1")  # prior 0.2, created on day 1 at 00:00: snapshot "created", 0.2
    tracker.add_source("Wire", 1.0)
    clock.now = at(3, 10)
    tracker.add_evidence("q1", lr=4.0, source="Wire", published=at(3, 8))
    _resolve(tracker, clock, "q1", "yes", 5)  # its snapshot, on day 5, never stands
    assert [s.reason for s in snapshots.load(tracker)["q1"]] == [
        "created",
        "evidence",
        "resolution",
    ]
    (s,) = track_record.build(tracker).scores
    # Odds 0.2/0.8 = 1/4, times the LR 4 of a fully reliable source: even odds, 0.5.
    # Days 1-2 stand at 0.2 (Brier 0.8^2 = 0.64), days 3-4 at 0.5 (0.25).
    assert (s.start.day, s.end.day, s.days, s.outcome, s.basis) == (1, 5, 4, 1, "live")
    assert s.forecast == pytest.approx(0.5)
    assert s.averaged.brier == pytest.approx((2 * 0.64 + 2 * 0.25) / 4)
    assert s.averaged.log == pytest.approx(-(2 * math.log(0.2) + 2 * math.log(0.5)) / 4)
    assert s.final.brier == pytest.approx(0.25)
    assert s.prior_averaged.brier == pytest.approx(0.64)


def test_a_typed_creation_time_is_refused_and_nothing_is_stored(
    tracker: Tracker, clock: Clock
) -> None:
    """A live question is created when the store's clock says: a stated creation time could
    back-date its prior into days already scored. History comes in through an import."""
    clock.now = at(3)
    typed = Question("q1", "Title of q1", Kind.BINARY, JAN, prior=0.2, created_at=JAN)
    refusal = (
        "question 'q1': its creation time comes from the store's clock, not 2025-01-01; "
        "bring in history with `forecast import`"
    )
    with pytest.raises(ForecastError) as refused:
        tracker.add_question(typed)
    assert str(refused.value) == refusal
    with tracker.store.read() as tx:
        counts = tx.counts()
    assert (counts["questions"], counts["snapshots"]) == (0, 0)
    # Within the 5 minutes another machine's clock may be ahead, the store's time is kept.
    q = tracker.add_question(replace(typed, created_at=at(3) + timedelta(minutes=4)))
    assert (q.created_at, q.imported_at) == (at(3), None)
    # The same question brought in as history keeps its stated time, marked as imported.
    tracker.import_history(History(questions=(replace(typed, id="q2"),)))
    q2 = tracker.question("q2")
    assert (q2.created_at, q2.imported_at) == (JAN, at(3))


def test_as_of_keeps_later_knowledge_out(tracker: Tracker, clock: Clock) -> None:
    _add(tracker, "q2")  # created on day 1 at 00:00, as q1 is: before the story moves the clock
    _binary_story(tracker, clock)  # resolution logged on day 5 at 09:00
    assert track_record.build(tracker, as_of=at(5, 8)).scores == []
    (s,) = track_record.build(tracker, as_of=at(5, 10)).scores
    assert s.averaged.brier == pytest.approx(0.065)
    # Snapshots taken after as_of do not count. Here the resolution (YES on day 5) was
    # logged ahead, on day 2 at 10:00, and took its own snapshot then: q2 as the tracker
    # stood, its prior 0.2 (no evidence). As of day 2, day 3's snapshot (0.9) was not
    # yet taken, so 0.5 stands on day 1 and 0.2 from day 2 on.
    _snap(tracker, Snapshot("q2", at(1), 0.5), Snapshot("q2", at(3, 0), 0.9))
    clock.now = at(2, 10)
    tracker.resolve("q2", "yes", at(5, 0))
    (taken,) = [s for s in snapshots.load(tracker)["q2"] if s.reason == "resolution"]
    assert (taken.taken_at, taken.probability) == (at(2, 10), pytest.approx(0.2))
    early = track_record.build(tracker, as_of=at(2, 23))
    assert [s.question.id for s in early.scores] == ["q2"]
    assert early.scores[0].averaged.brier == pytest.approx((0.25 + 3 * 0.64) / 4)
    later = track_record.build(tracker, as_of=at(4))
    q2 = next(s for s in later.scores if s.question.id == "q2")
    assert q2.averaged.brier == pytest.approx((0.25 + 0.64 + 2 * 0.01) / 4)


# ---------------------------------------------------------------------- groups


def test_calibration_and_murphy_of_final_forecasts(tracker: Tracker, clock: Clock) -> None:
    _add(tracker, "q2")  # both created on day 1 at 00:00
    _binary_story(tracker, clock, "q1")  # final 0.8, YES
    _snap(tracker, Snapshot("q2", at(1), 0.3))
    _resolve(tracker, clock, "q2", "no", 5)  # final 0.3, NO
    record = track_record.build(tracker)
    table = record.calibration()
    assert table is not None
    assert table.count.tolist() == [1, 1]
    assert table.lower.tolist() == pytest.approx([0.2, 0.7])  # 0.3 sits on an edge: lower bin
    assert table.mean_forecast.tolist() == pytest.approx([0.3, 0.8])
    assert table.observed_frequency.tolist() == [0.0, 1.0]
    m = record.murphy()
    assert m is not None
    assert m.brier == pytest.approx((0.09 + 0.04) / 2)
    assert m.reliability == pytest.approx((0.09 + 0.04) / 2)
    assert (m.resolution, m.uncertainty) == pytest.approx((0.25, 0.25))


def test_totals_agree_with_scikit_learn(tracker: Tracker, clock: Clock) -> None:
    from sklearn.calibration import calibration_curve
    from sklearn.metrics import brier_score_loss, log_loss

    rng = np.random.default_rng(5)
    finals = rng.uniform(0.02, 0.98, 40)
    outcomes = (rng.uniform(size=40) < finals).astype(int)
    for i in range(len(finals)):
        _add(tracker, f"q{i}")  # all created on day 1 at 00:00, before any is resolved
    for i, (p, y) in enumerate(zip(finals, outcomes, strict=True)):
        _snap(tracker, Snapshot(f"q{i}", at(1), 0.5), Snapshot(f"q{i}", at(2), float(p)))
        _resolve(tracker, clock, f"q{i}", "yes" if y else "no", 4)
    record = track_record.build(tracker, analysts=False)
    final = record.overall()["binary"].final
    assert final.brier == pytest.approx(brier_score_loss(outcomes, finals))
    assert final.log == pytest.approx(log_loss(outcomes, finals))
    table = record.calibration()
    assert table is not None
    observed, predicted = calibration_curve(outcomes, finals, n_bins=track_record.N_BINS)
    assert table.observed_frequency.tolist() == pytest.approx(observed.tolist())
    assert table.mean_forecast.tolist() == pytest.approx(predicted.tolist())


def test_per_tag_groups(tracker: Tracker, clock: Clock) -> None:
    _add(tracker, "q2", tags=("usa",))  # both created on day 1 at 00:00
    _binary_story(tracker, clock, "q1", tags=("war", "usa"))
    _snap(tracker, Snapshot("q2", at(1), 0.3))
    _resolve(tracker, clock, "q2", "no", 5)
    tags = track_record.build(tracker).by_tag()
    assert list(tags) == ["usa", "war"]
    assert tags["usa"]["binary"].count == 2
    assert tags["usa"]["binary"].averaged.brier == pytest.approx((0.065 + 0.09) / 2)
    assert tags["war"]["binary"].averaged.brier == pytest.approx(0.065)


def test_per_analyst_from_their_own_trajectories(tracker: Tracker, clock: Clock) -> None:
    _add(tracker, "q1", prior=0.5)
    tracker.add_source("Wire", 1.0)
    clock.now = at(2, 10)
    tracker.add_evidence("q1", lr=9.0, source="Wire", published=at(2, 8), analyst="ana")
    clock.now = at(3, 10)
    tracker.add_evidence("q1", lr=1 / 9, source="Wire", published=at(3, 8), analyst="bob")
    _resolve(tracker, clock, "q1", "yes", 5)
    snapshots.backfill(tracker)
    record = track_record.build(tracker)
    by = record.by_analyst()
    # ana: 0.5, 0.9, 0.9, 0.9. bob: 0.5, 0.5, 0.1, 0.1. Team: 0.5, 0.9, 0.5, 0.5.
    assert by["ana"]["binary"].averaged.brier == pytest.approx((0.25 + 3 * 0.01) / 4)
    assert by["bob"]["binary"].averaged.brier == pytest.approx((0.25 + 0.25 + 0.81 + 0.81) / 4)
    assert by["bob"]["binary"].final.brier == pytest.approx(0.81)
    assert record.scores[0].averaged.brier == pytest.approx((3 * 0.25 + 0.01) / 4)
    assert by["ana"]["binary"].prior_averaged.brier == pytest.approx(0.25)


def _late_story(tracker: Tracker, clock: Clock, late: Callable[[], None]) -> dict:
    """ana logs LR 3 on day 2; ``late`` adds more on day 5, after the last scored day (4)
    but before the YES resolution of day 5 is logged (day 6): it must change no score."""
    _add(tracker, "q1", prior=0.5)
    tracker.add_source("Wire", 1.0)
    clock.now = at(2, 10)
    tracker.add_evidence(
        "q1", lr=3.0, source="Wire", published=at(2, 8), analyst="ana", new_report_id="r1"
    )
    late()
    clock.now = at(6, 12)
    tracker.resolve("q1", "yes", at(5, 0))
    clock.now = at(8, 0)
    return track_record.build(tracker).to_json()


def _late_assessments(tracker: Tracker, clock: Clock) -> None:
    """Day 5: ana judges a report of day 3 as very strong, and bob (who said nothing while
    the question was scored) judges it too."""
    clock.now = at(5, 10)
    tracker.add_evidence(
        "q1", lr=9.0, source="Wire", published=at(3, 8), analyst="ana", new_report_id="r2"
    )
    tracker.add_evidence("q1", lr=9.0, report_id="r2", analyst="bob")


def _late_import(tracker: Tracker, clock: Clock) -> None:
    """The same judgements brought in by an import, stating that they were logged on day 5."""
    clock.now = at(5, 20)
    judged = [
        Assessment(f"late-{who}", "r2", "q1", who, lr=9.0, logged_at=at(5, 10), logged_by=who)
        for who in ("ana", "bob")
    ]
    report = Report("r2", at(3, 8), "Wire", logged_at=at(5, 10), logged_by="ana")
    tracker.import_history(History(reports=(report,), assessments=tuple(judged)))


@pytest.mark.parametrize("late", [_late_assessments, _late_import])
def test_nothing_logged_after_a_day_changes_its_per_analyst_score(
    tracker: Tracker, clock: Clock, late: Callable[[Tracker, Clock], None]
) -> None:
    data = _late_story(tracker, clock, lambda: late(tracker, clock))
    # ana, reliability 1: 0.5 on day 1, odds 3 (0.75) on days 2-4; YES. Her LR of 9 for a
    # day-3 report was logged on day 5: no scored day knew it.
    ana = data["by_analyst"]["ana"]["binary"]
    assert ana["final"]["brier"] == pytest.approx(0.0625)
    assert ana["averaged"]["brier"] == pytest.approx((0.25 + 3 * 0.0625) / 4)
    assert ana["averaged"]["log"] == pytest.approx(-(math.log(0.5) + 3 * math.log(0.75)) / 4)
    assert list(data["by_analyst"]) == ["ana"]  # bob had logged nothing by then
    # Rebuilt from logged times, and from no imported record: an import logged too late
    # for any scored day is not one ana's score rests on.
    assert data["analyst_bases"] == {"ana": "backfilled"}


def test_a_per_analyst_score_resting_on_an_import_says_so(tracker: Tracker, clock: Clock) -> None:
    def imported_in_time() -> None:  # stated as logged on day 3, within the scored days
        clock.now = at(5, 20)
        report = Report("r2", at(3, 8), "Wire", logged_at=at(3, 10), logged_by="ana")
        judged = Assessment("late", "r2", "q1", "bob", lr=9.0, logged_at=at(3, 10))
        tracker.import_history(History(reports=(report,), assessments=(judged,)))

    data = _late_story(tracker, clock, imported_in_time)
    assert data["analyst_bases"] == {"ana": "backfilled", "bob": "imported"}
    # bob: 0.5 on days 1-2, odds 9 (0.9) on days 3-4, as his file states.
    bob = data["by_analyst"]["bob"]["binary"]
    assert bob["averaged"]["brier"] == pytest.approx((2 * 0.25 + 2 * 0.01) / 4)


def test_per_analyst_scores_without_the_late_records_are_the_same(
    tracker: Tracker, clock: Clock
) -> None:
    with_late = _late_story(tracker, clock, lambda: _late_assessments(tracker, clock))
    alone = Tracker.open(str(tracker.store.url).replace("forecast.db", "alone.db"), clock=clock)
    clock.now = at(1, 0)
    without = _late_story(alone, clock, lambda: None)
    assert with_late["by_analyst"] == without["by_analyst"]


def test_scores_say_what_they_rest_on(tracker: Tracker, clock: Clock) -> None:
    for qid in ("rebuilt", "mixed", "overtaken"):  # all four created on day 1 at 00:00
        _add(tracker, qid, prior=0.5)
    _binary_story(tracker, clock, "live")  # snapshots stored as they stood
    _snap(tracker, Snapshot("rebuilt", at(1), 0.6), Snapshot("rebuilt", at(2), 0.7, (), "backfill"))
    _resolve(tracker, clock, "rebuilt", "yes", 4)
    imported = Snapshot("mixed", at(2), 0.9, imported_at=at(3), imported_by="olga")
    _snap(tracker, Snapshot("mixed", at(1), 0.6, (), "backfill"), imported)
    _snap(tracker, Snapshot("mixed", at(5), 0.1, imported_at=at(3)))  # after: never stands
    _resolve(tracker, clock, "mixed", "yes", 4)
    _snap(
        tracker,
        Snapshot("overtaken", at(1, 8), 0.2, imported_at=at(1)),  # replaced the same day
        Snapshot("overtaken", at(1, 20), 0.3),
    )
    _resolve(tracker, clock, "overtaken", "no", 3)
    clock.now = at(10)
    record = track_record.build(tracker)
    assert {s.question.id: s.basis for s in record.scores} == {
        "live": "live",
        "rebuilt": "backfilled",
        "mixed": "imported",  # the weakest of backfilled and imported
        "overtaken": "live",  # the imported one never stood at a day's end
    }
    data = record.to_json()
    assert {q["id"]: q["basis"] for q in data["questions"]}["mixed"] == "imported"
    assert data["bases"] == {
        "live": ["live", "overtaken"],
        "backfilled": ["rebuilt"],
        "imported": ["mixed"],
    }


def test_cli_and_weekly_report_mark_scores_that_rest_on_reconstructions(
    tracker: Tracker, clock: Clock, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from forecast.reports import render, weekly

    _add(tracker, "rebuilt", prior=0.5)  # both created on day 1 at 00:00
    _binary_story(tracker, clock, "live")
    _snap(tracker, Snapshot("rebuilt", at(1), 0.6, (), "backfill"))
    _resolve(tracker, clock, "rebuilt", "yes", 4)
    assert main(["--db", tracker.store.url, "score", "--as-of", "2025-01-08"]) == 0
    lines = capsys.readouterr().out.splitlines()
    (rebuilt,) = [line for line in lines if "rebuilt" in line]
    (live,) = [line for line in lines if line.strip().startswith("live ")]
    assert rebuilt.endswith(
        "[backfilled: rests on forecasts rebuilt after the fact from logged times]"
    )
    assert "[" not in live
    stats = weekly.build(tracker, week="2025-W01")
    markdown, html = render.markdown(stats), render.html(stats)
    assert "(rebuilt) *[backfilled]*" in markdown
    assert "*[backfilled]* 1 of these scores rests on forecasts rebuilt after the fact" in markdown
    assert '<span class="basis" title="rests on forecasts rebuilt' in html
    assert "(live) *[" not in markdown


def test_team_versus_reference_over_common_days(tracker: Tracker, clock: Clock) -> None:
    _binary_story(tracker, clock)  # team: 0.7 on days 1-2, 0.8 on days 3-4
    with tracker.store.write() as tx:
        tx.insert_reference(
            ReferenceSet("market"),
            [ReferenceQuestion("market", "q1", outcome=1.0, resolved_on=at(5).date())],
            [("q1", at(2).date(), 0.5), ("q1", at(4).date(), 0.9)],
        )
    record = track_record.build(tracker)
    (v,) = record.scores[0].versus
    assert (v.reference, v.days, v.forecast) == ("market", 3, 0.9)  # days 2, 3, 4
    assert v.team.brier == pytest.approx((0.09 + 0.04 + 0.04) / 3)
    assert v.other.brier == pytest.approx((0.25 + 0.25 + 0.01) / 3)
    summary = record.versus()["market"].to_json()
    assert summary["count"] == 1
    assert summary["versus_reference"]["brier_improvement"] == pytest.approx(0.34 / 3)


def test_json_is_strict_and_infinite_logs_are_null(tracker: Tracker, clock: Clock) -> None:
    _add(tracker, "q1")
    _snap(tracker, Snapshot("q1", at(1), 0.0))  # certain NO
    _resolve(tracker, clock, "q1", "yes", 3)
    data = track_record.build(tracker).to_json()
    text = json.dumps(data, allow_nan=False)
    question = json.loads(text)["questions"][0]
    assert question["final"] == {"brier": 1.0, "log": None}
    assert data["overall"]["binary"]["averaged"]["log"] is None


# ---------------------------------------------------------------------- CLI and dashboard


def test_cli_score_on_the_demo(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo"]) == 0
    assert main(["resolve", "lavrov-rubio-meeting", "--outcome", "no", "--date", "2025-10-31"]) == 0
    assert main(["resolve", "summit-venue", "--outcome", "annulled", "--date", "2025-11-01"]) == 0
    assert main(["snapshot", "--backfill", "--until", "2025-11-02"]) == 0
    capsys.readouterr()
    assert main(["score", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [q["id"] for q in data["questions"]] == ["lavrov-rubio-meeting"]
    assert data["questions"][0]["days"] == 15  # 10-16 to 10-30
    assert data["annulled"] == ["summit-venue"]
    assert sorted(data["by_analyst"]) == ["ivan", "maria"]
    # The demo came in through an import and its forecasts were rebuilt by the backfill.
    assert data["questions"][0]["basis"] == "backfilled"
    assert data["bases"]["backfilled"] == ["lavrov-rubio-meeting"]
    assert data["analyst_bases"] == {"ivan": "imported", "maria": "imported"}
    assert main(["score"]) == 0
    out = capsys.readouterr().out
    assert "1 questions scored, 1 annulled" in out and "lavrov-rubio-meeting" in out


def test_cli_snapshot(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo"]) == 0
    capsys.readouterr()
    assert main(["snapshot", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"snapshots": 4, "backfill": False}
    assert main(["snapshot", "--until", "2025-10-20"]) == 2
    assert "--until goes with --backfill" in capsys.readouterr().err


def test_track_record_page(tracker: Tracker, clock: Clock) -> None:
    from streamlit.testing.v1 import AppTest

    _binary_story(tracker, clock, tags=("war",))
    page = AppTest.from_file(str(DASHBOARDS / "views" / "track_record.py")).run(timeout=60)
    assert not page.exception
    assert [m.label for m in page.metric][:2] == ["Questions scored", "Time-averaged Brier"]
    assert page.metric[1].value == "0.065"
    assert page.get("vega_lite_chart"), "the calibration chart is drawn"
