"""The ``forecast`` command line: parse, call one API function, print.

Every error is one line on stderr and a non-zero exit (1 for bad input or data, 2 for a
misused command). Every command that reads has ``--json``.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import subprocess
import sys
import warnings
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

from forecast import settings
from forecast.domain import (
    ForecastError,
    Kind,
    Question,
    check_number,
    iso,
    parse_time,
)
from forecast.terminal import cell, json_text, say

if TYPE_CHECKING:
    from forecast.api import Tracker
    from forecast.learning.fits import Learned

LEARNED_HELP = (
    "Use the trust learned from the track record (`forecast calibrate`): reliabilities, "
    "analyst calibration and decay from the saved fit, refused if stale or failed."
)


def _tracker(ctx: click.Context) -> Any:
    from forecast.api import Tracker

    obj = ctx.find_root().obj
    if "tracker" not in obj:
        obj["tracker"] = Tracker.open(obj.get("db"))
    return obj["tracker"]


def _time(value: str | None, what: str) -> datetime | None:
    return None if value is None else parse_time(value, what)


def _as_of(value: str | None) -> datetime | None:
    """A bare date means "by the end of that day"; a full time is taken as it is."""
    if value is None:
        return None
    moment = parse_time(value, "--as-of")
    if len(value.strip()) == 10:
        moment += timedelta(days=1, microseconds=-1)
    return moment


def _days(value: str, what: str) -> int:
    number = check_number(value, what)
    if not number.is_integer():
        raise ForecastError(f"{what} must be a whole number of days, not {value}")
    return int(number)


def _pairs(values: tuple[str, ...], what: str) -> list[tuple[str, float]]:
    pairs = []
    for raw in values:
        name, sep, number = raw.rpartition("=")
        if not sep or not name.strip():
            raise ForecastError(f"{what} {raw!r} is not NAME=VALUE")
        pairs.append((name.strip(), check_number(number, f"{what} of {name.strip()!r}")))
    return pairs


def _print_json(data: Any) -> None:
    # Exact data (--json is for programs), with no control character left raw for a terminal.
    click.echo(json_text(json.dumps(data, ensure_ascii=False, indent=2, default=str)))


def _pct(p: float) -> str:
    return "  n/a" if p is None or (isinstance(p, float) and math.isnan(p)) else f"{100 * p:5.1f}%"


# --------------------------------------------------------------------------- root


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--db",
    metavar="URL",
    help=(
        f"SQLAlchemy URL or SQLite file (default: ${settings.DB_ENV}, else "
        f"{settings.DB_FILE} in the data home, ${settings.HOME_ENV})."
    ),
)
@click.version_option(package_name="forecast")
@click.pass_context
def cli(ctx: click.Context, db: str | None) -> None:
    """Track forecasts: questions, evidence, exact Bayesian updates, scores."""
    ctx.obj = {"db": db}


@cli.command()
@click.pass_context
def init(ctx: click.Context) -> None:
    """Create the database, or migrate it to the current schema."""
    from forecast.store import Store

    store = Store(ctx.obj["db"])
    revision = store.upgrade()
    say(f"database ready at {store.display_url} (schema {revision})")


@cli.command()
@click.option(
    "--file",
    "path",
    type=click.Path(dir_okay=False, path_type=Path),
    help=f"Scenario to load (default: the demo scenario, {settings.DEMO_SCENARIO}).",
)
@click.pass_context
def demo(ctx: click.Context, path: Path | None) -> None:
    """Load the demo scenario (safe to run twice)."""
    from forecast import scenario

    path = path or settings.demo_file()
    tracker = _tracker(ctx)
    loaded = scenario.load_all(_read(path), name=path.name)
    history = loaded.history
    present = [q.id for q in history.questions if _exists(tracker, q.id)]
    if present and len(present) == len(history.questions):
        say(f"demo already loaded ({len(present)} questions)")
        return
    if present:
        raise ForecastError(
            f"question {present[0]!r} of the demo exists but others do not: use a fresh database"
        )
    counts = tracker.import_history(history, snapshots=loaded.snapshots)
    say("demo loaded: " + ", ".join(f"{v} {k}" for k, v in counts.items()))


def _exists(tracker: Any, qid: str) -> bool:
    with tracker.store.read() as tx:
        return tx.question(qid) is not None


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ForecastError(f"cannot read {path}: {exc}") from None


# --------------------------------------------------------------------------- questions


@cli.group()
def question() -> None:
    """Add and list questions."""


@question.command("add")
@click.argument("qid", metavar="ID")
@click.option("--title", required=True)
@click.option("--kind", required=True, type=click.Choice([k.value for k in Kind]))
@click.option("--opened", required=True, help="ISO date or time the question opened.")
@click.option("--prior", type=str, help="Prior probability (binary and event).")
@click.option("--prior-note", default="", help="The reference class behind the prior.")
@click.option(
    "--deadline", "deadlines", multiple=True, help="Event deadline (repeat for a ladder)."
)
@click.option("--alpha", type=str, help="Gamma shape of the event rate (default 1).")
@click.option("--option", "options", multiple=True, metavar="NAME=P", help="Choice outcome.")
@click.option("--criteria", default="", help="Resolution criteria.")
@click.option("--tag", "tags", multiple=True)
@click.option("--analyst", help="Who creates it (default: $FORECAST_USER or login).")
@click.pass_context
def question_add(
    ctx: click.Context,
    qid: str,
    title: str,
    kind: str,
    opened: str,
    prior: str | None,
    prior_note: str,
    deadlines: tuple[str, ...],
    alpha: str | None,
    options: tuple[str, ...],
    criteria: str,
    tags: tuple[str, ...],
    analyst: str | None,
) -> None:
    """Add a question."""
    q = Question(
        id=qid,
        title=title,
        kind=Kind(kind),
        opened=parse_time(opened, "--opened"),
        prior=None if prior is None else check_number(prior, "prior"),
        options=tuple(_pairs(options, "--option")),
        deadlines=tuple(parse_time(d, "--deadline") for d in deadlines),
        alpha=None if alpha is None else check_number(alpha, "alpha"),
        criteria=criteria,
        prior_note=prior_note,
        tags=tags,
        created_by=analyst or "",
    )
    q = _tracker(ctx).add_question(q)
    say(f"added question {q.id}")


@question.command("list")
@click.option("--as-of", help="Knowledge time (date = end of that day).")
@click.option("--learned", is_flag=True, help=LEARNED_HELP)
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def question_list(ctx: click.Context, as_of: str | None, learned: bool, as_json: bool) -> None:
    """List questions with their current probability."""
    tracker = _tracker(ctx)
    states = tracker.states(as_of=_as_of(as_of), learned=_fit(tracker, learned))
    rows = [
        {
            "id": s.question.id,
            "title": s.question.title,
            "kind": s.question.kind.value,
            "status": s.status_label,
            "probability": s.probability,
            "opened": iso(s.question.opened),
            "deadlines": [iso(d) for d in s.question.deadlines],
            "last_evidence": None if s.last_evidence is None else iso(s.last_evidence),
            "reports": len(s.contributions),
        }
        for s in states
    ]
    if as_json:
        _print_json(rows)
        return
    for row in rows:
        p = row["probability"]
        shown = (
            ", ".join(f"{k} {_pct(v).strip()}" for k, v in p.items())
            if isinstance(p, dict)
            else _pct(p)
        )
        say(
            f"{row['id']:<28} {row['kind']:<7} {row['status']:<19} {cell(shown)}  "
            f"{cell(row['title'])}"
        )


# --------------------------------------------------------------------------- sources


@cli.group()
def source() -> None:
    """Add, list and re-rate sources."""


@source.command("add")
@click.argument("name")
@click.option("--reliability", required=True, type=str)
@click.option("--type", "type_", default="", help="news agency, official, ...")
@click.pass_context
def source_add(ctx: click.Context, name: str, reliability: str, type_: str) -> None:
    """Add a source with its reliability in [0, 1]."""
    s = _tracker(ctx).add_source(name, check_number(reliability, "reliability"), type_)
    say(f"added source {s.name} (reliability {s.reliability:g})")


@source.command("update")
@click.argument("name")
@click.option("--reliability", type=str)
@click.option("--type", "type_")
@click.option("--reason", required=True)
@click.pass_context
def source_update(
    ctx: click.Context, name: str, reliability: str | None, type_: str | None, reason: str
) -> None:
    """Re-rate a source (a new version; the old one stays readable)."""
    r = None if reliability is None else check_number(reliability, "reliability")
    s = _tracker(ctx).update_source(name, reliability=r, type=type_, reason=reason)
    say(f"source {s.name} is now version {s.version} (reliability {s.reliability:g})")


@source.command("list")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def source_list(ctx: click.Context, as_json: bool) -> None:
    """List sources (latest version of each)."""
    with _tracker(ctx).store.read() as tx:
        latest: dict[str, Any] = {}
        for s in tx.source_versions(None):
            latest[s.name] = s
    rows = [
        {"name": s.name, "type": s.type, "reliability": s.reliability, "version": s.version}
        for s in latest.values()
    ]
    if as_json:
        _print_json(rows)
        return
    for row in rows:
        name, kind = cell(row["name"]), cell(row["type"])
        say(f"{name:<32} {row['reliability']:<6g} v{row['version']}  {kind}")


# --------------------------------------------------------------------------- evidence


def _refuse_logged(_ctx: click.Context, _param: click.Parameter, value: str | None) -> None:
    # Kept (hidden) so that a script still passing --logged stops with the reason, not
    # with click's "no such option" and a usage dump.
    if value is not None:
        raise ForecastError(
            "--logged is not accepted: knowledge times come from the store's clock; "
            "bring in history with `forecast import`"
        )


@cli.group()
def evidence() -> None:
    """Log reports and assessments; correct or retract them."""


@evidence.command("add")
@click.option("--question", "question_id", required=True)
@click.option("--source")
@click.option("--published")
@click.option("--logged", hidden=True, expose_value=False, callback=_refuse_logged)
@click.option("--lr", type=str, help="Likelihood ratio P(report|YES)/P(report|NO).")
@click.option("--strength", help="A word of the Kass-Raftery scale, e.g. strong-against.")
@click.option(
    "--likelihood",
    "likelihoods",
    multiple=True,
    metavar="OPTION=L",
    help="Choice questions: likelihood of an outcome (baseline 1).",
)
@click.option("--by", help="Event questions: the deadline it speaks to (default: the next one).")
@click.option("--around", help="Event questions: the date it points to (a summit set for D).")
@click.option("--within", default="0", help="With --around: give or take these many days.")
@click.option("--origin", default="", help="Underlying source; same origin = echo.")
@click.option("--analyst")
@click.option("--rationale", default="")
@click.option("--title", default="")
@click.option("--summary", default="")
@click.option("--url", default="")
@click.option("--report", "report_id", help="Assess an existing report.")
@click.option("--report-id", "new_report_id", help="Id for the new report (default: generated).")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def evidence_add(
    ctx: click.Context,
    question_id: str,
    source: str | None,
    published: str | None,
    lr: str | None,
    strength: str | None,
    likelihoods: tuple[str, ...],
    by: str | None,
    around: str | None,
    within: str,
    origin: str,
    analyst: str | None,
    rationale: str,
    title: str,
    summary: str,
    url: str,
    report_id: str | None,
    new_report_id: str | None,
    as_json: bool,
) -> None:
    """Log a report (or reuse --report) and assess it against a question."""
    report, assessment = _tracker(ctx).add_evidence(
        question_id,
        source=source,
        published=_time(published, "--published"),
        lr=None if lr is None else check_number(lr, "likelihood ratio"),
        strength=strength,
        likelihoods=_pairs(likelihoods, "--likelihood"),
        by=_time(by, "--by"),
        around=_time(around, "--around"),
        within=_days(within, "--within"),
        analyst=analyst,
        rationale=rationale,
        origin=origin,
        title=title,
        summary=summary,
        url=url,
        report_id=report_id,
        new_report_id=new_report_id,
    )
    if as_json:
        _print_json({"report": report.id, "assessment": assessment.id})
    else:
        say(f"logged report {report.id}, assessment {assessment.id}")


@evidence.command("correct")
@click.argument("assessment_id")
@click.option("--lr", type=str)
@click.option("--strength")
@click.option("--likelihood", "likelihoods", multiple=True, metavar="OPTION=L")
@click.option("--rationale")
@click.option("--reason", required=True, help="Why it changed (kept in the history).")
@click.pass_context
def evidence_correct(
    ctx: click.Context,
    assessment_id: str,
    lr: str | None,
    strength: str | None,
    likelihoods: tuple[str, ...],
    rationale: str | None,
    reason: str,
) -> None:
    """Correct an assessment (a new version; the old one stays readable)."""
    a = _tracker(ctx).correct_assessment(
        assessment_id,
        lr=None if lr is None else check_number(lr, "likelihood ratio"),
        strength=strength,
        likelihoods=_pairs(likelihoods, "--likelihood"),
        rationale=rationale,
        reason=reason,
    )
    say(f"assessment {a.id} is now version {a.version}")


@evidence.command("retract")
@click.argument("assessment_id")
@click.option("--reason", required=True)
@click.pass_context
def evidence_retract(ctx: click.Context, assessment_id: str, reason: str) -> None:
    """Retract an assessment (it stops counting; its history stays)."""
    a = _tracker(ctx).correct_assessment(assessment_id, reason=reason, retract=True)
    say(f"assessment {a.id} retracted (version {a.version})")


@evidence.command("retract-report")
@click.argument("report_id")
@click.option("--reason", required=True)
@click.pass_context
def evidence_retract_report(ctx: click.Context, report_id: str, reason: str) -> None:
    """Retract a report: none of its assessments count any more."""
    r = _tracker(ctx).retract_report(report_id, reason=reason)
    say(f"report {r.id} retracted (version {r.version})")


# --------------------------------------------------------------------------- show, resolve


@cli.command()
@click.argument("qid", metavar="QUESTION")
@click.argument("probability", nargs=-1, required=True)
@click.option("--rationale", default="", help="Why you are now there (kept with it).")
@click.option("--analyst")
@click.option("--dry-run", is_flag=True, help="Show the LR it would store; store nothing.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def judge(
    ctx: click.Context,
    qid: str,
    probability: tuple[str, ...],
    rationale: str,
    analyst: str | None,
    dry_run: bool,
    as_json: bool,
) -> None:
    """Log "I am now at P" (choice questions: OPTION=P ...) as evidence with its implied LR."""
    if len(probability) == 1 and "=" not in probability[0]:
        wanted: float | list[tuple[str, float]] = check_number(probability[0], "probability")
    else:
        wanted = _pairs(probability, "probability")
    logged = _tracker(ctx).judge(qid, wanted, rationale=rationale, analyst=analyst, dry_run=dry_run)
    a = logged.assessments[0]
    implied = a.lr if a.lr is not None else dict(a.likelihoods)
    if as_json:
        _print_json(
            {"report": logged.report.id, "assessment": a.id, "lr": implied, "stored": not dry_run}
        )
        return
    said = "would log" if dry_run else "logged"
    if isinstance(implied, dict):
        text = ", ".join(f"{k} {v:.4g}" for k, v in implied.items())
        say(f"{said} judgement {a.id} (likelihoods {text}) on report {logged.report.id}")
    else:
        say(f"{said} judgement {a.id} (LR {implied:.4g}) on report {logged.report.id}")


@cli.command()
@click.argument("qid", metavar="ID")
@click.option("--as-of", help="Knowledge time: only what was logged by then (date = end of day).")
@click.option("--analyst", help="One analyst's trajectory.")
@click.option("--learned", is_flag=True, help=LEARNED_HELP)
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def show(
    ctx: click.Context,
    qid: str,
    as_of: str | None,
    analyst: str | None,
    learned: bool,
    as_json: bool,
) -> None:
    """A question's probability, trajectory and the reports that moved it."""
    tracker = _tracker(ctx)
    state = tracker.state(qid, as_of=_as_of(as_of), analyst=analyst, learned=_fit(tracker, learned))
    data = state.to_json()
    if as_of is not None and len(as_of.strip()) == 10:
        data["as_of"] = as_of.strip()  # "by the end of that day", as it was asked
    if as_json:
        _print_json(data)
        return
    _print_state(data)


