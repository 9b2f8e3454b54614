"""What the dashboard tests share: the app under AppTest and what a page shows.

The demo database fixtures (``demo_file``, ``db``) are in ``conftest.py``.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from streamlit.testing.v1 import AppTest

from forecast.api import Tracker

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "dashboards" / "app.py"
SEED = ROOT / "seeds" / "putin-trump-2025.yaml"

STORY_DAY = date(2025, 10, 21)  # the demo's evidence was logged on this day
_TEXT = ("markdown", "text", "caption", "header", "subheader", "title")
_ALERTS = ("error", "warning", "info", "success")


def run_app(
    page: str | None = None,
    *,
    as_of: date | None = None,
    session: dict[str, Any] | None = None,
    auth: dict[str, Any] | None = None,
    user: dict[str, Any] | None = None,
    **query: str,
) -> AppTest:
    """The app, run once, then switched to ``page`` with a link's ``query`` parameters.

    ``as_of`` sets the sidebar's date (None: today), ``session`` other session state,
    ``auth`` the secrets' [auth] section and ``user`` what ``st.user`` holds.
    """
    at = AppTest.from_file(str(APP), default_timeout=60)
    if auth is not None:
        at.secrets["auth"] = auth
    if user is not None:
        at.user = user
    # None is today, set as a visitor's click on "Today" would (on a database holding only
    # the demo, the date would otherwise start on the demo's story day).
    at.session_state["as_of"] = as_of if as_of is not None else datetime.now(UTC).date()
    for key, value in (session or {}).items():
        at.session_state[key] = value
    at.run()
    if page not in (None, "overview"):
        at.switch_page(f"views/{page}.py")
        at.query_params.update(query)  # a link's parameters, read by the page it opens
        at.run()
    assert not at.exception, at.exception
    return at


def texts(at: AppTest, where: Any = None, *, unescaped: bool = False) -> str:
    """Everything shown as text, Markdown or an alert (in ``where``, default the page).

    ``unescaped`` resolves Markdown's backslash escapes: what a reader sees.
    """
    root = where if where is not None else at
    parts = [e.value for kind in _TEXT for e in root.get(kind)]
    parts += [e.proto.body for kind in _ALERTS for e in root.get(kind)]
    joined = "\n".join(str(p) for p in parts)
    return re.sub(r"\\(.)", r"\1", joined) if unescaped else joined


def errors(at: AppTest) -> list[str]:
    """The error boxes as a reader sees them: the library's messages are escaped for
    Markdown (``text.md``), so that user text quoted in them shows as typed."""
    return [re.sub(r"\\(.)", r"\1", e.value) for e in at.error]


def submit(at: AppTest, key: str) -> AppTest:
    """Click the button (a form's submit button too) with ``key`` and rerun."""
    at.button(key=key).click().run()
    assert not at.exception, at.exception
    return at


def counts(tracker: Tracker) -> dict[str, int]:
    """Rows in each table: what a refused write must leave unchanged."""
    with tracker.store.read() as tx:
        return tx.counts()
