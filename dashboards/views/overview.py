"""Overview: every question as it stood on the as-of date, and what needs attention."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboards import asof, components, frames, identity, state, trust
from dashboards.text import md
from forecast import kinds
from forecast.readmodel import AWAITING, STALE_DAYS

TABLE = "overview_table"
STATUSES = ["open", AWAITING, "resolved", "annulled"]


def _open_selected(ids: list[str]) -> None:
    rows = st.session_state[TABLE].selection.rows
    if rows:
        st.session_state["open_question"] = ids[rows[0]]


def _filtered(table: pd.DataFrame) -> pd.DataFrame:
    search, status, kind, tags, stale = st.columns([3, 4, 2, 3, 2], vertical_alignment="bottom")
    words = search.text_input("Search titles and ids", key="overview_search")
    chosen = status.pills(
        "Status",
        STATUSES,
        selection_mode="multi",
        default=["open", AWAITING],
        key="overview_status",
    )
    picked_kinds = kind.multiselect("Kind", [k.value for k in kinds.RULES], key="overview_kind")
    all_tags = sorted({t for row in table["tags"] for t in row.split(", ") if t})
    picked = tags.multiselect("Tags", all_tags, key="overview_tags")
    st.session_state.setdefault("stale_days", STALE_DAYS)
    stale.number_input(
        "Stale after (days)",
        min_value=1,
        step=1,
        key="stale_days",
        help="Flag open questions with no evidence for this many days.",
    )
    keep = table["status"].isin(chosen or STATUSES)
    if words.strip():
        needle = words.strip().casefold()
        keep &= table["question"].str.casefold().str.contains(needle, regex=False) | table[
            "id"
        ].str.casefold().str.contains(needle, regex=False)
    if picked_kinds:
        keep &= table["kind"].isin(picked_kinds)
    if picked:
        keep &= table["tags"].map(lambda row: bool(set(row.split(", ")) & set(picked)))
    return table[keep].reset_index(drop=True)


def _awaiting(table: pd.DataFrame) -> None:
    waiting = table[table["status"] == AWAITING]
    if waiting.empty:
        return
    with st.container(border=True):
        st.warning(
            f"**{len(waiting)} question(s) past their last deadline await resolution.** "
            "Their probabilities have decayed to what silence implies; only a resolution "
            "can settle them.",
            icon=":material/schedule:",
        )
        writer = identity.can_write()  # a viewer is not offered the Resolve page
        for row in waiting.head(10).itertuples():
            left, right = st.columns([5, 1])
            left.page_link(
                "views/question.py",
                label=md(row.question),
                query_params={"q": row.id},
                icon=":material/query_stats:",
            )
            if writer:
                right.page_link("views/resolve.py", label="Resolve", query_params={"q": row.id})
        if len(waiting) > 10:
            st.caption(f"and {len(waiting) - 10:d} more (filter the table by status)")


def _table(shown: pd.DataFrame) -> None:
    shown = shown.assign(change=100 * shown["change"], probability=100 * shown["probability"])
    components.table(
        shown,
        hide_index=True,
        width="stretch",
        key=TABLE,
        on_select=lambda: _open_selected(shown["id"].tolist()),
        selection_mode="single-row",
        column_order=[
            "question",
            "probability",
            "of",
            "change",
            "trend",
            "status",
            "deadline",
            "days_left",
            "last_evidence",
            "reports",
            "stale",
            "kind",
            "tags",
            "id",
        ],
        column_config={
            "question": st.column_config.TextColumn("Question", width="large"),
            "probability": st.column_config.ProgressColumn(
                "Probability", format="%.1f%%", min_value=0.0, max_value=100.0
            ),
            "of": st.column_config.TextColumn(
                "Of", help="Event: the deadline it is for; choice: the leading option."
            ),
            "change": st.column_config.NumberColumn(
                "7-day change",
                format="%+.1f pts",
                help="Change over the last 7 days of the trajectory, on event time: a report "
                "counts from the day it was published. (The weekly report's change is on "
                "knowledge time: from the day it was logged.)",
            ),
            "trend": st.column_config.LineChartColumn(
                "Last 30 days", y_min=0.0, y_max=1.0, width="small"
            ),
            "status": st.column_config.TextColumn("Status"),
            "deadline": st.column_config.DateColumn("Deadline", format="YYYY-MM-DD"),
            "days_left": st.column_config.NumberColumn("Days left"),
            "last_evidence": st.column_config.DateColumn("Last evidence", format="YYYY-MM-DD"),
            "reports": st.column_config.NumberColumn("Reports"),
            "stale": st.column_config.CheckboxColumn("Stale"),
            "kind": st.column_config.TextColumn("Kind"),
            "tags": st.column_config.TextColumn("Tags"),
            "id": st.column_config.TextColumn("Id"),
        },
    )
    st.caption("Select a row to open the question. Click a column header to sort.")


target = st.session_state.pop("open_question", None)
if target:
    st.switch_page("views/question.py", query_params={"q": target})

st.title("Questions")
asof.banner()
trust.banner()
# shown only if it takes over half a second: a new server's first view, or the first after an
# upgrade (the linked groups computed again, unless `forecast precompute` has run since)
with st.spinner("Computing every question's forecast…", show_time=True):
    states = state.states(asof.current(), learned=trust.on())
if not states:
    st.info(
        "No questions yet: add one on the New question page, or load the demo with `forecast demo`."
    )
    st.stop()

table = frames.overview(states, int(st.session_state.get("stale_days", STALE_DAYS)))
table = table.sort_values(
    ["status", "days_left", "question"],
    key=lambda col: (
        col.map(lambda s: STATUSES.index(s) if s in STATUSES else 9)
        if col.name == "status"
        else col
    ),
    na_position="last",
)
counts = table["status"].value_counts()
cols = st.columns(4)
cols[0].metric("Open", int(counts.get("open", 0)))
cols[1].metric("Awaiting resolution", int(counts.get(AWAITING, 0)))
cols[2].metric("Stale", int(table["stale"].sum()))
cols[3].metric("Resolved or annulled", int(counts.get("resolved", 0) + counts.get("annulled", 0)))
_awaiting(table)
_table(_filtered(table))
