"""The dashboard's one entry point: it lists the pages; pages stay thin."""

from __future__ import annotations

import sys
from pathlib import Path

import streamlit as st

sys.path.insert(0, str(Path(__file__).resolve().parent))  # so pages can import `state`

st.set_page_config(page_title="Forecast tracker", page_icon="📈", layout="wide")
here = Path(__file__).resolve().parent / "views"
pages = [
    st.Page(str(here / "overview.py"), title="Overview", default=True),
]
st.navigation(pages).run()
