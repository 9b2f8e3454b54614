"""CLI commands on questions: ``question add|list|show``, ``show`` and ``resolve``."""

from __future__ import annotations

import math
from typing import Any

import click

from forecast import kinds
from forecast.cli.common import knowledge_time, pairs, print_json, tracker
from forecast.clock import iso, parse_time
from forecast.domain import Kind, Question, check_number, check_share
from forecast.terminal import cell, clip, pad, say, table

LEARNED_HELP = (
    "Use the trust learned from the track record (`forecast calibrate`): reliabilities, "
    "analyst calibration and decay from the saved fit, refused if stale or failed; with "
    "the team's recalibrated forecast beside the stated one, where `calibrate` saved one."
)


def register(root: click.Group) -> None:
    """Add this area's commands to the root group."""
    root.add_command(question)
    root.add_command(show)
    root.add_command(resolve)
    root.add_command(search)


def _pct(p: float | None) -> str:
    return "  n/a" if p is None or (isinstance(p, float) and math.isnan(p)) else f"{100 * p:5.1f}%"


# --------------------------------------------------------------------------- question


@click.group()
def question() -> None:
    """Add and list questions."""


@question.command("add")
@click.argument("qid", metavar="ID")
@click.option("--title", required=True)
@click.option(
    "--kind",
    required=True,
    type=click.Choice([k.value for k in kinds.RULES]),
    help="; ".join(f"{k.value}: {r.about}" for k, r in kinds.RULES.items()),
)
@click.option("--opened", required=True, help="ISO date or time the question opened.")
@click.option("--prior", type=str, help="Prior probability (binary and event).")
@click.option("--prior-note", default="", help="The reference class behind the prior.")
@click.option(
    "--deadline", "deadlines", multiple=True, help="Event deadline (repeat for a ladder)."
)
@click.option(
    "--closes", help="Binary and choice: the day it is to be resolved by (events: last deadline)."
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
    closes: str | None,
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
        prior=None if prior is None else check_share(prior, "prior"),
        options=tuple(pairs(options, "--option", check_share)),
        deadlines=tuple(parse_time(d, "--deadline") for d in deadlines),
        closes=None if closes is None else parse_time(closes, "--closes"),
        alpha=None if alpha is None else check_number(alpha, "alpha"),
        criteria=criteria,
        prior_note=prior_note,
        tags=tags,
        created_by=analyst or "",
    )
    q = tracker(ctx).add_question(q)
    say(f"added question {q.id}")


NONE = "none"  # --closes none: take the close date away


@question.command("edit")
@click.argument("qid", metavar="ID")
@click.option("--reason", required=True, help="Why it changes (kept with the new version).")
@click.option("--title")
@click.option("--criteria", help="Resolution criteria.")
@click.option("--prior-note", help="The reference class behind the prior.")
@click.option("--tag", "tags", multiple=True, help="The tags, all of them (repeat).")
@click.option("--no-tags", is_flag=True, help="Take every tag away.")
@click.option("--closes", help=f"Binary and choice: the new close date, or {NONE!r}.")
@click.option(
    "--deadline", "deadlines", multiple=True, help="Event: the deadlines, all of them (repeat)."
)
@click.option("--prior", type=str, help="Binary and event: the new prior.")
@click.option(
    "--option", "options", multiple=True, metavar="NAME=P", help="Choice: every option's prior."
)
@click.option("--dry-run", is_flag=True, help="Show what would change and store nothing.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def question_edit(
    ctx: click.Context,
    qid: str,
    reason: str,
    title: str | None,
    criteria: str | None,
    prior_note: str | None,
    tags: tuple[str, ...],
    no_tags: bool,
    closes: str | None,
    deadlines: tuple[str, ...],
    prior: str | None,
    options: tuple[str, ...],
    dry_run: bool,
    as_json: bool,
) -> None:
    """Edit a question: a new version, with the old ones kept (see `question history`).

    A change of deadlines or prior is a model change: the forecast is computed anew from
    the opening, and the command shows how it moves (use --dry-run to see it first).
    """
    if tags and no_tags:
        raise click.UsageError("give --tag or --no-tags, not both")
    changes: dict[str, Any] = {
        k: v
        for k, v in {"title": title, "criteria": criteria, "prior_note": prior_note}.items()
        if v is not None
    }
    if tags or no_tags:
        changes["tags"] = tags
    if closes is not None:
        changes["closes"] = None if closes.strip() == NONE else parse_time(closes, "--closes")
    if deadlines:
        changes["deadlines"] = [parse_time(d, "--deadline") for d in deadlines]
    if prior is not None:
        changes["prior"] = check_share(prior, "prior")
    if options:
        changes["options"] = tuple(pairs(options, "--option", check_share))
    if not changes:
        raise click.UsageError(
            "say what changes: --title, --criteria, --prior-note, --tag/--no-tags, --closes, "
            "--deadline, --prior or --option"
        )
    edit = tracker(ctx).edit_question(qid, reason=reason, preview=dry_run, **changes)
    if as_json:
        print_json({**edit.to_json(), "stored": not dry_run})
        return
    data = edit.to_json()
    verb = "would become" if dry_run else "is now"
    say(f"question {qid} {verb} version {edit.after.version}:")
    for field in edit.changed:
        before, after = data["before"][field], data["after"][field]
        say(f"  {field.replace('_', ' ')}: {cell(_shown(before))} -> {cell(_shown(after))}")
    if edit.model_change:
        say("  model change: the forecast is computed anew from the opening")
        was, now = dict(edit.was), dict(edit.now)
        for what in dict.fromkeys([*was, *now]):
            say(f"    {pad(cell(what), 24)} {_pct(was.get(what))} -> {_pct(now.get(what))}")
    if dry_run:
        say("nothing stored (--dry-run)")


