"""New question: the fields of `forecast question add`, checked by the library."""

from __future__ import annotations

import streamlit as st

from dashboards import asof, forms, identity, state
from dashboards.text import md
from forecast import kinds
from forecast.domain import DEFAULT_ALPHA, Kind, Question, check_share

FORM = "new_question"
KINDS = {kind: f"{kind.value}: {rules.about}" for kind, rules in kinds.RULES.items()}


def _key(field: str) -> str:
    return forms.key(FORM, field)


def _kind_fields(kind: Kind) -> dict[str, str]:
    """The inputs that depend on the kind, as raw text (read at submit time)."""
    raw = {"prior": "", "deadlines": "", "alpha": "", "options": "", "closes": ""}
    if kinds.has_options(kind):
        raw["options"] = st.text_area(
            "Options and their priors",
            key=_key("options"),
            placeholder="budapest=0.45\nelsewhere=0.15\nno-summit=0.40",
            help="One NAME=P per line (or comma-separated; 45% is 0.45); the priors must sum to 1.",
        )
        raw["closes"] = _closes()
        return raw
    prior, extra, alpha = st.columns(3)
    raw["prior"] = prior.text_input(
        "Prior probability",
        key=_key("prior"),
        help="Strictly between 0 and 1 (40% is 0.4)"
        + (": the chance of the event by the first deadline." if kinds.has_ladder(kind) else "."),
    )
    if not kinds.has_ladder(kind):
        with extra:
            raw["closes"] = _closes()
    if kinds.has_ladder(kind):
        raw["deadlines"] = extra.text_input(
            "Deadlines",
            key=_key("deadlines"),
            placeholder="2025-11-30, 2025-12-31",
            help="ISO dates, comma-separated: a ladder shares one model, the first is primary.",
        )
        raw["alpha"] = alpha.text_input(
            "Alpha (optional)",
            key=_key("alpha"),
            help=f"Gamma shape of the event rate; blank means the default, {DEFAULT_ALPHA:g}.",
        )
    return raw


def _closes() -> str:
    return st.text_input(
        "Close date (optional)",
        key=_key("closes"),
        placeholder="2025-12-31",
        help="The day it is to be resolved by: after it the question awaits its resolution.",
    )


def _build(kind: Kind, common: dict[str, str], raw: dict[str, str], opened: object) -> Question:
    fields = forms.Fields()  # every field that cannot be read is shown at once
    prior = fields.read(forms.share, raw["prior"], "prior")
    options = fields.read(forms.pairs, raw["options"], "option", check_share) or []
    deadlines = fields.read(forms.dates, raw["deadlines"], "deadline") or []
    closes = fields.read(forms.day, raw["closes"], "close date")
    alpha = fields.read(forms.number, raw["alpha"], "alpha")
    fields.done()
    return Question(
        id=common["id"].strip(),
        title=common["title"],
        kind=kind,
        opened=forms.at(opened),  # type: ignore[arg-type]
        prior=prior,
        options=tuple(options),
        deadlines=tuple(deadlines),
        closes=closes,
        alpha=alpha,
        criteria=common["criteria"],
        prior_note=common["prior_note"],
        tags=forms.words(common["tags"]),
        created_by=common["analyst"].strip(),
    )


st.title("New question")
forms.show_flash()
kind = st.radio(
    "Kind", list(KINDS), format_func=lambda k: KINDS[k], key="new_question_kind", horizontal=True
)
with st.form(FORM, enter_to_submit=False):
    ident, opened_col, analyst = st.columns([2, 1, 1])
    common = {
        "id": ident.text_input(
            "Id", key=_key("id"), help="1-128 letters, digits, '.', '_', ':' or '-'."
        ),
        "analyst": analyst.text_input(
            "Created by",
            value=identity.who(),
            key=_key("by"),
            disabled=identity.pinned(),  # signed in: the question is created by that user
        ),
    }
    opened = opened_col.date_input(
        "Opened", value=asof.today(), key=_key("opened"), format="YYYY-MM-DD"
    )
    common["title"] = st.text_input("Title", key=_key("title"))
    common["criteria"] = st.text_area("Resolution criteria", key=_key("criteria"), height=100)
    raw = _kind_fields(kind)
    common["prior_note"] = st.text_area(
        "Prior note", key=_key("prior_note"), help="The reference class behind the prior."
    )
    common["tags"] = st.text_input("Tags", key=_key("tags"), help="Comma-separated.")
    submitted = st.form_submit_button(
        "Add question", key="new_question_submit", type="primary", icon=":material/add:"
    )
    feedback = st.container()

if submitted:
    with forms.reporting(feedback):
        added = state.add_question(_build(kind, common, raw, opened))
        forms.flash(f"Added question {md(added.id)}.")
        forms.reset(FORM)
        st.rerun()
