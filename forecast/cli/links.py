"""CLI commands on linked questions: ``link``, ``unlink`` and ``links`` (the linked questions
with their stated and implied priors, and their forecasts on their own evidence and with
their links)."""

from __future__ import annotations

from typing import Any

import click

from forecast import linking
from forecast.cli.common import knowledge_time, print_json, tracker
from forecast.clock import iso, parse_time
from forecast.errors import ForecastError
from forecast.terminal import cell, say, table


def register(root: click.Group) -> None:
    """Add this area's commands to the root group."""
    root.add_command(link)
    root.add_command(unlink)
    root.add_command(links)


@click.command()
@click.argument("parents", metavar="PARENT[,PARENT...]")
@click.argument("child")
@click.option("--if-yes", "if_yes", help="The child's probability if the parent happens.")
@click.option("--if-no", "if_no", help="The child's probability if it does not.")
@click.option(
    "--if", "statements", multiple=True, metavar="STATES=VALUE",
    help="The child's probability given these states of the parents (joined by | in their "
    "order): an option of a choice parent, or yes/no. A choice child takes OPTION:P,OPTION:P.",
)  # fmt: skip
@click.option(
    "--by", "deadlines", multiple=True, metavar="[PARENT=]DATE",
    help="An event parent's yes means: happened by this day (default: its first deadline).",
)  # fmt: skip
@click.option("--reason", default="")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def link(
    ctx: click.Context, parents: str, child: str, if_yes: str | None, if_no: str | None,
    statements: tuple[str, ...], deadlines: tuple[str, ...], reason: str, as_json: bool,
) -> None:  # fmt: skip
    """Link a child question to its parent(s): P(child | each state of the parents)."""
    the_tracker = tracker(ctx)
    parent_ids = [p.strip() for p in parents.split(",") if p.strip()]
    typed = [s.rpartition("=")[::2] for s in statements]
    if any(not combo for combo, _ in typed):
        raise ForecastError("--if takes STATES=VALUE, e.g. --if yes=0.8")
    for state, value in (("yes", if_yes), ("no", if_no)):
        if value is not None:
            typed.append((state, value))
    if not typed:
        raise ForecastError("give the child's probability per state: --if-yes P --if-no P")
    given = linking.read_statements(the_tracker.question(child), typed)
    stored = the_tracker.link(
        parent_ids, child, given, by=_deadlines(parent_ids, deadlines), reason=reason
    )
    if as_json:
        print_json(_link_json(stored))
        return
    say(f"linked {child} to {', '.join(parent_ids)} (version {stored.version})")


def _deadlines(parents: list[str], typed: tuple[str, ...]) -> list[Any]:
    by: dict[str, Any] = dict.fromkeys(parents)
    for entry in typed:
        name, sep, day = entry.rpartition("=")
        if not sep:
            if len(parents) != 1:
                raise ForecastError("with several parents, say whose deadline: --by PARENT=DATE")
            name, day = parents[0], entry
        if name not in by:
            raise ForecastError(f"--by {entry}: {name!r} is not a parent of this link")
        by[name] = parse_time(day, "--by")
    return [by[p] for p in parents]


def _link_json(x: Any) -> dict[str, Any]:
    return {
        "child": x.child,
        "parents": list(x.parents),
        "by": [None if d is None else iso(d) for d in x.by],
        "given": [{"states": list(c), "child": list(v)} for c, v in x.given],
        "version": x.version,
        "logged_at": None if x.logged_at is None else iso(x.logged_at),
        "logged_by": x.logged_by,
        "reason": x.reason,
    }


@click.command()
@click.argument("child")
@click.option("--reason", required=True)
@click.pass_context
def unlink(ctx: click.Context, child: str, reason: str) -> None:
    """Remove a child's links (kept in the history)."""
    tracker(ctx).unlink(child, reason=reason)
    say(f"removed the links of {child}")


@click.command()
@click.option("--as-of", "as_of", help="Knowledge time (a bare date: the end of that day).")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def links(ctx: click.Context, as_of: str | None, as_json: bool) -> None:
    """The linked questions: stated and implied priors, forecasts alone and linked."""
    the_tracker = tracker(ctx)
    when = knowledge_time(as_of)
    found = the_tracker.linked(when)
    if as_json:
        print_json(
            {
                "links": [_link_json(x) for x in the_tracker.links(when)],
                "questions": [
                    x.to_json()
                    for x in found
                ],
            }
        )
        return
    if not found:
        say("no linked questions: forecast link PARENT CHILD --if-yes P --if-no P")
        return
    rows = [["question", "parents", "stated prior", "implied prior", "alone", "linked"]]
    for x in found:
        flag = " (!)" if x.incoherent else ""
        rows.append([
            x.question.id, ", ".join(x.parents) or "-", _p(x.stated_prior),
            _p(x.implied_prior.headline) + flag, _p(x.own.headline), _p(x.linked.headline),
        ])  # fmt: skip
    for line in table(rows, "  "):
        say(line)
    if any(x.incoherent for x in found):
        say(
            f"(!) the stated prior is {linking.INCOHERENT:.0%} or more from the one its links "
            "imply: check the links or the prior"
        )
    say("alone: on the question's own evidence; linked: with what its links carry")
    say(f"why (each report's part in the linked forecast, the largest {WHY} per question):")
    for x in found:
        parts = [_why(x.question.id, w) for w in x.why[:WHY] if _points(w.change)]
        if parts:
            say(f"  {x.question.id}: {'; '.join(parts)}")


WHY = 3  # reports shown per question


def _points(change: float | dict[str, float]) -> float:
    """The change in points (choice: of the option that moved most, signed)."""
    if isinstance(change, dict):
        change = max(change.values(), key=abs)
    return 100 * change


def _why(qid: str, w: Any) -> str:
    via = "" if w.via == qid else f" via {w.via}"
    option = ""
    if isinstance(w.change, dict):
        option = f" ({cell(max(w.change, key=lambda k: abs(w.change[k])))})"
    return f"{_points(w.change):+.1f} pts{option} from {', '.join(w.reports)}{via}"


def _p(value: float | dict[str, float]) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{cell(k)} {v:.1%}" for k, v in value.items())
    return f"{value:.1%}"