def _shown(value: Any) -> str:
    if value is None or value == "" or value == []:
        return "(none)"
    if isinstance(value, dict):
        return ", ".join(f"{k}={v:g}" for k, v in value.items())
    if isinstance(value, list):
        return ", ".join(map(str, value))
    return str(value)


@question.command("history")
@click.argument("qid", metavar="ID")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def question_history(ctx: click.Context, qid: str, as_json: bool) -> None:
    """Every version of a question: as created, then each edit with who, when and why."""
    from forecast import audit

    opened = tracker(ctx)
    opened.question(qid)  # NotFound first, with its one-line message
    entries = [e for e in audit.trail(opened.history([qid])) if e.kind == "question"]
    if as_json:
        print_json([e.to_json() for e in entries])
        return
    for e in entries:
        say(e.line())


@question.command("list")
@click.option("--as-of", help="Knowledge time (date = end of that day).")
@click.option("--learned", is_flag=True, help=LEARNED_HELP)
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def question_list(ctx: click.Context, as_of: str | None, learned: bool, as_json: bool) -> None:
    """List questions with their current probability."""
    from forecast import recalibrated

    opened = tracker(ctx)
    cutoff = knowledge_time(as_of)
    found = recalibrated.learning(opened) if learned else None
    fit = found.fit if found else None
    states = opened.states(as_of=cutoff, learned=fit)
    team = found.team if found else None
    # the recalibration reads stated forecasts: with learned trust, the stated states too
    stated = states if team is None or fit is None else opened.states(as_of=cutoff)
    beside = {s.question.id: recalibrated.beside(s, team) for s in stated} if team else {}
    rows: list[dict[str, Any]] = [
        {
            "id": s.question.id,
            "title": s.question.title,
            "kind": s.question.kind.value,
            "status": s.status_label,
            "probability": s.probability,
            "of": s.headline.label,  # an event's number is P(by this deadline)
            "opened": iso(s.question.opened),
            "deadlines": [iso(d) for d in s.question.deadlines],
            "last_evidence": None if s.last_evidence is None else iso(s.last_evidence),
            "reports": len(s.contributions),
            "stale": s.stale(),
            **({"recalibrated": beside.get(s.question.id)} if found is not None else {}),
        }
        for s in states
    ]
    if as_json:
        print_json(rows)
        return
    if found is not None and found.refused is not None:
        say(f"learned trust not used: {found.refused}")
    if team is not None and not team.offered:
        say(f"team recalibration not shown: {team.reason}")
    for row in rows:
        p = row["probability"]
        shown = (
            ", ".join(f"{k} {_pct(v).strip()}" for k, v in p.items())
            if isinstance(p, dict)
            else f"{_pct(p)} {row['of']}".rstrip()
        )
        r = row.get("recalibrated")
        if r is not None and r["offered"]:
            shown += f" (recalibrated {_pct(r['probability']).strip()})"
        say(
            f"{pad(cell(row['id']), 28)} {row['kind']:<7} {row['status']:<19} {cell(shown)}  "
            f"{cell(row['title'])}"
        )


