"""Scenario: the linked questions as a graph, with their linked forecasts, as of the sidebar's
date; the links' tables; coherence (a child's stated prior far from the one its links imply);
and, for writers, a form that links a child to its parents (a row per combination of their
states, up to :data:`MAX_COMBINATIONS`; a larger table is for ``forecast link``), showing the
child's implied prior beside its stated one as the probabilities are typed.

The forecasts here are the network's (``Tracker.linked``): each question's own evidence,
counted once across the group, carried through the links. They are the ones every page
shows; the chart sets them beside each question's forecast on its own evidence.
"""

from __future__ import annotations

import itertools
import textwrap
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

from dashboards import asof, components, forms, identity, state
from dashboards.text import clip, day, md
from forecast import kinds, linking
from forecast.api import LinkedQuestion
from forecast.domain import ForecastError, Question
from forecast.links import YES, QuestionLink

WEEK = timedelta(days=7)
WRAP = 36  # characters per line of a question's title in the graph
FORM = "link"


def _p(value: float | dict[str, float]) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k} {v:.0%}" for k, v in value.items())
    return f"{value:.1%}"


def _lead(value: float | dict[str, float]) -> float:
    """One number to follow week on week: P(yes), or the first option's probability."""
    return next(iter(value.values())) if isinstance(value, dict) else value


def dot_text(text: str) -> str:
    """Text inside a double-quoted DOT string: quotes and backslashes escaped, one line."""
    return " ".join(text.split()).replace("\\", "\\\\").replace('"', '\\"')


def _graph(found: list[LinkedQuestion], links: list[QuestionLink], before: dict[str, Any]) -> str:
    lines = [
        "digraph scenario {",
        "rankdir=TB;",
        'node [shape=box, style=rounded, fontsize=11, fontname="sans-serif"];',
        'edge [fontsize=10, fontname="sans-serif"];',
    ]
    for x in found:
        now = x.linked.headline
        change = ""
        if x.question.id in before:
            delta = 100 * (_lead(now) - _lead(before[x.question.id]))
            change = f" ({delta:+.1f} pts in 7 days)"
        flag = "\\n(!) stated prior far from implied" if x.incoherent else ""
        title = "\\n".join(dot_text(line) for line in textwrap.wrap(x.question.title, WRAP))
        label = f"{title}\\n{dot_text(_p(now))}{change}{flag}"
        lines.append(f'"{dot_text(x.question.id)}" [label="{label}"];')
    children = {x.question.id: x.question for x in found}
    for link in links:
        names = linking.child_values(children[link.child])
        for parent in link.parents:
            rows = "\\n".join(
                dot_text(f"{'|'.join(combo)}: {_given(names, values)}")
                for combo, values in link.given
            )
            lines.append(f'"{dot_text(parent)}" -> "{dot_text(link.child)}" [label="{rows}"];')
    lines.append("}")
    return "\n".join(lines)


def _given(names: tuple[str, ...], values: tuple[float, ...]) -> str:
    """A link's values for one combination: P, or a choice child's options with theirs."""
    if len(values) == 1:
        return f"{values[0]:.0%}"
    return ", ".join(f"{n} {v:.0%}" for n, v in zip(names, values, strict=True) if v > 0)


def _table(found: list[LinkedQuestion]) -> None:
    components.table(
        [
            {
                "question": x.question.id,
                "parents": ", ".join(x.parents) or "none",
                "stated prior": _p(x.stated_prior),
                "implied prior": _p(x.implied_prior.headline) + (" (!)" if x.incoherent else ""),
                "alone": _p(x.own.headline),
                "linked": _p(x.linked.headline),
            }
            for x in found
        ],
        hide_index=True,
        width="stretch",
    )


