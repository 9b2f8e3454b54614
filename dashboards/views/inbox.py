"""Inbox: the news the feeds and analysts brought in, waiting to be assessed.

Each entry shows the questions it may bear on (with the suggestions' score) and, on
request, the logged reports it may echo. A writer takes it out of the inbox in one of three
ways: assess it (one click opens Log evidence with the entry and the question filled in; Save
logs it), mark it as an echo of a logged report, or dismiss it with a reason. Nothing here
enters a forecast until it is assessed. The feeds are listed, added and fetched here too.
"""

from __future__ import annotations

import streamlit as st

from dashboards import components, forms, identity, state
from dashboards.text import clip, md, moment
from forecast.inbox import PAGE, Entry, Page, Status
from forecast.news import entry_text

STATUSES = ["new", "assessed", "echo", "dismissed", "all"]
FEED_FORM = "feed"
EXCERPT = 600  # characters of an entry's text shown before "more"


def _feeds(writer: bool) -> None:
    standing = state.feeds()
    failing = [s.feed.id for s in standing if s.failing]
    if failing:
        st.warning(
            md(f"Failing feeds (their last fetches all failed): {', '.join(failing)}"),
            icon=":material/rss_feed:",
        )
    icon = ":material/rss_feed:"
    with st.expander(f"Feeds ({len(standing):d})", expanded=not standing, icon=icon):
        if standing:
            components.table(
                [
                    {
                        "feed": s.feed.id,
                        "source": s.feed.source or "-",
                        "tags": ", ".join(s.feed.tags),
                        "last fetch": moment(s.last.fetched_at) if s.last else "never",
                        "state": s.summary,
                        "address": s.feed.url,
                    }
                    for s in standing
                ],
                hide_index=True,
                width="stretch",
            )
        else:
            st.caption("No feed yet.")
        if not writer:
            return
        if standing and st.button("Fetch every feed now", key="inbox_fetch"):
            with forms.reporting():
                runs = state.fetch_feeds()
                new = sum(len(r.stored) for r in runs)
                failed = sum(r.fetch.failed for r in runs)
                forms.flash(md(f"Fetched {len(runs)} feed(s): {new} new entries, {failed} failed."))
                st.rerun()
        _feed_form()


def _feed_form() -> None:
    with st.form(FEED_FORM, enter_to_submit=False):
        st.markdown("**Add a feed** (RSS or Atom)")
        url_col, source_col = st.columns([3, 2])
        url = url_col.text_input("Address", key=forms.key(FEED_FORM, "url"))
        source = source_col.selectbox(
            "Source of its items",
            [s.name for s in state.sources()],
            index=None,
            key=forms.key(FEED_FORM, "source"),
            placeholder="Pick a source (or name it when assessing)",
        )
        tags = st.text_input("Tags (comma-separated)", key=forms.key(FEED_FORM, "tags"))
        submitted = st.form_submit_button("Add feed", key="feed_add")
        feedback = st.container()
    if submitted:
        with forms.reporting(feedback):
            added = state.add_feed(url, source=source or "", tags=forms.words(tags), reason="")
            forms.flash(md(f"Added feed {added.id}: fetch it with the button above."))
            forms.reset(FEED_FORM)
            st.rerun()


def _entry(e: Entry, page: Page, writer: bool) -> None:
    status = page.status(e.id)
    with st.container(border=True):
        title = e.title or "(no title)"
        shown = title if status is Status.NEW else f"{title} · {status.value}"
        st.markdown(f"**{md(shown)}**")
        when = e.published.date().isoformat() if e.published else "no date"
        meta = [e.id, e.outlet or "unknown outlet", when, e.language or "language unknown"]
        st.caption(md(" · ".join(meta)))
        if e.url:
            st.markdown(md(e.url))
        if e.text:
            st.markdown(md(clip(e.text, EXCERPT)))
        matched = state.suggester().questions(entry_text(e))[:3]
        titles = {q.id: q.title for q in state.questions()}
        if matched:
            st.caption("May bear on (score: the share of the question's terms it covers):")
        for m in matched:
            left, right = st.columns([5, 2])
            left.markdown(md(f"{m.score:.2f} · {clip(titles.get(m.question_id, ''), 90)}"))
            if writer and status is Status.NEW:
                right.page_link(
                    "views/log_evidence.py",
                    label="Assess against this",
                    query_params={"inbox": e.id, "q": m.question_id},
                    icon=":material/post_add:",
                )
        action = page.actions.get(e.id)
        if action is not None:
            about = f" ({action.report_id})" if action.report_id else ""
            why = f": {action.reason}" if action.reason else ""
            st.caption(md(f"{action.status.value}{about} by {action.logged_by}{why}"))
        elif writer:
            _actions(e)


def _actions(e: Entry) -> None:
    assess, echo, dismiss = st.columns(3)
    assess.page_link(
        "views/log_evidence.py",
        label="Assess…",
        query_params={"inbox": e.id},
        icon=":material/post_add:",
    )
    with echo.popover("Echo of a report", icon=":material/content_copy:"):
        found = state.suggester().echoes(entry_text(e))[:5]
        titles = state.suggester().titles
        if not found:
            st.caption("No logged report reads like it.")
        for x in found:
            label = f"{x.score:.2f} · {clip(titles.get(x.report_id, ''), 60)} ({x.report_id})"
            if st.button(md(label), key=f"echo_{e.id}_{x.report_id}"):
                with forms.reporting():
                    state.mark_echo(e.id, x.report_id)
                    forms.flash(md(f"{e.id} marked as an echo of {x.report_id}."))
                    st.rerun()
    with dismiss.popover("Dismiss", icon=":material/delete:"):
        reason = st.text_input("Why it bears on no question", key=f"dismiss_why_{e.id}")
        if st.button("Dismiss", key=f"dismiss_{e.id}"):
            with forms.reporting():
                state.dismiss(e.id, reason=reason)
                forms.flash(md(f"Dismissed {e.id}."))
                st.rerun()


st.title("Inbox")
forms.show_flash()
writer = identity.can_write()
_feeds(writer)
status_col, search_col, page_col = st.columns([2, 4, 1])
wanted = status_col.selectbox("Status", STATUSES, key="inbox_status")
search = search_col.text_input("Search (every word, in title, text or address)", key="inbox_q")
number = page_col.number_input("Page", min_value=1, value=1, step=1, key="inbox_page")
with forms.reporting():
    page = state.inbox([wanted], search, (int(number) - 1) * PAGE, PAGE)
    if not page.total:
        st.info("Nothing here." if search or wanted != "new" else "The inbox is empty.")
    else:
        last = page.offset + len(page.entries)
        st.caption(f"Entries {page.offset + 1:d}-{last:d} of {page.total:d}, newest first.")
        for entry in page.entries:
            _entry(entry, page, writer)
