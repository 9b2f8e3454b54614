"""Who uses the dashboard: sign-in, the local user, viewer mode, editors, and the audit page.

Sign-in is tested in-process: ``AppTest.secrets`` supplies the ``[auth]`` section (that is
how ``identity.py`` detects sign-in, through ``st.secrets``) and ``AppTest.user`` plays the
signed-in user Streamlit would put in ``st.user`` after the identity provider's callback.
The redirect to the provider itself (``st.login``) needs a real server and provider, so it
is not exercised here.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import streamlit
from dashboard_support import STORY_DAY, counts, errors, run_app, submit
from dashboard_support import texts as shown
from streamlit.testing.v1 import AppTest

from dashboards import frames, identity, state
from forecast.api import Judgement, Tracker
from forecast.domain import ForecastError, Kind, Question

WRITE_PAGES = {"log-evidence", "new-question", "edit-question", "resolve", "alerts"}
HOSTILE = "<script>alert(1)</script> **bold** :red[x]"
# A complete [auth] section for the unnamed provider, as .streamlit/secrets.toml holds it.
AUTH = {
    "redirect_uri": "http://localhost:8501/oauth2callback",
    "cookie_secret": "not-a-secret",
    "client_id": "dashboard",
    "client_secret": "not-a-secret",
    "server_metadata_url": "https://id.example.org/.well-known/openid-configuration",
}
ANA = {
    "is_logged_in": True,
    "email": "ana@example.org",
    "email_verified": True,
    "name": "Ana",
    "sub": "u-1",
}


# --------------------------------------------------------------------------- fixtures


@pytest.fixture
def tracker(db: Path) -> Tracker:
    return Tracker.open(str(db))


@pytest.fixture
def viewer(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(identity.MODE_ENV, "viewer")


@pytest.fixture
def menus(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[dict[str, str]]]:
    """Each run's navigation menu: url path -> "visible" or "hidden"."""
    seen: list[dict[str, str]] = []
    real = streamlit.navigation

    def spy(pages: Any, *args: Any, **kwargs: Any) -> Any:
        # The landing page (the root, "") only opens the overview under its own name.
        seen.append({p.url_path: p.visibility for p in pages if p.url_path})
        return real(pages, *args, **kwargs)

    monkeypatch.setattr(streamlit, "navigation", spy)
    yield seen


def app(
    page: str | None = None,
    *,
    as_of: date | None = STORY_DAY,
    user: dict[str, Any] | None = None,
    auth: dict[str, Any] | None = None,
    **query: str,
) -> AppTest:
    """The app on ``page``; ``auth`` is the secrets' [auth] section, ``user`` is st.user."""
    return run_app(page, as_of=as_of, user=user, auth=auth, **query)


def texts(at: AppTest, where: Any = None) -> str:
    """What a reader sees (Markdown's backslash escapes resolved)."""
    return shown(at, where, unescaped=True)


def buttons(at: AppTest) -> set[str]:
    """The keys of every button, form submit button included."""
    return {b.key for b in at.button if b.key}


# --------------------------------------------------------------------------- the rules, as a unit


def test_a_signed_in_user_is_known_by_verified_email_else_subject_never_name() -> None:
    assert identity.name_of(ANA) == "ana@example.org"
    assert identity.name_of({**ANA, "email_verified": "true"}) == "ana@example.org"
    # The name is the user's own choice: it never identifies anyone.
    assert identity.name_of({**ANA, "email": " "}) == "u-1"
    assert identity.name_of({"is_logged_in": True, "name": "ana@example.org"}) is None
    assert identity.name_of({"is_logged_in": True, "sub": "u-1"}) == "u-1"
    assert identity.name_of({"is_logged_in": True}) is None
    # Not signed in, whatever else st.user holds (AppTest's default user has no flag at all).
    assert identity.name_of({**ANA, "is_logged_in": False}) is None
    assert identity.name_of({"email": "test@example.com"}) is None
    assert identity.name_of({**ANA, "is_logged_in": "yes"}) is None


