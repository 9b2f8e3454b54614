"""Scenario: the linked questions as a graph, with their linked forecasts, as of the sidebar's
date; the links' tables; coherence (a child's stated prior far from the one its links imply);
and, for writers, a form that links two questions, showing the child's implied prior beside
its stated one as the probabilities are typed.

The forecasts here are the network's (``Tracker.linked``): each question's own evidence,
counted once across the group, carried through the links. The question pages still show
each question's forecast on its own evidence.
"""

from __future__ import annotations

import textwrap
from datetime import timedelta
from typing import Any

import pandas as pd
import streamlit as st

from dashboards import asof, components, forms, identity, state
from dashboards.text import clip, day, md
from forecast import kinds, linking
from forecast.api import LinkedQuestion
from forecast.domain import ForecastError, Question
from forecast.links import QuestionLink

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
    """The question's forecast day by day: alone, and with its links."""
    days, series = state.linked_series(asof.current())
    linked = series.get(x.question.id, [])
    if not linked:
        return
    own = state.state(x.question.id, asof.current()).headline_series()
    first = x.question.opened.date()
    shown = [(d.date(), r.headline) for d, r in zip(days, linked, strict=True)
             if d.date() >= first]  # fmt: skip
    if isinstance(shown[0][1], dict):
        frame = pd.DataFrame([{"day": d, **h} for d, h in shown]).set_index("day")
    else:
        alone = [*own, *[None] * len(shown)][: len(shown)]  # ends at a resolution
        frame = pd.DataFrame(
            {"with its links": [h for _, h in shown], "alone": alone},
            index=[d for d, _ in shown],
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


def _form(questions: dict[str, Question]) -> None:
    st.markdown("**Link two questions** (a child with several parents: `forecast link`)")
    ids = list(questions)
    left, right = st.columns(2)
    label = {i: f"{clip(questions[i].title, 70)} ({i})" for i in ids}
    parent = left.selectbox("Parent", ids, index=None, key=f"{FORM}_parent",
                            format_func=label.get)  # fmt: skip
    child = right.selectbox("Child", ids, index=None, key=f"{FORM}_child",
                            format_func=label.get)  # fmt: skip
    if parent is None or child is None:
        return
    p, c = questions[parent], questions[child]
    by = None
    if kinds.has_ladder(p):
        by = st.selectbox(md(f"“Yes” for {parent} means: happened by"), list(p.deadlines),
                          key=f"{FORM}_by_{parent}", format_func=day)  # fmt: skip
    wanted = linking.child_values(c)
    typed: list[tuple[str, str]] = []
    for s in linking.states(p):
        cols = st.columns(len(wanted))
        values = [
            col.text_input(md(f"P({child}: {w} | {parent}: {s})" if len(wanted) > 1
                              else f"P({child} | {parent}: {s})"),
                           key=f"{FORM}_{parent}_{child}_{s}_{w}", placeholder="e.g. 0.6")
            for col, w in zip(cols, wanted, strict=True)
        ]  # fmt: skip
        if all(v.strip() for v in values):
            text = values[0] if len(wanted) == 1 else ",".join(
                f"{w}:{v}" for w, v in zip(wanted, values, strict=True)
            )  # fmt: skip
            typed.append((s, text))
    if len(typed) < len(linking.states(p)):
        st.caption("Type the child's probability for every state of the parent.")
        return
    with forms.reporting():
        given = linking.read_statements(c, typed)
        implied = state.implied_prior([parent], child, given, by=[by])
        st.info(
            md(f"{child}: implied prior {_p(implied.headline)}; stated prior "
               f"{_p(linking.stated_prior(c))}."),
            icon=":material/account_tree:",
        )  # fmt: skip
        reason = st.text_input("Reason", key=f"{FORM}_reason")
        if st.button("Save link", key="link_save", type="primary"):
            stored = state.link([parent], child, given, by=[by], reason=reason)
            forms.flash(md(f"Linked {child} to {parent} (version {stored.version})."))
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
