"""Overview: every question with its probability as of a chosen date."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import state
import streamlit as st

st.title("Questions")
as_of = st.date_input("As of (what was known by the end of this day)",
                      value=datetime.now(UTC).date())
rows = []
for s in state.states(as_of):
    p = s.probability
    rows.append({
        "id": s.question.id,
        "title": s.question.title,
        "kind": s.question.kind.value,
        "status": s.status.value,
        "probability": ", ".join(f"{k} {v:.0%}" for k, v in p.items())
        if isinstance(p, dict) else f"{p:.1%}",
        "deadlines": ", ".join(d.date().isoformat() for d in s.question.deadlines),
        "last evidence": s.last_evidence.date().isoformat() if s.last_evidence else "",
        "reports": len(s.contributions),
    })
if rows:
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
else:
    st.info("No questions yet: load the demo with `forecast demo`.")
