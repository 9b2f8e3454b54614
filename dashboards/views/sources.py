"""Sources: every outlet or person, its reliability over time, and the reports it carried."""

from __future__ import annotations

from collections import Counter

import pandas as pd
import streamlit as st

from dashboards import components, forms, identity, state
from dashboards.text import moment
from forecast.domain import Source

FORM = "source_edit"


def _key(field: str, name: str) -> str:
    return forms.key(FORM, f"{field}_{name}")


def _overview(latest: list[Source], carried: Counter[str]) -> None:
    components.table(
        pd.DataFrame(
            [
                {
                    "source": s.name,
                    "type": s.type,
                    "reliability": s.reliability,
                    "version": s.version,
                    "reports": carried.get(s.name, 0),
                    "changed": moment(s.logged_at),
                    "by": s.logged_by,
                }
                for s in latest
            ]
        ),
        hide_index=True,
        width="stretch",
        column_config={
            "reliability": st.column_config.ProgressColumn(
                "Reliability", format="%.2f", min_value=0.0, max_value=1.0
            ),
            "reports": st.column_config.NumberColumn("Reports carried"),
        },
    )


def _history(name: str) -> None:
    versions = state.source_versions().get(name, [])
    st.markdown("**Versions** (a change of reliability is a new version; none is overwritten)")
    components.table(
        [
            {
                "version": v.version,
                "reliability": v.reliability,
                "type": v.type,
                "logged": moment(v.logged_at),
                "by": v.logged_by,
                "reason": v.reason,
            }
            for v in versions
        ],
        hide_index=True,
        width="stretch",
    )
    mine = [r for r in state.reports() if r.source == name]
    st.markdown(f"**Reports it carried** ({len(mine)})")
    components.table(
        [
            {
                "published": moment(r.published),
                "title": r.title,
                "origin": r.origin,
                "retracted": r.retracted,
                "report": r.id,
            }
            for r in mine
        ],
        hide_index=True,
        width="stretch",
    )


def _edit(current: Source) -> None:
    name = current.name
    with st.form(f"{FORM}_{name}", enter_to_submit=False):
        st.markdown("**Re-rate this source**")
        rel_col, type_col = st.columns(2)
        reliability = rel_col.text_input(
            "New reliability", value=f"{current.reliability:g}", key=_key("reliability", name)
        )
        kind = type_col.text_input("Type", value=current.type, key=_key("type", name))
        reason = st.text_input(
            "Reason", key=_key("reason", name), help="Why it changed; kept in the history."
        )
        submitted = st.form_submit_button(
            "Save new version", key="source_edit_submit", type="primary"
        )
        feedback = st.container()
    if not submitted:
        return
    with forms.reporting(feedback):
        saved = state.update_source(
            name,
            reliability=forms.share(reliability, "reliability"),
            type=kind.strip(),
            reason=reason.strip(),
        )
        forms.flash(f"Source is now version {saved.version:d} (reliability {saved.reliability:g}).")
        forms.reset(FORM)
        st.rerun()


st.title("Sources")
forms.show_flash()
latest = state.sources()
writer = identity.can_write()  # a viewer gets the tables, not the forms
if writer:
    with st.expander("Add a source", expanded=not latest, icon=":material/add:"):
        components.source_form("sources_new_source")
if not latest:
    if not writer:
        st.info("No sources yet.")
    st.stop()
carried = Counter(r.source for r in state.reports())
_overview(latest, carried)
names = [s.name for s in latest]
chosen = st.selectbox("Source", names, key="source", bind="query-params")
if writer:
    left, right = st.columns([3, 2])
    with left:
        _history(chosen)
    with right:
        _edit(next(s for s in latest if s.name == chosen))
else:
    _history(chosen)
