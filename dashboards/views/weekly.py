"""Weekly report: the latest complete ISO week by default, with downloads.

The report is shown as plain text: its titles, sources and rationales are user text, which
Streamlit's Markdown would read as LaTeX ($...$), links and directives whatever the escaping.
The downloads are the report files as `forecast report weekly` writes them.
"""

from __future__ import annotations

import streamlit as st

from dashboards import asof, state
from dashboards.text import md
from forecast.clock import end_of_day
from forecast.domain import ForecastError
from forecast.reports import render, weekly

st.title("Weekly report")
asof.banner()
day = asof.current()
default = weekly.last_week(min(state.now(), end_of_day(day)))
week = st.text_input("ISO week", value=default, help="e.g. 2025-W43")
analysts = st.checkbox("Per-analyst scores in the track record", value=False)
try:
    stats = state.weekly_report(week, analysts=analysts, as_of=day)
except ForecastError as exc:
    st.error(md(str(exc)), icon=":material/error:")
    st.stop()

images = render.chart_images(stats)
page = render.html(stats, images)
text = render.markdown(stats)
left, middle, right = st.columns(3)
# stats.week is the parsed week, in canonical form: never the text as typed.
left.download_button("Markdown", text, file_name=f"weekly-{stats.week}.md", mime="text/markdown")
middle.download_button("HTML", page, file_name=f"weekly-{stats.week}.html", mime="text/html")
if right.button("Prepare PDF"):
    try:
        right.download_button(
            "PDF", render.pdf(page), file_name=f"weekly-{stats.week}.pdf", mime="application/pdf"
        )
    except ForecastError as exc:
        right.warning(md(str(exc)), icon=":material/warning:")
for name, png in images.items():
    st.image(png, caption=name.capitalize())
st.text(render.text(stats))
