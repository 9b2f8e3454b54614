"""Search: questions, reports and rationales that hold every word typed, found by the
database's own full-text index (``forecast search``)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboards import components, forms, state
from dashboards.text import clip, md

st.title("Search")
st.caption(
    "Every word must match, by its beginning and in any case (\u201csanction\u201d finds "
    "\u201cSanctions\u201d), in a question's title, criteria or prior note, a report's title, "
    "summary or origin, or a judgement's rationale, including earlier versions of each. "
    "Results are shown as they stand now."
)
query = st.text_input("Words", key="search_words", value=st.query_params.get("text", ""))
if not query.strip():
    st.stop()
st.query_params["text"] = query
with forms.reporting():
    hits = state.search(query)
    if not hits:
        st.info("Nothing matches.")
        st.stop()
    table = pd.DataFrame(
        [
            {  # what a reader scans first, first; ids last
                "title": h.title + (" (retracted)" if h.retracted else ""),
                "kind": h.kind,
                "questions": ", ".join(h.questions),
                "text": clip(h.text, 240),
                "id": h.id,
            }
            for h in hits
        ]
    )
    st.caption(md(f"{len(hits)} found, best first."))
    components.table(table, hide_index=True, width="stretch", key="search_results")
    linked = dict.fromkeys(q for h in hits for q in h.questions)
    for qid in linked:
        st.page_link(
            "views/question.py", label=md(f"Open question {qid}"), query_params={"q": qid},
            icon=":material/query_stats:",
        )  # fmt: skip
