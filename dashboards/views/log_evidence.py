"""Log evidence: record a report once and judge it against one or several questions."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import asof
import components
import forms
import frames
import identity
import state
import streamlit as st
from text import clip, md

from forecast.api import Judgement, Logged
from forecast.domain import Kind, Question, check_number
from forecast.scales import SCALE, SCALE_NAME

FORM = "log"  # prefix of every widget key of the form (with its generation)


def _key(field: str) -> str:
    return forms.key(FORM, field)


def _strength_label(word: str) -> str:
    return f"{word} (LR {SCALE[word]:.3g})" if word else "–"


def _report_fields(source_names: list[str]) -> dict[str, object]:
    st.markdown("**The report**")
    source, when, clock = st.columns([3, 2, 2])
    chosen = source.selectbox(
        "Source",
        source_names,
        index=None,
        key=_key("source"),
        placeholder="Pick a source (or add one above)",
    )
    published = when.date_input(
        "Published (UTC)", value=asof.today(), key=_key("date"), format="YYYY-MM-DD"
    )
    at = clock.time_input("Time (UTC)", value="now", key=_key("time"), step=60)
    title = st.text_input("Title", key=_key("title"), help="Any language and script.")
    summary = st.text_area("Summary or full text", key=_key("summary"), height=120)
    url_col, origin_col, analyst_col = st.columns([3, 3, 2])
    url = url_col.text_input("URL", key=_key("url"))
    origin = origin_col.text_input(
        "Origin",
        key=_key("origin"),
        help="The underlying source, e.g. 'senior White House official, 2025-10-21'. "
        "Reports with the same origin are echoes of one claim and count once.",
    )
    analyst = analyst_col.text_input(
        "Analyst",
        value=identity.who(),
        key=_key("analyst"),
        disabled=identity.pinned(),  # signed in: the report is logged as that user
    )
    return {
        "source": chosen,
        "published": forms.at(published, at) if published else None,
        "title": title,
        "summary": summary,
        "url": url.strip(),
        "origin": origin,
        "analyst": analyst.strip() or None,
    }


def _judgement_fields(q: Question) -> Callable[[], Judgement]:
    """Draw the inputs of one question row; return how to read them as a ``Judgement``.

    Reading is deferred to submit time, so a bad number stops nothing from being drawn.
    """
    with st.container(border=True):
        st.markdown(f"**{md(clip(q.title, 140))}** · {q.kind.value} · {md(q.id)}")
        if q.kind is Kind.CHOICE:
            st.caption("Likelihood of the report under each outcome, relative to 1 (blank = 1).")
            cols = st.columns(len(q.options))
            typed = [
                (name, col.text_input(md(name), key=_key(f"lik_{q.id}_{name}")))
                for col, name in zip(cols, q.option_names, strict=True)
            ]
            raw_lr, strength = "", None
        else:
            number, word = st.columns(2)
            raw_lr = number.text_input(
                "Likelihood ratio",
                key=_key(f"lr_{q.id}"),
                help="P(report | YES) / P(report | NO): above 1 for, below 1 against.",
            )
            strength = (
                word.selectbox(
                    f"or a strength ({SCALE_NAME})",
                    ["", *SCALE],
                    key=_key(f"strength_{q.id}"),
                    format_func=_strength_label,
                )
                or None
            )
            typed = []
        rationale = st.text_area("Rationale", key=_key(f"why_{q.id}"), height=68)

    def read() -> Judgement:
        likelihoods = tuple(
            (name, check_number(value.strip(), f"likelihood of {name!r}"))
            for name, value in typed
            if value.strip()
        )
        return Judgement(
            q.id,
            lr=forms.number(raw_lr, "likelihood ratio"),
            strength=strength,
            likelihoods=likelihoods,
            rationale=rationale,
        )

    return read


def _show_previews(logged: Logged) -> None:
    st.markdown(
        "**Preview** (nothing is saved): each question on the day the report came out, "
        "and now, without and with it."
    )
    for before, after in logged.previews.values():
        table = frames.preview(before, after, logged.report.published)
        config = components.percent(
            table,
            ["before (that day)", "after (that day)", "before (now)", "after (now)"],
            **{"change (that day)": st.column_config.NumberColumn(format="%+.1f pts")},
        )
        st.dataframe(table, hide_index=True, column_config=config)


def _saved_message(logged: Logged, when: datetime) -> str:
    report = logged.report
    ids = ", ".join(a.question_id for a in logged.assessments)
    message = f"Logged report {md(report.id)} and its judgement of {md(ids)}."
    if asof.current() < when.date():
        message += (
            " It was logged today: set the as-of date to today (sidebar) to see it "
            "on the question pages."
        )
    return message


st.title("Log evidence")
forms.show_flash()
by_id = {q.id: q for q in state.questions()}
with st.expander("Add a source", expanded=not state.sources(), icon=":material/add:"):
    components.source_form("log_new_source", select=_key("source"))

chosen_ids = st.multiselect(
    "Questions this report bears on",
    list(by_id),
    key="log_questions",
    default=[q for q in [st.query_params.get("q")] if q in by_id],
    format_func=lambda i: f"{clip(by_id[i].title, 90)} ({i})",
)
with st.form(FORM, enter_to_submit=False):
    fields = _report_fields([s.name for s in state.sources()])
    st.markdown("**Judgements**" if chosen_ids else "Pick the questions above first.")
    readers = [_judgement_fields(by_id[qid]) for qid in chosen_ids]
    preview_col, save_col = st.columns(2)
    wants_preview = preview_col.form_submit_button(
        "Preview", key="log_preview", icon=":material/visibility:", width="stretch"
    )
    wants_save = save_col.form_submit_button(
        "Save", key="log_save", type="primary", icon=":material/save:", width="stretch"
    )
    feedback = st.container()

if wants_preview or wants_save:
    with forms.reporting(feedback):
        judgements = [read() for read in readers]
        if wants_preview:
            with feedback:
                _show_previews(state.preview_evidence(judgements, **fields))
        else:
            logged = state.log_evidence(judgements, **fields)
            forms.flash(_saved_message(logged, state.tracker().now()))
            forms.reset(FORM)
            st.session_state.pop("log_questions", None)
            st.rerun()
