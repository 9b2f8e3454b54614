"""Pieces of page shared by several pages (each one a small form or block)."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from dashboards import forms, frames, state
from dashboards.text import clip, md
from forecast.domain import ForecastError

QUERY = "q"  # ?q=ID opens the question pages on a question


def source_form(key: str, *, select: str | None = None) -> None:
    """A small form that adds a source; ``select`` names a widget to point at the new one.

    The form must be drawn before the widget named by ``select`` in the page, so that the
    new source can be chosen there on the rerun that follows.
    """
    with st.form(key, clear_on_submit=False):
        name_col, type_col, rel_col = st.columns([3, 2, 1])
        name = name_col.text_input(
            "Name", key=f"{key}_name", help="An outlet or a person, e.g. Reuters."
        )
        kind = type_col.text_input(
            "Type", key=f"{key}_type", help="news agency, broadcaster, official, ..."
        )
        reliability = rel_col.text_input(
            "Reliability",
            key=f"{key}_reliability",
            help="In [0, 1]: the chance that what it reports is genuine and diagnostic.",
        )
        if not st.form_submit_button("Add source", key=f"{key}_submit"):
            return
        with forms.reporting():
            r = forms.share(reliability, "reliability")
            if r is None:
                raise ForecastError("a source needs a reliability between 0 and 1")
            added = state.add_source(name, r, kind.strip())
            if select is not None:
                st.session_state[select] = added.name
            forms.flash(f"Added source {md(added.name)} (reliability {added.reliability:g}).")
            st.rerun()


def question_picker(
    questions: dict[str, str],
    *,
    key: str,
    label: str = "Question",
    suffix: dict[str, str] | None = None,
) -> str:
    """A question selectbox that follows ``?q=ID`` links and keeps the URL in step.

    ``questions`` maps ids to titles. The question last picked on any page is remembered
    for the session, so moving between pages through the menu keeps it. (Streamlit's own
    query-parameter binding would put the displayed title, not the id, in the URL.)
    """
    ids = list(questions)
    remembered = "current_question"
    wanted = st.query_params.get(QUERY)
    if wanted in ids:
        st.session_state[remembered] = wanted
    if st.session_state.get(remembered) not in ids:
        st.session_state[remembered] = ids[0]
    st.session_state[key] = st.session_state[remembered]
    st.query_params[QUERY] = st.session_state[remembered]

    def remember() -> None:
        st.session_state[remembered] = st.session_state[key]
        st.query_params[QUERY] = st.session_state[key]

    extra = suffix or {}
    return st.selectbox(
        md(label),
        ids,
        key=key,
        on_change=remember,
        format_func=lambda i: f"{clip(questions[i], 90)} ({i}){extra.get(i, '')}",
    )


def table(data: object, **options: Any) -> Any:
    """``st.dataframe``, with formula-like text defused: every table's toolbar offers a CSV
    download of what it shows, and a spreadsheet would run ``=HYPERLINK(...)`` typed by
    someone else. (Defusing what is shown holds however the server is started, unlike
    ``client.disableDataExport``, and keeps the download for everyone.) ``data`` is a frame
    or rows for one."""
    return st.dataframe(frames.defused(data), **options)


def percent(frame: pd.DataFrame, columns: list[str], **config: object) -> dict[str, object]:
    """Show probability ``columns`` of ``frame`` as "12.3%" (the frame is changed in place).

    Streamlit's own "percent" format drops or keeps decimals value by value; one decimal
    everywhere reads better in a column.
    """
    for column in columns:
        frame[column] = 100 * frame[column]
        config[column] = st.column_config.NumberColumn(format="%.1f%%")
    return config
