"""Weekly report: the latest complete ISO week by default, with downloads."""

from __future__ import annotations

import streamlit as st

from forecast.api import Tracker
from forecast.domain import ForecastError
from forecast.reports import render, weekly

st.title("Weekly report")
tracker = Tracker.open()
week = st.text_input("ISO week", value=weekly.last_week(tracker.now()), help="e.g. 2025-W43")
analysts = st.checkbox("Per-analyst scores in the track record", value=False)
try:
    stats = weekly.build(tracker, week.strip(), analysts=analysts)
except ForecastError as exc:
    st.error(str(exc))
    st.stop()

images = render.chart_images(stats)
page = render.html(stats, images)
text = render.markdown(stats)
left, middle, right = st.columns(3)
left.download_button("Markdown", text, file_name=f"weekly-{stats.week}.md", mime="text/markdown")
middle.download_button("HTML", page, file_name=f"weekly-{stats.week}.html", mime="text/html")
if right.button("Prepare PDF"):
    try:
        right.download_button(
            "PDF", render.pdf(page), file_name=f"weekly-{stats.week}.pdf", mime="application/pdf"
        )
    except ForecastError as exc:
        right.warning(str(exc))
for name, png in images.items():
    st.image(png, caption=name.capitalize())
st.markdown(text)
