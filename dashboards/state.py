"""Every cache of the dashboard lives here; writes clear them."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import streamlit as st

from forecast.api import QuestionState, Tracker


@st.cache_resource
def tracker() -> Tracker:
    return Tracker.open()


def end_of(day: date) -> datetime:
    """A date picked in the UI means "knowing what was logged by the end of that day"."""
    return datetime.combine(day + timedelta(days=1), time(), tzinfo=UTC) - timedelta(microseconds=1)


@st.cache_data(show_spinner=False)
def states(as_of: date) -> list[QuestionState]:
    return tracker().states(as_of=end_of(as_of))


def invalidate() -> None:
    """Call after any write so every page reads fresh data."""
    st.cache_data.clear()
