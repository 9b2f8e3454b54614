"""Property: export then import into an empty database reproduces every trajectory exactly."""

from __future__ import annotations

import itertools
from datetime import timedelta
from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support import Clock, examples

from forecast.api import Judgement, Tracker
from forecast.clock import parse_time
from forecast.domain import Kind, Question
from forecast.store import Store

OPENED = parse_time("2025-10-16")
texts = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
    max_size=40,
)
probabilities = st.floats(0.01, 0.99)
ratios = st.floats(0.01, 100.0)
counter = itertools.count()


@st.composite
def scenarios(draw: st.DrawFn) -> dict:
    sources = draw(st.lists(st.tuples(st.floats(0.0, 1.0), texts), min_size=1, max_size=3))
    reports = draw(
        st.lists(
            st.tuples(
                st.integers(0, 40),  # published, days after opening
                st.integers(0, 23),  # hour
                st.integers(0, len(sources) - 1),  # source
                st.sampled_from(["", "leak-a", "leak-b"]),  # origin: some echo
                st.sampled_from(["maria", "ivan"]),
                ratios,
                st.lists(ratios, min_size=3, max_size=3),  # choice likelihoods
                texts,
            ),
            max_size=8,
        )
    )
    return {
        "prior": draw(probabilities),
        "alpha": draw(st.floats(0.3, 5.0)),
        "options": draw(st.lists(probabilities, min_size=3, max_size=3)),
        "sources": sources,
        "reports": reports,
    }


def build(tracker: Tracker, clock: Clock, sc: dict) -> None:
    weights = np.array(sc["options"]) / sum(sc["options"])
    weights[-1] = 1.0 - weights[:-1].sum()  # sum to 1 exactly enough for validation
    tracker.add_question(Question("b", "state", Kind.BINARY, OPENED, prior=sc["prior"]))
    tracker.add_question(
        Question(
            "e",
            "event",
            Kind.EVENT,
            OPENED,
            prior=sc["prior"],
            alpha=sc["alpha"],
            deadlines=(OPENED + timedelta(days=45), OPENED + timedelta(days=76)),
        )
    )
    tracker.add_question(
        Question(
            "c",
            "choice",
            Kind.CHOICE,
            OPENED,
            options=tuple(zip(("x", "y", "z"), weights.tolist(), strict=True)),
        )
    )
    for i, (reliability, kind) in enumerate(sc["sources"]):
        tracker.add_source(f"S{i}", reliability, kind)
    for day, hour, src, origin, analyst, lr, likes, title in sc["reports"]:
        published = OPENED + timedelta(days=day, hours=hour)
        clock.now = published + timedelta(hours=1)  # logged an hour after it came out
        tracker.log_evidence(
            [
                Judgement("b", lr=lr, rationale=title),
                Judgement("e", lr=1 / lr),
                Judgement("c", likelihoods=tuple(zip(("x", "y", "z"), likes, strict=True))),
            ],
            source=f"S{src}",
            published=published,
            origin=origin,
            analyst=analyst,
            title=title,
            # Drawn reports may read alike (same source, titles alike, days apart): they are
            # distinct reports here, and what is tested is the round trip, not that check.
            force=True,
        )


def snapshot(tracker: Tracker) -> dict:
    as_of = OPENED + timedelta(days=50)
    out = {}
    for q in ("b", "e", "c"):
        state = tracker.state(q, as_of=as_of)
        out[q] = (
            state.trajectory.probability.tobytes(),
            state.trajectory.ladder.tobytes(),
            [(c.report_id, np.asarray(c.without).tobytes()) for c in state.contributions],
        )
    return out


@settings(
    max_examples=examples(25),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(sc=scenarios())
def test_export_import_round_trip(tmp_path: Path, sc: dict) -> None:
    n = next(counter)
    clock = Clock(OPENED)
    first = Tracker(Store.open(str(tmp_path / f"a{n}.db")), clock=clock)
    build(first, clock, sc)
    text = first.export_scenario()
    second = Tracker(Store.open(str(tmp_path / f"b{n}.db")))
    second.import_scenario(text)
    assert snapshot(second) == snapshot(first)  # bit for bit
    assert second.export_scenario() == text
