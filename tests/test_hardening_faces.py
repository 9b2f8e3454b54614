"""Red-team findings on the faces (issue 16): Markdown in messages, formulas in tables,
terminal escapes, sign-in identity, the dashboard's defaults, week names and NFC names."""

from __future__ import annotations

import ast
import json
import os
import unicodedata
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest
from dashboard_support import run_app, texts
from streamlit.testing.v1 import AppTest

from dashboards import frames, identity
from forecast.api import Tracker
from forecast.cli import main
from forecast.domain import ForecastError, Kind, Question
from forecast.reports import render, weekly
from forecast.terminal import json_text, printable

ROOT = Path(__file__).resolve().parent.parent
LINK = "[Session expired - sign in again](https://evil.example/login)"
IMAGE = "![p](http://127.0.0.1:9/t.png)"
OSC = "\x1b]0;pwned\x07"
WJ = "\u2060"  # the word joiner md() puts after "http" and "www"


# --------------------------------------------------------------------------- 7. Markdown

# Streamlit elements whose text (first argument, or label=/help=) is Markdown.
MARKDOWN_ELEMENTS = {
    "error", "warning", "info", "success", "toast", "caption", "markdown", "write", "header",
    "subheader", "title", "flash", "text_input", "text_area", "selectbox", "multiselect",
    "radio", "checkbox", "toggle", "button", "form_submit_button", "download_button",
    "metric", "number_input", "date_input", "time_input", "expander", "slider",
    "select_slider", "link_button", "popover",
}  # fmt: skip
# Helpers whose output is escaped (md) or made of digits and fixed words only.
SAFE_HELPERS = {"md", "pct", "pts", "day", "moment", "len"}


def _safe(node: ast.expr) -> bool:
    """Whether an argument can only carry escaped or fixed text."""
    if isinstance(node, ast.Constant):
        return True
    if isinstance(node, ast.Call):
        f = node.func
        name = f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else ""
        return name in SAFE_HELPERS
    if isinstance(node, ast.JoinedStr):  # a format spec ({n:d}, {p:.3f}) makes a number
        return all(
            isinstance(v, ast.Constant)
            or (isinstance(v, ast.FormattedValue) and (v.format_spec is not None or _safe(v.value)))
            for v in node.values
        )
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _safe(node.left) and _safe(node.right)
    if isinstance(node, ast.IfExp):
        return _safe(node.body) and _safe(node.orelse)
    return False


def test_every_markdown_element_gets_escaped_or_fixed_text() -> None:
    """The one rule: user text reaches a Markdown element only through ``text.md``.

    A call whose text is checked elsewhere says so on its line with ``# md: <why>``.
    """
    unsafe = []
    for path in sorted((ROOT / "dashboards").rglob("*.py")):
        source = path.read_text(encoding="utf-8")
        lines = source.splitlines()
        for node in ast.walk(ast.parse(source)):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                continue
            if isinstance(node.func.value, ast.Name) and node.func.value.id == "render":
                continue  # render.markdown builds a file; it shows nothing
            args = [node.args[0]] if node.func.attr in MARKDOWN_ELEMENTS and node.args else []
            args += [k.value for k in node.keywords if k.arg in ("label", "help")]
            for arg in args:
                if not _safe(arg) and "# md:" not in lines[node.lineno - 1]:
                    unsafe.append(f"{path.relative_to(ROOT)}:{arg.lineno}: {ast.unparse(arg)}")
    assert unsafe == []


def test_an_error_quoting_an_option_shows_no_link_or_image() -> None:
    def page() -> None:
        from dashboards import forms
        from forecast.domain import ForecastError

        with forms.reporting():
            raise ForecastError("question q has no option '[x](https://evil.example/login)'")
        with forms.reporting():
            raise ForecastError("likelihood of '![p](http://127.0.0.1:9/t.png)' is not a number")

    at = AppTest.from_function(page)
    at.run()
    shown = [e.value for e in at.error]
    # Every Markdown character escaped, and a word joiner after "http" (the front end links
    # addresses even when escaped): the text shows as typed, no link, no image.
    assert shown == [
        r"question q has no option \'\[x\]\(https" + WJ + r"\:\/\/evil\.example\/login\)\'",
        r"likelihood of \'\!\[p\]\(http"
        + WJ
        + r"\:\/\/127\.0\.0\.1\:9\/t\.png\)\' is not a number",
    ]


