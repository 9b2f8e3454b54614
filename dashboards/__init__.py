"""The dashboard: a Streamlit app (``app.py``) over the tracker's API; see ``app.py``."""
