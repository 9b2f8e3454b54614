"""Evidence: every assessment as it stands, and what an analyst can do with one.

Correct or retract a judgement, fix or retract its report, or judge the same report again
(a second analyst, or another question): always a new version or a new assessment of the
existing report, never a second report that would count twice.
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from dashboards import components, forms, frames, identity, state
from dashboards.text import clip, md
from forecast import kinds
from forecast.api import EvidenceEntry, Judgement
from forecast.domain import Question
from forecast.scales import SCALE

FORM = "evidence"
EVERY = ""  # the question filter's value for "every question"


def _key(field: str) -> str:
    return forms.key(FORM, field)


def _label(e: EvidenceEntry) -> str:
    title = clip(e.report.title or e.report.id, 60)
    mark = "" if e.status == "counts" else f" · {e.status}"
    return (
        f"{e.report.published.date()} · {title} · {e.assessment.analyst} on "
        f"{e.assessment.question_id}{mark}"
    )


def _judgement_inputs(q: Question, prefix: str) -> Callable[[], dict[str, object]]:
    """An LR or a strength word (binary, event), or likelihoods (choice): read on submit."""
    if kinds.has_options(q):
        raw = st.text_input(
            "Likelihoods", key=_key(f"{prefix}_lik"), placeholder="budapest=1.4, no-summit=0.8",
            help=md(f"OPTION=L for the options it bears on ({', '.join(q.option_names)}); "
                    "the rest stay at 1."),
        )  # fmt: skip
        return lambda: {"likelihoods": forms.pairs(raw, "likelihood")}
    lr_col, word_col = st.columns(2)
    lr = lr_col.text_input("Likelihood ratio", key=_key(f"{prefix}_lr"))
    word = word_col.selectbox(
        "or a strength", list(SCALE), index=None, key=_key(f"{prefix}_strength")
    )
    return lambda: {"lr": forms.number(lr, "likelihood ratio"), "strength": word}


def _saved(message: str) -> None:
    forms.flash(md(message))
    forms.reset(FORM)
    st.rerun()


def _correct(e: EvidenceEntry, q: Question) -> None:
    with st.form(f"{FORM}_correct", enter_to_submit=False):
        st.caption(md(f"Now: {frames.judgement(e.assessment)} (version {e.assessment.version})."))
        read = _judgement_inputs(q, "correct")
        rationale = st.text_area("Rationale", value=e.assessment.rationale, key=_key("why"))
        reason = st.text_input("Reason for the change", key=_key("correct_reason"))
        go = st.form_submit_button("Save the correction", key="evidence_correct", type="primary")
        feedback = st.container()
    if go:
        with forms.reporting(feedback):
            a = state.correct_assessment(
                e.assessment.id, reason=reason, rationale=rationale, **read()
            )  # type: ignore[arg-type]
            _saved(f"Assessment {a.id} is now version {a.version}: {frames.judgement(a)}.")


def _retract(e: EvidenceEntry) -> None:
    with st.form(f"{FORM}_retract", enter_to_submit=False):
        st.caption("It stops counting from now on; what was believed before stays as it was.")
        reason = st.text_input("Reason", key=_key("retract_reason"))
        go = st.form_submit_button("Retract this judgement", key="evidence_retract")
        feedback = st.container()
    if go:
        with forms.reporting(feedback):
            a = state.correct_assessment(e.assessment.id, reason=reason, retract=True)
            _saved(f"Assessment {a.id} retracted (version {a.version}).")


def _edit_report(e: EvidenceEntry) -> None:
    r = e.report
    with st.form(f"{FORM}_edit", enter_to_submit=False):
        title = st.text_input("Title", value=r.title, key=_key("title"))
        summary = st.text_area("Summary", value=r.summary, key=_key("summary"))
        url_col, origin_col = st.columns(2)
        url = url_col.text_input("URL", value=r.url, key=_key("url"))
        origin = origin_col.text_input(
            "Origin", value=r.origin, key=_key("origin"),
            help="Same origin = echoes of one claim, counted once (from this edit on).",
        )  # fmt: skip
        reason = st.text_input("Reason for the change", key=_key("edit_reason"))
        go = st.form_submit_button("Save the report", key="evidence_edit", type="primary")
        feedback = st.container()
    if go:
        with forms.reporting(feedback):
            edited = state.edit_report(
                r.id, reason=reason, title=title, summary=summary, url=url.strip(), origin=origin
            )
            _saved(f"Report {edited.id} is now version {edited.version}.")


def _retract_report(e: EvidenceEntry, cited: int) -> None:
    with st.form(f"{FORM}_retract_report", enter_to_submit=False):
        st.caption(md(f"Every judgement of it ({cited}) stops counting from now on."))
        reason = st.text_input("Reason", key=_key("retract_report_reason"))
        go = st.form_submit_button("Retract the report", key="evidence_retract_report")
        feedback = st.container()
    if go:
        with forms.reporting(feedback):
            r = state.retract_report(e.report.id, reason=reason)
            _saved(f"Report {r.id} retracted (version {r.version}).")


def _judge_again(e: EvidenceEntry, questions: dict[str, Question]) -> None:
    qid = st.selectbox(
        "Question", list(questions), key=_key("again_question"),
        index=list(questions).index(e.assessment.question_id),
        format_func=lambda i: f"{clip(questions[i].title, 80)} ({i})",
    )  # fmt: skip
    with st.form(f"{FORM}_again", enter_to_submit=False):
        st.caption(
            "A judgement of this same report: by another analyst, or for another question. "
            "The report stays one piece of evidence (its echoes and reliability hold)."
        )
        read = _judgement_inputs(questions[qid], "again")
        rationale = st.text_area("Rationale", key=_key("again_why"))
        analyst = st.text_input(
            "Analyst", value=identity.who(), key=_key("again_analyst"), disabled=identity.pinned()
        )
        go = st.form_submit_button("Save the judgement", key="evidence_again", type="primary")
        feedback = st.container()
    if go:
        with forms.reporting(feedback):
            judgement = Judgement(qid, rationale=rationale, **read())  # type: ignore[arg-type]
            logged = state.log_evidence(
                [judgement], report_id=e.report.id, analyst=analyst.strip() or None
            )
            a = logged.assessments[0]
            _saved(f"{a.analyst} judged report {e.report.id} for {qid}: {frames.judgement(a)}.")


st.title("Evidence")
forms.show_flash()
questions = {q.id: q for q in state.questions()}
titles = {i: q.title for i, q in questions.items()}
picked = st.selectbox(
    "Question", [EVERY, *questions], key="evidence_question",
    index=([EVERY, *questions].index(st.query_params["q"]) if st.query_params.get("q")
           in questions else 0),
    format_func=lambda i: "every question" if i == EVERY else f"{clip(titles[i], 90)} ({i})",
)  # fmt: skip
entries = state.evidence(picked or None)
report_id = st.query_params.get("report")  # ?report=ID: the judgements of one report
if report_id in {e.report.id for e in entries}:
    entries = [e for e in entries if e.report.id == report_id]
    st.caption(md(f"The judgements of report {report_id} ({clip(entries[0].report.title, 90)})."))
if not entries:
    st.info("No evidence logged yet.")
    st.stop()
st.caption(
    "Every judgement as it stands now (the as-of date does not apply here: a change is made "
    "now, and what was believed before it stays as it was)."
)
table = frames.evidence(entries, titles)
components.table(
    table.drop(columns=["question"]) if picked else table,
    hide_index=True,
    width="stretch",
    column_config={"echoes": st.column_config.NumberColumn(help="Other reports of its origin")},
)
if not identity.can_write():
    st.stop()  # a viewer gets the table, not the forms
by_id = {e.assessment.id: e for e in entries}
chosen = by_id[
    st.selectbox("Change", list(by_id), key="evidence_pick", format_func=lambda i: _label(by_id[i]))
]
if chosen.status != "counts":
    st.info(md(f"This judgement is {chosen.status}: it no longer counts."))
    st.stop()
cited = sum(e.report.id == chosen.report.id for e in state.evidence(None))
tabs = st.tabs(["Correct", "Retract", "Judge again", "Edit report", "Retract report"])
with tabs[0]:
    _correct(chosen, questions[chosen.assessment.question_id])
with tabs[1]:
    _retract(chosen)
with tabs[2]:
    _judge_again(chosen, questions)
with tabs[3]:
    _edit_report(chosen)
with tabs[4]:
    _retract_report(chosen, cited)