def _chart(x: LinkedQuestion) -> None:
    """The question's forecast day by day: alone, and with its links (its state's)."""
    s = state.state(x.question.id, asof.current())
    if s.alone is None:
        return
    days = [d.date() for d in s.trajectory.days]
    if kinds.has_options(x.question):
        frame = pd.DataFrame(
            np.asarray(s.trajectory.probability), index=days, columns=list(x.question.option_names)
        )
    else:
        alone = np.asarray(s.alone.probability, dtype=float)
        frame = pd.DataFrame(
            {"with its links": s.headline_series(), "alone": alone[: len(days)]}, index=days
        )
    st.line_chart(frame, y_label="probability", height=260)


def _why(found: list[LinkedQuestion]) -> None:
    """Each report's part in one linked question's forecast (leave-one-out)."""
    by_id = {x.question.id: x for x in found}
    qid = st.selectbox(
        "Why it stands where it does",
        list(by_id),
        key="scenario_why",
        format_func=lambda i: f"{clip(by_id[i].question.title, 80)} ({i})",
    )
    x = by_id[qid]
    _chart(x)
    rows = []
    for w in x.why:
        change = w.change
        option = ""
        if isinstance(change, dict):
            option = max(change, key=lambda k: abs(change[k]))
            change = change[option]
        rows.append(
            {
                "reports": ", ".join(w.reports),
                "counted on": w.via if w.via != qid else "this question",
                "option": option,
                "change (pts)": round(100 * change, 2),
            }
        )
    if not rows:
        st.caption("No report bears on it or on the questions it is linked to.")
        return
    components.table(rows, hide_index=True, width="stretch")
    st.caption(
        "Each report's part: the linked forecast with it minus without it. A report counted "
        "on another question reaches this one through the links."
    )


MAX_COMBINATIONS = 16  # rows of the form's table; a larger table is typed in the CLI


def _form(questions: dict[str, Question]) -> None:
    st.markdown("**Link questions**: a child and its parents")
    ids = list(questions)
    label = {i: f"{clip(questions[i].title, 70)} ({i})" for i in ids}
    left, right = st.columns(2)
    child = right.selectbox("Child", ids, index=None, key=f"{FORM}_child",
                            format_func=label.get)  # fmt: skip
    # A child is not offered as its own parent (picked after, it leaves the parents).
    parents = left.multiselect(
        "Parents", [i for i in ids if i != child], key=f"{FORM}_parents",
        format_func=label.get, wrap=True,  # every parent in sight, in its order
        help="In the order chosen: each row names their states in it.",
    )  # fmt: skip
    if not parents or child is None:
        return
    by = _deadlines([questions[p] for p in parents])
    given = _table_typed(questions, parents, questions[child], by)
    if given is not None:
        _preview(parents, questions[child], given, by)


def _deadlines(parents: list[Question]) -> list[datetime | None]:
    """Per parent, the deadline an event parent's "yes" means (others: None)."""
    by: list[datetime | None] = []
    for p in parents:
        if not kinds.has_ladder(p):
            by.append(None)
            continue
        by.append(st.selectbox(md(f"“Yes” for {p.id} means: happened by"), list(p.deadlines),
                               key=f"{FORM}_by_{p.id}", format_func=day))  # fmt: skip
    return by


def _condition(parents: list[Question], combo: tuple[str, ...], by: list[Any]) -> str:
    """One combination of the parents' states in words: "a = yes and b = budapest"."""
    parts = []
    for p, s, d in zip(parents, combo, by, strict=True):
        when = "" if d is None else f" ({'' if s == YES else 'not '}by {day(d)})"
        parts.append(f"{p.id} = {s}{when}")
    return " and ".join(parts)


