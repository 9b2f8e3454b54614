"""Audit trail: every change to a question, its evidence and its resolution: who, when, why.

The entries are ``forecast.audit.trail``'s, as ``forecast audit`` prints them: one per stored
version of a record, corrections and retractions included (nothing is ever overwritten).
"""

from __future__ import annotations

import streamlit as st

from dashboards import asof, components, frames, state
from dashboards.text import clip
from forecast.audit import KINDS

ALL = ""  # the question filter's "every question" choice


st.title("Audit trail")
asof.banner()
st.caption(
    "Every stored version of every record, oldest first: a question's creation, each report "
    "and judgement, each correction or retraction (with its reason), each re-rating of a "
    "source and each resolution. Nothing is overwritten: a change is a new version. A record "
    "brought in by an import shows the time its file stated under *at*, and when and by whom "
    "it was imported under *imported*."
)
titles = {q.id: q.title for q in state.questions()}
wanted = st.query_params.get("q")  # ?q=ID opens the page on one question
question_col, kind_col, who_col = st.columns([3, 2, 2])
qid = question_col.selectbox(
    "Question",
    [ALL, *titles],
    index=[ALL, *titles].index(wanted) if wanted in titles else 0,
    key="audit_question",
    format_func=lambda i: "All questions" if i == ALL else f"{clip(titles[i], 90)} ({i})",
)
entries = state.audit(qid or None, asof.current())
kinds = kind_col.multiselect(
    "Kind",
    [k for k in KINDS if any(e.kind == k for e in entries)],
    key="audit_kind",
    placeholder="Every kind",
)
people = who_col.multiselect(
    "Who",
    sorted({e.who for e in entries}),
    key="audit_who",
    placeholder="Everyone",
)
shown = [e for e in entries if (not kinds or e.kind in kinds) and (not people or e.who in people)]
if not shown:
    st.info("No change matches these filters." if entries else "No change recorded yet.")
    st.stop()

table = frames.audit(shown)
st.caption(f"{len(shown)} of {len(entries)} changes.")
components.table(
    table,
    hide_index=True,
    width="stretch",
    key="audit_table",
    column_config={
        "at": st.column_config.DatetimeColumn("at (UTC)", format="YYYY-MM-DD HH:mm:ss"),
        "version": st.column_config.NumberColumn("version", format="%d"),
        "why": st.column_config.TextColumn("why", width="large"),
        "changes": st.column_config.TextColumn("changes", width="large"),
        "imported": st.column_config.TextColumn("imported", width="medium"),
    },
)
st.download_button(
    "Download as CSV",
    data=frames.audit_csv(table),
    file_name=f"audit-{qid or 'all'}.csv",
    mime="text/csv",
    key="audit_download",
    icon=":material/download:",
    on_click="ignore",
)