def test_who_may_write() -> None:
    def decide(who: str | None, mode: str = "editor", editors: str | None = None) -> Any:
        return identity.decide(
            who=who, sign_in=True, mode=mode, editors=identity.parse_editors(editors)
        )

    assert decide("ana@example.org").writer
    assert not decide(None).writer and "sign in" in decide(None).refusal
    viewer = decide("ana@example.org", mode="viewer")
    assert not viewer.writer and "read-only" in viewer.refusal
    assert decide("ANA@example.org", editors="bob@example.org, ana@example.org").writer
    outsider = decide("eve@example.org", editors="bob@example.org,ana@example.org")
    assert not outsider.writer and "FORECAST_EDITORS" in outsider.refusal
    assert decide("eve@example.org", editors=" ").writer, "a blank setting restricts nobody"
    with pytest.raises(ForecastError, match=r"FORECAST_EDITORS=' , ' names nobody"):
        identity.parse_editors(" , ")


@pytest.mark.parametrize(
    ("raw", "mode"), [(None, "editor"), ("", "editor"), (" Viewer ", "viewer")]
)
def test_the_mode_setting(raw: str | None, mode: str) -> None:
    assert identity.parse_mode(raw) == mode


def test_a_mistyped_mode_is_refused_not_guessed() -> None:
    with pytest.raises(ForecastError, match="FORECAST_DASHBOARD_MODE must be one of"):
        identity.parse_mode("viewr")


# --------------------------------------------------------------------------- no sign-in


def test_without_sign_in_the_sidebar_names_the_local_user(db: Path, menus: list) -> None:
    at = app()
    shown = texts(at, at.sidebar)
    assert "Signed in as nobody: running as local user **tester**" in shown
    assert "no sign-in is configured" in shown
    assert "Read-only" not in shown
    assert "sign_out" not in buttons(at)
    assert set(menus[-1].values()) == {"visible"}, "every page is offered"


def test_without_sign_in_writes_record_the_local_user(db: Path, tracker: Tracker) -> None:
    at = app("new_question")
    created_by = at.text_input(key="new_question_by_0")
    assert (created_by.value, created_by.disabled) == ("tester", False)
    for name, value in {"id": "local-q", "title": "Local?", "prior": "0.3"}.items():
        at.text_input(key=f"new_question_{name}_0").input(value)
    submit(at, "new_question_submit")
    assert not errors(at)
    assert tracker.question("local-q").created_by == "tester"


