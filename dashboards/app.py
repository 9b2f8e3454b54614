"""The dashboard's one entry point: the page table, the shared as-of date, navigation.

Run with ``forecast dashboard`` (or ``streamlit run dashboards/app.py``); the database is
``$FORECAST_DB`` as for the CLI. Who may see and change what is decided in ``identity.py``;
whether forecasts use learned trust (the saved fit, ``$FORECAST_FITS``) in ``trust.py``.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from dashboards import asof, identity, state, trust
from dashboards.text import md
from forecast.domain import ForecastError

HERE = Path(__file__).resolve().parent

# (file under views/, title, icon, url path); the first one is the landing page. Pages link
# to each other by their file path relative to this script, e.g. "views/question.py".
PAGES = [
    ("overview.py", "Overview", ":material/dashboard:", "overview"),
    ("question.py", "Question", ":material/query_stats:", "question"),
    ("scenario.py", "Scenario", ":material/account_tree:", "scenario"),
    ("inbox.py", "Inbox", ":material/inbox:", "inbox"),
    ("log_evidence.py", "Log evidence", ":material/post_add:", "log-evidence"),
    ("evidence.py", "Evidence", ":material/fact_check:", "evidence"),
    ("new_question.py", "New question", ":material/add_circle:", "new-question"),
    ("edit_question.py", "Edit question", ":material/edit_note:", "edit-question"),
    ("resolve.py", "Resolve", ":material/task_alt:", "resolve"),
    ("sources.py", "Sources", ":material/newspaper:", "sources"),
    ("track_record.py", "Track record", ":material/leaderboard:", "track-record"),
    ("weekly.py", "Weekly report", ":material/summarize:", "weekly"),
    ("learning.py", "Learned trust", ":material/model_training:", "learning"),
    ("audit.py", "Audit trail", ":material/history_edu:", "audit"),
    ("search.py", "Search", ":material/search:", "search"),
    ("alerts.py", "Alerts", ":material/notifications:", "alerts"),
]
# Pages that only write: a visitor who may not write is not offered them. They stay
# registered, hidden from the menu, so that links to them (from the question page, an old
# bookmark) open a "read-only" notice instead of failing.
WRITE_PAGES = {"log-evidence", "new-question", "edit-question", "resolve", "alerts"}


# A visitor (a viewer included) sees "an error occurred", never a traceback: one shows
# code, paths and data. `forecast dashboard` passes the same on the command line; setting it
# here covers `streamlit run dashboards/app.py` too. ("none": False would still mean
# "stacktrace".)
st.set_option("client.showErrorDetails", "none")
st.set_page_config(page_title="Forecast tracker", page_icon="📈", layout="wide")
identity.gate()  # with sign-in configured, nobody gets further without signing in
try:
    state.tracker()
except ForecastError as exc:  # a wrong path or URL: say so instead of a traceback
    st.error(md(f"Cannot open the database: {exc}"), icon=":material/error:")
    st.stop()
try:
    access = identity.current()
except ForecastError as exc:  # a mistyped setting: refuse to start rather than guess
    st.error(md(str(exc)), icon=":material/error:")
    st.stop()
pages = [
    st.Page(
        HERE / "views" / name,
        title=title,
        icon=icon,
        url_path=url,
        visibility="visible" if access.writer or url not in WRITE_PAGES else "hidden",
    )
    for name, title, icon, url in PAGES
]


# The root shows the first page; so does its own name ("/overview", from a link or a
# bookmark), which a default page's name would not. (Switching pages instead would clear the
# query parameters, which Streamlit refuses while the as-of date is bound to one.)
landing = st.Page(
    HERE / "views" / PAGES[0][0], title=PAGES[0][1], url_path="home", default=True,
    visibility="hidden",
)  # fmt: skip
navigation = st.navigation([landing, *pages])
asof.sidebar()
trust.sidebar()
identity.sidebar(access)
if navigation.url_path in WRITE_PAGES and not access.writer:
    st.title(md(navigation.title))
    st.info(md(f"Not available: {access.refusal}."), icon=":material/lock:")
    st.stop()
navigation.run()
