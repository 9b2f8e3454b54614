"""Resolve: settle a question (or annul it), as `forecast resolve` does."""

from __future__ import annotations

import streamlit as st

from dashboards import asof, components, forms, state
from dashboards.text import day, md
from forecast import kinds

FORM = "resolve"


def _key(field: str) -> str:
    return forms.key(FORM, field)


st.title("Resolve")
forms.show_flash()
questions = {q.id: q for q in state.questions()}
if not questions:
    st.info("No questions yet.")
    st.stop()
resolved = state.resolutions()
qid = components.question_picker(
    {i: q.title for i, q in questions.items()},
    key="resolve_question",
    suffix={i: " · resolved" for i in resolved},
)
q = questions[qid]
if qid in resolved:
    r = resolved[qid]
    st.info(
        f"Already resolved: **{md(r.outcome)}** on {day(r.resolved_on)}. "
        "Saving again records a correction (the earlier resolution stays in the history).",
        icon=":material/info:",
    )
outcomes = [*kinds.rules(q).outcomes(q), "annulled"]
with st.form(FORM, enter_to_submit=False):
    outcome_col, date_col = st.columns(2)
    outcome = outcome_col.selectbox("Outcome", outcomes, key=_key(f"outcome_{qid}"))
    when = date_col.date_input(
        "Resolved on (UTC)", value=asof.today(), key=_key("date"), format="YYYY-MM-DD"
    )
    happened = None
    if kinds.has_ladder(q):
        happened = st.date_input(
            "The event happened on (if not the day it was resolved)",
            value=None,
            key=_key("event"),
            format="YYYY-MM-DD",
            help="With yes: the day the event happened, when it was resolved later (an event "
            "on 20 October resolved on 3 November is a yes by 31 October).",
        )
    note = st.text_area(
        "Note", key=_key("note"), help="What settled it: a link, a quote, a short account."
    )
    submitted = st.form_submit_button(
        "Resolve", key="resolve_submit", type="primary", icon=":material/task_alt:"
    )
    feedback = st.container()

if submitted:
    with forms.reporting(feedback):
        res = state.resolve(
            qid, outcome, forms.at(when), note, correction=qid in resolved,
            event_on=None if happened is None else forms.at(happened),
        )  # fmt: skip
        forms.flash(f"Resolved {md(res.question_id)}: {md(res.outcome)} on {day(res.resolved_on)}.")
        forms.reset(FORM)
        st.rerun()