def _table_typed(
    questions: dict[str, Question], parents: list[str], child: Question, by: list[Any]
) -> list[tuple[str, str]] | None:
    """The child's probabilities as typed, one row per combination of the parents' states
    (STATES joined by "|", VALUE as ``linking.read_statements`` reads it), or None until
    every field holds a value."""
    ps = [questions[p] for p in parents]
    combos = list(itertools.product(*(linking.states(p) for p in ps)))
    if len(combos) > MAX_COMBINATIONS:
        st.warning(
            md(f"These parents have {len(combos)} combinations of states; the form takes "
               f"up to {MAX_COMBINATIONS}. Use the CLI: forecast link {','.join(parents)} "
               f"{child.id} --if STATES=VALUE ..."),
            icon=":material/table_rows:",
        )  # fmt: skip
        return None
    wanted = linking.child_values(child)
    stated = linking.stated_prior(child)
    default = stated if isinstance(stated, dict) else {YES: stated}
    widths = [3, *[1] * len(wanted)]
    head = st.columns(widths)
    head[0].caption("The parents' states")
    for col, w in zip(head[1:], wanted, strict=True):
        col.caption(md(f"P({child.id}: {w})" if len(wanted) > 1 else f"P({child.id})"))
    typed: list[tuple[str, str]] = []
    for combo in combos:
        cols = st.columns(widths, vertical_alignment="center")
        cols[0].markdown(md(f"If {_condition(ps, combo, by)}"))
        given = ", ".join(f"{p}: {s}" for p, s in zip(parents, combo, strict=True))
        values = [
            col.text_input(md(f"P({child.id}: {w} | {given})" if len(wanted) > 1
                              else f"P({child.id} | {given})"),
                           value=repr(float(default[w])), label_visibility="collapsed",
                           key=f"{FORM}_{','.join(parents)}_{child.id}_{'|'.join(combo)}_{w}")
            for col, w in zip(cols[1:], wanted, strict=True)
        ]  # fmt: skip
        if all(v.strip() for v in values):
            text = values[0] if len(wanted) == 1 else ",".join(
                f"{w}:{v}" for w, v in zip(wanted, values, strict=True)
            )  # fmt: skip
            typed.append(("|".join(combo), text))
    if len(typed) < len(combos):
        st.caption("Type the child's probability for every combination of the parents' states.")
        return None
    return typed


def _preview(parents: list[str], c: Question, typed: list[tuple[str, str]], by: list[Any]) -> None:
    """The child's implied prior beside its stated one, and the save button."""
    with forms.reporting():
        given = linking.read_statements(c, typed)
        implied = state.implied_prior(parents, c.id, given, by=by)
        stated = linking.stated_prior(c)
        st.info(
            md(f"{c.id}: implied prior {_p(implied.headline)}; stated prior {_p(stated)}."),
            icon=":material/account_tree:",
        )
        if linking.apart(implied.headline, stated):
            st.warning(
                f"(!) The stated prior is {linking.INCOHERENT:.0%} or more from the one these "
                "links imply: check the links or the prior.",
                icon=":material/warning:",
            )
        reason = st.text_input("Reason", key=f"{FORM}_reason")
        if st.button("Save link", key="link_save", type="primary"):
            stored = state.link(parents, c.id, given, by=by, reason=reason)
            forms.flash(md(f"Linked {c.id} to {', '.join(parents)} (version {stored.version})."))
            st.rerun()


st.title("Scenario")
forms.show_flash()
today = asof.current()
try:
    found = state.linked(today)
    links = state.links(today)
    before = {x.question.id: x.linked.headline for x in state.linked(today - WEEK)}
except ForecastError as exc:
    st.error(md(str(exc)), icon=":material/error:")
    found, links, before = [], [], {}
if found:
    st.graphviz_chart(_graph(found, links, before), width="content")
    _table(found)
    if any(x.incoherent for x in found):
        st.warning(
            f"(!) A child's stated prior is {linking.INCOHERENT:.0%} or more from the one its "
            "links imply: check the links or the prior.",
            icon=":material/warning:",
        )
    st.caption(
        "Alone: on the question's own evidence. Linked: with what its links carry (a report "
        "assessed against several linked questions counts once). The question pages show "
        "the forecast alone."
    )
    _why(found)
else:
    st.info(md(f"No linked questions as of {today.isoformat()}."))
if identity.can_write():
    _form({q.id: q for q in state.questions()})
