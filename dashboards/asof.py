"""The shared as-of date: what every page shows is what was known by the end of that day."""

from __future__ import annotations

from datetime import UTC, date, datetime

import streamlit as st

from dashboards import state
from dashboards.text import day

KEY = "as_of"  # the sidebar widget's key, and its query parameter: ?as_of=YYYY-MM-DD


def today() -> date:
    return datetime.now(UTC).date()


def current() -> date:
    """The as-of date of this session (today until the analyst picks another)."""
    value = st.session_state.get(KEY)
    return value if isinstance(value, date) else today()


def _set(day: date | None) -> None:
    if day is not None:
        st.session_state[KEY] = day


def sidebar() -> date:
    """Draw the as-of controls in the sidebar and return the chosen date."""
    latest = state.latest_evidence_day()
    story = state.demo_story_day()
    if story is not None and KEY not in st.session_state and KEY not in st.query_params:
        st.session_state[KEY] = story  # the demo opens on its story, not a year of silence
    with st.sidebar:
        st.subheader("As of")
        st.date_input(
            "Knowledge date",
            key=KEY,
            bind="query-params",  # a link carries its date; it survives page switches
            format="YYYY-MM-DD",
            help="Every page shows what was known by the end of this day (UTC): the "
            "trajectory, the probabilities and the flags.",
        )
        st.button(
            "Latest evidence" + (f" ({day(latest)})" if latest else ""),
            key="as_of_latest",
            on_click=_set,
            args=(latest,),
            disabled=latest is None,
            icon=":material/fast_forward:",
            help="The day the most recent report or judgement was logged.",
            width="stretch",
        )
        st.button(
            "Today", key="as_of_today", on_click=_set, args=(today(),),
            icon=":material/today:", width="stretch",
        )  # fmt: skip
        if story is not None:
            st.caption(
                f"Only the demo is loaded: the date starts on {day(story)}, the day its "
                "evidence was logged. **Today** shows where the time since has left it."
            )
    return current()


def banner() -> None:
    """A reminder at the top of a page when it does not show today's knowledge."""
    chosen = current()
    if chosen != today():
        st.info(
            f"Showing what was known by the end of **{day(chosen)}**. "
            "Change it in the sidebar (As of).",
            icon=":material/history:",
        )
