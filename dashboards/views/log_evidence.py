"""Log evidence: record a report once and judge it against one or several questions, or
log a probability judgement ("I am now at P"), shown with its implied LR before it is saved.

For an event question a report points to the next deadline (the default), to a deadline of
the ladder, or to a date give or take some days; the library checks every value.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import streamlit as st

from dashboards import asof, components, forms, frames, identity, state
from dashboards.text import clip, day, md, pct
from forecast import kinds
from forecast.api import Judgement, Logged
from forecast.domain import ForecastError, Question, check_number, check_share
from forecast.scales import SCALE, SCALE_NAME

FORM = "log"  # prefix of every widget key of the form (with its generation)
JUDGE = "judge"  # the same for the probability-judgement form
MODE = "log_mode"  # session_state key of the page's mode
REPORT, JUDGEMENT = "A report", "A probability judgement (I am now at P)"
# What an event report points to (``Judgement.by`` / ``around`` and ``within``).
NEXT, BY, AROUND = "the next deadline", "by deadline …", "around a date"
PREVIEWED = "judge_previewed"  # the inputs last previewed: Save stores only what was seen
PREFILLED = "log_prefilled"  # (inbox entry, form generation) whose fields fill the form


def _key(field: str) -> str:
    return forms.key(FORM, field)


def _strength_label(word: str) -> str:
    return f"{word} (LR {SCALE[word]:.3g})" if word else "–"


def _report_fields(source_names: list[str]) -> dict[str, object]:
    st.markdown("**The report**")
    source, when, clock = st.columns([3, 2, 2])
    chosen = source.selectbox(
        "Source",
        source_names,
        key=_key("source"),
        **_default("source", None, "index"),
        placeholder="Pick a source (or add one above)",
    )
    published = when.date_input(
        "Published (UTC)", key=_key("date"), format="YYYY-MM-DD", **_default("date", asof.today())
    )
    at = clock.time_input("Time (UTC)", key=_key("time"), step=60, **_default("time", "now"))
    title = st.text_input("Title", key=_key("title"), help="Any language and script.")
    summary = st.text_area("Summary or full text", key=_key("summary"), height=120)
    url_col, origin_col, analyst_col = st.columns([3, 3, 2])
    url = url_col.text_input("URL", key=_key("url"))
    origin = origin_col.text_input(
        "Origin",
        key=_key("origin"),
        help="The underlying source, e.g. 'senior White House official, 2025-10-21'. "
        "Reports with the same origin are echoes of one claim and count once.",
    )
    analyst = analyst_col.text_input(
        "Analyst",
        value=identity.who(),
        key=_key("analyst"),
        disabled=identity.pinned(),  # signed in: the report is logged as that user
    )
    force = st.checkbox(
        "Another report, although one from its source reads the same",
        key=_key("force"),
        help="A report with the same source and a title that reads the same within 48 hours "
        "is refused as logged already. Tick this only if it is a different report.",
    )
    return {
        "force": force,
        "source": chosen,
        "published": forms.at(published, at) if published else None,
        "title": title,
        "summary": summary,
        "url": url.strip(),
        "origin": origin,
        "analyst": analyst.strip() or None,
    }


def _default(field: str, value: object, name: str = "value") -> dict[str, object]:
    """A widget's default, unless an inbox entry filled the field in (Streamlit warns when a
    widget gets both)."""
    return {} if _key(field) in st.session_state else {name: value}


def _from_inbox(source_names: list[str]) -> str | None:
    """The inbox entry being logged (``?inbox=ENTRY``), its fields put in the form once."""
    entry_id = st.query_params.get("inbox")
    if not entry_id:
        return None
    try:
        given = state.report_fields(entry_id)
    except ForecastError as exc:
        st.error(md(str(exc)), icon=":material/error:")
        return None
    marker = (entry_id, forms.generation(FORM))
    if st.session_state.get(PREFILLED) != marker:
        published = given["published"]
        st.session_state[_key("title")] = given["title"]
        st.session_state[_key("summary")] = given["summary"]
        st.session_state[_key("url")] = given["url"]
        st.session_state[_key("date")] = published.date()
        st.session_state[_key("time")] = published.time().replace(second=0, microsecond=0)
        if given["source"] in source_names:
            st.session_state[_key("source")] = given["source"]
        st.session_state[PREFILLED] = marker
    st.info(
        md(f"Logging inbox entry {entry_id}: its source, date, title, summary and address are "
           "filled in below. Saving takes it out of the inbox."),
        icon=":material/inbox:",
    )  # fmt: skip
    return entry_id


type Target = tuple[datetime | None, datetime | None, int]  # Judgement's by, around, within


def _no_target() -> Target:
    return None, None, 0


def _target_fields(q: Question) -> Callable[[], Target]:
    """Event questions: what the report points to; return how to read it as ``Judgement``'s
    ``by``, ``around`` and ``within``. The library checks the values."""
    aim, deadline, around, within = st.columns([3, 2, 2, 2])
    target = aim.radio(
        "The report points to",
        [NEXT, BY, AROUND],
        key=_key(f"target_{q.id}"),
        help="The next deadline: every day up to the first deadline still ahead on the "
        "report's day. By deadline: up to the deadline picked beside. Around a date: that "
        "date give or take some days (a summit set for 15 December).",
    )
    by = deadline.selectbox(
        "Deadline (with “by deadline”)",
        list(q.deadlines),
        key=_key(f"by_{q.id}"),
        format_func=day,
    )
    date = around.date_input(
        "Date (with “around a date”)",
        value=None,
        key=_key(f"around_{q.id}"),
        format="YYYY-MM-DD",
    )
    days = within.text_input(
        "Give or take (days)",
        key=_key(f"within_{q.id}"),
        placeholder="0",
        help="A whole number of days either side of the date.",
    )

    def read() -> Target:
        if target == BY:
            return by, None, 0
        if target == AROUND:
            if date is None:
                raise ForecastError(f"question {q.id}: pick the date the report points to")
            return None, forms.at(date), forms.days(days, "give or take")
        return _no_target()

    return read


def _judgement_fields(q: Question) -> Callable[[], Judgement]:
    """Draw the inputs of one question row; return how to read them as a ``Judgement``.

    Reading is deferred to submit time, so a bad number stops nothing from being drawn.
    """
    with st.container(border=True):
        st.markdown(f"**{md(clip(q.title, 140))}** · {md(q.kind.value)} · {md(q.id)}")
        if kinds.has_options(q):
            st.caption("Likelihood of the report under each outcome, relative to 1 (blank = 1).")
            typed = _per_option(q, lambda name: _key(f"lik_{q.id}_{name}"))
            raw_lr, strength = "", None
        else:
            number, word = st.columns(2)
            raw_lr = number.text_input(
                "Likelihood ratio",
                key=_key(f"lr_{q.id}"),
                help="P(report | YES) / P(report | NO): above 1 for, below 1 against.",
            )
            strength = (
                word.selectbox(
                    md(f"or a strength ({SCALE_NAME})"),
                    ["", *SCALE],
                    key=_key(f"strength_{q.id}"),
                    format_func=_strength_label,
                )
                or None
            )
            typed = []
        target = _target_fields(q) if kinds.has_ladder(q) else _no_target
        rationale = st.text_area("Rationale", key=_key(f"why_{q.id}"), height=68)

    def read() -> Judgement:
        fields = forms.Fields()  # this row's unreadable fields, all at once, named by question
        likelihoods = tuple(
            (name, fields.read(check_number, value.strip(), f"likelihood of {name!r}"))
            for name, value in typed
            if value.strip()
        )
        lr = fields.read(forms.number, raw_lr, "likelihood ratio")
        by, around, within = fields.read(target) or (None, None, 0)
        fields.problems = [
            p if p.startswith(f"question {q.id}") else f"question {q.id}: {p}"
            for p in fields.problems
        ]
        fields.done()
        return Judgement(
            q.id,
            lr=lr,
            strength=strength,
            likelihoods=likelihoods,
            rationale=rationale,
            by=by,
            around=around,
            within=within,
        )

    return read


def _show_previews(logged: Logged) -> None:
    st.markdown(
        "**Preview** (nothing is saved): each question on the day the report came out, "
        "and now, without and with it."
    )
    for before, after in logged.previews.values():
        table = frames.preview(before, after, logged.report.published)
        config = components.percent(
            table,
            ["before (that day)", "after (that day)", "before (now)", "after (now)"],
            **{"change (that day)": st.column_config.NumberColumn(format="%+.1f pts")},
        )
        components.table(table, hide_index=True, column_config=config)


def _saved_message(logged: Logged, when: datetime, entry_id: str | None = None) -> str:
    report = logged.report
    ids = ", ".join(a.question_id for a in logged.assessments)
    message = f"Logged report {md(report.id)} and its judgement of {md(ids)}."
    if entry_id:
        message += f" Inbox entry {md(entry_id)} is assessed and left the inbox."
    if asof.current() < when.date():
        message += (
            " It was logged today: set the as-of date to today (sidebar) to see it "
            "on the question pages."
        )
    return message


def _jkey(field: str) -> str:
    return forms.key(JUDGE, field)


def _show_judgement(logged: Logged) -> None:
    """The implied LR (choice: likelihoods) and the question before and after, unsaved."""
    ((before, after),) = logged.previews.values()
    a = logged.assessments[0]
    table = frames.judgement_preview(before, after, a)
    if a.lr is not None:
        st.metric(
            "Implied likelihood ratio",
            f"{a.lr:.4g}",
            help="odds(the probability you typed) / odds(where the question stands now): "
            "the LR stored with your judgement, at reliability 1.",
        )
        config = components.percent(table, ["now", "after"])
    else:
        st.markdown("**Implied likelihoods** (your probability / where it stands now):")
        config = components.percent(
            table, ["now", "after"], likelihood=st.column_config.NumberColumn(format="%.4g")
        )
    components.table(table, hide_index=True, column_config=config)


def _judged_message(logged: Logged) -> str:
    a = logged.assessments[0]
    implied = (
        f"LR {a.lr:.4g}"
        if a.lr is not None
        else "likelihoods " + ", ".join(f"{n} {v:.4g}" for n, v in a.likelihoods)
    )
    message = (
        f"Logged judgement {md(a.id)} on {md(a.question_id)} ({md(implied)}), "
        f"as report {md(logged.report.id)}."
    )
    if asof.current() < asof.today():
        message += " Set the as-of date to today (sidebar) to see it on the question pages."
    return message


def _per_option(q: Question, key: Callable[[str], str]) -> list[tuple[str, str]]:
    """One text input per option of a choice question, side by side: (option, text typed)."""
    cols = st.columns(len(q.options))
    return [
        (name, col.text_input(md(name), key=key(name)))
        for col, name in zip(cols, q.option_names, strict=True)
    ]


def _probability_fields(
    q: Question, label: str
) -> Callable[[], float | tuple[tuple[str, float], ...]]:
    """The probability typed (choice: one per option); read at submit time."""
    if kinds.has_options(q):
        st.caption("Your probability of each option, from 0 to 1 (they must add up to 1).")
        typed = _per_option(q, lambda name: _jkey(f"p_{q.id}_{name}"))

        def read_choice() -> tuple[tuple[str, float], ...]:
            return tuple(
                (name, check_share(value.strip(), f"probability of {name!r}"))
                for name, value in typed
                if value.strip()
            )

        return read_choice
    raw = st.text_input(
        md(f"I am now at: P{label}, from 0 to 1"),
        key=_jkey(f"p_{q.id}"),
        placeholder="e.g. 0.4",
    )

    def read_one() -> float:
        value = forms.share(raw, "probability")
        if value is None:
            raise ForecastError("type the probability you are now at, from 0 to 1")
        return value

    return read_one


def _judgement_page(by_id: dict[str, Question]) -> None:
    """A probability judgement: the LR that moves the question to it is shown, then stored.

    Save stores only what was last previewed, unchanged (inputs and database alike);
    otherwise it previews, so the analyst always sees the LR before it is stored.
    """
    if not by_id:
        st.info("No questions yet: add one on the New question page.")
        return
    ids = list(by_id)
    wanted = st.query_params.get("q")
    qid = st.selectbox(
        "Question",
        ids,
        index=ids.index(wanted) if wanted in ids else 0,
        key="judge_question",
        format_func=lambda i: f"{clip(by_id[i].title, 90)} ({i})",
    )
    q = by_id[qid]
    now = state.state(qid, asof.today())  # the library measures from now, whatever as-of
    if isinstance(now.probability, dict):
        label, stands = "", ", ".join(f"{n} {pct(p)}" for n, p in now.probability.items())
    else:
        of = now.headline.label  # an event question: its first deadline still open
        label = f"({of})" if of else "(yes)"
        stands = f"P{label} = {pct(now.probability)}"
    st.caption(
        md(f"Where it stands now: {stands}.")
        + " Your judgement is stored as evidence with the likelihood ratio that moves it "
        "to your number."
    )
    with st.form(JUDGE, enter_to_submit=False):
        read = _probability_fields(q, label)
        rationale = st.text_area("Rationale", key=_jkey("why"), height=68)
        analyst = st.text_input(
            "Analyst",
            value=identity.who(),
            key=_jkey("analyst"),
            disabled=identity.pinned(),  # signed in: the judgement is logged as that user
        )
        wants_preview, wants_save, feedback = _preview_and_save("judge")
    if not (wants_preview or wants_save):
        return
    with forms.reporting(feedback):
        args = (qid, read())
        options = {"rationale": rationale, "analyst": analyst.strip() or None}
        seen = (args, tuple(options.items()), state.data_version())
        if wants_save and st.session_state.get(PREVIEWED) == seen:
            logged = state.judge(*args, **options)
            st.session_state.pop(PREVIEWED, None)
            forms.flash(_judged_message(logged))  # md: _judged_message escapes
            forms.reset(JUDGE)
            st.rerun()
        logged = state.preview_judgement(*args, **options)
        # What Save will store if nothing changes meanwhile.
        st.session_state[PREVIEWED] = (args, tuple(options.items()), state.data_version())
        with feedback:
            st.markdown("**Preview** (nothing is saved yet):")
            _show_judgement(logged)
            if wants_save:
                st.info(
                    "Nothing is stored yet: check the implied LR above (new inputs, or the "
                    "question moved since the last preview), then press Save again.",
                    icon=":material/info:",
                )


def _preview_and_save(prefix: str) -> tuple[bool, bool, Any]:
    """A form's Preview and Save buttons side by side, and the place their feedback goes."""
    preview_col, save_col = st.columns(2)
    wants_preview = preview_col.form_submit_button(
        "Preview", key=f"{prefix}_preview", icon=":material/visibility:", width="stretch"
    )
    wants_save = save_col.form_submit_button(
        "Save", key=f"{prefix}_save", type="primary", icon=":material/save:", width="stretch"
    )
    return wants_preview, wants_save, st.container()


