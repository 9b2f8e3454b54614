"""The demo tells its story with the v2 model: no report moves a question against its own LR."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from forecast.api import Tracker
from forecast.clock import parse_time
from forecast.domain import Kind

SEED = Path(__file__).resolve().parents[1] / "seeds" / "putin-trump-2025.yaml"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Tracker:
    tracker = Tracker.open(str(tmp_path_factory.mktemp("demo") / "demo.db"), user="test")
    tracker.import_scenario(SEED.read_text(encoding="utf-8"), name="demo")
    return tracker


def test_no_report_moves_a_question_against_its_own_lr(demo: Tracker) -> None:
    checked = 0
    for state in demo.states(as_of=parse_time("2025-10-31")):
        q = demo.state(state.question.id, as_of=parse_time("2025-10-31"))
        for c in q.contributions:
            if c.via:
                continue  # counted on a linked question: its direction is the link's
            mine = [
                a for a in q.assessments
                if a.report_id == c.report_id and a.question_id == q.question.id
            ]  # fmt: skip
            if q.question.kind is Kind.CHOICE:
                # the option each analyst favoured most never falls, the least favoured never rises
                for a in mine:
                    given = dict(a.likelihoods)
                    lik = np.array([given.get(n, 1.0) for n in q.question.option_names])
                    step = np.asarray(c.points)
                    if lik.max() > lik.min():
                        assert step[lik.argmax()] >= -1e-12, (q.question.id, c.report_id)
                        assert step[lik.argmin()] <= 1e-12, (q.question.id, c.report_id)
                checked += 1
                continue
            signs = {math.copysign(1, math.log(a.lr)) for a in mine if a.lr != 1.0}
            if len(signs) == 1:
                assert c.points * signs.pop() >= -1e-12, (q.question.id, c.report_id, c.points)
                checked += 1
    # the demo's 27 assessments bear on 24 report-question pairs. A claim assessed against
    # two linked questions counts once, jointly, moving each as its own assessment says;
    # where the links make that impossible (the venue exists only if the summit happens, so
    # P(no summit) is tied to the summit's date), it counts on the question it moves most
    # and the others' assessments are unused: those 8 pairs show "via" and are skipped above
    assert checked == 16


def test_the_demo_event_reads_its_next_deadline_after_the_first_passes(demo: Tracker) -> None:
    # On 2025-12-05 the November rung is past; the headline is P(by 2025-12-31), not 0.
    state = demo.state("putin-trump-meeting", as_of=parse_time("2025-12-05"))
    ladder = dict(state.deadline_probabilities())
    assert ladder[parse_time("2025-11-30")] == 0.0
    assert state.probability == ladder[parse_time("2025-12-31")] > 0.0
    assert state.status_label == "open"
    late = demo.state("putin-trump-meeting", as_of=parse_time("2026-01-01T00:00Z"))
    assert late.status_label == "awaiting resolution"
    on_the_day = demo.state("putin-trump-meeting", as_of=parse_time("2025-12-31T23:00Z"))
    assert on_the_day.status_label == "open"