def test_the_cli_viewer_flag_sets_the_mode(db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    from forecast import cli

    seen: dict[str, str] = {}

    def execve(path: str, cmd: list[str], env: dict[str, str]) -> None:
        seen.update(env)
        raise SystemExit(0)  # the real one never returns: streamlit takes the process over

    monkeypatch.setattr(os, "execve", execve)
    monkeypatch.delenv(identity.MODE_ENV, raising=False)
    with pytest.raises(SystemExit):
        cli.main(["dashboard", "--viewer"])
    assert seen[identity.MODE_ENV] == "viewer"
    seen.clear()
    with pytest.raises(SystemExit):
        cli.main(["dashboard"])
    assert identity.MODE_ENV not in seen


# --------------------------------------------------------------------------- viewer mode


def test_viewer_mode_offers_no_write_page(db: Path, viewer: None, menus: list) -> None:
    at = app(as_of=None)
    hidden = {url for url, shown in menus[-1].items() if shown == "hidden"}
    assert hidden == WRITE_PAGES
    assert "Read-only: this dashboard is read-only (FORECAST_DASHBOARD_MODE=viewer)" in texts(
        at, at.sidebar
    )
    # Today the demo has questions awaiting resolution: no link to Resolve for a viewer.
    assert not [link for link in at.get("page_link") if "resolve" in link.proto.page]
    for page, form_button in [
        ("log_evidence", "log_save"),
        ("new_question", "new_question_submit"),
        ("resolve", "resolve_submit"),
        ("alerts", "alert_save"),
    ]:
        at.switch_page(f"views/{page}.py").run()  # e.g. an old bookmark
        assert not at.exception, at.exception
        assert form_button not in buttons(at)
        assert "Not available" in texts(at)


def test_viewer_mode_sources_page_has_no_forms(db: Path, viewer: None) -> None:
    at = app("sources", source="CNN")
    assert len(at.dataframe) == 3, "the tables are all there"
    assert not {"sources_new_source_submit", "source_edit_submit"} & buttons(at)


def test_viewer_mode_question_page_runs_with_its_resolve_link(db: Path, viewer: None) -> None:
    # The question page links to Resolve for a question past its deadline: the hidden page
    # must still be registered, or the link would fail the page.
    app("question", as_of=None, q="putin-trump-meeting")


def test_viewer_mode_every_write_function_refuses(db: Path, tracker: Tracker, viewer: None) -> None:
    report = {"source": "CNN", "published": datetime(2025, 10, 22, tzinfo=UTC), "title": "x"}
    opened = datetime(2025, 10, 1, tzinfo=UTC)
    judgement = [Judgement("russia-ceasefire-line", lr=2.0)]
    writes = {
        "add_question": lambda: state.add_question(
            Question(id="v-q", title="V?", kind=Kind.BINARY, opened=opened, prior=0.5)
        ),
        "add_source": lambda: state.add_source("Viewer Times", 0.5, "news"),
        "update_source": lambda: state.update_source(
            "CNN", reliability=0.1, type=None, reason="viewer"
        ),
        "resolve": lambda: state.resolve(
            "lavrov-rubio-meeting", "no", datetime(2025, 10, 31, tzinfo=UTC), ""
        ),
        "log_evidence": lambda: state.log_evidence(judgement, **report),
        "preview_evidence": lambda: state.preview_evidence(judgement, **report),
    }
    before = counts(tracker)
    for name, write in writes.items():
        with pytest.raises(ForecastError, match="read-only"):
            write()
            pytest.fail(f"{name} wrote in viewer mode")
    assert counts(tracker) == before


def test_the_same_writes_pass_when_not_a_viewer(db: Path, tracker: Tracker) -> None:
    # The control for the test above: these calls are valid, only the mode refuses them.
    assert state.add_source("Editor Times", 0.5, "news").logged_by == "tester"
    logged = state.log_evidence(
        [Judgement("russia-ceasefire-line", lr=2.0)],
        source="CNN",
        published=datetime(2025, 10, 22, tzinfo=UTC),
        title="x",
    )
    assert logged.report.logged_by == "tester"


def test_a_mistyped_mode_stops_the_dashboard_and_every_write(
    db: Path, tracker: Tracker, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(identity.MODE_ENV, "viewr")
    at = app()
    assert "FORECAST_DASHBOARD_MODE must be one of editor, viewer, not 'viewr'" in texts(at)
    assert not at.dataframe
    with pytest.raises(ForecastError, match="must be one of"):
        state.add_source("Typo Times", 0.5, "news")


# --------------------------------------------------------------------------- sign-in


def test_with_sign_in_a_visitor_sees_only_the_sign_in_button(db: Path, menus: list) -> None:
    for user in ({"is_logged_in": False}, {"email": "test@example.com"}):
        at = app(auth=AUTH, user=user)
        assert buttons(at) == {"sign_in_default"}
        assert not at.dataframe and not at.sidebar.date_input
        assert "Sign in to see the forecasts" in texts(at)
    assert not menus, "no page is even registered before signing in"


def test_named_providers_each_get_a_button(db: Path) -> None:
    secret = {"client_secret": "x", "server_metadata_url": "https://x/.well-known/o"}
    auth = {
        "redirect_uri": AUTH["redirect_uri"],
        "cookie_secret": "x",
        "google": {"client_id": "g", **secret},
        "microsoft": {"client_id": "m", **secret},
    }
    at = app(auth=auth, user={"is_logged_in": False})
    assert buttons(at) == {"sign_in_google", "sign_in_microsoft"}


def test_signed_in_sidebar_and_sign_out(db: Path) -> None:
    at = app(auth=AUTH, user=ANA)
    assert "Signed in as **ana@example.org**" in texts(at, at.sidebar)
    assert at.dataframe, "the overview is shown"
    at.sidebar.button(key="sign_out").click().run()
    assert buttons(at) == {"sign_in_default"}, "signed out: back to the sign-in page"


def test_a_signed_in_users_writes_record_that_identity(db: Path, tracker: Tracker) -> None:
    # A new question: "Created by" shows the identity and cannot be changed...
    at = app("new_question", auth=AUTH, user=ANA)
    created_by = at.text_input(key="new_question_by_0")
    assert (created_by.value, created_by.disabled) == ("ana@example.org", True)
    at.session_state["new_question_by_0"] = "mallory"  # a value forged anyway is ignored
    for name, value in {"id": "ana-q", "title": "Ana's?", "prior": "0.3"}.items():
        at.text_input(key=f"new_question_{name}_0").input(value)
    submit(at, "new_question_submit")
    assert not errors(at)
    assert tracker.question("ana-q").created_by == "ana@example.org"

    # Evidence: the report, and the assessment's analyst and logged_by.
    at = app("log_evidence", auth=AUTH, user=ANA)
    at.multiselect(key="log_questions").set_value(["russia-ceasefire-line"]).run()
    analyst = at.text_input(key="log_analyst_0")
    assert (analyst.value, analyst.disabled) == ("ana@example.org", True)
    at.session_state["log_analyst_0"] = "mallory"
    at.selectbox(key="log_source_0").set_value("Reuters")
    at.date_input(key="log_date_0").set_value(date(2025, 10, 22))
    at.text_input(key="log_title_0").input("Signed-in report")
    at.text_input(key="log_lr_russia-ceasefire-line_0").input("1.5")
    submit(at, "log_save")
    assert not errors(at)
    report = next(r for r in tracker.reports() if r.title == "Signed-in report")
    mine = [a for a in tracker.history(None).assessments if a.report_id == report.id]
    assert report.logged_by == "ana@example.org"
    assert [(a.analyst, a.logged_by) for a in mine] == [("ana@example.org", "ana@example.org")]

    # A source and a resolution.
    at = app("sources", auth=AUTH, user=ANA)
    at.text_input(key="sources_new_source_name").input("Ana Wire")
    at.text_input(key="sources_new_source_reliability").input("0.7")
    submit(at, "sources_new_source_submit")
    assert not errors(at)
    assert next(s for s in tracker.sources() if s.name == "Ana Wire").logged_by == "ana@example.org"
    at = app("resolve", auth=AUTH, user=ANA, q="lavrov-rubio-meeting")
    at.selectbox(key="resolve_outcome_lavrov-rubio-meeting_0").set_value("no")
    at.date_input(key="resolve_date_0").set_value(date(2025, 10, 31))
    submit(at, "resolve_submit")
    assert not errors(at)
    res = tracker.history(["lavrov-rubio-meeting"]).resolutions[-1]
    assert res.logged_by == "ana@example.org"


def test_with_an_editors_list_everyone_else_is_a_viewer(
    db: Path, tracker: Tracker, monkeypatch: pytest.MonkeyPatch, menus: list
) -> None:
    monkeypatch.setenv(identity.EDITORS_ENV, "ana@example.org")
    bob = {"is_logged_in": True, "email": "bob@example.org", "email_verified": True}
    at = app("sources", auth=AUTH, user=bob, source="CNN")
    assert "not one of the editors" in texts(at, at.sidebar)
    assert {url for url, shown in menus[-1].items() if shown == "hidden"} == WRITE_PAGES
    assert not {"sources_new_source_submit", "source_edit_submit"} & buttons(at)
    at = app("sources", auth=AUTH, user={**ANA, "email": "Ana@Example.org"}, source="CNN")
    assert {"sources_new_source_submit", "source_edit_submit"} <= buttons(at)
    assert set(menus[-1].values()) == {"visible"}


# --------------------------------------------------------------------------- the audit page


@pytest.fixture
def changed(db: Path) -> Tracker:
    """The demo, then a correction, two retractions and a hostile rationale, by "olga"."""
    olga = Tracker.open(str(db), user="olga")
    olga.correct_assessment(
        "cnn-prep-meeting-postponed.putin-trump-meeting.maria",
        lr=0.6,
        reason="Misread the report: the meeting was postponed, not cancelled.",
    )
    olga.correct_assessment(
        "cnn-rubio-lavrov-call.lavrov-rubio-meeting.ivan",
        retract=True,
        reason='=HYPERLINK("http://x") judged twice',
    )
    olga.retract_report("bg-anchorage-summit", reason="The outlet withdrew the story.")
    olga.add_evidence(
        "russia-ceasefire-line",
        lr=1.2,
        rationale=HOSTILE,
        source="CNN",
        title="hostile rationale",
        published=datetime(2025, 10, 22, tzinfo=UTC),
    )
    return olga


def audit_page(**query: str) -> AppTest:
    return app("audit", as_of=None, **query)


def test_audit_page_lists_corrections_and_retractions_with_who_and_why(changed: Tracker) -> None:
    at = audit_page()
    table = at.dataframe[0].value
    mine = table[table["who"] == "olga"]
    assert set(mine["what"]) == {"corrected", "retracted", "logged", "assessed"}
    corrected = mine[mine["what"] == "corrected"].iloc[0]
    assert corrected["key"] == "cnn-prep-meeting-postponed.putin-trump-meeting.maria"
    assert corrected["version"] == 2
    assert corrected["why"] == "Misread the report: the meeting was postponed, not cancelled."
    assert "lr: 0.4 → 0.6" in corrected["changes"]
    retracted = mine[mine["what"] == "retracted"].set_index("kind")
    assert retracted.loc["report", "key"] == "bg-anchorage-summit"
    assert retracted.loc["report", "why"] == "The outlet withdrew the story."
    assert "retracted: false → true" in retracted.loc["assessment", "changes"]
    assert not pd.isna(corrected["at"])
    # olga's changes were live writes; the demo came in through an import, which says so
    # beside the logged time its file stated.
    assert set(mine["imported"]) == {""}
    demo = table[table["who"] != "olga"]
    assert len(demo) > 40
    assert all(re.fullmatch(r"imported 20\d\d-\S+Z by \S+", v) for v in demo["imported"])
    assert (demo["at"] < pd.Timestamp("2025-11-01", tz="UTC")).all()  # the stated times
    # Everything the CLI's audit lists, in the same order.
    from forecast.audit import trail

    assert list(table["key"]) == [e.key for e in trail(changed.history(None))]


def test_audit_page_filters_by_question_kind_and_who(changed: Tracker) -> None:
    at = audit_page()
    everything = at.dataframe[0].value
    at.selectbox(key="audit_question").set_value("putin-trump-meeting").run()
    one = at.dataframe[0].value
    assert 0 < len(one) < len(everything)
    assert all("putin-trump-meeting" in qs.split(", ") for qs in one["questions"])
    assert "cnn-prep-meeting-postponed.putin-trump-meeting.maria" in set(one["key"])
    at.multiselect(key="audit_kind").set_value(["assessment"]).run()
    assert set(at.dataframe[0].value["kind"]) == {"assessment"}
    at.multiselect(key="audit_who").set_value(["olga"]).run()
    only = at.dataframe[0].value
    assert list(only["what"]) == ["corrected"] and set(only["who"]) == {"olga"}
    at.multiselect(key="audit_kind").set_value(["question"]).run()
    assert not at.dataframe and "No change matches" in texts(at)  # (olga created none)


def test_audit_page_opens_on_a_linked_question(changed: Tracker) -> None:
    at = audit_page(q="summit-venue")
    assert at.selectbox(key="audit_question").value == "summit-venue"


def test_audit_page_respects_the_as_of_date(changed: Tracker) -> None:
    at = app("audit")  # as of the story day: today's corrections were not known yet
    table = at.dataframe[0].value
    assert "olga" not in set(table["who"]) and len(table) > 0


def test_audit_page_shows_hostile_text_as_text(changed: Tracker) -> None:
    at = audit_page()
    table = at.dataframe[0].value
    assert HOSTILE in set(table["why"]), "the rationale, exactly as typed, in a table cell"
    assert "<script>" not in texts(at), "and never in Markdown"


def test_audit_csv_download(changed: Tracker) -> None:
    at = audit_page()
    assert [b.proto.label for b in at.get("download_button")] == ["Download as CSV"]
    table = at.dataframe[0].value
    back = pd.read_csv(io.BytesIO(frames.audit_csv(table)), keep_default_na=False)
    assert list(back.columns) == frames.AUDIT_COLUMNS and len(back) == len(table)
    assert HOSTILE in set(back["why"])
    assert '\'=HYPERLINK("http://x") judged twice' in set(back["why"]), "no formula"
    assert back["at"].iloc[-1] == table["at"].iloc[-1].isoformat()


def test_every_audit_read_is_cached_and_follows_writes(changed: Tracker) -> None:
    today = datetime.now(UTC).date()
    first = state.audit(None, today)
    assert state.audit(None, today) is first, "a rerun reads the cache"
    changed.retract_report("bg-budapest-announced", reason="later")
    assert len(state.audit(None, today)) == len(first) + 1