# --------------------------------------------------------------------------- show

TITLE_COLUMNS = 48  # a report's title in the evidence table, cut with an ellipsis beyond


@click.command()
@click.argument("qid", metavar="ID")
@click.option("--as-of", help="Knowledge time: only what was logged by then (date = end of day).")
@click.option("--analyst", help="One analyst's trajectory.")
@click.option("--learned", is_flag=True, help=LEARNED_HELP)
@click.option(
    "--band",
    is_flag=True,
    help="With --learned's trust, the 90% credible band of the headline over the saved "
    "fit's draws (binary and event questions; implies --learned).",
)
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def show(
    ctx: click.Context,
    qid: str,
    as_of: str | None,
    analyst: str | None,
    learned: bool,
    band: bool,
    as_json: bool,
) -> None:
    """A question's probability, trajectory and the reports that moved it."""
    from forecast import recalibrated

    opened = tracker(ctx)
    cutoff = knowledge_time(as_of)
    found = recalibrated.learning(opened) if learned or band else None
    fit = opened.learned_fit() if band else found.fit if found else None  # a band needs it
    state = opened.state(qid, as_of=cutoff, analyst=analyst, learned=fit)
    data = state.to_json()
    if band:
        drawn = opened.band(qid, as_of=state.as_of, analyst=analyst)
        data["band"] = {
            "prob": drawn.prob,
            "days": [iso(day) for day in state.trajectory.days],
            **{k: getattr(drawn, k).tolist() for k in ("low", "median", "high")},
        }
    if found is not None and found.refused is not None:
        data["trust"]["refused"] = found.refused
    if found is not None:  # the team's (or the analyst's) forecast, recalibrated beside it
        stated = state if fit is None else opened.state(qid, as_of=cutoff, analyst=analyst)
        beside = recalibrated.beside(stated, found.team, analyst=analyst)
        if beside is not None:
            data["recalibrated"] = beside
    if state.alone is not None and analyst is None and fit is None:  # stated values
        linked = {x.question.id: x for x in opened.linked(state.as_of)}
        if qid in linked:
            data["linked"] = linked[qid].to_json()
    if as_of is not None and len(as_of.strip()) == 10:
        data["as_of"] = as_of.strip()  # "by the end of that day", as it was asked
    if as_json:
        print_json(data)
        return
    _print_state(data)


question.add_command(show, "show")  # `forecast question show ID` is `forecast show ID`


def _print_state(data: dict[str, Any]) -> None:
    say(f"{data['id']}: {cell(data['title'])}")
    say(f"  {data['kind']}, {data['status']}, opened {data['opened']}, as of {data['as_of']}")
    if data["version"] > 1:
        say(f"  version {data['version']}, edited {data['edited'][:10]} (`question history`)")
    if data["closes"] is not None and data["outcome"] is None:
        left = data["days_left"]
        when = f"{left} days left" if left > 0 else "today" if left == 0 else f"{-left} days ago"
        say(f"  closes {data['closes'][:10]} ({when})")
    trust = data["trust"]
    if trust["learned"]:
        say(f"  learned trust: the fit of {trust['fitted_at'][:16]}")
    if trust.get("refused"):
        say(f"  learned trust not used: {trust['refused']}")
    p = data["probability"]
    if isinstance(p, dict):
        for name, value in p.items():
            say(f"  {pad(cell(name), 24)} {_pct(value)}")
    else:
        say(f"  probability {_pct(p)} {data['headline']['of']}".rstrip())
    if "band" in data:
        b = data["band"]
        low, high = _pct(b["low"][-1]).strip(), _pct(b["high"][-1]).strip()
        say(f"  {b['prob']:.0%} credible band {low} to {high} (the saved fit's draws)")
    if "recalibrated" in data:
        say(f"  {_recalibrated_line(data['recalibrated'])}")
    for d in data["deadlines"]:
        say(f"    by {d['date']:<12} {_pct(d['probability'])}")
    if data["alone"] is not None:
        value = data["alone"]
        shown = (
            ", ".join(f"{cell(k)} {_pct(v).strip()}" for k, v in value.items())
            if isinstance(value, dict)
            else _pct(value).strip()
        )
        near = ", ".join(data["linked_to"])
        say(f"  on its own evidence: {shown} (linked to {cell(near)}: `forecast links`)")
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
    header = ("published", "step", "without it", "source", "report", "title")
    for line in table((header, *rows), indent="    "):
        say(line)