question.add_command(show, "show")  # `forecast question show ID` is `forecast show ID`


def _fit(tracker: Tracker, wanted: bool) -> Learned | None:
    """The saved fit when ``--learned`` asks for it (refused if stale or failed)."""
    return tracker.learned_fit() if wanted else None


def _print_state(data: dict[str, Any]) -> None:
    say(f"{data['id']}: {cell(data['title'])}")
    say(f"  {data['kind']}, {data['status']}, opened {data['opened']}, as of {data['as_of']}")
    trust = data["trust"]
    if trust["learned"]:
        say(f"  learned trust: the fit of {trust['fitted_at'][:16]}")
    p = data["probability"]
    if isinstance(p, dict):
        for name, value in p.items():
            say(f"  {cell(name):<24} {_pct(value)}")
    else:
        say(f"  probability {_pct(p)}")
    for d in data["deadlines"]:
        say(f"    by {d['date']:<12} {_pct(d['probability'])}")
    when = data["when"]
    if when is not None:
        median = when["median"] or "after the last deadline"
        p90 = " to ".join(when["p90"]) if when["p90"] else "reaches past the last deadline"
        beyond = _pct(when["beyond"]).strip()
        say(f"  when: median {median}; 90% {p90}; not by the last deadline: {beyond}")
    rows = [_contribution_row(c) for c in data["contributions"]]
    if not rows:
        return
    say("  evidence:")
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    header = ("published", "report", "source", "step", "without it")
    widths = [max(w, len(h)) for w, h in zip(widths, header, strict=True)]
    for row in (header, *rows):
        say("    " + "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())


def _contribution_row(c: dict[str, Any]) -> tuple[str, ...]:
    if isinstance(c["points"], dict):
        step = " ".join(f"{k} {100 * v:+.1f}" for k, v in c["points"].items())
        without = " ".join(f"{k} {_pct(v).strip()}" for k, v in c["without"].items())
    else:
        step = f"{100 * c['points']:+.1f} pts"
        without = _pct(c["without"]).strip()
    return tuple(cell(x) for x in (c["published"][:10], c["report"], c["source"], step, without))


@cli.command()
@click.argument("qid", metavar="ID")
@click.option("--outcome", required=True, help="yes, no, annulled, or an option name.")
@click.option("--date", "when", required=True)
@click.option("--note", default="")
@click.option("--correct", is_flag=True, help="Replace an earlier resolution (kept in history).")
@click.pass_context
def resolve(
    ctx: click.Context, qid: str, outcome: str, when: str, note: str, correct: bool
) -> None:
    """Resolve a question (or annul it)."""
    res = _tracker(ctx).resolve(qid, outcome, parse_time(when, "--date"), note, correction=correct)
    say(f"resolved {res.question_id}: {res.outcome} on {iso(res.resolved_on)}")


# --------------------------------------------------------------------------- files, dashboard


@cli.command("import")
@click.argument("path", metavar="FILE", type=click.Path(dir_okay=False, path_type=Path))
@click.pass_context
def import_(ctx: click.Context, path: Path) -> None:
    """Import a scenario file: all of it, or nothing."""
    counts = _tracker(ctx).import_scenario(_read(path), name=path.name)
    click.echo("imported " + ", ".join(f"{v} {k}" for k, v in counts.items()))


@cli.command()
@click.argument("path", metavar="FILE", type=click.Path(dir_okay=False, path_type=Path))
@click.pass_context
def export(ctx: click.Context, path: Path) -> None:
    """Export everything, with every version, to a scenario file ('-' for stdout)."""
    text = _tracker(ctx).export_scenario()
    if str(path) == "-":
        click.echo(text, nl=False)
        return
    try:
        _write_atomically(path, text)
    except OSError as exc:
        raise ForecastError(f"cannot write {path}: {exc}") from None
    click.echo(f"exported to {path}")


def _write_atomically(path: Path, text: str) -> None:
    """Write ``path`` whole or not at all: the previous file stays until the new one is done.

    The text goes to a temporary file in the same folder (so the rename stays on one file
    system), is flushed to disk, and then replaces ``path`` in one step (``os.replace``).
    A failed or killed export leaves the previous file as it was.
    """
    import tempfile

    folder = path.parent
    fd, temporary = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        # mkstemp makes the file private; give it the mode a plain write would have.
        try:
            mode = path.stat().st_mode & 0o7777
        except FileNotFoundError:
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


@cli.command()
@click.option("--port", default=8501, show_default=True, type=int)
@click.option(
    "--address",
    metavar="HOST",
    help=(
        f"Address to listen on (default: ${settings.DASHBOARD_ADDRESS_ENV}, else "
        f"{settings.LOCAL_ADDRESS}: this machine "
        "only). 0.0.0.0 serves every network interface: set up sign-in or --viewer first."
    ),
)
@click.option(
    "--viewer",
    is_flag=True,
    help=(
        "Read-only: no page or form that writes "
        f"(sets {settings.DASHBOARD_MODE_ENV}=viewer)."
    ),
)
@click.pass_context
def dashboard(ctx: click.Context, port: int, address: str | None, viewer: bool) -> NoReturn:
    """Start the Streamlit dashboard on the configured database."""
    host = settings.dashboard_address(address)
    tracker = _tracker(ctx)  # fail here, in one line, if the database cannot be opened
    env = {**os.environ, settings.DB_ENV: tracker.store.url}
    if viewer:  # read by dashboards/identity.py
        env[settings.DASHBOARD_MODE_ENV] = "viewer"
    app = settings.dashboard_app()
    cmd = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(app),
        "--server.port",
        str(port),
        "--server.address",
        host,
        # Visitors see "an error occurred", never a traceback (the console keeps it all);
        # the app sets the same itself for `streamlit run dashboards/app.py`.
        "--client.showErrorDetails",
        "none",
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
    ]
    sys.exit(subprocess.call(cmd, env=env))