def test_a_choice_questions_page_shows_its_hostile_option_as_typed(db: Path) -> None:
    Tracker.open(str(db)).add_question(
        Question(
            id="hostile-choice",
            title=f"Which? {IMAGE}",
            kind=Kind.CHOICE,
            opened=datetime(2025, 10, 1, tzinfo=UTC),
            options=((LINK, 0.5), ("other", 0.5)),
        )
    )
    at = run_app("question", q="hostile-choice")
    assert not at.exception
    raw = texts(at)
    assert IMAGE not in raw and LINK not in raw, "never the raw Markdown"
    assert "Which? " + IMAGE in texts(at, unescaped=True).replace(WJ, "")


# --------------------------------------------------------------------------- 8. formulas


def test_tables_defuse_formulas_but_not_signed_numbers() -> None:
    table = pd.DataFrame(
        {
            "why": ['=HYPERLINK("https://evil.example","x")', "@SUM(A1)", "-cmd|x", "fine"],
            "step": ["-2.0 pts", "+12.3%", "+1", "0.5"],
            "n": [1, 2, 3, 4],
        }
    )
    out = frames.defused(table)
    assert out["why"].tolist() == [
        '\'=HYPERLINK("https://evil.example","x")',
        "'@SUM(A1)",
        "'-cmd|x",
        "fine",
    ]
    assert out["step"].tolist() == ["-2.0 pts", "+12.3%", "+1", "0.5"]
    assert out["n"].tolist() == [1, 2, 3, 4]
    assert table["why"][0].startswith("="), "the table itself is left as it was"


def test_every_table_shown_goes_through_the_defusing_wrapper() -> None:
    direct = [
        str(path.relative_to(ROOT))
        for path in (ROOT / "dashboards").rglob("*.py")
        if "st.dataframe(" in path.read_text(encoding="utf-8") and path.name != "components.py"
    ]
    assert direct == []


def test_the_audit_tables_shown_cells_are_defused(db: Path) -> None:
    tracker = Tracker.open(str(db))
    a = tracker.history(None).assessments[0]
    tracker.correct_assessment(a.id, reason='=HYPERLINK("https://evil.example","x")', retract=True)
    at = run_app("audit")
    assert not at.exception
    shown = at.dataframe[0].value
    assert '\'=HYPERLINK("https://evil.example","x")' in shown["why"].tolist()
    assert not any(str(v).startswith("=") for v in shown["why"])


# --------------------------------------------------------------------------- 9. terminal


def test_printable_shows_controls_as_escapes() -> None:
    assert (
        printable(f"a{OSC}b\tc\nd\r\x9b2J\u2028") == "a\\x1b]0;pwned\\x07b\tc\nd\\x0d\\x9b2J\\u2028"
    )
    assert json.loads(json_text(json.dumps({"t": "x\x9by\x7f"}, ensure_ascii=False))) == {
        "t": "x\x9by\x7f"
    }