def _suggest_origins(fields: dict[str, Any]) -> None:
    """Origins already logged that the typed one resembles: maybe the same claim."""
    origin, published = fields["origin"], fields["published"]
    like = state.origins_like(origin, published) if origin and published else []
    if like:
        st.warning(
            md(f"Origin '{origin}' is new, and resembles "
               + ", ".join(f"'{o}'" for o in like)
               + ". If it is the same claim, type that origin so the echo counts once."),
            icon=":material/content_copy:",
        )  # fmt: skip


def _report_page(by_id: dict[str, Question]) -> None:
    """A report, judged against one or several questions."""
    with st.expander("Add a source", expanded=not state.sources(), icon=":material/add:"):
        components.source_form("log_new_source", select=_key("source"))

    entry_id = _from_inbox([s.name for s in state.sources()])
    chosen_ids = st.multiselect(
        "Questions this report bears on",
        list(by_id),
        key="log_questions",
        default=[q for q in [st.query_params.get("q")] if q in by_id],
        format_func=lambda i: f"{clip(by_id[i].title, 90)} ({i})",
    )
    with st.form(FORM, enter_to_submit=False):
        fields = _report_fields([s.name for s in state.sources()])
        st.markdown("**Judgements**" if chosen_ids else "Pick the questions above first.")
        readers = [_judgement_fields(by_id[qid]) for qid in chosen_ids]
        wants_preview, wants_save, feedback = _preview_and_save("log")

    if wants_preview or wants_save:
        with forms.reporting(feedback):
            typed = forms.Fields()  # every question's unreadable field, all at once
            judgements = [typed.read(read) for read in readers]
            typed.done()
            if wants_preview:
                with feedback:
                    preview = state.preview_evidence(judgements, **fields, inbox_entry=entry_id)
                    _show_previews(preview)
                    _suggest_origins(fields)
            else:
                logged = state.log_evidence(judgements, **fields, inbox_entry=entry_id)
                forms.flash(_saved_message(logged, state.now(), entry_id))  # md: escaped there
                forms.reset(FORM)
                st.session_state.pop("log_questions", None)
                if entry_id:
                    del st.query_params["inbox"]
                st.rerun()


st.title("Log evidence")
forms.show_flash()
mode = st.radio("What to log", [REPORT, JUDGEMENT], key=MODE, horizontal=True)
if mode == JUDGEMENT:
    _judgement_page({q.id: q for q in state.questions()})
else:
    _report_page({q.id: q for q in state.questions()})