def _recalibrated_line(r: dict[str, Any]) -> str:
    if not r["offered"]:
        return f"team recalibration not shown: {r['reason']}"
    groups = ", ".join([
        f"author {cell(r['author'])}",
        *(f"tag {cell(t)}" for t in r["tags"]),
        *(f"analyst {cell(a)} {w:.0%}" for a, w in r["analysts"].items()),
    ])  # fmt: skip
    b = r["band"]
    band = (
        "" if b is None
        else f"; {b['prob']:.0%} band {_pct(b['low']).strip()} to {_pct(b['high']).strip()}"
    )  # fmt: skip
    return (
        f"recalibrated by the team's track record: {_pct(r['probability']).strip()} "
        f"(stated {_pct(r['stated']).strip()}{band}; log-odds x {r['slope']:.2f} "
        f"{r['shift']:+.2f} for {groups})"
    )


def _contribution_row(c: dict[str, Any]) -> tuple[str, ...]:
    if isinstance(c["points"], dict):
        step = " ".join(f"{k} {100 * v:+.1f}" for k, v in c["points"].items())
        without = " ".join(f"{k} {_pct(v).strip()}" for k, v in c["without"].items())
    else:
        step = f"{100 * c['points']:+.1f} pts"
        without = _pct(c["without"]).strip()
    title = clip((f"via {c['via']}: " if c.get("via") else "") + c["title"], TITLE_COLUMNS)
    return tuple(
        cell(x) for x in (c["published"][:10], step, without, c["source"], c["report"], title)
    )


# --------------------------------------------------------------------------- search


@click.command()
@click.argument("words", nargs=-1, required=True)
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 1000))
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def search(ctx: click.Context, words: tuple[str, ...], limit: int, as_json: bool) -> None:
    """Questions, reports and rationales whose text has every word (by prefix, any case)."""
    hits = tracker(ctx).search(" ".join(words), limit=limit)
    if as_json:
        print_json([h.to_json() for h in hits])
        return
    if not hits:
        say("nothing matches")
        return
    rows = [
        (h.kind, h.id, ", ".join(h.questions), clip(h.title, TITLE_COLUMNS)
         + (" (retracted)" if h.retracted else ""))
        for h in hits
    ]  # fmt: skip
    for line in table((("kind", "id", "questions", "title"), *rows)):
        say(line)


# --------------------------------------------------------------------------- resolve


@click.command()
@click.argument("qid", metavar="ID")
@click.option("--outcome", required=True, help="yes, no, annulled, or an option name.")
@click.option("--date", "when", required=True)
@click.option(
    "--event-date",
    "event",
    help="Event questions resolved yes: the day it happened, if not --date.",
)
@click.option("--note", default="")
@click.option("--correct", is_flag=True, help="Replace an earlier resolution (kept in history).")
@click.pass_context
def resolve(
    ctx: click.Context, qid: str, outcome: str, when: str, event: str | None, note: str,
    correct: bool,
) -> None:  # fmt: skip
    """Resolve a question (or annul it)."""
    res = tracker(ctx).resolve(
        qid, outcome, parse_time(when, "--date"), note, correction=correct,
        event_on=None if event is None else parse_time(event, "--event-date"),
    )  # fmt: skip
    happened = "" if res.event_on is None else f" (it happened on {iso(res.event_on)})"
    say(f"resolved {res.question_id}: {res.outcome} on {iso(res.resolved_on)}{happened}")