# --------------------------------------------------------------------------- entry point


def _register_areas() -> None:
    """Add the command groups of the other areas (scores, learning, team) to the root."""
    import importlib

    from forecast.commands import MODULES

    for name in MODULES:
        importlib.import_module(f"forecast.commands.{name}").register(cli)


_register_areas()


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; turn every failure into one line on stderr and an exit status."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", UserWarning)
        try:
            return _run(argv)
        finally:
            for warning in caught:  # one line each, like errors
                say(f"warning: {warning.message}", err=True)


def _run(argv: list[str] | None) -> int:
    try:
        result = cli.main(args=argv, prog_name="forecast", standalone_mode=False)
        return result if isinstance(result, int) else 0
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.UsageError as exc:
        say(f"error: {exc.format_message()}", err=True)
        return 2
    except click.Abort:
        say("error: aborted", err=True)
        return 1
    except ForecastError as exc:
        say(f"error: {exc}", err=True)
        return 1
    except OSError as exc:
        say(f"error: {exc}", err=True)
        return 1
    except Exception as exc:  # a database failure mid-command: still one line
        from sqlalchemy.exc import SQLAlchemyError

        if not isinstance(exc, SQLAlchemyError):
            raise
        say(
            f"error: database: {exc.orig if hasattr(exc, 'orig') else exc!s}".splitlines()[0],
            err=True,
        )
        return 1


if __name__ == "__main__":
    sys.exit(main())
