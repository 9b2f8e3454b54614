"""Edit question: a new version of its text, tags, close date, deadlines or prior.

The fields of `forecast question edit`, checked by the library. Only the fields whose text
was changed are sent. A change of prior or deadlines is a model change: Preview shows how
the forecast moves before anything is stored, and the version history says who changed
what, when and why.
"""

from __future__ import annotations

import streamlit as st

from dashboards import components, forms, frames, identity, state
from dashboards.text import md, pct
from forecast import kinds
from forecast.api import QuestionEdit
from forecast.clock import iso
from forecast.domain import Question, check_share

FORM = "edit_question"


def _key(field: str) -> str:
    return forms.key(FORM, f"{field}_{st.session_state.get('edit_question_pick', '')}")


def _shown(q: Question) -> dict[str, str]:
    """Each editable field of ``q`` as the text its input starts with."""
    return {
        "title": q.title,
        "criteria": q.criteria,
        "prior_note": q.prior_note,
        "tags": ", ".join(q.tags),
        "closes": "" if q.closes is None else iso(q.closes),
        "deadlines": ", ".join(iso(d) for d in q.deadlines),
        "prior": "" if q.prior is None else f"{q.prior:g}",
        "options": "\n".join(f"{name}={p:g}" for name, p in q.options),
    }


def _inputs(q: Question, start: dict[str, str]) -> dict[str, str]:
    typed = {"title": st.text_input("Title", value=start["title"], key=_key("title"))}
    typed["criteria"] = st.text_area("Resolution criteria", start["criteria"], key=_key("crit"))
    left, right = st.columns(2)
    typed["tags"] = left.text_input(
        "Tags", value=start["tags"], key=_key("tags"), help="Comma-separated."
    )
    if kinds.has_ladder(q):
        typed["deadlines"] = right.text_input(
            "Deadlines", value=start["deadlines"], key=_key("deadlines"),
            help="ISO dates, comma-separated; the first is primary. A change is a model change.",
        )  # fmt: skip
    else:
        typed["closes"] = right.text_input(
            "Close date", value=start["closes"], key=_key("closes"),
            help="The day it is to be resolved by; blank: none.",
        )  # fmt: skip
    if kinds.has_options(q):
        typed["options"] = st.text_area(
            "Option priors", value=start["options"], key=_key("options"),
            help="One NAME=P per line, every option (45% is 0.45). A change is a model change.",
        )  # fmt: skip
    else:
        typed["prior"] = st.text_input(
            "Prior probability", value=start["prior"], key=_key("prior"),
            help="40% is 0.4. A change is a model change: the forecast is computed anew.",
        )  # fmt: skip
    typed["prior_note"] = st.text_area("Prior note", start["prior_note"], key=_key("note"))
    return typed


def _changes(typed: dict[str, str], start: dict[str, str]) -> dict[str, object]:
    """The fields whose text was changed, read as the library takes them."""
    read = {
        "title": lambda raw: raw,
        "criteria": lambda raw: raw,
        "prior_note": lambda raw: raw,
        "tags": forms.words,
        "closes": lambda raw: forms.day(raw, "close date"),
        "deadlines": lambda raw: forms.dates(raw, "deadline"),
        "prior": lambda raw: forms.share(raw, "prior"),
        "options": lambda raw: tuple(forms.pairs(raw, "option", check_share)),
    }
    fields = forms.Fields()  # every field that cannot be read is shown at once
    changes = {
        f: fields.read(read[f], raw) for f, raw in typed.items() if raw.strip() != start[f].strip()
    }
    fields.done()
    return changes


def _summary(edit: QuestionEdit, stored: bool) -> str:
    """What the edit changes (or changed), and how the forecast moves under a model change."""
    data = edit.to_json()
    verb = "is now" if stored else "would become"
    lines = [f"Question {md(edit.after.id)} {verb} version {edit.after.version}:"]
    for f in edit.changed:
        before, after = frames.defuse(data["before"][f]), frames.defuse(data["after"][f])
        lines.append(f"- {f.replace('_', ' ')}: {md(str(before))} → {md(str(after))}")
    if edit.model_change:
        was, now = dict(edit.was), dict(edit.now)
        lines.append("- **model change**: the forecast is computed anew from the opening")
        lines += [
            f"  - {md(what)}: {pct(was.get(what))} → {pct(now.get(what))}"
            for what in dict.fromkeys([*was, *now])
        ]
    return "\n".join(lines)


st.title("Edit question")
forms.show_flash()
questions = {q.id: q for q in state.questions()}
if not questions:
    st.info("No questions yet: add one on the New question page.")
    st.stop()
qid = components.question_picker(
    {i: q.title for i, q in questions.items()}, key="edit_question_pick"
)
question = questions[qid]
st.caption(
    "An edit is a new version, made now: the old one stays, with what was believed under it "
    "(as-of reads and snapshots), so the as-of date does not apply here. A change of prior "
    "or deadlines is a model change."
)
if identity.can_write():
    start = _shown(question)
    with st.form(FORM, enter_to_submit=False):
        typed = _inputs(question, start)
        reason = st.text_input("Reason for the change", key=_key("reason"))
        preview_col, save_col = st.columns(2)
        preview = preview_col.form_submit_button("Preview", key="edit_question_preview")
        save = save_col.form_submit_button("Save", key="edit_question_save", type="primary")
        feedback = st.container()
    if preview or save:
        with forms.reporting(feedback):
            changes = _changes(typed, start)
            if not changes:
                feedback.warning("Nothing to save: change a field first.", icon=":material/info:")
            else:
                edit = state.edit_question(qid, reason=reason, preview=preview, **changes)
                if save:
                    forms.flash(_summary(edit, stored=True))  # md: escaped by _summary
                    forms.reset(FORM)
                    st.rerun()
                feedback.info(_summary(edit, stored=False))  # md: escaped by _summary
st.subheader("Versions", anchor=False)
history = [e for e in state.audit(qid, state.now().date()) if e.kind == "question"]
components.table(frames.audit(history), hide_index=True, width="stretch", key="edit_versions")
st.page_link(
    "views/question.py", label="Back to the question", query_params={"q": qid},
    icon=":material/query_stats:",
)  # fmt: skip
