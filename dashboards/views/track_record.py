"""Track record: resolved questions scored on their snapshots, calibration, analysts, references."""

from __future__ import annotations

import streamlit as st

from dashboards import asof, components, state
from dashboards.text import md
from forecast import track_record
from forecast.reports import charts

HORIZONS = [1, 7, 30]


def _fmt(value: float | None, digits: int = 3) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def _summary_rows(groups: dict[str, dict[str, track_record.Summary]], key: str) -> list[dict]:
    return [
        {
            key: name,
            "questions": family,
            "count": s.count,
            "time-averaged Brier": round(s.averaged.brier, 4),
            "Brier at resolution": round(s.final.brier, 4),
            "prior's time-averaged Brier": round(s.prior_averaged.brier, 4),
            "skill vs prior": _fmt(s.versus_prior()["averaged"]["brier_skill"], 2),
        }
        for name, families in groups.items()
        for family, s in families.items()
    ]


st.title("Track record")
asof.banner()
record = state.record(asof.current())
binary = record.overall().get("binary")

columns = st.columns(4)
columns[0].metric("Questions scored", len(record.scores))
columns[1].metric("Time-averaged Brier", _fmt(binary.averaged.brier if binary else None))
columns[2].metric("Brier at resolution", _fmt(binary.final.brier if binary else None))
skill = binary.versus_prior()["averaged"]["brier_skill"] if binary else None
columns[3].metric("Brier skill vs prior", _fmt(skill, 2))
st.caption(
    "Scored on the snapshots that stood at the time (knowledge time): binary and event "
    "questions on the 0-1 Brier scale, choice questions on the 0-2 scale; time-averaged over "
    "the days each question was open."
)

if record.scores:
    st.subheader("Questions")
    components.table(
        [
            {
                "id": s.question.id,
                "kind": s.question.kind.value,
                "outcome": s.resolution.outcome,
                "days": s.days,
                "Brier at resolution": round(s.final.brier, 4),
                "time-averaged Brier": round(s.averaged.brier, 4),
                "prior's time-averaged Brier": round(s.prior_averaged.brier, 4),
                "rests on": s.basis,
            }
            for s in record.scores
        ],
        hide_index=True,
        width="stretch",
    )
    components.table(_summary_rows({"all": record.overall()}, "group"), hide_index=True)
    for basis, ids in record.bases().items():
        if ids and basis != "live":
            note = track_record.BASIS_NOTES[basis]
            st.caption(md(f"[{basis}] {len(ids)} of these scores {note}: {', '.join(ids)}."))
else:
    st.info("No resolved question has been scored yet (resolve questions and take snapshots).")
for qid, why in record.unscored:
    st.caption(md(f"Not scored: {qid} ({why})"))
if record.annulled:
    st.caption(md("Annulled, not scored: " + ", ".join(record.annulled)))

table = record.calibration()
if table is not None:
    st.subheader("Calibration")
    st.altair_chart(charts.calibration(table))
    m = record.murphy()
    if m is not None:
        st.caption(
            f"Murphy decomposition: reliability {m.reliability:.4f}, resolution "
            f"{m.resolution:.4f}, uncertainty {m.uncertainty:.4f} (Brier {m.brier:.4f})."
        )

analysts = record.by_analyst()
if analysts:
    st.subheader("Per analyst")
    components.table(_summary_rows(analysts, "analyst"), hide_index=True, width="stretch")
tags = record.by_tag()
if tags:
    st.subheader("Per tag")
    components.table(_summary_rows(tags, "tag"), hide_index=True, width="stretch")

available = state.reference_names()
if available:
    st.subheader("Reference forecasts")
    for name, v in record.versus().items():
        st.write(
            f"Team versus {md(name)} on {v.count:d} shared questions: time-averaged Brier "
            f"{v.team.brier:.3f} against {v.other.brier:.3f}."
        )
    chosen = st.selectbox("Reference", available)
    horizons = st.multiselect("Days before resolution", HORIZONS, default=HORIZONS)
    scored = state.reference_score(chosen, horizons)
    components.table(
        [
            {
                "days before resolution": h.days,
                "questions": h.count,
                "Brier": _fmt(h.summary["brier"] if h.summary else None),
                "log": _fmt(h.summary["log"] if h.summary else None),
            }
            for h in scored.horizons
        ],
        hide_index=True,
    )
