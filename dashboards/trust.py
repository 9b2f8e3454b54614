"""Learned trust: whether forecasts use the saved fit's posterior means (a sidebar toggle).

The toggle is offered when a fit is saved (``forecast calibrate``). It can be turned on
only while the engine accepts the fit (``Tracker.learned_fit``): a stale, failed or
mismatched fit leaves it disabled, with the reason, which says what to run. Like the
as-of date, the choice is kept in the session and in the URL (``?learned=true``), so that
it survives page switches and travels with a link.
"""

from __future__ import annotations

import streamlit as st

from dashboards import state
from dashboards.text import day, md, moment
from forecast.learning.fits import Learned

KEY = "learned"  # the toggle's key, and its query parameter


def current() -> Learned | None:
    """The fit this session's forecasts use: the toggle is on and the fit usable; else None."""
    return state.learned() if st.session_state.get(KEY) is True else None


def on() -> bool:
    return current() is not None


def sidebar() -> None:
    """Draw the toggle (with the fit's date, or why it cannot be used) in the sidebar."""
    fit = state.saved_fit()
    with st.sidebar:
        if fit.missing:
            st.caption("No learned fit saved: `forecast calibrate` learns trust from the record.")
            return
        st.subheader("Trust")
        usable = fit.usable is not None
        if not usable and st.session_state.get(KEY):
            st.session_state[KEY] = False  # a refused fit is never used, not even from a link
        st.toggle(
            "Use learned trust",
            key=KEY,
            bind="query-params",
            disabled=not usable,
            help="Forecast with the saved fit's posterior means: each source's learned "
            "reliability, each analyst's calibration and the learned event decay, instead "
            "of the stated values. The fit learned from every resolution known now, "
            "including those after the as-of date. Scores and snapshots always use the "
            "stated values.",
        )
        if fit.usable is None:
            st.caption(md(f"Not available: {fit.problem}"))
        elif st.session_state.get(KEY):
            st.caption(f"Forecasts use the fit of {moment(fit.usable.fitted_at)}.")
        else:
            st.caption(
                f"Forecasts use the stated trust (a fit of {day(fit.usable.fitted_at)} is saved)."
            )


def banner() -> None:
    """A reminder at the top of a page whose forecasts use learned trust."""
    fit = current()
    if fit is not None:
        st.caption(
            f":material/model_training: Learned trust: forecasts use the fit of "
            f"{moment(fit.fitted_at)} (turn it off in the sidebar)."
        )