def test_stored_control_characters_never_reach_the_terminal(
    capsys: pytest.CaptureFixture[str],
) -> None:
    title = f"Pwned? {OSC}\x9b31m"
    args = ["question", "add", "q1", "--title", title, "--kind", "binary"]
    assert main([*args, "--opened", "2025-10-01", "--prior", "0.3"]) == 0
    capsys.readouterr()
    assert main(["question", "list"]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\x07" not in out and "\x9b" not in out
    assert out.rstrip().endswith("Pwned? \\x1b]0;pwned\\x07\\x9b31m")
    assert main(["show", "q1"]) == 0
    assert "\x1b" not in capsys.readouterr().out
    # --json: the exact title, with no control character raw in the output.
    assert main(["question", "list", "--json"]) == 0
    raw = capsys.readouterr().out
    assert "\x1b" not in raw and "\x9b" not in raw
    assert json.loads(raw)[0]["title"] == title
    # Errors quote user text too.
    assert main(["source", "update", f"No{OSC}", "--reliability", "0.5", "--reason", "x"]) == 1
    assert capsys.readouterr().err == "error: no source 'No\\x1b]0;pwned\\x07'\n"


def test_every_human_readable_print_goes_through_say() -> None:
    # Left as click.echo: --json (json_text) and the export/import/snapshot commands, which
    # print counts and paths only (another area's code).
    allowed = {
        "common.py": 1,  # print_json
        "data.py": 3,  # export (its text, "exported to"); import
        "scoring.py": 1,  # snapshot's count
    }
    for path in (ROOT / "forecast" / "cli").glob("*.py"):
        count = path.read_text(encoding="utf-8").count("click.echo(")
        assert count == allowed.get(path.name, 0), path.name


# --------------------------------------------------------------------------- 10. identity


def test_the_name_claim_never_identifies_and_unverified_email_falls_to_the_subject() -> None:
    mallory = {
        "is_logged_in": True,
        "name": "ana@example.org",  # set by the user: worth nothing
        "email": "ana@example.org",
        "email_verified": False,
        "sub": "m-9",
        "iss": "https://id.example.org",
    }
    who, note = identity.identify(mallory)
    assert who == "https://id.example.org#m-9"
    assert note == "the e-mail ana@example.org is not verified by the identity provider"
    access = identity.decide(
        who=who, sign_in=True, mode="editor", editors=frozenset({"ana@example.org"}), note=note
    )
    assert not access.writer
    assert access.refusal == (
        "https://id.example.org#m-9 is not one of the editors (FORECAST_EDITORS): this view "
        "is read-only (the e-mail ana@example.org is not verified by the identity provider)"
    )
    who, note = identity.identify({"is_logged_in": True, "name": "Ana"})
    assert who is None and note == identity.NO_IDENTITY
    refused = identity.decide(who=None, sign_in=True, mode="editor", editors=None, note=note)
    assert refused.refusal == identity.NO_IDENTITY


def test_a_signed_in_user_without_identity_reads_but_cannot_write(db: Path) -> None:
    auth = {
        "redirect_uri": "http://localhost:8501/oauth2callback",
        "cookie_secret": "x",
        "client_id": "d",
        "client_secret": "x",
        "server_metadata_url": "https://id.example.org/.well-known/openid-configuration",
    }
    at = run_app("sources", auth=auth, user={"is_logged_in": True, "name": "ana@example.org"})
    assert not at.exception
    assert at.dataframe, "signed in: the pages are shown"
    sidebar = texts(at, at.sidebar, unescaped=True)
    assert "Signed in, with no identity to record changes under." in sidebar
    assert f"Read-only: {identity.NO_IDENTITY}" in sidebar
    assert "sources_new_source_submit" not in {b.key for b in at.button}


# --------------------------------------------------------------------------- 13. defaults


def test_an_editors_list_naming_nobody_is_refused(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(ForecastError, match="FORECAST_EDITORS=',' names nobody"):
        identity.parse_editors(",")
    assert identity.parse_editors("") is None and identity.parse_editors(None) is None
    monkeypatch.setenv(identity.EDITORS_ENV, ",")
    at = run_app()
    assert not at.dataframe
    assert "FORECAST_EDITORS=',' names nobody: list the identities who may write" in texts(
        at, unescaped=True
    )


def _started(monkeypatch: pytest.MonkeyPatch, *args: str) -> list[str]:
    called: list[list[str]] = []

    def fake(path: str, cmd: list[str], env: dict[str, str]) -> None:
        assert path == cmd[0]  # the program, and argv[0] naming it
        called.append(cmd)
        raise SystemExit(0)  # the real one never returns: streamlit takes the process over

    monkeypatch.setattr(os, "execve", fake)
    with pytest.raises(SystemExit) as stopped:
        main(["dashboard", *args])
    assert stopped.value.code == 0
    (cmd,) = called
    return cmd


def _option(cmd: list[str], name: str) -> str:
    return cmd[cmd.index(name) + 1]


def test_the_dashboard_listens_locally_unless_told_and_shows_no_tracebacks(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("FORECAST_DASHBOARD_ADDRESS", raising=False)
    cmd = _started(monkeypatch)
    assert _option(cmd, "--server.address") == "127.0.0.1"
    assert _option(cmd, "--client.showErrorDetails") == "none"
    monkeypatch.setenv("FORECAST_DASHBOARD_ADDRESS", "0.0.0.0")
    assert _option(_started(monkeypatch), "--server.address") == "0.0.0.0"
    assert _option(_started(monkeypatch, "--address", "10.0.0.5"), "--server.address") == (
        "10.0.0.5"
    )


def test_the_dashboard_precomputes_in_the_background_unless_told_not_to(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """As it starts, the dashboard runs ``forecast precompute`` on its database in the
    background (the cache folder then holds the linked groups when the first visitor
    comes); not with --no-precompute, nor with the cache off (nothing would be kept)."""
    import sys

    from forecast.cli import dashboard as face

    started: list[tuple[list[str], dict[str, str]]] = []
    monkeypatch.setattr(face, "_in_background", lambda cmd, env: started.append((cmd, env)))
    monkeypatch.setenv("FORECAST_CACHE", str(tmp_path / "cache"))
    _started(monkeypatch)
    ((cmd, env),) = started
    assert cmd == [sys.executable, "-m", "forecast.cli", "precompute"]
    assert env["FORECAST_DB"] == Tracker.open().store.url
    started.clear()
    _started(monkeypatch, "--no-precompute")
    monkeypatch.setenv("FORECAST_CACHE", "off")
    _started(monkeypatch)
    assert started == []


def test_a_background_command_runs_on_apart_from_the_dashboard(tmp_path: Path) -> None:
    """The background command runs, and not as a child of the process that becomes the
    server (which would never reap it)."""
    import sys
    import time

    from forecast.cli import dashboard as face

    done = tmp_path / "done"
    write = (
        "import os, pathlib, sys; p = pathlib.Path(sys.argv[1]); "
        "p.with_suffix('.tmp').write_text(str(os.getppid())); p.with_suffix('.tmp').rename(p)"
    )
    face._in_background([sys.executable, "-c", write, str(done)], dict(os.environ))
    for _ in range(600):  # a fresh Python starts in well under a minute
        if done.exists():
            break
        time.sleep(0.1)
    assert int(done.read_text()) != os.getpid()


def test_the_app_itself_turns_error_details_off(db: Path) -> None:
    from streamlit import config

    run_app()
    assert config.get_option("client.showErrorDetails") == "none"


def test_the_weekly_page_shows_user_text_as_plain_text(db: Path) -> None:
    tracker = Tracker.open(str(db))
    q = tracker.history(None).questions[0]
    title = "Costs $5 and $6 https://evil.example"
    tracker.add_evidence(
        q.id,
        source="Reuters",
        published=datetime(2025, 10, 21, tzinfo=UTC),
        lr=None if q.kind is Kind.CHOICE else 2.0,
        likelihoods=[(q.option_names[0], 2.0)] if q.kind is Kind.CHOICE else [],
        title=title,
    )
    stats = weekly.build(tracker, weekly.week_of(tracker.now()))
    assert title in render.text(stats), "plain text: nothing escaped, nothing parsed"
    assert r"Costs \$5 and \$6" in render.markdown(stats), "the file escapes LaTeX"
    page = AppTest.from_file(str(ROOT / "dashboards" / "views" / "weekly.py"))
    page.run(timeout=60)
    page.text_input[0].set_value(stats.week).run(timeout=60)
    assert not page.exception
    assert not page.markdown, "no report text goes through Markdown"
    assert any(title in t.value for t in page.text)


def test_week_names_are_parsed_and_files_named_from_the_parsed_week(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["demo"]) == 0
    out = tmp_path / "out"
    assert main(["report", "weekly", "--week", " 2025-W43\n", "--out", str(out)]) == 0
    names = sorted(p.name for p in out.iterdir())
    assert {"weekly-2025-W43.md", "weekly-2025-W43.html"} <= set(names)
    assert all(n.startswith("weekly-2025-W43") and "\n" not in n for n in names), names
    capsys.readouterr()
    for bad in ("２０２５-W４３", "2025-W43/../../x", "2025-W4３"):
        assert main(["report", "weekly", "--week", bad, "--out", str(out)]) == 1
        assert "is not an ISO week such as 2025-W43" in capsys.readouterr().err
    with pytest.raises(ForecastError, match="does not exist"):
        weekly.parse_week("2025-W54")


# --------------------------------------------------------------------------- 13. NFC


def test_nfc_and_nfd_spellings_name_one_thing() -> None:
    tracker = Tracker.open()
    nfc, nfd = "Café Wire", unicodedata.normalize("NFD", "Café Wire")
    assert nfc != nfd
    stored = tracker.add_source(nfd, 0.6)
    assert stored.name == nfc
    with pytest.raises(ForecastError):
        tracker.add_source(nfc, 0.7)  # the same source, not a second one
    assert [s.name for s in tracker.sources()] == [nfc]
    q = tracker.add_question(
        Question(
            id="cafe",
            title="Where?",
            kind=Kind.CHOICE,
            opened=datetime(2025, 10, 1, tzinfo=UTC),
            options=((unicodedata.normalize("NFD", "Zürich"), 0.5), ("Genève", 0.5)),
        )
    )
    assert q.option_names == ("Zürich", "Genève")
    report, a = tracker.add_evidence(
        "cafe",
        source=nfd,
        published=datetime(2025, 10, 2, tzinfo=UTC),
        likelihoods=[(unicodedata.normalize("NFD", "Genève"), 2.0)],
        analyst=unicodedata.normalize("NFD", "Zoë"),
        origin=unicodedata.normalize("NFD", "Élysée"),
    )
    assert (report.source, report.origin) == (nfc, "Élysée")
    assert (a.likelihoods, a.analyst) == ((("Genève", 2.0),), "Zoë")
    res = tracker.resolve(
        "cafe", unicodedata.normalize("NFD", "zürich"), datetime(2025, 11, 1, tzinfo=UTC)
    )
    assert res.outcome == "Zürich"
